"""Pages: the lead auditor's impartiality exception end to end, session conflicts, observers-only management,
and the team's competence coverage in words."""

from __future__ import annotations

from datetime import date

import pytest
from flask import Flask

from audit_app.extensions import db
from audit_app.models import Audit, AuditSession, OrgUnit, Role, TeamRole, User
from audit_app.services.planning import audits, competence, programmes, team
from audit_app.services.planning.competence import ProfileData

JUSTIFIED = "Only certified lead auditor this quarter; an external reviewer checks the report."


@pytest.fixture
def world(app: Flask, library: int, make_unit, make_user) -> dict[str, int]:
    """An audit led by Lena Lead, who belongs to Credit Risk; nothing in scope yet; 9.2.1 and 8.4 as criteria."""
    credit = make_unit("Credit Risk")
    ids = {
        "credit": credit,
        "admin": make_user(Role.ADMIN),
        "lead": make_user(Role.LEAD_AUDITOR, unit_id=credit),
        "auditor": make_user(Role.AUDITOR),
        "manager": make_user(Role.VIEWER),
    }
    with app.app_context():
        for key, name in (("lead", "Lena Lead"), ("auditor", "Ida Auditor"), ("manager", "Mona Manager")):
            db.session.get(User, ids[key]).name = name
        lead = db.session.get(User, ids["lead"])
        programme = programmes.save_programme(
            programmes.ProgrammeData("2026", "Internal audits", date(2026, 1, 1), date(2026, 12, 31), library),
            actor=lead,
        )
        audit = audits.create_audit(
            programme,
            audits.AuditDetails("Credit", audits.AuditType.INTERNAL, date(2026, 6, 1), date(2026, 6, 3), lead.id),
            actor=lead,
        )
        db.session.flush()
        items = {
            i.ref: i.id for v in [programme.checklist_version] for i in v.items if i.ref in ("9.2.1", "8.4", "A.7.4")
        }
        audits.set_criteria(audit, version_ids=[library], item_ids=list(items.values()), other_criteria="", actor=lead)
        db.session.commit()
        ids.update(audit=audit.id, item_92=items["9.2.1"], item_84=items["8.4"])
    return ids


def _scope(world):
    return f"/audits/{world['audit']}/scope"


def test_lead_exception_end_to_end_through_the_scope_page(client, app, login, world):
    login(world["lead"])
    refused = client.post(_scope(world), data={"unit_ids": [world["credit"]]})
    page = refused.get_data(as_text=True)
    assert refused.status_code == 400
    assert "Lena Lead belongs to Credit Risk, which is in the audit scope." in page
    assert "Justified impartiality exception" in page  # the form offers the way out
    own = client.post(_scope(world), data={"unit_ids": [world["credit"]], "exception": JUSTIFIED})
    assert own.status_code == 400
    assert "Nobody can record an impartiality exception for themselves" in own.get_data(as_text=True)

    login(world["admin"])
    saved = client.post(_scope(world), data={"unit_ids": [world["credit"]], "exception": JUSTIFIED})
    assert saved.status_code == 302
    with app.app_context():
        audit = db.session.get(Audit, world["audit"])
        assert [u.id for u in audit.scope_units] == [world["credit"]]
        lead = next(m for m in audit.team if m.role is TeamRole.LEAD_AUDITOR)
        assert (lead.impartiality_exception, lead.exception_recorded_by_id) == (JUSTIFIED, world["admin"])
    team_page = client.get(f"/audits/{world['audit']}/team").get_data(as_text=True)
    assert JUSTIFIED in team_page


def test_lead_exception_through_the_team_page(client, app, login, world):
    with app.app_context():  # the scope was set before the lead moved into Credit Risk
        db.session.get(Audit, world["audit"]).scope_units = [db.session.get(OrgUnit, world["credit"])]
        db.session.commit()
        member_id = next(m.id for m in db.session.get(Audit, world["audit"]).team)
    url = f"/audits/{world['audit']}/team/exception"
    login(world["lead"])
    page = client.get(f"/audits/{world['audit']}/team").get_data(as_text=True)
    assert "Record an impartiality exception for a team member" in page
    assert "Lena Lead (Lead auditor): Lena Lead belongs to Credit Risk" in page
    own = client.post(url, data={"exc-member_id": member_id, "exc-exception": JUSTIFIED})
    assert own.status_code == 400
    assert "Nobody can record an impartiality exception for themselves" in own.get_data(as_text=True)

    login(world["admin"])
    done = client.post(url, data={"exc-member_id": member_id, "exc-exception": JUSTIFIED})
    assert done.status_code == 302
    with app.app_context():
        member = next(m for m in db.session.get(Audit, world["audit"]).team)
        assert member.impartiality_exception == JUSTIFIED


