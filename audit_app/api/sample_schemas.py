"""Marshmallow schemas for audit samples (the public calculators' are in calculator_schemas.py).

They check the shape of API input only; the services (samples, populations, sampling_math) hold the rules.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from flask_smorest.fields import Upload
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from audit_app.api.schema_parts import ChecklistItemRefSchema, Id, NamedRefSchema, enum_field, id_list
from audit_app.models import DeviationNature, PopulationSource, SampleItemResult, SampleMethod, SampleStatus, SizeBasis
from audit_app.services.sampling.maths import FREQUENCY_TABLE, RISK_LEVELS, SITE_KINDS
from audit_app.services.sampling.selection import MAX_SEED

_SURROGATE = re.compile("[\ud800-\udfff]")


class Text(fields.Str):
    """A string without lone surrogates (JSON can carry them; UTF-8 files and the database cannot)."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        if _SURROGATE.search(text):
            raise ValidationError("Contains an unpaired surrogate code point; send valid Unicode text.")
        return text


def _rate(value: Decimal) -> None:
    """A fraction from 0 to 1 with at most five decimals (what the sample record stores)."""
    if not value.is_finite() or not Decimal(0) <= value <= Decimal(1):
        raise ValidationError("Give a fraction from 0 to 1, e.g. 0.05 for 5%.")
    try:
        exact = value == value.quantize(Decimal("0.00001"))
    except InvalidOperation:
        exact = False
    if not exact:
        raise ValidationError("Use at most five decimal places.")


def _rate_field(description: str) -> fields.Decimal:
    return fields.Decimal(
        load_default=None, allow_none=True, validate=_rate, metadata={"description": description, "example": 0.05}
    )


# --- Samples: input ---------------------------------------------------------------------------------------------


class SampleCreateSchema(Schema):
    title = Text(required=True, validate=validate.Length(max=200))
    attribute = Text(
        required=True,
        validate=validate.Length(max=4000),
        metadata={"description": "The attribute tested and what counts as a deviation, set before testing."},
    )
    sampling_unit = Text(load_default="", validate=validate.Length(max=120), metadata={"example": "model releases"})
    checklist_item_ids = id_list("In-scope checklist items the sample tests.", required=True)
    attributes = fields.List(
        Text(validate=validate.Length(max=1000)),
        load_default=list,
        validate=validate.Length(max=12),
        metadata={"description": "The attributes each item is tested against (A1, A2, …); none: `attribute` is A1."},
    )


class PopulationInputSchema(Schema):
    source = enum_field(PopulationSource, required=True)
    description = Text(
        load_default="",
        validate=validate.Length(max=4000),
        metadata={"description": "Source system or report, extraction date, period covered and filters."},
    )
    completeness_check = Text(
        load_default="",
        validate=validate.Length(max=4000),
        metadata={"description": "How the list was reconciled to its source."},
    )
    typed = Text(load_default="", metadata={"description": "source=typed: one id per line, optionally ', label'."})
    csv = Text(load_default="", metadata={"description": "source=csv: the CSV content as text (header row first)."})
    id_column = Text(load_default="", validate=validate.Length(max=200))
    label_column = Text(load_default="", validate=validate.Length(max=200))
    stratum_column = Text(
        load_default="", validate=validate.Length(max=200), metadata={"description": "Strata for stratified samples."}
    )
    sites = fields.Bool(
        load_default=False,
        metadata={"description": "The units are the organisation's sites, central function excluded (IAF MD 1)."},
    )


class PopulationUploadSchema(PopulationInputSchema):
    """The multipart form: the same fields, with the CSV as a `file` part instead of `csv`."""

    file = Upload(metadata={"description": "source=csv: the CSV file (UTF-8)."})


