"""The coverage matrix in the API: clauses and controls by default, AI systems and org units on demand, and a
number of SQL statements that does not grow with the programme."""

from __future__ import annotations

import pytest

from tests.fixtures.api_planning import grow

URL = "/api/v1/programmes/{}/coverage"


@pytest.fixture
def grown(app, lead_id, library) -> dict[str, int]:
    return grow(app, lead_id, library, 6)  # audits 3 and 6 are cancelled


def test_by_default_systems_and_units_are_counted_not_listed(client, lead_headers, grown):
    cov = client.get(URL.format(grown["programme_id"]), headers=lead_headers).get_json()

    assert [a["reference"] for a in cov["audits"]] == ["IA-G6-01", "IA-G6-02", "IA-G6-04", "IA-G6-05"]
    assert (cov["total"], len(cov["rows"])) == (70, 70)
    assert cov["systems"] == {"total": 6, "uncovered": 2}  # the systems of the cancelled audits
    assert cov["units"] == {"total": 6, "uncovered": 2}


def test_expand_lists_the_rows_asked_for(client, lead_headers, grown):
    url = URL.format(grown["programme_id"])
    systems = client.get(url, headers=lead_headers, query_string={"expand": "systems"}).get_json()
    both = client.get(url, headers=lead_headers, query_string={"expand": ["systems", "units"]}).get_json()
    wrong = client.get(url, headers=lead_headers, query_string={"expand": "findings"})

    assert "rows" not in systems["units"]
    assert [r["label"] for r in systems["systems"]["rows"]] == [f"Grown system {n:04d}" for n in range(6)]
    assert [len(r["covered_by"]) for r in systems["systems"]["rows"]] == [1, 1, 0, 1, 1, 0]
    assert sum(not r["covered"] for r in both["units"]["rows"]) == both["units"]["uncovered"] == 2
    assert both["systems"] == systems["systems"]
    assert wrong.status_code == 422


def test_reasons_name_a_few_systems_not_the_whole_inventory(client, lead_headers, grown):
    cov = client.get(URL.format(grown["programme_id"]), headers=lead_headers).get_json()
    risky = next(r for r in cov["rows"] if r["ref"] == "6.1.2")
    (reason,) = [r for r in risky["reasons"] if "high-risk" in r]
    assert reason == "3 high-risk AI system(s) in scope: Grown system 0001, Grown system 0003, Grown system 0005"


def _statements(client, query_count, url, headers) -> int:
    with client:
        assert client.get(url, headers=headers).status_code == 200
        return query_count()


def test_statements_do_not_grow_with_the_programme(app, client, lead_headers, lead_id, library, query_count):
    client.get("/api/v1/me", headers=lead_headers)
    small = grow(app, lead_id, library, 3)
    urls = [URL.format(small["programme_id"]) + q for q in ("", "?expand=systems&expand=units")]
    few = [_statements(client, query_count, url, lead_headers) for url in urls]
    grow(app, lead_id, library, 45, programme_id=small["programme_id"])
    many = [_statements(client, query_count, url, lead_headers) for url in urls]
    assert len(client.get(urls[0], headers=lead_headers).get_json()["audits"]) == 32
    assert many == few
    # What the audits concluded (aggregated per item), what they did not audit, and the open nonconformity
    # findings of any programme (one grouped query).
    assert many[0] <= 15


def test_the_matrix_reads_ids_and_names_not_whole_checklist_items(app, client, lead_headers, lead_id, library):
    from flask_sqlalchemy.record_queries import get_recorded_queries

    grown = grow(app, lead_id, library, 4)
    client.get("/api/v1/me", headers=lead_headers)
    with client:
        url = URL.format(grown["programme_id"]) + "?expand=systems&expand=units"
        assert client.get(url, headers=lead_headers).status_code == 200
        statements = [q.statement for q in get_recorded_queries()]
    for column in ("questions", "evidence", "documented_information", "search_text", "purpose"):
        assert not [s for s in statements if f".{column}" in s], column
