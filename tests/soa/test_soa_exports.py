"""The SoA exports reopened: the Word document (cover, DRAFT marking on drafts, every control in the table, open
points) and the XLSX workbook (every control, formula-safe cells)."""

from __future__ import annotations

import io

from flask import Flask
from openpyxl import load_workbook

from audit_app.documents.document import DRAFT_MARK
from audit_app.extensions import db
from audit_app.models import User
from audit_app.services.soa import export, status, versions
from audit_app.services.soa.versions import EntryInput
from tests.reports.docx_read import header_text, reopen, styled, tables
from tests.soa.conftest import SoaWorld, fill, good_input


def _approved_with_custom(world: SoaWorld) -> tuple:
    admin = db.session.get(User, world.admin_id)
    version = versions.start_draft(admin)
    fill(version, admin, world.unit_id)
    custom = versions.add_custom(admin, version, "ORG-1", "Model cards for deployed models", revision=None)
    data = good_input(custom, world.unit_id)
    versions.update_entry(
        admin,
        version,
        custom,
        EntryInput(**{**data.__dict__, "justification": "=HYPERLINK(\"http://x\") is what we write", "system_ids":
                      [world.system_id]}),
        revision=None,
    )  # fmt: skip
    return admin, version


def test_word_export_has_every_control(app: Flask, soa_world: SoaWorld) -> None:
    with app.app_context():
        admin, version = _approved_with_custom(soa_world)
        draft = export.word(admin, version)
        versions.approve(admin, version, change_note="", confirmed=False, revision=None)
        approved = export.word(admin, version)
        refs = [c.ref for c in status.annex_a_controls()]
    assert draft.file_name == "Statement of Applicability draft1.docx"
    assert approved.file_name == "Statement of Applicability v1.docx"
    document = reopen(draft.data)
    assert styled(document, "Draft Marking") == [DRAFT_MARK]
    assert "DRAFT" in header_text(document)
    assert styled(document, "Cover Title") == ["Statement of Applicability"]
    rows = tables(document)[0]
    assert rows[0][:3] == ["Control", "Decision", "Justification"]
    listed = [row[0].split("\n")[0] for row in rows[1:]]
    assert listed == [*refs, "ORG-1"]
    assert len(listed) == 39
    assert rows[1][0] == "A.2.2\nAI policy"
    assert rows[1][1] == "Applicable\nIn progress"
    assert rows[-1][0] == "ORG-1\nModel cards for deployed models\n(own control)"
    assert "Credit scoring model" in rows[-1][4]
    assert styled(document, "Heading 1") == ["Summary", "Controls", "Open points"]
    excluded = next(row for row in rows if row[0].startswith("A.6.1.2"))
    assert excluded[1] == "Excluded"

    issued = reopen(approved.data)
    assert styled(issued, "Draft Marking") == []
    assert any("Approved" in p and "Test admin" in p for p in styled(issued, "Cover Field"))
    assert [row[0].split("\n")[0] for row in tables(issued)[0][1:]] == [*refs, "ORG-1"]


def test_word_export_lists_open_points(app: Flask, soa_world: SoaWorld) -> None:
    with app.app_context():
        admin = db.session.get(User, soa_world.admin_id)
        version = versions.start_draft(admin)
        document = reopen(export.word(admin, version).data)
    rows = tables(document)[-1]
    assert rows[0] == ["Control", "What is missing or flagged"]
    assert len(rows) == 39
    assert rows[1][1].startswith("Missing: decision (applicable or excluded); justification; owner unit")
    assert all(row[1] == "Not decided" for row in tables(document)[0][1:])


def test_xlsx_export_has_every_control_and_safe_cells(app: Flask, soa_world: SoaWorld) -> None:
    with app.app_context():
        admin, version = _approved_with_custom(soa_world)
        result = export.workbook(admin, version)
        refs = [c.ref for c in status.annex_a_controls()]
    assert result.file_name == "Statement of Applicability draft1.xlsx"
    sheet = load_workbook(io.BytesIO(result.data)).active
    values = list(sheet.values)
    assert values[1][0] == "DRAFT — not approved"
    assert list(values[3]) == list(export.HEADERS)
    assert [row[0] for row in values[4:]] == [*refs, "ORG-1"]
    custom = values[-1]
    assert custom[3] == '\'=HYPERLINK("http://x") is what we write'
    assert custom[6] == "R-39\nCredit scoring model"
    assert values[4][2] == "Applicable"
    assert values[4][8] == "2026-01-15"
