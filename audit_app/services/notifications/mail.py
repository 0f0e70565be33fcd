"""E-mail: sending pending notifications through SMTP, and the delivery report for administrators."""

from __future__ import annotations

import logging
import smtplib
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from audit_app.errors import Conflict, NotFound
from audit_app.extensions import db
from audit_app.models import EmailStatus, Notification, User, utcnow
from audit_app.services import activity

logger = logging.getLogger(__name__)

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


def get_notification(notification_id: int) -> Notification:
    note = db.session.get(Notification, notification_id)
    if note is None:
        raise NotFound("No such notification.")
    return note


def retry(note: Notification, *, actor: User) -> Notification:
    """Put a failed message back in the queue (the next scheduler run sends it), keeping its last error."""
    if note.email_status is not EmailStatus.FAILED:
        raise Conflict(f"Only a failed e-mail can be sent again; this one is {note.email_status.label.lower()}.")
    note.email_status, note.email_attempts = EmailStatus.PENDING, 0  # the last reply stays until it is sent
    activity.record(actor, "email.retry", note, user=note.user_id, previous_error=note.email_error)
    return note


def send_pending_email(config: dict[str, Any]) -> int:
    """Send every pending notification by e-mail, marking each sent or failed (commits per message).

    A permanent refusal (5xx) fails the message at once. A temporary one (4xx) leaves it pending for the next
    run, until MAIL_MAX_ATTEMPTS is reached. When the server is unreachable or drops the connection, what is
    left stays pending and no attempt is counted against it.
    """
    if not config.get("MAIL_SERVER"):
        return 0
    pending = list(
        db.session.scalars(
            sa.select(Notification)
            .where(Notification.email_status == EmailStatus.PENDING)
            .options(selectinload(Notification.user))
            .order_by(Notification.id)
        )
    )
    if not pending:
        return 0
    sent = 0
    try:
        with smtplib.SMTP(config["MAIL_SERVER"], int(config["MAIL_PORT"]), timeout=config["MAIL_TIMEOUT"]) as smtp:
            if config.get("MAIL_USE_TLS"):
                smtp.starttls()
            if config.get("MAIL_USERNAME"):
                smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"] or "")
            for note in pending:
                try:
                    smtp.send_message(_message(note, config))
                except (smtplib.SMTPRecipientsRefused, smtplib.SMTPResponseException) as exc:
                    _refused(note, exc, int(config["MAIL_MAX_ATTEMPTS"]))
                else:
                    note.email_status, note.emailed_at, note.email_error = EmailStatus.SENT, utcnow(), ""
                    sent += 1
                db.session.commit()
    except (OSError, smtplib.SMTPException) as exc:
        logger.warning("e-mail server %s unavailable: %s", config["MAIL_SERVER"], exc)
        db.session.rollback()
    return sent


def _refused(note: Notification, exc: smtplib.SMTPException, max_attempts: int) -> None:
    """Record a refusal: permanent ones fail now, temporary ones are retried until the attempts run out."""
    replies: list[tuple[int, bytes | str]]
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        replies = list(exc.recipients.values())
    elif isinstance(exc, smtplib.SMTPResponseException):
        replies = [(exc.smtp_code, exc.smtp_error)]
    else:  # pragma: no cover - only the two refusals above are passed in
        raise exc
    detail = "; ".join(f"{code} {_text(reply)}" for code, reply in replies)
    note.email_attempts += 1
    temporary = all(400 <= code < 500 for code, _ in replies)
    if temporary and note.email_attempts < max_attempts:
        note.email_error = f"temporary refusal, attempt {note.email_attempts} of {max_attempts}: {detail}"[:300]
        return
    reason = f"still refused after {note.email_attempts} attempts: {detail}" if temporary else detail
    note.email_status, note.email_error = EmailStatus.FAILED, reason[:300]


def _text(reply: bytes | str) -> str:
    return reply.decode(errors="replace") if isinstance(reply, bytes) else reply


def _message(note: Notification, config: dict[str, Any]) -> EmailMessage:
    message = EmailMessage()
    message["From"] = config["MAIL_FROM"]
    message["To"] = note.user.email
    message["Subject"] = f"[AIMS Audit] {note.subject}"
    link = f"{config['BASE_URL'].rstrip('/')}{note.link}" if note.link else ""
    message.set_content(
        f"Hello {note.user.name},\n\n{note.body}\n\n{link}\n\nYou receive this because you take part in this audit.\n"
    )
    return message
