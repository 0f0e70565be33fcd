"""Marshmallow schemas for programmes, audits, the team, the agenda, meetings and the life cycle.

They check the shape of API input only; the services hold the rules.
"""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from audit_app.api.schemas import OrgUnitRefSchema
from audit_app.models import (
    MEETING_POINTS,
    AuditMethod,
    AuditStatus,
    AuditType,
    MeetingKind,
    ProgrammeStatus,
    SessionActivity,
    TeamRole,
)
from audit_app.services.planning.lifecycle import LOCKED

TEXT = validate.Length(max=10000)


def _enum(enum_cls: type, **kwargs: object) -> fields.Enum:
    return fields.Enum(enum_cls, by_value=True, **kwargs)


def _ids(description: str) -> fields.List:
    return fields.List(fields.Int(), load_default=list, metadata={"description": description})


# --- Small references -------------------------------------------------------------------------------------------


class NamedRefSchema(Schema):
    """A person, AI system or auditee representative by id and name."""

    id = fields.Int(dump_only=True)
    name = fields.Str(dump_only=True)


class ChecklistVersionRefSchema(Schema):
    id = fields.Int(dump_only=True)
    title = fields.Str(dump_only=True)
    version = fields.Str(dump_only=True)


class ChecklistItemRefSchema(Schema):
    id = fields.Int(dump_only=True)
    ref = fields.Str(dump_only=True)
    title = fields.Str(dump_only=True)
    version_id = fields.Int(dump_only=True)


class ProgrammeRefSchema(Schema):
    id = fields.Int(dump_only=True)
    code = fields.Str(dump_only=True)
    title = fields.Str(dump_only=True)


# --- Programmes -------------------------------------------------------------------------------------------------


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
    checklist_version_id = fields.Int(
        required=True, metadata={"description": "The checklist version the coverage matrix is measured against."}
    )
    checklist_version = fields.Nested(ChecklistVersionRefSchema, dump_only=True)
    objectives = fields.Str(load_default="", validate=TEXT)
    risks = fields.Str(load_default="", validate=TEXT, metadata={"description": "Risks to the programme itself."})
    opportunities = fields.Str(load_default="", validate=TEXT)
    extent = fields.Str(load_default="", validate=TEXT)
    resources = fields.Str(load_default="", validate=TEXT)
    methods = fields.Str(load_default="", validate=TEXT)
    status = _enum(ProgrammeStatus, load_default=ProgrammeStatus.DRAFT)
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


class ProgrammeUpdateSchema(ProgrammeSchema):
    class Meta:
        partial = True


class CoverageAuditSchema(Schema):
    id = fields.Int()
    reference = fields.Str()
    title = fields.Str()
    status = _enum(AuditStatus)


class CoverageRowSchema(Schema):
    ref = fields.Str(metadata={"description": "Clause or control id (or system-<id> / unit-<id>)."})
    label = fields.Str()
    covered_by = fields.List(fields.Int(), metadata={"description": "Ids of the audits that cover the row."})
    covered = fields.Bool()
    priority = fields.Str(allow_none=True, metadata={"description": "Suggested priority: high, medium or low."})
    reasons = fields.List(fields.Str(), metadata={"description": "Why the priority is suggested."})
    frequency = fields.Str(allow_none=True)


class ScopeCoverageSchema(Schema):
    uncovered = fields.Int()
    rows = fields.List(fields.Nested(CoverageRowSchema))


class ProgrammeCoverageSchema(Schema):
    total = fields.Int(metadata={"description": "Auditable clauses and controls of the programme's checklist."})
    uncovered = fields.Int(metadata={"description": "Of those, how many no planned audit covers."})
    audits = fields.List(fields.Nested(CoverageAuditSchema), metadata={"description": "Audits not cancelled."})
    rows = fields.List(fields.Nested(CoverageRowSchema))
    systems = fields.Nested(ScopeCoverageSchema, metadata={"description": "In-scope AI systems."})
    units = fields.Nested(ScopeCoverageSchema, metadata={"description": "Active org units."})


# --- Audits -----------------------------------------------------------------------------------------------------


class AuditDetailsSchema(Schema):
    title = fields.Str(required=True, validate=validate.Length(min=1, max=200))
    audit_type = _enum(AuditType, required=True)
    start_date = fields.Date(required=True)
    end_date = fields.Date(required=True)
    lead_auditor_id = fields.Int(
        load_default=None, metadata={"description": "Defaults to the caller when left out on creation."}
    )
    objectives = fields.Str(load_default="", validate=TEXT)
    scope_notes = fields.Str(load_default="", validate=TEXT)
    period_covered_start = fields.Date(load_default=None, allow_none=True)
    period_covered_end = fields.Date(load_default=None, allow_none=True)
    method = _enum(AuditMethod, load_default=AuditMethod.ON_SITE)
    language = fields.Str(load_default="English", validate=validate.Length(min=1, max=40))
    client = fields.Str(load_default="", validate=validate.Length(max=200))
    other_criteria = fields.Str(load_default="", validate=TEXT)
    confidentiality_note = fields.Str(load_default="", validate=TEXT)


