"""Evaluating a tested sample as it was designed (DOMAIN.md 3.3): pure functions, standard library only.

- `hypergeometric_upper_deviations`: for a sample sized with the finite-population correction, the largest number
  of deviating units D in the population that the result does not rule out (P(X <= k | N, D, n) > 1 - c), computed
  with exact integers; D / N is the upper limit.
- `evaluate_attribute`: one attribute of one sample, by design: the exact hypergeometric limit (finite-population
  samples), the Clopper-Pearson limit (large-population samples), per stratum combined with the stratum weights
  N_h / N (stratified samples), the population's own rate (whole population), or no projection (judgemental).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from fractions import Fraction
from typing import Any

from audit_app.services.sampling.binomial_limits import upper_deviation_limit
from audit_app.services.sampling.parameters import SamplingInputError

#: The designs an attribute is evaluated by.
HYPERGEOMETRIC, BINOMIAL, WHOLE_POPULATION, JUDGEMENTAL = (
    "hypergeometric",
    "binomial",
    "whole_population",
    "judgemental",
)


def hypergeometric_upper_deviations(confidence: Fraction, population: int, sample_size: int, deviations: int) -> int:
    """The largest D (deviating units in a population of N) with P(X <= k | N, D, n) > 1 - c, exactly.

    P(X <= k) falls as D grows, so D is found by bisection between k (the deviations seen) and N - (n - k) (every
    unit not seen conforming); each probability is a sum of binomial coefficients compared in integers.
    """
    big_n, n, k = population, sample_size, deviations
    if not 0 <= k <= n <= big_n or big_n < 1:
        raise SamplingInputError(
            "deviations", f"need 0 <= deviations <= sample size <= population, not {k}, {n}, {big_n}"
        )
    alpha = 1 - confidence
    total = math.comb(big_n, n)

    def not_ruled_out(defects: int) -> bool:
        ways = sum(math.comb(defects, i) * math.comb(big_n - defects, n - i) for i in range(k + 1))
        return ways * alpha.denominator > alpha.numerator * total

    low, high = k, big_n - (n - k)  # low is never ruled out: the sample itself holds k deviations
    while low < high:
        middle = (low + high + 1) // 2
        if not_ruled_out(middle):
            low = middle
        else:
            high = middle - 1
    return low


@dataclass(frozen=True)
class StratumResult:
    stratum: str
    population: int  # N_h
    tested: int  # n_h
    deviations: int  # k_h
    weight: float  # N_h / N
    upper_limit: float


@dataclass(frozen=True)
class AttributeEvaluation:
    code: str
    text: str
    design: str
    tested: int
    deviations: int
    #: Items that could not be examined (counted among the deviations).
    unexaminable: int
    deviation_rate: float
    upper_limit: float | None
    #: Finite-population samples: the upper limit as a number of units of the population.
    upper_deviations: int | None
    effective: bool | None
    conclusion: str
    strata: list[StratumResult] = field(default_factory=list)

    def record(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Tally:
    """One attribute's counts over the tested items, by stratum ("" when the sample is not stratified)."""

    tested: dict[str, int]
    deviations: dict[str, int]
    unexaminable: int = 0

    @property
    def n(self) -> int:
        return sum(self.tested.values())

    @property
    def k(self) -> int:
        return sum(self.deviations.values())


def _pct(value: float) -> str:
    """Rounded up to 0.1%, as the AICPA evaluation tables show limits."""
    return f"{math.ceil(value * 1000 - 1e-9) / 10:.1f}%"


def _rate(value: Fraction) -> str:
    places = 1 if (value * 1000).denominator == 1 else 2
    return f"{float(value * 100):.{places}f}%"


def _limit(confidence: Fraction, population: int | None, n: int, k: int) -> tuple[float, int | None]:
    """(upper limit, upper deviations) for one group: exact hypergeometric with a population, else Clopper-Pearson."""
    if n == 0:
        return 1.0, population
    if population is not None:
        defects = hypergeometric_upper_deviations(confidence, population, n, k)
        return defects / population, defects
    return upper_deviation_limit(confidence, n, k), None


