"""The OpenAPI 3 document at /api/v1/openapi.json, generated from the validating schemas."""

from __future__ import annotations

import re

import pytest

from tests.fixtures.openapi import request_schema, resolve

HTTP_METHODS = {"get", "post", "put", "patch", "delete"}


@pytest.fixture
def spec(client) -> dict:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.get_json()


def test_document_is_public_json(client):
    response = client.get("/api/v1/openapi.json")

    assert response.status_code == 200
    assert response.is_json
    assert "WWW-Authenticate" not in response.headers


def test_document_header(spec):
    assert spec["openapi"] == "3.0.3"
    assert spec["info"]["title"] == "AIMS Audit API"
    assert spec["info"]["version"] == "v1"
    assert "Bearer" in spec["info"]["description"]


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/me",
        "/api/v1/users",
        "/api/v1/users/{user_id}",
        "/api/v1/organisation",
        "/api/v1/org-units",
        "/api/v1/org-units/{unit_id}",
        "/api/v1/ai-systems",
        "/api/v1/ai-systems/{system_id}",
        "/api/v1/checklists",
        "/api/v1/checklists/{version_id}",
        "/api/v1/checklists/{version_id}/items",
        "/api/v1/checklists/{version_id}/items/{ref}",
    ],
)
def test_document_lists_the_resources(spec, path):
    assert path in spec["paths"]


#: Public calculators: pure maths, no data, no token.
PUBLIC_PATHS = {"/api/v1/sampling/attribute-size", "/api/v1/sampling/upper-limit"}


def test_bearer_security_scheme_applies_to_every_operation(spec):
    assert spec["components"]["securitySchemes"]["bearerAuth"] == {"type": "http", "scheme": "bearer"}
    assert spec["security"] == [{"bearerAuth": []}]
    for path, operations in spec["paths"].items():
        expected = [] if path in PUBLIC_PATHS else [{"bearerAuth": []}]
        for method, operation in operations.items():
            if method in HTTP_METHODS:
                assert operation.get("security", spec["security"]) == expected, path


def test_user_create_body_comes_from_the_validating_schema(spec):
    schema = request_schema(spec, "/api/v1/users", "post")

    assert set(schema["required"]) == {"email", "name", "role", "password"}
    assert schema["properties"]["role"]["enum"] == ["admin", "lead_auditor", "auditor", "auditee", "viewer"]
    assert schema["properties"]["password"]["maxLength"] == 256
    assert schema["properties"]["password"].get("writeOnly") is True
    assert "id" not in schema["properties"]


def test_user_response_never_documents_the_password(spec):
    response = spec["paths"]["/api/v1/users/{user_id}"]["get"]["responses"]["200"]
    schema = resolve(spec, response["content"]["application/json"]["schema"])

    assert "email" in schema["properties"]
    assert not {"password", "password_hash"} & set(schema["properties"])


def test_ai_system_create_body_has_limits_and_enums(spec):
    schema = request_schema(spec, "/api/v1/ai-systems", "post")

    # The roles (one or more) are required too, as `roles` or the single `role`: the schema checks one is given.
    assert {"name", "purpose", "risk_level", "owner_unit_id", "lifecycle_stage"} <= set(schema["required"])
    assert schema["properties"]["purpose"]["maxLength"] == 4000
    assert "overlord" not in schema["properties"]["role"]["enum"]
    assert "overlord" not in schema["properties"]["roles"]["items"]["enum"]
    assert schema["properties"]["roles"]["minItems"] == 1
    assert schema["properties"]["in_production_on"]["format"] == "date"
    assert "high" in schema["properties"]["risk_level"]["enum"]


@pytest.mark.parametrize(
    ("path", "method"),
    [
        ("/api/v1/users/{user_id}", "patch"),
        ("/api/v1/org-units/{unit_id}", "patch"),
        ("/api/v1/ai-systems/{system_id}", "patch"),
    ],
)
def test_patch_bodies_require_nothing(spec, path, method):
    schema = request_schema(spec, path, method)

    assert schema["properties"]
    assert not schema.get("required")


def test_item_search_parameter_is_documented(spec):
    parameters = spec["paths"]["/api/v1/checklists/{version_id}/items"]["get"]["parameters"]

    (q,) = [p for p in parameters if p["name"] == "q"]
    assert q["in"] == "query"
    assert q["schema"]["maxLength"] == 200


def test_every_api_route_is_documented(app, spec):
    routes = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/") or rule.rule.endswith("/openapi.json"):
            continue
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
        routes |= {(path, method.lower()) for method in rule.methods if method.lower() in HTTP_METHODS}

    documented = {
        (path, method) for path, operations in spec["paths"].items() for method in operations if method in HTTP_METHODS
    }
    assert len(routes) >= 16
    assert routes <= documented
    assert documented <= routes
