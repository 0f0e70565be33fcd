"""Programme coverage: which clauses, controls, AI systems and units the planned audits reach, and which
clauses and controls they actually audited (planned against achieved).

Pure functions over plain data; the loaders read that data for one programme with a few narrow queries (ids,
references and names, never whole checklist items), so the cost follows the number of rows and audits, not
the size of what the items hold, and the number of statements does not grow with the data. The clause and
control matrix is the default view; the AI-system and org-unit rows are loaded only when asked for
(`scope_coverage`), with `scope_counts` giving their totals in two aggregate queries.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import sqlalchemy as sa

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
from audit_app.models.audit import audit_scope_item, audit_scope_system, audit_scope_unit

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
#: A reason names this many AI systems and says how many more there are: it is repeated on every row of the
#: areas it concerns, so it must not grow with the inventory.
NAMES_SHOWN = 3
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
    covered_by: tuple[int, ...]  # audit ids: planned (in scope)
    suggestion: Suggestion | None = None
    #: Audits that concluded the item (achieved), and those that closed it "not audited", with the reason.
    achieved_by: tuple[int, ...] = ()
    not_audited: tuple[tuple[int, str], ...] = ()

    @property
    def covered(self) -> bool:
        return bool(self.covered_by)

    @property
    def achieved(self) -> bool:
        return bool(self.achieved_by)

    def not_audited_reason(self, audit_id: int) -> str | None:
        return next((reason for aid, reason in self.not_audited if aid == audit_id), None)


@dataclass(frozen=True)
class Coverage:
    audits: tuple[AuditColumn, ...]
    rows: tuple[CoverageRow, ...]
    uncovered: int = field(init=False)
    #: Rows some audit actually concluded; items closed as "not audited" do not count.
    achieved: int = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "uncovered", sum(1 for r in self.rows if not r.covered))
        object.__setattr__(self, "achieved", sum(1 for r in self.rows if r.achieved))


@dataclass(frozen=True)
class RiskContext:
    high_risk_systems: tuple[str, ...] = ()
    changing_systems: tuple[str, ...] = ()
    previously_covered: frozenset[str] | None = None
    previous_code: str = ""
    #: Recent nonconformities per clause or control id: checklist items concluded "nonconformity" in the
    #: fieldwork of this or the previous programme (the findings register can pass its own counts instead).
    nonconformities: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class ScopeCount:
    """How many rows a scope view has, and how many of them no planned audit covers."""

    total: int
    uncovered: int


def _in_area(ref: str, areas: Iterable[str]) -> bool:
    return any(ref == a or ref.startswith(a + ".") for a in areas)


def _some(names: tuple[str, ...]) -> str:
    """The first NAMES_SHOWN names, and how many more there are."""
    if len(names) <= NAMES_SHOWN:
        return ", ".join(names)
    return f"{', '.join(names[:NAMES_SHOWN])} and {len(names) - NAMES_SHOWN} more"


def suggest(ref: str, ctx: RiskContext) -> Suggestion:
    """Suggest how often to audit an item, with the reasons behind the suggestion."""
    score, reasons = 0, []
    ncs = ctx.nonconformities.get(ref, 0)
    if ncs:
        score += 3
        reasons.append(f"{ncs} nonconformit{'y' if ncs == 1 else 'ies'} recorded in this or the previous programme")
    if ctx.high_risk_systems and _in_area(ref, AI_SYSTEM_AREAS):
        score += 2
        reasons.append(f"{len(ctx.high_risk_systems)} high-risk AI system(s) in scope: {_some(ctx.high_risk_systems)}")
    if ctx.changing_systems and _in_area(ref, CHANGE_AREAS):
        score += 1
        reasons.append("AI systems changing: " + _some(ctx.changing_systems))
    if ctx.previously_covered is not None and ref not in ctx.previously_covered:
        score += 1
        reasons.append(f"not audited in the previous programme ({ctx.previous_code})")
    level = "high" if score >= 3 else "medium" if score >= 1 else "low"
    return Suggestion(level, tuple(reasons) or ("no risk signal found",))


@dataclass(frozen=True)
class Outcome:
    """What one audit's fieldwork concluded on one item: a result (achieved) or "not audited" with its reason."""

    audit_id: int
    ref: str
    result: ResponseResult
    reason: str = ""


