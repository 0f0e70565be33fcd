"""The CAPA register report: counts by grade, the findings and their corrective actions, from `CapaRegisterData`.

The template is portrait only, so every table keeps to seven narrow columns at most.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from audit_app.documents.control import DocumentControl
from audit_app.documents.document import ReportDocument
from audit_app.documents.front_matter import NOTHING, day, start

if TYPE_CHECKING:
    from audit_app.services.reports.register_data import CapaRegisterData, GradeCount, RegisterFindingRow

OVERDUE = "OVERDUE"


def _count_row(c: GradeCount) -> tuple[str, ...]:
    return (c.grade, str(c.total), str(c.open), str(c.overdue), str(c.closed), str(c.set_aside))


def _due(row: RegisterFindingRow) -> str:
    if row.next_due is None:
        return NOTHING
    text = f"{day(row.next_due)}\n{row.next_due_step}"
    return f"{text}\n{OVERDUE}" if row.overdue else text


def build_capa_register(data: CapaRegisterData, control: DocumentControl, template: bytes) -> bytes:
    subject = data.audit or "All findings"
    doc = start(
        template,
        control,
        kind="CAPA register",
        subject=subject,
        fields=[
            ("Covers", f"The findings of audit {data.audit}" if data.audit else "Every finding the reader may see"),
            ("As of", day(data.day)),
            ("Prepared for", data.reader),
        ],
    )
    _summary(doc, data)
    _findings(doc, data)
    _actions(doc, data)
    return doc.to_bytes()


def _summary(doc: ReportDocument, data: CapaRegisterData) -> None:
    doc.heading("Summary")
    total = data.total
    doc.paragraph(
        f"{total.total} findings: {total.open} open, of which {total.overdue} overdue; {total.closed} closed; "
        f"{total.set_aside} withdrawn or merged. {len(data.actions)} corrective actions."
    )
    if not data.counts:
        return
    doc.table(
        ("Grade", "Total", "Open", "Overdue", "Closed", "Withdrawn or merged"),
        [*(_count_row(c) for c in data.counts), _count_row(total)],
        widths_cm=(5.0, 1.8, 1.8, 2.0, 1.8, 3.6),
    )
    doc.paragraph(
        "Open means not yet in a final state. A finding is overdue when a step its state waits for, or one of "
        "its planned actions, is past its due date. Age is counted in days from issue (from raising for a "
        "finding not yet issued) to closure or to today.",
        "Caption",
    )


def _findings(doc: ReportDocument, data: CapaRegisterData) -> None:
    doc.heading("Findings")
    if not data.findings:
        doc.paragraph("No finding is recorded.")
        return
    doc.table(
        ("Reference", "Grade", "Clauses", "Unit and owner", "Status", "Next due", "Age"),
        [
            (
                f"{r.reference}\n{r.title}" if r.title else r.reference,
                r.grade,
                r.clauses or NOTHING,
                "\n".join(p for p in (r.unit, r.owner) if p) or NOTHING,
                r.status,
                _due(r),
                str(r.age_days),
            )
            for r in data.findings
        ],
        widths_cm=(3.6, 2.5, 1.6, 2.5, 2.6, 2.6, 1.0),
    )


def _actions(doc: ReportDocument, data: CapaRegisterData) -> None:
    doc.heading("Corrective actions")
    if not data.actions:
        doc.paragraph("No corrective action is recorded.")
        return
    doc.table(
        ("Finding", "Action", "Cycle", "Owner", "Due", "Status"),
        [
            (
                a.finding,
                a.description,
                str(a.cycle),
                a.owner or NOTHING,
                day(a.due),
                f"{a.status}\n{OVERDUE}" if a.overdue else a.status,
            )
            for a in data.actions
        ],
        widths_cm=(3.2, 5.2, 1.2, 2.6, 2.2, 2.2),
    )
