"""Everything the audit report (ISO 19011 6.5.1) and its certification-style variant show, as plain frozen data.

`audit_report_data` gathers it in a fixed number of queries whatever the number of findings, items, samples or
evidence entries, reusing the planning, sampling and findings services; the Word builders only read the result.

Findings: every finding of the audit except withdrawn and merged ones. Each carries `reviewed` (issued after the
lead auditor's review); an issued report shows reviewed findings only, a draft shows all of them and marks the
others. Earlier findings: see `findings_data.earlier_finding_rows`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, selectinload

from audit_app.extensions import db
from audit_app.models import (
    DEFAULT_SAMPLING_STATEMENT,
    MEETING_POINTS,
    Audit,
    AuditSession,
    AuditTeamMember,
    AuditType,
    ChecklistItem,
    ChecklistResponse,
    Evidence,
    ResponsePart,
    ResponseResult,
    SubjectKind,
    UnitKind,
)
from audit_app.services.findings import grades
from audit_app.services.planning import conclusions, preparation
from audit_app.services.reports.findings_data import (
    diverging_rows,
    earlier_finding_rows,
    finding_rows,
    sample_rows,
)
from audit_app.services.reports.manifest import evidence_manifest
from audit_app.services.reports.report_rows import (
    AreaRow,
    ConclusionData,
    Counts,
    DivergingOpinion,
    DocumentRow,
    EarlierFindingRow,
    ExceptionRow,
    FindingRow,
    GradeCount,
    ManifestRow,
    MeetingRow,
    NotAuditedRow,
    Person,
    SampleRow,
    SessionRow,
    SubjectAreaRow,
)

#: What a clean result makes the auditee ready for, by audit type.
NEXT_STEP = {
    AuditType.READINESS: "stage 2",
    AuditType.STAGE1_SIMULATION: "stage 2",
    AuditType.STAGE2_SIMULATION: "certification",
    AuditType.SURVEILLANCE: "continued certification",
}
DEFAULT_NEXT_STEP = "the certification audit"


@dataclass(frozen=True)
class AuditReportData:
    reference: str
    title: str
    audit_type: str
    type_label: str
    status: str
    start_date: date
    end_date: date
    lead_auditor: str
    client: str
    objectives: str
    scope_notes: str
    units: tuple[str, ...]
    sites: tuple[str, ...]
    ai_systems: tuple[str, ...]
    period_start: date | None
    period_end: date | None
    method: str
    language: str
    criteria: tuple[str, ...]
    other_criteria: str
    confidentiality_note: str
    team: tuple[Person, ...]
    auditees: tuple[Person, ...]
    sessions: tuple[SessionRow, ...]
    meetings: tuple[MeetingRow, ...]
    documents: tuple[DocumentRow, ...]
    #: "Document review: 12 entries (10 remote, 2 on-site)", one line per evidence method used.
    methods: tuple[str, ...]
    planned_items: int
    achieved_items: int
    achieved_percent: int
    not_audited: tuple[NotAuditedRow, ...]
    exceptions: tuple[ExceptionRow, ...]
    samples: tuple[SampleRow, ...]
    areas: tuple[AreaRow, ...]
    subject_areas: tuple[SubjectAreaRow, ...]
    grades: tuple[GradeCount, ...]
    findings: tuple[FindingRow, ...]
    earlier: tuple[EarlierFindingRow, ...]
    conclusion: ConclusionData | None
    diverging: tuple[DivergingOpinion, ...]
    sampling_statement: str
    next_audit: str
    next_step: str
    #: The readiness recommendation over reviewed findings (issued reports), and over all findings (drafts).
    recommendation: str
    draft_recommendation: str
    manifest: tuple[ManifestRow, ...]

    def findings_for(self, draft: bool) -> tuple[FindingRow, ...]:
        """What a document shows: reviewed findings only once issued; every finding on a draft."""
        return self.findings if draft else tuple(f for f in self.findings if f.reviewed)

    def grade_counts(self, draft: bool) -> list[GradeCount]:
        shown = self.findings_for(draft)
        return [
            GradeCount(g.code, g.label, g.nonconformity, sum(1 for f in shown if f.grade == g.code))
            for g in self.grades
        ]


def _and(refs: Sequence[str]) -> str:
    """ "NC-01", "NC-01 and NC-02", "NC-01, NC-02 and NC-03"."""
    return refs[0] if len(refs) == 1 else f"{', '.join(refs[:-1])} and {refs[-1]}"


def recommendation(findings: Sequence[FindingRow], not_audited: Sequence[NotAuditedRow], next_step: str) -> str:
    """The readiness recommendation: an open major nonconformity means not ready (naming them); open minor ones mean
    ready once they are closed (naming them); none means ready. "Open" is any state that is not final. Items in
    scope that were not audited add a caveat naming them."""
    open_ncs = [f for f in findings if f.nonconformity and not f.final]
    majors = [f.reference for f in open_ncs if f.major]
    others = [f.reference for f in open_ncs if not f.major]
    if majors:
        text = (
            f"Not ready for {next_step}: the major nonconformit{'y' if len(majors) == 1 else 'ies'} "
            f"{_and(majors)} must be corrected and the corrective action verified first"
        )
        text += f"; {_and(others)} must also be closed." if others else "."
    elif others:
        text = f"Ready for {next_step} once {_and(others)} {'is' if len(others) == 1 else 'are'} closed."
    else:
        text = f"Ready for {next_step}: no nonconformity is open."
    if not_audited:
        text += (
            f" Caveat: {len(not_audited)} item(s) in scope were not audited ({_and([n.ref for n in not_audited])}); "
            "the recommendation does not cover them."
        )
    return text


def _load(audit: Audit) -> Audit:
    db.session.execute(
        sa.select(Audit)
        .where(Audit.id == audit.id)
        .options(
            selectinload(Audit.team).selectinload(AuditTeamMember.user),
            selectinload(Audit.auditees),
            selectinload(Audit.scope_units),
            selectinload(Audit.scope_systems),
            selectinload(Audit.criteria),
            selectinload(Audit.meetings),
            # The agenda's own loading (planning.agenda.load_sessions), in the same statement set: loading it
            # separately with populate_existing would expire the collections loaded here.
            selectinload(Audit.sessions).selectinload(AuditSession.units),
            selectinload(Audit.sessions).selectinload(AuditSession.items),
            selectinload(Audit.sessions).selectinload(AuditSession.auditors),
            selectinload(Audit.sessions).selectinload(AuditSession.auditees),
            joinedload(Audit.lead_auditor),
            joinedload(Audit.programme),
        )
        .execution_options(populate_existing=True)
    ).unique().scalar_one()
    return audit


def _sessions(audit: Audit) -> tuple[SessionRow, ...]:
    rows = []
    for s in audit.sessions:
        mode = "Hybrid" if s.location and s.remote_link else "Remote" if s.remote_link else "On-site"
        rows.append(
            SessionRow(
                day=s.day,
                time=f"{s.starts:%H:%M}\u2013{s.ends:%H:%M}",
                activity=s.activity.label,
                title=s.title,
                place=s.location or ("Remote (video call)" if s.remote_link else "Not stated"),
                mode=mode,
                auditors=", ".join(u.name for u in s.auditors),
                auditees=", ".join(a.name for a in s.auditees),
                units=", ".join(u.name for u in s.units),
                items=", ".join(i.ref for i in s.items),
            )
        )
    return tuple(rows)


def _meetings(audit: Audit) -> tuple[MeetingRow, ...]:
    rows = []
    for m in sorted(audit.meetings, key=lambda m: m.kind.value != "opening"):
        labels = dict(MEETING_POINTS[m.kind])
        rows.append(
            MeetingRow(
                kind=m.kind.label,
                held_at=f"{m.held_at:%d %b %Y %H:%M}",
                attendees=tuple(line.strip() for line in m.attendees.splitlines() if line.strip()),
                points=tuple(labels[k] for k in m.points_covered if k in labels),
                notes=m.notes,
                diverging_opinions=m.diverging_opinions,
            )
        )
    return tuple(rows)


def _methods(audit: Audit) -> tuple[str, ...]:
    counted: dict[str, dict[str, int]] = defaultdict(dict)
    for method, mode, count in db.session.execute(
        sa.select(Evidence.method, Evidence.mode, sa.func.count())
        .where(Evidence.audit_id == audit.id)
        .group_by(Evidence.method, Evidence.mode)
    ):
        counted[method.label][mode.label.lower()] = count
    return tuple(
        f"{label}: {sum(modes.values())} evidence entr{'y' if sum(modes.values()) == 1 else 'ies'} "
        f"({', '.join(f'{n} {mode}' for mode, n in sorted(modes.items()))})"
        for label, modes in sorted(counted.items())
    )


def _exceptions(audit: Audit) -> tuple[ExceptionRow, ...]:
    rows = [
        ExceptionRow(m.user.name, "The audit", m.impartiality_exception)
        for m in audit.team
        if m.impartiality_exception.strip()
    ]
    rows += [
        ExceptionRow(
            ", ".join(u.name for u in s.auditors), f"Session {s.day:%d %b %Y} {s.title}", s.impartiality_exception
        )
        for s in audit.sessions
        if s.impartiality_exception.strip()
    ]
    return tuple(rows)


def _subject_areas(audit: Audit) -> tuple[SubjectAreaRow, ...]:
    """Results recorded per AI system (or unit), by area: one query."""
    names = {(SubjectKind.AI_SYSTEM, s.id): s.name for s in audit.scope_systems}
    names |= {(SubjectKind.ORG_UNIT, u.id): u.name for u in audit.scope_units}
    grouped: dict[tuple[str, str], list[ResponseResult]] = defaultdict(list)
    for kind, subject_id, ref, result in db.session.execute(
        sa.select(ResponsePart.subject_kind, ResponsePart.subject_id, ChecklistItem.ref, ResponsePart.result)
        .join(ChecklistResponse, ChecklistResponse.id == ResponsePart.response_id)
        .join(ChecklistItem, ChecklistItem.id == ChecklistResponse.checklist_item_id)
        .where(ChecklistResponse.audit_id == audit.id, ResponsePart.result != ResponseResult.NOT_ASSESSED)
    ):
        subject = names.get((kind, subject_id), f"{kind.value} {subject_id}")
        grouped[(subject, conclusions.area_of(ref))].append(result)
    order = conclusions._area_order
    return tuple(
        SubjectAreaRow(subject, area, Counts.of(results))
        for (subject, area), results in sorted(grouped.items(), key=lambda kv: (kv[0][0], order(kv[0][1])))
    )


def audit_report_data(audit: Audit) -> AuditReportData:
    """Everything the audit report shows, gathered now."""
    from audit_app.services.reports.generate import settings_for  # generate imports this module

    audit = _load(audit)
    settings = settings_for(audit)
    done = conclusions.achievement(audit)
    conference = conclusions.get_conference(audit)
    area_conclusions = {a.area: a for a in conference.areas} if conference is not None else {}
    findings = finding_rows(audit)
    not_audited = tuple(NotAuditedRow(i.ref, i.title, i.reason) for i in done.not_audited)
    next_step = NEXT_STEP.get(audit.audit_type, DEFAULT_NEXT_STEP)
    reviewed = [f for f in findings if f.reviewed]
    return AuditReportData(
        reference=audit.reference,
        title=audit.title,
        audit_type=audit.audit_type.value,
        type_label=audit.audit_type.label,
        status=audit.status.label,
        start_date=audit.start_date,
        end_date=audit.end_date,
        lead_auditor=audit.lead_auditor.name,
        client=audit.client,
        objectives=audit.objectives,
        scope_notes=audit.scope_notes,
        units=tuple(f"{u.name} ({u.kind.label.lower()})" for u in audit.scope_units),
        sites=tuple(u.name for u in audit.scope_units if u.kind is UnitKind.SITE),
        ai_systems=tuple(s.name for s in audit.scope_systems),
        period_start=audit.period_covered_start,
        period_end=audit.period_covered_end,
        method=audit.method.label,
        language=audit.language,
        criteria=tuple(
            f"{v.label}{f', {v.standard}' if v.standard else ''}{f' {v.edition}' if v.edition else ''} "
            f"(content SHA-256 {v.content_hash[:16]}…)"
            for v in audit.criteria
        ),
        other_criteria=audit.other_criteria,
        confidentiality_note=audit.confidentiality_note,
        team=tuple(Person(m.user.name, m.role.label) for m in audit.team),
        auditees=tuple(Person(a.name, a.position) for a in audit.auditees),
        sessions=_sessions(audit),
        meetings=_meetings(audit),
        documents=tuple(
            DocumentRow(
                d.document,
                d.version,
                d.adequacy.label,
                d.reviewed_on,
                d.reviewed_by.name if d.reviewed_by else "",
                d.notes,
            )
            for d in preparation.documents(audit)
        ),
        methods=_methods(audit),
        planned_items=done.planned,
        achieved_items=done.achieved,
        achieved_percent=done.percent,
        not_audited=not_audited,
        exceptions=_exceptions(audit),
        samples=tuple(sample_rows(audit)),
        areas=tuple(
            AreaRow(
                a.key,
                a.title,
                Counts.of(i.result for i in a.items),
                area_conclusions[a.key].fulfilment.label if a.key in area_conclusions else "",
                area_conclusions[a.key].statement if a.key in area_conclusions else "",
            )
            for a in done.areas
        ),
        subject_areas=_subject_areas(audit),
        grades=tuple(
            GradeCount(str(g["code"]), str(g["label"]), bool(g.get("nonconformity")), 0)
            for g in grades.scheme(audit.programme)
        ),
        findings=tuple(findings),
        earlier=tuple(earlier_finding_rows(audit)),
        conclusion=ConclusionData(
            held_at=f"{conference.held_at:%d %b %Y %H:%M}",
            participants=conference.participants,
            fulfilment=conference.fulfilment.label,
            conclusion=conference.conclusion,
            objectives_met=conference.objectives_met,
            obstacles=conference.obstacles,
            recommendations=conference.recommendations,
            follow_up=conference.follow_up,
        )
        if conference is not None
        else None,
        diverging=tuple(diverging_rows(audit, findings, audit.meetings)),
        sampling_statement=settings.sampling_statement or DEFAULT_SAMPLING_STATEMENT,
        next_audit=settings.next_audit or "",
        next_step=next_step,
        recommendation=recommendation(reviewed, not_audited, next_step),
        draft_recommendation=recommendation(findings, not_audited, next_step),
        manifest=tuple(ManifestRow(line.name, line.sha256, line.size) for line in evidence_manifest(audit.id)),
    )
