"""A sample's items read a page at a time: counts by result, one filtered page, and where an item sits.

A whole-population sample can hold thousands of items; its page shows one slice with a bounded number of
queries, while the counts that drive the evaluation are computed in the database over all items.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import aliased, selectinload

from audit_app.errors import NotFound
from audit_app.extensions import db
from audit_app.models import Sample, SampleItem, SampleItemResult, User
from audit_app.services import paging

ITEMS_PER_PAGE = 50
#: How many items the API's sample record carries (the rest are read a page at a time).
ITEMS_IN_RECORD = paging.MAX_PER_PAGE
#: How many void keys the evaluation names before saying "and N more".
NAMED_LIMIT = 20


class ItemFilter(enum.StrEnum):
    ALL = "all"
    PENDING = "pending"
    DEVIATION = "deviation"
    NOT_TESTABLE = "not_testable"
    VOID = "void"

    @property
    def label(self) -> str:
        return {
            "all": "All items",
            "pending": "Pending",
            "deviation": "Deviations",
            "not_testable": "Cannot be examined",
            "void": "Void (replaced)",
        }[self.value]

    @classmethod
    def parse(cls, value: str | None) -> ItemFilter:
        """The filter named in a query string; anything unknown shows all items."""
        try:
            return cls(value or cls.ALL)
        except ValueError:
            return cls.ALL


@dataclass(frozen=True)
class ItemPage:
    items: list[SampleItem]
    page: int
    pages: int
    #: Items matching the filter (all pages).
    total: int
    show: ItemFilter
    #: Item id -> the item drawn to replace it, for the items on this page.
    replaced_by: dict[int, SampleItem]

    @property
    def first(self) -> int:
        return (self.page - 1) * ITEMS_PER_PAGE + 1 if self.items else 0

    @property
    def last(self) -> int:
        return self.first + len(self.items) - 1 if self.items else 0


def _where(sample: Sample, show: ItemFilter) -> list[sa.ColumnElement[bool]]:
    conditions = [SampleItem.sample_id == sample.id]
    if show is not ItemFilter.ALL:
        conditions.append(SampleItem.result == SampleItemResult(show.value))
    return conditions


def result_counts(sample: Sample) -> dict[SampleItemResult, int]:
    """How many items carry each result (every result present, zero when none)."""
    rows = db.session.execute(
        sa.select(SampleItem.result, sa.func.count())
        .where(SampleItem.sample_id == sample.id)
        .group_by(SampleItem.result)
    )
    counts = dict.fromkeys(SampleItemResult, 0)
    for result, count in rows:
        counts[result] = count
    return counts


def items_page(sample: Sample, *, page: int = 1, show: ItemFilter = ItemFilter.ALL) -> ItemPage:
    """One page of the sample's items in draw order; a page number past the end shows the last page."""
    conditions = _where(sample, show)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(SampleItem).where(*conditions)) or 0
    pages = max(1, math.ceil(total / ITEMS_PER_PAGE))
    page = min(max(page, 1), pages)
    items = list(
        db.session.scalars(
            sa.select(SampleItem)
            .where(*conditions)
            .order_by(SampleItem.draw_order)
            .offset((page - 1) * ITEMS_PER_PAGE)
            .limit(ITEMS_PER_PAGE)
            .options(
                selectinload(SampleItem.evidence),
                selectinload(SampleItem.tested_by),
                selectinload(SampleItem.replaces),
            )
        )
    )
    replaced_by: dict[int, SampleItem] = {}
    if items:
        replacements = db.session.scalars(
            sa.select(SampleItem).where(SampleItem.replaces_id.in_([i.id for i in items]))
        )
        replaced_by = {r.replaces_id: r for r in replacements if r.replaces_id is not None}
    return ItemPage(items, page, pages, total, show, replaced_by)


def _in_draw_order(sample: Sample) -> sa.Select[SampleItem]:
    return (
        sa.select(SampleItem)
        .where(SampleItem.sample_id == sample.id)
        .order_by(SampleItem.draw_order)
        .options(selectinload(SampleItem.tested_by))
    )


def first_items(sample: Sample, limit: int) -> list[SampleItem]:
    """The first `limit` items in draw order (what a sample record shows of a possibly huge list)."""
    return list(db.session.scalars(_in_draw_order(sample).limit(limit)))


def count_items(sample: Sample) -> int:
    return db.session.scalar(sa.select(sa.func.count()).where(SampleItem.sample_id == sample.id)) or 0


def api_page(sample: Sample, request: paging.PageRequest) -> paging.Page[SampleItem]:
    """One page of the items in draw order, with the total counted by the database (the API's list)."""
    return paging.paginate(_in_draw_order(sample), request)


def export_rows(sample: Sample) -> Iterator[Any]:
    """Every item for the export, in draw order, as narrow rows: (draw order, key, label, stratum, result, note,
    key of the item it replaces, tester's name, tested at, results per attribute by code)."""
    replaced = aliased(SampleItem)
    return iter(
        db.session.execute(
            sa.select(
                SampleItem.draw_order,
                SampleItem.key,
                SampleItem.label,
                SampleItem.stratum,
                SampleItem.result,
                SampleItem.note,
                replaced.key,
                User.name,
                SampleItem.tested_at,
                SampleItem.attribute_results,
            )
            .outerjoin(replaced, SampleItem.replaces_id == replaced.id)
            .outerjoin(User, SampleItem.tested_by_id == User.id)
            .where(SampleItem.sample_id == sample.id)
            .order_by(SampleItem.draw_order)
        )
    )


def page_of(item: SampleItem, show: ItemFilter = ItemFilter.ALL) -> int:
    """The page on which `item` appears under `show` (page 1 when it does not match the filter)."""
    before = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(SampleItem)
        .where(*_where(item.sample, show), SampleItem.draw_order < item.draw_order)
    )
    return (before or 0) // ITEMS_PER_PAGE + 1


def void_keys(sample: Sample) -> list[str]:
    """The first keys (in draw order) of items void or outside the population, for the evaluation's limitations."""
    return list(
        db.session.scalars(
            sa.select(SampleItem.key)
            .where(*_where(sample, ItemFilter.VOID))
            .order_by(SampleItem.draw_order)
            .limit(NAMED_LIMIT)
        )
    )


def get_item(sample: Sample, item_id: int) -> SampleItem:
    item = db.session.get(SampleItem, item_id)
    if item is None or item.sample_id != sample.id:
        raise NotFound("That item is not part of this sample.")
    return item
