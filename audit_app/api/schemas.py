"""Schemas for user accounts, the organisation (profile, org units, AI systems) and the clause library.

Like every schema module here, they validate API input and generate the OpenAPI document.
"""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, post_dump, post_load, validate, validates_schema

from audit_app.api.schema_parts import ChangeSchema, Id, OrgUnitRefSchema, enum_field
from audit_app.models import AIRole, LifecycleStage, RiskLevel, Role, UnitKind


class UserSchema(Schema):
    id = fields.Int(dump_only=True)
    email = fields.Str(dump_only=True)
    name = fields.Str(dump_only=True)
    role = enum_field(Role, dump_only=True)
    org_unit = fields.Nested(OrgUnitRefSchema, dump_only=True, allow_none=True)
    active = fields.Bool(dump_only=True)
    created_at = fields.DateTime(dump_only=True)
    last_login_at = fields.DateTime(dump_only=True, allow_none=True)


class UserCreateSchema(Schema):
    email = fields.Str(required=True, validate=validate.Length(min=3, max=254))
    name = fields.Str(required=True, validate=validate.Length(min=1, max=120))
    role = enum_field(Role, required=True)
    org_unit_id = Id(load_default=None, allow_none=True)
    password = fields.Str(
        required=True,
        load_only=True,
        validate=validate.Length(max=256),
        metadata={"description": "At least 12 characters."},
    )


class UserUpdateSchema(ChangeSchema):
    name = fields.Str(validate=validate.Length(min=1, max=120))
    role = enum_field(Role)
    org_unit_id = Id(allow_none=True)
    active = fields.Bool()


class OrganisationSchema(Schema):
    name = fields.Str(required=True, validate=validate.Length(min=1, max=200))
    scope_statement = fields.Str(load_default="", validate=validate.Length(max=20000))
    sectors = fields.Str(
        load_default=None,
        allow_none=False,
        validate=validate.Length(max=2000),
        metadata={
            "description": "The sectors the organisation works in, one per line (as in an auditor profile); a team's "
            "sector knowledge is judged against them. Left out: kept as they are; empty: no sector named."
        },
    )
    sector_list = fields.List(fields.Str(), dump_only=True, metadata={"description": "The sectors named, one each."})
    updated_at = fields.DateTime(dump_only=True)

    @post_dump
    def _no_sector_is_empty(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        """None named reads as "" (the documented string), never null."""
        if "sectors" in data:
            data["sectors"] = data["sectors"] or ""
        return data


class OrgUnitSchema(Schema):
    id = fields.Int(dump_only=True)
    name = fields.Str(required=True, validate=validate.Length(min=1, max=120))
    kind = enum_field(UnitKind, required=True)
    description = fields.Str(load_default="", validate=validate.Length(max=4000))
    parent_id = Id(load_default=None, allow_none=True)
    active = fields.Bool(load_default=True)
    manager_id = Id(
        load_default=None,
        allow_none=True,
        metadata={"description": "The unit's manager (an active account), told when its findings fall overdue."},
    )


class OrgUnitUpdateSchema(OrgUnitSchema, ChangeSchema):
    """Same fields as OrgUnitSchema; used with partial=True so fields left out keep their value."""


class AISystemSchema(Schema):
    id = fields.Int(dump_only=True)
    name = fields.Str(required=True, validate=validate.Length(min=1, max=120))
    purpose = fields.Str(required=True, validate=validate.Length(min=1, max=4000))
    roles = fields.List(
        enum_field(AIRole),
        validate=validate.Length(min=1, max=len(AIRole)),
        metadata={
            "description": "Every role the organisation holds towards the system (4.1), one or more; "
            "a new system needs `roles` (or the single `role`)."
        },
    )
    role = enum_field(
        AIRole,
        metadata={
            "description": "The main role: the first of `roles` in the order of the role list. Kept for clients of "
            "the single role: on input it stands for `roles` with one entry, and it may not be sent with `roles`."
        },
    )
    supplier = fields.Str(
        allow_none=True,
        validate=validate.Length(max=200),
        metadata={"description": "Who supplies the system or its main component; null when built in-house."},
    )
    version = fields.Str(
        allow_none=True, validate=validate.Length(max=60), metadata={"description": "The version or release in use."}
    )
    in_production_on = fields.Date(
        allow_none=True,
        metadata={"description": "The date the system first went into production (not in the future); null if not."},
    )
    impact_assessment_ref = fields.Str(
        allow_none=True,
        validate=validate.Length(max=200),
        metadata={"description": "Reference of the system's AI system impact assessment (6.1.4, A.5.3)."},
    )
    risk_level = enum_field(RiskLevel, required=True)
    owner_unit_id = Id(required=True)
    owner_unit = fields.Nested(OrgUnitRefSchema, dump_only=True)
    lifecycle_stage = enum_field(LifecycleStage, required=True)
    in_scope = fields.Bool(load_default=True)
    scope_note = fields.Str(load_default="", validate=validate.Length(max=4000))
    updated_at = fields.DateTime(dump_only=True)

    @validates_schema
    def _one_way_to_give_roles(self, data: dict[str, Any], **kwargs: Any) -> None:
        if "role" in data and "roles" in data:
            raise ValidationError("Send either `roles` or the single `role`, not both.", "role")
        if not kwargs.get("partial") and "role" not in data and "roles" not in data:
            raise ValidationError("Give the organisation's roles towards the system.", "roles")

    @post_load
    def _single_role_as_roles(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        if "role" in data:
            data["roles"] = [data.pop("role")]
        return data


class AISystemUpdateSchema(AISystemSchema, ChangeSchema):
    """Same fields as AISystemSchema; used with partial=True so fields left out keep their value."""


class ChecklistVersionSchema(Schema):
    id = fields.Int(dump_only=True)
    code = fields.Str(dump_only=True, attribute="checklist.code")
    title = fields.Str(dump_only=True)
    version = fields.Str(dump_only=True)
    standard = fields.Str(dump_only=True)
    edition = fields.Str(dump_only=True)
    description = fields.Str(dump_only=True)
    content_hash = fields.Str(dump_only=True, metadata={"description": "SHA-256 of the canonical content."})
    locked = fields.Bool(dump_only=True, metadata={"description": "True once an audit uses this version."})
    loaded_at = fields.DateTime(dump_only=True)


class ChecklistItemSchema(Schema):
    id = fields.Int(dump_only=True)
    ref = fields.Str(dump_only=True, metadata={"description": "Clause or control id, e.g. 6.1.3."})
    title = fields.Str(dump_only=True)
    kind = fields.Str(dump_only=True)
    parent_ref = fields.Str(dump_only=True, allow_none=True)
    depth = fields.Int(dump_only=True)
    auditable = fields.Bool(dump_only=True)
    summary = fields.Str(dump_only=True)
    questions = fields.List(fields.Str(), dump_only=True)
    evidence = fields.Dict(keys=fields.Str(), values=fields.List(fields.Str()), dump_only=True)
    documented_information = fields.List(fields.Dict(), dump_only=True)
    related = fields.List(fields.Str(), dump_only=True)


class ItemQuerySchema(Schema):
    q = fields.Str(
        load_default=None,
        validate=validate.Length(max=200),
        metadata={"description": "Search words matched against id, title and text."},
    )


class ErrorSchema(Schema):
    code = fields.Int()
    status = fields.Str()
    message = fields.Str()
    errors = fields.Dict()
