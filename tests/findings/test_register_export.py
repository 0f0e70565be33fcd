"""The register's pages and exports: filters kept, formulas neutralised, the cap, and what an auditee gets."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook

from audit_app.extensions import db
from audit_app.models import CorrectiveAction
from audit_app.services.findings import export
from tests.findings.register_world import build, finding

DANGEROUS = ["=1+1", "+SUM(A1:A2)", "-2+3", "@cmd", "\tTabbed", "\rReturned"]


@pytest.fixture
def rw(app, fw_world):
    with app.app_context():
        return build(fw_world)


def _csv(response) -> list[list[str]]:
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.mimetype == "text/csv"
    return list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"), newline="")))


def _xlsx(response) -> list[list[str]]:
    assert response.status_code == 200
    assert response.mimetype == export.XLSX_TYPE
    sheet = load_workbook(io.BytesIO(response.get_data()), read_only=True).active
    return [["" if v is None else str(v) for v in row] for row in sheet.iter_rows(values_only=True)]


def test_every_dangerous_first_character_is_neutralised_in_csv_and_xlsx(app, client, login, fw_world, rw):
    with app.app_context():
        targets = [rw.issued, rw.accepted, rw.major, rw.closed, rw.draft, rw.other]
        for finding_id, text in zip(targets, DANGEROUS, strict=True):
            finding(finding_id).title = text  # stored as-is here: the export must not trust what is stored
        for action in db.session.query(CorrectiveAction):
            action.description = '=HYPERLINK("http://evil.test")'
        db.session.commit()
    login(fw_world.lead_id)
    for rows in (_csv(client.get("/findings/register.csv")), _xlsx(client.get("/findings/register.xlsx"))):
        titles = {row[1] for row in rows[1:]}
        assert {"'" + text for text in DANGEROUS} <= titles
        assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for row in rows for cell in row)
    for rows in (
        _csv(client.get("/findings/register.csv?rows=actions")),
        _xlsx(client.get("/findings/register.xlsx?rows=actions")),
    ):
        assert rows[0] == export.ACTION_HEADER
        assert {row[2] for row in rows[1:]} == {'\'=HYPERLINK("http://evil.test")'}


def test_sheet_cells_are_text_never_formulas(app, client, login, fw_world, rw):
    with app.app_context():
        finding(rw.issued).title = "=1+1"
        db.session.commit()
    login(fw_world.lead_id)
    book = load_workbook(io.BytesIO(client.get("/findings/register.xlsx?q=1%2B1").get_data()))
    (row,) = list(book.active.iter_rows(min_row=2))
    assert row[1].data_type == "s"
    assert row[1].value == "'=1+1"


def test_exports_keep_the_filters(app, client, login, fw_world, rw):
    login(fw_world.lead_id)
    rows = _csv(client.get("/findings/register.csv?grade=major"))
    assert rows[0] == export.FINDING_HEADER
    with app.app_context():
        assert [r[0] for r in rows[1:]] == [finding(rw.major).reference]
    page = client.get("/findings/register?grade=major").get_data(as_text=True)
    assert "/findings/register.csv?grade=major" in page
    assert "/findings/register.xlsx?grade=major" in page


def test_an_auditees_exports_hold_only_their_units_issued_findings(app, client, login, fw_world, rw):
    with app.app_context():
        mine = {finding(i).reference for i in (rw.issued, rw.accepted, rw.major, rw.closed)}
        other = finding(rw.other).reference
    login(fw_world.auditee_id)
    for rows in (_csv(client.get("/findings/register.csv")), _xlsx(client.get("/findings/register.xlsx"))):
        assert {r[0] for r in rows[1:]} == mine
        flat = " ".join(" ".join(r) for r in rows)
        assert other not in flat
        assert "Data lineage" not in flat
        assert "Draft" not in flat
    for rows in (
        _csv(client.get("/findings/register.csv?rows=actions")),
        _xlsx(client.get("/findings/register.xlsx?rows=actions")),
    ):
        assert {r[0] for r in rows[1:]} <= mine
        assert "lineage" not in " ".join(" ".join(r) for r in rows)
    # Searching for the other unit's finding finds nothing, in the page and in the export.
    assert len(_csv(client.get("/findings/register.csv?q=lineage"))) == 1
    page = client.get("/findings/register?q=lineage").get_data(as_text=True)
    assert "Nothing matches these filters." in page
    assert other not in page


def test_an_export_beyond_the_cap_is_refused_with_a_message(app, client, login, fw_world, rw, monkeypatch):
    monkeypatch.setattr(export, "MAX_EXPORT_ROWS", 3)
    login(fw_world.lead_id)
    refused = client.get("/findings/register.csv")
    assert refused.status_code == 409
    assert "at most 3 rows and 7 match" in refused.get_data(as_text=True)
    assert client.get("/findings/register.xlsx?grade=major").status_code == 200


def test_the_pages_show_status_in_words_overdue_and_the_views(app, client, login, fw_world, rw):
    login(fw_world.lead_id)
    page = client.get("/findings/register").get_data(as_text=True)
    with app.app_context():
        assert f'/findings/{rw.major}"' in page
        assert finding(rw.major).reference in page
    assert "Plan accepted" in page
    assert "Closed: effective" in page
    assert "Findings and CAPA" in page
    assert "7 findings: 6 open, 0 overdue." in page
    actions = client.get("/findings/register/actions?status=open").get_data(as_text=True)
    assert "Add a lineage step to the pipeline template." in actions
    assert "Corrective actions, by due date (2)" in actions
    bad = client.get("/findings/register?status=nonsense&owner=abc")
    assert bad.status_code == 400
    assert "Some filters were not understood" in bad.get_data(as_text=True)


def test_the_register_is_in_every_roles_navigation(app, client, login, fw_world, rw):
    for user_id in (fw_world.auditee_id, fw_world.viewer_id, fw_world.auditor_id):
        login(user_id)
        assert 'href="/findings/register"' in client.get("/").get_data(as_text=True)


def test_the_audit_filter_offers_an_auditee_only_the_audits_they_may_see(app, client, login, fw_world, rw, library):
    from tests.fixtures.planning import Planning

    with app.app_context():
        hidden = Planning(library).audit(title="Recruitment screening audit")
        db.session.commit()
        hidden_reference = hidden.reference
        visible_reference = finding(rw.issued).audit.reference
    login(fw_world.auditee_id)
    page = client.get("/findings/register").get_data(as_text=True)
    assert visible_reference in page
    assert hidden_reference not in page
    login(fw_world.lead_id)
    assert hidden_reference in client.get("/findings/register").get_data(as_text=True)
