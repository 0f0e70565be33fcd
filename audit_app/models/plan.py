"""The audit plan: agenda sessions and the opening and closing meetings (ISO 19011 6.3.2, 6.4.3, 6.4.10)."""

from __future__ import annotations

import enum
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from audit_app.models.audit import Audit, AuditAuditee
from audit_app.models.base import Model, UTCDateTime, enum_column, utcnow
from audit_app.models.checklist import ChecklistItem
from audit_app.models.org import OrgUnit
from audit_app.models.user import User


class SessionActivity(enum.StrEnum):
    OPENING_MEETING = "opening_meeting"
    INTERVIEW = "interview"
    DOCUMENT_REVIEW = "document_review"
    OBSERVATION = "observation"
    TECHNICAL_TEST = "technical_test"
    CLOSING_MEETING = "closing_meeting"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


session_item = sa.Table(
    "audit_session_item",
    Model.metadata,
    sa.Column("session_id", sa.ForeignKey("audit_session.id"), primary_key=True),
    sa.Column("checklist_item_id", sa.ForeignKey("checklist_item.id"), primary_key=True),
)
session_auditor = sa.Table(
    "audit_session_auditor",
    Model.metadata,
    sa.Column("session_id", sa.ForeignKey("audit_session.id"), primary_key=True),
    sa.Column("user_id", sa.ForeignKey("user.id"), primary_key=True),
)
session_unit = sa.Table(
    "audit_session_unit",
    Model.metadata,
    sa.Column("session_id", sa.ForeignKey("audit_session.id"), primary_key=True),
    sa.Column("org_unit_id", sa.ForeignKey("org_unit.id"), primary_key=True),
)
session_auditee = sa.Table(
    "audit_session_auditee",
    Model.metadata,
    sa.Column("session_id", sa.ForeignKey("audit_session.id"), primary_key=True),
    sa.Column("auditee_id", sa.ForeignKey("audit_auditee.id"), primary_key=True),
)


class AuditSession(Model):
    """One agenda entry. Day and time are wall-clock in the organisation's time zone."""

    id: Mapped[int] = mapped_column(primary_key=True)
    audit_id: Mapped[int] = mapped_column(sa.ForeignKey("audit.id"), index=True)
    day: Mapped[date] = mapped_column(sa.Date, index=True)
    start_time: Mapped[time] = mapped_column(sa.Time)
    duration_minutes: Mapped[int] = mapped_column()
    activity: Mapped[SessionActivity] = mapped_column(enum_column(SessionActivity))
    title: Mapped[str] = mapped_column(sa.String(200))
    location: Mapped[str] = mapped_column(sa.String(200), default="")
    remote_link: Mapped[str] = mapped_column(sa.String(500), default="")
    notes: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    #: A justified exception for the impartiality threats listed in `exception_covers` (ISO/IEC 42001 9.2.2).
    impartiality_exception: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    #: Keys of the threats the exception was accepted for ("<user id>:<threat key>"); new threats need a new one.
    exception_covers: Mapped[list[str] | None] = mapped_column(sa.JSON)
    exception_recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    exception_recorded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    #: Set when the session is taken off the agenda (the row stays for the record).
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    removed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))

    audit: Mapped[Audit] = relationship(overlaps="sessions")
    items: Mapped[list[ChecklistItem]] = relationship(
        secondary=session_item, order_by=(ChecklistItem.version_id, ChecklistItem.position)
    )
    auditors: Mapped[list[User]] = relationship(secondary=session_auditor, order_by=User.name)
    auditees: Mapped[list[AuditAuditee]] = relationship(secondary=session_auditee, order_by=AuditAuditee.name)
    #: The auditee units (departments, processes, sites) the session covers.
    units: Mapped[list[OrgUnit]] = relationship(secondary=session_unit, order_by=OrgUnit.name)
    exception_recorded_by: Mapped[User | None] = relationship(foreign_keys=[exception_recorded_by_id])

    @property
    def starts(self) -> datetime:
        return datetime.combine(self.day, self.start_time)

    @property
    def ends(self) -> datetime:
        return self.starts + timedelta(minutes=self.duration_minutes)


class MeetingKind(enum.StrEnum):
    OPENING = "opening"
    CLOSING = "closing"

    @property
    def label(self) -> str:
        return f"{self.value.capitalize()} meeting"


#: Points to cover, as a checklist (own words, after ISO 19011 6.4.3 and 6.4.10; DOMAIN 2.3).
MEETING_POINTS: dict[MeetingKind, list[tuple[str, str]]] = {
    MeetingKind.OPENING: [
        ("introductions", "Introductions and the roles of everyone present"),
        ("plan", "Objectives, scope, criteria and the audit plan confirmed"),
        ("methods", "Methods explained, including that the audit works on samples"),
        ("communication", "Communication channels during the audit agreed"),
        ("confidentiality", "Confidentiality and information-security arrangements"),
        ("language", "Working and reporting language"),
        ("grading", "How findings will be graded and reported"),
        ("early_end", "Conditions under which the audit may end early"),
        ("appeals", "How disagreements, complaints or appeals are handled"),
        ("logistics", "Safety, logistics and access arrangements"),
        ("questions", "Auditee questions answered"),
    ],
    MeetingKind.CLOSING: [
        ("recap", "Objectives, scope and criteria restated"),
        ("sampling", "Reminder that the evidence was a sample"),
        ("findings", "Findings presented with requirement, evidence and grade"),
        ("disagreements", "Disagreements discussed; unresolved ones recorded below"),
        ("conclusion", "Audit conclusion stated"),
        ("next_steps", "Next steps, response deadlines and owners explained"),
        ("consequences", "Consequences of not addressing findings explained"),
        ("report", "Report date and distribution agreed"),
    ],
}


class AuditMeeting(Model):
    __table_args__ = (sa.UniqueConstraint("audit_id", "kind", name="uq_audit_meeting_kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    audit_id: Mapped[int] = mapped_column(sa.ForeignKey("audit.id"), index=True)
    kind: Mapped[MeetingKind] = mapped_column(enum_column(MeetingKind))
    held_at: Mapped[datetime] = mapped_column(sa.DateTime)
    #: Names and roles of those present, one per line.
    attendees: Mapped[str] = mapped_column(sa.Text, default="")
    #: Keys of MEETING_POINTS covered.
    points_covered: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    notes: Mapped[str] = mapped_column(sa.Text, default="")
    #: Closing meeting: diverging opinions between the team and the auditee left unresolved.
    diverging_opinions: Mapped[str] = mapped_column(sa.Text, default="")
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    audit: Mapped[Audit] = relationship(back_populates="meetings")
    recorded_by: Mapped[User | None] = relationship()
