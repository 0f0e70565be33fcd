"""Reports: draft documents built on demand, the nonconformity report of a finding, issuing a report (frozen bytes
with their SHA-256 and an evidence manifest), downloading and verifying issued versions, and the report settings.

Routes load the audit (or finding, or report) through the visibility rule (404 when invisible), read the body once
it is found, and call services/reports, which decides who may: drafts for the audit team (the audit plan for
everyone who sees the audit), issuing for the audit's lead auditor only, issued reports for staff who see the audit.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

from flask import Response, send_file
from flask_smorest import Blueprint

from audit_app.api.common import parse_body, saved
from audit_app.api.report_schemas import (
    AuditReportsSchema,
    IssuedReportRecordSchema,
    ReportIssueSchema,
    ReportSettingsSchema,
    ReportVerificationSchema,
)
from audit_app.authz import ALL_ROLES, PLANNERS, STAFF, get_actor, require_role
from audit_app.errors import NotAllowed, NotFound
from audit_app.models import (
    DEFAULT_MARKING,
    DEFAULT_SAMPLING_STATEMENT,
    IssuedReport,
    ReportDownload,
    ReportKind,
    ReportSettings,
)
from audit_app.services import access
from audit_app.services.access import Need
from audit_app.services.reports import generate, issuing

blp = Blueprint("api_reports", __name__, url_prefix="", description="Reports: drafts, issue, issued versions")

AUDIT = "/audits/<int:audit_id>"
REPORT = "/reports/<int:report_id>"
#: The Word documents the API hands out (drafts, nonconformity reports, issued versions).
DOCX_CONTENT = {generate.DOCX: {"schema": {"type": "string", "format": "binary"}}}
KIND_PARAMETER = {
    "in": "path",
    "name": "document_kind",
    "description": "Which document: "
    + "; ".join(f"`{kind.value}` ({kind.label})" for kind in generate.DocumentKind)
    + ". The audit plan is for everyone who sees the audit; the others are the audit team's working papers.",
    "schema": {"type": "string", "enum": [kind.value for kind in generate.DocumentKind]},
}


def _docx(description: str) -> dict[str, Any]:
    return {"200": {"description": description, "content": DOCX_CONTENT}}


def _attachment(data: bytes, file_name: str, media_type: str = generate.DOCX) -> Response:
    """The document as a download with its meaningful name, never cached."""
    response = send_file(io.BytesIO(data), mimetype=media_type, as_attachment=True, download_name=file_name)
    response.headers["Cache-Control"] = "no-store"
    return response


@dataclass
class ReportRecord:
    """An issued report with who downloaded it (dumped by IssuedReportRecordSchema)."""

    report: IssuedReport
    downloads: list[ReportDownload]

    def __getattr__(self, name: str) -> Any:
        return getattr(self.report, name)


# --- drafts -----------------------------------------------------------------------------------------------------


@blp.route(f"{AUDIT}/drafts/<string:document_kind>", parameters=[KIND_PARAMETER])
@require_role(*ALL_ROLES)
@blp.doc(responses=_docx("The draft, built now from the template in use, as an attachment named after the audit."))
def get_document(audit_id: int, document_kind: str) -> Response:
    """Build a draft of one of the audit's documents: the audit report, the certification-style report, the audit
    plan, the CAPA register or the blank fieldwork checklist. Drafts carry a DRAFT marking and are not stored."""
    actor = get_actor()
    audit = access.load_audit(actor, audit_id)
    try:
        kind = generate.DocumentKind(document_kind)
    except ValueError:
        raise NotFound(f"There is no document called {document_kind[:40]!r}.") from None
    document = generate.draft(actor, audit, kind)
    return _attachment(document.data, document.file_name, document.media_type)


@blp.route("/findings/<int:finding_id>/nc-report")
@require_role(*ALL_ROLES)
@blp.doc(responses=_docx("The nonconformity report, with space for the auditee's correction and root cause."))
def get_nc_report(finding_id: int) -> Response:
    """Build the nonconformity report of a finding the caller may see (404 for observations, OFIs and good
    practice: they have no nonconformity report)."""
    document = generate.nc_report(get_actor(), finding_id)
    return _attachment(document.data, document.file_name, document.media_type)


# --- issued reports of an audit ---------------------------------------------------------------------------------


@blp.route(f"{AUDIT}/reports")
@require_role(*STAFF)
@blp.response(200, AuditReportsSchema)
def list_reports(audit_id: int) -> dict[str, Any]:
    """The audit's issued versions (both kinds), what still stops the next issue, and whether the caller may issue
    it now (only the audit's lead auditor issues)."""
    actor = get_actor()
    audit = access.load_audit(actor, audit_id)
    if not generate.may_download_issued(actor, audit):
        raise NotAllowed("Issued reports go to the audit team and management.")
    missing = issuing.missing_items(audit)
    is_lead = issuing.may_issue(actor, audit)
    return {
        "reports": [report for kind in ReportKind for report in generate.issued_versions(audit, kind)],
        "missing": missing,
        "is_lead": is_lead,
        "may_issue": is_lead and not missing,
    }


@blp.route(f"{AUDIT}/reports", methods=["POST"])
@require_role(*PLANNERS)
@blp.doc(requestBody={"required": True, "content": {"application/json": {"schema": ReportIssueSchema}}})
@blp.response(201, IssuedReportRecordSchema)
def issue_report(audit_id: int) -> ReportRecord:
    """Issue the next version of the report: built now, frozen (its bytes stored once with their SHA-256, with
    the SHA-256 of every evidence file of the audit) and never changed. Only the audit's lead auditor issues (403
    for anyone else); 409 with `missing`, the list of what to do first, while the report is not ready; a second
    version needs a `change_note` (422)."""
    actor = get_actor()
    audit = access.load_audit(actor, audit_id)
    data = parse_body(ReportIssueSchema())
    kind = data.pop("kind")
    report = issuing.issue(actor, audit, kind, issuing.IssueInput(**data))
    return saved(ReportRecord(report, []))


@blp.route(f"{AUDIT}/report-settings")
@require_role(*STAFF)
@blp.response(200, ReportSettingsSchema)
def get_settings(audit_id: int) -> dict[str, Any]:
    """The audit's report settings (the defaults until the lead auditor saves them: `updated_at` is null)."""
    return _with_defaults(generate.settings_for(access.load_audit(get_actor(), audit_id)))


@blp.route(f"{AUDIT}/report-settings", methods=["PUT"])
@require_role(*PLANNERS)
@blp.doc(requestBody={"required": True, "content": {"application/json": {"schema": ReportSettingsSchema}}})
@blp.response(200, ReportSettingsSchema)
def put_settings(audit_id: int) -> dict[str, Any]:
    """Replace the report settings: marking, sampling statement, distribution list and next audit (the audit's
    lead auditor or an administrator)."""
    actor = get_actor()
    audit = access.load_audit(actor, audit_id, Need.MANAGE)
    data = parse_body(ReportSettingsSchema())
    return _with_defaults(saved(issuing.save_settings(actor, audit, issuing.SettingsInput(**data))))


def _with_defaults(settings: ReportSettings) -> dict[str, Any]:
    """The settings as the documents use them: unsaved settings show the defaults the drafts print."""
    return {
        "marking": settings.marking or DEFAULT_MARKING,
        "sampling_statement": settings.sampling_statement or DEFAULT_SAMPLING_STATEMENT,
        "distribution": settings.distribution or "",
        "next_audit": settings.next_audit or "",
        "updated_by_id": settings.updated_by_id,
        "updated_at": settings.updated_at,
    }


# --- one issued report ------------------------------------------------------------------------------------------


@blp.route(REPORT)
@require_role(*STAFF)
@blp.response(200, IssuedReportRecordSchema)
def get_report(report_id: int) -> ReportRecord:
    """An issued version with its issue control (prepared, reviewed, approved, distribution), its SHA-256, the
    evidence manifest and who downloaded it."""
    report = issuing.load_issued(get_actor(), report_id)
    return ReportRecord(report, issuing.downloads(report))


@blp.route(f"{REPORT}/file")
@require_role(*STAFF)
@blp.doc(
    responses=_docx("The frozen bytes as issued (their SHA-256 is the report's `sha256`); the download is logged.")
)
def download_report(report_id: int) -> Response:
    """Download an issued version exactly as it was frozen; who downloaded it and when is recorded."""
    actor = get_actor()
    report = issuing.load_issued(actor, report_id)
    return _attachment(issuing.download(actor, report), report.file_name)


@blp.route(f"{REPORT}/verification")
@require_role(*STAFF)
@blp.response(200, ReportVerificationSchema)
def verify_report(report_id: int) -> dict[str, Any]:
    """Recompute the SHA-256 of the stored report and of every evidence file of its manifest, and compare them
    with what was recorded when it was issued (`ok` is false if anything changed or is missing)."""
    report = issuing.load_issued(get_actor(), report_id)
    result = issuing.verify(report)
    return {
        "report_id": report.id,
        "ok": result.ok,
        "report": result.report,
        "evidence": result.evidence,
        "failures": len(result.failures),
    }
