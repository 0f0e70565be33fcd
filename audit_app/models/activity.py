"""Append-only trail of who changed what and when."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from audit_app.models.base import Model, UTCDateTime, utcnow
from audit_app.models.user import User


class Activity(Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    #: None for actions from the command line with no signed-in user.
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"), index=True)
    action: Mapped[str] = mapped_column(sa.String(60))
    subject_type: Mapped[str] = mapped_column(sa.String(40))
    subject_id: Mapped[int | None] = mapped_column()
    details: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    actor: Mapped[User | None] = relationship()
