"""Management reviews (ISO/IEC 42001 9.3): when, who attended, which 9.3.2 inputs were considered with a link to the
data the app holds for each, and the decisions and actions with owners and due dates, followed to completion."""

from __future__ import annotations

import enum
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from audit_app.models.base import Model, UTCDateTime, enum_column, utcnow
from audit_app.models.user import User


class ReviewStatus(enum.StrEnum):
    PLANNED = "planned"
    HELD = "held"

    @property
    def label(self) -> str:
        return self.value.capitalize()


class ReviewActionStatus(enum.StrEnum):
    OPEN = "open"
    DONE = "done"
    CANCELLED = "cancelled"

    @property
    def label(self) -> str:
        return self.value.capitalize()


class ManagementReview(Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    #: The date it is planned for, or was held on.
    held_on: Mapped[date] = mapped_column(sa.Date, index=True)
    status: Mapped[ReviewStatus] = mapped_column(enum_column(ReviewStatus), default=ReviewStatus.PLANNED)
    attendees: Mapped[str] = mapped_column(sa.Text, default="")
    #: Decisions on improvement, changes to the AIMS and resources (9.3.3), in words.
    decisions: Mapped[str] = mapped_column(sa.Text, default="")
    notes: Mapped[str] = mapped_column(sa.Text, default="")
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    #: When it was recorded as held (readiness reads the review as held from this moment).
    held_recorded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    revision: Mapped[int] = mapped_column(default=1, server_default="1")

    recorded_by: Mapped[User | None] = relationship()
    inputs: Mapped[list[ReviewInput]] = relationship(
        back_populates="review", cascade="all, delete-orphan", order_by="ReviewInput.id"
    )
    actions: Mapped[list[ReviewAction]] = relationship(back_populates="review", order_by="ReviewAction.id")

    __mapper_args__ = {"version_id_col": revision}


class ReviewInput(Model):
    """One 9.3.2 input and whether, and how, the review considered it."""

    __table_args__ = (sa.UniqueConstraint("review_id", "code", name="uq_review_input_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(sa.ForeignKey("management_review.id"), index=True)
    #: The input's code in services/reviews (e.g. "a", "b", "d1").
    code: Mapped[str] = mapped_column(sa.String(10))
    considered: Mapped[bool] = mapped_column(default=False)
    summary: Mapped[str] = mapped_column(sa.Text, default="")

    review: Mapped[ManagementReview] = relationship(back_populates="inputs")


class ReviewAction(Model):
    """A decision's action: owner, due date, followed like a corrective action (reminders, completion, history)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(sa.ForeignKey("management_review.id"), index=True)
    description: Mapped[str] = mapped_column(sa.Text)
    owner_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"), index=True)
    due_on: Mapped[date] = mapped_column(sa.Date, index=True)
    status: Mapped[ReviewActionStatus] = mapped_column(
        enum_column(ReviewActionStatus), default=ReviewActionStatus.OPEN, index=True
    )
    completed_on: Mapped[date | None] = mapped_column(sa.Date)
    completion_note: Mapped[str] = mapped_column(sa.Text, default="")
    #: The due date the owner was last reminded of (one reminder per due date; overdue ones escalate once).
    reminded_for: Mapped[date | None] = mapped_column(sa.Date)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    revision: Mapped[int] = mapped_column(default=1, server_default="1")

    review: Mapped[ManagementReview] = relationship(back_populates="actions")
    owner: Mapped[User] = relationship(foreign_keys=[owner_id])

    __mapper_args__ = {"version_id_col": revision}
