"""Auditor competence (ISO 19011 5.4.2, 7): profiles, what each person is responsible for, evaluations."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from audit_app.models.audit import Audit
from audit_app.models.base import Model, UTCDateTime, enum_column, utcnow
from audit_app.models.org import OrgUnit
from audit_app.models.user import User


class CompetenceArea(enum.StrEnum):
    """Areas of knowledge the team as a whole must cover (ISO 19011 7.2.3)."""

    AUDITING = "auditing"
    ISO42001 = "iso42001"
    AI_ML = "ai_ml"
    DATA = "data"
    INFOSEC = "infosec"

    @property
    def label(self) -> str:
        return _AREA_LABELS[self]


_AREA_LABELS = {
    CompetenceArea.AUDITING: "Audit principles and methods (ISO 19011)",
    CompetenceArea.ISO42001: "Trained on ISO/IEC 42001",
    CompetenceArea.AI_ML: "AI and machine-learning technical knowledge",
    CompetenceArea.DATA: "Data management and data quality",
    CompetenceArea.INFOSEC: "Information security",
}


class EvaluationRating(enum.StrEnum):
    EXCEEDS = "exceeds"
    MEETS = "meets"
    PARTLY = "partly"
    NOT_MET = "not_met"

    @property
    def label(self) -> str:
        return {
            "exceeds": "Exceeds expectations",
            "meets": "Meets expectations",
            "partly": "Partly meets expectations",
            "not_met": "Does not meet expectations",
        }[self.value]


profile_unit = sa.Table(
    "auditor_profile_unit",
    Model.metadata,
    sa.Column("profile_id", sa.ForeignKey("auditor_profile.id"), primary_key=True),
    sa.Column("org_unit_id", sa.ForeignKey("org_unit.id"), primary_key=True),
)


class AuditorProfile(Model):
    """What a person brings to an audit team, and what they must not audit because it is their own work."""

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"), unique=True)
    #: Certificates and qualifications, one per line (e.g. "ISO/IEC 42001 lead auditor, 2025").
    qualifications: Mapped[str] = mapped_column(sa.Text, default="")
    #: Training attended, one per line.
    training: Mapped[str] = mapped_column(sa.Text, default="")
    #: CompetenceArea values the person has shown (backed by the qualifications and training above).
    areas: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    #: AI and machine-learning knowledge in words (systems, techniques, years).
    ai_knowledge: Mapped[str] = mapped_column(sa.Text, default="")
    #: Sectors the person knows, one per line (e.g. "consumer lending").
    sectors: Mapped[str] = mapped_column(sa.Text, default="")
    #: Clause and control ids the person wrote, owns or manages (e.g. "6.1.2" for the risk method's author).
    responsible_refs: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    updated_by: Mapped[User | None] = relationship(foreign_keys=[updated_by_id])
    #: Processes or units the person owns or manages (they do not audit them either).
    responsible_units: Mapped[list[OrgUnit]] = relationship(secondary=profile_unit, order_by=OrgUnit.name)

    def has(self, area: CompetenceArea) -> bool:
        return area.value in (self.areas or [])

    @property
    def sector_list(self) -> list[str]:
        return [line.strip() for line in (self.sectors or "").splitlines() if line.strip()]


class AuditorEvaluation(Model):
    """An evaluation of an auditor's performance after an audit (ISO 19011 7.4, 7.6); never changed or deleted."""

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"), index=True)
    audit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("audit.id"), index=True)
    evaluator_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"))
    evaluated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    rating: Mapped[EvaluationRating] = mapped_column(enum_column(EvaluationRating))
    comment: Mapped[str] = mapped_column(sa.Text, default="")

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    evaluator: Mapped[User] = relationship(foreign_keys=[evaluator_id])
    audit: Mapped[Audit | None] = relationship()
