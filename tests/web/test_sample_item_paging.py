"""Sample pages, part 4: a big sample's items are listed a page at a time, filtered by result, in bounded queries.

A whole-population sample of 130 items spans three pages of 50. Recording a result returns the auditor to the page
they were on; a replacement is shown on the page it lands on; the evaluation's counts cover every page.
"""

from __future__ import annotations

import re

import pytest

from audit_app.services.sampling.sample_items import ITEMS_PER_PAGE
from tests.fixtures.sample_pages import (
    base,
    create,
    draw,
    grid_row,
    items_of,
    record,
    record_grid,
    set_size,
    text,
    typed,
)

N = 130


def keys(page: str) -> list[str]:
    return re.findall(r'for="i\d+-A1">A1 for ([^<]+)</label>', page)


def rows(page: str) -> list[str]:
    return re.findall(r'<tr id="item-(\d+)"(?: class="refused")?>', page)


@pytest.fixture
def big(client, app, sample_world, login):
    """A drawn whole-population sample of N typed items; returns (sample id, its items in draw order)."""
    login(sample_world.auditor_id)
    sample_id = create(client, sample_world)
    lines = "\n".join(f"K{i:04d}, Item {i}" for i in range(1, N + 1))
    assert typed(client, sample_world, sample_id, lines).status_code == 302
    assert set_size(client, sample_world, sample_id, method="whole_population").status_code == 302
    assert draw(client, sample_world, sample_id).status_code == 302
    items = items_of(app, sample_id)
    assert len(items) == N
    return sample_id, items


def test_items_are_listed_fifty_to_a_page(client, sample_world, big):
    sample_id, items = big
    url = f"{base(sample_world)}/{sample_id}"
    first = text(client.get(url))
    assert "Items (130)" in first
    assert "All items: 1\N{EN DASH}50 of 130 (page 1 of 3)" in first
    assert rows(first) == [str(i["id"]) for i in items[:ITEMS_PER_PAGE]]
    assert keys(first) == [i["key"] for i in items[:ITEMS_PER_PAGE]]
    assert 'rel="next"' in first
    assert 'rel="prev"' not in first

    last = text(client.get(f"{url}?page=3"))
    assert "All items: 101\N{EN DASH}130 of 130 (page 3 of 3)" in last
    assert rows(last) == [str(i["id"]) for i in items[100:]]
    assert 'rel="prev"' in last
    assert 'rel="next"' not in last
    assert "130 item(s) still pending." in last  # the evaluation counts every page

    # Past the end shows the last page; a malformed or negative page number shows the first.
    assert rows(text(client.get(f"{url}?page=99"))) == rows(last)
    assert rows(text(client.get(f"{url}?page=abc"))) == rows(first)
    assert rows(text(client.get(f"{url}?page=-4"))) == rows(first)


def test_filters_show_pending_deviations_and_unexaminable(client, sample_world, big):
    sample_id, items = big
    url = f"{base(sample_world)}/{sample_id}"
    assert record(client, sample_world, sample_id, items[0]["id"], "deviation", "No sign-off").status_code == 302
    assert record(client, sample_world, sample_id, items[60]["id"], "conforming").status_code == 302

    page = text(client.get(url))
    for label in (
        "All items (130)",
        "Pending (128)",
        "Deviations (1)",
        "Cannot be examined (0)",
        "Void (replaced) (0)",
    ):
        assert label in page

    deviations = text(client.get(f"{url}?show=deviation"))
    assert rows(deviations) == [str(items[0]["id"])]
    assert "Deviations: 1\N{EN DASH}1 of 1" in deviations
    assert 'aria-current="page">Deviations (1)' in deviations

    pending = text(client.get(f"{url}?show=pending&page=3"))
    assert "Pending: 101\N{EN DASH}128 of 128 (page 3 of 3)" in pending
    assert str(items[0]["id"]) not in rows(pending)

    assert "No items match “Cannot be examined”." in text(client.get(f"{url}?show=not_testable"))
    assert rows(text(client.get(f"{url}?show=bogus"))) == rows(page)  # an unknown filter shows all items


