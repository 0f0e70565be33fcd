"""The Word foundation every document is built on: safe text, the default template's styles, header and footer,
page numbers, the table of contents field, numbered headings and the DRAFT marking."""

from __future__ import annotations

import io
from pathlib import Path

import docx
import pytest
from docx.oxml.ns import qn

from audit_app.documents.default_template import build_default_template
from audit_app.documents.document import DRAFT_MARK, ReportDocument
from audit_app.documents.styles import REQUIRED_STYLES
from audit_app.documents.wordsafe import REPLACEMENT, word_text

ROOT = Path(__file__).resolve().parents[2]
COMMITTED = ROOT / "report_templates" / "audit_report.docx"

#: Text users paste: controls from PDFs and terminals, separators, markup look-alikes, RTL, emoji, surrogates.
HOSTILE = [
    "\x00NUL at the start",
    "bell \x07 and escape \x1b[31m red",
    "vertical\x0btab and form\x0cfeed",
    "lone surrogate \ud800 here",
    "non-characters \ufffe \uffff",
    "<w:p><w:r><w:t>injected</w:t></w:r></w:p>",
    "{{ audit.title }} {% if x %} ${x} %(name)s",
    "&amp; &lt; <![CDATA[x]]> <!-- comment -->",
    "مرحبا بالعالم — שלום עולם",
    "\u202eevil.exe\u202c bidi override",
    "emoji 😀👩🏽‍💻🇬🇧 and combining é",
    "line one\nline two\ttabbed\r\nwindows\rmac",
    "x" * 20_000,
]


def _reopen(data: bytes) -> docx.document.Document:
    return docx.Document(io.BytesIO(data))


def test_word_text_replaces_only_what_xml_cannot_hold() -> None:
    assert word_text(None) == ""
    assert word_text(42) == "42"
    assert word_text("a\x00b\x0bc\ud800d\uffffe") == f"a{REPLACEMENT}b{REPLACEMENT}c{REPLACEMENT}d{REPLACEMENT}e"
    kept = "tab\tnew\nline مرحبا 😀 <w:p> {{ x }} &amp;"
    assert word_text(kept) == kept
    assert word_text("a\r\nb\rc") == "a\nb\nc"


def test_committed_template_is_the_generated_one_and_has_every_style() -> None:
    template = _reopen(COMMITTED.read_bytes())
    present = {style.name: style.type for style in template.styles}
    assert {name: present.get(name) for name in REQUIRED_STYLES} == REQUIRED_STYLES
    generated = _reopen(build_default_template())
    assert [s.name for s in generated.styles] == [s.name for s in template.styles]


def test_every_hostile_text_comes_out_literally_or_replaced() -> None:
    document = ReportDocument(build_default_template())
    document.properties(title=HOSTILE[0], subject=HOSTILE[5], author=HOSTILE[8], keywords=HOSTILE[3])
    document.header_footer(title=HOSTILE[6], marking=HOSTILE[1], draft=True)
    for value in HOSTILE:
        document.heading(value, 1)
        document.paragraph(value)
        document.labelled(value, value)
    document.table(HOSTILE[:3], [HOSTILE[i : i + 3] for i in range(0, 12, 3)])
    reopened = _reopen(document.to_bytes())
    texts = [p.text for p in reopened.paragraphs]
    assert "<w:p><w:r><w:t>injected</w:t></w:r></w:p>" in texts
    assert "{{ audit.title }} {% if x %} ${x} %(name)s" in texts
    assert "&amp; &lt; <![CDATA[x]]> <!-- comment -->" in texts
    assert "مرحبا بالعالم — שלום עולם" in texts
    assert "emoji 😀👩🏽‍💻🇬🇧 and combining é" in texts
    assert f"{REPLACEMENT}NUL at the start" in texts
    assert "x" * 20_000 in texts
    # Python-docx writes a newline as a line break and a tab as a tab: both read back as typed.
    assert "line one\nline two\ttabbed\nwindows\nmac" in texts
    # The injected markup did not become a paragraph of its own.
    assert "injected" not in texts
    cells = [cell.text for row in reopened.tables[0].rows for cell in row.cells]
    assert "vertical\ufffdtab and form\ufffdfeed" in cells


def test_header_footer_marking_page_numbers_and_draft_mark() -> None:
    document = ReportDocument(build_default_template())
    document.header_footer(title="IA-2026-01 AI governance", marking="Internal use only", draft=True)
    document.paragraph("Body")
    reopened = _reopen(document.to_bytes())
    section = reopened.sections[0]
    header = [p.text for p in section.header.paragraphs]
    assert DRAFT_MARK in header
    assert "IA-2026-01 AI governance — Internal use only" in header
    footer_xml = section.footer._element.xml
    assert "Internal use only" in [p.text for p in section.footer.paragraphs]
    assert "PAGE" in footer_xml
    assert "NUMPAGES" in footer_xml
    assert "Page " in [p.text[:5] for p in section.footer.paragraphs]


def test_issued_documents_carry_no_draft_mark() -> None:
    document = ReportDocument(build_default_template())
    document.header_footer(title="IA-2026-01", marking="Confidential", draft=False)
    header = [p.text for p in _reopen(document.to_bytes()).sections[0].header.paragraphs]
    assert DRAFT_MARK not in header
    assert "IA-2026-01 — Confidential" in header


def test_table_of_contents_field_is_refreshed_on_open_and_headings_are_numbered() -> None:
    document = ReportDocument(build_default_template())
    document.table_of_contents()
    document.heading("Executive summary", 1)
    document.heading("Scope", 2)
    reopened = _reopen(document.to_bytes())
    body_xml = reopened.element.body.xml
    assert 'TOC \\o "1-3" \\h \\z \\u' in body_xml
    update = reopened.settings.element.find(qn("w:updateFields"))
    assert update is not None
    assert update.get(qn("w:val")) == "true"
    for level in (1, 2, 3):
        num_pr = reopened.styles[f"Heading {level}"].element.pPr.find(qn("w:numPr"))
        assert num_pr is not None, f"Heading {level} is not numbered"
        assert num_pr.find(qn("w:ilvl")).get(qn("w:val")) == str(level - 1)


def test_tables_repeat_their_header_row() -> None:
    document = ReportDocument(build_default_template())
    document.table(("Ref", "Title"), [(f"A.{n}", f"Control {n}") for n in range(50)])
    table = _reopen(document.to_bytes()).tables[0]
    assert table.style.name == "Report Table"
    assert len(table.rows) == 51
    assert table.rows[0]._tr.trPr.find(qn("w:tblHeader")) is not None
    assert [c.text for c in table.rows[50].cells] == ["A.49", "Control 49"]


def test_a_template_without_the_styles_is_refused_by_name() -> None:
    plain = io.BytesIO()
    docx.Document().save(plain)
    with pytest.raises(KeyError) as refused:
        ReportDocument(plain.getvalue())
    assert "Cover Title" in str(refused.value)
    assert "Report Table" in str(refused.value)


def test_cli_writes_the_default_template(app, tmp_path: Path) -> None:
    target = tmp_path / "brand-me.docx"
    with app.app_context():
        result = app.test_cli_runner().invoke(args=["reports", "template", str(target)])
    assert result.exit_code == 0, result.output
    assert f"Wrote {target}" in result.output
    written = {style.name: style.type for style in _reopen(target.read_bytes()).styles}
    assert {name: written.get(name) for name in REQUIRED_STYLES} == REQUIRED_STYLES