def clause_matrix(
    items: Iterable[tuple[str, str, int]],
    audits: Iterable[tuple[AuditColumn, set[str]]],
    ctx: RiskContext | None = None,
    outcomes: Iterable[Outcome] = (),
) -> Coverage:
    """Rows of (ref, title, depth) against audits with the refs they cover (each row lists its audits in column
    order), and what each audit concluded (`outcomes`: not-assessed results are not outcomes)."""
    audits = list(audits)
    order = {col.id: index for index, (col, _) in enumerate(audits)}
    covering: dict[str, list[int]] = {}
    for col, refs in audits:
        for ref in refs:
            covering.setdefault(ref, []).append(col.id)
    achieved: dict[str, list[int]] = {}
    skipped: dict[str, list[tuple[int, str]]] = {}
    for o in sorted(outcomes, key=lambda o: order.get(o.audit_id, len(order))):
        if o.result is ResponseResult.NOT_AUDITED:
            skipped.setdefault(o.ref, []).append((o.audit_id, o.reason))
        elif o.result is not ResponseResult.NOT_ASSESSED:
            achieved.setdefault(o.ref, []).append(o.audit_id)
    rows = tuple(
        CoverageRow(
            ref,
            f"{ref} {title}",
            depth,
            tuple(covering.get(ref, ())),
            suggest(ref, ctx) if ctx is not None else None,
            tuple(achieved.get(ref, ())),
            tuple(skipped.get(ref, ())),
        )
        for ref, title, depth in items
    )
    return Coverage(tuple(col for col, _ in audits), rows)


def _planned(programme: AuditProgramme) -> tuple[sa.ColumnElement[bool], ...]:
    """The audits that count: the programme's, cancelled ones aside."""
    return (Audit.programme_id == programme.id, Audit.status != AuditStatus.CANCELLED)


def audit_columns(programme: AuditProgramme) -> list[AuditColumn]:
    """The programme's planned audits (not cancelled) in sequence: the matrix's columns, in one narrow query."""
    rows = db.session.execute(
        sa.select(Audit.id, Audit.reference, Audit.title, Audit.status)
        .where(*_planned(programme))
        .order_by(Audit.sequence)
    )
    return [AuditColumn(*row) for row in rows]


def _covered_refs(programme: AuditProgramme, checklist_id: int) -> dict[int, set[str]]:
    """Per planned audit, the refs of its scope items from the same checklist (any version of it)."""
    rows = db.session.execute(
        sa.select(audit_scope_item.c.audit_id, ChecklistItem.ref)
        .join(Audit, Audit.id == audit_scope_item.c.audit_id)
        .join(ChecklistItem, ChecklistItem.id == audit_scope_item.c.checklist_item_id)
        .join(ChecklistVersion, ChecklistVersion.id == ChecklistItem.version_id)
        .where(*_planned(programme), ChecklistVersion.checklist_id == checklist_id)
    )
    refs: dict[int, set[str]] = {}
    for audit_id, ref in rows:
        refs.setdefault(audit_id, set()).add(ref)
    return refs


def _outcomes(programme: AuditProgramme, checklist_id: int) -> list[Outcome]:
    """What the planned audits' fieldwork concluded on auditable items of the same checklist, in one query."""
    rows = db.session.execute(
        sa.select(ChecklistResponse.audit_id, ChecklistItem.ref, ChecklistResponse.result, ChecklistResponse.reason)
        .join(ChecklistItem, ChecklistItem.id == ChecklistResponse.checklist_item_id)
        .join(ChecklistVersion, ChecklistVersion.id == ChecklistItem.version_id)
        .join(Audit, Audit.id == ChecklistResponse.audit_id)
        .where(
            *_planned(programme),
            ChecklistVersion.checklist_id == checklist_id,
            ChecklistItem.auditable.is_(True),
            ChecklistResponse.result != ResponseResult.NOT_ASSESSED,
        )
    )
    return [Outcome(audit_id, ref, result, reason or "") for audit_id, ref, result, reason in rows]


