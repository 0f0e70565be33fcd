"""Planning pages, part 1: the audit team (impartiality, exceptions, declarations) and auditee representatives.

The `web_plan` fixture and the shared helpers are in tests/fixtures/planning_pages.py.
"""

from __future__ import annotations

import pytest
from flask import Flask

from audit_app.extensions import db
from audit_app.models import (
    Audit,
    TeamRole,
)
from tests.fixtures.planning_pages import Plan, add_member, team_rows, to_fieldwork

EXCEPTION = "Only specialist in credit models; the lead reviews every conclusion she draws."


def auditee_rows(app: Flask, audit_id: int) -> list[tuple[str, int | None, str]]:
    with app.app_context():
        return [(a.name, a.user_id, a.position) for a in db.session.get(Audit, audit_id).auditees]


def team_url(web_plan: Plan) -> str:
    return f"/audits/{web_plan.audit_id}/team"


def test_lead_adds_an_impartial_member(client, app, login, web_plan):
    login(web_plan.lead_id)
    page = client.get(team_url(web_plan)).get_data(as_text=True)
    assert "I declare that I am independent" in page  # the declaration each member confirms
    assert "Ian Impartial (Internal auditor)</option>" in page
    assert "Carla Credit (Internal auditor) (not impartial: Carla Credit belongs to Credit Risk" in page
    assert (
        "Mo Modelops (Internal auditor) (not impartial: Mo Modelops&#39;s unit owns the AI system Credit scorer" in page
    )
    assert '<option value="lead_auditor"' not in page  # the lead is changed in the audit details

    response = client.post(team_url(web_plan), data={"user_id": str(web_plan.impartial_id), "role": "auditor"})
    assert response.status_code == 302
    assert team_rows(app, web_plan.audit_id)[web_plan.impartial_id] == (TeamRole.AUDITOR, "", False)
    page = client.get(team_url(web_plan)).get_data(as_text=True)
    assert "Ian Impartial added to the team as auditor." in page
    row = page.split('<th scope="row">Ian Impartial</th>')[1].split("</tr>")[0]
    assert "Internal auditor" in row
    assert "Auditor" in row
    assert "Not confirmed yet" in row
    assert "Remove Ian Impartial" in row


@pytest.mark.parametrize(
    ("who", "reason"),
    [
        ("credit_auditor_id", "Carla Credit belongs to Credit Risk, which is in the audit scope."),
        (
            "modelops_auditor_id",
            "Mo Modelops&#39;s unit owns the AI system Credit scorer, which is in the audit scope.",
        ),
    ],
)
def test_member_who_is_not_impartial_is_refused_with_the_reason(client, app, login, web_plan, who, reason):
    login(web_plan.lead_id)
    user_id = getattr(web_plan, who)
    response = client.post(team_url(web_plan), data={"user_id": str(user_id), "role": "technical_expert"})
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "Not added: this person would not be impartial" in page
    assert reason in page
    assert "justified exception (at least 20 characters" in page
    assert f'<option selected value="{user_id}">' in page  # what was typed is kept
    assert '<option selected value="technical_expert">' in page
    assert user_id not in team_rows(app, web_plan.audit_id)


def test_a_justified_exception_assigns_the_member_and_is_shown(client, app, login, web_plan):
    login(web_plan.lead_id)
    data = {"user_id": str(web_plan.credit_auditor_id), "role": "auditor", "exception": EXCEPTION}
    assert client.post(team_url(web_plan), data=data).status_code == 302
    assert team_rows(app, web_plan.audit_id)[web_plan.credit_auditor_id] == (TeamRole.AUDITOR, EXCEPTION, False)
    page = client.get(team_url(web_plan)).get_data(as_text=True)
    row = page.split('<th scope="row">Carla Credit</th>')[1].split("</tr>")[0]
    assert "! Exception" in row
    assert EXCEPTION in row
    assert "Recorded by Lena Lead on" in row


def test_a_too_short_exception_is_refused(client, app, login, web_plan, field_errors):
    login(web_plan.lead_id)
    data = {"user_id": str(web_plan.credit_auditor_id), "role": "auditor", "exception": "I trust her."}
    response = client.post(team_url(web_plan), data=data)
    assert response.status_code == 400
    assert field_errors(response.get_data(as_text=True), "exception") == [
        "Say why the assignment is justified and how objectivity is protected (at least 20 characters)."
    ]
    assert web_plan.credit_auditor_id not in team_rows(app, web_plan.audit_id)


def test_empty_member_form_is_refused(client, app, login, web_plan, field_errors):
    login(web_plan.lead_id)
    response = client.post(team_url(web_plan), data={"user_id": "", "role": "auditor"})
    assert response.status_code == 400
    assert field_errors(response.get_data(as_text=True), "user_id") == ["Choose a person."]
    assert list(team_rows(app, web_plan.audit_id)) == [web_plan.lead_id]


def test_lead_removes_a_member_but_not_the_lead(client, app, login, web_plan):
    member_id = add_member(app, web_plan, web_plan.impartial_id)
    login(web_plan.lead_id)
    response = client.post(f"/audits/{web_plan.audit_id}/team/{member_id}/remove")
    assert response.status_code == 302
    assert web_plan.impartial_id not in team_rows(app, web_plan.audit_id)
    assert client.post(f"/audits/{web_plan.audit_id}/team/{member_id}/remove").status_code == 404

    with app.app_context():
        lead_member = db.session.get(Audit, web_plan.audit_id).team[0].id
    response = client.post(f"/audits/{web_plan.audit_id}/team/{lead_member}/remove")
    assert response.status_code == 400
    assert "The lead auditor stays on the team." in response.get_data(as_text=True)
    assert web_plan.lead_id in team_rows(app, web_plan.audit_id)


