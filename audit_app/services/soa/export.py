"""The Statement of Applicability as a Word document (from the reports template) and as an XLSX workbook.

The data is gathered here in a fixed number of queries into plain rows; `documents/soa.py` builds the Word file
from them without touching the database. Every text cell of the workbook goes through `safe_cell`.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from audit_app.documents.control import DocumentControl, SignOff
from audit_app.documents.soa import SoaDocumentData, SoaRow, build_soa_document
from audit_app.models import DEFAULT_MARKING, User, utcnow
from audit_app.models.soa import SoaStatus, SoaVersion
from audit_app.services.reports.generate import DOCX, file_name, organisation_name
from audit_app.services.reports.templates import template_in_use
from audit_app.services.soa import status
from audit_app.services.soa.compare import NOTHING, decision
from audit_app.services.soa.versions import ensure_read, entries_of
from audit_app.services.spreadsheets import safe_cell

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HEADERS = (
    "Control",
    "Title",
    "Applicable",
    "Justification",
    "Implementation",
    "Owner unit",
    "Addresses / AI systems",
    "Evidence",
    "Last reviewed",
    "Flag",
)


@dataclass(frozen=True)
class SoaFile:
    file_name: str
    media_type: str
    data: bytes


def document_data(version: SoaVersion) -> SoaDocumentData:
    """The version's rows and counts as plain data (entries, units and systems in three queries, plus completeness)."""
    entries = entries_of(version)
    result = status.completeness(version)
    flagged = dict(result.flagged)
    gaps = dict(result.incomplete)
    rows = [
        SoaRow(
            ref=e.control_ref,
            title=e.title,
            custom=e.custom,
            applicable=decision(e.applicable),
            justification=e.justification or NOTHING,
            implementation=e.implementation.label if e.implementation else NOTHING,
            owner=e.owner_unit.name if e.owner_unit else NOTHING,
            addresses="\n".join(part for part in (e.addresses, ", ".join(s.name for s in e.systems)) if part)
            or NOTHING,
            evidence=e.evidence or NOTHING,
            last_reviewed=e.last_reviewed_on,
            flag=_flag(gaps.get(e.control_ref, ""), flagged.get(e.control_ref, "")),
        )
        for e in entries
    ]
    return SoaDocumentData(
        number=version.number,
        status=version.status.label,
        approved_by=version.approved_by.name if version.approved_by else "",
        approved_at=version.approved_at,
        change_note=version.change_note,
        rows=rows,
        total=result.total,
        complete=result.complete,
        missing=result.missing_controls,
        applicable=sum(1 for e in entries if e.applicable),
        excluded=sum(1 for e in entries if e.applicable is False),
    )


def _flag(gaps: str, flagged: str) -> str:
    return "; ".join(part for part in (f"Missing: {gaps}" if gaps else "", flagged) if part)


def control_for(actor: User, version: SoaVersion) -> DocumentControl:
    approved = version.status is not SoaStatus.DRAFT
    return DocumentControl(
        draft=not approved,
        version=version.number,
        generated_at=utcnow(),
        generated_by=actor.name,
        marking=DEFAULT_MARKING,
        organisation=organisation_name(),
        approved=SignOff(version.approved_by.name, version.approved_at.date())
        if approved and version.approved_by and version.approved_at
        else None,
        change_note=version.change_note,
    )


def _stem(version: SoaVersion) -> str:
    return f"{'draft' if version.status is SoaStatus.DRAFT else 'v'}{version.number}"


def word(actor: User, version: SoaVersion) -> SoaFile:
    ensure_read(actor)
    data = build_soa_document(document_data(version), control_for(actor, version), template_in_use().data)
    return SoaFile(file_name("Statement of Applicability", "", _stem(version)), DOCX, data)


def workbook(actor: User, version: SoaVersion) -> SoaFile:
    ensure_read(actor)
    data = document_data(version)
    book = Workbook()
    sheet = book.active
    sheet.title = f"SoA v{version.number}"
    sheet.append([f"Statement of Applicability — version {data.number} ({data.status})"])
    sheet.append([
        safe_cell(f"Approved by {data.approved_by} on {data.approved_at:%Y-%m-%d}" if data.approved_at
                  else "DRAFT — not approved"),
    ])  # fmt: skip
    sheet.append([])
    sheet.append(list(HEADERS))
    for cell in sheet[4]:
        cell.font = Font(bold=True)
    for row in data.rows:
        sheet.append([
            safe_cell(row.ref), safe_cell(row.title), safe_cell(row.applicable), safe_cell(row.justification),
            safe_cell(row.implementation), safe_cell(row.owner), safe_cell(row.addresses), safe_cell(row.evidence),
            row.last_reviewed.isoformat() if row.last_reviewed else "", safe_cell(row.flag),
        ])  # fmt: skip
    for letter, width in zip("ABCDEFGHIJ", (10, 40, 12, 60, 14, 24, 30, 40, 14, 40), strict=True):
        sheet.column_dimensions[letter].width = width
    for cells in sheet.iter_rows(min_row=5):
        for cell in cells:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    sheet.freeze_panes = "C5"
    buffer = io.BytesIO()
    book.save(buffer)
    stem = file_name("Statement of Applicability", "", _stem(version)).rsplit(".", 1)[0]
    return SoaFile(f"{stem}.xlsx", XLSX, buffer.getvalue())
