"""Audits (ISO 19011 clause 6): scope, criteria, team, life cycle."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from audit_app.models.base import Model, UTCDateTime, enum_column, utcnow
from audit_app.models.checklist import ChecklistItem, ChecklistVersion
from audit_app.models.org import AISystem, OrgUnit
from audit_app.models.user import User

if TYPE_CHECKING:
    from audit_app.models.plan import AuditMeeting, AuditSession
    from audit_app.models.programme import AuditProgramme


class AuditType(enum.StrEnum):
    INTERNAL = "internal"
    READINESS = "readiness"
    STAGE1_SIMULATION = "stage1_simulation"
    STAGE2_SIMULATION = "stage2_simulation"
    SURVEILLANCE = "surveillance"
    FOLLOW_UP = "follow_up"

    @property
    def label(self) -> str:
        return _TYPE_LABELS[self]


_TYPE_LABELS = {
    AuditType.INTERNAL: "Internal audit",
    AuditType.READINESS: "Readiness / gap assessment",
    AuditType.STAGE1_SIMULATION: "Stage 1 simulation",
    AuditType.STAGE2_SIMULATION: "Stage 2 simulation",
    AuditType.SURVEILLANCE: "Surveillance",
    AuditType.FOLLOW_UP: "Follow-up",
}


class AuditMethod(enum.StrEnum):
    ON_SITE = "on_site"
    REMOTE = "remote"
    HYBRID = "hybrid"

    @property
    def label(self) -> str:
        return {"on_site": "On-site", "remote": "Remote", "hybrid": "Hybrid"}[self.value]


class AuditStatus(enum.StrEnum):
    PLANNED = "planned"
    PREPARATION = "preparation"
    FIELDWORK = "fieldwork"
    REPORTING = "reporting"
    FOLLOW_UP = "follow_up"
    CLOSED = "closed"
    CANCELLED = "cancelled"

    @property
    def label(self) -> str:
        return self.value.replace("_", "-").capitalize()

    @property
    def in_words(self) -> str:
        """For sentences: "the audit is in fieldwork", "the audit is closed"."""
        if self in (AuditStatus.PLANNED, AuditStatus.CLOSED, AuditStatus.CANCELLED):
            return self.value
        return f"in {self.label.lower()}"


class TeamRole(enum.StrEnum):
    LEAD_AUDITOR = "lead_auditor"
    AUDITOR = "auditor"
    TECHNICAL_EXPERT = "technical_expert"
    OBSERVER = "observer"
    AUDITOR_IN_TRAINING = "auditor_in_training"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


#: Text each team member confirms for an audit (ISO/IEC 42001 9.2.2: objective and impartial).
INDEPENDENCE_DECLARATION = (
    "I declare that I am independent of the activities, processes and AI systems in the scope of this "
    "audit: I have not designed, operated or been responsible for them during the period covered, I have "
    "no personal or financial interest in the outcome, and I will report any threat to my objectivity "
    "to the lead auditor at once."
)

audit_scope_unit = sa.Table(
    "audit_scope_unit",
    Model.metadata,
    sa.Column("audit_id", sa.ForeignKey("audit.id"), primary_key=True),
    sa.Column("org_unit_id", sa.ForeignKey("org_unit.id"), primary_key=True),
)
audit_scope_system = sa.Table(
    "audit_scope_system",
    Model.metadata,
    sa.Column("audit_id", sa.ForeignKey("audit.id"), primary_key=True),
    sa.Column("ai_system_id", sa.ForeignKey("ai_system.id"), primary_key=True),
)
audit_criterion = sa.Table(
    "audit_criterion",
    Model.metadata,
    sa.Column("audit_id", sa.ForeignKey("audit.id"), primary_key=True),
    sa.Column("checklist_version_id", sa.ForeignKey("checklist_version.id"), primary_key=True),
)
audit_scope_item = sa.Table(
    "audit_scope_item",
    Model.metadata,
    sa.Column("audit_id", sa.ForeignKey("audit.id"), primary_key=True),
    sa.Column("checklist_item_id", sa.ForeignKey("checklist_item.id"), primary_key=True),
)


class Audit(Model):
    __table_args__ = (sa.UniqueConstraint("programme_id", "sequence", name="uq_audit_programme_sequence"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(sa.ForeignKey("audit_programme.id"), index=True)
    sequence: Mapped[int] = mapped_column()
    #: e.g. IA-2026-03: programme code and sequence within the programme.
    reference: Mapped[str] = mapped_column(sa.String(40), unique=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    audit_type: Mapped[AuditType] = mapped_column(enum_column(AuditType))
    objectives: Mapped[str] = mapped_column(sa.Text, default="")
    #: Processes, functions and boundaries in words, beyond the units and systems selected.
    scope_notes: Mapped[str] = mapped_column(sa.Text, default="")
    period_covered_start: Mapped[date | None] = mapped_column(sa.Date)
    period_covered_end: Mapped[date | None] = mapped_column(sa.Date)
    method: Mapped[AuditMethod] = mapped_column(enum_column(AuditMethod), default=AuditMethod.ON_SITE)
    start_date: Mapped[date] = mapped_column(sa.Date)
    end_date: Mapped[date] = mapped_column(sa.Date)
    language: Mapped[str] = mapped_column(sa.String(40), default="English")
    #: The audit client: who asked for the audit and receives the report.
    client: Mapped[str] = mapped_column(sa.String(200), default="")
    #: Criteria beyond the pinned checklists: internal policies, procedures, contracts, laws.
    other_criteria: Mapped[str] = mapped_column(sa.Text, default="")
    confidentiality_note: Mapped[str] = mapped_column(sa.Text, default="")
    lead_auditor_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"), index=True)
    status: Mapped[AuditStatus] = mapped_column(enum_column(AuditStatus), default=AuditStatus.PLANNED, index=True)
    cancel_reason: Mapped[str] = mapped_column(sa.Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    programme: Mapped[AuditProgramme] = relationship(back_populates="audits")
    lead_auditor: Mapped[User] = relationship(foreign_keys=[lead_auditor_id])
    scope_units: Mapped[list[OrgUnit]] = relationship(secondary=audit_scope_unit, order_by=OrgUnit.name)
    scope_systems: Mapped[list[AISystem]] = relationship(secondary=audit_scope_system, order_by=AISystem.name)
    criteria: Mapped[list[ChecklistVersion]] = relationship(secondary=audit_criterion)
    scope_items: Mapped[list[ChecklistItem]] = relationship(
        secondary=audit_scope_item, order_by=(ChecklistItem.version_id, ChecklistItem.position)
    )
    # Team members, auditees and sessions are never deleted: removal stamps removed_at (kept for the
    # record) and these collections show only the current ones.
    team: Mapped[list[AuditTeamMember]] = relationship(
        primaryjoin="and_(AuditTeamMember.audit_id == Audit.id, AuditTeamMember.removed_at.is_(None))",
        cascade="save-update, merge",
        order_by="AuditTeamMember.id",
        overlaps="audit",
    )
    auditees: Mapped[list[AuditAuditee]] = relationship(
        primaryjoin="and_(AuditAuditee.audit_id == Audit.id, AuditAuditee.removed_at.is_(None))",
        cascade="save-update, merge",
        order_by="AuditAuditee.id",
        overlaps="audit",
    )
    sessions: Mapped[list[AuditSession]] = relationship(
        primaryjoin="and_(AuditSession.audit_id == Audit.id, AuditSession.removed_at.is_(None))",
        cascade="save-update, merge",
        order_by="(AuditSession.day, AuditSession.start_time)",
        overlaps="audit",
    )
    meetings: Mapped[list[AuditMeeting]] = relationship(back_populates="audit", cascade="all, delete-orphan")
    transitions: Mapped[list[AuditTransition]] = relationship(
        back_populates="audit", cascade="all, delete-orphan", order_by="AuditTransition.id"
    )

    @property
    def label(self) -> str:
        return f"{self.reference} {self.title}"

    @property
    def is_open(self) -> bool:
        return self.status not in (AuditStatus.CLOSED, AuditStatus.CANCELLED)


class AuditTeamMember(Model):
    __table_args__ = (sa.UniqueConstraint("audit_id", "user_id", name="uq_audit_team_member"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    audit_id: Mapped[int] = mapped_column(sa.ForeignKey("audit.id"), index=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"), index=True)
    role: Mapped[TeamRole] = mapped_column(enum_column(TeamRole))
    #: A justified exception to the impartiality rule, recorded by the lead auditor (shown in the report).
    impartiality_exception: Mapped[str] = mapped_column(sa.Text, default="")
    exception_recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    exception_recorded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    declaration_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: The declaration text as confirmed, kept verbatim as evidence.
    declaration_text: Mapped[str] = mapped_column(sa.Text, default="")
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    #: Set when the member is taken off the team (the row stays as the record of who was on it).
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    removed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))

    audit: Mapped[Audit] = relationship(overlaps="team")
    user: Mapped[User] = relationship(foreign_keys=[user_id])
    exception_recorded_by: Mapped[User | None] = relationship(foreign_keys=[exception_recorded_by_id])

    @property
    def has_declared(self) -> bool:
        return self.declaration_confirmed_at is not None


class AuditAuditee(Model):
    """An auditee representative: a user of the app, or a named person without an account."""

    id: Mapped[int] = mapped_column(primary_key=True)
    audit_id: Mapped[int] = mapped_column(sa.ForeignKey("audit.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    #: Job role or function, e.g. "Head of Credit Risk".
    position: Mapped[str] = mapped_column(sa.String(120), default="")
    org_unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("org_unit.id"))

    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    removed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))

    audit: Mapped[Audit] = relationship(overlaps="auditees")
    user: Mapped[User | None] = relationship(foreign_keys=[user_id])
    org_unit: Mapped[OrgUnit | None] = relationship()


class AuditTransition(Model):
    """Append-only record of each life-cycle move: who, when, from, to and why."""

    id: Mapped[int] = mapped_column(primary_key=True)
    audit_id: Mapped[int] = mapped_column(sa.ForeignKey("audit.id"), index=True)
    from_status: Mapped[AuditStatus] = mapped_column(enum_column(AuditStatus))
    to_status: Mapped[AuditStatus] = mapped_column(enum_column(AuditStatus))
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    reason: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    audit: Mapped[Audit] = relationship(back_populates="transitions")
    actor: Mapped[User | None] = relationship()
