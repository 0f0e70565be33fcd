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
    #: The units are the sites of a multi-site organisation, the central function excluded (IAF MD 1).
    sites: bool = False


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
            ((s.name, excerpt(s.purpose), s.risk_level.label) for s in systems),
            f"AI-system inventory (in-scope systems; stratum = risk level; label = purpose, {EXCERPT} characters)",
        )
    units = db.session.scalars(sa.select(OrgUnit).where(OrgUnit.active.is_(True)))
    return sel.from_records(
        ((u.name, excerpt(u.description), u.kind.label) for u in units),
        f"Org units (active; stratum = kind; label = description, {EXCERPT} characters)",
    )


#: How much of an AI system's purpose or an org unit's description labels its unit.
EXCERPT = 200


def excerpt(text: str, limit: int = EXCERPT) -> str:
    """The first `limit` characters of `text`, ending in "…" when it was longer (a label says it is cut)."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


#: One encoder for every line (json.dumps with ensure_ascii=False would build a new one per call).
_LINE = json.JSONEncoder(ensure_ascii=False)


def snapshot_bytes(population: sel.Population) -> bytes:
    """The frozen population as stored: one JSON array [id, label, stratum] per unit, joined by "\\n".

    JSON escapes every control character (line feeds among them), so "\\n" only ever separates units; other
    separators (U+0085, U+2028, U+2029) stay as they are inside the text.
    """
    encode = _LINE.encode
    return "\n".join([encode([u.key, u.label, u.stratum]) for u in population.units]).encode()


def read_snapshot(data: bytes, source: str) -> sel.Population:
    """The population a snapshot holds (the inverse of `snapshot_bytes`).

    Split on "\\n" only, never with str.splitlines (which also splits on the separators kept inside the text); the
    lines are decoded as one JSON array, which is much quicker than one decode per unit. A snapshot is written in
    the frozen order with unique ids; one that is not (edited by hand) is put back in that order or refused, and its
    hash is computed afresh, for the caller to compare with the record.
    """
    rows = json.loads("[" + data.decode("utf-8").replace("\n", ",") + "]")
    try:
        keys = [row[0] for row in rows]
        columns = sel.RECORD_COLUMNS
        units = [sel.Unit(key, label, stratum, row, columns) for row in rows for key, label, stratum in (row,)]
    except (TypeError, IndexError, KeyError, ValueError) as exc:
        raise ValueError("the snapshot does not hold [id, label, stratum] rows") from exc
    if any(not isinstance(key, str) or not key for key in keys) or len(set(keys)) != len(keys):
        raise ValueError("the snapshot does not hold one unit per id")
    if any(keys[i] > keys[i + 1] for i in range(len(keys) - 1)):
        units.sort(key=lambda unit: unit.key)
    return sel.Population(tuple(units), source, sel.population_hash(unit.key for unit in units), sel.RECORD_COLUMNS)


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
    description = clean(data.description, field="description", max_length=4000, multiline=True)
    completeness = clean(data.completeness_check, field="completeness_check", max_length=4000, multiline=True)
    # Written last, once every input is accepted; a file whose transaction does not commit is removed (storage).
    names = {
        part: clean(value, field=f"{part}_column", max_length=200)
        for part, value in (("id", data.id_column), ("label", data.label_column), ("stratum", data.stratum_column))
    }
    snapshot = snapshots().put(snapshot_bytes(population))
    storage.replaced(snapshots(), sample.population_file)  # a draft's earlier population, no longer used
    sample.population_source, sample.population_is_sites = data.source, data.sites
    sample.population_description, sample.completeness_check = description, completeness
    sample.population_size, sample.population_hash, sample.population_file = (
        population.size,
        population.sha256,
        snapshot,
    )
    sample.population_columns = {
        "columns": list(population.columns),
        **names,
        "strata": list(population.strata),
        "warnings": list(population.warnings),
        "ordering": population.ordering,
        "source": population.source,
    }
    activity.record(actor, "sample.population_set", sample, size=population.size, sha256=population.sha256)
    return population


def read_population(sample: Sample) -> sel.Population:
    """The population the sample's snapshot holds, as it is now (without comparing its hash to the record)."""
    if not sample.population_file:
        raise Conflict("Define the population first.")
    with snapshots().open(sample.population_file) as handle:
        return read_snapshot(handle.read(), sample.population_columns.get("source", "snapshot"))


def load_population(sample: Sample) -> sel.Population:
    """Rebuild the frozen population from its snapshot (and check it still has the recorded hash)."""
    population = read_population(sample)
    if population.sha256 != sample.population_hash:
        raise Conflict("The population snapshot no longer matches its recorded hash.")
    return population
