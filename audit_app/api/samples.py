"""Audit samples: population, method and size, the seeded draw, per-item results and the evaluation.

Routes load and authorize (team member during fieldwork for changes), parse the body, and call one service;
services.samples and services.populations hold the rules (seed stored before drawing, never
re-drawn, replacements from the same seeded stream).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from flask import current_app, request
from flask_smorest import Blueprint

from audit_app.api.common import parse_body, saved
from audit_app.api.paging import PAGE_HEADERS, Paged, PageQuerySchema, page_request, paged
from audit_app.api.sample_schemas import (
    DrawInputSchema,
    InterpretationInputSchema,
    ItemResultInputSchema,
    ItemResultSchema,
    PopulationInputSchema,
    PopulationUploadSchema,
    ResultRowsInputSchema,
    ResultRowsSchema,
    SampleCreateSchema,
    SampleEvaluationSchema,
    SampleItemSchema,
    SampleRecordSchema,
    SampleSummarySchema,
    SizeInputSchema,
)
from audit_app.authz import STAFF, WORKERS, get_actor, require_role
from audit_app.errors import ValidationFailed
from audit_app.models import PopulationSource, Sample, SampleItem, SampleStatus
from audit_app.services import access
from audit_app.services.access import Need
from audit_app.services.sampling import populations, sample_items, samples

blp = Blueprint("api_samples", __name__, url_prefix="", description="Audit samples: selection, results, evaluation")

SAMPLES = "/audits/<int:audit_id>/samples"
SAMPLE = f"{SAMPLES}/<int:sample_id>"


def _sample(audit_id: int, sample_id: int, need: Need) -> Sample:
    """The sample, once the caller may do what `need` says with its audit."""
    return samples.get_sample(access.load_audit(get_actor(), audit_id, need), sample_id)


@dataclass
class SampleRecord:
    """A sample with what the record shows beside its columns (dumped by SampleRecordSchema)."""

    sample: Sample
    statistical: bool
    reperformed: bool | None
    reperformance: dict[str, Any] | None
    #: The first items in draw order (the rest: GET …/items, a page at a time) and how many there are.
    items: list[SampleItem]
    items_total: int
    #: IAF MD 1 mixed selection before the draw: the site ids its seed draws at random (the picks must avoid them).
    random_sites: list[str]

    def __getattr__(self, name: str) -> Any:
        return getattr(self.sample, name)


def _record(sample: Sample) -> SampleRecord:
    """The record with the stored re-performance verdict (a view never re-performs the draw)."""
    same, problem = samples.reperformance(sample)
    check = None
    if sample.reperformed is not None:
        check = {
            "same": same,
            "population_sha256": sample.reperformed_sha256,
            "checked_at": sample.reperformed_at,
            "checked_by": sample.reperformed_by,
            "problem": problem,
        }
    first = sample_items.first_items(sample, sample_items.ITEMS_IN_RECORD)
    total = len(first) if len(first) < sample_items.ITEMS_IN_RECORD else sample_items.count_items(sample)
    randoms = [unit.key for unit in samples.random_sites(sample)] if sample.status is SampleStatus.DRAFT else []
    return SampleRecord(sample, samples.is_statistical(sample), same, check, first, total, randoms)


# --- Samples ----------------------------------------------------------------------------------------------------


@blp.route(SAMPLES)
@require_role(*STAFF)
@blp.response(200, SampleSummarySchema(many=True))
def list_samples(audit_id: int) -> list[Sample]:
    """The audit's samples in the order they were opened (audit team and administrators)."""
    return samples.list_samples(access.load_audit(get_actor(), audit_id, Need.WORKING_PAPERS))


@blp.route(SAMPLES, methods=["POST"])
@require_role(*WORKERS)
@blp.doc(requestBody={"required": True, "content": {"application/json": {"schema": SampleCreateSchema}}})
@blp.response(201, SampleRecordSchema)
def create_sample(audit_id: int) -> SampleRecord:
    """Open a sample for in-scope clauses or controls, with the attribute tested and the deviation definition."""
    audit = access.load_audit(get_actor(), audit_id, Need.WORK)
    data = parse_body(SampleCreateSchema())
    record = samples.SampleData(
        **{**data, "checklist_item_ids": tuple(data["checklist_item_ids"]), "attributes": tuple(data["attributes"])}
    )
    return _record(saved(samples.create_sample(audit, record, actor=get_actor())))


