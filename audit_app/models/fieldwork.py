"""Fieldwork: checklist responses and objective evidence with hashed, versioned files."""

from __future__ import annotations

import enum
from collections.abc import Collection
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from audit_app.models.audit import Audit
from audit_app.models.base import Model, UTCDateTime, enum_column, utcnow
from audit_app.models.checklist import ChecklistItem
from audit_app.models.org import AISystem, OrgUnit
from audit_app.models.user import User


class ResponseResult(enum.StrEnum):
    NOT_ASSESSED = "not_assessed"
    CONFORMING = "conforming"
    NONCONFORMITY = "nonconformity"
    OBSERVATION = "observation"
    OFI = "ofi"
    NOT_APPLICABLE = "not_applicable"
    NOT_AUDITED = "not_audited"

    @property
    def label(self) -> str:
        return _RESULT_LABELS[self]

    @property
    def needs_reason(self) -> bool:
        return self in (ResponseResult.NOT_APPLICABLE, ResponseResult.NOT_AUDITED)


_RESULT_LABELS = {
    ResponseResult.NOT_ASSESSED: "Not yet assessed",
    ResponseResult.CONFORMING: "Conforming",
    ResponseResult.NONCONFORMITY: "Nonconformity",
    ResponseResult.OBSERVATION: "Observation",
    ResponseResult.OFI: "Opportunity for improvement",
    ResponseResult.NOT_APPLICABLE: "Not applicable",
    ResponseResult.NOT_AUDITED: "Not audited",
}


#: How an item's overall result is derived from its results per AI system, unit or site: the first result of this
#: order that any subject has wins (one nonconformity makes the item nonconforming, whatever the others say).
#: Subjects without a recorded result ("not yet assessed") take no part in it.
DERIVATION_ORDER = (
    ResponseResult.NONCONFORMITY,
    ResponseResult.OBSERVATION,
    ResponseResult.OFI,
    ResponseResult.CONFORMING,
    ResponseResult.NOT_AUDITED,
    ResponseResult.NOT_APPLICABLE,
)


def derive_result(results: Collection[ResponseResult]) -> ResponseResult:
    """The overall result of an item from its results per subject (NOT_ASSESSED when none is recorded)."""
    return next((r for r in DERIVATION_ORDER if r in results), ResponseResult.NOT_ASSESSED)


class SubjectKind(enum.StrEnum):
    """What a result per subject or an evidence entry concerns: an in-scope AI system, or a unit or site."""

    AI_SYSTEM = "ai_system"
    ORG_UNIT = "org_unit"