def _checklist_id(programme: AuditProgramme) -> int:
    checklist_id = db.session.scalar(
        sa.select(ChecklistVersion.checklist_id).where(ChecklistVersion.id == programme.checklist_version_id)
    )
    return int(checklist_id or 0)


def risk_context(
    programme: AuditProgramme, checklist_code: str = "", *, nonconformities: Mapping[str, int] | None = None
) -> RiskContext:
    """The risk signals for the programme's suggestions (`checklist_code` is accepted for older callers)."""
    return _risk_context(programme, _checklist_id(programme), nonconformities)


def _risk_context(
    programme: AuditProgramme, checklist_id: int, nonconformities: Mapping[str, int] | None
) -> RiskContext:
    systems = db.session.execute(
        sa.select(AISystem.name, AISystem.risk_level, AISystem.lifecycle_stage, AISystem.created_at)
        .where(AISystem.in_scope.is_(True))
        .order_by(AISystem.name)
    ).all()
    high = tuple(s.name for s in systems if s.risk_level in (RiskLevel.HIGH, RiskLevel.CRITICAL))
    since = programme.period_start - RECENT_CHANGE
    changing = tuple(
        f"{s.name} ({s.lifecycle_stage.label.lower()})"
        for s in systems
        if s.lifecycle_stage in CHANGING_STAGES or s.created_at.date() >= since
    )
    previous = db.session.execute(
        sa.select(AuditProgramme.id, AuditProgramme.code)
        .where(AuditProgramme.period_end < programme.period_start)
        .order_by(AuditProgramme.period_end.desc())
        .limit(1)
    ).first()
    covered = None
    if previous is not None:
        covered = frozenset(
            db.session.scalars(
                sa.select(ChecklistItem.ref)
                .join(audit_scope_item, audit_scope_item.c.checklist_item_id == ChecklistItem.id)
                .join(Audit, Audit.id == audit_scope_item.c.audit_id)
                .join(ChecklistVersion, ChecklistVersion.id == ChecklistItem.version_id)
                .where(
                    Audit.programme_id == previous.id,
                    Audit.status != AuditStatus.CANCELLED,
                    ChecklistVersion.checklist_id == checklist_id,
                )
                .distinct()
            )
        )
    if nonconformities is None:
        nonconformities = _nonconformities([programme.id, *([previous.id] if previous else [])], checklist_id)
    return RiskContext(high, changing, covered, previous.code if previous else "", nonconformities)


def recorded_nonconformities(programme: AuditProgramme, previous: AuditProgramme | None) -> dict[str, int]:
    """Per clause or control id, the checklist items concluded "nonconformity" in the fieldwork of the
    programme's and the previous programme's audits (cancelled audits aside), on the same checklist."""
    ids = [programme.id] + ([previous.id] if previous is not None else [])
    return _nonconformities(ids, _checklist_id(programme))


def _nonconformities(programme_ids: list[int], checklist_id: int) -> dict[str, int]:
    rows = db.session.execute(
        sa.select(ChecklistItem.ref, sa.func.count(ChecklistResponse.id))
        .join(ChecklistResponse.item)
        .join(ChecklistItem.version)
        .join(Audit, ChecklistResponse.audit_id == Audit.id)
        .where(
            Audit.programme_id.in_(programme_ids),
            Audit.status != AuditStatus.CANCELLED,
            ChecklistVersion.checklist_id == checklist_id,
            ChecklistResponse.result == ResponseResult.NONCONFORMITY,
        )
        .group_by(ChecklistItem.ref)
    )
    return {str(row[0]): int(row[1]) for row in rows}


