"""Audit preparation and conclusions (ISO 19011 6.3.1, 6.3.2.1, 6.4.9): the risks to achieving the audit's
objectives, the preparatory review of documented information, and the team conference with its conclusion."""

from __future__ import annotations

import enum
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from audit_app.models.audit import Audit
from audit_app.models.base import Model, UTCDateTime, enum_column, utcnow
from audit_app.models.user import User


class Rating(enum.StrEnum):
    """Likelihood or impact of a risk to the audit."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"

    @property
    def label(self) -> str:
        return self.value.capitalize()

    @property
    def score(self) -> int:
        return {"low": 1, "medium": 2, "high": 3}[self.value]


class AuditRiskKind(enum.StrEnum):
    """What threatens the audit's objectives (ISO 19011 6.3.2.1)."""

    TIME = "time"
    AUDITEE_AVAILABILITY = "auditee_availability"
    EVIDENCE_ACCESS = "evidence_access"
    COMPETENCE = "competence"
    REMOTE_TECHNOLOGY = "remote_technology"
    CONFIDENTIALITY = "confidentiality"
    OTHER = "other"

    @property
    def label(self) -> str:
        return _RISK_KIND_LABELS[self]


_RISK_KIND_LABELS = {
    AuditRiskKind.TIME: "Insufficient time",
    AuditRiskKind.AUDITEE_AVAILABILITY: "Auditees unavailable",
    AuditRiskKind.EVIDENCE_ACCESS: "Access to evidence",
    AuditRiskKind.COMPETENCE: "Competence gap in the team",
    AuditRiskKind.REMOTE_TECHNOLOGY: "Remote-audit technology",
    AuditRiskKind.CONFIDENTIALITY: "Confidentiality of information",
    AuditRiskKind.OTHER: "Other",
}


class AuditRisk(Model):
    """A risk to achieving the audit objectives, rated and treated; removal stamps removed_at."""

    id: Mapped[int] = mapped_column(primary_key=True)
    audit_id: Mapped[int] = mapped_column(sa.ForeignKey("audit.id"), index=True)
    kind: Mapped[AuditRiskKind] = mapped_column(enum_column(AuditRiskKind))
    description: Mapped[str] = mapped_column(sa.Text)
    likelihood: Mapped[Rating] = mapped_column(enum_column(Rating))
    impact: Mapped[Rating] = mapped_column(enum_column(Rating))
    treatment: Mapped[str] = mapped_column(sa.Text)
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    removed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))

    audit: Mapped[Audit] = relationship()
    recorded_by: Mapped[User | None] = relationship(foreign_keys=[recorded_by_id])

    @property
    def level(self) -> Rating:
        """Likelihood times impact: 6 or more is high, 3 or more medium, below that low."""
        score = self.likelihood.score * self.impact.score
        return Rating.HIGH if score >= 6 else Rating.MEDIUM if score >= 3 else Rating.LOW


class Adequacy(enum.StrEnum):
    """What the preparatory review concluded about a document (ISO 19011 6.3.1)."""

    ADEQUATE = "adequate"
    PARTLY_ADEQUATE = "partly_adequate"
    INADEQUATE = "inadequate"
    NOT_AVAILABLE = "not_available"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


class DocumentReview(Model):
    """One document reviewed before fieldwork: which version, whether it is adequate, what to follow up."""

    id: Mapped[int] = mapped_column(primary_key=True)
    audit_id: Mapped[int] = mapped_column(sa.ForeignKey("audit.id"), index=True)
    document: Mapped[str] = mapped_column(sa.String(200))
    version: Mapped[str] = mapped_column(sa.String(60), default="")
    adequacy: Mapped[Adequacy] = mapped_column(enum_column(Adequacy))
    notes: Mapped[str] = mapped_column(sa.Text, default="")
    reviewed_on: Mapped[date] = mapped_column(sa.Date)
    reviewed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    removed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))

    audit: Mapped[Audit] = relationship()
    reviewed_by: Mapped[User | None] = relationship(foreign_keys=[reviewed_by_id])


class Fulfilment(enum.StrEnum):
    """How far the audit criteria are fulfilled (ISO 19011 6.4.9, 6.5.1 i)."""

    FULFILLED = "fulfilled"
    LARGELY_FULFILLED = "largely_fulfilled"
    PARTLY_FULFILLED = "partly_fulfilled"
    NOT_FULFILLED = "not_fulfilled"
    NOT_DETERMINED = "not_determined"

    @property
    def label(self) -> str:
        return _FULFILMENT_LABELS[self]


_FULFILMENT_LABELS = {
    Fulfilment.FULFILLED: "Fulfilled",
    Fulfilment.LARGELY_FULFILLED: "Largely fulfilled (observations or improvements only)",
    Fulfilment.PARTLY_FULFILLED: "Partly fulfilled (nonconformities)",
    Fulfilment.NOT_FULFILLED: "Not fulfilled",
    Fulfilment.NOT_DETERMINED: "Not determined (not audited)",
}


class AuditConference(Model):
    """The audit team's conference before the closing meeting and the audit conclusion it agreed."""

    id: Mapped[int] = mapped_column(primary_key=True)
    audit_id: Mapped[int] = mapped_column(sa.ForeignKey("audit.id"), unique=True)
    held_at: Mapped[datetime] = mapped_column(sa.DateTime)
    participants: Mapped[str] = mapped_column(sa.Text)
    #: How far the criteria are fulfilled overall, and the statement that says so.
    fulfilment: Mapped[Fulfilment] = mapped_column(enum_column(Fulfilment))
    conclusion: Mapped[str] = mapped_column(sa.Text)
    #: Whether the audit objectives were met, and any obstacles that reduce confidence in the conclusion.
    objectives_met: Mapped[bool] = mapped_column(default=True)
    obstacles: Mapped[str] = mapped_column(sa.Text, default="")
    recommendations: Mapped[str] = mapped_column(sa.Text, default="")
    follow_up: Mapped[str] = mapped_column(sa.Text, default="")
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    audit: Mapped[Audit] = relationship()
    recorded_by: Mapped[User | None] = relationship()
    areas: Mapped[list[AreaConclusion]] = relationship(
        back_populates="conference", cascade="all, delete-orphan", order_by="AreaConclusion.id"
    )


class AreaConclusion(Model):
    """The conclusion for one clause (4 to 10) or one Annex A control area (A.2 to A.10)."""

    __table_args__ = (sa.UniqueConstraint("conference_id", "area", name="uq_area_conclusion_area"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    conference_id: Mapped[int] = mapped_column(sa.ForeignKey("audit_conference.id"), index=True)
    area: Mapped[str] = mapped_column(sa.String(20))
    fulfilment: Mapped[Fulfilment] = mapped_column(enum_column(Fulfilment))
    statement: Mapped[str] = mapped_column(sa.Text)

    conference: Mapped[AuditConference] = relationship(back_populates="areas")
