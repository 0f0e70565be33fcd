"""Recording what each sampled item showed: one result per attribute (A1, A2, …), one row or a whole grid at once.

An item's overall result is derived from its attributes. An item that cannot be examined counts as a deviation; only
an item the auditor records as void or outside the population is replaced, by the next unit of the same seeded
stream (logged). A grid of rows is saved all or nothing: when any row is refused nothing is stored and every refused
row is named, so the page can show every typed value again.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import attributes

from audit_app.errors import Conflict, DomainError, ValidationFailed
from audit_app.extensions import db
from audit_app.models import Evidence, Sample, SampleItem, SampleItemResult, SampleMethod, SampleStatus, User, utcnow
from audit_app.services import access, activity
from audit_app.services.access import Need
from audit_app.services.sampling import selection as sel
from audit_app.services.sampling.populations import load_population
from audit_app.services.text import clean

R = SampleItemResult
#: What one attribute of an item can show (void is said of the whole item).
ATTRIBUTE_RESULTS = (R.PENDING, R.CONFORMING, R.DEVIATION, R.NOT_TESTABLE)


@dataclass(frozen=True)
class RowData:
    """One item's row: a result per attribute code (missing: not yet), or void; a note and an evidence entry."""

    item_id: int
    results: dict[str, SampleItemResult] = field(default_factory=dict)
    void: bool = False
    note: str = ""
    evidence_id: int | None = None


@dataclass(frozen=True)
class Saved:
    """What a save stored: the items changed and the replacements drawn for void ones."""

    items: list[SampleItem]
    replacements: list[SampleItem]


def codes(sample: Sample) -> list[str]:
    return [a["code"] for a in sample.attribute_list]


def stored_results(item: SampleItem, attribute_codes: Sequence[str]) -> dict[str, SampleItemResult]:
    """The item's result per attribute as stored (an item recorded before attributes: its one result for each)."""
    if item.attribute_results:
        return {c: R(item.attribute_results[c]) for c in attribute_codes if c in item.attribute_results}
    if item.result in (R.PENDING, R.VOID):
        return {}
    return dict.fromkeys(attribute_codes, item.result)


def derive(results: Mapping[str, SampleItemResult], attribute_codes: Sequence[str], void: bool) -> SampleItemResult:
    """Void; else pending while any attribute is; else cannot be examined; else deviation if any; else conforming."""
    if void:
        return R.VOID
    values = [results.get(c, R.PENDING) for c in attribute_codes]
    for outcome in (R.PENDING, R.NOT_TESTABLE, R.DEVIATION):
        if outcome in values:
            return outcome
    return R.CONFORMING


def _hold_for_results(sample: Sample) -> None:
    """Take the sample for recording a result: refused unless it is drawn and not evaluated, in the database now.

    A compare-and-set on the sample row: results of one sample are recorded one after the other (PostgreSQL locks
    the row, SQLite's write lock is taken here), so what is read next (replacements drawn, the next draw order, the
    units used) includes every result committed before, and an evaluation committed meanwhile refuses this one.
    """
    table = cast(sa.Table, Sample.__table__)
    now = utcnow()
    result = db.session.execute(
        sa.update(table).where(table.c.id == sample.id, table.c.status == SampleStatus.SELECTED).values(updated_at=now)
    )
    if cast("CursorResult[Any]", result).rowcount != 1:
        raise Conflict("Results are recorded after the draw and before the evaluation.")
    attributes.set_committed_value(sample, "updated_at", now)


def _replace(sample: Sample, item: SampleItem, actor: User) -> SampleItem | None:
    if sample.method is None or not sample.method.statistical:
        return None  # judgemental or whole population: no statistical replacement; the note explains
    population = load_population(sample)
    rows = db.session.execute(  # read now, under the hold: includes replacements committed a moment ago
        sa.select(SampleItem.population_index, SampleItem.draw_order, SampleItem.replaces_id).where(
            SampleItem.sample_id == sample.id
        )
    ).all()
    drawn = sorted((order, index) for index, order, replaces in rows if replaces is None)
    selection = sel.Selection(
        sample.method.value, sample.seed, tuple(index for _, index in drawn), sample.selection_params, {}
    )
    index = sel.next_replacement(
        population,
        selection,
        {index for index, _, _ in rows},
        item.stratum if sample.method is SampleMethod.STRATIFIED else None,
    )
    if index is None:
        return None
    unit = population.units[index]
    replacement = SampleItem(
        sample_id=sample.id,
        draw_order=max(order for _, order, _ in rows) + 1,
        population_index=index,
        key=unit.key,
        label=unit.label,
        stratum=unit.stratum,
        replaces_id=item.id,
    )
    db.session.add(replacement)
    db.session.expire(sample, ["items"])  # read again with the replacement when next used
    activity.record(
        actor, "sample.replacement_drawn", sample, replaced=item.key, replacement=unit.key, reason=item.note
    )
    return replacement


@dataclass(frozen=True)
class _Checked:
    item: SampleItem
    result: SampleItemResult
    results: dict[str, str]
    note: str
    evidence_id: int | None


