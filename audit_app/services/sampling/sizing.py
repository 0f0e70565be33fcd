"""A sample's method and size: the attribute calculator, the control-frequency table, the IAF MD 1 site rule (sites
only, with the central function), or the auditor's own size; stratified samples record their allocation rule."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from audit_app.errors import Conflict, ValidationFailed
from audit_app.models import Sample, SampleMethod, SizeBasis, User
from audit_app.services import access, activity
from audit_app.services.access import Need
from audit_app.services.sampling import maths
from audit_app.services.sampling import selection as sel
from audit_app.services.sampling.lifecycle import ensure_draft
from audit_app.services.sampling.populations import load_population
from audit_app.services.text import clean

#: IAF MD 1: at least this share (percent) of the sampled sites is chosen at random.
MIN_RANDOM_SHARE = 25


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
    #: Stratified: proportional, equal or fixed (then `fixed_sizes`: n_h per stratum).
    allocation: str = "proportional"
    fixed_sizes: dict[str, int] | None = None
    #: IAF MD 1 site rule: the central function (audited every time, not part of the sampled sites).
    central_function: str = ""
    #: IAF MD 1 site rule: the percentage of the sites drawn at random (25 to 100); the rest are chosen on risk.
    random_share: int = 100


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
            size, params, why = _site_rule(sample, data)
        else:
            if data.manual_size is None or not 1 <= data.manual_size <= N:
                raise ValidationFailed.on("manual_size", f"Give a sample size from 1 to {N}.")
            if not rationale:
                raise ValidationFailed.on("rationale", "Explain how the size was chosen.")
            size, why = data.manual_size, "Size set by the auditor's judgement."
    except maths.SamplingInputError as exc:
        raise ValidationFailed.on(exc.parameter, str(exc)) from exc
    if data.method is SampleMethod.STRATIFIED:
        size, allocation = _allocation(sample, data, size)
        params |= allocation
        if allocation["allocation"] == "fixed":
            shares = ", ".join(f"{h or '(blank)'}: {n}" for h, n in allocation["fixed"].items())
            why += f" Strata allocated by the auditor: {shares}."
        else:
            why += f" Strata allocated {allocation['allocation']}ly, at least one per stratum."
    sample.method, sample.size_basis, sample.use_fpc = data.method, data.basis, data.use_fpc
    sample.sample_size, sample.size_parameters = size, params
    # A mixed site selection fixes its random part now, so the auditor chooses the risk-based sites knowing it; a
    # new seed comes only with a new size, which the activity trail records with the seed.
    sample.seed = sel.new_seed() if params.get("judgemental_sites") else None
    sample.size_rationale = f"{why} {rationale}".strip()
    activity.record(actor, "sample.size_set", sample, method=data.method.value, size=size, seed=sample.seed)
    return size


def _site_rule(sample: Sample, data: SizeData) -> tuple[int, dict, str]:
    """IAF MD 1: only for a population of sites; the central function is named and audited every time."""
    if not sample.population_is_sites:
        raise ValidationFailed.on(
            "basis",
            "The IAF MD 1 site rule is for a population of sites only: freeze the population as the organisation's "
            "sites (central function excluded), or choose another basis.",
        )
    central = clean(data.central_function, field="central_function", max_length=200)
    if not central:
        raise ValidationFailed.on(
            "central_function", "Name the central function: it is audited at every audit and is not sampled."
        )
    share = data.random_share
    if not isinstance(share, int) or isinstance(share, bool) or not MIN_RANDOM_SHARE <= share <= 100:
        raise ValidationFailed.on(
            "random_share",
            f"IAF MD 1 asks that at least {MIN_RANDOM_SHARE}% of the sites are chosen at random: give a share from "
            f"{MIN_RANDOM_SHARE} to 100%.",
        )
    if share < 100 and data.method is not SampleMethod.SIMPLE_RANDOM:
        raise ValidationFailed.on(
            "random_share",
            "A mixed selection draws its random part by simple random selection: choose simple random, or 100%.",
        )
    N = sample.population_size or 0
    if any(unit.key == central for unit in load_population(sample).units):
        raise ValidationFailed.on(
            "central_function",
            f"'{central}' is in the population: the central function is audited every time and is not one of the "
            "sampled sites; freeze the population without it.",
        )
    size = min(maths.site_sample_size(N, data.sites_kind), N)
    random_sites = -(-size * share // 100)  # rounded up: the random part never falls below the share
    params = {
        "sites_kind": data.sites_kind,
        "central_function": central,
        "random_share": share,
        "random_sites": random_sites,
        "judgemental_sites": size - random_sites,
    }
    why = (
        f"IAF MD 1 site rule for {data.sites_kind} audits over {N} sites, central function '{central}' audited "
        f"besides. {random_sites} of the {size} sites are drawn at random (share {share}%; MD 1 asks for at least "
        f"{MIN_RANDOM_SHARE}%)"
    )
    if size > random_sites:
        why += f"; the other {size - random_sites} are chosen by the auditor on risk, each with its reason."
    else:
        why += "."
    return size, params, why


def site_picks_needed(sample: Sample) -> int:
    """How many sites the auditor chooses on risk at the draw (IAF MD 1 mixed selection; 0 for any other sample)."""
    if sample.size_basis is not SizeBasis.SITE_RULE:
        return 0
    return int((sample.size_parameters or {}).get("judgemental_sites", 0))


def random_sites(sample: Sample) -> list[sel.Unit]:
    """The sites a mixed IAF MD 1 selection draws at random, known from its seed before the auditor picks the rest."""
    if not site_picks_needed(sample) or sample.seed is None:
        return []
    population = load_population(sample)
    count = int(sample.size_parameters["random_sites"])
    return [population.units[i] for i in sel.select_sites_random_part(population.size, count, sample.seed)]


def select_for(
    sample: Sample,
    population: sel.Population,
    *,
    seed: int | None,
    picks: dict[str, str] | None,
    interval: int | None = None,
    start: int | None = None,
    requested: int | None = None,
) -> sel.Selection:
    """The selection a sample's design gives from `population`: at the draw, and again to re-perform it."""
    assert sample.method is not None  # noqa: S101  (only a sample with a method is drawn)
    if site_picks_needed(sample):
        random_n = int(sample.size_parameters["random_sites"])
        central = str(sample.size_parameters.get("central_function", ""))
        return sel.select_sites(population, sample.sample_size or 0, random_n, seed=seed, picks=picks, central=central)
    return sel.select(
        population,
        sample.method.value,
        requested if requested is not None else (sample.sample_size or None),
        seed=seed,
        picks=picks,
        **selection_options(sample, interval=interval, start=start),
    )


