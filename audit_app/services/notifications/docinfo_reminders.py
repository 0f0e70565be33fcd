"""Reminders of documented-information reviews: each entry's owner hears once when its next review falls within
DOCINFO_REMINDER_DAYS (30 by default), and once more when it is overdue.

Each notice is stored once per entry, kind, due date and owner (its dedupe key), so running the job again sends
nothing new, while a new review date (after an approval) gives a new reminder. The entry keeps the due date it
was last reminded for (`reminded_for`). The job reads one statement for the entries whatever their number.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa

from audit_app.extensions import db
from audit_app.models import DocumentedInfo
from audit_app.services.notifications.reminders import Reminder, create_notifications, local_now

REMINDER, OVERDUE = "docinfo_review_due", "docinfo_review_overdue"


@dataclass(frozen=True)
class ReviewDue:
    entry_id: int
    title: str
    owner_id: int
    due_on: date


def select(items: Iterable[ReviewDue], today: date, *, days: int) -> list[Reminder]:
    """The notices due on `today` (pure): a reminder within `days` of the date, an overdue notice after it."""
    found = []
    for item in items:
        when = f"{item.due_on:%a %d %b %Y}"
        late = (today - item.due_on).days
        link = f"/documents-register/{item.entry_id}"
        if late > 0:
            kind = OVERDUE
            subject = f"OVERDUE review: {item.title} was due on {when}"
            body = f"The review of “{item.title}” was due on {when} and is {late} day(s) overdue."
        elif -late <= days:
            kind = REMINDER
            subject = f"Review due: {item.title} on {when}"
            body = f"The review of “{item.title}”, which you own, is due on {when} ({-late} day(s) left)."
        else:
            continue
        key = f"docinfo:{kind}:{item.entry_id}:{item.due_on:%Y%m%d}:{item.owner_id}"
        found.append(Reminder(item.owner_id, key, kind, subject[:200], body, link))
    return found


def due_reviews(horizon: date) -> list[DocumentedInfo]:
    """Live entries with an owner whose next review is on or before `horizon`."""
    return list(
        db.session.scalars(
            sa.select(DocumentedInfo)
            .where(
                DocumentedInfo.retired_at.is_(None),
                DocumentedInfo.owner_id.is_not(None),
                DocumentedInfo.next_review_on.is_not(None),
                DocumentedInfo.next_review_on <= horizon,
            )
            .order_by(DocumentedInfo.next_review_on, DocumentedInfo.id)
        )
    )


def run_docinfo_reminders(config: dict[str, Any], today: date | None = None) -> int:
    """Store the due review reminders once; the caller commits, then sends e-mail."""
    day = today or local_now(config["ORG_TIMEZONE"]).date()
    days = int(config["DOCINFO_REMINDER_DAYS"])
    entries = due_reviews(day + timedelta(days=days))
    items = [
        ReviewDue(e.id, e.title[:120], e.owner_id, e.next_review_on)
        for e in entries
        if e.owner_id is not None and e.next_review_on is not None
    ]
    created = create_notifications(select(items, day, days=days), email_enabled=bool(config.get("MAIL_SERVER")))
    for entry in entries:
        if entry.reminded_for != entry.next_review_on:
            entry.reminded_for = entry.next_review_on
    return len(created)
