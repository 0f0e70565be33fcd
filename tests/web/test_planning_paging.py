"""Paged list pages: audits, org units, AI systems, programmes and user accounts.

Each shows one page (50 rows unless ?per_page= says otherwise, at most 100), says where it is ("Showing 51 to
100 of 113", with an en dash) and links to the other pages keeping the filters; a page costs the same number of
SQL statements with 3 rows or 113.
"""

from __future__ import annotations

import re

import pytest

from audit_app.models import Role
from tests.fixtures.api_planning import grow, make_programme

PAGES = ["/audits/", "/organisation/units", "/organisation/ai-systems", "/programmes/", "/admin/users"]


@pytest.fixture
def admin_in(make_user, login) -> int:
    admin_id = make_user(Role.ADMIN)
    login(admin_id)
    return admin_id


def rows(page: str) -> list[str]:
    """The row headers of the page's main table (a link or a name per row)."""
    body = page[page.index("<tbody>") : page.index("</tbody>")]
    return re.findall(r'<th scope="row">(.*?)</th>', body, re.S)


def pager_links(page: str) -> dict[str, str]:
    """Link text -> address, in the first pager of the page."""
    nav = re.search(r'<nav aria-label="Pages of[^"]*">(.*?)</nav>', page, re.S)
    if nav is None:
        return {}
    return {
        text: href.replace("&amp;", "&")
        for href, text in re.findall(r'<a href="([^"]+)"[^>]*>([^<]+)</a>', nav.group(1))
    }


@pytest.mark.parametrize("path", PAGES)
def test_a_page_shows_one_page_and_links_to_the_others(client, app, admin_in, library, path):
    grow(app, admin_in, library, 7)
    for code in ("2023", "2024", "2025"):
        make_programme(app, admin_in, library, code=code)

    first = client.get(f"{path}?per_page=3").get_data(as_text=True)
    links = pager_links(first)
    second = client.get(links["Next page"]).get_data(as_text=True)
    everything = client.get(f"{path}?per_page=100").get_data(as_text=True)

    assert len(rows(first)) == 3
    assert "Showing 1\u20133 of" in first
    assert links["Page 2"].endswith("per_page=3&page=2")
    assert "Previous page" not in links
    assert rows(first) + rows(second)[:3] == rows(everything)[:6]
    assert re.search("Showing 4\u2013\\d+ of", second)
    assert pager_links(everything) == {}  # one page: no pager


def test_filters_stay_in_the_pager_links(client, app, admin_in, library):
    grow(app, admin_in, library, 7)
    page = client.get("/audits/?status=cancelled&per_page=1").get_data(as_text=True)
    assert "2 audits matching the filters" in page
    assert pager_links(page)["Next page"] == "/audits/?status=cancelled&per_page=1&page=2"
    assert "cancelled" in client.get("/audits/?status=cancelled&per_page=1&page=2").get_data(as_text=True)


def test_a_page_past_the_end_shows_the_last_page(client, app, admin_in, library):
    grow(app, admin_in, library, 4)
    page = client.get("/organisation/units?per_page=3&page=9").get_data(as_text=True)
    assert len(rows(page)) == 1
    assert "Showing 4\u20134 of 4" in page


def test_the_profile_counts_units_without_listing_them(client, app, admin_in, library):
    grow(app, admin_in, library, 4)
    assert "All 4 org units" in client.get("/organisation/").get_data(as_text=True)


# --- Query counts ---------------------------------------------------------------------------------------------------


def _statements(client, query_count, url: str) -> int:
    with client:
        assert client.get(url).status_code == 200
        return query_count()


def test_statements_per_page_do_not_grow_with_the_data(client, app, admin_in, library, query_count):
    urls = [*PAGES, "/audits/?status=planned&per_page=2&page=2", "/organisation/"]
    small = grow(app, admin_in, library, 3)
    _statements(client, query_count, "/organisation/")  # the organisation's row is created on first use
    few = {url: _statements(client, query_count, url) for url in urls}
    grow(app, admin_in, library, 110, programme_id=small["programme_id"])
    for n in range(55):
        make_programme(app, admin_in, library, code=f"P{n}")
    many = {url: _statements(client, query_count, url) for url in urls}
    for url in PAGES:
        assert "Next page" in client.get(url).get_data(as_text=True), url
    assert many == few
