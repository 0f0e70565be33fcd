"""Evaluating a tested sample as it was designed, what its deviations mean, and the reviewer's sign-off.

Each attribute (A1, A2, …) is evaluated on its own (limits.py): exact hypergeometric limits for samples sized with
the finite-population correction, Clopper-Pearson for large-population samples, per stratum combined by the
stratum weights for stratified samples, the population's own rate when every unit was tested, and no projection for
judgemental ones. Items that could not be examined count as deviations; void items (replaced) do not count.
Before a finding is proposed the auditor records what the deviations mean (cause, isolated or systemic); the
audit's lead auditor then signs the evaluated sample off (ISO 19011 A.6; DOMAIN 3.3 and 3.6).
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import sqlalchemy as sa

from audit_app.errors import ChangedMeanwhile, Conflict, NotAllowed
from audit_app.extensions import db
from audit_app.models import (
    DeviationNature,
    Sample,
    SampleItem,
    SampleItemResult,
    SampleMethod,
    SampleStatus,
    SizeBasis,
    User,
    utcnow,
)
from audit_app.services import access, activity
from audit_app.services.access import Need, Party
from audit_app.services.sampling import limits, maths
from audit_app.services.sampling.lifecycle import EVALUATE, SAMPLE_LIFECYCLE, evaluation_blockers
from audit_app.services.sampling.results import codes
from audit_app.services.text import clean

R = SampleItemResult


def is_statistical(sample: Sample) -> bool:
    """Statistical evaluation only for random methods sized with the attribute calculator."""
    return bool(sample.method and sample.method.statistical and sample.size_basis is SizeBasis.ATTRIBUTE)


def design(sample: Sample) -> str:
    """How the sample's results are evaluated, following how it was selected and sized."""
    if sample.method is SampleMethod.WHOLE_POPULATION:
        return limits.WHOLE_POPULATION
    if not is_statistical(sample):
        return limits.JUDGEMENTAL
    return limits.HYPERGEOMETRIC if sample.use_fpc else limits.BINOMIAL


def tallies(sample: Sample) -> dict[str, limits.Tally]:
    """Per attribute, the tested items and deviations by stratum (void and pending items are left out)."""
    attribute_codes = codes(sample)
    stratified = sample.method is SampleMethod.STRATIFIED
    tested: dict[str, dict[str, int]] = {c: {} for c in attribute_codes}
    deviating: dict[str, dict[str, int]] = {c: {} for c in attribute_codes}
    unexaminable = dict.fromkeys(attribute_codes, 0)
    rows = db.session.execute(
        sa.select(SampleItem.stratum, SampleItem.result, SampleItem.attribute_results).where(
            SampleItem.sample_id == sample.id, SampleItem.result.not_in([R.VOID, R.PENDING])
        )
    )
    for stratum, result, per_attribute in rows:
        group = stratum if stratified else ""
        for code in attribute_codes:
            value = R(per_attribute[code]) if per_attribute and code in per_attribute else result
            if value not in (R.CONFORMING, R.DEVIATION, R.NOT_TESTABLE):
                continue
            tested[code][group] = tested[code].get(group, 0) + 1
            if value.counts_as_deviation:
                deviating[code][group] = deviating[code].get(group, 0) + 1
            unexaminable[code] += value is R.NOT_TESTABLE
    return {c: limits.Tally(tested[c], deviating[c], unexaminable[c]) for c in attribute_codes}


