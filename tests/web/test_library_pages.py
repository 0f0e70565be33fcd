"""The clause library pages: versions, items, related links, search and a bounded number of queries."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from audit_app.extensions import db
from audit_app.models import ChecklistItem, ChecklistVersion, Role
from audit_app.services.library import checklists

ITEM_LINK = re.compile(r'<a href="/library/(\d+)/items/([^"]+)"><strong>([^<]+)</strong>')
MAX_QUERIES = 6


@pytest.fixture
def reader(make_user, login) -> int:
    user_id = make_user(Role.VIEWER)
    login(user_id)
    return user_id


def results(page: str) -> list[str]:
    """Refs in the search results section, in order."""
    section = re.search(r'<section aria-labelledby="results-h">(.*?)</section>', page, re.S)
    assert section, "no results section"
    return [ref for _, ref, _ in ITEM_LINK.findall(section.group(1))]


def test_index_lists_the_version_with_its_hash(client, app, library, reader):
    with app.app_context():
        version = db.session.get(ChecklistVersion, library)
        content_hash, title = version.content_hash, version.title
    page = client.get("/library/").get_data(as_text=True)
    assert f'href="/library/{library}/">{title}</a>' in page
    assert "<code>iso42001</code>" in page
    assert "1.2.0" in page
    assert f'title="{content_hash}">{content_hash[:16]}…' in page


def test_empty_library_says_how_to_fill_it(client, reader):
    page = client.get("/library/").get_data(as_text=True)
    assert "The library is empty" in page


def test_version_page_lists_all_items(client, app, library, reader):
    response = client.get(f"/library/{library}/")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    links = ITEM_LINK.findall(page)
    with app.app_context():
        refs = list(
            db.session.scalars(
                sa.select(ChecklistItem.ref).where(ChecklistItem.version_id == library).order_by(ChecklistItem.position)
            )
        )
    assert len(refs) == 92
    assert [ref for _, ref, _ in links] == refs
    assert {int(v) for v, _, _ in links} == {library}
    assert "6.1.4" in refs
    assert "A.10.4" in refs
    assert "<dt>Items</dt><dd>92 (" in page


def test_item_page_shows_questions_evidence_and_related_links(client, library, reader):
    response = client.get(f"/library/{library}/items/6.1.4")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "AI system impact assessment" in page
    assert "What is your impact assessment process? When is it triggered, and who carries it out?" in page
    for heading in ("Audit questions", "Evidence to look for", "Documents to review", "Records to sample"):
        assert f">{heading}</h" in page
    assert "People to interview (by role)" in page
    assert "Impact assessment procedure and template" in page
    assert "Results of each AI system impact assessment." in page
    related = re.search(r'<section aria-labelledby="rel-h">(.*?)</section>', page, re.S).group(1)
    related_refs = [ref for _, ref, _ in ITEM_LINK.findall(related)]
    assert "8.4" in related_refs
    assert "A.5" in related_refs
    assert f'href="/library/{library}/items/8.4"' in related
    # breadcrumbs lead back up to the parent clause
    assert f'<a href="/library/{library}/items/6.1">6.1</a>' in page


def test_grouping_item_lists_its_children(client, library, reader):
    page = client.get(f"/library/{library}/items/A.5").get_data(as_text=True)
    children = re.search(r'<section aria-labelledby="ch-h">(.*?)</section>', page, re.S).group(1)
    assert [ref for _, ref, _ in ITEM_LINK.findall(children)] == ["A.5.2", "A.5.3", "A.5.4", "A.5.5"]


def test_search_by_id_puts_the_exact_item_first(client, library, reader):
    page = client.get("/library/", query_string={"q": "A.6.2.8"}).get_data(as_text=True)
    found = results(page)
    assert found[0] == "A.6.2.8"
    assert "AI system recording of event logs" in page


def test_search_by_id_is_case_insensitive(client, library, reader):
    page = client.get("/library/", query_string={"q": "a.6.2.8"}).get_data(as_text=True)
    assert results(page)[0] == "A.6.2.8"


def test_search_by_title_word(client, library, reader):
    found = results(client.get("/library/", query_string={"q": "impact assessment"}).get_data(as_text=True))
    assert "6.1.4" in found
    assert "8.4" in found


def test_search_by_text(client, library, reader):
    page = client.get("/library/", query_string={"q": "provenance"}).get_data(as_text=True)
    found = results(page)
    assert found
    assert f"{len(found)} result" in page
    # "PESTLE" appears only in the evidence hints of clause 4, never in a title
    assert results(client.get("/library/", query_string={"q": "PESTLE"}).get_data(as_text=True)) == ["4"]


def test_search_treats_wildcards_literally(client, library, reader):
    page = client.get("/library/", query_string={"q": "%"}).get_data(as_text=True)
    assert results(page) == []


def test_search_without_match_says_so(client, library, reader):
    page = client.get("/library/", query_string={"q": "zebra crossing quantum"}).get_data(as_text=True)
    assert "0 results for “zebra crossing quantum”" in page
    assert "Nothing matches every word." in page


@pytest.mark.parametrize("path", ["/library/{v}/items/99.99", "/library/{v}/items/6.1.4.9", "/library/999999/"])
def test_unknown_item_or_version_is_404_inside_the_layout(client, library, reader, path):
    response = client.get(path.format(v=library))
    assert response.status_code == 404
    page = response.get_data(as_text=True)
    assert '<a class="skip-link" href="#main">' in page
    assert '<nav aria-label="Main"' in page
    assert "<h1>Page not found</h1>" in page


def _queries_for(client, query_count, path: str) -> int:
    with client:
        response = client.get(path)
        assert response.status_code == 200
        return query_count()


def test_version_page_uses_a_bounded_number_of_queries(client, app, library, reader, query_count):
    big = _queries_for(client, query_count, f"/library/{library}/")
    assert 0 < big <= MAX_QUERIES

    small_yaml = (
        b'checklist: {code: tiny, title: Tiny, version: "1"}\n'
        b"items:\n"
        b'  - {id: T-1, title: Only item, kind: requirement, parent: null, questions: ["a?", "b?", "c?"],'
        b" evidence: {records: [r]}}\n"
    )
    with app.app_context():
        small_id = checklists.load_upload("tiny.yaml", small_yaml, actor=None).version.id
        db.session.commit()
    small = _queries_for(client, query_count, f"/library/{small_id}/")
    assert big == small  # 92 items cost no more queries than one


def test_item_page_uses_a_bounded_number_of_queries(client, library, reader, query_count):
    assert _queries_for(client, query_count, f"/library/{library}/items/6.1.4") <= MAX_QUERIES