class SizeInputSchema(Schema):
    method = enum_field(SampleMethod, required=True)
    basis = enum_field(SizeBasis, required=True, metadata={"description": "How the size is chosen."})
    confidence = _rate_field("basis=attribute: confidence level, e.g. 0.95.")
    tolerable_rate = _rate_field("basis=attribute: tolerable deviation rate.")
    expected_rate = _rate_field("basis=attribute: expected deviation rate (default 0).")
    use_fpc = fields.Bool(
        load_default=False, metadata={"description": "Exact finite-population correction (hypergeometric)."}
    )
    frequency = Text(load_default="", validate=validate.OneOf(["", *(row.key for row in FREQUENCY_TABLE)]))
    risk = Text(load_default="", validate=validate.OneOf(["", *RISK_LEVELS]))
    sites_kind = Text(load_default="", validate=validate.OneOf(["", *SITE_KINDS]))
    manual_size = fields.Int(load_default=None, allow_none=True, strict=True)
    rationale = Text(load_default="", validate=validate.Length(max=4000))
    allocation = Text(
        load_default="proportional",
        validate=validate.OneOf(["proportional", "equal", "fixed"]),
        metadata={"description": "method=stratified: how n is shared over the strata (recorded)."},
    )
    fixed_sizes = fields.Dict(
        keys=Text(validate=validate.Length(max=200)),
        values=fields.Int(strict=True, validate=validate.Range(min=1, max=1_000_000)),
        load_default=None,
        allow_none=True,
        metadata={"description": "allocation=fixed: n_h per stratum (every stratum once)."},
    )
    central_function = Text(
        load_default="",
        validate=validate.Length(max=200),
        metadata={"description": "basis=site_rule: the central function, audited every time and not sampled."},
    )
    random_share = fields.Int(
        load_default=100,
        strict=True,
        metadata={
            "description": "basis=site_rule: the percentage of the sites drawn at random, 25 to 100 (IAF MD 1); "
            "below 100 the method is simple_random and the other sites are chosen on risk as `picks` at the draw."
        },
    )


class DrawInputSchema(Schema):
    seed = fields.Int(
        load_default=None,
        allow_none=True,
        strict=True,
        validate=validate.Range(min=0, max=MAX_SEED - 1),
        metadata={"description": "Random methods: the seed to use; left out, one is generated and recorded."},
    )
    picks = fields.Dict(
        keys=Text(validate=validate.Length(max=200)),
        values=Text(validate=validate.Length(max=4000)),
        load_default=None,
        allow_none=True,
        metadata={"description": "Judgemental, or an IAF MD 1 mixed site selection: unit id → why it was picked."},
    )
    interval = fields.Int(
        load_default=None,
        allow_none=True,
        strict=True,
        validate=validate.Range(min=1, max=1_000_000),
        metadata={"description": "Systematic: a whole interval k (every k-th unit of the frozen list)."},
    )
    start = fields.Int(
        load_default=None,
        allow_none=True,
        strict=True,
        validate=validate.Range(min=1, max=1_000_000),
        metadata={
            "description": "Systematic with `interval`: the random start r (1..k); left out, drawn from the seed."
        },
    )


ATTRIBUTE_VALUES = [r for r in SampleItemResult if r not in (SampleItemResult.PENDING, SampleItemResult.VOID)]


def _attribute_results(description: str) -> fields.Dict:
    return fields.Dict(
        keys=Text(validate=validate.Length(max=10)),
        values=enum_field(SampleItemResult, validate=validate.OneOf(ATTRIBUTE_VALUES)),
        load_default=None,
        allow_none=True,
        metadata={"description": description},
    )


class ItemResultInputSchema(Schema):
    result = enum_field(
        SampleItemResult,
        load_default=None,
        allow_none=True,
        validate=validate.OneOf([r for r in SampleItemResult if r is not SampleItemResult.PENDING]),
        metadata={
            "description": "For every attribute: conforming, deviation or not_testable (cannot be examined: counts "
            "as a deviation); or void (void or outside the population: the item is replaced)."
        },
    )
    attribute_results = _attribute_results('Instead of `result`: a result per attribute code, e.g. {"A1": …}.')
    note = Text(
        load_default="",
        validate=validate.Length(max=4000),
        metadata={"description": "Required for not_testable and void."},
    )
    evidence_id = Id(
        load_default=None, allow_none=True, strict=True, metadata={"description": "An evidence entry of the audit."}
    )

    @validates_schema
    def _one_result(self, data: dict[str, Any], **kwargs: Any) -> None:
        if data.get("result") is None and not data.get("attribute_results"):
            raise ValidationError("Give `result` or `attribute_results`.", "result")


