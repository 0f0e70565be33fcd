"""The auditee's answer and the corrective-action loop (ISO/IEC 42001 10.2; DOMAIN 2.9 and 4.2).

The process owner writes the plan of the current cycle (correction, root-cause analysis with its method, extent
check) and its actions (owner, due date) while the finding is acknowledged or reopened, then submits it (the
transition table checks it is complete). Once the plan is accepted, each action owner records the
implementation with evidence (a note and files). An auditor independent of the action owners verifies the
implementation and then reviews effectiveness: effective closes it, not effective opens a new cycle.
Observations and OFIs are only considered (action taken, or declined with a reason).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, timedelta
from typing import IO, cast

from audit_app.errors import Conflict, NotAllowed, NotFound, ValidationFailed
from audit_app.extensions import db
from audit_app.models import (
    ActionStatus,
    CapaFile,
    CapaFileDownload,
    CapaPlan,
    Consideration,
    CorrectiveAction,
    FilePurpose,
    Finding,
    FindingStatus,
    RcaMethod,
    User,
    utcnow,
)
from audit_app.services import activity, storage
from audit_app.services.fieldwork.evidence import check_upload
from audit_app.services.findings import dues, flow, history
from audit_app.services.findings.policy import FindingParty, can_see, parties
from audit_app.services.text import clean

S = FindingStatus
#: States in which the plan and its actions are written.
PLANNING = (S.ACKNOWLEDGED, S.REOPENED)
PLAN_FIELDS = ("correction", "rca_method", "rca_analysis", "root_cause", "extent_check")
ACTION_FIELDS = ("description", "owner_id", "due_on")
#: The furthest an action may be planned ahead.
LONGEST_PLAN = timedelta(days=3 * 365)


@dataclass
class PlanInput:
    correction: str = ""
    rca_method: RcaMethod | None = None
    rca_analysis: str = ""
    root_cause: str = ""
    extent_check: str = ""


@dataclass
class ActionInput:
    description: str
    owner_id: int | None
    due_on: date


def _ensure_owner(finding: Finding, actor: User, doing: str) -> None:
    if FindingParty.OWNER not in parties(actor, finding):
        raise NotAllowed(f"Only the auditee unit's people or the process owner {doing}.")


def _ensure_planning(finding: Finding) -> None:
    if finding.status not in PLANNING:
        raise Conflict(
            f"The plan is written while the finding is acknowledged or reopened; it is {finding.status.label.lower()}."
        )


# --- the plan -----------------------------------------------------------------------------------------------------


def current_plan(finding: Finding) -> CapaPlan | None:
    return flow.current_plan(finding)


def save_plan(finding: Finding, data: PlanInput, *, actor: User) -> CapaPlan:
    """Write (or rewrite) the current cycle's correction, root-cause analysis and extent check."""
    _ensure_owner(finding, actor, "write the corrective-action plan")
    _ensure_planning(finding)
    errors: dict[str, list[str]] = {}
    texts = {}
    for name in ("correction", "rca_analysis", "root_cause", "extent_check"):
        try:
            texts[name] = clean(getattr(data, name), field=name, max_length=16000, multiline=True)
        except ValidationFailed as exc:
            for key, messages in exc.errors.items():
                errors.setdefault(key, []).extend(messages)
    if errors:
        raise ValidationFailed("The plan was not saved: correct the fields marked.", errors)
    plan = current_plan(finding)
    if plan is None:
        plan = CapaPlan(finding_id=finding.id, cycle=finding.cycle)
        finding.plans.append(plan)
        db.session.add(plan)
    before = {name: getattr(plan, name) for name in PLAN_FIELDS}
    for name, value in texts.items():
        setattr(plan, name, value)
    plan.rca_method = data.rca_method
    db.session.flush()
    history.changes(finding.id, before, {name: getattr(plan, name) for name in PLAN_FIELDS}, actor=actor, event="plan")
    return plan


# --- actions ------------------------------------------------------------------------------------------------------


def _action_values(data: ActionInput) -> tuple[str, User, date]:
    errors: dict[str, list[str]] = {}
    description = ""
    try:
        description = clean(data.description, field="description", max_length=4000, required=True, multiline=True)
    except ValidationFailed as exc:
        errors.update(exc.errors)
    owner = db.session.get(User, data.owner_id) if data.owner_id and 0 < data.owner_id < 2**31 else None
    if owner is None or not owner.active:
        errors["owner_id"] = ["Choose an active account as the action owner."]
    today = dues.today()
    if data.due_on < today:
        errors["due_on"] = ["The due date cannot be in the past."]
    elif data.due_on > today + LONGEST_PLAN:
        errors["due_on"] = ["Plan the action within three years."]
    if errors:
        raise ValidationFailed("The action was not saved: correct the fields marked.", errors)
    return description, cast(User, owner), data.due_on


