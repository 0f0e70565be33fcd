"""Sampling populations and selection: re-performable draws, allocation edge cases, replacements, hostile CSV input."""

from __future__ import annotations

import csv
import hashlib
import io
import math
import random
import sys

import pytest

from audit_app.services.sampling.selection import (
    ALGORITHM,
    ORDERING,
    PopulationError,
    SelectionError,
    allocate,
    draw_stream,
    export_csv,
    from_records,
    library_versions,
    new_seed,
    next_replacement,
    parse_csv,
    parse_typed,
    safe_cell,
    select,
)

SEED = 20240917
STRATA = {"high": 5, "limited": 15, "minimal": 20}  # N = 40
ROWS = [(f"REL-{i:03d}", f"Release {i}", risk) for i, risk in enumerate(r for r, c in STRATA.items() for _ in range(c))]


def csv_bytes(rows, header=("id", "label", "risk"), delimiter=",", bom=False) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter)
    writer.writerow(header)
    writer.writerows(rows)
    return (b"\xef\xbb\xbf" if bom else b"") + buffer.getvalue().encode("utf-8")


def load(rows=ROWS, **kwargs):
    return parse_csv(csv_bytes(rows, **kwargs), id_column="id", label_column="label", stratum_column="risk")


def problems(data: bytes, **kwargs) -> list[str]:
    with pytest.raises(PopulationError) as caught:
        parse_csv(data, id_column=kwargs.pop("id_column", "id"), **kwargs)
    assert caught.value.problems
    return caught.value.problems


def keys(population, selection) -> list[str]:
    return [population.units[i].key for i in selection.indices]


METHOD_ARGS = {
    "simple_random": {"n": 8, "seed": SEED},
    "systematic": {"n": 8, "seed": SEED},
    "stratified": {"n": 8, "seed": SEED},
    "judgemental": {"picks": {"REL-039": "largest model", "REL-002": "changed last month"}},
    "whole_population": {},
}


@pytest.mark.parametrize("method", list(METHOD_ARGS))
def test_every_method_is_reproducible_across_calls_and_row_orders(method):
    population = load()
    first = select(population, method, **METHOD_ARGS[method])
    assert select(population, method, **METHOD_ARGS[method]) == first
    shuffled = list(ROWS)
    random.Random(7).shuffle(shuffled)
    again = load(shuffled)
    assert again.sha256 == population.sha256
    assert keys(again, select(again, method, **METHOD_ARGS[method])) == keys(population, first)
    assert first.params["population_sha256"] == population.sha256
    assert first.params["ordering"] == ORDERING == "id ascending (text)"


@pytest.mark.parametrize("method", ["simple_random", "systematic", "stratified"])
def test_a_different_seed_gives_a_different_selection(method):
    population = load()
    first = select(population, method, 8, seed=SEED)
    assert first.seed == SEED
    assert select(population, method, 8, seed=SEED + 1).indices != first.indices


def test_population_hash_ignores_row_order_but_not_ids():
    population = load()
    expected = hashlib.sha256("\n".join(sorted(key for key, _, _ in ROWS)).encode("utf-8")).hexdigest()
    assert population.sha256 == expected
    assert load(list(reversed(ROWS))).sha256 == expected
    changed = [("REL-999", *ROWS[0][1:]), *ROWS[1:]]
    assert load(changed).sha256 != expected


def test_frozen_order_sorts_ids_as_text():
    population = parse_typed("10\n9\n2\n100")
    assert [unit.key for unit in population.units] == ["10", "100", "2", "9"]
    assert population.ordering == "id ascending (text)"


def test_simple_random_takes_the_front_of_the_seeded_permutation():
    population = load()
    selection = select(population, "simple_random", 8, seed=SEED)
    assert list(selection.indices) == random.Random(SEED).sample(range(40), 40)[:8]
    assert draw_stream(40, SEED)[:8] == list(selection.indices)
    assert len(set(selection.indices)) == 8


def test_algorithm_and_library_versions_are_recorded():
    assert "MT19937" in ALGORITHM
    assert library_versions() == {"python": sys.version, "random": ALGORITHM, "selection_version": 1}
    seeds = {new_seed() for _ in range(20)}
    assert len(seeds) > 1
    assert all(0 <= seed < 2**63 for seed in seeds)


