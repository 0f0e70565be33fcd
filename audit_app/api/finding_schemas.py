"""Marshmallow schemas for findings: the draft and its edits, the moves, disputes, verification, and the record.

They check the shape of API input only (lengths, ids in range, known words); the services under
services/findings hold every rule (who may, in which state, the quality check, the grade scheme).
"""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from audit_app.api.sample_schemas import Text
from audit_app.api.schema_parts import (
    ChangeSchema,
    Id,
    NamedRefSchema,
    OrgUnitRefSchema,
    WallClockDateTime,
    enum_field,
)
from audit_app.models import Consideration, DisputeStatus, DueStep, FindingSource, FindingStatus
from audit_app.services.findings.flow import GENERIC_MOVES
from audit_app.services.findings.links import MAX_LINKS

#: A grade code of a programme's scheme (which codes exist is the service's to say).
GRADE = validate.Regexp(r"^[A-Za-z0-9_.-]{1,40}$", error="Not a grade code (letters, digits, _ . - ; at most 40).")
REASON = validate.Length(max=4000)
LONG = validate.Length(max=8000)


def _grade(required: bool = False, description: str = "A grade code of the programme's scheme.") -> fields.Str:
    if required:
        return Text(required=True, validate=GRADE, metadata={"description": description, "example": "minor"})
    return Text(validate=GRADE, metadata={"description": description, "example": "minor"})


def _reason(required: bool, description: str, length: validate.Length = REASON) -> fields.Str:
    if required:
        return Text(required=True, validate=length, metadata={"description": description})
    return Text(load_default="", validate=length, metadata={"description": description})


# --- Input: drafting and editing ----------------------------------------------------------------------------------


class FindingFieldsSchema(Schema):
    """The fields of a finding (all optional here; creating needs `grade`)."""

    title = Text(validate=validate.Length(max=200))
    grade = _grade()
    systemic = fields.Bool(metadata={"description": "Systemic rather than isolated."})
    grade_rationale = Text(
        validate=validate.Length(max=4000),
        metadata={"description": "Isolated or systemic, and the effect on the AIMS's ability to achieve its results."},
    )
    requirement = Text(validate=validate.Length(max=8000), metadata={"description": "The requirement, in your words."})
    statement = Text(validate=validate.Length(max=8000), metadata={"description": "The statement of nonconformity."})
    evidence_summary = Text(validate=validate.Length(max=16000), metadata={"description": "The objective evidence."})
    other_criteria = Text(
        validate=validate.Length(max=4000), metadata={"description": "Internal policies, procedures, other standards."}
    )
    site = Text(validate=validate.Length(max=200))
    ai_system_id = Id(allow_none=True, metadata={"description": "Where it was found: the AI system."})
    location_unit_id = Id(allow_none=True, metadata={"description": "Where it was found: the org unit."})
    auditee_unit_id = Id(allow_none=True, metadata={"description": "The org unit the finding is issued to."})
    process_owner_id = Id(allow_none=True, metadata={"description": "The process owner (an active account)."})
    clause_refs = fields.List(
        Text(validate=validate.Length(max=20)),
        validate=validate.Length(max=50),
        metadata={"description": "Leaf clauses and Annex A controls of the criteria, e.g. 6.1.3, A.6.2.8."},
    )
    evidence_ids = fields.List(Id(), validate=validate.Length(max=MAX_LINKS), metadata={"description": "Evidence."})
    response_ids = fields.List(
        Id(), validate=validate.Length(max=MAX_LINKS), metadata={"description": "The checklist items it comes from."}
    )
    sample_ids = fields.List(
        Id(), validate=validate.Length(max=MAX_LINKS), metadata={"description": "Evaluated samples cited."}
    )


class FindingCreateSchema(FindingFieldsSchema):
    grade = _grade(required=True)


class OutsideFindingCreateSchema(FindingCreateSchema):
    """A nonconformity raised outside an audit (ISO/IEC 42001 10.2): where it comes from."""

    source = enum_field(
        FindingSource,
        required=True,
        validate=validate.NoneOf([FindingSource.AUDIT]),
        metadata={"description": "incident, complaint, monitoring, management_review, external_audit or other."},
    )
    source_reference = Text(
        load_default="", validate=validate.Length(max=300), metadata={"description": "Incident or complaint number…"}
    )
    occurred_on = fields.Date(load_default=None, allow_none=True, metadata={"description": "When it happened."})
    programme_id = Id(
        load_default=None, allow_none=True, metadata={"description": "Whose grade scheme and due policy apply."}
    )


class FindingChangeSchema(ChangeSchema, FindingFieldsSchema):
    """An edit: fields left out keep their value; `version` is the one you read (409 when it changed since)."""

    version = fields.Int(required=True, strict=True, metadata={"description": "The finding's version you read."})
    reason = _reason(False, "Why it changes; required once the finding is issued.")


class RegradeSchema(Schema):
    grade = _grade(required=True, description="The new grade.")
    grade_rationale = Text(load_default="", validate=validate.Length(max=4000))
    reason = _reason(True, "Why the grade changes.")


