"""Programme coverage: which clauses, controls, AI systems and units the planned audits reach.

Pure functions over plain data; `programme_coverage` loads that data for one programme.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from audit_app.extensions import db
from audit_app.models import (
    AISystem,
    Audit,
    AuditProgramme,
    AuditStatus,
    ChecklistItem,
    ChecklistResponse,
    ChecklistVersion,
    LifecycleStage,
    OrgUnit,
    ResponseResult,
    RiskLevel,
)

#: Areas whose risk follows the AI systems in scope (risk, impact, life cycle, data, use).
AI_SYSTEM_AREAS = ("4.1", "6.1.2", "6.1.3", "6.1.4", "8.2", "8.3", "8.4", "A.5", "A.6", "A.7", "A.9")
#: Areas where change to systems matters most (planning of change, operations, life cycle, data).
CHANGE_AREAS = ("6.3", "8.1", "A.6.2", "A.7")
#: Life-cycle stages that mean the system is changing now.
CHANGING_STAGES = {
    LifecycleStage.DESIGN_DEVELOPMENT,
    LifecycleStage.VERIFICATION_VALIDATION,
    LifecycleStage.DEPLOYMENT,
    LifecycleStage.RE_EVALUATION,
}
RECENT_CHANGE = timedelta(days=180)
FREQUENCY = {
    "high": "Audit at least twice in this period",
    "medium": "Audit once in this period",
    "low": "Audit at least once in the three-year cycle",
}


@dataclass(frozen=True)
class AuditColumn:
    id: int
    reference: str
    title: str
    status: AuditStatus


@dataclass(frozen=True)
class Suggestion:
    level: str  # high | medium | low
    reasons: tuple[str, ...]

    @property
    def frequency(self) -> str:
        return FREQUENCY[self.level]


@dataclass(frozen=True)
class CoverageRow:
    key: str
    label: str
    depth: int
    covered_by: tuple[int, ...]  # audit ids
    suggestion: Suggestion | None = None

    @property
    def covered(self) -> bool:
        return bool(self.covered_by)


@dataclass(frozen=True)
class Coverage:
    audits: tuple[AuditColumn, ...]
    rows: tuple[CoverageRow, ...]
    uncovered: int = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "uncovered", sum(1 for r in self.rows if not r.covered))


@dataclass(frozen=True)
class RiskContext:
    high_risk_systems: tuple[str, ...] = ()
    changing_systems: tuple[str, ...] = ()
    previously_covered: frozenset[str] | None = None
    previous_code: str = ""
    #: Recent nonconformities per clause or control id: checklist items concluded "nonconformity" in the
    #: fieldwork of this or the previous programme (the findings register can pass its own counts instead).
    nonconformities: Mapping[str, int] = field(default_factory=dict)


def _in_area(ref: str, areas: Iterable[str]) -> bool:
    return any(ref == a or ref.startswith(a + ".") for a in areas)


def suggest(ref: str, ctx: RiskContext) -> Suggestion:
    """Suggest how often to audit an item, with the reasons behind the suggestion."""
    score, reasons = 0, []
    ncs = ctx.nonconformities.get(ref, 0)
    if ncs:
        score += 3
        reasons.append(f"{ncs} nonconformit{'y' if ncs == 1 else 'ies'} recorded in this or the previous programme")
    if ctx.high_risk_systems and _in_area(ref, AI_SYSTEM_AREAS):
        score += 2
        reasons.append(
            f"{len(ctx.high_risk_systems)} high-risk AI system(s) in scope: " + ", ".join(ctx.high_risk_systems)
        )
    if ctx.changing_systems and _in_area(ref, CHANGE_AREAS):
        score += 1
        reasons.append("AI systems changing: " + ", ".join(ctx.changing_systems))
    if ctx.previously_covered is not None and ref not in ctx.previously_covered:
        score += 1
        reasons.append(f"not audited in the previous programme ({ctx.previous_code})")
    level = "high" if score >= 3 else "medium" if score >= 1 else "low"
    return Suggestion(level, tuple(reasons) or ("no risk signal found",))


def clause_matrix(
    items: Iterable[tuple[str, str, int]],
    audits: Iterable[tuple[AuditColumn, set[str]]],
    ctx: RiskContext | None = None,
) -> Coverage:
    """Rows of (ref, title, depth) against audits with the refs they cover."""
    audits = list(audits)
    rows = tuple(
        CoverageRow(
            ref,
            f"{ref} {title}",
            depth,
            tuple(col.id for col, refs in audits if ref in refs),
            suggest(ref, ctx) if ctx is not None else None,
        )
        for ref, title, depth in items
    )
    return Coverage(tuple(col for col, _ in audits), rows)


def _columns(programme: AuditProgramme) -> list[Audit]:
    return list(
        db.session.scalars(
            sa.select(Audit)
            .where(Audit.programme_id == programme.id, Audit.status != AuditStatus.CANCELLED)
            .options(
                selectinload(Audit.scope_items), selectinload(Audit.scope_units), selectinload(Audit.scope_systems)
            )
            .order_by(Audit.sequence)
        )
    )


def _col(audit: Audit) -> AuditColumn:
    return AuditColumn(audit.id, audit.reference, audit.title, audit.status)


def risk_context(
    programme: AuditProgramme, code: str, *, nonconformities: Mapping[str, int] | None = None
) -> RiskContext:
    systems = list(db.session.scalars(sa.select(AISystem).where(AISystem.in_scope.is_(True)).order_by(AISystem.name)))
    high = tuple(s.name for s in systems if s.risk_level in (RiskLevel.HIGH, RiskLevel.CRITICAL))
    since = programme.period_start - RECENT_CHANGE
    changing = tuple(
        f"{s.name} ({s.lifecycle_stage.label.lower()})"
        for s in systems
        if s.lifecycle_stage in CHANGING_STAGES or s.created_at.date() >= since
    )
    previous = db.session.scalar(
        sa.select(AuditProgramme)
        .where(AuditProgramme.period_end < programme.period_start)
        .order_by(AuditProgramme.period_end.desc())
        .limit(1)
    )
    covered = None
    if previous is not None:
        covered = frozenset(
            db.session.scalars(
                sa.select(ChecklistItem.ref)
                .join(Audit.scope_items)
                .join(ChecklistVersion)
                .where(
                    Audit.programme_id == previous.id,
                    Audit.status != AuditStatus.CANCELLED,
                    ChecklistVersion.checklist_id == programme.checklist_version.checklist_id,
                )
            )
        )
    if nonconformities is None:
        nonconformities = recorded_nonconformities(programme, previous)
    return RiskContext(high, changing, covered, previous.code if previous else "", nonconformities)


def recorded_nonconformities(programme: AuditProgramme, previous: AuditProgramme | None) -> dict[str, int]:
    """Per clause or control id, the checklist items concluded "nonconformity" in the fieldwork of the
    programme's and the previous programme's audits (cancelled audits aside), on the same checklist."""
    programme_ids = [programme.id] + ([previous.id] if previous is not None else [])
    rows = db.session.execute(
        sa.select(ChecklistItem.ref, sa.func.count(ChecklistResponse.id))
        .join(ChecklistResponse.item)
        .join(ChecklistItem.version)
        .join(Audit, ChecklistResponse.audit_id == Audit.id)
        .where(
            Audit.programme_id.in_(programme_ids),
            Audit.status != AuditStatus.CANCELLED,
            ChecklistVersion.checklist_id == programme.checklist_version.checklist_id,
            ChecklistResponse.result == ResponseResult.NONCONFORMITY,
        )
        .group_by(ChecklistItem.ref)
    )
    return dict(rows.all())


def programme_coverage(programme: AuditProgramme, *, with_suggestions: bool = True) -> Coverage:
    """Every auditable clause and control of the programme's checklist against its planned audits."""
    version = programme.checklist_version
    items = db.session.scalars(
        sa.select(ChecklistItem)
        .where(ChecklistItem.version_id == version.id, ChecklistItem.auditable.is_(True))
        .order_by(ChecklistItem.position)
    )
    audits = _columns(programme)
    same_checklist = version.checklist_id
    columns = [(_col(a), {i.ref for i in a.scope_items if i.version.checklist_id == same_checklist}) for a in audits]
    ctx = risk_context(programme, version.checklist.code) if with_suggestions else None
    return clause_matrix(((i.ref, i.title, i.depth) for i in items), columns, ctx)


def scope_coverage(programme: AuditProgramme) -> tuple[Coverage, Coverage]:
    """In-scope AI systems, and active org units, against the programme's planned audits."""
    audits = _columns(programme)
    cols = [_col(a) for a in audits]
    systems = db.session.scalars(sa.select(AISystem).where(AISystem.in_scope.is_(True)).order_by(AISystem.name))
    units = db.session.scalars(sa.select(OrgUnit).where(OrgUnit.active.is_(True)).order_by(OrgUnit.kind, OrgUnit.name))
    system_rows = tuple(
        CoverageRow(
            f"system-{s.id}", s.name, 0, tuple(a.id for a in audits if any(x.id == s.id for x in a.scope_systems))
        )
        for s in systems
    )
    unit_rows = tuple(
        CoverageRow(
            f"unit-{u.id}",
            f"{u.name} ({u.kind.label.lower()})",
            0,
            tuple(a.id for a in audits if any(x.id == u.id for x in a.scope_units)),
        )
        for u in units
    )
    return Coverage(tuple(cols), system_rows), Coverage(tuple(cols), unit_rows)
