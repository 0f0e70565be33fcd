"""A Word document built on a template's named styles: the small set of moves every builder needs.

The template's body is cleared (its page set-up, header and footer stay); the builder adds every heading,
paragraph and table itself with the template's styles, so nothing is substituted inside Word runs. All text goes
through `word_text`. Tables are filled row by row (`add_row().cells`), never with `table.cell(r, c)`, which
rescans the table on every call.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence

from docx import Document
from docx.enum.text import WD_BREAK
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.oxml.xmlchemy import BaseOxmlElement
from docx.shared import Cm
from docx.table import Table
from docx.text.paragraph import Paragraph
from lxml import etree

from audit_app.documents.styles import REQUIRED_STYLES
from audit_app.documents.wordsafe import word_text

DRAFT_MARK = "DRAFT — not issued"


class ReportDocument:
    """One document being built from a template's bytes."""

    def __init__(self, template: bytes) -> None:
        self.doc = Document(io.BytesIO(template))
        body = self.doc.element.body
        for child in list(body):
            if child.tag != qn("w:sectPr"):
                body.remove(child)
        self._style_ids = {style.name: style.style_id for style in self.doc.styles if style.name in REQUIRED_STYLES}
        missing = sorted(set(REQUIRED_STYLES) - set(self._style_ids))
        if missing:
            raise KeyError(f"the template lacks the styles: {', '.join(missing)}")
        self._body = self.doc._body
        #: New blocks go before the body's final section properties.
        self._end = body[-1]
        self._table_style_id = next(style.style_id for style in self.doc.styles if style.name == "Report Table")
        section = self.doc.sections[-1]
        text_width = int(section.page_width or Cm(21)) - int(section.left_margin or 0) - int(section.right_margin or 0)
        self._text_width_twips = text_width // 635 if text_width > 0 else int(Cm(16).twips)  # 635 EMU per twip

    # --- document-wide -----------------------------------------------------------------------------------
    def properties(self, *, title: str, subject: str = "", author: str = "", keywords: str = "") -> None:
        core = self.doc.core_properties
        core.title = word_text(title)[:250]
        core.subject = word_text(subject)[:250]
        core.author = word_text(author)[:250]
        core.keywords = word_text(keywords)[:250]

    def header_footer(self, *, title: str, marking: str, draft: bool) -> None:
        """The marking (and DRAFT on drafts) in every header; the marking and "Page X of Y" in every footer."""
        for section in self.doc.sections:
            header = section.header
            if draft:
                self._add(header, DRAFT_MARK, "Draft Marking")
            self._add(header, f"{title} — {marking}" if marking else title, "Header")
            footer = section.footer
            if marking:
                self._add(footer, marking, "Marking")
            if "PAGE" not in footer._element.xml:
                page = self._add(footer, "Page ", "Footer")
                _field(page, "PAGE", "1")
                page.add_run(" of ")
                _field(page, "NUMPAGES", "1")

    def table_of_contents(self, heading: str = "Contents") -> None:
        """A TOC field (headings 1 to 3) that Word refreshes when the document opens."""
        self.paragraph(heading, "TOC Heading")
        paragraph = self.paragraph("", "Normal")
        run = paragraph.add_run()
        begin = OxmlElement("w:fldChar")
        begin.set(qn("w:fldCharType"), "begin")
        instr = OxmlElement("w:instrText")
        instr.set(qn("xml:space"), "preserve")
        instr.text = 'TOC \\o "1-3" \\h \\z \\u'
        separate = OxmlElement("w:fldChar")
        separate.set(qn("w:fldCharType"), "separate")
        run._r.append(begin)
        run._r.append(instr)
        run._r.append(separate)
        paragraph.add_run("The table of contents is refreshed when the document is opened in Word.")
        end_run = paragraph.add_run()
        end = OxmlElement("w:fldChar")
        end.set(qn("w:fldCharType"), "end")
        end_run._r.append(end)
        settings = self.doc.settings.element
        if settings.find(qn("w:updateFields")) is None:
            update = OxmlElement("w:updateFields")
            update.set(qn("w:val"), "true")
            settings.append(update)

    # --- content -----------------------------------------------------------------------------------------
    def heading(self, text: str, level: int = 1) -> Paragraph:
        return self.paragraph(text, f"Heading {max(1, min(level, 3))}")

    def paragraph(self, text: object = "", style: str = "Body Text") -> Paragraph:
        p = _paragraph_element(self._style_ids[style], word_text(text))
        self._end.addprevious(p)
        return Paragraph(p, self._body)

    def labelled(self, label: str, text: object, style: str = "Body Text") -> Paragraph:
        """ "Label: text", the label in the Strong character style."""
        p = _paragraph_element(self._style_ids[style], "")
        p.append(_run_element(word_text(f"{label}: "), self._style_ids["Strong"]))
        p.append(_run_element(word_text(text) or "—"))
        self._end.addprevious(p)
        return Paragraph(p, self._body)

    def bullets(self, items: Iterable[object]) -> None:
        for item in items:
            self.paragraph(item, "List Bullet")

    def table(
        self, headers: Sequence[str], rows: Iterable[Sequence[object]], *, widths_cm: Sequence[float] | None = None
    ) -> Table:
        """A table in the "Report Table" style whose first row repeats on every page.

        Built as XML directly (one element per row and cell, appended in order): python-docx's own row and cell
        calls search the children of every element they touch, which made a 300-finding report several times
        slower than the same content written plainly.
        """
        count = len(headers)
        if widths_cm:
            widths = [int(Cm(width).twips) for width in widths_cm]
        else:
            widths = [self._text_width_twips // count] * count
        tbl = _element("w:tbl")
        tbl_pr = _sub(tbl, "w:tblPr")
        _sub(tbl_pr, "w:tblStyle", val=self._table_style_id)
        _sub(tbl_pr, "w:tblW", w="0", type="auto")
        _sub(tbl_pr, "w:tblLook", val="04A0", firstRow="1", lastRow="0", firstColumn="1", lastColumn="0",
             noHBand="0", noVBand="1")  # fmt: skip
        grid = _sub(tbl, "w:tblGrid")
        for width in widths:
            _sub(grid, "w:gridCol", w=str(width))
        heading_id, text_id = self._style_ids["Table Heading"], self._style_ids["Table Text"]
        header = _sub(tbl, "w:tr")
        _sub(_sub(header, "w:trPr"), "w:tblHeader", val="true")
        for text, width in zip(headers, widths, strict=True):
            header.append(_cell_element(width, heading_id, word_text(text)))
        for values in rows:
            if len(values) != count:
                raise ValueError(f"a row of {len(values)} cells in a table of {count} columns")
            tr = _sub(tbl, "w:tr")
            for value, width in zip(values, widths, strict=True):
                tr.append(_cell_element(width, text_id, word_text(value)))
        self._end.addprevious(tbl)
        return Table(tbl, self._body)

    def fields(self, pairs: Iterable[tuple[str, object]]) -> Table:
        """A two-column table of labels and values (cover data, issue control, a finding's fields)."""
        return self.table(("Item", "Details"), [(label, value) for label, value in pairs], widths_cm=(5, 11))

    def picture(self, png: bytes, *, width_cm: float, caption: str) -> None:
        paragraph = self.paragraph("", "Normal")
        paragraph.add_run().add_picture(io.BytesIO(png), width=Cm(width_cm))
        # Alternative text for readers who cannot see the image: the caption.
        for doc_pr in paragraph._p.iter(qn("wp:docPr")):
            doc_pr.set("descr", word_text(caption))
        self.paragraph(caption, "Caption")

    def page_break(self) -> None:
        self._body.add_paragraph().add_run().add_break(WD_BREAK.PAGE)

    def to_bytes(self) -> bytes:
        out = io.BytesIO()
        self.doc.save(out)
        return out.getvalue()

    # --- internals ---------------------------------------------------------------------------------------
    def _add(self, container, text: str, style: str) -> Paragraph:
        paragraph = container.add_paragraph()
        paragraph._p.style = self._style_ids[style]
        paragraph.add_run(word_text(text))
        return paragraph


_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def _element(tag: str) -> BaseOxmlElement:
    return OxmlElement(tag)


def _sub(parent: BaseOxmlElement, tag: str, **attributes: str) -> BaseOxmlElement:
    """Append a child element; attribute names are in the w: namespace."""
    child = etree.SubElement(parent, qn(tag))
    for name, value in attributes.items():
        child.set(f"{{{_W}}}{name}", value)
    return child


def _run_element(text: str, style_id: str | None = None) -> BaseOxmlElement:
    """A run holding `text`: each newline a line break, each tab a tab, like python-docx's `run.text`."""
    run = _element("w:r")
    if style_id:
        _sub(_sub(run, "w:rPr"), "w:rStyle", val=style_id)
    for n, line in enumerate(text.split("\n")):
        if n:
            _sub(run, "w:br")
        for m, piece in enumerate(line.split("\t")):
            if m:
                _sub(run, "w:tab")
            if piece:
                t = _sub(run, "w:t")
                t.text = piece
                if piece[0].isspace() or piece[-1].isspace():
                    t.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
    return run


def _paragraph_element(style_id: str, text: str) -> BaseOxmlElement:
    p = _element("w:p")
    _sub(_sub(p, "w:pPr"), "w:pStyle", val=style_id)
    if text:
        p.append(_run_element(text))
    return p


def _cell_element(width_twips: int, style_id: str, text: str) -> BaseOxmlElement:
    tc = _element("w:tc")
    _sub(_sub(tc, "w:tcPr"), "w:tcW", w=str(width_twips), type="dxa")
    tc.append(_paragraph_element(style_id, text))
    return tc


def _field(paragraph: Paragraph, instruction: str, placeholder: str) -> None:
    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), f" {instruction} ")
    run = OxmlElement("w:r")
    text = OxmlElement("w:t")
    text.text = placeholder
    run.append(text)
    field.append(run)
    paragraph._p.append(field)
