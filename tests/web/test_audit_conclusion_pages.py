"""Preparation, the fieldwork confirmation, the conclusions page and the reporting refusal through the web."""

from __future__ import annotations

import html
import re
from datetime import date, datetime, time

import pytest
import sqlalchemy as sa
from flask import Flask

from audit_app.extensions import db
from audit_app.models import (
    Activity,
    Adequacy,
    Audit,
    AuditRiskKind,
    AuditStatus,
    ChecklistResponse,
    Rating,
    ResponseResult,
    Role,
    User,
)
from audit_app.services.planning import meetings, preparation
from audit_app.services.planning.meetings import MeetingData
from tests.fixtures.audit_pages import Planner


@pytest.fixture
def planner(app: Flask, library: int, make_user) -> Planner:
    return Planner(app, library, make_user(Role.ADMIN))


@pytest.fixture
def lead(make_user, login) -> int:
    user_id = make_user(Role.LEAD_AUDITOR)
    login(user_id)
    return user_id


@pytest.fixture
def audit_id(planner: Planner, lead: int) -> int:
    audit_id = planner.audit(planner.programme(), lead_id=lead, title="Data controls")
    planner.ready_for_fieldwork(audit_id)
    planner.move(audit_id, AuditStatus.PREPARATION)
    return audit_id


def text(page: str) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)))


def test_fieldwork_starts_from_a_confirmation_listing_what_freezes_and_every_warning(client, app, planner, audit_id):
    page = client.get(f"/audits/{audit_id}/fieldwork").get_data(as_text=True)
    words = text(page)
    assert "What freezes when fieldwork starts" in words
    assert "The pinned checklist versions (criteria) and the clauses and controls in scope" in words
    assert "Open warnings (3)" in words
    assert "No AI system is in scope" in words
    assert "No risk to achieving the audit objectives has been assessed." in words
    assert "No documented information has been reviewed in preparation." in words
    assert '<label for="confirm">' in page

    unticked = client.post(f"/audits/{audit_id}/fieldwork", data={})
    assert unticked.status_code == 400
    assert "Tick the box to confirm." in unticked.get_data(as_text=True)
    assert planner.status(audit_id) is AuditStatus.PREPARATION

    done = client.post(f"/audits/{audit_id}/fieldwork", data={"confirm": "y"})
    assert done.status_code == 302
    assert planner.status(audit_id) is AuditStatus.FIELDWORK
    with app.app_context():
        (entry,) = db.session.scalars(
            sa.select(Activity).where(Activity.action == "audit.fieldwork_warnings_confirmed")
        )
        assert len(entry.details["warnings"]) == 3


def test_preparation_records_risks_and_documents_and_keeps_typed_work_on_refusal(client, app, audit_id):
    url = f"/audits/{audit_id}/preparation"
    refused = client.post(
        f"{url}/risks",
        data={
            "risk-kind": "time",
            "risk-description": "Two days only.",
            "risk-likelihood": "high",
            "risk-impact": "medium",
            "risk-treatment": "",
        },
    )
    assert refused.status_code == 400
    assert "Two days only." in refused.get_data(as_text=True)  # what was typed stays
    added = client.post(
        f"{url}/risks",
        data={
            "risk-kind": "time",
            "risk-description": "Two days only.",
            "risk-likelihood": "high",
            "risk-impact": "medium",
            "risk-treatment": "Add a remote half day.",
        },
    )
    assert added.status_code == 302
    refused = client.post(
        f"{url}/documents",
        data={
            "doc-document": "AI risk method",
            "doc-version": "2",
            "doc-adequacy": "inadequate",
            "doc-reviewed_on": "2026-05-20",
            "doc-notes": "",
        },
    )
    assert refused.status_code == 400
    assert "Say what is missing or inadequate" in refused.get_data(as_text=True)
    client.post(
        f"{url}/documents",
        data={
            "doc-document": "AI risk method",
            "doc-version": "2",
            "doc-adequacy": "inadequate",
            "doc-reviewed_on": "2026-05-20",
            "doc-notes": "No criteria for acceptable risk.",
        },
    )
    words = text(client.get(url).get_data(as_text=True))
    assert "Insufficient time: Two days only. High Medium High Add a remote half day." in words
    assert "AI risk method 2 Inadequate" in words
    confirm = text(client.get(f"/audits/{audit_id}/fieldwork").get_data(as_text=True))
    assert "Documents found not adequate in preparation: AI risk method (inadequate)." in confirm
    assert "No risk to achieving" not in confirm
    with app.app_context():
        risk_id = db.session.scalar(sa.text("select id from audit_risk"))
    assert client.post(f"{url}/risks/{risk_id}/remove").status_code == 302
    assert "No risk assessed yet." in client.get(url).get_data(as_text=True)