def _check(sample: Sample, item: SampleItem, row: RowData, attribute_codes: Sequence[str]) -> _Checked:
    """A row's values checked against the rules (raises ValidationFailed or Conflict); nothing is changed."""
    if db.session.scalar(sa.select(sa.exists().where(SampleItem.replaces_id == item.id))):
        raise Conflict(f"{item.key} was replaced; record the result on its replacement.")
    unknown = sorted(set(row.results) - set(attribute_codes))
    if unknown:
        raise ValidationFailed.on(
            "results", f"This sample tests {', '.join(attribute_codes)}, not {', '.join(unknown)}."
        )
    if any(value not in ATTRIBUTE_RESULTS for value in row.results.values()):
        raise ValidationFailed.on(
            "results", "An attribute is conforming, a deviation or cannot be examined; void is said of the item."
        )
    note = clean(row.note, field="note", max_length=4000, multiline=True)
    results = {c: v for c, v in row.results.items() if v is not R.PENDING}
    overall = derive(results, attribute_codes, row.void)
    if overall is R.VOID and not note:
        raise ValidationFailed.on(
            "note", "Say why the item is void or outside the population (it is replaced from the seeded stream)."
        )
    if overall is R.NOT_TESTABLE and not note:
        raise ValidationFailed.on(
            "note", "Say why the item cannot be examined (it counts as a deviation unless it is void)."
        )
    if row.evidence_id is not None:
        evidence = db.session.get(Evidence, row.evidence_id) if 0 < row.evidence_id <= access.MAX_ID else None
        if evidence is None or evidence.audit_id != sample.audit_id:
            raise ValidationFailed.on("evidence_id", "Choose evidence recorded in this audit.")
    stored = {} if overall is R.VOID else {c: v.value for c, v in results.items()}
    return _Checked(item, overall, stored, note, row.evidence_id)


def _unchanged(checked: _Checked, attribute_codes: Sequence[str]) -> bool:
    item = checked.item
    before = {c: v.value for c, v in stored_results(item, attribute_codes).items()}
    return (
        checked.result is item.result
        and checked.results == before
        and checked.note == item.note
        and checked.evidence_id == item.evidence_id
    )


def _store(sample: Sample, checked: _Checked, actor: User) -> SampleItem | None:
    item = checked.item
    item.result, item.attribute_results = checked.result, checked.results
    item.note, item.evidence_id = checked.note, checked.evidence_id
    item.tested_by_id, item.tested_at = actor.id, utcnow()
    activity.record(  # flushes: the item's version is checked here
        actor, "sample.item_result", sample, item=item.key, result=item.result.value, attributes=checked.results
    )
    return _replace(sample, item, actor) if item.result is R.VOID else None


def _open_for_results(sample: Sample, actor: User) -> None:
    access.ensure(actor, sample.audit, Need.WORK)
    if sample.status is not SampleStatus.SELECTED:
        raise Conflict("Results are recorded after the draw and before the evaluation.")
    _hold_for_results(sample)


def record_result(
    item: SampleItem,
    result: SampleItemResult | None,
    *,
    actor: User,
    note: str = "",
    evidence_id: int | None = None,
    attribute_results: dict[str, SampleItemResult] | None = None,
) -> SampleItem | None:
    """Record one item: `result` for every attribute (void: the whole item), or a result per attribute.

    A void item gets a replacement from the same seeded stream (logged), returned. Two saves of one item at once
    keep the first (the item's version changed: the second is refused as changed meanwhile), so a void item is
    replaced exactly once.
    """
    sample = item.sample
    _open_for_results(sample, actor)
    attribute_codes = codes(sample)
    if attribute_results is None:
        if result is None or result is R.PENDING:
            raise ValidationFailed.on("result", "Give the item's result, or a result per attribute.")
        attribute_results = {} if result is R.VOID else dict.fromkeys(attribute_codes, result)
    row = RowData(item.id, attribute_results, result is R.VOID, note, evidence_id)
    return _store(sample, _check(sample, item, row, attribute_codes), actor)


def record_results(sample: Sample, rows: Sequence[RowData], *, actor: User) -> Saved:
    """Save a grid of rows at once, all or nothing: every row is checked first; if any is refused, nothing is
    stored and the refusal names each refused row (errors under "item-<id>"). Unchanged rows are left alone."""
    _open_for_results(sample, actor)
    attribute_codes = codes(sample)
    wanted = [row.item_id for row in rows]
    items = {
        i.id: i
        for i in db.session.scalars(
            sa.select(SampleItem).where(SampleItem.sample_id == sample.id, SampleItem.id.in_(wanted))
        )
    }
    checked: list[_Checked] = []
    errors: dict[str, list[str]] = {}
    refused: list[str] = []
    for row in rows:
        item = items.get(row.item_id)
        if item is None:
            errors[f"item-{row.item_id}"] = ["That item is not part of this sample."]
            refused.append(f"#{row.item_id}")
            continue
        try:
            checked.append(_check(sample, item, row, attribute_codes))
        except ValidationFailed as exc:
            errors[f"item-{item.id}"] = [m for messages in exc.errors.values() for m in messages] or [str(exc)]
            refused.append(f"{item.draw_order} ({item.key})")
        except DomainError as exc:
            errors[f"item-{item.id}"] = [str(exc)]
            refused.append(f"{item.draw_order} ({item.key})")
    if errors:
        rows_named = ", ".join(refused[:20]) + (f" and {len(refused) - 20} more" if len(refused) > 20 else "")
        raise ValidationFailed(
            f"Nothing was saved: {len(refused)} row{'s' if len(refused) != 1 else ''} refused (row {rows_named}). "
            "Every value you typed is still in the grid: correct the rows marked and save all again.",
            errors,
        )
    saved: list[SampleItem] = []
    replacements: list[SampleItem] = []
    for entry in checked:
        if _unchanged(entry, attribute_codes):
            continue
        saved.append(entry.item)
        if (replacement := _store(sample, entry, actor)) is not None:
            replacements.append(replacement)
    return Saved(saved, replacements)
