"""The audit plan (ISO 19011 6.3.2.2): every part the auditees need before the audit, read back with python-docx."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, time, timedelta

import pytest
from flask import Flask

from audit_app.documents.audit_plan import build_audit_plan
from audit_app.documents.document import DRAFT_MARK
from audit_app.errors import NotAllowed
from audit_app.extensions import db
from audit_app.models import (
    Audit,
    Finding,
    FindingClause,
    FindingSource,
    FindingStatus,
    Role,
    Sample,
    SampleMethod,
    SessionActivity,
    TeamRole,
    utcnow,
)
from audit_app.services.planning import agenda
from audit_app.services.reports import generate
from audit_app.services.reports.plan_data import audit_plan_data
from tests.fixtures.planning import Planning
from tests.reports.docx_read import (
    TEMPLATE,
    all_text,
    assert_hostile_text_survives,
    control,
    header_text,
    headings,
    hostile,
    reopen,
    styled,
    table_with,
    tables,
)

SECTIONS = [
    "Audit objectives",
    "Audit scope",
    "Audit criteria",
    "Locations, dates and mode",
    "Agenda",
    "Audit methods and extent of sampling",
    "Audit team",
    "Auditee representatives",
    "Language, reporting and confidentiality",
    "Follow-up of earlier audits",
]


def _session(plan: Planning, audit: Audit, title: str, **values: object) -> None:
    data = agenda.SessionData(
        day=values.pop("day", audit.start_date),  # type: ignore[arg-type]
        start_time=values.pop("start", time(9, 0)),  # type: ignore[arg-type]
        duration_minutes=values.pop("minutes", 60),  # type: ignore[arg-type]
        activity=values.pop("activity", SessionActivity.INTERVIEW),  # type: ignore[arg-type]
        title=title,
        **values,  # type: ignore[arg-type]
    )
    agenda.save_session(audit, data, actor=plan.admin)


def _world(plan: Planning) -> Audit:
    """An audit with scope, criteria, team, auditees, four sessions, a planned sample and an earlier open NC."""
    credit, ops = plan.unit("Credit Risk"), plan.unit("Model Operations")
    system = plan.system("ScoreCard v4", owner=credit)
    earlier_audit = plan.audit(title="Last year's audit", dates=(date(2026, 1, 12), date(2026, 1, 13)))
    audit = plan.audit(title="Model governance")
    audit.objectives = "Confirm that model releases follow the AIMS release procedure."
    audit.scope_notes = "Model release process, from validation to deployment."
    audit.period_covered_start, audit.period_covered_end = date(2025, 9, 1), date(2026, 2, 28)
    audit.client = "Chief Risk Officer"
    audit.confidentiality_note = "Evidence copies stay inside the audit application."
    audit.scope_units.extend([credit, ops])
    audit.scope_systems.append(system)
    items = plan.pin(audit, "4.1", "6.1.3", "8.4", "A.6.2.8")
    audit.other_criteria = "Model release procedure MRP-2, v3"
    auditor = plan.member(audit, plan.user(Role.AUDITOR, name="Alma Auditor")).user
    plan.member(audit, plan.user(Role.AUDITOR, name="Ted Expert"), TeamRole.TECHNICAL_EXPERT)
    head = plan.auditee(audit, plan.user(Role.AUDITEE, unit=credit, name="Hana Head"))
    head.position = "Head of Credit Risk"
    named = plan.auditee(audit, name="Nora Noaccount")
    plan.declare_all(audit)
    lead = audit.lead_auditor
    _session(
        plan,
        audit,
        "Opening meeting",
        activity=SessionActivity.OPENING_MEETING,
        location="Room 4.01",
        auditor_ids=(lead.id, auditor.id),
        auditee_ids=(head.id, named.id),
        minutes=30,
    )
    _session(
        plan,
        audit,
        "Context and risks",
        start=time(10, 0),
        location="Room 4.01",
        remote_link="https://meet.example/abc",
        item_ids=(items[0].id, items[1].id),
        auditor_ids=(auditor.id,),
        auditee_ids=(head.id,),
        unit_ids=(credit.id,),
        notes="Bring the risk register.",
    )
    _session(
        plan,
        audit,
        "Release records",
        day=audit.start_date + timedelta(days=1),
        activity=SessionActivity.DOCUMENT_REVIEW,
        remote_link="https://meet.example/def",
        item_ids=(items[2].id, items[3].id),
        auditor_ids=(lead.id,),
        unit_ids=(ops.id,),
    )
    _session(
        plan,
        audit,
        "Closing meeting",
        day=audit.end_date,
        start=time(15, 0),
        activity=SessionActivity.CLOSING_MEETING,
        location="Room 4.01",
        auditor_ids=(lead.id,),
    )
    db.session.add(
        Sample(
            audit_id=audit.id,
            sequence=1,
            title="Release sign-offs",
            population_description="Releases Sep to Feb",
            population_size=120,
            sampling_unit="releases",
            sample_size=25,
            method=SampleMethod.SIMPLE_RANDOM,
        )
    )
    earlier = Finding(
        audit_id=earlier_audit.id,
        programme_id=earlier_audit.programme_id,
        source=FindingSource.AUDIT,
        prefix="NC",
        number=1,
        reference=f"{earlier_audit.reference}-NC-01",
        title="Validation reports unsigned",
        grade="minor",
        status=FindingStatus.PLAN_ACCEPTED,
        auditee_unit_id=credit.id,
        issued_at=utcnow() - timedelta(days=40),
        raised_at=utcnow() - timedelta(days=41),
    )
    earlier.clauses = [FindingClause(ref="8.4")]
    closed = Finding(
        audit_id=earlier_audit.id,
        programme_id=earlier_audit.programme_id,
        prefix="NC",
        number=2,
        reference=f"{earlier_audit.reference}-NC-02",
        title="Closed one",
        grade="minor",
        status=FindingStatus.CLOSED_EFFECTIVE,
        auditee_unit_id=credit.id,
        issued_at=utcnow() - timedelta(days=40),
    )
    db.session.add_all([earlier, closed])
    db.session.commit()
    return audit


def test_the_plan_holds_every_part_session_and_person(plan: Planning) -> None:
    audit = _world(plan)
    data = audit_plan_data(audit)
    document = reopen(build_audit_plan(data, control(draft=True), TEMPLATE))

    found = headings(document)
    for section in SECTIONS:
        assert section in found, section
    assert "Audit plan" in styled(document, "Cover Title")
    assert f"{audit.reference} Model governance" in styled(document, "Cover Subtitle")
    assert DRAFT_MARK in styled(document, "Draft Marking")
    assert DRAFT_MARK in header_text(document)
    assert "Confidential" in header_text(document)

    text = all_text(document)
    for expected in (
        "Confirm that model releases follow the AIMS release procedure.",
        "Model release process, from validation to deployment.",
        "Credit Risk (department)",
        "ScoreCard v4",
        "01 Sep 2025 to 28 Feb 2026",
        "Model release procedure MRP-2, v3",
        "Chief Risk Officer",
        "Evidence copies stay inside the audit application.",
        "English",
        "Room 4.01",
        "Remote (https://meet.example/def)",
    ):
        assert expected in text, expected
    assert any(line.startswith("ISO/IEC 42001") or "42001" in line for line in styled(document, "List Bullet"))

    agenda_rows = table_with(document, "When")[1:]
    assert len(agenda_rows) == 4
    by_title = {row[1].split("\n")[0]: row for row in agenda_rows}
    assert set(by_title) == {
        "Opening meeting: Opening meeting",
        "Interview: Context and risks",
        "Document review: Release records",
        "Closing meeting: Closing meeting",
    }
    context = by_title["Interview: Context and risks"]
    assert "10:00\u201311:00 (60 min)" in context[0]
    assert "Bring the risk register." in context[1]
    assert context[2] == "Room 4.01; Remote (https://meet.example/abc)"
    assert context[3] == "Alma Auditor"
    assert context[4] == "Hana Head\nUnits: Credit Risk"
    assert context[5] == "4.1, 6.1.3"
    assert by_title["Document review: Release records"][5] == "8.4, A.6.2.8"
    assert "Nora Noaccount" in by_title["Opening meeting: Opening meeting"][4]

    sample = table_with(document, "Sample")[1]
    assert sample[0] == f"{audit.reference}-S01"
    assert "Releases Sep to Feb (120 releases)" in sample[2]
    assert sample[3:5] == ["Simple random", "25"]

    team = {row[0]: row[1] for row in table_with(document, "Name")[1:]}
    assert team == {
        audit.lead_auditor.name: "Lead auditor",
        "Alma Auditor": "Auditor",
        "Ted Expert": "Technical expert",
    }
    representatives = next(t for t in tables(document) if t[0] == ["Name", "Position", "Unit"])
    assert representatives[1:] == [["Hana Head", "Head of Credit Risk", "Credit Risk"], ["Nora Noaccount", "", ""]]

    earlier = table_with(document, "Reference")
    assert [row[0] for row in earlier[1:]] == [earlier[1][0]]
    assert earlier[1][0].endswith("-NC-01")
    assert earlier[1][5] == "Plan accepted"
    assert "Closed one" not in text


def test_an_issued_plan_has_no_draft_marking_and_an_empty_plan_says_what_is_missing(plan: Planning) -> None:
    audit = plan.audit(title="Bare audit")
    db.session.commit()
    document = reopen(build_audit_plan(audit_plan_data(audit), control(draft=False, marking=""), TEMPLATE))
    assert styled(document, "Draft Marking") == []
    assert DRAFT_MARK not in header_text(document)
    text = all_text(document)
    assert "No session has been planned yet." in text
    assert "No finding of an earlier audit is open for the units in scope." in text
    assert "The objectives have not been recorded yet." in text
    assert "ISSUED — version 1" in text


def test_hostile_text_in_every_field_of_the_plan_comes_out_safely(plan: Planning) -> None:
    data = hostile(audit_plan_data(_world(plan)))
    assert data.sessions[0].title == data.objectives  # every text field was replaced
    assert_hostile_text_survives(build_audit_plan(data, hostile(control()), TEMPLATE))


def test_an_auditee_of_the_audit_receives_the_plan_but_not_the_working_papers(plan: Planning) -> None:
    audit = _world(plan)
    head = next(a.user for a in audit.auditees if a.user is not None)
    got = generate.draft(head, audit, generate.DocumentKind.AUDIT_PLAN)
    assert got.file_name.startswith(f"{audit.reference} Audit plan draft-")
    assert "Agenda" in headings(reopen(got.data))
    with pytest.raises(NotAllowed):
        generate.draft(head, audit, generate.DocumentKind.FIELDWORK_CHECKLIST)


def test_an_auditee_of_another_unit_in_scope_does_not_read_the_earlier_findings_of_credit_risk(
    plan: Planning,
) -> None:
    audit = _world(plan)
    ops = next(u for u in audit.scope_units if u.name == "Model Operations")
    other = plan.auditee(audit, plan.user(Role.AUDITEE, unit=ops, name="Otto Ops")).user
    db.session.commit()
    head = next(a.user for a in audit.auditees if a.user is not None and a.user.name == "Hana Head")
    theirs = all_text(reopen(generate.draft(head, audit, generate.DocumentKind.AUDIT_PLAN).data))
    assert "-NC-01" in theirs  # Credit Risk's own open finding
    not_theirs = all_text(reopen(generate.draft(other, audit, generate.DocumentKind.AUDIT_PLAN).data))
    assert "-NC-01" not in not_theirs
    assert "No finding of an earlier audit is open for the units in scope." in not_theirs


def test_the_plan_costs_the_same_statements_for_4_or_12_sessions(
    app: Flask, library: int, query_count: Callable[[], int]
) -> None:
    with app.app_context():
        plan = Planning(library)
        audit_id = _world(plan).id

    def statements() -> tuple[int, int]:
        with app.test_request_context():
            audit = db.session.get(Audit, audit_id)
            before = query_count()
            data = audit_plan_data(audit)
            return query_count() - before, len(data.sessions)

    few = statements()
    with app.app_context():
        plan = Planning(library)
        audit = db.session.get(Audit, audit_id)
        people = tuple(m.user_id for m in audit.team)
        items = tuple(i.id for i in audit.scope_items)
        for n in range(8):
            _session(
                plan,
                audit,
                f"Extra {n}",
                start=time(11 + n % 5, 0),
                day=audit.start_date + timedelta(days=n % 3),
                minutes=20,
                auditor_ids=people[n % 3 : n % 3 + 1],
                item_ids=items[n % 4 : n % 4 + 2],
            )
        db.session.commit()
    many = statements()
    assert many[1] == few[1] + 8
    assert many[0] == few[0]
