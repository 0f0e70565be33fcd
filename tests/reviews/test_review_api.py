"""The management-review API: plan, record held with inputs, actions life cycle, pack, permissions, stale data."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from audit_app.models.user import Role
from audit_app.services.notifications.reminders import local_now
from audit_app.services.reviews.inputs import INPUT_CODES
from tests.reports.docx_read import all_text, reopen

BASE = "/api/v1/management-reviews"


def _today() -> date:
    return local_now("Europe/London").date()  # the app's ORG_TIMEZONE


@pytest.fixture
def people(make_user, token_for):
    ids = {role: make_user(role) for role in Role}
    ids["owner"] = make_user(Role.VIEWER)
    return {key: (uid, token_for(uid)) for key, uid in ids.items()}


def _held(**overrides):
    day = _today() - timedelta(days=1)
    inputs = [{"code": c, "considered": c not in overrides.get("skip", ()), "summary": f"On {c}"} for c in INPUT_CODES]
    body = {"held_on": day.isoformat(), "attendees": "CEO\nCISO", "decisions": "Add a drift monitor", "inputs": inputs}
    body.update({k: v for k, v in overrides.items() if k != "skip"})
    return body


def test_review_life_cycle(client, people):
    _, lead = people[Role.LEAD_AUDITOR]
    owner_id, owner = people["owner"]
    made = client.post(BASE, json={"title": "Q1 review", "held_on": _today().isoformat()}, headers=lead)
    assert made.status_code == 201, made.json
    review = made.json
    assert review["status"] == "planned"
    assert not review["all_inputs_covered"]
    assert len(review["missing_inputs"]) == 7
    url = f"{BASE}/{review['id']}"

    held = client.put(f"{url}/inputs", json=_held(skip=("b",), revision=review["revision"]), headers=lead)
    assert held.status_code == 200, held.json
    assert held.json["status"] == "held"
    assert held.json["missing_inputs"] == ["Changes in external and internal issues relevant to the AIMS"]
    assert held.json["coverage"].startswith("1 of 7 required inputs not considered")
    # the old revision is stale now
    assert client.put(f"{url}/inputs", json=_held(revision=review["revision"]), headers=lead).status_code == 409
    fixed = client.put(f"{url}/inputs", json=_held(revision=held.json["revision"]), headers=lead)
    assert fixed.json["all_inputs_covered"] is True
    assert fixed.json["coverage"].startswith("Every required input")
    # a held review keeps a date on or before today; its title may change
    future = {"title": "Q1 review", "held_on": (_today() + timedelta(days=5)).isoformat()}
    assert client.put(url, json=future, headers=lead).status_code == 422
    renamed = client.put(url, json={"title": "Q1 review (board)", "held_on": _today().isoformat()}, headers=lead)
    assert renamed.json["title"] == "Q1 review (board)"
    assert renamed.json["status"] == "held"
    inputs = client.get(f"{url}/inputs", headers=owner).json
    assert [i["code"] for i in inputs] == list(INPUT_CODES)
    assert {"label": "CAPA register", "path": "/findings/register"} in inputs[3]["links"]

    due = (_today() + timedelta(days=30)).isoformat()
    action = client.post(
        f"{url}/actions", json={"description": "Buy a monitor", "owner_id": owner_id, "due_on": due}, headers=lead
    ).json
    assert action["status"] == "open"
    assert action["owner"]["id"] == owner_id
    other = client.post(
        f"{url}/actions", json={"description": "Drop it", "owner_id": owner_id, "due_on": due}, headers=lead
    ).json
    # the owner cannot cancel, an outsider viewer cannot complete, the owner can complete
    _, viewer = people[Role.VIEWER]
    assert client.post(f"{url}/actions/{other['id']}/cancel", json={"reason": "x"}, headers=owner).status_code == 403
    assert client.post(f"{url}/actions/{action['id']}/complete", json={"note": "x"}, headers=viewer).status_code == 403
    done = client.post(
        f"{url}/actions/{action['id']}/complete", json={"note": "Installed", "revision": 1}, headers=owner
    )
    assert done.status_code == 200
    assert done.json["status"] == "done"
    assert done.json["completed_on"]
    again = client.post(f"{url}/actions/{action['id']}/complete", json={"note": "Again"}, headers=owner)
    assert again.status_code == 409
    cancelled = client.post(f"{url}/actions/{other['id']}/cancel", json={"reason": "Superseded"}, headers=lead)
    assert cancelled.json["status"] == "cancelled"
    assert cancelled.json["completion_note"] == "Superseded"
    detail = client.get(url, headers=viewer).json
    assert [a["status"] for a in detail["actions"]] == ["done", "cancelled"]  # kept, never deleted
    assert [r["id"] for r in client.get(BASE, headers=viewer).json] == [review["id"]]


def test_roles(client, people):
    _, admin = people[Role.ADMIN]
    _, auditee = people[Role.AUDITEE]
    _, auditor = people[Role.AUDITOR]
    _, viewer = people[Role.VIEWER]
    body = {"title": "Review", "held_on": _today().isoformat()}
    review = client.post(BASE, json=body, headers=admin).json
    for headers in (auditee, auditor, viewer):
        assert client.post(BASE, json=body, headers=headers).status_code == 403
        assert client.put(f"{BASE}/{review['id']}/inputs", json=_held(), headers=headers).status_code == 403
    assert client.get(BASE, headers=auditee).status_code == 403
    assert client.get(f"{BASE}/{review['id']}", headers=auditee).status_code == 403
    assert client.get(f"{BASE}/pack?start=2026-01-01&end=2026-03-31", headers=auditee).status_code == 403
    assert client.get(f"{BASE}/{review['id']}", headers=auditor).status_code == 200


def test_bad_input(client, people):
    _, lead = people[Role.LEAD_AUDITOR]
    auditee_id, _ = people[Role.AUDITEE]
    assert client.post(BASE, json={"title": "", "held_on": "2026-01-01"}, headers=lead).status_code == 422
    assert client.post(BASE, json={"title": "x", "held_on": "9999-01-01"}, headers=lead).status_code == 422
    review = client.post(BASE, json={"title": "x", "held_on": _today().isoformat()}, headers=lead).json
    url = f"{BASE}/{review['id']}"
    future = _held(held_on=(_today() + timedelta(days=3)).isoformat())
    assert client.put(f"{url}/inputs", json=future, headers=lead).status_code == 422
    blank = _held()
    blank["inputs"][0]["summary"] = ""
    refused = client.put(f"{url}/inputs", json=blank, headers=lead)
    assert refused.status_code == 422
    assert client.get(url, headers=lead).json["status"] == "planned"
    wrong = _held()
    wrong["inputs"][0]["code"] = "zz"
    assert client.put(f"{url}/inputs", json=wrong, headers=lead).status_code == 422
    due = _today().isoformat()
    for owner in (auditee_id, 999999):
        made = client.post(f"{url}/actions", json={"description": "d", "owner_id": owner, "due_on": due}, headers=lead)
        assert made.status_code == 422
    assert client.get(f"{BASE}/pack?start=2026-03-01&end=2026-01-01", headers=lead).status_code == 422
    assert client.get(f"{BASE}/pack?start=2026-03-01", headers=lead).status_code == 422
    assert client.get(f"{BASE}/424242", headers=lead).status_code == 404


def test_pack_download(client, people):
    _, viewer = people[Role.VIEWER]
    got = client.get(f"{BASE}/pack?start=2026-01-01&end=2026-03-31&monitoring=Uptime%20%3Cb%3E99%25", headers=viewer)
    assert got.status_code == 200
    assert got.headers["Cache-Control"] == "no-store"
    assert "attachment" in got.headers["Content-Disposition"]
    text = all_text(reopen(got.data))
    assert "Management review input pack" in text
    assert "Uptime <b>99%" in text
