"""Marshmallow schemas for the working checklist, checklist responses and evidence.

They check the shape of API input only; the services hold the rules.
"""

from __future__ import annotations

from flask import url_for
from flask_smorest.fields import Upload
from marshmallow import Schema, fields, validate

from audit_app.api.schema_parts import NamedRefSchema, enum_field
from audit_app.models import EvidenceFile, EvidenceMethod, EvidenceMode, ResponseResult
from audit_app.services.fieldwork.responses import FILTERS

# --- Working checklist ------------------------------------------------------------------------------------------


class ChecklistQuerySchema(Schema):
    view = fields.Str(
        load_default="all",
        validate=validate.OneOf(FILTERS),
        metadata={"description": "Which items to list; progress always counts every item."},
    )


class GroupProgressSchema(Schema):
    """Progress of one top-level clause or Annex A objective."""

    ref = fields.Str(dump_only=True)
    title = fields.Str(dump_only=True)
    total = fields.Int(dump_only=True)
    assessed = fields.Int(dump_only=True)
    nonconformities = fields.Int(dump_only=True)
    percent = fields.Int(dump_only=True)


class ChecklistProgressSchema(Schema):
    total = fields.Int(dump_only=True)
    assessed = fields.Int(dump_only=True)
    groups = fields.List(fields.Nested(GroupProgressSchema), dump_only=True)


class ChecklistRowSchema(Schema):
    """One row of the working checklist (dumped from services.fieldwork.Row)."""

    id = fields.Int(dump_only=True, attribute="response.id", metadata={"description": "The response id."})
    ref = fields.Str(dump_only=True, attribute="item.ref")
    title = fields.Str(dump_only=True, attribute="item.title")
    group = fields.Str(dump_only=True, metadata={"description": "Top-level clause or Annex A objective."})
    result = enum_field(ResponseResult, dump_only=True, attribute="response.result")
    reason = fields.Str(dump_only=True, attribute="response.reason")
    notes = fields.Str(dump_only=True, attribute="response.notes")
    version = fields.Int(dump_only=True, attribute="response.version")
    evidence_count = fields.Int(dump_only=True)
    mine = fields.Bool(dump_only=True)
    updated_by = fields.Nested(NamedRefSchema, dump_only=True, allow_none=True, attribute="response.updated_by")
    updated_at = fields.DateTime(dump_only=True, attribute="response.updated_at")


class WorkingChecklistSchema(Schema):
    progress = fields.Nested(ChecklistProgressSchema, dump_only=True)
    items = fields.List(fields.Nested(ChecklistRowSchema), dump_only=True)


# --- Evidence ---------------------------------------------------------------------------------------------------


def _download_url(record: EvidenceFile) -> str:
    return url_for("api_fieldwork.download_file", audit_id=record.evidence.audit_id, file_id=record.id)


class EvidenceFileSchema(Schema):
    id = fields.Int(dump_only=True)
    name = fields.Str(dump_only=True, metadata={"description": "The uploader's file name (display only)."})
    version = fields.Int(dump_only=True, metadata={"description": "Same name again → next version."})
    size = fields.Int(dump_only=True)
    sha256 = fields.Str(dump_only=True)
    content_type = fields.Str(dump_only=True)
    uploaded_by = fields.Nested(NamedRefSchema, dump_only=True, allow_none=True)
    uploaded_at = fields.DateTime(dump_only=True)
    download_url = fields.Function(_download_url, dump_only=True, metadata={"type": "string"})


class EvidenceSchema(Schema):
    id = fields.Int(dump_only=True)
    response_id = fields.Int(dump_only=True)
    ref = fields.Str(dump_only=True, attribute="response.item.ref", metadata={"description": "The checklist item."})
    method = enum_field(EvidenceMethod, dump_only=True)
    mode = enum_field(EvidenceMode, dump_only=True)
    source = fields.Str(dump_only=True)
    description = fields.Str(dump_only=True)
    evidence_date = fields.Date(dump_only=True)
    recorded_by = fields.Nested(NamedRefSchema, dump_only=True, allow_none=True)
    recorded_at = fields.DateTime(dump_only=True)
    files = fields.List(fields.Nested(EvidenceFileSchema), dump_only=True)


