"""The sample's results grid: one row per item, one column per attribute, saved all at once.

The grid is one form: for each item on the page a result per attribute (A1, A2, …), a "void or outside the
population" box, a note and an evidence reference. Saving stores every changed row, or, when any row is refused,
nothing: the page comes back with every typed value and the refused rows named.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict

from audit_app.models import Sample, SampleItemResult
from audit_app.services.access import MAX_ID
from audit_app.services.sampling.results import ATTRIBUTE_RESULTS, RowData

#: An evidence reference as the page offers it ("E12 · 4.1 · Record review: …") or typed ("E12", "12").
EVIDENCE_REFERENCE = re.compile(r"\s*E?(\d{1,10})(?:\s|·|$)", re.IGNORECASE)
#: The choices of an attribute's cell, in the order shown.
CELL_CHOICES = [(r.value if r is not SampleItemResult.PENDING else "", r.short) for r in ATTRIBUTE_RESULTS]


class GridForm(FlaskForm):
    """The grid's CSRF check; its cells are read from the request (their names carry the item id)."""


def evidence_value(text: str) -> int | None:
    match = EVIDENCE_REFERENCE.match(text or "")
    if match is None or not 0 < int(match.group(1)) <= MAX_ID:
        return None
    return int(match.group(1))


@dataclass
class TypedRow:
    """What was typed in one row, kept as text to show it again."""

    results: dict[str, str] = field(default_factory=dict)
    void: bool = False
    note: str = ""
    evidence: str = ""


@dataclass
class Grid:
    rows: dict[int, TypedRow]
    data: list[RowData]


def read_grid(sample: Sample, form: MultiDict[str, str]) -> Grid:
    """The rows posted: `item` lists the ids of the rows; `r-<id>-<code>`, `void-<id>`, `note-<id>`, `evidence-<id>`."""
    codes = [a["code"] for a in sample.attribute_list]
    allowed = {value for value, _ in CELL_CHOICES}
    rows: dict[int, TypedRow] = {}
    data: list[RowData] = []
    for raw in form.getlist("item")[:500]:
        if not raw.isdigit() or not 0 < int(raw) <= MAX_ID:
            continue
        item_id = int(raw)
        typed = TypedRow(
            results={c: form.get(f"r-{item_id}-{c}", "") for c in codes},
            void=bool(form.get(f"void-{item_id}")),
            note=form.get(f"note-{item_id}", ""),
            evidence=form.get(f"evidence-{item_id}", ""),
        )
        rows[item_id] = typed
        # A reference that names no entry is sent as 0, which the service refuses ("choose evidence of this audit").
        evidence_id = (evidence_value(typed.evidence) or 0) if typed.evidence.strip() else None
        results = {c: SampleItemResult(v) for c, v in typed.results.items() if v and v in allowed}
        data.append(RowData(item_id, results, typed.void, typed.note, evidence_id))
    return Grid(rows, data)