def _evaluate_attributes(sample: Sample) -> list[limits.AttributeEvaluation]:
    how = design(sample)
    statistical = how in (limits.HYPERGEOMETRIC, limits.BINOMIAL)
    strata = None
    if statistical and sample.method is SampleMethod.STRATIFIED:
        strata = {h: int(s["N_h"]) for h, s in (sample.selection_params.get("strata") or {}).items()}
    confidence = Fraction(str(sample.confidence)) if statistical and sample.confidence is not None else None
    tolerable = Fraction(str(sample.tolerable_rate)) if statistical and sample.tolerable_rate is not None else None
    counted = tallies(sample)
    return [
        limits.evaluate_attribute(
            a["code"],
            a["text"] if len(sample.attribute_list) > 1 else "",
            counted[a["code"]],
            design=how,
            confidence=confidence,
            tolerable_rate=tolerable,
            population=sample.population_size,
            strata_sizes=strata,
        )
        for a in sample.attribute_list
    ]


def evaluate(sample: Sample, *, actor: User) -> maths.Evaluation:
    """Evaluate every attribute as designed; the sample relies on the control only if every attribute does."""
    access.ensure(actor, sample.audit, Need.WORK)
    SAMPLE_LIFECYCLE.apply(sample, EVALUATE, roles=access.parties(actor, sample.audit), actor=actor)
    if evaluation_blockers(sample):  # read again under the state change: a replacement drawn meanwhile is pending
        raise ChangedMeanwhile(SAMPLE_LIFECYCLE.wording.changed_meanwhile)
    per_attribute = _evaluate_attributes(sample)
    counted = db.session.execute(
        sa.select(SampleItem.result, sa.func.count())
        .where(SampleItem.sample_id == sample.id)
        .group_by(SampleItem.result)
    )
    counts: dict[SampleItemResult, int] = dict.fromkeys(R, 0)
    for result_value, count in counted:
        counts[result_value] = count
    deviations = counts[R.DEVIATION] + counts[R.NOT_TESTABLE]
    tested = deviations + counts[R.CONFORMING]
    limits_found = [a.upper_limit for a in per_attribute if a.upper_limit is not None]
    verdicts = [a.effective for a in per_attribute]
    effective = None if None in verdicts else all(verdicts)
    conclusion = " ".join(a.conclusion for a in per_attribute)
    statistical = is_statistical(sample)
    result = maths.Evaluation(
        sample_size=tested,
        deviations=deviations,
        deviation_rate=deviations / tested if tested else 0.0,
        upper_limit=max(limits_found) if limits_found else None,
        tolerable_rate=float(sample.tolerable_rate) if statistical and sample.tolerable_rate is not None else None,
        confidence=float(sample.confidence) if statistical and sample.confidence is not None else None,
        statistical=statistical,
        effective=effective,
        conclusion=conclusion,
    )
    sample.deviations, sample.upper_limit, sample.conclusion = deviations, result.upper_limit, conclusion
    sites = {"sites": site_split(sample)} if sample.size_basis is SizeBasis.SITE_RULE else {}
    sample.evaluation = {
        **sites,
        "design": design(sample),
        "effective": effective,
        "attributes": [a.record() for a in per_attribute],
    }
    sample.proposed_finding = ""  # offered once the auditor has recorded what the deviations mean
    sample.evaluated_at = utcnow()
    activity.record(
        actor, "sample.evaluated", sample, deviations=deviations, tested=tested, upper_limit=result.upper_limit
    )
    return result


def site_split(sample: Sample) -> dict[str, object]:
    """An IAF MD 1 site sample's sites drawn at random and chosen on risk (the picks carry their reason), and the
    sites of each part with a deviation: a nonconformity at one site asks whether the others are affected."""
    params = sample.size_parameters or {}
    rows = db.session.execute(
        sa.select(SampleItem.key, SampleItem.rationale, SampleItem.result).where(
            SampleItem.sample_id == sample.id, SampleItem.result.not_in([R.VOID, R.PENDING])
        )
    ).all()
    deviating = [(key, bool(why)) for key, why, result in rows if result.counts_as_deviation]
    return {
        "central_function": params.get("central_function", ""),
        "random_share": params.get("random_share", 100),
        "random": sum(not why for _, why, _ in rows),
        "on_risk": sum(bool(why) for _, why, _ in rows),
        "deviating_random": sorted(key for key, picked in deviating if not picked),
        "deviating_on_risk": sorted(key for key, picked in deviating if picked),
    }


