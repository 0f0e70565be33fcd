"""The programme names its manager (ISO 19011 5.4.1): a lead auditor or administrator, by default its creator."""

from __future__ import annotations

import pytest

from audit_app.extensions import db
from audit_app.models import AuditProgramme, Role


@pytest.fixture
def body(library):
    return {
        "code": "2026",
        "title": "Internal audit programme 2026",
        "period_start": "2026-01-01",
        "period_end": "2026-12-31",
        "checklist_version_id": library,
    }


def test_the_creator_manages_a_new_programme_until_someone_else_is_named(
    app, client, lead_id, lead_headers, make_user, body
):
    created = client.post("/api/v1/programmes", headers=lead_headers, json=body).get_json()
    assert created["manager"]["id"] == lead_id
    other = make_user(Role.LEAD_AUDITOR)
    url = f"/api/v1/programmes/{created['id']}"
    changed = client.patch(url, headers=lead_headers, json={"manager_id": other}).get_json()
    assert changed["manager"]["id"] == other
    kept = client.patch(url, headers=lead_headers, json={"title": "Renamed"}).get_json()
    assert kept["manager"]["id"] == other
    with app.app_context():
        assert db.session.get(AuditProgramme, created["id"]).manager_id == other


@pytest.mark.parametrize("role", [Role.AUDITOR, Role.VIEWER, Role.AUDITEE])
def test_only_a_lead_auditor_or_administrator_manages_a_programme(client, lead_headers, make_user, body, role):
    response = client.post("/api/v1/programmes", headers=lead_headers, json={**body, "manager_id": make_user(role)})
    assert response.status_code == 422
    assert response.get_json()["errors"]["json"]["manager_id"] == [
        "Choose an active lead auditor or administrator to manage the programme."
    ]


def test_an_inactive_or_unknown_manager_is_refused(client, lead_headers, make_user, body, count):
    for manager in (make_user(Role.LEAD_AUDITOR, active=False), 99_999):
        response = client.post("/api/v1/programmes", headers=lead_headers, json={**body, "manager_id": manager})
        assert response.status_code == 422
    assert count(AuditProgramme) == 0


def test_the_programme_page_names_its_manager_and_the_form_offers_planners(
    app, client, lead_id, lead_headers, make_user, login, body
):
    created = client.post("/api/v1/programmes", headers=lead_headers, json=body).get_json()
    login(lead_id)
    page = client.get(f"/programmes/{created['id']}").get_data(as_text=True)
    assert "<dt>Programme manager</dt><dd>Test lead_auditor</dd>" in page
    auditor = make_user(Role.AUDITOR)
    form = client.get(f"/programmes/{created['id']}/edit").get_data(as_text=True)
    assert '<label for="manager_id">Programme manager</label>' in form
    select = form[form.index('id="manager_id" name="manager_id"') :]
    select = select[: select.index("</select>")]
    assert f'<option selected value="{lead_id}">' in select
    assert f'value="{auditor}"' not in select
