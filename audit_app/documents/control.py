"""Document control: the version, status and sign-offs a document shows on its cover and in its control table."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime


@dataclass(frozen=True)
class VersionLine:
    """One earlier issued version, for the version history."""

    version: int
    issued_on: date
    issued_by: str
    change_note: str


@dataclass(frozen=True)
class SignOff:
    name: str
    on: date


@dataclass(frozen=True)
class DocumentControl:
    """Whether the document is a draft or issued, and everything its cover and control table show about that."""

    draft: bool
    #: The version this document is; for a draft, the version it would become if issued now.
    version: int
    generated_at: datetime
    generated_by: str
    marking: str
    organisation: str
    prepared: SignOff | None = None
    reviewed: SignOff | None = None
    approved: SignOff | None = None
    distribution: tuple[str, ...] = ()
    change_note: str = ""
    history: tuple[VersionLine, ...] = field(default_factory=tuple)

    @property
    def status_label(self) -> str:
        """ "DRAFT (would be version 2)" or "ISSUED — version 2"."""
        if self.draft:
            return f"DRAFT (would be version {self.version})"
        return f"ISSUED — version {self.version}"
