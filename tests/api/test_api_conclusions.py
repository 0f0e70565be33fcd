"""The API's preparation, fieldwork warnings, conclusions and reporting gate."""

from __future__ import annotations

import sqlalchemy as sa

from audit_app.extensions import db
from audit_app.models import Audit, ChecklistResponse, ResponseResult, Role
from tests.fixtures.api_planning import S, advance, move, prepare, record_meetings


def test_fieldwork_with_open_warnings_needs_their_confirmation(app, client, lead_headers, audit_id, library):
    prepare(app, audit_id, library)
    url = f"/api/v1/audits/{audit_id}/transitions"
    options = {o["to"]: o for o in client.get(url, headers=lead_headers).get_json()["options"]}
    warnings = options["fieldwork"]["warnings"]
    assert warnings == [
        "No AI system is in scope: the audit will not examine any AI system directly.",
        "No risk to achieving the audit objectives has been assessed.",
        "No documented information has been reviewed in preparation.",
    ]
    refused = client.post(url, headers=lead_headers, json={"to": "fieldwork"})
    assert refused.status_code == 409
    assert refused.get_json()["warnings"] == warnings
    assert client.get(f"/api/v1/audits/{audit_id}", headers=lead_headers).get_json()["status"] == "preparation"
    started = client.post(url, headers=lead_headers, json={"to": "fieldwork", "confirm_warnings": True})
    assert started.status_code == 201


def test_risks_and_document_reviews_through_the_api(client, lead_headers, audit_id, headers_for):
    base = f"/api/v1/audits/{audit_id}"
    risk = {
        "kind": "competence",
        "description": "Nobody on the team knows ML validation.",
        "likelihood": "high",
        "impact": "high",
        "treatment": "Add a data-science technical expert.",
    }
    created = client.post(f"{base}/risks", headers=lead_headers, json=risk)
    assert created.status_code == 201
    assert created.get_json()["level"] == "high"
    changed = client.put(
        f"{base}/risks/{created.get_json()['id']}", headers=lead_headers, json={**risk, "likelihood": "low"}
    )
    assert changed.get_json()["level"] == "medium"
    bad = client.post(f"{base}/risks", headers=lead_headers, json={**risk, "treatment": " "})
    assert bad.status_code == 422
    assert "treatment" in bad.get_json()["errors"]["json"]
    review = {"document": "AI policy", "version": "3.1", "adequacy": "partly_adequate", "reviewed_on": "2026-05-20"}
    assert client.post(f"{base}/documents", headers=lead_headers, json=review).status_code == 422  # notes needed
    done = client.post(f"{base}/documents", headers=lead_headers, json={**review, "notes": "No review date."})
    assert done.status_code == 201
    listed = client.get(f"{base}/preparation", headers=lead_headers).get_json()
    assert [r["kind"] for r in listed["risks"]] == ["competence"]
    assert [(d["document"], d["adequacy"]) for d in listed["documents"]] == [("AI policy", "partly_adequate")]
    assert client.delete(f"{base}/documents/{done.get_json()['id']}", headers=lead_headers).status_code == 204
    assert client.get(f"{base}/preparation", headers=lead_headers).get_json()["documents"] == []
    outsider = headers_for(Role.AUDITOR)
    assert client.get(f"{base}/preparation", headers=outsider).status_code == 403
    assert client.post(f"{base}/risks", headers=headers_for(Role.LEAD_AUDITOR), json=risk).status_code == 403


def test_reporting_is_refused_with_the_list_of_what_is_missing(app, client, lead_headers, audit_id, library):
    advance(app, audit_id, library, S.FIELDWORK)
    record_meetings(app, audit_id)
    base = f"/api/v1/audits/{audit_id}"
    refused = client.post(f"{base}/transitions", headers=lead_headers, json={"to": "reporting"})
    assert refused.status_code == 409
    assert refused.get_json()["missing"] == [
        "Conclude 1 item(s) in scope or mark them not audited: 4.1.",
        "Record the team conference with the audit conclusion.",
    ]
    before = client.get(f"{base}/conclusions", headers=lead_headers).get_json()
    assert (before["planned"], before["achieved"]) == (1, 0)
    assert [i["ref"] for i in before["open"]] == ["4.1"]
    assert before["reporting_blockers"] == refused.get_json()["missing"]

    with app.app_context():
        response = db.session.scalar(sa.select(ChecklistResponse).where(ChecklistResponse.audit_id == audit_id))
        response.result = ResponseResult.NONCONFORMITY
        db.session.commit()
    conference = {
        "held_at": "2026-06-03T12:00:00",
        "participants": "Lead; auditor",
        "fulfilment": "partly_fulfilled",
        "conclusion": "Clause 4.1 is not fulfilled.",
        "areas": [{"area": "4", "fulfilment": "fulfilled", "statement": "Context fine."}],
    }
    contradicted = client.put(f"{base}/conference", headers=lead_headers, json=conference)
    assert contradicted.status_code == 422
    assert "cannot be fulfilled" in contradicted.get_json()["errors"]["json"]["areas"][0]
    conference["areas"][0]["fulfilment"] = "not_fulfilled"
    saved = client.put(f"{base}/conference", headers=lead_headers, json=conference)
    assert saved.status_code == 200, saved.get_json()
    assert saved.get_json()["areas"] == [{"area": "4", "fulfilment": "not_fulfilled", "statement": "Context fine."}]
    after = client.get(f"{base}/conclusions", headers=lead_headers).get_json()
    assert (after["achieved"], after["reporting_blockers"]) == (1, [])
    assert client.post(f"{base}/transitions", headers=lead_headers, json={"to": "reporting"}).status_code == 201


def test_the_conference_waits_for_fieldwork(app, client, lead_headers, audit_id, library):
    move(app, audit_id, S.PREPARATION)
    body = {"held_at": "2026-06-03T12:00:00", "participants": "x", "fulfilment": "fulfilled", "conclusion": "y"}
    refused = client.put(f"/api/v1/audits/{audit_id}/conference", headers=lead_headers, json=body)
    assert refused.status_code == 409
    with app.app_context():
        assert db.session.get(Audit, audit_id).status is S.PREPARATION
