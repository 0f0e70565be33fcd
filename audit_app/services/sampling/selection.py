"""Re-performable selection of audit samples (DOMAIN.md 3.5 and 3.6). Pure: no Flask, no database.

Every random selection is a prefix of one seeded permutation of the frozen population (see parsing.py for how a
population is read and frozen), and replacements continue along that same stream: nothing is ever re-drawn.
Systematic selection takes every k-th unit from a start: k = N / n with a seeded fractional start, or a whole
interval k with a random start r in 1..k (given by the auditor or drawn from the seed), as done by hand.
"""

from __future__ import annotations

import math
import random
import secrets
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import islice

from audit_app.errors import ValidationFailed
from audit_app.services.sampling.parsing import (  # noqa: F401  (public names other modules read from here)
    DELIMITERS,
    LINE_BREAK,
    MAX_KEY,
    MAX_LABEL,
    MAX_STRATUM,
    NOT_IN_ID,
    NOT_IN_LINE,
    NOT_IN_TEXT,
    ORDERING,
    RECORD_COLUMNS,
    SEPARATORS,
    TYPED_COLUMNS,
    Population,
    PopulationError,
    Unit,
    bad_codes,
    export_csv,
    from_records,
    parse_csv,
    parse_typed,
    plural,
    population_hash,
    safe_cell,
)

ALGORITHM = "Python random.Random (Mersenne Twister MT19937)"
SELECTION_VERSION = 1
MAX_SEED = 2**63
METHODS = ("simple_random", "systematic", "stratified", "judgemental", "whole_population")
STRATA_RULES = ("proportional", "equal", "fixed")


class SelectionError(ValidationFailed, ValueError):
    """A selection parameter is invalid; ``parameter`` names it."""

    def __init__(self, parameter: str, message: str) -> None:
        self.parameter = parameter
        super().__init__(message, {parameter: [message]})


@dataclass(frozen=True)
class Selection:
    method: str
    seed: int | None
    indices: tuple[int, ...]
    params: dict = field(default_factory=dict)
    rationale: dict[int, str] = field(default_factory=dict)


def library_versions() -> dict:
    return {"python": sys.version, "random": ALGORITHM, "selection_version": SELECTION_VERSION}


def new_seed() -> int:
    return secrets.randbelow(MAX_SEED)


def stream(size: int, seed: int | str) -> Iterator[int]:
    """The seeded permutation of range(size), one position at a time: selections take its front, replacements
    continue along it.

    It is exactly ``random.Random(seed).sample(range(size), size)`` (the pool algorithm that ``sample`` uses when it
    permutes a whole population: at step i a position below size - i is chosen and the last one moves into its
    place), computed lazily, so taking n units of a population of N costs n steps, not N.
    """
    rng = random.Random(seed)
    moved: dict[int, int] = {}
    for i in range(size):
        j = rng.randrange(size - i)
        last = size - i - 1
        yield moved.pop(j, j) if j == last else moved.get(j, j)
        if j != last:
            moved[j] = moved.pop(last, last)


def draw_stream(size: int, seed: int | str) -> list[int]:
    """The full seeded permutation of range(size) (see `stream`)."""
    return list(stream(size, seed))


