"""Opening and closing meeting records (ISO 19011 6.4.3 and 6.4.10).

Recording the closing meeting turns every dispute still open on the audit's findings into a diverging opinion
linked to its finding (findings.disputes.mark_diverging). The free-text field of older records stays readable.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from audit_app.errors import Conflict, ValidationFailed
from audit_app.extensions import db
from audit_app.models import MEETING_POINTS, Audit, AuditMeeting, AuditStatus, MeetingKind, User
from audit_app.services import access, activity
from audit_app.services.access import Need
from audit_app.services.findings import disputes
from audit_app.services.planning.locks import ensure_unlocked
from audit_app.services.text import clean


@dataclass(frozen=True)
class MeetingData:
    held_at: datetime
    attendees: str
    points_covered: tuple[str, ...] = ()
    notes: str = ""


def get_meeting(audit: Audit, kind: MeetingKind) -> AuditMeeting | None:
    return next((m for m in audit.meetings if m.kind is kind), None)


def record_meeting(audit: Audit, kind: MeetingKind, data: MeetingData, *, actor: User) -> AuditMeeting:
    """Record or update a meeting; only once fieldwork has started, with at least one attendee."""
    access.ensure(actor, audit, Need.MANAGE)
    if audit.status in (AuditStatus.PLANNED, AuditStatus.PREPARATION):
        raise Conflict(f"The {kind.label.lower()} is recorded once fieldwork has started.")
    ensure_unlocked(audit, "meetings")
    errors: dict[str, list[str]] = {}
    attendees = clean(data.attendees, field="attendees", max_length=4000, multiline=True)
    if not attendees:
        errors["attendees"] = ["List who attended (names and roles)."]
    valid = {key for key, _ in MEETING_POINTS[kind]}
    unknown = [p for p in data.points_covered if p not in valid]
    if unknown:
        errors["points_covered"] = ["Unknown agenda points: " + ", ".join(unknown)]
    if not audit.start_date <= data.held_at.date() <= audit.end_date:
        errors["held_at"] = [
            f"The meeting must fall within the audit dates ({audit.start_date:%d %b %Y} to {audit.end_date:%d %b %Y})."
        ]
    if errors:
        raise ValidationFailed(f"The {kind.label.lower()} record is not valid.", errors)
    meeting = get_meeting(audit, kind)
    if meeting is None:
        meeting = AuditMeeting(kind=kind)
        audit.meetings.append(meeting)
    meeting.held_at, meeting.attendees = data.held_at, attendees
    meeting.points_covered = [key for key, _ in MEETING_POINTS[kind] if key in set(data.points_covered)]
    meeting.notes = clean(data.notes, field="notes", max_length=10000, multiline=True)
    meeting.recorded_by_id = actor.id
    if kind is MeetingKind.CLOSING:
        db.session.flush()  # the meeting's id, which the diverging opinions point at
        disputes.mark_diverging(meeting, actor=actor)
    activity.record(actor, f"audit.{kind.value}_meeting_recorded", audit, points=meeting.points_covered)
    return meeting
