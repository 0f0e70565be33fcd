"""The corrective-action loop through the API: plan and actions, implementation evidence, verification,
effectiveness, reopening; file downloads and who may make them."""

from __future__ import annotations

import io
from datetime import timedelta

import sqlalchemy as sa

from audit_app.extensions import db
from audit_app.models import CapaFileDownload, CorrectiveAction, FindingStatus
from audit_app.services.findings import dues
from tests.api.test_api_findings import made, move, nc_body, state

S = FindingStatus
PLAN = {
    "correction": "Impact assessments completed for R-12, R-15 and R-19.",
    "rca_method": "five_whys",
    "rca_analysis": "Why no assessment? The release checklist did not ask for one. Why? It predates the policy.",
    "root_cause": "The release workflow has no gate for the impact assessment.",
    "extent_check": "Checked the batch pipeline too: same gap, covered by the action.",
}


def due(days: int = 30) -> str:
    return (dues.today() + timedelta(days=days)).isoformat()


def test_the_whole_loop_from_draft_to_closed_effective(client, fw_world, as_user):
    w = fw_world
    auditor, lead = as_user(w.auditor_id), as_user(w.lead_id)
    auditee, colleague = as_user(w.auditee_id), as_user(w.colleague_id)
    finding_id = client.post(f"/api/v1/audits/{w.audit_id}/findings", json=nc_body(w), headers=auditor).get_json()["id"]
    url = f"/api/v1/findings/{finding_id}"
    assert move(client, auditor, finding_id, "submit").status_code == 200
    assert move(client, lead, finding_id, "issue").status_code == 200
    assert move(client, auditee, finding_id, "acknowledge").get_json()["status"] == "acknowledged"

    plan = client.put(f"{url}/plan", json=PLAN, headers=auditee)
    assert plan.status_code == 200
    assert plan.get_json()["plan"]["root_cause"] == PLAN["root_cause"]
    blocked = move(client, auditee, finding_id, "submit_plan")
    assert blocked.status_code == 409
    assert "action" in blocked.get_json()["message"]
    added = client.post(
        f"{url}/actions",
        json={"description": "Add an impact-assessment gate.", "owner_id": w.colleague_id, "due_on": due()},
        headers=auditee,
    )
    assert added.status_code == 201, added.get_json()
    action_id = added.get_json()["id"]
    assert added.get_json()["owner"]["id"] == w.colleague_id
    assert move(client, auditee, finding_id, "submit_plan").get_json()["status"] == "plan_submitted"
    accepted = move(client, lead, finding_id, "accept_plan")
    assert accepted.get_json()["status"] == "plan_accepted"
    assert accepted.get_json()["plan"]["decision"] == "accepted"

    done = client.post(
        f"{url}/actions/{action_id}/implementation", json={"note": "Gate live; change CH-88."}, headers=colleague
    )
    assert done.status_code == 200
    assert done.get_json()["status"] == "implemented"
    assert move(client, colleague, finding_id, "mark_implemented").get_json()["status"] == "implemented"
    verified = client.post(f"{url}/verification", json={"note": "R-21 and R-22 passed the gate."}, headers=auditor)
    assert verified.status_code == 200
    assert verified.get_json()["status"] == "verified"
    closed = client.post(
        f"{url}/effectiveness",
        json={"effective": True, "review": "Re-sampled 10 releases: all assessed.", "evidence": "Sample RS-2"},
        headers=auditor,
    )
    assert closed.status_code == 200
    body = closed.get_json()
    assert body["status"] == "closed_effective"
    assert body["options"] == []

    history = client.get(f"{url}/history?per_page=100", headers=auditor).get_json()
    statuses = [e["new_value"] for e in history if e["event"] == "status"]
    assert statuses == [
        "submitted",
        "issued",
        "acknowledged",
        "plan_submitted",
        "plan_accepted",
        "implemented",
        "verified",
        "closed_effective",
    ]
    assert all(e["actor"] is not None for e in history if e["event"] == "status")


