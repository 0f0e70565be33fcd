"""The documented-information register (ISO/IEC 42001 7.5): what the standard expects to be maintained or retained,
pre-filled from the library, plus the organisation's own entries, each with its owner, place, version, approval
and review dates. Every change is kept with who and when, so the register's status can be read as of any date.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from audit_app.models.base import Model, UTCDateTime, enum_column, utcnow
from audit_app.models.org import OrgUnit
from audit_app.models.user import User


class DocKind(enum.StrEnum):
    """Maintain: a document kept current. Retain: a record kept as evidence."""

    MAINTAIN = "maintain"
    RETAIN = "retain"

    @property
    def label(self) -> str:
        return self.value.capitalize()


class DocStatus(enum.StrEnum):
    """Derived, never stored: missing (no location or version), draft, approved, review overdue."""

    MISSING = "missing"
    DRAFT = "draft"
    APPROVED = "approved"
    REVIEW_OVERDUE = "review_overdue"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


class DocumentedInfo(Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    #: Clause and control ids the entry answers, e.g. ["6.1.3"] or ["6.1.4", "A.5.3"].
    refs: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    title: Mapped[str] = mapped_column(sa.String(300))
    kind: Mapped[DocKind] = mapped_column(enum_column(DocKind))
    #: Pre-filled because the standard expects it (False: the organisation's own entry).
    expected: Mapped[bool] = mapped_column(default=False)
    #: A stable key for pre-filled entries so re-filling never duplicates them (e.g. "lib:6.1.3:soa").
    source_key: Mapped[str | None] = mapped_column(sa.String(120), unique=True)
    owner_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"), index=True)
    owner_unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("org_unit.id"))
    location: Mapped[str] = mapped_column(sa.String(500), default="")
    doc_version: Mapped[str] = mapped_column(sa.String(60), default="")
    approved_by_name: Mapped[str] = mapped_column(sa.String(120), default="")
    approved_on: Mapped[date | None] = mapped_column(sa.Date)
    review_interval_months: Mapped[int] = mapped_column(default=12)
    next_review_on: Mapped[date | None] = mapped_column(sa.Date, index=True)
    #: When the owner was last reminded of the review falling due (the reminder job sends one per due date).
    reminded_for: Mapped[date | None] = mapped_column(sa.Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revision: Mapped[int] = mapped_column(default=1, server_default="1")

    owner: Mapped[User | None] = relationship(foreign_keys=[owner_id])
    owner_unit: Mapped[OrgUnit | None] = relationship()
    history: Mapped[list[DocumentedInfoHistory]] = relationship(
        back_populates="entry", order_by="DocumentedInfoHistory.id", viewonly=True
    )

    __mapper_args__ = {"version_id_col": revision}


class DocumentedInfoHistory(Model):
    """One change to a register entry: the field, old and new value, who and when (append-only)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(sa.ForeignKey("documented_info.id"), index=True)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    field: Mapped[str] = mapped_column(sa.String(40))
    old_value: Mapped[Any] = mapped_column(sa.JSON)
    new_value: Mapped[Any] = mapped_column(sa.JSON)

    entry: Mapped[DocumentedInfo] = relationship(back_populates="history")
    actor: Mapped[User | None] = relationship()