@pytest.mark.parametrize(("size", "n"), [(100, 10), (45, 7), (40, 40), (7, 1)])
def test_systematic_records_interval_and_random_start(size, n):
    population = parse_typed("\n".join(f"U{i:04d}" for i in range(size)))
    selection = select(population, "systematic", n, seed=SEED)
    k, r = selection.params["interval"], selection.params["start"]
    assert k == size / n
    assert r == random.Random(SEED).random() * k
    assert 0 <= r < k
    assert list(selection.indices) == [math.floor(r + i * k) for i in range(n)]
    assert selection.params["start_position"] == selection.indices[0] + 1
    assert len(set(selection.indices)) == n
    assert all(0 <= i < size for i in selection.indices)


def test_stratified_proportional_allocation_records_each_stratum():
    population = load()
    selection = select(population, "stratified", 8, seed=SEED)
    strata = selection.params["strata"]
    assert {h: (s["N_h"], s["n_h"]) for h, s in strata.items()} == {
        "high": (5, 1),
        "limited": (15, 3),
        "minimal": (20, 4),
    }
    assert strata["high"]["seed"] == f"{SEED}:high"
    assert selection.params["strata_rule"] == "proportional"
    assert selection.params["notes"] == []
    assert len(selection.indices) == 8
    for h, s in strata.items():
        assert sum(population.units[i].stratum == h for i in selection.indices) == s["n_h"]


def test_largest_remainder_breaks_ties_in_stratum_order():
    assert allocate({"a": 5, "b": 3, "c": 2}, 5) == ({"a": 3, "b": 1, "c": 1}, [])
    assert allocate({"a": 50, "b": 30, "c": 20}, 10) == ({"a": 5, "b": 3, "c": 2}, [])


def test_fewer_than_one_per_stratum_draws_one_each_and_notes_it():
    population = load()
    selection = select(population, "stratified", 2, seed=SEED)
    assert len(selection.indices) == 3
    assert {population.units[i].stratum for i in selection.indices} == set(STRATA)
    assert selection.params["requested_n"] == 2
    assert "smaller than the 3 strata" in selection.params["notes"][0]


def test_a_small_stratum_is_raised_to_one_and_the_rest_reallocated():
    allocation, notes = allocate({"a": 1, "b": 2, "c": 97}, 10)
    assert allocation == {"a": 1, "b": 1, "c": 8}
    assert len(notes) == 2
    assert "raised to one" in notes[0]


def test_a_stratum_smaller_than_its_equal_share_is_capped_and_the_rest_reallocated():
    allocation, notes = allocate({"a": 2, "b": 20, "c": 20}, 12, "equal")
    assert allocation == {"a": 2, "b": 5, "c": 5}
    assert "capped at its size" in notes[0]


def test_one_unit_strata():
    population = from_records([(f"S{i}", f"site {i}", f"region {i}") for i in range(4)] + [("X", "x", "big")], "org")
    selection = select(population, "stratified", 5, seed=SEED)
    assert sorted(selection.indices) == list(range(5))
    assert all(s["n_h"] == 1 for s in selection.params["strata"].values())


def test_allocation_always_respects_bounds_and_total():
    rng = random.Random(1)
    for _ in range(500):
        sizes = {f"s{i}": rng.choice([1, 2, 3, 7, 40, rng.randint(1, 500)]) for i in range(rng.randint(1, 7))}
        n = rng.randint(1, sum(sizes.values()))
        for rule in ("proportional", "equal"):
            allocation, _ = allocate(sizes, n, rule)
            assert all(1 <= allocation[h] <= sizes[h] for h in sizes)
            assert sum(allocation.values()) == max(n, len(sizes))


def test_replacement_continues_the_same_stream_deterministically_until_exhausted():
    population = parse_typed("\n".join(f"U{i}" for i in range(10)))
    selection = select(population, "simple_random", 3, seed=SEED)
    stream = draw_stream(10, SEED)
    used = set(selection.indices)
    drawn = []
    while (nxt := next_replacement(population, selection, used)) is not None:
        assert nxt == next_replacement(population, selection, used)
        assert nxt not in used
        used.add(nxt)
        drawn.append(nxt)
    assert drawn == stream[3:]
    assert next_replacement(population, selection, set()) == stream[3]


def test_systematic_replacement_never_repeats_a_selected_unit():
    population = load()
    selection = select(population, "systematic", 10, seed=SEED)
    replacement = next_replacement(population, selection, set())
    assert replacement == next_replacement(population, selection, set()) == next_replacement(population, selection, {0})
    assert replacement not in selection.indices


