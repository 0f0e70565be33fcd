"""Audit pages: plan an audit, the filtered list, my audits, the calendar, scope and criteria."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, time
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from audit_app.extensions import db
from audit_app.models import Audit, AuditStatus, AuditType, ChecklistItem, Role, TeamRole, User
from audit_app.services.planning import agenda, audits, lifecycle, programmes, team
from audit_app.services.planning.agenda import SessionData
from audit_app.services.planning.audits import AuditDetails
from audit_app.services.planning.programmes import ProgrammeData


@dataclass
class Planner:
    """Builds test data through the services, as the real pages and API would, one commit per step."""

    app: Flask
    library: int
    admin_id: int

    def run(self, fn: Callable[[], Any]) -> Any:
        with self.app.app_context():
            result = fn()
            db.session.commit()
            return result

    def user(self, user_id: int | None = None) -> User:
        return db.session.get(User, user_id or self.admin_id)

    def audit_row(self, audit_id: int) -> Audit:
        return db.session.get(Audit, audit_id)

    def programme(self, code: str = "2026", year: int = 2026) -> int:
        data = ProgrammeData(code, f"Programme {code}", date(year, 1, 1), date(year, 12, 31), self.library)
        return self.run(lambda: programmes.save_programme(data, actor=self.user()).id)

    def audit(self, programme_id: int, *, lead_id: int | None = None, title: str = "AI policy", **changes: Any) -> int:
        def _create() -> int:
            details = AuditDetails(
                title=title,
                audit_type=changes.pop("audit_type", AuditType.INTERNAL),
                start_date=changes.pop("start_date", date(2026, 6, 1)),
                end_date=changes.pop("end_date", date(2026, 6, 3)),
                lead_auditor_id=lead_id or self.admin_id,
                **changes,
            )
            programme = programmes.get_programme(programme_id)
            return audits.create_audit(programme, details, actor=self.user()).id

        return self.run(_create)

    def scope(self, audit_id: int, unit_ids: list[int] = (), system_ids: list[int] = ()) -> None:
        self.run(
            lambda: audits.set_scope(
                self.audit_row(audit_id), unit_ids=list(unit_ids), system_ids=list(system_ids), actor=self.user()
            )
        )

    def items(self, count: int = 3) -> list[int]:
        with self.app.app_context():
            stmt = (
                sa.select(ChecklistItem.id)
                .where(ChecklistItem.version_id == self.library, ChecklistItem.auditable.is_(True))
                .order_by(ChecklistItem.position)
                .limit(count)
            )
            return list(db.session.scalars(stmt))

    def criteria(self, audit_id: int, item_ids: list[int]) -> None:
        self.run(
            lambda: audits.set_criteria(
                self.audit_row(audit_id),
                version_ids=[self.library],
                item_ids=item_ids,
                other_criteria="",
                actor=self.user(),
            )
        )

    def member(self, audit_id: int, user_id: int, role: TeamRole = TeamRole.AUDITOR, exception: str = "") -> None:
        self.run(
            lambda: team.add_member(self.audit_row(audit_id), user_id, role, actor=self.user(), exception=exception)
        )

    def declare(self, audit_id: int, user_id: int) -> None:
        self.run(lambda: team.confirm_declaration(self.audit_row(audit_id), actor=self.user(user_id)))

    def session(self, audit_id: int, day: date, title: str = "Interview", item_ids: tuple[int, ...] = ()) -> None:
        data = SessionData(day, time(9, 0), 60, agenda.SessionActivity.INTERVIEW, title, item_ids=item_ids)
        self.run(lambda: agenda.save_session(self.audit_row(audit_id), data, actor=self.user()))

    def move(self, audit_id: int, target: AuditStatus, reason: str = "") -> None:
        self.run(lambda: lifecycle.transition(self.audit_row(audit_id), target, actor=self.user(), reason=reason))

    def ready_for_fieldwork(self, audit_id: int) -> None:
        """Criteria, items, every declaration and one session: the gates of fieldwork are met."""
        item_ids = self.items()
        self.criteria(audit_id, item_ids)
        with self.app.app_context():
            members = [m.user_id for m in self.audit_row(audit_id).team]
        for user_id in members:
            self.declare(audit_id, user_id)
        self.session(audit_id, date(2026, 6, 1), item_ids=tuple(item_ids))

    def status(self, audit_id: int) -> AuditStatus:
        with self.app.app_context():
            return self.audit_row(audit_id).status


@pytest.fixture
def planner(app: Flask, library: int, make_user: Callable[..., int]) -> Planner:
    return Planner(app, library, make_user(Role.ADMIN))


@pytest.fixture
def lead(make_user: Callable[..., int], login: Callable[[int], None]) -> int:
    """A lead auditor, signed in."""
    user_id = make_user(Role.LEAD_AUDITOR)
    login(user_id)
    return user_id


def audit_form(programme_id: int, lead_id: int, **changes: str) -> dict[str, str]:
    return {
        "programme_id": str(programme_id),
        "title": "AI policy and objectives",
        "audit_type": "readiness",
        "objectives": "Confirm clause 5 and 6 conformity before stage 1.",
        "scope_notes": "Credit decisioning process.",
        "period_covered_start": "2025-07-01",
        "period_covered_end": "2026-05-31",
        "method": "hybrid",
        "start_date": "2026-06-01",
        "end_date": "2026-06-03",
        "language": "English",
        "client": "Management board",
        "lead_auditor_id": str(lead_id),
        "other_criteria": "AI policy v3",
        "confidentiality_note": "Customer data stays on site.",
        **changes,
    }


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
