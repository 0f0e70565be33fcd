"""The shipped ISO/IEC 42001 library matches the reference structure and is complete and our own words."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import pytest
import sqlalchemy as sa

from audit_app.config import DefaultConfig
from audit_app.errors import Conflict
from audit_app.extensions import db
from audit_app.models import Audit, ChecklistItem, ChecklistVersion
from audit_app.services.library import checklists
from audit_app.services.library.checklist_files import EVIDENCE_KINDS, ParsedChecklist, parse_path
from tests.fixtures.planning import Planning

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


# --- Version 1.2.0: documented information, misuse, control effectiveness and retirement -------------------

#: The release that added the entries below; an audit that pinned an earlier release keeps that release.
RELEASE = "1.2.0"

#: Controls that ask for documented information, with what each expects: "maintain" (a document kept current)
#: and/or "retain" (records kept as evidence), and a word each description must contain to be specific.
EXPECTED_DOCUMENTED_INFORMATION = {
    "A.4.3": ({"maintain"}, "data sets"),
    "A.4.4": ({"maintain"}, "tools"),
    "A.4.5": ({"maintain"}, "hosting"),
    "A.4.6": ({"maintain"}, "competences"),
    "A.5.4": ({"retain"}, "individuals and groups"),
    "A.5.5": ({"retain"}, "society"),
    "A.6.1.2": ({"maintain"}, "responsible AI system development"),
    "A.6.1.3": ({"maintain"}, "design and development"),
    "A.6.2.4": ({"maintain", "retain"}, "criteria"),
    "A.6.2.5": ({"maintain", "retain"}, "deployment"),
    "A.6.2.6": ({"maintain", "retain"}, "monitor"),
    "A.7.2": ({"maintain"}, "management process"),
    "A.7.3": ({"retain"}, "source"),
    "A.7.5": ({"maintain", "retain"}, "provenance"),
    "A.8.4": ({"maintain", "retain"}, "incident"),
    "A.8.5": ({"maintain", "retain"}, "obligations"),
    "A.9.2": ({"maintain"}, "responsible use"),
    "A.9.3": ({"maintain"}, "responsible use"),
}


def test_the_library_is_release_1_2_0(parsed):
    assert parsed.header["version"] == RELEASE


@pytest.mark.parametrize("ref", sorted(EXPECTED_DOCUMENTED_INFORMATION))
def test_each_control_that_asks_for_documentation_lists_what_it_expects(items, ref):
    types, word = EXPECTED_DOCUMENTED_INFORMATION[ref]
    entries = items[ref]["documented_information"]
    assert {entry["type"] for entry in entries} == types, ref
    assert any(word in entry["description"] for entry in entries), ref
    descriptions = [entry["description"] for entry in entries]
    assert len(set(descriptions)) == len(descriptions), ref
    # Register-ready: a full sentence naming the artefact, not a bare word.
    assert all(len(d) >= 40 and d.endswith(".") and d[0].isupper() for d in descriptions), ref


def test_documented_information_entries_list_documents_before_records(parsed):
    for item in parsed.items:
        types = [entry["type"] for entry in item["documented_information"]]
        assert types == sorted(types), item["id"]  # "maintain" sorts before "retain"


def test_the_provenance_control_expects_both_the_process_and_the_records(items):
    entries = items["A.7.5"]["documented_information"]
    assert [entry["type"] for entry in entries] == ["maintain", "retain"]
    assert "Process for recording data provenance" in entries[0]["description"]


def questions_mentioning(item: dict, *words: str) -> list[str]:
    return [q for q in item["questions"] if all(word in q.lower() for word in words)]


@pytest.mark.parametrize("ref", ["6.1.4", "A.5.2", "A.5.4"])
def test_impact_assessment_items_ask_about_reasonably_foreseeable_misuse(items, ref):
    assert questions_mentioning(items[ref], "reasonably foreseeable misuse"), ref


def test_operational_control_asks_whether_the_chosen_controls_work_in_operation(items):
    item = items["8.1"]
    assert questions_mentioning(item, "controls chosen in risk treatment", "work")
    assert questions_mentioning(item, "statement of applicability", "operated")
    assert any("control effectiveness" in record.lower() for record in item["evidence"]["records"])


@pytest.mark.parametrize("ref", ["A.6.1.3", "A.6.2.6", "A.6.2.7", "A.6.2.8"])
def test_life_cycle_controls_ask_about_retirement_and_decommissioning(items, ref):
    assert [q for q in items[ref]["questions"] if re.search(r"retire|decommission", q, re.IGNORECASE)], ref


def test_the_life_cycle_process_and_operation_ask_how_a_system_is_decommissioned(items):
    assert questions_mentioning(items["A.6.1.3"], "retirement", "decommission")
    assert questions_mentioning(items["A.6.2.6"], "retir", "decommissioned as planned")


def previous_release(parsed: ParsedChecklist) -> ParsedChecklist:
    """The library as release 1.1.0 had it: no documented information on these controls but A.7.5's records."""
    old = copy.deepcopy(parsed)
    old.header["version"] = "1.1.0"
    for item in old.items:
        if item["id"] in EXPECTED_DOCUMENTED_INFORMATION:
            kept = item["documented_information"][1:] if item["id"] == "A.7.5" else []
            item["documented_information"] = kept
    return old


def test_the_new_release_loads_beside_a_pinned_one_which_stays_unchanged(app, parsed):
    with app.app_context():
        old = checklists.load(previous_release(parsed), source="iso42001", actor=None).version
        db.session.commit()
        plan = Planning(old.id)
        audit = plan.audit()
        plan.pin(audit, "4.1", "A.4.3", "A.7.5")
        db.session.commit()
        old_id, old_hash, audit_id = old.id, old.content_hash, audit.id
        assert old.locked

        (result,) = checklists.load_built_in()
        db.session.commit()
        assert (result.outcome, result.version.version) == ("created", RELEASE)
        assert result.version.id != old_id
        new_id = result.version.id

        (again,) = checklists.load_built_in()
        assert (again.outcome, again.version.id) == ("unchanged", new_id)

    with app.app_context():
        old = db.session.get(ChecklistVersion, old_id)
        assert (old.version, old.content_hash) == ("1.1.0", old_hash)
        audit = db.session.get(Audit, audit_id)
        assert [v.id for v in audit.criteria] == [old_id]
        assert {i.ref for i in audit.scope_items} == {"4.1", "A.4.3", "A.7.5"}
        assert {i.version_id for i in audit.scope_items} == {old_id}
        pinned = {i.ref: i for i in audit.scope_items}
        assert pinned["A.4.3"].documented_information == []
        assert [e["type"] for e in pinned["A.7.5"].documented_information] == ["retain"]
        new_a43 = db.session.scalar(
            sa.select(ChecklistItem).where(ChecklistItem.version_id == new_id, ChecklistItem.ref == "A.4.3")
        )
        assert [e["type"] for e in new_a43.documented_information] == ["maintain"]
        assert db.session.scalar(sa.select(sa.func.count()).where(ChecklistItem.version_id == new_id)) == 92

        # The pinned release can never take the new content under its own number.
        relabelled = copy.deepcopy(parsed)
        relabelled.header["version"] = "1.1.0"
        with pytest.raises(Conflict, match="new version number"):
            checklists.load(relabelled, source="iso42001", actor=None)
        db.session.rollback()
        assert db.session.get(ChecklistVersion, old_id).content_hash == old_hash
