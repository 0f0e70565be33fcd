"""The shipped ISO/IEC 42001 library matches the reference structure and is complete and our own words."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import sqlalchemy as sa

from audit_app.config import DefaultConfig
from audit_app.extensions import db
from audit_app.models import ChecklistItem, ChecklistVersion
from audit_app.services.library.checklist_files import EVIDENCE_KINDS, ParsedChecklist, parse_path

REPO_ROOT = Path(__file__).resolve().parents[2]
#: The reference list of clause and control ids and titles (a copy of the published structure, kept in the repo).
STRUCTURE = REPO_ROOT / "tests" / "data" / "iso42001_structure.json"
LIBRARY = REPO_ROOT / "checklists" / "iso42001"


@pytest.fixture(scope="module")
def parsed() -> ParsedChecklist:
    return parse_path(LIBRARY, max_bytes=DefaultConfig.CHECKLIST_MAX_BYTES)


@pytest.fixture(scope="module")
def reference() -> list[dict]:
    return json.loads(STRUCTURE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def items(parsed: ParsedChecklist) -> dict[str, dict]:
    return {item["id"]: item for item in parsed.items}


def auditable(parsed: ParsedChecklist) -> list[dict]:
    return [item for item in parsed.items if item["auditable"]]


def test_header_names_the_standard(parsed):
    header = parsed.header
    assert header["code"] == "iso42001"
    assert header["standard"] == "ISO/IEC 42001"
    assert header["edition"] == "2023"
    assert parsed.sources == ["checklist.yaml", "clauses.yaml", "annex_a.yaml"]


def test_ids_titles_parents_and_order_match_the_reference_exactly(parsed, reference):
    ours = [(item["id"], item["title"], item["parent"]) for item in parsed.items]
    theirs = [(node["id"], node["title"], node["parent"]) for node in reference]
    missing = sorted({i for i, _, _ in theirs} - {i for i, _, _ in ours})
    invented = sorted({i for i, _, _ in ours} - {i for i, _, _ in theirs})
    assert missing == [], "items missing from the library"
    assert invented == [], "items not in the standard"
    assert ours == theirs


def test_kinds_follow_the_reference(parsed, reference):
    kinds = {node["id"]: node["kind"] for node in reference}
    for item in parsed.items:
        if kinds[item["id"]] == "clause":
            assert item["kind"] == "clause", item["id"]
        else:  # Annex A: objectives group the controls and are not audited themselves
            assert kinds[item["id"]] == "annex_a"
            assert item["id"].startswith("A.")
            expected = "control" if item["auditable"] else "objective"
            assert item["kind"] == expected, item["id"]


def test_node_counts(parsed):
    clauses = [i for i in parsed.items if not i["id"].startswith("A.")]
    annex = [i for i in parsed.items if i["id"].startswith("A.")]
    assert len(clauses) == 43
    assert len(annex) == 49
    assert len(parsed.items) == 92


#: Clause headings that only group requirements: they take no result and do not count in coverage.
HEADINGS = {"4", "5", "6", "6.1", "7", "7.5", "8", "9", "9.2", "9.3", "10"}


def test_exactly_70_auditable_items_the_requirements_and_the_controls(parsed):
    audited = auditable(parsed)
    assert len(audited) == 70
    assert sum(i["kind"] == "clause" for i in audited) == 32
    assert sum(i["kind"] == "control" for i in audited) == 38
    grouping = {i["id"] for i in parsed.items if not i["auditable"]}
    assert grouping == HEADINGS | {i["id"] for i in parsed.items if i["kind"] == "objective"}
    # Every auditable clause is a leaf requirement: no other item names it as its parent.
    parents = {i["parent"] for i in parsed.items}
    assert not [i["id"] for i in audited if i["id"] in parents]


def test_every_parent_comes_before_its_children(parsed):
    seen: set[str] = set()
    for item in parsed.items:
        assert item["parent"] is None or item["parent"] in seen, item["id"]
        seen.add(item["id"])


def test_every_auditable_item_has_questions_evidence_and_a_summary(parsed):
    for item in auditable(parsed):
        assert len(item["questions"]) >= 3, item["id"]
        assert all(len(q) >= 20 for q in item["questions"]), item["id"]
        assert len(set(item["questions"])) == len(item["questions"]), f"repeated question in {item['id']}"
        assert sum(len(item["evidence"][kind]) for kind in EVIDENCE_KINDS) >= 1, item["id"]
        assert item["summary"], item["id"]


def test_risk_treatment_points_to_annex_a(items):
    related = items["6.1.3"]["related"]
    objectives = [i for i, item in items.items() if i.startswith("A.") and item["parent"] is None]
    assert objectives == ["A.2", "A.3", "A.4", "A.5", "A.6", "A.7", "A.8", "A.9", "A.10"]
    assert set(objectives) <= set(related)


def test_impact_assessment_points_to_operation_and_annex_a5(items):
    related = items["6.1.4"]["related"]
    assert "8.4" in related
    assert "A.5" in related


def test_related_ids_exist_and_are_not_self_references(items):
    for ident, item in items.items():
        assert ident not in item["related"], ident
        assert set(item["related"]) <= set(items), ident


def test_documented_information_types_are_valid(parsed):
    entries = [entry for item in parsed.items for entry in item["documented_information"]]
    assert entries, "the library lists documented information"
    types = {entry["type"] for entry in entries}
    assert types == {"maintain", "retain"}
    assert all(entry["description"].strip() for entry in entries)


def test_no_item_text_reads_like_the_standard(parsed):
    """Copyright guard: requirement wording ("shall") would mean text was copied from the standard."""
    shall = re.compile(r"\bshall\b", re.IGNORECASE)
    for item in parsed.items:
        text = json.dumps(item, ensure_ascii=False)
        assert not shall.search(text), f"item {item['id']} contains 'shall'"
    assert not shall.search(json.dumps(parsed.header))


def test_library_loads_into_the_database(app, library):
    with app.app_context():
        version = db.session.get(ChecklistVersion, library)
        assert version.checklist.code == "iso42001"
        count = db.session.scalar(sa.select(sa.func.count()).where(ChecklistItem.version_id == library))
        assert count == 92
        audited = db.session.scalar(
            sa.select(sa.func.count()).where(ChecklistItem.version_id == library, ChecklistItem.auditable.is_(True))
        )
        assert audited == 70
        event_logs = db.session.scalar(
            sa.select(ChecklistItem).where(ChecklistItem.version_id == library, ChecklistItem.ref == "A.6.2.8")
        )
        assert event_logs.depth == 2
        assert event_logs.parent_ref == "A.6.2"
        refs = db.session.scalars(
            sa.select(ChecklistItem.ref).where(ChecklistItem.version_id == library).order_by(ChecklistItem.position)
        ).all()
        assert refs[:2] == ["4", "4.1"]
        assert refs[-1] == "A.10.4"
