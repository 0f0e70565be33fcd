"""Which findings are nonconformities, in SQL, and the same requirement nonconforming again (recurrence).

Whether a grade is a nonconformity depends on the programme's grade scheme (grades.py); lists need that rule as a
SQL condition, built here from the schemes of all programmes (one narrow query: programmes are few). Recurrence
(ISO/IEC 42001 10.2 b: "determine whether similar nonconformities exist") is another nonconformity against the same
clause or control, raised earlier: the register shows "recurs: IA-2025-02-NC-01".

`open_by_ref` counts the open nonconformities per clause or control for the coverage matrix's priorities, in one
grouped query whatever the number of findings or programmes.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

import sqlalchemy as sa

from audit_app.extensions import db
from audit_app.models import DEFAULT_GRADES, AuditProgramme, Finding, FindingClause, FindingStatus, User
from audit_app.services.findings.policy import visible_where

#: How many earlier nonconformities a register row names (the nearest first).
RECURRENCES_SHOWN = 3
#: Not a nonconformity on record any more: withdrawn, or merged into another finding.
VOID_STATES = (FindingStatus.WITHDRAWN, FindingStatus.MERGED)
#: Final states: the nonconformity no longer calls for attention.
DONE_STATES = (FindingStatus.CLOSED_EFFECTIVE, FindingStatus.CLOSED, *VOID_STATES)


def nonconformity_codes(scheme: Iterable[dict[str, Any]] | None) -> frozenset[str]:
    """The grade codes of a scheme that are nonconformities (the default scheme when none is given)."""
    return frozenset(str(g["code"]) for g in (scheme or DEFAULT_GRADES) if g.get("nonconformity"))


def nonconformity_where(finding: Any = Finding) -> sa.ColumnElement[bool]:
    """SQL: `finding` (the Finding entity or an alias of it) is graded a nonconformity by its programme's scheme."""
    default = nonconformity_codes(None)
    by_codes: dict[frozenset[str], list[int]] = {}
    for programme_id, scheme in db.session.execute(sa.select(AuditProgramme.id, AuditProgramme.grade_scheme)):
        by_codes.setdefault(nonconformity_codes(scheme), []).append(programme_id)
    parts = [sa.and_(finding.programme_id.is_(None), finding.grade.in_(default))]
    parts += [
        sa.and_(finding.programme_id.in_(ids), finding.grade.in_(codes)) for codes, ids in by_codes.items() if codes
    ]
    return sa.or_(*parts)


def earlier_nonconformities(user: User, findings: Sequence[Finding]) -> dict[int, list[str]]:
    """Per finding id, the references of up to RECURRENCES_SHOWN earlier issued nonconformities (that the user may
    see) against one of its clauses or controls, the first ones first.

    One statement for the whole page whatever the register's size: per clause or control of the page, the first
    few nonconformities ever raised against it (a window over that ref's findings, never a join of every row with
    every other); a row recurs when one of them was raised before it.
    """
    refs = {ref for f in findings for ref in f.clause_refs}
    if not refs:
        return {}
    first = (
        sa.func.row_number()
        .over(partition_by=FindingClause.ref, order_by=(Finding.raised_at, Finding.id))
        .label("rank")
    )
    ranked = (
        sa.select(FindingClause.ref, Finding.id, Finding.reference, Finding.raised_at, first)
        .join(Finding, Finding.id == FindingClause.finding_id)
        .where(
            FindingClause.ref.in_(refs),
            Finding.issued_at.is_not(None),
            Finding.status.not_in(VOID_STATES),
            nonconformity_where(Finding),
            visible_where(user),
        )
        .subquery()
    )
    # A row may itself be among a ref's first ones: read one more than shown.
    rows = db.session.execute(
        sa.select(ranked.c.ref, ranked.c.id, ranked.c.reference, ranked.c.raised_at)
        .where(ranked.c.rank <= RECURRENCES_SHOWN + 1)
        .order_by(ranked.c.raised_at, ranked.c.id)
    ).all()
    found: dict[int, list[str]] = {}
    for finding in findings:
        mine = set(finding.clause_refs)
        for ref, other_id, reference, raised_at in rows:
            earlier = (raised_at, other_id) < (finding.raised_at, finding.id)
            refs_found = found.setdefault(finding.id, [])
            if ref in mine and earlier and reference not in refs_found and len(refs_found) < RECURRENCES_SHOWN:
                refs_found.append(reference)
    return {finding_id: refs for finding_id, refs in found.items() if refs}


def open_by_ref() -> dict[str, int]:
    """Per clause or control id, the open nonconformities of any programme (issued; not closed, withdrawn or
    merged): one grouped query, the grade judged by each programme's scheme (grouped by the scheme's text)."""
    scheme = sa.cast(AuditProgramme.grade_scheme, sa.Text)
    rows = db.session.execute(
        sa.select(FindingClause.ref, Finding.grade, scheme, sa.func.count(Finding.id))
        .join(Finding, Finding.id == FindingClause.finding_id)
        .outerjoin(AuditProgramme, AuditProgramme.id == Finding.programme_id)
        .where(Finding.issued_at.is_not(None), Finding.status.not_in(DONE_STATES))
        .group_by(FindingClause.ref, Finding.grade, scheme)
    )
    counts: dict[str, int] = {}
    for ref, grade, scheme_text, number in rows:
        if grade in nonconformity_codes(json.loads(scheme_text) if scheme_text else None):
            counts[ref] = counts.get(ref, 0) + int(number)
    return counts
