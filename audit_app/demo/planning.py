"""Demo audit programme: a closed audit, one about to start and one planned, with dates around today."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import sqlalchemy as sa

from audit_app.demo import fieldwork, findings
from audit_app.demo.people import evaluate_closed_audit
from audit_app.demo.reports import issue_closed_audit_report
from audit_app.extensions import db
from audit_app.models import (
    MEETING_POINTS,
    Adequacy,
    AISystem,
    Audit,
    AuditMethod,
    AuditProgramme,
    AuditRiskKind,
    AuditStatus,
    AuditType,
    Checklist,
    ChecklistItem,
    ChecklistVersion,
    Fulfilment,
    MeetingKind,
    OrgUnit,
    Rating,
    Role,
    SessionActivity,
    TeamRole,
    User,
    utcnow,
)
from audit_app.services.planning import agenda, audits, conclusions, lifecycle, meetings, preparation, programmes, team


def _users() -> dict[Role, User]:
    rows = db.session.scalars(sa.select(User).where(User.email.like("%@northbridge.example")))
    return {u.role: u for u in rows}


def _items(version: ChecklistVersion, *prefixes: str) -> list[ChecklistItem]:
    return [i for i in version.items if i.auditable and any(i.ref == p or i.ref.startswith(p + ".") for p in prefixes)]


#: The demo audits relative to the day the demo is loaded: (days from today to the start, length in days).
CLOSED_AUDIT, NEXT_AUDIT, LATER_AUDIT = (-60, 2), (2, 3), (75, 2)


def demo_period(today: date) -> tuple[date, date]:
    """Twelve months from the first of the month three months back, so every demo audit falls inside.

    A fixed September-to-August year would leave the closed audit (two months ago) or the later one
    (in 75 days) outside the period for part of the year, and the loader would be refused.
    """
    year, month = divmod(today.year * 12 + today.month - 1 - 3, 12)
    start = date(year, month + 1, 1)
    return start, date(start.year + 1, start.month, 1) - timedelta(days=1)


def load_demo_programme(today: date) -> AuditProgramme | None:
    """Create the demo programme (None if the organisation has a programme already or the library is missing)."""
    if db.session.scalar(sa.select(AuditProgramme.id).limit(1)) is not None:
        return None
    start, end = demo_period(today)
    code = f"{start.year}-{(start.year + 1) % 100:02d}"
    version = db.session.scalar(
        sa.select(ChecklistVersion)
        .join(Checklist)
        .where(Checklist.code == "iso42001")
        .order_by(ChecklistVersion.loaded_at.desc())
    )
    people = _users()
    if version is None or Role.LEAD_AUDITOR not in people:
        return None
    lead, auditor, auditee = people[Role.LEAD_AUDITOR], people[Role.AUDITOR], people[Role.AUDITEE]
    units = {u.name: u for u in db.session.scalars(sa.select(OrgUnit))}
    systems = {s.name: s for s in db.session.scalars(sa.select(AISystem))}
    programme = programmes.save_programme(
        programmes.ProgrammeData(
            code=code,
            title=f"Internal audit programme {code}",
            period_start=start,
            period_end=end,
            checklist_version_id=version.id,
            objectives="Confirm the AIMS conforms to ISO/IEC 42001 before the stage 1 certification audit; check the "
            "effectiveness of life-cycle and data controls on the credit-scoring model after its retraining.",
            risks="Too few auditors with machine-learning knowledge\n"
            "Key model owners unavailable during release freeze\n"
            "Remote sessions with the chatbot vendor may fail",
            opportunities="Combine the supplier sessions with the ISO/IEC 27001 surveillance audit",
            extent="Three audits covering every clause and applicable Annex A control over the year.",
            resources="Two internal auditors, one lead auditor; a data-science technical expert on request.",
            methods="On-site interviews and observation in London and Leeds; remote document review; re-performance "
            "of model validation checks on samples.",
            status=programmes.ProgrammeStatus.ACTIVE,
        ),
        actor=lead,
    )
    db.session.flush()

    def plan(
        title: str,
        kind: AuditType,
        begins: date,
        days: int,
        scope_units: list[str],
        scope_systems: list[str],
        prefixes: tuple[str, ...],
        objectives: str,
    ):
        audit = audits.create_audit(
            programme,
            audits.AuditDetails(
                title=title,
                audit_type=kind,
                start_date=begins,
                end_date=begins + timedelta(days=days - 1),
                lead_auditor_id=lead.id,
                objectives=objectives,
                method=AuditMethod.HYBRID,
                client="Executive Committee",
                period_covered_start=begins - timedelta(days=180),
                period_covered_end=begins - timedelta(days=1),
                confidentiality_note="Model documentation stays on company systems; no copies leave the audit file.",
            ),
            actor=lead,
        )
        db.session.flush()
        audits.set_scope(
            audit,
            unit_ids=[units[u].id for u in scope_units],
            system_ids=[systems[s].id for s in scope_systems],
            actor=lead,
        )
        audits.set_criteria(
            audit,
            version_ids=[version.id],
            item_ids=[i.id for i in _items(version, *prefixes)],
            other_criteria="Northbridge AI policy v3.1; Model risk management standard MRM-02",
            actor=lead,
        )
        team.add_member(audit, auditor.id, TeamRole.AUDITOR, actor=lead)
        team.add_auditee(audit, actor=lead, user_id=auditee.id, position="Head of Credit Risk")
        db.session.flush()
        return audit

    def session(
        audit,
        day: date,
        at: time,
        minutes: int,
        activity: SessionActivity,
        title: str,
        refs: tuple[str, ...],
        with_auditee: bool = True,
        units: tuple[str, ...] = (),
    ):
        items = tuple(i.id for i in audit.scope_items if i.ref in refs)
        covered = tuple(u.id for u in audit.scope_units if u.name in units)  # the auditee units the session covers
        agenda.save_session(
            audit,
            agenda.SessionData(
                day=day,
                start_time=at,
                duration_minutes=minutes,
                activity=activity,
                title=title,
                location="London head office, room 4.02",
                item_ids=items,
                auditor_ids=(lead.id, auditor.id),
                auditee_ids=tuple(a.id for a in audit.auditees) if with_auditee else (),
                unit_ids=covered,
            ),
            actor=lead,
        )

    # 1. Done: leadership, policy and support, about two months ago.
    first = plan(
        "Leadership, policy and support",
        AuditType.INTERNAL,
        today + timedelta(days=CLOSED_AUDIT[0]),
        CLOSED_AUDIT[1],
        ["Executive Committee", "Risk and Compliance"],
        ["CreditScore", "Ask Nora chatbot"],
        ("4", "5", "7", "A.4"),
        "Confirm that context, leadership, policy and support arrangements are in place and working, including the "
        "resources documented for the AI systems in production (CreditScore, Ask Nora).",
    )
    begin = first.start_date
    session(first, begin, time(9, 0), 30, SessionActivity.OPENING_MEETING, "Opening meeting", ())
    session(
        first,
        begin,
        time(9, 30),
        120,
        SessionActivity.INTERVIEW,
        "Context, scope and AI policy",
        tuple(i.ref for i in first.scope_items if i.ref.startswith(("4", "5"))),
        units=("Executive Committee",),
    )
    session(
        first,
        begin + timedelta(days=1),
        time(9, 0),
        150,
        SessionActivity.DOCUMENT_REVIEW,
        "Competence, awareness and documented information",
        tuple(i.ref for i in first.scope_items if i.ref.startswith("7")),
        units=("Risk and Compliance",),
    )
    session(
        first,
        begin + timedelta(days=1),
        time(11, 45),
        75,
        SessionActivity.DOCUMENT_REVIEW,
        "Resources for AI systems: CreditScore and Ask Nora",
        tuple(i.ref for i in first.scope_items if i.ref.startswith("A.4")),
        units=("Risk and Compliance",),
    )
    session(first, begin + timedelta(days=1), time(15, 0), 45, SessionActivity.CLOSING_MEETING, "Closing meeting", ())
    lifecycle.transition(first, AuditStatus.PREPARATION, actor=lead)
    prepare_closed_audit(first, lead, begin)
    team.confirm_declaration(first, actor=lead)
    team.confirm_declaration(first, actor=auditor)
    # Warning confirmed: the draft competence matrix was found only partly adequate (followed up under 7.2).
    lifecycle.transition(first, AuditStatus.FIELDWORK, actor=lead, confirm_warnings=True)
    db.session.flush()
    fieldwork.run(first, auditor, begin)
    findings.run(first, lead, auditor, today)
    for kind, hour in ((MeetingKind.OPENING, 9), (MeetingKind.CLOSING, 15)):  # the closing marks open disputes
        day = begin if kind is MeetingKind.OPENING else first.end_date
        meetings.record_meeting(
            first,
            kind,
            meetings.MeetingData(
                held_at=datetime.combine(day, time(hour, 0)),
                attendees="Lena Lead, lead auditor\nOmar Auditor, auditor\nPriya Process-Owner, Head of Credit Risk",
                points_covered=tuple(k for k, _ in MEETING_POINTS[kind]),
            ),
            actor=lead,
        )
    conclude_closed_audit(first, lead)
    lifecycle.transition(first, AuditStatus.REPORTING, actor=lead)
    issue_closed_audit_report(
        first,
        lead,
        people[Role.ADMIN],
        people[Role.VIEWER],
        min(today, first.end_date + timedelta(days=5), utcnow().date()),
    )
    lifecycle.transition(first, AuditStatus.CLOSED, actor=lead)
    evaluate_closed_audit(first, lead, auditor)

    # 2. Starting in two days: the credit-scoring model's life cycle and data.
    second = plan(
        "CreditScore model life cycle and data",
        AuditType.INTERNAL,
        today + timedelta(days=NEXT_AUDIT[0]),
        NEXT_AUDIT[1],
        ["Credit Risk", "Loan origination", "Model development and validation"],
        ["CreditScore"],
        ("6.1.2", "6.1.3", "8.2", "8.3", "A.6", "A.7"),
        "Check that the retrained credit-scoring model went through the defined life-cycle and data "
        "controls, and that risk treatment was re-assessed.",
    )
    begin = second.start_date
    session(second, begin, time(9, 0), 30, SessionActivity.OPENING_MEETING, "Opening meeting", ())
    session(
        second,
        begin,
        time(9, 30),
        150,
        SessionActivity.INTERVIEW,
        "Model risk assessment and treatment",
        ("6.1.2", "6.1.3", "8.2", "8.3"),
        units=("Credit Risk", "Loan origination"),
    )
    session(
        second,
        begin + timedelta(days=1),
        time(10, 0),
        180,
        SessionActivity.TECHNICAL_TEST,
        "Re-perform validation checks on the retrained model",
        ("A.6.2.4", "A.6.2.5", "A.6.2.6"),
        units=("Model development and validation",),
    )
    lifecycle.transition(second, AuditStatus.PREPARATION, actor=lead)
    team.confirm_declaration(second, actor=lead)

    # 3. Planned for later in the year: impact assessment and third parties.
    plan(
        "AI system impact assessment and suppliers",
        AuditType.READINESS,
        today + timedelta(days=LATER_AUDIT[0]),
        LATER_AUDIT[1],
        ["Customer Operations", "People and Talent"],
        ["Ask Nora chatbot", "TalentSift CV screening"],
        ("6.1.4", "8.4", "A.5", "A.10"),
        "Assess readiness of the impact-assessment process and supplier controls for the deployed third-party "
        "AI systems before stage 1.",
    )
    return programme


def prepare_closed_audit(audit: Audit, lead: User, begin: date) -> None:
    """The completed audit's risk assessment and preparatory document review (ISO 19011 6.3.1, 6.3.2.1)."""
    for kind, description, likelihood, impact, treatment in (
        (
            AuditRiskKind.AUDITEE_AVAILABILITY,
            "Executive Committee members may not be available for interviews during the quarter close.",
            Rating.MEDIUM,
            Rating.HIGH,
            "Interviews booked a month ahead through the CEO's office; the deputy chair stands in if needed.",
        ),
        (
            AuditRiskKind.TIME,
            "Two days may be short for clause 7 records across London and Leeds.",
            Rating.MEDIUM,
            Rating.MEDIUM,
            "Training records sampled (S01) instead of reviewed in full; Leeds covered by a remote session.",
        ),
    ):
        preparation.save_risk(audit, preparation.RiskData(kind, description, likelihood, impact, treatment), actor=lead)
    for document, version, adequacy, notes in (
        ("AIMS scope statement", "2.0", Adequacy.ADEQUATE, ""),
        ("AI policy", "3.1", Adequacy.ADEQUATE, ""),
        (
            "Competence matrix for AI roles",
            "0.9 (draft)",
            Adequacy.PARTLY_ADEQUATE,
            "Draft only; roles for model validation not yet listed. Follow up under 7.2 during fieldwork.",
        ),
    ):
        preparation.save_document(
            audit,
            preparation.DocumentData(document, adequacy, begin - timedelta(days=7), version, notes),
            actor=lead,
        )


