"""Audit-sampling arithmetic (DOMAIN.md section 3): pure functions, standard library only.

- `attribute_sample_size`: the smallest n whose binomial probability of at most ceil(n*e) deviations is
  <= 1 - confidence; with a population N, the exact finite-population size from the hypergeometric
  distribution (D = ceil(p*N) deviations in the population), never Cochran's approximation.
- `upper_deviation_limit`: the exact one-sided Clopper-Pearson upper limit, beta.ppf(c, k+1, n-k).
- `evaluate`: the conclusion of a tested sample against the tolerable rate (judgemental samples get none).
- `FREQUENCY_TABLE` / `frequency_sample_size`: the practitioner convention by control frequency (judgemental).
- `site_sample_size`: the IAF MD 1 multi-site rule.

Rates arrive as floats or strings and are read as exact decimals (`Fraction(str(x))`), so ceil(n*e) is
exact when n*e is a whole number. The searches run in floating point with O(1) updates per n; any
comparison that lands within a hair of 1 - confidence is settled with exact integer arithmetic.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from numbers import Integral

from audit_app.errors import ValidationFailed

MAX_SAMPLE_SIZE = 100_000  # the searches stop here rather than run away
_TIE_RELATIVE = 1e-7  # float results this close to 1 - confidence are re-checked exactly
_MAX_EXPONENT = 50  # larger decimal exponents are refused: exact fractions of them would be enormous
_DECIMAL_TEXT = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]{1,2})?|[0-9]{1,30}/[0-9]{1,30}")
_INTEGER_TEXT = re.compile(r"[+-]?[0-9]{1,30}")


class SamplingInputError(ValidationFailed, ValueError):
    """A sampling parameter is missing, malformed or out of range; `.parameter` names it."""

    def __init__(self, parameter: str, message: str) -> None:
        super().__init__(f"{parameter}: {message}", {parameter: [f"{parameter}: {message}"]})
        self.parameter = parameter
        self.message = message


# ---------------------------------------------------------------------------------------------- input


def _fraction(value: object, name: str) -> Fraction:
    """An exact decimal from an int, float, str, Decimal or Fraction (bools, NaN and infinities refused)."""
    if isinstance(value, bool) or value is None:
        raise SamplingInputError(name, f"must be a number, not {value!r}")
    try:
        if isinstance(value, float):
            if not math.isfinite(value):
                raise ValueError
            return Fraction(repr(value))  # the shortest decimal that reads back as this float: 0.1 -> 1/10
        if isinstance(value, Decimal) and value.is_finite() and abs(int(value.as_tuple().exponent)) > _MAX_EXPONENT:
            raise ValueError  # Fraction(Decimal("1e-9999999")) would build a ten-million-digit integer
        if isinstance(value, (int, Fraction, Decimal)):
            return Fraction(value)
        if isinstance(value, str) and _DECIMAL_TEXT.fullmatch(value.strip()):
            return Fraction(value.strip())
    except (ValueError, ArithmeticError):
        pass
    raise SamplingInputError(name, f"must be a decimal number such as 0.95, not {value!r}")


def _rate(value: object, name: str, *, allow_zero: bool = False) -> Fraction:
    fraction = _fraction(value, name)
    low_ok = fraction >= 0 if allow_zero else fraction > 0
    if not (low_ok and fraction < 1):
        interval = "0 (inclusive) and 1" if allow_zero else "0 and 1, exclusive"
        raise SamplingInputError(name, f"must lie between {interval} (e.g. 0.05 for 5%), not {value!r}")
    return fraction


def _integer(value: object, name: str, *, minimum: int) -> int:
    """A whole number (int, integral float or digit string) of at least `minimum`."""
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        number: object = int(value)
    elif isinstance(value, str) and _INTEGER_TEXT.fullmatch(value.strip()):
        number = int(value.strip())
    else:
        number = value
    if not isinstance(number, Integral) or isinstance(number, bool):
        raise SamplingInputError(name, f"must be a whole number, not {value!r}")
    number = int(number)
    if number < minimum:
        raise SamplingInputError(name, f"must be at least {minimum}, not {number}")
    return number


def tolerated_deviations(sample_size: int, expected_rate: object) -> int:
    """ceil(n * e) computed exactly: 100 items at 7% tolerate 7 deviations, not 8."""
    n = _integer(sample_size, "sample_size", minimum=0)
    e = _rate(expected_rate, "expected_rate", allow_zero=True)
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
    c = _rate(confidence, "confidence")
    p = _rate(tolerable_rate, "tolerable_rate")
    e = _rate(expected_rate, "expected_rate", allow_zero=True)
    if e >= p:
        raise SamplingInputError("expected_rate", "must be below the tolerable rate")
    big_n = None if population is None else _integer(population, "population", minimum=1)
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
    c = _rate(confidence, "confidence")
    n = _integer(sample_size, "sample_size", minimum=1)
    k = _integer(deviations, "deviations", minimum=0)
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
    n = _integer(sample_size, "sample_size", minimum=1)
    k = _integer(deviations, "deviations", minimum=0)
    if k > n:
        raise SamplingInputError("deviations", f"cannot exceed the sample size ({n}), not {k}")
    observed = f"{k} of {n} items deviated ({_rate_percent(Fraction(k, n))})."
    if not statistical:
        p_j = None if tolerable_rate is None else float(_rate(tolerable_rate, "tolerable_rate"))
        conclusion = (
            f"{observed} A judgemental sample gives no statistical confidence; "
            "the result cannot be projected to the population."
        )
        return Evaluation(n, k, k / n, None, p_j, None, False, None, conclusion)
    if confidence is None:
        raise SamplingInputError("confidence", "is required to evaluate a statistical sample")
    if tolerable_rate is None:
        raise SamplingInputError("tolerable_rate", "is required to evaluate a statistical sample")
    c = _rate(confidence, "confidence")
    p = _rate(tolerable_rate, "tolerable_rate")
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
    n = _integer(sites, "sites", minimum=0)
    if kind not in SITE_KINDS:
        raise SamplingInputError("kind", f"must be one of {', '.join(SITE_KINDS)}, not {kind!r}")
    square = SITE_KINDS[kind] * n
    target = -((-square.numerator) // square.denominator)  # m^2 >= f^2 n  <=>  m^2 >= ceil(f^2 n)
    root = math.isqrt(target)
    m = root if root * root == target else root + 1
    return max(m, 1) if n >= 1 else 0
