"""Samples of an audit: population snapshot, size, seeded draw, per-item results and evaluation.

The maths lives in sampling_math and the selection in sampling_select (both pure); this module keeps
the record (ISO 19011 A.6; DOMAIN 3.6) and its rules: the seed is stored before drawing, a sample is
never re-drawn, replacements come from the same seeded stream and are logged.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal

import sqlalchemy as sa

from audit_app.errors import Conflict, DomainError, NotFound, ValidationFailed
from audit_app.extensions import db
from audit_app.models import (
    Audit,
    Evidence,
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
from audit_app.services.access import Need
from audit_app.services.sampling import maths
from audit_app.services.sampling import selection as sel
from audit_app.services.sampling.lifecycle import DRAW, EVALUATE, SAMPLE_LIFECYCLE, ensure_draft
from audit_app.services.sampling.populations import load_population
from audit_app.services.text import clean


def get_sample(audit: Audit, sample_id: int) -> Sample:
    sample = db.session.get(Sample, sample_id)
    if sample is None or sample.audit_id != audit.id:
        raise NotFound("That sample is not part of this audit.")
    return sample


def list_samples(audit: Audit) -> list[Sample]:
    return list(db.session.scalars(sa.select(Sample).where(Sample.audit_id == audit.id).order_by(Sample.sequence)))


@dataclass(frozen=True)
class SampleData:
    title: str
    attribute: str
    sampling_unit: str = ""
    checklist_item_ids: tuple[int, ...] = ()


def create_sample(audit: Audit, data: SampleData, *, actor: User) -> Sample:
    """Open a sample for one or more in-scope clauses or controls, with its objective and deviation definition."""
    access.ensure(actor, audit, Need.WORK)
    title = clean(data.title, field="title", max_length=200, required=True)
    attribute = clean(data.attribute, field="attribute", max_length=4000, required=True, multiline=True)
    unit = clean(data.sampling_unit, field="sampling_unit", max_length=120)
    scope = {i.id: i for i in audit.scope_items}
    if not data.checklist_item_ids or any(i not in scope for i in data.checklist_item_ids):
        raise ValidationFailed.on(
            "checklist_item_ids", "Choose one or more of the audit's in-scope clauses or controls."
        )
    sequence = (db.session.scalar(sa.select(sa.func.max(Sample.sequence)).where(Sample.audit_id == audit.id)) or 0) + 1
    sample = Sample(
        audit_id=audit.id,
        sequence=sequence,
        title=title,
        attribute=attribute,
        sampling_unit=unit,
        created_by_id=actor.id,
        checklist_items=[scope[i] for i in dict.fromkeys(data.checklist_item_ids)],
    )
    db.session.add(sample)
    activity.record(actor, "sample.created", sample, audit_id=audit.id, title=title)
    return sample


@dataclass(frozen=True)
class SizeData:
    method: SampleMethod
    basis: SizeBasis
    confidence: Decimal | None = None
    tolerable_rate: Decimal | None = None
    expected_rate: Decimal | None = None
    use_fpc: bool = False
    frequency: str = ""
    risk: str = ""
    sites_kind: str = ""
    manual_size: int | None = None
    rationale: str = ""


def set_size(sample: Sample, data: SizeData, *, actor: User) -> int:
    """Choose the method and compute the sample size with its rationale."""
    access.ensure(actor, sample.audit, Need.WORK)
    ensure_draft(sample, "method and size")
    if not sample.population_size:
        raise Conflict("Define the population before the size.")
    N = sample.population_size
    rationale = clean(data.rationale, field="rationale", max_length=4000, multiline=True)
    params: dict = {}
    sample.confidence = sample.tolerable_rate = sample.expected_rate = None
    try:
        if data.method is SampleMethod.WHOLE_POPULATION:
            size, why = N, "Every unit of the population is tested."
        elif data.method is SampleMethod.JUDGEMENTAL:
            size, why = 0, "Judgemental: the auditor picks the units, each with a rationale."
        elif data.basis is SizeBasis.ATTRIBUTE:
            result = maths.attribute_sample_size(
                data.confidence, data.tolerable_rate, data.expected_rate or 0, N if data.use_fpc else None
            )
            size = min(result.sample_size, N)
            sample.confidence, sample.tolerable_rate = data.confidence, data.tolerable_rate
            sample.expected_rate = data.expected_rate or Decimal(0)
            params = {"tolerable_deviations": result.tolerable_deviations, "distribution": result.method}
            why = (
                f"Attribute sampling ({result.method}): {result.confidence:.0%} confidence, tolerable "
                f"rate {result.tolerable_rate:.1%}, expected rate {result.expected_rate:.1%}; "
                f"tolerates {result.tolerable_deviations} deviation(s). {result.note}"
            ).strip()
        elif data.basis is SizeBasis.FREQUENCY:
            size = min(maths.frequency_sample_size(data.frequency, data.risk), N)
            params = {"frequency": data.frequency, "risk": data.risk}
            why = f"Control-frequency table ({data.frequency}, {data.risk} risk). {maths.FREQUENCY_TABLE_NOTE}"
        elif data.basis is SizeBasis.SITE_RULE:
            size = min(maths.site_sample_size(N, data.sites_kind), N)
            params = {"sites_kind": data.sites_kind}
            why = f"IAF MD 1 site rule for {data.sites_kind} audits over {N} sites."
        else:
            if data.manual_size is None or not 1 <= data.manual_size <= N:
                raise ValidationFailed.on("manual_size", f"Give a sample size from 1 to {N}.")
            if not rationale:
                raise ValidationFailed.on("rationale", "Explain how the size was chosen.")
            size, why = data.manual_size, "Size set by the auditor's judgement."
    except maths.SamplingInputError as exc:
        raise ValidationFailed.on(exc.parameter, str(exc)) from exc
    sample.method, sample.size_basis, sample.use_fpc = data.method, data.basis, data.use_fpc
    sample.sample_size, sample.size_parameters = size, params
    sample.size_rationale = f"{why} {rationale}".strip()
    activity.record(actor, "sample.size_set", sample, method=data.method.value, size=size)
    return size


def is_statistical(sample: Sample) -> bool:
    """Statistical evaluation only for random methods sized with the attribute calculator."""
    return bool(sample.method and sample.method.statistical and sample.size_basis is SizeBasis.ATTRIBUTE)


def draw(
    sample: Sample, *, actor: User, seed: int | None = None, picks: dict[str, str] | None = None
) -> list[SampleItem]:
    """Store the seed, then draw once; the record keeps seed, algorithm and library versions."""
    access.ensure(actor, sample.audit, Need.WORK)
    roles = access.parties(actor, sample.audit)
    SAMPLE_LIFECYCLE.check(sample, DRAW, roles=roles)  # refused before anything is computed
    assert sample.method is not None  # noqa: S101  (the draw's gate)
    population = load_population(sample)
    if sample.method.statistical:
        sample.seed = sel.new_seed() if seed is None else seed
        db.session.flush()  # the seed is on record before anything is drawn
    try:
        selection = sel.select(
            population,
            sample.method.value,
            sample.sample_size or None,
            seed=sample.seed,
            picks={k.strip(): v for k, v in (picks or {}).items()} or None,
        )
    except sel.SelectionError as exc:
        raise ValidationFailed.on(exc.parameter, str(exc)) from exc
    SAMPLE_LIFECYCLE.apply(sample, DRAW, roles=roles, actor=actor)  # one winner if two draws race
    sample.algorithm = sel.ALGORITHM if sample.method.statistical else "none (not a random selection)"
    sample.library_versions, sample.selection_params = sel.library_versions(), selection.params
    for order, index in enumerate(selection.indices, start=1):
        unit = population.units[index]
        sample.items.append(
            SampleItem(
                draw_order=order,
                population_index=index,
                key=unit.key[:200],
                label=unit.label[:500],
                stratum=unit.stratum[:200],
                rationale=selection.rationale.get(index, ""),
            )
        )
    if sample.method is SampleMethod.JUDGEMENTAL:
        sample.sample_size = len(selection.indices)
    activity.record(
        actor, "sample.drawn", sample, seed=sample.seed, n=len(selection.indices), sha256=sample.population_hash
    )
    return sample.items


def reperform(sample: Sample) -> bool:
    """Draw again from the snapshot with the recorded seed: True when the original selection comes back."""
    if sample.status is SampleStatus.DRAFT or sample.method is None:
        return False
    drawn = db.session.execute(  # columns only: a whole-population sample can hold many thousands of items
        sa.select(SampleItem.population_index, SampleItem.key, SampleItem.rationale)
        .where(SampleItem.sample_id == sample.id, SampleItem.replaces_id.is_(None))
        .order_by(SampleItem.draw_order)
    ).all()
    picks = {key: rationale for _, key, rationale in drawn} if sample.method is SampleMethod.JUDGEMENTAL else None
    selection = sel.select(
        load_population(sample),
        sample.method.value,
        sample.selection_params.get("requested_n", sample.sample_size),
        seed=sample.seed,
        picks=picks,
    )
    return selection.indices == tuple(index for index, _, _ in drawn)


def reperformance(sample: Sample) -> tuple[bool | None, str]:
    """The re-performance check as a page or report shows it: (same selection?, what went wrong).

    None while the sample is a draft (nothing drawn yet); False with the reason when the snapshot cannot be read or
    re-drawn.
    """
    if sample.status is SampleStatus.DRAFT:
        return None, ""
    try:
        return reperform(sample), ""
    except (DomainError, OSError, ValueError) as exc:
        return False, str(exc)


def record_result(
    item: SampleItem, result: SampleItemResult, *, actor: User, note: str = "", evidence_id: int | None = None
) -> SampleItem | None:
    """Record an item's result; a not-testable item gets a replacement from the same seeded stream (logged)."""
    sample = item.sample
    access.ensure(actor, sample.audit, Need.WORK)
    if sample.status is not SampleStatus.SELECTED:
        raise Conflict("Results are recorded after the draw and before the evaluation.")
    if item.result is SampleItemResult.NOT_TESTABLE and any(i.replaces_id == item.id for i in sample.items):
        raise Conflict("This item was replaced; record the result on its replacement.")
    note = clean(note, field="note", max_length=4000, multiline=True)
    if result is SampleItemResult.NOT_TESTABLE and not note:
        raise ValidationFailed.on("note", "Say why the item cannot be tested (e.g. the record was voided).")
    if evidence_id is not None:
        evidence = db.session.get(Evidence, evidence_id)
        if evidence is None or evidence.audit_id != sample.audit_id:
            raise ValidationFailed.on("evidence_id", "Choose evidence recorded in this audit.")
    item.result, item.note, item.evidence_id = result, note, evidence_id
    item.tested_by_id, item.tested_at = actor.id, utcnow()
    activity.record(actor, "sample.item_result", sample, item=item.key, result=result.value)
    if result is not SampleItemResult.NOT_TESTABLE:
        return None
    return _replace(sample, item, actor)


