"""Achieved coverage: what the programme's audits actually concluded on each clause and control (ISO 19011 5.7).

Planned coverage is an audit's scope; achieved coverage is its fieldwork. An item counts as achieved for an audit
once that audit recorded a result on it; an item closed as "not audited" is not covered, and keeps its reason so
the programme manager sees why. The coverage matrix (coverage.py) shows both side by side.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import sqlalchemy as sa

from audit_app.extensions import db
from audit_app.models import (
    Audit,
    AuditProgramme,
    AuditStatus,
    ChecklistItem,
    ChecklistResponse,
    ChecklistVersion,
    ResponseResult,
)


@dataclass(frozen=True)
class Outcome:
    """What one audit's fieldwork concluded on one item: a result (achieved) or "not audited" with its reason."""

    audit_id: int
    ref: str
    result: ResponseResult
    reason: str = ""


def counted_audits(programme: AuditProgramme) -> tuple[sa.ColumnElement[bool], ...]:
    """The filter for the audits a programme's coverage counts: its own, cancelled ones aside."""
    return (Audit.programme_id == programme.id, Audit.status != AuditStatus.CANCELLED)


def outcomes(programme: AuditProgramme, checklist_id: int) -> list[Outcome]:
    """What the counted audits' fieldwork concluded on auditable items of the checklist, in one query."""
    # The result is read as its stored text and looked up once per value: the enum type's per-row conversion
    # was most of the cost on a large programme (12,000 results).
    rows = db.session.execute(
        sa.select(
            ChecklistResponse.audit_id,
            ChecklistItem.ref,
            sa.type_coerce(ChecklistResponse.result, sa.String),
            ChecklistResponse.reason,
        )
        .join(ChecklistItem, ChecklistItem.id == ChecklistResponse.checklist_item_id)
        .join(ChecklistVersion, ChecklistVersion.id == ChecklistItem.version_id)
        .join(Audit, Audit.id == ChecklistResponse.audit_id)
        .where(
            *counted_audits(programme),
            ChecklistVersion.checklist_id == checklist_id,
            ChecklistItem.auditable.is_(True),
            ChecklistResponse.result != ResponseResult.NOT_ASSESSED,
        )
    )
    result_of = {r.value: r for r in ResponseResult}
    return [Outcome(audit_id, ref, result_of[result], reason or "") for audit_id, ref, result, reason in rows]


def by_item(
    found: Iterable[Outcome], order: Mapping[int, int]
) -> tuple[dict[str, list[int]], dict[str, list[tuple[int, str]]]]:
    """Per item ref, the audits that concluded it (achieved), and those that closed it "not audited" with the
    reason; each list in audit `order` (audit id -> column), audits outside it last. Not-assessed results count
    as neither."""
    achieved: dict[str, list[int]] = {}
    skipped: dict[str, list[tuple[int, str]]] = {}
    for o in sorted(found, key=lambda o: order.get(o.audit_id, len(order))):
        if o.result is ResponseResult.NOT_AUDITED:
            skipped.setdefault(o.ref, []).append((o.audit_id, o.reason))
        elif o.result is not ResponseResult.NOT_ASSESSED:
            achieved.setdefault(o.ref, []).append(o.audit_id)
    return achieved, skipped
