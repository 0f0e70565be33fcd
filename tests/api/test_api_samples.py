"""/api/v1/audits/{id}/samples: the whole sampling flow over the API, re-performance, and who may do what."""

from __future__ import annotations

import hashlib
import io
import random
from pathlib import Path

import pytest
from scipy.stats import beta, hypergeom

from audit_app.extensions import db
from audit_app.models import Audit, AuditStatus, Sample
from tests.fixtures.api_samples import new_sample

KEYS = [f"REL-{i:04d}" for i in range(1, 501)]
SEED = 20260302

#: The completeness check every population needs before its draw.
CHECKED = {"completeness_check": "Count reconciled to the source."}


def csv_text(keys: list[str]) -> str:
    rows = [f"{key},Model release {key[-4:]},{'Alpha' if int(key[-4:]) % 3 else 'Beta'}" for key in keys]
    return "release_id,name,team\n" + "\n".join(rows) + "\n"


def sized_and_drawn(client, base, world, headers, keys: list[str], seed: int = SEED) -> dict:
    sample = new_sample(client, base, world, headers)
    url = f"{base}/{sample['id']}"
    population = {"source": "csv", "csv": csv_text(keys), "id_column": "release_id", "label_column": "name"}
    population["completeness_check"] = "Count reconciled to the release log."
    assert client.put(f"{url}/population", json=population, headers=headers).status_code == 200
    size = {"method": "simple_random", "basis": "attribute", "confidence": 0.95, "tolerable_rate": 0.05}
    assert client.put(f"{url}/size", json={**size, "use_fpc": True}, headers=headers).status_code == 200
    drawn = client.post(f"{url}/draw", json={"seed": seed}, headers=headers)
    assert drawn.status_code == 201, drawn.get_json()
    return drawn.get_json()


