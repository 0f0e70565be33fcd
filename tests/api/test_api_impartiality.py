"""API: the lead auditor's impartiality exception end to end, session-level conflicts, auditor profiles,
evaluations and the competence a team covers."""

from __future__ import annotations

from audit_app.extensions import db
from audit_app.models import Audit, AuditStatus, OrgUnit, Role, TeamRole, User
from audit_app.services.planning import team
from tests.fixtures.api_planning import set_criteria

JUSTIFIED = "Only certified lead auditor this quarter; an external reviewer checks the report."


def _move_lead_into(app, audit_id: int, unit_id: int) -> int:
    with app.app_context():
        audit = db.session.get(Audit, audit_id)
        audit.lead_auditor.org_unit_id = unit_id
        db.session.commit()
        return next(m.id for m in audit.team if m.role is TeamRole.LEAD_AUDITOR)


def test_lead_exception_through_the_scope(app, client, audit_id, lead_headers, admin_headers, admin_id, make_unit):
    claims = make_unit("Claims")
    lead_member = _move_lead_into(app, audit_id, claims)
    url = f"/api/v1/audits/{audit_id}/scope"
    refused = client.put(url, headers=lead_headers, json={"unit_ids": [claims], "system_ids": []})
    assert refused.status_code == 422
    errors = refused.get_json()["errors"]["json"]
    assert any("which is in the audit scope" in e for e in errors["scope"])
    assert "exception" in errors
    own = client.put(url, headers=lead_headers, json={"unit_ids": [claims], "system_ids": [], "exception": JUSTIFIED})
    assert own.status_code == 422
    assert "themselves" in own.get_json()["errors"]["json"]["exception"][0]
    done = client.put(url, headers=admin_headers, json={"unit_ids": [claims], "system_ids": [], "exception": JUSTIFIED})
    assert done.status_code == 200
    members = client.get(f"/api/v1/audits/{audit_id}/team", headers=lead_headers).get_json()["members"]
    lead = next(m for m in members if m["id"] == lead_member)
    assert lead["impartiality_exception"] == JUSTIFIED
    assert lead["exception_recorded_by"]["id"] == admin_id


def test_lead_exception_through_the_team_endpoint(app, client, audit_id, lead_headers, admin_headers, make_unit):
    claims = make_unit("Claims")
    lead_member = _move_lead_into(app, audit_id, claims)
    with app.app_context():  # the scope was set before the lead moved into Claims
        db.session.get(Audit, audit_id).scope_units = [db.session.get(OrgUnit, claims)]
        db.session.commit()
    url = f"/api/v1/audits/{audit_id}/team/{lead_member}/exception"
    assert client.post(url, headers=lead_headers, json={"exception": JUSTIFIED}).status_code == 422
    assert client.post(url, headers=admin_headers, json={"exception": "short"}).status_code == 422
    done = client.post(url, headers=admin_headers, json={"exception": JUSTIFIED})
    assert done.status_code == 200
    assert done.get_json()["impartiality_exception"] == JUSTIFIED


def test_management_joins_only_as_observer(client, audit_id, lead_headers, make_user):
    manager = make_user(Role.VIEWER)
    url = f"/api/v1/audits/{audit_id}/team"
    refused = client.post(url, headers=lead_headers, json={"user_id": manager, "role": "auditor"})
    assert refused.status_code == 422
    assert refused.get_json()["message"] == "Management users join an audit team only as observers."
    assert client.post(url, headers=lead_headers, json={"user_id": manager, "role": "observer"}).status_code == 201


