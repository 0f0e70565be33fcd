"""Schemas for the records of the opening and closing meetings."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from audit_app.api.schema_parts import TEXT, NamedRefSchema, WallClockDateTime, enum_field
from audit_app.models import MEETING_POINTS, AuditMeeting, MeetingKind


class MeetingPointSchema(Schema):
    key = fields.Str()
    label = fields.Str()
    covered = fields.Bool()


def _points(meeting: AuditMeeting) -> list[dict[str, object]]:
    covered = set(meeting.points_covered or [])
    return [{"key": k, "label": label, "covered": k in covered} for k, label in MEETING_POINTS[meeting.kind]]


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
    diverging_opinions = fields.Str(load_default="", validate=TEXT, metadata={"description": "Closing only."})
    points = fields.Function(_points, dump_only=True, metadata={"description": "The meeting's agenda checklist."})
    recorded_by = fields.Nested(NamedRefSchema, dump_only=True, allow_none=True)
    updated_at = fields.DateTime(dump_only=True)
