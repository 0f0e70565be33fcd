"""How every API list is paged: `page` and `per_page` in the query, a plain JSON array in the body, and the
position in the headers.

- `page` (from 1) and `per_page` (1 to 100, default 50) are query parameters; values outside those bounds are
  refused with 422 naming the parameter. A page past the end is an empty array (with links back).
- The body stays a JSON array of the items on the page, so clients written before paging keep working: they
  get the first page, which holds every row of a list shorter than `per_page`.
- `X-Total-Count` is the number of items in the whole list (counted by the database), and `Link` (RFC 8288)
  holds the addresses of the `next`, `prev`, `first` and `last` pages, with the caller's other query
  parameters (filters) kept.

Routes read the parameters with `PageQuerySchema` (or a filter schema derived from it), ask the service for one
page (services/paging.py) and return `paged(page)`; `PAGE_HEADERS` documents the headers in the OpenAPI document.
"""

from __future__ import annotations

from typing import Any, TypeVar
from urllib.parse import urlencode

from flask import request
from marshmallow import Schema, fields, validate

from audit_app.services.paging import DEFAULT_PER_PAGE, MAX_PAGE, MAX_PER_PAGE, Page, PageRequest

T = TypeVar("T")
#: What a paged list route returns: the page's items and the paging headers.
Paged = tuple[list[T], dict[str, str]]

#: The response headers of every paged list, for `@blp.response(..., headers=PAGE_HEADERS)`.
PAGE_HEADERS: dict[str, dict[str, Any]] = {
    "X-Total-Count": {
        "description": "The number of items in the whole list (all pages).",
        "schema": {"type": "integer", "minimum": 0},
    },
    "Link": {
        "description": "Addresses of the next, previous, first and last pages (RFC 8288), e.g. `<https://host"
        '/api/v1/audits?page=2&per_page=50>; rel="next"`; a relation is left out when there is no such page.',
        "schema": {"type": "string"},
    },
}


class PageQuerySchema(Schema):
    """The paging parameters every list takes (filter schemas of lists derive from it)."""

    page = fields.Int(
        load_default=1,
        validate=validate.Range(min=1, max=MAX_PAGE),
        metadata={"description": "The page to return, from 1."},
    )
    per_page = fields.Int(
        load_default=DEFAULT_PER_PAGE,
        validate=validate.Range(min=1, max=MAX_PER_PAGE),
        metadata={"description": f"Items per page, at most {MAX_PER_PAGE}."},
    )


def page_request(query: dict[str, Any]) -> PageRequest:
    """The page asked for; takes `page` and `per_page` out of the parsed query (the rest are filters)."""
    return PageRequest(query.pop("page", 1), query.pop("per_page", DEFAULT_PER_PAGE))


def _address(number: int, size: int) -> str:
    args = [(k, v) for k, v in request.args.items(multi=True) if k not in ("page", "per_page")]
    return f"{request.base_url}?{urlencode([*args, ('page', number), ('per_page', size)])}"


def page_headers(page: Page[Any]) -> dict[str, str]:
    """X-Total-Count and Link for one page of a list."""
    links = {"next": page.next_number, "prev": page.prev_number, "first": 1, "last": page.pages}
    return {
        "X-Total-Count": str(page.total),
        "Link": ", ".join(
            f'<{_address(number, page.size)}>; rel="{rel}"' for rel, number in links.items() if number is not None
        ),
    }


def paged(page: Page[T]) -> Paged[T]:
    """What a paged list route returns: the items for the schema to dump, and the paging headers."""
    return list(page.items), page_headers(page)
