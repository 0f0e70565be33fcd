"""Samples of an audit: population snapshot, size, seeded draw, per-item results and evaluation.

The maths lives in sampling_math and the selection in sampling_select (both pure); this module keeps
the record (ISO 19011 A.6; DOMAIN 3.6) and its rules: the seed is stored before drawing, a sample is
never re-drawn, replacements come from the same seeded stream and are logged.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, cast, overload

import sqlalchemy as sa
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import attributes

from audit_app.errors import ChangedMeanwhile, Conflict, DomainError, NotAllowed, NotFound, ValidationFailed
from audit_app.extensions import db
from audit_app.models import (
    Audit,
    Evidence,
    Sample,
    SampleItem,
    SampleItemResult,
    SampleMethod,
    SampleStatus,
    SizeBasis,
    User,
    utcnow,
)
from audit_app.services import access, activity
from audit_app.services.access import Need
from audit_app.services.sampling import maths, sample_items
from audit_app.services.sampling import selection as sel
from audit_app.services.sampling.lifecycle import DRAW, EVALUATE, SAMPLE_LIFECYCLE, ensure_draft, evaluation_blockers
from audit_app.services.sampling.populations import load_population, read_population
from audit_app.services.text import clean


def get_sample(audit: Audit, sample_id: int) -> Sample:
    sample = db.session.get(Sample, sample_id)
    if sample is None or sample.audit_id != audit.id:
        raise NotFound("That sample is not part of this audit.")
    return sample


def list_samples(audit: Audit) -> list[Sample]:
    return list(db.session.scalars(sa.select(Sample).where(Sample.audit_id == audit.id).order_by(Sample.sequence)))


#: Results that count as tested (a not-testable item was replaced, a pending one waits).
TESTED = (SampleItemResult.CONFORMING, SampleItemResult.DEVIATION)


@dataclass(frozen=True)
class ItemCounts:
    drawn: int = 0
    tested: int = 0


def item_counts(audit: Audit) -> dict[int, ItemCounts]:
    """How many items each sample of the audit holds and how many were tested, counted by the database."""
    tested = sa.func.sum(sa.case((SampleItem.result.in_(TESTED), 1), else_=0))
    rows = db.session.execute(
        sa.select(SampleItem.sample_id, sa.func.count(SampleItem.id), tested)
        .join(Sample, Sample.id == SampleItem.sample_id)
        .where(Sample.audit_id == audit.id)
        .group_by(SampleItem.sample_id)
    )
    return {sample_id: ItemCounts(drawn, int(done or 0)) for sample_id, drawn, done in rows}


@dataclass(frozen=True)
class SampleData:
    title: str
    attribute: str
    sampling_unit: str = ""
    checklist_item_ids: tuple[int, ...] = ()


def create_sample(audit: Audit, data: SampleData, *, actor: User) -> Sample:
    """Open a sample for one or more in-scope clauses or controls, with its objective and deviation definition."""
    access.ensure(actor, audit, Need.WORK)
    title = clean(data.title, field="title", max_length=200, required=True)
    attribute = clean(data.attribute, field="attribute", max_length=4000, required=True, multiline=True)
    unit = clean(data.sampling_unit, field="sampling_unit", max_length=120)
    scope = {i.id: i for i in audit.scope_items}
    if not data.checklist_item_ids or any(i not in scope for i in data.checklist_item_ids):
        raise ValidationFailed.on(
            "checklist_item_ids", "Choose one or more of the audit's in-scope clauses or controls."
        )
    sample = Sample(
        audit_id=audit.id,
        sequence=_next_sequence(audit),
        title=title,
        attribute=attribute,
        sampling_unit=unit,
        created_by_id=actor.id,
        checklist_items=[scope[i] for i in dict.fromkeys(data.checklist_item_ids)],
    )
    db.session.add(sample)
    activity.record(actor, "sample.created", sample, audit_id=audit.id, title=title)
    return sample


def _next_sequence(audit: Audit) -> sa.ScalarSelect[int]:
    """The audit's next sample number, computed by the INSERT itself, so parallel creations never share one.

    On PostgreSQL the audit row is locked first (FOR NO KEY UPDATE: it does not block rows that merely refer to the
    audit), so a second creation waits for the first to commit and then counts its sample; SQLite runs one writing
    transaction at a time and the INSERT reads the numbers under its write lock.
    """
    db.session.execute(sa.select(Audit.id).where(Audit.id == audit.id).with_for_update(key_share=True))
    taken = sa.select(sa.func.coalesce(sa.func.max(Sample.sequence), 0) + 1).where(Sample.audit_id == audit.id)
    return taken.scalar_subquery()


@dataclass(frozen=True)
class SizeData:
    method: SampleMethod
    basis: SizeBasis
    confidence: Decimal | None = None
    tolerable_rate: Decimal | None = None
    expected_rate: Decimal | None = None
    use_fpc: bool = False
    frequency: str = ""
    risk: str = ""
    sites_kind: str = ""
    manual_size: int | None = None
    rationale: str = ""


def set_size(sample: Sample, data: SizeData, *, actor: User) -> int:
    """Choose the method and compute the sample size with its rationale."""
    access.ensure(actor, sample.audit, Need.WORK)
    ensure_draft(sample, "method and size")
    if not sample.population_size:
        raise Conflict("Define the population before the size.")
    N = sample.population_size
    rationale = clean(data.rationale, field="rationale", max_length=4000, multiline=True)
    params: dict = {}
    sample.confidence = sample.tolerable_rate = sample.expected_rate = None
    try:
        if data.method is SampleMethod.WHOLE_POPULATION:
            size, why = N, "Every unit of the population is tested."
        elif data.method is SampleMethod.JUDGEMENTAL:
            size, why = 0, "Judgemental: the auditor picks the units, each with a rationale."
        elif data.basis is SizeBasis.ATTRIBUTE:
            result = maths.attribute_sample_size(
                data.confidence, data.tolerable_rate, data.expected_rate or 0, N if data.use_fpc else None
            )
            size = min(result.sample_size, N)
            sample.confidence, sample.tolerable_rate = data.confidence, data.tolerable_rate
            sample.expected_rate = data.expected_rate or Decimal(0)
            params = {"tolerable_deviations": result.tolerable_deviations, "distribution": result.method}
            why = (
                f"Attribute sampling ({result.method}): {result.confidence:.0%} confidence, tolerable "
                f"rate {result.tolerable_rate:.1%}, expected rate {result.expected_rate:.1%}; "
                f"tolerates {result.tolerable_deviations} deviation(s). {result.note}"
            ).strip()
        elif data.basis is SizeBasis.FREQUENCY:
            size = min(maths.frequency_sample_size(data.frequency, data.risk), N)
            params = {"frequency": data.frequency, "risk": data.risk}
            why = f"Control-frequency table ({data.frequency}, {data.risk} risk). {maths.FREQUENCY_TABLE_NOTE}"
        elif data.basis is SizeBasis.SITE_RULE:
            size = min(maths.site_sample_size(N, data.sites_kind), N)
            params = {"sites_kind": data.sites_kind}
            why = f"IAF MD 1 site rule for {data.sites_kind} audits over {N} sites."
        else:
            if data.manual_size is None or not 1 <= data.manual_size <= N:
                raise ValidationFailed.on("manual_size", f"Give a sample size from 1 to {N}.")
            if not rationale:
                raise ValidationFailed.on("rationale", "Explain how the size was chosen.")
            size, why = data.manual_size, "Size set by the auditor's judgement."
    except maths.SamplingInputError as exc:
        raise ValidationFailed.on(exc.parameter, str(exc)) from exc
    sample.method, sample.size_basis, sample.use_fpc = data.method, data.basis, data.use_fpc
    sample.sample_size, sample.size_parameters = size, params
    sample.size_rationale = f"{why} {rationale}".strip()
    activity.record(actor, "sample.size_set", sample, method=data.method.value, size=size)
    return size


def is_statistical(sample: Sample) -> bool:
    """Statistical evaluation only for random methods sized with the attribute calculator."""
    return bool(sample.method and sample.method.statistical and sample.size_basis is SizeBasis.ATTRIBUTE)


class DrawnItems(Sequence[SampleItem]):
    """The items a draw stored, read from the database only when used: a whole population can hold 100,000."""

    def __init__(self, sample: Sample, count: int) -> None:
        self._sample, self._count = sample, count

    def __len__(self) -> int:
        return self._count

    @overload
    def __getitem__(self, index: int) -> SampleItem: ...

    @overload
    def __getitem__(self, index: slice) -> list[SampleItem]: ...

    def __getitem__(self, index: int | slice) -> SampleItem | list[SampleItem]:
        return self._sample.items[index]

    def __iter__(self) -> Iterator[SampleItem]:
        return iter(list(self._sample.items))


def _clean_picks(picks: dict[str, str] | None) -> dict[str, str] | None:
    """A judgemental draw's picks with trimmed ids and cleaned rationales; control characters are refused."""
    cleaned: dict[str, str] = {}
    for number, (raw, why) in enumerate((picks or {}).items(), start=1):
        key = raw.strip()
        if codes := sel.bad_codes(key, sel.NOT_IN_ID):
            raise ValidationFailed.on(
                "picks", f"Pick {number}: the id contains control characters or line separators ({', '.join(codes)})."
            )
        if codes := sel.bad_codes(why or "", sel.NOT_IN_TEXT):
            raise ValidationFailed.on(
                "picks", f"The rationale for '{key}' contains control characters ({', '.join(codes)}); remove them."
            )
        if key in cleaned:
            raise ValidationFailed.on("picks", f"Pick each unit once; repeated: {key}.")
        cleaned[key] = clean(why, field="picks", max_length=4000, multiline=True)
    return cleaned or None