def _allocation(sample: Sample, data: SizeData, size: int) -> tuple[int, dict]:
    """A stratified sample's allocation rule, recorded with the size; fixed sizes are checked against the strata."""
    rule = data.allocation or "proportional"
    if rule not in sel.STRATA_RULES:
        raise ValidationFailed.on("allocation", "Choose proportional, equal or fixed allocation.")
    strata = list(sample.population_columns.get("strata", []))
    if strata == [""]:
        raise ValidationFailed.on(
            "method", "A stratified sample needs a population with strata (a stratum column or source)."
        )
    if rule != "fixed":
        return size, {"allocation": rule}
    sizes = dict.fromkeys(strata, 0)
    for unit in load_population(sample).units:
        sizes[unit.stratum] = sizes.get(unit.stratum, 0) + 1
    try:
        fixed = sel.fixed_allocation(sizes, data.fixed_sizes)
    except sel.SelectionError as exc:
        raise ValidationFailed.on("fixed_sizes", str(exc)) from exc
    return sum(fixed.values()), {"allocation": "fixed", "fixed": fixed}


def selection_options(sample: Sample, *, interval: int | None = None, start: int | None = None) -> dict[str, Any]:
    """What the draw passes to the selection besides method, size and seed (allocation, whole interval and start)."""
    params, options = sample.size_parameters or {}, {}
    if sample.method is SampleMethod.STRATIFIED:
        options["strata_rule"] = params.get("allocation", "proportional")
        options["fixed"] = params.get("fixed")
    if interval is not None or start is not None:
        options["interval"], options["start"] = interval, start
    return options
