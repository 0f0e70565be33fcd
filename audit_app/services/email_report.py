"""E-mail delivery for administrators: what is waiting or failed, and sending a failed reminder again."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from audit_app.errors import Conflict, NotFound
from audit_app.extensions import db
from audit_app.models import EmailStatus, Notification, User
from audit_app.services import activity

#: How many waiting or failed messages the page lists (newest first).
LISTED = 200
#: The order the counts are shown in.
ORDER = (EmailStatus.PENDING, EmailStatus.FAILED, EmailStatus.SENT, EmailStatus.NOT_SENT)


@dataclass(frozen=True)
class DeliveryReport:
    counts: dict[EmailStatus, int]
    #: Pending and failed messages, newest first, at most LISTED.
    problems: list[Notification]


def delivery_report() -> DeliveryReport:
    counts = dict.fromkeys(ORDER, 0)
    for status, number in db.session.execute(
        sa.select(Notification.email_status, sa.func.count()).group_by(Notification.email_status)
    ):
        counts[status] = number
    problems = db.session.scalars(
        sa.select(Notification)
        .where(Notification.email_status.in_((EmailStatus.PENDING, EmailStatus.FAILED)))
        .options(selectinload(Notification.user))
        .order_by(Notification.id.desc())
        .limit(LISTED)
    )
    return DeliveryReport(counts, list(problems))


def retry(notification_id: int, *, actor: User) -> Notification:
    """Put a failed message back in the queue (the next scheduler run sends it), keeping its last error."""
    note = db.session.get(Notification, notification_id)
    if note is None:
        raise NotFound("No such notification.")
    if note.email_status is not EmailStatus.FAILED:
        raise Conflict(f"Only a failed e-mail can be sent again; this one is {note.email_status.label.lower()}.")
    note.email_status, note.email_attempts = EmailStatus.PENDING, 0  # the last reply stays until it is sent
    activity.record(actor, "email.retry", note, user=note.user_id, previous_error=note.email_error)
    return note