def draw(
    sample: Sample, *, actor: User, seed: int | None = None, picks: dict[str, str] | None = None
) -> Sequence[SampleItem]:
    """Store the seed, then draw once; the record keeps seed, algorithm and library versions.

    The items are inserted in one statement (a whole-population draw can store 100,000), then the draw is
    re-performed once from the stored snapshot and the verdict is kept with the population hash it was computed from.
    """
    access.ensure(actor, sample.audit, Need.WORK)
    roles = access.parties(actor, sample.audit)
    SAMPLE_LIFECYCLE.check(sample, DRAW, roles=roles)  # refused before anything is computed
    assert sample.method is not None  # noqa: S101  (the draw's gate)
    picks = _clean_picks(picks)
    population = load_population(sample)
    if sample.method.statistical:
        sample.seed = sel.new_seed() if seed is None else seed
        db.session.flush()  # the seed is on record before anything is drawn
    try:
        selection = sel.select(
            population, sample.method.value, sample.sample_size or None, seed=sample.seed, picks=picks
        )
    except sel.SelectionError as exc:
        raise ValidationFailed.on(exc.parameter, str(exc)) from exc
    SAMPLE_LIFECYCLE.apply(sample, DRAW, roles=roles, actor=actor)  # one winner if two draws race
    sample.algorithm = sel.ALGORITHM if sample.method.statistical else "none (not a random selection)"
    sample.library_versions, sample.selection_params = sel.library_versions(), selection.params
    units = population.units
    rows = [
        (
            sample.id,
            order,
            index,
            units[index].key,
            units[index].label,
            units[index].stratum,
            selection.rationale.get(index, ""),
            SampleItemResult.PENDING.value,
            "",
            1,
        )
        for order, index in enumerate(selection.indices, start=1)
    ]
    _insert_items(rows)
    db.session.expire(sample, ["items"])
    if sample.method is SampleMethod.JUDGEMENTAL:
        sample.sample_size = len(rows)
    _keep_verdict(sample, actor)
    activity.record(actor, "sample.drawn", sample, seed=sample.seed, n=len(rows), sha256=sample.population_hash)
    return DrawnItems(sample, len(rows))