def programme_coverage(
    programme: AuditProgramme, *, with_suggestions: bool = True, columns: list[AuditColumn] | None = None
) -> Coverage:
    """Every auditable clause and control of the programme's checklist against its planned audits.

    `columns` (from `audit_columns`) saves reading the audits again when the caller has them.
    """
    items = db.session.execute(
        sa.select(ChecklistItem.ref, ChecklistItem.title, ChecklistItem.depth)
        .where(ChecklistItem.version_id == programme.checklist_version_id, ChecklistItem.auditable.is_(True))
        .order_by(ChecklistItem.position)
    ).all()
    cols = audit_columns(programme) if columns is None else columns
    checklist_id = _checklist_id(programme)
    refs = _covered_refs(programme, checklist_id)
    ctx = _risk_context(programme, checklist_id, None) if with_suggestions else None
    return clause_matrix(
        ((i.ref, i.title, i.depth) for i in items),
        ((c, refs.get(c.id, set())) for c in cols),
        ctx,
        _outcomes(programme, checklist_id),
    )


def _links(
    table: sa.Table, key: sa.Column[int], programme: AuditProgramme, cols: list[AuditColumn]
) -> dict[int, tuple[int, ...]]:
    """Per unit or system id, the planned audits that have it in scope, in column order."""
    position = {col.id: index for index, col in enumerate(cols)}
    found: dict[int, list[int]] = {}
    rows = db.session.execute(
        sa.select(table.c.audit_id, key).join(Audit, Audit.id == table.c.audit_id).where(*_planned(programme))
    )
    for audit_id, key_id in rows:
        if audit_id in position:
            found.setdefault(key_id, []).append(audit_id)
    return {key_id: tuple(sorted(ids, key=position.__getitem__)) for key_id, ids in found.items()}


def scope_coverage(programme: AuditProgramme, *, columns: list[AuditColumn] | None = None) -> tuple[Coverage, Coverage]:
    """In-scope AI systems, and active org units, against the programme's planned audits."""
    cols = audit_columns(programme) if columns is None else columns
    systems = db.session.execute(
        sa.select(AISystem.id, AISystem.name).where(AISystem.in_scope.is_(True)).order_by(AISystem.name, AISystem.id)
    ).all()
    units = db.session.execute(
        sa.select(OrgUnit.id, OrgUnit.name, OrgUnit.kind)
        .where(OrgUnit.active.is_(True))
        .order_by(OrgUnit.kind, OrgUnit.name, OrgUnit.id)
    ).all()
    by_system = _links(audit_scope_system, audit_scope_system.c.ai_system_id, programme, cols)
    by_unit = _links(audit_scope_unit, audit_scope_unit.c.org_unit_id, programme, cols)
    system_rows = tuple(CoverageRow(f"system-{s.id}", s.name, 0, by_system.get(s.id, ())) for s in systems)
    unit_rows = tuple(
        CoverageRow(f"unit-{u.id}", f"{u.name} ({u.kind.label.lower()})", 0, by_unit.get(u.id, ())) for u in units
    )
    return Coverage(tuple(cols), system_rows), Coverage(tuple(cols), unit_rows)


def _count(
    entity: Any, where: sa.ColumnElement[bool], table: sa.Table, key: sa.Column[int], programme: AuditProgramme
) -> ScopeCount:
    covered = (
        sa.select(table.c.audit_id)
        .join(Audit, Audit.id == table.c.audit_id)
        .where(key == entity.id, *_planned(programme))
        .exists()
    )
    uncovered = sa.func.coalesce(sa.func.sum(sa.case((covered, 0), else_=1)), 0)
    total, missing = db.session.execute(sa.select(sa.func.count(entity.id), uncovered).where(where)).one()
    return ScopeCount(int(total), int(missing))


def scope_counts(programme: AuditProgramme) -> tuple[ScopeCount, ScopeCount]:
    """How many in-scope AI systems and active org units there are, and how many no planned audit covers."""
    systems = _count(
        AISystem, AISystem.in_scope.is_(True), audit_scope_system, audit_scope_system.c.ai_system_id, programme
    )
    units = _count(OrgUnit, OrgUnit.active.is_(True), audit_scope_unit, audit_scope_unit.c.org_unit_id, programme)
    return systems, units
