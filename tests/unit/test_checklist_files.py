"""Checklist files: broken ones are refused with a precise message and load nothing; good ones load idempotently."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import yaml

from audit_app.errors import Conflict
from audit_app.extensions import db
from audit_app.models import Activity, Checklist, ChecklistItem, ChecklistVersion
from audit_app.services.library import checklists
from audit_app.services.library.checklist_files import ChecklistInvalid, parse_path

CORPUS = Path(__file__).resolve().parents[1] / "data" / "checklists"
EXAMPLE = Path(__file__).resolve().parents[2] / "checklists" / "examples" / "ai-policy.yaml"


def counts() -> dict[str, int]:
    return {
        model.__name__: db.session.scalar(sa.select(sa.func.count()).select_from(model))
        for model in (Checklist, ChecklistVersion, ChecklistItem, Activity)
    }


def refuse(path: Path) -> str:
    """Load `path`, expect a refusal, check nothing reached the database; return all messages."""
    with pytest.raises(ChecklistInvalid) as info:
        checklists.load_path(path, actor=None)
    db.session.rollback()
    assert counts() == {"Checklist": 0, "ChecklistVersion": 0, "ChecklistItem": 0, "Activity": 0}
    assert info.value.problems, "a refusal names at least one problem"
    return "\n".join(str(problem) for problem in info.value.problems)


def good_content() -> dict[str, Any]:
    return yaml.safe_load((CORPUS / "good.yaml").read_text(encoding="utf-8"))


def write(path: Path, content: dict[str, Any]) -> Path:
    path.write_text(yaml.safe_dump(content, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


# ------------------------------------------------------------------ refused files (committed corpus)

BROKEN = [
    ("missing_id.yaml", ["missing_id.yaml", "item #1", "'id' is a required property"]),
    ("duplicate_id.yaml", ["duplicate_id.yaml: item R-1: duplicate id"]),
    ("dup_across", ["second.yaml: item R-1: duplicate id (first defined in first.yaml)"]),
    ("unknown_parent.yaml", ["unknown_parent.yaml: item R-1: unknown parent 'NOPE'"]),
    ("questions_string.yaml", ["questions_string.yaml: item R-1 (#1): questions:", "is not of type 'array'"]),
    ("auditable_yes.yaml", ["auditable_yes.yaml: item R-1 (#1): auditable: 'yes' is not of type 'boolean'"]),
    ("yaml_syntax.yaml", ["yaml_syntax.yaml: YAML syntax error at line 8 column 13"]),
    ("json_syntax.json", ["json_syntax.json: JSON syntax error at line 4 column"]),
    ("control_chars.yaml", ["control_chars.yaml: items[0].title: contains control characters"]),
    ("few_questions.yaml", ["few_questions.yaml: item R-1: an auditable item needs at least 3 questions"]),
    ("unknown_related.yaml", ["unknown_related.yaml: item R-1: related id 'R-99' is not in the checklist"]),
    (
        "parent_loop.yaml",
        ["parent_loop.yaml: item R-1: parent chain loops back", "parent_loop.yaml: item R-2: parent chain loops back"],
    ),
    ("missing_file", ["checklist.yaml: listed file 'absent.yaml' is not in the directory"]),
    ("escape", ["checklist.yaml: listed file '../good.yaml' is not in the directory"]),
    ("manifest_list", ["checklist.yaml: top level must be a mapping"]),
]


@pytest.mark.parametrize(("name", "expected"), BROKEN, ids=[name for name, _ in BROKEN])
def test_broken_file_is_refused_and_nothing_is_loaded(app_ctx, name, expected):
    message = refuse(CORPUS / name)
    for fragment in expected:
        assert fragment in message


def test_the_corpus_baseline_is_valid(app_ctx):
    """The broken files differ from this one; if it failed, the refusals above would prove nothing."""
    result = checklists.load_path(CORPUS / "good.yaml", actor=None)
    assert result.outcome == "created"
    assert [item.ref for item in result.version.items] == ["G", "R-1", "R-2"]


def test_a_problem_in_one_file_refuses_the_whole_directory(app_ctx, tmp_path):
    content = good_content()
    (tmp_path / "checklist.yaml").write_text(
        yaml.safe_dump({"checklist": content["checklist"], "files": ["one.yaml", "two.yaml"]}), encoding="utf-8"
    )
    write(tmp_path / "one.yaml", {"items": content["items"]})
    write(tmp_path / "two.yaml", {"items": [{**content["items"][1], "id": "R-3", "questions": "just one"}]})
    message = refuse(tmp_path)
    assert "two.yaml: item R-3 (#1): questions:" in message


# ------------------------------------------------------------------ refused files (generated)


def test_not_utf8_is_refused(app_ctx, tmp_path):
    text = (CORPUS / "good.yaml").read_text(encoding="utf-8").replace("First requirement", "Première exigence")
    path = tmp_path / "latin1.yaml"
    path.write_bytes(text.encode("latin-1"))
    message = refuse(path)
    assert "latin1.yaml: not UTF-8 text (byte 0xe8" in message


def test_too_large_is_refused(app, app_ctx, tmp_path):
    limit = app.config["CHECKLIST_MAX_BYTES"]
    path = tmp_path / "huge.yaml"
    filler = "# " + "x" * 98 + "\n"
    path.write_text((CORPUS / "good.yaml").read_text(encoding="utf-8") + filler * (limit // 100 + 1))
    assert path.stat().st_size > limit
    message = refuse(path)
    assert "huge.yaml: checklist is" in message
    assert f"the limit is {limit:,} bytes" in message


def test_a_directory_too_large_in_total_is_refused(app, app_ctx, tmp_path):
    limit = app.config["CHECKLIST_MAX_BYTES"]
    content = good_content()
    write(tmp_path / "checklist.yaml", {"checklist": content["checklist"], "files": ["a.yaml", "b.yaml"]})
    filler = "# " + "x" * 98 + "\n"
    for name, items in (("a.yaml", content["items"][:2]), ("b.yaml", content["items"][2:])):
        padding = filler * (limit // 200 + 1)
        (tmp_path / name).write_text(yaml.safe_dump({"items": items}) + padding, encoding="utf-8")
        assert (tmp_path / name).stat().st_size < limit
    assert "the limit is" in refuse(tmp_path)


@pytest.mark.parametrize("data", [b"", b"  \n\n", b"# nothing but a comment\n", b"~\n"], ids=repr)
def test_empty_yaml_file_is_refused(app_ctx, tmp_path, data):
    path = tmp_path / "empty.yaml"
    path.write_bytes(data)
    assert "empty.yaml: file is empty" in refuse(path)


def test_json_null_is_refused(app_ctx, tmp_path):
    path = tmp_path / "null.json"
    path.write_text("null", encoding="utf-8")
    assert "null.json: file is empty" in refuse(path)


def test_empty_item_file_in_a_directory_is_refused(app_ctx, tmp_path):
    content = good_content()
    write(tmp_path / "checklist.yaml", {"checklist": content["checklist"], "files": ["items.yaml", "notes.yaml"]})
    write(tmp_path / "items.yaml", {"items": content["items"]})
    (tmp_path / "notes.yaml").write_text("# to be written\n", encoding="utf-8")
    assert "notes.yaml: file is empty" in refuse(tmp_path)


def test_control_character_in_json_escape_is_refused(app_ctx, tmp_path):
    content = good_content()
    content["items"][1]["questions"][0] = "Who owns it?\u0000"
    path = tmp_path / "nul.json"
    path.write_text(json.dumps(content), encoding="utf-8")
    assert "nul.json: items[1].questions[0]: contains control characters" in refuse(path)


def test_missing_path_is_refused(app_ctx, tmp_path):
    assert "nowhere.yaml: no such file or directory" in refuse(tmp_path / "nowhere.yaml")


def test_directory_without_manifest_is_refused(app_ctx, tmp_path):
    write(tmp_path / "items.yaml", {"items": good_content()["items"]})
    assert "directory has no checklist.yaml manifest" in refuse(tmp_path)


def test_every_problem_is_reported_not_just_the_first(app_ctx, tmp_path):
    content = good_content()
    content["items"][1]["parent"] = "MISSING"
    content["items"][2]["questions"] = ["Only this one"]
    content["items"][2]["related"] = ["R-404"]
    message = refuse(write(tmp_path / "many.yaml", content))
    assert "item R-1: unknown parent 'MISSING'" in message
    assert "item R-2: an auditable item needs at least 3 questions" in message
    assert "item R-2: related id 'R-404' is not in the checklist" in message


# ------------------------------------------------------------------ good files


def test_loading_twice_is_idempotent(app_ctx):
    first = checklists.load_path(CORPUS / "good.yaml", actor=None)
    db.session.commit()
    before = counts()
    second = checklists.load_path(CORPUS / "good.yaml", actor=None)
    db.session.commit()
    assert (first.outcome, second.outcome) == ("created", "unchanged")
    assert second.version.id == first.version.id
    assert len(second.version.items) == 3
    assert counts() == before
    assert before["ChecklistItem"] == 3
    assert before["ChecklistVersion"] == 1


def test_changed_content_refreshes_an_unlocked_version(app_ctx, tmp_path):
    path = write(tmp_path / "list.yaml", good_content())
    first = checklists.load_path(path, actor=None)
    db.session.commit()
    old_hash = first.version.content_hash
    content = good_content()
    content["items"][1]["title"] = "First requirement, reworded"
    write(path, content)
    second = checklists.load_path(path, actor=None)
    db.session.commit()
    assert second.outcome == "refreshed"
    assert second.version.id == first.version.id
    assert second.version.content_hash != old_hash
    titles = db.session.scalars(sa.select(ChecklistItem.title).order_by(ChecklistItem.position)).all()
    assert titles == ["Group", "First requirement, reworded", "Second requirement"]
    assert counts()["ChecklistVersion"] == 1
    assert counts()["ChecklistItem"] == 3  # the old rows were replaced, not kept beside the new ones


def test_changed_content_is_refused_for_a_locked_version(app_ctx, tmp_path):
    path = write(tmp_path / "list.yaml", good_content())
    version = checklists.load_path(path, actor=None).version
    version.locked = True
    db.session.commit()
    old_hash = version.content_hash
    before = counts()
    content = good_content()
    content["items"][1]["title"] = "Quietly changed"
    write(path, content)
    with pytest.raises(Conflict, match="new version number"):
        checklists.load_path(path, actor=None)
    db.session.rollback()
    assert counts() == before
    version = db.session.scalar(sa.select(ChecklistVersion))
    assert version.content_hash == old_hash
    assert "Quietly changed" not in db.session.scalars(sa.select(ChecklistItem.title)).all()


def test_same_content_reloads_into_a_locked_version(app_ctx):
    version = checklists.load_path(CORPUS / "good.yaml", actor=None).version
    version.locked = True
    db.session.commit()
    assert checklists.load_path(CORPUS / "good.yaml", actor=None).outcome == "unchanged"


def test_new_version_number_loads_side_by_side(app_ctx, tmp_path):
    path = write(tmp_path / "list.yaml", good_content())
    old = checklists.load_path(path, actor=None).version
    old.locked = True
    db.session.commit()
    content = good_content()
    content["checklist"]["version"] = "2"
    content["items"].append({**content["items"][2], "id": "R-3", "title": "Third requirement"})
    write(path, content)
    new = checklists.load_path(path, actor=None)
    db.session.commit()
    assert new.outcome == "created"
    versions = db.session.scalars(sa.select(ChecklistVersion).order_by(ChecklistVersion.id)).all()
    assert [(v.version, len(v.items)) for v in versions] == [("1", 3), ("2", 4)]
    assert len({v.checklist_id for v in versions}) == 1
    assert counts()["Checklist"] == 1


def test_content_hash_is_stable_and_follows_the_text(app, app_ctx, tmp_path):
    limit = app.config["CHECKLIST_MAX_BYTES"]
    path = CORPUS / "good.yaml"
    first = checklists.load_path(path, actor=None).version.content_hash
    db.session.commit()
    assert parse_path(path, max_bytes=limit).content_hash == first
    assert checklists.load_path(path, actor=None).version.content_hash == first
    # The same content written as JSON has the same hash: the hash is of the content, not the bytes.
    as_json = tmp_path / "good.json"
    as_json.write_text(json.dumps(good_content(), indent=1), encoding="utf-8")
    assert parse_path(as_json, max_bytes=limit).content_hash == first
    content = good_content()
    content["items"][2]["questions"][0] = "Who really owns it"
    changed = parse_path(write(tmp_path / "changed.yaml", content), max_bytes=limit).content_hash
    assert changed != first
    assert len(changed) == len(first) == 64


def test_custom_ai_policy_example_loads(app_ctx):
    result = checklists.load_path(EXAMPLE, actor=None)
    db.session.commit()
    version = result.version
    assert result.outcome == "created"
    assert version.checklist.code == "northbridge-ai-policy"
    assert version.version == "1.0"
    refs = [item.ref for item in version.items]
    assert refs == ["POL"] + [f"POL-{n}" for n in range(1, 9)]
    auditable = [item for item in version.items if item.auditable]
    assert len(auditable) == 8
    assert all(item.kind.value == "requirement" and item.depth == 1 for item in auditable)
    assert all(len(item.questions) >= 3 for item in auditable)
    assert all(any(item.evidence.values()) for item in auditable)
    assert checklists.load_path(EXAMPLE, actor=None).outcome == "unchanged"
