"""The findings, samples, earlier findings and diverging opinions the audit report shows, each gathered in a fixed
number of queries whatever their number (eager loading and grouped counts; never a query per row)."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, selectinload

from audit_app.extensions import db
from audit_app.models import (
    FINAL_STATES,
    ActionStatus,
    Audit,
    AuditMeeting,
    CorrectiveAction,
    Evidence,
    Finding,
    FindingSample,
    FindingStatus,
    MeetingKind,
    Sample,
)
from audit_app.services.findings import disputes, grades
from audit_app.services.reports.report_rows import (
    AttributeRow,
    CitedSample,
    DivergingOpinion,
    DueRow,
    EarlierFindingRow,
    EvidenceRow,
    FindingRow,
    SampleRow,
)

#: Findings that are no longer findings of the audit: withdrawn, or merged into another one.
LEFT_OUT = (FindingStatus.WITHDRAWN, FindingStatus.MERGED)


def _pct(value: float | None) -> str:
    """A rate as a percentage rounded up to 0.1% (limits are never understated); "—" when there is none."""
    if value is None:
        return "—"
    return f"{math.ceil(float(value) * 1000 - 1e-9) / 10:.1f}%"


def _sample_reference(audit: Audit, sample: Sample) -> str:
    return f"{audit.reference}-S{sample.sequence:02d}" if sample.audit_id == audit.id else sample.reference


def finding_rows(audit: Audit) -> list[FindingRow]:
    """The audit's findings (withdrawn and merged ones left out), nonconformities first, then by the grade scheme's
    order and reference; drafts are included with `reviewed` False (the builder decides whether to show them)."""
    found = db.session.scalars(
        sa.select(Finding)
        .where(Finding.audit_id == audit.id, Finding.status.not_in(LEFT_OUT))
        .options(
            selectinload(Finding.clauses),
            selectinload(Finding.evidence).selectinload(Evidence.files),
            selectinload(Finding.samples).joinedload(FindingSample.sample),
            selectinload(Finding.dues),
            joinedload(Finding.auditee_unit),
            joinedload(Finding.process_owner),
            joinedload(Finding.ai_system),
            joinedload(Finding.location_unit),
        )
    ).unique()
    programme = audit.programme
    order = {g["code"]: n for n, g in enumerate(grades.scheme(programme))}
    rows = []
    for f in found:
        entry = grades.entry(programme, f.grade) or {}
        nonconformity = bool(entry.get("nonconformity"))
        rows.append(
            (
                (0 if nonconformity else 1, order.get(f.grade, len(order)), f.number or 10**9, f.id),
                FindingRow(
                    id=f.id,
                    reference=f.reference or f"Draft finding {f.id}",
                    grade=f.grade,
                    grade_label=str(entry.get("label") or f.grade),
                    nonconformity=nonconformity,
                    major=f.grade == grades.MAJOR,
                    good_practice=f.grade == "good_practice",
                    title=f.title,
                    clauses=tuple(c.ref for c in f.clauses),
                    other_criteria=f.other_criteria,
                    requirement=f.requirement,
                    statement=f.statement,
                    evidence_summary=f.evidence_summary,
                    grade_rationale=f.grade_rationale,
                    evidence=tuple(
                        EvidenceRow(
                            f"EV-{e.id}",
                            e.method.label,
                            e.source,
                            e.evidence_date,
                            ", ".join(f"{x.name} (v{x.version})" for x in e.files),
                        )
                        for e in f.evidence
                    ),
                    samples=tuple(
                        CitedSample(
                            _sample_reference(audit, s.sample),
                            s.sample.title,
                            s.summary,
                            s.sample.population_size,
                            s.sample.sample_size,
                            s.sample.deviations,
                            s.sample.population_description,
                        )
                        for s in sorted(f.samples, key=lambda s: s.sample.sequence)
                    ),
                    where="; ".join(
                        part
                        for part in (
                            f.ai_system.name if f.ai_system else "",
                            f.location_unit.name if f.location_unit else "",
                            f.site,
                        )
                        if part
                    ),
                    auditee_unit=f.auditee_unit.name if f.auditee_unit else "",
                    process_owner=f.process_owner.name if f.process_owner else "",
                    status=f.status.label,
                    reviewed=f.issued_at is not None,
                    final=f.status in FINAL_STATES,
                    dues=tuple(
                        DueRow(d.step.label, d.due_on, d.met_at is not None)
                        for d in sorted(f.dues, key=lambda d: (d.due_on, d.id))
                        if d.cycle == f.cycle
                    ),
                ),
            )
        )
    return [row for _, row in sorted(rows, key=lambda pair: pair[0])]


def sample_rows(audit: Audit) -> list[SampleRow]:
    """Every sample of the audit, in sequence, with its evaluation per attribute and the reviewer's sign-off."""
    found = db.session.scalars(
        sa.select(Sample)
        .where(Sample.audit_id == audit.id)
        .options(selectinload(Sample.checklist_items), joinedload(Sample.signed_off_by))
        .order_by(Sample.sequence)
    ).unique()
    rows = []
    for s in found:
        evaluated = {a.get("code"): a for a in (s.evaluation or {}).get("attributes", [])}
        attributes = []
        for attribute in s.attribute_list:
            result = evaluated.get(attribute.get("code"), {})
            attributes.append(
                AttributeRow(
                    code=str(attribute.get("code", "")),
                    text=str(attribute.get("text", "")),
                    tested=int(result.get("tested") or 0),
                    deviations=int(result.get("deviations") or 0),
                    rate=_pct(result.get("deviation_rate")) if result else "—",
                    upper_limit=_pct(result.get("upper_limit")),
                    conclusion=str(result.get("conclusion") or ("Not evaluated yet." if not result else "")),
                )
            )
        signed = (
            f"{s.signed_off_by.name}, {s.signed_off_at:%d %b %Y}"
            if s.signed_off_by is not None and s.signed_off_at is not None
            else "Not signed off yet"
        )
        rows.append(
            SampleRow(
                reference=_sample_reference(audit, s),
                title=s.title,
                status=s.status.label,
                checklist_refs=", ".join(i.ref for i in s.checklist_items),
                sampling_unit=s.sampling_unit,
                population_source=s.population_source.label if s.population_source else "",
                population_description=s.population_description,
                completeness_check=s.completeness_check,
                population_size=s.population_size,
                population_hash=s.population_hash,
                method=s.method.label if s.method else "",
                size_basis=s.size_basis.label if s.size_basis else "",
                seed=s.seed,
                algorithm=s.algorithm,
                sample_size=s.sample_size,
                size_rationale=s.size_rationale,
                attributes=tuple(attributes),
                deviations=s.deviations,
                upper_limit=_pct(s.upper_limit),
                conclusion=s.conclusion,
                deviation_nature=s.deviation_nature.label if s.deviation_nature else "",
                deviation_cause=s.deviation_cause,
                signed_off=signed,
            )
        )
    return rows


