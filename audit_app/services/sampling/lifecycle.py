"""The sample life cycle as a transition table: drawn once, then evaluated once.

draft → selected (draw: the population is frozen and the method and size are set)
selected → evaluated (evaluate: every item has a result and at least one could be tested)

The draw needs the population's completeness check on record. After the evaluation the auditor records what the
deviations mean and the audit's lead auditor signs the sample off (evaluation.py: recorded on the sample, not a
further state).

Only auditors on the audit team move a sample, during fieldwork (checked with access.Need.WORK first). The
draw and the evaluation are compare-and-set moves, so two requests racing cannot both draw the same sample.
"""

from __future__ import annotations

import sqlalchemy as sa

from audit_app.errors import Conflict
from audit_app.extensions import db
from audit_app.models import Sample, SampleItem, SampleItemResult, SampleStatus
from audit_app.services.access import Party
from audit_app.services.sampling.sample_items import result_counts
from audit_app.workflow import Transition, Wording, Workflow, move

DRAW, EVALUATE = "draw", "evaluate"
#: Who moves a sample (the audit's fieldwork rule is checked before the table).
MOVERS = (Party.TEAM_WORKER,)


def ensure_draft(sample: Sample, what: str) -> None:
    """Refuse a change to what the draw used (population, method, size) once the sample is drawn."""
    if sample.status is not SampleStatus.DRAFT:
        raise Conflict(f"The {what} cannot change once the sample has been drawn: a sample is never re-drawn.")


def _ready_to_draw(sample: Sample) -> list[str]:
    if not sample.population_file:
        return ["Define the population first."]
    if not sample.completeness_check.strip():
        return [
            "Record the population's completeness and accuracy check (how the list was reconciled to its source) "
            "before drawing: a sample of an incomplete list proves nothing about the population."
        ]
    if sample.method is None or sample.sample_size is None:
        return ["Choose the method and size before drawing."]
    return []


def evaluation_blockers(sample: Sample) -> list[str]:
    """What keeps a drawn sample from its evaluation, counted in the database (a sample can hold 100,000 items)."""
    counts = result_counts(sample)
    if counts[SampleItemResult.PENDING]:
        pending = db.session.scalars(
            sa.select(SampleItem.key)
            .where(SampleItem.sample_id == sample.id, SampleItem.result == SampleItemResult.PENDING)
            .order_by(SampleItem.draw_order)
            .limit(10)
        )
        return ["Record a result for every item first; still pending: " + ", ".join(pending) + "."]
    if not sum(counts[r] for r in SampleItemResult if r.counts_as_deviation or r is SampleItemResult.CONFORMING):
        return ["No item could be tested, so there is nothing to evaluate."]
    return []


def _not_in_table(noun: str, state: SampleStatus, action: str, moves: list[Transition[SampleStatus]]) -> str:
    if action == DRAW:
        return "The selection cannot change once the sample has been drawn: a sample is never re-drawn."
    return "Only a drawn sample that has not been evaluated yet can be evaluated."


SAMPLE_LIFECYCLE: Workflow[SampleStatus] = Workflow(
    "sample",
    [
        move(SampleStatus.DRAFT, DRAW, SampleStatus.SELECTED, roles=MOVERS, gates=[_ready_to_draw]),
        move(SampleStatus.SELECTED, EVALUATE, SampleStatus.EVALUATED, roles=MOVERS, gates=[evaluation_blockers]),
    ],
    states=SampleStatus,
    wording=Wording(
        not_allowed="Only auditors on this audit's team record results and evidence.",
        not_in_table=_not_in_table,
        blocked=lambda noun, t, blockers: " ".join(blockers),
        changed_meanwhile="Someone else moved this sample on at the same moment; nothing was changed. Reload it.",
    ),
)
