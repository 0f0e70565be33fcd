"""Two access decisions, made deliberately and stated in the README's roles section.

1. Auditees read the organisation (units) and the AI-system inventory, and the team of the audits they
   take part in with each member's declaration of independence; they change none of it. The structure and
   the inventory are what findings name, and seeing who audits them and that each auditor declared
   independence lets an auditee raise a conflict of interest in time (ISO 19011 7.2.2, impartiality).
2. Audit programmes are the internal audit function's: every lead auditor and administrator plans and
   changes every programme, not only the one who created it, until a named programme manager exists.
"""

from __future__ import annotations

from datetime import date

import pytest

from audit_app.extensions import db
from audit_app.models import Audit, AuditProgramme, OrgUnit, Role, TeamRole, User
from audit_app.services.planning import programmes, team
from tests.fixtures.planning import Planning


@pytest.fixture
def setting(app, library, make_user, make_unit):
    """An audit of the Credit unit with a team member who declared; the Credit auditee; another unit's auditee."""
    credit, other = make_unit("Credit"), make_unit("Marketing")
    ids = {
        "auditee": make_user(Role.AUDITEE, unit_id=credit),
        "outsider": make_user(Role.AUDITEE, unit_id=other),
        "creator": make_user(Role.LEAD_AUDITOR),
        "other_lead": make_user(Role.LEAD_AUDITOR),
        "auditor": make_user(Role.AUDITOR),
    }
    with app.app_context():
        plan = Planning(library)
        programme = plan.programme("2026", actor=db.session.get(User, ids["creator"]))
        audit = plan.audit(programme)
        audit.scope_units = [db.session.get(OrgUnit, credit)]
        team.add_member(audit, ids["auditor"], TeamRole.AUDITOR, actor=audit.lead_auditor)
        auditor = next(m.user for m in audit.team if m.user_id == ids["auditor"])
        team.confirm_declaration(audit, actor=auditor)
        db.session.commit()
        ids |= {"audit": audit.id, "programme": programme.id}
    return ids


def test_an_auditee_reads_the_organisation_and_the_inventory_but_changes_nothing(client, login, setting):
    login(setting["auditee"])
    for path in ("/organisation/", "/organisation/units", "/organisation/ai-systems"):
        assert client.get(path).status_code == 200, path
    for path in ("/organisation/edit", "/organisation/units/new", "/organisation/ai-systems/new"):
        assert client.post(path, data={"name": "Mine now"}).status_code == 403, path


def test_an_auditee_sees_the_team_and_its_declarations_of_their_own_audits_only(client, login, token_for, setting):
    login(setting["auditee"])
    page = client.get(f"/audits/{setting['audit']}").get_data(as_text=True)
    assert "Test auditor" in page
    assert "Confirmed on" in page
    body = client.get(f"/api/v1/audits/{setting['audit']}/team", headers=token_for(setting["auditee"])).get_json()
    assert [m["has_declared"] for m in body["members"] if m["user"]["id"] == setting["auditor"]] == [True]
    outsider = token_for(setting["outsider"])
    assert client.get(f"/api/v1/audits/{setting['audit']}/team", headers=outsider).status_code == 404


def test_every_lead_auditor_changes_every_programme(app, client, login, setting):
    login(setting["other_lead"])
    with app.app_context():
        programme = db.session.get(AuditProgramme, setting["programme"])
        assert programme.created_by_id == setting["creator"]
        data = programmes.ProgrammeData(
            programme.code,
            "Renamed by another lead",
            date(2026, 1, 1),
            date(2026, 12, 31),
            programme.checklist_version_id,
        )
        programmes.save_programme(data, actor=db.session.get(User, setting["other_lead"]), programme=programme)
        db.session.commit()
        assert db.session.get(AuditProgramme, setting["programme"]).title == "Renamed by another lead"
    assert client.get(f"/programmes/{setting['programme']}/edit").status_code == 200
    with app.app_context():
        assert db.session.get(Audit, setting["audit"]).programme_id == setting["programme"]
