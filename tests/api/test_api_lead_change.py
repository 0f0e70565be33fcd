"""API: PATCH /audits/{id} changes the lead auditor to someone not impartial only with `lead_exception`
(issue 9, item 5), and the organisation's sectors on /organisation (item 6)."""

from __future__ import annotations

from audit_app.extensions import db
from audit_app.models import Activity, Audit, Organisation, OrgUnit, Role, TeamRole, User

JUSTIFIED = "Only certified lead auditor this quarter; an external reviewer checks the report."


def _scope_and_insider(app, audit_id: int, make_unit, make_user, role: Role = Role.LEAD_AUDITOR) -> int:
    lending = make_unit("Retail Lending")
    insider = make_user(role, unit_id=lending)
    with app.app_context():
        db.session.get(User, insider).name = "Rolf Lender"
        db.session.get(Audit, audit_id).scope_units = [db.session.get(OrgUnit, lending)]
        db.session.commit()
    return insider


def _lead(app, audit_id: int):
    with app.app_context():
        audit = db.session.get(Audit, audit_id)
        member = next(m for m in audit.team if m.role is TeamRole.LEAD_AUDITOR)
        return audit.lead_auditor_id, member.impartiality_exception, member.exception_recorded_by_id


def test_lead_change_refused_then_accepted_with_an_exception(
    app, client, audit_id, lead_id, lead_headers, admin_headers, admin_id, make_unit, make_user
):
    insider = _scope_and_insider(app, audit_id, make_unit, make_user)
    url = f"/api/v1/audits/{audit_id}"
    refused = client.patch(url, headers=lead_headers, json={"lead_auditor_id": insider})
    assert refused.status_code == 409
    assert refused.get_json()["reasons"] == ["Rolf Lender belongs to Retail Lending, which is in the audit scope."]
    assert _lead(app, audit_id) == (lead_id, "", None)

    short = client.patch(url, headers=admin_headers, json={"lead_auditor_id": insider, "lead_exception": "fine"})
    assert short.status_code == 422
    assert "at least 20 characters" in short.get_json()["errors"]["json"]["lead_exception"][0]

    done = client.patch(url, headers=admin_headers, json={"lead_auditor_id": insider, "lead_exception": JUSTIFIED})
    assert done.status_code == 200
    assert done.get_json()["lead_auditor"]["id"] == insider
    assert _lead(app, audit_id) == (insider, JUSTIFIED, admin_id)
    with app.app_context():
        assert db.session.query(Activity).filter_by(action="audit.lead_changed", actor_id=admin_id).count() == 1


def test_nobody_records_the_exception_for_themselves(app, client, audit_id, lead_id, make_unit, make_user, token_for):
    insider = _scope_and_insider(app, audit_id, make_unit, make_user, Role.ADMIN)
    own = client.patch(
        f"/api/v1/audits/{audit_id}",
        headers=token_for(insider),
        json={"lead_auditor_id": insider, "lead_exception": JUSTIFIED},
    )
    assert own.status_code == 422
    assert "themselves" in own.get_json()["errors"]["json"]["lead_exception"][0]
    assert _lead(app, audit_id) == (lead_id, "", None)


def test_lead_exception_is_documented(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    update = spec["components"]["schemas"]["AuditUpdate"]["properties"]
    assert "lead_exception" in update
    assert "nobody records one for themselves" in update["lead_exception"]["description"]
    assert "sectors" in spec["components"]["schemas"]["Organisation"]["properties"]


def test_organisation_sectors_are_kept_when_left_out(app, client, admin_headers, lead_headers):
    url = "/api/v1/organisation"
    assert client.get(url, headers=lead_headers).get_json()["sectors"] == ""  # none named: a string, never null
    body = {"name": "Northbridge", "scope_statement": "", "sectors": "Consumer lending\nconsumer LENDING\n\nInsurance"}
    saved = client.put(url, headers=admin_headers, json=body)
    assert saved.status_code == 200
    assert saved.get_json()["sector_list"] == ["Consumer lending", "Insurance"]
    assert client.put(url, headers=lead_headers, json=body).status_code == 403
    kept = client.put(url, headers=admin_headers, json={"name": "Northbridge plc"})
    assert kept.get_json()["sector_list"] == ["Consumer lending", "Insurance"]
    cleared = client.put(url, headers=admin_headers, json={"name": "Northbridge plc", "sectors": ""})
    assert cleared.get_json()["sector_list"] == []
    with app.app_context():
        assert db.session.query(Organisation).one().sectors is None
