"""The management-review input pack (ISO/IEC 42001 9.3.2) for a period, from `PackData`.

One section per input the review considers: earlier review actions, audit results, nonconformity and
corrective-action trends, the monitoring results the user wrote, SoA and register status, and opportunities for
improvement. Every text goes through ReportDocument, so user text comes out literally."""

from __future__ import annotations

from typing import TYPE_CHECKING

from audit_app.documents.control import DocumentControl
from audit_app.documents.document import ReportDocument
from audit_app.documents.front_matter import NOTHING, day, start

if TYPE_CHECKING:
    from audit_app.services.reviews.pack_data import PackData

KIND = "Management review input pack"
OVERDUE = "OVERDUE"


def _period(data: PackData) -> str:
    return f"{day(data.start)} to {day(data.end)}"


def build_review_pack(data: PackData, control: DocumentControl, template: bytes) -> bytes:
    doc = start(
        template,
        control,
        kind=KIND,
        subject=f"Period {_period(data)}",
        fields=[
            ("Period", _period(data)),
            ("Purpose", "Inputs for the management review (ISO/IEC 42001 clause 9.3.2)"),
            ("Prepared for", data.prepared_for),
        ],
    )
    doc.table_of_contents()
    _earlier_actions(doc, data)
    _audits(doc, data)
    _trends(doc, data)
    _monitoring(doc, data)
    _soa_and_register(doc, data)
    _improvements(doc, data)
    return doc.to_bytes()


def _capped(doc: ReportDocument, shown: int, total: int, what: str) -> None:
    if total > shown:
        doc.paragraph(f"The first {shown} of {total} {what} are listed.", "Caption")


def _earlier_actions(doc: ReportDocument, data: PackData) -> None:
    doc.heading("Status of actions from earlier management reviews")
    if not data.earlier_actions:
        doc.paragraph("No earlier management review recorded an action.")
        return
    open_ = sum(1 for a in data.earlier_actions if a.status == "Open")
    late = sum(1 for a in data.earlier_actions if a.overdue)
    doc.paragraph(
        f"{data.earlier_actions_total} actions from reviews held up to {day(data.end)}: {open_} still open, "
        f"{late} of them past their due date at the end of the period."
    )
    doc.table(
        ("Review", "Action", "Owner", "Due", "Status", "Note"),
        [
            (
                f"{a.review}\n{day(a.held_on)}",
                a.description,
                a.owner,
                day(a.due_on),
                f"{a.status}\n{OVERDUE}" if a.overdue else a.status,
                a.note or NOTHING,
            )
            for a in data.earlier_actions
        ],
        widths_cm=(3.0, 4.6, 2.4, 2.0, 2.4, 2.6),
    )
    _capped(doc, len(data.earlier_actions), data.earlier_actions_total, "actions")


def _audits(doc: ReportDocument, data: PackData) -> None:
    doc.heading("Audit results")
    if not data.audits:
        doc.paragraph(f"No audit was closed between {day(data.start)} and {day(data.end)}.")
        return
    doc.paragraph(f"Audits closed in the period: {len(data.audits)}, with their conclusions and findings by grade.")
    doc.table(
        ("Audit", "Closed", "Fulfilment", "Conclusion", "Findings by grade"),
        [
            (f"{a.reference}\n{a.title}", day(a.closed_on), a.fulfilment, a.conclusion or NOTHING, a.findings)
            for a in data.audits
        ],
        widths_cm=(3.4, 2.0, 2.8, 5.0, 3.8),
    )