class OverrideSchema(Schema):
    code = Text(required=True, validate=validate.Length(min=1, max=120), metadata={"description": "The flag's code."})
    reason = Text(required=True, validate=validate.Length(max=2000), metadata={"description": "Why it stands."})


class MergeSchema(Schema):
    into = Id(required=True, metadata={"description": "The finding of the same audit to merge into."})
    reason = _reason(True, "Why they are one finding.")


class MoveSchema(Schema):
    action = Text(
        required=True,
        validate=validate.OneOf(GENERIC_MOVES),
        metadata={"description": "The move (see `options` on the finding for those you may make now)."},
    )
    reason = _reason(False, "Why: required for return, reject, withdraw, return_plan and reject_implementation.")


class DisputeSchema(Schema):
    reason = _reason(True, "Why the finding is disputed.", LONG)


class DisputeDecisionSchema(Schema):
    decision = Text(
        required=True,
        validate=validate.OneOf(["maintain", "accept_regrade", "accept_withdraw"]),
        metadata={"description": "Keep the finding, accept with a new grade, or accept and withdraw it."},
    )
    reason = _reason(True, "The resolution, shown to the auditee.", LONG)
    grade = _grade(description="decision=accept_regrade: the new grade.")
    grade_rationale = Text(load_default="", validate=validate.Length(max=4000))


class VerificationSchema(Schema):
    note = _reason(True, "What was checked to verify the implementation.", LONG)


class EffectivenessSchema(Schema):
    effective = fields.Bool(required=True, metadata={"description": "false reopens the finding for a new cycle."})
    review = _reason(True, "What showed the cause is removed (or not).", LONG)
    evidence = _reason(False, "Where the effectiveness evidence is (required to close a major).", LONG)
    reason = _reason(False, "Not effective: why (the review is used when left out).")


class ConsiderationSchema(Schema):
    outcome = enum_field(Consideration, required=True)
    note = _reason(True, "What was done, or why the suggestion was declined.", LONG)


class FindingQuerySchema(Schema):
    """Filters of the findings list (with `page` and `per_page`, see FindingListQuerySchema)."""

    audit_id = Id(metadata={"description": "Findings of this audit."})
    status = enum_field(FindingStatus)
    grade = Text(validate=GRADE)
    unit_id = Id(metadata={"description": "Findings issued to this org unit."})
    open = fields.Bool(metadata={"description": "true: not closed, withdrawn or merged; false: only those."})


# --- Output -------------------------------------------------------------------------------------------------------


class FindingSummarySchema(Schema):
    id = fields.Int(dump_only=True)
    version = fields.Int(dump_only=True)
    reference = fields.Str(dump_only=True, allow_none=True, metadata={"description": "Given when issued."})
    label = fields.Str(dump_only=True)
    title = fields.Str(dump_only=True)
    grade = fields.Str(dump_only=True)
    grade_label = fields.Str(dump_only=True)
    systemic = fields.Bool(dump_only=True)
    status = enum_field(FindingStatus, dump_only=True)
    cycle = fields.Int(dump_only=True)
    audit_id = fields.Int(dump_only=True, allow_none=True)
    programme_id = fields.Int(dump_only=True, allow_none=True)
    source = enum_field(FindingSource, dump_only=True)
    auditee_unit = fields.Nested(OrgUnitRefSchema, dump_only=True, allow_none=True)
    raised_at = WallClockDateTime(dump_only=True)
    issued_at = WallClockDateTime(dump_only=True, allow_none=True)
    closed_at = WallClockDateTime(dump_only=True, allow_none=True)


class SampleCitationSchema(Schema):
    sample_id = fields.Int(dump_only=True)
    summary = fields.Str(dump_only=True, metadata={"description": "Ratio, population and period."})
    deviating_items = fields.List(fields.Str(), dump_only=True)


class FlagSchema(Schema):
    code = fields.Str(dump_only=True)
    message = fields.Str(dump_only=True)
    override = fields.Str(dump_only=True, metadata={"description": "The reason it was overridden (empty: open)."})


class QualitySchema(Schema):
    blockers = fields.List(fields.Str(), dump_only=True)
    flags = fields.List(fields.Nested(FlagSchema), dump_only=True)


class OptionSchema(Schema):
    action = fields.Str(dump_only=True)
    label = fields.Str(dump_only=True)
    target = enum_field(FindingStatus, dump_only=True)
    needs_reason = fields.Bool(dump_only=True)
    blockers = fields.List(fields.Str(), dump_only=True, metadata={"description": "Empty: the move can be made."})
    operation = fields.Str(dump_only=True, metadata={"description": "Where to send it, under the finding's address."})


class DueSchema(Schema):
    id = fields.Int(dump_only=True)
    cycle = fields.Int(dump_only=True)
    step = enum_field(DueStep, dump_only=True)
    due_on = fields.Date(dump_only=True)
    original_due_on = fields.Date(dump_only=True)
    met_at = WallClockDateTime(dump_only=True, allow_none=True)