def evaluate_attribute(
    code: str,
    text: str,
    tally: Tally,
    *,
    design: str,
    confidence: Fraction | None = None,
    tolerable_rate: Fraction | None = None,
    population: int | None = None,
    strata_sizes: dict[str, int] | None = None,
) -> AttributeEvaluation:
    """Evaluate one attribute as the sample was designed.

    `population` is N for a finite-population (hypergeometric) design and for a whole-population test;
    `strata_sizes` (N_h by stratum) makes a statistical evaluation stratified: each stratum's limit (hypergeometric
    over N_h when `design` is hypergeometric), combined as sum(N_h / N * limit_h), compared with the tolerable rate.
    """
    n, k = tally.n, tally.k
    name = f"{code} ({text.rstrip('.')}): " if text else ""
    observed = f"{k} of {n} items deviated" + (f" ({_rate(Fraction(k, n))})" if n else "")
    if tally.unexaminable:
        observed += f", {tally.unexaminable} of them because the item could not be examined"
    rate = k / n if n else 0.0

    def result(**figures: Any) -> AttributeEvaluation:
        return AttributeEvaluation(code, text, design, n, k, tally.unexaminable, **figures)

    if design == WHOLE_POPULATION:
        verdict = "the control operated for every unit" if k == 0 else f"the control failed for {k} unit(s)"
        conclusion = (
            f"{name}The whole population was tested: {observed}. This is the population's own deviation rate, "
            f"with no sampling risk: {verdict}."
        )
        return result(
            deviation_rate=rate,
            upper_limit=None,
            upper_deviations=None,
            effective=k == 0,
            conclusion=conclusion,
        )
    if design == JUDGEMENTAL or confidence is None or tolerable_rate is None or n == 0:
        conclusion = (
            f"{name}{observed}. A judgemental sample gives no statistical confidence; "
            "the result cannot be projected to the population."
        )
        if n == 0:
            conclusion = f"{name}No item could be tested, so nothing can be concluded."
        return result(
            deviation_rate=rate,
            upper_limit=None,
            upper_deviations=None,
            effective=None,
            conclusion=conclusion,
        )
    hypergeometric = design == HYPERGEOMETRIC
    strata: list[StratumResult] = []
    upper_deviations: int | None = None
    if strata_sizes:
        total = sum(strata_sizes.values())
        upper = 0.0
        for stratum, size in strata_sizes.items():
            n_h, k_h = tally.tested.get(stratum, 0), tally.deviations.get(stratum, 0)
            limit_h, _ = _limit(confidence, size if hypergeometric else None, n_h, k_h)
            strata.append(StratumResult(stratum, size, n_h, k_h, size / total, limit_h))
            upper += size / total * limit_h
        upper = min(upper, 1.0)
        rate = sum(s.weight * (s.deviations / s.tested if s.tested else 0.0) for s in strata)
        how = f"combining the {len(strata)} strata by their weights N_h/N"
    else:
        upper, upper_deviations = _limit(confidence, population if hypergeometric else None, n, k)
        how = (
            f"at most {upper_deviations} of the {population} units deviate"
            if hypergeometric and upper_deviations is not None
            else "by the exact binomial (Clopper-Pearson) limit"
        )
    effective = Fraction(upper) <= tolerable_rate
    verdict = "within" if effective else "above"
    outcome = "the control can be relied on" if effective else "the control cannot be relied on"
    conclusion = (
        f"{name}{observed}. With {float(confidence * 100):.10g}% confidence ({how}) the deviation rate is at most "
        f"{_pct(upper)}, {verdict} the tolerable {_rate(tolerable_rate)}: {outcome}."
    )
    return result(
        deviation_rate=rate,
        upper_limit=upper,
        upper_deviations=upper_deviations,
        effective=effective,
        conclusion=conclusion,
        strata=strata,
    )
