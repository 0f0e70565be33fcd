"""GET /api/v1/readiness (as_of optional) and the snapshots list and create."""

from __future__ import annotations

from datetime import date, timedelta

from flask import Flask

from audit_app.extensions import db
from audit_app.models.base import utcnow
from tests.readiness.conftest import People
from tests.readiness.world import ReadyWorld


def test_the_summary_gives_verdicts_rules_and_blockers(
    app: Flask, client, token_for, ready: tuple[ReadyWorld, People]
) -> None:
    world, people = ready
    headers = token_for(people.viewer)
    body = client.get("/api/v1/readiness?as_of=2026-06-01", headers=headers).get_json()
    assert body["as_of"] == "2026-06-01"
    assert body["stage1"]["ready"] is True
    assert body["stage2"]["ready"] is True
    assert [r["code"] for r in body["stage1"]["rules"]] == [
        "S1-DOCS",
        "S1-SOA",
        "S1-INVENTORY",
        "S1-PROGRAMME",
        "S1-REVIEW",
    ]
    assert len(body["stage2"]["rules"]) == 9
    assert body["blockers"] == []
    inventory = body["stage1"]["rules"][2]
    assert inventory["records"] == [{"label": "Credit scorer", "url": f"/organisation/ai-systems/{world.system_id}"}]
    with app.app_context():
        world.finding("major", date(2026, 6, 10), reference="IA-T-NC-09")
        db.session.commit()
    today = client.get("/api/v1/readiness", headers=headers).get_json()
    assert today["as_of"] == utcnow().date().isoformat()
    assert today["stage2"]["ready"] is False
    assert today["blockers"] == ["S2-MAJORS: IA-T-NC-09 is open (issued)."]
    majors = next(r for r in today["stage2"]["rules"] if r["code"] == "S2-MAJORS")
    assert majors["passed"] is False
    assert majors["blockers"] == ["IA-T-NC-09 is open (issued)."]
    assert client.get("/api/v1/readiness?as_of=2026-06-01", headers=headers).get_json()["stage2"]["ready"] is True


def test_bad_and_future_days_are_refused(client, token_for, ready: tuple[ReadyWorld, People]) -> None:
    _, people = ready
    headers = token_for(people.admin)
    assert client.get("/api/v1/readiness?as_of=1-2-3", headers=headers).status_code == 422
    future = (utcnow().date() + timedelta(days=1)).isoformat()
    refused = client.get(f"/api/v1/readiness?as_of={future}", headers=headers)
    assert refused.status_code == 422
    assert "future" in str(refused.get_json())
    post = client.post("/api/v1/readiness/snapshots", json={"as_of": future}, headers=headers)
    assert post.status_code == 422
    assert client.get("/api/v1/readiness/snapshots", headers=headers).get_json() == []


def test_snapshots_are_created_and_listed(client, token_for, ready: tuple[ReadyWorld, People]) -> None:
    _, people = ready
    lead = token_for(people.lead)
    created = client.post(
        "/api/v1/readiness/snapshots", json={"as_of": "2026-06-01", "note": "Board pack"}, headers=lead
    )
    assert created.status_code == 201
    snap = created.get_json()
    assert snap["as_of"] == "2026-06-01"
    assert snap["stage1_ready"] is True
    assert snap["stage2_ready"] is True
    assert snap["blocker_count"] == 0
    assert snap["note"] == "Board pack"
    assert snap["payload"]["stage2"]["ready"] is True
    listed = client.get("/api/v1/readiness/snapshots", headers=token_for(people.viewer)).get_json()
    assert [s["id"] for s in listed] == [snap["id"]]
    assert client.post("/api/v1/readiness/snapshots", json={}, headers=lead).status_code == 422


def test_auditees_auditors_and_management_writes_are_refused(
    client, token_for, ready: tuple[ReadyWorld, People]
) -> None:
    _, people = ready
    for user_id in (people.auditee, people.auditor):
        headers = token_for(user_id)
        assert client.get("/api/v1/readiness", headers=headers).status_code == 403
        assert client.get("/api/v1/readiness/snapshots", headers=headers).status_code == 403
    viewer = token_for(people.viewer)
    assert client.post("/api/v1/readiness/snapshots", json={"as_of": "2026-06-01"}, headers=viewer).status_code == 403


def test_records_link_to_their_pages(client, token_for, ready: tuple[ReadyWorld, People]) -> None:
    world, people = ready
    body = client.get("/api/v1/readiness?as_of=2026-06-01", headers=token_for(people.admin)).get_json()
    records = {r["code"]: r["records"] for r in (*body["stage1"]["rules"], *body["stage2"]["rules"])}
    assert records["S1-SOA"] == [{"label": "SoA version 1", "url": f"/soa/{world.soa_id}"}]
    assert records["S2-REVIEW"][0]["url"] == f"/management-reviews/{world.review_id}"
    assert records["S2-COMPETENCE"][0]["url"].startswith("/documents-register/")
    assert records["S1-PROGRAMME"][0]["url"] == f"/programmes/{world.programme_id}"
