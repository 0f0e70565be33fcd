"""Reading generated Word documents back in tests: text by style, table rows, header text, and a control block."""

from __future__ import annotations

import dataclasses
import io
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

import docx
from docx.document import Document

from audit_app.documents.control import DocumentControl

T = TypeVar("T")
ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = (ROOT / "report_templates" / "audit_report.docx").read_bytes()


def control(*, draft: bool = True, marking: str = "Confidential") -> DocumentControl:
    return DocumentControl(
        draft=draft,
        version=1,
        generated_at=datetime(2026, 3, 1, 9, 30, tzinfo=UTC),
        generated_by="Tess Tester",
        marking=marking,
        organisation="Northbridge Lending plc",
    )


def reopen(data: bytes) -> Document:
    return docx.Document(io.BytesIO(data))


def styled(document: Document, style: str) -> list[str]:
    """The text of every body paragraph in `style`, in order."""
    return [p.text for p in document.paragraphs if p.style is not None and p.style.name == style]


def headings(document: Document) -> list[str]:
    return [p.text for p in document.paragraphs if p.style is not None and p.style.name.startswith("Heading")]


def body_text(document: Document) -> str:
    return "\n".join(p.text for p in document.paragraphs)


def tables(document: Document) -> list[list[list[str]]]:
    """Every table as rows of cell texts (header row first)."""
    return [[[cell.text for cell in row.cells] for row in table.rows] for table in document.tables]


def all_text(document: Document) -> str:
    cells = "\n".join("\t".join(row) for table in tables(document) for row in table)
    return f"{body_text(document)}\n{cells}"


def header_text(document: Document) -> str:
    return "\n".join(p.text for section in document.sections for p in section.header.paragraphs)


def table_with(document: Document, first_header: str) -> list[list[str]]:
    """The first table whose first header cell is `first_header`."""
    found = [t for t in tables(document) if t and t[0] and t[0][0] == first_header]
    assert found, f"no table headed {first_header!r}"
    return found[0]


#: User text at its worst: control characters, a lone surrogate, markup look-alikes, right-to-left text, emoji.
HOSTILE = (
    "\x00NUL \x07bell \x1b[31m \x0bvt \ud800 \uffff <w:p><w:r><w:t>x</w:t></w:r></w:p> {{ audit.title }} "
    "&amp; <![CDATA[x]]> مرحبا שלום \u202eevil\u202c 😀👩🏽‍💻 line\nbreak\ttab " + "long " * 300
)


def hostile(value: T) -> T:
    """A copy of a (nested) frozen dataclass with every text field, and every text in a tuple, set to HOSTILE."""
    if isinstance(value, str):
        return HOSTILE  # type: ignore[return-value]
    if isinstance(value, tuple):
        return tuple(hostile(v) for v in value)  # type: ignore[return-value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes = {f.name: hostile(getattr(value, f.name)) for f in dataclasses.fields(value) if f.init}
        return dataclasses.replace(value, **changes)  # type: ignore[type-var]
    return value


def assert_hostile_text_survives(data: bytes) -> None:
    """The document opens, the markup came out literally and the characters XML cannot hold were replaced."""
    text = all_text(reopen(data))
    assert "<w:p><w:r><w:t>x</w:t></w:r></w:p> {{ audit.title }} &amp;" in text
    assert "مرحبا שלום" in text
    assert "😀" in text
    assert "\x00" not in text
    assert "\ufffdNUL" in text
