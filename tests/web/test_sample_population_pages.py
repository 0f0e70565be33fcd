"""Sample pages, part 2: opening a sample, populations (bad CSV input, a large file) and formula-looking cells.

A refused population answers 400, lists every problem the parser found and stores nothing: the sample keeps no
size, hash or snapshot, and no snapshot file is written.
"""

from __future__ import annotations

import csv
import hashlib
import html
import io
import re
from pathlib import Path

import pytest

from tests.fixtures.sample_pages import (
    base,
    create,
    draw,
    items_of,
    record,
    set_size,
    state,
    text,
    typed,
    upload,
)


def problems_on(page: str) -> list[str]:
    """The problems listed in the refusal summary, unescaped."""
    block = re.search(r'<div class="error-summary"[^>]*id="problems">(.*?)</div>', page, re.S)
    assert block is not None, "no refusal summary on the page"
    first_list = re.search(r"<ul>(.*?)</ul>", block.group(1), re.S).group(1)
    return [html.unescape(item).strip() for item in re.findall(r"<li>(.*?)</li>", first_list, re.S)]


def snapshots(app) -> list[Path]:
    folder = Path(app.instance_path) / "uploads" / "populations"
    return sorted(folder.iterdir()) if folder.exists() else []


@pytest.fixture
def sample_id(client, sample_world, login) -> int:
    login(sample_world.auditor_id)
    return create(client, sample_world)


def test_a_new_sample_needs_its_objective_and_in_scope_items(client, app, sample_world, login, field_errors):
    login(sample_world.auditor_id)
    form = text(client.get(f"{base(sample_world)}/new"))
    assert f'value="{sample_world.item_ids["8.4"]}"' in form
    refused = client.post(
        f"{base(sample_world)}/new", data={"title": "", "attribute": "x", "checklist_item_ids": "999999"}
    )
    assert refused.status_code == 400
    assert field_errors(text(refused), "title") == ["Give the sample a title."]
    refused = client.post(
        f"{base(sample_world)}/new", data={"title": "T", "attribute": "x", "checklist_item_ids": "999999"}
    )
    assert refused.status_code == 400
    assert field_errors(text(refused), "checklist_item_ids") == [
        "Choose one or more of the audit's in-scope clauses or controls."
    ]
    assert "No samples yet." in text(client.get(base(sample_world)))


