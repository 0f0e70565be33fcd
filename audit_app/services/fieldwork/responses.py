"""The working checklist: responses per clause and control, who may see and edit them, and progress."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from audit_app.errors import Conflict, NotFound, ValidationFailed
from audit_app.extensions import db
from audit_app.models import (
    Audit,
    ChecklistItem,
    ChecklistResponse,
    Evidence,
    ResponsePart,
    ResponseResult,
    SubjectKind,
    User,
    utcnow,
)
from audit_app.models.fieldwork import derive_result
from audit_app.services import access, activity
from audit_app.services.access import Need
from audit_app.services.fieldwork import verdicts
from audit_app.services.text import clean

#: The refusal of a reason sent with a result that takes none (the web form and the API say the same).
REASON_NOT_TAKEN = (
    "A result of “{result}” takes no reason: only “Not applicable” and “Not audited” do. "
    "Clear the reason, or put the text in the notes."
)


class EditConflict(Conflict):
    """Someone saved the item after this form was opened; `current` holds their version."""

    def __init__(self, current: ChecklistResponse) -> None:
        who = current.updated_by.name if current.updated_by else "another user"
        super().__init__(
            f"{who} changed {current.item.ref} at {current.updated_at:%H:%M:%S} UTC while you were editing. "
            "Your text is kept below: compare it with their version, then save again."
        )
        self.current = current


def materialise_responses(audit: Audit) -> int:
    """Create a not-yet-assessed response for every in-scope item that has none; return how many."""
    existing = set(
        db.session.scalars(sa.select(ChecklistResponse.checklist_item_id).where(ChecklistResponse.audit_id == audit.id))
    )
    new = [
        ChecklistResponse(audit_id=audit.id, checklist_item_id=item.id)
        for item in audit.scope_items
        if item.id not in existing
    ]
    db.session.add_all(new)
    return len(new)


def get_response(audit: Audit, response_id: int) -> ChecklistResponse:
    response = db.session.get(ChecklistResponse, response_id)
    if response is None or response.audit_id != audit.id:
        raise NotFound("That checklist item is not part of this audit.")
    return response


def load_for_page(response: ChecklistResponse) -> ChecklistResponse:
    """Load a response with its evidence, files and people in a fixed number of queries."""
    from audit_app.models import EvidenceFile

    evidence = selectinload(ChecklistResponse.evidence)
    stmt = (
        sa.select(ChecklistResponse)
        .where(ChecklistResponse.id == response.id)
        .options(
            selectinload(ChecklistResponse.item),
            selectinload(ChecklistResponse.updated_by),
            selectinload(ChecklistResponse.parts).selectinload(ResponsePart.updated_by),
            evidence.selectinload(Evidence.recorded_by),
            evidence.selectinload(Evidence.ai_system),
            evidence.selectinload(Evidence.org_unit),
            evidence.selectinload(Evidence.files).selectinload(EvidenceFile.uploaded_by),
        )
        .execution_options(populate_existing=True)
    )
    return db.session.scalars(stmt).one()


@dataclass(frozen=True)
class PartData:
    """The result of an item for one in-scope AI system, unit or site (NOT_ASSESSED: none recorded for it)."""

    subject_kind: SubjectKind
    subject_id: int
    result: ResponseResult
    statement: str = ""


@dataclass(frozen=True)
class ResponseData:
    #: The item's result; None when it is derived from the results per subject.
    result: ResponseResult | None
    notes: str = ""
    reason: str = ""
    #: The version the user's form was based on.
    expected_version: int = 0
    #: Results per subject to record; None (or a subject left out) keeps what is recorded.
    parts: tuple[PartData, ...] | None = None


def _merge(target: dict[str, list[str]], found: dict[str, list[str]], prefix: str = "", **renames: str) -> None:
    """Add `found` to `target`, under `prefix` and with fields renamed (the item's statement is its notes)."""
    for name, messages in found.items():
        key = prefix + renames.get(name, name)
        target.setdefault(key, []).extend(m for m in messages if m not in target.get(key, []))


def _planned_parts(
    response: ChecklistResponse, parts: tuple[PartData, ...], errors: dict[str, list[str]]
) -> dict[tuple[SubjectKind, int], tuple[ResponseResult, str]]:
    """The results per subject once `parts` are applied, checked against the scope and the verdict rules."""
    subjects = {s.key for s in verdicts.subjects_of(response.audit)}
    planned = {(p.subject_kind, p.subject_id): (p.result, p.statement) for p in response.parts}
    for index, part in enumerate(parts):
        key = (part.subject_kind, part.subject_id)
        prefix = f"parts.{index}."
        if key not in subjects:
            errors[prefix + "subject"] = ["That AI system, unit or site is not in the audit's scope."]
            continue
        statement = clean(part.statement, field=prefix + "statement", max_length=20000, multiline=True)
        if part.result is not ResponseResult.NOT_ASSESSED:
            found = verdicts.refusals(
                response.item, part.result, statement, statement, verdicts.evidence_for(response.evidence, key)
            )
            _merge(errors, found, prefix, reason="statement")
        planned[key] = (part.result, statement)
    return planned


def _decide(response: ChecklistResponse, data: ResponseData, notes: str, reason: str) -> tuple[ResponseResult, dict]:
    """The result to store (given or derived) and the results per subject, or ValidationFailed naming every field."""
    errors: dict[str, list[str]] = {}
    planned = _planned_parts(response, data.parts or (), errors)
    recorded = [result for result, _ in planned.values() if result is not ResponseResult.NOT_ASSESSED]
    if recorded:
        result = derive_result(recorded)
        if data.result is not None and data.result is not result:
            errors.setdefault("result", []).append(
                f"The item's result is derived from its results per AI system, unit or site: {result.label}. "
                "Change those results, or set them all back to “Not yet assessed” to record one result."
            )
        if reason:
            errors["reason"] = ["With results per AI system, unit or site, each one's statement holds its reason."]
    elif data.result is None:
        result = ResponseResult.NOT_ASSESSED
        errors["result"] = ["Choose a result, or record results per AI system, unit or site."]
    else:
        result = data.result
        if reason and not result.needs_reason:
            # Never dropped without a word: a reason belongs to "not applicable" and "not audited" only.
            errors["reason"] = [REASON_NOT_TAKEN.format(result=result.label)]
        _merge(
            errors, verdicts.refusals(response.item, result, notes, reason, len(response.evidence)), statement="notes"
        )
    if errors:
        messages = [m for msgs in errors.values() for m in msgs]
        summary = messages[0] if len(messages) == 1 else "The result was not saved: see the messages by each field."
        raise ValidationFailed(summary, errors)
    return result, planned


def save_response(response: ChecklistResponse, data: ResponseData, *, actor: User) -> ChecklistResponse:
    """Record a result (and results per subject); refuse a save based on an outdated version so no edit is lost.

    The verdict rules (services/fieldwork/verdicts.py) apply to the item's result and to each subject's.
    """
    access.ensure(actor, response.audit, Need.WORK)
    if data.expected_version != response.version:
        raise EditConflict(response)
    notes = clean(data.notes, field="notes", max_length=20000, multiline=True)
    reason = clean(data.reason, field="reason", max_length=4000, multiline=True)
    result, planned = _decide(response, data, notes, reason)
    names = {s.key: s.title for s in verdicts.subjects_of(response.audit)}
    before = {"result": response.result.value, "notes": response.notes, "reason": response.reason}
    response.result, response.notes, response.reason = result, notes, reason
    response.updated_by_id, response.updated_at = actor.id, utcnow()
    after = {"result": response.result.value, "notes": response.notes, "reason": response.reason}
    changes: dict[str, object] = {k: [before[k], after[k]] for k in after if before[k] != after[k]}
    existing = {(p.subject_kind, p.subject_id): p for p in response.parts}
    part_changes = {}
    for key, (part_result, statement) in planned.items():
        part = existing.get(key)
        if part is None:
            if part_result is ResponseResult.NOT_ASSESSED and not statement:
                continue
            part = ResponsePart(subject_kind=key[0], subject_id=key[1], statement="")
            part.result = ResponseResult.NOT_ASSESSED
            response.parts.append(part)
        was = {"result": part.result.value, "statement": part.statement}
        if (part.result, part.statement) != (part_result, statement):
            part.result, part.statement = part_result, statement
            part.updated_by_id, part.updated_at = actor.id, utcnow()
            now = {"result": part.result.value, "statement": part.statement}
            part_changes[names.get(key, f"{key[0].value} {key[1]}")] = {
                k: [was[k], now[k]] for k in now if was[k] != now[k]
            }
    if part_changes:
        changes["parts"] = part_changes
    activity.record(
        actor, "checklist.response_saved", response, audit_id=response.audit_id, ref=response.item.ref, changes=changes
    )
    return response


def unconcluded_items(audit: Audit) -> list[ChecklistItem]:
    """The audit's items that are not yet concluded, in checklist order (for the gate into reporting).

    An item is concluded when it has a result, and a "not audited" or "not applicable" result states its reason
    (on the item, or on each of its results per AI system, unit or site). Narrow queries, whatever the size.
    """
    rows = db.session.execute(
        sa.select(ChecklistResponse.id, ChecklistResponse.result, ChecklistResponse.reason, ChecklistItem)
        .join(ChecklistItem, ChecklistItem.id == ChecklistResponse.checklist_item_id)
        .where(ChecklistResponse.audit_id == audit.id, ChecklistItem.auditable.is_(True))
        .order_by(ChecklistItem.version_id, ChecklistItem.position)
    ).all()
    unstated = set(
        db.session.scalars(
            sa.select(ResponsePart.response_id)
            .join(ChecklistResponse, ChecklistResponse.id == ResponsePart.response_id)
            .where(
                ChecklistResponse.audit_id == audit.id,
                ResponsePart.result.in_([ResponseResult.NOT_AUDITED, ResponseResult.NOT_APPLICABLE]),
                ResponsePart.statement == "",
            )
        )
    )
    with_parts = set(
        db.session.scalars(
            sa.select(ResponsePart.response_id)
            .join(ChecklistResponse, ChecklistResponse.id == ResponsePart.response_id)
            .where(ChecklistResponse.audit_id == audit.id, ResponsePart.result != ResponseResult.NOT_ASSESSED)
        )
    )
    missing = []
    for response_id, result, reason, item in rows:
        if (
            result is ResponseResult.NOT_ASSESSED
            or response_id in unstated
            or (result.needs_reason and not reason and response_id not in with_parts)
        ):
            missing.append(item)
    return missing
