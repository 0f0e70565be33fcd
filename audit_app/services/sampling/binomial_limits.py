"""The binomial upper deviation limit of a tested sample and its conclusion (DOMAIN.md 3.3). Pure: standard library.

- `upper_deviation_limit`: the exact one-sided Clopper-Pearson upper limit, beta.ppf(c, k+1, n-k).
- `evaluate`: the conclusion of a tested sample against the tolerable rate (judgemental samples get none).

The evaluation as the sample was designed (exact finite-population limits, strata, attributes) is limits.py.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

from audit_app.services.sampling.parameters import SamplingInputError, exact_rate, whole_number

# -------------------------------------------------------------------------------------- upper limit


def _binomial_cdf(k: int, n: int, p: float, log_comb_nk: float) -> float:
    """P(X <= k) for X ~ Bin(n, p), 0 <= k < n, summing whichever tail has decreasing terms."""
    if p <= 0.0:
        return 1.0
    if p >= 1.0:
        return 0.0
    q = 1.0 - p
    log_pmf_k = log_comb_nk + k * math.log(p) + (n - k) * math.log1p(-p)
    if k < (n + 1) * p:  # terms fall going down from k
        term = math.exp(log_pmf_k)
        total, i, ratio = term, k, q / p
        while i > 0 and term > total * 1e-18:
            term *= i / (n - i + 1) * ratio
            total += term
            i -= 1
        return min(total, 1.0)
    term = math.exp(log_pmf_k) * (n - k) / (k + 1) * p / q  # f(k+1): terms fall going up
    total, i, ratio = term, k + 1, p / q
    while i < n and term > total * 1e-18:
        term *= (n - i) / (i + 1) * ratio
        total += term
        i += 1
    return max(1.0 - total, 0.0)


def upper_deviation_limit(confidence: object, sample_size: object, deviations: object) -> float:
    """The exact one-sided Clopper-Pearson upper limit: the p with BinomCDF(k; n, p) = 1 - c.

    Equals beta.ppf(c, k+1, n-k); 1 - (1-c)^(1/n) for k = 0; 1.0 for k = n. Unrounded.
    """
    c = exact_rate(confidence, "confidence")
    n = whole_number(sample_size, "sample_size", minimum=1)
    k = whole_number(deviations, "deviations", minimum=0)
    if k > n:
        raise SamplingInputError("deviations", f"cannot exceed the sample size ({n}), not {k}")
    alpha = float(1 - c)
    if k == n:
        return 1.0
    if k == 0:
        return -math.expm1(math.log(alpha) / n)
    log_comb = math.log(math.comb(n, k))
    low, high = 0.0, 1.0  # the CDF falls from 1 at p = 0 to 0 at p = 1
    for _ in range(200):
        middle = (low + high) / 2
        if middle in (low, high):
            break
        if _binomial_cdf(k, n, middle, log_comb) > alpha:
            low = middle
        else:
            high = middle
    return (low + high) / 2


# --------------------------------------------------------------------------------------- evaluation


@dataclass(frozen=True)
class Evaluation:
    sample_size: int
    deviations: int
    deviation_rate: float
    upper_limit: float | None  # None for a judgemental sample
    tolerable_rate: float | None
    confidence: float | None  # None for a judgemental sample: it carries no statistical confidence
    statistical: bool
    effective: bool | None  # None when no statistical conclusion can be drawn
    conclusion: str


def _percent(value: Fraction) -> str:
    """95% -> '95%', 0.975 -> '97.5%'."""
    return f"{float(value * 100):.10g}%"


def _rate_percent(value: Fraction) -> str:
    """0.05 -> '5.0%', 0.0125 -> '1.25%'."""
    places = 1 if (value * 1000).denominator == 1 else 2
    return f"{float(value * 100):.{places}f}%"


def evaluate(
    sample_size: object,
    deviations: object,
    *,
    confidence: object = None,
    tolerable_rate: object = None,
    statistical: bool = True,
) -> Evaluation:
    """Evaluate a tested sample: the deviation rate and, for a statistical sample, the upper limit and conclusion."""
    n = whole_number(sample_size, "sample_size", minimum=1)
    k = whole_number(deviations, "deviations", minimum=0)
    if k > n:
        raise SamplingInputError("deviations", f"cannot exceed the sample size ({n}), not {k}")
    observed = f"{k} of {n} items deviated ({_rate_percent(Fraction(k, n))})."
    if not statistical:
        p_j = None if tolerable_rate is None else float(exact_rate(tolerable_rate, "tolerable_rate"))
        conclusion = (
            f"{observed} A judgemental sample gives no statistical confidence; "
            "the result cannot be projected to the population."
        )
        return Evaluation(n, k, k / n, None, p_j, None, False, None, conclusion)
    if confidence is None:
        raise SamplingInputError("confidence", "is required to evaluate a statistical sample")
    if tolerable_rate is None:
        raise SamplingInputError("tolerable_rate", "is required to evaluate a statistical sample")
    c = exact_rate(confidence, "confidence")
    p = exact_rate(tolerable_rate, "tolerable_rate")
    upper = upper_deviation_limit(c, n, k)
    effective = Fraction(upper) <= p
    shown = math.ceil(upper * 1000 - 1e-9) / 10  # rounded up to 0.1%, as in the AICPA evaluation tables
    verdict = "within" if effective else "above"
    outcome = "the control can be relied on" if effective else "the control cannot be relied on"
    conclusion = (
        f"{observed} With {_percent(c)} confidence the deviation rate is at most {shown:.1f}%, "
        f"{verdict} the tolerable {_rate_percent(p)}: {outcome}."
    )
    return Evaluation(n, k, k / n, upper, float(p), float(c), True, effective, conclusion)
