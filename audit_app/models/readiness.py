"""Saved readiness verdicts: the stage 1 and stage 2 verdicts as of a date, with every rule's result, kept as they
were computed (a dated snapshot the trend and a later "were we ready on 1 March?" can be read from)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from audit_app.models.base import Model, UTCDateTime, utcnow
from audit_app.models.user import User


class ReadinessSnapshot(Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    as_of: Mapped[date] = mapped_column(sa.Date, index=True)
    stage1_ready: Mapped[bool] = mapped_column()
    stage2_ready: Mapped[bool] = mapped_column()
    #: Every rule with its result, the records behind it and the blockers, as computed.
    payload: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    note: Mapped[str] = mapped_column(sa.Text, default="")
    taken_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    taken_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    taken_by: Mapped[User | None] = relationship()
