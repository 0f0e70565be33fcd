"""Audit sampling populations and re-performable selection (DOMAIN.md 3.5 and 3.6). Pure: no Flask, no database.

A population is frozen in one order (ids ascending as text) and identified by the SHA-256 of its sorted ids, so the
same list always gives the same draw whatever the row order of the file it came from. Every random selection is a
prefix of one seeded permutation, and replacements continue along that same stream: nothing is ever re-drawn.
"""

from __future__ import annotations

import csv
import hashlib
import io
import math
import random
import secrets
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from audit_app.errors import ValidationFailed

ALGORITHM = "Python random.Random (Mersenne Twister MT19937)"
SELECTION_VERSION = 1
ORDERING = "id ascending (text)"
MAX_SEED = 2**63
METHODS = ("simple_random", "systematic", "stratified", "judgemental", "whole_population")
STRATA_RULES = ("proportional", "equal")
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
DELIMITERS = (",", ";", "\t")


class PopulationError(ValidationFailed, ValueError):
    """The population cannot be used; ``problems`` lists every problem found, each a sentence."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        super().__init__(" ".join(self.problems), {"population": self.problems})


class SelectionError(ValidationFailed, ValueError):
    """A selection parameter is invalid; ``parameter`` names it."""

    def __init__(self, parameter: str, message: str) -> None:
        self.parameter = parameter
        super().__init__(message, {parameter: [message]})


@dataclass(frozen=True, slots=True)
class Unit:
    key: str
    label: str
    stratum: str
    data: dict[str, str]


@dataclass(frozen=True)
class Population:
    units: tuple[Unit, ...]
    source: str
    sha256: str
    columns: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    ordering: str = ORDERING
    delimiter: str | None = None

    @property
    def size(self) -> int:
        return len(self.units)

    @property
    def strata(self) -> tuple[str, ...]:
        return tuple(sorted({unit.stratum for unit in self.units}))


@dataclass(frozen=True)
class Selection:
    method: str
    seed: int | None
    indices: tuple[int, ...]
    params: dict = field(default_factory=dict)
    rationale: dict[int, str] = field(default_factory=dict)


def population_hash(keys: Iterable[str]) -> str:
    """SHA-256 of the ids sorted as text and joined by newlines (UTF-8): independent of the source's row order."""
    return hashlib.sha256("\n".join(sorted(keys)).encode("utf-8")).hexdigest()