def _trends(doc: ReportDocument, data: PackData) -> None:
    doc.heading("Nonconformities and corrective actions")
    doc.heading("Issued and closed per month", 2)
    opened, closed = sum(t.opened for t in data.trend), sum(t.closed for t in data.trend)
    doc.paragraph(f"In the period, {opened} nonconformities were issued and {closed} were closed.")
    doc.table(
        ("Month", "Issued", "Closed"),
        [(t.month, str(t.opened), str(t.closed)) for t in data.trend],
        widths_cm=(5.0, 3.0, 3.0),
    )
    doc.heading("Open at the end of the period, by grade and age", 2)
    if not data.open_by_grade:
        doc.paragraph(f"No nonconformity was open on {day(data.end)}.")
    else:
        doc.table(
            ("Grade", "Open", *data.band_labels),
            [(g.grade, str(g.total), *(str(n) for n in g.bands)) for g in data.open_by_grade],
            widths_cm=(5.0, 2.0, 3.0, 3.0, 3.0),
        )
        doc.paragraph("Age is counted in days from issue to the end of the period.", "Caption")
    doc.heading("Overdue corrective actions", 2)
    if not data.overdue_actions:
        doc.paragraph(f"No planned corrective action was past its due date on {day(data.end)}.")
        return
    doc.paragraph(f"Planned corrective actions past their due date on {day(data.end)}: {data.overdue_total}.")
    doc.table(
        ("Finding", "Action", "Owner", "Due", "Days late"),
        [(a.finding, a.description, a.owner or NOTHING, day(a.due_on), str(a.days_late)) for a in data.overdue_actions],
        widths_cm=(3.2, 6.4, 2.6, 2.2, 1.6),
    )
    _capped(doc, len(data.overdue_actions), data.overdue_total, "overdue actions")


def _monitoring(doc: ReportDocument, data: PackData) -> None:
    doc.heading("Monitoring and measurement results")
    if not data.monitoring:
        doc.paragraph("No monitoring or measurement results were entered for this pack.")
        return
    doc.paragraph("As entered when the pack was generated:", "Caption")
    for line in data.monitoring.split("\n"):
        doc.paragraph(line)


def _soa_and_register(doc: ReportDocument, data: PackData) -> None:
    doc.heading("Statement of Applicability and documented information")
    doc.heading("Statement of Applicability", 2)
    soa = data.soa
    if not soa.available:
        doc.paragraph("Not available.")
    elif not soa.version:
        doc.paragraph(f"No Statement of Applicability was approved on {day(data.end)}.")
    else:
        doc.fields(
            [
                ("Approved version", soa.version),
                ("Approved", soa.approved or NOTHING),
                ("Controls complete", f"{soa.complete} of {soa.total}"),
                ("Annex A controls missing", ", ".join(soa.missing_controls) or "None"),
                ("Entries incomplete", str(soa.incomplete)),
                ("Justifications flagged", str(soa.flagged)),
            ]
        )
    doc.heading("Documented-information register", 2)
    if not data.register_available:
        doc.paragraph("Not available.")
        return
    total = sum(n for _, n in data.register)
    if not total:
        doc.paragraph(f"The register held no entry on {day(data.end)}.")
        return
    doc.paragraph(f"{total} entries in the register on {day(data.end)}, by status:")
    doc.table(("Status", "Entries"), [(label, str(n)) for label, n in data.register], widths_cm=(6.0, 3.0))
    if data.register_gaps:
        doc.paragraph("Entries not approved:")
        doc.table(("Entry", "Status"), data.register_gaps, widths_cm=(11.0, 5.0))


def _improvements(doc: ReportDocument, data: PackData) -> None:
    doc.heading("Opportunities for improvement")
    if not data.improvements:
        doc.paragraph(f"No opportunity for improvement was issued between {day(data.start)} and {day(data.end)}.")
        return
    doc.paragraph(f"Opportunities for improvement issued in the period: {data.improvements_total}.")
    doc.table(
        ("Reference", "Title", "Unit", "Issued", "Status"),
        [(i.reference or NOTHING, i.title, i.unit or NOTHING, day(i.issued_on), i.status) for i in data.improvements],
        widths_cm=(3.2, 6.0, 2.8, 2.2, 2.2),
    )
    _capped(doc, len(data.improvements), data.improvements_total, "opportunities")
