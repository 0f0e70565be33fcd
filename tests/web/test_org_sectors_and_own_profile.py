"""Pages: the organisation's sectors on its profile and in the team's competence (issue 9, item 6), and every
auditor's link to their own profile."""

from __future__ import annotations

import pytest
from flask import Flask

from audit_app.extensions import db
from audit_app.models import Organisation, Role, User
from audit_app.services.planning import competence
from audit_app.services.planning.competence import ProfileData
from audit_app.web.nav import nav_for
from tests.fixtures.api_planning import make_audit, make_programme

MY_PROFILE = '<a href="/auditors/me"'


def test_the_admin_names_the_sectors_and_everyone_reads_them(client, app, admin, login, make_user):
    form = client.get("/organisation/edit").get_data(as_text=True)
    assert '<label for="sectors">Sectors (one per line)</label>' in form
    saved = client.post(
        "/organisation/edit",
        data={"name": "Northbridge", "scope_statement": "", "sectors": "Consumer lending\r\nInsurance"},
    )
    assert saved.status_code == 302
    with app.app_context():
        assert db.session.query(Organisation).one().sector_list == ["Consumer lending", "Insurance"]
    login(make_user(Role.AUDITEE))
    page = client.get("/organisation/").get_data(as_text=True)
    assert "<li>Consumer lending</li><li>Insurance</li>" in page
    assert client.post("/organisation/edit", data={"name": "X", "sectors": "Mining"}).status_code == 403


def test_the_profile_page_says_when_no_sector_is_named(client, admin):
    page = client.get("/organisation/").get_data(as_text=True)
    assert "No sector named yet" in page


def test_the_team_page_shows_the_sector_matched(client, app, library, login, make_user):
    lead = make_user(Role.LEAD_AUDITOR)
    audit_id = make_audit(app, make_programme(app, lead, library), lead, "Credit")
    with app.app_context():
        user = db.session.get(User, lead)
        user.name = "Lena Lead"
        competence.save_profile(user, ProfileData(sectors="Retail banking\nConsumer lending"), actor=user)
        db.session.add(Organisation(name="Northbridge", scope_statement="", sectors="consumer lending"))
        db.session.commit()
    login(lead)
    page = client.get(f"/audits/{audit_id}/team").get_data(as_text=True)
    rows = page[page.index("Someone who knows the organisation&#39;s sector") :]
    assert "The organisation works in: consumer lending." in rows
    assert "✓ Met</span></td>\n    <td>Lena Lead (Consumer lending)</td>" in rows


@pytest.mark.parametrize("role", [Role.ADMIN, Role.LEAD_AUDITOR, Role.AUDITOR])
def test_every_auditor_has_a_link_to_their_own_profile(client, app: Flask, login, make_user, role):
    me = make_user(role)
    with app.app_context():
        db.session.get(User, me).name = "Ida Myself"
        db.session.commit()
    login(me)
    home = client.get("/").get_data(as_text=True)
    assert MY_PROFILE + ">My auditor profile</a>" in home
    page = client.get("/auditors/me")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "<h1>Auditor: Ida Myself</h1>" in text
    assert MY_PROFILE + ' aria-current="page">My auditor profile</a>' in text


@pytest.mark.parametrize("role", [Role.AUDITEE, Role.VIEWER])
def test_people_who_do_not_audit_have_no_auditor_profile_link(client, login, make_user, role):
    login(make_user(role))
    assert MY_PROFILE not in client.get("/").get_data(as_text=True)
    assert client.get("/auditors/me").status_code == 403


def test_the_navigation_lists_the_own_profile_after_auditors():
    labels = [i.label for i in nav_for(Role.LEAD_AUDITOR)]
    assert labels[labels.index("Auditors") + 1] == "My auditor profile"
    assert "My auditor profile" in [i.label for i in nav_for(Role.AUDITOR)]
    assert "Auditors" not in [i.label for i in nav_for(Role.AUDITOR)]
    assert "My auditor profile" not in [i.label for i in nav_for(Role.VIEWER)]
