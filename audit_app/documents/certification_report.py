"""The certification-style report for stage 1 / stage 2 rehearsals: cover, summary and recommendation, findings by
clause and grade, one page per nonconformity, opportunities for improvement, sites and AI systems sampled, status of
previous nonconformities and the next audit. Same data and the same finding rules as the audit report (issued:
reviewed findings only; drafts: all, the unreviewed ones marked)."""

from __future__ import annotations

from audit_app.documents.audit_report_parts import split
from audit_app.documents.control import DocumentControl
from audit_app.documents.document import ReportDocument
from audit_app.documents.report_common import cover, day, document_control, finding_fields, finding_heading
from audit_app.services.reports.audit_data import AuditReportData

SECTIONS = (
    "Document control",
    "Summary and recommendation",
    "Findings by clause and grade",
    "Nonconformities",
    "Opportunities for improvement",
    "Sites and AI systems sampled",
    "Status of previous nonconformities",
    "Next audit",
)


def build_certification_report(data: AuditReportData, control: DocumentControl, template: bytes) -> bytes:
    doc = ReportDocument(template)
    draft = control.draft
    doc.properties(
        title=f"Certification-style report {data.reference} {data.title}",
        subject=data.type_label,
        author=data.lead_auditor,
        keywords=f"ISO/IEC 42001; certification rehearsal; {control.status_label}",
    )
    doc.header_footer(title=f"Certification-style report {data.reference}", marking=control.marking, draft=draft)
    cover(doc, data, control, "Certification-style audit report")
    doc.page_break()
    document_control(doc, control)
    shown = data.findings_for(draft)
    ncs, others, ofis, _good = split(shown)

    doc.heading("Summary and recommendation", 1)
    c = data.conclusion
    doc.labelled("Audit conclusion", c.conclusion if c else "The team conference has not recorded it yet.")
    doc.labelled("Degree to which the audit criteria are fulfilled", c.fulfilment if c else "Not determined yet.")
    doc.labelled(
        "Findings",
        "; ".join(f"{g.label}: {g.count}" for g in data.grade_counts(draft)) or "None",
    )
    doc.heading("Recommendation", 2)
    doc.paragraph(data.draft_recommendation if draft else data.recommendation, "Statement")

    doc.heading("Findings by clause and grade", 1)
    grades = data.grade_counts(draft)
    areas = sorted({f.area for f in shown}, key=_area_key)
    if areas:
        doc.table(
            ("Clause or area", *(g.label for g in grades), "Total"),
            [
                (
                    area,
                    *(sum(1 for f in shown if f.area == area and f.grade == g.code) for g in grades),
                    sum(1 for f in shown if f.area == area),
                )
                for area in areas
            ],
            widths_cm=(2.2, *([13.0 / max(len(grades), 1)] * len(grades)), 1.4),
        )
        doc.table(
            ("Finding", "Grade", "Clauses", "Status"),
            [(f"{f.reference} {f.title}".strip(), f.grade_label, ", ".join(f.clauses), f.status) for f in shown],
            widths_cm=(7, 3, 3, 3),
        )
    else:
        doc.paragraph("No finding was raised.")

    doc.heading("Nonconformities", 1)
    doc.paragraph("Each nonconformity has a page of its own, for the auditee's correction and corrective action.")
    if not ncs:
        doc.paragraph("No nonconformity was found.")
    for number, finding in enumerate(ncs):
        if number:
            doc.page_break()
        doc.heading(finding_heading(finding), 2)
        finding_fields(doc, finding, full=True)
    if ncs:
        doc.page_break()

    doc.heading("Opportunities for improvement", 1)
    for title, group, empty in (
        ("Opportunities for improvement", ofis, "No opportunity for improvement was recorded."),
        ("Observations and areas of concern", others, "No observation or area of concern was recorded."),
    ):
        doc.heading(title, 2)
        if not group:
            doc.paragraph(empty)
        for finding in group:
            doc.heading(finding_heading(finding), 3)
            finding_fields(doc, finding, full=False)

    doc.heading("Sites and AI systems sampled", 1)
    doc.labelled("Sites", "; ".join(data.sites) or "No separate sites")
    doc.labelled("Units in scope", "; ".join(data.units) or "None selected")
    doc.labelled("AI systems in scope", "; ".join(data.ai_systems) or "None selected")
    if data.samples:
        doc.table(
            ("Sample", "Population", "N", "n", "Conclusion"),
            [
                (
                    f"{s.reference} {s.title}",
                    s.population_description or s.sampling_unit,
                    s.population_size or "—",
                    s.sample_size or "—",
                    s.conclusion or s.status,
                )
                for s in data.samples
            ],
            widths_cm=(3.5, 4.5, 1.2, 1.2, 6),
        )
    else:
        doc.paragraph("No sample was taken.")

    doc.heading("Status of previous nonconformities", 1)
    previous = [e for e in data.earlier if e.nonconformity]
    if previous:
        doc.table(
            ("Nonconformity", "Audit", "Grade", "Status", "Corrective action"),
            [
                (
                    f"{e.reference} {e.title}".strip(),
                    e.audit,
                    e.grade_label,
                    e.status + (f" ({day(e.closed_on)})" if e.closed_on else ""),
                    e.capa,
                )
                for e in previous
            ],
            widths_cm=(5, 2.4, 2.6, 3, 3.6),
        )
    else:
        doc.paragraph("There are no previous nonconformities to follow up.")

    doc.heading("Next audit", 1)
    doc.paragraph(data.next_audit or "To be agreed with the audit client.")
    doc.paragraph(data.sampling_statement, "Statement")
    return doc.to_bytes()


def _area_key(area: str) -> tuple[int, int]:
    parts = area.split(".")
    if parts[0] == "A":
        return (1, int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0)
    return (0, int(parts[0]) if parts[0].isdigit() else 99)
