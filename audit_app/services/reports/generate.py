"""Generate any document on demand: who may, the document control a draft carries, and a meaningful file name.

Drafts are never stored: anyone on the audit team builds one whenever they like. Issued reports go through
`issuing`, which builds the same document with an issued control block and freezes it.
"""

from __future__ import annotations

import enum
import re
import unicodedata
from dataclasses import dataclass

import sqlalchemy as sa

from audit_app.documents.audit_plan import build_audit_plan
from audit_app.documents.audit_report import build_audit_report
from audit_app.documents.capa_register import build_capa_register
from audit_app.documents.certification_report import build_certification_report
from audit_app.documents.control import DocumentControl, SignOff, VersionLine
from audit_app.documents.fieldwork_checklist import build_fieldwork_checklist
from audit_app.documents.nc_report import build_nc_report
from audit_app.errors import NotAllowed, NotFound
from audit_app.extensions import db
from audit_app.models import (
    DEFAULT_MARKING,
    DEFAULT_SAMPLING_STATEMENT,
    Audit,
    IssuedReport,
    Organisation,
    ReportKind,
    ReportSettings,
    Role,
    User,
    utcnow,
)
from audit_app.services import access
from audit_app.services.findings import grades, policy
from audit_app.services.reports.audit_data import audit_report_data
from audit_app.services.reports.checklist_data import fieldwork_checklist_data
from audit_app.services.reports.nc_data import nc_report_data
from audit_app.services.reports.plan_data import audit_plan_data
from audit_app.services.reports.register_data import capa_register_data
from audit_app.services.reports.templates import template_in_use

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


class DocumentKind(enum.StrEnum):
    """The documents built for one audit (the nonconformity report is built for one finding)."""

    AUDIT_REPORT = "audit-report"
    CERTIFICATION_REPORT = "certification-report"
    AUDIT_PLAN = "audit-plan"
    CAPA_REGISTER = "capa-register"
    FIELDWORK_CHECKLIST = "fieldwork-checklist"

    @property
    def label(self) -> str:
        return _LABELS[self]

    @property
    def report_kind(self) -> ReportKind | None:
        """The issued-report kind this document is a draft of, if it is one."""
        return {
            DocumentKind.AUDIT_REPORT: ReportKind.AUDIT,
            DocumentKind.CERTIFICATION_REPORT: ReportKind.CERTIFICATION,
        }.get(self)


_LABELS = {
    DocumentKind.AUDIT_REPORT: "Audit report",
    DocumentKind.CERTIFICATION_REPORT: "Certification-style report",
    DocumentKind.AUDIT_PLAN: "Audit plan",
    DocumentKind.CAPA_REGISTER: "CAPA register",
    DocumentKind.FIELDWORK_CHECKLIST: "Fieldwork checklist",
}


@dataclass(frozen=True)
class GeneratedDocument:
    file_name: str
    data: bytes
    media_type: str = DOCX


def kind_for(report_kind: ReportKind) -> DocumentKind:
    return DocumentKind.AUDIT_REPORT if report_kind is ReportKind.AUDIT else DocumentKind.CERTIFICATION_REPORT


def ensure_may_generate(actor: User, audit: Audit, kind: DocumentKind) -> None:
    """Drafts of the reports, the fieldwork checklist and the CAPA register are the team's working papers;
    the audit plan is for everyone who may see the audit (auditees receive it before the audit)."""
    if kind is DocumentKind.AUDIT_PLAN:
        access.ensure(actor, audit, access.Need.VIEW)
    else:
        access.ensure(actor, audit, access.Need.WORKING_PAPERS)


def may_generate(actor: User, audit: Audit, kind: DocumentKind) -> bool:
    try:
        ensure_may_generate(actor, audit, kind)
    except NotAllowed:
        return False
    return True


def settings_for(audit: Audit) -> ReportSettings:
    """The audit's report settings (unsaved defaults when the lead auditor has not written any)."""
    found = db.session.scalars(sa.select(ReportSettings).where(ReportSettings.audit_id == audit.id)).first()
    if found is not None:
        return found
    return ReportSettings(
        audit_id=audit.id,
        marking=DEFAULT_MARKING,
        sampling_statement=DEFAULT_SAMPLING_STATEMENT,
        distribution="",
        next_audit="",
    )


def organisation_name() -> str:
    return db.session.scalar(sa.select(Organisation.name).limit(1)) or "The organisation"


def issued_versions(audit: Audit, kind: ReportKind) -> list[IssuedReport]:
    return list(
        db.session.scalars(
            sa.select(IssuedReport)
            .where(IssuedReport.audit_id == audit.id, IssuedReport.kind == kind)
            .order_by(IssuedReport.version)
        )
    )