class ResultRowSchema(Schema):
    item_id = Id(required=True, strict=True)
    results = _attribute_results("The result per attribute code; codes left out are not yet tested.")
    void = fields.Bool(load_default=False, metadata={"description": "Void or outside the population (replaced)."})
    note = Text(load_default="", validate=validate.Length(max=4000))
    evidence_id = Id(load_default=None, allow_none=True, strict=True)


class ResultRowsInputSchema(Schema):
    rows = fields.List(fields.Nested(ResultRowSchema), required=True, validate=validate.Length(min=1, max=500))


class InterpretationInputSchema(Schema):
    cause = Text(required=True, validate=validate.Length(min=1, max=4000))
    nature = enum_field(DeviationNature, required=True, metadata={"description": "isolated or systemic."})


# --- Samples: output --------------------------------------------------------------------------------------------


class SampleItemSchema(Schema):
    id = fields.Int(dump_only=True)
    draw_order = fields.Int(dump_only=True)
    population_index = fields.Int(dump_only=True, metadata={"description": "Position in the frozen population."})
    key = fields.Str(dump_only=True)
    label = fields.Str(dump_only=True)
    stratum = fields.Str(dump_only=True)
    rationale = fields.Str(dump_only=True)
    result = enum_field(SampleItemResult, dump_only=True, metadata={"description": "Derived from the attributes."})
    attribute_results = fields.Dict(dump_only=True, metadata={"description": "Attribute code → result."})
    note = fields.Str(dump_only=True)
    evidence_id = fields.Int(dump_only=True, allow_none=True)
    replaces_id = fields.Int(dump_only=True, allow_none=True, metadata={"description": "The item this replaces."})
    tested_by = fields.Nested(NamedRefSchema, dump_only=True, allow_none=True)
    tested_at = fields.DateTime(dump_only=True, allow_none=True)


class ItemResultSchema(Schema):
    item = fields.Nested(SampleItemSchema, dump_only=True)
    replacement = fields.Nested(
        SampleItemSchema,
        dump_only=True,
        allow_none=True,
        metadata={"description": "Drawn from the same seeded stream when the item was void."},
    )


class ResultRowsSchema(Schema):
    items = fields.List(fields.Nested(SampleItemSchema), dump_only=True, metadata={"description": "Rows changed."})
    replacements = fields.List(fields.Nested(SampleItemSchema), dump_only=True)


class ReperformanceSchema(Schema):
    same = fields.Bool(
        dump_only=True,
        metadata={"description": "Whether drawing again from the snapshot gave the same selection."},
    )
    population_sha256 = fields.Str(
        dump_only=True,
        metadata={
            "description": "The population hash the check computed from (empty when the snapshot was unreadable)."
        },
    )
    checked_at = fields.DateTime(dump_only=True)
    checked_by = fields.Nested(NamedRefSchema, dump_only=True, allow_none=True)
    problem = fields.Str(dump_only=True, metadata={"description": "Why the check failed, if it did."})


class SampleSummarySchema(Schema):
    id = fields.Int(dump_only=True)
    reference = fields.Str(dump_only=True)
    title = fields.Str(dump_only=True)
    status = enum_field(SampleStatus, dump_only=True)
    method = enum_field(SampleMethod, dump_only=True, allow_none=True)
    population_size = fields.Int(dump_only=True, allow_none=True)
    sample_size = fields.Int(dump_only=True, allow_none=True)
    deviations = fields.Int(dump_only=True, allow_none=True)
    upper_limit = fields.Float(dump_only=True, allow_none=True)


