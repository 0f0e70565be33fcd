"""The finding quality check (DOMAIN 2.7): what blocks submission, and what is flagged for the auditor to fix
or override with a reason.

Blockers cannot be overridden: a nonconformity without its three parts (requirement, objective evidence,
statement), a nonconformity or observation without an evidence link (outside an audit: without the reference of
the incident, complaint or report it comes from), a finding without any criterion.
Flags can: the three parts repeating each other, vague wording ("some", "not always", "appears to", "may" …),
and cited evidence without a source reference. The lead auditor is also told when several minor
nonconformities of one audit hit the same requirement (together they may be a major).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator
from dataclasses import dataclass

import sqlalchemy as sa

from audit_app.extensions import db
from audit_app.models import Finding, FindingClause, FindingStatus
from audit_app.services.findings import grades

#: Words and phrases that make a finding sound unsure; each is matched as whole words, any case.
VAGUE_PHRASES = (
    "some",
    "not always",
    "appears to",
    "appear to",
    "may",
    "might",
    "seems",
    "seem to",
    "possibly",
    "probably",
    "sometimes",
    "generally",
    "in general",
    "etc",
)
_VAGUE = re.compile(r"\b(" + "|".join(re.escape(p) for p in VAGUE_PHRASES) + r")\b", re.IGNORECASE)
#: Sources that name no document, record or role.
GENERIC_SOURCES = frozenset({"", "-", "n/a", "na", "none", "see above", "interview", "document", "record", "various"})
#: Two parts this similar (0 to 1, difflib ratio on normalised text) are flagged as repeating each other.
SIMILARITY_LIMIT = 0.85
PARTS = (
    ("requirement", "requirement"),
    ("statement", "statement of nonconformity"),
    ("evidence_summary", "objective evidence"),
)


@dataclass(frozen=True)
class Flag:
    """Something the auditor should look at; `code` is what an override names."""

    code: str
    message: str


def _normal(text: str) -> str:
    return " ".join(text.lower().split())


def blockers(finding: Finding) -> list[str]:
    """What must be fixed before the finding can be submitted or issued (cannot be overridden)."""
    problems: list[str] = []
    if grades.entry(finding.programme, finding.grade) is None:
        problems.append(f"Choose a grade from the programme's scheme (“{finding.grade}” is not in it).")
    if grades.is_nonconformity(finding):
        for field, words in PARTS:
            if not getattr(finding, field).strip():
                problems.append(f"Write the {words}.")
    elif not finding.statement.strip():
        problems.append("Write the finding's statement.")
    if grades.needs_evidence(finding):
        if finding.audit_id is None and not finding.source_reference.strip():
            problems.append("Cite the record it comes from (incident, complaint or report reference).")
        elif finding.audit_id is not None and not finding.evidence and not finding.samples:
            problems.append("Link at least one evidence entry or sample: a nonconformity or observation needs one.")
    if not finding.clauses and not finding.other_criteria.strip():
        problems.append("Name at least one clause or control (or another criterion such as an internal policy).")
    return problems


def flags(finding: Finding) -> list[Flag]:
    """Everything the check flags, overridden or not (nonconformities only: others are not checked)."""
    if not grades.is_nonconformity(finding):
        return []
    found: list[Flag] = []
    texts = {field: _normal(getattr(finding, field)) for field, _ in PARTS}
    names = dict(PARTS)
    for i, (a, _) in enumerate(PARTS):
        for b, _ in PARTS[i + 1 :]:
            if texts[a] and texts[b] and difflib.SequenceMatcher(None, texts[a], texts[b]).ratio() >= SIMILARITY_LIMIT:
                found.append(
                    Flag(
                        f"same:{a}:{b}",
                        f"The {names[a]} and the {names[b]} say the same thing: each must add its own part.",
                    )
                )
    for field in ("statement", "evidence_summary"):
        words = sorted({m.group(0).lower() for m in _VAGUE.finditer(getattr(finding, field))})
        if words:
            found.append(
                Flag(
                    f"vague:{field}",
                    f"The {names[field]} uses vague wording ({', '.join(f'“{w}”' for w in words)}): state what was "
                    "found, how many and where.",
                )
            )
    for entry in finding.evidence:
        if _normal(entry.source).strip(" .") in GENERIC_SOURCES:
            found.append(
                Flag(
                    f"source:{entry.id}",
                    f"Evidence entry {entry.id} names no source (document and version, record id, or the "
                    "interviewee's role).",
                )
            )
    return found


def open_flags(finding: Finding) -> list[Flag]:
    """Flags not overridden with a reason."""
    overrides = finding.quality_overrides or {}
    return [f for f in flags(finding) if not str(overrides.get(f.code, "")).strip()]


def submission_blockers(finding: Finding) -> list[str]:
    """The gate of "submit" and "issue": blockers, then flags still open."""
    return blockers(finding) + [f"{f.message} (or override the flag with a reason)" for f in open_flags(finding)]


@dataclass(frozen=True)
class Cited:
    """A finding named in a notice: its id and label (reference, or "Draft finding n")."""

    id: int
    label: str


@dataclass(frozen=True)
class PossibleMajor:
    """Live minor nonconformities of one audit against one clause or control: how many, and the first few."""

    count: int
    findings: list[Cited]

    def __iter__(self) -> Iterator[Cited]:
        return iter(self.findings)

    @property
    def more(self) -> int:
        return self.count - len(self.findings)


#: How many of the minors a notice names per clause or control.
NAMED = 10


def possible_majors(audit_id: int, *, finding_id: int | None = None) -> dict[str, PossibleMajor]:
    """Clause or control → the audit's live minor nonconformities against it, where there are two or more (only the
    clauses of `finding_id` when given). Two statements whatever the audit's size."""
    live = sa.and_(
        Finding.audit_id == audit_id,
        Finding.grade == "minor",
        sa.not_(Finding.status.in_([FindingStatus.WITHDRAWN, FindingStatus.MERGED])),
    )
    grouped = (
        sa.select(FindingClause.ref, sa.func.count(Finding.id))
        .join(Finding, FindingClause.finding_id == Finding.id)
        .where(live)
        .group_by(FindingClause.ref)
        .having(sa.func.count(Finding.id) >= 2)
    )
    if finding_id is not None:
        grouped = grouped.where(
            FindingClause.ref.in_(sa.select(FindingClause.ref).where(FindingClause.finding_id == finding_id))
        )
    counts: dict[str, int] = dict(db.session.execute(grouped).all())
    if not counts:
        return {}
    order = sa.func.row_number().over(partition_by=FindingClause.ref, order_by=Finding.id).label("n")
    ranked = (
        sa.select(FindingClause.ref, Finding.id, Finding.reference, order)
        .join(Finding, FindingClause.finding_id == Finding.id)
        .where(live, FindingClause.ref.in_(list(counts)))
        .subquery()
    )
    named: dict[str, list[Cited]] = {ref: [] for ref in counts}
    for ref, fid, reference, _ in db.session.execute(
        sa.select(ranked).where(ranked.c.n <= NAMED).order_by(ranked.c.ref, ranked.c.n)
    ):
        named[ref].append(Cited(fid, reference or f"Draft finding {fid}"))
    return {ref: PossibleMajor(counts[ref], named[ref]) for ref in sorted(counts)}