def _replace(sample: Sample, item: SampleItem, actor: User) -> SampleItem | None:
    if sample.method is None or not sample.method.statistical:
        return None  # judgemental or whole population: no statistical replacement; the note explains
    population = load_population(sample)
    selection = sel.Selection(
        sample.method.value,
        sample.seed,
        tuple(i.population_index for i in sample.items if i.replaces_id is None),
        sample.selection_params,
        {},
    )
    used = {i.population_index for i in sample.items}
    index = sel.next_replacement(
        population, selection, used, item.stratum if sample.method is SampleMethod.STRATIFIED else None
    )
    if index is None:
        return None
    unit = population.units[index]
    replacement = SampleItem(
        draw_order=max(i.draw_order for i in sample.items) + 1,
        population_index=index,
        key=unit.key[:200],
        label=unit.label[:500],
        stratum=unit.stratum[:200],
        replaces_id=item.id,
    )
    sample.items.append(replacement)
    activity.record(
        actor, "sample.replacement_drawn", sample, replaced=item.key, replacement=unit.key, reason=item.note
    )
    return replacement


def evaluate(sample: Sample, *, actor: User) -> maths.Evaluation:
    """Count deviations, compute the upper limit when statistical, conclude, and propose a finding."""
    access.ensure(actor, sample.audit, Need.WORK)
    SAMPLE_LIFECYCLE.apply(sample, EVALUATE, roles=access.parties(actor, sample.audit), actor=actor)
    tested = [i for i in sample.items if i.result in (SampleItemResult.CONFORMING, SampleItemResult.DEVIATION)]
    deviations = sum(i.result is SampleItemResult.DEVIATION for i in tested)
    statistical = is_statistical(sample)
    result = maths.evaluate(
        len(tested),
        deviations,
        confidence=sample.confidence if statistical else None,
        tolerable_rate=sample.tolerable_rate if statistical else None,
        statistical=statistical,
    )
    sample.deviations, sample.upper_limit, sample.conclusion = deviations, result.upper_limit, result.conclusion
    sample.proposed_finding = proposed_finding(sample, deviations, len(tested)) if deviations else ""
    sample.evaluated_at = utcnow()
    activity.record(
        actor, "sample.evaluated", sample, deviations=deviations, tested=len(tested), upper_limit=result.upper_limit
    )
    return result


def proposed_finding(sample: Sample, deviations: int, tested: int) -> str:
    """A finding statement with the ratio, e.g. "3 of 25 sampled model releases did not meet: …"."""
    unit = sample.sampling_unit or "items"
    refs = ", ".join(i.ref for i in sample.checklist_items)
    keys = ", ".join(i.key for i in sample.items if i.result is SampleItemResult.DEVIATION)
    return (
        f"{deviations} of {tested} sampled {unit} did not meet the tested attribute: {sample.attribute.rstrip('.')} "
        f"(criteria: {refs}; sample {sample.reference}; deviating items: {keys})."
    )


# --- Figures as a page or report prints them --------------------------------------------------------------------


def limit_percent(value: float | None) -> str:
    """An upper limit as a percentage rounded up to 0.1% (as the AICPA evaluation tables show it)."""
    if value is None:
        return ""
    return f"{math.ceil(value * 1000 - 1e-9) / 10:.1f}%"


def percent(value: Decimal | None) -> str:
    """A stored fraction as a percentage: Decimal("0.95") -> "95%", Decimal("0.025") -> "2.5%"."""
    if value is None:
        return ""
    return f"{(Decimal(value) * 100).normalize():f}%"
