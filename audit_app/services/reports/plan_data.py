"""What the audit plan shows (ISO 19011 6.3.2.2), gathered as plain data in a fixed number of statements.

The plan goes to the auditees before the audit: objectives, scope, criteria, places and dates, the agenda, the
methods with the samples planned, the team and the auditee representatives, language and confidentiality, and
the follow-up of earlier audits. Earlier audits' findings followed up are those still open (issued, not final)
whose auditee unit is in this audit's scope: the plan tells the auditees which earlier nonconformities the team
will look at again. The team's working papers (risks, drafts, notes) are left out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, selectinload

from audit_app.extensions import db
from audit_app.models import (
    FINAL_STATES,
    Audit,
    AuditAuditee,
    AuditTeamMember,
    Finding,
    Sample,
    User,
)
from audit_app.services.findings import grades, policy
from audit_app.services.planning import agenda

#: The most earlier findings the plan lists (the rest are counted).
EARLIER_SHOWN = 100


@dataclass(frozen=True)
class PlanSession:
    day: date
    start: time
    minutes: int
    end: time
    activity: str
    title: str
    #: The room or site, "Remote" (with the link when one is set), or both.
    place: str
    auditors: tuple[str, ...]
    auditees: tuple[str, ...]
    units: tuple[str, ...]
    items: tuple[str, ...]
    notes: str


@dataclass(frozen=True)
class PlanPerson:
    name: str
    role: str
    detail: str = ""


@dataclass(frozen=True)
class PlannedSample:
    reference: str
    title: str
    population: str
    method: str
    size: str
    status: str


@dataclass(frozen=True)
class EarlierFinding:
    reference: str
    audit: str
    grade: str
    title: str
    unit: str
    status: str


@dataclass(frozen=True)
class AuditPlanData:
    reference: str
    title: str
    audit_type: str
    status: str
    programme: str
    objectives: str
    client: str
    units: tuple[str, ...]
    scope_notes: str
    systems: tuple[str, ...]
    period: str
    items_in_scope: tuple[str, ...]
    criteria: tuple[str, ...]
    other_criteria: str
    start_date: date
    end_date: date
    method: str
    locations: tuple[str, ...]
    sessions: tuple[PlanSession, ...]
    samples: tuple[PlannedSample, ...]
    lead_auditor: str
    team: tuple[PlanPerson, ...]
    auditees: tuple[PlanPerson, ...]
    language: str
    confidentiality: str
    earlier: tuple[EarlierFinding, ...]
    earlier_total: int

    @property
    def dates(self) -> str:
        if self.start_date == self.end_date:
            return f"{self.start_date:%d %b %Y}"
        return f"{self.start_date:%d %b %Y} to {self.end_date:%d %b %Y}"


def place_of(location: str, remote_link: str) -> str:
    location, link = location.strip(), remote_link.strip()
    remote = f"Remote ({link})" if link else ""
    if location and remote:
        return f"{location}; {remote}"
    return location or remote or "To be confirmed"


def _period(audit: Audit) -> str:
    start, end = audit.period_covered_start, audit.period_covered_end
    if start and end:
        return f"{start:%d %b %Y} to {end:%d %b %Y}"
    if start:
        return f"From {start:%d %b %Y}"
    if end:
        return f"Until {end:%d %b %Y}"
    return "Not stated"


def _sessions(audit: Audit) -> tuple[PlanSession, ...]:
    agenda.load_sessions(audit)
    return tuple(
        PlanSession(
            day=s.day,
            start=s.start_time,
            minutes=s.duration_minutes,
            end=s.ends.time(),
            activity=s.activity.label,
            title=s.title,
            place=place_of(s.location, s.remote_link),
            auditors=tuple(u.name for u in s.auditors),
            auditees=tuple(a.name for a in s.auditees),
            units=tuple(u.name for u in s.units),
            items=tuple(i.ref for i in s.items),
            notes=s.notes,
        )
        for s in audit.sessions
    )


def _samples(audit: Audit) -> tuple[PlannedSample, ...]:
    samples = db.session.scalars(sa.select(Sample).where(Sample.audit_id == audit.id).order_by(Sample.sequence))
    rows = []
    for s in samples:
        unit = s.sampling_unit or "items"
        population = s.population_description.strip() or "To be defined"
        if s.population_size is not None:
            population = f"{population} ({s.population_size} {unit})"
        rows.append(
            PlannedSample(
                reference=f"{audit.reference}-S{s.sequence:02d}",
                title=s.title,
                population=population,
                method=s.method.label if s.method is not None else "To be chosen",
                size=str(s.sample_size) if s.sample_size is not None else "To be set",
                status=s.status.label,
            )
        )
    return tuple(rows)


def _earlier(audit: Audit, reader: User | None) -> tuple[tuple[EarlierFinding, ...], int]:
    unit_ids = [u.id for u in audit.scope_units]
    if not unit_ids:
        return (), 0
    where = [
        Finding.issued_at.is_not(None),
        Finding.status.not_in(FINAL_STATES),
        Finding.audit_id.is_not(None),
        Finding.audit_id != audit.id,
        Finding.auditee_unit_id.in_(unit_ids),
    ]
    if reader is not None:  # an auditee reads the plan too: only the findings they may see
        where.append(policy.visible_where(reader))
    total = db.session.scalar(sa.select(sa.func.count()).select_from(Finding).where(*where)) or 0
    if not total:
        return (), 0
    found = db.session.scalars(
        sa.select(Finding)
        .where(*where)
        .options(joinedload(Finding.audit), joinedload(Finding.programme), joinedload(Finding.auditee_unit))
        .order_by(Finding.issued_at, Finding.id)
        .limit(EARLIER_SHOWN)
    )
    rows = tuple(
        EarlierFinding(
            reference=f.label,
            audit=f.audit.reference if f.audit is not None else "",
            grade=grades.grade_label(f),
            title=f.title,
            unit=f.auditee_unit.name if f.auditee_unit is not None else "",
            status=f.status.label,
        )
        for f in found
    )
    return rows, total


def _load(audit: Audit) -> None:
    """The audit's scope, criteria, team and auditees in one pass of select-in loads."""
    db.session.execute(
        sa.select(Audit)
        .where(Audit.id == audit.id)
        .options(
            joinedload(Audit.programme),
            joinedload(Audit.lead_auditor),
            selectinload(Audit.scope_units),
            selectinload(Audit.scope_systems),
            selectinload(Audit.scope_items),
            selectinload(Audit.criteria),
            selectinload(Audit.team).joinedload(AuditTeamMember.user),
            selectinload(Audit.auditees).joinedload(AuditAuditee.org_unit),
        )
    ).unique().scalar_one()


