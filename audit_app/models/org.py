"""The audited organisation: profile, org units and the AI-system inventory."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from datetime import date, datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from audit_app.models.base import Model, UTCDateTime, enum_column, utcnow

if TYPE_CHECKING:
    from audit_app.models.user import User


class Organisation(Model):
    """The single organisation whose AI management system is audited."""

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    #: The AIMS scope statement (ISO/IEC 42001 4.3): boundaries, AI systems, sites, exclusions.
    scope_statement: Mapped[str] = mapped_column(sa.Text, default="")
    #: The sector(s) the organisation works in, one per line like an auditor profile's (e.g. "consumer lending");
    #: None or empty when not named. The team's sector knowledge is judged against them (ISO 19011 7.2.3.3).
    sectors: Mapped[str | None] = mapped_column(sa.Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    @property
    def sector_list(self) -> list[str]:
        return sector_lines(self.sectors)


def sector_lines(text: str | None) -> list[str]:
    """The sectors named in `text`, one per line, blanks and repeats (ignoring case) left out."""
    seen: dict[str, str] = {}
    for line in (text or "").splitlines():
        if line.strip():
            seen.setdefault(line.strip().casefold(), line.strip())
    return list(seen.values())


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
    #: Who is told when the unit's corrective actions fall overdue (DOMAIN 4.3).
    manager_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user.id", use_alter=True, name="fk_org_unit_manager_id_user")
    )
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    parent: Mapped[OrgUnit | None] = relationship(remote_side=[id])
    manager: Mapped[User | None] = relationship(foreign_keys=[manager_id])


class AIRole(enum.StrEnum):
    """A role the organisation holds towards an AI system (clause 4.1; ISO/IEC 22989 roles); it may hold several."""

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


class AISystemRole(Model):
    """One role the organisation holds towards one AI system (a system has one or more)."""

    ai_system_id: Mapped[int] = mapped_column(sa.ForeignKey("ai_system.id"), primary_key=True)
    role: Mapped[AIRole] = mapped_column(enum_column(AIRole), primary_key=True)


#: The order roles are listed in (and the first one is the system's main role): AIRole's declaration order.
ROLE_ORDER = {role: position for position, role in enumerate(AIRole)}


class AISystem(Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(120), unique=True)
    purpose: Mapped[str] = mapped_column(sa.Text)
    risk_level: Mapped[RiskLevel] = mapped_column(enum_column(RiskLevel))
    owner_unit_id: Mapped[int] = mapped_column(sa.ForeignKey("org_unit.id"), index=True)
    lifecycle_stage: Mapped[LifecycleStage] = mapped_column(enum_column(LifecycleStage))
    in_scope: Mapped[bool] = mapped_column(default=True)
    #: Why the system is in or out of the AIMS scope.
    scope_note: Mapped[str] = mapped_column(sa.Text, default="")
    #: Who supplies the system or its main component (a vendor, a model provider); None when built in-house.
    supplier: Mapped[str | None] = mapped_column(sa.String(200))
    #: The version (or release) of the system currently in use or under audit.
    version: Mapped[str | None] = mapped_column(sa.String(60))
    #: When the system was first put into production; None while it has not been.
    in_production_on: Mapped[date | None] = mapped_column(sa.Date)
    #: Reference of the system's AI system impact assessment (6.1.4, A.5.3), e.g. a document id.
    impact_assessment_ref: Mapped[str | None] = mapped_column(sa.String(200))
    #: When the AI system impact assessment referred to was completed (readiness reads it as of a date).
    impact_assessed_on: Mapped[date | None] = mapped_column(sa.Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    owner_unit: Mapped[OrgUnit] = relationship()
    role_links: Mapped[list[AISystemRole]] = relationship(cascade="all, delete-orphan", lazy="selectin")

    @property
    def roles(self) -> list[AIRole]:
        """The roles the organisation holds towards the system, in AIRole order (clause 4.1)."""
        return sorted((link.role for link in self.role_links), key=ROLE_ORDER.__getitem__)

    @roles.setter
    def roles(self, roles: Iterable[AIRole]) -> None:
        wanted = set(roles)
        # Keep the links that stay (removing and re-adding one would clash on its primary key).
        self.role_links[:] = [link for link in self.role_links if link.role in wanted]
        held = {link.role for link in self.role_links}
        self.role_links.extend(AISystemRole(role=role) for role in sorted(wanted - held, key=ROLE_ORDER.__getitem__))

    @property
    def role(self) -> AIRole | None:
        """The main role: the first of `roles` (kept for readers of the former single role)."""
        roles = self.roles
        return roles[0] if roles else None

    @role.setter
    def role(self, role: AIRole) -> None:
        self.roles = [role]

    @property
    def roles_label(self) -> str:
        return ", ".join(role.label for role in self.roles)
