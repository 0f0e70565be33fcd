"""The Statement of Applicability as a Word document: cover (DRAFT marking on drafts), a summary, every control in
one table, and the controls that still lack something or carry a flagged justification.

Built from `SoaDocumentData` (services/soa/export.py gathers it); never reads the database. The template is portrait
only, so the table keeps to seven columns: the reference with its title, and the decision with its implementation
status, share a cell.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from audit_app.documents.control import DocumentControl
from audit_app.documents.front_matter import NOTHING, day, moment, start

OWN_CONTROL = "(own control)"


@dataclass(frozen=True)
class SoaRow:
    ref: str
    title: str
    custom: bool
    applicable: str
    justification: str
    implementation: str
    owner: str
    addresses: str
    evidence: str
    last_reviewed: date | None
    #: What is missing or flagged, in words ("" when nothing).
    flag: str


@dataclass(frozen=True)
class SoaDocumentData:
    number: int
    status: str
    approved_by: str
    approved_at: datetime | None
    change_note: str
    rows: list[SoaRow]
    total: int
    complete: int
    missing: list[str]
    applicable: int
    excluded: int


def build_soa_document(data: SoaDocumentData, control: DocumentControl, template: bytes) -> bytes:
    doc = start(
        template,
        control,
        kind="Statement of Applicability",
        subject=f"ISO/IEC 42001 Annex A — version {data.number}",
        fields=[
            ("Version status", data.status),
            ("Approved", f"{moment(data.approved_at)} by {data.approved_by}" if data.approved_at else "Not approved"),
            ("Change note", data.change_note or NOTHING),
        ],
    )
    doc.heading("Summary")
    doc.paragraph(
        f"{len(data.rows)} controls listed: {data.applicable} applicable, {data.excluded} excluded, "
        f"{len(data.rows) - data.applicable - data.excluded} not yet decided. {data.complete} of {data.total} "
        "are complete (nothing missing, no flagged justification)."
    )
    if data.missing:
        doc.paragraph(f"Annex A controls not listed in this version: {', '.join(data.missing)}.")
    doc.heading("Controls")
    doc.table(
        ("Control", "Decision", "Justification", "Owner unit", "Addresses",
         "Evidence", "Last reviewed"),
        [
            (
                f"{row.ref}\n{row.title}" + (f"\n{OWN_CONTROL}" if row.custom else ""),
                row.applicable if row.implementation == NOTHING else f"{row.applicable}\n{row.implementation}",
                row.justification,
                row.owner,
                row.addresses,
                row.evidence,
                day(row.last_reviewed),
            )
            for row in data.rows
        ],
        widths_cm=(2.5, 1.9, 3.9, 2.2, 1.9, 1.8, 1.8),
    )  # fmt: skip
    doc.paragraph(
        "A justification is flagged when it is blank, very short, only a stock phrase, or the same text as for "
        "several other controls.",
        "Caption",
    )
    gaps = [row for row in data.rows if row.flag]
    doc.heading("Open points")
    if not gaps:
        doc.paragraph("Every control has a decision, a justification, an owner and, where applicable, an "
                      "implementation status and what it addresses; no justification is flagged.")  # fmt: skip
        return doc.to_bytes()
    doc.table(("Control", "What is missing or flagged"), [(row.ref, row.flag) for row in gaps], widths_cm=(3.0, 13.0))
    return doc.to_bytes()