def _count(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _some(numbers: list, limit: int = 10) -> str:
    return ", ".join(str(n) for n in numbers[:limit]) + (", …" if len(numbers) > limit else "")


def _finish(entries: Iterable[tuple], problems: list[str], where: str, empty: str) -> tuple[tuple[Unit, ...], str]:
    """Entries are (number, key, label, stratum, data); empty and duplicate ids become problems, then freeze."""
    units: list[Unit] = []
    seen: dict[str, list[int]] = {}
    empty_ids: list[int] = []
    for number, key, label, stratum, data in entries:
        if not key:
            empty_ids.append(number)
            continue
        seen.setdefault(key, []).append(number)
        units.append(Unit(key, label or key, stratum, data))
    if not units and not empty_ids and not problems:
        problems.append(empty)
    if empty_ids:
        problems.append(f"The id is empty on {_count(len(empty_ids), where)}: {_some(empty_ids)}.")
    duplicates = [(key, lines) for key, lines in seen.items() if len(lines) > 1]
    if duplicates:
        shown = "; ".join(f"'{key}' ({where}s {_some(lines)})" for key, lines in duplicates[:20])
        more = " (first 20 shown)" if len(duplicates) > 20 else ""
        problems.append(f"{_count(len(duplicates), 'duplicate id')}; each id must identify one unit{more}: {shown}.")
    if problems:
        raise PopulationError(problems)
    units.sort(key=lambda unit: unit.key)
    return tuple(units), population_hash(unit.key for unit in units)


def _decode(data: bytes) -> str:
    bom = 3 if data.startswith(b"\xef\xbb\xbf") else 0
    try:
        return data[bom:].decode("utf-8")
    except UnicodeDecodeError as error:
        offset = error.start + bom
        raise PopulationError(
            [f"The file is not UTF-8 text (byte 0x{data[offset]:02x} at offset {offset}); save the file as UTF-8 CSV."]
        ) from None


def _sniff(text: str) -> str:
    """The delimiter among comma, semicolon and tab that splits the first lines most consistently (else comma)."""
    head = text[:32768]
    if len(text) > len(head) and "\n" in head:
        head = head[: head.rindex("\n")]
    scores = []
    for delimiter in DELIMITERS:
        try:
            rows = [row for row in csv.reader(io.StringIO(head, newline=""), delimiter=delimiter) if row]
        except csv.Error:
            continue
        width = len(rows[0]) if rows else 0
        share = sum(len(row) == width for row in rows) / max(len(rows), 1)
        if width > 1 and share >= 0.8:
            scores.append((share, width, delimiter))
    return max(scores)[2] if scores else ","


def parse_csv(
    data: bytes,
    *,
    id_column: str,
    label_column: str | None = None,
    stratum_column: str | None = None,
    max_rows: int = 200_000,
    source: str = "uploaded CSV",
) -> Population:
    """Parse an uploaded CSV population; raise PopulationError listing every problem. Cells are kept verbatim."""
    text = _decode(data)
    if not text.strip():
        raise PopulationError(["The file is empty: it needs a header row naming the columns, then one row per unit."])
    delimiter = _sniff(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader)
    except csv.Error as error:
        raise PopulationError([f"The header row cannot be read as CSV ({error})."]) from None
    problems: list[str] = []
    warnings: list[str] = []
    columns = tuple(name.strip() or f"column {i}" for i, name in enumerate(header, start=1))
    if any(not name.strip() for name in header):
        warnings.append("Some header cells are empty; those columns are named by position ('column N').")
    repeated = sorted({name for name in columns if columns.count(name) > 1})
    if repeated:
        problems.append(f"The header names a column more than once: {', '.join(repeated)}; each name must be unique.")
    found = ", ".join(columns)
    for role, name in (("id", id_column), ("label", label_column), ("stratum", stratum_column)):
        if name is not None and name not in columns:
            problems.append(f"The {role} column '{name}' is not in the header row; columns found: {found}.")
    if problems:
        raise PopulationError(problems)
    id_at, width = columns.index(id_column), len(columns)
    label_at = columns.index(label_column) if label_column else None
    stratum_at = columns.index(stratum_column) if stratum_column else None
    bad_width: list[int] = []
    counts = {"blank": 0, "rows": 0, "stripped": 0, "no_stratum": 0}

    def entries() -> Iterable[tuple]:
        try:
            for row in reader:
                if not "".join(row).strip():
                    counts["blank"] += 1
                    continue
                counts["rows"] += 1
                if counts["rows"] > max_rows:
                    break
                if len(row) != width:
                    bad_width.append(reader.line_num)
                    continue
                key = row[id_at].strip()
                stratum = row[stratum_at].strip() if stratum_at is not None else ""
                counts["stripped"] += key != row[id_at]
                counts["no_stratum"] += stratum_at is not None and not stratum
                label = row[label_at] if label_at is not None else key
                yield reader.line_num, key, label, stratum, dict(zip(columns, row, strict=True))
        except csv.Error as error:
            problems.append(f"Line {reader.line_num} cannot be read as CSV ({error}).")
        if counts["rows"] > max_rows:
            problems.append(f"The file has more than {max_rows:,} data rows; split the population or raise the limit.")
        if bad_width:
            problems.append(
                f"{_count(len(bad_width), 'row')} without the {width} cells of the header (lines {_some(bad_width)}); "
                "check the delimiter and quoting."
            )

    units, digest = _finish(entries(), problems, "line", "The file has a header row but no data rows.")
    notes = (
        (counts["blank"], "blank row", "skipped."),
        (counts["stripped"], "id", "trimmed of surrounding spaces."),
        (counts["no_stratum"], "row", f"with an empty '{stratum_column}' cell, grouped as a blank stratum."),
    )
    warnings.extend(f"{_count(count, word)} {text}" for count, word, text in notes if count)
    return Population(units, source, digest, columns, tuple(warnings), ORDERING, delimiter)


def parse_typed(text: str, *, source: str = "typed list") -> Population:
    """One unit per line: ``id`` or ``id, label`` (or tab-separated). Blank lines are ignored."""
    problems: list[str] = []

    def entries() -> Iterable[tuple]:
        for number, line in enumerate(text.splitlines(), start=1):
            controls = sorted({f"U+{ord(c):04X}" for c in line if c != "\t" and (ord(c) < 32 or 127 <= ord(c) < 160)})
            if controls:
                problems.append(f"Line {number} contains control characters ({', '.join(controls)}).")
            elif line.strip():
                key, _, label = (part.strip() for part in line.partition("\t" if "\t" in line else ","))
                yield number, key, label, "", {"id": key, "label": label or key}

    empty = "The list is empty: type one id per line, optionally followed by a comma and a label."
    units, digest = _finish(entries(), problems, "line", empty)
    return Population(units, source, digest, ("id", "label"))


def from_records(records: Iterable[tuple[str, str, str]], source: str) -> Population:
    """A population from (key, label, stratum) tuples, e.g. the AI-system inventory or the org units."""
    entries = (
        (number, key, label or key, stratum or "", {"id": key, "label": label or key, "stratum": stratum or ""})
        for number, (key, label, stratum) in enumerate(((str(k).strip(), lb, st) for k, lb, st in records), start=1)
    )
    units, digest = _finish(entries, [], "record", f"The source '{source}' has no units to sample.")
    return Population(units, source, digest, ("id", "label", "stratum"))


def library_versions() -> dict:
    return {"python": sys.version, "random": ALGORITHM, "selection_version": SELECTION_VERSION}


def new_seed() -> int:
    return secrets.randbelow(MAX_SEED)


def draw_stream(size: int, seed: int | str) -> list[int]:
    """The full seeded permutation of range(size); selections take its front, replacements continue along it."""
    return random.Random(seed).sample(range(size), size)


def _whole(value: object, low: int, high: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def _members(population: Population, stratum: str) -> list[int]:
    return [i for i, unit in enumerate(population.units) if unit.stratum == stratum]


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
                f"Stratum '{h}' ({_count(sizes[h], 'unit')}) had a share of {share:.2f}: {action}, rest reallocated."
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
) -> Selection:
    """Select a sample; the same population (by hash) and seed always give the same selection."""
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
    if method == "simple_random":
        return Selection(method, seed, tuple(draw_stream(size, seed)[:n]), {**base, "n": n})
    if method == "systematic":
        interval = size / n
        start = random.Random(seed).random() * interval
        picked = tuple(min(size - 1, math.floor(start + i * interval)) for i in range(n))
        params = {**base, "n": n, "interval": interval, "start": start, "start_position": picked[0] + 1}
        params["rule"] = "start r = Random(seed).random() * k in [0, k); positions floor(r + i * k), i = 0..n-1"
        return Selection(method, seed, picked, params)
    if strata_rule not in STRATA_RULES:
        raise SelectionError("strata_rule", f"Unknown allocation rule '{strata_rule}'; use proportional or equal.")
    members = {h: _members(population, h) for h in population.strata}
    allocation, notes = allocate({h: len(m) for h, m in members.items()}, n, strata_rule)
    indices: list[int] = []
    strata: dict[str, dict] = {}
    for h, positions in members.items():
        stream = draw_stream(len(positions), f"{seed}:{h}")
        indices.extend(positions[j] for j in stream[: allocation[h]])
        strata[h] = {"N_h": len(positions), "n_h": allocation[h], "seed": f"{seed}:{h}"}
    params = {**base, "n": len(indices), "requested_n": n, "strata_rule": strata_rule, "strata": strata, "notes": notes}
    return Selection(method, seed, tuple(indices), params)


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
        stream: Iterator[int] = (positions[j] for j in draw_stream(len(positions), f"{selection.seed}:{stratum}"))
    else:
        stream = iter(draw_stream(population.size, selection.seed))
    return next((i for i in stream if i not in taken), None)


def safe_cell(value: str) -> str:
    """Neutralise spreadsheet formula injection: text starting with = + - @ tab or CR gets a leading quote."""
    value = "" if value is None else str(value)
    return "'" + value if value.startswith(FORMULA_PREFIXES) else value


def export_csv(header: list[str], rows: Iterable[list[str]]) -> bytes:
    """UTF-8 CSV with a BOM (so spreadsheets detect the encoding), every cell through safe_cell."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([safe_cell(cell) for cell in header])
    writer.writerows([safe_cell(cell) for cell in row] for row in rows)
    return b"\xef\xbb\xbf" + buffer.getvalue().encode("utf-8")
