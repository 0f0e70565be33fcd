def test_probe(app):
    r = app.test_cli_runner()
    res = r.invoke(args=["init"])
    print(res.exit_code, res.output, res.exception)
    res = r.invoke(args=["demo"])
    print(res.exit_code, res.output, res.exception)
    res = r.invoke(args=["users", "create", "a@b.example", "--name", "A B", "--role", "auditor"], input="short\n")
    print(res.exit_code, repr(res.output), res.exception)
    res = r.invoke(args=["checklists", "validate", "tests/data/checklists/unknown_parent.yaml"])
    print(res.exit_code, repr(res.output), repr(res.stderr) if hasattr(res,'stderr') else None)
    print(app.instance_path)
    assert 0
