"""Schemas for the audit team (with impartiality and declarations) and the auditee representatives."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from audit_app.api.schema_parts import Id, NamedRefSchema, OrgUnitRefSchema, enum_field
from audit_app.models import TeamRole


class TeamMemberSchema(Schema):
    id = fields.Int(dump_only=True)
    user = fields.Nested(NamedRefSchema, dump_only=True)
    role = enum_field(TeamRole, dump_only=True)
    impartiality_exception = fields.Str(
        dump_only=True, metadata={"description": "Justified exception to the impartiality rule, if any."}
    )
    exception_recorded_by = fields.Nested(NamedRefSchema, dump_only=True, allow_none=True)
    exception_recorded_at = fields.DateTime(dump_only=True, allow_none=True)
    has_declared = fields.Bool(dump_only=True, metadata={"description": "Declaration of independence confirmed."})
    declaration_confirmed_at = fields.DateTime(dump_only=True, allow_none=True)
    declaration_text = fields.Str(dump_only=True)
    added_at = fields.DateTime(dump_only=True)


class AuditeeSchema(Schema):
    id = fields.Int(dump_only=True)
    user_id = fields.Int(dump_only=True, allow_none=True)
    name = fields.Str(dump_only=True)
    position = fields.Str(dump_only=True)
    org_unit = fields.Nested(OrgUnitRefSchema, dump_only=True, allow_none=True)


class TeamMemberCreateSchema(Schema):
    user_id = Id(required=True)
    role = enum_field(TeamRole, required=True)
    exception = fields.Str(
        load_default="",
        validate=validate.Length(max=2000),
        metadata={"description": "Justified exception when the member is not impartial (at least 20 characters)."},
    )


class AuditeeCreateSchema(Schema):
    user_id = Id(load_default=None, allow_none=True, metadata={"description": "An auditee account."})
    name = fields.Str(load_default="", validate=validate.Length(max=120), metadata={"description": "Without account."})
    position = fields.Str(load_default="", validate=validate.Length(max=120))
    org_unit_id = Id(load_default=None, allow_none=True)


class TeamSchema(Schema):
    declaration = fields.Str(metadata={"description": "The declaration of independence each member confirms."})
    members = fields.List(fields.Nested(TeamMemberSchema))
    auditees = fields.List(fields.Nested(AuditeeSchema))


class ExceptionSchema(Schema):
    exception = fields.Str(
        required=True,
        validate=validate.Length(min=1, max=2000),
        metadata={"description": "Why the assignment is justified and how objectivity is protected (20+ characters)."},
    )
