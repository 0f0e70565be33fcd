"""Schemas for the audit agenda: sessions and the conflicts in the plan."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from audit_app.api.schema_parts import (
    ChangeSchema,
    ChecklistItemRefSchema,
    NamedRefSchema,
    OrgUnitRefSchema,
    enum_field,
    id_list,
)
from audit_app.models import SessionActivity


class SessionSchema(Schema):
    id = fields.Int(dump_only=True)
    day = fields.Date(required=True)
    start_time = fields.Time(required=True, format="%H:%M", metadata={"description": "HH:MM, local wall clock."})
    duration_minutes = fields.Int(required=True, metadata={"description": "5 to 720 minutes."})
    activity = enum_field(SessionActivity, required=True)
    title = fields.Str(required=True, validate=validate.Length(min=1, max=200))
    location = fields.Str(load_default="", validate=validate.Length(max=200))
    remote_link = fields.Str(load_default="", validate=validate.Length(max=500))
    notes = fields.Str(load_default="", validate=validate.Length(max=4000))
    item_ids = id_list("Clauses and controls covered (from the audit's scope).")
    auditor_ids = id_list("Team members running the session (user ids).")
    auditee_ids = id_list("Auditee representatives attending (auditee ids).")
    unit_ids = id_list("Auditee units covered (org unit ids in the audit's scope, or part of one).")
    exception = fields.Str(
        load_default="",
        load_only=True,
        validate=validate.Length(max=2000),
        metadata={"description": "Justified exception when an auditor is not impartial for the session (20+ chars)."},
    )
    units = fields.List(fields.Nested(OrgUnitRefSchema), dump_only=True)
    impartiality_exception = fields.Str(dump_only=True)
    exception_recorded_by = fields.Nested(NamedRefSchema, dump_only=True, allow_none=True)
    exception_recorded_at = fields.DateTime(dump_only=True, allow_none=True)
    items = fields.List(fields.Nested(ChecklistItemRefSchema), dump_only=True)
    auditors = fields.List(fields.Nested(NamedRefSchema), dump_only=True)
    auditees = fields.List(fields.Nested(NamedRefSchema), dump_only=True)


class SessionUpdateSchema(SessionSchema, ChangeSchema):
    class Meta:
        partial = True


class PlanConflictSchema(Schema):
    kind = fields.Str(metadata={"description": "double_booked, outside_dates, uncovered or not_impartial."})
    message = fields.Str()
    session_ids = fields.List(fields.Int())
