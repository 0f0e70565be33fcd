"""The corrective-action pages through real HTTP: the auditee's plan and actions, implementation with a file,
verification and the effectiveness review; bad input refused with nothing stored; another unit's auditee gets
404 everywhere. The generic moves (submit / accept / return the plan, mark implemented) go through the finding
page's move buttons.
"""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
import sqlalchemy as sa

from audit_app.extensions import db
from audit_app.models import (
    CapaFile,
    CapaFileDownload,
    CapaPlan,
    CorrectiveAction,
    Finding,
    FindingHistory,
    FindingStatus,
    User,
)
from audit_app.services.findings import dues
from tests.fixtures.findings import Findings

S = FindingStatus
PLAN = {
    "correction": "Assessments completed for R-12, R-15 and R-19.",
    "rca_method": "five_whys",
    "rca_analysis": "Why 1: no assessment. Why 2: the checklist did not ask. Why 3: nobody owned it.",
    "root_cause": "The release workflow has no gate for the impact assessment.",
    "extent_check": "Checked the batch pipeline and the two other units: same gap in the batch pipeline.",
}


def _finding(app, fw_world, state: S = S.ACKNOWLEDGED, grade: str = "minor") -> int:
    with app.app_context():
        f = Findings(fw_world)
        finding = f.to(f.draft(grade), state)
        db.session.commit()
        return finding.id


def _move(app, client, login, finding_id: int, action: str, user_id: int, reason: str = "") -> None:
    """A generic move through the finding page's move button."""
    with app.app_context():
        version = db.session.get(Finding, finding_id).version
    login(user_id)
    data = {"action": action, "version": version, "reason": reason}
    assert client.post(f"/findings/{finding_id}/move", data=data).status_code == 302, action


