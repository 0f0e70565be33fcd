"""Issued audit reports (ISO 19011 6.5): frozen bytes with their SHA-256, the issue control (prepared, reviewed,
approved), the distribution list, the manifest of every evidence file the report relies on, and who downloaded it.

A report is issued, never edited: re-issuing writes version 2 with a change note. Drafts are not stored; anyone
on the team generates one whenever they like. The organisation's own branded Word template is kept here too.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from audit_app.models.audit import Audit
from audit_app.models.base import Model, UTCDateTime, enum_column, utcnow
from audit_app.models.user import User

#: The statement ISO 19011 6.5.1 k asks for, in our words; the lead auditor may edit it per audit.
DEFAULT_SAMPLING_STATEMENT = (
    "An audit examines a sample of the available information within a limited time. The audit evidence "
    "was therefore a sample: nonconformities may exist that were not found, and the conclusions rest on "
    "the evidence examined, which may not be fully representative of the operation of the AI management "
    "system."
)
DEFAULT_MARKING = "Confidential"


class ReportKind(enum.StrEnum):
    """The reports that are issued and frozen (the other documents are generated on demand)."""

    AUDIT = "audit"
    CERTIFICATION = "certification"

    @property
    def label(self) -> str:
        return {"audit": "Audit report", "certification": "Certification-style report"}[self.value]


class ReportSettings(Model):
    """What the lead auditor writes for the report beyond the audit record: marking, statement, distribution."""

    id: Mapped[int] = mapped_column(primary_key=True)
    audit_id: Mapped[int] = mapped_column(sa.ForeignKey("audit.id"), unique=True)
    #: Shown on the cover, in every header and footer ("Confidential", "Internal use only", …).
    marking: Mapped[str] = mapped_column(sa.String(80), default=DEFAULT_MARKING)
    #: The statement that audit evidence is a sample (6.5.1 k).
    sampling_statement: Mapped[str] = mapped_column(sa.Text, default=DEFAULT_SAMPLING_STATEMENT)
    #: Who receives the report, one recipient per line (name, role or unit).
    distribution: Mapped[str] = mapped_column(sa.Text, default="")
    #: The next audit, for the certification-style report ("Surveillance, March 2027").
    next_audit: Mapped[str] = mapped_column(sa.String(200), default="")
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    audit: Mapped[Audit] = relationship()


class IssuedReport(Model):
    """One issued version of a report: its bytes are stored once and never change."""

    __table_args__ = (sa.UniqueConstraint("audit_id", "kind", "version", name="uq_issued_report_version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    audit_id: Mapped[int] = mapped_column(sa.ForeignKey("audit.id"), index=True)
    kind: Mapped[ReportKind] = mapped_column(enum_column(ReportKind))
    version: Mapped[int] = mapped_column()
    change_note: Mapped[str] = mapped_column(sa.Text, default="")
    file_name: Mapped[str] = mapped_column(sa.String(200))
    stored_name: Mapped[str] = mapped_column(sa.String(80), unique=True)
    size: Mapped[int] = mapped_column(sa.BigInteger)
    sha256: Mapped[str] = mapped_column(sa.String(64))
    #: SHA-256 of the Word template the report was built from.
    template_sha256: Mapped[str] = mapped_column(sa.String(64))
    prepared_by_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"))
    prepared_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    reviewed_by_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"))
    reviewed_on: Mapped[date] = mapped_column(sa.Date)
    approved_by_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"))
    approved_on: Mapped[date] = mapped_column(sa.Date)
    #: The distribution list as issued, one recipient per line.
    distribution: Mapped[str] = mapped_column(sa.Text, default="")

    audit: Mapped[Audit] = relationship()
    prepared_by: Mapped[User] = relationship(foreign_keys=[prepared_by_id])
    reviewed_by: Mapped[User] = relationship(foreign_keys=[reviewed_by_id])
    approved_by: Mapped[User] = relationship(foreign_keys=[approved_by_id])
    manifest: Mapped[list[ReportManifestEntry]] = relationship(
        back_populates="report", cascade="save-update, merge", order_by="ReportManifestEntry.id"
    )

    @property
    def label(self) -> str:
        return f"{self.kind.label}, version {self.version}"


class ReportManifestEntry(Model):
    """One evidence file an issued report relies on, with the SHA-256 it had when the report was issued."""

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(sa.ForeignKey("issued_report.id"), index=True)
    evidence_file_id: Mapped[int] = mapped_column(sa.ForeignKey("evidence_file.id"))
    #: What the report calls it: "EV-12 interview-notes.pdf (v2)".
    name: Mapped[str] = mapped_column(sa.String(300))
    sha256: Mapped[str] = mapped_column(sa.String(64))

    report: Mapped[IssuedReport] = relationship(back_populates="manifest")


class ReportDownload(Model):
    """Who downloaded an issued report, and when (the distribution record)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(sa.ForeignKey("issued_report.id"), index=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"))
    downloaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship()


class ReportTemplate(Model):
    """An organisation's own Word template, checked for every style the builders use; the newest active one is used.

    Templates are never deleted: retiring one stamps retired_at and the default template applies again.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    stored_name: Mapped[str] = mapped_column(sa.String(80), unique=True)
    size: Mapped[int] = mapped_column(sa.BigInteger)
    sha256: Mapped[str] = mapped_column(sa.String(64))
    uploaded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    retired_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))

    uploaded_by: Mapped[User | None] = relationship(foreign_keys=[uploaded_by_id])