def test_saving_the_grid_returns_to_the_page_the_auditor_was_on(client, app, sample_world, big):
    sample_id, items = big
    url = f"{base(sample_world)}/{sample_id}"
    second = text(client.get(f"{url}?page=2"))
    target = items[70]
    # The grid on page 2 posts back with its page, so the redirect lands there.
    assert f'action="/audits/{sample_world.audit_id}/samples/{sample_id}/results?page=2"' in second
    response = record_grid(
        client, sample_world, sample_id, {target["id"]: grid_row(target["id"], "conforming")}, page=2
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"{url}?page=2#items")
    assert items_of(app, sample_id)[70]["result"] == "conforming"

    # From a filtered list the filter is kept.
    row = {items[3]["id"]: grid_row(items[3]["id"], "deviation", "Late sign-off")}
    response = record_grid(client, sample_world, sample_id, row, show="pending")
    assert response.headers["Location"].endswith(f"{url}?show=pending#items")


def test_a_refused_row_is_shown_on_the_page_it_came_from_with_what_was_typed(client, app, sample_world, big):
    sample_id, items = big
    target, other = items[75], items[76]
    rows_posted = {
        target["id"]: grid_row(target["id"], "not_testable"),
        other["id"]: grid_row(other["id"], "deviation", "Typed note kept"),
    }
    response = record_grid(client, sample_world, sample_id, rows_posted, page=2)
    assert response.status_code == 400
    page = text(response)
    assert "(page 2 of 3)" in page
    assert f'<tr id="item-{target["id"]}" class="refused">' in page
    assert f"Nothing was saved: 1 row refused (row 76 ({target['key']}))" in page
    assert "Refused: </span>Say why the item cannot be examined" in page
    assert '<option value="not_testable" selected>' in page
    assert "Typed note kept</textarea>" in page  # the row that was fine keeps its value too
    assert [items_of(app, sample_id)[i]["result"] for i in (75, 76)] == ["pending", "pending"]


def test_an_item_of_another_sample_is_refused_here(client, app, sample_world, big):
    sample_id, _ = big
    other = create(client, sample_world)
    assert typed(client, sample_world, other, "A, one\nB, two").status_code == 302
    assert set_size(client, sample_world, other, method="whole_population").status_code == 302
    assert draw(client, sample_world, other).status_code == 302
    foreign = items_of(app, other)[0]
    refused = record(client, sample_world, sample_id, foreign["id"], "conforming")
    assert refused.status_code == 400
    assert f"Nothing was saved: 1 row refused (row #{foreign['id']})" in text(refused)
    assert items_of(app, other)[0]["result"] == "pending"


def test_detail_page_queries_do_not_grow_with_the_items(client, app, sample_world, login, query_count):
    login(sample_world.auditor_id)

    def sample_of(size: int) -> int:
        sample_id = create(client, sample_world)
        lines = "\n".join(f"Q{size}-{i:05d}" for i in range(size))
        assert typed(client, sample_world, sample_id, lines).status_code == 302
        assert set_size(client, sample_world, sample_id, method="whole_population").status_code == 302
        assert draw(client, sample_world, sample_id).status_code == 302
        items = items_of(app, sample_id)
        for item in items[:3]:
            assert record(client, sample_world, sample_id, item["id"], "conforming").status_code == 302
        assert record(client, sample_world, sample_id, items[3]["id"], "void", note="Voided").status_code == 302
        return sample_id

    def queries(sample_id: int) -> int:
        with client:
            assert client.get(f"{base(sample_world)}/{sample_id}").status_code == 200
            return query_count()

    small, large = sample_of(60), sample_of(600)
    assert queries(small) == queries(large)


def test_the_samples_list_counts_items_in_the_database(client, app, sample_world, login, query_count):
    """The list shows "tested of drawn" per sample without loading any item: its queries do not grow with them."""
    login(sample_world.auditor_id)

    def drawn(size: int) -> int:
        sample_id = create(client, sample_world)
        lines = "\n".join(f"L{size}-{i:05d}" for i in range(size))
        assert typed(client, sample_world, sample_id, lines).status_code == 302
        assert set_size(client, sample_world, sample_id, method="whole_population").status_code == 302
        assert draw(client, sample_world, sample_id).status_code == 302
        first = items_of(app, sample_id)[0]
        assert record(client, sample_world, sample_id, first["id"], "conforming").status_code == 302
        return sample_id

    def listing() -> tuple[int, str]:
        with client:
            response = client.get(base(sample_world))
            assert response.status_code == 200
            return query_count(), response.get_data(as_text=True)

    drawn(20)
    small, page = listing()
    assert "<td>1 of 20</td>" in page
    drawn(700)
    large, page = listing()
    assert "<td>1 of 700</td>" in page
    assert small == large
