"""/api/v1/organisation and /api/v1/org-units."""

from __future__ import annotations

import pytest

from audit_app.models import OrgUnit, Role, UnitKind
from tests.fixtures.roles import NON_ADMIN_ROLES

ALL_ROLES = list(Role)


@pytest.fixture
def organisation(client, admin_headers):
    response = client.put(
        "/api/v1/organisation",
        headers=admin_headers,
        json={"name": "Acme Insurance", "scope_statement": "All AI systems used in claims.\nExcludes HR."},
    )
    assert response.status_code == 200
    return response.get_json()


# --- Organisation profile ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ALL_ROLES)
def test_every_role_reads_the_organisation(client, headers_for, organisation, role):
    response = client.get("/api/v1/organisation", headers=headers_for(role))

    assert response.status_code == 200
    body = response.get_json()
    assert body["name"] == "Acme Insurance"
    assert body["scope_statement"] == "All AI systems used in claims.\nExcludes HR."
    assert body["updated_at"]


def test_admin_replaces_the_organisation_profile(client, admin_headers, organisation):
    response = client.put(
        "/api/v1/organisation", headers=admin_headers, json={"name": "  Acme Group  ", "scope_statement": "All."}
    )

    assert response.status_code == 200
    assert response.get_json()["name"] == "Acme Group"
    body = client.get("/api/v1/organisation", headers=admin_headers).get_json()
    assert (body["name"], body["scope_statement"]) == ("Acme Group", "All.")


@pytest.mark.parametrize("role", NON_ADMIN_ROLES)
def test_non_admins_cannot_replace_the_organisation(client, admin_headers, headers_for, organisation, role):
    response = client.put("/api/v1/organisation", headers=headers_for(role), json={"name": "Hijacked"})

    assert response.status_code == 403
    assert response.is_json
    assert client.get("/api/v1/organisation", headers=admin_headers).get_json()["name"] == "Acme Insurance"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"name": "Acme\x07 Insurance"}, "name"),
        ({"name": "Acme\x00"}, "name"),
        ({"name": "Acme", "scope_statement": "Scope\x1b[31m red"}, "scope_statement"),
        ({"name": "Two\nlines"}, "name"),
        ({"name": ""}, "name"),
        ({"name": "   "}, "name"),
        ({"scope_statement": "no name"}, "name"),
        ({"name": "x" * 201}, "name"),
    ],
)
def test_bad_organisation_input_is_refused_and_nothing_changes(client, admin_headers, organisation, payload, field):
    response = client.put("/api/v1/organisation", headers=admin_headers, json=payload)

    assert response.status_code == 422
    body = response.get_json()
    assert field in body["errors"]["json"]
    assert body["message"]
    after = client.get("/api/v1/organisation", headers=admin_headers).get_json()
    assert after == organisation


# --- Org units --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ALL_ROLES)
def test_every_role_lists_and_reads_org_units(client, make_unit, headers_for, role):
    headers = headers_for(role)
    unit_id = make_unit("Risk office", UnitKind.PROCESS)

    listed = client.get("/api/v1/org-units", headers=headers)
    single = client.get(f"/api/v1/org-units/{unit_id}", headers=headers)

    assert listed.status_code == 200
    assert "Risk office" in [u["name"] for u in listed.get_json()]
    assert single.status_code == 200
    assert single.get_json() == {
        "id": unit_id,
        "name": "Risk office",
        "kind": "process",
        "description": "",
        "parent_id": None,
        "active": True,
        "manager_id": None,
    }


def test_unknown_org_unit_is_404_json(client, admin_headers):
    for response in (
        client.get("/api/v1/org-units/9999", headers=admin_headers),
        client.patch("/api/v1/org-units/9999", headers=admin_headers, json={"name": "Ghost"}),
    ):
        assert response.status_code == 404
        assert "9999" in response.get_json()["message"]


def test_admin_creates_an_org_unit(client, admin_headers, make_unit, fetch):
    parent_id = make_unit("Operations")

    response = client.post(
        "/api/v1/org-units",
        headers=admin_headers,
        json={"name": "Claims", "kind": "department", "description": "Claims\nhandling", "parent_id": parent_id},
    )

    assert response.status_code == 201
    body = response.get_json()
    stored = fetch(OrgUnit, body["id"])
    assert stored["name"] == "Claims"
    assert stored["kind"] is UnitKind.DEPARTMENT
    assert stored["description"] == "Claims\nhandling"
    assert stored["parent_id"] == parent_id
    assert stored["active"] is True


