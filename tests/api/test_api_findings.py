"""The findings API: drafting, review and issue, disputes, auditee isolation, bad input, stale edits, paging."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from audit_app.extensions import db
from audit_app.models import Finding, FindingHistory, FindingStatus
from tests.fixtures.findings import Findings

S = FindingStatus


def nc_body(world, **changes) -> dict:
    body = {
        "grade": "minor",
        "title": "Releases without impact assessment",
        "requirement": "Each model release must have a documented AI system impact assessment before deployment.",
        "statement": "Three of the 25 releases in the period went live with no impact assessment on file.",
        "evidence_summary": "Register RR-7 v3 lists 25 releases; R-12, R-15 and R-19 have no assessment.",
        "grade_rationale": "Isolated: the other 22 releases were assessed.",
        "clause_refs": ["4.1"],
        "evidence_ids": [world.evidence_id],
        "response_ids": [world.responses["4.1"]],
        "auditee_unit_id": world.unit_id,
        "process_owner_id": world.auditee_id,
    }
    body.update(changes)
    return body


def made(app, fw_world, target: FindingStatus = S.DRAFT, grade: str = "minor") -> int:
    """A finding brought to `target` through the services; its id."""
    with app.app_context():
        f = Findings(fw_world)
        finding = f.to(f.draft(grade), target)
        db.session.commit()
        return finding.id


def state(app, finding_id: int) -> tuple[FindingStatus, int, int]:
    """Status, version and the number of history entries, read straight from the database."""
    with app.app_context():
        finding = db.session.get(Finding, finding_id)
        entries = db.session.scalar(
            sa.select(sa.func.count()).select_from(FindingHistory).where(FindingHistory.finding_id == finding_id)
        )
        return finding.status, finding.version, entries


def move(client, headers, finding_id: int, action: str, reason: str = ""):
    return client.post(
        f"/api/v1/findings/{finding_id}/moves", json={"action": action, "reason": reason}, headers=headers
    )


# --- drafting, review and issue -----------------------------------------------------------------------------------


def test_an_auditor_drafts_and_the_lead_issues_through_the_api(client, fw_world, as_user):
    w = fw_world
    auditor, lead = as_user(w.auditor_id), as_user(w.lead_id)
    answer = client.post(f"/api/v1/audits/{w.audit_id}/findings", json=nc_body(w), headers=auditor)
    assert answer.status_code == 201, answer.get_json()
    body = answer.get_json()
    assert body["status"] == "draft"
    assert body["reference"] is None
    assert body["clause_refs"] == ["4.1"]
    assert body["evidence_ids"] == [w.evidence_id]
    assert body["quality"] == {"blockers": [], "flags": []}
    assert [o["action"] for o in body["options"]] == ["submit"]
    finding_id = body["id"]

    assert move(client, auditor, finding_id, "submit").get_json()["status"] == "submitted"
    issued = move(client, lead, finding_id, "issue")
    assert issued.status_code == 200
    body = issued.get_json()
    assert body["status"] == "issued"
    assert body["reference"].endswith("-NC-01")
    assert {d["step"] for d in body["dues"]} >= {"acknowledge", "plan"}


def test_quality_flags_are_shown_to_editors_and_overridden_with_a_reason(client, fw_world, as_user):
    w = fw_world
    auditor = as_user(w.auditor_id)
    vague = nc_body(w, statement="Some releases may not always have an impact assessment on file.")
    body = client.post(f"/api/v1/audits/{w.audit_id}/findings", json=vague, headers=auditor).get_json()
    flags = body["quality"]["flags"]
    assert [f["code"] for f in flags] == ["vague:statement"]
    assert flags[0]["override"] == ""
    refused = move(client, auditor, body["id"], "submit")
    assert refused.status_code == 409
    assert "vague" in refused.get_json()["message"]

    override = {"code": "vague:statement", "reason": "The register itself is incomplete; wording is exact."}
    answer = client.post(f"/api/v1/findings/{body['id']}/overrides", json=override, headers=auditor)
    assert answer.status_code == 200
    assert answer.get_json()["quality"]["flags"][0]["override"].startswith("The register")
    assert move(client, auditor, body["id"], "submit").status_code == 200
    # once submitted, the auditor may no longer edit it: no quality check in their view
    assert client.get(f"/api/v1/findings/{body['id']}", headers=auditor).get_json()["quality"] is None


def test_an_nc_without_evidence_is_refused(client, app, fw_world, as_user):
    w = fw_world
    auditor = as_user(w.auditor_id)
    refused = client.post(f"/api/v1/audits/{w.audit_id}/findings", json=nc_body(w, evidence_ids=[]), headers=auditor)
    assert refused.status_code == 422
    assert "evidence_ids" in refused.get_json()["errors"]["json"]
    finding_id = made(app, fw_world, S.DRAFT)
    version = client.get(f"/api/v1/findings/{finding_id}", headers=auditor).get_json()["version"]
    unlinked = client.patch(
        f"/api/v1/findings/{finding_id}", json={"evidence_ids": [], "version": version}, headers=auditor
    )
    assert unlinked.status_code == 422
    assert "evidence_ids" in unlinked.get_json()["errors"]["json"]
    assert client.get(f"/api/v1/findings/{finding_id}", headers=auditor).get_json()["evidence_ids"] == [w.evidence_id]


def test_a_finding_outside_an_audit(client, fw_world, as_user):
    w = fw_world
    body = {
        "grade": "minor",
        "source": "incident",
        "source_reference": "INC-2026-114",
        "occurred_on": "2026-11-20",
        "statement": "The chatbot answered with another customer's data.",
    }
    answer = client.post("/api/v1/findings", json=body, headers=as_user(w.auditor_id))
    assert answer.status_code == 201, answer.get_json()
    got = answer.get_json()
    assert got["audit_id"] is None
    assert got["source"] == "incident"
    assert got["source_reference"] == "INC-2026-114"
    refused = client.post("/api/v1/findings", json={**body, "source": "audit"}, headers=as_user(w.auditor_id))
    assert refused.status_code == 422
    assert "source" in refused.get_json()["errors"]["json"]


def test_the_lead_regrades_and_merges(client, app, fw_world, as_user):
    w = fw_world
    lead = as_user(w.lead_id)
    first, second = made(app, fw_world, S.SUBMITTED), made(app, fw_world, S.SUBMITTED)
    no_reason = client.post(f"/api/v1/findings/{first}/regrade", json={"grade": "major"}, headers=lead)
    assert no_reason.status_code == 422
    assert "reason" in no_reason.get_json()["errors"]["json"]
    regraded = client.post(
        f"/api/v1/findings/{first}/regrade",
        json={"grade": "major", "reason": "Systemic: every pipeline."},
        headers=lead,
    )
    assert regraded.status_code == 200
    assert regraded.get_json()["grade"] == "major"
    by_auditor = client.post(
        f"/api/v1/findings/{second}/regrade", json={"grade": "major", "reason": "r"}, headers=as_user(w.auditor_id)
    )
    assert by_auditor.status_code == 403

    merged = client.post(
        f"/api/v1/findings/{second}/merge", json={"into": first, "reason": "Same cause."}, headers=lead
    )
    assert merged.status_code == 200
    assert merged.get_json()["status"] == "merged"
    assert merged.get_json()["merged_into_id"] == first
    into_itself = client.post(f"/api/v1/findings/{first}/merge", json={"into": first, "reason": "x"}, headers=lead)
    assert into_itself.status_code == 422


# --- who sees what ------------------------------------------------------------------------------------------------


def test_auditees_see_only_issued_findings_of_their_unit(client, app, fw_world, as_user):
    w = fw_world
    draft, issued = made(app, fw_world, S.DRAFT), made(app, fw_world, S.ISSUED)
    with app.app_context():
        f = Findings(w)
        elsewhere = f.draft(auditee_unit_id=w.other_unit_id, process_owner_id=None)
        f.to(elsewhere, S.ISSUED)
        db.session.commit()
        elsewhere_id = elsewhere.id
    auditee, stranger = as_user(w.auditee_id), as_user(w.stranger_id)

    assert client.get(f"/api/v1/findings/{issued}", headers=auditee).status_code == 200
    for finding_id in (draft, elsewhere_id):
        for path in ("", "/history", "/actions"):
            assert client.get(f"/api/v1/findings/{finding_id}{path}", headers=auditee).status_code == 404
    assert client.get(f"/api/v1/findings/{issued}", headers=stranger).status_code == 404
    assert move(client, auditee, draft, "submit").status_code == 404

    listed = client.get("/api/v1/findings", headers=auditee)
    assert [f["id"] for f in listed.get_json()] == [issued]
    assert listed.headers["X-Total-Count"] == "1"
    assert [f["id"] for f in client.get("/api/v1/findings", headers=stranger).get_json()] == [elsewhere_id]
    staff = client.get("/api/v1/findings", headers=as_user(w.auditor_id)).get_json()
    assert {f["id"] for f in staff} == {draft, issued, elsewhere_id}
    # off the team: the issued findings only
    assert {f["id"] for f in client.get("/api/v1/findings", headers=as_user(w.loner_id)).get_json()} == {
        issued,
        elsewhere_id,
    }


def test_auditees_see_no_quality_check_and_no_drafting_history(client, app, fw_world, as_user):
    w = fw_world
    finding_id = made(app, fw_world, S.ISSUED)
    body = client.get(f"/api/v1/findings/{finding_id}", headers=as_user(w.auditee_id)).get_json()
    assert body["quality"] is None
    open_moves = {o["action"]: o["operation"] for o in body["options"] if not o["blockers"]}
    assert open_moves == {"acknowledge": "moves", "dispute": "dispute"}
    theirs = client.get(f"/api/v1/findings/{finding_id}/history", headers=as_user(w.auditee_id)).get_json()
    team = client.get(f"/api/v1/findings/{finding_id}/history", headers=as_user(w.auditor_id)).get_json()
    assert "created" in {e["event"] for e in team}
    assert "created" not in {e["event"] for e in theirs}
    assert any(e["field"] == "reference" for e in theirs)


def test_a_role_outside_the_move_is_refused_and_nothing_changes(client, app, fw_world, as_user):
    w = fw_world
    finding_id = made(app, fw_world, S.SUBMITTED)
    before = state(app, finding_id)
    assert move(client, as_user(w.auditor_id), finding_id, "issue").status_code == 403
    assert move(client, as_user(w.viewer_id), finding_id, "issue").status_code == 403
    assert move(client, as_user(w.lead_id), finding_id, "close").status_code == 409
    assert state(app, finding_id) == before


# --- bad input ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"grade": None}, "grade"),
        ({"title": "Bad\x00title"}, "title"),
        ({"statement": "Control\x07character"}, "statement"),
        ({"statement": "x" * 8001}, "statement"),
        ({"evidence_ids": [2**63]}, "evidence_ids"),
        ({"auditee_unit_id": 0}, "auditee_unit_id"),
        ({"grade": "no such grade"}, "grade"),
        ({"grade": "platinum"}, "grade"),
        ({"clause_refs": ["99.99"]}, "clause_refs"),
        ({"process_owner_id": 2**31 - 1}, "process_owner_id"),
    ],
)
def test_bad_drafts_are_refused_with_field_errors_and_nothing_is_stored(client, app, fw_world, as_user, changes, field):
    w = fw_world
    body = {k: v for k, v in nc_body(w, **changes).items() if v is not None}
    with app.app_context():
        before = db.session.scalar(sa.select(sa.func.count()).select_from(Finding))
    answer = client.post(f"/api/v1/audits/{w.audit_id}/findings", json=body, headers=as_user(w.auditor_id))
    assert answer.status_code == 422, answer.get_json()
    assert field in answer.get_json()["errors"]["json"]
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Finding)) == before


def test_bad_moves_are_refused_with_422_and_nothing_changes(client, app, fw_world, as_user):
    w = fw_world
    lead = as_user(w.lead_id)
    finding_id = made(app, fw_world, S.SUBMITTED)
    before = state(app, finding_id)
    url = f"/api/v1/findings/{finding_id}/moves"
    for body, field in [
        ({}, "action"),
        ({"action": "explode"}, "action"),
        ({"action": "verify_implementation"}, "action"),  # has its own operation
        ({"action": "return"}, "reason"),
        ({"action": "return", "reason": "   "}, "reason"),
        ({"action": "return", "reason": "bad\x00reason"}, "reason"),
        ({"action": "return", "reason": "x" * 4001}, "reason"),
    ]:
        answer = client.post(url, json=body, headers=lead)
        assert answer.status_code == 422, (body, answer.get_json())
        assert field in answer.get_json()["errors"]["json"], body
    assert client.post(url, data="not json", content_type="application/json", headers=lead).status_code == 400
    assert state(app, finding_id) == before
    assert move(client, lead, finding_id, "return", "Add the deviating releases.").get_json()["status"] == "draft"


def test_ids_out_of_range_are_not_found(client, fw_world, as_user):
    headers = as_user(fw_world.auditor_id)
    for url in ("/api/v1/findings/0", f"/api/v1/findings/{2**63}", "/api/v1/findings/999999/history"):
        assert client.get(url, headers=headers).status_code == 404
    assert client.get("/api/v1/findings?audit_id=0", headers=headers).status_code == 422
    assert client.get(f"/api/v1/findings?unit_id={2**63}", headers=headers).status_code == 422
    assert client.get("/api/v1/findings?status=nonsense", headers=headers).status_code == 422


# --- edits and versions -------------------------------------------------------------------------------------------


def test_an_edit_with_a_stale_version_is_refused(client, app, fw_world, as_user):
    w = fw_world
    auditor = as_user(w.auditor_id)
    finding_id = made(app, fw_world, S.DRAFT)
    version = client.get(f"/api/v1/findings/{finding_id}", headers=auditor).get_json()["version"]
    url = f"/api/v1/findings/{finding_id}"
    assert client.patch(url, json={}, headers=auditor).status_code == 422
    assert client.patch(url, json={"title": "No version"}, headers=auditor).status_code == 422
    changed = client.patch(url, json={"title": "Sharper title", "version": version}, headers=auditor)
    assert changed.status_code == 200
    assert changed.get_json()["title"] == "Sharper title"
    assert changed.get_json()["version"] > version
    before = state(app, finding_id)
    stale = client.patch(url, json={"title": "Someone else's", "version": version}, headers=auditor)
    assert stale.status_code == 409
    assert state(app, finding_id) == before
    assert client.get(url, headers=auditor).get_json()["title"] == "Sharper title"


def test_an_issued_finding_is_edited_by_the_lead_with_a_reason(client, app, fw_world, as_user):
    w = fw_world
    lead = as_user(w.lead_id)
    finding_id = made(app, fw_world, S.ISSUED)
    url = f"/api/v1/findings/{finding_id}"
    version = client.get(url, headers=lead).get_json()["version"]
    refused = client.patch(url, json={"site": "Leeds", "version": version}, headers=lead)
    assert refused.status_code == 422
    assert "reason" in refused.get_json()["errors"]["json"]
    by_auditor = client.patch(
        url, json={"site": "Leeds", "version": version, "reason": "r"}, headers=as_user(w.auditor_id)
    )
    assert by_auditor.status_code == 403
    answer = client.patch(url, json={"site": "Leeds", "version": version, "reason": "Site was missing."}, headers=lead)
    assert answer.status_code == 200
    assert answer.get_json()["site"] == "Leeds"
    history = client.get(f"{url}/history?per_page=100", headers=lead).get_json()
    assert {"field": "site", "new_value": "Leeds", "reason": "Site was missing."}.items() <= history[-1].items()


# --- paging -------------------------------------------------------------------------------------------------------


def test_lists_are_paged(client, app, fw_world, as_user):
    headers = as_user(fw_world.auditor_id)
    ids = [made(app, fw_world) for _ in range(3)]
    first = client.get(f"/api/v1/findings?audit_id={fw_world.audit_id}&per_page=2", headers=headers)
    assert first.status_code == 200
    assert first.headers["X-Total-Count"] == "3"
    assert [f["id"] for f in first.get_json()] == sorted(ids, reverse=True)[:2]
    assert 'rel="next"' in first.headers["Link"]
    assert f"audit_id={fw_world.audit_id}" in first.headers["Link"]
    second = client.get(f"/api/v1/findings?audit_id={fw_world.audit_id}&per_page=2&page=2", headers=headers)
    assert [f["id"] for f in second.get_json()] == [min(ids)]
    assert 'rel="next"' not in second.headers["Link"]
    assert client.get("/api/v1/findings?per_page=0", headers=headers).status_code == 422
    assert client.get("/api/v1/findings?per_page=101", headers=headers).status_code == 422
    assert client.get(f"/api/v1/findings?audit_id={fw_world.audit_id}&open=false", headers=headers).get_json() == []
    assert len(client.get("/api/v1/findings?status=draft&grade=minor", headers=headers).get_json()) == 3

    history = client.get(f"/api/v1/findings/{ids[0]}/history?per_page=1", headers=headers)
    assert history.status_code == 200
    assert int(history.headers["X-Total-Count"]) >= 1
    assert len(history.get_json()) == 1
