"""A blank fieldwork checklist for the audit's scope, for auditors working offline (`FieldworkChecklistData`).

Per clause or control: its reference and title, the library's guidance and questions (our own words), the
evidence to look for, the documented information it expects, and space for the result, the evidence seen and
notes. Results are entered in the application afterwards.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from audit_app.documents.control import DocumentControl
from audit_app.documents.document import ReportDocument
from audit_app.documents.front_matter import day, joined, start

if TYPE_CHECKING:
    from audit_app.services.reports.checklist_data import ChecklistEntry, FieldworkChecklistData

#: Small bold labels inside an item (numbered headings would bury the clause numbers under the document's own).
LABEL = "Table Heading"
RESULT_CHOICES = "Result (circle one): Conforming / Nonconforming / Observation / Not audited"
HOW_TO = (
    "One section per clause or control in the audit's scope. The questions and guidance are prompts, not a "
    "script: follow the evidence. Record what was actually seen (document name and version, record id, the "
    "interviewee's role rather than their name, and the date), circle the result, and give the reason when an "
    "item is not audited. Enter the results and evidence in the audit application as soon as you are back "
    "online; this paper is a working note, not the record."
)


def build_fieldwork_checklist(data: FieldworkChecklistData, control: DocumentControl, template: bytes) -> bytes:
    dates = f"{day(data.start_date)} to {day(data.end_date)}"
    doc = start(
        template,
        control,
        kind="Fieldwork checklist",
        subject=f"{data.reference} {data.title}",
        fields=[
            ("Audit type", data.audit_type),
            ("Dates", dates),
            ("Lead auditor", data.lead_auditor),
            ("Items in scope", str(data.item_count)),
        ],
    )
    doc.heading("How to use this checklist")
    doc.paragraph(HOW_TO)
    doc.fields(
        [
            ("Audit team", joined(data.team)),
            ("Units in scope", joined(data.units)),
            ("AI systems in scope", joined(data.systems)),
            ("Auditor completing this copy", ""),
        ]
    )
    if not data.parts:
        doc.paragraph("No clause or control is in the audit's scope yet.")
    for part in data.parts:
        doc.heading(part.label)
        for entry in part.entries:
            _entry(doc, entry, data.systems)
    return doc.to_bytes()


def _entry(doc: ReportDocument, entry: ChecklistEntry, systems: tuple[str, ...]) -> None:
    doc.heading(f"{entry.ref} {entry.title}", 2)
    if entry.guidance:
        doc.labelled("Guidance", entry.guidance)
    if not entry.auditable:
        doc.paragraph("A grouping heading: its clauses or controls follow as their own items.", "Caption")
        return
    if entry.sessions:
        doc.labelled("Planned in", "; ".join(entry.sessions))
    if entry.questions:
        doc.paragraph("Questions", LABEL)
        doc.bullets(entry.questions)
    if entry.evidence:
        doc.paragraph("Evidence to look for", LABEL)
        doc.bullets(f"{group.heading}: {'; '.join(group.entries)}" for group in entry.evidence)
    doc.paragraph("Documented information expected", LABEL)
    doc.bullets(entry.documented_information or ["None named for this item in the library."])
    if entry.related:
        doc.labelled("Related items", joined(entry.related))
    doc.paragraph("Record", LABEL)
    doc.paragraph(RESULT_CHOICES, "Body Text")
    doc.paragraph("Evidence seen (source, version or record id, interviewee role, date):", "Body Text")
    doc.paragraph("", "Response Space")
    if systems:
        doc.paragraph("Result per AI system, where it differs:", "Body Text")
        for name in systems:
            doc.paragraph(f"{name}:", "Response Space")
    doc.paragraph("Notes (and the reason if not audited):", "Body Text")
    doc.paragraph("", "Response Space")