def audit_plan_data(audit: Audit, reader: User | None = None) -> AuditPlanData:
    """The plan's content; `reader` narrows the earlier findings to those the reader may see (the plan goes to
    auditees, who never see another unit's findings)."""
    sessions = _sessions(audit)  # first: loading the sessions refreshes the audit and unloads its other collections
    _load(audit)
    places = [s.location.strip() for s in audit.sessions if s.location.strip()]
    links = [f"Remote ({s.remote_link.strip()})" for s in audit.sessions if s.remote_link.strip()]
    earlier, earlier_total = _earlier(audit, reader)
    return AuditPlanData(
        reference=audit.reference,
        title=audit.title,
        audit_type=audit.audit_type.label,
        status=audit.status.label,
        programme=audit.programme.label,
        objectives=audit.objectives,
        client=audit.client,
        units=tuple(f"{u.name} ({u.kind.label.lower()})" for u in audit.scope_units),
        scope_notes=audit.scope_notes,
        systems=tuple(f"{s.name} (risk: {s.risk_level.label.lower()})" for s in audit.scope_systems),
        period=_period(audit),
        items_in_scope=tuple(i.ref for i in audit.scope_items),
        criteria=tuple(v.label for v in audit.criteria),
        other_criteria=audit.other_criteria,
        start_date=audit.start_date,
        end_date=audit.end_date,
        method=audit.method.label,
        locations=tuple(dict.fromkeys([*places, *links])),
        sessions=sessions,
        samples=_samples(audit),
        lead_auditor=audit.lead_auditor.name,
        team=tuple(PlanPerson(m.user.name, m.role.label) for m in audit.team),
        auditees=tuple(
            PlanPerson(a.name, a.position, a.org_unit.name if a.org_unit is not None else "") for a in audit.auditees
        ),
        language=audit.language or "English",
        confidentiality=audit.confidentiality_note,
        earlier=earlier,
        earlier_total=earlier_total,
    )
