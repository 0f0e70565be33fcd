"""Sampling forms: they check the shape of the input (numbers, percentages, lines); the services hold the rules."""

from __future__ import annotations

from decimal import Decimal

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, Optional, Regexp, ValidationError

from audit_app.models import (
    Audit,
    PopulationSource,
    Sample,
    SampleMethod,
    SizeBasis,
)
from audit_app.services.sampling import maths
from audit_app.services.sampling import selection as sel
from audit_app.services.sampling.populations import PopulationData
from audit_app.services.sampling.samples import SampleData, SizeData
from audit_app.web.planning.forms import CheckboxListField
from audit_app.web.samples.inputs import check_percent, parse_percent, parse_whole, site_kind_choices

METHOD_HINTS = {
    SampleMethod.SIMPLE_RANDOM: "Every unit has the same chance; drawn with a recorded seed.",
    SampleMethod.SYSTEMATIC: "Every k-th unit from a random start (seeded); beware periodic populations.",
    SampleMethod.STRATIFIED: "Random within each stratum (proportional, at least one each); needs a stratum column.",
    SampleMethod.JUDGEMENTAL: "You pick the units by risk or knowledge, each with a rationale; not statistical.",
    SampleMethod.WHOLE_POPULATION: "Test every unit (small or high-risk populations).",
}
SOURCE_HINTS = {
    PopulationSource.TYPED: "Type or paste the list below, one unit per line.",
    PopulationSource.CSV: "Upload a UTF-8 CSV export and map its columns below.",
    PopulationSource.AI_SYSTEMS: "The in-scope AI systems of the inventory (stratum: risk level).",
    PopulationSource.ORG_UNITS: "The active org units (stratum: kind of unit).",
}
ATTRIBUTE_PERCENTS = ("confidence", "tolerable_rate", "expected_rate")


class SampleForm(FlaskForm):
    title = StringField(
        "Sampling objective (title)",
        validators=[InputRequired(message="Give the sample a title."), Length(max=200)],
    )
    attribute = TextAreaField(
        "Attribute tested and what counts as a deviation",
        validators=[InputRequired(message="Say what is tested and what counts as a deviation."), Length(max=4000)],
        render_kw={"rows": 4},
    )
    sampling_unit = StringField("Sampling unit", validators=[Length(max=120)])
    attributes = TextAreaField(
        "Attributes tested on each item, one per line (A1, A2, …; optional)",
        validators=[Length(max=12000)],
        render_kw={"rows": 4},
    )
    checklist_item_ids = CheckboxListField("Clauses and controls tested")
    submit = SubmitField("Create the sample")

    def set_choices(self, audit: Audit) -> None:
        self.checklist_item_ids.choices = [(i.id, f"{i.ref} {i.title}") for i in audit.scope_items]

    def to_data(self) -> SampleData:
        return SampleData(
            title=self.title.data or "",
            attribute=self.attribute.data or "",
            sampling_unit=self.sampling_unit.data or "",
            checklist_item_ids=tuple(self.checklist_item_ids.data or ()),
            attributes=tuple(line.strip() for line in sel.LINE_BREAK.split(self.attributes.data or "") if line.strip()),
        )


class PopulationForm(FlaskForm):
    source = RadioField(
        "Where the population comes from",
        choices=[SelectChoice(s.value, s.label) for s in PopulationSource],
        validators=[InputRequired(message="Choose where the population comes from.")],
    )
    description = TextAreaField(
        "Source system or report, extraction date, period covered and filters",
        validators=[Length(max=4000)],
        render_kw={"rows": 3},
    )
    completeness_check = TextAreaField(
        "Completeness and accuracy check", validators=[Length(max=4000)], render_kw={"rows": 3}
    )
    typed = TextAreaField("Typed population", render_kw={"rows": 8})
    csv = FileField("CSV file")
    id_column = StringField("Id column", validators=[Length(max=200)], default="id")
    label_column = StringField("Label column (optional)", validators=[Length(max=200)])
    stratum_column = StringField("Stratum column (optional)", validators=[Length(max=200)])
    sites = BooleanField("The units are the organisation's sites (central function excluded)")
    submit = SubmitField("Freeze the population")

    def validate_csv(self, field: FileField) -> None:
        if self.source.data == PopulationSource.CSV.value and not getattr(field.data, "filename", ""):
            raise ValidationError("Choose the CSV file to upload.")

    def csv_bytes(self) -> bytes:
        upload = self.csv.data
        return upload.read() if self.source.data == PopulationSource.CSV.value and upload else b""

    def to_data(self, csv_bytes: bytes) -> PopulationData:
        return PopulationData(
            source=PopulationSource(self.source.data),
            description=self.description.data or "",
            completeness_check=self.completeness_check.data or "",
            typed=self.typed.data or "",
            csv_bytes=csv_bytes,
            id_column=self.id_column.data or "",
            label_column=self.label_column.data or "",
            stratum_column=self.stratum_column.data or "",
            sites=bool(self.sites.data),
        )