class SampleRecordSchema(SampleSummarySchema):
    """The whole sample record (ISO 19011 A.6): objective, population, method and size, selection, evaluation."""

    audit_id = fields.Int(dump_only=True)
    sequence = fields.Int(dump_only=True)
    attribute = fields.Str(dump_only=True)
    sampling_unit = fields.Str(dump_only=True)
    attributes = fields.List(fields.Dict(), dump_only=True, attribute="attribute_list")
    checklist_items = fields.List(fields.Nested(ChecklistItemRefSchema), dump_only=True)
    population_source = enum_field(PopulationSource, dump_only=True, allow_none=True)
    population_description = fields.Str(dump_only=True)
    completeness_check = fields.Str(dump_only=True)
    population_is_sites = fields.Bool(dump_only=True)
    population_hash = fields.Str(dump_only=True, metadata={"description": "SHA-256 of the sorted unit ids."})
    population_columns = fields.Dict(
        dump_only=True, metadata={"description": "Columns, mapping, strata, warnings, ordering and source."}
    )
    size_basis = enum_field(SizeBasis, dump_only=True, allow_none=True)
    confidence = fields.Float(dump_only=True, allow_none=True)
    tolerable_rate = fields.Float(dump_only=True, allow_none=True)
    expected_rate = fields.Float(dump_only=True, allow_none=True)
    use_fpc = fields.Bool(dump_only=True)
    size_parameters = fields.Dict(dump_only=True)
    size_rationale = fields.Str(dump_only=True)
    seed = fields.Int(
        dump_only=True, allow_none=True, metadata={"description": "Up to 2^63 - 1: read it as a big integer."}
    )
    algorithm = fields.Str(dump_only=True)
    library_versions = fields.Dict(dump_only=True)
    selection_params = fields.Dict(dump_only=True)
    conclusion = fields.Str(dump_only=True)
    proposed_finding = fields.Str(dump_only=True, metadata={"description": "Offered once the deviations are read."})
    evaluated_at = fields.DateTime(dump_only=True, allow_none=True)
    evaluation = fields.Dict(dump_only=True, metadata={"description": "Design, and per attribute (and stratum)."})
    deviation_cause = fields.Str(dump_only=True)
    deviation_nature = enum_field(DeviationNature, dump_only=True, allow_none=True)
    interpreted_by = fields.Nested(NamedRefSchema, dump_only=True, allow_none=True)
    interpreted_at = fields.DateTime(dump_only=True, allow_none=True)
    signed_off_by = fields.Nested(NamedRefSchema, dump_only=True, allow_none=True)
    signed_off_at = fields.DateTime(dump_only=True, allow_none=True)
    statistical = fields.Bool(
        dump_only=True, metadata={"description": "Random method sized with the attribute calculator."}
    )
    reperformed = fields.Bool(
        dump_only=True,
        allow_none=True,
        metadata={
            "description": "Drawn samples: whether drawing again from the snapshot with the recorded seed gives "
            "the same selection (false also when the snapshot no longer matches its hash); null before the draw "
            "and before the first check. Checked once at the draw and again on POST …/reperformance, never on a "
            "read: this is the stored verdict (see `reperformance`)."
        },
    )
    reperformance = fields.Nested(
        ReperformanceSchema,
        dump_only=True,
        allow_none=True,
        metadata={"description": "The stored re-performance check: verdict, population hash, when and by whom."},
    )
    items = fields.List(
        fields.Nested(SampleItemSchema),
        dump_only=True,
        metadata={
            "description": "The first 100 items in draw order; `items_total` counts them all, and GET …/items "
            "lists every item a page at a time."
        },
    )
    items_total = fields.Int(dump_only=True, metadata={"description": "How many items the sample holds."})
    random_sites = fields.List(
        fields.Str(),
        dump_only=True,
        metadata={
            "description": "IAF MD 1 mixed selection before the draw: the sites its recorded seed draws at random; "
            "choose the others on risk (`picks`)."
        },
    )
    created_by = fields.Nested(NamedRefSchema, dump_only=True, allow_none=True)
    created_at = fields.DateTime(dump_only=True)


class SampleEvaluationSchema(Schema):
    sample_size = fields.Int(dump_only=True, metadata={"description": "Items tested (void ones excluded)."})
    deviations = fields.Int(dump_only=True)
    deviation_rate = fields.Float(dump_only=True)
    upper_limit = fields.Float(dump_only=True, allow_none=True, metadata={"description": "Null when judgemental."})
    tolerable_rate = fields.Float(dump_only=True, allow_none=True)
    confidence = fields.Float(dump_only=True, allow_none=True)
    statistical = fields.Bool(dump_only=True)
    effective = fields.Bool(dump_only=True, allow_none=True)
    conclusion = fields.Str(dump_only=True)
    proposed_finding = fields.Str(
        dump_only=True, metadata={"description": "Empty until the deviations are interpreted (…/interpretation)."}
    )
    attributes = fields.List(fields.Dict(), dump_only=True, metadata={"description": "The evaluation per attribute."})
    design = fields.Str(
        dump_only=True, metadata={"description": "hypergeometric, binomial, whole_population or judgemental."}
    )
