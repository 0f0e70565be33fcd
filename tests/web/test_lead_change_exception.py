"""Pages: changing the lead auditor on the details form to someone whose own unit is in scope (issue 9, item 5)."""

from __future__ import annotations

import pytest
from flask import Flask

from audit_app.extensions import db
from audit_app.models import Activity, Audit, OrgUnit, Role, TeamRole, User
from tests.fixtures.api_planning import make_audit, make_programme

JUSTIFIED = "Only certified lead auditor this quarter; an external reviewer checks the report."
LABEL = "Impartiality exception for the new lead auditor"
REASON = "Rolf Lender belongs to Retail Lending, which is in the audit scope."


@pytest.fixture
def world(app: Flask, library: int, make_unit, make_user) -> dict[str, int]:
    """An audit led by Lena Lead with Retail Lending in scope; Rolf Lender (lead auditor) works in Retail Lending."""
    lending = make_unit("Retail Lending")
    ids = {
        "lending": lending,
        "admin": make_user(Role.ADMIN),
        "lead": make_user(Role.LEAD_AUDITOR),
        "insider": make_user(Role.LEAD_AUDITOR, unit_id=lending),
        "insider_admin": make_user(Role.ADMIN, unit_id=lending),
    }
    with app.app_context():
        for key, name in (("lead", "Lena Lead"), ("insider", "Rolf Lender"), ("insider_admin", "Ada Insider")):
            db.session.get(User, ids[key]).name = name
        db.session.commit()
    ids["audit"] = make_audit(app, make_programme(app, ids["lead"], library), ids["lead"], "Credit")
    with app.app_context():
        db.session.get(Audit, ids["audit"]).scope_units = [db.session.get(OrgUnit, lending)]
        db.session.commit()
    return ids


def _details(lead_id: int, **changes: str) -> dict[str, str]:
    return {
        "title": "Credit",
        "audit_type": "internal",
        "method": "on_site",
        "start_date": "2026-06-01",
        "end_date": "2026-06-03",
        "language": "English",
        "lead_auditor_id": str(lead_id),
        **changes,
    }


def _lead(app: Flask, audit_id: int):
    with app.app_context():
        audit = db.session.get(Audit, audit_id)
        member = next(m for m in audit.team if m.role is TeamRole.LEAD_AUDITOR)
        return audit.lead_auditor_id, member.user_id, member.impartiality_exception, member.exception_recorded_by_id


def test_the_field_is_offered_only_when_needed(client, login, world):
    login(world["lead"])
    page = client.get(f"/audits/{world['audit']}/edit").get_data(as_text=True)
    assert LABEL not in page
    # An impartial new lead needs nothing either.
    other = client.post(f"/audits/{world['audit']}/edit", data=_details(world["admin"]))
    assert other.status_code == 302


def test_refused_without_an_exception_with_the_reasons_beside_the_field(app, client, login, world):
    login(world["lead"])
    url = f"/audits/{world['audit']}/edit"
    refused = client.post(url, data=_details(world["insider"]))
    page = refused.get_data(as_text=True)
    assert refused.status_code == 409
    assert f'<label for="lead_exception">{LABEL}</label>' in page
    conflicts = page[page.index('id="lead-conflicts-heading"') : page.index('for="lead_exception"')]
    assert f"<li>{REASON}</li>" in conflicts
    assert _lead(app, world["audit"])[:2] == (world["lead"], world["lead"])

    # Too short an exception is refused on the field, and what was typed stays.
    short = client.post(url, data=_details(world["insider"], lead_exception="He is fine"))
    page = short.get_data(as_text=True)
    assert short.status_code == 400
    assert "at least 20 characters" in page[page.index('id="lead_exception-error"') :]
    assert "He is fine</textarea>" in page
    assert _lead(app, world["audit"])[0] == world["lead"]


def test_accepted_with_an_exception_recorded_by_an_administrator(app, client, login, world):
    login(world["admin"])
    saved = client.post(f"/audits/{world['audit']}/edit", data=_details(world["insider"], lead_exception=JUSTIFIED))
    assert saved.status_code == 302
    assert _lead(app, world["audit"]) == (world["insider"], world["insider"], JUSTIFIED, world["admin"])
    with app.app_context():
        changed = db.session.query(Activity).filter_by(action="audit.lead_changed").one()
        assert (changed.actor_id, changed.details["conflicts"]) == (world["admin"], [REASON])
    team_page = client.get(f"/audits/{world['audit']}/team").get_data(as_text=True)
    assert JUSTIFIED in team_page


def test_nobody_records_the_exception_for_themselves(app, client, login, world):
    login(world["insider_admin"])
    own = client.post(f"/audits/{world['audit']}/edit", data=_details(world["insider_admin"], lead_exception=JUSTIFIED))
    page = own.get_data(as_text=True)
    assert own.status_code == 400
    error = page[page.index('id="lead_exception-error"') :]
    assert "Nobody can record an impartiality exception for themselves" in error
    assert f"{JUSTIFIED}</textarea>" in page  # kept on refusal
    assert _lead(app, world["audit"])[:2] == (world["lead"], world["lead"])
