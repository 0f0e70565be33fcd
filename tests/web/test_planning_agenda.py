"""Planning pages, part 2: the agenda, its sessions and the conflicts a lead auditor must see."""

from __future__ import annotations

import re

from flask import Flask

from audit_app.extensions import db
from audit_app.models import Audit, Role, TeamRole, User
from audit_app.services.planning import team
from tests.fixtures.planning_pages import Plan, add_member, team_rows, to_reporting


def session_form(web_plan: Plan, **changes: object) -> dict[str, object]:
    form: dict[str, object] = {
        "day": "2026-06-01",
        "start_time": "09:00",
        "duration_minutes": "60",
        "activity": "interview",
        "title": "Interview with Credit Risk",
        "location": "Room 4",
        "remote_link": "",
        "notes": "",
        "item_ids": [str(web_plan.item_ids[0])],
        "auditor_ids": [str(web_plan.lead_id)],
        "auditee_ids": [],
    }
    form.update(changes)
    return form


def sessions(app: Flask, audit_id: int) -> list[tuple[str, str, int, list[str], list[int]]]:
    """(title, day and time, minutes, item refs, auditor ids) per session."""
    with app.app_context():
        return [
            (
                s.title,
                f"{s.day} {s.start_time:%H:%M}",
                s.duration_minutes,
                [i.ref for i in s.items],
                [u.id for u in s.auditors],
            )
            for s in db.session.get(Audit, audit_id).sessions
        ]


def session_ids(app: Flask, audit_id: int) -> list[int]:
    with app.app_context():
        return [s.id for s in db.session.get(Audit, audit_id).sessions]


def agenda_page(client, web_plan: Plan) -> str:
    response = client.get(f"/audits/{web_plan.audit_id}/agenda")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def conflict_heading(page: str) -> str:
    return re.search(r'<h2 id="conflicts-heading">(.*?)</h2>', page).group(1)


def test_lead_adds_edits_and_deletes_a_session_and_sees_coverage(client, app, login, web_plan):
    login(web_plan.lead_id)
    page = agenda_page(client, web_plan)
    assert conflict_heading(page) == "2 conflicts in this plan"
    assert page.count("! Not covered by any session") == 2
    assert "No sessions planned yet." in page
    assert f'href="/audits/{web_plan.audit_id}/agenda/new">Add session' in page

    form_page = client.get(f"/audits/{web_plan.audit_id}/agenda/new").get_data(as_text=True)
    assert 'value="2026-06-01"' in form_page  # the day starts at the audit's first day
    assert "<legend>Clauses and controls covered</legend>" in form_page
    response = client.post(f"/audits/{web_plan.audit_id}/agenda/new", data=session_form(web_plan))
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/audits/{web_plan.audit_id}/agenda")
    assert sessions(app, web_plan.audit_id) == [
        ("Interview with Credit Risk", "2026-06-01 09:00", 60, [web_plan.item_refs[0]], [web_plan.lead_id])
    ]
    page = agenda_page(client, web_plan)
    assert conflict_heading(page) == "1 conflict in this plan"
    assert page.count("! Not covered by any session") == 1
    assert f"{web_plan.item_refs[1]} " in page.split("! Not covered by any session</span>")[1]
    assert "Monday 01 June 2026" in page
    row = page.split("Interview: Interview with Credit Risk")[1].split("</tr>")[0]
    assert "Room 4" in row
    assert "Lena Lead" in row
    assert f'<span class="ref">{web_plan.item_refs[0]}</span>' in row

    (session_id,) = session_ids(app, web_plan.audit_id)
    edit_url = f"/audits/{web_plan.audit_id}/agenda/{session_id}/edit"
    form_page = client.get(edit_url).get_data(as_text=True)
    assert f'checked id="item_ids-0" name="item_ids" type="checkbox" value="{web_plan.item_ids[0]}"' in form_page
    assert 'value="Interview with Credit Risk"' in form_page
    both = session_form(web_plan, item_ids=[str(i) for i in web_plan.item_ids], title="Credit models walkthrough")
    assert client.post(edit_url, data=both).status_code == 302
    assert sessions(app, web_plan.audit_id)[0][0] == "Credit models walkthrough"
    page = agenda_page(client, web_plan)
    assert conflict_heading(page) == "No conflicts in this plan"

    assert client.post(f"/audits/{web_plan.audit_id}/agenda/{session_id}/delete").status_code == 302
    assert sessions(app, web_plan.audit_id) == []
    page = agenda_page(client, web_plan)
    assert conflict_heading(page) == "2 conflicts in this plan"
    assert "No sessions planned yet." in page
    assert client.post(f"/audits/{web_plan.audit_id}/agenda/{session_id}/delete").status_code == 404
    assert client.get(edit_url).status_code == 404


