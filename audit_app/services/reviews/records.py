"""Planning and recording management reviews and following their actions; every change leaves a trail entry.

Admins and lead auditors record reviews; staff read them; an action's owner completes their own action.
Auditees see none of it (they cannot own an action either). Nothing is deleted: actions are cancelled with a
reason and keep their history in the activity trail."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import selectinload

from audit_app.errors import ChangedMeanwhile, Conflict, NotAllowed, NotFound, ValidationFailed
from audit_app.extensions import db
from audit_app.models import User, utcnow
from audit_app.models.review import (
    ManagementReview,
    ReviewAction,
    ReviewActionStatus,
    ReviewInput,
    ReviewStatus,
)
from audit_app.models.user import Role
from audit_app.services import activity
from audit_app.services.notifications.reminders import local_now
from audit_app.services.reviews.inputs import INPUT_CODES, INPUT_LABELS
from audit_app.services.text import clean

#: Roles that plan and record reviews and their actions.
RECORDERS = (Role.ADMIN, Role.LEAD_AUDITOR)
#: Roles that read reviews.
READERS = (Role.ADMIN, Role.LEAD_AUDITOR, Role.AUDITOR, Role.VIEWER)
#: How far from today a review or an action's due date may be.
LONGEST = timedelta(days=3 * 365)


@dataclass
class InputRecord:
    considered: bool = False
    summary: str = ""


@dataclass
class HeldInput:
    held_on: date
    attendees: str
    decisions: str
    notes: str = ""
    inputs: dict[str, InputRecord] = field(default_factory=dict)


def _today() -> date:
    """The organisation's date (services are called with `today` from the request; this is the fallback)."""
    return local_now(current_app.config["ORG_TIMEZONE"]).date()


def can_read(actor: User) -> bool:
    return actor.role in READERS


def can_record(actor: User) -> bool:
    return actor.role in RECORDERS


def _ensure_recorder(actor: User) -> None:
    if not can_record(actor):
        raise NotAllowed("Only admins and lead auditors record management reviews.")


def ensure_reader(actor: User) -> None:
    if not can_read(actor):
        raise NotAllowed("Management reviews are not shown to your role.")


def _check_revision(record: ManagementReview | ReviewAction, revision: int | None) -> None:
    if revision is not None and revision != record.revision:
        raise ChangedMeanwhile()


def _check_day(value: date, field_name: str, today: date) -> date:
    if abs(value - today) > LONGEST:
        raise ValidationFailed.on(field_name, "Use a date within three years of today.")
    return value


def get_review(review_id: int, actor: User) -> ManagementReview:
    ensure_reader(actor)
    review = db.session.scalar(
        sa.select(ManagementReview)
        .where(ManagementReview.id == review_id)
        .options(
            selectinload(ManagementReview.inputs),
            selectinload(ManagementReview.actions).joinedload(ReviewAction.owner),
        )
    )
    if review is None:
        raise NotFound("No such management review.")
    return review


def list_reviews(actor: User, *, limit: int = 200) -> list[ManagementReview]:
    """Reviews newest first, with their inputs and actions (bounded)."""
    ensure_reader(actor)
    stmt = (
        sa.select(ManagementReview)
        .options(selectinload(ManagementReview.inputs), selectinload(ManagementReview.actions))
        .order_by(ManagementReview.held_on.desc(), ManagementReview.id.desc())
        .limit(limit)
    )
    return list(db.session.scalars(stmt))


def plan_review(actor: User, title: str, held_on: date, *, today: date | None = None) -> ManagementReview:
    _ensure_recorder(actor)
    review = ManagementReview(
        title=clean(title, field="title", max_length=200, required=True),
        held_on=_check_day(held_on, "held_on", today or _today()),
        status=ReviewStatus.PLANNED,
        recorded_by_id=actor.id,
    )
    review.inputs = [ReviewInput(code=code) for code in INPUT_CODES]
    db.session.add(review)
    activity.record(actor, "review.planned", review, title=review.title, held_on=held_on.isoformat())
    return review


def update_plan(
    review: ManagementReview, actor: User, title: str, held_on: date, *, revision: int | None, today: date | None = None
) -> ManagementReview:
    _ensure_recorder(actor)
    _check_revision(review, revision)
    today = today or _today()
    if review.status == ReviewStatus.HELD and held_on > today:
        raise ValidationFailed.on("held_on", "A review recorded as held keeps a date on or before today.")
    review.title = clean(title, field="title", max_length=200, required=True)
    review.held_on = _check_day(held_on, "held_on", today)
    activity.record(actor, "review.updated", review, title=review.title, held_on=held_on.isoformat())
    return review


