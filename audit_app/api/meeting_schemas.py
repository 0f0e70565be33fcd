"""Schemas for the records of the opening and closing meetings."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from audit_app.api.schema_parts import TEXT, NamedRefSchema, WallClockDateTime, enum_field
from audit_app.authz import get_actor
from audit_app.models import MEETING_POINTS, AuditMeeting, MeetingKind
from audit_app.services.findings import portal


class MeetingPointSchema(Schema):
    key = fields.Str()
    label = fields.Str()
    covered = fields.Bool()


def _points(meeting: AuditMeeting) -> list[dict[str, object]]:
    covered = set(meeting.points_covered or [])
    return [{"key": k, "label": label, "covered": k in covered} for k, label in MEETING_POINTS[meeting.kind]]


def _diverging(meeting: AuditMeeting) -> list[dict[str, object]]:
    if meeting.kind is not MeetingKind.CLOSING:
        return []
    return [
        {
            "finding_id": d.finding_id,
            "reference": d.finding.reference,
            "reason": d.reason,
            "status": d.status.value,
            "resolution": d.resolution,
            "meeting_id": d.diverging_meeting_id,
        }
        for d in portal.diverging_for(get_actor(), meeting.audit_id)
    ]


class MeetingSchema(Schema):
    kind = enum_field(MeetingKind, dump_only=True)
    held_at = WallClockDateTime(
        required=True,
        metadata={
            "description": "When it was held, on the organisation's wall clock: an offset (e.g. +02:00 or Z) is "
            "converted to it; without one the time is taken as wall-clock time. Answered with the wall clock's offset."
        },
    )
    attendees = fields.Str(
        required=True, validate=validate.Length(max=4000), metadata={"description": "Names and roles."}
    )
    points_covered = fields.List(
        fields.Str(validate=validate.Length(max=40)),
        load_default=list,
        metadata={"description": "Keys of the agenda points covered (see `points`)."},
    )
    notes = fields.Str(load_default="", validate=TEXT)
    diverging_opinions = fields.Str(
        dump_only=True,
        metadata={
            "description": "Closing only: the free text recorded before findings were tracked (read-only; the "
            "diverging opinions are now `diverging`)."
        },
    )
    diverging = fields.Function(
        _diverging,
        dump_only=True,
        metadata={
            "description": "Closing only: the disputes still open when the closing meeting was recorded, each "
            "linked to its finding, with its status and resolution (findings the caller may see)."
        },
    )
    points = fields.Function(_points, dump_only=True, metadata={"description": "The meeting's agenda checklist."})
    recorded_by = fields.Nested(NamedRefSchema, dump_only=True, allow_none=True)
    updated_at = fields.DateTime(dump_only=True)
