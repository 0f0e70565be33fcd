"""Demo fieldwork for the completed audit: results, evidence and an evaluated sample."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from audit_app.models import (
    Audit,
    EvidenceMethod,
    EvidenceMode,
    PopulationSource,
    ResponseResult,
    SampleItemResult,
    SampleMethod,
    SizeBasis,
    User,
)
from audit_app.services.fieldwork import evidence, responses
from audit_app.services.sampling import populations, samples

RESULTS = {
    "5.2": (
        ResponseResult.OBSERVATION,
        "The AI policy is approved and published, but staff in Leeds could not say where to find it.",
    ),
    "7.2": (
        ResponseResult.NONCONFORMITY,
        "Competence evidence is missing for some AI role holders; see sample S01.",
    ),
    "7.5.3": (ResponseResult.OFI, "Consider automatic retention rules for model documentation in the DMS."),
}
EVIDENCE = {
    "4.3": (EvidenceMethod.DOCUMENT_REVIEW, "AIMS scope statement v2.0 (approved by the Executive Committee)"),
    "5.2": (EvidenceMethod.INTERVIEW, "Contact-centre team leader, Leeds"),
    "7.2": (EvidenceMethod.RECORD_REVIEW, "Learning-management export of AI training records"),
}


def run(audit: Audit, auditor: User, started: date) -> None:
    """Fill the working checklist of an audit in fieldwork (called by the demo loader)."""
    for response in sorted(audit_responses(audit), key=lambda r: r.item.position):
        ref = response.item.ref
        result, notes = RESULTS.get(ref, (ResponseResult.CONFORMING, "Arrangements seen and working as described."))
        responses.save_response(
            response, responses.ResponseData(result, notes, expected_version=response.version), actor=auditor
        )
        if ref in EVIDENCE:
            method, source = EVIDENCE[ref]
            evidence.add_evidence(
                response,
                evidence.EvidenceData(
                    method,
                    EvidenceMode.ON_SITE,
                    source,
                    started - timedelta(days=20),
                    "Seen during the audit; reference noted in the working papers.",
                ),
                actor=auditor,
                files=[(f"{ref}-notes.txt", f"Auditor's notes for {ref}: evidence seen on site.\n".encode())],
            )
    competence = next(r for r in audit_responses(audit) if r.item.ref == "7.2")
    sample = samples.create_sample(
        audit,
        samples.SampleData(
            "Competence evidence for AI role holders",
            "A training or qualification record exists for the role's required competence before the person "
            "started in the role.",
            "AI role holders",
            (competence.checklist_item_id,),
        ),
        actor=auditor,
    )
    roster = "\n".join(f"EMP-{i:03d}, AI role holder {i}" for i in range(1, 41))
    populations.set_population(
        sample,
        populations.PopulationData(
            PopulationSource.TYPED,
            description="HR role register, AI roles only, extracted on the audit's first day",
            completeness_check="Count reconciled to the 40 AI role assignments in the HR system.",
            typed=roster,
        ),
        actor=auditor,
    )
    samples.set_size(
        sample,
        samples.SizeData(
            SampleMethod.SIMPLE_RANDOM,
            SizeBasis.ATTRIBUTE,
            Decimal("0.90"),
            Decimal("0.10"),
            Decimal("0"),
            use_fpc=True,
        ),
        actor=auditor,
    )
    items = samples.draw(sample, actor=auditor, seed=20260929)
    for index, item in enumerate(list(items)):
        if index == 0:
            samples.record_result(
                item,
                SampleItemResult.NOT_TESTABLE,
                actor=auditor,
                note="Employee left before the audit; record archived off-site.",
            )
        else:
            failed = index in (3, 7)
            samples.record_result(
                item,
                SampleItemResult.DEVIATION if failed else SampleItemResult.CONFORMING,
                actor=auditor,
                note="No training record found." if failed else "",
            )
    for item in sample.items:
        if item.result is SampleItemResult.PENDING:
            samples.record_result(item, SampleItemResult.CONFORMING, actor=auditor)
    samples.evaluate(sample, actor=auditor)


def audit_responses(audit: Audit) -> list:
    from audit_app.extensions import db
    from audit_app.models import ChecklistResponse

    return list(db.session.scalars(db.select(ChecklistResponse).where(ChecklistResponse.audit_id == audit.id)))
