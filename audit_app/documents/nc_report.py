"""One nonconformity report (NCR) for the auditee's acknowledgement and response, built from `NcReportData`.

The first part states the nonconformity; the second holds the response, filled in where the app already has it
and left as blank "Response Space" paragraphs where nothing is recorded yet, so the report can be printed, filled
in by hand or in Word, and returned.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from audit_app.documents.control import DocumentControl
from audit_app.documents.document import ReportDocument
from audit_app.documents.front_matter import NOTHING, day, joined, moment, start

if TYPE_CHECKING:
    from audit_app.services.reports.nc_data import NcReportData


def _blank(doc: ReportDocument, *prompts: str) -> None:
    """Space to write in: one Response Space paragraph per prompt ("Name:", "Date:"), or one empty one."""
    for prompt in prompts or ("",):
        doc.paragraph(prompt, "Response Space")


def _answer(doc: ReportDocument, label: str, text: str, *prompts: str) -> None:
    """A response field: the recorded text, or space to write it."""
    doc.paragraph(f"{label}:", "Body Text")
    if text.strip():
        doc.paragraph(text, "Statement")
    else:
        _blank(doc, *prompts)


def build_nc_report(data: NcReportData, control: DocumentControl, template: bytes) -> bytes:
    doc = start(
        template,
        control,
        kind="Nonconformity report",
        subject=data.reference,
        fields=[
            ("Title", data.title or NOTHING),
            ("Audit", data.audit or f"Raised outside an audit ({data.source})"),
            ("Grade", data.grade),
            ("Auditee unit", data.auditee_unit or NOTHING),
            ("Issued", day(data.issued_at) if data.issued_at else "Not issued yet"),
        ],
        page_break=False,
    )
    _nonconformity(doc, data)
    _evidence(doc, data)
    _responsibility(doc, data)
    doc.page_break()
    _response(doc, data)
    return doc.to_bytes()


def _nonconformity(doc: ReportDocument, data: NcReportData) -> None:
    doc.heading("The nonconformity")
    doc.fields(
        [
            ("Reference", data.reference),
            ("Status", data.status + (f" (corrective-action cycle {data.cycle})" if data.cycle > 1 else "")),
            ("Grade", data.grade + (" — systemic" if data.systemic else "")),
            ("Why this grade", data.grade_rationale or NOTHING),
            ("Clauses and controls", joined(data.clauses)),
            ("Other criteria", data.other_criteria or NOTHING),
            ("Source", data.source),
        ]
    )
    doc.heading("Requirement", 2)
    doc.paragraph(data.requirement or NOTHING, "Statement")
    doc.heading("Statement of nonconformity", 2)
    doc.paragraph(data.statement or NOTHING, "Statement")


def _evidence(doc: ReportDocument, data: NcReportData) -> None:
    doc.heading("Objective evidence")
    doc.paragraph(data.evidence_summary or "No summary recorded.", "Statement")
    if data.evidence:
        doc.heading("Evidence entries", 2)
        doc.table(
            ("Entry", "Item", "Method", "Source and date", "What it shows", "Files"),
            [
                (
                    e.reference,
                    e.item,
                    e.method,
                    f"{e.source}\n{day(e.on)}",
                    e.description,
                    "\n".join(e.files) or NOTHING,
                )
                for e in data.evidence
            ],
            widths_cm=(1.6, 1.4, 2.4, 3.4, 4.4, 3.0),
        )
    if data.samples:
        doc.heading("Samples", 2)
        doc.table(
            ("Sample", "What was tested", "Population and period", "Result", "Deviating items"),
            [(s.reference, s.title, s.population, s.summary, joined(s.deviating)) for s in data.samples],
            widths_cm=(2.8, 3.0, 3.6, 4.2, 2.6),
        )


def _responsibility(doc: ReportDocument, data: NcReportData) -> None:
    doc.heading("Where found and who answers for it")
    doc.fields(
        [
            ("AI system", data.ai_system or NOTHING),
            ("Where found (unit or process)", data.location or NOTHING),
            ("Site", data.site or NOTHING),
            ("Auditee unit", data.auditee_unit or NOTHING),
            ("Process owner", data.process_owner or NOTHING),
            ("Raised by", f"{data.raised_by or NOTHING}, {moment(data.raised_at)}"),
            ("Issued by", f"{data.issued_by}, {moment(data.issued_at)}" if data.issued_at else "Not issued yet"),
        ]
    )
    doc.heading("Due dates", 2)
    if data.dues:
        doc.table(
            ("Step", "Due on", "Originally due", "Done"),
            [(d.step, day(d.on), day(d.original), day(d.met) if d.met else "Open") for d in data.dues],
        )
    else:
        doc.paragraph("Due dates are set when the nonconformity is issued.")


def _response(doc: ReportDocument, data: NcReportData) -> None:
    doc.heading("Auditee response")
    doc.paragraph(
        "Complete the parts not yet recorded and return this report to the lead auditor, or enter the response "
        "in the audit application. Correction deals with this instance; corrective action removes its cause."
    )
    doc.heading("Acknowledgement", 2)
    if data.acknowledged_at is not None:
        doc.paragraph(f"Acknowledged by {data.acknowledged_by or NOTHING} on {moment(data.acknowledged_at)}.")
    else:
        doc.paragraph("I have read this nonconformity report and accept responsibility for the response.")
        _blank(doc, "Name:", "Position:", "Date:", "Signature:")
    plan = data.plan
    doc.heading("Correction", 2)
    _answer(doc, "What was done about this instance and its consequences, and when", plan.correction if plan else "")
    doc.heading("Root cause", 2)
    if plan is not None and plan.rca_method:
        doc.labelled("Method", plan.rca_method)
    else:
        doc.paragraph("Method (5 whys, fishbone, fault tree or free text):", "Body Text")
        _blank(doc)
    _answer(doc, "Analysis", plan.rca_analysis if plan else "")
    _answer(doc, "Root cause found", plan.root_cause if plan else "")
    _answer(doc, "Could the same cause exist elsewhere? What was checked", plan.extent_check if plan else "")
    _plan(doc, data)
    _verification(doc, data)


def _plan(doc: ReportDocument, data: NcReportData) -> None:
    doc.heading("Corrective-action plan", 2)
    if data.actions:
        doc.table(
            ("Action", "Owner", "Due", "Status", "Implementation"),
            [
                (a.description, a.owner or NOTHING, day(a.due), a.status, a.implementation or NOTHING)
                for a in data.actions
            ],
            widths_cm=(5.2, 2.6, 2.2, 2.4, 4.0),
        )
    else:
        doc.paragraph("Actions that remove the cause (action, owner, due date):", "Body Text")
        _blank(doc, "1.", "2.", "3.")
    plan = data.plan
    if plan is not None and plan.submitted_at is not None:
        doc.labelled("Plan submitted", f"{plan.submitted_by or NOTHING}, {moment(plan.submitted_at)}")
    if plan is not None and plan.decision:
        reason = f" — {plan.decision_reason}" if plan.decision_reason else ""
        doc.labelled("Plan decision", f"{plan.decision} by {plan.decided_by} on {day(plan.decided_at)}{reason}")
    else:
        doc.paragraph("Plan accepted by the lead auditor:", "Body Text")
        _blank(doc, "Name:", "Date:")


def _verification(doc: ReportDocument, data: NcReportData) -> None:
    doc.heading("Verification of implementation", 2)
    if data.verified_at is not None:
        doc.paragraph(data.verification or NOTHING, "Statement")
        doc.labelled("Verified by", f"{data.verified_by or NOTHING}, {day(data.verified_at)}")
    else:
        doc.paragraph("What the verifier (independent of the action owners) saw:", "Body Text")
        _blank(doc, "", "Verified by:", "Date:")
    doc.heading("Effectiveness review", 2)
    if data.effectiveness_at is not None:
        doc.paragraph(data.effectiveness_review or NOTHING, "Statement")
        doc.labelled("Effectiveness evidence", data.effectiveness_evidence)
        doc.labelled("Reviewed by", f"{data.effectiveness_by or NOTHING}, {day(data.effectiveness_at)}")
    else:
        needed = " (required before a major nonconformity is closed)" if data.major else ""
        doc.paragraph(f"Evidence that the cause is removed and the problem has not recurred{needed}:", "Body Text")
        _blank(doc, "", "Reviewed by:", "Date:")
    doc.heading("Closure", 2)
    if data.final and data.closed_at is not None:
        doc.paragraph(f"{data.status} on {day(data.closed_at)}.")
    else:
        doc.paragraph("Outcome (closed: effective / not effective, reopened):", "Body Text")
        _blank(doc, "", "Closed by (lead auditor):", "Date:", "Signature:")