def fpc_size(confidence: float, tolerable: float, population: int) -> int:
    """Smallest n with hypergeom.cdf(0; N, ceil(p*N), n) <= 1 - c, from scipy."""
    defects = -(-int(tolerable * 1000) * population // 1000)
    return next(n for n in range(1, population + 1) if hypergeom.cdf(0, population, defects, n) <= 1 - confidence)


def test_full_flow(app, client, base, world, auditor):
    sample = new_sample(client, base, world, auditor)
    url = f"{base}/{sample['id']}"
    assert (sample["status"], sample["reperformed"], sample["statistical"]) == ("draft", None, False)

    duplicated = csv_text([*KEYS[:10], "REL-0007", "REL-0004", "REL-0004"])
    refused = client.put(
        f"{url}/population", json={"source": "csv", "csv": duplicated, "id_column": "release_id"}, headers=auditor
    )
    assert refused.status_code == 422
    (problem,) = refused.get_json()["errors"]["json"]["population"]
    assert "2 duplicate ids" in problem
    assert "'REL-0007'" in problem
    assert "'REL-0004'" in problem
    unchanged = client.get(url, headers=auditor).get_json()
    assert (unchanged["population_size"], unchanged["population_hash"]) == (None, "")
    snapshots = Path(app.instance_path) / "uploads" / "populations"
    assert not snapshots.exists() or not any(snapshots.iterdir())

    shuffled = KEYS[:]
    random.Random(1).shuffle(shuffled)
    population = {
        "source": "csv",
        "csv": csv_text(shuffled),
        "id_column": "release_id",
        "label_column": "name",
        "description": "CI/CD deployment log, 2025 releases",
        "completeness_check": "Count reconciled to the 500 deployments in the pipeline report.",
    }
    stored = client.put(f"{url}/population", json=population, headers=auditor).get_json()
    assert stored["population_size"] == 500
    assert stored["population_hash"] == hashlib.sha256("\n".join(sorted(KEYS)).encode()).hexdigest()
    assert stored["population_source"] == "csv"
    assert stored["completeness_check"].startswith("Count reconciled")

    size = {"method": "simple_random", "basis": "attribute", "confidence": 0.95, "tolerable_rate": 0.05}
    sized = client.put(f"{url}/size", json={**size, "use_fpc": True}, headers=auditor).get_json()
    n = fpc_size(0.95, 0.05, 500)
    assert sized["sample_size"] == n < 59
    assert sized["size_parameters"]["distribution"] == "hypergeometric"
    assert "95% confidence" in sized["size_rationale"]

    drawn = client.post(f"{url}/draw", json={"seed": SEED}, headers=auditor)
    assert drawn.status_code == 201
    record = drawn.get_json()
    assert record["seed"] == SEED
    assert "Mersenne Twister" in record["algorithm"]
    assert "python" in record["library_versions"]
    assert record["reperformed"] is True
    assert record["statistical"] is True
    keys = [item["key"] for item in record["items"]]
    assert len(set(keys)) == n

    # Re-performable: a second sample over the same population (rows in another order) and seed.
    twin = sized_and_drawn(client, base, world, auditor, KEYS)
    assert [item["key"] for item in twin["items"]] == keys

    assert client.post(f"{url}/draw", json={"seed": 1}, headers=auditor).status_code == 409
    assert client.put(f"{url}/population", json=population, headers=auditor).status_code == 409

    listed = client.get(f"{url}/items", query_string={"per_page": 100}, headers=auditor)  # n < 100: one page
    assert listed.headers["X-Total-Count"] == str(n)
    items = listed.get_json()
    first, second, *rest = items
    pending = client.post(f"{url}/evaluate", headers=auditor)
    assert pending.status_code == 409
    assert first["key"] in pending.get_json()["message"]

    voided = {"result": "void", "note": "Release record voided (rolled back before deployment)."}
    answer = client.put(f"{url}/items/{first['id']}", json=voided, headers=auditor).get_json()
    replacement = answer["replacement"]
    assert answer["item"]["result"] == "void"
    assert replacement["replaces_id"] == first["id"]
    assert replacement["key"] not in keys
    twin_first = twin["items"][0]
    twin_answer = client.put(f"{base}/{twin['id']}/items/{twin_first['id']}", json=voided, headers=auditor)
    assert twin_answer.get_json()["replacement"]["key"] == replacement["key"]  # deterministic

    deviation = {"result": "deviation", "note": "No validation sign-off on file."}
    assert client.put(f"{url}/items/{second['id']}", json=deviation, headers=auditor).status_code == 200
    for item in [*rest, replacement]:
        ok = client.put(f"{url}/items/{item['id']}", json={"result": "conforming"}, headers=auditor)
        assert ok.status_code == 200
        assert ok.get_json()["replacement"] is None

    evaluation = client.post(f"{url}/evaluate", headers=auditor)
    assert evaluation.status_code == 200, evaluation.get_json()
    result = evaluation.get_json()
    assert (result["sample_size"], result["deviations"], result["statistical"]) == (n, 1, True)
    # Sized with the finite-population correction: the exact hypergeometric limit, checked with scipy.
    defects = max(d for d in range(501) if hypergeom.cdf(1, 500, d, n) > 0.05 + 1e-12)
    assert result["upper_limit"] == pytest.approx(defects / 500, rel=1e-12)
    assert result["upper_limit"] < beta.ppf(0.95, 2, n - 1)  # tighter than the binomial limit
    assert result["effective"] is (result["upper_limit"] <= 0.05)
    assert (result["design"], [a["code"] for a in result["attributes"]]) == ("hypergeometric", ["A1"])
    assert result["proposed_finding"] == ""  # offered once the deviations are interpreted
    signed = client.post(f"{url}/sign-off", headers=auditor)
    assert signed.status_code == 403  # only the audit's lead auditor signs off
    reading = {"cause": "Validation sign-off skipped for a hotfix.", "nature": "isolated"}
    interpreted = client.put(f"{url}/interpretation", json=reading, headers=auditor)
    assert interpreted.status_code == 200, interpreted.get_json()
    finding = interpreted.get_json()["proposed_finding"]
    assert finding.startswith(f"1 of {n} sampled model releases did not meet A1")
    assert second["key"] in finding
    assert interpreted.get_json()["deviation_nature"] == "isolated"
    signed = client.post(f"{url}/sign-off", headers=world["headers"]["lead"])
    assert signed.status_code == 200, signed.get_json()
    assert signed.get_json()["signed_off_at"] is not None
    assert client.put(f"{url}/interpretation", json=reading, headers=auditor).status_code == 409  # signed off

    after = client.put(f"{url}/items/{second['id']}", json={"result": "conforming"}, headers=auditor)
    assert after.status_code == 409
    final = client.get(url, headers=auditor).get_json()
    assert (final["status"], final["deviations"]) == ("evaluated", 1)
    assert final["upper_limit"] == pytest.approx(result["upper_limit"])


def test_a_tampered_snapshot_no_longer_reperforms(app, client, base, world, auditor):
    drawn = sized_and_drawn(client, base, world, auditor, KEYS[:200])
    with app.app_context():
        name = db.session.get(Sample, drawn["id"]).population_file
    snapshot = Path(app.instance_path) / "uploads" / "populations" / name
    snapshot.write_text(snapshot.read_text("utf-8").replace("REL-0001", "REL-9999"), "utf-8")

    # A read shows the verdict stored at the draw; the check on demand finds the change and keeps the new verdict.
    assert client.get(f"{base}/{drawn['id']}", headers=auditor).get_json()["reperformed"] is True
    checked = client.post(f"{base}/{drawn['id']}/reperformance", headers=auditor)
    assert checked.status_code == 200
    assert checked.get_json()["reperformed"] is False
    assert "no longer matches its recorded hash" in checked.get_json()["reperformance"]["problem"]
    assert client.get(f"{base}/{drawn['id']}", headers=auditor).get_json()["reperformed"] is False


def test_population_as_a_multipart_file_and_typed(client, base, world, auditor):
    url = f"{base}/{new_sample(client, base, world, auditor)['id']}"
    form = {"source": "csv", "id_column": "release_id", "file": (io.BytesIO(b"\xff\xfeid"), "p.csv")}
    refused = client.put(f"{url}/population", data=form, headers=auditor, content_type="multipart/form-data")
    assert refused.status_code == 422
    assert "not UTF-8" in refused.get_json()["errors"]["json"]["population"][0]

    typed = client.put(f"{url}/population", json={"source": "typed", "typed": "A-1\nA-2, second\nA-3"}, headers=auditor)
    assert typed.get_json()["population_size"] == 3
    missing = client.put(f"{url}/population", json={"source": "csv", "id_column": "id"}, headers=auditor)
    assert missing.status_code == 422
    assert "csv" in missing.get_json()["errors"]["json"]
    surrogate = '{"source": "typed", "typed": "A-1\\ud800"}'  # valid JSON, but not encodable text
    refused = client.put(f"{url}/population", data=surrogate, headers=auditor, content_type="application/json")
    assert refused.status_code == 422
    assert "typed" in refused.get_json()["errors"]["json"]


def test_judgemental_draw_needs_a_rationale_per_pick(client, base, world, auditor):
    url = f"{base}/{new_sample(client, base, world, auditor)['id']}"
    client.put(f"{url}/population", json={"source": "typed", "typed": "A-1\nA-2\nA-3", **CHECKED}, headers=auditor)
    client.put(f"{url}/size", json={"method": "judgemental", "basis": "manual"}, headers=auditor)

    blank = client.post(f"{url}/draw", json={"picks": {"A-2": " "}}, headers=auditor)
    assert blank.status_code == 422
    assert "picks" in blank.get_json()["errors"]["json"]
    drawn = client.post(f"{url}/draw", json={"picks": {"A-2": "Changed last week"}}, headers=auditor).get_json()
    assert [(i["key"], i["rationale"]) for i in drawn["items"]] == [("A-2", "Changed last week")]
    assert (drawn["seed"], drawn["statistical"]) == (None, False)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"method": "simple_random", "basis": "attribute", "confidence": 1.2, "tolerable_rate": 0.05}, "confidence"),
        (
            {"method": "simple_random", "basis": "attribute", "confidence": 0.95, "tolerable_rate": 0.123456},
            "tolerable_rate",
        ),
        ({"method": "simple_random", "basis": "attribute", "confidence": 0.95}, "tolerable_rate"),
        ({"method": "simple_random", "basis": "manual", "manual_size": 2}, "rationale"),
        ({"method": "sideways", "basis": "manual"}, "method"),
    ],
)
def test_size_input_errors_name_the_field(client, base, world, auditor, body, field):
    url = f"{base}/{new_sample(client, base, world, auditor)['id']}"
    client.put(f"{url}/population", json={"source": "typed", "typed": "A-1\nA-2\nA-3", **CHECKED}, headers=auditor)

    response = client.put(f"{url}/size", json=body, headers=auditor)

    assert response.status_code == 422
    assert field in response.get_json()["errors"]["json"]


