"""Findings (ISO 19011 6.4.8; DOMAIN 2.5 and 2.7): graded, evidenced, reviewed, issued to the auditee's unit.

A finding is drafted by an auditor, reviewed and issued by the lead auditor, and then answered by the auditee
(models/capa.py holds the corrective-action side). Nonconformities can also be raised outside an audit (an
incident, a complaint, a monitoring result), as ISO/IEC 42001 10.2 asks. Nothing is ever deleted: a withdrawn
or merged finding stays, with its reason, and every change is kept in FindingHistory.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from audit_app.models.base import Model, UTCDateTime, enum_column, utcnow
from audit_app.models.fieldwork import ChecklistResponse, Evidence
from audit_app.models.org import AISystem, OrgUnit
from audit_app.models.sample import Sample
from audit_app.models.user import User

if TYPE_CHECKING:
    from audit_app.models.audit import Audit
    from audit_app.models.capa import CapaPlan, CorrectiveAction, DueDate
    from audit_app.models.programme import AuditProgramme


class FindingStatus(enum.StrEnum):
    DRAFT = "draft"
    #: Submitted by the auditor for the lead auditor's review.
    SUBMITTED = "submitted"
    #: Issued to the auditee's unit (visible to it from now on); awaiting acknowledgement or consideration.
    ISSUED = "issued"
    DISPUTED = "disputed"
    ACKNOWLEDGED = "acknowledged"
    PLAN_SUBMITTED = "plan_submitted"
    PLAN_ACCEPTED = "plan_accepted"
    IMPLEMENTED = "implemented"
    #: Implementation verified; the effectiveness review is pending.
    VERIFIED = "verified"
    CLOSED_EFFECTIVE = "closed_effective"
    #: Found not effective: a new cycle of cause analysis and actions, linked to the earlier one.
    REOPENED = "reopened"
    #: Observations and OFIs: the auditee has considered it (action taken, or declined with a reason).
    CONSIDERED = "considered"
    CLOSED = "closed"
    WITHDRAWN = "withdrawn"
    MERGED = "merged"

    @property
    def label(self) -> str:
        return _STATUS_LABELS[self]


_STATUS_LABELS = {
    FindingStatus.DRAFT: "Draft",
    FindingStatus.SUBMITTED: "Submitted for review",
    FindingStatus.ISSUED: "Issued",
    FindingStatus.DISPUTED: "Disputed",
    FindingStatus.ACKNOWLEDGED: "Acknowledged",
    FindingStatus.PLAN_SUBMITTED: "Plan submitted",
    FindingStatus.PLAN_ACCEPTED: "Plan accepted",
    FindingStatus.IMPLEMENTED: "Implemented",
    FindingStatus.VERIFIED: "Implementation verified",
    FindingStatus.CLOSED_EFFECTIVE: "Closed: effective",
    FindingStatus.REOPENED: "Reopened: not effective",
    FindingStatus.CONSIDERED: "Considered",
    FindingStatus.CLOSED: "Closed",
    FindingStatus.WITHDRAWN: "Withdrawn",
    FindingStatus.MERGED: "Merged",
}

#: States in which nothing more happens.
FINAL_STATES = frozenset(
    {FindingStatus.CLOSED_EFFECTIVE, FindingStatus.CLOSED, FindingStatus.WITHDRAWN, FindingStatus.MERGED}
)
#: States before the finding is issued: working papers of the audit team.
UNISSUED_STATES = frozenset({FindingStatus.DRAFT, FindingStatus.SUBMITTED})


class FindingSource(enum.StrEnum):
    AUDIT = "audit"
    INCIDENT = "incident"
    COMPLAINT = "complaint"
    MONITORING = "monitoring"
    MANAGEMENT_REVIEW = "management_review"
    EXTERNAL_AUDIT = "external_audit"
    OTHER = "other"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


class Consideration(enum.StrEnum):
    """What the auditee did with an observation or opportunity for improvement."""

    ACTION_TAKEN = "action_taken"
    DECLINED = "declined"

    @property
    def label(self) -> str:
        return "Action taken" if self is Consideration.ACTION_TAKEN else "Declined"


class Finding(Model):
    __table_args__ = (
        sa.UniqueConstraint("audit_id", "prefix", "number", name="uq_finding_audit_prefix_number"),
        sa.UniqueConstraint("reference", name="uq_finding_reference"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Bumped by every change the ORM writes: a stale form or a racing request gets "changed meanwhile".
    version: Mapped[int] = mapped_column(server_default="1")
    #: The audit it was found in; None for a nonconformity raised outside an audit.
    audit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("audit.id"), index=True)
    #: Whose grade scheme and due-date policy apply (the audit's programme; chosen for findings outside audits).
    programme_id: Mapped[int | None] = mapped_column(sa.ForeignKey("audit_programme.id"), index=True)
    source: Mapped[FindingSource] = mapped_column(enum_column(FindingSource), default=FindingSource.AUDIT)
    #: Incident number, complaint reference, monitoring report… (findings outside audits).
    source_reference: Mapped[str] = mapped_column(sa.String(300), default="")
    #: When it happened or was detected (findings outside audits).
    occurred_on: Mapped[date | None] = mapped_column(sa.Date)
    # Numbering: given when the finding is issued ({audit reference}-{prefix}-{nn}; NCR-{year}-{nnn} outside audits).
    prefix: Mapped[str] = mapped_column(sa.String(10), default="")
    number: Mapped[int | None] = mapped_column()
    reference: Mapped[str | None] = mapped_column(sa.String(80))
    title: Mapped[str] = mapped_column(sa.String(200), default="")
    # Grade (the programme's scheme) and why.
    grade: Mapped[str] = mapped_column(sa.String(40))
    systemic: Mapped[bool] = mapped_column(default=False)
    #: Isolated or systemic, and the effect on the AIMS's ability to achieve its intended results.
    grade_rationale: Mapped[str] = mapped_column(sa.Text, default="")
    #: Other criteria: internal policies and procedures, other standards.
    other_criteria: Mapped[str] = mapped_column(sa.Text, default="")
    # Where it was found.
    ai_system_id: Mapped[int | None] = mapped_column(sa.ForeignKey("ai_system.id"), index=True)
    location_unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("org_unit.id"))
    site: Mapped[str] = mapped_column(sa.String(200), default="")
    # The three parts of a finding, in the auditor's own words.
    requirement: Mapped[str] = mapped_column(sa.Text, default="")
    statement: Mapped[str] = mapped_column(sa.Text, default="")
    #: What was seen, heard or read, where and when (the linked entries and samples are listed beside it).
    evidence_summary: Mapped[str] = mapped_column(sa.Text, default="")
    # Who answers for it.
    auditee_unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("org_unit.id"), index=True)
    process_owner_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"), index=True)
    # Quality check: {flag code: the auditor's reason for going ahead anyway}.
    quality_overrides: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    # Life cycle.
    status: Mapped[FindingStatus] = mapped_column(enum_column(FindingStatus), default=FindingStatus.DRAFT, index=True)
    #: The corrective-action cycle (2 and up after "not effective").
    cycle: Mapped[int] = mapped_column(default=1)
    raised_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    #: Indexed: the register lists newest first and stops after one page.
    raised_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    issued_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    issued_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acknowledged_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    # Observations and OFIs.
    consideration: Mapped[Consideration | None] = mapped_column(enum_column(Consideration))
    consideration_note: Mapped[str] = mapped_column(sa.Text, default="")
    # Verification (by an auditor independent of the action owners).
    implementation_verification: Mapped[str] = mapped_column(sa.Text, default="")
    verified_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    effectiveness_review: Mapped[str] = mapped_column(sa.Text, default="")
    #: Where the effectiveness evidence is (re-sample reference, records seen); required to close a major.
    effectiveness_evidence: Mapped[str] = mapped_column(sa.Text, default="")
    effectiveness_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    effectiveness_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    withdrawn_reason: Mapped[str] = mapped_column(sa.Text, default="")
    merged_into_id: Mapped[int | None] = mapped_column(sa.ForeignKey("finding.id"))
    #: The first cycle this finding reopens (a new NC raised for "not effective" points back here).
    reopens_id: Mapped[int | None] = mapped_column(sa.ForeignKey("finding.id"))
    #: Escalation is a flag, not a state: when the overdue item was escalated to management.
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    audit: Mapped[Audit | None] = relationship()
    programme: Mapped[AuditProgramme | None] = relationship()
    ai_system: Mapped[AISystem | None] = relationship()
    location_unit: Mapped[OrgUnit | None] = relationship(foreign_keys=[location_unit_id])
    auditee_unit: Mapped[OrgUnit | None] = relationship(foreign_keys=[auditee_unit_id])
    process_owner: Mapped[User | None] = relationship(foreign_keys=[process_owner_id])
    raised_by: Mapped[User | None] = relationship(foreign_keys=[raised_by_id])
    issued_by: Mapped[User | None] = relationship(foreign_keys=[issued_by_id])
    acknowledged_by: Mapped[User | None] = relationship(foreign_keys=[acknowledged_by_id])
    verified_by: Mapped[User | None] = relationship(foreign_keys=[verified_by_id])
    effectiveness_by: Mapped[User | None] = relationship(foreign_keys=[effectiveness_by_id])
    merged_into: Mapped[Finding | None] = relationship(remote_side=[id], foreign_keys=[merged_into_id])
    clauses: Mapped[list[FindingClause]] = relationship(
        back_populates="finding", order_by="FindingClause.ref", cascade="all, delete-orphan"
    )
    items: Mapped[list[ChecklistResponse]] = relationship(secondary="finding_item")
    evidence: Mapped[list[Evidence]] = relationship(secondary="finding_evidence", order_by=Evidence.id)
    samples: Mapped[list[FindingSample]] = relationship(back_populates="finding", cascade="all, delete-orphan")
    history: Mapped[list[FindingHistory]] = relationship(
        back_populates="finding", order_by="FindingHistory.id", viewonly=True
    )
    disputes: Mapped[list[Dispute]] = relationship(back_populates="finding", order_by="Dispute.id")
    plans: Mapped[list[CapaPlan]] = relationship(back_populates="finding", order_by="CapaPlan.id")
    actions: Mapped[list[CorrectiveAction]] = relationship(
        back_populates="finding", order_by="(CorrectiveAction.cycle, CorrectiveAction.id)"
    )
    dues: Mapped[list[DueDate]] = relationship(back_populates="finding", order_by="DueDate.id")

    __mapper_args__ = {"version_id_col": version}

    @property
    def label(self) -> str:
        return self.reference or f"Draft finding {self.id}"

    @property
    def clause_refs(self) -> list[str]:
        return [c.ref for c in self.clauses]

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_STATES

    @property
    def is_issued(self) -> bool:
        return self.issued_at is not None


class FindingClause(Model):
    """A leaf clause or Annex A control the finding is raised against (ids from the library, e.g. 6.1.3, A.6.2.8)."""

    finding_id: Mapped[int] = mapped_column(sa.ForeignKey("finding.id"), primary_key=True)
    ref: Mapped[str] = mapped_column(sa.String(20), primary_key=True, index=True)

    finding: Mapped[Finding] = relationship(back_populates="clauses")


#: The checklist items (responses) a finding comes from: several findings per item, several items per finding.
finding_item = sa.Table(
    "finding_item",
    Model.metadata,
    sa.Column("finding_id", sa.ForeignKey("finding.id"), primary_key=True),
    sa.Column("response_id", sa.ForeignKey("checklist_response.id"), primary_key=True, index=True),
)

#: The evidence entries a finding cites (their files are what an auditee of the unit may download once issued).
finding_evidence = sa.Table(
    "finding_evidence",
    Model.metadata,
    sa.Column("finding_id", sa.ForeignKey("finding.id"), primary_key=True),
    sa.Column("evidence_id", sa.ForeignKey("evidence.id"), primary_key=True, index=True),
)


class FindingSample(Model):
    """A sample cited as objective evidence, with what it showed frozen when it was linked."""

    finding_id: Mapped[int] = mapped_column(sa.ForeignKey("finding.id"), primary_key=True)
    sample_id: Mapped[int] = mapped_column(sa.ForeignKey("sample.id"), primary_key=True, index=True)
    #: e.g. "3 of 25 model releases sampled had no V&V sign-off", with population and period.
    summary: Mapped[str] = mapped_column(sa.Text, default="")
    #: The deviating items' ids at the time of linking.
    deviating_items: Mapped[list[str]] = mapped_column(sa.JSON, default=list)

    finding: Mapped[Finding] = relationship(back_populates="samples")
    sample: Mapped[Sample] = relationship()


class FindingHistory(Model):
    """One change to a finding or its corrective action: append-only (never updated, never deleted)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    finding_id: Mapped[int] = mapped_column(sa.ForeignKey("finding.id"), index=True)
    #: The corrective action the change concerns, if any.
    action_id: Mapped[int | None] = mapped_column(sa.ForeignKey("corrective_action.id"))
    #: What happened: "created", "edited", "status", "regraded", "plan", "action", "dispute", "due", "file", …
    event: Mapped[str] = mapped_column(sa.String(40))
    field: Mapped[str] = mapped_column(sa.String(60), default="")
    old_value: Mapped[str] = mapped_column(sa.Text, default="")
    new_value: Mapped[str] = mapped_column(sa.Text, default="")
    reason: Mapped[str] = mapped_column(sa.Text, default="")
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    finding: Mapped[Finding] = relationship(back_populates="history")
    actor: Mapped[User | None] = relationship()


