"""The audit life cycle as a transition table: the moves, who makes them, their gates, and what each state locks.

Every move is made by the audit's own lead auditor or an administrator (access.Party), recorded as an
AuditTransition with who, when and why, and in the activity trail. Going back and cancelling need a reason.
"""

from __future__ import annotations

from dataclasses import dataclass

from audit_app.errors import Conflict, InvalidTransition
from audit_app.models import Audit, AuditStatus, AuditTransition, MeetingKind, User
from audit_app.services import access, activity
from audit_app.services.access import Party
from audit_app.services.fieldwork.responses import materialise_responses
from audit_app.workflow import Option, Transition, Wording, Workflow, move

__all__ = ["InvalidTransition", "Locked"]

S = AuditStatus
#: Who may move an audit through its life cycle.
MOVERS = (Party.ADMIN, Party.AUDIT_LEAD)
#: Every state an audit can still be cancelled from.
OPEN = (S.PLANNED, S.PREPARATION, S.FIELDWORK, S.REPORTING, S.FOLLOW_UP)

#: Parts of an audit that can no longer change in each state.
LOCKED: dict[AuditStatus, frozenset[str]] = {
    S.PLANNED: frozenset(),
    S.PREPARATION: frozenset(),
    S.FIELDWORK: frozenset({"scope", "criteria"}),
    S.REPORTING: frozenset({"scope", "criteria", "details", "team", "agenda"}),
    S.FOLLOW_UP: frozenset({"scope", "criteria", "details", "team", "agenda", "meetings"}),
    S.CLOSED: frozenset({"scope", "criteria", "details", "team", "agenda", "meetings"}),
    S.CANCELLED: frozenset({"scope", "criteria", "details", "team", "agenda", "meetings"}),
}

SECTION_LABELS = {
    "scope": "Scope",
    "criteria": "Criteria",
    "details": "Audit details and dates",
    "team": "The audit team",
    "agenda": "The agenda",
    "meetings": "Opening and closing meeting records",
}

LOCK_REASONS = {
    S.FIELDWORK: "scope and criteria are frozen once fieldwork starts",
    S.REPORTING: "only the closing meeting can still be recorded while the report is written",
    S.FOLLOW_UP: "the audit is in follow-up",
    S.CLOSED: "the audit is closed",
    S.CANCELLED: "the audit is cancelled",
}


class Locked(Conflict):
    """That part of the audit is frozen in its current state."""


def ensure_unlocked(audit: Audit, section: str) -> None:
    """Refuse changes to a part of the audit that its state freezes."""
    if section in LOCKED[audit.status]:
        raise Locked(
            f"{SECTION_LABELS[section]} can no longer change: the audit is {audit.status.in_words} "
            f"and {LOCK_REASONS.get(audit.status, 'this state freezes it')}."
        )


def lock_message(audit: Audit, section: str) -> str | None:
    """Why a section is frozen now, or None (pages show it above a read-only form)."""
    try:
        ensure_unlocked(audit, section)
    except Locked as exc:
        return str(exc)
    return None


def locked_sections(audit: Audit) -> list[str]:
    """The labels of the frozen sections, in the order the overview lists them."""
    order = list(SECTION_LABELS)
    return [SECTION_LABELS[s] for s in sorted(LOCKED[audit.status], key=order.index)]


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
        _to(S.REPORTING, S.FIELDWORK, gates=[_meetings_recorded]),
        _to(S.FOLLOW_UP, S.REPORTING),
        _to(S.CLOSED, S.REPORTING, S.FOLLOW_UP),
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


def options(audit: Audit) -> list[TransitionOption]:
    """Every move from the audit's state, with what still blocks it (for those who may move it)."""
    moves: list[Option[AuditStatus]] = AUDIT_LIFECYCLE.options(audit, MOVERS)
    return [TransitionOption(o.target, o.needs_reason, o.blockers) for o in moves]


def gate_blockers(audit: Audit, target: AuditStatus) -> list[str]:
    """What must be done before `audit` may move to `target` (empty when nothing blocks)."""
    transition = AUDIT_LIFECYCLE.find(audit.status, target.value)
    return AUDIT_LIFECYCLE.blockers(audit, transition) if transition is not None else []


def transition(audit: Audit, target: AuditStatus, *, actor: User, reason: str = "") -> AuditTransition:
    """Move the audit to `target` if the actor may and the gates are met; record who, when and why."""
    AUDIT_LIFECYCLE.apply(audit, target.value, roles=access.parties(actor, audit), actor=actor, reason=reason)
    return audit.transitions[-1]
