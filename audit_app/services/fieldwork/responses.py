"""The working checklist: responses per clause and control, who may see and edit them, and progress."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from audit_app.errors import Conflict, NotFound, ValidationFailed
from audit_app.extensions import db
from audit_app.models import (
    Audit,
    AuditSession,
    ChecklistItem,
    ChecklistResponse,
    Evidence,
    ResponseResult,
    User,
    utcnow,
)
from audit_app.services import access, activity
from audit_app.services.access import Need
from audit_app.services.text import clean

FILTERS = ("all", "not_assessed", "nonconformities", "mine")
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
            evidence.selectinload(Evidence.recorded_by),
            evidence.selectinload(Evidence.files).selectinload(EvidenceFile.uploaded_by),
        )
        .execution_options(populate_existing=True)
    )
    return db.session.scalars(stmt).one()


@dataclass(frozen=True)
class ResponseData:
    result: ResponseResult
    notes: str = ""
    reason: str = ""
    #: The version the user's form was based on.
    expected_version: int = 0


def save_response(response: ChecklistResponse, data: ResponseData, *, actor: User) -> ChecklistResponse:
    """Record a result; refuse a save based on an outdated version so no edit is lost silently."""
    access.ensure(actor, response.audit, Need.WORK)
    if data.expected_version != response.version:
        raise EditConflict(response)
    notes = clean(data.notes, field="notes", max_length=20000, multiline=True)
    reason = clean(data.reason, field="reason", max_length=4000, multiline=True)
    if data.result.needs_reason and not reason:
        raise ValidationFailed("Give a reason.", {"reason": [f"Say why the item is {data.result.label.lower()}."]})
    if reason and not data.result.needs_reason:
        # Never dropped without a word: a reason belongs to "not applicable" and "not audited" only.
        raise ValidationFailed.on("reason", REASON_NOT_TAKEN.format(result=data.result.label))
    before = {"result": response.result.value, "notes": response.notes, "reason": response.reason}
    response.result, response.notes, response.reason = data.result, notes, reason
    response.updated_by_id, response.updated_at = actor.id, utcnow()
    after = {"result": response.result.value, "notes": response.notes, "reason": response.reason}
    changes = {k: [before[k], after[k]] for k in after if before[k] != after[k]}
    activity.record(
        actor, "checklist.response_saved", response, audit_id=response.audit_id, ref=response.item.ref, changes=changes
    )
    return response


@dataclass(frozen=True)
class Row:
    response: ChecklistResponse
    item: ChecklistItem
    group: str  # top-level clause or Annex A objective id
    evidence_count: int
    mine: bool


@dataclass
class GroupProgress:
    ref: str
    title: str
    total: int = 0
    assessed: int = 0
    nonconformities: int = 0

    @property
    def percent(self) -> int:
        return round(100 * self.assessed / self.total) if self.total else 0


@dataclass
class WorkingChecklist:
    rows: list[Row]
    groups: list[GroupProgress] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(g.total for g in self.groups)

    @property
    def assessed(self) -> int:
        return sum(g.assessed for g in self.groups)

    @property
    def percent(self) -> int:
        """The share of items assessed, in whole percent."""
        return round(100 * self.assessed / self.total) if self.total else 0

    def sections(self) -> list[tuple[GroupProgress, list[Row]]]:
        """The rows under their clause or objective, in checklist order (groups left empty are dropped)."""
        sections: list[tuple[GroupProgress, list[Row]]] = [(g, []) for g in self.groups]
        index, previous = -1, None
        for row in self.rows:
            key = (row.item.version_id, row.group)
            if key != previous:
                index += 1
                while sections[index][0].ref != row.group:
                    index += 1
                previous = key
            sections[index][1].append(row)
        return [s for s in sections if s[1]]


def _group_of(item: ChecklistItem, by_ref: dict[str, ChecklistItem]) -> ChecklistItem:
    """The top-level clause, or the Annex A objective (A.6.1/A.6.2 roll up to A.6)."""
    current = item
    while current.parent_ref and current.parent_ref in by_ref:
        current = by_ref[current.parent_ref]
    return current


def working_checklist(audit: Audit, user: User, view: str = "all") -> WorkingChecklist:
    """Every response of the audit in checklist order, with progress per clause and objective.

    A fixed number of queries whatever the number of items or evidence entries.
    """
    if view not in FILTERS:
        raise ValidationFailed("Unknown filter.", {"view": [f"Use one of: {', '.join(FILTERS)}."]})
    responses = list(
        db.session.scalars(
            sa.select(ChecklistResponse)
            .where(ChecklistResponse.audit_id == audit.id)
            .options(selectinload(ChecklistResponse.item), selectinload(ChecklistResponse.updated_by))
        )
    )
    version_ids = {r.item.version_id for r in responses}
    all_items: Iterable[ChecklistItem] = (
        db.session.scalars(sa.select(ChecklistItem).where(ChecklistItem.version_id.in_(version_ids)))
        if version_ids
        else []
    )
    by_version: dict[int, dict[str, ChecklistItem]] = {}
    for each in all_items:
        by_version.setdefault(each.version_id, {})[each.ref] = each
    evidence_counts = dict(
        db.session.execute(
            sa.select(Evidence.response_id, sa.func.count(Evidence.id))
            .where(Evidence.audit_id == audit.id)
            .group_by(Evidence.response_id)
        ).all()
    )
    my_items = set(
        db.session.scalars(
            sa.select(ChecklistItem.id)
            .join(AuditSession.items)
            .join(AuditSession.auditors)
            .where(AuditSession.audit_id == audit.id, AuditSession.removed_at.is_(None), User.id == user.id)
        )
    )
    rows: list[Row] = []
    groups: dict[tuple[int, str], GroupProgress] = {}
    for response in sorted(responses, key=lambda r: (r.item.version_id, r.item.position)):
        item = response.item
        top = _group_of(item, by_version[item.version_id])
        progress = groups.setdefault((item.version_id, top.ref), GroupProgress(top.ref, top.title))
        progress.total += 1
        progress.assessed += response.result is not ResponseResult.NOT_ASSESSED
        progress.nonconformities += response.result is ResponseResult.NONCONFORMITY
        mine = item.id in my_items or response.updated_by_id == user.id
        row = Row(response, item, top.ref, evidence_counts.get(response.id, 0), mine)
        if (
            view == "all"
            or (view == "not_assessed" and response.result is ResponseResult.NOT_ASSESSED)
            or (view == "nonconformities" and response.result is ResponseResult.NONCONFORMITY)
            or (view == "mine" and mine)
        ):
            rows.append(row)
    return WorkingChecklist(rows, list(groups.values()))


@dataclass(frozen=True)
class Neighbour:
    """The item before or after one on the working checklist (for previous / next links)."""

    response_id: int
    ref: str
    title: str


def neighbours(audit: Audit, response: ChecklistResponse) -> tuple[Neighbour | None, Neighbour | None]:
    """The items just before and after `response` in checklist order, from one narrow query."""
    rows = db.session.execute(
        sa.select(ChecklistResponse.id, ChecklistItem.ref, ChecklistItem.title)
        .join(ChecklistItem, ChecklistItem.id == ChecklistResponse.checklist_item_id)
        .where(ChecklistResponse.audit_id == audit.id)
        .order_by(ChecklistItem.version_id, ChecklistItem.position)
    ).all()
    index = next((i for i, row in enumerate(rows) if row.id == response.id), None)
    if index is None:
        return None, None
    before = Neighbour(*rows[index - 1]) if index > 0 else None
    after = Neighbour(*rows[index + 1]) if index + 1 < len(rows) else None
    return before, after
