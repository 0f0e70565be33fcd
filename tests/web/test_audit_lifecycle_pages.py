"""The audit overview and the life cycle through the web: who may move an audit, gates, reasons and locks."""

from __future__ import annotations

import html
import re
from datetime import date, datetime, time

import pytest
from flask import Flask

from audit_app.models import AuditStatus, MeetingKind, Role, TeamRole
from audit_app.services.planning import agenda, meetings
from audit_app.services.planning.meetings import MeetingData
from tests.fixtures.audit_pages import Planner, audit_form


@pytest.fixture
def planner(app: Flask, library: int, make_user) -> Planner:
    return Planner(app, library, make_user(Role.ADMIN))


@pytest.fixture
def lead(make_user, login) -> int:
    """A lead auditor, signed in."""
    user_id = make_user(Role.LEAD_AUDITOR)
    login(user_id)
    return user_id


@pytest.fixture
def audit_id(planner: Planner, lead: int) -> int:
    """An audit led by the signed-in lead auditor."""
    return planner.audit(planner.programme(), lead_id=lead, title="Data controls")


def flashes(page: str) -> str:
    match = re.search(r'<div class="flashes" role="status">(.*?)</div>', page, re.S)
    return html.unescape(match.group(1)) if match else ""


def history(page: str) -> list[list[str]]:
    section = page.split("<h2>Status history</h2>", 1)[1]
    rows = re.findall(r"<tr>\s*(<td>.*?)</tr>", section, re.S)
    return [
        [html.unescape(re.sub(r"<[^>]+>", "", c)).strip() for c in re.findall(r"<td.*?</td>", r, re.S)] for r in rows
    ]


def test_a_lead_auditor_who_does_not_lead_this_audit_is_refused(client, app, planner, make_user, login, audit_id):
    other = make_user(Role.LEAD_AUDITOR)
    login(other)
    assert client.get(f"/audits/{audit_id}").status_code == 200  # staff read every audit
    for path in ("edit", "scope", "criteria"):
        assert client.get(f"/audits/{audit_id}/{path}").status_code == 403, path
        assert client.post(f"/audits/{audit_id}/{path}", data={}).status_code == 403, path
    data = audit_form(planner.programme("2027", 2027), other)
    assert client.post(f"/audits/{audit_id}/edit", data=data).status_code == 403
    response = client.post(f"/audits/{audit_id}/status", data={"target": "preparation"})
    assert response.status_code == 403
    assert planner.status(audit_id) is AuditStatus.PLANNED
    page = client.get(f"/audits/{audit_id}").get_data(as_text=True)
    assert "Life-cycle actions" not in page
    assert "/status" not in page


def test_a_move_is_recorded_with_who_and_when(client, app, planner, lead, audit_id):
    page = client.get(f"/audits/{audit_id}").get_data(as_text=True)
    assert '<input type="hidden" name="target" value="preparation">' in page
    assert "Move to preparation</button>" in page
    assert '<li aria-current="step"><strong>Planned</strong>: current stage</li>' in page
    assert "<li>Preparation: next</li>" in page

    response = client.post(f"/audits/{audit_id}/status", data={"target": "preparation", "reason": ""})
    assert response.status_code == 302
    assert response.headers["Location"] == f"/audits/{audit_id}"
    assert planner.status(audit_id) is AuditStatus.PREPARATION
    page = client.get(f"/audits/{audit_id}").get_data(as_text=True)
    assert "moved to preparation" in flashes(page)
    ((when, source, target, who, reason),) = history(page)
    assert (source, target, who, reason) == ("Planned", "Preparation", "Test lead_auditor", "—")
    assert re.fullmatch(r"\d\d \w{3} \d{4} \d\d:\d\d UTC", when)
    assert '<li aria-current="step"><strong>Preparation</strong>: current stage</li>' in page
    assert "<li>Planned: done</li>" in page


