"""The auditee's side: the home page (open findings, owned actions, due dates, overdue in words), the evidence
files an issued finding cites, and the diverging opinions of the closing meeting."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import sqlalchemy as sa
from sqlalchemy import event

from audit_app.extensions import db
from audit_app.models import (
    Audit,
    EvidenceDownload,
    Finding,
    FindingStatus,
    MeetingKind,
    User,
)
from audit_app.services import accounts
from audit_app.services.findings import disputes, dues, portal
from audit_app.services.planning import meetings
from tests.fixtures.findings import Findings

S = FindingStatus


def _download(client, url: str, **kwargs) -> int:
    response = client.get(url, **kwargs)
    response.get_data()
    response.close()
    return response.status_code


def test_an_auditee_downloads_only_files_cited_by_an_issued_finding_of_theirs(app, client, login, fw_world):
    w = fw_world
    cited = f"/audits/{w.audit_id}/evidence/files/{w.file_id}"
    elsewhere = f"/audits/{w.audit_id}/evidence/files/{w.other_file_id}"
    with app.app_context():
        token = accounts.create_token(db.session.get(User, w.auditee_id), "portal", actor=None)[1]
        db.session.commit()
    api = {"Authorization": f"Bearer {token}"}
    login(w.auditee_id)
    assert _download(client, cited) == 404  # cited by nothing yet
    with app.app_context():
        f = Findings(w)
        mine = f.draft()
        theirs = f.draft(
            evidence_ids=[w.other_evidence_id],
            response_ids=[w.responses["4.2"]],
            auditee_unit_id=w.other_unit_id,
            process_owner_id=w.stranger_id,
        )
        f.to(theirs, S.ISSUED)
        db.session.commit()
        mine_id = mine.id
    assert _download(client, cited) == 404  # cited only by a draft
    assert _download(client, f"/api/v1/audits/{w.audit_id}/evidence/files/{w.file_id}", headers=api) == 404
    assert _download(client, elsewhere) == 404  # cited by another unit's finding
    with app.app_context():
        Findings(w).to(db.session.get(Finding, mine_id), S.ISSUED)
        db.session.commit()
    assert _download(client, cited) == 200
    assert _download(client, f"/api/v1/audits/{w.audit_id}/evidence/files/{w.file_id}", headers=api) == 200
    assert _download(client, elsewhere) == 404
    assert _download(client, f"/audits/{w.audit_id}/evidence/files/{w.file_id + 999}") == 404
    login(w.stranger_id)
    assert _download(client, elsewhere) == 200
    assert _download(client, cited) == 404
    with app.app_context():
        logged = [
            (d.file_id, d.user_id)
            for d in db.session.scalars(sa.select(EvidenceDownload).order_by(EvidenceDownload.id))
        ]
    assert logged == [(w.file_id, w.auditee_id), (w.file_id, w.auditee_id), (w.other_file_id, w.stranger_id)]


def test_the_auditee_home_shows_open_findings_and_owned_actions(app, client, login, fw_world):
    w = fw_world
    with app.app_context():
        f = Findings(w)
        issued = f.to(f.draft("major"), S.ISSUED)
        planned = f.to(f.draft(), S.PLAN_SUBMITTED)  # the action is owned by the colleague
        f.draft()  # a draft: never on an auditee's home
        theirs = f.draft(auditee_unit_id=w.other_unit_id, process_owner_id=w.stranger_id, title="Stranger's finding")
        f.to(theirs, S.ISSUED)
        due = dues.next_due(issued)
        due.due_on = dues.today() - timedelta(days=1)  # the acknowledgement is late
        db.session.commit()
        refs = (issued.reference, planned.reference, theirs.reference)
        action = planned.actions[0].description
    login(w.auditee_id)
    page = client.get("/").get_data(as_text=True)
    assert refs[0] in page
    assert refs[1] in page
    assert refs[2] not in page
    assert "Major nonconformity" in page
    assert "Issued" in page
    assert "! Overdue" in page
    assert "Draft finding" not in page
    login(w.colleague_id)
    page = client.get("/").get_data(as_text=True)
    assert "Actions you own" in page
    assert action in page
    login(w.stranger_id)
    page = client.get("/").get_data(as_text=True)
    assert refs[2] in page
    assert refs[0] not in page
    login(w.lead_id)
    assert "Your unit's open findings" not in client.get("/").get_data(as_text=True)


def test_the_home_reads_a_fixed_number_of_queries(app, fw_world):
    with app.app_context():
        f = Findings(fw_world)
        auditee = db.session.get(User, fw_world.colleague_id)

        def count() -> int:
            seen: list[str] = []
            listener = lambda *args: seen.append(args[2])  # noqa: E731
            event.listen(db.engine, "before_cursor_execute", listener)
            try:
                db.session.expire_all()
                home = portal.home(db.session.get(User, auditee.id))
                assert home is not None
                [(r.grade, r.next_due) for r in home.findings]
                [r.finding.reference for r in home.actions]
            finally:
                event.remove(db.engine, "before_cursor_execute", listener)
            return len(seen)

        f.to(f.draft(), S.PLAN_SUBMITTED)
        db.session.commit()
        few = count()
        for _ in range(3):
            f.to(f.draft(), S.PLAN_SUBMITTED)
        db.session.commit()
        assert count() == few


def test_an_open_dispute_at_the_closing_meeting_is_a_diverging_opinion(app, client, login, fw_world):
    w = fw_world
    with app.app_context():
        f = Findings(w)
        lead = db.session.get(User, w.lead_id)
        finding = f.to(f.draft(), S.ISSUED)
        disputes.dispute(finding, reason="Release R-12 was a research build.", actor=db.session.get(User, w.auditee_id))
        audit = db.session.get(Audit, w.audit_id)
        meetings.record_meeting(
            audit,
            MeetingKind.CLOSING,
            meetings.MeetingData(held_at=datetime.combine(audit.end_date, time(15)), attendees="Lena Lead"),
            actor=lead,
        )
        db.session.commit()
        assert finding.disputes[0].is_diverging_opinion
        ref = finding.reference
        assert any(h.field == "diverging_opinion" for h in finding.history)
    login(w.lead_id)
    for url in (f"/audits/{w.audit_id}/meetings/closing", f"/audits/{w.audit_id}"):
        page = client.get(url).get_data(as_text=True)
        for expected in (ref, "Release R-12 was a research build.", "Not resolved yet."):
            assert expected in page, url
    with app.app_context():
        finding = db.session.scalar(sa.select(Finding).where(Finding.reference == ref))
        disputes.maintain(finding, reason="R-12 went to production.", actor=db.session.get(User, w.lead_id))
        db.session.commit()
    page = client.get(f"/audits/{w.audit_id}/meetings/closing").get_data(as_text=True)
    assert "R-12 went to production." in page
    assert "Maintained" in page
    response = client.get(f"/api/v1/audits/{w.audit_id}/meetings/closing", headers=_api(app, w.lead_id))
    (opinion,) = response.get_json()["diverging"]
    assert (opinion["reference"], opinion["status"]) == (ref, "maintained")


def _api(app, user_id: int) -> dict[str, str]:
    with app.app_context():
        token = accounts.create_token(db.session.get(User, user_id), "t", actor=None)[1]
        db.session.commit()
    return {"Authorization": f"Bearer {token}"}
