"""Programme coverage: which clauses, controls, AI systems and units the planned audits reach, and which
clauses and controls they actually audited (planned against achieved).

The matrix is built by a pure function over plain data (`clause_matrix`); the loaders read that data for one
programme with a few narrow queries (ids, references and names, never whole checklist items), so the cost follows
the number of rows and audits, not the size of what the items hold, and the number of statements does not grow
with the data. The clause and control matrix is the default view; the AI-system and org-unit rows are loaded only
when asked for (`scope_coverage`), with `scope_counts` giving their totals in two aggregate queries.

Each row carries a risk-based suggestion (priorities.py) and what the audits achieved (achieved.py); their public
names are re-exported here for the callers that reach them through this module.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from audit_app.extensions import db
from audit_app.models import (
    AISystem,
    Audit,
    AuditProgramme,
    AuditStatus,
    ChecklistItem,
    ChecklistVersion,
    OrgUnit,
)
from audit_app.models.audit import audit_scope_item, audit_scope_system, audit_scope_unit
from audit_app.services.planning.achieved import Concluded, Outcome, concluded, counted_audits
from audit_app.services.planning.priorities import (
    RiskContext,
    Suggestion,
    checklist_id_of,
    risk_context,
    risk_context_for,
    suggest,
)

__all__ = [
    "AuditColumn",
    "Coverage",
    "CoverageRow",
    "Outcome",
    "RiskContext",
    "ScopeCount",
    "Suggestion",
    "audit_columns",
    "clause_matrix",
    "programme_coverage",
    "risk_context",
    "scope_counts",
    "scope_coverage",
    "suggest",
]


@dataclass(frozen=True)
class AuditColumn:
    id: int
    reference: str
    title: str
    status: AuditStatus


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
class ScopeCount:
    """How many rows a scope view has, and how many of them no planned audit covers."""

    total: int
    uncovered: int


def clause_matrix(
    items: Iterable[tuple[str, str, int]],
    audits: Iterable[tuple[AuditColumn, set[str]]],
    ctx: RiskContext | None = None,
    outcomes: Concluded | None = None,
) -> Coverage:
    """Rows of (ref, title, depth) against audits with the refs they cover (each row lists its audits in column
    order), and what each audit concluded (`outcomes`, from `achieved.concluded` or `achieved.by_item`)."""
    audits = list(audits)
    order = {col.id: index for index, (col, _) in enumerate(audits)}
    covering: dict[str, list[int]] = {}
    for col, refs in audits:
        for ref in refs:
            covering.setdefault(ref, []).append(col.id)
    found = outcomes or Concluded({}, {})
    last = len(order)
    achieved = {ref: sorted(ids, key=lambda i: order.get(i, last)) for ref, ids in found.achieved.items()}
    skipped = {ref: sorted(pairs, key=lambda p: order.get(p[0], last)) for ref, pairs in found.skipped.items()}
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


def audit_columns(programme: AuditProgramme) -> list[AuditColumn]:
    """The programme's planned audits (not cancelled) in sequence: the matrix's columns, in one narrow query."""
    rows = db.session.execute(
        sa.select(Audit.id, Audit.reference, Audit.title, Audit.status)
        .where(*counted_audits(programme))
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
        .where(*counted_audits(programme), ChecklistVersion.checklist_id == checklist_id)
    )
    refs: dict[int, set[str]] = {}
    for audit_id, ref in rows:
        refs.setdefault(audit_id, set()).add(ref)
    return refs


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
    checklist_id = checklist_id_of(programme)
    refs = _covered_refs(programme, checklist_id)
    ctx = risk_context_for(programme, checklist_id, None) if with_suggestions else None
    return clause_matrix(
        ((i.ref, i.title, i.depth) for i in items),
        ((c, refs.get(c.id, set())) for c in cols),
        ctx,
        concluded(programme, checklist_id),
    )


def _links(
    table: sa.Table, key: sa.Column[int], programme: AuditProgramme, cols: list[AuditColumn]
) -> dict[int, tuple[int, ...]]:
    """Per unit or system id, the planned audits that have it in scope, in column order."""
    position = {col.id: index for index, col in enumerate(cols)}
    found: dict[int, list[int]] = {}
    rows = db.session.execute(
        sa.select(table.c.audit_id, key).join(Audit, Audit.id == table.c.audit_id).where(*counted_audits(programme))
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
        .where(key == entity.id, *counted_audits(programme))
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
