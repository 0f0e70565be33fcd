"""/api/v1/ai-systems: the AI-system inventory."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from flask import Flask

from audit_app.extensions import db
from audit_app.models import Activity, AIRole, AISystem, LifecycleStage, RiskLevel, Role
from audit_app.services import org
from tests.fixtures.roles import NON_ADMIN_ROLES

#: A day that is in the future wherever the organisation is.
FUTURE = (datetime.now(UTC) + timedelta(days=2)).date().isoformat()


@pytest.fixture
def owner_id(make_unit):
    return make_unit("Claims")


def system_data(owner_id: int, **overrides):
    return {
        "name": "Claims triage model",
        "purpose": "Ranks incoming claims for manual review.",
        "roles": ["deployer"],
        "risk_level": "high",
        "owner_unit_id": owner_id,
        "lifecycle_stage": "operation_monitoring",
    } | overrides


@pytest.fixture
def system(client, admin_headers, owner_id):
    response = client.post("/api/v1/ai-systems", headers=admin_headers, json=system_data(owner_id))
    assert response.status_code == 201
    return response.get_json()


def roles_of(app: Flask, system_id: int) -> list[AIRole]:
    with app.app_context():
        system = db.session.get(AISystem, system_id)
        assert system is not None
        return system.roles


def test_admin_adds_an_ai_system(client, app, admin_headers, owner_id, fetch):
    response = client.post("/api/v1/ai-systems", headers=admin_headers, json=system_data(owner_id))

    assert response.status_code == 201
    body = response.get_json()
    assert body["owner_unit"] == {"id": owner_id, "name": "Claims"}
    assert body["in_scope"] is True
    stored = fetch(AISystem, body["id"])
    assert stored["name"] == "Claims triage model"
    assert roles_of(app, body["id"]) == [AIRole.DEPLOYER]
    assert (body["roles"], body["role"]) == (["deployer"], "deployer")
    assert body["supplier"] is body["version"] is body["in_production_on"] is body["impact_assessment_ref"] is None
    assert stored["risk_level"] is RiskLevel.HIGH
    assert stored["lifecycle_stage"] is LifecycleStage.OPERATION_MONITORING
    assert stored["owner_unit_id"] == owner_id


def test_out_of_scope_system_with_a_reason_is_accepted(client, admin_headers, owner_id):
    response = client.post(
        "/api/v1/ai-systems",
        headers=admin_headers,
        json=system_data(owner_id, in_scope=False, scope_note="Vendor-hosted, covered by supplier audit."),
    )

    assert response.status_code == 201
    assert response.get_json()["in_scope"] is False
    assert response.get_json()["scope_note"] == "Vendor-hosted, covered by supplier audit."


def test_purpose_of_exactly_4000_characters_is_accepted(client, admin_headers, owner_id):
    response = client.post("/api/v1/ai-systems", headers=admin_headers, json=system_data(owner_id, purpose="p" * 4000))

    assert response.status_code == 201


@pytest.mark.parametrize("role", list(Role))
def test_every_role_lists_and_reads_ai_systems(client, headers_for, system, role):
    headers = headers_for(role)

    listed = client.get("/api/v1/ai-systems", headers=headers)
    single = client.get(f"/api/v1/ai-systems/{system['id']}", headers=headers)

    assert listed.status_code == 200
    assert [s["name"] for s in listed.get_json()] == ["Claims triage model"]
    assert single.status_code == 200
    assert single.get_json() == system


def test_unknown_ai_system_is_404_json(client, admin_headers):
    for response in (
        client.get("/api/v1/ai-systems/9999", headers=admin_headers),
        client.patch("/api/v1/ai-systems/9999", headers=admin_headers, json={"risk_level": "low"}),
    ):
        assert response.status_code == 404
        assert response.is_json
        assert "9999" in response.get_json()["message"]


@pytest.mark.parametrize("role", NON_ADMIN_ROLES)
def test_non_admins_cannot_add_or_change_ai_systems(client, headers_for, owner_id, system, count, fetch, role):
    headers = headers_for(role)

    created = client.post("/api/v1/ai-systems", headers=headers, json=system_data(owner_id, name="Rogue"))
    changed = client.patch(f"/api/v1/ai-systems/{system['id']}", headers=headers, json={"risk_level": "low"})

    assert (created.status_code, changed.status_code) == (403, 403)
    assert created.is_json
    assert changed.is_json
    assert count(AISystem) == 1
    assert fetch(AISystem, system["id"])["risk_level"] is RiskLevel.HIGH


@pytest.mark.parametrize("field", ["name", "purpose", "roles", "risk_level", "owner_unit_id", "lifecycle_stage"])
def test_missing_required_field_is_named(client, admin_headers, owner_id, count, field):
    data = system_data(owner_id)
    del data[field]

    response = client.post("/api/v1/ai-systems", headers=admin_headers, json=data)

    assert response.status_code == 422
    body = response.get_json()
    assert field in body["message"]
    assert field in body["errors"]["json"]
    assert count(AISystem) == 0


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"owner_unit_id": 9999}, "owner_unit_id"),
        ({"in_scope": False}, "scope_note"),
        ({"in_scope": False, "scope_note": "   "}, "scope_note"),
        ({"purpose": "p" * 4001}, "purpose"),
        ({"purpose": "   "}, "purpose"),
        ({"name": "Bell\x07"}, "name"),
        ({"scope_note": "x" * 4001}, "scope_note"),
        ({"roles": ["overlord"]}, "roles"),
        ({"roles": ["deployer", "overlord"]}, "roles"),
        ({"roles": []}, "roles"),
        ({"roles": "deployer"}, "roles"),
        ({"role": "user"}, "role"),  # the single role and the list together
        ({"supplier": "Acme\x07 Ltd"}, "supplier"),
        ({"supplier": "s" * 201}, "supplier"),
        ({"supplier": "Acme\nLtd"}, "supplier"),
        ({"version": "v" * 61}, "version"),
        ({"version": "2.1\x1b[0m"}, "version"),
        ({"impact_assessment_ref": "AISIA\x00-7"}, "impact_assessment_ref"),
        ({"impact_assessment_ref": "r" * 201}, "impact_assessment_ref"),
        ({"in_production_on": "2026-02-30"}, "in_production_on"),
        ({"in_production_on": "yesterday"}, "in_production_on"),
        ({"in_production_on": FUTURE}, "in_production_on"),
        ({"in_production_on": "0202-03-01"}, "in_production_on"),
        ({"risk_level": "extreme"}, "risk_level"),
        ({"lifecycle_stage": "DEPLOYMENT"}, "lifecycle_stage"),
        ({"in_scope": "perhaps"}, "in_scope"),
    ],
)
def test_invalid_ai_system_is_refused_and_nothing_is_created(client, admin_headers, owner_id, count, overrides, field):
    response = client.post("/api/v1/ai-systems", headers=admin_headers, json=system_data(owner_id, **overrides))

    assert response.status_code == 422
    body = response.get_json()
    assert field in body["errors"]["json"]
    assert body["message"]
    assert count(AISystem) == 0


def test_duplicate_name_is_refused_case_insensitively(client, admin_headers, owner_id, system, count):
    response = client.post(
        "/api/v1/ai-systems", headers=admin_headers, json=system_data(owner_id, name="CLAIMS TRIAGE MODEL")
    )

    assert response.status_code == 422
    assert "already exists" in response.get_json()["message"]
    assert count(AISystem) == 1


def test_malformed_json_is_refused_with_a_json_error(client, admin_headers, count):
    response = client.post(
        "/api/v1/ai-systems", headers=admin_headers, data='{"name": "x",,}', content_type="application/json"
    )

    assert response.status_code in (400, 422)
    assert response.is_json
    assert "json" in response.get_json()["message"].lower()
    assert count(AISystem) == 0


def test_admin_patches_one_field_and_the_rest_is_kept(client, admin_headers, system, fetch):
    before = fetch(AISystem, system["id"])

    response = client.patch(f"/api/v1/ai-systems/{system['id']}", headers=admin_headers, json={"risk_level": "low"})

    assert response.status_code == 200, response.get_json()
    assert response.get_json()["risk_level"] == "low"
    after = fetch(AISystem, system["id"])
    assert after["risk_level"] is RiskLevel.LOW
    unchanged = ("name", "purpose", "owner_unit_id", "lifecycle_stage", "in_scope", "scope_note", "supplier", "version")
    assert {k: after[k] for k in unchanged} == {k: before[k] for k in unchanged}
    assert response.get_json()["roles"] == ["deployer"]


def test_patch_keeps_an_out_of_scope_system_out_of_scope(client, admin_headers, owner_id, fetch):
    created = client.post(
        "/api/v1/ai-systems",
        headers=admin_headers,
        json=system_data(owner_id, in_scope=False, scope_note="Retired pilot."),
    ).get_json()

    response = client.patch(
        f"/api/v1/ai-systems/{created['id']}", headers=admin_headers, json={"lifecycle_stage": "retirement"}
    )

    assert response.status_code == 200, response.get_json()
    stored = fetch(AISystem, created["id"])
    assert (stored["in_scope"], stored["scope_note"]) == (False, "Retired pilot.")
    assert stored["lifecycle_stage"] is LifecycleStage.RETIREMENT


def test_patch_moves_a_system_to_another_owner(client, admin_headers, system, make_unit, fetch):
    other = make_unit("Underwriting")

    response = client.patch(f"/api/v1/ai-systems/{system['id']}", headers=admin_headers, json={"owner_unit_id": other})

    assert response.status_code == 200
    assert response.get_json()["owner_unit"] == {"id": other, "name": "Underwriting"}
    assert fetch(AISystem, system["id"])["owner_unit_id"] == other


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"in_scope": False}, "scope_note"),
        ({"owner_unit_id": 9999}, "owner_unit_id"),
        ({"purpose": "p" * 4001}, "purpose"),
        ({"name": ""}, "name"),
        ({"risk_level": "extreme"}, "risk_level"),
        ({"name": "Other system"}, "name"),
        ({"roles": []}, "roles"),
        ({"roles": ["overlord"]}, "roles"),
        ({"roles": ["user"], "role": "user"}, "role"),
        ({"role": None}, "role"),
        ({"supplier": "Bell\x07"}, "supplier"),
        ({"in_production_on": FUTURE}, "in_production_on"),
    ],
)
def test_refused_patch_changes_nothing(client, admin_headers, owner_id, system, fetch, payload, field):
    client.post("/api/v1/ai-systems", headers=admin_headers, json=system_data(owner_id, name="Other system"))
    before = fetch(AISystem, system["id"])

    response = client.patch(f"/api/v1/ai-systems/{system['id']}", headers=admin_headers, json=payload)

    assert response.status_code == 422
    assert field in response.get_json()["errors"]["json"]
    assert fetch(AISystem, system["id"]) == before


# --- Several roles (clause 4.1), supplier, version, in-production date and impact-assessment reference --------


def test_a_system_holds_several_roles_and_carries_its_details(client, app, admin_headers, owner_id):
    data = system_data(
        owner_id,
        roles=["user", "developer", "user"],
        supplier="  Lumen Models Ltd ",
        version="4.2.1",
        in_production_on="2024-03-01",
        impact_assessment_ref="AISIA-2024-007",
    )

    response = client.post("/api/v1/ai-systems", headers=admin_headers, json=data)

    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    # Listed once each, in the order of the role list; the main role is the first.
    assert body["roles"] == ["developer", "user"]
    assert body["role"] == "developer"
    assert (body["supplier"], body["version"]) == ("Lumen Models Ltd", "4.2.1")
    assert (body["in_production_on"], body["impact_assessment_ref"]) == ("2024-03-01", "AISIA-2024-007")
    assert roles_of(app, body["id"]) == [AIRole.DEVELOPER, AIRole.USER]
    assert client.get(f"/api/v1/ai-systems/{body['id']}", headers=admin_headers).get_json() == body


def test_the_single_role_is_still_accepted_as_one_role(client, app, admin_headers, owner_id):
    data = system_data(owner_id)
    del data["roles"]

    response = client.post("/api/v1/ai-systems", headers=admin_headers, json=data | {"role": "provider"})

    assert response.status_code == 201, response.get_json()
    assert (response.get_json()["roles"], response.get_json()["role"]) == (["provider"], "provider")
    assert roles_of(app, response.get_json()["id"]) == [AIRole.PROVIDER]


def test_an_in_production_date_of_today_is_accepted(client, app, admin_headers, owner_id):
    with app.app_context():
        today = org.org_today()

    response = client.post(
        "/api/v1/ai-systems", headers=admin_headers, json=system_data(owner_id, in_production_on=today.isoformat())
    )

    assert response.status_code == 201, response.get_json()
    assert response.get_json()["in_production_on"] == today.isoformat()


def test_a_future_in_production_date_is_refused_with_the_reason(client, app, admin_headers, owner_id, count):
    with app.app_context():
        tomorrow = org.org_today() + timedelta(days=1)

    response = client.post(
        "/api/v1/ai-systems", headers=admin_headers, json=system_data(owner_id, in_production_on=tomorrow.isoformat())
    )

    assert response.status_code == 422
    assert "cannot be in the future" in response.get_json()["errors"]["json"]["in_production_on"][0]
    assert count(AISystem) == 0


def test_patch_replaces_the_roles_and_records_the_change(client, app, admin_headers, system):
    response = client.patch(
        f"/api/v1/ai-systems/{system['id']}", headers=admin_headers, json={"roles": ["provider", "deployer"]}
    )

    assert response.status_code == 200, response.get_json()
    assert response.get_json()["roles"] == ["provider", "deployer"]
    assert roles_of(app, system["id"]) == [AIRole.PROVIDER, AIRole.DEPLOYER]
    with app.app_context():
        (entry,) = db.session.scalars(sa.select(Activity).where(Activity.action == "ai_system.updated")).all()
        assert entry.details["changes"] == {"roles": [["deployer"], ["provider", "deployer"]]}

    dropped = client.patch(f"/api/v1/ai-systems/{system['id']}", headers=admin_headers, json={"roles": ["provider"]})
    assert dropped.get_json()["roles"] == ["provider"]
    assert roles_of(app, system["id"]) == [AIRole.PROVIDER]


def test_patch_sets_and_clears_the_details(client, app, admin_headers, system, fetch):
    url = f"/api/v1/ai-systems/{system['id']}"
    details = {"supplier": "TalentSift Ltd", "version": "2026.1", "in_production_on": "2025-11-03"}

    set_ = client.patch(url, headers=admin_headers, json=details | {"impact_assessment_ref": "AISIA-9"})
    cleared = client.patch(
        url, headers=admin_headers, json={"supplier": None, "version": "  ", "in_production_on": None}
    )

    assert set_.status_code == cleared.status_code == 200
    assert set_.get_json()["in_production_on"] == "2025-11-03"
    stored = fetch(AISystem, system["id"])
    assert (stored["supplier"], stored["version"], stored["in_production_on"]) == (None, None, None)
    assert stored["impact_assessment_ref"] == "AISIA-9"
    assert roles_of(app, system["id"]) == [AIRole.DEPLOYER]


def test_a_patch_that_leaves_out_the_roles_keeps_them(client, app, admin_headers, owner_id):
    created = client.post(
        "/api/v1/ai-systems", headers=admin_headers, json=system_data(owner_id, roles=["developer", "user"])
    ).get_json()

    response = client.patch(f"/api/v1/ai-systems/{created['id']}", headers=admin_headers, json={"version": "5"})

    assert response.status_code == 200
    assert roles_of(app, created["id"]) == [AIRole.DEVELOPER, AIRole.USER]