def test_who_may_see_and_change_samples(app, client, base, world, auditor):
    sample = new_sample(client, base, world, auditor)
    url, headers = f"{base}/{sample['id']}", world["headers"]
    body = {"title": "x", "attribute": "y", "checklist_item_ids": world["item_ids"]}

    for name in ("observer", "viewer"):
        assert client.get(url, headers=headers[name]).status_code == 200
        assert client.get(f"{url}/items", headers=headers[name]).status_code == 200
        assert client.post(base, json=body, headers=headers[name]).status_code == 403
        assert client.put(f"{url}/population", json={"source": "typed"}, headers=headers[name]).status_code == 403
    for name in ("outsider", "auditee"):
        assert client.get(base, headers=headers[name]).status_code == 403
        assert client.get(url, headers=headers[name]).status_code == 403
        assert client.post(f"{url}/evaluate", headers=headers[name]).status_code == 403
    # An administrator may read every audit's working papers but records fieldwork only on the team.
    assert client.get(url, headers=headers["admin_outside_team"]).status_code == 200
    assert client.post(base, json=body, headers=headers["admin_outside_team"]).status_code == 403
    assert client.get(base).status_code == 401
    assert client.post(f"{url}/draw", json={}).status_code == 401

    with app.app_context():
        db.session.get(Audit, world["audit_id"]).status = AuditStatus.REPORTING
        db.session.commit()
    assert client.post(base, json=body, headers=auditor).status_code == 409


