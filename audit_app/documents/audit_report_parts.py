"""The audit report's later sections: sampling, results by clause and Annex A objective (table and chart), findings,
earlier findings and corrective actions, conclusions, and the annexes."""

from __future__ import annotations

from audit_app.documents.chart import conformity_chart
from audit_app.documents.document import ReportDocument
from audit_app.documents.report_common import day, finding_fields, finding_heading
from audit_app.services.reports.audit_data import AuditReportData
from audit_app.services.reports.report_rows import Counts, FindingRow

COUNT_HEADERS = ("Items", "Conf.", "NC", "Obs.", "OFI", "N/A", "Not audited", "Open")
#: Grades listed under "Observations" besides observations themselves (a stage 1 area of concern).
OBSERVATION_LIKE = frozenset({"observation", "stage1_concern"})


def _counts(c: Counts) -> tuple[int, ...]:
    return (c.items, c.conforming, c.nonconformity, c.observation, c.ofi, c.not_applicable, c.not_audited, c.open)


def sampling(doc: ReportDocument, data: AuditReportData) -> None:
    doc.heading("Sampling", 1)
    if not data.samples:
        doc.paragraph("No sample was taken: the items in scope were audited by examining the evidence as a whole.")
        return
    for s in data.samples:
        doc.heading(f"{s.reference} {s.title}", 2)
        doc.fields(
            (
                ("Status", s.status),
                ("Clauses and controls tested", s.checklist_refs or "—"),
                ("Sampling unit", s.sampling_unit or "—"),
                ("Population", s.population_description or "—"),
                ("Population source", s.population_source or "—"),
                ("Completeness and accuracy check", s.completeness_check or "—"),
                ("Population size N", s.population_size if s.population_size is not None else "—"),
                ("Population SHA-256", s.population_hash or "—"),
                ("Method", s.method or "—"),
                ("Size basis", s.size_basis or "—"),
                ("Sample size n", s.sample_size if s.sample_size is not None else "—"),
                ("Rationale for n", s.size_rationale or "—"),
                ("Seed", s.seed if s.seed is not None else "—"),
                ("Selection algorithm", s.algorithm or "—"),
                ("Deviations", s.deviations if s.deviations is not None else "—"),
                ("Upper deviation limit", s.upper_limit),
                ("Conclusion", s.conclusion or "Not evaluated yet."),
                (
                    "What the deviations mean",
                    f"{s.deviation_nature}: {s.deviation_cause}" if s.deviation_nature else "—",
                ),
                ("Reviewer sign-off", s.signed_off),
            )
        )
        doc.table(
            ("Attribute", "Tested", "Deviations", "Rate", "Upper limit", "Conclusion"),
            [(f"{a.code} {a.text}", a.tested, a.deviations, a.rate, a.upper_limit, a.conclusion) for a in s.attributes],
            widths_cm=(4.5, 1.5, 2, 1.6, 1.9, 5),
        )


def results(doc: ReportDocument, data: AuditReportData) -> None:
    doc.heading("Results by clause and Annex A objective", 1)
    if not data.areas:
        doc.paragraph("No clause or control is in scope.")
        return
    doc.paragraph(
        "Items per clause (4 to 10) and Annex A objective (A.2 to A.10) in scope, by result. Conf. = conforming, "
        "NC = nonconformity, Obs. = observation, OFI = opportunity for improvement, N/A = not applicable, "
        "Open = not yet assessed. The chart below shows the same figures."
    )
    doc.table(
        ("Area", *COUNT_HEADERS, "Conclusion"),
        [(f"{a.area} {a.title}".strip(), *_counts(a.counts), a.fulfilment or "—") for a in data.areas],
        widths_cm=(2.8, 1.3, 1.3, 1, 1.2, 1.1, 1.1, 1.6, 1.3, 3.9),
    )
    doc.picture(
        conformity_chart([(a.area, a.counts) for a in data.areas]),
        width_cm=16.5,
        caption="Conformity per clause and Annex A objective: each bar is labelled with its counts; the table above "
        "holds the same figures.",
    )
    if data.subject_areas:
        doc.heading("Results per AI system, unit or site", 2)
        doc.paragraph("Where an item was judged separately for each AI system, unit or site in scope:")
        doc.table(
            ("Subject", "Area", *COUNT_HEADERS),
            [(r.subject, r.area, *_counts(r.counts)) for r in data.subject_areas],
            widths_cm=(3.4, 1.4, 1.3, 1.3, 1, 1.2, 1.1, 1.1, 1.6, 1.3),
        )


def _group(
    doc: ReportDocument, title: str, shown: list[FindingRow], empty: str, *, full: bool, pages: bool = False
) -> None:
    doc.heading(title, 2)
    if not shown:
        doc.paragraph(empty)
    for finding in shown:
        if pages:
            doc.page_break()
        doc.heading(finding_heading(finding), 3)
        finding_fields(doc, finding, full=full)


def split(
    shown: tuple[FindingRow, ...],
) -> tuple[list[FindingRow], list[FindingRow], list[FindingRow], list[FindingRow]]:
    """(nonconformities, observations and other grades, OFIs, good practice), each in the data's order."""
    ncs = [f for f in shown if f.nonconformity]
    ofis = [f for f in shown if f.grade == "ofi"]
    good = [f for f in shown if f.good_practice]
    others = [f for f in shown if not f.nonconformity and f.grade != "ofi" and not f.good_practice]
    return ncs, others, ofis, good


