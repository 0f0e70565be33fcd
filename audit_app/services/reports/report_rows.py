"""The rows the audit report and its certification-style variant show: plain values (str, int, date), no ORM objects,
so the Word builders never touch the database."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from audit_app.models import ResponseResult

R = ResponseResult


@dataclass(frozen=True)
class Person:
    name: str
    role: str


@dataclass(frozen=True)
class SessionRow:
    day: date
    #: "09:00 to 10:30" written with an en dash.
    time: str
    activity: str
    title: str
    #: The place, or "Remote" with the link's host only being a working detail.
    place: str
    mode: str
    auditors: str
    auditees: str
    units: str
    items: str


@dataclass(frozen=True)
class MeetingRow:
    kind: str
    held_at: str
    attendees: tuple[str, ...]
    points: tuple[str, ...]
    notes: str
    diverging_opinions: str


@dataclass(frozen=True)
class DocumentRow:
    document: str
    version: str
    adequacy: str
    reviewed_on: date
    reviewed_by: str
    notes: str


@dataclass(frozen=True)
class Counts:
    """Results of the checklist items of one area (or one area for one AI system)."""

    items: int = 0
    conforming: int = 0
    nonconformity: int = 0
    observation: int = 0
    ofi: int = 0
    not_applicable: int = 0
    not_audited: int = 0
    #: Not yet assessed (or no response at all).
    open: int = 0

    @classmethod
    def of(cls, results: Iterable[ResponseResult | None]) -> Counts:
        tally: dict[ResponseResult | None, int] = {}
        total = 0
        for result in results:
            tally[result] = tally.get(result, 0) + 1
            total += 1
        return cls(
            items=total,
            conforming=tally.get(R.CONFORMING, 0),
            nonconformity=tally.get(R.NONCONFORMITY, 0),
            observation=tally.get(R.OBSERVATION, 0),
            ofi=tally.get(R.OFI, 0),
            not_applicable=tally.get(R.NOT_APPLICABLE, 0),
            not_audited=tally.get(R.NOT_AUDITED, 0),
            open=tally.get(R.NOT_ASSESSED, 0) + tally.get(None, 0),
        )

    @property
    def judged(self) -> int:
        """Items audited and judged (applicable ones): the base of the conformity percentage."""
        return self.conforming + self.nonconformity + self.observation + self.ofi

    @property
    def percent_conforming(self) -> int | None:
        """Items without a nonconformity among those judged (observations and OFIs conform), in percent."""
        return round(100 * (self.judged - self.nonconformity) / self.judged) if self.judged else None


@dataclass(frozen=True)
class AreaRow:
    #: "4" … "10", "A.2" … "A.10".
    area: str
    title: str
    counts: Counts
    #: The team conference's conclusion for the area ("" when none is recorded).
    fulfilment: str
    statement: str


@dataclass(frozen=True)
class SubjectAreaRow:
    """An area's results for one AI system (or unit) where results were recorded per subject."""

    subject: str
    area: str
    counts: Counts


@dataclass(frozen=True)
class NotAuditedRow:
    ref: str
    title: str
    reason: str


@dataclass(frozen=True)
class ExceptionRow:
    """A justified impartiality exception: who, where (the audit or a session) and why."""

    who: str
    where: str
    reason: str


@dataclass(frozen=True)
class AttributeRow:
    code: str
    text: str
    tested: int
    deviations: int
    rate: str
    upper_limit: str
    conclusion: str


@dataclass(frozen=True)
class SampleRow:
    reference: str
    title: str
    status: str
    checklist_refs: str
    sampling_unit: str
    population_source: str
    population_description: str
    completeness_check: str
    population_size: int | None
    population_hash: str
    method: str
    size_basis: str
    seed: int | None
    algorithm: str
    sample_size: int | None
    size_rationale: str
    attributes: tuple[AttributeRow, ...]
    deviations: int | None
    upper_limit: str
    conclusion: str
    deviation_nature: str
    deviation_cause: str
    signed_off: str


@dataclass(frozen=True)
class EvidenceRow:
    reference: str
    method: str
    source: str
    evidence_date: date
    files: str


@dataclass(frozen=True)
class CitedSample:
    reference: str
    title: str
    summary: str
    population: int | None
    tested: int | None
    deviations: int | None
    period: str


@dataclass(frozen=True)
class DueRow:
    step: str
    due_on: date
    met: bool


@dataclass(frozen=True)
class FindingRow:
    id: int
    #: The issued reference, or "Draft finding 12".
    reference: str
    grade: str
    grade_label: str
    nonconformity: bool
    major: bool
    good_practice: bool
    title: str
    clauses: tuple[str, ...]
    other_criteria: str
    requirement: str
    statement: str
    evidence_summary: str
    grade_rationale: str
    evidence: tuple[EvidenceRow, ...]
    samples: tuple[CitedSample, ...]
    where: str
    auditee_unit: str
    process_owner: str
    status: str
    #: Issued after the lead auditor's review (False: a draft or a finding submitted for review).
    reviewed: bool
    #: In a final state (closed, closed effective); open otherwise.
    final: bool
    dues: tuple[DueRow, ...]

    @property
    def area(self) -> str:
        """The first clause's area ("4" … "10", "A.2" … "A.10"), "—" without clauses."""
        if not self.clauses:
            return "—"
        parts = self.clauses[0].split(".")
        return ".".join(parts[:2]) if parts[0] == "A" and len(parts) > 1 else parts[0]


@dataclass(frozen=True)
class EarlierFindingRow:
    reference: str
    audit: str
    grade_label: str
    nonconformity: bool
    title: str
    auditee_unit: str
    status: str
    open: bool
    #: "2 actions, 1 implemented" (nonconformities), the consideration for observations and OFIs.
    capa: str
    closed_on: date | None


@dataclass(frozen=True)
class GradeCount:
    code: str
    label: str
    nonconformity: bool
    count: int


@dataclass(frozen=True)
class ConclusionData:
    held_at: str
    participants: str
    fulfilment: str
    conclusion: str
    objectives_met: bool
    obstacles: str
    recommendations: str
    follow_up: str


@dataclass(frozen=True)
class DivergingOpinion:
    finding: str
    reason: str
    status: str
    resolution: str


@dataclass(frozen=True)
class ManifestRow:
    name: str
    sha256: str
    size: int
