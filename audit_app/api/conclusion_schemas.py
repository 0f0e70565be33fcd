"""Schemas for audit preparation (risks, document review) and conclusions (achievement, team conference)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from audit_app.api.schema_parts import TEXT, NamedRefSchema, WallClockDateTime, enum_field
from audit_app.models import Adequacy, AuditRiskKind, Fulfilment, Rating, ResponseResult


class RiskSchema(Schema):
    id = fields.Int(dump_only=True)
    kind = enum_field(AuditRiskKind, required=True, metadata={"description": "What threatens the objectives."})
    description = fields.Str(required=True, validate=validate.Length(max=4000))
    likelihood = enum_field(Rating, required=True)
    impact = enum_field(Rating, required=True)
    level = enum_field(Rating, dump_only=True, metadata={"description": "Likelihood times impact."})
    treatment = fields.Str(required=True, validate=validate.Length(max=4000))
    recorded_by = fields.Nested(NamedRefSchema, dump_only=True, allow_none=True)
    updated_at = fields.DateTime(dump_only=True)


class DocumentReviewSchema(Schema):
    id = fields.Int(dump_only=True)
    document = fields.Str(required=True, validate=validate.Length(min=1, max=200))
    version = fields.Str(load_default="", validate=validate.Length(max=60))
    adequacy = enum_field(Adequacy, required=True)
    reviewed_on = fields.Date(required=True)
    notes = fields.Str(
        load_default="", validate=validate.Length(max=4000), metadata={"description": "Required unless adequate."}
    )
    reviewed_by = fields.Nested(NamedRefSchema, dump_only=True, allow_none=True)


class PreparationSchema(Schema):
    risks = fields.List(fields.Nested(RiskSchema), metadata={"description": "Highest level first."})
    documents = fields.List(fields.Nested(DocumentReviewSchema))


class ItemStateSchema(Schema):
    ref = fields.Str()
    title = fields.Str()
    result = enum_field(ResponseResult, allow_none=True)
    reason = fields.Str()


class AreaSchema(Schema):
    key = fields.Str()
    title = fields.Str()
    planned = fields.Int()
    achieved = fields.Int()


class AreaConclusionSchema(Schema):
    area = fields.Str(required=True, validate=validate.Length(min=1, max=20))
    fulfilment = enum_field(Fulfilment, required=True)
    statement = fields.Str(required=True, validate=TEXT)


class ConferenceSchema(Schema):
    held_at = WallClockDateTime(required=True, metadata={"description": "On the organisation's wall clock."})
    participants = fields.Str(required=True, validate=validate.Length(max=4000))
    fulfilment = enum_field(
        Fulfilment, required=True, metadata={"description": "How far the criteria are fulfilled overall."}
    )
    conclusion = fields.Str(required=True, validate=TEXT, metadata={"description": "The audit conclusion."})
    objectives_met = fields.Bool(load_default=True)
    obstacles = fields.Str(load_default="", validate=TEXT)
    recommendations = fields.Str(load_default="", validate=TEXT)
    follow_up = fields.Str(load_default="", validate=TEXT)
    areas = fields.List(
        fields.Nested(AreaConclusionSchema),
        load_default=list,
        metadata={"description": "The conclusion per clause (4 to 10) and Annex A control area (A.2 to A.10)."},
    )
    recorded_by = fields.Nested(NamedRefSchema, dump_only=True, allow_none=True)
    updated_at = fields.DateTime(dump_only=True)


class ConclusionsSchema(Schema):
    planned = fields.Int(metadata={"description": "Auditable clauses and controls in scope."})
    achieved = fields.Int(metadata={"description": "Those audited and concluded."})
    not_audited = fields.List(fields.Nested(ItemStateSchema), metadata={"description": "Not covered, with reasons."})
    open = fields.List(fields.Nested(ItemStateSchema), metadata={"description": "Still without a conclusion."})
    areas = fields.List(fields.Nested(AreaSchema))
    conference = fields.Nested(ConferenceSchema, allow_none=True)
    reporting_blockers = fields.List(
        fields.Str(), metadata={"description": "What must be done before the report is written."}
    )