def findings(doc: ReportDocument, data: AuditReportData, draft: bool) -> None:
    doc.heading("Findings", 1)
    shown = data.findings_for(draft)
    if draft and any(not f.reviewed for f in shown):
        doc.paragraph("Findings marked (draft, not yet reviewed) may still change or be withdrawn.")
    ncs, others, ofis, good = split(shown)
    _group(doc, "Nonconformities", ncs, "No nonconformity was found.", full=True)
    _group(doc, "Observations", others, "No observation was recorded.", full=False)
    _group(doc, "Opportunities for improvement", ofis, "No opportunity for improvement was recorded.", full=False)
    _group(doc, "Good practice", good, "No good practice was recorded.", full=False)


def earlier(doc: ReportDocument, data: AuditReportData) -> None:
    doc.heading("Status of earlier findings and corrective actions", 1)
    doc.paragraph(
        "Findings issued in earlier audits of this programme for the units in scope, and every earlier finding that "
        "is still open whatever its unit."
    )
    if not data.earlier:
        doc.paragraph("There are no earlier findings to follow up.")
        return
    doc.table(
        ("Finding", "Audit", "Grade", "Unit", "Status", "Corrective action"),
        [
            (
                f"{e.reference} {e.title}".strip(),
                e.audit,
                e.grade_label,
                e.auditee_unit or "—",
                e.status + (f" ({day(e.closed_on)})" if e.closed_on else ""),
                e.capa,
            )
            for e in data.earlier
        ],
        widths_cm=(4.4, 2.2, 2.4, 2.4, 2.4, 2.8),
    )


def conclusions(doc: ReportDocument, data: AuditReportData) -> None:
    doc.heading("Conclusions", 1)
    c = data.conclusion
    doc.heading("Audit conclusion", 2)
    if c is None:
        doc.paragraph("The team conference has not been recorded yet.")
    else:
        doc.labelled("Team conference", f"{c.held_at}; {c.participants}")
        doc.labelled("Degree to which the audit criteria are fulfilled", c.fulfilment)
        doc.labelled("Conclusion", c.conclusion)
        doc.labelled("Audit objectives met", "Yes" if c.objectives_met else f"No. {c.obstacles}")
        doc.labelled("Recommendations", c.recommendations or "None")
        doc.labelled("Follow-up", c.follow_up or "None agreed")
    concluded = [a for a in data.areas if a.fulfilment]
    if concluded:
        doc.heading("Conclusions by clause and control area", 2)
        doc.table(
            ("Area", "Criteria fulfilled", "Statement"),
            [(f"{a.area} {a.title}".strip(), a.fulfilment, a.statement) for a in concluded],
            widths_cm=(4, 4, 8),
        )
    doc.heading("Unresolved diverging opinions", 2)
    if data.diverging:
        doc.table(
            ("Finding", "Auditee's position", "Status", "Resolution"),
            [(d.finding, d.reason, d.status, d.resolution or "—") for d in data.diverging],
            widths_cm=(3, 6.5, 2, 4.5),
        )
    else:
        doc.paragraph("No diverging opinion between the audit team and the auditee remained unresolved.")
    doc.heading("Audit evidence is a sample", 2)
    doc.paragraph(data.sampling_statement, "Statement")


def annexes(doc: ReportDocument, data: AuditReportData) -> None:
    doc.heading("Annexes", 1)
    doc.heading("Audit plan and agenda", 2)
    if data.sessions:
        doc.table(
            ("Date and time", "Session", "Units and items", "Auditors", "Auditees"),
            [
                (
                    f"{day(s.day)} {s.time}",
                    f"{s.activity}: {s.title} ({s.place}, {s.mode.lower()})",
                    "; ".join(p for p in (s.units, s.items) if p) or "—",
                    s.auditors or "—",
                    s.auditees or "—",
                )
                for s in data.sessions
            ],
            widths_cm=(2.8, 4.6, 3.6, 2.6, 2.6),
        )
    else:
        doc.paragraph("No agenda was recorded.")
    doc.heading("Opening and closing meetings", 2)
    if not data.meetings:
        doc.paragraph("No meeting was recorded.")
    for m in data.meetings:
        doc.heading(f"{m.kind}, {m.held_at}", 3)
        doc.labelled("Attendance", "; ".join(m.attendees) or "Not recorded")
        doc.labelled("Points covered", "; ".join(m.points) or "Not recorded")
        if m.notes:
            doc.labelled("Notes", m.notes)
        if m.diverging_opinions:
            doc.labelled("Diverging opinions recorded", m.diverging_opinions)
    doc.heading("Documents reviewed", 2)
    if data.documents:
        doc.table(
            ("Document", "Version", "Adequacy", "Reviewed", "Notes"),
            [
                (d.document, d.version or "—", d.adequacy, f"{day(d.reviewed_on)} {d.reviewed_by}".strip(), d.notes)
                for d in data.documents
            ],
            widths_cm=(4, 1.8, 2.6, 3, 4.8),
        )
    else:
        doc.paragraph("No document review was recorded.")
    doc.heading("Evidence manifest", 2)
    doc.paragraph(
        "Every evidence file this report relies on, with its SHA-256 hash: a file whose hash no longer matches is not "
        "the file that was examined."
    )
    if data.manifest:
        doc.table(
            ("Evidence file", "SHA-256", "Bytes"),
            [(m.name, m.sha256, m.size) for m in data.manifest],
            widths_cm=(5.2, 9, 2),
        )
    else:
        doc.paragraph("No evidence file was attached.")