class AuditCreateSchema(AuditDetailsSchema):
    programme_id = fields.Int(required=True)


class AuditUpdateSchema(AuditDetailsSchema):
    class Meta:
        partial = True


class AuditQuerySchema(Schema):
    programme_id = fields.Int(load_default=None)
    status = _enum(AuditStatus, load_default=None)
    audit_type = _enum(AuditType, load_default=None)
    lead_auditor_id = fields.Int(load_default=None)
    unit_id = fields.Int(load_default=None, metadata={"description": "Org unit in the audit's scope."})


class AuditSummarySchema(Schema):
    id = fields.Int(dump_only=True)
    reference = fields.Str(dump_only=True, metadata={"description": "e.g. IA-2026-03."})
    title = fields.Str(dump_only=True)
    audit_type = _enum(AuditType, dump_only=True)
    status = _enum(AuditStatus, dump_only=True)
    method = _enum(AuditMethod, dump_only=True)
    start_date = fields.Date(dump_only=True)
    end_date = fields.Date(dump_only=True)
    programme = fields.Nested(ProgrammeRefSchema, dump_only=True)
    lead_auditor = fields.Nested(NamedRefSchema, dump_only=True)


class TeamMemberSchema(Schema):
    id = fields.Int(dump_only=True)
    user = fields.Nested(NamedRefSchema, dump_only=True)
    role = _enum(TeamRole, dump_only=True)
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


class AuditSchema(AuditSummarySchema):
    objectives = fields.Str(dump_only=True)
    scope_notes = fields.Str(dump_only=True)
    period_covered_start = fields.Date(dump_only=True, allow_none=True)
    period_covered_end = fields.Date(dump_only=True, allow_none=True)
    language = fields.Str(dump_only=True)
    client = fields.Str(dump_only=True)
    other_criteria = fields.Str(dump_only=True)
    confidentiality_note = fields.Str(dump_only=True)
    cancel_reason = fields.Str(dump_only=True)
    scope_units = fields.List(fields.Nested(OrgUnitRefSchema), dump_only=True)
    scope_systems = fields.List(fields.Nested(NamedRefSchema), dump_only=True)
    criteria = fields.List(fields.Nested(ChecklistVersionRefSchema), dump_only=True)
    scope_items = fields.List(fields.Nested(ChecklistItemRefSchema), dump_only=True)
    team = fields.List(fields.Nested(TeamMemberSchema), dump_only=True)
    auditees = fields.List(fields.Nested(AuditeeSchema), dump_only=True)
    locked = fields.Function(
        lambda audit: sorted(LOCKED[audit.status]),
        dump_only=True,
        metadata={
            "description": "Parts of the audit its current state freezes.",
            "type": "array",
            "items": {"type": "string"},
        },
    )
    created_at = fields.DateTime(dump_only=True)
    updated_at = fields.DateTime(dump_only=True)


class ScopeSchema(Schema):
    unit_ids = fields.List(fields.Int(), required=True, metadata={"description": "Org units in scope."})
    system_ids = fields.List(fields.Int(), required=True, metadata={"description": "AI systems in scope."})


class CriteriaSchema(Schema):
    version_ids = fields.List(fields.Int(), required=True, metadata={"description": "Checklist versions to pin."})
    item_ids = _ids("Clauses and controls in scope, by id.")
    item_refs = fields.List(
        fields.Str(validate=validate.Length(min=1, max=40)),
        load_default=list,
        metadata={"description": "Alternative to item_ids: clause or control ids looked up in the pinned versions."},
    )
    other_criteria = fields.Str(
        load_default=None, validate=TEXT, metadata={"description": "Left out, the current text stays."}
    )


class TransitionSchema(Schema):
    id = fields.Int(dump_only=True)
    from_status = _enum(AuditStatus, dump_only=True)
    to_status = _enum(AuditStatus, dump_only=True)
    actor = fields.Nested(NamedRefSchema, dump_only=True, allow_none=True)
    reason = fields.Str(dump_only=True)
    created_at = fields.DateTime(dump_only=True)


