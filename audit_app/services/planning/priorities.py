"""Risk-based audit priorities for a programme: how often to audit each clause or control, and why.

ISO 19011 5.3 asks that the programme's extent follow risk: the AI systems in scope (high risk, or changing now),
recent nonconformities (checklist conclusions, and open nonconformity findings of any programme), and what the
previous programme left out. `suggest` is a pure function of one item and a
`RiskContext`; `risk_context` reads the context for one programme in a few narrow queries. The coverage matrix
(coverage.py) puts a suggestion on each of its rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta

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
    ResponseResult,
    RiskLevel,
)
from audit_app.models.audit import audit_scope_item
from audit_app.services.findings import recurrence

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
class Suggestion:
    level: str  # high | medium | low
    reasons: tuple[str, ...]

    @property
    def frequency(self) -> str:
        return FREQUENCY[self.level]


@dataclass(frozen=True)
class RiskContext:
    high_risk_systems: tuple[str, ...] = ()
    changing_systems: tuple[str, ...] = ()
    previously_covered: frozenset[str] | None = None
    previous_code: str = ""
    #: Recent nonconformities per clause or control id: checklist items concluded "nonconformity" in the
    #: fieldwork of this or the previous programme (the findings register can pass its own counts instead).
    nonconformities: Mapping[str, int] = field(default_factory=dict)
    #: Open nonconformities per clause or control id from the findings of any programme (issued; not closed,
    #: withdrawn or merged): a requirement still failing calls for another look, whichever programme found it.
    open_findings: Mapping[str, int] = field(default_factory=dict)


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
    open_ncs = ctx.open_findings.get(ref, 0)
    if open_ncs:
        score += 3
        reasons.append(
            f"{open_ncs} open nonconformit{'y' if open_ncs == 1 else 'ies'} (findings of any programme) not yet closed"
        )
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


def checklist_id_of(programme: AuditProgramme) -> int:
    """The checklist the programme audits against (any version of it counts), in one narrow query."""
    checklist_id = db.session.scalar(
        sa.select(ChecklistVersion.checklist_id).where(ChecklistVersion.id == programme.checklist_version_id)
    )
    return int(checklist_id or 0)


def risk_context(
    programme: AuditProgramme, checklist_code: str = "", *, nonconformities: Mapping[str, int] | None = None
) -> RiskContext:
    """The risk signals for the programme's suggestions (`checklist_code` is accepted for older callers)."""
    return risk_context_for(programme, checklist_id_of(programme), nonconformities)


def risk_context_for(
    programme: AuditProgramme, checklist_id: int, nonconformities: Mapping[str, int] | None
) -> RiskContext:
    """`risk_context` when the caller knows the programme's checklist already (the nonconformities are counted
    when None is given)."""
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
    open_findings = recurrence.open_by_ref()  # one grouped query, whatever the number of findings
    return RiskContext(high, changing, covered, previous.code if previous else "", nonconformities, open_findings)


def recorded_nonconformities(programme: AuditProgramme, previous: AuditProgramme | None) -> dict[str, int]:
    """Per clause or control id, the checklist items concluded "nonconformity" in the fieldwork of the
    programme's and the previous programme's audits (cancelled audits aside), on the same checklist."""
    ids = [programme.id] + ([previous.id] if previous is not None else [])
    return _nonconformities(ids, checklist_id_of(programme))


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
