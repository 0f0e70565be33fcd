"""Corrective action (ISO/IEC 42001 10.2; DOMAIN 4): the auditee's plan per cycle, its actions, files, due dates.

A cycle is one round of correction, root-cause analysis, extent check and actions; a finding found "not
effective" starts a new cycle whose plan and actions are kept beside the first one's.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from audit_app.models.base import Model, UTCDateTime, enum_column, utcnow
from audit_app.models.finding import Finding
from audit_app.models.user import User


class RcaMethod(enum.StrEnum):
    FIVE_WHYS = "five_whys"
    FISHBONE = "fishbone"
    FAULT_TREE = "fault_tree"
    FREE_TEXT = "free_text"

    @property
    def label(self) -> str:
        return {
            "five_whys": "5 whys",
            "fishbone": "Fishbone (cause categories)",
            "fault_tree": "Fault tree",
            "free_text": "Free text",
        }[self.value]


class PlanDecision(enum.StrEnum):
    ACCEPTED = "accepted"
    RETURNED = "returned"

    @property
    def label(self) -> str:
        return self.value.capitalize()


class CapaPlan(Model):
    """The auditee's response for one cycle: correction, root cause, extent check; the actions hang off it."""

    id: Mapped[int] = mapped_column(primary_key=True)
    finding_id: Mapped[int] = mapped_column(sa.ForeignKey("finding.id"), index=True)
    cycle: Mapped[int] = mapped_column(default=1)
    #: Containment: what was done (or will be) about this instance and its consequences.
    correction: Mapped[str] = mapped_column(sa.Text, default="")
    rca_method: Mapped[RcaMethod | None] = mapped_column(enum_column(RcaMethod))
    #: The analysis itself (the whys, the cause categories, the tree), in the method's own shape.
    rca_analysis: Mapped[str] = mapped_column(sa.Text, default="")
    root_cause: Mapped[str] = mapped_column(sa.Text, default="")
    #: Can the same cause exist elsewhere (other AI systems, units, sites)? What was checked and found.
    extent_check: Mapped[str] = mapped_column(sa.Text, default="")
    submitted_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decision: Mapped[PlanDecision | None] = mapped_column(enum_column(PlanDecision))
    decision_reason: Mapped[str] = mapped_column(sa.Text, default="")
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    finding: Mapped[Finding] = relationship(back_populates="plans")
    submitted_by: Mapped[User | None] = relationship(foreign_keys=[submitted_by_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])


class ActionStatus(enum.StrEnum):
    PLANNED = "planned"
    IMPLEMENTED = "implemented"
    #: Dropped from a plan before it was accepted (kept, never deleted).
    CANCELLED = "cancelled"

    @property
    def label(self) -> str:
        return self.value.capitalize()


