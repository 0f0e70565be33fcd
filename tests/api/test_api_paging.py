"""Paged API lists: audits, AI systems, org units, programmes and users.

One scheme for every list (api/paging.py): `page` and `per_page` (at most 100) in the query, the items as a
plain JSON array, the total in X-Total-Count and the other pages in a Link header. The number of SQL statements
a list costs does not grow with the data.
"""

from __future__ import annotations

import re

import pytest

from audit_app.models import Role
from tests.fixtures.api_planning import grow, make_programme

LISTS = ["/api/v1/audits", "/api/v1/org-units", "/api/v1/ai-systems", "/api/v1/programmes", "/api/v1/users"]


def links(response) -> dict[str, str]:
    """rel -> address, from the Link header."""
    return {rel: url for url, rel in re.findall(r'<([^>]+)>; rel="(\w+)"', response.headers.get("Link", ""))}


@pytest.fixture
def grown(app, lead_id, library) -> dict[str, int]:
    """7 of everything a list shows (audits, units, systems, accounts; and 4 programmes)."""
    data = grow(app, lead_id, library, 7)
    for code in ("2023", "2024", "2025"):
        make_programme(app, lead_id, library, code=code)
    return data


def _total(client, url, headers) -> int:
    return int(client.get(url, headers=headers).headers["X-Total-Count"])


@pytest.mark.parametrize("url", LISTS)
def test_a_list_is_paged_with_its_total_and_links(client, admin_headers, grown, url):
    total = _total(client, url, admin_headers)
    assert total >= 4

    first = client.get(url, headers=admin_headers, query_string={"per_page": 2})
    second = client.get(links(first)["next"], headers=admin_headers)
    last = client.get(links(first)["last"], headers=admin_headers)
    everything = client.get(url, headers=admin_headers, query_string={"per_page": 100})

    assert first.status_code == second.status_code == last.status_code == 200
    assert len(first.json) == len(second.json) == 2
    assert first.headers["X-Total-Count"] == str(total)
    assert set(links(first)) == {"next", "first", "last"}
    assert links(first)["next"].endswith("page=2&per_page=2")
    assert links(first)["last"].endswith(f"page={(total + 1) // 2}&per_page=2")
    assert links(second)["prev"].endswith("page=1&per_page=2")
    assert "next" not in links(last)
    assert len(everything.json) == total  # pages in a stable order: together they are the whole list
    ids = [x["id"] for x in everything.json]
    assert [x["id"] for x in first.json + second.json] == ids[:4]
    assert [x["id"] for x in last.json] == ids[(total - 1) // 2 * 2 :]


@pytest.mark.parametrize("url", LISTS)
def test_paging_parameters_out_of_bounds_are_refused(client, admin_headers, url):
    for query, field in (({"per_page": 101}, "per_page"), ({"per_page": 0}, "per_page"), ({"page": 0}, "page")):
        response = client.get(url, headers=admin_headers, query_string=query)
        assert response.status_code == 422
        assert field in response.json["errors"]["query"]
    huge = client.get(url, headers=admin_headers, query_string={"page": 2**63})
    assert huge.status_code == 422


def test_a_page_past_the_end_is_empty_and_links_back(client, admin_headers, make_unit):
    make_unit("Only unit")
    response = client.get("/api/v1/org-units?page=5", headers=admin_headers)
    assert response.status_code == 200
    assert response.json == []
    assert response.headers["X-Total-Count"] == "1"
    assert links(response)["prev"].endswith("page=1&per_page=50")
    assert "next" not in links(response)


def test_without_parameters_the_first_fifty_come_as_before(client, admin_headers, make_unit):
    for n in range(3):
        make_unit(f"Unit {n}")
    response = client.get("/api/v1/org-units", headers=admin_headers)
    assert isinstance(response.json, list)
    assert len(response.json) == 3
    assert set(links(response)) == {"first", "last"}


def test_links_keep_the_filters(client, lead_headers, grown):
    response = client.get("/api/v1/audits?status=cancelled&per_page=1", headers=lead_headers)
    assert response.headers["X-Total-Count"] == "2"
    assert [a["status"] for a in response.json] == ["cancelled"]
    following = client.get(links(response)["next"], headers=lead_headers)
    assert "status=cancelled" in links(response)["next"]
    assert [a["status"] for a in following.json] == ["cancelled"]
    assert following.json[0]["id"] != response.json[0]["id"]


def test_auditees_count_only_their_own_audits(client, app, grown, make_user, make_unit, token_for):
    headers = token_for(make_user(Role.AUDITEE, unit_id=make_unit("Nowhere")))
    response = client.get("/api/v1/audits", headers=headers)
    assert response.json == []
    assert response.headers["X-Total-Count"] == "0"


def test_the_document_describes_the_paging(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    for url in LISTS:
        operation = spec["paths"][url]["get"]
        params = {p["name"]: p["schema"] for p in operation["parameters"]}
        assert params["page"]["minimum"] == 1
        assert (params["per_page"]["minimum"], params["per_page"]["maximum"], params["per_page"]["default"]) == (
            1,
            100,
            50,
        )
        headers = operation["responses"]["200"]["headers"]
        assert set(headers) == {"X-Total-Count", "Link"}
        assert operation["responses"]["200"]["content"]["application/json"]["schema"]["type"] == "array"


# --- Query counts ---------------------------------------------------------------------------------------------------


def _statements(client, query_count, url, headers) -> int:
    with client:
        response = client.get(url, headers=headers)
        assert response.status_code == 200
        return query_count()


def test_statements_per_list_do_not_grow_with_the_data(app, client, admin_headers, lead_id, library, query_count):
    urls = [*LISTS, "/api/v1/audits?unit_id=1&status=planned", "/api/v1/audits?per_page=2&page=2"]
    client.get("/api/v1/me", headers=admin_headers)  # the token's first use is recorded once
    small = grow(app, lead_id, library, 3)
    few = {url: _statements(client, query_count, url, admin_headers) for url in urls}
    grow(app, lead_id, library, 110, programme_id=small["programme_id"])
    for n in range(55):
        make_programme(app, lead_id, library, code=f"P{n}")
    many = {url: _statements(client, query_count, url, admin_headers) for url in urls}
    for url in LISTS:
        assert int(client.get(url, headers=admin_headers).headers["X-Total-Count"]) > 50
    assert many == few
    # The caller, the count and the page (with what it shows of each row); the AI systems' roles in one more.
    assert max(n for url, n in many.items() if not url.startswith("/api/v1/ai-systems")) <= 4
    assert many["/api/v1/ai-systems"] <= 5
