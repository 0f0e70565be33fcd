"""The audit life cycle as a transition table: the moves, who makes them, their gates, and what each state locks.

Every move is made by the audit's own lead auditor or an administrator (access.Party), recorded as an
AuditTransition with who, when and why, and in the activity trail. Going back and cancelling need a reason.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from audit_app.errors import Conflict, InvalidTransition
from audit_app.extensions import db
from audit_app.models import Adequacy, Audit, AuditRisk, AuditStatus, AuditTransition, DocumentReview, MeetingKind, User
from audit_app.services import access, activity
from audit_app.services.access import Party
from audit_app.services.fieldwork.responses import materialise_responses
from audit_app.services.findings.audit_gates import unreviewed_findings
from audit_app.services.planning import agenda, conclusions
from audit_app.services.planning.locks import (
    LOCK_REASONS,
    LOCKED,
    SECTION_LABELS,
    Locked,
    ensure_unlocked,
    lock_message,
    locked_sections,
)
from audit_app.workflow import Option, Transition, Wording, Workflow, move

__all__ = [
    "LOCKED",
    "LOCK_REASONS",
    "SECTION_LABELS",
    "GateNotMet",
    "InvalidTransition",
    "Locked",
    "WarningsNotConfirmed",
    "ensure_unlocked",
    "lock_message",
    "locked_sections",
]

S = AuditStatus
#: Who may move an audit through its life cycle.
MOVERS = (Party.ADMIN, Party.AUDIT_LEAD)
#: Every state an audit can still be cancelled from.
OPEN = (S.PLANNED, S.PREPARATION, S.FIELDWORK, S.REPORTING, S.FOLLOW_UP)


class GateNotMet(InvalidTransition):
    """A gate blocks the move; `missing` lists each thing to do first (the API adds it to the error body)."""

    def __init__(self, message: str, missing: list[str]) -> None:
        super().__init__(message)
        self.missing = missing

    @property
    def details(self) -> dict[str, object]:
        return {"missing": self.missing}


class WarningsNotConfirmed(Conflict):
    """Fieldwork starts with open warnings only once the lead auditor has confirmed them."""

    def __init__(self, warnings: list[str]) -> None:
        super().__init__(
            "Confirm the open warnings before fieldwork starts: " + " ".join(warnings) + " "
            "Scope, criteria and the checklist version freeze once it starts."
        )
        self.warnings = warnings

    @property
    def details(self) -> dict[str, object]:
        return {"warnings": self.warnings}


# --- gates and effects ------------------------------------------------------------------------------------------


def _ready_for_fieldwork(audit: Audit) -> list[str]:
    blockers: list[str] = []
    if not audit.criteria:
        blockers.append("Pin at least one checklist version as audit criteria.")
    if not audit.scope_items:
        blockers.append("Choose the clauses and controls in scope.")
    pending = [m.user.name for m in audit.team if not m.has_declared]
    if pending:
        blockers.append("Declarations of independence are still missing from: " + ", ".join(pending) + ".")
    if not audit.sessions:
        blockers.append("Plan at least one agenda session.")
    return blockers


def _meetings_recorded(audit: Audit) -> list[str]:
    recorded = {m.kind for m in audit.meetings}
    return [
        f"Record the {kind.label.lower()}."
        for kind in (MeetingKind.OPENING, MeetingKind.CLOSING)
        if kind not in recorded
    ]


#: What freezes when fieldwork starts, in words for the confirmation page.
FREEZES_AT_FIELDWORK = (
    "The org units and AI systems in scope",
    "The pinned checklist versions (criteria) and the clauses and controls in scope",
    "The working checklist: one response per clause and control in scope, from the pinned versions",
)


def fieldwork_warnings(audit: Audit) -> list[str]:
    """What the lead auditor should look at before fieldwork starts; none of it blocks the move, but each is
    shown on the confirmation page and must be confirmed (and the confirmation is kept in the trail)."""
    warnings: list[str] = []
    planned = {item.id for session in audit.sessions for item in session.items}
    uncovered = [i.ref for i in audit.scope_items if i.auditable and i.id not in planned]
    if uncovered:
        warnings.append(
            f"{len(uncovered)} clause(s) or control(s) in scope are on no agenda session: {', '.join(uncovered)}."
        )
    excepted = [m.user.name for m in audit.team if m.impartiality_exception.strip()]
    if excepted:
        warnings.append("Auditing under a recorded impartiality exception: " + ", ".join(excepted) + ".")
    excepted_sessions = [s.title for s in audit.sessions if s.impartiality_exception.strip()]
    if excepted_sessions:
        warnings.append("Sessions held under a recorded impartiality exception: " + ", ".join(excepted_sessions) + ".")
    warnings += [f"Not impartial: {conflict.message}" for conflict in agenda.impartiality_conflicts(audit)]
    if not audit.scope_systems:
        warnings.append("No AI system is in scope: the audit will not examine any AI system directly.")
    risks = db.session.scalar(
        sa.select(sa.func.count(AuditRisk.id)).where(AuditRisk.audit_id == audit.id, AuditRisk.removed_at.is_(None))
    )
    if not risks:
        warnings.append("No risk to achieving the audit objectives has been assessed.")
    reviews = db.session.execute(
        sa.select(DocumentReview.document, DocumentReview.adequacy).where(
            DocumentReview.audit_id == audit.id, DocumentReview.removed_at.is_(None)
        )
    ).all()
    if not reviews:
        warnings.append("No documented information has been reviewed in preparation.")
    weak = [f"{name} ({adequacy.label.lower()})" for name, adequacy in reviews if adequacy is not Adequacy.ADEQUATE]
    if weak:
        warnings.append("Documents found not adequate in preparation: " + ", ".join(weak) + ".")
    return warnings


def _ready_for_reporting(audit: Audit) -> list[str]:
    """Both meetings recorded, every item in scope concluded, and the team conference with its conclusions."""
    return _meetings_recorded(audit) + conclusions.reporting_blockers(audit)


def _open_working_checklist(audit: Audit, actor: User, reason: str) -> None:
    materialise_responses(audit)  # the working checklist starts now


def _keep_cancel_reason(audit: Audit, actor: User, reason: str) -> None:
    audit.cancel_reason = reason


def _record(audit: Audit, transition: Transition[AuditStatus], source: AuditStatus, actor: User, reason: str) -> None:
    audit.transitions.append(
        AuditTransition(from_status=source, to_status=transition.target, actor_id=actor.id, reason=reason)
    )
    activity.record(
        actor, "audit.status_changed", audit, source=source.value, target=transition.target.value, reason=reason
    )


def _to(target: AuditStatus, *sources: AuditStatus, **kwargs: object) -> Transition[AuditStatus]:
    """A move named after its target state ("move to fieldwork")."""
    return move(sources, target.value, target, roles=MOVERS, **kwargs)  # type: ignore[arg-type]


#: The audit life cycle (ISO 19011 6.2 to 6.6): planned → preparation → fieldwork → reporting → follow-up → closed.
AUDIT_LIFECYCLE: Workflow[AuditStatus] = Workflow(
    "audit",
    [
        _to(S.PREPARATION, S.PLANNED),
        _to(S.FIELDWORK, S.PREPARATION, gates=[_ready_for_fieldwork], effects=[_open_working_checklist]),
        _to(S.PLANNED, S.PREPARATION, needs_reason=True),
        _to(S.REPORTING, S.FIELDWORK, gates=[_ready_for_reporting]),
        _to(S.FOLLOW_UP, S.REPORTING, gates=[unreviewed_findings]),
        _to(S.CLOSED, S.REPORTING, S.FOLLOW_UP, gates=[unreviewed_findings]),
        _to(S.FIELDWORK, S.REPORTING, needs_reason=True),
        _to(S.CANCELLED, *OPEN, needs_reason=True, effects=[_keep_cancel_reason]),
    ],
    states=AuditStatus,
    wording=Wording(
        not_allowed="Only the audit's lead auditor or an administrator can change its status.",
        not_in_table=lambda noun, state, action, moves: (
            f"An audit in {state.label.lower()} cannot move to {S(action).label.lower()}. "
            f"Allowed: {', '.join(t.target.label.lower() for t in moves) or 'none: it is final'}."
        ),
        needs_reason=lambda noun, t: f"Give a reason for moving the audit to {t.target.label.lower()}.",
        blocked=lambda noun, t, blockers: f"Not ready for {t.target.label.lower()}: " + " ".join(blockers),
    ),
    record=_record,
)

#: The table read as "state → the states it may move to" (in the table's order).
TRANSITIONS: dict[AuditStatus, tuple[AuditStatus, ...]] = {
    state: tuple(t.target for t in AUDIT_LIFECYCLE.from_state(state)) for state in AuditStatus
}
#: Moves that must say why (going back, or stopping).
NEEDS_REASON = {(s, t.target) for t in AUDIT_LIFECYCLE.transitions if t.needs_reason for s in t.sources}


@dataclass(frozen=True)
class TransitionOption:
    target: AuditStatus
    needs_reason: bool
    blockers: tuple[str, ...]
    #: Open warnings the lead auditor confirms before the move (fieldwork only).
    warnings: tuple[str, ...] = ()


def options(audit: Audit) -> list[TransitionOption]:
    """Every move from the audit's state, with what still blocks it (for those who may move it)."""
    moves: list[Option[AuditStatus]] = AUDIT_LIFECYCLE.options(audit, MOVERS)
    return [
        TransitionOption(
            o.target,
            o.needs_reason,
            o.blockers,
            tuple(fieldwork_warnings(audit)) if o.target is S.FIELDWORK and audit.status is S.PREPARATION else (),
        )
        for o in moves
    ]


