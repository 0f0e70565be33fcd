"""Populations and Unicode: every separator and control character through typed and CSV parsing, the snapshot and
its re-read. A population either round-trips exactly or is refused with a message; nothing in between.

The property tests are pure (no database); the last tests take the same characters through the services on the
real database (SQLite or PostgreSQL): freeze, draw, re-perform, and refusals that store nothing.
"""

from __future__ import annotations

import csv
import io
import sys

import pytest
import sqlalchemy as sa
from hypothesis import example, given, settings
from hypothesis import strategies as st

from audit_app.errors import ValidationFailed
from audit_app.extensions import db
from audit_app.models import (
    AIRole,
    AISystem,
    AuditStatus,
    LifecycleStage,
    PopulationSource,
    RiskLevel,
    Role,
    Sample,
    SampleItem,
    SampleMethod,
    SizeBasis,
)
from audit_app.services.sampling import populations, samples
from audit_app.services.sampling import selection as sel
from audit_app.services.sampling.populations import read_snapshot, snapshot_bytes

#: Every C0 and C1 control, DEL, and the characters str.splitlines() splits on besides LF and CR.
CONTROLS = [chr(c) for c in range(0x20)] + ["\x7f"] + [chr(c) for c in range(0x80, 0xA0)]
SEPARATORS = ["\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029"]
#: Other characters that have broken text handling somewhere: spaces, format characters, non-characters.
ODD = ["\u00a0", "\u200b", "\u200e", "\u202e", "\u2066", "\u3000", "\ufeff", "\ufffe", "\uffff", "\U0010ffff"]
PLAIN = list("aZ09 -_.,;:'\"é中😀")
SPECIAL = CONTROLS + SEPARATORS + ODD

#: Hostile text: mostly the characters above, and any other code point (not surrogates: UTF-8 cannot hold them).
hostile_text = st.text(
    alphabet=st.one_of(
        st.sampled_from(SPECIAL), st.sampled_from(PLAIN), st.characters(exclude_categories=("Cs",), codec="utf-8")
    ),
    max_size=12,
)
#: Ordinary text: any code point but controls, separators and surrogates (format characters and odd spaces too).
ordinary_text = st.text(
    alphabet=st.one_of(st.sampled_from(PLAIN), st.characters(exclude_categories=("Cc", "Cs", "Zl", "Zp"))),
    min_size=1,
    max_size=12,
)
ordinary_row = st.tuples(ordinary_text, ordinary_text, ordinary_text)
hostile_row = st.tuples(hostile_text, hostile_text, hostile_text)


def with_one_hostile(ordinary: st.SearchStrategy, hostile: st.SearchStrategy) -> st.SearchStrategy:
    """Lists of ordinary entries, half of them with one hostile entry somewhere among them."""
    ordinary_entries = st.lists(ordinary, min_size=1, max_size=8, unique_by=lambda entry: entry[0].strip())
    return st.tuples(ordinary_entries, st.lists(hostile, max_size=1), st.integers(0, 8)).map(
        lambda parts: parts[0][: parts[2]] + parts[1] + parts[0][parts[2] :]
    )


def refused_with_messages(error: sel.PopulationError) -> None:
    assert error.problems
    assert all(isinstance(p, str) and p.strip() for p in error.problems)


def round_trips(population: sel.Population) -> None:
    """The snapshot holds exactly the parsed population, and reading it back gives the same population."""
    back = read_snapshot(snapshot_bytes(population), population.source)
    assert [tuple(u[:3]) for u in back.units] == [tuple(u[:3]) for u in population.units]
    assert back.sha256 == population.sha256
    for unit in population.units:  # what was accepted can be stored in either database and drawn
        assert not sel.NOT_IN_ID.search(unit.key)
        assert not sel.NOT_IN_ID.search(unit.stratum)
        assert not sel.NOT_IN_TEXT.search(unit.label)
        assert len(unit.key) <= sel.MAX_KEY
        assert len(unit.label) <= sel.MAX_LABEL