def test_admin_patches_an_org_unit_and_other_fields_keep_their_value(client, admin_headers, make_unit, fetch):
    parent_id = make_unit("Operations")
    created = client.post(
        "/api/v1/org-units",
        headers=admin_headers,
        json={"name": "Claims", "kind": "site", "description": "Kept", "parent_id": parent_id, "active": False},
    ).get_json()

    response = client.patch(f"/api/v1/org-units/{created['id']}", headers=admin_headers, json={"name": "Claims EU"})

    assert response.status_code == 200, response.get_json()
    stored = fetch(OrgUnit, created["id"])
    assert stored["name"] == "Claims EU"
    assert stored["kind"] is UnitKind.SITE
    assert stored["description"] == "Kept"
    assert stored["parent_id"] == parent_id
    assert stored["active"] is False


def test_admin_patch_can_clear_the_parent(client, admin_headers, make_unit, fetch):
    parent_id = make_unit()
    child = client.post(
        "/api/v1/org-units", headers=admin_headers, json={"name": "Child", "kind": "process", "parent_id": parent_id}
    ).get_json()

    response = client.patch(f"/api/v1/org-units/{child['id']}", headers=admin_headers, json={"parent_id": None})

    assert response.status_code == 200
    assert fetch(OrgUnit, child["id"])["parent_id"] is None


@pytest.mark.parametrize("role", NON_ADMIN_ROLES)
def test_non_admins_cannot_create_or_change_org_units(client, headers_for, make_unit, count, fetch, role):
    unit_id = make_unit("Stable")
    headers = headers_for(role)
    before = count(OrgUnit)

    created = client.post("/api/v1/org-units", headers=headers, json={"name": "Rogue", "kind": "site"})
    changed = client.patch(f"/api/v1/org-units/{unit_id}", headers=headers, json={"name": "Renamed"})

    assert (created.status_code, changed.status_code) == (403, 403)
    assert created.is_json
    assert changed.is_json
    assert count(OrgUnit) == before
    assert fetch(OrgUnit, unit_id)["name"] == "Stable"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"kind": "site"}, "name"),
        ({"name": "No kind"}, "kind"),
        ({"name": "Wrong kind", "kind": "galaxy"}, "kind"),
        ({"name": "Existing", "kind": "site"}, "name"),
        ({"name": "existing", "kind": "site"}, "name"),
        ({"name": "Bell\x07", "kind": "site"}, "name"),
        ({"name": "x" * 121, "kind": "site"}, "name"),
        ({"name": "Big", "kind": "site", "description": "d" * 4001}, "description"),
        ({"name": "Orphan", "kind": "site", "parent_id": 9999}, "parent_id"),
        ({"name": "Typed", "kind": "site", "parent_id": "first"}, "parent_id"),
    ],
)
def test_invalid_org_unit_is_refused_and_nothing_is_created(client, admin_headers, make_unit, count, payload, field):
    make_unit("Existing")
    before = count(OrgUnit)

    response = client.post("/api/v1/org-units", headers=admin_headers, json=payload)

    assert response.status_code == 422
    body = response.get_json()
    assert field in body["errors"]["json"]
    assert body["message"]
    assert count(OrgUnit) == before


def test_unit_cannot_become_its_own_ancestor(client, admin_headers, make_unit, fetch):
    top = client.post("/api/v1/org-units", headers=admin_headers, json={"name": "Top", "kind": "site"}).get_json()
    below = client.post(
        "/api/v1/org-units", headers=admin_headers, json={"name": "Below", "kind": "site", "parent_id": top["id"]}
    ).get_json()

    response = client.patch(f"/api/v1/org-units/{top['id']}", headers=admin_headers, json={"parent_id": below["id"]})

    assert response.status_code == 422
    assert "parent_id" in response.get_json()["errors"]["json"]
    assert fetch(OrgUnit, top["id"])["parent_id"] is None


def test_patch_to_a_taken_name_is_refused(client, admin_headers, make_unit, fetch):
    make_unit("Taken")
    unit_id = make_unit("Mine")

    response = client.patch(f"/api/v1/org-units/{unit_id}", headers=admin_headers, json={"name": "TAKEN"})

    assert response.status_code == 422
    assert fetch(OrgUnit, unit_id)["name"] == "Mine"


@pytest.mark.parametrize("body", ["{not json", '{"name": "Half", ', "[1, 2"])
def test_malformed_json_is_refused_with_a_json_error(client, admin_headers, count, body):
    before = count(OrgUnit)

    response = client.post("/api/v1/org-units", headers=admin_headers, data=body, content_type="application/json")

    assert response.status_code in (400, 422)
    assert response.is_json
    error = response.get_json()
    assert error["code"] == response.status_code
    assert "json" in error["message"].lower()
    assert count(OrgUnit) == before


def test_json_that_is_not_an_object_is_refused(client, admin_headers, count):
    response = client.post("/api/v1/org-units", headers=admin_headers, json=["name", "kind"])

    assert response.status_code == 422
    assert response.is_json
    assert count(OrgUnit) == 0