class SizeForm(FlaskForm):
    method = RadioField(
        "Selection method",
        choices=[SelectChoice(m.value, m.label) for m in SampleMethod],
        validators=[InputRequired(message="Choose a selection method.")],
    )
    basis = RadioField(
        "How the size is set", choices=[SelectChoice(b.value, b.label) for b in SizeBasis], validate_choice=False
    )
    confidence = StringField("Confidence (%)", render_kw={"list": "confidence-levels", "inputmode": "decimal"})
    tolerable_rate = StringField("Tolerable deviation rate (%)", render_kw={"inputmode": "decimal"})
    expected_rate = StringField("Expected deviation rate (%)", render_kw={"inputmode": "decimal"})
    use_fpc = BooleanField("Apply the exact finite-population correction (hypergeometric, for this population's N)")
    frequency = SelectField(
        "Control frequency",
        choices=[
            SelectChoice("", "Choose a frequency"),
            *(SelectChoice(r.key, f"{r.label} ({r.occurrences_per_year} a year)") for r in maths.FREQUENCY_TABLE),
        ],
        validate_choice=False,  # the service names a bad frequency
    )
    risk = SelectField(
        "Risk",
        choices=[
            SelectChoice("", "Choose a risk level"),
            *(SelectChoice(r, r.capitalize()) for r in maths.RISK_LEVELS),
        ],
        validate_choice=False,
    )
    kind = SelectField(
        "Kind of audit", choices=[SelectChoice("", "Choose a kind"), *site_kind_choices()], validate_choice=False
    )
    manual_size = StringField("Sample size", render_kw={"inputmode": "numeric"})
    central_function = StringField("Central function (audited every time, not sampled)", validators=[Length(max=200)])
    random_share = StringField(
        "Share of the sites drawn at random (%)", default="100", render_kw={"inputmode": "numeric"}
    )
    allocation = RadioField(
        "Allocation over the strata",
        choices=[
            SelectChoice("proportional", "Proportional to the stratum sizes"),
            SelectChoice("equal", "Equal per stratum"),
            SelectChoice("fixed", "Fixed per stratum (below)"),
        ],
        default="proportional",
        validate_choice=False,
    )
    fixed_sizes = TextAreaField(
        "Fixed sizes: one stratum per line, “stratum: n”", validators=[Length(max=4000)], render_kw={"rows": 3}
    )
    rationale = TextAreaField("Rationale", validators=[Length(max=4000)], render_kw={"rows": 3})
    submit = SubmitField("Set the method and size")

    @classmethod
    def for_sample(cls, sample: Sample) -> SizeForm:
        def pct(value: Decimal | None, default: str) -> str:
            return default if value is None else f"{(value * 100).normalize():f}"

        params = sample.size_parameters or {}
        return cls(
            formdata=None,
            data={
                "method": sample.method.value if sample.method else None,
                "basis": sample.size_basis.value if sample.size_basis else SizeBasis.ATTRIBUTE.value,
                "confidence": pct(sample.confidence, "95"),
                "tolerable_rate": pct(sample.tolerable_rate, "5"),
                "expected_rate": pct(sample.expected_rate, "0"),
                "use_fpc": sample.use_fpc,
                "frequency": params.get("frequency", ""),
                "risk": params.get("risk", ""),
                "kind": params.get("sites_kind", ""),
                "central_function": params.get("central_function", ""),
                "random_share": str(params.get("random_share", 100)),
                "allocation": params.get("allocation", "proportional"),
                "fixed_sizes": "\n".join(f"{h}: {n}" for h, n in (params.get("fixed") or {}).items()),
            },
        )

    def _needs(self, basis: SizeBasis) -> bool:
        """Whether the chosen method takes its size from this basis (judgemental and whole population do not)."""
        return self.method.data in (m.value for m in SampleMethod if m.statistical) and self.basis.data == basis.value

    def validate_basis(self, field: RadioField) -> None:
        if self.method.data in (m.value for m in SampleMethod if m.statistical) and field.data not in set(SizeBasis):
            raise ValidationError("Choose how the size is set.")

    def validate_confidence(self, field: StringField) -> None:
        check_percent(field, required=self._needs(SizeBasis.ATTRIBUTE))

    def validate_tolerable_rate(self, field: StringField) -> None:
        check_percent(field, required=self._needs(SizeBasis.ATTRIBUTE))

    def validate_expected_rate(self, field: StringField) -> None:
        check_percent(field, required=False, allow_zero=True)

    def validate_manual_size(self, field: StringField) -> None:
        try:
            value = parse_whole(field.data)
        except ValueError as exc:
            raise ValidationError(str(exc)) from None
        if value is None and self._needs(SizeBasis.MANUAL):
            raise ValidationError("Enter the sample size.")

    def validate_random_share(self, field: StringField) -> None:
        if not self._needs(SizeBasis.SITE_RULE):
            return
        try:
            value = parse_whole((field.data or "").strip().removesuffix("%"))
        except ValueError:
            raise ValidationError("Enter a whole percentage from 25 to 100.") from None
        if value is None:
            raise ValidationError("Enter the share of the sites drawn at random (25 to 100).")

    def random_share_value(self) -> int:
        """The share typed (whole percent); 100 when blank or not for the site rule. The service checks the range."""
        text = (self.random_share.data or "").strip().removesuffix("%")
        return int(text) if text.strip().isdigit() and len(text.strip()) <= 9 else 100

    def validate_fixed_sizes(self, field: TextAreaField) -> None:
        if self.method.data == SampleMethod.STRATIFIED.value and self.allocation.data == "fixed":
            self.fixed_map()

    def fixed_map(self) -> dict[str, int]:
        """'stratum: n' per line (the last ': ' splits, so a stratum may hold a colon)."""
        sizes: dict[str, int] = {}
        for line in sel.LINE_BREAK.split(self.fixed_sizes.data or ""):
            if not line.strip():
                continue
            stratum, _, number = line.rpartition(":")
            if not number.strip().isdigit() or len(number.strip()) > 9:
                raise ValidationError(f"Write each line as “stratum: n” with a whole number: {line.strip()!r}.")
            sizes[stratum.strip()] = int(number)
        return sizes

    def to_data(self) -> SizeData:
        method = SampleMethod(self.method.data)
        basis = SizeBasis(self.basis.data) if self.basis.data in set(SizeBasis) else SizeBasis.MANUAL
        attribute = method.statistical and basis is SizeBasis.ATTRIBUTE
        percents = {name: parse_percent(getattr(self, name).data) if attribute else None for name in ATTRIBUTE_PERCENTS}
        stratified = method is SampleMethod.STRATIFIED
        allocation = self.allocation.data or "proportional"
        return SizeData(
            method=method,
            basis=basis,
            confidence=percents["confidence"],
            tolerable_rate=percents["tolerable_rate"],
            expected_rate=percents["expected_rate"],
            allocation=allocation if stratified else "proportional",
            fixed_sizes=self.fixed_map() if stratified and allocation == "fixed" else None,
            central_function=self.central_function.data or "",
            random_share=self.random_share_value() if basis is SizeBasis.SITE_RULE else 100,
            use_fpc=bool(self.use_fpc.data) and attribute,
            frequency=self.frequency.data or "",
            risk=self.risk.data or "",
            sites_kind=self.kind.data or "",
            manual_size=parse_whole(self.manual_size.data),
            rationale=self.rationale.data or "",
        )


