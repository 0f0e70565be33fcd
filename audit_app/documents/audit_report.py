"""The audit report (ISO 19011 6.5.1): cover, contents, document control, executive summary and audit details here;
sampling, results, findings, earlier findings, conclusions and annexes in `audit_report_parts`.

Issued reports show reviewed findings only; drafts show every finding, the unreviewed ones marked
"(draft, not yet reviewed)", and count them in the summary and recommendation.
"""

from __future__ import annotations

from audit_app.documents import audit_report_parts as parts
from audit_app.documents.control import DocumentControl
from audit_app.documents.document import ReportDocument
from audit_app.documents.report_common import UNREVIEWED, cover, day, document_control, span
from audit_app.services.reports.audit_data import AuditReportData

#: The level-1 headings, in order (tests and readers rely on them).
SECTIONS = (
    "Document control",
    "Executive summary",
    "Audit details",
    "Sampling",
    "Results by clause and Annex A objective",
    "Findings",
    "Status of earlier findings and corrective actions",
    "Conclusions",
    "Annexes",
)


def build_audit_report(data: AuditReportData, control: DocumentControl, template: bytes) -> bytes:
    doc = ReportDocument(template)
    doc.properties(
        title=f"Audit report {data.reference} {data.title}",
        subject=data.type_label,
        author=data.lead_auditor,
        keywords=f"ISO/IEC 42001; audit report; {control.status_label}",
    )
    doc.header_footer(title=f"Audit report {data.reference}", marking=control.marking, draft=control.draft)
    cover(doc, data, control, "Audit report")
    doc.page_break()
    doc.table_of_contents()
    doc.page_break()
    document_control(doc, control)
    executive_summary(doc, data, control.draft)
    audit_details(doc, data)
    parts.sampling(doc, data)
    parts.results(doc, data)
    parts.findings(doc, data, control.draft)
    parts.earlier(doc, data)
    parts.conclusions(doc, data)
    parts.annexes(doc, data)
    return doc.to_bytes()


def executive_summary(doc: ReportDocument, data: AuditReportData, draft: bool) -> None:
    doc.heading("Executive summary", 1)
    conclusion = data.conclusion
    doc.labelled(
        "Overall conclusion",
        conclusion.conclusion if conclusion else "The team conference has not recorded the audit conclusion yet.",
    )
    doc.labelled(
        "Degree to which the audit criteria are fulfilled",
        conclusion.fulfilment if conclusion else "Not determined yet.",
    )
    doc.labelled(
        "Items in scope concluded",
        f"{data.achieved_items} of {data.planned_items} ({data.achieved_percent}%)",
    )
    doc.heading("Findings by grade", 2)
    counts = data.grade_counts(draft)
    doc.table(
        ("Grade", "Number of findings"),
        [(g.label, g.count) for g in counts] + [("Total", sum(g.count for g in counts))],
        widths_cm=(10, 6),
    )
    unreviewed = sum(1 for f in data.findings if not f.reviewed)
    if draft and unreviewed:
        doc.paragraph(
            f"{unreviewed} finding(s) are drafts not yet reviewed by the lead auditor; they are counted here and "
            f"marked {UNREVIEWED} below. The issued report shows reviewed findings only."
        )
    doc.heading("Readiness recommendation", 2)
    doc.paragraph(data.draft_recommendation if draft else data.recommendation, "Statement")
    doc.heading("Notable good practice", 2)
    good = [f for f in data.findings_for(draft) if f.good_practice]
    if good:
        doc.bullets(f"{f.reference}: {f.title or f.statement}" for f in good)
    else:
        doc.paragraph("No good practice was recorded as a finding.")


def audit_details(doc: ReportDocument, data: AuditReportData) -> None:
    doc.heading("Audit details", 1)
    doc.heading("Objectives, scope and client", 2)
    doc.labelled("Audit objectives", data.objectives or "Not stated")
    doc.labelled("Audit type", data.type_label)
    doc.labelled("Units in scope", "; ".join(data.units) or "None selected")
    doc.labelled("Processes and boundaries", data.scope_notes or "Not stated beyond the units and AI systems")
    doc.labelled("Sites", "; ".join(data.sites) or "No separate sites")
    doc.labelled("AI systems in scope", "; ".join(data.ai_systems) or "None selected")
    doc.labelled("Period covered", span(data.period_start, data.period_end))
    doc.labelled("Audit client", data.client or "Not stated")
    doc.labelled("Language", data.language)
    if data.confidentiality_note:
        doc.labelled("Confidentiality", data.confidentiality_note)

    doc.heading("Audit criteria", 2)
    doc.paragraph("Checklist versions pinned for this audit (their content never changes once pinned):")
    doc.bullets(data.criteria or ["No checklist version pinned."])
    doc.labelled("Other criteria and internal documents", data.other_criteria or "None")

    doc.heading("Audit team and auditee participants", 2)
    doc.table(
        ("Name", "Role"),
        [(p.name, p.role) for p in data.team]
        + [(p.name, f"Auditee participant{f', {p.role}' if p.role else ''}") for p in data.auditees],
        widths_cm=(7, 9),
    )

    doc.heading("Dates, places and mode of the audit activities", 2)
    if data.sessions:
        doc.table(
            ("Date", "Time", "Activity", "Place", "Mode"),
            [(day(s.day), s.time, f"{s.activity}: {s.title}", s.place, s.mode) for s in data.sessions],
            widths_cm=(2.6, 2.4, 6, 3.4, 2.2),
        )
    else:
        doc.paragraph("No sessions were planned.")

    doc.heading("Methods", 2)
    doc.labelled("Audit mode", data.method)
    doc.bullets(data.methods or ["No evidence has been recorded yet."])
    if data.samples:
        doc.paragraph(f"{len(data.samples)} sample(s) were taken; see the Sampling section.")

    doc.heading("Plan versus actual", 2)
    doc.paragraph(
        f"{data.planned_items} clause and control items were planned; {data.achieved_items} were audited and "
        f"concluded ({data.achieved_percent}%), {len(data.not_audited)} were not audited "
        f"and {len(data.sessions)} session(s) were on the agenda."
    )
    if data.conclusion is not None:
        doc.labelled("Audit objectives met", "Yes" if data.conclusion.objectives_met else "No")
        doc.labelled("Obstacles", data.conclusion.obstacles or "None encountered")

    doc.heading("Areas not covered", 2)
    if data.not_audited:
        doc.table(
            ("Item", "Title", "Why it was not audited"),
            [(n.ref, n.title, n.reason) for n in data.not_audited],
            widths_cm=(2, 6, 8),
        )
    else:
        doc.paragraph("Every item in scope was audited.")

    doc.heading("Impartiality exceptions", 2)
    if data.exceptions:
        doc.table(
            ("Who", "Where", "Justification"),
            [(e.who, e.where, e.reason) for e in data.exceptions],
            widths_cm=(4, 4, 8),
        )
    else:
        doc.paragraph("No exception to the impartiality rule was needed.")
