"""Extension requests for due dates (DOMAIN 4.3): the auditee asks, with a reason; the lead auditor decides.

An auditee answering for the finding (or the owner of one corrective action, for that action's own due date)
asks to move an open due date of the current cycle to a later day, with a reason. Only one request per due date
(or per action) waits at a time. The finding's reviewer (the audit's lead auditor or an administrator) approves
it, which moves the date and keeps the policy's original, or refuses it with a reason. Every step is in the
finding's history and the activity trail.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import sqlalchemy as sa

from audit_app.errors import Conflict, NotAllowed, NotFound, ValidationFailed
from audit_app.extensions import db
from audit_app.models import (
    ActionStatus,
    CorrectiveAction,
    DueDate,
    DueExtension,
    DueStep,
    ExtensionStatus,
    Finding,
    User,
    utcnow,
)
from audit_app.services import activity
from audit_app.services.findings import dues, history
from audit_app.services.findings.policy import FindingParty, parties
from audit_app.services.text import clean

#: The furthest a due date may be moved in one request (a longer delay is a new plan, not an extension).
MAX_EXTENSION_DAYS = 365
#: Steps the auditors keep themselves: the auditee does not ask to move them.
AUDITOR_STEPS = frozenset({DueStep.EFFECTIVENESS})


@dataclass(frozen=True)
class ExtensionInput:
    requested_due_on: date | None
    reason: str


# --- loading ----------------------------------------------------------------------------------------------------


def get_due(finding: Finding, due_id: int) -> DueDate:
    due = next((d for d in finding.dues if d.id == due_id), None)
    if due is None:
        raise NotFound(f"Due date {due_id} does not exist.")
    return due


def get_action(finding: Finding, action_id: int) -> CorrectiveAction:
    action = next((a for a in finding.actions if a.id == action_id), None)
    if action is None:
        raise NotFound(f"Action {action_id} does not exist.")
    return action


def get_extension(finding: Finding, extension_id: int) -> DueExtension:
    found = next((e for d in finding.dues for e in d.extensions if e.id == extension_id), None)
    if found is None:
        raise NotFound(f"Extension request {extension_id} does not exist.")
    return found


def anchor(finding: Finding) -> DueDate | None:
    """The due date an action's request is filed under: the cycle's implementation date (else its latest)."""
    cycle = [d for d in finding.dues if d.cycle == finding.cycle]
    return next((d for d in cycle if d.step is DueStep.IMPLEMENTATION), None) or max(
        cycle, key=lambda d: d.due_on, default=None
    )


def pending(due: DueDate, action_id: int | None = None) -> DueExtension | None:
    """The request waiting for a decision on this due date (or on this action's date), if any."""
    return next(
        (e for e in due.extensions if e.status is ExtensionStatus.PENDING and e.action_id == action_id),
        None,
    )


# --- who may do what --------------------------------------------------------------------------------------------


def _party_refusal(user: User, finding: Finding, action: CorrectiveAction | None) -> str | None:
    held = parties(user, finding)
    if action is not None:
        if FindingParty.OWNER not in held and action.owner_id != user.id:
            return "Only the auditee answering for the finding or the action's owner asks to move its date."
    elif FindingParty.OWNER not in held:
        return "Only the auditee answering for the finding asks to move its due dates."
    return None


def _state_refusal(finding: Finding, due: DueDate | None, action: CorrectiveAction | None) -> str | None:
    if finding.is_final or finding.issued_at is None:
        return "The finding is not open: its due dates no longer move."
    if action is not None:
        if action.cycle != finding.cycle or action.status is not ActionStatus.PLANNED:
            return "Only a planned action of the current cycle has a date to move."
        return None if due is not None else "The finding has no due date to file the request under."
    if due is None or due.cycle != finding.cycle or due.met_at is not None:
        return "Only an open due date of the current cycle can be moved."
    if due.step in AUDITOR_STEPS:
        return "The effectiveness review date is the auditors' own; ask the lead auditor."
    return None


def request_refusal(user: User, finding: Finding, due: DueDate | None, action: CorrectiveAction | None) -> str | None:
    """Why the user may not ask to move this due date (or this action's date) now; None when they may."""
    return _party_refusal(user, finding, action) or _state_refusal(finding, due, action)


def ensure_may_request(
    user: User, finding: Finding, due: DueDate | None, action: CorrectiveAction | None = None
) -> DueDate:
    """Refuse (403 not their part, 409 not now) unless the user may ask; the due date the request goes under."""
    if action is not None:
        due = anchor(finding)
    if (refusal := _party_refusal(user, finding, action)) is not None:
        raise NotAllowed(refusal)
    if (refusal := _state_refusal(finding, due, action)) is not None:
        raise Conflict(refusal)
    assert due is not None  # noqa: S101  (_state_refusal refuses a missing one)
    return due


def may_request(user: User, finding: Finding, due: DueDate | None, action: CorrectiveAction | None = None) -> bool:
    if action is not None:
        due = anchor(finding)
    return request_refusal(user, finding, due, action) is None


def may_decide(user: User, finding: Finding) -> bool:
    return FindingParty.REVIEWER in parties(user, finding)


def ensure_may_decide(user: User, extension: DueExtension) -> None:
    """Refuse unless the user reviews the finding (403) and the request still waits (409)."""
    if not may_decide(user, extension.due.finding):
        raise NotAllowed("Only the finding's lead auditor or an administrator decides on extension requests.")
    if extension.requested_by_id == user.id:
        raise NotAllowed("You cannot decide on your own request; ask another reviewer.")
    if extension.status is not ExtensionStatus.PENDING:
        raise Conflict(f"This request was already {extension.status.label.lower()}.")


# --- acting -----------------------------------------------------------------------------------------------------


def _lock(due: DueDate) -> DueDate:
    """Re-read the due date under a row lock (PostgreSQL), so two requests or decisions cannot both pass."""
    locked = db.session.scalar(
        sa.select(DueDate).where(DueDate.id == due.id).with_for_update().execution_options(populate_existing=True)
    )
    if locked is None:  # pragma: no cover - due dates are never deleted
        raise NotFound("The due date no longer exists.")
    return locked


def _check_date(requested: date | None, current: date, today: date) -> date:
    field = "requested_due_on"
    if requested is None:
        raise ValidationFailed("Give the date you ask for.", {field: ["Give the date you ask for."]})
    if requested <= current:
        message = f"Ask for a date after the current due date ({current:%d %b %Y})."
        raise ValidationFailed(message, {field: [message]})
    if requested < today:
        message = "Ask for a date that is not already past."
        raise ValidationFailed(message, {field: [message]})
    if requested > current + timedelta(days=MAX_EXTENSION_DAYS):
        message = f"An extension moves a date by at most {MAX_EXTENSION_DAYS} days; a longer delay needs a new plan."
        raise ValidationFailed(message, {field: [message]})
    return requested


def _subject(due: DueDate, action: CorrectiveAction | None) -> str:
    return f"extension:action {action.id}" if action is not None else f"extension:{due.step.value}"


def request_extension(
    finding: Finding,
    due: DueDate | None,
    data: ExtensionInput,
    *,
    actor: User,
    action: CorrectiveAction | None = None,
    today: date | None = None,
) -> DueExtension:
    """Ask to move an open due date (or one action's date) to a later day, with a reason."""
    due = _lock(ensure_may_request(actor, finding, due, action))
    action_id = action.id if action is not None else None
    if pending(due, action_id) is not None:
        raise Conflict("A request to move this date is already waiting for the lead auditor's decision.")
    current = action.due_on if action is not None else due.due_on
    requested = _check_date(data.requested_due_on, current, today or dues.today())
    reason = clean(data.reason, field="reason", max_length=4000, required=True, multiline=True)
    extension = DueExtension(
        due_id=due.id, action_id=action_id, requested_due_on=requested, reason=reason, requested_by_id=actor.id
    )
    db.session.add(extension)
    due.extensions.append(extension)
    history.add(
        finding.id,
        "extension",
        actor=actor,
        field=_subject(due, action),
        old=current,
        new=requested,
        reason=reason,
        action_id=action_id,
    )
    activity.record(
        actor, "finding.extension_requested", finding, reference=finding.label, due_on=requested.isoformat()
    )
    return extension


def decide(extension: DueExtension, *, approve: bool, actor: User, reason: str = "") -> DueExtension:
    """Approve (moving the date, keeping the original) or refuse (with a reason) a waiting request."""
    due = _lock(extension.due)
    finding = due.finding
    db.session.refresh(extension, with_for_update=True)
    ensure_may_decide(actor, extension)
    reason = clean(reason, field="decision_reason", max_length=4000, required=not approve, multiline=True)
    action = get_action(finding, extension.action_id) if extension.action_id is not None else None
    if approve:
        _move(finding, due, action, extension, actor, reason)
    extension.status = ExtensionStatus.APPROVED if approve else ExtensionStatus.REFUSED
    extension.decision_reason, extension.decided_by_id, extension.decided_at = reason, actor.id, utcnow()
    history.add(
        finding.id,
        "extension",
        actor=actor,
        field=_subject(due, action),
        old=ExtensionStatus.PENDING,
        new=extension.status,
        reason=reason,
        action_id=extension.action_id,
    )
    activity.record(
        actor,
        f"finding.extension_{extension.status.value}",
        finding,
        reference=finding.label,
        extension=extension.id,
        reason=reason,
    )
    return extension


def _move(
    finding: Finding,
    due: DueDate,
    action: CorrectiveAction | None,
    extension: DueExtension,
    actor: User,
    reason: str,
) -> None:
    why = reason or extension.reason
    if action is not None:
        if action.status is not ActionStatus.PLANNED or action.cycle != finding.cycle:
            raise Conflict("The action is no longer planned: its date does not move any more.")
        old, action.due_on = action.due_on, extension.requested_due_on
        history.add(
            finding.id,
            "action",
            actor=actor,
            field="due_on",
            old=old,
            new=action.due_on,
            reason=why,
            action_id=action.id,
        )
        return
    if due.met_at is not None or finding.is_final:
        raise Conflict("The step is already done: its due date does not move any more.")
    old, due.due_on = due.due_on, extension.requested_due_on
    history.add(finding.id, "due", actor=actor, field=f"due:{due.step.value}", old=old, new=due.due_on, reason=why)