def add_action(finding: Finding, data: ActionInput, *, actor: User) -> CorrectiveAction:
    _ensure_owner(finding, actor, "plan corrective actions")
    _ensure_planning(finding)
    description, owner, due_on = _action_values(data)
    action = CorrectiveAction(
        finding_id=finding.id,
        cycle=finding.cycle,
        description=description,
        owner_id=owner.id,
        owner=owner,
        due_on=due_on,
        created_by_id=actor.id,
    )
    finding.actions.append(action)
    db.session.add(action)
    db.session.flush()
    history.changes(
        finding.id,
        {},
        {name: getattr(action, name) for name in ACTION_FIELDS},
        actor=actor,
        event="action",
        action_id=action.id,
    )
    return action


def get_action(finding: Finding, action_id: int) -> CorrectiveAction:
    action = next((a for a in finding.actions if a.id == action_id), None)
    if action is None:
        raise NotFound("That action is not part of this finding.")
    return action


def edit_action(action: CorrectiveAction, data: ActionInput, *, actor: User) -> CorrectiveAction:
    finding = action.finding
    _ensure_owner(finding, actor, "change corrective actions")
    _ensure_planning(finding)
    if action.cycle != finding.cycle or action.status is not ActionStatus.PLANNED:
        raise Conflict("Only planned actions of the current cycle are changed.")
    before = {name: getattr(action, name) for name in ACTION_FIELDS}
    action.description, owner, action.due_on = _action_values(data)
    action.owner_id, action.owner = owner.id, owner
    history.changes(
        finding.id,
        before,
        {name: getattr(action, name) for name in ACTION_FIELDS},
        actor=actor,
        event="action",
        action_id=action.id,
    )
    return action


def cancel_action(action: CorrectiveAction, *, reason: str, actor: User) -> CorrectiveAction:
    """Drop an action from a plan not yet accepted (kept, marked cancelled, with the reason)."""
    finding = action.finding
    _ensure_owner(finding, actor, "change corrective actions")
    _ensure_planning(finding)
    reason = clean(reason, field="reason", max_length=2000, required=True, multiline=True)
    if action.cycle != finding.cycle or action.status is not ActionStatus.PLANNED:
        raise Conflict("Only planned actions of the current cycle are cancelled.")
    old = action.status
    action.status = ActionStatus.CANCELLED
    history.add(
        finding.id,
        "action",
        actor=actor,
        field="status",
        old=old,
        new=action.status,
        reason=reason,
        action_id=action.id,
    )
    return action


def record_implementation(
    action: CorrectiveAction, *, note: str, actor: User, files: list[tuple[str, bytes]] | None = None
) -> CorrectiveAction:
    """The action owner (or the process owner) records what was done, with evidence: a note, files, or both."""
    finding = action.finding
    held = parties(actor, finding)
    if action.owner_id != actor.id and FindingParty.OWNER not in held:
        raise NotAllowed("Only the action's owner or the auditee unit records its implementation.")
    if finding.status is not S.PLAN_ACCEPTED:
        raise Conflict(
            f"Implementation is recorded once the plan is accepted; the finding is {finding.status.label.lower()}."
        )
    if action.cycle != finding.cycle or action.status is ActionStatus.CANCELLED:
        raise Conflict("That action is not part of the current plan.")
    note = clean(note, field="note", max_length=8000, multiline=True)
    checked = [(check_upload(name, content), content) for name, content in files or []]
    if not note and not checked and not action.files:
        raise ValidationFailed.on("note", "Say what was done and where the evidence is, or attach a file.")
    before = {"status": action.status, "implementation_note": action.implementation_note}
    action.status = ActionStatus.IMPLEMENTED
    action.implementation_note = note or action.implementation_note
    action.implemented_by_id = actor.id
    action.implemented_at = utcnow()
    for (display, mime), content in checked:
        _store(finding, action, FilePurpose.IMPLEMENTATION, display, mime, content, actor)
    history.changes(
        finding.id,
        before,
        {"status": action.status, "implementation_note": action.implementation_note},
        actor=actor,
        event="action",
        action_id=action.id,
    )
    return action


# --- files --------------------------------------------------------------------------------------------------------


def files() -> storage.Storage:
    return storage.area("capa")