def test_a_move_that_needs_a_reason_is_refused_without_one(client, planner, audit_id):
    page = client.get(f"/audits/{audit_id}").get_data(as_text=True)
    assert '<label for="reason-cancelled">Reason for moving to cancelled' in page
    assert '<textarea id="reason-cancelled" name="reason" rows="2" required>' in page
    response = client.post(f"/audits/{audit_id}/status", data={"target": "cancelled", "reason": "  "})
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Give a reason for moving the audit to cancelled." in flashes(page)
    assert planner.status(audit_id) is AuditStatus.PLANNED
    assert history(page) == []

    client.post(f"/audits/{audit_id}/status", data={"target": "cancelled", "reason": "Budget moved to 2027."})
    page = client.get(f"/audits/{audit_id}").get_data(as_text=True)
    assert planner.status(audit_id) is AuditStatus.CANCELLED
    assert history(page)[0][1:] == ["Planned", "Cancelled", "Test lead_auditor", "Budget moved to 2027."]
    assert "<strong>Cancelled:</strong> Budget moved to 2027." in page
    assert "<li>Planned: cancelled here</li>" in page


def test_a_gate_blocker_is_shown_and_refused(client, planner, make_user, audit_id):
    auditor = make_user(Role.AUDITOR)
    planner.member(audit_id, auditor)
    planner.move(audit_id, AuditStatus.PREPARATION)
    page = client.get(f"/audits/{audit_id}").get_data(as_text=True)
    assert f'href="/audits/{audit_id}/fieldwork">Move to fieldwork…</a>' in page  # through the confirmation page
    # The generic status form does not start fieldwork: it leads to the confirmation page.
    response = client.post(f"/audits/{audit_id}/status", data={"target": "fieldwork"})
    assert response.headers["Location"].endswith(f"/audits/{audit_id}/fieldwork")
    confirm = client.get(f"/audits/{audit_id}/fieldwork").get_data(as_text=True)
    blocked = re.search(r'<h2 id="blockers">.*?</ul>', confirm, re.S).group(0)
    assert "Declarations of independence are still missing from: Test lead_auditor, Test auditor." in blocked
    assert "Plan at least one agenda session." in blocked
    assert 'name="confirm"' not in confirm  # nothing to confirm while something blocks

    refused = client.post(f"/audits/{audit_id}/fieldwork", data={"confirm": "y"})
    assert refused.status_code == 409
    assert "Not ready for fieldwork:" in refused.get_data(as_text=True)
    page = client.get(f"/audits/{audit_id}").get_data(as_text=True)
    assert planner.status(audit_id) is AuditStatus.PREPARATION
    assert len(history(page)) == 1


@pytest.mark.parametrize(("data", "status"), [({"target": "finished"}, 400), ({}, 400), ({"target": "closed"}, 302)])
def test_unknown_or_impossible_targets(client, planner, audit_id, data, status):
    response = client.post(f"/audits/{audit_id}/status", data=data)
    assert response.status_code == status
    if status == 302:
        page = client.get(response.headers["Location"]).get_data(as_text=True)
        assert "An audit in planned cannot move to closed." in flashes(page)
    else:
        assert "status" in response.get_data(as_text=True).lower()
    assert planner.status(audit_id) is AuditStatus.PLANNED


def test_scope_and_criteria_are_locked_once_fieldwork_starts(client, app, planner, make_unit, audit_id):
    unit = make_unit("Procurement")
    planner.ready_for_fieldwork(audit_id)
    planner.move(audit_id, AuditStatus.PREPARATION)
    planner.move(audit_id, AuditStatus.FIELDWORK)
    page = client.get(f"/audits/{audit_id}/scope").get_data(as_text=True)
    assert "Scope can no longer change" in page
    response = client.post(f"/audits/{audit_id}/scope", data={"unit_ids": [str(unit)]})
    assert response.status_code == 409
    assert "scope and criteria are frozen once fieldwork starts" in html.unescape(response.get_data(as_text=True))
    response = client.post(f"/audits/{audit_id}/criteria", data={"version_ids": [], "save": "y"})
    assert response.status_code == 409
    with app.app_context():
        audit = planner.audit_row(audit_id)
        assert audit.scope_units == []
        assert len(audit.scope_items) == 3
    page = client.get(f"/audits/{audit_id}").get_data(as_text=True)
    assert "These can no longer change:</p>\n<ul><li>Scope</li><li>Criteria</li></ul>" in page


def test_details_are_edited_until_reporting(client, app, planner, lead, audit_id, field_errors):
    programme_id = planner.programme("2027", 2027)  # the form's programme is ignored on edit
    page = client.get(f"/audits/{audit_id}/edit").get_data(as_text=True)
    assert 'value="Data controls"' in page
    assert 'name="programme_id"' not in page
    response = client.post(f"/audits/{audit_id}/edit", data=audit_form(programme_id, lead, end_date="2026-05-01"))
    assert response.status_code == 400
    assert field_errors(response.get_data(as_text=True), "end_date") == ["The audit cannot end before it starts."]
    response = client.post(f"/audits/{audit_id}/edit", data=audit_form(programme_id, lead, title="Data and models"))
    assert response.status_code == 302
    with app.app_context():
        assert planner.audit_row(audit_id).title == "Data and models"


