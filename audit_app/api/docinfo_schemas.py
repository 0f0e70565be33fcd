"""Marshmallow schemas for the documented-information register. Shapes only; services/docinfo holds the rules."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, pre_dump, validate

from audit_app.api.sample_schemas import Text
from audit_app.api.schema_parts import Id, NamedRefSchema, OrgUnitRefSchema, enum_field
from audit_app.models import DocKind, DocStatus
from audit_app.services.docinfo import entries
from audit_app.services.docinfo.register import Row

REF = Text(validate=validate.Length(min=1, max=40))


class DocEntrySchema(Schema):
    """One register entry with its status today (or on the day asked for)."""

    id = fields.Int(dump_only=True)
    title = fields.Str(dump_only=True)
    kind = enum_field(DocKind, dump_only=True)
    refs = fields.List(fields.Str(), dump_only=True, metadata={"description": "Clause and control ids."})
    expected = fields.Bool(dump_only=True, metadata={"description": "Pre-filled because the standard expects it."})
    source_key = fields.Str(dump_only=True, allow_none=True)
    status = enum_field(DocStatus, dump_only=True)
    owner = fields.Nested(NamedRefSchema, dump_only=True, allow_none=True)
    owner_unit = fields.Nested(OrgUnitRefSchema, dump_only=True, allow_none=True)
    location = fields.Str(dump_only=True)
    doc_version = fields.Str(dump_only=True)
    approved_by_name = fields.Str(dump_only=True)
    approved_on = fields.Date(dump_only=True, allow_none=True)
    review_interval_months = fields.Int(dump_only=True)
    next_review_on = fields.Date(dump_only=True, allow_none=True)
    retired_at = fields.DateTime(dump_only=True, allow_none=True)
    revision = fields.Int(dump_only=True, metadata={"description": "Send it back with a change to refuse stale ones."})

    @pre_dump
    def _flatten(self, row: Row, **kwargs: Any) -> dict[str, Any]:
        entry = row.entry
        names = [n for n in self.fields if n not in ("status", "history")]
        return {**{n: getattr(entry, n) for n in names}, "status": row.status}


class DocChangeSchema(Schema):
    id = fields.Int(dump_only=True)
    changed_at = fields.DateTime(dump_only=True)
    actor = fields.Nested(NamedRefSchema, dump_only=True, allow_none=True)
    field = fields.Str(dump_only=True)
    old_value = fields.Raw(dump_only=True, allow_none=True)
    new_value = fields.Raw(dump_only=True, allow_none=True)


class DocEntryDetailSchema(DocEntrySchema):
    history = fields.List(fields.Nested(DocChangeSchema), dump_only=True)

    @pre_dump
    def _flatten(self, row: Row, **kwargs: Any) -> dict[str, Any]:
        entry = row.entry
        names = [n for n in self.fields if n not in ("status", "history")]
        flat = {n: getattr(entry, n) for n in names}
        return {**flat, "status": row.status, "history": entries.entry_history(entry)}


class DocRegisterQuerySchema(Schema):
    status = enum_field(DocStatus, metadata={"description": "Only entries with this status."})
    clause = Text(validate=validate.Length(min=1, max=40), metadata={"description": "A clause or control id prefix."})
    as_of = fields.Date(metadata={"description": "Statuses as of the end of this day, from the entries' history."})


class DocEntryInputSchema(Schema):
    """The whole entry (PUT replaces it: send every field). An owner may change location, version and approval."""

    title = Text(required=True, validate=validate.Length(min=1, max=300))
    kind = enum_field(DocKind, required=True)
    refs = fields.List(REF, load_default=list, validate=validate.Length(max=40))
    owner_id = Id(load_default=None, allow_none=True)
    owner_unit_id = Id(load_default=None, allow_none=True)
    location = Text(load_default="", validate=validate.Length(max=500))
    doc_version = Text(load_default="", validate=validate.Length(max=60))
    approved_by_name = Text(load_default="", validate=validate.Length(max=120))
    approved_on = fields.Date(load_default=None, allow_none=True)
    review_interval_months = fields.Int(load_default=12, validate=validate.Range(min=1, max=120))
    next_review_on = fields.Date(
        load_default=None, allow_none=True, metadata={"description": "Left null: approval date plus the interval."}
    )


class DocEntryUpdateSchema(DocEntryInputSchema):
    revision = fields.Int(
        load_default=None,
        allow_none=True,
        validate=validate.Range(min=1, max=2**31 - 1),
        metadata={"description": "The revision read; a stale one is refused with 409."},
    )


class DocRetireSchema(Schema):
    reason = Text(required=True, validate=validate.Length(min=1, max=500))
    revision = fields.Int(load_default=None, allow_none=True, validate=validate.Range(min=1, max=2**31 - 1))