def _ensure_open_evaluation(sample: Sample) -> None:
    if sample.status is not SampleStatus.EVALUATED:
        raise Conflict("Only an evaluated sample is interpreted and signed off.")
    if sample.signed_off_at is not None:
        raise Conflict("This sample has been signed off: its evaluation no longer changes.")


def interpret(sample: Sample, *, cause: str, nature: DeviationNature, actor: User) -> str:
    """Record what the deviations mean (their cause, isolated or systemic); the proposed finding then follows."""
    access.ensure(actor, sample.audit, Need.WORK)
    _ensure_open_evaluation(sample)
    if not sample.deviations:
        raise Conflict("The sample found no deviations, so there is nothing to interpret.")
    text = clean(cause, field="cause", max_length=4000, required=True, multiline=True)
    sample.deviation_cause, sample.deviation_nature = text, nature
    sample.interpreted_by_id, sample.interpreted_at = actor.id, utcnow()
    sample.proposed_finding = proposed_finding(sample)
    activity.record(actor, "sample.deviations_interpreted", sample, nature=nature.value)
    return sample.proposed_finding


def sign_off_blockers(sample: Sample) -> list[str]:
    if sample.status is not SampleStatus.EVALUATED:
        return ["Evaluate the sample first."]
    if sample.deviations and sample.deviation_nature is None:
        return ["Record what the deviations mean (cause, isolated or systemic) before the sign-off."]
    return []


def may_sign_off(user: User, sample: Sample) -> bool:
    return (
        sample.signed_off_at is None
        and access.may(user, sample.audit, Need.WORK)
        and Party.AUDIT_LEAD in access.parties(user, sample.audit)
    )


def sign_off(sample: Sample, *, actor: User) -> None:
    """The audit's lead auditor reviews and signs off an evaluated sample (once; it then no longer changes)."""
    access.ensure(actor, sample.audit, Need.WORK)
    if Party.AUDIT_LEAD not in access.parties(actor, sample.audit):
        raise NotAllowed("Only the audit's lead auditor signs off a sample.")
    _ensure_open_evaluation(sample)
    if blockers := sign_off_blockers(sample):
        raise Conflict(" ".join(blockers))
    sample.signed_off_by_id, sample.signed_off_at = actor.id, utcnow()
    activity.record(actor, "sample.signed_off", sample, deviations=sample.deviations)


def _deviating_attributes(sample: Sample) -> list[dict[str, Any]]:
    return [a for a in (sample.evaluation or {}).get("attributes", []) if a.get("deviations")]


def proposed_finding(sample: Sample) -> str:
    """A finding statement with the ratio per attribute, the items and the auditor's reading of the deviations."""
    unit = sample.sampling_unit or "items"
    refs = ", ".join(i.ref for i in sample.checklist_items)
    keys = ", ".join(
        db.session.scalars(
            sa.select(SampleItem.key)
            .where(SampleItem.sample_id == sample.id, SampleItem.result.in_([R.DEVIATION, R.NOT_TESTABLE]))
            .order_by(SampleItem.draw_order)
        )
    )
    texts = {a["code"]: a["text"] for a in sample.attribute_list}
    parts = [
        f"{a['deviations']} of {a['tested']} sampled {unit} did not meet {a['code']}: "
        + texts.get(a["code"], "").rstrip(".")
        for a in _deviating_attributes(sample)
    ] or [f"{sample.deviations} sampled {unit} did not meet the tested attribute: {sample.attribute.rstrip('.')}"]
    nature = sample.deviation_nature.value if sample.deviation_nature else "not yet judged"
    return (
        f"{'; '.join(parts)} (criteria: {refs}; sample {sample.reference}; deviating items: {keys}). "
        f"The deviations are judged {nature}: {sample.deviation_cause.rstrip('.')}."
    )
