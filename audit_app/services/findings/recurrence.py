"""Which findings are nonconformities, in SQL, and the same requirement nonconforming again (recurrence).

Whether a grade is a nonconformity depends on the programme's grade scheme (grades.py); lists need that rule as a
SQL condition, built here from the schemes of all programmes (one narrow query: programmes are few). Recurrence
(ISO/IEC 42001 10.2 b: "determine whether similar nonconformities exist") is another nonconformity against the same
clause or control, raised earlier: the register shows "recurs: IA-2025-02-NC-01, and 2 more".

`open_by_ref` counts the open nonconformities per clause or control for the coverage matrix's priorities, in one
grouped query whatever the number of findings or programmes.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from audit_app.extensions import db
from audit_app.models import DEFAULT_GRADES, AuditProgramme, Finding, FindingClause, FindingStatus, User
from audit_app.services.findings.policy import visible_where

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
    # The programme id is read through coalesce() so that no planner drives a lookup from the programme index (every
    # finding of the programme) where the caller's own conditions (a clause, a page of ids) narrow far more.
    programme = sa.func.coalesce(finding.programme_id, 0)
    parts = [sa.and_(programme == 0, finding.grade.in_(default))]
    parts += [sa.and_(programme.in_(ids), finding.grade.in_(codes)) for codes, ids in by_codes.items() if codes]
    return sa.or_(*parts)


def earlier_nonconformities(user: User, findings: Sequence[Finding]) -> dict[int, list[str]]:
    """Per finding id, the earliest issued nonconformity (that the user may see) raised before it against one of its
    clauses or controls, and how many more there are ("IA-2025-02-NC-01", "and 2 more").

    One statement for the whole page whatever the register's size: two correlated subqueries per row of the page,
    each reading only the findings cited against that row's own clauses (the clause index), never a join of every
    finding with every other.
    """
    ids = [f.id for f in findings if f.clauses]
    if not ids:
        return {}
    mine = aliased(Finding, name="mine")
    theirs, ours = aliased(FindingClause, name="theirs"), aliased(FindingClause, name="ours")
    # Driven by the clause index: the findings cited against one of this row's clauses, then filtered.
    earlier = sa.and_(
        theirs.ref.in_(sa.select(ours.ref).where(ours.finding_id == mine.id).correlate(mine)),
        Finding.id != mine.id,
        sa.or_(Finding.raised_at < mine.raised_at, sa.and_(Finding.raised_at == mine.raised_at, Finding.id < mine.id)),
        Finding.issued_at.is_not(None),
        Finding.status.not_in(VOID_STATES),
        nonconformity_where(Finding),
        visible_where(user),
    )
    cited = sa.select(Finding.reference).select_from(theirs).join(Finding, Finding.id == theirs.finding_id)
    first = cited.where(earlier).order_by(Finding.raised_at, Finding.id).limit(1).correlate(mine).scalar_subquery()
    count = (
        sa.select(sa.func.count(sa.distinct(Finding.id)))
        .select_from(theirs)
        .join(Finding, Finding.id == theirs.finding_id)
        .where(earlier)
        .correlate(mine)
        .scalar_subquery()
    )
    found: dict[int, list[str]] = {}
    for finding_id, reference, number in db.session.execute(sa.select(mine.id, first, count).where(mine.id.in_(ids))):
        if reference:
            found[finding_id] = [reference] + ([f"and {number - 1} more"] if number > 1 else [])
    return found


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