def test_a_session_on_work_the_auditor_owns_needs_an_exception(
    app, client, audit_id, lead_id, lead_headers, admin_headers, library, make_user
):
    set_criteria(app, audit_id, lead_id, library, "6.1.2", "8.4")
    author = make_user(Role.AUDITOR)
    with app.app_context():
        audit = db.session.get(Audit, audit_id)
        team.add_member(audit, author, TeamRole.AUDITOR, actor=audit.lead_auditor)
        db.session.commit()
        items = {i.ref: i.id for i in audit.scope_items}
    profile = client.put(
        f"/api/v1/auditors/{author}/profile",
        headers=admin_headers,
        json={"responsible_refs": ["6.1.2"], "areas": ["iso42001", "auditing"], "sectors": "Insurance"},
    )
    assert profile.status_code == 200
    assert profile.get_json()["areas"] == ["auditing", "iso42001"]
    session = {
        "day": "2026-06-01",
        "start_time": "09:00",
        "duration_minutes": 60,
        "activity": "interview",
        "title": "Risk method",
        "item_ids": [items["6.1.2"]],
        "auditor_ids": [author],
    }
    url = f"/api/v1/audits/{audit_id}/sessions"
    refused = client.post(url, headers=lead_headers, json=session)
    assert refused.status_code == 409
    assert refused.get_json()["reasons"] == [
        f"{_name(app, author)} is responsible for 6.1.2, so would audit their own work in 6.1.2."
    ]
    created = client.post(url, headers=lead_headers, json={**session, "exception": JUSTIFIED})
    assert created.status_code == 201
    assert created.get_json()["impartiality_exception"] == JUSTIFIED
    conflicts = client.get(f"/api/v1/audits/{audit_id}/conflicts", headers=lead_headers).get_json()
    assert not [c for c in conflicts if c["kind"] == "not_impartial"]
    # The competence endpoint lists needs in words, met or not.
    needs = client.get(f"/api/v1/audits/{audit_id}/competence", headers=lead_headers).get_json()
    by_label = {n["label"]: n for n in needs}
    assert by_label["An auditor trained on ISO/IEC 42001"]["met"] is True
    assert by_label["The lead auditor knows audit principles and methods"]["met"] is False


def _name(app, user_id: int) -> str:
    with app.app_context():
        return db.session.get(User, user_id).name


def test_profile_and_evaluation(app, client, audit_id, lead_headers, make_user, token_for):
    auditor = make_user(Role.AUDITOR)
    with app.app_context():
        audit = db.session.get(Audit, audit_id)
        team.add_member(audit, auditor, TeamRole.AUDITOR, actor=audit.lead_auditor)
        audit.status = AuditStatus.REPORTING
        db.session.commit()
    url = f"/api/v1/auditors/{auditor}/evaluations"
    assert (
        client.post(url, headers=token_for(auditor), json={"audit_id": audit_id, "rating": "meets"}).status_code == 403
    )
    created = client.post(url, headers=lead_headers, json={"audit_id": audit_id, "rating": "meets"})
    assert created.status_code == 201
    body = client.get(f"/api/v1/auditors/{auditor}", headers=token_for(auditor)).get_json()
    assert body["evaluations"][0]["rating"] == "meets"
    assert body["audits_performed"][0]["audit"]["id"] == audit_id
    assert body["audits_performed"][0]["role"] == "auditor"
    other = make_user(Role.AUDITOR)
    assert client.get(f"/api/v1/auditors/{other}", headers=token_for(auditor)).status_code == 403


def test_changing_the_lead_honours_the_exception_the_new_lead_holds(
    app, client, audit_id, lead_headers, admin_headers, make_unit, make_user
):
    claims = make_unit("Claims")
    with app.app_context():
        db.session.get(Audit, audit_id).scope_units = [db.session.get(OrgUnit, claims)]
        db.session.commit()
    insider = make_user(Role.LEAD_AUDITOR, unit_id=claims)
    patch = client.patch(f"/api/v1/audits/{audit_id}", headers=lead_headers, json={"lead_auditor_id": insider})
    assert patch.status_code == 409  # not impartial, and no exception yet
    added = client.post(
        f"/api/v1/audits/{audit_id}/team",
        headers=lead_headers,
        json={"user_id": insider, "role": "auditor", "exception": JUSTIFIED},
    )
    assert added.status_code == 201
    patch = client.patch(f"/api/v1/audits/{audit_id}", headers=admin_headers, json={"lead_auditor_id": insider})
    assert patch.status_code == 200
    members = client.get(f"/api/v1/audits/{audit_id}/team", headers=admin_headers).get_json()["members"]
    lead = next(m for m in members if m["role"] == "lead_auditor")
    assert (lead["user"]["id"], lead["impartiality_exception"]) == (insider, JUSTIFIED)