def test_stratified_replacement_stays_within_the_stratum():
    population = load()
    selection = select(population, "stratified", 8, seed=SEED)
    used: set[int] = set()
    for _ in range(4):  # "high" has 5 units, 1 selected
        nxt = next_replacement(population, selection, used, stratum="high")
        assert population.units[nxt].stratum == "high"
        assert nxt not in used | set(selection.indices)
        used.add(nxt)
    assert next_replacement(population, selection, used, stratum="high") is None
    with pytest.raises(SelectionError) as caught:
        next_replacement(population, selection, used)
    assert caught.value.parameter == "stratum"


@pytest.mark.parametrize("method", ["judgemental", "whole_population"])
def test_non_statistical_samples_have_no_statistical_replacement(method):
    population = load()
    selection = select(population, method, **METHOD_ARGS[method])
    assert selection.seed is None
    assert next_replacement(population, selection, set()) is None


def test_judgemental_needs_a_rationale_per_item():
    population = load()
    selection = select(population, "judgemental", picks={"REL-039": " largest model ", "REL-002": "recent change"})
    assert keys(population, selection) == ["REL-039", "REL-002"]
    assert selection.rationale == {39: "largest model", 2: "recent change"}
    for picks in ({"REL-001": "ok", "REL-002": "  "}, {"NOPE": "why"}, {}, None):
        with pytest.raises(SelectionError) as caught:
            select(population, "judgemental", picks=picks)
        assert caught.value.parameter == "picks"


def test_whole_population_takes_every_unit_in_order():
    selection = select(load(), "whole_population")
    assert selection.indices == tuple(range(40))
    assert selection.params["full_population"] is True


INVALID = [("simple_random", 0, SEED, "sample_size"), ("systematic", 41, SEED, "sample_size")]
INVALID += [
    ("stratified", None, SEED, "sample_size"),
    ("simple_random", 5, None, "seed"),
    ("systematic", 5, -1, "seed"),
]
INVALID += [("stratified", 5, 2**63, "seed"), ("simple_random", 5, True, "seed"), ("cluster", 5, SEED, "method")]


@pytest.mark.parametrize(("method", "n", "seed", "parameter"), [*INVALID, ("stratified", 5, SEED, "strata_rule")])
def test_invalid_parameters_are_named(method, n, seed, parameter):
    with pytest.raises(SelectionError) as caught:
        select(load(), method, n, seed=seed, strata_rule="risk" if parameter == "strata_rule" else "proportional")
    assert caught.value.parameter == parameter


def test_latin1_bytes_are_refused_with_the_offending_byte():
    data = "id,label\nA1,Modèle\n".encode("latin-1")
    (message,) = problems(data)
    expected = f"not UTF-8 text (byte 0xe8 at offset {data.index(0xE8)}); save the file as UTF-8 CSV."
    assert message == f"The file is {expected}"


def test_missing_id_column_lists_the_columns_found():
    (message,) = problems(csv_bytes(ROWS), id_column="release")
    assert "'release'" in message
    assert "columns found: id, label, risk" in message


def test_duplicated_column_header_and_missing_stratum_are_both_reported():
    found = problems(b"id,label,id\n1,a,1\n", stratum_column="risk")
    assert any("more than once: id" in p for p in found)
    assert any("stratum column 'risk'" in p for p in found)


def test_duplicate_ids_are_reported_with_lines_and_count_alongside_other_problems():
    data = b"id,label\nA,1\nB,2\nA,3\n,4\nB,5\nA,6\nC\n"
    found = problems(data)
    assert "2 duplicate ids; each id must identify one unit: 'A' (lines 2, 4, 7); 'B' (lines 3, 6)." in found
    assert "The id is empty on 1 line: 5." in found
    assert any(p.startswith("1 row without the 2 cells") and "lines 8" in p for p in found)


def test_many_duplicates_are_listed_up_to_twenty():
    rows = [(f"D{i:02d}", "x", "r") for i in range(30)] * 2
    (message,) = problems(csv_bytes(rows))
    assert message.startswith("30 duplicate ids; each id must identify one unit (first 20 shown): 'D00' (lines 2, 32);")
    assert "'D19'" in message
    assert "'D20'" not in message


@pytest.mark.parametrize("data", [b"", b"   \n\n", b"\xef\xbb\xbf"])
def test_empty_file(data):
    assert problems(data) == ["The file is empty: it needs a header row naming the columns, then one row per unit."]