# --- Paging, the stored verdict, and text the database cannot hold -----------------------------------------------


def whole_population(client, base, world, headers, size: int) -> dict:
    sample = new_sample(client, base, world, headers)
    url = f"{base}/{sample['id']}"
    typed = "\n".join(f"W-{i:04d}" for i in range(size))
    populated = client.put(f"{url}/population", json={"source": "typed", "typed": typed, **CHECKED}, headers=headers)
    assert populated.status_code == 200
    size_body = {"method": "whole_population", "basis": "manual"}
    assert client.put(f"{url}/size", json=size_body, headers=headers).status_code == 200
    drawn = client.post(f"{url}/draw", headers=headers)
    assert drawn.status_code == 201, drawn.get_json()
    return drawn.get_json()


def test_items_are_listed_a_page_at_a_time_with_the_total_and_links(client, base, world, auditor):
    drawn = whole_population(client, base, world, auditor, 230)
    url = f"{base}/{drawn['id']}/items"
    assert (len(drawn["items"]), drawn["items_total"]) == (100, 230)  # the record carries the first 100

    first = client.get(url, headers=auditor)
    assert first.status_code == 200
    assert [i["key"] for i in first.get_json()] == [f"W-{i:04d}" for i in range(50)]
    assert first.headers["X-Total-Count"] == "230"
    assert 'page=2&per_page=50>; rel="next"' in first.headers["Link"]
    last = client.get(url, query_string={"page": 3, "per_page": 100}, headers=auditor)
    assert [i["draw_order"] for i in last.get_json()] == list(range(201, 231))
    assert 'rel="next"' not in last.headers["Link"]
    assert client.get(url, query_string={"page": 9}, headers=auditor).get_json() == []
    for bad in ({"per_page": 101}, {"per_page": 0}, {"page": 0}, {"page": "x"}):
        assert client.get(url, query_string=bad, headers=auditor).status_code == 422, bad


