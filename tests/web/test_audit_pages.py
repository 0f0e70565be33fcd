"""Audit pages: plan an audit, the filtered list, my audits, the calendar, scope and criteria."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date

import pytest
import sqlalchemy as sa
from flask import Flask

from audit_app.extensions import db
from audit_app.models import Audit, AuditStatus, AuditType, Role
from audit_app.services.planning import team
from tests.fixtures.audit_pages import Planner, audit_form


@pytest.fixture
def planner(app: Flask, library: int, make_user: Callable[..., int]) -> Planner:
    return Planner(app, library, make_user(Role.ADMIN))


@pytest.fixture
def lead(make_user: Callable[..., int], login: Callable[[int], None]) -> int:
    """A lead auditor, signed in."""
    user_id = make_user(Role.LEAD_AUDITOR)
    login(user_id)
    return user_id


def references(page: str) -> list[str]:
    return re.findall(r'<th scope="row"><a href="/audits/\d+">(IA-[\w-]+)</a></th>', page)


def audit_count(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count(Audit.id)))


def test_plan_audits_through_the_form_numbers_them(client, app, planner, lead):
    programme_id = planner.programme()
    page = client.get(f"/audits/new?programme_id={programme_id}").get_data(as_text=True)
    assert f'<option selected value="{programme_id}">' in page
    assert f'<option selected value="{lead}">' in page  # the current user leads by default
    assert '<label for="title">Title</label>' in page

    response = client.post("/audits/new", data=audit_form(programme_id, lead))
    assert response.status_code == 302
    with app.app_context():
        audit = db.session.scalar(sa.select(Audit))
        assert audit.reference == "IA-2026-01"
        assert (audit.audit_type, audit.lead_auditor_id, audit.client) == (
            AuditType.READINESS,
            lead,
            "Management board",
        )
        assert audit.period_covered_end == date(2026, 5, 31)
        assert response.headers["Location"] == f"/audits/{audit.id}"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "IA-2026-01 AI policy and objectives" in page
    assert "Audit IA-2026-01 planned." in page

    response = client.post("/audits/new", data=audit_form(programme_id, lead, title="Annex A data controls"))
    assert response.status_code == 302
    with app.app_context():
        assert db.session.scalars(sa.select(Audit.reference).order_by(Audit.id)).all() == ["IA-2026-01", "IA-2026-02"]


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"end_date": "2026-05-30"}, "end_date", "The audit cannot end before it starts."),
        ({"start_date": "2025-12-30"}, "start_date", "Audit dates must fall within the programme period"),
        ({"end_date": "2027-01-02"}, "start_date", "Audit dates must fall within the programme period"),
        ({"title": ""}, "title", "This field is required."),
        ({"title": "AI\x07 policy"}, "title", "Remove the control characters"),
        ({"period_covered_end": "2025-01-01"}, "period_covered_end", "The period covered ends before it starts."),
        ({"start_date": "2026-02-30"}, "start_date", "Not a valid date value."),
        ({"audit_type": "audit"}, "audit_type", "Not a valid choice."),
        ({"lead_auditor_id": "abc"}, "lead_auditor_id", "Choose the lead auditor."),
    ],
)
def test_bad_audit_input_is_refused_next_to_the_field(
    client, app, planner, lead, field_errors, changes, field, message
):
    programme_id = planner.programme()
    response = client.post("/audits/new", data=audit_form(programme_id, lead, **changes))
    assert response.status_code == 400
    errors = field_errors(response.get_data(as_text=True), field)
    assert any(e.startswith(message) for e in errors), errors
    assert audit_count(app) == 0


@pytest.mark.parametrize("role", [Role.AUDITOR, Role.VIEWER, Role.AUDITEE])
def test_only_a_lead_auditor_or_admin_can_lead(client, app, planner, lead, make_user, field_errors, role):
    programme_id = planner.programme()
    response = client.post("/audits/new", data=audit_form(programme_id, make_user(role)))
    assert response.status_code == 400
    assert field_errors(response.get_data(as_text=True), "lead_auditor_id") == [
        "Choose an active lead auditor (or administrator)."
    ]
    assert audit_count(app) == 0


def test_filters_narrow_the_list(client, app, planner, make_user, make_unit, login):
    viewer = make_user(Role.VIEWER)
    other_lead = make_user(Role.LEAD_AUDITOR)
    unit = make_unit("Credit risk")
    first, second = planner.programme("2026"), planner.programme("2027", 2027)
    a = planner.audit(first, title="Policy")
    b = planner.audit(first, title="Data", lead_id=other_lead, audit_type=AuditType.SURVEILLANCE)
    c = planner.audit(second, title="Models", start_date=date(2027, 3, 1), end_date=date(2027, 3, 2))
    planner.scope(b, unit_ids=[unit])
    planner.move(a, AuditStatus.PREPARATION)
    login(viewer)
    cases = {
        "": ["IA-2027-01", "IA-2026-02", "IA-2026-01"],
        f"programme={first}": ["IA-2026-02", "IA-2026-01"],
        "status=preparation": ["IA-2026-01"],
        "status=planned": ["IA-2027-01", "IA-2026-02"],
        "type=surveillance": ["IA-2026-02"],
        f"lead={other_lead}": ["IA-2026-02"],
        f"unit={unit}": ["IA-2026-02"],
        f"programme={second}&status=planned": ["IA-2027-01"],
        f"programme={second}&type=surveillance": [],
    }
    for query, expected in cases.items():
        response = client.get(f"/audits/?{query}")
        assert response.status_code == 200, query
        assert references(response.get_data(as_text=True)) == expected, query
    assert c  # the 2027 audit exists
    page = client.get("/audits/").get_data(as_text=True)
    for label in ("Programme", "Status", "Type", "Lead auditor", "Org unit in scope"):
        assert re.search(rf'<label for="\w+">{label}</label>', page), label
    assert '<option selected value="">Any</option>' in page


@pytest.mark.parametrize("query", ["status=bogus", "programme=abc", "lead=99999", "unit=-1", "type=%00"])
def test_invalid_filters_are_reported_not_crashed(client, planner, make_user, login, query):
    programme_id = planner.programme()
    planner.audit(programme_id)
    login(make_user(Role.VIEWER))
    response = client.get(f"/audits/?{query}")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Some filters were not understood" in page
    assert "Not a valid choice." in page
    assert references(page) == ["IA-2026-01"]  # the bad filter is left out


def test_auditee_sees_only_their_audits(client, app, planner, make_user, make_unit, login):
    unit = make_unit("Claims")
    auditee = make_user(Role.AUDITEE, unit_id=unit)
    outsider_unit = make_unit("Marketing")
    programme_id = planner.programme()
    in_scope = planner.audit(programme_id, title="Claims audit")
    represented = planner.audit(programme_id, title="Represented")
    hidden = planner.audit(programme_id, title="Hidden")
    planner.scope(in_scope, unit_ids=[unit])
    planner.scope(hidden, unit_ids=[outsider_unit])
    planner.run(lambda: team.add_auditee(planner.audit_row(represented), actor=planner.user(), user_id=auditee))
    planner.session(hidden, date(2026, 6, 2), title="Secret interview")
    login(auditee)
    assert references(client.get("/audits/").get_data(as_text=True)) == ["IA-2026-02", "IA-2026-01"]
    assert client.get(f"/audits/{in_scope}").status_code == 200
    assert client.get(f"/audits/{represented}").status_code == 200
    assert client.get(f"/audits/{hidden}").status_code == 404
    assert client.get("/audits/999999").status_code == 404
    page = client.get("/audits/calendar?month=2026-06").get_data(as_text=True)
    assert "Secret interview" not in page
    assert "Plan conflicts" not in client.get(f"/audits/{in_scope}").get_data(as_text=True)  # staff only


def test_calendar_shows_sessions_on_their_day(client, app, planner, make_user, login):
    programme_id = planner.programme()
    audit_id = planner.audit(programme_id, title="Calendar audit")
    cancelled = planner.audit(programme_id, title="Dropped audit")
    planner.session(audit_id, date(2026, 6, 2), title="Model owner interview")
    planner.session(cancelled, date(2026, 6, 2), title="Dropped interview")
    planner.move(cancelled, AuditStatus.CANCELLED, reason="Merged into the calendar audit.")
    login(make_user(Role.AUDITOR))
    response = client.get("/audits/calendar?month=2026-06")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "<caption>June 2026</caption>" in page
    assert page.count('<th scope="col">') == 7
    assert '<abbr title="Monday">Mon</abbr>' in page
    cell = re.search(r'<time datetime="2026-06-02">.*?</td>', page, re.S).group(0)
    assert f'<a href="/audits/{audit_id}/agenda">IA-2026-01: Model owner interview</a>' in cell
    assert "09:00" in cell
    assert "Dropped interview" not in page
    assert "Model owner interview" not in re.search(r'<time datetime="2026-06-03">.*?</td>', page, re.S).group(0)
    assert 'href="/audits/calendar?month=2026-05"' in page
    assert 'href="/audits/calendar?month=2026-07"' in page
    december = client.get("/audits/calendar?month=2026-12").get_data(as_text=True)
    assert 'href="/audits/calendar?month=2027-01"' in december
    assert client.get("/audits/calendar").status_code == 200


@pytest.mark.parametrize("month", ["2026-13", "2026-00", "June", "2026-6", "0000-01", "2026-06-01"])
def test_calendar_refuses_a_bad_month(client, make_user, login, month):
    login(make_user(Role.VIEWER))
    response = client.get(f"/audits/calendar?month={month}")
    assert response.status_code == 400
    assert "Use the form YYYY-MM" in response.get_data(as_text=True)


def test_calendar_loads_sessions_in_a_bounded_number_of_queries(client, planner, make_user, login, query_count):
    programme_id = planner.programme()
    login(make_user(Role.VIEWER))

    def queries() -> int:
        with client:
            assert client.get("/audits/calendar?month=2026-06").status_code == 200
            return query_count()

    audit_id = planner.audit(programme_id)
    planner.session(audit_id, date(2026, 6, 1))
    one = queries()
    for day in range(2, 6):
        other = planner.audit(programme_id, start_date=date(2026, 6, day), end_date=date(2026, 6, day))
        planner.session(other, date(2026, 6, day))
    assert queries() == one


def test_my_audits_lists_my_role_in_each(client, app, planner, make_user, login):
    me = make_user(Role.LEAD_AUDITOR)
    programme_id = planner.programme()
    led = planner.audit(programme_id, lead_id=me, title="I lead")
    member = planner.audit(programme_id, title="I audit")
    represented = planner.audit(programme_id, title="I represent")
    planner.audit(programme_id, title="Not mine")
    planner.member(member, me)
    planner.declare(led, me)
    planner.run(lambda: team.add_auditee(planner.audit_row(represented), actor=planner.user(), user_id=me))
    login(me)
    page = client.get("/audits/mine").get_data(as_text=True)
    rows = dict(re.findall(r'<a href="/audits/\d+">(IA-[\w-]+)</a></th>(.*?)</tr>', page, re.S))
    assert set(rows) == {"IA-2026-01", "IA-2026-02", "IA-2026-03"}
    assert "<td>Lead auditor</td>" in rows["IA-2026-01"]
    assert "Confirmed" in rows["IA-2026-01"]
    assert "<td>Auditor</td>" in rows["IA-2026-02"]
    assert "<strong>Pending:</strong>" in rows["IA-2026-02"]
    assert f'href="/audits/{member}/agenda"' in rows["IA-2026-02"]
    assert "<td>Auditee representative</td>" in rows["IA-2026-03"]
    assert "Not needed" in rows["IA-2026-03"]
