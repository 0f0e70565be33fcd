"""Schemas for audit programmes and their coverage matrix."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from audit_app.api.schema_parts import TEXT, ChangeSchema, ChecklistVersionRefSchema, Id, NamedRefSchema, enum_field
from audit_app.models import AuditStatus, ProgrammeStatus


class GradeSchema(Schema):
    code = fields.Str(required=True, validate=validate.Length(min=1, max=30), metadata={"description": "e.g. major"})
    label = fields.Str(required=True, validate=validate.Length(max=80))
    nonconformity = fields.Bool(load_default=False)


class DueStepsSchema(Schema):
    """Days allowed for each response step of a finding; null means the step is not required."""

    acknowledge = fields.Int(load_default=None, allow_none=True, metadata={"description": "Business days."})
    correction = fields.Int(load_default=None, allow_none=True)
    plan = fields.Int(load_default=None, allow_none=True)
    implementation = fields.Int(load_default=None, allow_none=True)
    effectiveness = fields.Int(load_default=None, allow_none=True)


class ProgrammeSchema(Schema):
    id = fields.Int(dump_only=True)
    code = fields.Str(
        required=True,
        validate=validate.Length(min=1, max=20),
        metadata={"description": "Period code used in audit references, e.g. 2026 gives IA-2026-01."},
    )
    title = fields.Str(required=True, validate=validate.Length(min=1, max=200))
    period_start = fields.Date(required=True)
    period_end = fields.Date(required=True)
    checklist_version_id = Id(
        required=True, metadata={"description": "The checklist version the coverage matrix is measured against."}
    )
    checklist_version = fields.Nested(ChecklistVersionRefSchema, dump_only=True)
    objectives = fields.Str(load_default="", validate=TEXT)
    risks = fields.Str(load_default="", validate=TEXT, metadata={"description": "Risks to the programme itself."})
    opportunities = fields.Str(load_default="", validate=TEXT)
    extent = fields.Str(load_default="", validate=TEXT)
    resources = fields.Str(load_default="", validate=TEXT)
    methods = fields.Str(load_default="", validate=TEXT)
    status = enum_field(ProgrammeStatus, load_default=ProgrammeStatus.DRAFT)
    closing_reason = fields.Str(
        load_only=True,
        load_default="",
        validate=TEXT,
        metadata={"description": "Why the programme is closed although its stated extent is not met (required then)."},
    )
    manager_id = Id(
        load_default=None,
        allow_none=True,
        metadata={"description": "The programme manager (a lead auditor or administrator); left out: unchanged."},
    )
    manager = fields.Nested(NamedRefSchema, dump_only=True, allow_none=True)
    certification_profile = fields.Bool(
        load_default=False,
        metadata={
            "description": "Certification-body profile: majors of stage 2 simulation audits must be verified closed "
            "before the simulated certification decision (90-day deadline; open after six months: repeat stage 2)."
        },
    )
    grade_scheme = fields.List(
        fields.Nested(GradeSchema),
        load_default=None,
        allow_none=True,
        metadata={"description": "Finding grades; left out, the current (or default) scheme stays."},
    )
    due_policy = fields.Dict(
        keys=fields.Str(),
        values=fields.Nested(DueStepsSchema),
        load_default=None,
        allow_none=True,
        metadata={"description": "Per grade code, days allowed for each response step (1 to 730, or null)."},
    )
    created_at = fields.DateTime(dump_only=True)
    updated_at = fields.DateTime(dump_only=True)


class ProgrammeUpdateSchema(ProgrammeSchema, ChangeSchema):
    class Meta:
        partial = True


class CoverageAuditSchema(Schema):
    id = fields.Int()
    reference = fields.Str()
    title = fields.Str()
    status = enum_field(AuditStatus)


class CoverageRowSchema(Schema):
    ref = fields.Str(metadata={"description": "Clause or control id (or system-<id> / unit-<id>)."})
    label = fields.Str()
    covered_by = fields.List(fields.Int(), metadata={"description": "Ids of the audits that cover the row."})
    covered = fields.Bool()
    achieved_by = fields.List(
        fields.Int(), metadata={"description": "Ids of the audits that concluded the clause or control."}
    )
    achieved = fields.Bool(metadata={"description": "Some audit concluded it (planned against achieved)."})
    not_audited = fields.List(
        fields.Dict(), metadata={"description": "Audits that closed it as not audited: {audit_id, reason}."}
    )
    priority = fields.Str(allow_none=True, metadata={"description": "Suggested priority: high, medium or low."})
    reasons = fields.List(fields.Str(), metadata={"description": "Why the priority is suggested."})
    frequency = fields.Str(allow_none=True)


class ScopeCoverageSchema(Schema):
    total = fields.Int(metadata={"description": "How many rows there are (in-scope AI systems or active org units)."})
    uncovered = fields.Int(metadata={"description": "Of those, how many no planned audit covers."})
    rows = fields.List(
        fields.Nested(CoverageRowSchema),
        metadata={"description": "Each system or unit with the audits covering it; only when asked for with `expand`."},
    )


class CoverageQuerySchema(Schema):
    expand = fields.List(
        fields.Str(validate=validate.OneOf(["systems", "units"])),
        load_default=list,
        metadata={
            "description": "Rows to add to the counts of AI systems and org units: `expand=systems`, "
            "`expand=units`, or both (repeat the parameter)."
        },
    )


class ProgrammeCoverageSchema(Schema):
    total = fields.Int(metadata={"description": "Auditable clauses and controls of the programme's checklist."})
    uncovered = fields.Int(metadata={"description": "Of those, how many no planned audit covers."})
    achieved = fields.Int(
        metadata={"description": "Of those, how many an audit concluded (not audited does not count)."}
    )
    audits = fields.List(fields.Nested(CoverageAuditSchema), metadata={"description": "Audits not cancelled."})
    rows = fields.List(fields.Nested(CoverageRowSchema))
    systems = fields.Nested(ScopeCoverageSchema, metadata={"description": "In-scope AI systems (rows with expand)."})
    units = fields.Nested(ScopeCoverageSchema, metadata={"description": "Active org units (rows with expand)."})