def _into_fieldwork(client, app, planner, audit_id) -> None:
    client.post(f"/audits/{audit_id}/fieldwork", data={"confirm": "y"})
    with app.app_context():
        audit = db.session.get(Audit, audit_id)
        for kind in meetings.MeetingKind:
            held = datetime.combine(date(2026, 6, 1), time(9))
            meetings.record_meeting(audit, kind, MeetingData(held, "Lena Lead"), actor=audit.lead_auditor)
        db.session.commit()


def test_reporting_is_refused_with_the_list_of_what_is_missing(client, app, planner, audit_id):
    _into_fieldwork(client, app, planner, audit_id)
    response = client.post(f"/audits/{audit_id}/status", data={"target": "reporting"})
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    words = text(page)
    assert "Not ready for reporting:" in words
    assert "Conclude 3 item(s) in scope or mark them not audited: 4.1, 4.2, 4.3." in words
    assert "Record the team conference with the audit conclusion." in words
    assert planner.status(audit_id) is AuditStatus.FIELDWORK
    blockers = text(client.get(f"/audits/{audit_id}/conclusions").get_data(as_text=True))
    assert "Before the report can be written" in blockers
    assert "0 of 3 clauses and controls in scope were audited and concluded" in blockers


def test_the_conference_is_recorded_per_area_and_a_contradiction_keeps_what_was_typed(client, app, planner, audit_id):
    _into_fieldwork(client, app, planner, audit_id)
    with app.app_context():
        rows = db.session.scalars(sa.select(ChecklistResponse).where(ChecklistResponse.audit_id == audit_id)).all()
        for response, result in zip(
            rows, (ResponseResult.NONCONFORMITY, ResponseResult.CONFORMING, ResponseResult.NOT_AUDITED), strict=True
        ):
            response.result, response.reason = result, "Owner on leave." if result.needs_reason else ""
        db.session.commit()
    form = {
        "held_at": "2026-06-03T12:00",
        "participants": "Lena Lead; Test auditor",
        "fulfilment": "partly_fulfilled",
        "conclusion": "Clause 4 partly fulfilled.",
        "objectives_met": "y",
        "area-4-fulfilment": "fulfilled",
        "area-4-statement": "Context determined.",
    }
    refused = client.post(f"/audits/{audit_id}/conclusions", data=form)
    assert refused.status_code == 400
    page = refused.get_data(as_text=True)
    assert "so the area cannot be fulfilled" in html.unescape(page)
    assert "Context determined." in page  # the typed statement is kept
    assert "Clause 4 partly fulfilled." in page
    saved = client.post(f"/audits/{audit_id}/conclusions", data={**form, "area-4-fulfilment": "partly_fulfilled"})
    assert saved.status_code == 302
    words = text(client.get(f"/audits/{audit_id}/conclusions").get_data(as_text=True))
    assert "2 of 3 clauses and controls in scope were audited and concluded (67 %); 1 closed as not audited" in words
    assert "Owner on leave." in words
    response = client.post(f"/audits/{audit_id}/status", data={"target": "reporting"})
    assert response.status_code == 302
    assert planner.status(audit_id) is AuditStatus.REPORTING


def test_an_auditor_reads_the_working_papers_but_cannot_change_them(client, app, planner, make_user, login, audit_id):
    auditor = make_user(Role.AUDITOR)
    planner.member(audit_id, auditor)
    login(auditor)
    assert client.get(f"/audits/{audit_id}/preparation").status_code == 200
    assert client.get(f"/audits/{audit_id}/conclusions").status_code == 200
    assert client.post(f"/audits/{audit_id}/conclusions", data={}).status_code == 403
    outsider = make_user(Role.AUDITOR)
    login(outsider)
    assert client.get(f"/audits/{audit_id}/preparation").status_code == 403


def _statements(client, query_count, url: str) -> int:
    with client:
        assert client.get(url).status_code == 200
        return query_count()


def test_preparation_and_conclusions_pages_issue_a_bounded_number_of_queries(client, app, audit_id, query_count):
    def add(n: int) -> None:
        with app.app_context():
            audit = db.session.get(Audit, audit_id)
            for i in range(n):
                reviewer = User(email=f"reviewer{n}-{i}@example.test", name=f"Reviewer {i}", role=Role.LEAD_AUDITOR)
                db.session.add(reviewer)
                db.session.flush()
                data = preparation.RiskData(AuditRiskKind.OTHER, f"Risk {i}", Rating.LOW, Rating.HIGH, "Treat it.")
                preparation.save_risk(audit, data, actor=audit.lead_auditor)
                doc = preparation.DocumentData(f"Doc {i}", Adequacy.ADEQUATE, date(2026, 5, 1))
                review = preparation.save_document(audit, doc, actor=audit.lead_auditor)
                review.reviewed_by_id = reviewer.id  # a different reviewer per document
            db.session.commit()

    urls = [f"/audits/{audit_id}/preparation", f"/audits/{audit_id}/conclusions", f"/audits/{audit_id}"]
    add(2)
    few = [_statements(client, query_count, url) for url in urls]
    add(20)
    many = [_statements(client, query_count, url) for url in urls]
    assert many == few
