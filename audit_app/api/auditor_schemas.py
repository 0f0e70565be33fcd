"""Schemas for auditor profiles, evaluations and the competence a team covers."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from audit_app.api.schema_parts import Id, NamedRefSchema, OrgUnitRefSchema, enum_field, id_list
from audit_app.models import CompetenceArea, EvaluationRating, TeamRole


class ProfileSchema(Schema):
    qualifications = fields.Str(load_default="", validate=validate.Length(max=4000))
    training = fields.Str(load_default="", validate=validate.Length(max=4000))
    areas = fields.List(
        fields.Str(validate=validate.OneOf([a.value for a in CompetenceArea])),
        load_default=list,
        metadata={"description": "Competence shown: auditing, iso42001, ai_ml, data, infosec."},
    )
    ai_knowledge = fields.Str(load_default="", validate=validate.Length(max=4000))
    sectors = fields.Str(load_default="", validate=validate.Length(max=2000), metadata={"description": "One per line."})
    responsible_refs = fields.List(
        fields.Str(validate=validate.Length(min=1, max=40)),
        load_default=list,
        validate=validate.Length(max=200),
        metadata={"description": "Clause and control ids the person wrote, owns or manages (they do not audit them)."},
    )
    responsible_unit_ids = id_list("Processes and units the person owns or manages.")
    responsible_units = fields.List(fields.Nested(OrgUnitRefSchema), dump_only=True)
    updated_at = fields.DateTime(dump_only=True)


class AuditRefSchema(Schema):
    id = fields.Int(dump_only=True)
    reference = fields.Str(dump_only=True)
    title = fields.Str(dump_only=True)


class PerformedSchema(Schema):
    audit = fields.Nested(AuditRefSchema, dump_only=True)
    role = enum_field(TeamRole, dump_only=True)
    status = fields.Str(dump_only=True)


class EvaluationSchema(Schema):
    id = fields.Int(dump_only=True)
    audit_id = Id(required=True, metadata={"description": "An audit the person was on, in reporting or later."})
    rating = enum_field(EvaluationRating, required=True)
    comment = fields.Str(
        load_default="", validate=validate.Length(max=4000), metadata={"description": "Required below 'meets'."}
    )
    evaluator = fields.Nested(NamedRefSchema, dump_only=True)
    evaluated_at = fields.DateTime(dump_only=True)


class AuditorSchema(Schema):
    user = fields.Nested(NamedRefSchema, dump_only=True)
    profile = fields.Nested(ProfileSchema, dump_only=True, allow_none=True)
    audits_performed = fields.List(fields.Nested(PerformedSchema), dump_only=True)
    evaluations = fields.List(fields.Nested(EvaluationSchema), dump_only=True)


class CompetenceNeedSchema(Schema):
    label = fields.Str()
    why = fields.Str()
    met = fields.Bool()
    met_by = fields.List(fields.Str(), metadata={"description": "Team members who bring it."})
