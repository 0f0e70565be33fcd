"""Paging every list: a page number and a page size with a maximum, the total counted by the database.

A list service builds its query (filters, access rule, order) and hands it to `paginate`, which counts the
matching rows in one statement and loads one page in another, so a page costs the same with ten rows or ten
thousand. The faces show the result their own way: the web with the pager macro
(templates/_macros/pager.html), the API with Link and X-Total-Count headers (api/paging.py).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, raiseload
from sqlalchemy.orm.interfaces import LoaderOption

from audit_app.extensions import db
from audit_app.services.access import MAX_ID

T = TypeVar("T")

#: Rows on a page unless the caller asks for another size.
DEFAULT_PER_PAGE = 50
#: The largest page anyone gets, whatever they ask for.
MAX_PER_PAGE = 100
#: The highest page number accepted (an offset beyond any table; keeps OFFSET inside a 64-bit integer).
MAX_PAGE = MAX_ID


@dataclass(frozen=True)
class PageRequest:
    """Which page of a list to show, and how many rows a page holds."""

    number: int = 1
    size: int = DEFAULT_PER_PAGE

    def __post_init__(self) -> None:
        if not 1 <= self.number <= MAX_PAGE:
            raise ValueError(f"page must be between 1 and {MAX_PAGE}")
        if not 1 <= self.size <= MAX_PER_PAGE:
            raise ValueError(f"per_page must be between 1 and {MAX_PER_PAGE}")

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.size

    @classmethod
    def from_args(
        cls,
        args: Mapping[str, str],
        *,
        param: str = "page",
        size_param: str | None = "per_page",
        default_size: int = DEFAULT_PER_PAGE,
    ) -> PageRequest:
        """The page a page address asks for (`?page=3&per_page=20`): a number not understood is page 1, and a
        number or size out of bounds is brought within them.

        Pages never refuse a list for its paging parameters (the API does, with 422: api/paging.py). A page
        with two lists gives the second its own `param` (and no `size_param`).
        """
        size = args.get(size_param) if size_param else None
        return cls(_bounded(args.get(param), 1, 1, MAX_PAGE), _bounded(size, default_size, 1, MAX_PER_PAGE))


def _bounded(text: str | None, default: int, low: int, high: int) -> int:
    if text is None or not text.strip().isdigit() or len(text.strip()) > 12:
        return default
    return min(max(int(text), low), high)


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list: its items, where it is, and how many there are in all."""

    items: Sequence[T]
    number: int
    size: int
    total: int

    @property
    def pages(self) -> int:
        """The number of pages (1 for an empty list: it has one, empty, page)."""
        return max(1, math.ceil(self.total / self.size))

    @property
    def has_prev(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.pages

    @property
    def prev_number(self) -> int | None:
        return min(self.number - 1, self.pages) if self.has_prev else None

    @property
    def next_number(self) -> int | None:
        return self.number + 1 if self.has_next else None

    @property
    def first(self) -> int:
        """The position of the first item on the page (1-based; 0 when the page is empty)."""
        return (self.number - 1) * self.size + 1 if self.items else 0

    @property
    def last(self) -> int:
        """The position of the last item on the page (0 when the page is empty)."""
        return self.first + len(self.items) - 1 if self.items else 0

    def window(self, around: int = 2) -> list[int]:
        """Page numbers for a pager: the first, the last, and those near the current page."""
        return [n for n in range(1, self.pages + 1) if n in (1, self.pages) or abs(n - self.number) <= around]


def shown_with(*relationships: Any) -> list[LoaderOption]:
    """Loader options for a list: these many-to-one records come in the same statement, nothing else does.

    Any other relationship of a listed row raises when touched (a template would otherwise cost a query per
    row). The joined records keep ordinary lazy loading: one may be the signed-in user, or a record the page
    uses elsewhere, and a bare raiseload("*") would reach them through the join.
    """
    return [*(joinedload(rel).lazyload("*") for rel in relationships), raiseload("*")]


def count(stmt: sa.Select[Any]) -> int:
    """How many rows `stmt` matches, counted by the database (its order and loader options play no part)."""
    counted = sa.select(sa.func.count()).select_from(stmt.order_by(None).subquery())
    return db.session.scalar(counted) or 0


def paginate(stmt: sa.Select[Any], request: PageRequest, *, clamp: bool = False, rows: bool = False) -> Page[Any]:
    """One page of what `stmt` selects (it must be ordered), with the total: two statements whatever the size.

    `clamp` shows the last page for a number past the end (pages do, so a stale link still shows something);
    the API answers such a number with an empty page. `rows` returns result rows instead of ORM objects, for
    queries of a few columns.
    """
    total = count(stmt)
    number = request.number
    if clamp:
        number = min(number, max(1, math.ceil(total / request.size)))
    offset = (number - 1) * request.size
    items: Sequence[Any] = []
    if offset < total:
        limited = stmt.limit(request.size).offset(offset)
        items = list(db.session.execute(limited).all()) if rows else list(db.session.scalars(limited))
    return Page(items, number, request.size, total)


def page_of_list(items: Sequence[T], request: PageRequest, *, clamp: bool = False) -> Page[T]:
    """One page of a list already in memory (rows computed from narrow queries, such as coverage rows)."""
    number = request.number
    if clamp:
        number = min(number, max(1, math.ceil(len(items) / request.size)))
    start = (number - 1) * request.size
    return Page(list(items[start : start + request.size]), number, request.size, len(items))
