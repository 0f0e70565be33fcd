"""Where the Statement of Applicability stands: the version in force on a day, and how complete a version is.

`approved_as_of` and `completeness` are what the readiness rules read; the SoA pages show the same flags.

The Annex A controls come from the clause library: the newest loaded version of the ISO/IEC 42001 checklist, its
auditable items whose ref starts with "A." (the 38 controls; the objectives A.2 … A.10 are not auditable).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from audit_app.extensions import db
from audit_app.models import ChecklistItem
from audit_app.models.soa import SoaEntry, SoaStatus, SoaVersion
from audit_app.services.library import checklists

#: The library checklist whose "A." items are the Annex A controls.
LIBRARY_CODE = checklists.ISO42001_CODE
#: A justification shorter than this (in characters, after trimming) says too little to stand on its own.
MIN_JUSTIFICATION = 25
#: Phrases that justify nothing when they are (nearly) all a justification says.
STOCK_PHRASES = (
    "not applicable",
    "n/a",
    "na",
    "see policy",
    "as required",
    "applicable",
    "required",
    "yes",
    "no",
    "tbd",
    "to be defined",
    "none",
    "not relevant",
)
#: The same justification written for this many entries or more is boilerplate.
REPEATED_AT = 3


@dataclass(frozen=True)
class AnnexControl:
    ref: str
    title: str


@dataclass(frozen=True)
class SoaCompleteness:
    total: int
    complete: int
    #: Annex A refs of the library that the version does not list at all.
    missing_controls: list[str] = field(default_factory=list)
    #: (ref, what is missing) for every entry lacking something it needs.
    incomplete: list[tuple[str, str]] = field(default_factory=list)
    #: (ref, why the justification is flagged) for blank or boilerplate justifications.
    flagged: list[tuple[str, str]] = field(default_factory=list)

    @property
    def is_complete(self) -> bool:
        return not (self.missing_controls or self.incomplete or self.flagged)


def annex_a_controls() -> list[AnnexControl]:
    """The Annex A controls of the newest loaded ISO/IEC 42001 library version, in library order (one query)."""
    newest = checklists.newest_version_id(LIBRARY_CODE)
    rows = db.session.execute(
        sa.select(ChecklistItem.ref, ChecklistItem.title)
        .where(ChecklistItem.version_id == newest, ChecklistItem.ref.startswith("A."), ChecklistItem.auditable)
        .order_by(ChecklistItem.position)
    )
    return [AnnexControl(ref, title) for ref, title in rows]


def end_of_day(day: date) -> datetime:
    """The first moment after `day` (UTC): a record stamped before it happened on or before `day`."""
    return datetime.combine(day + timedelta(days=1), time.min, tzinfo=UTC)


def approved_as_of(day: date) -> SoaVersion | None:
    """The version that was in force at the end of `day` (UTC): the newest one approved on or before that day.

    Approving a version supersedes the one before, so the newest approval up to that day is the one not yet
    superseded by another approval on or before the day. Its entries come loaded.
    """
    return db.session.scalars(
        sa.select(SoaVersion)
        .options(selectinload(SoaVersion.entries))
        .where(
            SoaVersion.approved_at.is_not(None),
            SoaVersion.approved_at < end_of_day(day),
            SoaVersion.status.in_((SoaStatus.APPROVED, SoaStatus.SUPERSEDED)),
        )
        .order_by(SoaVersion.approved_at.desc(), SoaVersion.id.desc())
        .limit(1)
    ).first()


def normalised(text: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"[^\w/ ]+", " ", text.lower())).strip()


def justification_flag(text: str, repeats: int = 1) -> str | None:
    """Why a justification is not good enough (blank, a stock phrase, too short, copied), or None."""
    plain = normalised(text)
    if not plain:
        return "The justification is blank."
    if plain in STOCK_PHRASES or plain.rstrip(" .") in STOCK_PHRASES:
        return f"The justification is only a stock phrase (“{text.strip()[:40]}”): say why, for this organisation."
    for phrase in ("see policy", "as required", "not applicable", "n/a"):
        rest = plain.replace(phrase, "").strip()
        if phrase in plain and len(rest) < MIN_JUSTIFICATION:
            return f"The justification is little more than “{phrase}”: say why, for this organisation."
    if len(text.strip()) < MIN_JUSTIFICATION:
        return f"The justification is very short ({len(text.strip())} characters): give the reason in a sentence."
    if repeats >= REPEATED_AT:
        return f"The same justification is written for {repeats} controls: give each control its own reason."
    return None


def entry_gaps(entry: SoaEntry) -> list[str]:
    """What an entry still lacks: decision, justification, implementation status, owner, what it addresses."""
    gaps = []
    if entry.applicable is None:
        gaps.append("decision (applicable or excluded)")
    if not entry.justification.strip():
        gaps.append("justification")
    if entry.applicable and entry.implementation is None:
        gaps.append("implementation status")
    if entry.owner_unit_id is None:
        gaps.append("owner unit")
    if entry.applicable and not entry.addresses.strip() and not entry.systems:
        gaps.append("the risks or AI systems it addresses")
    return gaps


def flags(entries: list[SoaEntry]) -> dict[str, str]:
    """Flagged justification per control ref (blank ones are flagged as incomplete, not here)."""
    counts = Counter(normalised(e.justification) for e in entries if e.justification.strip())
    found = {}
    for entry in entries:
        if not entry.justification.strip():
            continue
        reason = justification_flag(entry.justification, counts[normalised(entry.justification)])
        if reason is not None:
            found[entry.control_ref] = reason
    return found


def completeness(version: SoaVersion, controls: list[AnnexControl] | None = None) -> SoaCompleteness:
    """How complete a version is: every Annex A control listed, each entry with everything it needs, and no
    flagged justification. `total` counts the entries plus the missing Annex A controls; `complete` the entries
    with nothing missing and nothing flagged. Loads the entries with their AI systems in two queries."""
    controls = annex_a_controls() if controls is None else controls
    entries = list(
        db.session.scalars(
            sa.select(SoaEntry)
            .options(selectinload(SoaEntry.systems))
            .where(SoaEntry.version_id == version.id)
            .order_by(SoaEntry.position)
        )
    )
    listed = {e.control_ref for e in entries}
    missing = [c.ref for c in controls if c.ref not in listed]
    incomplete = [(e.control_ref, "; ".join(gaps)) for e in entries if (gaps := entry_gaps(e))]
    flagged_by_ref = flags(entries)
    blank = [(e.control_ref, "The justification is blank.") for e in entries if not e.justification.strip()]
    flagged = [*blank, *flagged_by_ref.items()]
    bad = {ref for ref, _ in incomplete} | {ref for ref, _ in flagged}
    order = {e.control_ref: e.position for e in entries}
    return SoaCompleteness(
        total=len(entries) + len(missing),
        complete=sum(1 for e in entries if e.control_ref not in bad),
        missing_controls=missing,
        incomplete=incomplete,
        flagged=sorted(flagged, key=lambda pair: order[pair[0]]),
    )