class ChecklistResponse(Model):
    """The audit's conclusion on one clause or control, with an optimistic version check."""

    __table_args__ = (sa.UniqueConstraint("audit_id", "checklist_item_id", name="uq_checklist_response_item"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    audit_id: Mapped[int] = mapped_column(sa.ForeignKey("audit.id"), index=True)
    checklist_item_id: Mapped[int] = mapped_column(sa.ForeignKey("checklist_item.id"))
    result: Mapped[ResponseResult] = mapped_column(enum_column(ResponseResult), default=ResponseResult.NOT_ASSESSED)
    #: Why the item is not applicable or was not audited.
    reason: Mapped[str] = mapped_column(sa.Text, default="")
    notes: Mapped[str] = mapped_column(sa.Text, default="")
    #: Bumped on every save; a save based on an older version is refused (two auditors, one item).
    version: Mapped[int] = mapped_column(default=1)
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __mapper_args__ = {"version_id_col": version}

    audit: Mapped[Audit] = relationship()
    item: Mapped[ChecklistItem] = relationship()
    updated_by: Mapped[User | None] = relationship()
    evidence: Mapped[list[Evidence]] = relationship(back_populates="response", order_by="Evidence.id")
    parts: Mapped[list[ResponsePart]] = relationship(back_populates="response", order_by="ResponsePart.id")

    @property
    def recorded_parts(self) -> list[ResponsePart]:
        """The results per subject that are recorded (a part set back to "not yet assessed" is kept, unused)."""
        return [p for p in self.parts if p.result is not ResponseResult.NOT_ASSESSED]

    @property
    def per_subject(self) -> bool:
        """Whether the overall result is derived from results per AI system, unit or site."""
        return bool(self.recorded_parts)


class ResponsePart(Model):
    """The result of one checklist item for one in-scope AI system, unit or site (findings where they were found).

    Never deleted: a part no longer wanted is set back to "not yet assessed"; every change is in the activity trail
    under the item's response, whose version guards concurrent saves.
    """

    __table_args__ = (
        sa.UniqueConstraint("response_id", "subject_kind", "subject_id", name="uq_response_part_subject"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(sa.ForeignKey("checklist_response.id"), index=True)
    subject_kind: Mapped[SubjectKind] = mapped_column(enum_column(SubjectKind))
    #: The id of the AI system or org unit (which table depends on `subject_kind`; checked against the scope).
    subject_id: Mapped[int] = mapped_column()
    result: Mapped[ResponseResult] = mapped_column(enum_column(ResponseResult), default=ResponseResult.NOT_ASSESSED)
    #: The statement for this subject: what was found, how conformity was established, or why N/A / not audited.
    statement: Mapped[str] = mapped_column(sa.Text, default="")
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    response: Mapped[ChecklistResponse] = relationship(back_populates="parts")
    updated_by: Mapped[User | None] = relationship()

    @property
    def key(self) -> tuple[SubjectKind, int]:
        return self.subject_kind, self.subject_id


class EvidenceMethod(enum.StrEnum):
    INTERVIEW = "interview"
    OBSERVATION = "observation"
    DOCUMENT_REVIEW = "document_review"
    RECORD_REVIEW = "record_review"
    REPERFORMANCE = "reperformance"
    DATA_ANALYSIS = "data_analysis"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize().replace("Reperformance", "Re-performance")


class EvidenceMode(enum.StrEnum):
    ON_SITE = "on_site"
    REMOTE = "remote"

    @property
    def label(self) -> str:
        return "On-site" if self is EvidenceMode.ON_SITE else "Remote"


class Evidence(Model):
    """One piece of objective evidence: how it was obtained, from what source, and when it applies."""

    id: Mapped[int] = mapped_column(primary_key=True)
    audit_id: Mapped[int] = mapped_column(sa.ForeignKey("audit.id"), index=True)
    response_id: Mapped[int] = mapped_column(sa.ForeignKey("checklist_response.id"), index=True)
    method: Mapped[EvidenceMethod] = mapped_column(enum_column(EvidenceMethod))
    mode: Mapped[EvidenceMode] = mapped_column(enum_column(EvidenceMode))
    #: Document name and version, record id, or the interviewee's ROLE (never their name).
    source: Mapped[str] = mapped_column(sa.String(300))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    #: When the evidence applies (e.g. the date of the record), distinct from the upload date.
    evidence_date: Mapped[date] = mapped_column(sa.Date)
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: The in-scope AI system the evidence concerns (at most one of the two subjects; none: the item as a whole).
    ai_system_id: Mapped[int | None] = mapped_column(sa.ForeignKey("ai_system.id"))
    #: The in-scope unit or site the evidence concerns.
    org_unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("org_unit.id"))

    response: Mapped[ChecklistResponse] = relationship(back_populates="evidence")
    recorded_by: Mapped[User | None] = relationship()
    ai_system: Mapped[AISystem | None] = relationship()
    org_unit: Mapped[OrgUnit | None] = relationship()

    @property
    def subject(self) -> tuple[SubjectKind, int] | None:
        """What the entry concerns, or None for the item as a whole."""
        if self.ai_system_id is not None:
            return SubjectKind.AI_SYSTEM, self.ai_system_id
        if self.org_unit_id is not None:
            return SubjectKind.ORG_UNIT, self.org_unit_id
        return None

    files: Mapped[list[EvidenceFile]] = relationship(
        back_populates="evidence", order_by="(EvidenceFile.name, EvidenceFile.version)"
    )


class EvidenceFile(Model):
    """A stored upload. Files are never overwritten: the same name again becomes a new version."""

    __table_args__ = (sa.UniqueConstraint("evidence_id", "name", "version", name="uq_evidence_file_version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    evidence_id: Mapped[int] = mapped_column(sa.ForeignKey("evidence.id"), index=True)
    #: The uploader's file name, for display only.
    name: Mapped[str] = mapped_column(sa.String(200))
    version: Mapped[int] = mapped_column(default=1)
    #: Random name under instance/uploads; never derived from user input.
    stored_name: Mapped[str] = mapped_column(sa.String(80), unique=True)
    content_type: Mapped[str] = mapped_column(sa.String(120))
    size: Mapped[int] = mapped_column(sa.BigInteger)
    sha256: Mapped[str] = mapped_column(sa.String(64), index=True)
    uploaded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    evidence: Mapped[Evidence] = relationship(back_populates="files")
    uploaded_by: Mapped[User | None] = relationship()


class EvidenceDownload(Model):
    """Every download of an evidence file: who and when."""

    id: Mapped[int] = mapped_column(primary_key=True)
    file_id: Mapped[int] = mapped_column(sa.ForeignKey("evidence_file.id"), index=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"))
    downloaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship()
