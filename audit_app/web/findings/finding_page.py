"""What the finding pages share: the finding page itself (with any refused move shown on it), the form choices,
readable history labels, and the helpers the other areas' templates use (may this user raise a finding here?)."""

from __future__ import annotations

from typing import Any

from flask import render_template
from flask_login import current_user
from flask_wtf import FlaskForm

from audit_app.extensions import db
from audit_app.models import Audit, AuditProgramme, Finding, FindingStatus, OrgUnit
from audit_app.services.findings import flow, grades, quality, records
from audit_app.services.findings import pages as reading
from audit_app.services.findings.policy import FindingParty, may_raise_in, parties
from audit_app.web.findings.forms import FindingForm, MoveForm, OverrideForm

Page = tuple[str, int]

#: The moves the generic move route makes (the others have their own forms).
MOVES = frozenset(flow.GENERIC_MOVES)

EVENT_LABELS = {
    "created": "Drafted",
    "edited": "Edited",
    "links": "Links changed",
    "status": "Status changed",
    "numbered": "Numbered",
    "regraded": "Regraded",
    "override": "Quality flag overridden",
    "merged": "Merged",
    "plan": "Plan",
    "action": "Corrective action",
    "dispute": "Dispute",
    "due": "Due date",
    "file": "File",
    "cycle": "New cycle",
}
FIELD_LABELS = {
    "grade": "Grade",
    "grade_rationale": "Grade rationale",
    "systemic": "Systemic",
    "title": "Title",
    "requirement": "Requirement",
    "statement": "Statement",
    "evidence_summary": "Objective evidence",
    "other_criteria": "Other criteria",
    "site": "Site",
    "source": "Source",
    "source_reference": "Source reference",
    "occurred_on": "Date",
    "ai_system_id": "AI system",
    "location_unit_id": "Unit where found",
    "auditee_unit_id": "Auditee unit",
    "process_owner_id": "Process owner",
    "programme_id": "Programme",
    "clauses": "Clauses and controls",
    "evidence": "Evidence entries",
    "items": "Checklist items",
    "samples": "Samples",
    "status": "Status",
    "reference": "Reference",
    "merged_into": "Merged into",
    "cycle": "Cycle",
}


def history_value(entry: Any, value: str) -> str:
    """A history value as a reader expects it (status names in words)."""
    if entry.field == "status" and value in FindingStatus._value2member_map_:
        return FindingStatus(value).label
    return value


def history_field(entry: Any) -> str:
    if entry.field.startswith("flag:"):
        return f"Flag {entry.field.removeprefix('flag:')}"
    return FIELD_LABELS.get(entry.field, entry.field.replace("_", " "))


def template_helpers() -> dict[str, Any]:
    def may_raise_finding(audit: Audit) -> bool:
        return current_user.is_authenticated and may_raise_in(current_user, audit)

    return {
        "may_raise_finding": may_raise_finding,
        "finding_action_labels": flow.ACTION_LABELS,
        "finding_grade_label": grades.grade_label,
        "finding_event_label": lambda e: EVENT_LABELS.get(e.event, e.event.replace("_", " ").capitalize()),
        "finding_history_field": history_field,
        "finding_history_value": history_value,
        "FindingParty": FindingParty,
    }


def unit_choices(audit: Audit | None) -> list[tuple[int, str]]:
    if audit is not None:
        return [(u.id, u.name) for u in audit.scope_units]
    units = db.session.scalars(db.select(OrgUnit).order_by(OrgUnit.name))
    return [(u.id, u.name) for u in units]


def programmes() -> list[AuditProgramme]:
    return list(db.session.scalars(db.select(AuditProgramme).order_by(AuditProgramme.title)))


def set_form_choices(form: FindingForm, audit: Audit | None, programme: AuditProgramme | None) -> None:
    """The choices of a finding form; the evidence of the chosen checklist items is offered first."""
    chosen_items = [int(v) for v in (form.response_ids.data or []) if str(v).isdigit()]
    chosen_evidence = [int(v) for v in (form.evidence_ids.data or []) if str(v).isdigit()]
    form.set_choices(
        programme,
        audit,
        units=unit_choices(audit),
        owners=reading.auditee_accounts(),
        responses=reading.audit_responses(audit) if audit is not None else [],
        evidence=reading.evidence_choices(audit, chosen_items, chosen_evidence) if audit is not None else [],
        samples=reading.audit_samples(audit) if audit is not None else [],
    )


def detail_page(
    finding: Finding,
    *,
    refusal: str | None = None,
    status: int = 200,
    override_form: FlaskForm | None = None,
    move_form: FlaskForm | None = None,
) -> Page:
    """The finding page; a refused move or override is shown on it, with the status it earned."""
    held = parties(current_user, finding)
    may_edit = records.edit_blocker(current_user, finding) is None
    options = flow.options(finding, current_user)
    majors: dict[str, quality.PossibleMajor] = {}
    if FindingParty.REVIEWER in held and finding.audit_id is not None:
        majors = quality.possible_majors(finding.audit_id, finding_id=finding.id)
    page = render_template(
        "findings/detail.html",
        finding=finding,
        user=current_user,
        parties=held,
        options=options,
        generic_moves=MOVES,
        may_edit=may_edit,
        is_reviewer=FindingParty.REVIEWER in held,
        blockers=quality.blockers(finding) if may_edit else [],
        flags=quality.flags(finding) if may_edit else [],
        overrides=finding.quality_overrides or {},
        possible_majors=majors,
        history=reading.history_rows(finding, current_user),
        evidence=reading.cited_evidence(finding),
        grade=grades.grade_label(finding),
        refusal=refusal,
        override_form=override_form or OverrideForm(formdata=None),
        move_form=move_form or MoveForm(formdata=None),
    )
    return page, status
