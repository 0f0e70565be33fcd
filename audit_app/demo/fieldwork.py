"""Demo fieldwork for the completed audit: results and evidence, then the evaluated sample (demo/sampling.py)."""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa

from audit_app.demo import sampling
from audit_app.extensions import db
from audit_app.models import (
    Audit,
    ChecklistResponse,
    EvidenceMethod,
    EvidenceMode,
    ResponseResult,
    User,
)
from audit_app.services.fieldwork import evidence, responses

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
    sampling.run(audit, auditor, next(r for r in audit_responses(audit) if r.item.ref == "7.2"))


def audit_responses(audit: Audit) -> list[ChecklistResponse]:
    return list(db.session.scalars(sa.select(ChecklistResponse).where(ChecklistResponse.audit_id == audit.id)))
