"""Audit sampling populations: read, check and freeze a list of units (DOMAIN.md 3.5 and 3.6). Pure: no Flask, no
database.

A population is frozen in one order (ids ascending as text) and identified by the SHA-256 of its sorted ids, so the
same list always gives the same draw whatever the row order of the file it came from. Every problem found is
listed; nothing is ever cut.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from audit_app.errors import ValidationFailed
from audit_app.services.spreadsheets import safe_cell

ORDERING = "id ascending (text)"
DELIMITERS = (",", ";", "\t")
#: The longest id, label and stratum a sample item stores (its columns): longer ones are refused, never cut.
MAX_KEY, MAX_LABEL, MAX_STRATUM = 200, 500, 200
#: Real line breaks: the only ones a typed population is split on (str.splitlines also splits on VT, FF, FS, GS,
#: RS, NEL, U+2028 and U+2029, which would add units nobody typed).
LINE_BREAK = re.compile("\r\n|\r|\n")
#: Not allowed in a one-line value (an id, a stratum, a typed line): every control character (C0 but tab, DEL, C1),
#: the line and paragraph separators, lone surrogates and the non-characters U+FFFE and U+FFFF.
NOT_IN_LINE = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff\ufffe\uffff]")
#: Not allowed in an id or a stratum: the same, and tabs too.
NOT_IN_ID = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff\ufffe\uffff]")
#: Not allowed in a label (free text kept verbatim) or a rationale: control characters other than tab, line feed,
#: carriage return and NEL (NUL cannot be stored by PostgreSQL), lone surrogates and the non-characters. The line
#: and paragraph separators NEL, U+2028 and U+2029 are kept: the snapshot is split on "\n" only.
NOT_IN_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f\ud800-\udfff\ufffe\uffff]")
SEPARATORS = frozenset("\u2028\u2029")
TYPED_COLUMNS = ("id", "label")
RECORD_COLUMNS = ("id", "label", "stratum")


class PopulationError(ValidationFailed, ValueError):
    """The population cannot be used; ``problems`` lists every problem found, each a sentence."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        super().__init__(" ".join(self.problems), {"population": self.problems})


class Unit(NamedTuple):
    """One unit of a population (a named tuple: a 100,000-row population builds 100,000 of them)."""

    key: str
    label: str
    stratum: str
    #: The unit's row as read (its cells), and the names of those cells.
    cells: Sequence[str] = ()
    columns: Sequence[str] = ()

    @property
    def data(self) -> dict[str, str]:
        """The unit's row as read, by column name."""
        return dict(zip(self.columns, self.cells, strict=True))


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


def population_hash(keys: Iterable[str]) -> str:
    """SHA-256 of the ids sorted as text and joined by newlines (UTF-8): independent of the source's row order."""
    return hashlib.sha256("\n".join(sorted(keys)).encode("utf-8")).hexdigest()


def plural(n: int, word: str) -> str:
    """ "3 rows", "1 row"."""
    return f"{n} {word}{'' if n == 1 else 's'}"


def _some(numbers: list, limit: int = 10) -> str:
    return ", ".join(str(n) for n in numbers[:limit]) + (", …" if len(numbers) > limit else "")


def _finish(
    entries: Iterable[tuple],
    problems: list[str],
    where: str,
    empty: str,
    columns: Sequence[str],
    *,
    limits: bool = True,
) -> tuple[tuple[Unit, ...], str]:
    """Entries are (number, key, label, stratum, cells); empty, duplicate and over-long values become problems, then
    freeze. Nothing is ever cut: an id, label or stratum longer than a sample item stores is refused."""
    units: list[Unit] = []
    first: dict[str, int] = {}
    repeated: dict[str, list[int]] = {}
    empty_ids: list[int] = []
    too_long: dict[str, list[int]] = {"id": [], "label": [], "stratum": []}
    for number, key, label, stratum, cells in entries:
        if not key:
            empty_ids.append(number)
            continue
        if key in first:
            repeated.setdefault(key, [first[key]]).append(number)
        else:
            first[key] = number
        if limits:
            if len(key) > MAX_KEY:
                too_long["id"].append(number)
            elif len(label) > MAX_LABEL:
                too_long["label"].append(number)
            if len(stratum) > MAX_STRATUM:
                too_long["stratum"].append(number)
        units.append(Unit(key, label or key, stratum, cells, columns))
    if not units and not empty_ids and not problems:
        problems.append(empty)
    if empty_ids:
        problems.append(f"The id is empty on {plural(len(empty_ids), where)}: {_some(empty_ids)}.")
    for role, limit in (("id", MAX_KEY), ("label", MAX_LABEL), ("stratum", MAX_STRATUM)):
        if numbers := too_long[role]:
            problems.append(
                f"The {role} is longer than {limit} characters on {plural(len(numbers), where)}: {_some(numbers)}; "
                f"shorten it (a sample keeps each {role} whole, it never cuts one)."
            )
    if repeated:
        duplicates = sorted(repeated.items(), key=lambda entry: entry[1][0])
        shown = "; ".join(f"'{key}' ({where}s {_some(lines)})" for key, lines in duplicates[:20])
        more = " (first 20 shown)" if len(duplicates) > 20 else ""
        problems.append(f"{plural(len(duplicates), 'duplicate id')}; each id must identify one unit{more}: {shown}.")
    if problems:
        raise PopulationError(problems)
    units.sort(key=lambda unit: unit.key)
    return tuple(units), population_hash(unit.key for unit in units)


