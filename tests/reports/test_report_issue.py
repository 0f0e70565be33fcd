"""Issuing a report from the audit's report page: refusals that list what is missing, the issue control, frozen
bytes with their SHA-256, re-issue as version 2 with a change note, verification of the report and its evidence,
and bad input (future dates, empty distribution, control characters, a stale CSRF token) that changes nothing.

`issuable` builds, through the services, an audit in reporting with every item concluded, the team conference,
both meetings, the sampling statement and one issued nonconformity citing an evidence file: ready to issue.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask

from audit_app.extensions import db
from audit_app.models import (
    AuditMeeting,
    AuditStatus,
    ChecklistResponse,
    EvidenceFile,
    FindingStatus,
    IssuedReport,
    MeetingKind,
    ReportDownload,
    ReportSettings,
    ResponseResult,
    Role,
    utcnow,
)
from audit_app.services.planning import lifecycle
from audit_app.services.reports import issuing
from tests.fixtures.conclusions import conclude
from tests.fixtures.fieldwork_pages import text
from tests.fixtures.findings import Findings, FindingsWorld
from tests.fixtures.planning import Planning
from tests.reports.docx_read import all_text, reopen

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
DISTRIBUTION = "Chief Risk Officer\nHead of Model Operations"


@dataclass(frozen=True)
class Issuable:
    world: FindingsWorld
    audit_id: int
    lead_id: int
    reviewer_id: int  # an active administrator
    approver_id: int  # management (viewer account)
    inactive_id: int  # a deactivated account
    nc_id: int
    nc_reference: str


def build_issuable(app: Flask, library: int, world: FindingsWorld, *, ready: bool = True) -> Issuable:
    """Bring the findings world's audit to reporting, ready to issue (or, with ready=False, with a finding left in
    draft and no closing meeting)."""
    with app.app_context():
        f = Findings(world)
        audit, lead = f.audit, f.user(world.lead_id)
        audit.objectives = "Determine whether model releases conform to ISO/IEC 42001."
        audit.client = "Board risk committee"
        nc = f.to(f.draft("minor"), FindingStatus.ISSUED)
        if not ready:
            f.draft("observation", title="Still a draft", clause_refs=["4.2"], response_ids=[world.responses["4.2"]])
        nc_response = db.session.get(ChecklistResponse, world.responses["4.1"])
        nc_response.result = ResponseResult.NONCONFORMITY  # setup: the verdict rules are tested in fieldwork
        conclude(audit, lead)
        plan = Planning(library)
        if ready:
            plan.record_meetings(audit)
        else:
            held = datetime.combine(audit.start_date, time(9))
            audit.meetings.append(AuditMeeting(kind=MeetingKind.OPENING, held_at=held, attendees="All"))
        db.session.flush()
        if ready:
            lifecycle.transition(audit, AuditStatus.REPORTING, actor=lead)
            issuing.save_settings(
                lead,
                audit,
                issuing.SettingsInput("Confidential", "The audit evidence was a sample.", DISTRIBUTION, ""),
            )
        else:
            audit.status = AuditStatus.REPORTING  # setup: the reporting gate is tested with the life cycle
        reviewer = plan.user(Role.ADMIN, name="Rita Reviewer")
        approver = plan.user(Role.VIEWER, name="Mona Manager")
        inactive = plan.user(Role.VIEWER, name="Gone Manager", active=False)
        db.session.commit()
        assert (issuing.missing_items(audit) == []) is ready, issuing.missing_items(audit)
        return Issuable(world, audit.id, lead.id, reviewer.id, approver.id, inactive.id, nc.id, str(nc.reference))


@pytest.fixture
def issuable(app: Flask, library: int, fw_world: FindingsWorld) -> Issuable:
    return build_issuable(app, library, fw_world)


@pytest.fixture
def unready(app: Flask, library: int, fw_world: FindingsWorld) -> Issuable:
    return build_issuable(app, library, fw_world, ready=False)


def issue_form(w: Issuable, **changes: str) -> dict[str, str]:
    today = utcnow().date().isoformat()
    values = {
        "issue-kind": "audit",
        "issue-reviewed_by": str(w.reviewer_id),
        "issue-reviewed_on": today,
        "issue-approved_by": str(w.approver_id),
        "issue-approved_on": today,
        "issue-distribution": DISTRIBUTION,
        "issue-change_note": "",
    }
    values.update({f"issue-{k}": v for k, v in changes.items()})
    return values


def reports(app: Flask) -> list[tuple[int, int, str, str]]:
    """(version, report id, sha256, change note) of every issued report, by id."""
    with app.app_context():
        rows = db.session.execute(
            sa.select(IssuedReport.version, IssuedReport.id, IssuedReport.sha256, IssuedReport.change_note).order_by(
                IssuedReport.id
            )
        ).all()
        return [tuple(row) for row in rows]


def stored_reports(app: Flask) -> list[Path]:
    folder = Path(app.instance_path) / "uploads" / "reports"
    return sorted(folder.iterdir()) if folder.exists() else []


def issue_v1(client, w: Issuable) -> int:
    response = client.post(f"/audits/{w.audit_id}/report/issue", data=issue_form(w))
    assert response.status_code == 302, text(response.get_data(as_text=True))
    match = re.fullmatch(r"/reports/(\d+)", response.headers["Location"])
    assert match
    return int(match.group(1))


# --- refusals -----------------------------------------------------------------------------------------------------
def test_refusal_lists_every_missing_item_and_stores_nothing(app, client, login, unready):
    login(unready.lead_id)
    page = text(client.get(f"/audits/{unready.audit_id}/report").get_data(as_text=True))
    assert "Not ready" in page
    assert "Review every finding first: 1 still in draft" in page
    assert "j) Record the closing meeting" in page
    # The default sampling statement counts for k until the lead writes their own.
    assert "k) Write the statement" not in page
    assert "Issuing opens once the list" in page

    response = client.post(f"/audits/{unready.audit_id}/report/issue", data=issue_form(unready))
    assert response.status_code == 409
    refused = text(response.get_data(as_text=True))
    assert "The report cannot be issued yet" in refused
    assert "Review every finding first" in refused
    assert "j) Record the closing meeting" in refused
    assert reports(app) == []
    assert stored_reports(app) == []


@pytest.mark.parametrize("who", ["outsider", "admin", "auditor", "viewer"])
def test_only_the_audits_lead_issues(app, client, login, issuable, who):
    w = issuable.world
    user_id = {"outsider": w.outsider_id, "admin": w.admin_id, "auditor": w.auditor_id, "viewer": w.viewer_id}[who]
    login(user_id)
    response = client.post(f"/audits/{issuable.audit_id}/report/issue", data=issue_form(issuable))
    assert response.status_code == 403
    assert reports(app) == []
    page = client.get(f"/audits/{issuable.audit_id}/report").get_data(as_text=True)
    assert 'value="Issue the report"' not in page


# --- issue, download, hash ----------------------------------------------------------------------------------------
def test_issue_download_and_hash(app, client, login, issuable):
    login(issuable.lead_id)
    page = text(client.get(f"/audits/{issuable.audit_id}/report").get_data(as_text=True))
    assert "Ready to issue" in page

    report_id = issue_v1(client, issuable)
    [(version, _, sha256, note)] = reports(app)
    assert (version, note) == (1, "")

    download = client.get(f"/reports/{report_id}/file")
    assert download.status_code == 200
    assert download.mimetype == DOCX
    disposition = download.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "Audit report v1.docx" in disposition
    payload = download.get_data()
    assert hashlib.sha256(payload).hexdigest() == sha256
    document = all_text(reopen(payload))
    assert "ISSUED" in document
    assert issuable.nc_reference in document
    assert "Rita Reviewer" in document
    assert "Mona Manager" in document

    with app.app_context():
        logged = db.session.execute(sa.select(ReportDownload.report_id, ReportDownload.user_id)).all()
        evidence = db.session.scalar(sa.select(EvidenceFile).where(EvidenceFile.id == issuable.world.file_id))
        evidence_hash = evidence.sha256
    assert logged == [(report_id, issuable.lead_id)]

    detail = text(client.get(f"/reports/{report_id}").get_data(as_text=True))
    assert sha256 in detail
    assert evidence_hash in detail
    assert "register.pdf" in detail
    assert "Chief Risk Officer" in detail
    assert "Head of Model Operations" in detail
    assert "Who downloaded it" in detail
    assert "Nobody has downloaded" not in detail
    listing = text(client.get(f"/audits/{issuable.audit_id}/report").get_data(as_text=True))
    assert sha256 in listing
    assert "First issue" in listing


def test_reissue_needs_a_change_note_and_writes_version_2(app, client, login, issuable):
    login(issuable.lead_id)
    issue_v1(client, issuable)
    refused = client.post(f"/audits/{issuable.audit_id}/report/issue", data=issue_form(issuable))
    assert refused.status_code == 400
    assert "Required when re-issuing: what changed since version 1." in text(refused.get_data(as_text=True))
    assert len(reports(app)) == 1

    note = "Corrected the name of the process owner."
    response = client.post(f"/audits/{issuable.audit_id}/report/issue", data=issue_form(issuable, change_note=note))
    assert response.status_code == 302
    (v1, id1, sha1, _), (v2, id2, sha2, note2) = reports(app)
    assert (v1, v2, note2) == (1, 2, note)
    assert sha1 != sha2
    assert len(stored_reports(app)) == 2
    payload = client.get(f"/reports/{id2}/file").get_data()
    assert "ISSUED" in all_text(reopen(payload))
    assert note in all_text(reopen(payload))
    listing = text(client.get(f"/audits/{issuable.audit_id}/report").get_data(as_text=True))
    assert note in listing
    assert sha1 in listing
    assert sha2 in listing
    # Version 1 is untouched: its bytes still hash to what was recorded.
    assert hashlib.sha256(client.get(f"/reports/{id1}/file").get_data()).hexdigest() == sha1


# --- verification -------------------------------------------------------------------------------------------------
def _evidence_path(app: Flask, file_id: int) -> Path:
    with app.app_context():
        stored_name = db.session.get(EvidenceFile, file_id).stored_name
    return Path(app.instance_path) / "uploads" / "evidence" / stored_name


def test_verification_detects_a_changed_evidence_file_and_a_changed_report(app, client, login, issuable):
    login(issuable.lead_id)
    report_id = issue_v1(client, issuable)
    page = text(client.get(f"/reports/{report_id}/verify").get_data(as_text=True))
    assert "Verified" in page
    assert "Every hash matches" in page
    assert "CHANGED" not in page.replace('"CHANGED" means', "")

    _evidence_path(app, issuable.world.file_id).write_bytes(b"%PDF-1.4\n% quietly edited after the report\n")
    page = text(client.get(f"/reports/{report_id}/verify").get_data(as_text=True))
    assert "Not verified" in page
    assert re.search(r"register\.pdf \(v1\): CHANGED since issue", page)
    assert "! CHANGED" in page

    with app.app_context():
        stored = db.session.get(IssuedReport, report_id).stored_name
    report_file = Path(app.instance_path) / "uploads" / "reports" / stored
    report_file.write_bytes(report_file.read_bytes() + b"tampered")
    response = client.get(f"/reports/{report_id}/verify")
    assert response.status_code == 200
    page = text(response.get_data(as_text=True))
    assert "2 of 3 files no longer match" in page
    assert re.search(r"Audit report v1\.docx: CHANGED since issue", page)

    _evidence_path(app, issuable.world.other_file_id).unlink()
    page = text(client.get(f"/reports/{report_id}/verify").get_data(as_text=True))
    assert "other.pdf (v1): missing from storage" in page
    assert "✗ missing" in page


# --- bad input changes nothing ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"reviewed_on": (utcnow().date() + timedelta(days=1)).isoformat()}, "Enter today or an earlier date."),
        ({"approved_on": (utcnow().date() + timedelta(days=30)).isoformat()}, "Enter today or an earlier date."),
        ({"distribution": "  "}, "List who receives the report, one per line."),
        ({"distribution": "Chief Risk Officer\x00"}, "Remove the control characters"),
        ({"change_note": "bell\x07"}, "Remove the control characters"),
        ({"reviewed_by": "0"}, "Not a valid choice"),
        ({"reviewed_by": "99999999999"}, "Not a valid choice"),
        ({"approved_on": "31/02/2026"}, "Not a valid date value."),
        ({"kind": "memo"}, "Not a valid choice"),
    ],
)
def test_bad_issue_input_changes_nothing(app, client, login, issuable, changes, message):
    login(issuable.lead_id)
    response = client.post(f"/audits/{issuable.audit_id}/report/issue", data=issue_form(issuable, **changes))
    assert response.status_code == 400
    assert message in text(response.get_data(as_text=True))
    assert reports(app) == []
    assert stored_reports(app) == []
    with app.app_context():
        assert db.session.scalar(sa.select(ReportSettings.distribution)) == DISTRIBUTION


def test_an_inactive_account_cannot_sign_off(app, client, login, issuable):
    login(issuable.lead_id)
    page = client.get(f"/audits/{issuable.audit_id}/report").get_data(as_text=True)
    assert "Mona Manager" in page
    assert "Gone Manager" not in page
    form = issue_form(issuable, approved_by=str(issuable.inactive_id))
    response = client.post(f"/audits/{issuable.audit_id}/report/issue", data=form)
    assert response.status_code == 400
    assert "Not a valid choice" in text(response.get_data(as_text=True))
    assert reports(app) == []


class TestStaleCsrf:
    @pytest.fixture
    def config_overrides(self) -> dict:
        return {"WTF_CSRF_ENABLED": True}

    def _token(self, client, path: str) -> str:
        match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', client.get(path).get_data(as_text=True))
        assert match
        return match.group(1)

    def test_a_stale_token_issues_nothing_and_saves_nothing(self, app, client, login, issuable):
        login(issuable.lead_id)
        page = f"/audits/{issuable.audit_id}/report"
        token = self._token(client, page)
        with client.session_transaction() as session:  # the session the token belonged to has ended
            session.pop("csrf_token", None)
        stale = client.post(f"{page}/issue", data={**issue_form(issuable), "csrf_token": token})
        assert stale.status_code == 400
        settings = {
            "settings-marking": "Public",
            "settings-sampling_statement": "Changed",
            "settings-distribution": "Everyone",
            "settings-next_audit": "",
            "csrf_token": token,
        }
        assert client.post(f"{page}/settings", data=settings).status_code == 400
        assert reports(app) == []
        with app.app_context():
            saved = db.session.execute(sa.select(ReportSettings.marking, ReportSettings.distribution)).one()
        assert tuple(saved) == ("Confidential", DISTRIBUTION)
        # With the page's own fresh token, the same form goes through.
        fresh = self._token(client, page)
        assert client.post(f"{page}/issue", data={**issue_form(issuable), "csrf_token": fresh}).status_code == 302
        assert len(reports(app)) == 1