def history_lines(reports: list[IssuedReport]) -> tuple[VersionLine, ...]:
    return tuple(
        VersionLine(r.version, r.prepared_at.date(), r.prepared_by.name, r.change_note or "First issue")
        for r in reports
    )


def draft_control(actor: User, audit: Audit, report_kind: ReportKind | None) -> DocumentControl:
    settings = settings_for(audit)
    earlier = issued_versions(audit, report_kind) if report_kind is not None else []
    return DocumentControl(
        draft=True,
        version=len(earlier) + 1,
        generated_at=utcnow(),
        generated_by=actor.name,
        marking=settings.marking or DEFAULT_MARKING,
        organisation=organisation_name(),
        prepared=SignOff(audit.lead_auditor.name, utcnow().date()) if report_kind is not None else None,
        distribution=tuple(line for line in (settings.distribution or "").split("\n") if line.strip()),
        history=history_lines(earlier),
    )


def build(kind: DocumentKind, audit: Audit, control: DocumentControl, template: bytes, actor: User) -> bytes:
    """The document's bytes (no access check: callers check first)."""
    if kind is DocumentKind.AUDIT_REPORT:
        return build_audit_report(audit_report_data(audit), control, template)
    if kind is DocumentKind.CERTIFICATION_REPORT:
        return build_certification_report(audit_report_data(audit), control, template)
    if kind is DocumentKind.AUDIT_PLAN:
        return build_audit_plan(audit_plan_data(audit, actor), control, template)
    if kind is DocumentKind.CAPA_REGISTER:
        return build_capa_register(capa_register_data(actor, audit), control, template)
    return build_fieldwork_checklist(fieldwork_checklist_data(audit), control, template)


def draft(actor: User, audit: Audit, kind: DocumentKind) -> GeneratedDocument:
    """A draft of `kind` for the audit, built now."""
    ensure_may_generate(actor, audit, kind)
    control = draft_control(actor, audit, kind.report_kind)
    data = build(kind, audit, control, template_in_use().data, actor)
    return GeneratedDocument(file_name(audit.reference, kind.label, f"draft-{control.generated_at:%Y%m%d-%H%M}"), data)


def nc_report(actor: User, finding_id: int) -> GeneratedDocument:
    """The nonconformity report for one finding, for anyone who may see the finding (auditees included)."""
    finding = policy.load_finding(actor, finding_id)
    if not grades.is_nonconformity(finding):
        raise NotFound("Nonconformity reports are written for nonconformities only.")
    audit = finding.audit
    settings = settings_for(audit) if audit is not None else None
    control = DocumentControl(
        draft=finding.reference is None,
        version=1,
        generated_at=utcnow(),
        generated_by=actor.name,
        marking=(settings.marking if settings is not None else "") or DEFAULT_MARKING,
        organisation=organisation_name(),
    )
    data = build_nc_report(nc_report_data(finding), control, template_in_use().data)
    return GeneratedDocument(file_name(finding.reference or f"finding-{finding.id}", "Nonconformity report", ""), data)


def register_document(actor: User, audit: Audit | None) -> GeneratedDocument:
    """The CAPA register offered on the register page: one audit's findings, or every finding the actor may see.

    Every row goes through the access rule, as on the page and in its CSV and Excel exports, so no team check."""
    settings = settings_for(audit) if audit is not None else None
    control = DocumentControl(
        draft=True,
        version=1,
        generated_at=utcnow(),
        generated_by=actor.name,
        marking=(settings.marking if settings is not None else "") or DEFAULT_MARKING,
        organisation=organisation_name(),
    )
    data = build_capa_register(capa_register_data(actor, audit), control, template_in_use().data)
    reference = audit.reference if audit is not None else "All findings"
    return GeneratedDocument(file_name(reference, "CAPA register", f"{control.generated_at:%Y%m%d-%H%M}"), data)


def may_download_issued(actor: User, audit: Audit) -> bool:
    """Issued reports go to staff who may see the audit; auditees see only their own unit's findings, so they
    receive nonconformity reports rather than the whole report."""
    return actor.role is not Role.AUDITEE and access.may(actor, audit, access.Need.VIEW)


def file_name(reference: str, label: str, suffix: str) -> str:
    """ "IA-2026-03 Audit report v2.docx": ASCII letters, digits, dashes and spaces only."""
    raw = " ".join(part for part in (reference, label, suffix) if part)
    ascii_only = unicodedata.normalize("NFKD", raw).encode("ascii", "ignore").decode()
    safe = re.sub(r"[^A-Za-z0-9 ._-]+", "", ascii_only).strip(" .") or "document"
    return f"{safe[:150]}.docx"