def _whole(value: object, low: int, high: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def _members(population: Population, stratum: str) -> list[int]:
    return [i for i, unit in enumerate(population.units) if unit.stratum == stratum]


def _strata_members(population: Population) -> dict[str, list[int]]:
    """The positions of each stratum's units, strata in sorted order (one pass over the population)."""
    members: dict[str, list[int]] = {h: [] for h in population.strata}
    for i, unit in enumerate(population.units):
        members[unit.stratum].append(i)
    return members


def allocate(sizes: dict[str, int], n: int, rule: str = "proportional") -> tuple[dict[str, int], list[str]]:
    """Largest-remainder allocation of n over strata (weights: stratum sizes, or equal), at least one per stratum
    and never more than a stratum holds. A stratum raised to one or capped at its size is fixed and the remaining
    budget is shared again among the others, so the total is n whenever n >= the number of strata."""
    if n <= len(sizes):
        notes = [f"The sample size {n} is smaller than the {len(sizes)} strata: one unit from each stratum."]
        return dict.fromkeys(sizes, 1), notes if n < len(sizes) else []
    weight = sizes if rule == "proportional" else dict.fromkeys(sizes, 1)
    fixed: dict[str, int] = {}
    notes = []
    while active := [h for h in sizes if h not in fixed]:
        budget, total = n - sum(fixed.values()), sum(weight[h] for h in active)
        over = {h: sizes[h] for h in active if budget * weight[h] > sizes[h] * total}
        moved = over or {h: 1 for h in active if budget * weight[h] < total}
        if not moved:
            quota = {h: divmod(budget * weight[h], total) for h in active}
            extra = sorted(active, key=lambda h: -quota[h][1])[: budget - sum(q for q, _ in quota.values())]
            fixed.update({h: quota[h][0] + (h in extra) for h in active})
            break
        action = "capped at its size" if over else "raised to one (at least one per stratum)"
        for h in moved:
            share = budget * weight[h] / total
            notes.append(
                f"Stratum '{h}' ({plural(sizes[h], 'unit')}) had a share of {share:.2f}: {action}, rest reallocated."
            )
        fixed.update(moved)
    return {h: fixed[h] for h in sizes}, notes


def select(
    population: Population,
    method: str,
    n: int | None = None,
    *,
    seed: int | None = None,
    strata_rule: str = "proportional",
    picks: dict[str, str] | None = None,
    fixed: dict[str, int] | None = None,
    interval: int | None = None,
    start: int | None = None,
) -> Selection:
    """Select a sample; the same population (by hash) and seed always give the same selection.

    Stratified: `strata_rule` proportional, equal, or fixed (`fixed`: n_h per stratum). Systematic: a whole
    `interval` k takes positions r, r + k, r + 2k, … (1-based) from the start r (`start`, else drawn from the seed).
    """
    size = population.size
    base = {"N": size, "ordering": population.ordering, "population_sha256": population.sha256}
    if method not in METHODS:
        raise SelectionError("method", f"Unknown selection method '{method}'; use one of: {', '.join(METHODS)}.")
    if method == "whole_population":
        return Selection(method, None, tuple(range(size)), {**base, "n": size, "full_population": True})
    if method == "judgemental":
        return _judgemental(population, picks, base)
    if seed is None:
        raise SelectionError("seed", "A seed is required for a random selection; record it before drawing.")
    if not _whole(seed, 0, MAX_SEED - 1):
        raise SelectionError("seed", f"The seed must be a whole number from 0 to {MAX_SEED - 1}.")
    if n is None or not _whole(n, 1, size):
        raise SelectionError("sample_size", f"The sample size must be a whole number from 1 to N = {size}.")
    if method != "systematic" and (interval is not None or start is not None):
        raise SelectionError("interval", "An interval and a start apply to systematic selection only.")
    if method == "simple_random":
        return Selection(method, seed, tuple(islice(stream(size, seed), n)), {**base, "n": n})
    if method == "systematic" and interval is not None:
        return _systematic_whole(base, seed, n, interval, start)
    if method == "systematic":
        step = size / n
        offset = random.Random(seed).random() * step
        picked = tuple(min(size - 1, math.floor(offset + i * step)) for i in range(n))
        params = {**base, "n": n, "interval": step, "start": offset, "start_position": picked[0] + 1}
        params["rule"] = "start r = Random(seed).random() * k in [0, k); positions floor(r + i * k), i = 0..n-1"
        return Selection(method, seed, picked, params)
    if strata_rule not in STRATA_RULES:
        raise SelectionError(
            "strata_rule", f"Unknown allocation rule '{strata_rule}'; use proportional, equal or fixed."
        )
    members = _strata_members(population)
    if strata_rule == "fixed":
        allocation, notes = fixed_allocation({h: len(m) for h, m in members.items()}, fixed), list[str]()
    else:
        allocation, notes = allocate({h: len(m) for h, m in members.items()}, n, strata_rule)
    indices: list[int] = []
    strata: dict[str, dict] = {}
    for h, positions in members.items():
        indices.extend(positions[j] for j in islice(stream(len(positions), f"{seed}:{h}"), allocation[h]))
        strata[h] = {"N_h": len(positions), "n_h": allocation[h], "seed": f"{seed}:{h}"}
    params = {**base, "n": len(indices), "requested_n": n, "strata_rule": strata_rule, "strata": strata, "notes": notes}
    return Selection(method, seed, tuple(indices), params)


def fixed_allocation(sizes: dict[str, int], fixed: dict[str, int] | None) -> dict[str, int]:
    """The auditor's own n_h per stratum: every stratum named once, each from 1 to its size."""
    fixed = fixed or {}
    problems = [f"'{h}' is not a stratum of the population" for h in fixed if h not in sizes]
    problems += [f"give a size for stratum '{h or '(blank)'}'" for h in sizes if h not in fixed]
    problems += [
        f"stratum '{h or '(blank)'}' holds {sizes[h]} unit(s): its size must be from 1 to {sizes[h]}"
        for h, n_h in fixed.items()
        if h in sizes and not _whole(n_h, 1, sizes[h])
    ]
    if problems:
        raise SelectionError("fixed_sizes", "Fixed allocation: " + "; ".join(problems) + ".")
    return {h: fixed[h] for h in sizes}


def _systematic_whole(base: dict, seed: int, n: int, interval: int, start: int | None) -> Selection:
    """Every k-th unit from a random start r in 1..k, as drawn by hand (positions are 1-based in the frozen list)."""
    size = base["N"]
    if not _whole(interval, 1, size):
        raise SelectionError("interval", f"The interval k must be a whole number from 1 to N = {size}.")
    if start is not None and not _whole(start, 1, interval):
        raise SelectionError("start", f"The random start r must be a whole number from 1 to k = {interval}.")
    source = "given by the auditor" if start is not None else "drawn from the seed: Random(seed).randint(1, k)"
    r = start if start is not None else random.Random(seed).randint(1, interval)
    picked = tuple(range(r - 1, size, interval))
    params = {
        **base,
        "n": len(picked),
        "requested_n": n,
        "interval": interval,
        "interval_rule": "whole",
        "start": r,
        "start_position": r,
        "start_source": source,
        "rule": f"positions r, r + k, r + 2k, … up to N (k = {interval}, r = {r}, {source})",
    }
    return Selection("systematic", seed, picked, params)


def _judgemental(population: Population, picks: dict[str, str] | None, base: dict) -> Selection:
    if not picks:
        raise SelectionError("picks", "A judgemental sample needs at least one picked unit with its rationale.")
    where = {unit.key: i for i, unit in enumerate(population.units)}
    unknown = [key for key in picks if key not in where]
    if unknown:
        raise SelectionError("picks", f"Picked ids not in the population: {', '.join(unknown)}.")
    blank = [key for key, why in picks.items() if not (why or "").strip()]
    if blank:
        raise SelectionError("picks", f"Every pick needs a rationale; missing for: {', '.join(blank)}.")
    indices = tuple(where[key] for key in picks)
    rationale = {where[key]: why.strip() for key, why in picks.items()}
    return Selection("judgemental", None, indices, {**base, "n": len(indices)}, rationale)


def select_sites_random_part(size: int, random_n: int, seed: int) -> tuple[int, ...]:
    """The positions a mixed site selection draws at random: the front of the seeded stream."""
    return tuple(islice(stream(size, seed), random_n))


def select_sites(
    population: Population,
    n: int,
    random_n: int,
    *,
    seed: int | None,
    picks: dict[str, str] | None,
    central: str = "",
) -> Selection:
    """IAF MD 1 mixed selection of sites: the first `random_n` units of the seeded stream (exactly a simple random
    draw of `random_n`), then the auditor's `picks` on risk, each with its reason, making up the size `n`.

    A pick is refused when it is not in the population, is the central function (audited every time, never a
    sampled site), was drawn at random already, or has no reason; the picks must number n - random_n.
    """
    size = population.size
    if seed is None or not _whole(seed, 0, MAX_SEED - 1):
        raise SelectionError("seed", f"A seed from 0 to {MAX_SEED - 1} is required for the random part.")
    if not _whole(n, 1, size) or not _whole(random_n, 1, n):
        raise SelectionError("sample_size", f"The random part must be from 1 to the sample size, at most N = {size}.")
    random_part = select_sites_random_part(size, random_n, seed)
    drawn = set(random_part)
    picks = picks or {}
    where = {unit.key: i for i, unit in enumerate(population.units)}
    problems = []
    if central and central in picks:
        problems.append(f"'{central}' is the central function: it is audited every time and is not a sampled site")
    unknown = [key for key in picks if key not in where and key != central]
    if unknown:
        problems.append(f"not sites of the population: {', '.join(unknown)}")
    twice = [key for key in picks if key in where and where[key] in drawn]
    if twice:
        problems.append(f"already drawn at random: {', '.join(twice)}")
    blank = [key for key, why in picks.items() if not (why or "").strip()]
    if blank:
        problems.append(f"every pick needs its reason; missing for: {', '.join(blank)}")
    needed = n - random_n
    if len(picks) != needed:
        problems.append(
            f"{plural(random_n, 'site')} drawn at random, so pick {plural(needed, 'site')} on risk to make up the "
            f"size {n} ({len(picks)} given)"
        )
    if problems:
        raise SelectionError("picks", "Sites chosen on risk: " + "; ".join(problems) + ".")
    indices = random_part + tuple(where[key] for key in picks)
    params = {
        "N": size,
        "ordering": population.ordering,
        "population_sha256": population.sha256,
        "n": len(indices),
        "random_n": random_n,
        "judgemental_n": needed,
        "rule": f"the first {random_n} units of the seeded stream at random, then {needed} chosen on risk",
    }
    rationale = {where[key]: why.strip() for key, why in picks.items()}
    return Selection("simple_random", seed, indices, params, rationale)


def next_replacement(
    population: Population, selection: Selection, used: set[int], stratum: str | None = None
) -> int | None:
    """The next unit of the selection's seeded stream (stratified: the ``stratum`` stream) not selected nor used.

    None when exhausted, and for judgemental and whole-population samples (the auditor decides and records why)."""
    if selection.method not in METHODS[:3] or selection.seed is None:
        return None
    taken = set(used) | set(selection.indices)
    if selection.method == "stratified":
        if stratum is None or stratum not in population.strata:
            raise SelectionError("stratum", "Name the stratum of the item being replaced.")
        positions = _members(population, stratum)
        order: Iterator[int] = (positions[j] for j in stream(len(positions), f"{selection.seed}:{stratum}"))
    else:
        order = stream(population.size, selection.seed)
    return next((i for i in order if i not in taken), None)
