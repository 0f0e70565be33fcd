"""The command line: init, demo, users and checklists, run through Click against the real database."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import Result
from flask import Flask

from audit_app import demo
from audit_app.extensions import db
from audit_app.models import ApiToken, Checklist, ChecklistItem, ChecklistVersion, Role, User, hash_token

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "checklists" / "examples" / "ai-policy.yaml"
BROKEN = ROOT / "tests" / "data" / "checklists" / "unknown_parent.yaml"
NEW_PASSWORD = "a long enough passphrase"


@pytest.fixture
def cli(app: Flask) -> Callable[..., Result]:
    """Run a command the way `flask --app wsgi ...` does: inside an app context of its own."""
    runner = app.test_cli_runner()

    def _run(*args: str, input: str | None = None) -> Result:
        with app.app_context():
            return runner.invoke(args=list(args), input=input)

    return _run


def create_account(cli: Callable[..., Result], email: str, role: str, *options: str, password: str) -> Result:
    """`users create` with the password piped on standard input, as a script would."""
    return cli("users", "create", email, "--name", "Test Person", "--role", role, *options, input=f"{password}\n")


def scalar_count(app: Flask, model: type) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def find_user(app: Flask, email: str) -> User | None:
    with app.app_context():
        return db.session.scalar(sa.select(User).where(User.email == email))


def sign_in(client, email: str, password: str) -> int:
    return client.post("/auth/login", data={"email": email, "password": password}).status_code


# ------------------------------------------------------------------ init and demo


def test_init_twice_loads_the_library_once(app, cli):
    first = cli("init")
    second = cli("init")
    assert first.exit_code == 0, first.output
    assert second.exit_code == 0, second.output
    assert "Checklist iso42001 1.2.0: created (92 items" in first.output
    assert "Checklist iso42001 1.2.0: unchanged (92 items" in second.output
    assert "Database ready." in second.output
    assert scalar_count(app, Checklist) == 1
    assert scalar_count(app, ChecklistVersion) == 1
    assert scalar_count(app, ChecklistItem) == 92


def test_demo_twice_is_idempotent_and_reuses_the_credentials(app, cli, client):
    credentials = Path(app.instance_path) / "demo_credentials.txt"
    first = cli("demo")
    assert first.exit_code == 0, first.output
    users = scalar_count(app, User)
    saved = credentials.read_text(encoding="utf-8")
    second = cli("demo")
    assert second.exit_code == 0, second.output
    assert scalar_count(app, User) == users == len(demo.USERS)
    assert scalar_count(app, ChecklistVersion) == 1
    assert credentials.read_text(encoding="utf-8") == saved
    assert credentials.stat().st_mode & 0o777 == 0o600
    emails = [email for email, *_ in demo.USERS]
    assert len(emails) == 5
    for output in (first.output, second.output):
        assert "Sign in at http://127.0.0.1:5000/auth/login" in output
        assert demo.ORG_NAME in output
        for email in emails:
            assert email in output
    passwords = dict(line.split(" ", 1) for line in saved.splitlines())
    assert set(passwords) == set(emails)
    for email in emails:  # the printed password is the saved one, both runs
        assert f"{email:<36} {passwords[email]}" in first.output
        assert f"{email:<36} {passwords[email]}" in second.output
    assert sign_in(client, "auditor@northbridge.example", passwords["auditor@northbridge.example"]) == 302


# ------------------------------------------------------------------ users


def test_users_create_reads_the_password_from_stdin(app, cli, client):
    result = create_account(cli, "New.Auditor@Example.test", "auditor", password=NEW_PASSWORD)
    assert result.exit_code == 0, result.output
    assert "Created new.auditor@example.test (Internal auditor)." in result.output
    user = find_user(app, "new.auditor@example.test")
    assert user is not None
    assert (user.name, user.role, user.active) == ("Test Person", Role.AUDITOR, True)
    assert sign_in(client, "new.auditor@example.test", NEW_PASSWORD) == 302


def test_users_create_refuses_a_short_password(app, cli):
    result = create_account(cli, "short@example.test", "auditor", password="tiny pw")
    assert result.exit_code != 0
    assert "at least 12 characters" in result.output
    assert find_user(app, "short@example.test") is None
    assert scalar_count(app, User) == 0


def test_users_create_refuses_an_auditee_without_a_unit(app, cli):
    result = create_account(cli, "owner@example.test", "auditee", password=NEW_PASSWORD)
    assert result.exit_code != 0
    assert "An auditee must belong to an org unit" in result.output
    assert scalar_count(app, User) == 0


def test_users_create_places_an_auditee_in_the_named_unit(app, cli, make_unit):
    unit_id = make_unit("Credit Risk")
    result = create_account(cli, "owner@example.test", "auditee", "--unit", "Credit Risk", password=NEW_PASSWORD)
    assert result.exit_code == 0, result.output
    assert find_user(app, "owner@example.test").org_unit_id == unit_id
    unknown = create_account(cli, "other@example.test", "auditee", "--unit", "Nowhere", password=NEW_PASSWORD)
    assert unknown.exit_code != 0
    assert "No org unit named 'Nowhere'" in unknown.output
    assert find_user(app, "other@example.test") is None


def test_users_create_refuses_a_duplicate_email(app, cli, make_user):
    make_user(Role.AUDITOR, email="taken@example.test")
    result = create_account(cli, "TAKEN@example.test", "viewer", password=NEW_PASSWORD)
    assert result.exit_code != 0
    assert "already exists" in result.output
    assert scalar_count(app, User) == 1
    assert find_user(app, "taken@example.test").role is Role.AUDITOR


def test_users_create_refuses_an_empty_stdin(app, cli):
    result = cli("users", "create", "none@example.test", "--name", "No Input", "--role", "auditor", input="")
    assert result.exit_code != 0
    assert "No password given" in result.output
    assert scalar_count(app, User) == 0


def test_users_token_works_against_the_api_and_only_its_hash_is_stored(app, cli, client, make_user):
    make_user(Role.LEAD_AUDITOR, email="lead@example.test")
    result = cli("users", "token", "lead@example.test")
    assert result.exit_code == 0, result.output
    raw = result.stdout.strip()
    assert raw.startswith("aims_")
    assert "\n" not in raw
    response = client.get("/api/v1/me", headers={"Authorization": f"Bearer {raw}"})
    assert response.status_code == 200
    assert response.get_json()["email"] == "lead@example.test"
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {raw}x"}).status_code == 401
    with app.app_context():
        rows = db.session.execute(sa.select(ApiToken.__table__)).all()
    assert len(rows) == 1
    assert rows[0].token_hash == hash_token(raw)
    assert all(raw not in str(value) for value in rows[0])


def test_users_token_for_an_unknown_email_fails(app, cli):
    result = cli("users", "token", "ghost@example.test")
    assert result.exit_code != 0
    assert "No account with e-mail ghost@example.test" in result.output
    assert scalar_count(app, ApiToken) == 0


def test_users_deactivate_stops_tokens_and_sign_in(app, cli, client, make_user):
    make_user(Role.AUDITOR, email="leaver@example.test", password=NEW_PASSWORD)
    raw = cli("users", "token", "leaver@example.test").stdout.strip()
    bearer = {"Authorization": f"Bearer {raw}"}
    assert client.get("/api/v1/me", headers=bearer).status_code == 200
    assert sign_in(client, "leaver@example.test", NEW_PASSWORD) == 302
    assert client.get("/").status_code == 200  # signed in
    result = cli("users", "deactivate", "leaver@example.test")
    assert result.exit_code == 0, result.output
    assert "Deactivated leaver@example.test." in result.output
    assert client.get("/api/v1/me", headers=bearer).status_code == 401
    assert client.get("/").status_code == 302  # the open session ended too
    assert sign_in(client, "leaver@example.test", NEW_PASSWORD) == 401
    assert find_user(app, "leaver@example.test").active is False
    refused = cli("users", "token", "leaver@example.test")
    assert refused.exit_code != 0
    assert "Deactivated accounts cannot get API tokens" in refused.output


# ------------------------------------------------------------------ checklists


def test_checklists_validate_a_good_file(app, cli):
    result = cli("checklists", "validate", str(EXAMPLE))
    assert result.exit_code == 0, result.output
    assert "OK: northbridge-ai-policy version 1.0, 9 items, sha256 " in result.output
    assert scalar_count(app, ChecklistVersion) == 0  # validate never loads


def test_checklists_validate_a_bad_file(app, cli):
    result = cli("checklists", "validate", str(BROKEN))
    assert result.exit_code != 0
    assert "error: unknown_parent.yaml: item R-1: unknown parent 'NOPE'" in result.stderr
    assert "1 problem(s); nothing was loaded." in result.output
    assert not result.stdout.startswith("OK")


def test_checklists_import_twice(app, cli):
    first = cli("checklists", "import", str(EXAMPLE))
    second = cli("checklists", "import", str(EXAMPLE))
    assert first.exit_code == 0, first.output
    assert second.exit_code == 0, second.output
    assert "Checklist northbridge-ai-policy 1.0: created (9 items" in first.output
    assert "Checklist northbridge-ai-policy 1.0: unchanged (9 items" in second.output
    assert scalar_count(app, ChecklistVersion) == 1
    assert scalar_count(app, ChecklistItem) == 9


def test_checklists_import_a_bad_file_loads_nothing(app, cli):
    result = cli("checklists", "import", str(BROKEN))
    assert result.exit_code != 0
    assert "unknown_parent.yaml: item R-1: unknown parent" in result.output
    assert scalar_count(app, Checklist) == 0
    assert scalar_count(app, ChecklistItem) == 0


def test_checklists_import_refuses_to_change_a_locked_version(app, cli, tmp_path):
    path = tmp_path / "ai-policy.yaml"
    path.write_text(EXAMPLE.read_text(encoding="utf-8"), encoding="utf-8")
    assert cli("checklists", "import", str(path)).exit_code == 0
    with app.app_context():
        db.session.scalar(sa.select(ChecklistVersion)).locked = True
        db.session.commit()
    path.write_text(
        path.read_text(encoding="utf-8").replace("Retirement of models", "Model retirement"), encoding="utf-8"
    )
    result = cli("checklists", "import", str(path))
    assert result.exit_code != 0
    assert "Give the new content a new version number" in result.output
    with app.app_context():
        titles = db.session.scalars(sa.select(ChecklistItem.title)).all()
    assert "Retirement of models" in titles
    assert "Model retirement" not in titles