class CorrectiveAction(Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(server_default="1")
    finding_id: Mapped[int] = mapped_column(sa.ForeignKey("finding.id"), index=True)
    cycle: Mapped[int] = mapped_column(default=1)
    description: Mapped[str] = mapped_column(sa.Text)
    owner_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"), index=True)
    due_on: Mapped[date] = mapped_column(sa.Date, index=True)
    status: Mapped[ActionStatus] = mapped_column(enum_column(ActionStatus), default=ActionStatus.PLANNED)
    #: What was done, and where the implementation evidence is (files are attached as CapaFile).
    implementation_note: Mapped[str] = mapped_column(sa.Text, default="")
    implemented_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    implemented_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    finding: Mapped[Finding] = relationship(back_populates="actions")
    owner: Mapped[User | None] = relationship(foreign_keys=[owner_id])
    implemented_by: Mapped[User | None] = relationship(foreign_keys=[implemented_by_id])
    files: Mapped[list[CapaFile]] = relationship(back_populates="action", order_by="CapaFile.id")

    __mapper_args__ = {"version_id_col": version}


class FilePurpose(enum.StrEnum):
    CORRECTION = "correction"
    IMPLEMENTATION = "implementation"
    EFFECTIVENESS = "effectiveness"

    @property
    def label(self) -> str:
        return self.value.capitalize()


class CapaFile(Model):
    """A file proving a correction, an action's implementation or its effectiveness (kept; never overwritten)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    finding_id: Mapped[int] = mapped_column(sa.ForeignKey("finding.id"), index=True)
    action_id: Mapped[int | None] = mapped_column(sa.ForeignKey("corrective_action.id"), index=True)
    purpose: Mapped[FilePurpose] = mapped_column(enum_column(FilePurpose))
    name: Mapped[str] = mapped_column(sa.String(255))
    stored_name: Mapped[str] = mapped_column(sa.String(80))
    size: Mapped[int] = mapped_column()
    sha256: Mapped[str] = mapped_column(sa.String(64))
    content_type: Mapped[str] = mapped_column(sa.String(120), default="application/octet-stream")
    uploaded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    action: Mapped[CorrectiveAction | None] = relationship(back_populates="files")
    uploaded_by: Mapped[User | None] = relationship()


class CapaFileDownload(Model):
    """Every download of a corrective-action file: who and when."""

    id: Mapped[int] = mapped_column(primary_key=True)
    file_id: Mapped[int] = mapped_column(sa.ForeignKey("capa_file.id"), index=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class DueStep(enum.StrEnum):
    """The response steps a due date is set for (the programme's due policy, per grade; DOMAIN 4.3)."""

    ACKNOWLEDGE = "acknowledge"
    CORRECTION = "correction"
    PLAN = "plan"
    IMPLEMENTATION = "implementation"
    EFFECTIVENESS = "effectiveness"
    #: Observations and OFIs: when the auditee should have considered it.
    CONSIDER = "consider"

    @property
    def label(self) -> str:
        return {
            "acknowledge": "Acknowledge",
            "correction": "Correction",
            "plan": "Root cause and action plan",
            "implementation": "Implementation",
            "effectiveness": "Effectiveness review",
            "consider": "Consideration",
        }[self.value]


class DueDate(Model):
    __table_args__ = (sa.UniqueConstraint("finding_id", "cycle", "step", name="uq_due_date_finding_cycle_step"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    finding_id: Mapped[int] = mapped_column(sa.ForeignKey("finding.id"), index=True)
    cycle: Mapped[int] = mapped_column(default=1)
    step: Mapped[DueStep] = mapped_column(enum_column(DueStep))
    due_on: Mapped[date] = mapped_column(sa.Date, index=True)
    #: The date the policy gave, before any approved extension.
    original_due_on: Mapped[date] = mapped_column(sa.Date)
    #: When the step was done (None: still open).
    met_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    finding: Mapped[Finding] = relationship(back_populates="dues")
    extensions: Mapped[list[DueExtension]] = relationship(back_populates="due", order_by="DueExtension.id")


class ExtensionStatus(enum.StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REFUSED = "refused"

    @property
    def label(self) -> str:
        return self.value.capitalize()


class DueExtension(Model):
    """A request to move a due date, with its reason, and the lead auditor's decision."""

    id: Mapped[int] = mapped_column(primary_key=True)
    due_id: Mapped[int] = mapped_column(sa.ForeignKey("due_date.id"), index=True)
    #: An action's own due date, when the request is for one action.
    action_id: Mapped[int | None] = mapped_column(sa.ForeignKey("corrective_action.id"))
    requested_due_on: Mapped[date] = mapped_column(sa.Date)
    reason: Mapped[str] = mapped_column(sa.Text)
    requested_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    status: Mapped[ExtensionStatus] = mapped_column(enum_column(ExtensionStatus), default=ExtensionStatus.PENDING)
    decision_reason: Mapped[str] = mapped_column(sa.Text, default="")
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    due: Mapped[DueDate] = relationship(back_populates="extensions")
    requested_by: Mapped[User | None] = relationship(foreign_keys=[requested_by_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])
