"""Issuing a report (ISO 19011 6.5): what must be filled first, the issue control, freezing, re-issue, verification.

Only the audit's lead auditor issues, and only when every finding is reviewed and the items ISO 19011 6.5.1 a to k
asks for are filled; otherwise the refusal lists what is missing. An issued report is frozen: its bytes are stored
once with their SHA-256, with a manifest of the SHA-256 of every evidence file the report relies on. It never
changes; issuing again writes the next version, which needs a change note. Verification recomputes every hash.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from audit_app.documents.control import DocumentControl, SignOff
from audit_app.errors import Conflict, NotAllowed, NotFound, ValidationFailed
from audit_app.extensions import db
from audit_app.models import (
    Audit,
    AuditAuditee,
    AuditStatus,
    EvidenceFile,
    IssuedReport,
    MeetingKind,
    ReportDownload,
    ReportKind,
    ReportManifestEntry,
    ReportSettings,
    User,
    utcnow,
)
from audit_app.services import access, activity, storage, text
from audit_app.services.fieldwork import evidence
from audit_app.services.findings.audit_gates import unreviewed_findings
from audit_app.services.planning.conclusions import reporting_blockers
from audit_app.services.planning.meetings import get_meeting
from audit_app.services.reports import generate
from audit_app.services.reports.manifest import evidence_manifest
from audit_app.services.reports.templates import template_in_use

#: The audit states in which a report may be issued: fieldwork is over.
ISSUABLE_STATES = frozenset({AuditStatus.REPORTING, AuditStatus.FOLLOW_UP, AuditStatus.CLOSED})


def area() -> storage.Storage:
    return storage.area("reports")


# --- settings ---------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SettingsInput:
    marking: str
    sampling_statement: str
    distribution: str
    next_audit: str


def save_settings(actor: User, audit: Audit, data: SettingsInput) -> ReportSettings:
    """The lead auditor's (or an administrator's) report settings for the audit."""
    access.ensure(actor, audit, access.Need.MANAGE)
    settings = generate.settings_for(audit)
    settings.marking = text.clean(data.marking, field="marking", max_length=80, required=True)
    settings.sampling_statement = text.clean(
        data.sampling_statement, field="sampling_statement", max_length=4000, required=True, multiline=True
    )
    settings.distribution = text.clean(data.distribution, field="distribution", max_length=4000, multiline=True)
    settings.next_audit = text.clean(data.next_audit, field="next_audit", max_length=200)
    settings.updated_by_id = actor.id
    db.session.add(settings)
    activity.record(actor, "report.settings_saved", audit)
    return settings


# --- what is missing --------------------------------------------------------------------------------------------
def missing_items(audit: Audit) -> list[str]:
    """Everything that stops the report being issued, each sentence naming what to do (empty when ready)."""
    missing: list[str] = []
    if audit.status not in ISSUABLE_STATES:
        missing.append(
            f"Finish fieldwork first: the report is issued in reporting or later (the audit is "
            f"{audit.status.in_words})."
        )
    missing += unreviewed_findings(audit)
    if not audit.objectives.strip():
        missing.append("a) State the audit objectives.")
    if not (audit.scope_units or audit.scope_systems or audit.scope_notes.strip()) or not audit.scope_items:
        missing.append("b) Define the scope: the units, processes or AI systems audited and the items in scope.")
    if not audit.client.strip():
        missing.append("c) Name the audit client.")
    if not audit.team:
        missing.append("d) Record the audit team.")
    has_auditees = db.session.scalar(sa.select(sa.func.count(AuditAuditee.id)).where(AuditAuditee.audit_id == audit.id))
    if not has_auditees:
        missing.append("d) Record the auditee's participants.")
    if not audit.sessions:
        missing.append("e) Record the dates and places of the audit activities (the agenda).")
    if not audit.criteria:
        missing.append("f) Pin the audit criteria (checklist versions).")
    # g, h and i: every item concluded (findings and evidence), the conference with conclusions overall and per area.
    missing += [f"g-i) {blocker}" for blocker in reporting_blockers(audit)]
    if get_meeting(audit, MeetingKind.CLOSING) is None:
        missing.append("j) Record the closing meeting (with any diverging opinions left unresolved, or none).")
    if not (generate.settings_for(audit).sampling_statement or "").strip():
        missing.append("k) Write the statement that the audit evidence was a sample.")
    return missing


# --- issue ------------------------------------------------------------------------------------------------------
class NotReady(Conflict):
    """The report cannot be issued yet; `missing` lists what to do first (the API answers it as `missing`)."""

    def __init__(self, missing: list[str]) -> None:
        super().__init__("The report cannot be issued yet: " + " ".join(missing))
        self.missing = list(missing)

    @property
    def details(self) -> dict[str, object]:
        return {"missing": list(self.missing)}


@dataclass(frozen=True)
class IssueInput:
    reviewed_by_id: int | None
    reviewed_on: date | None
    approved_by_id: int | None
    approved_on: date | None
    distribution: str
    change_note: str = ""


def ensure_may_issue(actor: User, audit: Audit) -> None:
    if audit.lead_auditor_id != actor.id:
        raise NotAllowed("Only the audit's lead auditor issues its report.")


def may_issue(actor: User, audit: Audit) -> bool:
    return audit.lead_auditor_id == actor.id


def issue(actor: User, audit: Audit, kind: ReportKind, data: IssueInput) -> IssuedReport:
    """Build, freeze and record the next version of the report; refuse with the list of what is missing."""
    ensure_may_issue(actor, audit)
    missing = missing_items(audit)
    if missing:
        raise NotReady(missing)
    earlier = generate.issued_versions(audit, kind)
    version = len(earlier) + 1
    reviewer, reviewed_on = _sign_off(data.reviewed_by_id, data.reviewed_on, "reviewed")
    approver, approved_on = _sign_off(data.approved_by_id, data.approved_on, "approved")
    distribution = text.clean(data.distribution, field="distribution", max_length=4000, required=True, multiline=True)
    change_note = text.clean(data.change_note, field="change_note", max_length=2000, multiline=True)
    if version > 1 and not change_note:
        raise ValidationFailed(
            f"Say what changed since version {version - 1}.",
            {"change_note": [f"Required when re-issuing: what changed since version {version - 1}."]},
        )
    settings = generate.settings_for(audit)
    settings.distribution = distribution
    db.session.add(settings)
    now = utcnow()
    control = DocumentControl(
        draft=False,
        version=version,
        generated_at=now,
        generated_by=actor.name,
        marking=settings.marking or "",
        organisation=generate.organisation_name(),
        prepared=SignOff(actor.name, now.date()),
        reviewed=SignOff(reviewer.name, reviewed_on),
        approved=SignOff(approver.name, approved_on),
        distribution=tuple(line for line in distribution.split("\n") if line.strip()),
        change_note=change_note,
        history=generate.history_lines(earlier),
    )
    template = template_in_use()
    document_kind = generate.kind_for(kind)
    payload = generate.build(document_kind, audit, control, template.data, actor)
    report = IssuedReport(
        audit_id=audit.id,
        kind=kind,
        version=version,
        change_note=change_note,
        file_name=generate.file_name(audit.reference, document_kind.label, f"v{version}"),
        stored_name=area().put(payload),
        size=len(payload),
        sha256=hashlib.sha256(payload).hexdigest(),
        template_sha256=template.sha256,
        prepared_by_id=actor.id,
        prepared_at=now,
        reviewed_by_id=reviewer.id,
        reviewed_on=reviewed_on,
        approved_by_id=approver.id,
        approved_on=approved_on,
        distribution=distribution,
    )
    report.manifest = [
        ReportManifestEntry(evidence_file_id=line.evidence_file_id, name=line.name[:300], sha256=line.sha256)
        for line in evidence_manifest(audit.id)
    ]
    db.session.add(report)
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError as exc:
        raise Conflict(f"Version {version} was issued meanwhile; reload the page to see it.") from exc
    activity.record(actor, "report.issued", audit, kind=kind.value, version=version, sha256=report.sha256)
    return report


def _sign_off(user_id: int | None, on: date | None, what: str) -> tuple[User, date]:
    field = f"{what}_by"
    user = db.session.get(User, user_id) if user_id and 0 < user_id <= access.MAX_ID else None
    if user is None or not user.is_active:
        raise ValidationFailed(f"Choose who {what} the report.", {field: [f"Choose who {what} the report."]})
    if on is None:
        raise ValidationFailed(f"Give the date the report was {what}.", {f"{what}_on": ["Enter a date."]})
    if on > utcnow().date():
        raise ValidationFailed(
            f"The date the report was {what} is in the future.", {f"{what}_on": ["Enter today or an earlier date."]}
        )
    return user, on


# --- issued reports: load, download, verify ---------------------------------------------------------------------
def load_issued(actor: User, report_id: int) -> IssuedReport:
    """An issued report the actor may download (unknown or invisible: NotFound; an auditee: NotAllowed)."""
    report = db.session.get(IssuedReport, report_id) if 0 < report_id <= access.MAX_ID else None
    audit = access.find_visible_audit(actor, report.audit_id) if report is not None else None
    if report is None or audit is None:
        raise NotFound(f"Report {report_id} does not exist.")
    if not generate.may_download_issued(actor, audit):
        raise NotAllowed("Issued reports go to the audit team and management; auditees receive nonconformity reports.")
    return report


def download(actor: User, report: IssuedReport) -> bytes:
    """The frozen bytes, with the download recorded (who and when)."""
    with area().open(report.stored_name) as handle:
        payload = handle.read()
    db.session.add(ReportDownload(report_id=report.id, user_id=actor.id))
    return payload


def downloads(report: IssuedReport) -> list[ReportDownload]:
    return list(
        db.session.scalars(
            sa.select(ReportDownload)
            .where(ReportDownload.report_id == report.id)
            .options(sa.orm.joinedload(ReportDownload.user))
            .order_by(ReportDownload.id)
        )
    )


@dataclass(frozen=True)
class HashCheck:
    name: str
    recorded: str
    #: The hash of the bytes as stored now; None when the file is missing.
    actual: str | None

    @property
    def ok(self) -> bool:
        return self.actual == self.recorded

    @property
    def outcome(self) -> str:
        if self.actual is None:
            return "missing"
        return "matches" if self.ok else "CHANGED"


@dataclass(frozen=True)
class Verification:
    report: HashCheck
    evidence: list[HashCheck]

    @property
    def ok(self) -> bool:
        return self.report.ok and all(check.ok for check in self.evidence)

    @property
    def failures(self) -> list[HashCheck]:
        return [check for check in [self.report, *self.evidence] if not check.ok]


def verify(report: IssuedReport) -> Verification:
    """Recompute the SHA-256 of the report's stored bytes and of every evidence file in its manifest."""
    report_check = HashCheck(report.file_name, report.sha256, _stored_hash(area(), report.stored_name))
    rows = db.session.execute(
        sa.select(EvidenceFile.id, EvidenceFile.stored_name).where(
            EvidenceFile.id.in_([entry.evidence_file_id for entry in report.manifest])
        )
    ).all()
    stored = {row.id: row.stored_name for row in rows}
    checks = [
        HashCheck(entry.name, entry.sha256, _stored_hash(evidence.files(), stored.get(entry.evidence_file_id, "")))
        for entry in report.manifest
    ]
    return Verification(report_check, checks)


def _stored_hash(store: storage.Storage, key: str) -> str | None:
    if not key:
        return None
    digest = hashlib.sha256()
    try:
        with store.open(key) as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
    except FileNotFoundError:
        return None
    return digest.hexdigest()