def test_double_booking_appears_and_disappears_when_fixed(client, app, login, web_plan):
    add_member(app, web_plan, web_plan.impartial_id)
    login(web_plan.lead_id)
    url = f"/audits/{web_plan.audit_id}/agenda/new"
    everything = [str(i) for i in web_plan.item_ids]
    first = session_form(web_plan, title="Data review", auditor_ids=[str(web_plan.impartial_id)], item_ids=everything)
    second = session_form(web_plan, title="Model test", start_time="09:30", auditor_ids=[str(web_plan.impartial_id)])
    assert client.post(url, data=first).status_code == 302
    assert client.post(url, data=second).status_code == 302
    page = agenda_page(client, web_plan)
    assert conflict_heading(page) == "1 conflict in this plan"
    assert "! Double-booked</span> Ian Impartial is in two sessions at once: Data review (01 Jun 09:00)" in page

    second_id = session_ids(app, web_plan.audit_id)[1]
    later = dict(second, start_time="10:00")
    assert client.post(f"/audits/{web_plan.audit_id}/agenda/{second_id}/edit", data=later).status_code == 302
    page = agenda_page(client, web_plan)
    assert "Double-booked" not in page
    assert conflict_heading(page) == "No conflicts in this plan"


def test_session_outside_the_audit_dates_is_reported_until_moved(client, app, login, web_plan):
    login(web_plan.lead_id)
    form = session_form(web_plan, day="2026-06-05", item_ids=[str(i) for i in web_plan.item_ids])
    assert client.post(f"/audits/{web_plan.audit_id}/agenda/new", data=form).status_code == 302
    page = agenda_page(client, web_plan)
    assert conflict_heading(page) == "1 conflict in this plan"
    assert "! Outside the audit dates</span> Interview with Credit Risk (05 Jun 09:00) falls outside" in page

    (session_id,) = session_ids(app, web_plan.audit_id)
    moved = dict(form, day="2026-06-02")
    assert client.post(f"/audits/{web_plan.audit_id}/agenda/{session_id}/edit", data=moved).status_code == 302
    assert "Outside the audit dates" not in agenda_page(client, web_plan)


def test_session_input_the_service_refuses_is_shown_next_to_the_fields(client, app, login, web_plan, field_errors):
    login(web_plan.lead_id)
    form = session_form(
        web_plan, auditor_ids=[str(web_plan.impartial_id)], remote_link="ftp://files", duration_minutes="3"
    )
    response = client.post(f"/audits/{web_plan.audit_id}/agenda/new", data=form)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert field_errors(page, "auditor_ids") == ["Only members of the audit team can run a session."]
    assert field_errors(page, "remote_link") == ["Use a web address starting with https://."]
    assert field_errors(page, "duration_minutes") == ["Use between 5 and 720 minutes."]
    assert 'value="Interview with Credit Risk"' in page  # what was typed is kept
    assert sessions(app, web_plan.audit_id) == []


def test_bad_date_and_time_are_refused(client, app, login, web_plan, field_errors):
    login(web_plan.lead_id)
    form = session_form(web_plan, day="2026-13-01", start_time="25:61", duration_minutes="an hour")
    response = client.post(f"/audits/{web_plan.audit_id}/agenda/new", data=form)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert field_errors(page, "day") == ["Not a valid date value."]
    assert field_errors(page, "start_time") == ["Not a valid time value."]
    assert field_errors(page, "duration_minutes") == ["Not a valid integer value."]
    assert sessions(app, web_plan.audit_id) == []


