"""Achieved coverage: what the programme's audits actually concluded on each clause and control (ISO 19011 5.7).

Planned coverage is an audit's scope; achieved coverage is its fieldwork. An item counts as achieved for an audit
once that audit recorded a result on it; an item closed as "not audited" is not covered, and keeps its reason so
the programme manager sees why. The coverage matrix (coverage.py) shows both side by side.
"""

from __future__ import annotations

from collections.abc import Iterable
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


@dataclass(frozen=True)
class Concluded:
    """Per item ref, the audits that concluded it (achieved) and those that closed it "not audited", with the
    reason; in no particular order (the matrix puts them in column order)."""

    achieved: dict[str, list[int]]
    skipped: dict[str, list[tuple[int, str]]]


def _counted_results(programme: AuditProgramme, checklist_id: int) -> tuple[sa.ColumnElement[bool], ...]:
    return (
        *counted_audits(programme),
        ChecklistVersion.checklist_id == checklist_id,
        ChecklistItem.auditable.is_(True),
    )


def concluded(programme: AuditProgramme, checklist_id: int) -> Concluded:
    """What the counted audits' fieldwork concluded on auditable items of the checklist, in two queries.

    The concluding audits come aggregated per item (one row per clause or control, not one per result: about
    12,000 results on a programme of 300 audits); the few "not audited" results come one by one with their reason.
    """
    joined = (
        sa.select()
        .select_from(ChecklistResponse)
        .join(ChecklistItem, ChecklistItem.id == ChecklistResponse.checklist_item_id)
        .join(ChecklistVersion, ChecklistVersion.id == ChecklistItem.version_id)
        .join(Audit, Audit.id == ChecklistResponse.audit_id)
        .where(*_counted_results(programme, checklist_id))
    )
    grouped = db.session.execute(
        joined.add_columns(
            ChecklistItem.ref,
            sa.func.aggregate_strings(sa.cast(ChecklistResponse.audit_id, sa.String), ","),
        )
        .where(ChecklistResponse.result.not_in([ResponseResult.NOT_ASSESSED, ResponseResult.NOT_AUDITED]))
        .group_by(ChecklistItem.ref)
    )
    achieved = {ref: [int(i) for i in ids.split(",")] for ref, ids in grouped if ids}
    skipped: dict[str, list[tuple[int, str]]] = {}
    for audit_id, ref, reason in db.session.execute(
        joined.add_columns(ChecklistResponse.audit_id, ChecklistItem.ref, ChecklistResponse.reason).where(
            ChecklistResponse.result == ResponseResult.NOT_AUDITED
        )
    ):
        skipped.setdefault(ref, []).append((audit_id, reason or ""))
    return Concluded(achieved, skipped)


def by_item(found: Iterable[Outcome]) -> Concluded:
    """The same from single outcomes (not-assessed results count as neither)."""
    achieved: dict[str, list[int]] = {}
    skipped: dict[str, list[tuple[int, str]]] = {}
    for o in found:
        if o.result is ResponseResult.NOT_AUDITED:
            skipped.setdefault(o.ref, []).append((o.audit_id, o.reason))
        elif o.result is not ResponseResult.NOT_ASSESSED:
            achieved.setdefault(o.ref, []).append(o.audit_id)
    return Concluded(achieved, skipped)
