"""What the CAPA register report shows (ISO/IEC 42001 10.2 and 9.3.2 c), gathered as plain data.

The same register as the register pages and their exports (services/findings/register.py): one audit's findings,
or every finding the reader may see, always through the access rule (`policy.visible_where`), so an auditee's
document holds only the issued findings of their unit (or that they own or act on). Rows are read in chunks with
the register's set-based row building, so the number of statements depends on the number of chunks, never on the
rows in each. Beyond MAX_ROWS findings the report is refused with a request to narrow it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import TypeVar

import sqlalchemy as sa

from audit_app.errors import Conflict
from audit_app.extensions import db
from audit_app.models import DEFAULT_GRADES, FINAL_STATES, Audit, FindingStatus, User
from audit_app.services import paging
from audit_app.services.findings import dues
from audit_app.services.findings.register import (
    RegisterFilters,
    action_options,
    action_rows,
    actions_statement,
    finding_options,
    findings_statement,
    rows_for,
)

T = TypeVar("T")

#: The most findings (and, separately, actions) one register document holds.
MAX_ROWS = 5_000
#: Rows read and built at a time.
CHUNK = 500
#: Final states that are not a closure: the finding was withdrawn or merged into another.
SET_ASIDE = frozenset({FindingStatus.WITHDRAWN, FindingStatus.MERGED})


@dataclass(frozen=True)
class GradeCount:
    grade: str
    total: int
    open: int
    overdue: int
    closed: int
    set_aside: int


@dataclass(frozen=True)
class RegisterFindingRow:
    reference: str
    title: str
    grade: str
    clauses: str
    unit: str
    owner: str
    status: str
    next_due: date | None
    next_due_step: str
    overdue: bool
    age_days: int


@dataclass(frozen=True)
class RegisterActionRow:
    finding: str
    description: str
    cycle: int
    owner: str
    due: date
    status: str
    overdue: bool


@dataclass(frozen=True)
class CapaRegisterData:
    #: "IA-2026-03 Model governance", or "" for every finding the reader may see.
    audit: str
    reader: str
    day: date
    counts: tuple[GradeCount, ...]
    findings: tuple[RegisterFindingRow, ...]
    actions: tuple[RegisterActionRow, ...]

    @property
    def total(self) -> GradeCount:
        return GradeCount(
            "All grades",
            sum(c.total for c in self.counts),
            sum(c.open for c in self.counts),
            sum(c.overdue for c in self.counts),
            sum(c.closed for c in self.counts),
            sum(c.set_aside for c in self.counts),
        )


def _chunks(stmt: sa.Select[T]) -> Iterator[list[T]]:
    offset = 0
    while True:
        items = list(db.session.scalars(stmt.limit(CHUNK).offset(offset)))
        if not items:
            return
        yield items
        if len(items) < CHUNK:
            return
        offset += CHUNK


def _checked(stmt: sa.Select[T], what: str) -> None:
    total = paging.count(stmt)
    if total > MAX_ROWS:
        raise Conflict(
            f"The register document holds at most {MAX_ROWS:,} {what} and {total:,} match: generate it for one "
            "audit, or export the register as a spreadsheet instead."
        )


def _grade_order(label: str) -> tuple[int, str]:
    known = [g["label"] for g in DEFAULT_GRADES]
    return (known.index(label) if label in known else len(known), label)


def capa_register_data(actor: User, audit: Audit | None) -> CapaRegisterData:
    today = dues.today()
    filters = RegisterFilters(audit_id=audit.id if audit is not None else None)
    stmt = findings_statement(actor, filters, day=today)
    _checked(stmt, "findings")
    findings: list[RegisterFindingRow] = []
    tally: dict[str, list[int]] = {}
    for chunk in _chunks(stmt.options(*finding_options())):
        for row in rows_for(actor, chunk, day=today):
            f = row.finding
            tallied = tally.setdefault(row.grade_label, [0, 0, 0, 0, 0])
            tallied[0] += 1
            if f.status not in FINAL_STATES:
                tallied[1] += 1
                tallied[2] += int(row.overdue)
            elif f.status in SET_ASIDE:
                tallied[4] += 1
            else:
                tallied[3] += 1
            findings.append(
                RegisterFindingRow(
                    reference=f.label,
                    title=f.title,
                    grade=row.grade_label,
                    clauses=", ".join(f.clause_refs),
                    unit=f.auditee_unit.name if f.auditee_unit is not None else "",
                    owner=f.process_owner.name if f.process_owner is not None else "",
                    status=f.status.label,
                    next_due=row.next_due.on if row.next_due else None,
                    next_due_step=row.next_due.what if row.next_due else "",
                    overdue=row.overdue,
                    age_days=row.age_days,
                )
            )
    action_stmt = actions_statement(actor, filters, day=today)
    _checked(action_stmt, "corrective actions")
    actions = [
        RegisterActionRow(
            finding=r.action.finding.label,
            description=r.action.description,
            cycle=r.action.cycle,
            owner=r.action.owner.name if r.action.owner is not None else "",
            due=r.action.due_on,
            status=r.action.status.label,
            overdue=r.overdue,
        )
        for chunk in _chunks(action_stmt.options(*action_options()))
        for r in action_rows(chunk, day=today)
    ]
    return CapaRegisterData(
        audit=f"{audit.reference} {audit.title}" if audit is not None else "",
        reader=actor.name,
        day=today,
        counts=tuple(GradeCount(label, *tally[label]) for label in sorted(tally, key=_grade_order)),
        findings=tuple(findings),
        actions=tuple(actions),
    )
