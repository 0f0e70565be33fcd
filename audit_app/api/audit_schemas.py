"""Schemas for audits: details, scope, criteria and the life cycle."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from audit_app.api.paging import PageQuerySchema
from audit_app.api.schema_parts import (
    TEXT,
    ChangeSchema,
    ChecklistItemRefSchema,
    ChecklistVersionRefSchema,
    Id,
    NamedRefSchema,
    OrgUnitRefSchema,
    ProgrammeRefSchema,
    enum_field,
    id_list,
)
from audit_app.api.team_schemas import AuditeeSchema, TeamMemberSchema
from audit_app.models import AuditMethod, AuditStatus, AuditType
from audit_app.services.planning.lifecycle import LOCKED


class AuditDetailsSchema(Schema):
    title = fields.Str(required=True, validate=validate.Length(min=1, max=200))
    audit_type = enum_field(AuditType, required=True)
    start_date = fields.Date(required=True)
    end_date = fields.Date(required=True)
    lead_auditor_id = Id(
        load_default=None, metadata={"description": "Defaults to the caller when left out on creation."}
    )
    objectives = fields.Str(load_default="", validate=TEXT)
    scope_notes = fields.Str(load_default="", validate=TEXT)
    period_covered_start = fields.Date(load_default=None, allow_none=True)
    period_covered_end = fields.Date(load_default=None, allow_none=True)
    method = enum_field(AuditMethod, load_default=AuditMethod.ON_SITE)
    language = fields.Str(load_default="English", validate=validate.Length(min=1, max=40))
    client = fields.Str(load_default="", validate=validate.Length(max=200))
    other_criteria = fields.Str(load_default="", validate=TEXT)
    confidentiality_note = fields.Str(load_default="", validate=TEXT)


class AuditCreateSchema(AuditDetailsSchema):
    programme_id = Id(required=True)


class AuditUpdateSchema(AuditDetailsSchema, ChangeSchema):
    lead_exception = fields.Str(
        validate=validate.Length(max=2000),
        metadata={
            "description": "Justified impartiality exception for a new lead_auditor_id who is not impartial with the "
            "audit's scope (at least 20 characters); recorded on their team membership with the caller's name. "
            "Needed only then (without it the change is refused with 409 and the reasons); nobody records one "
            "for themselves."
        },
    )

    class Meta:
        partial = True


class AuditQuerySchema(PageQuerySchema):
    """Filters of the audits list, with the paging parameters."""

    programme_id = Id(load_default=None)
    status = enum_field(AuditStatus, load_default=None)
    audit_type = enum_field(AuditType, load_default=None)
    lead_auditor_id = Id(load_default=None)
    unit_id = Id(load_default=None, metadata={"description": "Org unit in the audit's scope."})


class AuditSummarySchema(Schema):
    id = fields.Int(dump_only=True)
    reference = fields.Str(dump_only=True, metadata={"description": "e.g. IA-2026-03."})
    title = fields.Str(dump_only=True)
    audit_type = enum_field(AuditType, dump_only=True)
    status = enum_field(AuditStatus, dump_only=True)
    method = enum_field(AuditMethod, dump_only=True)
    start_date = fields.Date(dump_only=True)
    end_date = fields.Date(dump_only=True)
    programme = fields.Nested(ProgrammeRefSchema, dump_only=True)
    lead_auditor = fields.Nested(NamedRefSchema, dump_only=True)


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
    unit_ids = id_list("Org units in scope.", required=True)
    system_ids = id_list("AI systems in scope.", required=True)
    exception = fields.Str(
        load_default="",
        validate=validate.Length(max=2000),
        metadata={"description": "Justified exception for team members (the lead included) this scope makes partial."},
    )


class CriteriaSchema(Schema):
    version_ids = id_list("Checklist versions to pin.", required=True)
    item_ids = id_list("Clauses and controls in scope, by id.")
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
    from_status = enum_field(AuditStatus, dump_only=True)
    to_status = enum_field(AuditStatus, dump_only=True)
    actor = fields.Nested(NamedRefSchema, dump_only=True, allow_none=True)
    reason = fields.Str(dump_only=True)
    created_at = fields.DateTime(dump_only=True)


class TransitionCreateSchema(Schema):
    to = enum_field(AuditStatus, required=True, metadata={"description": "The state to move the audit to."})
    reason = fields.Str(
        load_default="",
        validate=validate.Length(max=4000),
        metadata={"description": "Required when going back or cancelling."},
    )
    confirm_warnings = fields.Bool(
        load_default=False,
        metadata={"description": "Start fieldwork although the fieldwork option lists open warnings."},
    )


class TransitionOptionSchema(Schema):
    to = enum_field(AuditStatus, attribute="target")
    needs_reason = fields.Bool()
    blockers = fields.List(fields.Str(), metadata={"description": "What must be done first; empty when ready."})
    warnings = fields.List(
        fields.Str(), metadata={"description": "Open warnings to confirm (moving to fieldwork only); none block."}
    )


class TransitionListSchema(Schema):
    status = enum_field(AuditStatus)
    locked = fields.List(fields.Str())
    can_transition = fields.Bool(metadata={"description": "Whether the caller may change the status."})
    options = fields.List(fields.Nested(TransitionOptionSchema), metadata={"description": "Allowed next states."})
    transitions = fields.List(fields.Nested(TransitionSchema), metadata={"description": "History, oldest first."})