class DisputeRecordSchema(Schema):
    id = fields.Int(dump_only=True)
    reason = fields.Str(dump_only=True)
    status = enum_field(DisputeStatus, dump_only=True)
    resolution = fields.Str(dump_only=True)
    raised_at = WallClockDateTime(dump_only=True)
    resolved_at = WallClockDateTime(dump_only=True, allow_none=True)
    is_diverging_opinion = fields.Bool(dump_only=True)


class CapaFileSchema(Schema):
    id = fields.Int(dump_only=True)
    action_id = fields.Int(dump_only=True, allow_none=True)
    purpose = fields.Str(dump_only=True)
    name = fields.Str(dump_only=True)
    size = fields.Int(dump_only=True)
    content_type = fields.Str(dump_only=True)
    sha256 = fields.Str(dump_only=True)
    uploaded_at = WallClockDateTime(dump_only=True)


class ActionSchema(Schema):
    id = fields.Int(dump_only=True)
    version = fields.Int(dump_only=True)
    cycle = fields.Int(dump_only=True)
    description = fields.Str(dump_only=True)
    owner = fields.Nested(NamedRefSchema, dump_only=True, allow_none=True)
    due_on = fields.Date(dump_only=True)
    status = fields.Str(dump_only=True, metadata={"description": "planned, implemented or cancelled."})
    implementation_note = fields.Str(dump_only=True)
    implemented_at = WallClockDateTime(dump_only=True, allow_none=True)
    files = fields.List(fields.Nested(CapaFileSchema), dump_only=True)


class PlanSchema(Schema):
    id = fields.Int(dump_only=True)
    cycle = fields.Int(dump_only=True)
    correction = fields.Str(dump_only=True)
    rca_method = fields.Str(dump_only=True, allow_none=True)
    rca_analysis = fields.Str(dump_only=True)
    root_cause = fields.Str(dump_only=True)
    extent_check = fields.Str(dump_only=True)
    submitted_at = WallClockDateTime(dump_only=True, allow_none=True)
    decision = fields.Str(dump_only=True, allow_none=True, metadata={"description": "accepted or returned."})
    decision_reason = fields.Str(dump_only=True)
    decided_at = WallClockDateTime(dump_only=True, allow_none=True)


class FindingRecordSchema(FindingSummarySchema):
    """The whole finding as the caller may see it, with the moves they may make now."""

    requirement = fields.Str(dump_only=True)
    statement = fields.Str(dump_only=True)
    evidence_summary = fields.Str(dump_only=True)
    grade_rationale = fields.Str(dump_only=True)
    clause_refs = fields.List(fields.Str(), dump_only=True)
    other_criteria = fields.Str(dump_only=True)
    ai_system = fields.Nested(NamedRefSchema, dump_only=True, allow_none=True)
    location_unit = fields.Nested(OrgUnitRefSchema, dump_only=True, allow_none=True)
    site = fields.Str(dump_only=True)
    process_owner = fields.Nested(NamedRefSchema, dump_only=True, allow_none=True)
    source_reference = fields.Str(dump_only=True)
    occurred_on = fields.Date(dump_only=True, allow_none=True)
    response_ids = fields.List(fields.Int(), dump_only=True, metadata={"description": "Checklist items."})
    evidence_ids = fields.List(fields.Int(), dump_only=True)
    samples = fields.List(fields.Nested(SampleCitationSchema), dump_only=True)
    quality = fields.Nested(
        QualitySchema,
        dump_only=True,
        allow_none=True,
        metadata={"description": "For those who may edit the finding now; null for others."},
    )
    consideration = enum_field(Consideration, dump_only=True, allow_none=True)
    consideration_note = fields.Str(dump_only=True)
    implementation_verification = fields.Str(dump_only=True)
    effectiveness_review = fields.Str(dump_only=True)
    effectiveness_evidence = fields.Str(dump_only=True)
    withdrawn_reason = fields.Str(dump_only=True)
    merged_into_id = fields.Int(dump_only=True, allow_none=True)
    dues = fields.List(fields.Nested(DueSchema), dump_only=True, metadata={"description": "Of the current cycle."})
    disputes = fields.List(fields.Nested(DisputeRecordSchema), dump_only=True)
    options = fields.List(fields.Nested(OptionSchema), dump_only=True)
    plan = fields.Nested(PlanSchema, dump_only=True, allow_none=True, metadata={"description": "Current cycle."})
    actions = fields.List(fields.Nested(ActionSchema), dump_only=True, metadata={"description": "Current cycle."})
    files = fields.List(fields.Nested(CapaFileSchema), dump_only=True)


class HistorySchema(Schema):
    id = fields.Int(dump_only=True)
    event = fields.Str(dump_only=True)
    field = fields.Str(dump_only=True)
    old_value = fields.Str(dump_only=True)
    new_value = fields.Str(dump_only=True)
    reason = fields.Str(dump_only=True)
    action_id = fields.Int(dump_only=True, allow_none=True)
    actor = fields.Nested(NamedRefSchema, dump_only=True, allow_none=True)
    at = WallClockDateTime(dump_only=True)
