"""Audit programmes (ISO/IEC 42001 9.2.2; ISO 19011 clause 5)."""

from __future__ import annotations

import copy
import enum
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from audit_app.models.base import Model, UTCDateTime, enum_column, utcnow
from audit_app.models.checklist import ChecklistVersion
from audit_app.models.user import User

if TYPE_CHECKING:
    from audit_app.models.audit import Audit


class ProgrammeStatus(enum.StrEnum):
    DRAFT = "draft"
    ACTIVE = "active"
    CLOSED = "closed"

    @property
    def label(self) -> str:
        return self.value.capitalize()


#: Default finding grades (DOMAIN 2.5); a programme may change them.
DEFAULT_GRADES: list[dict[str, Any]] = [
    {"code": "major", "label": "Major nonconformity", "nonconformity": True},
    {"code": "minor", "label": "Minor nonconformity", "nonconformity": True},
    {"code": "observation", "label": "Observation", "nonconformity": False},
    {"code": "ofi", "label": "Opportunity for improvement", "nonconformity": False},
    {"code": "good_practice", "label": "Good practice", "nonconformity": False},
]

#: Steps of a finding's response, in order, with the unit their due time is counted in.
DUE_STEPS: dict[str, str] = {
    "acknowledge": "business days",
    "correction": "days",
    "plan": "days",
    "implementation": "days",
    "effectiveness": "days",
}

#: Default due-date policy per grade (DOMAIN 4.3, practitioner convention); None = not required
#: (or, for effectiveness of minors, checked at the next audit).
DEFAULT_DUE_POLICY: dict[str, dict[str, int | None]] = {
    "major": {"acknowledge": 2, "correction": 10, "plan": 30, "implementation": 90, "effectiveness": 90},
    "minor": {"acknowledge": 5, "correction": 30, "plan": 30, "implementation": 180, "effectiveness": None},
    "observation": {
        "acknowledge": None,
        "correction": None,
        "plan": None,
        "implementation": None,
        "effectiveness": None,
    },
    "ofi": {"acknowledge": None, "correction": None, "plan": None, "implementation": None, "effectiveness": None},
    "good_practice": {
        "acknowledge": None,
        "correction": None,
        "plan": None,
        "implementation": None,
        "effectiveness": None,
    },
}


def default_grades() -> list[dict[str, Any]]:
    return copy.deepcopy(DEFAULT_GRADES)


def default_due_policy() -> dict[str, dict[str, int | None]]:
    return copy.deepcopy(DEFAULT_DUE_POLICY)


class AuditProgramme(Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    #: Short period code used in audit references, e.g. "2026" gives IA-2026-01.
    code: Mapped[str] = mapped_column(sa.String(20), unique=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    period_start: Mapped[date] = mapped_column(sa.Date)
    period_end: Mapped[date] = mapped_column(sa.Date)
    objectives: Mapped[str] = mapped_column(sa.Text, default="")
    #: Risks to the programme itself (ISO 19011 5.3), one per line.
    risks: Mapped[str] = mapped_column(sa.Text, default="")
    opportunities: Mapped[str] = mapped_column(sa.Text, default="")
    extent: Mapped[str] = mapped_column(sa.Text, default="")
    resources: Mapped[str] = mapped_column(sa.Text, default="")
    methods: Mapped[str] = mapped_column(sa.Text, default="")
    #: The checklist version the coverage matrix is measured against.
    checklist_version_id: Mapped[int] = mapped_column(sa.ForeignKey("checklist_version.id"), index=True)
    grade_scheme: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON, default=default_grades)
    due_policy: Mapped[dict[str, dict[str, int | None]]] = mapped_column(sa.JSON, default=default_due_policy)
    status: Mapped[ProgrammeStatus] = mapped_column(enum_column(ProgrammeStatus), default=ProgrammeStatus.DRAFT)
    #: Certification-body profile (DOMAIN 2.8): majors must be verified closed before the (simulated)
    #: certification decision, and a major open six months after a stage 2 means stage 2 is repeated.
    certification_profile: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    #: Who manages the programme (ISO 19011 5.4.1): a lead auditor or administrator.
    manager_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    checklist_version: Mapped[ChecklistVersion] = relationship()
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    manager: Mapped[User | None] = relationship(foreign_keys=[manager_id])
    audits: Mapped[list[Audit]] = relationship(back_populates="programme", order_by="Audit.sequence")

    @property
    def label(self) -> str:
        return f"{self.code}: {self.title}"

    def grade_label(self, code: str) -> str:
        return next((g["label"] for g in self.grade_scheme if g["code"] == code), code)


class ProgrammeClosure(Model):
    """A programme closed before its stated extent was met: what was missing and why it was closed anyway."""

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(sa.ForeignKey("audit_programme.id"), index=True)
    #: The sentences that said the extent was not met, as they were when the programme was closed.
    shortfalls: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    reason: Mapped[str] = mapped_column(sa.Text)
    closed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    closed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    programme: Mapped[AuditProgramme] = relationship()
    closed_by: Mapped[User | None] = relationship()
