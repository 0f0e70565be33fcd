"""Sampling parameters read exactly (DOMAIN.md section 3): rates, counts and confidence levels arrive as floats,
strings, Decimals or Fractions and are read as exact decimals, so ceil(n*e) is exact when n*e is a whole number.
Pure: standard library only. The sample-size maths (maths.py) and the limits (binomial_limits.py) share these."""

from __future__ import annotations

import math
import re
from decimal import Decimal
from fractions import Fraction
from numbers import Integral

from audit_app.errors import ValidationFailed

MAX_EXPONENT = 50  # larger decimal exponents are refused: exact fractions of them would be enormous
DECIMAL_TEXT = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]{1,2})?|[0-9]{1,30}/[0-9]{1,30}")
INTEGER_TEXT = re.compile(r"[+-]?[0-9]{1,30}")


class SamplingInputError(ValidationFailed, ValueError):
    """A sampling parameter is missing, malformed or out of range; `.parameter` names it."""

    def __init__(self, parameter: str, message: str) -> None:
        super().__init__(f"{parameter}: {message}", {parameter: [f"{parameter}: {message}"]})
        self.parameter = parameter
        self.message = message


def exact_fraction(value: object, name: str) -> Fraction:
    """An exact decimal from an int, float, str, Decimal or Fraction (bools, NaN and infinities refused)."""
    if isinstance(value, bool) or value is None:
        raise SamplingInputError(name, f"must be a number, not {value!r}")
    try:
        if isinstance(value, float):
            if not math.isfinite(value):
                raise ValueError
            return Fraction(repr(value))  # the shortest decimal that reads back as this float: 0.1 -> 1/10
        if isinstance(value, Decimal) and value.is_finite() and abs(int(value.as_tuple().exponent)) > MAX_EXPONENT:
            raise ValueError  # Fraction(Decimal("1e-9999999")) would build a ten-million-digit integer
        if isinstance(value, (int, Fraction, Decimal)):
            return Fraction(value)
        if isinstance(value, str) and DECIMAL_TEXT.fullmatch(value.strip()):
            return Fraction(value.strip())
    except (ValueError, ArithmeticError):
        pass
    raise SamplingInputError(name, f"must be a decimal number such as 0.95, not {value!r}")


def exact_rate(value: object, name: str, *, allow_zero: bool = False) -> Fraction:
    fraction = exact_fraction(value, name)
    low_ok = fraction >= 0 if allow_zero else fraction > 0
    if not (low_ok and fraction < 1):
        interval = "0 (inclusive) and 1" if allow_zero else "0 and 1, exclusive"
        raise SamplingInputError(name, f"must lie between {interval} (e.g. 0.05 for 5%), not {value!r}")
    return fraction


def whole_number(value: object, name: str, *, minimum: int) -> int:
    """A whole number (int, integral float or digit string) of at least `minimum`."""
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        number: object = int(value)
    elif isinstance(value, str) and INTEGER_TEXT.fullmatch(value.strip()):
        number = int(value.strip())
    else:
        number = value
    if not isinstance(number, Integral) or isinstance(number, bool):
        raise SamplingInputError(name, f"must be a whole number, not {value!r}")
    number = int(number)
    if number < minimum:
        raise SamplingInputError(name, f"must be at least {minimum}, not {number}")
    return number
