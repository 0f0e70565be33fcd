"""The working checklist: every item of the audit with its result, evidence count and progress, in checklist order."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from audit_app.errors import ValidationFailed
from audit_app.extensions import db
from audit_app.models import (
    Audit,
    AuditSession,
    ChecklistItem,
    ChecklistResponse,
    Evidence,
    ResponsePart,
    ResponseResult,
    SubjectKind,
    User,
)
from audit_app.services.fieldwork import verdicts

FILTERS = ("all", "not_assessed", "nonconformities", "mine")


@dataclass(frozen=True)
class Row:
    response: ChecklistResponse
    item: ChecklistItem
    group: str  # top-level clause or Annex A objective id
    evidence_count: int
    mine: bool
    #: The recorded results per AI system, unit or site, with what each concerns (empty: one result for the item).
    parts: list[tuple[verdicts.Subject, ResponsePart]] = field(default_factory=list)

    @property
    def unsupported(self) -> bool:
        """A conforming result with no evidence entry (its note says how conformity was established)."""
        return self.response.result is ResponseResult.CONFORMING and self.evidence_count == 0 and not self.parts


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

    @property
    def conforming_without_evidence(self) -> int:
        """Conforming results (for an item or one of its subjects) that no evidence entry supports."""
        return self.unsupported_items + self.unsupported_parts

    #: Items whose single result is "conforming" with no evidence entry.
    unsupported_items: int = 0
    #: Results per subject that are "conforming" with no entry concerning the subject or the item as a whole.
    unsupported_parts: int = 0

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
            .options(
                selectinload(ChecklistResponse.item),
                selectinload(ChecklistResponse.updated_by),
                selectinload(ChecklistResponse.parts),
            )
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
    # Entries per item and per subject they concern (none: the item as a whole), counted by the database.
    counted = db.session.execute(
        sa.select(Evidence.response_id, Evidence.ai_system_id, Evidence.org_unit_id, sa.func.count(Evidence.id))
        .where(Evidence.audit_id == audit.id)
        .group_by(Evidence.response_id, Evidence.ai_system_id, Evidence.org_unit_id)
    ).all()
    evidence_counts: dict[int, int] = {}
    by_subject: dict[tuple[int, object], int] = {}
    for response_id, system_id, unit_id, number in counted:
        evidence_counts[response_id] = evidence_counts.get(response_id, 0) + number
        subject = (
            (SubjectKind.AI_SYSTEM, system_id)
            if system_id is not None
            else (SubjectKind.ORG_UNIT, unit_id)
            if unit_id is not None
            else None
        )
        by_subject[(response_id, subject)] = number
    subjects = {s.key: s for s in verdicts.subjects_of(audit)}
    unsupported_parts = 0
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
        parts = [(subjects[p.subject_kind, p.subject_id], p) for p in response.recorded_parts if p.key in subjects]
        unsupported_parts += sum(
            1
            for _, p in parts
            if p.result is ResponseResult.CONFORMING
            and not by_subject.get((response.id, p.key))
            and not by_subject.get((response.id, None))
        )
        row = Row(response, item, top.ref, evidence_counts.get(response.id, 0), mine, parts)
        if (
            view == "all"
            or (view == "not_assessed" and response.result is ResponseResult.NOT_ASSESSED)
            or (view == "nonconformities" and response.result is ResponseResult.NONCONFORMITY)
            or (view == "mine" and mine)
        ):
            rows.append(row)
    unsupported_items = sum(
        1
        for r in responses
        if r.result is ResponseResult.CONFORMING and not r.recorded_parts and not evidence_counts.get(r.id)
    )
    return WorkingChecklist(rows, list(groups.values()), unsupported_items, unsupported_parts)


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
