"""The audited organisation: profile, org units and the AI-system inventory."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from audit_app.models.base import Model, UTCDateTime, enum_column, utcnow


class Organisation(Model):
    """The single organisation whose AI management system is audited."""

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    #: The AIMS scope statement (ISO/IEC 42001 4.3): boundaries, AI systems, sites, exclusions.
    scope_statement: Mapped[str] = mapped_column(sa.Text, default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class UnitKind(enum.StrEnum):
    DEPARTMENT = "department"
    PROCESS = "process"
    SITE = "site"

    @property
    def label(self) -> str:
        return self.value.capitalize()


class OrgUnit(Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(120), unique=True)
    kind: Mapped[UnitKind] = mapped_column(enum_column(UnitKind))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    parent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("org_unit.id"))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    parent: Mapped[OrgUnit | None] = relationship(remote_side=[id])


class AIRole(enum.StrEnum):
    """The organisation's role towards an AI system (clause 4.1; ISO/IEC 22989 roles)."""

    PROVIDER = "provider"
    DEVELOPER = "developer"
    PRODUCER = "producer"
    DEPLOYER = "deployer"
    USER = "user"
    PARTNER = "partner"
    SUBJECT = "subject"

    @property
    def label(self) -> str:
        return self.value.capitalize()


class RiskLevel(enum.StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"

    @property
    def label(self) -> str:
        return self.value.capitalize()


class LifecycleStage(enum.StrEnum):
    """AI system life-cycle stages, after ISO/IEC 22989."""

    INCEPTION = "inception"
    DESIGN_DEVELOPMENT = "design_development"
    VERIFICATION_VALIDATION = "verification_validation"
    DEPLOYMENT = "deployment"
    OPERATION_MONITORING = "operation_monitoring"
    RE_EVALUATION = "re_evaluation"
    RETIREMENT = "retirement"

    @property
    def label(self) -> str:
        return _STAGE_LABELS[self]


_STAGE_LABELS = {
    LifecycleStage.INCEPTION: "Inception",
    LifecycleStage.DESIGN_DEVELOPMENT: "Design and development",
    LifecycleStage.VERIFICATION_VALIDATION: "Verification and validation",
    LifecycleStage.DEPLOYMENT: "Deployment",
    LifecycleStage.OPERATION_MONITORING: "Operation and monitoring",
    LifecycleStage.RE_EVALUATION: "Re-evaluation",
    LifecycleStage.RETIREMENT: "Retirement",
}


class AISystem(Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(120), unique=True)
    purpose: Mapped[str] = mapped_column(sa.Text)
    role: Mapped[AIRole] = mapped_column(enum_column(AIRole))
    risk_level: Mapped[RiskLevel] = mapped_column(enum_column(RiskLevel))
    owner_unit_id: Mapped[int] = mapped_column(sa.ForeignKey("org_unit.id"), index=True)
    lifecycle_stage: Mapped[LifecycleStage] = mapped_column(enum_column(LifecycleStage))
    in_scope: Mapped[bool] = mapped_column(default=True)
    #: Why the system is in or out of the AIMS scope.
    scope_note: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    owner_unit: Mapped[OrgUnit] = relationship()