def record_held(
    review: ManagementReview, actor: User, data: HeldInput, *, revision: int | None, today: date | None = None
) -> ManagementReview:
    """Record (or correct) what the review covered; it counts as held from the first time this is recorded."""
    _ensure_recorder(actor)
    _check_revision(review, revision)
    today = today or _today()
    if data.held_on > today:
        raise ValidationFailed.on("held_on", "A review is recorded as held on or before today.")
    _check_day(data.held_on, "held_on", today)
    unknown = set(data.inputs) - set(INPUT_CODES)
    if unknown:
        raise ValidationFailed.on("inputs", "Unknown input codes: " + ", ".join(sorted(unknown)) + ".")
    cleaned: dict[str, InputRecord] = {}
    for code in INPUT_CODES:
        given = data.inputs.get(code, InputRecord())
        summary = clean(given.summary, field=f"summary_{code}", max_length=4000, multiline=True)
        if given.considered and not summary:
            raise ValidationFailed.on(
                f"summary_{code}", f"Say in a few words what was concluded on: {INPUT_LABELS[code]}."
            )
        cleaned[code] = InputRecord(given.considered, summary)
    review.attendees = clean(data.attendees, field="attendees", max_length=2000, required=True, multiline=True)
    review.decisions = clean(data.decisions, field="decisions", max_length=8000, multiline=True)
    review.notes = clean(data.notes, field="notes", max_length=8000, multiline=True)
    review.held_on = data.held_on
    by_code = {item.code: item for item in review.inputs}
    for code, given in cleaned.items():
        item = by_code.get(code)
        if item is None:
            item = ReviewInput(code=code)
            review.inputs.append(item)
        item.considered = given.considered
        item.summary = given.summary
    first = review.status != ReviewStatus.HELD
    review.status = ReviewStatus.HELD
    if first:
        review.held_recorded_at = utcnow()
    review.recorded_by_id = actor.id
    activity.record(
        actor,
        "review.held" if first else "review.corrected",
        review,
        held_on=data.held_on.isoformat(),
        considered=sorted(code for code, given in cleaned.items() if given.considered),
    )
    return review


# --- actions ------------------------------------------------------------------------------------------------------


def _owner(owner_id: int | None) -> User:
    owner = db.session.get(User, owner_id) if owner_id else None
    if owner is None or not owner.active:
        raise ValidationFailed.on("owner_id", "Choose an active user as the action's owner.")
    if owner.role == Role.AUDITEE:
        raise ValidationFailed.on("owner_id", "Review actions are owned by staff (admins, auditors or managers).")
    return owner


def add_action(
    review: ManagementReview,
    actor: User,
    description: str,
    owner_id: int | None,
    due_on: date,
    *,
    today: date | None = None,
) -> ReviewAction:
    _ensure_recorder(actor)
    owner = _owner(owner_id)
    action = ReviewAction(
        review=review,
        description=clean(description, field="description", max_length=4000, required=True, multiline=True),
        owner_id=owner.id,
        due_on=_check_day(due_on, "due_on", today or _today()),
        status=ReviewActionStatus.OPEN,
        created_by_id=actor.id,
    )
    db.session.add(action)
    activity.record(actor, "review.action_added", action, review_id=review.id, owner_id=owner.id)
    return action


def get_action(review: ManagementReview, action_id: int) -> ReviewAction:
    action = next((item for item in review.actions if item.id == action_id), None)
    if action is None:
        raise NotFound("No such action on this review.")
    return action


def _ensure_open(action: ReviewAction) -> None:
    if action.status != ReviewActionStatus.OPEN:
        raise Conflict(f"The action is already {action.status.label.lower()}.")


def can_complete(action: ReviewAction, actor: User) -> bool:
    return action.status == ReviewActionStatus.OPEN and (can_record(actor) or action.owner_id == actor.id)


def complete_action(
    action: ReviewAction, actor: User, note: str, *, revision: int | None, today: date | None = None
) -> ReviewAction:
    if not (can_record(actor) or action.owner_id == actor.id):
        raise NotAllowed("Only the action's owner, an admin or a lead auditor completes it.")
    _check_revision(action, revision)
    _ensure_open(action)
    action.completion_note = clean(note, field="note", max_length=4000, required=True, multiline=True)
    action.status = ReviewActionStatus.DONE
    action.completed_on = today or _today()
    activity.record(actor, "review.action_completed", action, review_id=action.review_id)
    return action


def cancel_action(action: ReviewAction, actor: User, reason: str, *, revision: int | None) -> ReviewAction:
    _ensure_recorder(actor)
    _check_revision(action, revision)
    _ensure_open(action)
    action.completion_note = clean(reason, field="reason", max_length=4000, required=True, multiline=True)
    action.status = ReviewActionStatus.CANCELLED
    activity.record(actor, "review.action_cancelled", action, review_id=action.review_id, reason=action.completion_note)
    return action


def owner_candidates() -> list[User]:
    """Active staff accounts that may own a review action."""
    return list(
        db.session.scalars(
            sa.select(User).where(User.active.is_(True), User.role != Role.AUDITEE).order_by(User.name, User.id)
        )
    )
