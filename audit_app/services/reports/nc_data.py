"""What one nonconformity report (NCR; DOMAIN 2.7) shows, gathered as plain data in a fixed number of statements.

The finding's criteria, requirement, statement and objective evidence (entries and samples), where it was found
and who answers for it; then the response the app already holds for the current cycle: acknowledgement,
correction, root cause, the action plan, verification, effectiveness and closure. The caller has checked that the
reader may see the finding (generate.nc_report loads it through the access policy).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, selectinload

from audit_app.extensions import db
from audit_app.models import (
    ActionStatus,
    CapaPlan,
    ChecklistResponse,
    CorrectiveAction,
    Evidence,
    Finding,
    FindingSample,
    Sample,
    User,
)
from audit_app.services.findings import grades


@dataclass(frozen=True)
class NcEvidence:
    reference: str
    item: str
    method: str
    source: str
    on: date
    description: str
    files: tuple[str, ...]


@dataclass(frozen=True)
class NcSample:
    reference: str
    title: str
    #: "3 of 25 sampled … deviated (population …, period …)", frozen when the sample was cited.
    summary: str
    population: str
    deviating: tuple[str, ...]


@dataclass(frozen=True)
class NcDue:
    step: str
    on: date
    original: date
    met: datetime | None


@dataclass(frozen=True)
class NcAction:
    description: str
    owner: str
    due: date
    status: str
    implementation: str
    implemented_at: datetime | None


@dataclass(frozen=True)
class NcPlan:
    correction: str
    rca_method: str
    rca_analysis: str
    root_cause: str
    extent_check: str
    submitted_by: str
    submitted_at: datetime | None
    decision: str
    decision_reason: str
    decided_by: str
    decided_at: datetime | None


@dataclass(frozen=True)
class NcReportData:
    reference: str
    title: str
    audit: str
    source: str
    grade: str
    major: bool
    systemic: bool
    grade_rationale: str
    clauses: tuple[str, ...]
    other_criteria: str
    requirement: str
    statement: str
    evidence_summary: str
    evidence: tuple[NcEvidence, ...]
    samples: tuple[NcSample, ...]
    ai_system: str
    location: str
    site: str
    auditee_unit: str
    process_owner: str
    raised_by: str
    raised_at: datetime
    issued_by: str
    issued_at: datetime | None
    status: str
    cycle: int
    dues: tuple[NcDue, ...]
    acknowledged_by: str
    acknowledged_at: datetime | None
    plan: NcPlan | None
    actions: tuple[NcAction, ...]
    verification: str
    verified_by: str
    verified_at: datetime | None
    effectiveness_review: str
    effectiveness_evidence: str
    effectiveness_by: str
    effectiveness_at: datetime | None
    closed_at: datetime | None
    final: bool


def _name(user: User | None) -> str:
    return user.name if user is not None else ""


def _load(finding: Finding) -> None:
    """Everything the report shows of the finding, its evidence, samples and response, loaded together."""
    people = (Finding.raised_by, Finding.issued_by, Finding.acknowledged_by, Finding.verified_by)
    db.session.execute(
        sa.select(Finding)
        .where(Finding.id == finding.id)
        .options(
            joinedload(Finding.audit),
            joinedload(Finding.programme),
            joinedload(Finding.ai_system),
            joinedload(Finding.location_unit),
            joinedload(Finding.auditee_unit),
            joinedload(Finding.process_owner),
            joinedload(Finding.effectiveness_by),
            *(joinedload(person) for person in people),
            selectinload(Finding.clauses),
            selectinload(Finding.evidence).selectinload(Evidence.files),
            selectinload(Finding.evidence).joinedload(Evidence.response).joinedload(ChecklistResponse.item),
            selectinload(Finding.samples).joinedload(FindingSample.sample).joinedload(Sample.audit),
            selectinload(Finding.plans).joinedload(CapaPlan.submitted_by),
            selectinload(Finding.plans).joinedload(CapaPlan.decided_by),
            selectinload(Finding.actions).joinedload(CorrectiveAction.owner),
            selectinload(Finding.dues),
        )
        .execution_options(populate_existing=True)
    ).unique().scalar_one()


def _plan(finding: Finding) -> NcPlan | None:
    plan = next((p for p in reversed(finding.plans) if p.cycle == finding.cycle), None)
    if plan is None:
        return None
    return NcPlan(
        correction=plan.correction,
        rca_method=plan.rca_method.label if plan.rca_method is not None else "",
        rca_analysis=plan.rca_analysis,
        root_cause=plan.root_cause,
        extent_check=plan.extent_check,
        submitted_by=_name(plan.submitted_by),
        submitted_at=plan.submitted_at,
        decision=plan.decision.label if plan.decision is not None else "",
        decision_reason=plan.decision_reason,
        decided_by=_name(plan.decided_by),
        decided_at=plan.decided_at,
    )


def _sample(link: FindingSample) -> NcSample:
    s = link.sample
    unit = s.sampling_unit or "items"
    size = f"{s.population_size} {unit}" if s.population_size is not None else "size not recorded"
    described = s.population_description.strip()
    return NcSample(
        reference=s.reference,
        title=s.title,
        summary=link.summary,
        population=f"{described} ({size})" if described else size,
        deviating=tuple(link.deviating_items),
    )


def nc_report_data(finding: Finding) -> NcReportData:
    _load(finding)
    f = finding
    audit = f.audit
    where = f.location_unit.name if f.location_unit is not None else ""
    return NcReportData(
        reference=f.label,
        title=f.title,
        audit=f"{audit.reference} {audit.title} ({audit.audit_type.label})" if audit is not None else "",
        source=f.source.label + (f" — {f.source_reference}" if f.source_reference else ""),
        grade=grades.grade_label(f),
        major=grades.is_major(f),
        systemic=f.systemic,
        grade_rationale=f.grade_rationale,
        clauses=tuple(f.clause_refs),
        other_criteria=f.other_criteria,
        requirement=f.requirement,
        statement=f.statement,
        evidence_summary=f.evidence_summary,
        evidence=tuple(
            NcEvidence(
                reference=f"EV-{e.id}",
                item=e.response.item.ref,
                method=f"{e.method.label} ({e.mode.label.lower()})",
                source=e.source,
                on=e.evidence_date,
                description=e.description,
                files=tuple(f"{file.name} (v{file.version})\nSHA-256 {file.sha256[:12]}…" for file in e.files),
            )
            for e in f.evidence
        ),
        samples=tuple(_sample(link) for link in f.samples),
        ai_system=f.ai_system.name if f.ai_system is not None else "",
        location=where,
        site=f.site,
        auditee_unit=f.auditee_unit.name if f.auditee_unit is not None else "",
        process_owner=_name(f.process_owner),
        raised_by=_name(f.raised_by),
        raised_at=f.raised_at,
        issued_by=_name(f.issued_by),
        issued_at=f.issued_at,
        status=f.status.label,
        cycle=f.cycle,
        dues=tuple(NcDue(d.step.label, d.due_on, d.original_due_on, d.met_at) for d in f.dues if d.cycle == f.cycle),
        acknowledged_by=_name(f.acknowledged_by),
        acknowledged_at=f.acknowledged_at,
        plan=_plan(f),
        actions=tuple(
            NcAction(
                description=a.description,
                owner=_name(a.owner),
                due=a.due_on,
                status=a.status.label,
                implementation=a.implementation_note,
                implemented_at=a.implemented_at,
            )
            for a in f.actions
            if a.cycle == f.cycle and a.status is not ActionStatus.CANCELLED
        ),
        verification=f.implementation_verification,
        verified_by=_name(f.verified_by),
        verified_at=f.verified_at,
        effectiveness_review=f.effectiveness_review,
        effectiveness_evidence=f.effectiveness_evidence,
        effectiveness_by=_name(f.effectiveness_by),
        effectiveness_at=f.effectiveness_at,
        closed_at=f.closed_at,
        final=f.is_final,
    )
