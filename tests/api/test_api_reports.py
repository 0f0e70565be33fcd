"""/api/v1 reports: drafts of every document, the nonconformity report, issuing (refusals with the missing list, 201
with frozen bytes whose SHA-256 the API reports), issued versions, logged downloads, verification that detects a
changed evidence file, the report settings, and who may do each (auditee, observer, auditor and lead auditor off the
team, the audit's lead auditor, an administrator).

`ready` brings the findings world's audit (tests/fixtures/findings.py) to reporting through the services, with every
item concluded, the team conference, both meetings, the report settings and one issued nonconformity citing an
evidence file; `unready` leaves a draft finding, no closing meeting and no settings.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from pathlib import Path
from urllib.parse import unquote

import pytest
import sqlalchemy as sa
from flask import Flask

from audit_app.extensions import db
from audit_app.models import (
    AuditMeeting,
    AuditStatus,
    ChecklistResponse,
    EvidenceFile,
    Finding,
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
from audit_app.services.reports.generate import DOCX, DocumentKind
from tests.fixtures.conclusions import conclude
from tests.fixtures.findings import Findings, FindingsWorld
from tests.fixtures.planning import Planning
from tests.reports.docx_read import all_text, reopen, styled

TODAY = utcnow().date().isoformat()
DISTRIBUTION = "Chief Risk Officer\nHead of Model Operations"
BEYOND = 2**31  # one past the largest id any database column holds


@dataclass(frozen=True)
class ReportApi:
    world: FindingsWorld
    audit_id: int
    reference: str
    nc_id: int
    nc_reference: str
    observation_id: int | None
    reviewer_id: int
    approver_id: int
    #: Bearer headers by who the caller is towards the audit.
    as_: dict[str, dict[str, str]]


def _build(app: Flask, library: int, world: FindingsWorld, token_for: Callable[[int], dict[str, str]], *, ready: bool):
    with app.app_context():
        f = Findings(world)
        audit, lead = f.audit, f.user(world.lead_id)
        audit.objectives = "Determine whether model releases conform to ISO/IEC 42001."
        audit.client = "Board risk committee"
        nc = f.to(f.draft("minor"), FindingStatus.ISSUED)
        observation = None
        if ready:
            observation = f.to(
                f.draft("observation", title="Register wording", clause_refs=["4.2"], response_ids=[]),
                FindingStatus.ISSUED,
            )
        else:
            f.draft("observation", title="Still a draft", clause_refs=["4.2"], response_ids=[])
        db.session.get(ChecklistResponse, world.responses["4.1"]).result = ResponseResult.NONCONFORMITY
        conclude(audit, lead)
        plan = Planning(library)
        if ready:
            plan.record_meetings(audit)
            db.session.flush()
            lifecycle.transition(audit, AuditStatus.REPORTING, actor=lead)
            issuing.save_settings(
                lead, audit, issuing.SettingsInput("Confidential", "The audit evidence was a sample.", DISTRIBUTION, "")
            )
        else:
            held = datetime.combine(audit.start_date, time(9))
            audit.meetings.append(AuditMeeting(kind=MeetingKind.OPENING, held_at=held, attendees="All"))
            audit.status = AuditStatus.REPORTING  # setup: the reporting gate is tested with the life cycle
        reviewer = plan.user(Role.ADMIN, name="Rita Reviewer")
        approver = plan.user(Role.VIEWER, name="Mona Manager")
        db.session.commit()
        assert (issuing.missing_items(audit) == []) is ready, issuing.missing_items(audit)
        people = {
            "lead": world.lead_id,
            "auditor": world.auditor_id,
            "observer": world.observer_id,
            "loner": world.loner_id,
            "outsider": world.outsider_id,
            "viewer": world.viewer_id,
            "admin": world.admin_id,
            "auditee": world.auditee_id,
        }
        return ReportApi(
            world=world,
            audit_id=audit.id,
            reference=audit.reference,
            nc_id=nc.id,
            nc_reference=str(nc.reference),
            observation_id=observation.id if observation is not None else None,
            reviewer_id=reviewer.id,
            approver_id=approver.id,
            as_={name: token_for(user_id) for name, user_id in people.items()},
        )


@pytest.fixture
def ready(app, library, fw_world, token_for) -> ReportApi:
    return _build(app, library, fw_world, token_for, ready=True)


@pytest.fixture
def unready(app, library, fw_world, token_for) -> ReportApi:
    return _build(app, library, fw_world, token_for, ready=False)


def issue_body(w: ReportApi, **changes: object) -> dict[str, object]:
    body: dict[str, object] = {
        "kind": "audit",
        "reviewed_by_id": w.reviewer_id,
        "reviewed_on": TODAY,
        "approved_by_id": w.approver_id,
        "approved_on": TODAY,
        "distribution": DISTRIBUTION,
    }
    body.update(changes)
    return body


def reports_url(w: ReportApi) -> str:
    return f"/api/v1/audits/{w.audit_id}/reports"


def issue(client, w: ReportApi, who: str = "lead", **changes: object):
    return client.post(reports_url(w), json=issue_body(w, **changes), headers=w.as_[who])


def download_name(response) -> str:
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment")
    return unquote(disposition.split("filename")[-1].split("=", 1)[1].strip("\"'").removeprefix("UTF-8''"))


def evidence_path(app: Flask, file_id: int) -> Path:
    with app.app_context():
        stored_name = db.session.get(EvidenceFile, file_id).stored_name
    return Path(app.instance_path) / "uploads" / "evidence" / stored_name


# --- drafts -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", list(DocumentKind))
def test_lead_downloads_every_draft_as_a_word_attachment(client, ready, kind):
    response = client.get(f"/api/v1/audits/{ready.audit_id}/drafts/{kind.value}", headers=ready.as_["lead"])

    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert response.mimetype == DOCX
    assert response.headers["Cache-Control"] == "no-store"
    name = download_name(response)
    assert name.startswith(ready.reference)
    assert name.endswith(".docx")
    assert kind.label in name
    assert "draft" in name
    document = reopen(response.data)
    assert ready.reference in all_text(document)
    assert styled(document, "Draft Marking"), "a draft carries the DRAFT marking"


def test_audit_report_draft_names_the_issued_finding(client, ready):
    response = client.get(f"/api/v1/audits/{ready.audit_id}/drafts/audit-report", headers=ready.as_["observer"])

    assert response.status_code == 200
    assert ready.nc_reference in all_text(reopen(response.data))


@pytest.mark.parametrize(
    ("who", "kind", "status"),
    [
        ("auditee", "audit-plan", 200),  # the plan is sent to auditees before the audit
        ("auditee", "audit-report", 403),
        ("auditee", "fieldwork-checklist", 403),
        ("loner", "audit-plan", 200),
        ("loner", "audit-report", 403),  # working papers are the team's
        ("outsider", "capa-register", 403),
        ("observer", "certification-report", 200),
        ("viewer", "capa-register", 200),
        ("auditor", "fieldwork-checklist", 200),
        ("admin", "audit-report", 200),
    ],
)
def test_draft_permissions_per_role(client, ready, who, kind, status):
    response = client.get(f"/api/v1/audits/{ready.audit_id}/drafts/{kind}", headers=ready.as_[who])

    assert response.status_code == status, response.get_data(as_text=True)[:300]
    if status == 200:
        assert response.mimetype == DOCX
        reopen(response.data)
    else:
        assert response.is_json
        assert response.get_json()["code"] == 403


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/audits/{audit}/drafts/minutes",
        "/api/v1/audits/{audit}/drafts/AUDIT-REPORT",
        "/api/v1/audits/999999/drafts/audit-report",
        f"/api/v1/audits/{BEYOND}/drafts/audit-report",
        "/api/v1/audits/0/drafts/audit-plan",
    ],
)
def test_unknown_document_or_audit_is_404(client, ready, path):
    response = client.get(path.format(audit=ready.audit_id), headers=ready.as_["lead"])

    assert response.status_code == 404
    assert response.is_json


def test_anonymous_gets_401(client, ready):
    response = client.get(f"/api/v1/audits/{ready.audit_id}/drafts/audit-plan")

    assert response.status_code == 401
    assert "Bearer" in response.headers["WWW-Authenticate"]


# --- nonconformity report ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["auditee", "lead", "auditor", "admin"])
def test_nc_report_for_those_who_see_the_finding(client, ready, who):
    response = client.get(f"/api/v1/findings/{ready.nc_id}/nc-report", headers=ready.as_[who])

    assert response.status_code == 200
    assert response.mimetype == DOCX
    name = download_name(response)
    assert name.startswith(ready.nc_reference)
    assert "Nonconformity report" in name
    text = all_text(reopen(response.data))
    assert ready.nc_reference in text
    assert "Three of the 25 releases" in text


def test_nc_report_refused_for_observations_and_unknown_findings(client, ready):
    observation = client.get(f"/api/v1/findings/{ready.observation_id}/nc-report", headers=ready.as_["lead"])
    unknown = client.get("/api/v1/findings/999999/nc-report", headers=ready.as_["lead"])
    beyond = client.get(f"/api/v1/findings/{BEYOND}/nc-report", headers=ready.as_["lead"])

    assert observation.status_code == 404
    assert "nonconformities only" in observation.get_json()["message"]
    assert unknown.status_code == 404
    assert beyond.status_code == 404


def test_auditee_cannot_tell_a_draft_finding_from_a_missing_one(client, app, unready):
    with app.app_context():
        draft_id = db.session.scalar(sa.select(Finding.id).where(Finding.status == FindingStatus.DRAFT))
    response = client.get(f"/api/v1/findings/{draft_id}/nc-report", headers=unready.as_["auditee"])

    assert response.status_code == 404


# --- issuing ----------------------------------------------------------------------------------------------------


def test_refusal_lists_what_is_missing(client, app, unready):
    listing = client.get(reports_url(unready), headers=unready.as_["lead"]).get_json()
    response = issue(client, unready)

    assert listing["reports"] == []
    assert listing["is_lead"] is True
    assert listing["may_issue"] is False
    assert response.status_code == 409
    body = response.get_json()
    assert body["missing"] == listing["missing"]
    assert any("Still a draft" in line or "draft" in line.lower() for line in body["missing"])
    assert any(line.startswith("j)") for line in body["missing"])  # no closing meeting
    assert body["message"].startswith("The report cannot be issued yet")
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(IssuedReport.id))) == 0


@pytest.mark.parametrize(("who", "status"), [("outsider", 403), ("admin", 403), ("auditor", 403), ("auditee", 403)])
def test_only_the_audits_lead_issues(client, app, ready, who, status):
    response = issue(client, ready, who)

    assert response.status_code == status
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(IssuedReport.id))) == 0


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"kind": "summary"}, "kind"),
        ({"reviewed_by_id": 0}, "reviewed_by_id"),
        ({"reviewed_on": "yesterday"}, "reviewed_on"),
        ({"distribution": None}, "distribution"),
        ({"approved_by_id": "x"}, "approved_by_id"),
    ],
)
def test_malformed_issue_body_is_422(client, ready, changes, field):
    response = issue(client, ready, **changes)

    assert response.status_code == 422
    assert field in response.get_json()["errors"]["json"]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"reviewed_by_id": 999999}, "reviewed_by"),
        ({"approved_on": (utcnow().date() + timedelta(days=2)).isoformat()}, "approved_on"),
        ({"distribution": "  \n "}, "distribution"),
    ],
)
def test_issue_refused_by_the_rules_is_422(client, app, ready, changes, field):
    response = issue(client, ready, **changes)

    assert response.status_code == 422, response.get_json()
    assert field in response.get_json()["errors"]["json"]
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(IssuedReport.id))) == 0


def test_issue_freezes_the_report_and_its_evidence_manifest(client, app, ready):
    response = issue(client, ready)

    assert response.status_code == 201, response.get_json()
    report = response.get_json()
    assert report["version"] == 1
    assert report["kind"] == "audit"
    assert report["prepared_by"]["id"] == ready.world.lead_id
    assert report["reviewed_by"]["name"] == "Rita Reviewer"
    assert report["approved_by"]["name"] == "Mona Manager"
    assert report["distribution"] == DISTRIBUTION.split("\n")
    assert report["downloads"] == []
    manifest = {entry["evidence_file_id"]: entry["sha256"] for entry in report["manifest"]}
    assert {ready.world.file_id, ready.world.other_file_id} <= set(manifest)
    assert (
        manifest[ready.world.file_id]
        == hashlib.sha256(evidence_path(app, ready.world.file_id).read_bytes()).hexdigest()
    )

    file = client.get(report["download_url"], headers=ready.as_["viewer"])
    assert file.status_code == 200
    assert file.mimetype == DOCX
    assert hashlib.sha256(file.data).hexdigest() == report["sha256"]
    assert len(file.data) == report["size"]
    assert download_name(file) == report["file_name"]
    document = reopen(file.data)
    assert not styled(document, "Draft Marking"), "an issued report carries no DRAFT marking"
    assert ready.nc_reference in all_text(document)


def test_download_is_logged_and_listed(client, app, ready):
    report_id = issue(client, ready).get_json()["id"]

    client.get(f"/api/v1/reports/{report_id}/file", headers=ready.as_["viewer"])
    client.get(f"/api/v1/reports/{report_id}/file", headers=ready.as_["loner"])
    detail = client.get(f"/api/v1/reports/{report_id}", headers=ready.as_["lead"]).get_json()

    assert [d["user"]["id"] for d in detail["downloads"]] == [ready.world.viewer_id, ready.world.loner_id]
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(ReportDownload.id))) == 2


def test_listing_shows_issued_versions_and_reissue_needs_a_change_note(client, ready):
    first = issue(client, ready).get_json()
    again = issue(client, ready)
    second = issue(client, ready, change_note="Corrected the distribution list.")
    certification = issue(client, ready, kind="certification")
    listing = client.get(reports_url(ready), headers=ready.as_["lead"]).get_json()

    assert again.status_code == 422
    assert "change_note" in again.get_json()["errors"]["json"]
    assert second.status_code == 201
    assert second.get_json()["version"] == 2
    assert second.get_json()["change_note"] == "Corrected the distribution list."
    assert certification.status_code == 201
    assert certification.get_json()["version"] == 1
    assert [(r["kind"], r["version"]) for r in listing["reports"]] == [("audit", 1), ("audit", 2), ("certification", 1)]
    assert listing["reports"][0]["sha256"] == first["sha256"]
    assert listing["missing"] == []
    assert listing["may_issue"] is True


def test_verification_detects_a_changed_evidence_file(client, app, ready):
    report_id = issue(client, ready).get_json()["id"]
    url = f"/api/v1/reports/{report_id}/verification"

    before = client.get(url, headers=ready.as_["lead"]).get_json()
    evidence_path(app, ready.world.file_id).write_bytes(b"%PDF-1.4\n% quietly edited after the report\n")
    after = client.get(url, headers=ready.as_["lead"]).get_json()

    assert before["ok"] is True
    assert before["failures"] == 0
    assert before["report"]["outcome"] == "matches"
    assert all(check["outcome"] == "matches" for check in before["evidence"])
    assert after["ok"] is False
    assert after["failures"] == 1
    assert after["report"]["ok"] is True
    (changed,) = [check for check in after["evidence"] if not check["ok"]]
    assert changed["outcome"] == "CHANGED"
    assert "register.pdf" in changed["name"]
    assert changed["actual"] != changed["recorded"]


@pytest.mark.parametrize(
    ("who", "status"),
    [("auditee", 403), ("observer", 200), ("viewer", 200), ("loner", 200), ("outsider", 200), ("admin", 200)],
)
def test_issued_report_access_per_role(client, ready, who, status):
    report_id = issue(client, ready).get_json()["id"]

    for path in (f"/api/v1/reports/{report_id}", f"/api/v1/reports/{report_id}/verification", reports_url(ready)):
        assert client.get(path, headers=ready.as_[who]).status_code == status, path
    assert client.get(f"/api/v1/reports/{report_id}/file", headers=ready.as_[who]).status_code == status


@pytest.mark.parametrize("report_id", [999999, BEYOND, 0])
@pytest.mark.parametrize("suffix", ["", "/file", "/verification"])
def test_unknown_report_is_404(client, ready, report_id, suffix):
    response = client.get(f"/api/v1/reports/{report_id}{suffix}", headers=ready.as_["lead"])

    assert response.status_code == 404
    assert response.is_json


def test_reports_of_an_unknown_audit_are_404(client, ready):
    for audit_id in (999999, BEYOND):
        assert client.get(f"/api/v1/audits/{audit_id}/reports", headers=ready.as_["lead"]).status_code == 404
        response = client.post(f"/api/v1/audits/{audit_id}/reports", json=issue_body(ready), headers=ready.as_["lead"])
        assert response.status_code == 404


# --- report settings --------------------------------------------------------------------------------------------


def test_settings_show_defaults_until_saved(client, unready):
    response = client.get(f"/api/v1/audits/{unready.audit_id}/report-settings", headers=unready.as_["auditor"])

    assert response.status_code == 200
    body = response.get_json()
    assert body["marking"] == "Confidential"
    assert body["sampling_statement"].startswith("An audit examines a sample")
    assert body["distribution"] == ""
    assert body["next_audit"] == ""
    assert body["updated_at"] is None


def test_lead_saves_settings_and_the_draft_uses_them(client, app, unready):
    url = f"/api/v1/audits/{unready.audit_id}/report-settings"
    body = {
        "marking": "Internal use only",
        "sampling_statement": "The evidence examined was a sample.",
        "distribution": "Board",
        "next_audit": "Surveillance, March 2027",
    }

    response = client.put(url, json=body, headers=unready.as_["lead"])
    draft = client.get(f"/api/v1/audits/{unready.audit_id}/drafts/certification-report", headers=unready.as_["lead"])

    assert response.status_code == 200, response.get_json()
    assert {k: response.get_json()[k] for k in body} == body
    assert response.get_json()["updated_by_id"] == unready.world.lead_id
    assert client.get(url, headers=unready.as_["viewer"]).get_json()["marking"] == "Internal use only"
    text = all_text(reopen(draft.data))
    assert "Surveillance, March 2027" in text
    assert "The evidence examined was a sample." in text
    with app.app_context():
        assert db.session.scalar(sa.select(ReportSettings.marking)) == "Internal use only"


@pytest.mark.parametrize(("who", "status"), [("admin", 200), ("outsider", 403), ("auditor", 403), ("auditee", 403)])
def test_settings_change_is_for_the_lead_or_an_administrator(client, unready, who, status):
    body = {"marking": "Secret", "sampling_statement": "A sample.", "distribution": "", "next_audit": ""}

    response = client.put(f"/api/v1/audits/{unready.audit_id}/report-settings", json=body, headers=unready.as_[who])

    assert response.status_code == status


def test_settings_refused_input_is_422(client, unready):
    url = f"/api/v1/audits/{unready.audit_id}/report-settings"
    empty = client.put(url, json={"marking": " ", "sampling_statement": "A sample."}, headers=unready.as_["lead"])
    missing = client.put(url, json={"marking": "Confidential"}, headers=unready.as_["lead"])
    long = client.put(url, json={"marking": "x" * 81, "sampling_statement": "s"}, headers=unready.as_["lead"])

    assert empty.status_code == 422
    assert "marking" in empty.get_json()["errors"]["json"]
    assert missing.status_code == 422
    assert "sampling_statement" in missing.get_json()["errors"]["json"]
    assert long.status_code == 422
    assert "marking" in long.get_json()["errors"]["json"]
    assert client.get(url, headers=unready.as_["lead"]).get_json()["updated_at"] is None


def test_settings_reads_are_refused_to_auditees(client, unready):
    response = client.get(f"/api/v1/audits/{unready.audit_id}/report-settings", headers=unready.as_["auditee"])

    assert response.status_code == 403


# --- the OpenAPI document ---------------------------------------------------------------------------------------


def test_binary_answers_are_documented_as_word_documents(client):
    spec = client.get("/api/v1/openapi.json").get_json()

    for path in (
        "/api/v1/audits/{audit_id}/drafts/{document_kind}",
        "/api/v1/findings/{finding_id}/nc-report",
        "/api/v1/reports/{report_id}/file",
    ):
        content = spec["paths"][path]["get"]["responses"]["200"]["content"]
        assert content == {DOCX: {"schema": {"type": "string", "format": "binary"}}}, path
    parameters = spec["paths"]["/api/v1/audits/{audit_id}/drafts/{document_kind}"]["parameters"]
    (kind,) = [p for p in parameters if p["name"] == "document_kind"]
    assert kind["schema"]["enum"] == [k.value for k in DocumentKind]
    issue_responses = spec["paths"]["/api/v1/audits/{audit_id}/reports"]["post"]["responses"]
    assert {"201", "403", "409", "422"} <= set(issue_responses)
    error = spec["components"]["schemas"]["Error"]["properties"]
    assert error["missing"]["items"] == {"type": "string"}