def test_overview_shows_progress_team_meetings_and_conflicts(client, app, planner, make_user, lead, audit_id):
    observer = make_user(Role.VIEWER)
    planner.ready_for_fieldwork(audit_id)
    planner.member(audit_id, observer, TeamRole.OBSERVER)
    planner.session(audit_id, date(2026, 6, 9), title="Late session")  # outside the audit dates
    page = client.get(f"/audits/{audit_id}").get_data(as_text=True)
    assert "<dt>Declarations of independence confirmed</dt><dd>1/2</dd>" in page
    assert "Declarations pending: 1" in page
    assert "<td>Observer</td>" in page
    assert "<strong>Pending</strong>" in page
    with app.app_context():
        conflicts = len(agenda.conflicts_for(planner.audit_row(audit_id)))
    assert conflicts >= 1
    assert f"<dt>Plan conflicts</dt><dd>{conflicts}</dd>" in page
    assert "<dt>Agenda sessions</dt><dd>2</dd>" in page
    assert "<dt>Clauses and controls in scope</dt><dd>3</dd>" in page
    assert "Not recorded yet." in page

    planner.declare(audit_id, observer)
    planner.move(audit_id, AuditStatus.PREPARATION)
    planner.move(audit_id, AuditStatus.FIELDWORK)

    def record() -> None:
        held_at = datetime.combine(date(2026, 6, 1), time(9, 0))
        data = MeetingData(held_at, "Ana (lead auditor)\nBo (CTO)", ("introductions", "language"))
        meetings.record_meeting(planner.audit_row(audit_id), MeetingKind.OPENING, data, actor=planner.user())

    planner.run(record)
    page = client.get(f"/audits/{audit_id}").get_data(as_text=True)
    opening = page.split("<h3>Opening meeting</h3>", 1)[1].split("<h3>Closing meeting</h3>", 1)[0]
    assert "01 Jun 2026 09:00" in opening
    assert "Bo (CTO)" in opening
    assert "<li>Introductions and the roles of everyone present</li>" in opening
    assert "<li>Working and reporting language</li>" in opening
    closing = page.split("<h3>Closing meeting</h3>", 1)[1]
    assert "Not recorded yet." in closing.split("<h2>", 1)[0]
    assert "Record the closing meeting." in page  # the blocker of reporting
    assert [row[1:3] for row in history(page)] == [["Planned", "Preparation"], ["Preparation", "Fieldwork"]]
    assert "<dt>Declarations of independence confirmed</dt><dd>2/2</dd>" in page


def test_index_query_count_stays_flat(client, planner, make_user, make_unit, login, query_count):
    login(make_user(Role.VIEWER))
    programme_id = planner.programme()

    def queries() -> int:
        with client:
            assert client.get("/audits/").status_code == 200
            return query_count()

    def add(n: int) -> None:
        unit = make_unit()
        audit_id = planner.audit(programme_id, lead_id=make_user(Role.LEAD_AUDITOR), title=f"Audit {n}")
        planner.scope(audit_id, unit_ids=[unit])
        planner.member(audit_id, make_user(Role.AUDITOR))

    add(1)
    one = queries()
    for n in range(2, 6):
        add(n)
    assert queries() == one


def test_new_audit_page_needs_a_programme_and_survives_bad_query_args(client, app, lead):
    for query in ("", "?programme_id=abc", "?programme_id=99999"):
        assert client.get(f"/audits/new{query}").status_code == 200
    response = client.post("/audits/new", data={})
    assert response.status_code == 400
    assert "There is a problem" in response.get_data(as_text=True)


def test_mine_and_index_are_keyboard_links(client, planner, lead, audit_id):
    page = client.get("/audits/").get_data(as_text=True)
    assert f'<a href="/audits/{audit_id}">IA-2026-01</a>' in page
    assert '<a class="button" href="/audits/new">Plan an audit</a>' in page
    page = client.get(f"/audits/{audit_id}").get_data(as_text=True)
    for path in ("edit", "scope", "criteria", "team", "agenda", "meetings/opening"):
        assert f'href="/audits/{audit_id}/{path}"' in page, path
