"""Pieces the audit report and the certification-style report share: the cover, the document control section and
a finding's fields. Plain data in, `ReportDocument` calls out."""

from __future__ import annotations

from datetime import date

from audit_app.documents.control import DocumentControl, SignOff
from audit_app.documents.document import DRAFT_MARK, ReportDocument
from audit_app.services.reports.audit_data import AuditReportData
from audit_app.services.reports.report_rows import FindingRow

UNREVIEWED = "(draft, not yet reviewed)"


def day(value: date | None) -> str:
    return f"{value:%d %b %Y}" if value is not None else "—"


def span(start: date | None, end: date | None) -> str:
    if start is None and end is None:
        return "Not stated"
    if start == end:
        return day(start)
    return f"{day(start)} to {day(end)}"


def finding_heading(finding: FindingRow) -> str:
    text = f"{finding.reference} {finding.title}".strip()
    return text if finding.reviewed else f"{text} {UNREVIEWED}"


def cover(doc: ReportDocument, data: AuditReportData, control: DocumentControl, kind: str) -> None:
    """Title, audit and status fields; the DRAFT marking on drafts."""
    doc.paragraph(control.organisation, "Cover Subtitle")
    doc.paragraph(kind, "Cover Title")
    doc.paragraph(f"{data.reference} {data.title}", "Cover Subtitle")
    if control.draft:
        doc.paragraph(DRAFT_MARK, "Draft Marking")
    for label, value in (
        ("Organisation", control.organisation),
        ("Audit reference", data.reference),
        ("Audit title", data.title),
        ("Audit type", data.type_label),
        ("Audit dates", span(data.start_date, data.end_date)),
        ("Status", control.status_label),
        ("Lead auditor", data.lead_auditor),
        ("Audit client", data.client or "Not stated"),
        ("Marking", control.marking),
        ("Generated", f"{control.generated_at:%d %b %Y %H:%M} UTC by {control.generated_by}"),
    ):
        doc.labelled(label, value, "Cover Field")


def _sign(sign: SignOff | None, draft: bool, missing: str) -> str:
    if sign is not None:
        return f"{sign.name}, {day(sign.on)}"
    return missing if draft else "—"


def document_control(doc: ReportDocument, control: DocumentControl) -> None:
    doc.heading("Document control", 1)
    if control.draft:
        doc.paragraph(
            f"This document is a draft and has not been issued. If it were issued now it would become version "
            f"{control.version}. Only the issued version, frozen with its SHA-256, is the report of record.",
            "Statement",
        )
    doc.heading("Version history", 2)
    history = [(f"Version {v.version}", day(v.issued_on), v.issued_by, v.change_note) for v in control.history]
    if not control.draft and all(v.version != control.version for v in control.history):
        history.append(
            (
                f"Version {control.version}",
                day(control.generated_at.date()),
                control.generated_by,
                control.change_note or ("First issue" if control.version == 1 else ""),
            )
        )
    if history:
        doc.table(("Version", "Issued on", "Issued by", "Change note"), history, widths_cm=(2.5, 3, 4, 7))
    else:
        doc.paragraph("No version has been issued yet.")
    doc.heading("Review and approval", 2)
    doc.fields(
        (
            ("Prepared by", _sign(control.prepared, control.draft, "Not yet prepared")),
            ("Reviewed by", _sign(control.reviewed, control.draft, "Not yet reviewed")),
            ("Approved by", _sign(control.approved, control.draft, "Not yet approved")),
            ("Status", control.status_label),
        )
    )
    doc.heading("Distribution list", 2)
    if control.distribution:
        doc.bullets(control.distribution)
    else:
        doc.paragraph(
            "No distribution list has been recorded." if control.draft else "As agreed with the audit client."
        )


def evidence_lines(finding: FindingRow) -> list[str]:
    lines = [
        f"{e.reference} {e.method}: {e.source} ({day(e.evidence_date)})" + (f"; files: {e.files}" if e.files else "")
        for e in finding.evidence
    ]
    for s in finding.samples:
        figures = ", ".join(
            part
            for part in (
                f"population N = {s.population}" if s.population is not None else "",
                f"sample n = {s.tested}" if s.tested is not None else "",
                f"deviations {s.deviations}" if s.deviations is not None else "",
            )
            if part
        )
        lines.append(
            f"Sample {s.reference} {s.title}: {s.summary or 'cited as evidence'}"
            + (f" ({figures})" if figures else "")
            + (f"; population and period: {s.period}" if s.period else "")
        )
    return lines


def finding_fields(doc: ReportDocument, finding: FindingRow, *, full: bool = True) -> None:
    """A finding's fields: nonconformities in full as a two-column table; others shorter, as labelled paragraphs."""
    criteria = ", ".join(finding.clauses) or "—"
    if finding.other_criteria:
        criteria += f"; {finding.other_criteria}"
    rows: list[tuple[str, object]] = [
        ("Reference", finding.reference),
        ("Grade", finding.grade_label + ("" if finding.reviewed else f" {UNREVIEWED}")),
        ("Criteria (clauses and controls)", criteria),
    ]
    if full or finding.requirement:
        rows.append(("Requirement", finding.requirement))
    rows.append(("Statement", finding.statement))
    rows.append(("Objective evidence", finding.evidence_summary))
    evidence = evidence_lines(finding)
    if evidence:
        rows.append(("Evidence entries and samples", "\n".join(evidence)))
    if finding.where:
        rows.append(("Where found", finding.where))
    if full:
        rows.append(("Grade rationale", finding.grade_rationale))
    rows.append(
        ("Owner (unit, process owner)", ", ".join(p for p in (finding.auditee_unit, finding.process_owner) if p))
    )
    rows.append(("Status", finding.status))
    if finding.dues:
        rows.append(
            ("Due dates", "\n".join(f"{d.step}: {day(d.due_on)}{' (done)' if d.met else ''}" for d in finding.dues))
        )
    if full:
        doc.fields(rows)
    else:  # shorter findings as labelled paragraphs: lighter to read, and far cheaper to build than a table each
        for label, value in rows:
            doc.labelled(label, value)
