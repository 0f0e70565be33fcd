"""The audit plan sent to the auditees before the audit (ISO 19011 6.3.2.2), built from `AuditPlanData`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from audit_app.documents.control import DocumentControl
from audit_app.documents.document import ReportDocument
from audit_app.documents.front_matter import NOTHING, joined, start

if TYPE_CHECKING:
    from audit_app.services.reports.plan_data import AuditPlanData, PlanSession

EN_DASH = "\u2013"
METHODS_TEXT = (
    "The team gathers objective evidence by interviewing the people who run the processes in scope, by "
    "reviewing documents and records, by observing work as it happens and, where useful, by re-performing a "
    "control or analysing data. Only information that can be verified counts as evidence."
)
SAMPLING_TEXT = (
    "The audit works on samples: the team examines a selection of records, releases, AI systems or sites rather "
    "than all of them, so a conclusion carries the uncertainty of sampling. The samples planned so far are "
    "listed below with their population and planned size; the team may add or adjust samples during the audit."
)
CONFIDENTIALITY_TEXT = (
    "Everything the team sees or hears during the audit is used for the audit only. Documents and records are "
    "reviewed where they are kept or shared through the organisation's own channels; copies kept as evidence "
    "are stored in the audit application with restricted access."
)


def _when(s: PlanSession) -> str:
    return f"{s.day:%a %d %b %Y} {s.start:%H:%M}{EN_DASH}{s.end:%H:%M} ({s.minutes} min)"


def _what(s: PlanSession) -> str:
    text = f"{s.activity}: {s.title}"
    return f"{text}\n{s.notes}" if s.notes.strip() else text


def _who(s: PlanSession) -> str:
    parts = [joined(s.auditees, "")]
    if s.units:
        parts.append(f"Units: {joined(s.units)}")
    return "\n".join(p for p in parts if p) or NOTHING


def build_audit_plan(data: AuditPlanData, control: DocumentControl, template: bytes) -> bytes:
    doc = start(
        template,
        control,
        kind="Audit plan",
        subject=f"{data.reference} {data.title}",
        fields=[
            ("Audit type", data.audit_type),
            ("Audit programme", data.programme),
            ("Dates", data.dates),
            ("Lead auditor", data.lead_auditor),
            ("Audit client", data.client or NOTHING),
        ],
    )
    _objectives_and_scope(doc, data)
    _criteria(doc, data)
    _places(doc, data)
    _agenda(doc, data)
    _methods(doc, data)
    _people(doc, data)
    _language(doc, data)
    _earlier(doc, data)
    return doc.to_bytes()


def _objectives_and_scope(doc: ReportDocument, data: AuditPlanData) -> None:
    doc.heading("Audit objectives")
    doc.paragraph(data.objectives or "The objectives have not been recorded yet.")
    doc.heading("Audit scope")
    doc.heading("Organisational units, processes and sites", 2)
    if data.units:
        doc.bullets(data.units)
    else:
        doc.paragraph("No organisational unit has been named in the scope yet.")
    if data.scope_notes.strip():
        doc.labelled("Processes, functions and boundaries", data.scope_notes)
    doc.heading("AI systems", 2)
    if data.systems:
        doc.bullets(data.systems)
    else:
        doc.paragraph("No AI system has been named in the scope.")
    doc.labelled("Period covered", data.period)
    doc.labelled("Clauses and controls in scope", f"{len(data.items_in_scope)} items: {joined(data.items_in_scope)}")


def _criteria(doc: ReportDocument, data: AuditPlanData) -> None:
    doc.heading("Audit criteria")
    doc.paragraph("The audit is conducted against these pinned checklist versions:")
    doc.bullets(data.criteria or ["No checklist version has been pinned yet."])
    doc.labelled("Other criteria (policies, procedures, contracts, legal requirements)", data.other_criteria)


def _places(doc: ReportDocument, data: AuditPlanData) -> None:
    doc.heading("Locations, dates and mode")
    doc.labelled("Dates", data.dates)
    doc.labelled("Mode", data.method)
    doc.paragraph("Places (physical and virtual) used by the agenda:")
    doc.bullets(data.locations or ["To be confirmed with the auditees."])


def _agenda(doc: ReportDocument, data: AuditPlanData) -> None:
    doc.heading("Agenda")
    if not data.sessions:
        doc.paragraph("No session has been planned yet.")
        return
    doc.paragraph(
        "Times are local to the organisation. Sessions cover the clauses and controls listed against them; "
        "the auditees named are asked to attend or to send a deputy who can answer for the process."
    )
    doc.table(
        ("When", "Activity", "Place", "Auditors", "Auditees", "Items"),
        [(_when(s), _what(s), s.place, joined(s.auditors), _who(s), joined(s.items)) for s in data.sessions],
        widths_cm=(2.8, 3.4, 2.4, 2.4, 2.8, 2.2),
    )


def _methods(doc: ReportDocument, data: AuditPlanData) -> None:
    doc.heading("Audit methods and extent of sampling")
    doc.paragraph(METHODS_TEXT)
    doc.paragraph(SAMPLING_TEXT)
    if data.samples:
        doc.table(
            ("Sample", "What is tested", "Population", "Selection", "Planned size", "Status"),
            [(s.reference, s.title, s.population, s.method, s.size, s.status) for s in data.samples],
            widths_cm=(2.7, 3.5, 3.8, 2.4, 1.8, 1.8),
        )
    else:
        doc.paragraph("No sample has been planned yet; samples will be drawn during fieldwork where needed.")


def _people(doc: ReportDocument, data: AuditPlanData) -> None:
    doc.heading("Audit team")
    doc.table(("Name", "Role"), [(p.name, p.role) for p in data.team] or [(data.lead_auditor, "Lead auditor")])
    doc.heading("Auditee representatives")
    if data.auditees:
        doc.table(("Name", "Position", "Unit"), [(p.name, p.role, p.detail) for p in data.auditees])
    else:
        doc.paragraph("The auditee representatives have not been named yet.")


def _language(doc: ReportDocument, data: AuditPlanData) -> None:
    doc.heading("Language, reporting and confidentiality")
    doc.labelled("Working and reporting language", data.language)
    doc.paragraph(
        "Findings are presented at the closing meeting and in the audit report; each nonconformity is also "
        "sent to the unit that answers for it as a nonconformity report for acknowledgement and response."
    )
    doc.paragraph(data.confidentiality.strip() or CONFIDENTIALITY_TEXT)


def _earlier(doc: ReportDocument, data: AuditPlanData) -> None:
    doc.heading("Follow-up of earlier audits")
    if not data.earlier:
        doc.paragraph("No finding of an earlier audit is open for the units in scope.")
        return
    doc.paragraph("The team will check the progress of these open findings of earlier audits:")
    doc.table(
        ("Reference", "Audit", "Grade", "Title", "Unit", "Status"),
        [(f.reference, f.audit, f.grade, f.title, f.unit, f.status) for f in data.earlier],
    )
    if data.earlier_total > len(data.earlier):
        doc.paragraph(f"{data.earlier_total - len(data.earlier)} further open findings are not listed here.")
