"""/api/v1/ai-systems: the AI-system inventory."""

from __future__ import annotations

import pytest

from audit_app.models import AIRole, AISystem, LifecycleStage, RiskLevel, Role
from tests.fixtures.roles import NON_ADMIN_ROLES


@pytest.fixture
def owner_id(make_unit):
    return make_unit("Claims")


def system_data(owner_id: int, **overrides):
    return {
        "name": "Claims triage model",
        "purpose": "Ranks incoming claims for manual review.",
        "role": "deployer",
        "risk_level": "high",
        "owner_unit_id": owner_id,
        "lifecycle_stage": "operation_monitoring",
    } | overrides


@pytest.fixture
def system(client, admin_headers, owner_id):
    response = client.post("/api/v1/ai-systems", headers=admin_headers, json=system_data(owner_id))
    assert response.status_code == 201
    return response.get_json()


def test_admin_adds_an_ai_system(client, admin_headers, owner_id, fetch):
    response = client.post("/api/v1/ai-systems", headers=admin_headers, json=system_data(owner_id))

    assert response.status_code == 201
    body = response.get_json()
    assert body["owner_unit"] == {"id": owner_id, "name": "Claims"}
    assert body["in_scope"] is True
    stored = fetch(AISystem, body["id"])
    assert stored["name"] == "Claims triage model"
    assert stored["role"] is AIRole.DEPLOYER
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


@pytest.mark.parametrize("field", ["name", "purpose", "role", "risk_level", "owner_unit_id", "lifecycle_stage"])
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
        ({"role": "overlord"}, "role"),
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
    unchanged = ("name", "purpose", "role", "owner_unit_id", "lifecycle_stage", "in_scope", "scope_note")
    assert {k: after[k] for k in unchanged} == {k: before[k] for k in unchanged}


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
    ],
)
def test_refused_patch_changes_nothing(client, admin_headers, owner_id, system, fetch, payload, field):
    client.post("/api/v1/ai-systems", headers=admin_headers, json=system_data(owner_id, name="Other system"))
    before = fetch(AISystem, system["id"])

    response = client.patch(f"/api/v1/ai-systems/{system['id']}", headers=admin_headers, json=payload)

    assert response.status_code == 422
    assert field in response.get_json()["errors"]["json"]
    assert fetch(AISystem, system["id"]) == before
