"""Sample populations: parse, hash and snapshot them so every draw can be re-performed."""

from __future__ import annotations

import json
from dataclasses import dataclass

import sqlalchemy as sa
from flask import current_app

from audit_app.errors import Conflict, ValidationFailed
from audit_app.extensions import db
from audit_app.models import AISystem, OrgUnit, PopulationSource, Sample, User
from audit_app.services import access, activity, storage
from audit_app.services.access import Need
from audit_app.services.sampling import selection as sel
from audit_app.services.sampling.lifecycle import ensure_draft
from audit_app.services.text import clean


def snapshots() -> storage.Storage:
    """Where frozen populations are kept (write-once, like evidence files)."""
    return storage.area("populations")


@dataclass(frozen=True)
class PopulationData:
    source: PopulationSource
    description: str = ""
    completeness_check: str = ""
    typed: str = ""
    csv_bytes: bytes = b""
    id_column: str = ""
    label_column: str = ""
    stratum_column: str = ""


def _parse(data: PopulationData) -> sel.Population:
    if data.source is PopulationSource.CSV:
        if len(data.csv_bytes) > current_app.config["POPULATION_MAX_BYTES"]:
            raise ValidationFailed.on(
                "csv",
                "The CSV file is larger than the limit "
                f"({current_app.config['POPULATION_MAX_BYTES'] // (1024 * 1024)} MB).",
            )
        if not data.id_column.strip():
            raise ValidationFailed.on("id_column", "Name the column that holds each unit's id.")
        return sel.parse_csv(
            data.csv_bytes,
            id_column=data.id_column.strip(),
            label_column=data.label_column.strip() or None,
            stratum_column=data.stratum_column.strip() or None,
        )
    if data.source is PopulationSource.TYPED:
        return sel.parse_typed(data.typed)
    if data.source is PopulationSource.AI_SYSTEMS:
        systems = db.session.scalars(sa.select(AISystem).where(AISystem.in_scope.is_(True)))
        return sel.from_records(
            ((s.name, s.purpose[:200], s.risk_level.label) for s in systems),
            "AI-system inventory (in-scope systems; stratum = risk level)",
        )
    units = db.session.scalars(sa.select(OrgUnit).where(OrgUnit.active.is_(True)))
    return sel.from_records(
        ((u.name, u.description[:200], u.kind.label) for u in units), "Org units (active; stratum = kind)"
    )


def set_population(sample: Sample, data: PopulationData, *, actor: User) -> sel.Population:
    """Freeze the population: parse it, hash it and keep a snapshot so the draw can be re-performed."""
    access.ensure(actor, sample.audit, Need.WORK)
    ensure_draft(sample, "population")
    try:
        population = _parse(data)
    except sel.PopulationError as exc:
        raise ValidationFailed("The population was refused: nothing was stored.", {"population": exc.problems}) from exc
    if population.size == 0:
        raise ValidationFailed.on("population", "The population is empty.")
    lines = (json.dumps([u.key, u.label, u.stratum], ensure_ascii=False) for u in population.units)
    snapshot = snapshots().put("\n".join(lines).encode("utf-8"))
    sample.population_source = data.source
    sample.population_description = clean(data.description, field="description", max_length=4000, multiline=True)
    sample.completeness_check = clean(
        data.completeness_check, field="completeness_check", max_length=4000, multiline=True
    )
    sample.population_size, sample.population_hash, sample.population_file = (
        population.size,
        population.sha256,
        snapshot,
    )
    sample.population_columns = {
        "columns": list(population.columns),
        "id": data.id_column,
        "label": data.label_column,
        "stratum": data.stratum_column,
        "strata": list(population.strata),
        "warnings": list(population.warnings),
        "ordering": population.ordering,
        "source": population.source,
    }
    activity.record(actor, "sample.population_set", sample, size=population.size, sha256=population.sha256)
    return population


def load_population(sample: Sample) -> sel.Population:
    """Rebuild the frozen population from its snapshot (and check it still has the recorded hash)."""
    if not sample.population_file:
        raise Conflict("Define the population first.")
    with snapshots().open(sample.population_file) as handle:
        text = handle.read().decode("utf-8")
    # Joined with "\n" above; json.dumps escapes every other line break, so split only on "\n".
    rows = [json.loads(line) for line in text.split("\n")]
    population = sel.from_records(
        ((k, label, stratum) for k, label, stratum in rows), sample.population_columns.get("source", "snapshot")
    )
    if population.sha256 != sample.population_hash:
        raise Conflict("The population snapshot no longer matches its recorded hash.")
    return population