def bad_codes(text: str, pattern: re.Pattern[str]) -> list[str]:
    """The code points of `text` that `pattern` refuses, as U+XXXX, each once, in code-point order."""
    return [f"U+{ord(c):04X}" for c in sorted(set(pattern.findall(text)))]


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
    """Parse an uploaded CSV population; raise PopulationError listing every problem. Cells are kept verbatim.

    Ids and strata are single lines of text: control characters (NUL among them), tabs and line or paragraph
    separators are refused there; labels may hold tabs and line breaks, but no other control character.
    """
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
    if codes := bad_codes("".join(header), NOT_IN_TEXT):
        problems.append(f"The header row contains control characters ({', '.join(codes)}); remove them.")
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
    #: Per column role: the lines whose cell holds characters it may not, and those characters.
    bad_cells: dict[str, tuple[list[int], set[str]]] = {"id": ([], set()), "label": ([], set()), "stratum": ([], set())}
    counts = {"blank": 0, "rows": 0, "stripped": 0, "no_stratum": 0}

    def refuse(role: str, line: int, cell: str, pattern: re.Pattern[str]) -> None:
        lines, found = bad_cells[role]
        lines.append(line)
        found.update(pattern.findall(cell))

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
                line, cell = reader.line_num, row[id_at]
                key = cell.strip()
                if key != cell:
                    counts["stripped"] += 1
                if NOT_IN_ID.search(key):
                    refuse("id", line, key, NOT_IN_ID)
                if stratum_at is None:
                    stratum = ""
                else:
                    stratum = row[stratum_at].strip()
                    if not stratum:
                        counts["no_stratum"] += 1
                    elif NOT_IN_ID.search(stratum):
                        refuse("stratum", line, stratum, NOT_IN_ID)
                if label_at is None:
                    label = key
                else:
                    label = row[label_at]
                    if NOT_IN_TEXT.search(label):
                        refuse("label", line, label, NOT_IN_TEXT)
                yield line, key, label, stratum, row
        except csv.Error as error:
            problems.append(f"Line {reader.line_num} cannot be read as CSV ({error}).")
        if counts["rows"] > max_rows:
            problems.append(f"The file has more than {max_rows:,} data rows; split the population or raise the limit.")
        if bad_width:
            problems.append(
                f"{plural(len(bad_width), 'row')} without the {width} cells of the header (lines {_some(bad_width)}); "
                "check the delimiter and quoting."
            )
        for role, (lines, found) in bad_cells.items():
            if lines:
                allowed = "" if role == "label" else "; an id or stratum is one line of text, without tabs"
                codes = ", ".join(f"U+{ord(c):04X}" for c in sorted(found))
                problems.append(
                    f"The {role} cell contains control characters or line separators ({codes}) on "
                    f"{plural(len(lines), 'line')}: {_some(lines)}{allowed}. Remove them and upload the file again."
                )

    units, digest = _finish(entries(), problems, "line", "The file has a header row but no data rows.", columns)
    notes = (
        (counts["blank"], "blank row", "skipped."),
        (counts["stripped"], "id", "trimmed of surrounding spaces."),
        (counts["no_stratum"], "row", f"with an empty '{stratum_column}' cell, grouped as a blank stratum."),
    )
    warnings.extend(f"{plural(count, word)} {text}" for count, word, text in notes if count)
    return Population(units, source, digest, columns, tuple(warnings), ORDERING, delimiter)


def _line_problem(number: int, line: str) -> str | None:
    """Why a typed line cannot be a unit (control characters or separators in it), or None."""
    found = set(NOT_IN_LINE.findall(line))
    if not found:
        return None
    codes = ", ".join(f"U+{ord(c):04X}" for c in sorted(found))
    if found & SEPARATORS:
        return (
            f"Line {number} contains control characters or line separators ({codes}); "
            "type one unit per line, without them."
        )
    return f"Line {number} contains control characters ({codes})."


def parse_typed(text: str, *, source: str = "typed list") -> Population:
    """One unit per line: ``id`` or ``id, label`` (or tab-separated). Blank lines are ignored.

    Lines are split on real line breaks only (LF, CR LF, CR); a line holding any other separator or control
    character (but tab) is refused before it is split into id and label, so no unit appears that was not typed.
    """
    problems: list[str] = []

    def entries() -> Iterable[tuple]:
        for number, line in enumerate(LINE_BREAK.split(text), start=1):
            if (problem := _line_problem(number, line)) is not None:
                problems.append(problem)
            elif line.strip():
                key, _, label = (part.strip() for part in line.partition("\t" if "\t" in line else ","))
                yield number, key, label, "", (key, label or key)

    empty = "The list is empty: type one id per line, optionally followed by a comma and a label."
    units, digest = _finish(entries(), problems, "line", empty, TYPED_COLUMNS)
    return Population(units, source, digest, TYPED_COLUMNS)


def from_records(records: Iterable[tuple[str, str, str]], source: str, *, limits: bool = True) -> Population:
    """A population from (key, label, stratum) tuples, e.g. the AI-system inventory or the org units.

    `limits=False` reads back a population frozen earlier (a snapshot) without refusing what it holds.
    """
    entries = (
        (number, key, label or key, stratum or "", (key, label or key, stratum or ""))
        for number, (key, label, stratum) in enumerate(((str(k).strip(), lb, st) for k, lb, st in records), start=1)
    )
    empty = f"The source '{source}' has no units to sample."
    units, digest = _finish(entries, [], "record", empty, RECORD_COLUMNS, limits=limits)
    return Population(units, source, digest, RECORD_COLUMNS)


def export_csv(header: list[str], rows: Iterable[list[str]]) -> bytes:
    """UTF-8 CSV with a BOM (so spreadsheets detect the encoding), every cell through safe_cell."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([safe_cell(cell) for cell in header])
    writer.writerows([safe_cell(cell) for cell in row] for row in rows)
    return b"\xef\xbb\xbf" + buffer.getvalue().encode("utf-8")