def test_auditee_account_and_named_auditee_are_added_and_removed(client, app, login, web_plan, field_errors):
    login(web_plan.lead_id)
    url = f"/audits/{web_plan.audit_id}/auditees"
    page = client.get(team_url(web_plan)).get_data(as_text=True)
    assert f'<option value="{web_plan.auditee_id}">Ada Auditee (Credit Risk)</option>' in page

    assert (
        client.post(url, data={"auditee-user_id": str(web_plan.auditee_id), "auditee-position": "Head"}).status_code
        == 302
    )
    named = {
        "auditee-user_id": "",
        "auditee-name": "Bob Byrne",
        "auditee-position": "Model owner",
        "auditee-org_unit_id": str(web_plan.credit_unit_id),
    }
    assert client.post(url, data=named).status_code == 302
    assert auditee_rows(app, web_plan.audit_id) == [
        ("Ada Auditee", web_plan.auditee_id, "Head"),
        ("Bob Byrne", None, "Model owner"),
    ]
    page = client.get(team_url(web_plan)).get_data(as_text=True)
    bob = page.split('<th scope="row">Bob Byrne</th>')[1].split("</tr>")[0]
    assert "Model owner" in bob
    assert "Credit Risk" in bob
    assert "No account" in bob
    ada = page.split('<th scope="row">Ada Auditee</th>')[1].split("</tr>")[0]
    assert "Has an account" in ada

    response = client.post(url, data={"auditee-user_id": "", "auditee-name": ""})
    assert response.status_code == 400
    assert field_errors(response.get_data(as_text=True), "auditee-name") == ["This field is required."]

    with app.app_context():
        ids = [a.id for a in db.session.get(Audit, web_plan.audit_id).auditees]
    for auditee_id in ids:
        assert client.post(f"{url}/{auditee_id}/remove").status_code == 302
    assert auditee_rows(app, web_plan.audit_id) == []
    assert client.post(f"{url}/{ids[0]}/remove").status_code == 404


def test_member_confirms_their_declaration(client, app, login, web_plan, make_user):
    add_member(app, web_plan, web_plan.impartial_id)
    login(web_plan.impartial_id)
    agenda_page = client.get(f"/audits/{web_plan.audit_id}/agenda").get_data(as_text=True)
    assert "Confirm my declaration" in agenda_page
    assert "I declare that I am independent" in agenda_page
    response = client.post(f"/audits/{web_plan.audit_id}/declaration")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/audits/{web_plan.audit_id}/agenda")
    assert team_rows(app, web_plan.audit_id)[web_plan.impartial_id][2] is True
    assert "Confirm my declaration" not in client.get(f"/audits/{web_plan.audit_id}/agenda").get_data(as_text=True)

    login(web_plan.lead_id)
    page = client.get(team_url(web_plan)).get_data(as_text=True)
    row = page.split('<th scope="row">Ian Impartial</th>')[1].split("</tr>")[0]
    assert "✓ Confirmed</span> on <time" in row
    lead_row = page.split('<th scope="row">Lena Lead</th>')[1].split("</tr>")[0]
    assert "Not confirmed yet" in lead_row

    login(web_plan.modelops_auditor_id)  # staff, but not on this team
    assert client.post(f"/audits/{web_plan.audit_id}/declaration").status_code == 403
    assert web_plan.modelops_auditor_id not in team_rows(app, web_plan.audit_id)


def test_another_lead_auditor_gets_403_on_every_management_post(client, app, login, web_plan):
    member_id = add_member(app, web_plan, web_plan.impartial_id)
    to_fieldwork(app, web_plan)
    with app.app_context():
        audit = db.session.get(Audit, web_plan.audit_id)
        session_id, auditee_count = audit.sessions[0].id, len(audit.auditees)
    before = team_rows(app, web_plan.audit_id)
    login(web_plan.other_lead_id)
    base = f"/audits/{web_plan.audit_id}"
    posts = {
        f"{base}/team": {"user_id": str(web_plan.modelops_auditor_id), "role": "auditor"},
        f"{base}/team/{member_id}/remove": {},
        f"{base}/auditees": {"auditee-name": "Someone"},
        f"{base}/auditees/1/remove": {},
        f"{base}/agenda/new": {
            "day": "2026-06-02",
            "start_time": "10:00",
            "duration_minutes": "60",
            "activity": "interview",
            "title": "Sneaky",
        },
        f"{base}/agenda/{session_id}/edit": {
            "day": "2026-06-02",
            "start_time": "10:00",
            "duration_minutes": "60",
            "activity": "interview",
            "title": "Sneaky",
        },
        f"{base}/agenda/{session_id}/delete": {},
        f"{base}/meetings/opening": {"held_at": "2026-06-01", "held_time": "09:00", "attendees": "Me"},
    }
    for url, data in posts.items():
        assert client.post(url, data=data).status_code == 403, url
    for url in (f"{base}/agenda/new", f"{base}/agenda/{session_id}/edit"):
        assert client.get(url).status_code == 403, url
    assert team_rows(app, web_plan.audit_id) == before
    with app.app_context():
        audit = db.session.get(Audit, web_plan.audit_id)
        assert [(s.id, s.title) for s in audit.sessions] == [(session_id, "Opening")]
        assert len(audit.auditees) == auditee_count
        assert audit.meetings == []
    page = client.get(team_url(web_plan)).get_data(as_text=True)  # they may look, without the forms
    assert "Only this audit's lead auditor (Lena Lead)" in page
    assert "Add to the team" not in page
