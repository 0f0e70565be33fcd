"""The management-review input pack: each 9.3.2 section from real records, reopened with python-docx."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from audit_app.documents.review_pack import build_review_pack
from audit_app.errors import NotAllowed, ValidationFailed
from audit_app.extensions import db
from audit_app.models import AuditStatus, AuditTransition, FindingStatus, User
from audit_app.models.conclusion import AuditConference, Fulfilment
from audit_app.services.reviews import pack_data as pd
from audit_app.services.reviews import records
from audit_app.services.reviews.inputs import INPUT_CODES
from audit_app.services.reviews.pack import generate_pack
from tests.fixtures.findings import Findings
from tests.reports.docx_read import (
    HOSTILE,
    TEMPLATE,
    all_text,
    assert_hostile_text_survives,
    control,
    headings,
    reopen,
    table_with,
)

START, END = date(2026, 1, 1), date(2026, 3, 31)


def _at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 10, tzinfo=UTC)


@pytest.fixture
def pack_world(app, fw_world):
    """A closed audit with a conclusion, nonconformities issued and closed, an OFI, and an earlier review."""
    with app.app_context():
        f = Findings(fw_world)
        admin = f.user(fw_world.admin_id)
        major = f.to(f.draft("major", title="No impact assessment for scoring model"), FindingStatus.ISSUED)
        minor = f.to(f.draft("minor", title="Stale AI policy"), FindingStatus.CLOSED_EFFECTIVE)
        ofi = f.to(f.draft("ofi", title="Automate the model inventory"), FindingStatus.ISSUED)
        major.issued_at, minor.issued_at, ofi.issued_at = (
            _at(date(2026, 1, 10)),
            _at(date(2026, 2, 3)),
            _at(date(2026, 2, 4)),
        )
        minor.closed_at = _at(date(2026, 3, 2))
        audit = f.audit
        audit.status = AuditStatus.CLOSED
        db.session.add(
            AuditTransition(
                audit=audit,
                from_status=AuditStatus.FOLLOW_UP,
                to_status=AuditStatus.CLOSED,
                created_at=_at(date(2026, 3, 20)),
            )
        )
        conference = AuditConference(
            audit_id=audit.id,
            held_at=datetime(2026, 3, 1, 9),  # noqa: DTZ001 - the conference time is a naive local time
            participants="Team",
            fulfilment=Fulfilment.LARGELY_FULFILLED,
            conclusion="The AIMS is largely effective.",
        )
        db.session.add(conference)
        review = records.plan_review(admin, "2025 annual review", date(2025, 12, 1), today=date(2025, 12, 1))
        inputs = {code: records.InputRecord(True, "Discussed") for code in INPUT_CODES}
        held = records.HeldInput(date(2025, 12, 1), "Board", "More monitors", inputs=inputs)
        records.record_held(review, admin, held, revision=None, today=date(2025, 12, 1))
        records.add_action(
            review, admin, "Hire a model-risk analyst", fw_world.viewer_id, date(2026, 2, 1), today=date(2025, 12, 1)
        )
        db.session.commit()
    return fw_world


def test_pack_sections_from_records(app, pack_world):
    with app.app_context():
        admin = db.session.get(User, pack_world.admin_id)
        doc = generate_pack(admin, START, END, "Drift alerts: 3 <b>in Q1</b>\nFairness gap under 2 %")
        db.session.commit()
    assert doc.file_name.endswith(".docx")
    assert "20260101-20260331" in doc.file_name
    document = reopen(doc.data)
    assert [h for h in headings(document) if h] == [
        "Status of actions from earlier management reviews",
        "Audit results",
        "Nonconformities and corrective actions",
        "Issued and closed per month",
        "Open at the end of the period, by grade and age",
        "Overdue corrective actions",
        "Monitoring and measurement results",
        "Statement of Applicability and documented information",
        "Statement of Applicability",
        "Documented-information register",
        "Opportunities for improvement",
    ]
    actions = table_with(document, "Review")
    assert actions[1][1] == "Hire a model-risk analyst"
    assert actions[1][4] == "Open\nOVERDUE"
    audits = table_with(document, "Audit")
    assert audits[1][2] == Fulfilment.LARGELY_FULFILLED.label
    assert audits[1][3] == "The AIMS is largely effective."
    assert "Major nonconformity: 1" in audits[1][4]
    assert "Minor nonconformity: 1" in audits[1][4]
    assert "Opportunity for improvement: 1" in audits[1][4]
    months = table_with(document, "Month")
    assert months[1:] == [["Jan 2026", "1", "0"], ["Feb 2026", "1", "0"], ["Mar 2026", "0", "1"]]
    open_rows = table_with(document, "Grade")
    assert open_rows[1][:2] == ["Major nonconformity", "1"]
    assert len(open_rows) == 2
    text = all_text(document)
    assert "Drift alerts: 3 <b>in Q1</b>" in text
    assert "Fairness gap under 2 %" in text
    assert "No Statement of Applicability was approved on 31 Mar 2026." in text
    ofis = table_with(document, "Reference")
    assert [row[1] for row in ofis[1:]] == ["Automate the model inventory"]


def test_period_before_everything_says_so(app, pack_world):
    with app.app_context():
        admin = db.session.get(User, pack_world.admin_id)
        text = all_text(reopen(generate_pack(admin, date(2024, 1, 1), date(2024, 2, 15), "").data))
    assert "No audit was closed between 01 Jan 2024 and 15 Feb 2024." in text
    assert "No monitoring or measurement results were entered for this pack." in text
    assert "No opportunity for improvement was issued between" in text
    assert "No earlier management review recorded an action." in text


def test_bad_periods_and_roles_are_refused(app, pack_world):
    with app.app_context():
        admin = db.session.get(User, pack_world.admin_id)
        with pytest.raises(ValidationFailed):
            generate_pack(admin, END, START, "")
        with pytest.raises(ValidationFailed):
            generate_pack(admin, None, END, "")
        with pytest.raises(ValidationFailed):
            generate_pack(admin, date(2020, 1, 1), END, "")
        with pytest.raises(ValidationFailed):
            generate_pack(admin, START, END, "bell \x07")
        with pytest.raises(NotAllowed):
            generate_pack(db.session.get(User, pack_world.auditee_id), START, END, "")
        viewer = db.session.get(User, pack_world.viewer_id)
        assert generate_pack(viewer, START, END, "").data[:2] == b"PK"


def test_pack_queries_are_bounded(app, pack_world, query_count):
    with app.test_request_context():
        admin = db.session.get(User, pack_world.admin_id)
        before = query_count()
        pd.pack_data(admin, START, END, "")
        assert query_count() - before <= 20


def test_hostile_text_comes_out_literally():
    data = pd.PackData(
        START,
        END,
        HOSTILE,
        HOSTILE.replace("\x00", ""),
        earlier_actions=[pd.EarlierAction(HOSTILE, START, HOSTILE, HOSTILE, END, HOSTILE, True, HOSTILE)],
        earlier_actions_total=1,
        audits=[pd.AuditResult(HOSTILE, HOSTILE, END, HOSTILE, HOSTILE, HOSTILE)],
        trend=[pd.MonthTrend("Jan 2026", 1, 0)],
        open_by_grade=[pd.OpenByGrade(HOSTILE, 1, (1, 0, 0))],
        overdue_actions=[pd.OverdueAction(HOSTILE, HOSTILE, HOSTILE, START, 3)],
        overdue_total=1,
        soa=pd.SoaLine(True, HOSTILE, HOSTILE, 38, 30, (HOSTILE,), 1, 1),
        register=[(HOSTILE, 1)],
        register_gaps=[(HOSTILE, HOSTILE)],
        improvements=[pd.Improvement(HOSTILE, HOSTILE, HOSTILE, START, HOSTILE)],
        improvements_total=1,
    )
    out = build_review_pack(data, control(), TEMPLATE)
    assert_hostile_text_survives(out)
    assert "Controls complete" in all_text(reopen(out))