@blp.route(SAMPLE)
@require_role(*STAFF)
@blp.response(200, SampleRecordSchema)
def get_sample(audit_id: int, sample_id: int) -> SampleRecord:
    """The whole record: population (N, hash, source, completeness check), method and size with the rationale,
    seed, algorithm and library versions, items, evaluation, and whether the draw re-performs."""
    return _record(_sample(audit_id, sample_id, Need.WORKING_PAPERS))


@blp.route(f"{SAMPLE}/population", methods=["PUT"])
@require_role(*WORKERS)
@blp.doc(
    requestBody={
        "required": True,
        "content": {
            "application/json": {"schema": PopulationInputSchema},
            "multipart/form-data": {"schema": PopulationUploadSchema},
        },
    }
)
@blp.response(200, SampleRecordSchema)
def set_population(audit_id: int, sample_id: int) -> SampleRecord:
    """Freeze the population: typed in, CSV (as text in `csv`, or a multipart `file` part), the AI-system
    inventory or the org units. Every problem (duplicate ids, missing columns, bad encoding…) is listed under
    `errors.json.population` with 422, and nothing is stored."""
    sample = _sample(audit_id, sample_id, Need.WORK)
    multipart = request.mimetype == "multipart/form-data"
    data = parse_body(PopulationInputSchema(), "form" if multipart else "json")
    upload = request.files.get("file") if multipart else None
    if upload is not None:
        content = upload.stream.read(current_app.config["POPULATION_MAX_BYTES"] + 1)
    else:  # surrogates were refused by the schema; this keeps the text byte for byte
        content = data["csv"].encode("utf-8")
    if data["source"] is PopulationSource.CSV and not content:
        raise ValidationFailed("Send the CSV.", {"csv": ["Give the CSV content in `csv` or as a `file` part."]})
    population = populations.PopulationData(
        source=data["source"],
        description=data["description"],
        completeness_check=data["completeness_check"],
        typed=data["typed"],
        csv_bytes=content,
        id_column=data["id_column"],
        label_column=data["label_column"],
        stratum_column=data["stratum_column"],
        sites=data["sites"],
    )
    populations.set_population(sample, population, actor=get_actor())
    return _record(saved(sample))


@blp.route(f"{SAMPLE}/size", methods=["PUT"])
@require_role(*WORKERS)
@blp.doc(requestBody={"required": True, "content": {"application/json": {"schema": SizeInputSchema}}})
@blp.response(200, SampleRecordSchema)
def set_size(audit_id: int, sample_id: int) -> SampleRecord:
    """Choose the method and the size: attribute calculator (rates as fractions, optional exact finite-population
    correction), control-frequency table (judgemental), IAF MD 1 site rule, or the auditor's own size."""
    sample = _sample(audit_id, sample_id, Need.WORK)
    samples.set_size(sample, samples.SizeData(**parse_body(SizeInputSchema())), actor=get_actor())
    return _record(saved(sample))


@blp.route(f"{SAMPLE}/draw", methods=["POST"])
@require_role(*WORKERS)
@blp.doc(requestBody={"required": False, "content": {"application/json": {"schema": DrawInputSchema}}})
@blp.response(201, SampleRecordSchema)
def draw(audit_id: int, sample_id: int) -> SampleRecord:
    """Draw once. The seed (given, or generated) is stored before drawing; a sample is never re-drawn (409).
    Judgemental samples send `picks` with a rationale per unit; an IAF MD 1 site sample with a random share below
    100 % sends the sites chosen on risk as `picks` (its random part is fixed by the seed recorded with the size and
    listed in `random_sites`)."""
    sample = _sample(audit_id, sample_id, Need.WORK)
    empty = {"seed": None, "picks": None, "interval": None, "start": None}
    data = parse_body(DrawInputSchema()) if request.get_data() else empty
    samples.draw(
        sample,
        actor=get_actor(),
        seed=data["seed"],
        picks=data["picks"],
        interval=data["interval"],
        start=data["start"],
    )
    return _record(saved(sample))


@blp.route(f"{SAMPLE}/reperformance", methods=["POST"])
@require_role(*WORKERS)
@blp.response(200, SampleRecordSchema)
def recheck(audit_id: int, sample_id: int) -> SampleRecord:
    """Check re-performance again: draw once more from the snapshot with the recorded seed or picks, and keep the new
    verdict (in `reperformance`) with the population hash it was computed from. Auditors on the audit's team, at any
    stage after the draw (403 for others; 409 for a draft)."""
    sample = _sample(audit_id, sample_id, Need.WORKING_PAPERS)
    samples.recheck(sample, actor=get_actor())
    return _record(saved(sample))


# --- Items and evaluation ---------------------------------------------------------------------------------------


