"""The register answers with the same number of SQL statements whatever its size (issue 10, item 10)."""

from __future__ import annotations

import pytest

from audit_app.services.findings import export
from tests.findings.register_world import build, bulk

URLS = [
    "/findings/register",
    "/findings/register?status=open&overdue=y&ref=4&page=2&per_page=5",
    "/findings/register?q=bulk&grade=minor",
    "/findings/register/actions",
    "/findings/register/actions?overdue=y&per_page=5&page=2",
]


def _statements(client, query_count, url: str) -> int:
    with client:
        response = client.get(url)
        assert response.status_code == 200, url
        return query_count()


@pytest.mark.parametrize("who", ["lead_id", "auditee_id"])
def test_register_pages_issue_the_same_statements_with_3_or_40_findings(app, client, login, fw_world, query_count, who):
    with app.app_context():
        build(fw_world)
        bulk(fw_world, 3)
    login(getattr(fw_world, who))
    few = {url: _statements(client, query_count, url) for url in URLS}
    with app.app_context():
        bulk(fw_world, 37, start=4)
    many = {url: _statements(client, query_count, url) for url in URLS}
    assert many == few
    page = client.get("/findings/register?per_page=100").get_data(as_text=True)
    assert "recurs:" in page
    assert "OVERDUE" in page


def test_exports_read_in_chunks_with_statements_bounded_by_the_chunks(
    app, client, login, fw_world, query_count, monkeypatch
):
    with app.app_context():
        build(fw_world)
        bulk(fw_world, 12)
    login(fw_world.lead_id)
    monkeypatch.setattr(export, "CHUNK", 5)
    small = _statements(client, query_count, "/findings/register.csv?grade=major")  # 7 rows: 2 chunks
    large = _statements(client, query_count, "/findings/register.csv")  # 19 rows: 4 chunks
    # Each chunk: its rows, their criteria, the grade schemes, their recurrences, due dates and action dates.
    assert large - small == 2 * 6
