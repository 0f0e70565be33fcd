"""Ids no database column can hold, in the planning pages' forms and addresses: refused or not found, never a 500.

SQLite stores integers up to 2**63-1 and PostgreSQL `integer` up to 2**31-1; a larger id used to reach a query
(OverflowError, NumericValueOutOfRange) when a form did not check it against its choices.
"""

from __future__ import annotations

import pytest

from audit_app.models import Role
from tests.fixtures.planning_pages import Plan

HUGE = [2**31, 2**63, 0, -1]


@pytest.fixture
def lead(client, login, web_plan: Plan) -> Plan:
    login(web_plan.lead_id)
    return web_plan


def _details(lead_auditor_id: object) -> dict[str, object]:
    return {
        "title": "Credit models",
        "audit_type": "internal",
        "method": "on_site",
        "start_date": "2026-06-01",
        "end_date": "2026-06-03",
        "language": "English",
        "lead_auditor_id": str(lead_auditor_id),
    }


@pytest.mark.parametrize("value", HUGE)
def test_lead_auditor_out_of_range_is_a_field_error(client, lead, field_errors, value):
    response = client.post(f"/audits/{lead.audit_id}/edit", data=_details(value))
    assert response.status_code == 400
    assert field_errors(response.get_data(as_text=True), "lead_auditor_id")


@pytest.mark.parametrize("value", HUGE)
def test_criteria_item_out_of_range_is_refused(client, lead, library, value):
    form = {"version_ids": [str(library)], "item_ids": [str(lead.item_ids[0]), str(value)], "save": "Save"}
    response = client.post(f"/audits/{lead.audit_id}/criteria", data=form)
    assert response.status_code == 400
    assert "not a known record" in response.get_data(as_text=True)


@pytest.mark.parametrize("value", HUGE)
@pytest.mark.parametrize("field", ["item_ids", "auditor_ids", "auditee_ids"])
def test_session_ids_out_of_range_are_refused(client, lead, field_errors, field, value):
    form = {
        "day": "2026-06-01",
        "start_time": "09:00",
        "duration_minutes": "60",
        "activity": "interview",
        "title": "Interview",
        field: [str(value)],
    }
    response = client.post(f"/audits/{lead.audit_id}/agenda/new", data=form)
    assert response.status_code == 400
    assert field_errors(response.get_data(as_text=True), field)


@pytest.mark.parametrize("value", [2**31, 2**63])
def test_filters_and_addresses_out_of_range(client, lead, value):
    listed = client.get(f"/audits/?lead={value}&programme={value}&unit={value}")
    assert listed.status_code == 400  # the filters are reported as not understood, the list still shows
    assert "Some filters were not understood" in listed.get_data(as_text=True)
    assert client.get(f"/audits/new?programme_id={value}").status_code == 200
    for path in (f"/audits/{value}", f"/organisation/units/{value}/edit", f"/programmes/{value}"):
        assert client.get(path).status_code == 404, path


@pytest.mark.parametrize("query", ["page=99999999999999999999999", "page=-3&per_page=0", "page=x&per_page=10**9"])
def test_page_numbers_of_any_size_show_a_page(client, lead, query):
    for path in ("/audits/", "/organisation/units", "/organisation/ai-systems", "/programmes/"):
        assert client.get(f"{path}?{query}").status_code == 200, path


def test_the_activity_log_takes_any_page_number(client, make_user, login):
    login(make_user(Role.ADMIN))
    for page in ("99999999999999999999", str(2**31), "-1", "x"):
        assert client.get(f"/admin/activity?page={page}").status_code == 200, page