def test_the_verifier_must_not_own_an_action(client, app, fw_world, as_user):
    w = fw_world
    with app.app_context():
        from tests.fixtures.findings import Findings

        f = Findings(w)
        finding = f.to(f.draft(), S.IMPLEMENTED, action_owner_id=w.auditor_id)
        db.session.commit()
        finding_id = finding.id
    url = f"/api/v1/findings/{finding_id}"
    before = state(app, finding_id)
    refused = client.post(f"{url}/verification", json={"note": "Checked."}, headers=as_user(w.auditor_id))
    assert refused.status_code == 403
    assert "action owner" in refused.get_json()["message"]
    assert state(app, finding_id) == before
    assert client.post(f"{url}/verification", json={"note": ""}, headers=as_user(w.second_id)).status_code == 422
    ok = client.post(f"{url}/verification", json={"note": "Checked."}, headers=as_user(w.second_id))
    assert ok.status_code == 200


def test_a_major_needs_effectiveness_evidence_and_not_effective_reopens(client, app, fw_world, as_user):
    w = fw_world
    finding_id = made(app, fw_world, S.VERIFIED, grade="major")
    url = f"/api/v1/findings/{finding_id}"
    auditor = as_user(w.auditor_id)
    no_evidence = client.post(f"{url}/effectiveness", json={"effective": True, "review": "Fine."}, headers=auditor)
    assert no_evidence.status_code == 409
    assert "evidence" in no_evidence.get_json()["message"]
    assert client.post(f"{url}/effectiveness", json={"review": "x"}, headers=auditor).status_code == 422
    reopened = client.post(
        f"{url}/effectiveness", json={"effective": False, "review": "R-40 shipped without one."}, headers=auditor
    )
    assert reopened.status_code == 200
    body = reopened.get_json()
    assert body["status"] == "reopened"
    assert body["cycle"] == 2
    assert body["plan"] is None
    assert body["actions"] == []
    # the first cycle's action stays listed beside the new cycle's
    auditee = as_user(w.auditee_id)
    client.put(f"{url}/plan", json=PLAN, headers=auditee)
    client.post(
        f"{url}/actions",
        json={"description": "Block releases.", "owner_id": w.auditee_id, "due_on": due()},
        headers=auditee,
    )
    listed = client.get(f"{url}/actions", headers=auditee)
    assert [a["cycle"] for a in listed.get_json()] == [1, 2]
    assert listed.headers["X-Total-Count"] == "2"


def test_plan_and_actions_bad_input_is_refused_and_nothing_changes(client, app, fw_world, as_user):
    w = fw_world
    finding_id = made(app, fw_world, S.ISSUED)
    url = f"/api/v1/findings/{finding_id}"
    auditee = as_user(w.auditee_id)
    assert client.put(f"{url}/plan", json=PLAN, headers=auditee).status_code == 409  # not acknowledged yet
    move(client, auditee, finding_id, "acknowledge")
    before = state(app, finding_id)
    for body, field in [
        ({}, "correction"),
        ({**PLAN, "rca_method": "tea leaves"}, "rca_method"),
        ({**PLAN, "root_cause": "bad\x00cause"}, "root_cause"),
        ({**PLAN, "extent_check": "x" * 16001}, "extent_check"),
    ]:
        answer = client.put(f"{url}/plan", json=body, headers=auditee)
        assert answer.status_code == 422, body
        assert field in answer.get_json()["errors"]["json"], body
    good = {"description": "Gate.", "owner_id": w.colleague_id, "due_on": due()}
    for body, field in [
        ({}, "description"),
        ({**good, "description": ""}, "description"),
        ({**good, "owner_id": 2**63}, "owner_id"),
        ({**good, "owner_id": 999999}, "owner_id"),
        ({**good, "due_on": due(-1)}, "due_on"),
        ({**good, "due_on": "not a date"}, "due_on"),
    ]:
        answer = client.post(f"{url}/actions", json=body, headers=auditee)
        assert answer.status_code == 422, body
        assert field in answer.get_json()["errors"]["json"], body
    assert state(app, finding_id) == before
    assert client.get(f"{url}/actions", headers=auditee).get_json() == []
    # the lead reads the plan but does not write it
    assert client.put(f"{url}/plan", json=PLAN, headers=as_user(w.lead_id)).status_code == 403


