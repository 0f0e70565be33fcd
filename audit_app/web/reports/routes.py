"""Report and documents: the audit's report page, drafts, settings, issue, issued reports and their verification.

Each view loads its record with the access it needs (an audit or report the user may not see is 404), calls one
service and answers; the request pipeline commits (an issued download is logged in that commit) and turns
refusals into pages: 403 (not the audit's lead, an auditee asking for a draft), 404, and a refused form is shown
again with its errors and nothing changed. Downloads are attachments with the service's file name.
"""

from __future__ import annotations

import io

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from audit_app.authz import ALL_ROLES, PLANNERS, STAFF, require_role
from audit_app.models import Audit, Finding
from audit_app.services import access
from audit_app.services.access import Need
from audit_app.services.findings import grades
from audit_app.services.reports import generate, issuing, listing
from audit_app.services.reports.generate import DocumentKind, GeneratedDocument
from audit_app.web.forms import form_action, form_status
from audit_app.web.reports.forms import IssueForm, SettingsForm

bp = Blueprint("reports", __name__)

Page = str | Response | tuple[str, int]


@bp.app_template_global()
def nc_report_offered(finding: Finding) -> bool:
    """Whether the finding page offers the nonconformity report (the download still checks access)."""
    return grades.is_nonconformity(finding)


def in_sentence(label: str) -> str:
    """ "Audit report" -> "audit report" for use inside a sentence; an acronym ("CAPA register") keeps its case."""
    first = label.split(" ", 1)[0]
    return label if first.isupper() else label[:1].lower() + label[1:]


def _attachment(document: GeneratedDocument) -> Response:
    return send_file(
        io.BytesIO(document.data),
        mimetype=document.media_type,
        as_attachment=True,
        download_name=document.file_name,
    )


# --- the audit's report page ------------------------------------------------------------------------------------
def _issue_form(audit: Audit, *, formdata: bool = False) -> IssueForm:
    form = IssueForm(prefix="issue") if formdata else IssueForm(formdata=None, prefix="issue")
    form.set_people(listing.signatories())
    if not formdata:
        form.distribution.data = generate.settings_for(audit).distribution or ""
    return form


def _page(audit: Audit, *, settings_form: SettingsForm | None = None, issue_form: IssueForm | None = None) -> str:
    actor = current_user
    team_view = access.may(actor, audit, Need.WORKING_PAPERS)
    settings = generate.settings_for(audit)
    manage = access.may(actor, audit, Need.MANAGE)
    may_issue = issuing.may_issue(actor, audit)
    issued = listing.issued_reports(audit) if generate.may_download_issued(actor, audit) else None
    return render_template(
        "reports/audit.html",
        audit=audit,
        missing=issuing.missing_items(audit) if team_view else None,
        documents=[
            (kind, in_sentence(kind.label)) for kind in DocumentKind if generate.may_generate(actor, audit, kind)
        ],
        settings=settings,
        manage=manage,
        settings_form=settings_form or (SettingsForm.for_settings(settings) if manage else None),
        may_issue=may_issue,
        issue_form=issue_form or (_issue_form(audit) if may_issue else None),
        issued=issued,
        counts=listing.download_counts(issued or []),
        next_versions=listing.next_versions(issued or []),
    )


@bp.get("/audits/<int:audit_id>/report")
@require_role(*ALL_ROLES)
def index(audit_id: int) -> Page:
    audit = access.load_audit(current_user, audit_id)
    return _page(audit)


@bp.get("/audits/<int:audit_id>/documents/<document_kind>")
@require_role(*ALL_ROLES)
def draft(audit_id: int, document_kind: str) -> Response:
    try:
        kind = DocumentKind(document_kind)
    except ValueError:
        abort(404)
    audit = access.load_audit(current_user, audit_id)
    return _attachment(generate.draft(current_user, audit, kind))


@bp.post("/audits/<int:audit_id>/report/settings")
@require_role(*PLANNERS)
def settings(audit_id: int) -> Page:
    audit = access.load_audit(current_user, audit_id, Need.MANAGE)
    form = SettingsForm(prefix="settings")
    if form_action(form, lambda: issuing.save_settings(current_user, audit, form.to_command())):
        flash("Report settings saved.", "success")
        return redirect(url_for("reports.index", audit_id=audit.id, _anchor="settings"))
    return _page(audit, settings_form=form), form_status(form)


@bp.post("/audits/<int:audit_id>/report/issue")
@require_role(*PLANNERS)
def issue(audit_id: int) -> Page:
    audit = access.load_audit(current_user, audit_id)
    # Lead auditors and administrators may lead audits; the service refuses anyone but this audit's lead (403).
    form = _issue_form(audit, formdata=True)
    if done := form_action(form, lambda: issuing.issue(current_user, audit, form.chosen_kind(), form.to_command())):
        report = done.value
        flash(f"{report.label} issued. Its SHA-256 is {report.sha256}.", "success")
        return redirect(url_for("reports.detail", report_id=report.id))
    return _page(audit, issue_form=form), form_status(form)


# --- issued reports ---------------------------------------------------------------------------------------------
@bp.get("/reports/<int:report_id>")
@require_role(*STAFF)
def detail(report_id: int) -> Page:
    report = issuing.load_issued(current_user, report_id)
    return render_template(
        "reports/detail.html", report=report, audit=report.audit, downloads=issuing.downloads(report)
    )


@bp.get("/reports/<int:report_id>/file")
@require_role(*STAFF)
def file(report_id: int) -> Response:
    report = issuing.load_issued(current_user, report_id)
    payload = issuing.download(current_user, report)
    return _attachment(GeneratedDocument(report.file_name, payload))


@bp.get("/reports/<int:report_id>/verify")
@require_role(*STAFF)
def verify(report_id: int) -> Page:
    report = issuing.load_issued(current_user, report_id)
    return render_template("reports/verify.html", report=report, audit=report.audit, check=issuing.verify(report))


# --- Word documents offered on other pages ----------------------------------------------------------------------
@bp.get("/findings/<int:finding_id>/nc-report")
@require_role(*ALL_ROLES)
def nc_report(finding_id: int) -> Response:
    return _attachment(generate.nc_report(current_user, finding_id))


@bp.get("/findings/register.docx")
@require_role(*ALL_ROLES)
def capa_register() -> Response:
    """The CAPA register as a Word document: the chosen audit's findings, else every finding the user may see."""
    audit_id = request.args.get("audit", "")
    audit = (
        access.find_visible_audit(current_user, int(audit_id)) if audit_id.isascii() and audit_id.isdigit() else None
    )
    if audit_id and audit is None:
        abort(404)
    return _attachment(generate.register_document(current_user, audit))
