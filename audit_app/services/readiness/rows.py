"""The plain rows the readiness reading returns (what the rules, panels and pages show), kept apart from the
queries in `asof` that fill them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from audit_app.models import ResponseResult


@dataclass(frozen=True)
class LibraryItem:
    ref: str
    title: str
    kind: str
    parent_ref: str | None
    auditable: bool

    @property
    def is_control(self) -> bool:
        return self.ref.startswith("A.")

    @property
    def group(self) -> str:
        """The heat map row: the top clause (4 … 10) or the Annex A objective (A.2 … A.10)."""
        if self.is_control:
            return self.parent_ref or self.ref
        return self.ref.split(".")[0]


@dataclass(frozen=True)
class LatestResult:
    ref: str
    result: ResponseResult
    audit_id: int
    audit_reference: str


@dataclass(frozen=True)
class AuditRow:
    id: int
    reference: str
    title: str
    at: datetime


@dataclass(frozen=True)
class FindingRow:
    id: int
    reference: str
    title: str
    grade: str
    status: str
    issued_at: datetime


@dataclass(frozen=True)
class SystemRow:
    id: int
    name: str
    impact_assessed_on: date | None


@dataclass(frozen=True)
class ActionRow:
    kind: str  # "capa" or "review"
    id: int
    parent_id: int
    label: str
    due_on: date


@dataclass(frozen=True)
class OpenFindings:
    #: (grade, age band) -> count of open issued findings.
    by_grade_age: dict[tuple[str, str], int]
    majors: list[FindingRow]
    major_count: int
    minors_without_plan: list[FindingRow]
    minors_without_plan_count: int
    minor_count: int