class DrawForm(FlaskForm):
    seed = StringField(
        "Seed (optional)",
        validators=[Optional(), Regexp(r"^\s*\d+\s*$", message="Use a whole number, or leave it blank.")],
        render_kw={"inputmode": "numeric"},
    )
    picks = TextAreaField("Units picked, with the reason for each", render_kw={"rows": 6})
    interval = StringField(
        "Interval k (optional, a whole number)",
        validators=[Optional(), Regexp(r"^\s*\d{1,9}\s*$", message="Use a whole number, or leave it blank.")],
        render_kw={"inputmode": "numeric"},
    )
    start = StringField(
        "Random start r (optional, from 1 to k)",
        validators=[Optional(), Regexp(r"^\s*\d{1,9}\s*$", message="Use a whole number, or leave it blank.")],
        render_kw={"inputmode": "numeric"},
    )
    submit = SubmitField("Draw the sample")

    def validate_seed(self, field: StringField) -> None:
        if field.data and field.data.strip().isdigit() and int(field.data) >= sel.MAX_SEED:
            raise ValidationError(f"Use a seed from 0 to {sel.MAX_SEED - 1}.")

    def validate_picks(self, field: TextAreaField) -> None:
        keys = [key for key, _ in self._lines()]
        repeated = sorted({k for k in keys if keys.count(k) > 1})
        if repeated:
            raise ValidationError(f"Pick each unit once; repeated: {', '.join(repeated)}.")

    def _lines(self) -> list[tuple[str, str]]:
        """'id: rationale' per line (split at the first ': ', else the first ':').

        Only real line breaks end a line (str.splitlines would also split on a vertical tab or a pasted U+2028 and
        make a pick of half a rationale); other separators reach the service, which refuses control characters.
        """
        out = []
        for line in sel.LINE_BREAK.split(self.picks.data or ""):
            if line.strip():
                key, _, why = line.partition(": " if ": " in line else ":")
                out.append((key.strip(), why.strip()))
        return out

    def interval_value(self) -> int | None:
        return int(self.interval.data) if (self.interval.data or "").strip() else None

    def start_value(self) -> int | None:
        return int(self.start.data) if (self.start.data or "").strip() else None

    def seed_value(self) -> int | None:
        return int(self.seed.data) if (self.seed.data or "").strip() else None

    def pick_map(self) -> dict[str, str] | None:
        return dict(self._lines()) or None