def earlier_finding_rows(audit: Audit) -> list[EarlierFindingRow]:
    """Issued findings of the programme's earlier audits (started before this one) whose auditee unit is in this audit's
    scope, and every one of them still open whatever its unit (an open finding is never left out of the follow-up).
    An audit without units in scope takes all of them. Two queries."""
    scope_ids = [u.id for u in audit.scope_units]
    earlier = sa.select(Audit.id).where(
        Audit.programme_id == audit.programme_id,
        Audit.id != audit.id,
        sa.or_(
            Audit.start_date < audit.start_date,
            sa.and_(Audit.start_date == audit.start_date, Audit.sequence < audit.sequence),
        ),
    )
    where: list[sa.ColumnElement[bool]] = [
        Finding.audit_id.in_(earlier),
        Finding.issued_at.is_not(None),
        Finding.status.not_in(LEFT_OUT),
    ]
    if scope_ids:
        where.append(sa.or_(Finding.status.not_in(FINAL_STATES), Finding.auditee_unit_id.in_(scope_ids)))
    found = list(
        db.session.scalars(
            sa.select(Finding)
            .where(*where)
            .options(joinedload(Finding.audit), joinedload(Finding.auditee_unit))
            .order_by(Finding.audit_id, Finding.number, Finding.id)
        ).unique()
    )
    actions: dict[int, dict[ActionStatus, int]] = defaultdict(dict)
    if found:
        counted = db.session.execute(
            sa.select(CorrectiveAction.finding_id, CorrectiveAction.status, sa.func.count())
            .where(CorrectiveAction.finding_id.in_([f.id for f in found]))
            .group_by(CorrectiveAction.finding_id, CorrectiveAction.status)
        )
        for finding_id, status, count in counted:
            actions[finding_id][status] = count
    programme = audit.programme
    rows = []
    for f in found:
        entry = grades.entry(programme, f.grade) or {}
        nonconformity = bool(entry.get("nonconformity"))
        if nonconformity:
            mine = actions.get(f.id, {})
            live = mine.get(ActionStatus.PLANNED, 0) + mine.get(ActionStatus.IMPLEMENTED, 0)
            capa = (
                f"{live} action(s), {mine.get(ActionStatus.IMPLEMENTED, 0)} implemented" if live else "No actions yet"
            )
        else:
            capa = f.consideration.label if f.consideration else "Not considered yet"
        rows.append(
            EarlierFindingRow(
                reference=f.reference or f"Finding {f.id}",
                audit=f.audit.reference if f.audit else "",
                grade_label=str(entry.get("label") or f.grade),
                nonconformity=nonconformity,
                title=f.title,
                auditee_unit=f.auditee_unit.name if f.auditee_unit else "",
                status=f.status.label,
                open=f.status not in FINAL_STATES,
                capa=capa,
                closed_on=f.closed_at.date() if f.closed_at else None,
            )
        )
    return rows


def diverging_rows(
    audit: Audit, findings: Sequence[FindingRow], meetings: Sequence[AuditMeeting]
) -> list[DivergingOpinion]:
    """Disputes left open at the closing meeting (with their present status), then the closing meeting's own
    record of diverging opinions."""
    references = {f.id: f.reference for f in findings}
    rows = [
        DivergingOpinion(
            references.get(d.finding_id, f"Finding {d.finding_id}"),
            d.reason,
            d.status.label,
            d.resolution,
        )
        for d in disputes.diverging_opinions(audit.id)
    ]
    closing = next((m for m in meetings if m.kind is MeetingKind.CLOSING), None)
    if closing is not None and closing.diverging_opinions.strip():
        rows.append(DivergingOpinion("Closing meeting", closing.diverging_opinions, "Recorded", ""))
    return rows