BAD_FILES = {
    "latin-1": (
        "id,name\nA-1,Café crème\n".encode("latin-1"),
        {},
        ["The file is not UTF-8 text (byte 0xe9 at offset 15); save the file as UTF-8 CSV."],
    ),
    "missing id column": (
        b"ref,name\nA-1,one\n",
        {},
        ["The id column 'id' is not in the header row; columns found: ref, name."],
    ),
    "duplicated header column": (
        b"id,name,name\nA-1,one,two\n",
        {"label_column": "owner"},
        [
            "The header names a column more than once: name; each name must be unique.",
            "The label column 'owner' is not in the header row; columns found: id, name, name.",
        ],
    ),
    "duplicate ids": (
        b"id,name\nA-1,one\nA-2,two\nA-1,again\n,blank id\nA-2,twice\n",
        {},
        [
            "The id is empty on 1 line: 5.",
            "2 duplicate ids; each id must identify one unit: 'A-1' (lines 2, 4); 'A-2' (lines 3, 6).",
        ],
    ),
    "zero rows": (b"id,name\n", {}, ["The file has a header row but no data rows."]),
    "empty file": (b"", {}, ["The file is empty: it needs a header row naming the columns, then one row per unit."]),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_bad_csv_is_refused_with_every_problem_and_nothing_stored(case, client, app, sample_world, sample_id):
    data, mapping, expected = BAD_FILES[case]
    response = upload(client, sample_world, sample_id, data, **mapping)
    assert response.status_code == 400
    page = text(response)
    assert problems_on(page) == expected
    assert "The population was refused: nothing was stored" in page
    after = state(app, sample_id)
    assert after["population_size"] is None
    assert after["population_file"] == ""
    assert snapshots(app) == []


def test_missing_id_column_lists_the_columns_found(client, sample_world, sample_id):
    page = text(upload(client, sample_world, sample_id, b"release;model;owner\nR-1;m;o\n", id_column="release_id"))
    found = re.search(r'<ul class="columns-found">(.*?)</ul>', page, re.S).group(1)
    assert re.findall(r"<code>(.*?)</code>", found) == ["release", "model", "owner"]
    assert '<option value="release">' in page  # offered to the mapping fields


def test_a_csv_upload_needs_a_file_and_a_typed_list_needs_lines(client, app, sample_world, sample_id, field_errors):
    no_file = client.post(f"{base(sample_world)}/{sample_id}/population", data={"source": "csv", "id_column": "id"})
    assert no_file.status_code == 400
    assert field_errors(text(no_file), "csv") == ["Choose the CSV file to upload."]
    empty = typed(client, sample_world, sample_id, "\n  \n")
    assert empty.status_code == 400
    assert problems_on(text(empty)) == [
        "The list is empty: type one id per line, optionally followed by a comma and a label."
    ]
    assert state(app, sample_id)["population_size"] is None


def test_a_100000_row_csv_uploads(client, app, sample_world, sample_id):
    rows = "\n".join(f"TX-{i:06d},Transaction {i},{'Q' + str(i % 4 + 1)}" for i in range(100_000))
    data = f"id,label,quarter\n{rows}\n\n".encode()  # a trailing blank row is skipped with a warning
    response = upload(client, sample_world, sample_id, data, label_column="label", stratum_column="quarter")
    assert response.status_code == 302
    assert state(app, sample_id)["population_size"] == 100_000
    page = text(client.get(f"{base(sample_world)}/{sample_id}"))
    assert '<dd id="population-size">100,000</dd>' in page
    ids = sorted(f"TX-{i:06d}" for i in range(100_000))
    assert hashlib.sha256("\n".join(ids).encode()).hexdigest() in page
    assert "4: Q1, Q2, Q3, Q4" in page
    assert "<li>1 blank row skipped.</li>" in page
    assert len(snapshots(app)) == 1


FORMULAS = {
    "=1+2": '=HYPERLINK("http://evil.example","click")',
    "+SUM": "+1+1",
    "-3": "-2-2",
    "@risk": "@SUM(A1:A9)",
    "plain": "<script>alert(1)</script>",
}


def test_formula_cells_are_shown_escaped_and_exported_neutralised(client, app, sample_world, sample_id):
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["id", "label"])
    writer.writerows(FORMULAS.items())
    assert upload(client, sample_world, sample_id, buffer.getvalue().encode(), label_column="label").status_code == 302
    assert set_size(client, sample_world, sample_id, method="whole_population").status_code == 302
    assert draw(client, sample_world, sample_id).status_code == 302
    items = {i["key"]: i for i in items_of(app, sample_id)}
    record(client, sample_world, sample_id, items["=1+2"]["id"], "deviation", note="=cmd|' /C calc'!A0")

    page = text(client.get(f"{base(sample_world)}/{sample_id}"))
    assert "=HYPERLINK(&#34;http://evil.example&#34;,&#34;click&#34;)" in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script>alert" not in page
    for key, label in FORMULAS.items():
        assert html.escape(key, quote=True) in page
        assert html.escape(label, quote=True).replace("&#x27;", "&#39;").replace("&quot;", "&#34;") in page
    assert "=cmd|&#39; /C calc&#39;!A0" in page

    export = client.get(f"{base(sample_world)}/{sample_id}/export.csv")
    assert export.status_code == 200
    assert export.mimetype == "text/csv"
    assert export.data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(export.data.decode("utf-8-sig"))))
    by_key = {row[1]: row for row in rows[1:]}
    for key, label in FORMULAS.items():
        safe_key = key if key == "plain" else "'" + key
        assert safe_key in by_key, f"{key!r} exported as-is"
        assert by_key[safe_key][2] == (label if key == "plain" else "'" + label)
    assert by_key["'=1+2"][5] == "'=cmd|' /C calc'!A0"
    # No exported cell starts with a formula character.
    assert not [cell for row in rows for cell in row if cell[:1] in ("=", "+", "-", "@")]


# --- Refusals and failures leave no snapshot file (the storage removes files whose transaction did not commit) --


def test_a_refused_upload_writes_no_snapshot_file(client, app, sample_world, sample_id):
    data = b"id,label\nA,one\nB\x00,two\n"
    response = upload(client, sample_world, sample_id, data, label_column="label")
    assert response.status_code == 400
    assert any("U+0000" in problem for problem in problems_on(text(response)))
    refused_text = upload(client, sample_world, sample_id, b"id\nA\nB\n", description="pasted\x00from a terminal")
    assert refused_text.status_code == 400
    assert snapshots(app) == []
    assert state(app, sample_id)["population_file"] == ""


def test_a_failure_after_the_snapshot_is_written_leaves_no_file(client, app, sample_world, sample_id, monkeypatch):
    from audit_app.services.sampling import populations

    def fail(*args, **kwargs):
        raise RuntimeError("the activity trail is unavailable")

    monkeypatch.setattr(populations.activity, "record", fail)
    response = upload(client, sample_world, sample_id, b"id\nA\nB\n")
    assert response.status_code == 500
    assert snapshots(app) == []
    assert state(app, sample_id)["population_file"] == ""


def test_typed_lines_split_only_on_real_line_breaks(client, app, sample_world, sample_id):
    refused = typed(client, sample_world, sample_id, "A\x0bB\r\nC\u2028D")
    assert refused.status_code == 400
    assert problems_on(text(refused)) == [
        "Line 1 contains control characters (U+000B).",
        "Line 2 contains control characters or line separators (U+2028); type one unit per line, without them.",
    ]
    assert snapshots(app) == []
    assert typed(client, sample_world, sample_id, "A\r\nB\rC\n").status_code == 302
    assert state(app, sample_id)["population_size"] == 3