class EvidenceCreateSchema(Schema):
    """A new evidence entry, as JSON (no files) or as multipart form fields."""

    method = enum_field(EvidenceMethod, required=True)
    mode = enum_field(EvidenceMode, load_default=EvidenceMode.ON_SITE)
    source = fields.Str(
        required=True,
        validate=validate.Length(max=300),
        metadata={"description": "Document name and version, record id, or the interviewee's role (not a name)."},
    )
    evidence_date = fields.Date(required=True, metadata={"description": "When the evidence applies."})
    description = fields.Str(load_default="", validate=validate.Length(max=20000))


#: What the file name of an upload may not hold (the name is read as sent, backslashes included).
NAME_RULES = (
    "A name with a path (/ or \\), control characters, a line break, invisible text-direction controls "
    "(U+200E, U+200F, U+202A to U+202E, U+2066 to U+2069) or non-characters (U+FFFE, U+FFFF, U+FDD0 to U+FDEF) "
    "is refused with 422 naming `file`."
)


class EvidenceUploadSchema(EvidenceCreateSchema):
    """The multipart form: the entry's fields plus any number of `file` parts."""

    file = fields.List(Upload(), load_default=list, metadata={"description": f"One part per file. {NAME_RULES}"})


class FileUploadSchema(Schema):
    file = Upload(
        required=True,
        metadata={"description": f"The file; the same name again becomes a new version. {NAME_RULES}"},
    )


# --- Responses --------------------------------------------------------------------------------------------------


class ChecklistResponseStateSchema(Schema):
    """What is saved for a checklist item now."""

    result = enum_field(ResponseResult, dump_only=True)
    notes = fields.Str(dump_only=True)
    reason = fields.Str(dump_only=True)
    version = fields.Int(dump_only=True)
    updated_by = fields.Nested(NamedRefSchema, dump_only=True, allow_none=True)
    updated_at = fields.DateTime(dump_only=True)


class ItemGuidanceSchema(Schema):
    """The library's audit questions and evidence hints for the item."""

    id = fields.Int(dump_only=True)
    ref = fields.Str(dump_only=True)
    title = fields.Str(dump_only=True)
    kind = fields.Str(dump_only=True)
    summary = fields.Str(dump_only=True)
    questions = fields.List(fields.Str(), dump_only=True)
    evidence = fields.Dict(
        keys=fields.Str(),
        values=fields.List(fields.Str()),
        dump_only=True,
        metadata={"description": "Hints by kind: documents, records, interviews, observations."},
    )
    documented_information = fields.List(fields.Dict(), dump_only=True)


class ChecklistResponseSchema(ChecklistResponseStateSchema):
    id = fields.Int(dump_only=True)
    audit_id = fields.Int(dump_only=True)
    item = fields.Nested(ItemGuidanceSchema, dump_only=True)
    evidence = fields.List(fields.Nested(EvidenceSchema), dump_only=True)


class ChecklistResponseUpdateSchema(Schema):
    result = enum_field(ResponseResult, required=True)
    notes = fields.Str(load_default="", validate=validate.Length(max=20000))
    reason = fields.Str(
        load_default="",
        validate=validate.Length(max=4000),
        metadata={"description": "Required for not_applicable and not_audited; refused (422) with any other result."},
    )
    version = fields.Int(
        required=True,
        strict=True,
        validate=validate.Range(min=1),
        metadata={"description": "The version you read; a save based on an older one is refused with 409."},
    )


class EditConflictSchema(Schema):
    code = fields.Int(dump_only=True)
    status = fields.Str(dump_only=True)
    message = fields.Str(dump_only=True)
    current = fields.Nested(
        ChecklistResponseStateSchema, dump_only=True, metadata={"description": "What is saved now."}
    )