class TransitionCreateSchema(Schema):
    to = _enum(AuditStatus, required=True, metadata={"description": "The state to move the audit to."})
    reason = fields.Str(
        load_default="",
        validate=validate.Length(max=4000),
        metadata={"description": "Required when going back or cancelling."},
    )


class TransitionOptionSchema(Schema):
    to = _enum(AuditStatus, attribute="target")
    needs_reason = fields.Bool()
    blockers = fields.List(fields.Str(), metadata={"description": "What must be done first; empty when ready."})


class TransitionListSchema(Schema):
    status = _enum(AuditStatus)
    locked = fields.List(fields.Str())
    can_transition = fields.Bool(metadata={"description": "Whether the caller may change the status."})
    options = fields.List(fields.Nested(TransitionOptionSchema), metadata={"description": "Allowed next states."})
    transitions = fields.List(fields.Nested(TransitionSchema), metadata={"description": "History, oldest first."})


# --- Team and auditees ------------------------------------------------------------------------------------------


class TeamMemberCreateSchema(Schema):
    user_id = fields.Int(required=True)
    role = _enum(TeamRole, required=True)
    exception = fields.Str(
        load_default="",
        validate=validate.Length(max=2000),
        metadata={"description": "Justified exception when the member is not impartial (at least 20 characters)."},
    )


class AuditeeCreateSchema(Schema):
    user_id = fields.Int(load_default=None, allow_none=True, metadata={"description": "An auditee account."})
    name = fields.Str(load_default="", validate=validate.Length(max=120), metadata={"description": "Without account."})
    position = fields.Str(load_default="", validate=validate.Length(max=120))
    org_unit_id = fields.Int(load_default=None, allow_none=True)


class TeamSchema(Schema):
    declaration = fields.Str(metadata={"description": "The declaration of independence each member confirms."})
    members = fields.List(fields.Nested(TeamMemberSchema))
    auditees = fields.List(fields.Nested(AuditeeSchema))


# --- Agenda -----------------------------------------------------------------------------------------------------


class SessionSchema(Schema):
    id = fields.Int(dump_only=True)
    day = fields.Date(required=True)
    start_time = fields.Time(required=True, format="%H:%M", metadata={"description": "HH:MM, local wall clock."})
    duration_minutes = fields.Int(required=True, metadata={"description": "5 to 720 minutes."})
    activity = _enum(SessionActivity, required=True)
    title = fields.Str(required=True, validate=validate.Length(min=1, max=200))
    location = fields.Str(load_default="", validate=validate.Length(max=200))
    remote_link = fields.Str(load_default="", validate=validate.Length(max=500))
    notes = fields.Str(load_default="", validate=validate.Length(max=4000))
    item_ids = _ids("Clauses and controls covered (from the audit's scope).")
    auditor_ids = _ids("Team members running the session (user ids).")
    auditee_ids = _ids("Auditee representatives attending (auditee ids).")
    items = fields.List(fields.Nested(ChecklistItemRefSchema), dump_only=True)
    auditors = fields.List(fields.Nested(NamedRefSchema), dump_only=True)
    auditees = fields.List(fields.Nested(NamedRefSchema), dump_only=True)


class SessionUpdateSchema(SessionSchema):
    class Meta:
        partial = True


class PlanConflictSchema(Schema):
    kind = fields.Str(metadata={"description": "double_booked, outside_dates or uncovered."})
    message = fields.Str()
    session_ids = fields.List(fields.Int())


# --- Meetings ---------------------------------------------------------------------------------------------------


class MeetingPointSchema(Schema):
    key = fields.Str()
    label = fields.Str()
    covered = fields.Bool()


def _points(meeting: object) -> list[dict[str, object]]:
    covered = set(meeting.points_covered or [])
    return [{"key": k, "label": label, "covered": k in covered} for k, label in MEETING_POINTS[meeting.kind]]


class MeetingSchema(Schema):
    kind = _enum(MeetingKind, dump_only=True)
    held_at = fields.NaiveDateTime(required=True, metadata={"description": "Local date and time, no offset."})
    attendees = fields.Str(
        required=True, validate=validate.Length(max=4000), metadata={"description": "Names and roles."}
    )
    points_covered = fields.List(
        fields.Str(validate=validate.Length(max=40)),
        load_default=list,
        metadata={"description": "Keys of the agenda points covered (see `points`)."},
    )
    notes = fields.Str(load_default="", validate=TEXT)
    diverging_opinions = fields.Str(load_default="", validate=TEXT, metadata={"description": "Closing only."})
    points = fields.Function(_points, dump_only=True, metadata={"description": "The meeting's agenda checklist."})
    recorded_by = fields.Nested(NamedRefSchema, dump_only=True, allow_none=True)
    updated_at = fields.DateTime(dump_only=True)