def test_actions_are_changed_and_cancelled_with_a_reason(client, app, fw_world, as_user):
    w = fw_world
    finding_id = made(app, fw_world, S.ISSUED)
    url = f"/api/v1/findings/{finding_id}"
    auditee = as_user(w.auditee_id)
    move(client, auditee, finding_id, "acknowledge")
    action_id = client.post(
        f"{url}/actions", json={"description": "Gate.", "owner_id": w.colleague_id, "due_on": due()}, headers=auditee
    ).get_json()["id"]
    assert client.patch(f"{url}/actions/{action_id}", json={}, headers=auditee).status_code == 422
    changed = client.patch(f"{url}/actions/{action_id}", json={"due_on": due(40)}, headers=auditee)
    assert changed.status_code == 200
    assert changed.get_json()["due_on"] == due(40)
    assert changed.get_json()["description"] == "Gate."
    assert client.post(f"{url}/actions/{action_id}/cancel", json={}, headers=auditee).status_code == 422
    cancelled = client.post(f"{url}/actions/{action_id}/cancel", json={"reason": "Duplicate."}, headers=auditee)
    assert cancelled.status_code == 200
    assert cancelled.get_json()["status"] == "cancelled"
    assert client.patch(f"{url}/actions/{action_id}", json={"due_on": due(50)}, headers=auditee).status_code == 409
    assert client.patch(f"{url}/actions/999999", json={"due_on": due(50)}, headers=auditee).status_code == 404


def test_implementation_files_are_uploaded_and_downloaded_by_those_who_see_the_finding(client, app, fw_world, as_user):
    w = fw_world
    finding_id = made(app, fw_world, S.PLAN_ACCEPTED)
    url = f"/api/v1/findings/{finding_id}"
    with app.app_context():
        action_id = db.session.scalar(sa.select(CorrectiveAction.id).where(CorrectiveAction.finding_id == finding_id))
    colleague = as_user(w.colleague_id)
    assert (
        client.post(f"{url}/actions/{action_id}/implementation", json={"note": ""}, headers=colleague).status_code
        == 422
    )
    by_stranger = client.post(
        f"{url}/actions/{action_id}/implementation", json={"note": "x"}, headers=as_user(w.stranger_id)
    )
    assert by_stranger.status_code == 404
    by_auditor = client.post(
        f"{url}/actions/{action_id}/implementation", json={"note": "x"}, headers=as_user(w.auditor_id)
    )
    assert by_auditor.status_code == 403
    bad_file = client.post(
        f"{url}/actions/{action_id}/implementation",
        data={"note": "Done.", "file": (io.BytesIO(b"MZ\x90\x00binary"), "change.pdf")},
        headers=colleague,
        content_type="multipart/form-data",
    )
    assert bad_file.status_code == 422
    assert "file" in bad_file.get_json()["errors"]["json"]
    uploaded = client.post(
        f"{url}/actions/{action_id}/implementation",
        data={"note": "Gate live.", "file": (io.BytesIO(b"Change CH-88 approved.\n"), "change.txt")},
        headers=colleague,
        content_type="multipart/form-data",
    )
    assert uploaded.status_code == 200, uploaded.get_json()
    (file,) = uploaded.get_json()["files"]
    assert file["name"] == "change.txt"
    assert file["purpose"] == "implementation"

    auditee = as_user(w.auditee_id)
    download = client.get(f"{url}/files/{file['id']}", headers=auditee, buffered=True)
    assert download.status_code == 200
    assert download.data == b"Change CH-88 approved.\n"
    assert download.headers["Cache-Control"] == "no-store"
    assert "attachment" in download.headers["Content-Disposition"]
    assert client.get(f"{url}/files/{file['id']}", headers=as_user(w.stranger_id)).status_code == 404
    assert client.get(f"{url}/files/999999", headers=auditee).status_code == 404
    other = made(app, fw_world, S.ISSUED)
    assert client.get(f"/api/v1/findings/{other}/files/{file['id']}", headers=auditee).status_code == 404
    with app.app_context():
        logged = db.session.scalars(sa.select(CapaFileDownload).where(CapaFileDownload.file_id == file["id"])).all()
        assert [d.user_id for d in logged] == [w.auditee_id]
    assert client.get(url, headers=auditee).get_json()["files"][0]["id"] == file["id"]