#: The columns `_insert_items` fills, in the order of its rows.
ITEM_COLUMNS = (
    "sample_id",
    "draw_order",
    "population_index",
    "key",
    "label",
    "stratum",
    "rationale",
    "result",
    "note",
    "version",
)


def _insert_items(rows: Sequence[tuple[object, ...]]) -> None:
    """Store the drawn items in the session's transaction at once, never one by one through the ORM.

    PostgreSQL (psycopg) takes them with COPY (100,000 rows in well under a second; an executemany sends one INSERT
    per row); SQLite with one executemany of the plain tuples (SQLAlchemy's own would first build a parameter dict
    per row); anything else with one Core executemany. Every text was checked when the population was frozen (no
    NUL, which COPY and PostgreSQL refuse), and the rows hold plain values, not enum members.
    """
    connection = db.session.connection()
    columns = ", ".join(ITEM_COLUMNS)
    if connection.dialect.name == "postgresql" and connection.dialect.driver == "psycopg":
        driver = connection.connection.driver_connection
        assert driver is not None  # noqa: S101  (an open connection has one)
        with driver.cursor() as cursor, cursor.copy(f"COPY sample_item ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return
    if connection.dialect.name == "sqlite":
        marks = ", ".join("?" for _ in ITEM_COLUMNS)
        connection.exec_driver_sql(f"INSERT INTO sample_item ({columns}) VALUES ({marks})", list(rows))  # noqa: S608
        return
    table = cast(sa.Table, SampleItem.__table__)
    connection.execute(sa.insert(table), [dict(zip(ITEM_COLUMNS, row, strict=True)) for row in rows])


def _same_selection(sample: Sample, population: sel.Population) -> bool:
    """Whether drawing from `population` with the recorded seed (or picks) gives the items on record."""
    assert sample.method is not None  # noqa: S101  (drawn samples have a method)
    drawn = (  # the items drawn (not their replacements) in draw order; one narrow column unless picks are needed
        sa.select(SampleItem.population_index)
        .where(SampleItem.sample_id == sample.id, SampleItem.replaces_id.is_(None))
        .order_by(SampleItem.draw_order)
    )
    picks = None
    if sample.method is SampleMethod.JUDGEMENTAL:
        rows = db.session.execute(drawn.add_columns(SampleItem.key, SampleItem.rationale)).all()
        indices = [index for index, _, _ in rows]
        picks = {key: rationale for _, key, rationale in rows}
    else:
        indices = list(db.session.scalars(drawn))
    selection = sel.select(
        population,
        sample.method.value,
        sample.selection_params.get("requested_n", sample.sample_size),
        seed=sample.seed,
        picks=picks,
    )
    return list(selection.indices) == indices


def reperform(sample: Sample) -> bool:
    """Draw again from the snapshot with the recorded seed: True when the original selection comes back.

    Raises Conflict when the snapshot no longer has the recorded hash (OSError when it is gone).
    """
    if sample.status is SampleStatus.DRAFT or sample.method is None:
        return False
    return _same_selection(sample, load_population(sample))


@dataclass(frozen=True)
class Verdict:
    """The outcome of re-performing a draw: the same selection or not, the population hash it was computed from
    (empty when the snapshot could not be read), and what went wrong."""

    same: bool
    sha256: str
    problem: str = ""


def check_reperformance(sample: Sample) -> Verdict:
    """Re-read the snapshot and re-draw; never raises for a missing, unreadable or changed snapshot."""
    try:
        population = read_population(sample)
    except (DomainError, OSError, ValueError) as exc:
        return Verdict(False, "", f"The population snapshot cannot be read ({exc}).")
    if population.sha256 != sample.population_hash:
        return Verdict(False, population.sha256, "The population snapshot no longer matches its recorded hash.")
    try:
        same = _same_selection(sample, population)
    except (DomainError, ValueError) as exc:
        return Verdict(False, population.sha256, str(exc))
    return Verdict(same, population.sha256)


def _keep_verdict(sample: Sample, actor: User) -> Verdict:
    db.session.flush()  # the items just stored are what the check reads back
    verdict = check_reperformance(sample)
    sample.reperformed, sample.reperformed_sha256, sample.reperform_problem = (
        verdict.same,
        verdict.sha256,
        verdict.problem,
    )
    sample.reperformed_at, sample.reperformed_by_id = utcnow(), actor.id
    return verdict


def may_recheck(user: User, sample: Sample) -> bool:
    """Auditors on the audit's team (a working role) check re-performance again, at any stage after the draw."""
    return sample.status is not SampleStatus.DRAFT and Need.WORK.value.allows(user, sample.audit)


def recheck(sample: Sample, *, actor: User) -> Verdict:
    """Re-perform a drawn sample's selection on demand and keep the new verdict.

    For auditors on the audit's team with a working role, at any stage of the audit after the draw (a reviewer in
    reporting may want the check too); observers and administrators off the team read the stored verdict.
    """
    rule = Need.WORK.value
    if not rule.allows(actor, sample.audit):
        raise NotAllowed(rule.refusal)
    if sample.status is SampleStatus.DRAFT:
        raise Conflict("Nothing has been drawn yet, so there is nothing to re-perform.")
    verdict = _keep_verdict(sample, actor)
    activity.record(
        actor, "sample.reperformed", sample, same=verdict.same, sha256=verdict.sha256, problem=verdict.problem
    )
    return verdict


def reperformance(sample: Sample) -> tuple[bool | None, str]:
    """The stored re-performance verdict as a page or report shows it: (same selection?, what went wrong).

    None while the sample is a draft (nothing drawn yet) or before its first check (drawn before verdicts were
    kept); the verdict is computed at the draw and on demand (`recheck`), never on a view.
    """
    if sample.status is SampleStatus.DRAFT or sample.reperformed is None:
        return None, ""
    if sample.reperform_problem:
        return False, sample.reperform_problem
    if sample.reperformed_sha256 != sample.population_hash:
        return False, "The verdict was computed from another population than the one on record; check it again."
    return sample.reperformed, ""


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


def record_result(
    item: SampleItem, result: SampleItemResult, *, actor: User, note: str = "", evidence_id: int | None = None
) -> SampleItem | None:
    """Record an item's result; a not-testable item gets a replacement from the same seeded stream (logged).

    Two saves of one item at once keep the first (the item's version changed: the second is refused as changed
    meanwhile), so a not-testable item is replaced exactly once.
    """
    sample = item.sample
    access.ensure(actor, sample.audit, Need.WORK)
    if sample.status is not SampleStatus.SELECTED:
        raise Conflict("Results are recorded after the draw and before the evaluation.")
    _hold_for_results(sample)
    replaced = db.session.scalar(sa.select(sa.exists().where(SampleItem.replaces_id == item.id)))
    if replaced:
        raise Conflict("This item was replaced; record the result on its replacement.")
    note = clean(note, field="note", max_length=4000, multiline=True)
    if result is SampleItemResult.NOT_TESTABLE and not note:
        raise ValidationFailed.on("note", "Say why the item cannot be tested (e.g. the record was voided).")
    if evidence_id is not None:
        evidence = db.session.get(Evidence, evidence_id) if 0 < evidence_id <= access.MAX_ID else None
        if evidence is None or evidence.audit_id != sample.audit_id:
            raise ValidationFailed.on("evidence_id", "Choose evidence recorded in this audit.")
    item.result, item.note, item.evidence_id = result, note, evidence_id
    item.tested_by_id, item.tested_at = actor.id, utcnow()
    activity.record(actor, "sample.item_result", sample, item=item.key, result=result.value)  # flushes: version check
    if result is not SampleItemResult.NOT_TESTABLE:
        return None
    return _replace(sample, item, actor)


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


def evaluate(sample: Sample, *, actor: User) -> maths.Evaluation:
    """Count deviations, compute the upper limit when statistical, conclude, and propose a finding."""
    access.ensure(actor, sample.audit, Need.WORK)
    SAMPLE_LIFECYCLE.apply(sample, EVALUATE, roles=access.parties(actor, sample.audit), actor=actor)
    if evaluation_blockers(sample):  # read again under the state change: a replacement drawn meanwhile is pending
        raise ChangedMeanwhile(SAMPLE_LIFECYCLE.wording.changed_meanwhile)
    counts = sample_items.result_counts(sample)
    tested = counts[SampleItemResult.CONFORMING] + counts[SampleItemResult.DEVIATION]
    deviations = counts[SampleItemResult.DEVIATION]
    statistical = is_statistical(sample)
    result = maths.evaluate(
        tested,
        deviations,
        confidence=sample.confidence if statistical else None,
        tolerable_rate=sample.tolerable_rate if statistical else None,
        statistical=statistical,
    )
    sample.deviations, sample.upper_limit, sample.conclusion = deviations, result.upper_limit, result.conclusion
    sample.proposed_finding = proposed_finding(sample, deviations, tested) if deviations else ""
    sample.evaluated_at = utcnow()
    activity.record(
        actor, "sample.evaluated", sample, deviations=deviations, tested=tested, upper_limit=result.upper_limit
    )
    return result


def proposed_finding(sample: Sample, deviations: int, tested: int) -> str:
    """A finding statement with the ratio, e.g. "3 of 25 sampled model releases did not meet: …"."""
    unit = sample.sampling_unit or "items"
    refs = ", ".join(i.ref for i in sample.checklist_items)
    keys = ", ".join(
        db.session.scalars(
            sa.select(SampleItem.key)
            .where(SampleItem.sample_id == sample.id, SampleItem.result == SampleItemResult.DEVIATION)
            .order_by(SampleItem.draw_order)
        )
    )
    return (
        f"{deviations} of {tested} sampled {unit} did not meet the tested attribute: {sample.attribute.rstrip('.')} "
        f"(criteria: {refs}; sample {sample.reference}; deviating items: {keys})."
    )


# --- Figures as a page or report prints them --------------------------------------------------------------------


def limit_percent(value: float | None) -> str:
    """An upper limit as a percentage rounded up to 0.1% (as the AICPA evaluation tables show it)."""
    if value is None:
        return ""
    return f"{math.ceil(value * 1000 - 1e-9) / 10:.1f}%"


def percent(value: Decimal | None) -> str:
    """A stored fraction as a percentage: Decimal("0.95") -> "95%", Decimal("0.025") -> "2.5%"."""
    if value is None:
        return ""
    return f"{(Decimal(value) * 100).normalize():f}%"