@blp.route(f"{SAMPLE}/items")
@require_role(*STAFF)
@blp.arguments(PageQuerySchema, location="query")
@blp.response(200, SampleItemSchema(many=True), headers=PAGE_HEADERS)
def list_items(query: dict[str, Any], audit_id: int, sample_id: int) -> Paged[SampleItem]:
    """The sampled items in draw order (replacements follow, with `replaces_id`), one page at a time."""
    sample = _sample(audit_id, sample_id, Need.WORKING_PAPERS)
    return paged(sample_items.api_page(sample, page_request(query)))


@blp.route(f"{SAMPLE}/items/<int:item_id>", methods=["PUT"])
@require_role(*WORKERS)
@blp.doc(requestBody={"required": True, "content": {"application/json": {"schema": ItemResultInputSchema}}})
@blp.response(200, ItemResultSchema)
def update_item(audit_id: int, sample_id: int, item_id: int) -> dict[str, Any]:
    """Record an item's result (for every attribute) or its results per attribute, note and evidence. An item that
    cannot be examined (not_testable, note required) counts as a deviation; a void item (void or outside the
    population, note required) gets a replacement drawn from the same seeded stream and logged, in `replacement`."""
    sample = _sample(audit_id, sample_id, Need.WORK)
    item = sample_items.get_item(sample, item_id)
    data = parse_body(ItemResultInputSchema())
    replacement = samples.record_result(
        item,
        data["result"],
        actor=get_actor(),
        note=data["note"],
        evidence_id=data["evidence_id"],
        attribute_results=data["attribute_results"],
    )
    return saved({"item": item, "replacement": replacement})


@blp.route(f"{SAMPLE}/results", methods=["PUT"])
@require_role(*WORKERS)
@blp.doc(requestBody={"required": True, "content": {"application/json": {"schema": ResultRowsInputSchema}}})
@blp.response(200, ResultRowsSchema)
def record_results(audit_id: int, sample_id: int) -> dict[str, Any]:
    """Record many items at once (the results grid), all or nothing: when any row is refused nothing is stored and
    `errors.json` names each refused row (`item-<id>`). Unchanged rows are left alone; void rows are replaced."""
    sample = _sample(audit_id, sample_id, Need.WORK)
    rows = [
        samples.RowData(r["item_id"], r["results"] or {}, r["void"], r["note"], r["evidence_id"])
        for r in parse_body(ResultRowsInputSchema())["rows"]
    ]
    done = samples.record_results(sample, rows, actor=get_actor())
    return saved({"items": done.items, "replacements": done.replacements})


@blp.route(f"{SAMPLE}/evaluate", methods=["POST"])
@require_role(*WORKERS)
@blp.response(200, SampleEvaluationSchema)
def evaluate(audit_id: int, sample_id: int) -> dict[str, Any]:
    """Count deviations and, for a statistical sample, compute the exact upper deviation limit and conclude against
    the tolerable rate; judgemental samples get no statistical confidence. Every item needs a result first."""
    sample = _sample(audit_id, sample_id, Need.WORK)
    result = samples.evaluate(sample, actor=get_actor())
    evaluation = sample.evaluation
    return saved(
        {
            **asdict(result),
            "proposed_finding": sample.proposed_finding,
            "attributes": evaluation["attributes"],
            "design": evaluation["design"],
        }
    )


@blp.route(f"{SAMPLE}/interpretation", methods=["PUT"])
@require_role(*WORKERS)
@blp.doc(requestBody={"required": True, "content": {"application/json": {"schema": InterpretationInputSchema}}})
@blp.response(200, SampleRecordSchema)
def interpret(audit_id: int, sample_id: int) -> SampleRecord:
    """Record what an evaluated sample's deviations mean (cause; isolated or systemic); the proposed finding
    follows. Before the sign-off only (409 after it, or when nothing deviated)."""
    sample = _sample(audit_id, sample_id, Need.WORK)
    data = parse_body(InterpretationInputSchema())
    samples.interpret(sample, cause=data["cause"], nature=data["nature"], actor=get_actor())
    return _record(saved(sample))


@blp.route(f"{SAMPLE}/sign-off", methods=["POST"])
@require_role(*WORKERS)
@blp.response(200, SampleRecordSchema)
def sign_off(audit_id: int, sample_id: int) -> SampleRecord:
    """The audit's lead auditor signs off an evaluated sample (403 for anyone else; 409 before the evaluation, when
    the deviations are not interpreted yet, or once signed off)."""
    sample = _sample(audit_id, sample_id, Need.WORK)
    samples.sign_off(sample, actor=get_actor())
    return _record(saved(sample))
