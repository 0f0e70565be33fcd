"""The Statement of Applicability (ISO/IEC 42001 6.1.3): every Annex A control (and the organisation's own), with the
decision, its justification, implementation status, owner, what it addresses and the evidence, in versions.

An approved version is frozen (who approved, when); editing starts a new draft copied from it. Versions are never
deleted: a newer approval marks the older one superseded.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from audit_app.models.base import Model, UTCDateTime, enum_column, utcnow
from audit_app.models.org import AISystem, OrgUnit
from audit_app.models.user import User


class SoaStatus(enum.StrEnum):
    DRAFT = "draft"
    APPROVED = "approved"
    SUPERSEDED = "superseded"

    @property
    def label(self) -> str:
        return self.value.capitalize()


class Implementation(enum.StrEnum):
    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    IMPLEMENTED = "implemented"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


soa_entry_system = sa.Table(
    "soa_entry_system",
    Model.metadata,
    sa.Column("entry_id", sa.ForeignKey("soa_entry.id"), primary_key=True),
    sa.Column("ai_system_id", sa.ForeignKey("ai_system.id"), primary_key=True),
)


class SoaVersion(Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    #: 1, 2, 3 … in the order the versions were started.
    number: Mapped[int] = mapped_column(unique=True)
    status: Mapped[SoaStatus] = mapped_column(enum_column(SoaStatus), default=SoaStatus.DRAFT, index=True)
    #: What this version changes (required from version 2 on, at approval).
    change_note: Mapped[str] = mapped_column(sa.Text, default="")
    based_on_id: Mapped[int | None] = mapped_column(sa.ForeignKey("soa_version.id"))
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    approved_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    superseded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Bumped by every change: a stale form gets "changed meanwhile".
    revision: Mapped[int] = mapped_column(default=1, server_default="1")

    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    approved_by: Mapped[User | None] = relationship(foreign_keys=[approved_by_id])
    entries: Mapped[list[SoaEntry]] = relationship(
        back_populates="version", cascade="save-update, merge", order_by="SoaEntry.position"
    )

    __mapper_args__ = {"version_id_col": revision}


class SoaEntry(Model):
    __table_args__ = (sa.UniqueConstraint("version_id", "control_ref", name="uq_soa_entry_control"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(sa.ForeignKey("soa_version.id"), index=True)
    position: Mapped[int] = mapped_column()
    #: "A.2.2", or the organisation's own id for a custom control ("ORG-1").
    control_ref: Mapped[str] = mapped_column(sa.String(20))
    title: Mapped[str] = mapped_column(sa.String(300))
    custom: Mapped[bool] = mapped_column(default=False)
    #: None until decided.
    applicable: Mapped[bool | None] = mapped_column()
    justification: Mapped[str] = mapped_column(sa.Text, default="")
    implementation: Mapped[Implementation | None] = mapped_column(enum_column(Implementation))
    owner_unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("org_unit.id"))
    #: The risks it treats, in words (risk ids from the organisation's register).
    addresses: Mapped[str] = mapped_column(sa.Text, default="")
    #: Evidence links or references, one per line.
    evidence: Mapped[str] = mapped_column(sa.Text, default="")
    last_reviewed_on: Mapped[date | None] = mapped_column(sa.Date)
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    version: Mapped[SoaVersion] = relationship(back_populates="entries")
    owner_unit: Mapped[OrgUnit | None] = relationship()
    systems: Mapped[list[AISystem]] = relationship(secondary=soa_entry_system, order_by=AISystem.name)
