"""How the default template `report_templates/audit_report.docx` is made (`flask --app wsgi reports template`).

The committed file is the output of `build_default_template()`; an organisation may instead open it in Word,
restyle it (fonts, colours, logo in the header) and upload it: the builders only need the style names.
"""

from __future__ import annotations

import io

from docx import Document
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor

from audit_app.documents.styles import REQUIRED_STYLES

_INK = RGBColor(0x1F, 0x2A, 0x44)
_DRAFT_RED = RGBColor(0xB0, 0x00, 0x20)


def build_default_template() -> bytes:
    doc = Document()
    section = doc.sections[0]
    section.page_height, section.page_width = Cm(29.7), Cm(21.0)  # A4
    section.left_margin = section.right_margin = Cm(2.2)
    section.top_margin = section.bottom_margin = Cm(2.2)
    styles = doc.styles

    normal = styles["Normal"]
    normal.font.name = "Liberation Sans"
    normal.font.size = Pt(10)

    def paragraph_style(
        name: str,
        *,
        size: float,
        bold: bool = False,
        base: str = "Normal",
        before: float = 0,
        after: float = 6,
        **kw: object,
    ):
        style = styles[name] if name in [s.name for s in styles] else styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
        style.base_style = styles[base] if name != base else None
        style.font.size = Pt(size)
        style.font.bold = bold
        style.font.color.rgb = kw.get("color", _INK)
        fmt = style.paragraph_format
        fmt.space_before = Pt(before)
        fmt.space_after = Pt(after)
        if "align" in kw:
            fmt.alignment = kw["align"]
        return style

    paragraph_style("Body Text", size=10, after=6)
    paragraph_style("Heading 1", size=16, bold=True, before=18, after=8)
    paragraph_style("Heading 2", size=13, bold=True, before=12, after=6)
    paragraph_style("Heading 3", size=11, bold=True, before=10, after=4)
    for level in (1, 2, 3):
        styles[f"Heading {level}"].paragraph_format.keep_with_next = True
    paragraph_style("Cover Title", size=26, bold=True, before=120, after=12)
    paragraph_style("Cover Subtitle", size=16, after=36)
    paragraph_style("Cover Field", size=11, after=4)
    paragraph_style("Marking", size=8, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER, after=0)
    paragraph_style("Draft Marking", size=14, bold=True, color=_DRAFT_RED, align=WD_ALIGN_PARAGRAPH.CENTER)
    paragraph_style("Statement", size=10, before=6, after=6)
    paragraph_style("Table Text", size=9, after=0)
    paragraph_style("Table Heading", size=9, bold=True, after=0)
    paragraph_style("Response Space", size=10, after=60)
    paragraph_style("Caption", size=9, after=10)
    paragraph_style("TOC Heading", size=16, bold=True, after=8)
    paragraph_style("Header", size=8, after=0)
    paragraph_style("Footer", size=8, after=0, align=WD_ALIGN_PARAGRAPH.CENTER)
    styles["Statement"].paragraph_format.left_indent = Cm(0.5)
    styles["Statement"].font.italic = True

    table = styles.add_style("Report Table", WD_STYLE_TYPE.TABLE)
    table.base_style = styles["Table Grid"]
    _number_headings(doc)

    footer = section.footer.paragraphs[0]
    footer.style = styles["Footer"]
    footer.add_run("Page ")
    _simple_field(footer, "PAGE")
    footer.add_run(" of ")
    _simple_field(footer, "NUMPAGES")

    missing = set(REQUIRED_STYLES) - {s.name for s in styles}
    if missing:  # a programming error in this module, not user input
        raise RuntimeError(f"the default template lacks {sorted(missing)}")
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def _number_headings(doc) -> None:
    """Headings 1 to 3 numbered 1, 1.1, 1.1.1 through one multi-level list linked to their styles."""
    numbering = doc.part.numbering_part.element
    abstract = OxmlElement("w:abstractNum")
    abstract.set(qn("w:abstractNumId"), "90")
    multi = OxmlElement("w:multiLevelType")
    multi.set(qn("w:val"), "multilevel")
    abstract.append(multi)
    for level in range(3):
        lvl = OxmlElement("w:lvl")
        lvl.set(qn("w:ilvl"), str(level))
        for tag, value in (
            ("w:start", "1"),
            ("w:numFmt", "decimal"),
            ("w:pStyle", f"Heading{level + 1}"),
            ("w:lvlText", ".".join(f"%{n + 1}" for n in range(level + 1)) + ("." if level == 0 else "")),
            ("w:lvlJc", "left"),
        ):
            element = OxmlElement(tag)
            element.set(qn("w:val"), value)
            lvl.append(element)
        ppr = OxmlElement("w:pPr")
        ind = OxmlElement("w:ind")
        ind.set(qn("w:left"), str(567 + 142 * level))
        ind.set(qn("w:hanging"), str(567 + 142 * level))
        ppr.append(ind)
        lvl.append(ppr)
        abstract.append(lvl)
    first_num = numbering.find(qn("w:num"))
    if first_num is not None:
        first_num.addprevious(abstract)
    else:
        numbering.append(abstract)
    num = OxmlElement("w:num")
    num.set(qn("w:numId"), "90")
    abstract_ref = OxmlElement("w:abstractNumId")
    abstract_ref.set(qn("w:val"), "90")
    num.append(abstract_ref)
    numbering.append(num)
    for level in range(3):
        style = doc.styles[f"Heading {level + 1}"]
        ppr = style.element.get_or_add_pPr()
        num_pr = OxmlElement("w:numPr")
        ilvl = OxmlElement("w:ilvl")
        ilvl.set(qn("w:val"), str(level))
        num_id = OxmlElement("w:numId")
        num_id.set(qn("w:val"), "90")
        num_pr.append(ilvl)
        num_pr.append(num_id)
        ppr.insert(0, num_pr)


def _simple_field(paragraph, instruction: str) -> None:
    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), f" {instruction} ")
    run = OxmlElement("w:r")
    text = OxmlElement("w:t")
    text.text = "1"
    run.append(text)
    field.append(run)
    paragraph._p.append(field)
