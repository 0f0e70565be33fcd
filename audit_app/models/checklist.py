"""The clause library: checklists, their immutable versions and items."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from audit_app.models.base import Model, UTCDateTime, enum_column, utcnow


class ItemKind(enum.StrEnum):
    CLAUSE = "clause"
    OBJECTIVE = "objective"
    CONTROL = "control"
    REQUIREMENT = "requirement"


class Checklist(Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    #: Stable identifier from the file, e.g. "iso42001".
    code: Mapped[str] = mapped_column(sa.String(64), unique=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    versions: Mapped[list[ChecklistVersion]] = relationship(
        back_populates="checklist", order_by="ChecklistVersion.loaded_at"
    )


class ChecklistVersion(Model):
    __table_args__ = (sa.UniqueConstraint("checklist_id", "version", name="uq_checklist_version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    checklist_id: Mapped[int] = mapped_column(sa.ForeignKey("checklist.id"), index=True)
    version: Mapped[str] = mapped_column(sa.String(40))
    title: Mapped[str] = mapped_column(sa.String(200))
    standard: Mapped[str] = mapped_column(sa.String(120), default="")
    edition: Mapped[str] = mapped_column(sa.String(40), default="")
    description: Mapped[str] = mapped_column(sa.Text, default="")
    #: SHA-256 of the canonical JSON of header and items: equal content, equal hash.
    content_hash: Mapped[str] = mapped_column(sa.String(64))
    #: Set once an audit pins this version; from then on its content never changes.
    locked: Mapped[bool] = mapped_column(default=False)
    source: Mapped[str] = mapped_column(sa.String(255), default="")
    loaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    loaded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))

    checklist: Mapped[Checklist] = relationship(back_populates="versions")
    items: Mapped[list[ChecklistItem]] = relationship(
        back_populates="version", order_by="ChecklistItem.position", cascade="all, delete-orphan"
    )

    @property
    def label(self) -> str:
        return f"{self.title} (version {self.version})"


class ChecklistItem(Model):
    __table_args__ = (sa.UniqueConstraint("version_id", "ref", name="uq_checklist_item_ref"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(sa.ForeignKey("checklist_version.id"), index=True)
    #: The clause or control id, e.g. "6.1.3" or "A.6.2.8".
    ref: Mapped[str] = mapped_column(sa.String(40))
    title: Mapped[str] = mapped_column(sa.String(300))
    kind: Mapped[ItemKind] = mapped_column(enum_column(ItemKind))
    parent_ref: Mapped[str | None] = mapped_column(sa.String(40))
    position: Mapped[int] = mapped_column()
    depth: Mapped[int] = mapped_column(default=0)
    auditable: Mapped[bool] = mapped_column(default=True)
    summary: Mapped[str] = mapped_column(sa.Text, default="")
    questions: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    evidence: Mapped[dict[str, list[str]]] = mapped_column(sa.JSON, default=dict)
    documented_information: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON, default=list)
    related: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    #: Lower-cased id, title and text, for the library search.
    search_text: Mapped[str] = mapped_column(sa.Text, default="")

    version: Mapped[ChecklistVersion] = relationship(back_populates="items")