def test_header_without_rows_and_row_limit():
    assert problems(b"id,label\n\n") == ["The file has a header row but no data rows."]
    found = problems(csv_bytes([(f"U{i}", "x", "r") for i in range(11)]), max_rows=10)
    assert "more than 10 data rows" in found[0]


def test_a_100000_row_file_parses_and_draws():
    rows = [(f"AI-{i:06d}", f"Inference log {i}", f"q{i % 4 + 1}") for i in range(100_000)]
    population = load(rows)
    assert population.size == 100_000
    assert population.strata == ("q1", "q2", "q3", "q4")
    assert len(select(population, "simple_random", 60, seed=SEED).indices) == 60
    stratified = select(population, "stratified", 60, seed=SEED)
    assert [s["n_h"] for s in stratified.params["strata"].values()] == [15, 15, 15, 15]


def test_formula_cells_are_kept_verbatim_and_neutralised_on_export():
    hostile = ['=HYPERLINK("http://x")', "+1+1", "-2+3", "@SUM(A1)", "\tx", "\rx", "plain"]
    rows = [(f"F{i}", text, "r") for i, text in enumerate(hostile)]
    population = load(rows)
    assert [unit.label for unit in population.units] == hostile
    assert [unit.data["label"] for unit in population.units] == hostile
    assert [safe_cell(text) for text in hostile] == [*("'" + t for t in hostile[:-1]), "plain"]
    exported = export_csv(["id", "=label"], [[unit.key, unit.label] for unit in population.units])
    assert exported.startswith(b"\xef\xbb\xbf")
    assert exported.count(b"\r\n") >= 2
    assert b"'=label" in exported
    assert b'F0,"\'=HYPERLINK(""http://x"")"\r\n' in exported
    assert b"F1,'+1+1\r\n" in exported
    assert b"F3,'@SUM(A1)\r\n" in exported
    back = list(csv.reader(io.StringIO(exported.decode("utf-8-sig"), newline="")))
    assert [row[1] for row in back[1:]] == ["'" + t for t in hostile[:-1]] + ["plain"]


def test_semicolon_and_tab_delimited_files_with_a_bom():
    rows = [("A1", "Model, v2", "high"), ("A2", "Model; v3", "low")]
    for delimiter in (";", "\t"):
        population = load(rows, delimiter=delimiter, bom=True)
        assert population.delimiter == delimiter
        assert population.columns == ("id", "label", "risk")
        assert [unit.label for unit in population.units] == ["Model, v2", "Model; v3"]


def test_spaces_around_ids_are_trimmed_and_noted():
    population = parse_csv(b"id,label\n A1 ,x\nB2,y\n", id_column="id")
    assert [unit.key for unit in population.units] == ["A1", "B2"]
    assert population.units[0].data["id"] == " A1 "
    assert "1 id trimmed of surrounding spaces." in population.warnings


def test_typed_list_with_labels_and_blank_lines():
    population = parse_typed("M-2, Credit scoring model\n\nM-1\tChatbot\nM-3\n")
    assert [(u.key, u.label) for u in population.units] == [
        ("M-1", "Chatbot"),
        ("M-2", "Credit scoring model"),
        ("M-3", "M-3"),
    ]
    assert population.source == "typed list"


def test_typed_list_problems():
    with pytest.raises(PopulationError) as caught:
        parse_typed("A\nB\x07\nA\n, label only\n")
    assert caught.value.problems == [
        "Line 2 contains control characters (U+0007).",
        "The id is empty on 1 line: 4.",
        "1 duplicate id; each id must identify one unit: 'A' (lines 1, 3).",
    ]
    with pytest.raises(PopulationError, match="The list is empty"):
        parse_typed("\n  \n")


def test_records_from_the_inventory():
    population = from_records([("AI-2", "Scoring", "high"), ("AI-1", "", "minimal")], "AI-system inventory")
    assert [(u.key, u.label, u.stratum) for u in population.units] == [
        ("AI-1", "AI-1", "minimal"),
        ("AI-2", "Scoring", "high"),
    ]
    assert population.strata == ("high", "minimal")
    with pytest.raises(PopulationError, match="1 duplicate id"):
        from_records([("A", "a", ""), ("A", "b", "")], "org units")
    with pytest.raises(PopulationError, match="no units"):
        from_records([], "org units")