def test_auditee_sees_their_agenda_without_conflicts(client, app, login, web_plan, make_user, make_unit):
    with app.app_context():
        audit, lead = db.session.get(Audit, web_plan.audit_id), db.session.get(User, web_plan.lead_id)
        team.add_auditee(audit, actor=lead, user_id=web_plan.auditee_id, position="Head of Credit Risk")
        db.session.commit()
        auditee_row_id = audit.auditees[0].id
    login(web_plan.lead_id)
    form = session_form(web_plan, auditee_ids=[str(auditee_row_id)])
    assert client.post(f"/audits/{web_plan.audit_id}/agenda/new", data=form, follow_redirects=True).status_code == 200

    login(web_plan.auditee_id)
    page = agenda_page(client, web_plan)
    row = page.split("Interview: Interview with Credit Risk")[1].split("</tr>")[0]
    assert "Ada Auditee" in row
    assert "Lena Lead" in row
    assert "conflict" not in page.lower()
    assert "Add session" not in page
    assert "/edit" not in page
    assert client.get(f"/audits/{web_plan.audit_id}/team").status_code == 403

    login(make_user(Role.AUDITEE, unit_id=make_unit("Marketing")))  # not part of this audit
    assert client.get(f"/audits/{web_plan.audit_id}/agenda").status_code == 404
    assert client.get("/audits/999999/agenda").status_code == 404

    login(make_user(Role.VIEWER))  # staff read the conflicts but cannot change the plan
    page = agenda_page(client, web_plan)
    assert conflict_heading(page) == "1 conflict in this plan"
    assert "Add session" not in page


def test_locked_audit_refuses_agenda_and_team_changes(client, app, login, web_plan):
    to_reporting(app, web_plan)
    before_sessions, before_team = sessions(app, web_plan.audit_id), team_rows(app, web_plan.audit_id)
    login(web_plan.lead_id)
    response = client.post(f"/audits/{web_plan.audit_id}/agenda/new", data=session_form(web_plan))
    assert response.status_code == 409
    assert "The agenda can no longer change: the audit is in reporting" in response.get_data(as_text=True)

    (session_id,) = session_ids(app, web_plan.audit_id)
    response = client.post(f"/audits/{web_plan.audit_id}/agenda/{session_id}/delete")
    assert response.status_code == 409
    assert "Nothing was changed" in response.get_data(as_text=True)
    assert (
        client.post(f"/audits/{web_plan.audit_id}/agenda/{session_id}/edit", data=session_form(web_plan)).status_code
        == 409
    )

    data = {"user_id": str(web_plan.impartial_id), "role": "auditor"}
    response = client.post(f"/audits/{web_plan.audit_id}/team", data=data)
    assert response.status_code == 409
    assert "The audit team can no longer change" in response.get_data(as_text=True)
    assert client.post(f"/audits/{web_plan.audit_id}/auditees", data={"auditee-name": "Late Comer"}).status_code == 409

    assert sessions(app, web_plan.audit_id) == before_sessions
    assert team_rows(app, web_plan.audit_id) == before_team
    assert before_team[web_plan.lead_id][0] is TeamRole.LEAD_AUDITOR
    page = agenda_page(client, web_plan)
    assert "Add session" not in page
    assert "Locked:" in page


def _statements(client, query_count, url: str) -> int:
    with client:
        assert client.get(url).status_code == 200
        return query_count()


def test_agenda_and_team_pages_issue_the_same_statements_whatever_the_number_of_sessions(
    client, app, login, web_plan, query_count
):
    """Each session brings its units, clauses, auditors and auditees: loaded together, not session by session."""
    login(web_plan.lead_id)
    add_member(app, web_plan, web_plan.impartial_id)
    urls = [f"/audits/{web_plan.audit_id}/agenda", f"/audits/{web_plan.audit_id}/team"]

    def add_sessions(count: int, start: int) -> None:
        for n in range(start, start + count):
            form = session_form(
                web_plan,
                title=f"Session {n}",
                start_time=f"{8 + n % 9:02d}:00",
                item_ids=[str(i) for i in web_plan.item_ids],
                auditor_ids=[str(web_plan.lead_id), str(web_plan.impartial_id)],
                unit_ids=[str(web_plan.credit_unit_id)],
            )
            assert client.post(f"/audits/{web_plan.audit_id}/agenda/new", data=form).status_code == 302

    add_sessions(2, 0)
    few = {url: _statements(client, query_count, url) for url in urls}
    add_sessions(6, 2)
    many = {url: _statements(client, query_count, url) for url in urls}
    assert many == few
