"""Audits: create and number them, change details, scope and criteria, list and filter them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from audit_app.errors import NotAllowed, ValidationFailed
from audit_app.extensions import db
from audit_app.models import (
    AISystem,
    Audit,
    AuditAuditee,
    AuditMethod,
    AuditProgramme,
    AuditStatus,
    AuditTeamMember,
    AuditType,
    ChecklistItem,
    ChecklistVersion,
    OrgUnit,
    TeamRole,
    User,
    utcnow,
)
from audit_app.services import access, activity
from audit_app.services.access import PLANNERS, Need
from audit_app.services.paging import Page, PageRequest, paginate, shown_with
from audit_app.services.planning import impartiality, team
from audit_app.services.planning.locks import ensure_unlocked
from audit_app.services.text import clean


@dataclass(frozen=True)
class AuditDetails:
    title: str
    audit_type: AuditType
    start_date: date
    end_date: date
    lead_auditor_id: int
    objectives: str = ""
    scope_notes: str = ""
    period_covered_start: date | None = None
    period_covered_end: date | None = None
    method: AuditMethod = AuditMethod.ON_SITE
    language: str = "English"
    client: str = ""
    other_criteria: str = ""
    confidentiality_note: str = ""


@dataclass(frozen=True)
class AuditFilters:
    programme_id: int | None = None
    status: AuditStatus | None = None
    audit_type: AuditType | None = None
    lead_auditor_id: int | None = None
    unit_id: int | None = None


def _listed(user: User, f: AuditFilters, *, by_sequence: bool = False) -> sa.Select[Audit]:
    """The audits the user may see that match the filters, newest first (or by number within their programme),
    with what a list shows of each.

    A list shows an audit's programme and lead auditor only: those come in the same statement, and anything
    else a template touches raises instead of costing a query per row.
    """
    stmt = sa.select(Audit).options(*shown_with(Audit.programme, Audit.lead_auditor))
    if f.programme_id:
        stmt = stmt.where(Audit.programme_id == f.programme_id)
    if f.status:
        stmt = stmt.where(Audit.status == f.status)
    if f.audit_type:
        stmt = stmt.where(Audit.audit_type == f.audit_type)
    if f.lead_auditor_id:
        stmt = stmt.where(Audit.lead_auditor_id == f.lead_auditor_id)
    if f.unit_id:
        stmt = stmt.where(Audit.scope_units.any(OrgUnit.id == f.unit_id))
    stmt = stmt.where(access.VIEW.where(user))
    if by_sequence:
        return stmt.order_by(Audit.programme_id, Audit.sequence)
    return stmt.order_by(Audit.start_date.desc(), Audit.id.desc())


def audits_page(
    user: User,
    filters: AuditFilters | None,
    request: PageRequest,
    *,
    clamp: bool = False,
    by_sequence: bool = False,
) -> Page[Audit]:
    """One page of the audits the user may see, newest first (or by number), with how many match in all."""
    return paginate(_listed(user, filters or AuditFilters(), by_sequence=by_sequence), request, clamp=clamp)


def my_audits(user: User) -> list[Audit]:
    """Audits where the user is lead, team member or auditee representative."""
    stmt = (
        sa.select(Audit)
        .options(selectinload(Audit.programme), selectinload(Audit.lead_auditor), selectinload(Audit.team))
        .where(
            sa.or_(
                Audit.lead_auditor_id == user.id,
                Audit.team.any(AuditTeamMember.user_id == user.id),
                Audit.auditees.any(AuditAuditee.user_id == user.id),
            )
        )
    )
    return list(db.session.scalars(stmt.order_by(Audit.start_date, Audit.id)))


def _check_details(details: AuditDetails, programme: AuditProgramme) -> dict[str, str]:
    errors: dict[str, list[str]] = {}
    if details.end_date < details.start_date:
        errors["end_date"] = ["The audit cannot end before it starts."]
    if details.start_date < programme.period_start or details.end_date > programme.period_end:
        errors["start_date"] = [
            f"Audit dates must fall within the programme period "
            f"({programme.period_start:%d %b %Y} to {programme.period_end:%d %b %Y})."
        ]
    if (
        details.period_covered_start
        and details.period_covered_end
        and details.period_covered_end < details.period_covered_start
    ):
        errors["period_covered_end"] = ["The period covered ends before it starts."]
    lead = db.session.get(User, details.lead_auditor_id) if details.lead_auditor_id is not None else None
    if lead is None or not lead.active or lead.role not in PLANNERS:
        errors["lead_auditor_id"] = ["Choose an active lead auditor (or administrator)."]
    if errors:
        raise ValidationFailed("Some audit details are not valid.", errors)
    return {
        "title": clean(details.title, field="title", max_length=200, required=True),
        "objectives": clean(details.objectives, field="objectives", max_length=10000, multiline=True),
        "scope_notes": clean(details.scope_notes, field="scope_notes", max_length=10000, multiline=True),
        "language": clean(details.language, field="language", max_length=40, required=True),
        "client": clean(details.client, field="client", max_length=200),
        "other_criteria": clean(details.other_criteria, field="other_criteria", max_length=10000, multiline=True),
        "confidentiality_note": clean(
            details.confidentiality_note, field="confidentiality_note", max_length=10000, multiline=True
        ),
    }


def create_audit(programme: AuditProgramme, details: AuditDetails, *, actor: User) -> Audit:
    """Add an audit to a programme, numbered {code}-{nn}, with its lead auditor on the team."""
    if actor.role not in PLANNERS:
        raise NotAllowed("Only lead auditors and administrators plan audits.")
    texts = _check_details(details, programme)
    sequence, reference = _next_number(programme)
    audit = Audit(
        programme=programme,
        sequence=sequence,
        reference=reference,
        audit_type=details.audit_type,
        start_date=details.start_date,
        end_date=details.end_date,
        period_covered_start=details.period_covered_start,
        period_covered_end=details.period_covered_end,
        method=details.method,
        lead_auditor_id=details.lead_auditor_id,
        created_by_id=actor.id,
        **texts,
    )
    db.session.add(audit)
    audit.team.append(AuditTeamMember(user_id=details.lead_auditor_id, role=TeamRole.LEAD_AUDITOR))
    db.session.flush()  # the INSERT numbers the audit; reading the number back loads what it stored
    activity.record(actor, "audit.created", audit, reference=audit.reference)
    return audit


def _next_number(programme: AuditProgramme) -> tuple[sa.ScalarSelect[int], sa.ColumnElement[str]]:
    """The programme's next audit number and reference (IA-{code}-{nn}), computed by the INSERT itself.

    "max + 1" read before the INSERT gave parallel creations the same number (a unique-constraint failure).
    On PostgreSQL the programme row is locked first (FOR NO KEY UPDATE, which does not block rows that merely
    refer to the programme), so a second creation waits for the first to commit and then counts its audit;
    SQLite runs one writing transaction at a time, and the INSERT reads the numbers under its write lock.
    """
    db.session.execute(
        sa.select(AuditProgramme.id).where(AuditProgramme.id == programme.id).with_for_update(key_share=True)
    )
    taken = sa.select(sa.func.coalesce(sa.func.max(Audit.sequence), 0) + 1).where(Audit.programme_id == programme.id)
    number = taken.scalar_subquery()
    digits = sa.cast(taken.scalar_subquery(), sa.String)
    padded = sa.case((taken.scalar_subquery() < 10, sa.literal("0") + digits), else_=digits)  # 01 to 09, then 10
    return number, sa.literal(f"IA-{programme.code}-") + padded


def update_details(audit: Audit, details: AuditDetails, *, actor: User, lead_exception: str = "") -> Audit:
    """Change the audit's details and dates; a new lead auditor joins the team as lead (with `lead_exception`
    recorded when they are not impartial)."""
    access.ensure(actor, audit, Need.MANAGE)
    ensure_unlocked(audit, "details")
    texts = _check_details(details, audit.programme)
    if details.lead_auditor_id != audit.lead_auditor_id:
        team.change_lead(audit, details.lead_auditor_id, actor=actor, exception=lead_exception)
    for name, value in texts.items():
        setattr(audit, name, value)
    audit.audit_type, audit.method = details.audit_type, details.method
    audit.start_date, audit.end_date = details.start_date, details.end_date
    audit.period_covered_start, audit.period_covered_end = details.period_covered_start, details.period_covered_end
    activity.record(actor, "audit.updated", audit)
    return audit


def set_scope(audit: Audit, *, unit_ids: list[int], system_ids: list[int], actor: User, exception: str = "") -> Audit:
    """Set the org units and AI systems in scope.

    Refused if a team member would lose impartiality, unless a justified `exception` is given: it is then
    recorded for each member concerned (the lead auditor included; nobody records one for themselves).
    """
    access.ensure(actor, audit, Need.MANAGE)
    ensure_unlocked(audit, "scope")
    units = list(db.session.scalars(sa.select(OrgUnit).where(OrgUnit.id.in_(unit_ids)))) if unit_ids else []
    systems = list(db.session.scalars(sa.select(AISystem).where(AISystem.id.in_(system_ids)))) if system_ids else []
    if len(units) != len(set(unit_ids)) or len(systems) != len(set(system_ids)):
        raise ValidationFailed("Unknown org unit or AI system.", {"scope": ["Choose existing units and systems."]})
    problems: list[str] = []
    concerned: list[AuditTeamMember] = []
    for member in audit.team:
        if member.role not in impartiality.BOUND_ROLES:
            continue
        after = impartiality.conflicts(member.user, units, systems)
        if member.impartiality_exception:  # the exception covers the conflicts it was accepted for, not new ones
            before = set(impartiality.conflicts(member.user, audit.scope_units, audit.scope_systems))
            after = [reason for reason in after if reason not in before]
        if after:
            problems += after
            concerned.append(member)
    if problems:
        text = clean(exception, field="exception", max_length=2000, multiline=True)
        if len(text) < 20:
            raise ValidationFailed(
                "This scope would make team members audit their own work.",
                {
                    "scope": [*problems, "Change the team first, or record a justified exception for the member."],
                    "exception": [
                        "To keep this scope, say why the assignment is justified and how objectivity is protected "
                        "(at least 20 characters). Nobody records an exception for themselves."
                    ],
                },
            )
        team.ensure_may_excuse(actor, [m.user for m in concerned])
        for member in concerned:
            member.impartiality_exception = text
            member.exception_recorded_by_id, member.exception_recorded_at = actor.id, utcnow()
    audit.scope_units, audit.scope_systems = units, systems
    activity.record(
        actor,
        "audit.scope_changed",
        audit,
        units=sorted(unit_ids),
        systems=sorted(system_ids),
        exception_for=[m.user_id for m in concerned],
        conflicts=problems,
    )
    return audit


def set_criteria(
    audit: Audit, *, version_ids: list[int], item_ids: list[int], other_criteria: str, actor: User
) -> Audit:
    """Pin checklist versions (locking them) and choose the clauses and controls in scope."""
    access.ensure(actor, audit, Need.MANAGE)
    ensure_unlocked(audit, "criteria")
    versions = list(db.session.scalars(sa.select(ChecklistVersion).where(ChecklistVersion.id.in_(version_ids))))
    if len(versions) != len(set(version_ids)):
        raise ValidationFailed("Unknown checklist version.", {"criteria": ["Choose existing checklist versions."]})
    items = list(db.session.scalars(sa.select(ChecklistItem).where(ChecklistItem.id.in_(item_ids)))) if item_ids else []
    pinned = {v.id for v in versions}
    stray = [i.ref for i in items if i.version_id not in pinned]
    if len(items) != len(set(item_ids)) or stray:
        raise ValidationFailed(
            "Items must come from the pinned checklists.",
            {"scope_items": ["Unknown item, or item from a checklist that is not pinned: " + ", ".join(stray)]},
        )
    not_auditable = [i.ref for i in items if not i.auditable]
    if not_auditable:
        raise ValidationFailed(
            "Grouping nodes cannot be audited directly.",
            {"scope_items": ["Choose their controls instead: " + ", ".join(not_auditable)]},
        )
    for version in versions:
        version.locked = True  # a version an audit uses never changes afterwards
    audit.criteria, audit.scope_items = versions, items
    audit.other_criteria = clean(other_criteria, field="other_criteria", max_length=10000, multiline=True)
    activity.record(actor, "audit.criteria_changed", audit, versions=sorted(pinned), items=len(items))
    return audit
