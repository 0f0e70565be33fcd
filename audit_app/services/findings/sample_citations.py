"""A sample cited as objective evidence: its ratio, population, period and deviating items, frozen on the finding
when it is linked (DOMAIN 3.6)."""

from __future__ import annotations

import sqlalchemy as sa

from audit_app.extensions import db
from audit_app.models import FindingSample, Sample, SampleItem, SampleItemResult

#: Results that count as deviations in a finding (an item that could not be examined is one).
DEVIATING = (SampleItemResult.DEVIATION, SampleItemResult.NOT_TESTABLE)


def deviating_keys(sample: Sample) -> list[str]:
    return list(
        db.session.scalars(
            sa.select(SampleItem.key)
            .where(SampleItem.sample_id == sample.id, SampleItem.result.in_(DEVIATING))
            .order_by(SampleItem.draw_order)
        )
    )


def summary(sample: Sample, keys: list[str]) -> str:
    """ "3 of 25 sampled model releases deviated … population 120 …, period …" for the finding's evidence."""
    unit = sample.sampling_unit or "items"
    tested = sample.sample_size if sample.sample_size is not None else len(sample.items)
    deviations = sample.deviations if sample.deviations is not None else len(keys)
    population = f"population {sample.population_size} {unit}" if sample.population_size is not None else "population"
    described = sample.population_description.strip().rstrip(".")
    period = f" ({described})" if described else ""
    items = f"; deviating items: {', '.join(keys)}" if keys else ""
    return (
        f"{deviations} of {tested} sampled {unit} deviated (sample {sample.reference}, {population}{period}, "
        f"population hash {sample.population_hash[:12] or 'none'}{items})."
    )


def link(sample: Sample) -> FindingSample:
    keys = deviating_keys(sample)
    return FindingSample(sample_id=sample.id, sample=sample, summary=summary(sample, keys), deviating_items=keys)
