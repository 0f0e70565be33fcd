"""Every style the document builders write with: a template must define all of them (checked on upload and by a
test on the default template). `report_templates/README.md` describes each one."""

from __future__ import annotations

from docx.enum.style import WD_STYLE_TYPE

PARAGRAPH = WD_STYLE_TYPE.PARAGRAPH
CHARACTER = WD_STYLE_TYPE.CHARACTER
TABLE = WD_STYLE_TYPE.TABLE

#: Style name → its kind. Headings 1 to 3 are numbered by the template (1, 1.1, 1.1.1).
REQUIRED_STYLES: dict[str, WD_STYLE_TYPE] = {
    "Normal": PARAGRAPH,
    "Header": PARAGRAPH,
    "Footer": PARAGRAPH,
    "Heading 1": PARAGRAPH,
    "Heading 2": PARAGRAPH,
    "Heading 3": PARAGRAPH,
    "Body Text": PARAGRAPH,
    "List Bullet": PARAGRAPH,
    "Caption": PARAGRAPH,
    "TOC Heading": PARAGRAPH,
    "Cover Title": PARAGRAPH,
    "Cover Subtitle": PARAGRAPH,
    "Cover Field": PARAGRAPH,
    "Marking": PARAGRAPH,
    "Draft Marking": PARAGRAPH,
    "Statement": PARAGRAPH,
    "Table Text": PARAGRAPH,
    "Table Heading": PARAGRAPH,
    "Response Space": PARAGRAPH,
    "Strong": CHARACTER,
    "Report Table": TABLE,
}
