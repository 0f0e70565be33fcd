"""Re-performing a sample's draw from its frozen snapshot with the recorded seed or picks, and keeping the verdict."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from audit_app.errors import Conflict, DomainError, NotAllowed
from audit_app.extensions import db
from audit_app.models import Sample, SampleItem, SampleMethod, SampleStatus, User, utcnow
from audit_app.services import activity
from audit_app.services.access import Need
from audit_app.services.sampling import selection as sel
from audit_app.services.sampling.populations import load_population, read_population
from audit_app.services.sampling.sizing import select_for, site_picks_needed


def _same_selection(sample: Sample, population: sel.Population) -> bool:
    """Whether drawing from `population` with the recorded seed (or picks) gives the items on record."""
    assert sample.method is not None  # noqa: S101  (drawn samples have a method)
    drawn = (  # the items drawn (not their replacements) in draw order; one narrow column unless picks are needed
        sa.select(SampleItem.population_index)
        .where(SampleItem.sample_id == sample.id, SampleItem.replaces_id.is_(None))
        .order_by(SampleItem.draw_order)
    )
    picks = None
    mixed = site_picks_needed(sample)
    if sample.method is SampleMethod.JUDGEMENTAL or mixed:
        rows = db.session.execute(drawn.add_columns(SampleItem.key, SampleItem.rationale)).all()
        indices = [index for index, _, _ in rows]
        chosen = rows[len(rows) - mixed :] if mixed else rows  # a mixed selection lists its picks after the draw
        picks = {key: rationale for _, key, rationale in chosen}
    else:
        indices = list(db.session.scalars(drawn))
    params = sample.selection_params
    whole = params.get("interval_rule") == "whole"
    selection = select_for(
        sample,
        population,
        seed=sample.seed,
        picks=picks,
        interval=params.get("interval") if whole else None,
        start=params.get("start") if whole else None,
        requested=params.get("requested_n", sample.sample_size),
    )
    return list(selection.indices) == indices


def reperform(sample: Sample) -> bool:
    """Draw again from the snapshot with the recorded seed: True when the original selection comes back.

    Raises Conflict when the snapshot no longer has the recorded hash (OSError when it is gone).
    """
    if sample.status is SampleStatus.DRAFT or sample.method is None:
        return False
    return _same_selection(sample, load_population(sample))


@dataclass(frozen=True)
class Verdict:
    """The outcome of re-performing a draw: the same selection or not, the population hash it was computed from
    (empty when the snapshot could not be read), and what went wrong."""

    same: bool
    sha256: str
    problem: str = ""


def check_reperformance(sample: Sample) -> Verdict:
    """Re-read the snapshot and re-draw; never raises for a missing, unreadable or changed snapshot."""
    try:
        population = read_population(sample)
    except (DomainError, OSError, ValueError) as exc:
        return Verdict(False, "", f"The population snapshot cannot be read ({exc}).")
    if population.sha256 != sample.population_hash:
        return Verdict(False, population.sha256, "The population snapshot no longer matches its recorded hash.")
    try:
        same = _same_selection(sample, population)
    except (DomainError, ValueError) as exc:
        return Verdict(False, population.sha256, str(exc))
    return Verdict(same, population.sha256)


def keep_verdict(sample: Sample, actor: User) -> Verdict:
    db.session.flush()  # the items just stored are what the check reads back
    verdict = check_reperformance(sample)
    sample.reperformed, sample.reperformed_sha256, sample.reperform_problem = (
        verdict.same,
        verdict.sha256,
        verdict.problem,
    )
    sample.reperformed_at, sample.reperformed_by_id = utcnow(), actor.id
    return verdict


def may_recheck(user: User, sample: Sample) -> bool:
    """Auditors on the audit's team (a working role) check re-performance again, at any stage after the draw."""
    return sample.status is not SampleStatus.DRAFT and Need.WORK.value.allows(user, sample.audit)


def recheck(sample: Sample, *, actor: User) -> Verdict:
    """Re-perform a drawn sample's selection on demand and keep the new verdict.

    For auditors on the audit's team with a working role, at any stage of the audit after the draw (a reviewer in
    reporting may want the check too); observers and administrators off the team read the stored verdict.
    """
    rule = Need.WORK.value
    if not rule.allows(actor, sample.audit):
        raise NotAllowed(rule.refusal)
    if sample.status is SampleStatus.DRAFT:
        raise Conflict("Nothing has been drawn yet, so there is nothing to re-perform.")
    verdict = keep_verdict(sample, actor)
    activity.record(
        actor, "sample.reperformed", sample, same=verdict.same, sha256=verdict.sha256, problem=verdict.problem
    )
    return verdict


def reperformance(sample: Sample) -> tuple[bool | None, str]:
    """The stored re-performance verdict as a page or report shows it: (same selection?, what went wrong).

    None while the sample is a draft (nothing drawn yet) or before its first check (drawn before verdicts were
    kept); the verdict is computed at the draw and on demand (`recheck`), never on a view.
    """
    if sample.status is SampleStatus.DRAFT or sample.reperformed is None:
        return None, ""
    if sample.reperform_problem:
        return False, sample.reperform_problem
    if sample.reperformed_sha256 != sample.population_hash:
        return False, "The verdict was computed from another population than the one on record; check it again."
    return sample.reperformed, ""
