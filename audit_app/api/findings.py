"""Findings: drafting in an audit or outside one, review and issue, the auditee's answer, disputes, verification.

Routes load the finding through the visibility rule (policy.load_finding: an invisible finding is 404, so an
auditee cannot tell another unit's finding or a draft from a missing one), read the body once the finding is
found, and call one service; services/findings hold every rule. The corrective-action plan, its actions and
files are in api/capa.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from flask_smorest import Blueprint

from audit_app.api.common import parse_body, saved
from audit_app.api.finding_schemas import (
    DisputeDecisionSchema,
    DisputeSchema,
    FindingChangeSchema,
    FindingCreateSchema,
    FindingQuerySchema,
    FindingRecordSchema,
    FindingSummarySchema,
    HistorySchema,
    MergeSchema,
    MoveSchema,
    OutsideFindingCreateSchema,
    OverrideSchema,
    RegradeSchema,
)
from audit_app.api.paging import PAGE_HEADERS, Paged, PageQuerySchema, page_request, paged
from audit_app.authz import WORKERS, get_actor, require_role
from audit_app.errors import ChangedMeanwhile, ValidationFailed
from audit_app.extensions import db
from audit_app.models import (
    FINAL_STATES,
    CapaFile,
    CapaPlan,
    CorrectiveAction,
    DueDate,
    Finding,
    FindingHistory,
    Role,
    User,
)
from audit_app.services import access
from audit_app.services.access import Need
from audit_app.services.findings import (
    disputes,
    flow,
    from_samples,
    grades,
    merging,
    policy,
    quality,
    records,
)
from audit_app.services.paging import Page, paginate, shown_with
from audit_app.services.sampling import samples as sample_service

blp = Blueprint("api_findings", __name__, url_prefix="", description="Findings: drafting, review, issue and answer")

FINDINGS = "/findings"
FINDING = f"{FINDINGS}/<int:finding_id>"
#: Every role reaches these; the finding's visibility and the caller's part in it decide (404, 403, 409).
EVERYONE = tuple(Role)
#: 403 where every role reaches the operation but the caller's part in the finding may not allow the move.
PART_REFUSAL = {"403": "Forbidden"}
#: Where each move is sent, under the finding's address (the generic ones go to /moves).
OPERATIONS = {
    "merge": "merge",
    "dispute": "dispute",
    "maintain": "dispute/decision",
    "accept_dispute": "dispute/decision",
    "verify_implementation": "verification",
    "close_effective": "effectiveness",
    "not_effective": "effectiveness",
    "consider": "consideration",
}


class FindingListQuerySchema(FindingQuerySchema, PageQuerySchema):
    """Filters and paging of the findings list."""


@dataclass
class FindingRecord:
    """A finding with what the caller sees beside its columns (dumped by FindingRecordSchema)."""

    finding: Finding
    grade_label: str
    response_ids: list[int]
    evidence_ids: list[int]
    quality: dict[str, Any] | None
    options: list[dict[str, Any]]
    plan: CapaPlan | None
    actions: list[CorrectiveAction]
    dues: list[DueDate]
    files: list[CapaFile] = field(default_factory=list)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.finding, name)


def record_of(finding: Finding, user: User) -> FindingRecord:
    """The record as `user` sees it: quality check for those who may edit it, the moves they may make now."""
    quality_part = None
    if records.edit_blocker(user, finding) is None:
        overrides = finding.quality_overrides or {}
        quality_part = {
            "blockers": quality.blockers(finding),
            "flags": [
                {"code": f.code, "message": f.message, "override": str(overrides.get(f.code, ""))}
                for f in quality.flags(finding)
            ],
        }
    options = [
        {
            "action": o.transition.action,
            "label": flow.ACTION_LABELS.get(o.transition.action, o.transition.action),
            "target": o.target,
            "needs_reason": o.needs_reason,
            "blockers": list(o.blockers),
            "operation": OPERATIONS.get(o.transition.action, "moves"),
        }
        for o in flow.options(finding, user)
    ]
    files = list(db.session.scalars(sa.select(CapaFile).where(CapaFile.finding_id == finding.id).order_by(CapaFile.id)))
    return FindingRecord(
        finding=finding,
        grade_label=grades.grade_label(finding),
        response_ids=[r.id for r in finding.items],
        evidence_ids=[e.id for e in finding.evidence],
        quality=quality_part,
        options=options,
        plan=flow.current_plan(finding),
        actions=flow.current_actions(finding),
        dues=[d for d in finding.dues if d.cycle == finding.cycle],
        files=files,
    )


def answer(finding: Finding) -> FindingRecord:
    """The finding as saved, for the caller (after a change)."""
    return record_of(saved(finding), get_actor())


def _finding(finding_id: int) -> Finding:
    return policy.load_finding(get_actor(), finding_id)


def _input(data: dict[str, Any], base: records.FindingInput | None = None) -> records.FindingInput:
    values = records.FindingInput(grade="") if base is None else base
    for name, value in data.items():
        setattr(values, name, value)
    return values


def _create_input(data: dict[str, Any]) -> records.FindingInput:
    lists: dict[str, Any] = {"clause_refs": [], "evidence_ids": [], "response_ids": [], "sample_ids": []}
    return _input({**lists, **data})


# --- Reading ------------------------------------------------------------------------------------------------------


class _Summary:
    """A listed finding with its grade's label (read from the programme joined into the page's query)."""

    def __init__(self, finding: Finding) -> None:
        self.finding = finding
        self.grade_label = grades.grade_label(finding)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.finding, name)


@blp.route(FINDINGS)
@require_role(*EVERYONE)
@blp.arguments(FindingListQuerySchema, location="query")
@blp.response(200, FindingSummarySchema(many=True), headers=PAGE_HEADERS)
def list_findings(query: dict[str, Any]) -> Paged[_Summary]:
    """The findings the caller may see, newest first (an auditee: only those issued to their unit, or that they
    own as process owner or action owner), filtered by audit, status, grade, unit, and open or not."""
    request = page_request(query)
    stmt = (
        sa.select(Finding)
        .where(policy.visible_where(get_actor()))
        .options(*shown_with(Finding.programme, Finding.auditee_unit))
        .order_by(Finding.id.desc())
    )
    if "audit_id" in query:
        stmt = stmt.where(Finding.audit_id == query["audit_id"])
    if "status" in query:
        stmt = stmt.where(Finding.status == query["status"])
    if "grade" in query:
        stmt = stmt.where(Finding.grade == query["grade"])
    if "unit_id" in query:
        stmt = stmt.where(Finding.auditee_unit_id == query["unit_id"])
    if "open" in query:
        final = Finding.status.in_(FINAL_STATES)
        stmt = stmt.where(sa.not_(final) if query["open"] else final)
    page = paginate(stmt, request)
    return paged(Page([_Summary(f) for f in page.items], page.number, page.size, page.total))


@blp.route(FINDING)
@require_role(*EVERYONE)
@blp.response(200, FindingRecordSchema)
def get_finding(finding_id: int) -> FindingRecord:
    """The whole finding: criteria, where found, links, evidence ids, sample citations, the quality check (for
    those who may edit it), due dates, disputes, the current plan and actions, and the moves the caller may make
    now with what still blocks each. 404 when it does not exist or the caller may not see it."""
    return record_of(_finding(finding_id), get_actor())


@blp.route(f"{FINDING}/history")
@require_role(*EVERYONE)
@blp.arguments(PageQuerySchema, location="query")
@blp.response(200, HistorySchema(many=True), headers=PAGE_HEADERS)
def list_history(query: dict[str, Any], finding_id: int) -> Paged[FindingHistory]:
    """The finding's append-only history, oldest first: field, old and new value, who, when and why.

    Auditees see the history from the moment it was issued to them (the audit team's drafting stays internal)."""
    finding = _finding(finding_id)
    stmt = (
        sa.select(FindingHistory)
        .where(policy.history_where(get_actor(), finding))
        .options(*shown_with(FindingHistory.actor))
        .order_by(FindingHistory.id)
    )
    return paged(paginate(stmt, page_request(query)))


# --- Drafting and editing -----------------------------------------------------------------------------------------


@blp.route("/audits/<int:audit_id>/findings", methods=["POST"])
@require_role(*WORKERS)
@blp.doc(requestBody={"required": True, "content": {"application/json": {"schema": FindingCreateSchema}}})
@blp.response(201, FindingRecordSchema)
def create_in_audit(audit_id: int) -> FindingRecord:
    """Draft a finding in an audit during fieldwork or reporting (its auditors, its lead or an administrator)."""
    audit = access.load_audit(get_actor(), audit_id, Need.VIEW)
    data = parse_body(FindingCreateSchema())
    return answer(records.create_in_audit(audit, _create_input(data), actor=get_actor()))


@blp.route(FINDINGS, methods=["POST"])
@require_role(*WORKERS)
@blp.doc(requestBody={"required": True, "content": {"application/json": {"schema": OutsideFindingCreateSchema}}})
@blp.response(201, FindingRecordSchema)
def create_outside_audit() -> FindingRecord:
    """Raise a finding outside an audit (incident, complaint, monitoring result…), as ISO/IEC 42001 10.2 asks."""
    data = parse_body(OutsideFindingCreateSchema())
    return answer(records.create_outside_audit(_create_input(data), actor=get_actor()))


@blp.route("/audits/<int:audit_id>/samples/<int:sample_id>/finding", methods=["POST"])
@require_role(*WORKERS)
@blp.response(201, FindingRecordSchema)
def raise_from_sample(audit_id: int, sample_id: int) -> FindingRecord:
    """Raise an evaluated sample's proposed finding as a draft: statement, criteria, the deviating items' evidence
    and the sample cited with its ratio, population and period (409 before the evaluation, or when a live finding
    already cites the sample)."""
    audit = access.load_audit(get_actor(), audit_id, Need.VIEW)
    sample = sample_service.get_sample(audit, sample_id)
    return answer(from_samples.raise_as_finding(sample, actor=get_actor()))


@blp.route(FINDING, methods=["PATCH"])
@require_role(*WORKERS)
@blp.doc(requestBody={"required": True, "content": {"application/json": {"schema": FindingChangeSchema}}})
@blp.response(200, FindingRecordSchema)
def update_finding(finding_id: int) -> FindingRecord:
    """Change the finding's content: fields left out keep their value. Send the `version` you read (409 when it
    changed since); a `reason` once the finding is issued. The grade changes here while it is a draft only;
    after that, regrade."""
    finding = _finding(finding_id)
    data = parse_body(FindingChangeSchema())
    version, reason = data.pop("version"), data.pop("reason")
    if version != finding.version:
        raise ChangedMeanwhile(
            f"The finding was changed since version {version} was read (it is at version {finding.version}); "
            "nothing was changed. Read it again and retry."
        )
    return answer(
        records.update(finding, _input(data, records.FindingInput.of(finding)), actor=get_actor(), reason=reason)
    )


@blp.route(f"{FINDING}/regrade", methods=["POST"])
@require_role(*WORKERS)
@blp.doc(requestBody={"required": True, "content": {"application/json": {"schema": RegradeSchema}}})
@blp.response(200, FindingRecordSchema)
def regrade(finding_id: int) -> FindingRecord:
    """The lead auditor (or an administrator) changes the grade, with a reason."""
    finding = _finding(finding_id)
    data = parse_body(RegradeSchema())
    records.regrade(finding, data["grade"], rationale=data["grade_rationale"], actor=get_actor(), reason=data["reason"])
    return answer(finding)


@blp.route(f"{FINDING}/overrides", methods=["POST"])
@require_role(*WORKERS)
@blp.doc(requestBody={"required": True, "content": {"application/json": {"schema": OverrideSchema}}})
@blp.response(200, FindingRecordSchema)
def override_flag(finding_id: int) -> FindingRecord:
    """Go ahead despite a quality flag (its `code` from `quality.flags`), saying why."""
    finding = _finding(finding_id)
    data = parse_body(OverrideSchema())
    records.override_flag(finding, data["code"], reason=data["reason"], actor=get_actor())
    return answer(finding)


@blp.route(f"{FINDING}/merge", methods=["POST"])
@require_role(*WORKERS)
@blp.doc(requestBody={"required": True, "content": {"application/json": {"schema": MergeSchema}}})
@blp.response(200, FindingRecordSchema)
def merge(finding_id: int) -> FindingRecord:
    """Merge this finding into another of the same audit (both kept; this one is marked merged)."""
    finding = _finding(finding_id)
    data = parse_body(MergeSchema())
    into = db.session.get(Finding, data["into"])
    if into is None or not policy.can_see(get_actor(), into):
        raise ValidationFailed.on("into", "That finding does not exist.")
    merging.merge(finding, into, actor=get_actor(), reason=data["reason"])
    return answer(finding)


# --- Moves --------------------------------------------------------------------------------------------------------


def _reason_given(finding: Finding, action: str, reason: str) -> None:
    """A move that needs a reason, asked by someone who may make it, without one: 422 naming `reason`."""
    transition = flow.FLOW.find(finding.status, action)
    held = flow.roles_of(get_actor(), finding)
    if transition is not None and transition.needs_reason and transition.roles & held and not reason.strip():
        raise ValidationFailed.on("reason", f"Give a reason to {action.replace('_', ' ')} the finding.")


@blp.route(f"{FINDING}/moves", methods=["POST"])
@require_role(*EVERYONE)
@blp.doc(
    requestBody={"required": True, "content": {"application/json": {"schema": MoveSchema}}},
    responses=PART_REFUSAL,
)
@blp.response(200, FindingRecordSchema)
def move(finding_id: int) -> FindingRecord:
    """Make one move of the finding's life cycle (submit, return, issue, reject, withdraw, acknowledge,
    submit_plan, accept_plan, return_plan, mark_implemented, reject_implementation, close). 403 when the caller's
    part in the finding does not allow it; 409 when its state does not, or something still blocks it (the
    message lists what); 422 for a move that needs a reason sent without one."""
    finding = _finding(finding_id)
    data = parse_body(MoveSchema())
    _reason_given(finding, data["action"], data["reason"])
    flow.act(finding, data["action"], actor=get_actor(), reason=data["reason"])
    return answer(finding)


@blp.route(f"{FINDING}/dispute", methods=["POST"])
@require_role(Role.AUDITEE)
@blp.doc(requestBody={"required": True, "content": {"application/json": {"schema": DisputeSchema}}})
@blp.response(200, FindingRecordSchema)
def dispute(finding_id: int) -> FindingRecord:
    """The auditee disputes an issued finding, with reasons; the lead auditor decides."""
    finding = _finding(finding_id)
    data = parse_body(DisputeSchema())
    disputes.dispute(finding, reason=data["reason"], actor=get_actor())
    return answer(finding)


@blp.route(f"{FINDING}/dispute/decision", methods=["POST"])
@require_role(*WORKERS)
@blp.doc(requestBody={"required": True, "content": {"application/json": {"schema": DisputeDecisionSchema}}})
@blp.response(200, FindingRecordSchema)
def decide_dispute(finding_id: int) -> FindingRecord:
    """The lead auditor maintains the finding, or accepts the dispute with a new grade (`accept_regrade` and
    `grade`) or by withdrawing it (`accept_withdraw`); the reason is the resolution the auditee reads."""
    finding = _finding(finding_id)
    data = parse_body(DisputeDecisionSchema())
    actor, reason = get_actor(), data["reason"]
    if data["decision"] == "maintain":
        disputes.maintain(finding, reason=reason, actor=actor)
    elif data["decision"] == "accept_withdraw":
        disputes.accept(finding, reason=reason, actor=actor, withdraw=True)
    else:
        if not data.get("grade"):
            raise ValidationFailed.on("grade", "Choose the new grade to accept the dispute with.")
        disputes.accept(finding, reason=reason, actor=actor, grade=data["grade"], rationale=data["grade_rationale"])
    return answer(finding)