def test_items_paging_is_documented(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    operation = spec["paths"]["/api/v1/audits/{audit_id}/samples/{sample_id}/items"]["get"]
    names = {p["name"] for p in operation["parameters"]}
    assert {"page", "per_page"} <= names
    per_page = next(p for p in operation["parameters"] if p["name"] == "per_page")
    assert per_page["schema"]["maximum"] == 100
    assert {"X-Total-Count", "Link"} <= set(operation["responses"]["200"]["headers"])
    recheck = spec["paths"]["/api/v1/audits/{audit_id}/samples/{sample_id}/reperformance"]["post"]
    assert "200" in recheck["responses"]


def test_the_record_shows_the_stored_verdict_and_only_a_team_auditor_checks_again(client, base, world, auditor):
    drawn = whole_population(client, base, world, auditor, 5)
    url = f"{base}/{drawn['id']}"
    check = drawn["reperformance"]
    assert (drawn["reperformed"], check["same"], check["problem"]) == (True, True, "")
    assert check["population_sha256"] == drawn["population_hash"]
    assert check["checked_by"]["id"]
    for name in ("observer", "viewer", "admin_outside_team"):
        assert client.post(f"{url}/reperformance", headers=world["headers"][name]).status_code == 403
    again = client.post(f"{url}/reperformance", headers=auditor)
    assert again.status_code == 200
    assert again.get_json()["reperformance"]["checked_at"] >= check["checked_at"]
    draft = new_sample(client, base, world, auditor, title="Not drawn")
    assert client.post(f"{base}/{draft['id']}/reperformance", headers=auditor).status_code == 409


def test_a_nul_in_a_rationale_or_a_csv_cell_is_refused_with_422(app, client, base, world, auditor):
    url = f"{base}/{new_sample(client, base, world, auditor)['id']}"
    nul_csv = {"source": "csv", "csv": "id,label\nA,ok\nB,bad\u0000label\n", "id_column": "id", "label_column": "label"}
    refused = client.put(f"{url}/population", json=nul_csv, headers=auditor)
    assert refused.status_code == 422
    assert "U+0000" in refused.get_json()["errors"]["json"]["population"][0]
    client.put(f"{url}/population", json={"source": "typed", "typed": "A-1\nA-2", **CHECKED}, headers=auditor)
    client.put(f"{url}/size", json={"method": "judgemental", "basis": "manual"}, headers=auditor)
    for picks in ({"A-1": "bad\u0000reason"}, {"A-1\u0000": "fine"}):
        answer = client.post(f"{url}/draw", json={"picks": picks}, headers=auditor)
        assert answer.status_code == 422, answer.get_json()
        assert "U+0000" in answer.get_json()["errors"]["json"]["picks"][0]
    assert client.get(url, headers=auditor).get_json()["status"] == "draft"
    snapshots = Path(app.instance_path) / "uploads" / "populations"
    assert len(list(snapshots.iterdir())) == 1  # the typed population's; none for the refused CSV


def test_an_id_longer_than_an_item_stores_is_refused_when_the_population_is_frozen(client, base, world, auditor):
    url = f"{base}/{new_sample(client, base, world, auditor)['id']}"
    long_id = {"source": "typed", "typed": "A-1\n" + "B" * 201}
    refused = client.put(f"{url}/population", json=long_id, headers=auditor)
    assert refused.status_code == 422
    assert "longer than 200 characters on 1 line: 2" in refused.get_json()["errors"]["json"]["population"][0]
    long_label = {"source": "csv", "csv": "id,label\nA," + "L" * 501 + "\n", "id_column": "id", "label_column": "label"}
    refused = client.put(f"{url}/population", json=long_label, headers=auditor)
    assert refused.status_code == 422
    assert "label is longer than 500" in refused.get_json()["errors"]["json"]["population"][0]
    assert client.get(url, headers=auditor).get_json()["population_size"] is None
