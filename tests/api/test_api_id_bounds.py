"""Ids no database column can hold, in query filters and in bodies: refused with 422 (or not found), never a 500.

SQLite stores integers up to 2**63-1 (a larger one raised OverflowError) and PostgreSQL `integer` up to 2**31-1
(a larger one raised NumericValueOutOfRange); zero and negative ids name no record either.
"""

from __future__ import annotations

import pytest

from audit_app.models import Role

#: Just past PostgreSQL's integer, just past SQLite's integer, and ids no record has.
OUT_OF_RANGE = [2**31, 2**63, 0, -1]
SQLITE_OVERFLOW = 2**63


@pytest.fixture
def ids(app, client, admin_headers, lead_headers, audit_id, make_unit) -> dict[str, int]:
    """An org unit and a session on the audit (for the PATCH of a session)."""
    unit_id = make_unit("Claims")
    session = client.post(
        f"/api/v1/audits/{audit_id}/sessions",
        headers=lead_headers,
        json={**SESSION, "title": "A"},
    )
    assert session.status_code == 201
    return {"audit": audit_id, "unit": unit_id, "session": session.get_json()["id"]}


SESSION = {"day": "2026-06-01", "start_time": "09:00", "duration_minutes": 60, "activity": "interview"}


def _refused(response, field: str) -> None:
    assert response.status_code == 422, response.get_data(as_text=True)
    body = response.get_json()
    assert field in str(body["errors"])
    assert "Not a valid id" in body["message"]


@pytest.mark.parametrize("value", OUT_OF_RANGE)
@pytest.mark.parametrize("name", ["lead_auditor_id", "programme_id", "unit_id"])
def test_audit_list_filters(client, lead_headers, audit_id, name, value):
    _refused(client.get("/api/v1/audits", headers=lead_headers, query_string={name: value}), name)


def _bodies(ids: dict[str, int], value: int) -> list[tuple[str, str, dict, str]]:
    audit, unit, session = ids["audit"], ids["unit"], ids["session"]
    new_audit = {"title": "T", "audit_type": "internal", "start_date": "2026-06-01", "end_date": "2026-06-02"}
    session_body = SESSION
    unit_body = {"name": "Risk", "kind": "department"}
    system = {"name": "S", "purpose": "P", "role": "deployer", "risk_level": "low"}
    system["lifecycle_stage"] = "operation_monitoring"
    programme = {"code": "X", "title": "X", "period_start": "2026-01-01", "period_end": "2026-12-31"}
    user = {"email": "n@example.test", "name": "N", "role": "auditor", "password": "a long enough password"}
    sessions = f"/api/v1/audits/{audit}/sessions"
    return [
        ("post", "/api/v1/audits", {**new_audit, "programme_id": value}, "programme_id"),
        ("post", "/api/v1/audits", {**new_audit, "programme_id": 1, "lead_auditor_id": value}, "lead_auditor_id"),
        ("patch", f"/api/v1/audits/{audit}", {"lead_auditor_id": value}, "lead_auditor_id"),
        ("put", f"/api/v1/audits/{audit}/scope", {"unit_ids": [unit, value], "system_ids": []}, "unit_ids"),
        ("put", f"/api/v1/audits/{audit}/scope", {"unit_ids": [], "system_ids": [value]}, "system_ids"),
        ("put", f"/api/v1/audits/{audit}/criteria", {"version_ids": [value]}, "version_ids"),
        ("put", f"/api/v1/audits/{audit}/criteria", {"version_ids": [1], "item_ids": [value]}, "item_ids"),
        ("post", f"/api/v1/audits/{audit}/team", {"user_id": value, "role": "auditor"}, "user_id"),
        ("post", f"/api/v1/audits/{audit}/auditees", {"user_id": value}, "user_id"),
        ("post", f"/api/v1/audits/{audit}/auditees", {"name": "N", "org_unit_id": value}, "org_unit_id"),
        ("post", sessions, {**session_body, "title": "B", "item_ids": [value]}, "item_ids"),
        ("post", sessions, {**session_body, "title": "C", "auditor_ids": [value]}, "auditor_ids"),
        ("patch", f"/api/v1/audits/{audit}/sessions/{session}", {"auditee_ids": [value]}, "auditee_ids"),
        ("post", "/api/v1/org-units", {**unit_body, "parent_id": value}, "parent_id"),
        ("patch", f"/api/v1/org-units/{unit}", {"parent_id": value}, "parent_id"),
        ("post", "/api/v1/ai-systems", {**system, "owner_unit_id": value}, "owner_unit_id"),
        ("post", "/api/v1/programmes", {**programme, "checklist_version_id": value}, "checklist_version_id"),
        ("post", "/api/v1/users", {**user, "org_unit_id": value}, "org_unit_id"),
        ("patch", "/api/v1/users/1", {"org_unit_id": value}, "org_unit_id"),
    ]


@pytest.mark.parametrize("value", OUT_OF_RANGE)
def test_ids_in_bodies(client, admin_headers, ids, value):
    for method, url, body, field in _bodies(ids, value):
        response = getattr(client, method)(url, headers=admin_headers, json=body)
        assert response.status_code == 422, (method, url, response.get_data(as_text=True))
        assert field in str(response.get_json()["errors"]), (method, url)


@pytest.mark.parametrize("value", [2**31, SQLITE_OVERFLOW])
@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/audits/{}",
        "/api/v1/audits/{}/team",
        "/api/v1/org-units/{}",
        "/api/v1/ai-systems/{}",
        "/api/v1/programmes/{}",
        "/api/v1/programmes/{}/coverage",
        "/api/v1/users/{}",
    ],
)
def test_ids_in_paths_are_not_found(client, admin_headers, path, value):
    response = client.get(path.format(value), headers=admin_headers)
    assert response.status_code == 404
    assert response.is_json


def test_the_document_states_the_id_range(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    params = {p["name"]: p for p in spec["paths"]["/api/v1/audits"]["get"]["parameters"]}
    assert params["lead_auditor_id"]["schema"]["minimum"] == 1
    assert params["lead_auditor_id"]["schema"]["maximum"] == 2**31 - 1
    scope = spec["components"]["schemas"]["Scope"]["properties"]["unit_ids"]["items"]
    assert (scope["minimum"], scope["maximum"]) == (1, 2**31 - 1)


def test_a_valid_filter_still_filters(client, lead_headers, audit_id, lead_id, make_user):
    other = make_user(Role.LEAD_AUDITOR)
    assert [a["id"] for a in client.get(f"/api/v1/audits?lead_auditor_id={lead_id}", headers=lead_headers).json] == [
        audit_id
    ]
    assert client.get(f"/api/v1/audits?lead_auditor_id={other}", headers=lead_headers).json == []
