"""Marshmallow schemas for the working checklist, checklist responses and evidence.

They check the shape of API input only; the services hold the rules.
"""

from __future__ import annotations

from typing import Any

from flask import url_for
from flask_smorest.fields import Upload
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from audit_app.api.paging import PageQuerySchema
from audit_app.api.schema_parts import Id, NamedRefSchema, enum_field
from audit_app.models import Evidence, EvidenceFile, EvidenceMethod, EvidenceMode, ResponseResult, SubjectKind
from audit_app.models.fieldwork import DERIVATION_ORDER
from audit_app.services.fieldwork.verdicts import subjects_of
from audit_app.services.fieldwork.working import FILTERS

# --- Working checklist ------------------------------------------------------------------------------------------


class ChecklistQuerySchema(Schema):
    view = fields.Str(
        load_default="all",
        validate=validate.OneOf(FILTERS),
        metadata={"description": "Which items to list; progress always counts every item."},
    )


class SubjectSchema(Schema):
    """An in-scope AI system, unit or site that a result or an evidence entry concerns."""

    kind = enum_field(SubjectKind, dump_only=True)
    id = fields.Int(dump_only=True)
    name = fields.Str(dump_only=True)
    label = fields.Str(dump_only=True, metadata={"description": "AI system, Site, Department or Process."})


class PartSchema(Schema):
    """The item's result for one AI system, unit or site."""

    subject = fields.Nested(SubjectSchema, dump_only=True)
    result = enum_field(ResponseResult, dump_only=True)
    statement = fields.Str(dump_only=True)
    updated_by = fields.Nested(NamedRefSchema, dump_only=True, allow_none=True)
    updated_at = fields.DateTime(dump_only=True)


def _parts(rows: list[tuple[Any, Any]]) -> list[dict[str, Any]]:
    return [
        {**PartSchema(exclude=("subject",)).dump(part), "subject": SubjectSchema().dump(subject)}
        for subject, part in rows
    ]


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
    conforming_without_evidence = fields.Int(
        dump_only=True,
        metadata={"description": "Conforming results (per item or per subject) that no evidence entry supports."},
    )
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
    parts = fields.Function(
        lambda row: _parts(row.parts),
        dump_only=True,
        metadata={
            "type": "array",
            "items": {"type": "object"},
            "description": "Results per AI system, unit or site (PartSchema); when any is recorded, `result` is "
            "derived from them.",
        },
    )
    updated_by = fields.Nested(NamedRefSchema, dump_only=True, allow_none=True, attribute="response.updated_by")
    updated_at = fields.DateTime(dump_only=True, attribute="response.updated_at")


class WorkingChecklistSchema(Schema):
    progress = fields.Nested(ChecklistProgressSchema, dump_only=True)
    items = fields.List(fields.Nested(ChecklistRowSchema), dump_only=True)


class EvidenceQuerySchema(PageQuerySchema):
    """Paging of the audit's evidence list."""


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


def _evidence_subject(entry: Evidence) -> dict[str, Any] | None:
    if entry.ai_system is not None:
        return {"kind": "ai_system", "id": entry.ai_system.id, "name": entry.ai_system.name, "label": "AI system"}
    if entry.org_unit is not None:
        unit = entry.org_unit
        label = "Site" if unit.kind.value == "site" else unit.kind.label
        return {"kind": "org_unit", "id": unit.id, "name": unit.name, "label": label}
    return None


class EvidenceSchema(Schema):
    id = fields.Int(dump_only=True)
    response_id = fields.Int(dump_only=True)
    subject = fields.Function(
        _evidence_subject,
        dump_only=True,
        allow_none=True,
        metadata={
            "type": "object",
            "nullable": True,
            "description": "The AI system, unit or site the entry concerns (SubjectSchema); null for the item "
            "as a whole.",
        },
    )
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
    subject_kind = enum_field(
        SubjectKind,
        load_default=None,
        allow_none=True,
        metadata={"description": "With subject_id: the in-scope AI system or unit/site the entry concerns."},
    )
    subject_id = Id(load_default=None, allow_none=True)

    @validates_schema
    def _both_or_neither(self, data: dict[str, Any], **_: Any) -> None:
        if (data.get("subject_kind") is None) != (data.get("subject_id") is None):
            raise ValidationError("Send subject_kind and subject_id together, or neither.", "subject_id")


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
    parts = fields.Method(
        "_dump_parts",
        dump_only=True,
        metadata={
            "type": "array",
            "items": {"type": "object"},
            "description": "Results per in-scope AI system, unit or site (PartSchema); when any is recorded, "
            "`result` is derived from them: "
            + " > ".join(r.value for r in DERIVATION_ORDER)
            + " (the first present wins).",
        },
    )

    def _dump_parts(self, response: Any) -> list[dict[str, Any]]:
        subjects = {s.key: s for s in subjects_of(response.audit)}
        return _parts([(subjects[p.key], p) for p in response.recorded_parts if p.key in subjects])


class PartUpdateSchema(Schema):
    subject_kind = enum_field(SubjectKind, required=True)
    subject_id = Id(required=True)
    result = enum_field(
        ResponseResult, required=True, metadata={"description": "not_assessed withdraws the subject's result."}
    )
    statement = fields.Str(
        load_default="",
        validate=validate.Length(max=20000),
        metadata={"description": "The finding, how conformity was established, or the reason (N/A, not audited)."},
    )


class ChecklistResponseUpdateSchema(Schema):
    result = enum_field(
        ResponseResult,
        load_default=None,
        metadata={
            "description": "Required unless `parts` records results per subject; then it is derived and, if "
            "sent, must equal the derived result. nonconformity and observation need a statement (notes) and "
            "an evidence entry; conforming without evidence needs notes; not_applicable is for Annex A only."
        },
    )
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
    parts = fields.List(
        fields.Nested(PartUpdateSchema),
        load_default=None,
        metadata={"description": "Results per in-scope AI system, unit or site; subjects left out keep theirs."},
    )


class EditConflictSchema(Schema):
    code = fields.Int(dump_only=True)
    status = fields.Str(dump_only=True)
    message = fields.Str(dump_only=True)
    current = fields.Nested(
        ChecklistResponseStateSchema, dump_only=True, metadata={"description": "What is saved now."}
    )
