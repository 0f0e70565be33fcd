"""Calculator forms (GET, no CSRF: they change nothing); they check shape, the sampling maths does the rest."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from wtforms import Form, HiddenField, SelectField, StringField
from wtforms.validators import ValidationError

from audit_app.web.samples.inputs import check_percent, parse_percent, parse_whole, site_kind_choices

# --- Calculator page (GET forms, no CSRF: they change nothing) ---------------------------------------------------


def _percent_validator(required: bool, allow_zero: bool = False) -> Any:
    def check(form: Form, field: StringField) -> None:
        check_percent(field, required=required, allow_zero=allow_zero)

    return check


def _whole_validator(required: bool) -> Any:
    def check(form: Form, field: StringField) -> None:
        try:
            value = parse_whole(field.data)
        except ValueError as exc:
            raise ValidationError(str(exc)) from None
        if value is None and required:
            raise ValidationError("Enter a whole number.")

    return check


class CalculatorForm(Form):
    """A GET form of the calculator page; `FIELDS` maps the maths' parameter names to the form's fields."""

    FIELDS: dict[str, str] = {}

    def field_for(self, parameter: str) -> Any:
        return getattr(self, self.FIELDS.get(parameter, parameter), None)


class AttributeCalcForm(CalculatorForm):
    FIELDS = {"tolerable_rate": "tolerable", "expected_rate": "expected"}
    calc = HiddenField(default="attribute")
    confidence = StringField(
        "Confidence (%)", default="95", validators=[_percent_validator(True)], render_kw={"list": "confidence-levels"}
    )
    tolerable = StringField("Tolerable deviation rate (%)", default="5", validators=[_percent_validator(True)])
    expected = StringField("Expected deviation rate (%)", default="0", validators=[_percent_validator(False, True)])
    population = StringField(
        "Population size N (optional: exact finite-population correction)", validators=[_whole_validator(False)]
    )

    def values(self) -> tuple[Decimal, Decimal, Decimal, int | None]:
        return (
            parse_percent(self.confidence.data) or Decimal(0),
            parse_percent(self.tolerable.data) or Decimal(0),
            parse_percent(self.expected.data) or Decimal(0),
            parse_whole(self.population.data),
        )


class UpperLimitCalcForm(CalculatorForm):
    calc = HiddenField(default="upper")
    confidence = StringField(
        "Confidence (%)", default="95", validators=[_percent_validator(True)], render_kw={"list": "confidence-levels"}
    )
    sample_size = StringField("Items tested (n)", default="25", validators=[_whole_validator(True)])
    deviations = StringField("Deviations found (k)", default="1", validators=[_whole_validator(True)])

    def values(self) -> tuple[Decimal, int, int]:
        return (
            parse_percent(self.confidence.data) or Decimal(0),
            parse_whole(self.sample_size.data) or 0,
            parse_whole(self.deviations.data) or 0,
        )


class SitesCalcForm(CalculatorForm):
    calc = HiddenField(default="sites")
    sites = StringField(
        "Sites, not counting the central function (n)", default="10", validators=[_whole_validator(True)]
    )
    kind = SelectField("Kind of audit", choices=site_kind_choices())

    def values(self) -> tuple[int, str]:
        return parse_whole(self.sites.data) or 0, self.kind.data