class DisputeStatus(enum.StrEnum):
    OPEN = "open"
    #: The lead auditor agreed: the finding was regraded or withdrawn.
    ACCEPTED = "accepted"
    #: The lead auditor kept the finding as it was.
    MAINTAINED = "maintained"

    @property
    def label(self) -> str:
        return self.value.capitalize()


class Dispute(Model):
    """The auditee disagrees with a finding; unresolved at the closing meeting, it is a diverging opinion."""

    id: Mapped[int] = mapped_column(primary_key=True)
    finding_id: Mapped[int] = mapped_column(sa.ForeignKey("finding.id"), index=True)
    reason: Mapped[str] = mapped_column(sa.Text)
    raised_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    raised_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    status: Mapped[DisputeStatus] = mapped_column(enum_column(DisputeStatus), default=DisputeStatus.OPEN)
    resolution: Mapped[str] = mapped_column(sa.Text, default="")
    resolved_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: The closing meeting it was still open at (a diverging opinion, reported as such).
    diverging_meeting_id: Mapped[int | None] = mapped_column(sa.ForeignKey("audit_meeting.id"))

    finding: Mapped[Finding] = relationship(back_populates="disputes")
    raised_by: Mapped[User | None] = relationship(foreign_keys=[raised_by_id])
    resolved_by: Mapped[User | None] = relationship(foreign_keys=[resolved_by_id])

    @property
    def is_diverging_opinion(self) -> bool:
        return self.diverging_meeting_id is not None
