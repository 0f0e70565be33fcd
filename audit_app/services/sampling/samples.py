"""Samples of an audit: the record, its attributes and the seeded draw (ISO 19011 A.6; DOMAIN 3.6).

The maths (maths.py, limits.py) and the selection (selection.py) are pure. Beside this module: sizing.py (method and
size), results.py (per-item results per attribute), evaluation.py (evaluation as designed, interpretation,
sign-off) and reperformance.py; their public names are importable from here too. The seed is stored before
drawing, a sample is never re-drawn, replacements come from the same seeded stream and are logged.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import cast, overload

import sqlalchemy as sa

from audit_app.errors import NotFound, ValidationFailed
from audit_app.extensions import db
from audit_app.models import (
    Audit,
    Sample,
    SampleItem,
    SampleItemResult,
    SampleMethod,
    User,
)
from audit_app.services import access, activity
from audit_app.services.access import Need
from audit_app.services.sampling import selection as sel
from audit_app.services.sampling.evaluation import (  # noqa: F401  (part of this module's public names)
    evaluate,
    interpret,
    is_statistical,
    may_sign_off,
    proposed_finding,
    sign_off,
    sign_off_blockers,
)
from audit_app.services.sampling.lifecycle import DRAW, SAMPLE_LIFECYCLE
from audit_app.services.sampling.populations import load_population
from audit_app.services.sampling.reperformance import (  # noqa: F401
    Verdict,
    check_reperformance,
    keep_verdict,
    may_recheck,
    recheck,
    reperform,
    reperformance,
)
from audit_app.services.sampling.results import RowData, record_result, record_results  # noqa: F401
from audit_app.services.sampling.sizing import (  # noqa: F401
    SizeData,
    random_sites,
    select_for,
    selection_options,
    set_size,
    site_picks_needed,
)
from audit_app.services.text import clean


def get_sample(audit: Audit, sample_id: int) -> Sample:
    sample = db.session.get(Sample, sample_id)
    if sample is None or sample.audit_id != audit.id:
        raise NotFound("That sample is not part of this audit.")
    return sample


def list_samples(audit: Audit) -> list[Sample]:
    return list(db.session.scalars(sa.select(Sample).where(Sample.audit_id == audit.id).order_by(Sample.sequence)))


#: Results that count as tested (an item that cannot be examined counts as a deviation; a void one was replaced).
TESTED = (SampleItemResult.CONFORMING, SampleItemResult.DEVIATION, SampleItemResult.NOT_TESTABLE)


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
    #: The attributes each item is tested against (A1, A2, …), one test step each; none: `attribute` is A1.
    attributes: tuple[str, ...] = ()


#: How many attributes one sample tests at most (one column each in the results grid).
MAX_ATTRIBUTES = 12


def _attributes(texts: Sequence[str], attribute: str) -> list[dict[str, str]]:
    cleaned = [clean(t, field="attributes", max_length=1000) for t in texts]
    cleaned = [t for t in cleaned if t]
    if len(cleaned) > MAX_ATTRIBUTES:
        raise ValidationFailed.on("attributes", f"Test at most {MAX_ATTRIBUTES} attributes in one sample.")
    if len(set(cleaned)) != len(cleaned):
        raise ValidationFailed.on("attributes", "Each attribute once: two lines are the same.")
    return [{"code": f"A{i}", "text": text} for i, text in enumerate(cleaned or [attribute], start=1)]


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
        attributes=_attributes(data.attributes, attribute),
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
    sample: Sample,
    *,
    actor: User,
    seed: int | None = None,
    picks: dict[str, str] | None = None,
    interval: int | None = None,
    start: int | None = None,
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
    if (interval is not None or start is not None) and sample.method is not SampleMethod.SYSTEMATIC:
        raise ValidationFailed.on("interval", "An interval and a random start apply to systematic selection only.")
    if start is not None and interval is None:
        raise ValidationFailed.on("interval", "Give the interval k with the random start.")
    population = load_population(sample)
    if site_picks_needed(sample) and sample.seed is not None:
        if seed is not None and seed != sample.seed:
            raise ValidationFailed.on(
                "seed",
                f"The random part of this site sample was fixed with seed {sample.seed} when the size was set; draw "
                "with that seed (set the size again for a new one).",
            )
    elif sample.method.statistical:
        sample.seed = sel.new_seed() if seed is None else seed
        db.session.flush()  # the seed is on record before anything is drawn
    try:
        selection = select_for(sample, population, seed=sample.seed, picks=picks, interval=interval, start=start)
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
    if sample.method is SampleMethod.JUDGEMENTAL or selection.params.get("interval_rule") == "whole":
        sample.sample_size = len(rows)  # picks, or every k-th unit from the start: as many as the list gives
    keep_verdict(sample, actor)
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
