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
from audit_app.services.fieldwork import evidence, responses, verdicts

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
    "A.4.3": (
        ResponseResult.NONCONFORMITY,
        "Data resources are documented for CreditScore, not for the Ask Nora chatbot; see the results per AI system.",
    ),
}
#: Evidence entries: item -> [(method, source, the in-scope AI system or unit it concerns, or None for the item as a
#: whole)].
EVIDENCE: dict[str, list[tuple[EvidenceMethod, str, str | None]]] = {
    "4.3": [(EvidenceMethod.DOCUMENT_REVIEW, "AIMS scope statement v2.0 (approved by the Executive Committee)", None)],
    "5.2": [(EvidenceMethod.INTERVIEW, "Contact-centre team leader, Leeds", None)],
    "7.2": [(EvidenceMethod.RECORD_REVIEW, "Learning-management export of AI training records", "Risk and Compliance")],
    "A.4.3": [
        (
            EvidenceMethod.DOCUMENT_REVIEW,
            "CreditScore data cards v4.2 (training, validation and live-input data) in the data catalogue",
            "CreditScore",
        ),
        (
            EvidenceMethod.INTERVIEW,
            "Ask Nora product owner, Customer Operations; retrieval index configuration shown on screen",
            "Ask Nora chatbot",
        ),
    ],
}
#: Results per in-scope AI system or unit (ISO 19011 6.4.8: where the finding was found):
#: item -> {AI system or unit: (result, statement)}.
PER_SUBJECT = {
    "7.2": {
        "Risk and Compliance": (
            ResponseResult.NONCONFORMITY,
            "Three of the model validators have no record of the required AI risk training; see sample S01.",
        ),
        "Executive Committee": (
            ResponseResult.CONFORMING,
            "Board AI briefing attendance confirmed by interview with the company secretary; records seen.",
        ),
    },
    "A.4.3": {
        "CreditScore": (
            ResponseResult.CONFORMING,
            "CreditScore: the data cards of version 4.2 record origin, dates, personal-data categories, known bias "
            "and retention of the training, validation and live-input data; the sampled training set matches the "
            "recorded training run.",
        ),
        "Ask Nora chatbot": (
            ResponseResult.NONCONFORMITY,
            "Ask Nora chatbot: no data resource record exists for the help-article corpus the chatbot retrieves "
            "from; its origin, owner, currency and any personal data in it are not documented (A.4.3).",
        ),
    },
}
#: How conformity was established where no evidence entry was kept (ISO 19011 6.4.7).
CONFORMING_NOTE = "Established by interview with the process owner and a walk-through of the current records."


def run(audit: Audit, auditor: User, started: date) -> None:
    """Fill the working checklist of an audit in fieldwork (called by the demo loader).

    Every nonconformity and observation has its statement and evidence; a conforming item without an evidence entry
    says how conformity was established; 7.2 is concluded per unit and A.4.3 per AI system.
    """
    subjects = {s.name: s.key for s in verdicts.subjects_of(audit)}
    for response in sorted(audit_responses(audit), key=lambda r: r.item.position):
        ref = response.item.ref
        for method, source, concerns in EVIDENCE.get(ref, []):  # recorded first: a finding needs its evidence
            evidence.add_evidence(
                response,
                evidence.EvidenceData(
                    method,
                    EvidenceMode.ON_SITE,
                    source,
                    started - timedelta(days=20),
                    "Seen during the audit; reference noted in the working papers.",
                    subject=subjects[concerns] if concerns else None,
                ),
                actor=auditor,
                files=[(f"{ref}-notes.txt", f"Auditor's notes for {ref}: {source}, seen on site.\n".encode())],
            )
        result, notes = RESULTS.get(ref, (ResponseResult.CONFORMING, CONFORMING_NOTE))
        parts = tuple(
            responses.PartData(*subjects[name], part_result, statement)
            for name, (part_result, statement) in PER_SUBJECT.get(ref, {}).items()
        )
        data = responses.ResponseData(
            None if parts else result, notes, expected_version=response.version, parts=parts or None
        )
        responses.save_response(response, data, actor=auditor)
    sampling.run(audit, auditor, next(r for r in audit_responses(audit) if r.item.ref == "7.2"))


def audit_responses(audit: Audit) -> list[ChecklistResponse]:
    return list(db.session.scalars(sa.select(ChecklistResponse).where(ChecklistResponse.audit_id == audit.id)))
