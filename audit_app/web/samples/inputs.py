"""The shape of what a sampling form types or uploads: percentages, whole numbers, a CSV header, the kinds of
site audit. Shared by the sample forms and the calculator forms; the services hold the rules."""

from __future__ import annotations

import csv
import io
from decimal import Decimal, InvalidOperation
from typing import Any

from wtforms import SelectChoice
from wtforms.validators import ValidationError

from audit_app.services.sampling import selection as sel

SITE_KIND_LABELS = {
    "initial": "Initial certification",
    "surveillance": "Surveillance",
    "recertification": "Recertification",
}


def site_kind_choices() -> list[SelectChoice]:
    return [SelectChoice(k, label) for k, label in SITE_KIND_LABELS.items()]


def parse_percent(text: str | None) -> Decimal | None:
    """'95', '95 %' or '2.5' (percent) as a Decimal fraction; None when blank; ValueError when not a number."""
    value = (text or "").strip().removesuffix("%").strip().replace(",", ".")
    if not value:
        return None
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise ValueError("Enter a number of percent, such as 95 or 2.5.") from None
    if not number.is_finite():
        raise ValueError("Enter a number of percent, such as 95 or 2.5.")
    return number / 100


def check_percent(field: Any, *, required: bool, allow_zero: bool = False) -> Decimal | None:
    """Shape of a percentage field: a number from 0 (when allowed) to below 100 with at most 3 decimals."""
    try:
        value = parse_percent(field.data)
    except ValueError as exc:
        raise ValidationError(str(exc)) from None
    if value is None:
        if required:
            raise ValidationError("Enter a percentage.")
        return None
    low_ok = value >= 0 if allow_zero else value > 0
    if not (low_ok and value < 1):
        raise ValidationError(f"Enter a percentage {'from 0' if allow_zero else 'above 0'} and below 100.")
    if value.as_tuple().exponent < -5:  # type: ignore[operator]
        raise ValidationError("Use at most three decimals.")
    return value


def parse_whole(text: str | None) -> int | None:
    value = (text or "").strip()
    if not value:
        return None
    if not value.isdigit() or len(value) > 12:
        raise ValueError("Enter a whole number.")
    return int(value)


def csv_columns(data: bytes) -> list[str]:
    """The header cells of an uploaded file, for display after a failed attempt ([] if no header can be read)."""
    try:
        text = data.removeprefix(b"\xef\xbb\xbf").decode("utf-8")
    except UnicodeDecodeError:
        return []
    first = sel.LINE_BREAK.split(text, maxsplit=1)[0] if text.strip() else ""
    try:
        best = max((next(csv.reader(io.StringIO(first), delimiter=d), []) for d in sel.DELIMITERS), key=len)
    except csv.Error:
        return []
    return [cell.strip() for cell in best if cell.strip()]