def _page(client, finding_id: int) -> str:
    response = client.get(f"/findings/{finding_id}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _facts(app, finding_id: int) -> tuple[object, ...]:
    with app.app_context():
        finding = db.session.get(Finding, finding_id)
        count = db.session.scalar(
            sa.select(sa.func.count(FindingHistory.id)).where(FindingHistory.finding_id == finding_id)
        )
        plans = db.session.scalar(sa.select(sa.func.count(CapaPlan.id)).where(CapaPlan.finding_id == finding_id))
        actions = [
            (a.description, a.status, a.implementation_note)
            for a in db.session.scalars(sa.select(CorrectiveAction).where(CorrectiveAction.finding_id == finding_id))
        ]
        files = db.session.scalar(sa.select(sa.func.count(CapaFile.id)).where(CapaFile.finding_id == finding_id))
        return finding.status, finding.version, count, plans, actions, files


def test_the_corrective_action_loop_through_the_pages(app, client, login, fw_world):
    w = fw_world
    fid = _finding(app, w)
    due = (dues.today() + timedelta(days=30)).isoformat()
    login(w.auditee_id)
    assert client.get(f"/findings/{fid}/plan").status_code == 200
    assert client.post(f"/findings/{fid}/plan", data=PLAN).status_code == 302
    page = client.get(f"/findings/{fid}/actions/new").get_data(as_text=True)
    assert "Cole Colleague" in page  # action owners: the organisation's active accounts
    action = {"description": "Add an impact-assessment gate to every pipeline.", "owner": w.colleague_id, "due_on": due}
    assert client.post(f"/findings/{fid}/actions/new", data=action).status_code == 302
    page = _page(client, fid)
    assert "Cycle 1" in page
    assert "Why 1: no assessment." in page
    assert "Add an impact-assessment gate" in page
    _move(app, client, login, fid, "submit_plan", w.auditee_id)
    _move(app, client, login, fid, "return_plan", w.lead_id, reason="Say which pipelines the gate covers.")
    login(w.auditee_id)
    assert "Say which pipelines the gate covers." in _page(client, fid)  # the decision and its reason
    with app.app_context():
        action_id = db.session.scalar(sa.select(CorrectiveAction.id).where(CorrectiveAction.finding_id == fid))
    changed = {**action, "description": "Add the gate to the online and batch pipelines."}
    assert client.post(f"/findings/{fid}/actions/{action_id}", data=changed).status_code == 302
    _move(app, client, login, fid, "submit_plan", w.auditee_id)
    _move(app, client, login, fid, "accept_plan", w.lead_id)

    login(w.colleague_id)  # the action owner
    assert f"/findings/{fid}/actions/{action_id}/implementation" in _page(client, fid)
    upload = {"note": "Gate live since 1 Dec; change CH-88.", "files": (io.BytesIO(b"%PDF-1.4\n% CH-88\n"), "ch88.pdf")}
    response = client.post(
        f"/findings/{fid}/actions/{action_id}/implementation", data=upload, content_type="multipart/form-data"
    )
    assert response.status_code == 302
    _move(app, client, login, fid, "mark_implemented", w.colleague_id)
    login(w.colleague_id)
    with app.app_context():
        file_id = db.session.scalar(sa.select(CapaFile.id).where(CapaFile.finding_id == fid))
    download = client.get(f"/findings/{fid}/files/{file_id}")
    body = download.get_data()
    download.close()
    assert download.status_code == 200
    assert body.startswith(b"%PDF")
    assert download.headers["Cache-Control"] == "no-store"

    login(w.auditor_id)
    assert f"/findings/{fid}/verification" in _page(client, fid)
    assert (
        client.post(f"/findings/{fid}/verification", data={"note": "Saw the gate on R-21 and R-22."}).status_code == 302
    )
    review = {"effective": "yes", "review": "Re-sampled ten releases: all assessed.", "evidence": "Re-sample RS-1"}
    assert client.post(f"/findings/{fid}/effectiveness", data=review).status_code == 302
    with app.app_context():
        finding = db.session.get(Finding, fid)
        assert finding.status is S.CLOSED_EFFECTIVE
        plan = finding.plans[0]
        assert plan.decision.value == "accepted"
        assert plan.rca_analysis.startswith("Why 1")
        assert finding.actions[0].description.startswith("Add the gate to the online")
        assert db.session.scalar(sa.select(sa.func.count(CapaFileDownload.id))) == 1
        events = {h.event for h in finding.history}
        assert {"plan", "action", "file", "verification", "effectiveness", "status"} <= events


def test_the_verifier_who_owns_an_action_is_refused_on_the_page(app, client, login, fw_world):
    fid = _finding(app, fw_world, S.ACKNOWLEDGED)
    with app.app_context():
        f = Findings(fw_world)
        f.to(db.session.get(Finding, fid), S.IMPLEMENTED, action_owner_id=fw_world.second_id)
        db.session.commit()
    login(fw_world.second_id)
    response = client.post(f"/findings/{fid}/verification", data={"note": "Checked my own action."})
    assert response.status_code == 403
    assert "verifier must not be an action owner" in response.get_data(as_text=True)
    assert _facts(app, fid)[0] is S.IMPLEMENTED


BAD_ACTIONS = [
    ({"description": ""}, "description"),
    ({"description": "Add\x07 the gate"}, "description"),
    ({"description": "x" * 5000}, "description"),
    ({"due_on": "2020-01-01"}, "due_on"),
    ({"owner": ""}, "owner"),
]


@pytest.mark.parametrize(("change", "field"), BAD_ACTIONS, ids=["empty", "control", "huge", "past", "no-owner"])
def test_bad_actions_are_refused_and_nothing_is_stored(app, client, login, fw_world, change, field):
    fid = _finding(app, fw_world)
    before = _facts(app, fid)
    login(fw_world.auditee_id)
    good = {"description": "Add the gate.", "owner": fw_world.colleague_id, "due_on": dues.today().isoformat()}
    response = client.post(f"/findings/{fid}/actions/new", data={**good, **change})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "There is a problem" in page
    assert f'id="{field}-error"' in page
    assert _facts(app, fid) == before


def test_bad_plan_and_wrong_file_type_are_refused(app, client, login, fw_world):
    fid = _finding(app, fw_world)
    before = _facts(app, fid)
    login(fw_world.auditee_id)
    for bad in ({"root_cause": "cause\x00"}, {"extent_check": "x" * 20000}):
        response = client.post(f"/findings/{fid}/plan", data={**PLAN, **bad})
        assert response.status_code == 400
        assert "There is a problem" in response.get_data(as_text=True)
    assert _facts(app, fid) == before
    with app.app_context():
        f = Findings(fw_world)
        f.to(db.session.get(Finding, fid), S.PLAN_ACCEPTED)
        db.session.commit()
        action_id = db.session.scalar(sa.select(CorrectiveAction.id).where(CorrectiveAction.finding_id == fid))
    before = _facts(app, fid)
    login(fw_world.colleague_id)
    upload = {"note": "Done.", "files": (io.BytesIO(b"MZ\x90\x00binary"), "tool.exe")}
    response = client.post(
        f"/findings/{fid}/actions/{action_id}/implementation", data=upload, content_type="multipart/form-data"
    )
    assert response.status_code == 400
    assert "There is a problem" in response.get_data(as_text=True)
    assert _facts(app, fid) == before


def test_another_units_auditee_gets_404_on_every_capa_route(app, client, login, fw_world):
    fid = _finding(app, fw_world, S.PLAN_ACCEPTED)
    with app.app_context():
        action_id = db.session.scalar(sa.select(CorrectiveAction.id).where(CorrectiveAction.finding_id == fid))
        finding = db.session.get(Finding, fid)
        owner = db.session.get(User, fw_world.auditee_id)
        from audit_app.models import FilePurpose
        from audit_app.services.findings import capa

        file_id = capa.add_file(finding, "note.txt", b"done", purpose=FilePurpose.CORRECTION, actor=owner).id
        db.session.commit()
    before = _facts(app, fid)
    login(fw_world.stranger_id)
    paths = [
        "dispute",
        "dispute/answer",
        "plan",
        "actions/new",
        f"actions/{action_id}",
        f"actions/{action_id}/cancel",
        f"actions/{action_id}/implementation",
        "verification",
        "effectiveness",
        "consideration",
    ]
    for path in paths:
        for method in ("GET", "POST"):
            response = client.open(f"/findings/{fid}/{path}", method=method, data={"reason": "x", "note": "x"})
            assert response.status_code in (403, 404), f"{method} {path}"
            if response.status_code == 403:  # the role gate: a page of the auditors (answer, verify, effectiveness)
                assert path in ("dispute/answer", "verification", "effectiveness"), path
    assert client.get(f"/findings/{fid}/files/{file_id}").status_code == 404
    login(fw_world.colleague_id)  # the same routes answer for a person of the unit
    response = client.get(f"/findings/{fid}/files/{file_id}")
    response.close()
    assert response.status_code == 200
    assert _facts(app, fid) == before


def test_dispute_and_its_answer_through_the_pages(app, client, login, fw_world):
    w = fw_world
    fid = _finding(app, w, S.ISSUED, grade="major")
    login(w.auditee_id)
    assert f"/findings/{fid}/dispute" in _page(client, fid)
    assert client.post(f"/findings/{fid}/dispute", data={"reason": ""}).status_code == 400
    reasons = {"reason": "One release only: the other 24 were assessed."}
    assert client.post(f"/findings/{fid}/dispute", data=reasons).status_code == 302
    login(w.auditor_id)  # not the lead: refused
    assert client.get(f"/findings/{fid}/dispute/answer").status_code == 403
    login(w.lead_id)
    page = _page(client, fid)
    assert "One release only" in page
    assert f"/findings/{fid}/dispute/answer" in page
    no_grade = {"answer": "regrade", "reason": "Agreed.", "grade": ""}
    assert client.post(f"/findings/{fid}/dispute/answer", data=no_grade).status_code == 409
    answer = {"answer": "regrade", "grade": "minor", "rationale": "Isolated.", "reason": "Agreed: isolated."}
    assert client.post(f"/findings/{fid}/dispute/answer", data=answer).status_code == 302
    with app.app_context():
        finding = db.session.get(Finding, fid)
        assert (finding.status, finding.grade) == (S.ISSUED, "minor")
        assert finding.disputes[0].resolution == "Agreed: isolated."
    login(w.auditee_id)
    page = _page(client, fid)
    assert "Agreed: isolated." in page
    assert "Accepted" in page


def test_an_observation_is_considered_on_its_page(app, client, login, fw_world):
    fid = _finding(app, fw_world, S.ISSUED, grade="observation")
    login(fw_world.auditee_id)
    assert f"/findings/{fid}/consideration" in _page(client, fid)
    declined = {"outcome": "declined", "note": ""}
    assert client.post(f"/findings/{fid}/consideration", data=declined).status_code == 400
    declined["note"] = "The risk is accepted until the 2027 review."
    assert client.post(f"/findings/{fid}/consideration", data=declined).status_code == 302
    page = _page(client, fid)
    assert "Declined" in page
    assert "The risk is accepted until the 2027 review." in page
