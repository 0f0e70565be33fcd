"""In-app notifications, with optional e-mail delivery."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from audit_app.models.base import Model, UTCDateTime, enum_column, utcnow
from audit_app.models.user import User


class EmailStatus(enum.StrEnum):
    NOT_SENT = "not_sent"  # e-mail not configured, or the user has none
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"

    @property
    def label(self) -> str:
        return {"not_sent": "Not e-mailed", "pending": "Waiting", "sent": "Sent", "failed": "Failed"}[self.value]


class Notification(Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(40))
    subject: Mapped[str] = mapped_column(sa.String(200))
    body: Mapped[str] = mapped_column(sa.Text, default="")
    link: Mapped[str] = mapped_column(sa.String(300), default="")
    #: One notification per key, ever: running a reminder job twice sends nothing new.
    dedupe_key: Mapped[str] = mapped_column(sa.String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    email_status: Mapped[EmailStatus] = mapped_column(enum_column(EmailStatus), default=EmailStatus.NOT_SENT)
    emailed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    email_error: Mapped[str] = mapped_column(sa.String(300), default="")
    #: Delivery attempts the SMTP server answered with a temporary (4xx) refusal; retried up to MAIL_MAX_ATTEMPTS.
    email_attempts: Mapped[int] = mapped_column(default=0, server_default="0")

    user: Mapped[User] = relationship()
