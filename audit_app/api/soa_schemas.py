"""Marshmallow schemas for the Statement of Applicability: versions, entries, completeness, the entry change,
an own control, approval and the comparison. Shapes only; services/soa holds the rules."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from audit_app.api.sample_schemas import Text
from audit_app.api.schema_parts import Id, NamedRefSchema, OrgUnitRefSchema, enum_field, id_list
from audit_app.models.soa import Implementation, SoaStatus

REVISION = {
    "description": "The version's `revision` the change was prepared from; when given and the version changed "
    "since, the change is refused with 409 and nothing is saved."
}


class SoaEntrySchema(Schema):
    id = fields.Int(dump_only=True)
    version_id = fields.Int(dump_only=True)
    position = fields.Int(dump_only=True)
    control_ref = fields.Str(dump_only=True, metadata={"description": "Annex A id (A.6.2.8) or an own control id."})
    title = fields.Str(dump_only=True)
    custom = fields.Bool(dump_only=True, metadata={"description": "One of the organisation's own controls."})
    applicable = fields.Bool(dump_only=True, allow_none=True, metadata={"description": "Null until decided."})
    justification = fields.Str(dump_only=True)
    implementation = enum_field(Implementation, dump_only=True, allow_none=True)
    owner_unit = fields.Nested(OrgUnitRefSchema, dump_only=True, allow_none=True)
    addresses = fields.Str(dump_only=True)
    systems = fields.List(fields.Nested(NamedRefSchema), dump_only=True)
    evidence = fields.Str(dump_only=True)
    last_reviewed_on = fields.Date(dump_only=True, allow_none=True)
    updated_at = fields.DateTime(dump_only=True)


class SoaGapSchema(Schema):
    control_ref = fields.Str(dump_only=True)
    reason = fields.Str(dump_only=True)


class SoaCompletenessSchema(Schema):
    total = fields.Int(dump_only=True)
    complete = fields.Int(dump_only=True)
    is_complete = fields.Bool(dump_only=True)
    missing_controls = fields.List(fields.Str(), dump_only=True)
    incomplete = fields.List(fields.Nested(SoaGapSchema), dump_only=True)
    flagged = fields.List(fields.Nested(SoaGapSchema), dump_only=True)


class SoaVersionSchema(Schema):
    id = fields.Int(dump_only=True)
    number = fields.Int(dump_only=True)
    status = enum_field(SoaStatus, dump_only=True)
    change_note = fields.Str(dump_only=True)
    based_on_id = fields.Int(dump_only=True, allow_none=True)
    created_by = fields.Nested(NamedRefSchema, dump_only=True, allow_none=True)
    created_at = fields.DateTime(dump_only=True)
    approved_by = fields.Nested(NamedRefSchema, dump_only=True, allow_none=True)
    approved_at = fields.DateTime(dump_only=True, allow_none=True)
    superseded_at = fields.DateTime(dump_only=True, allow_none=True)
    revision = fields.Int(dump_only=True)


class SoaVersionDetailSchema(SoaVersionSchema):
    entries = fields.List(fields.Nested(SoaEntrySchema), dump_only=True)
    completeness = fields.Nested(SoaCompletenessSchema, dump_only=True)


class SoaEntryInputSchema(Schema):
    """What an entry of the draft says (PUT replaces all of it)."""

    applicable = fields.Bool(required=True, allow_none=True, metadata={"description": "Null: not decided yet."})
    justification = Text(load_default="", validate=validate.Length(max=4000))
    implementation = enum_field(Implementation, load_default=None, allow_none=True)
    owner_unit_id = Id(load_default=None, allow_none=True)
    addresses = Text(load_default="", validate=validate.Length(max=4000))
    system_ids = id_list("AI systems of the inventory the control addresses.")
    evidence = Text(load_default="", validate=validate.Length(max=4000))
    last_reviewed_on = fields.Date(load_default=None, allow_none=True)
    revision = fields.Int(load_default=None, allow_none=True, metadata=REVISION)


class SoaControlInputSchema(Schema):
    control_ref = Text(required=True, validate=validate.Length(min=1, max=20))
    title = Text(required=True, validate=validate.Length(min=1, max=300))
    revision = fields.Int(load_default=None, allow_none=True, metadata=REVISION)


class SoaApprovalSchema(Schema):
    change_note = Text(
        load_default="",
        validate=validate.Length(max=2000),
        metadata={"description": "What this version changes (required from version 2 on)."},
    )
    confirm = fields.Bool(
        load_default=False,
        metadata={"description": "Approve although entries are incomplete or flagged (422 lists them otherwise)."},
    )
    revision = fields.Int(load_default=None, allow_none=True, metadata=REVISION)


class SoaCompareQuerySchema(Schema):
    old = Id(required=True, metadata={"description": "The earlier version's id."})
    new = Id(required=True, metadata={"description": "The later version's id."})


class SoaFieldChangeSchema(Schema):
    label = fields.Str(dump_only=True)
    old = fields.Str(dump_only=True)
    new = fields.Str(dump_only=True)


class SoaControlChangeSchema(Schema):
    ref = fields.Str(dump_only=True)
    title = fields.Str(dump_only=True)
    kind = fields.Str(dump_only=True, metadata={"description": "`added`, `removed` or `changed`."})
    changes = fields.List(fields.Nested(SoaFieldChangeSchema), dump_only=True)


class SoaComparisonSchema(Schema):
    old = fields.Nested(SoaVersionSchema, dump_only=True)
    new = fields.Nested(SoaVersionSchema, dump_only=True)
    changes = fields.List(fields.Nested(SoaControlChangeSchema), dump_only=True)