def csv_of(rows: list[tuple[str, str, str]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["id", "label", "stratum"])
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


@settings(max_examples=400, deadline=None)
@given(with_one_hostile(ordinary_row, hostile_row))
@example([("A\u2028B", "line\u2028separator", "x")])
@example([("A", "next\x85line", "x"), ("B", "para\u2029graph", "y")])
@example([("NUL\x00", "label", "")])
@example([("A", "NUL\x00 in a label", "")])
@example([("A", "label", "tab\tstratum")])
@example([("A", "vertical\x0btab", "")])
@example([("A", "=1+1", "")])
def test_csv_populations_round_trip_exactly_or_are_refused(rows):
    try:
        population = sel.parse_csv(csv_of(rows), id_column="id", label_column="label", stratum_column="stratum")
    except sel.PopulationError as error:
        refused_with_messages(error)
        return
    kept = [(k, lb, st) for k, lb, st in rows if (k + lb + st).strip()]  # blank rows are skipped (and noted)
    expected = sorted((k.strip(), lb or k.strip(), st.strip()) for k, lb, st in kept)
    assert [tuple(u[:3]) for u in population.units] == expected
    round_trips(population)


def typed_line(key: str, label: str) -> str:
    return f"{key}, {label}" if label else key


hostile_line_text = st.text(
    alphabet=st.one_of(
        st.sampled_from([c for c in SPECIAL if c not in "\r\n,\t"]),
        st.sampled_from([c for c in PLAIN if c != ","]),
        st.characters(exclude_categories=("Cs",), exclude_characters="\r\n,\t"),
    ),
    max_size=12,
)
ordinary_line_text = st.text(
    alphabet=st.one_of(
        st.sampled_from([c for c in PLAIN if c != ","]),
        st.characters(exclude_categories=("Cc", "Cs", "Zl", "Zp"), exclude_characters=","),
    ),
    max_size=12,
)


@settings(max_examples=400, deadline=None)
@given(
    with_one_hostile(
        st.tuples(ordinary_line_text, ordinary_line_text), st.tuples(hostile_line_text, hostile_line_text)
    ),
    st.sampled_from(["\n", "\r\n", "\r"]),
)
@example([("A\x0bB", "")], "\n")
@example([("A", "one\u2028two")], "\r\n")
@example([("A\x0cB", ""), ("C", "")], "\n")
@example([("A\x85B", "")], "\r")
def test_typed_populations_never_gain_units_and_round_trip_or_are_refused(lines, newline):
    text = newline.join(typed_line(key, label) for key, label in lines)
    try:
        population = sel.parse_typed(text)
    except sel.PopulationError as error:
        refused_with_messages(error)
        return
    # Accepted: no line held a separator or control character, and each non-blank line is one unit.
    for key, label in lines:
        assert not sel.NOT_IN_LINE.search(typed_line(key, label))
    kept = [(k.strip(), lb.strip() or k.strip()) for k, lb in lines if typed_line(k, lb).strip()]
    assert [(u.key, u.label) for u in population.units] == sorted(kept)
    round_trips(population)


@pytest.mark.parametrize("separator", SEPARATORS)
def test_a_separator_in_a_typed_line_is_refused_before_the_split(separator):
    with pytest.raises(sel.PopulationError) as refused:
        sel.parse_typed(f"A{separator}B\nC")
    assert refused.value.problems[0].startswith("Line 1 contains control characters")
    assert f"U+{ord(separator):04X}" in refused.value.problems[0]


def test_two_typed_lines_are_two_units_whatever_the_line_breaks():
    for text in ("A\nB", "A\r\nB", "A\rB", "A\nB\n", "\nA\r\n\r\nB\r"):
        assert [u.key for u in sel.parse_typed(text).units] == ["A", "B"]


def test_nul_and_controls_in_csv_cells_are_refused_with_the_lines_named():
    data = b"id,label,tier\nA\x00,ok,high\nB,bad\x07label,low\nC,fine,mid\x1fdle\nD,multi\nline\tlabel,low\n"
    data = data.replace(b"multi\nline\tlabel", b'"multi\nline\tlabel"')
    with pytest.raises(sel.PopulationError) as refused:
        sel.parse_csv(data, id_column="id", label_column="label", stratum_column="tier")
    problems = refused.value.problems
    assert any(
        p.startswith("The id cell contains control characters") and "U+0000" in p and ": 2" in p for p in problems
    )
    assert any(p.startswith("The label cell") and "U+0007" in p and ": 3" in p for p in problems)
    assert any(p.startswith("The stratum cell") and "U+001F" in p and ": 4" in p for p in problems)
    assert len(problems) == 3  # the quoted multi-line label with a tab is fine


def test_nul_in_the_header_is_refused():
    with pytest.raises(sel.PopulationError, match="header row contains control characters"):
        sel.parse_csv(b"id,la\x00bel\nA,x\n", id_column="id")


def test_line_separators_in_csv_labels_are_kept_verbatim():
    data = '"id","label"\nA,"one\u2028two\u2029three\u0085four"\n'.encode()
    population = sel.parse_csv(data, id_column="id", label_column="label")
    assert population.units[0].label == "one\u2028two\u2029three\u0085four"
    round_trips(population)
    with pytest.raises(sel.PopulationError, match="U\\+0085"):  # but an id is one line
        sel.parse_csv('"id"\n"A\u0085B"\n'.encode(), id_column="id")


def test_ids_longer_than_200_and_labels_longer_than_500_are_refused_never_cut():
    rows = [("A" * 200, "L" * 500, "s" * 200), ("B" * 201, "ok", ""), ("C", "L" * 501, ""), ("D", "x", "s" * 201)]
    with pytest.raises(sel.PopulationError) as refused:
        sel.parse_csv(csv_of(rows), id_column="id", label_column="label", stratum_column="stratum")
    assert refused.value.problems == [
        "The id is longer than 200 characters on 1 line: 3; shorten it (a sample keeps each id whole, it never "
        "cuts one).",
        "The label is longer than 500 characters on 1 line: 4; shorten it (a sample keeps each label whole, it "
        "never cuts one).",
        "The stratum is longer than 200 characters on 1 line: 5; shorten it (a sample keeps each stratum whole, "
        "it never cuts one).",
    ]
    accepted = sel.parse_csv(csv_of(rows[:1]), id_column="id", label_column="label", stratum_column="stratum")
    assert [len(accepted.units[0].key), len(accepted.units[0].label)] == [200, 500]
    with pytest.raises(sel.PopulationError, match="longer than 200"):
        sel.parse_typed("X" * 201)


def test_a_snapshot_of_a_legacy_population_is_read_back_without_the_limits():
    legacy = sel.from_records([("K" * 300, "label", "")], "old", limits=False)
    assert read_snapshot(snapshot_bytes(legacy), "old").units[0].key == "K" * 300


def test_the_lazy_stream_is_the_full_seeded_permutation():
    import random

    for size in (0, 1, 5, 6, 40, 1000):
        for seed in (0, 7, 20240917, "7:high", sel.MAX_SEED - 1):
            assert sel.draw_stream(size, seed) == random.Random(seed).sample(range(size), size)


# --- Through the services, on the real database ------------------------------------------------------------------


@pytest.fixture
def audit(plan):
    audit = plan.audit()
    plan.ready(audit, AuditStatus.FIELDWORK)
    return audit


@pytest.fixture
def auditor(plan, audit):
    return plan.member(audit, plan.user(Role.AUDITOR)).user


def new_sample(audit, auditor) -> Sample:
    data = samples.SampleData("Unicode", "Signed off", "units", (audit.scope_items[0].id,))
    return samples.create_sample(audit, data, actor=auditor)


def freeze(sample, auditor, **population) -> sel.Population:
    source = population.pop("source", PopulationSource.CSV)
    given = {"completeness_check": "Count reconciled to the source report.", **population}
    return populations.set_population(sample, populations.PopulationData(source, **given), actor=auditor)


def test_separators_in_cells_survive_the_snapshot_draw_and_reperformance(audit, auditor):
    labels = ["plain", "line\u2028separator", "paragraph\u2029separator", "tab\tand\nnewline", "nbsp\u00a0"]
    rows = [(f"U\u2028{i}" if i == 0 else f"U{i}", label, "") for i, label in enumerate(labels)]
    sample = new_sample(audit, auditor)
    with pytest.raises(ValidationFailed) as refused:  # a separator inside an id is refused, with a message
        freeze(sample, auditor, csv_bytes=csv_of(rows), id_column="id", label_column="label")
    assert "U+2028" in " ".join(refused.value.errors["population"])
    rows[0] = ("U0", labels[0], "")
    freeze(sample, auditor, csv_bytes=csv_of(rows), id_column="id", label_column="label")
    samples.set_size(sample, samples.SizeData(SampleMethod.WHOLE_POPULATION, SizeBasis.MANUAL), actor=auditor)
    samples.draw(sample, actor=auditor)
    db.session.commit()
    db.session.expire_all()

    stored = db.session.scalars(sa.select(SampleItem.label).where(SampleItem.sample_id == sample.id))
    assert sorted(stored) == sorted(labels)
    assert sample.reperformed is True
    assert samples.reperform(sample) is True
    assert samples.recheck(sample, actor=auditor).same is True


def test_an_ai_system_purpose_with_separators_never_breaks_a_draw(plan, audit, auditor):
    # Written straight to the table: text stored before separators were cleaned on the way in.
    unit = plan.unit()
    for n, purpose in enumerate(["Scores\u2028credit", "Ranks\u2029tickets", "Routes\u0085calls", "x" * 300]):
        db.session.add(
            AISystem(
                name=f"System {n}",
                purpose=purpose,
                roles=[AIRole.DEPLOYER],
                risk_level=RiskLevel.HIGH,
                owner_unit_id=unit.id,
                lifecycle_stage=LifecycleStage.OPERATION_MONITORING,
                in_scope=True,
            )
        )
    db.session.flush()
    sample = new_sample(audit, auditor)
    population = freeze(sample, auditor, source=PopulationSource.AI_SYSTEMS)
    assert population.size == 4
    assert population.units[3].label == "x" * 199 + "…"  # an excerpt says it is one
    samples.set_size(sample, samples.SizeData(SampleMethod.WHOLE_POPULATION, SizeBasis.MANUAL), actor=auditor)
    samples.draw(sample, actor=auditor)
    db.session.commit()
    assert samples.reperform(sample) is True
    labels = set(db.session.scalars(sa.select(SampleItem.label).where(SampleItem.sample_id == sample.id)))
    assert {"Scores\u2028credit", "Ranks\u2029tickets", "Routes\u0085calls"} <= labels


@pytest.mark.parametrize(
    ("rationale", "code"), [("Largest\x00change", "U+0000"), ("bell\x07", "U+0007"), ("esc\x1b[31m", "U+001B")]
)
def test_control_characters_in_a_judgemental_rationale_are_refused_before_anything_is_stored(
    audit, auditor, rationale, code
):
    sample = new_sample(audit, auditor)
    freeze(sample, auditor, source=PopulationSource.TYPED, typed="A\nB\nC")
    samples.set_size(sample, samples.SizeData(SampleMethod.JUDGEMENTAL, SizeBasis.MANUAL), actor=auditor)
    db.session.commit()
    with pytest.raises(ValidationFailed) as refused:
        samples.draw(sample, actor=auditor, picks={"A": "fine", "B": rationale})
    assert code in str(refused.value)
    assert refused.value.errors["picks"]
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SampleItem)) == 0
    assert db.session.get(Sample, sample.id).status.value == "draft"
    with pytest.raises(ValidationFailed, match="U\\+0000"):
        samples.draw(sample, actor=auditor, picks={"A\x00": "why"})


def test_a_nul_in_a_csv_cell_is_refused_and_nothing_is_stored(app, audit, auditor):
    sample = new_sample(audit, auditor)
    db.session.commit()
    with pytest.raises(ValidationFailed) as refused:
        freeze(sample, auditor, csv_bytes=b"id,label\nA,ok\nB\x00,bad\n", id_column="id", label_column="label")
    assert any("U+0000" in p for p in refused.value.errors["population"])
    db.session.rollback()
    assert db.session.get(Sample, sample.id).population_file == ""
    assert populations.snapshots().exists("0" * 40) is False


def test_python_still_splits_lines_as_the_parser_assumes():
    """The reason for the rule: str.splitlines() would turn one typed line with a VT into two units."""
    assert len("A\x0bB".splitlines()) == 2
    assert sys.version_info >= (3, 11)
