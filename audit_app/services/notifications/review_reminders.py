"""Reminders of management-review actions, run by the scheduler beside the findings' reminders.

For every open action: within REVIEW_ACTION_REMINDER_DAYS (default: the findings' reminder days) before its due
date, one reminder to the owner; once the date has passed, one overdue notice to the owner and to whoever
recorded the review. Each notice is stored once per action, due date and person (its dedupe key), so running
the job again sends nothing new; a new due date gives a new reminder. `reminded_for` keeps the last due date the
owner was reminded of. The job reads two statements whatever the number of actions.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import contains_eager

from audit_app.extensions import db
from audit_app.models.review import ManagementReview, ReviewAction, ReviewActionStatus
from audit_app.services.notifications.reminders import Reminder, create_notifications, local_now

REMINDER, OVERDUE = "review_action_reminder", "review_action_overdue"


def _notice(action: ReviewAction, kind: str, user_id: int, subject: str, body: str) -> Reminder:
    key = f"review-action:{kind}:{action.id}:{action.due_on:%Y%m%d}:{user_id}"
    return Reminder(user_id, key, kind, subject, body, f"/management-reviews/{action.review_id}")


def select(actions: Iterable[ReviewAction], today: date, *, reminder_days: int) -> list[Reminder]:
    """The notices due on `today` for these open actions (pure)."""
    found: list[Reminder] = []
    for action in actions:
        when = f"{action.due_on:%a %d %b %Y}"
        what = action.description.splitlines()[0][:80] if action.description else "Action"
        review = action.review.title
        late = (today - action.due_on).days
        if late <= 0:
            if -late > reminder_days:
                continue
            subject = f"Management review action due on {when}"
            body = f"{review}: “{what}” is due on {when} ({-late} day(s) left)."
            found.append(_notice(action, REMINDER, action.owner_id, subject, body))
            continue
        told = {action.owner_id}
        if action.review.recorded_by_id is not None:
            told.add(action.review.recorded_by_id)
        subject = f"OVERDUE management review action: was due on {when}"
        body = f"{review}: “{what}” was due on {when} and is {late} day(s) overdue."
        found += [_notice(action, OVERDUE, user_id, subject, body) for user_id in sorted(told)]
    return found


def open_actions(horizon: date) -> list[ReviewAction]:
    """Open actions due up to `horizon`, each with its review (one statement)."""
    stmt = (
        sa.select(ReviewAction)
        .join(ManagementReview, ReviewAction.review_id == ManagementReview.id)
        .where(ReviewAction.status == ReviewActionStatus.OPEN, ReviewAction.due_on <= horizon)
        .options(contains_eager(ReviewAction.review))
        .order_by(ReviewAction.due_on, ReviewAction.id)
    )
    return list(db.session.scalars(stmt))


def run_review_reminders(config: dict[str, Any], today: date | None = None) -> int:
    """Store the due reminders and overdue notices once; the caller commits, then sends e-mail."""
    day = today or local_now(config["ORG_TIMEZONE"]).date()
    reminder_days = int(config.get("REVIEW_ACTION_REMINDER_DAYS") or config["FINDING_REMINDER_DAYS"])
    actions = open_actions(day + timedelta(days=reminder_days))
    chosen = select(actions, day, reminder_days=reminder_days)
    reminded = {r.dedupe_key.split(":")[2] for r in chosen if r.kind == REMINDER}
    for action in actions:
        if str(action.id) in reminded and action.reminded_for != action.due_on:
            action.reminded_for = action.due_on
    return len(create_notifications(chosen, email_enabled=bool(config.get("MAIL_SERVER"))))
