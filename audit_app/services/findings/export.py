"""Exports of the CAPA register: CSV and XLSX of the filtered findings view, or of the actions view.

An export holds every row the filters match that the user may see (the same statement as the register's pages,
so the same access rule), read in chunks of CHUNK rows with the same set-based row building as a page, so memory
stays bounded by the cap. Beyond MAX_EXPORT_ROWS rows the export is refused with a message asking for narrower
filters. Every text cell goes through `spreadsheets.safe_cell`: nothing a user typed is ever run as a formula.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import date, datetime
from typing import Any, TypeVar

import sqlalchemy as sa
from openpyxl import Workbook

from audit_app.errors import Conflict
from audit_app.extensions import db
from audit_app.models import User
from audit_app.services import paging
from audit_app.services.findings import dues
from audit_app.services.findings.register import (
    ActionRow,
    RegisterFilters,
    RegisterRow,
    action_options,
    action_rows,
    actions_statement,
    finding_options,
    findings_statement,
    rows_for,
)
from audit_app.services.spreadsheets import safe_cell

T = TypeVar("T")

#: The most rows one export holds (a spreadsheet of more is not read by anyone; narrow the filters instead).
MAX_EXPORT_ROWS = 50_000
#: Rows read and built at a time.
CHUNK = 500

FINDING_HEADER = [
    "Reference",
    "Title",
    "Grade",
    "Status",
    "Source",
    "Audit",
    "Auditee unit",
    "Process owner",
    "Clauses and controls",
    "AI system",
    "Statement",
    "Issued on",
    "Closed on",
    "Age (days)",
    "Next due",
    "Next due step",
    "Overdue",
    "Recurs",
]
ACTION_HEADER = ["Finding", "Finding status", "Action", "Cycle", "Owner", "Due on", "Status", "Overdue"]

CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _day(value: datetime | None) -> str:
    return value.date().isoformat() if value is not None else ""


def finding_cells(row: RegisterRow) -> list[str]:
    f = row.finding
    return [
        f.label,
        f.title,
        row.grade_label,
        f.status.label,
        f.source.label,
        f.audit.reference if f.audit is not None else "",
        f.auditee_unit.name if f.auditee_unit is not None else "",
        f.process_owner.name if f.process_owner is not None else "",
        ", ".join(f.clause_refs),
        f.ai_system.name if f.ai_system is not None else "",
        f.statement,
        _day(f.issued_at),
        _day(f.closed_at),
        str(row.age_days),
        row.next_due.on.isoformat() if row.next_due else "",
        row.next_due.what if row.next_due else "",
        "OVERDUE" if row.overdue else "",
        ", ".join(row.recurs),
    ]


def action_cells(row: ActionRow) -> list[str]:
    a = row.action
    return [
        a.finding.label,
        a.finding.status.label,
        a.description,
        str(a.cycle),
        a.owner.name if a.owner is not None else "",
        a.due_on.isoformat(),
        a.status.label,
        "OVERDUE" if row.overdue else "",
    ]


def _checked_total(stmt: sa.Select[Any]) -> None:
    total = paging.count(stmt)
    if total > MAX_EXPORT_ROWS:
        raise Conflict(
            f"The export holds at most {MAX_EXPORT_ROWS:,} rows and {total:,} match: narrow the filters "
            "(for example by status, unit or audit) and export again."
        )


def _chunks(stmt: sa.Select[T]) -> Iterator[list[T]]:
    offset = 0
    while True:
        items = list(db.session.scalars(stmt.limit(CHUNK).offset(offset)))
        if not items:
            return
        yield items
        offset += CHUNK


def register_rows(
    user: User, filters: RegisterFilters, *, actions: bool = False
) -> tuple[list[str], Iterator[list[str]]]:
    """The header and the cell rows of an export (refused beyond MAX_EXPORT_ROWS), built chunk by chunk."""
    day: date = dues.today()
    if actions:
        stmt = actions_statement(user, filters, day=day)
        _checked_total(stmt)
        loaded = stmt.options(*action_options())
        return ACTION_HEADER, (action_cells(r) for chunk in _chunks(loaded) for r in action_rows(chunk, day=day))
    stmt_f = findings_statement(user, filters, day=day)
    _checked_total(stmt_f)
    loaded_f = stmt_f.options(*finding_options())
    return FINDING_HEADER, (finding_cells(r) for chunk in _chunks(loaded_f) for r in rows_for(user, chunk, day=day))


def to_csv(header: list[str], rows: Iterator[list[str]]) -> bytes:
    """UTF-8 CSV with a BOM (spreadsheets then read the encoding right), every cell neutralised."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([safe_cell(c) for c in header])
    for row in rows:
        writer.writerow([safe_cell(c) for c in row])
    return b"\xef\xbb\xbf" + buffer.getvalue().encode("utf-8")


def to_xlsx(header: list[str], rows: Iterator[list[str]], *, title: str = "CAPA register") -> bytes:
    """An XLSX workbook (openpyxl's write-only mode: rows are written as they come), every cell neutralised and
    stored as text."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=title[:31])
    sheet.append([safe_cell(c) for c in header])
    for row in rows:
        sheet.append([safe_cell(c) for c in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
