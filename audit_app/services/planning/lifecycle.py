"""The audit life cycle: allowed moves, their gates, and what each state locks."""

from __future__ import annotations

from dataclasses import dataclass

from audit_app.errors import Conflict, NotAllowed
from audit_app.models import Audit, AuditStatus, AuditTransition, MeetingKind, User
from audit_app.services import activity
from audit_app.services.access import can_manage_audit

S = AuditStatus

#: Allowed moves. Cancelling is possible from every open state and needs a reason.
TRANSITIONS: dict[AuditStatus, tuple[AuditStatus, ...]] = {
    S.PLANNED: (S.PREPARATION, S.CANCELLED),
    S.PREPARATION: (S.FIELDWORK, S.PLANNED, S.CANCELLED),
    S.FIELDWORK: (S.REPORTING, S.CANCELLED),
    S.REPORTING: (S.FOLLOW_UP, S.CLOSED, S.FIELDWORK, S.CANCELLED),
    S.FOLLOW_UP: (S.CLOSED, S.CANCELLED),
    S.CLOSED: (),
    S.CANCELLED: (),
}

#: Moves that must say why (going back, or stopping).
NEEDS_REASON = {(S.PREPARATION, S.PLANNED), (S.REPORTING, S.FIELDWORK)} | {
    (source, S.CANCELLED) for source in TRANSITIONS
}

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


class InvalidTransition(Conflict):
    """The move is not allowed from the current state, or a gate is not met."""


@dataclass(frozen=True)
class TransitionOption:
    target: AuditStatus
    needs_reason: bool
    blockers: tuple[str, ...]


def ensure_unlocked(audit: Audit, section: str) -> None:
    """Refuse changes to a part of the audit that its state freezes."""
    if section in LOCKED[audit.status]:
        raise Locked(
            f"{SECTION_LABELS[section]} can no longer change: the audit is {audit.status.in_words} "
            f"and {LOCK_REASONS.get(audit.status, 'this state freezes it')}."
        )


def gate_blockers(audit: Audit, target: AuditStatus) -> list[str]:
    """What must be done before `audit` may move to `target` (empty when nothing blocks)."""
    blockers: list[str] = []
    if target is S.FIELDWORK and audit.status is S.PREPARATION:
        if not audit.criteria:
            blockers.append("Pin at least one checklist version as audit criteria.")
        if not audit.scope_items:
            blockers.append("Choose the clauses and controls in scope.")
        pending = [m.user.name for m in audit.team if not m.has_declared]
        if pending:
            blockers.append("Declarations of independence are still missing from: " + ", ".join(pending) + ".")
        if not audit.sessions:
            blockers.append("Plan at least one agenda session.")
    if target is S.REPORTING:
        recorded = {m.kind for m in audit.meetings}
        for kind in (MeetingKind.OPENING, MeetingKind.CLOSING):
            if kind not in recorded:
                blockers.append(f"Record the {kind.label.lower()}.")
    return blockers


def options(audit: Audit) -> list[TransitionOption]:
    return [
        TransitionOption(t, (audit.status, t) in NEEDS_REASON, tuple(gate_blockers(audit, t)))
        for t in TRANSITIONS[audit.status]
    ]


def transition(audit: Audit, target: AuditStatus, *, actor: User, reason: str = "") -> AuditTransition:
    """Move the audit to `target` if the actor may and the gates are met; record who, when and why."""
    if not can_manage_audit(actor, audit):
        raise NotAllowed("Only the audit's lead auditor or an administrator can change its status.")
    if target not in TRANSITIONS[audit.status]:
        allowed = ", ".join(t.label.lower() for t in TRANSITIONS[audit.status]) or "none: it is final"
        raise InvalidTransition(
            f"An audit in {audit.status.label.lower()} cannot move to {target.label.lower()}. Allowed: {allowed}."
        )
    reason = (reason or "").strip()
    if (audit.status, target) in NEEDS_REASON and not reason:
        raise InvalidTransition(f"Give a reason for moving the audit to {target.label.lower()}.")
    blockers = gate_blockers(audit, target)
    if blockers:
        raise InvalidTransition(f"Not ready for {target.label.lower()}: " + " ".join(blockers))
    record = AuditTransition(from_status=audit.status, to_status=target, actor_id=actor.id, reason=reason)
    audit.transitions.append(record)
    if target is S.CANCELLED:
        audit.cancel_reason = reason
    source = audit.status
    audit.status = target
    if target is S.FIELDWORK:
        from audit_app.services.fieldwork.responses import materialise_responses

        materialise_responses(audit)
    activity.record(actor, "audit.status_changed", audit, source=source.value, target=target.value, reason=reason)
    return record
