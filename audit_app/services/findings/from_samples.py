"""Raise as finding: an evaluated sample's proposed finding becomes a draft finding with its statement, criteria,
the deviating items' evidence and the sample itself cited with its ratio, population and period."""

from __future__ import annotations

import sqlalchemy as sa

from audit_app.errors import Conflict
from audit_app.extensions import db
from audit_app.models import (
    DeviationNature,
    Finding,
    FindingSample,
    FindingStatus,
    Sample,
    SampleItem,
    SampleStatus,
    User,
)
from audit_app.services.findings.records import FindingInput, create_in_audit
from audit_app.services.findings.sample_citations import DEVIATING, deviating_keys, summary


def raise_as_finding(sample: Sample, *, actor: User) -> Finding:
    """Draft a finding from an evaluated sample's proposed finding: statement, criteria, evidence and sample link."""
    if sample.status is not SampleStatus.EVALUATED or not sample.proposed_finding.strip():
        raise Conflict(
            "Only an evaluated sample with a proposed finding (deviations interpreted) is raised as a finding."
        )
    existing = db.session.scalar(
        sa.select(Finding.id)
        .join(FindingSample, FindingSample.finding_id == Finding.id)
        .where(
            FindingSample.sample_id == sample.id, Finding.status.not_in([FindingStatus.WITHDRAWN, FindingStatus.MERGED])
        )
        .limit(1)
    )
    if existing is not None:
        raise Conflict(f"This sample is already cited by finding {existing}; open it instead of raising another.")
    keys = deviating_keys(sample)
    refs = [i.ref for i in sample.checklist_items if i.auditable]
    evidence_ids = sorted(
        {
            eid
            for eid in db.session.scalars(
                sa.select(SampleItem.evidence_id).where(
                    SampleItem.sample_id == sample.id,
                    SampleItem.result.in_(DEVIATING),
                    SampleItem.evidence_id.is_not(None),
                )
            )
            if eid is not None
        }
    )
    systemic = sample.deviation_nature is DeviationNature.SYSTEMIC
    nature = sample.deviation_nature.value if sample.deviation_nature else "not yet judged"
    data = FindingInput(
        grade="minor" if not systemic else "major",
        title=f"Deviations in sample {sample.reference}: {sample.title}"[:200],
        requirement="",
        statement=sample.proposed_finding,
        evidence_summary=summary(sample, keys),
        grade_rationale=f"The deviations were judged {nature}: {sample.deviation_cause.strip()}"[:4000],
        systemic=systemic,
        clause_refs=refs,
        evidence_ids=evidence_ids,
        sample_ids=[sample.id],
    )
    return create_in_audit(sample.audit, data, actor=actor)