def test_management_may_join_only_as_observer(client, app, login, world):
    login(world["lead"])
    url = f"/audits/{world['audit']}/team"
    page = client.get(url).get_data(as_text=True)
    assert "Mona Manager (Management (read-only)) (management: may join only as an observer)" in page
    refused = client.post(url, data={"user_id": world["manager"], "role": "auditor"})
    assert refused.status_code == 400
    assert "Mona Manager has a management (read-only) account: choose Observer." in refused.get_data(as_text=True)
    assert client.post(url, data={"user_id": world["manager"], "role": "observer"}).status_code == 302


def test_the_team_page_says_which_competence_needs_are_met(client, app, login, world):
    with app.app_context():
        lead = db.session.get(User, world["lead"])
        competence.save_profile(lead, ProfileData(areas=(competence.CompetenceArea.AUDITING,)), actor=lead)
        db.session.commit()
    login(world["lead"])
    page = client.get(f"/audits/{world['audit']}/team").get_data(as_text=True)
    assert "Competence the scope needs" in page
    rows = page[page.index("competence-heading") :]
    assert "The lead auditor knows audit principles and methods" in rows
    assert "✓ Met</span></td>\n    <td>Lena Lead</td>" in rows
    assert "An auditor trained on ISO/IEC 42001" in rows
    assert "! Not met</span></td>\n    <td>Nobody on the team yet</td>" in rows
    assert "Data controls are in scope: A.7.4." in rows


def test_a_session_where_the_programme_manager_audits_9_2_needs_an_exception(client, app, login, world):
    with app.app_context():
        audit = db.session.get(Audit, world["audit"])
        audit.programme.manager_id = world["auditor"]
        team.add_member(audit, world["auditor"], TeamRole.AUDITOR, actor=audit.lead_auditor)
        db.session.commit()
    login(world["lead"])
    team_page = client.get(f"/audits/{world['audit']}/team").get_data(as_text=True)
    assert "Work team members produced or manage in this scope" in team_page
    assert "<li>Ida Auditor: 9.2.1</li>" in team_page
    url = f"/audits/{world['audit']}/agenda/new"
    form = {
        "day": "2026-06-01",
        "start_time": "09:00",
        "duration_minutes": "60",
        "activity": "interview",
        "title": "Internal audit process",
        "item_ids": [world["item_92"]],
        "auditor_ids": [world["auditor"]],
    }
    refused = client.post(url, data=form)
    assert refused.status_code == 409
    assert "Ida Auditor manages the audit programme, so would audit their own work in 9.2.1." in refused.get_data(
        as_text=True
    )
    assert client.post(url, data={**form, "exception": JUSTIFIED}).status_code == 302
    agenda = client.get(f"/audits/{world['audit']}/agenda").get_data(as_text=True)
    assert "! Impartiality exception</span> " + JUSTIFIED in agenda
    with app.app_context():
        session = db.session.query(AuditSession).one()
        assert session.exception_recorded_by_id == world["lead"]


def test_changing_the_lead_on_the_details_page_honours_an_exception_held(client, app, login, world, make_user):
    with app.app_context():
        db.session.get(Audit, world["audit"]).scope_units = [db.session.get(OrgUnit, world["credit"])]
        db.session.commit()
    insider = make_user(Role.LEAD_AUDITOR, unit_id=world["credit"])
    login(world["admin"])
    added = client.post(
        f"/audits/{world['audit']}/team", data={"user_id": insider, "role": "auditor", "exception": JUSTIFIED}
    )
    assert added.status_code == 302
    details = {
        "title": "Credit",
        "audit_type": "internal",
        "method": "on_site",
        "start_date": "2026-06-01",
        "end_date": "2026-06-03",
        "language": "English",
        "lead_auditor_id": insider,
    }
    saved = client.post(f"/audits/{world['audit']}/edit", data=details)
    assert saved.status_code == 302
    with app.app_context():
        audit = db.session.get(Audit, world["audit"])
        assert audit.lead_auditor_id == insider
        lead = next(m for m in audit.team if m.role is TeamRole.LEAD_AUDITOR)
        assert lead.impartiality_exception == JUSTIFIED