def conclude_closed_audit(audit: Audit, lead: User) -> None:
    """The team conference of the completed audit: its conclusion overall and per clause (ISO 19011 6.4.9)."""
    statements = {
        "4": (Fulfilment.FULFILLED, "Context, interested parties and the AIMS scope are determined and documented."),
        "5": (
            Fulfilment.LARGELY_FULFILLED,
            "Leadership commitment and the AI policy are in place; awareness of the policy in Leeds is weak "
            "(observation on 5.2).",
        ),
        "7": (
            Fulfilment.PARTLY_FULFILLED,
            "Resources and documented information are in place, but competence of AI role holders is not "
            "evidenced for all (nonconformity on 7.2).",
        ),
        "A.4": (
            Fulfilment.PARTLY_FULFILLED,
            "Resources are documented for CreditScore, but the data resources of the Ask Nora chatbot (its "
            "retrieval corpus) are not (nonconformity on A.4.3 for Ask Nora; conforming for CreditScore).",
        ),
    }
    done = conclusions.achievement(audit)
    conclusions.save_conference(
        audit,
        conclusions.ConferenceData(
            held_at=datetime.combine(audit.end_date, time(13, 0)),
            participants="Lena Lead, lead auditor\nOmar Auditor, auditor",
            fulfilment=Fulfilment.PARTLY_FULFILLED,
            conclusion="The AIMS fulfils the criteria of clause 4 and largely those of clause 5; clause 7 and the "
            "resources for AI systems (A.4) are partly fulfilled. Two nonconformities (7.2, competence evidence; "
            "A.4.3, data resources of the Ask Nora chatbot) must be corrected before the stage 1 audit.",
            recommendations="Complete the competence matrix for AI roles and re-sample training records; document "
            "the Ask Nora retrieval corpus as a data resource.",
            follow_up="Verify the correction of 7.2 and A.4.3 in the next internal audit.",
            areas=tuple(
                conclusions.AreaData(a.key, *statements.get(a.key, (Fulfilment.FULFILLED, "Criteria fulfilled.")))
                for a in done.areas
            ),
        ),
        actor=lead,
    )
