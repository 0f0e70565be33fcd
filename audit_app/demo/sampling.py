"""Demo sampling for the completed audit: competence records of AI role holders, drawn, tested, evaluated, the
deviations interpreted and the sample signed off by the lead auditor."""

from __future__ import annotations

from decimal import Decimal

from audit_app.models import (
    Audit,
    ChecklistResponse,
    DeviationNature,
    PopulationSource,
    SampleItemResult,
    SampleMethod,
    SizeBasis,
    User,
)
from audit_app.services.sampling import populations, samples


def run(audit: Audit, auditor: User, competence: ChecklistResponse) -> None:
    """A sample for clause 7.2 with one void (replaced) item and two deviations, evaluated exactly for the finite
    population, interpreted and signed off (called by demo/fieldwork)."""
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
                SampleItemResult.VOID,
                actor=auditor,
                note="Outside the population: the employee left the AI role before the period under audit.",
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
    samples.interpret(
        sample,
        cause="Both people joined the AI team by internal transfer, a route the onboarding checklist does not cover.",
        nature=DeviationNature.SYSTEMIC,
        actor=auditor,
    )
    samples.sign_off(sample, actor=audit.lead_auditor)