def gate_blockers(audit: Audit, target: AuditStatus) -> list[str]:
    """What must be done before `audit` may move to `target` (empty when nothing blocks)."""
    transition = AUDIT_LIFECYCLE.find(audit.status, target.value)
    return AUDIT_LIFECYCLE.blockers(audit, transition) if transition is not None else []


def transition(
    audit: Audit, target: AuditStatus, *, actor: User, reason: str = "", confirm_warnings: bool = False
) -> AuditTransition:
    """Move the audit to `target` if the actor may and the gates are met; record who, when and why.

    A gate's refusal is a GateNotMet listing each thing missing. Fieldwork with open warnings starts only with
    `confirm_warnings` (WarningsNotConfirmed lists them otherwise); the confirmed warnings go into the trail.
    """
    roles = access.parties(actor, audit)
    try:
        chosen = AUDIT_LIFECYCLE.check(audit, target.value, roles=roles, reason=reason)
    except InvalidTransition as exc:
        found = AUDIT_LIFECYCLE.find(audit.status, target.value)
        if found is not None:
            missing = AUDIT_LIFECYCLE.blockers(audit, found)
            if missing and str(exc) == AUDIT_LIFECYCLE.wording.blocked("audit", found, missing):
                raise GateNotMet(str(exc), missing) from None
        raise
    starting = chosen.target is S.FIELDWORK and audit.status is S.PREPARATION  # not going back from reporting
    warnings = fieldwork_warnings(audit) if starting else []
    if warnings and not confirm_warnings:
        raise WarningsNotConfirmed(warnings)
    AUDIT_LIFECYCLE.apply(audit, target.value, roles=roles, actor=actor, reason=reason)
    if warnings:
        activity.record(actor, "audit.fieldwork_warnings_confirmed", audit, warnings=warnings)
    return audit.transitions[-1]
