"""/api/v1/checklists: the read-only clause library."""

from __future__ import annotations

import json
import re

import pytest

from audit_app.models import Role


@pytest.fixture
def headers(headers_for):
    return headers_for(Role.AUDITOR)


def refs(response) -> list[str]:
    assert response.status_code == 200, response.get_json()
    return [item["ref"] for item in response.get_json()]


@pytest.mark.parametrize("role", list(Role))
def test_every_role_lists_checklist_versions(client, headers_for, library, role):
    response = client.get("/api/v1/checklists", headers=headers_for(role))

    assert response.status_code == 200
    (version,) = response.get_json()
    assert version["id"] == library
    assert version["code"] == "iso42001"
    assert re.fullmatch(r"[0-9a-f]{64}", version["content_hash"])
    assert version["locked"] is False


def test_get_one_version(client, headers, library):
    listed = client.get("/api/v1/checklists", headers=headers).get_json()[0]

    response = client.get(f"/api/v1/checklists/{library}", headers=headers)

    assert response.status_code == 200
    body = response.get_json()
    assert body == listed
    assert body["standard"] == "ISO/IEC 42001"
    assert body["edition"] == "2023"


def test_library_is_empty_before_loading(client, headers):
    response = client.get("/api/v1/checklists", headers=headers)

    assert response.status_code == 200
    assert response.get_json() == []


def test_items_are_listed_in_order(client, headers, library):
    items = refs(client.get(f"/api/v1/checklists/{library}/items", headers=headers))

    assert len(items) == 92
    assert items[0] == "4"
    assert items[-1] == "A.10.4"
    assert items.index("4.1") < items.index("6.1.3") < items.index("10.2") < items.index("A.2")
    assert "A.10.4" in items
    assert len(set(items)) == len(items)


def test_items_carry_their_audit_content(client, headers, library):
    items = client.get(f"/api/v1/checklists/{library}/items", headers=headers).get_json()

    by_ref = {item["ref"]: item for item in items}
    assert by_ref["4"]["parent_ref"] is None
    assert by_ref["6.1.3"]["parent_ref"] == "6.1"
    assert by_ref["6.1.3"]["depth"] == by_ref["6.1"]["depth"] + 1
    assert any(item["kind"] == "control" for item in items)
    assert "search_text" not in by_ref["6.1.3"]


def test_an_item_shows_the_documented_information_it_expects(client, headers, library):
    response = client.get(f"/api/v1/checklists/{library}/items/A.6.2.5", headers=headers)

    assert response.status_code == 200
    entries = response.get_json()["documented_information"]
    assert [entry["type"] for entry in entries] == ["maintain", "retain"]
    assert entries[0]["description"].startswith("Deployment plan for each AI system")


def test_search_for_impact_assessment(client, headers, library):
    url = f"/api/v1/checklists/{library}/items"

    response = client.get(url, headers=headers, query_string={"q": "impact assessment"})

    found = refs(response)
    assert {"6.1.4", "8.4", "A.5.2", "A.5.3", "A.5.4", "A.5.5"} <= set(found)
    assert "A.10.4" not in found
    all_refs = refs(client.get(url, headers=headers))
    assert len(found) < len(all_refs)
    assert found == sorted(found, key=all_refs.index)
    for item in response.get_json():
        text = json.dumps(item).lower()
        assert "impact" in text
        assert "assessment" in text


def test_search_is_case_insensitive(client, headers, library):
    url = f"/api/v1/checklists/{library}/items"

    lower = refs(client.get(url, headers=headers, query_string={"q": "impact assessment"}))
    upper = refs(client.get(url, headers=headers, query_string={"q": "IMPACT Assessment"}))

    assert lower == upper


def test_search_by_ref_puts_the_exact_match_first(client, headers, library):
    found = refs(client.get(f"/api/v1/checklists/{library}/items", headers=headers, query_string={"q": "a.10.4"}))

    assert found[0] == "A.10.4"


def test_search_treats_wildcards_literally(client, headers, library):
    url = f"/api/v1/checklists/{library}/items"

    assert refs(client.get(url, headers=headers, query_string={"q": "%"})) == []
    assert refs(client.get(url, headers=headers, query_string={"q": "no-such-word-anywhere"})) == []


def test_over_long_search_is_refused(client, headers, library):
    response = client.get(f"/api/v1/checklists/{library}/items", headers=headers, query_string={"q": "x" * 201})

    assert response.status_code == 422
    assert "q" in response.get_json()["errors"]["query"]


def test_get_item_by_ref(client, headers, library):
    response = client.get(f"/api/v1/checklists/{library}/items/6.1.3", headers=headers)

    assert response.status_code == 200
    item = response.get_json()
    assert item["ref"] == "6.1.3"
    assert item["title"] == "AI risk treatment"
    assert len(item["questions"]) >= 3
    assert all(isinstance(q, str) and q for q in item["questions"])
    assert item["evidence"]["documents"]


def test_get_annex_control_by_ref(client, headers, library):
    response = client.get(f"/api/v1/checklists/{library}/items/A.10.4", headers=headers)

    assert response.status_code == 200
    assert response.get_json()["ref"] == "A.10.4"
    assert response.get_json()["kind"] == "control"


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/checklists/9999",
        "/api/v1/checklists/9999/items",
        "/api/v1/checklists/9999/items/6.1.3",
        "/api/v1/checklists/{library}/items/Z.9",
        "/api/v1/checklists/{library}/items/6.1.3.9",
        "/api/v1/checklists/{library}/items/a.10.4",
    ],
)
def test_unknown_version_or_item_is_404_json(client, headers, library, path):
    response = client.get(path.format(library=library), headers=headers)

    assert response.status_code == 404
    assert response.is_json
    body = response.get_json()
    assert body["code"] == 404
    assert body["message"]


def test_checklists_need_a_token(client, library):
    response = client.get("/api/v1/checklists")

    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_library_is_read_only(client, admin_headers, library, method):
    response = getattr(client, method)(f"/api/v1/checklists/{library}", headers=admin_headers, json={})

    assert response.status_code == 405
    assert response.is_json
