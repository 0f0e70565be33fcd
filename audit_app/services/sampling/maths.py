"""Audit-sampling sizes (DOMAIN.md section 3): pure functions, standard library only.

- `attribute_sample_size`: the smallest n whose binomial probability of at most ceil(n*e) deviations is
  <= 1 - confidence; with a population N, the exact finite-population size from the hypergeometric
  distribution (D = ceil(p*N) deviations in the population), never Cochran's approximation.
- `FREQUENCY_TABLE` / `frequency_sample_size`: the practitioner convention by control frequency (judgemental).
- `site_sample_size`: the IAF MD 1 multi-site rule.

The parameters are read exactly by parameters.py; the upper limit and evaluation of a tested sample are in
binomial_limits.py (`upper_deviation_limit`, `evaluate`, `Evaluation`, importable from here too). The searches run in
floating point with O(1) updates per n; any comparison that lands within a hair of 1 - confidence is settled with
exact integer arithmetic.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

from audit_app.services.sampling.binomial_limits import (  # noqa: F401  (public names other modules read from here)
    Evaluation,
    evaluate,
    upper_deviation_limit,
)
from audit_app.services.sampling.parameters import (
    SamplingInputError,
    exact_rate,
    whole_number,
)

MAX_SAMPLE_SIZE = 100_000  # the searches stop here rather than run away
_TIE_RELATIVE = 1e-7  # float results this close to 1 - confidence are re-checked exactly


def tolerated_deviations(sample_size: int, expected_rate: object) -> int:
    """ceil(n * e) computed exactly: 100 items at 7% tolerate 7 deviations, not 8."""
    n = whole_number(sample_size, "sample_size", minimum=0)
    e = exact_rate(expected_rate, "expected_rate", allow_zero=True)
    return -((-n * e.numerator) // e.denominator)


# ------------------------------------------------------------------------------------ attribute size


@dataclass(frozen=True)
class SizeResult:
    sample_size: int
    tolerable_deviations: int  # the deviations the plan tolerates: ceil(n * expected_rate)
    method: str  # "binomial" (large population) or "hypergeometric" (exact finite population)
    population: int | None
    confidence: float
    tolerable_rate: float
    expected_rate: float
    note: str = ""


def _binomial_tail_le_alpha_exact(n: int, k: int, p: Fraction, alpha: Fraction) -> bool:
    """Exactly: sum_{i<=k} C(n,i) p^i (1-p)^(n-i) <= alpha."""
    a, b = p.numerator, p.denominator
    total = sum(math.comb(n, i) * a**i * (b - a) ** (n - i) for i in range(k + 1))
    return total * alpha.denominator <= alpha.numerator * b**n


def _hypergeometric_tail_le_alpha_exact(population: int, defects: int, n: int, k: int, alpha: Fraction) -> bool:
    """Exactly: sum_{i<=k} C(D,i) C(N-D,n-i) / C(N,n) <= alpha."""
    good = population - defects
    total = sum(math.comb(defects, i) * math.comb(good, n - i) for i in range(k + 1))
    return total * alpha.denominator <= alpha.numerator * math.comb(population, n)


def _binomial_size(alpha: Fraction, p: Fraction, e: Fraction, limit: int) -> int | None:
    """Smallest n <= limit with BinomCDF(ceil(n*e); n, p) <= alpha, by a scan with O(1) updates."""
    alpha_f, p_f, q_f = float(alpha), float(p), float(1 - p)
    band = _TIE_RELATIVE * alpha_f + 1e-10
    en, ed = e.numerator, e.denominator
    k, pmf, cdf = 0, 1.0, 1.0  # n = 0: P(X = 0) = 1
    for n in range(1, limit + 1):
        cdf -= p_f * pmf  # F(k; n) = F(k; n-1) - p * f(k; n-1)
        pmf *= n / (n - k) * q_f  # f(k; n) from f(k; n-1)
        if -((-n * en) // ed) > k:  # ceil(n*e) grows by at most one per step
            pmf *= (n - k) / (k + 1) * p_f / q_f  # f(k+1; n)
            k += 1
            cdf += pmf
        if cdf <= alpha_f - band or (cdf <= alpha_f + band and _binomial_tail_le_alpha_exact(n, k, p, alpha)):
            return n
    return None


def _hypergeometric_size(alpha: Fraction, population: int, defects: int, e: Fraction, limit: int) -> int | None:
    """Smallest n <= limit with HypergeomCDF(ceil(n*e); N, D, n) <= alpha, by a scan with O(1) updates."""
    big_n, d = population, defects
    alpha_f = float(alpha)
    band = _TIE_RELATIVE * alpha_f + 1e-10
    en, ed = e.numerator, e.denominator
    k, pmf, cdf = 0, 1.0, 1.0
    for n in range(1, limit + 1):
        left = big_n - n + 1  # items left before the n-th draw
        cdf -= pmf * (d - k) / left  # P(X_n <= k) = P(X_{n-1} <= k) - P(X_{n-1} = k) * P(n-th is a deviation)
        pmf *= (big_n - d - n + 1 + k) / (n - k) * n / left  # h(k; n) from h(k; n-1)
        if -((-n * en) // ed) > k:
            denominator = big_n - d - n + k + 1
            if denominator > 0:
                pmf *= (d - k) / (k + 1) * (n - k) / denominator
            else:  # h(k; n) was exactly zero; compute h(k+1; n) directly
                ways = math.comb(d, k + 1) * math.comb(big_n - d, n - k - 1)
                pmf = float(Fraction(ways, math.comb(big_n, n)))
            k += 1
            cdf += pmf
        if cdf <= alpha_f - band or (
            cdf <= alpha_f + band and _hypergeometric_tail_le_alpha_exact(big_n, d, n, k, alpha)
        ):
            return n
    return None


def attribute_sample_size(
    confidence: object, tolerable_rate: object, expected_rate: object = 0, population: object = None
) -> SizeResult:
    """The attribute-sampling size for a test of controls (DOMAIN.md 3.3).

    Large population: the smallest n with BinomCDF(ceil(n*e); n, p) <= 1 - c. With `population` N: the
    smallest n with HypergeomCDF(ceil(n*e); N, ceil(p*N), n) <= 1 - c; when no n < N will do, n = N.
    """
    c = exact_rate(confidence, "confidence")
    p = exact_rate(tolerable_rate, "tolerable_rate")
    e = exact_rate(expected_rate, "expected_rate", allow_zero=True)
    if e >= p:
        raise SamplingInputError("expected_rate", "must be below the tolerable rate")
    big_n = None if population is None else whole_number(population, "population", minimum=1)
    alpha = 1 - c
    rates = {"confidence": float(c), "tolerable_rate": float(p), "expected_rate": float(e)}
    if big_n is None:
        n = _binomial_size(alpha, p, e, MAX_SAMPLE_SIZE)
        method, note = "binomial", "Large population (binomial, no finite-population correction)."
    else:
        defects = -((-big_n * p.numerator) // p.denominator)
        n = _hypergeometric_size(alpha, big_n, defects, e, min(big_n, MAX_SAMPLE_SIZE))
        method = "hypergeometric"
        note = f"Exact finite-population size: {defects} of {big_n} items assumed to deviate at the tolerable rate."
        if n is None and big_n <= MAX_SAMPLE_SIZE:
            n = big_n
            note = (
                f"No sample smaller than the population of {big_n} meets these parameters: test the whole population."
            )
        elif n == big_n:
            note += " The plan needs every item: test the whole population."
    if n is None:
        parameter = "expected_rate" if e else "tolerable_rate"
        raise SamplingInputError(
            parameter,
            f"the sample would exceed {MAX_SAMPLE_SIZE:,} items; raise the tolerable rate"
            + (" or lower the expected rate (it is too close to the tolerable rate)" if e else ""),
        )
    return SizeResult(
        sample_size=n,
        tolerable_deviations=tolerated_deviations(n, e),
        method=method,
        note=note,
        population=big_n,
        **rates,
    )


# --------------------------------------------------------------------------- control-frequency table


@dataclass(frozen=True)
class FrequencyRow:
    key: str
    label: str
    occurrences_per_year: str  # approximate
    low: int
    medium: int
    high: int


RISK_LEVELS = ("low", "medium", "high")

FREQUENCY_TABLE: tuple[FrequencyRow, ...] = (
    FrequencyRow("annual", "Annual", "1", 1, 1, 1),
    FrequencyRow("quarterly", "Quarterly", "4", 2, 2, 2),
    FrequencyRow("monthly", "Monthly", "12", 2, 3, 5),
    FrequencyRow("weekly", "Weekly", "52", 5, 10, 15),
    FrequencyRow("daily", "Daily", "about 250-365", 20, 25, 40),
    FrequencyRow("many_per_day", "Many times a day", "more than 365", 25, 40, 60),
)

FREQUENCY_TABLE_NOTE = (
    "Judgemental guidance: these sizes are practitioner convention (audit-firm practice), not a rule of "
    "ISO, PCAOB or any other standard, and not a statistical calculation. A sample sized from this table "
    "is a judgemental sample: it gives no statistical confidence and its deviation rate cannot be projected "
    "to the population. Use the attribute-sampling calculator when statistical confidence is needed."
)


def frequency_sample_size(frequency: str, risk: str) -> int:
    """The conventional (judgemental) sample size for a control of this frequency and risk."""
    rows = {row.key: row for row in FREQUENCY_TABLE}
    if frequency not in rows:
        raise SamplingInputError("frequency", f"must be one of {', '.join(rows)}, not {frequency!r}")
    if risk not in RISK_LEVELS:
        raise SamplingInputError("risk", f"must be one of {', '.join(RISK_LEVELS)}, not {risk!r}")
    return getattr(rows[frequency], risk)


# -------------------------------------------------------------------------------- IAF MD 1 site rule

# kind -> the square of the factor on sqrt(n), as an exact fraction: ceil(f * sqrt(n)) = ceil(sqrt(f^2 * n))
SITE_KINDS: dict[str, Fraction] = {
    "initial": Fraction(1),
    "surveillance": Fraction(36, 100),
    "recertification": Fraction(64, 100),
}


def site_sample_size(sites: object, kind: str) -> int:
    """IAF MD 1 minimum sites to visit, n = sites excluding the central function, always rounded up.

    initial ceil(sqrt(n)), surveillance ceil(0.6 sqrt(n)), recertification ceil(0.8 sqrt(n)); computed
    with integers: the smallest m with m^2 >= f^2 * n.
    """
    n = whole_number(sites, "sites", minimum=0)
    if kind not in SITE_KINDS:
        raise SamplingInputError("kind", f"must be one of {', '.join(SITE_KINDS)}, not {kind!r}")
    square = SITE_KINDS[kind] * n
    target = -((-square.numerator) // square.denominator)  # m^2 >= f^2 n  <=>  m^2 >= ceil(f^2 n)
    root = math.isqrt(target)
    m = root if root * root == target else root + 1
    return max(m, 1) if n >= 1 else 0