def _store(
    finding: Finding,
    action: CorrectiveAction | None,
    purpose: FilePurpose,
    display: str,
    mime: str,
    content: bytes,
    actor: User,
) -> CapaFile:
    record = CapaFile(
        finding_id=finding.id,
        action_id=action.id if action else None,
        purpose=purpose,
        name=display,
        stored_name=files().put(content),
        content_type=mime,
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        uploaded_by_id=actor.id,
    )
    if action is not None:
        action.files.append(record)
    db.session.add(record)
    db.session.flush()
    history.add(
        finding.id,
        "file",
        actor=actor,
        field=purpose.value,
        new=f"{display} (sha256 {record.sha256[:12]})",
        action_id=record.action_id,
    )
    return record


def add_file(
    finding: Finding,
    name: str,
    content: bytes,
    *,
    purpose: FilePurpose,
    actor: User,
    action: CorrectiveAction | None = None,
) -> CapaFile:
    """Attach a correction, implementation or effectiveness file (auditee side or verifier side)."""
    held = parties(actor, finding)
    if purpose is FilePurpose.EFFECTIVENESS:
        if not held & {FindingParty.RAISER, FindingParty.REVIEWER}:
            raise NotAllowed("Only the audit's auditors attach effectiveness evidence.")
    elif not held & {FindingParty.OWNER, FindingParty.ACTION_OWNER}:
        raise NotAllowed("Only the auditee unit and the action owners attach correction and implementation evidence.")
    if finding.is_final:
        raise Conflict("The finding is closed; nothing more is attached.")
    display, mime = check_upload(name, content)
    return _store(finding, action, purpose, display, mime, content, actor)


def open_file(record: CapaFile, *, actor: User) -> IO[bytes]:
    """Authorize (whoever may see the finding) and log a download; return the stored file."""
    finding = db.session.get(Finding, record.finding_id)
    if finding is None or not can_see(actor, finding):
        raise NotFound("That file does not exist.")
    try:
        handle = files().open(record.stored_name)
    except FileNotFoundError as exc:
        raise NotFound("The stored file is missing; tell your administrator.") from exc
    db.session.add(CapaFileDownload(file_id=record.id, user_id=actor.id))
    return handle


# --- verification -------------------------------------------------------------------------------------------------


def verify_implementation(finding: Finding, *, note: str, actor: User) -> Finding:
    """Record what was checked, then move to "implementation verified" (by an independent auditor)."""
    flow.check_independence(actor, finding, "verify_implementation")
    note = clean(note, field="note", max_length=8000, required=True, multiline=True)
    if finding.status is not S.IMPLEMENTED:
        raise Conflict(
            f"Implementation is verified once it is recorded; the finding is {finding.status.label.lower()}."
        )
    before = finding.implementation_verification
    finding.implementation_verification = note
    flow.act(finding, "verify_implementation", actor=actor)
    history.add(finding.id, "verification", actor=actor, field="implementation_verification", old=before, new=note)
    return finding


def review_effectiveness(
    finding: Finding, *, effective: bool, review: str, evidence: str = "", actor: User, reason: str = ""
) -> Finding:
    """Close it effective (a major needs effectiveness evidence), or reopen it for a new cycle (with a reason)."""
    flow.check_independence(actor, finding, "close_effective")
    review = clean(review, field="review", max_length=8000, required=True, multiline=True)
    evidence = clean(evidence, field="evidence", max_length=8000, multiline=True)
    if finding.status is not S.VERIFIED:
        state = finding.status.label.lower()
        raise Conflict(f"Effectiveness is reviewed once the implementation is verified; the finding is {state}.")
    before = history.snapshot(finding, ("effectiveness_review", "effectiveness_evidence"))
    finding.effectiveness_review = review
    finding.effectiveness_evidence = evidence
    if effective:
        flow.act(finding, "close_effective", actor=actor)
    else:
        flow.act(finding, "not_effective", actor=actor, reason=reason or review)
    history.changes(
        finding.id,
        before,
        history.snapshot(finding, ("effectiveness_review", "effectiveness_evidence")),
        actor=actor,
        event="effectiveness",
    )
    return finding


# --- observations and OFIs ----------------------------------------------------------------------------------------


def consider(finding: Finding, *, outcome: Consideration, note: str, actor: User) -> Finding:
    """The auditee says what they did with an observation or OFI (a reason when declined)."""
    _ensure_owner(finding, actor, "answer an observation or opportunity for improvement")
    note = clean(note, field="note", max_length=8000, required=True, multiline=True)
    before = history.snapshot(finding, ("consideration", "consideration_note"))
    finding.consideration = outcome
    finding.consideration_note = note
    flow.act(finding, "consider", actor=actor)
    history.changes(
        finding.id,
        before,
        history.snapshot(finding, ("consideration", "consideration_note")),
        actor=actor,
        event="considered",
    )
    activity.record(actor, "finding.considered", finding, outcome=outcome.value)
    return finding
