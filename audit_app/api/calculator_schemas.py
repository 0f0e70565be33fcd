"""Marshmallow schemas of the two public sampling calculators (api/sampling.py)."""

from __future__ import annotations

from marshmallow import Schema, fields

# --- Public calculators -----------------------------------------------------------------------------------------
# The query schemas document the parameters; the view reads request.args itself so that every malformed or
# out-of-range value is a 400 naming the parameter (the calculators' contract with integrators).


class AttributeSizeQuerySchema(Schema):
    confidence = fields.Float(
        required=True, metadata={"description": "Confidence level, strictly between 0 and 1.", "example": 0.95}
    )
    tolerable_rate = fields.Float(
        required=True, metadata={"description": "Tolerable deviation rate, strictly between 0 and 1.", "example": 0.05}
    )
    expected_rate = fields.Float(
        load_default=0,
        metadata={"description": "Expected deviation rate, from 0 and below the tolerable rate.", "example": 0},
    )
    population = fields.Int(
        metadata={
            "description": "Population size N (at least 1): the exact finite-population size from the "
            "hypergeometric distribution. Left out: a large population (binomial).",
            "example": 1000,
        }
    )


class AttributeSizeSchema(Schema):
    sample_size = fields.Int(dump_only=True)
    tolerable_deviations = fields.Int(
        dump_only=True, metadata={"description": "Deviations the plan tolerates: ceil(sample_size * expected_rate)."}
    )
    method = fields.Str(dump_only=True, metadata={"description": "binomial or hypergeometric."})
    population = fields.Int(dump_only=True, allow_none=True)
    confidence = fields.Float(dump_only=True)
    tolerable_rate = fields.Float(dump_only=True)
    expected_rate = fields.Float(dump_only=True)
    note = fields.Str(dump_only=True)


class UpperLimitQuerySchema(Schema):
    confidence = fields.Float(
        required=True, metadata={"description": "Confidence level, strictly between 0 and 1.", "example": 0.95}
    )
    sample_size = fields.Int(required=True, metadata={"description": "Items tested (at least 1).", "example": 25})
    deviations = fields.Int(
        required=True, metadata={"description": "Deviations found, from 0 to sample_size.", "example": 1}
    )


class UpperLimitSchema(Schema):
    upper_limit = fields.Float(
        dump_only=True,
        metadata={"description": "Exact one-sided Clopper-Pearson upper deviation limit, as an unrounded fraction."},
    )
    confidence = fields.Float(dump_only=True)
    sample_size = fields.Int(dump_only=True)
    deviations = fields.Int(dump_only=True)


class CalculatorErrorSchema(Schema):
    code = fields.Int(dump_only=True)
    status = fields.Str(dump_only=True)
    message = fields.Str(dump_only=True, metadata={"description": "Names the parameter, e.g. 'confidence: …'."})
    errors = fields.Dict(
        keys=fields.Str(), values=fields.List(fields.Str()), dump_only=True, metadata={"description": "By parameter."}
    )
