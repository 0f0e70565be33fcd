"""Reading the register: entries with their status today or as of a past day, filtered, with counts."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from audit_app.extensions import db
from audit_app.models import DocStatus, DocumentedInfo
from audit_app.services.docinfo.status import current_status, register_values_as_of


@dataclass(frozen=True)
class Row:
    entry: DocumentedInfo
    status: DocStatus
    #: The location, version and dates the entry had on the day shown (None: today's, read from the entry).
    values: dict[str, Any] | None = None

    def value(self, name: str) -> Any:
        return self.values[name] if self.values is not None else getattr(self.entry, name)


@dataclass(frozen=True)
class RegisterView:
    rows: list[Row]
    #: Counts per status over the whole register of that day (before the filters).
    counts: dict[DocStatus, int]
    total: int
    as_of: date | None


def clause_of(ref: str) -> str:
    """The top-level group of a clause or control id: "6" for 6.1.3, "A.5" for A.5.3."""
    parts = ref.split(".")
    return ".".join(parts[:2]) if parts[0] == "A" else parts[0]


def _matches_clause(entry: DocumentedInfo, clause: str) -> bool:
    return any(ref == clause or ref.startswith(clause + ".") for ref in entry.refs or [])


def _sort_key(ref: str) -> tuple[int, list[int]]:
    annex = ref.startswith("A.")
    numbers = [int(p) if p.isdigit() else 0 for p in ref.removeprefix("A.").split(".")]
    return (1 if annex else 0, numbers)


def _order(row: Row) -> tuple[bool, tuple[int, list[int]], int]:
    refs = row.entry.refs or []
    return (not row.entry.expected, _sort_key(refs[0]) if refs else (2, []), row.entry.id)


def view(
    today: date, *, as_of: date | None = None, status: DocStatus | None = None, clause: str | None = None
) -> RegisterView:
    """The register today (current values) or as of a past day (from the history), filtered by status and clause."""
    if as_of is not None:
        rows = [Row(e, s, v) for e, v, s in register_values_as_of(as_of, with_owners=True)]
    else:
        entries = db.session.scalars(
            sa.select(DocumentedInfo)
            .where(DocumentedInfo.retired_at.is_(None))
            .options(selectinload(DocumentedInfo.owner), selectinload(DocumentedInfo.owner_unit))
        )
        rows = [Row(e, current_status(e, today)) for e in entries]
    counts = Counter(r.status for r in rows)
    total = len(rows)
    if status is not None:
        rows = [r for r in rows if r.status is status]
    if clause:
        rows = [r for r in rows if _matches_clause(r.entry, clause)]
    rows.sort(key=_order)
    return RegisterView(rows, {s: counts.get(s, 0) for s in DocStatus}, total, as_of)


def clause_options() -> list[str]:
    """Clause groups that entries refer to, for the filter (one statement)."""
    groups = {clause_of(ref) for refs in db.session.scalars(sa.select(DocumentedInfo.refs)) for ref in refs or []}
    return sorted(groups, key=_sort_key)
