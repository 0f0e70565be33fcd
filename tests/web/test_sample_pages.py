"""Sample pages, part 1: the full journey of a statistical sample, judgemental samples, and the stage rules.

The world (an audit in fieldwork with its team) is built with the planning factories; everything the auditor does
goes through the pages, and results are read back from the database in a fresh app context. Expected sizes,
selections and limits are derived independently (math.comb, random.Random) wherever that is practical.
The `sample_world` fixture and the helpers are in tests/fixtures/sample_pages.py.
"""

from __future__ import annotations

import csv
import hashlib
import html
import io
import math
import random
from fractions import Fraction

import sqlalchemy as sa
from scipy.stats import hypergeom

from audit_app.extensions import db
from audit_app.models import (
    Activity,
)
from audit_app.services.sampling.maths import FREQUENCY_TABLE_NOTE
from audit_app.services.sampling.samples import limit_percent
from tests.fixtures.sample_pages import (
    base,
    create,
    draw,
    hypergeometric_size,
    items_of,
    record,
    set_size,
    state,
    text,
    typed,
    upload,
)

# --- The journey ------------------------------------------------------------------------------------------------

N = 200
IDS = [f"REL-{i:03d}" for i in range(N, 0, -1)]  # file order is not the frozen order
SEED = 20260302


def release_csv() -> bytes:
    rows = ["release_id;model;team"] + [f"{r};Model {r[-3:]};{'Risk' if int(r[-3:]) % 2 else 'Ops'}" for r in IDS]
    return ("\n".join(rows) + "\n").encode("utf-8")


def test_full_journey_from_sample_to_proposed_finding(client, app, sample_world, login):
    login(sample_world.auditor_id)
    page = text(client.get(base(sample_world)))
    assert "New sample" in page
    assert "No samples yet." in page
    sample_id = create(client, sample_world)
    assert client.get(f"{base(sample_world)}/{sample_id}/population").status_code == 200

    # Population: a semicolon CSV with a column mapping.
    uploaded = upload(
        client,
        sample_world,
        sample_id,
        release_csv(),
        id_column="release_id",
        label_column="model",
        stratum_column="team",
    )
    assert uploaded.status_code == 302
    assert uploaded.headers["Location"].endswith(f"/samples/{sample_id}")
    page = text(client.get(f"{base(sample_world)}/{sample_id}"))
    frozen = sorted(IDS)
    assert hashlib.sha256("\n".join(frozen).encode()).hexdigest() in page
    assert '<dd id="population-size">200</dd>' in page
    assert "Count matches the CI/CD log" in page
    assert "Release register export" in page
    assert "<code>release_id</code>" in page
    assert "Ops, Risk" in page

    # Size: attribute sampling at 90% / 10% / 0% with the exact finite-population correction.
    sized = set_size(
        client, sample_world, sample_id, method="simple_random", basis="attribute",
        confidence="90", tolerable_rate="10", expected_rate="0", use_fpc="y",
    )  # fmt: skip
    assert sized.status_code == 302, text(sized)
    n = hypergeometric_size(N, Fraction(1, 10), Fraction(9, 10))
    assert n < math.ceil(math.log(0.1) / math.log(0.9))  # the correction makes it smaller than the binomial 22
    assert state(app, sample_id)["sample_size"] == n

    # Draw with a given seed: the selection is the front of Random(seed)'s permutation of the sorted ids.
    assert draw(client, sample_world, sample_id, seed=str(SEED)).status_code == 302
    stream = random.Random(SEED).sample(range(N), N)
    items = items_of(app, sample_id)
    assert [i["key"] for i in items] == [frozen[j] for j in stream[:n]]
    page = text(client.get(f"{base(sample_world)}/{sample_id}"))
    assert f'<code id="seed">{SEED}</code>' in page
    assert "Mersenne Twister" in page
    assert "Re-performed from the snapshot with the same seed: same selection ✓" in page
    assert "Exact finite-population size" in page
    assert "Confidence: 90%" in page

    # Results: the first item is void (a replacement comes from the same stream), three deviate.
    first, deviating = items[0], items[1:4]
    replaced = record(client, sample_world, sample_id, first["id"], "void", note="Release record voided")
    assert replaced.status_code == 302
    replacement_key = frozen[stream[n]]
    page = text(client.get(replaced.headers["Location"]))
    assert f"Replacement drawn from the same seeded stream: {replacement_key}" in page
    assert f"replaces {first['key']}" in page
    assert f"replaced by {replacement_key}" in page
    for item in deviating:
        response = record(
            client, sample_world, sample_id, item["id"], "deviation", "No sign-off", str(sample_world.evidence_id)
        )
        assert response.status_code == 302
    for item in [i for i in items_of(app, sample_id) if i["result"] == "pending"]:
        assert record(client, sample_world, sample_id, item["id"], "conforming").status_code == 302
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).where(Activity.action == "sample.replacement_drawn")) == 1

    # Evaluation: the exact upper limit and the proposed finding with the ratio.
    evaluated = client.post(f"{base(sample_world)}/{sample_id}/evaluate")
    assert evaluated.status_code == 302
    page = html.unescape(text(client.get(f"{base(sample_world)}/{sample_id}")))
    # Sized with the finite-population correction, so evaluated with the exact hypergeometric limit (scipy).
    defects = max(d for d in range(N + 1) if hypergeom.cdf(3, N, d, n) > 0.1 + 1e-12)
    upper = defects / N
    assert f"{limit_percent(upper)}</abbr>" in page
    assert f"Unrounded: {upper}" in page
    assert f"({defects} of {N})" in page
    assert "the control cannot be relied on" in page
    assert "A finding is proposed once what the deviations mean is recorded." in page
    interpreted = client.post(
        f"{base(sample_world)}/{sample_id}/interpretation",
        data={"cause": "Sign-off step skipped under deadline pressure", "nature": "systemic"},
    )
    assert interpreted.status_code == 302, text(interpreted)
    page = html.unescape(text(client.get(f"{base(sample_world)}/{sample_id}")))
    assert f"3 of {n} sampled model releases did not meet A1" in page
    assert "judged systemic: Sign-off step skipped under deadline pressure" in page
    assert "Proposed finding" in page
    assert "Raise as finding" in page  # the proposed finding becomes a draft finding
    assert "Release log v3" in page  # the evidence linked to the deviations
    listing = text(client.get(base(sample_world)))
    assert f"{n} of {n + 1}" in listing
    assert "Evaluated" in listing

    # The audit's lead auditor signs the evaluated sample off (the auditor is offered no sign-off).
    assert "Sign off the sample" not in page
    login(sample_world.lead_id)
    assert "Sign off the sample" in text(client.get(f"{base(sample_world)}/{sample_id}"))
    signed = client.post(f"{base(sample_world)}/{sample_id}/sign-off")
    assert signed.status_code == 302
    assert "✓ Signed off" in text(client.get(f"{base(sample_world)}/{sample_id}"))
    assert client.post(f"{base(sample_world)}/{sample_id}/sign-off").status_code == 409
    login(sample_world.auditor_id)

    # The export carries the replacement and the testers, spreadsheet-safe.
    export = client.get(f"{base(sample_world)}/{sample_id}/export.csv")
    assert export.headers["Content-Disposition"].startswith("attachment;")
    rows = list(csv.reader(io.StringIO(export.data.decode("utf-8-sig"))))
    header = ["draw order", "id", "label", "stratum", "result", "note", "replaces", "tested by", "tested at"]
    assert rows[0][:9] == header
    assert rows[0][9].startswith("A1")  # one column per attribute tested
    assert len(rows[0]) == 10
    assert rows[-1][9] == rows[-1][4]  # the one attribute's result is the item's
    assert rows[-1][1] == replacement_key
    assert rows[-1][6] == first["key"]
    assert rows[-1][7] == "Ava Auditor"
    assert rows[1][4] == "Void or outside the population (replaced)"
    assert rows[1][5] == "Release record voided"


def test_redraw_and_changes_after_the_draw_are_refused(client, app, sample_world, login):
    login(sample_world.auditor_id)
    sample_id = create(client, sample_world)
    assert typed(client, sample_world, sample_id, "A, one\nB, two\nC, three\nD, four").status_code == 302
    assert set_size(client, sample_world, sample_id, method="systematic", basis="manual", manual_size="2",
                    rationale="Two of four: walkthrough").status_code == 302  # fmt: skip
    assert draw(client, sample_world, sample_id, seed="7").status_code == 302
    start = random.Random(7).random() * 2  # interval k = 4 / 2
    assert [i["key"] for i in items_of(app, sample_id)] == ["ABCD"[math.floor(start)], "ABCD"[math.floor(start + 2)]]
    page = text(client.get(f"{base(sample_world)}/{sample_id}"))
    assert f"Interval k = N/n = 2.0000; random start r = {start:.4f}" in page
    before = state(app, sample_id)
    again = draw(client, sample_world, sample_id, seed="8")
    assert again.status_code == 409
    assert "never re-drawn" in text(again)
    assert typed(client, sample_world, sample_id, "X\nY").status_code == 409
    assert set_size(client, sample_world, sample_id, method="whole_population").status_code == 409
    assert state(app, sample_id) == before
    assert before["seed"] == 7


def test_results_after_the_evaluation_are_refused(client, app, sample_world, login):
    login(sample_world.auditor_id)
    sample_id = create(client, sample_world)
    typed(client, sample_world, sample_id, "A\nB\nC")
    set_size(client, sample_world, sample_id, method="whole_population")
    draw(client, sample_world, sample_id)
    items = items_of(app, sample_id)
    pending = client.post(f"{base(sample_world)}/{sample_id}/evaluate")
    assert pending.status_code == 409
    assert "still pending: A, B, C" in text(pending)
    for item in items:
        record(client, sample_world, sample_id, item["id"], "conforming")
    assert client.post(f"{base(sample_world)}/{sample_id}/evaluate").status_code == 302
    late = record(client, sample_world, sample_id, items[0]["id"], "deviation", "late")
    assert late.status_code == 409
    assert "before the evaluation" in text(late)
    assert items_of(app, sample_id)[0]["result"] == "conforming"
    assert client.post(f"{base(sample_world)}/{sample_id}/evaluate").status_code == 409


def test_an_unexaminable_item_needs_a_note_shown_on_its_row(client, app, sample_world, login):
    login(sample_world.auditor_id)
    sample_id = create(client, sample_world)
    typed(client, sample_world, sample_id, "A\nB\nC")
    set_size(client, sample_world, sample_id, method="simple_random", basis="manual", manual_size="1", rationale="one")
    draw(client, sample_world, sample_id, seed="1")
    item = items_of(app, sample_id)[0]
    refused = record(client, sample_world, sample_id, item["id"], "not_testable")
    assert refused.status_code == 400
    page = html.unescape(text(refused))
    assert "Say why the item cannot be examined" in page
    assert "Nothing was saved: 1 row refused" in page
    assert len(items_of(app, sample_id)) == 1
    assert items_of(app, sample_id)[0]["result"] == "pending"


# --- Judgemental samples ----------------------------------------------------------------------------------------


def test_judgemental_sample_shows_no_statistical_confidence(client, app, sample_world, login):
    login(sample_world.auditor_id)
    sample_id = create(client, sample_world, unit="access reviews")
    typed(client, sample_world, sample_id, "AR-1, Q1 review\nAR-2, Q2 review\nAR-3, Q3 review\nAR-4, Q4 review")
    assert set_size(client, sample_world, sample_id, method="judgemental").status_code == 302
    page = text(client.get(f"{base(sample_world)}/{sample_id}"))
    assert "Units picked, with the reason for each" in page
    assert "Seed (optional)" not in page
    picks = "AR-2: largest change of the year\nAR-4: after the reorganisation"
    assert draw(client, sample_world, sample_id, picks=picks).status_code == 302
    items = items_of(app, sample_id)
    assert [i["key"] for i in items] == ["AR-2", "AR-4"]
    page = text(client.get(f"{base(sample_world)}/{sample_id}"))
    assert "largest change of the year" in page
    assert "JUDGEMENTAL" in page
    assert "same selection ✓" in page
    assert "None (not a random selection)" in page
    record(client, sample_world, sample_id, items[0]["id"], "deviation", "Not signed")
    record(client, sample_world, sample_id, items[1]["id"], "conforming")
    client.post(f"{base(sample_world)}/{sample_id}/evaluate")
    page = html.unescape(text(client.get(f"{base(sample_world)}/{sample_id}")))
    assert "A judgemental sample gives no statistical confidence" in page
    assert "Upper deviation limit" not in page
    assert 'id="upper-limit"' not in page
    assert "Confidence:" not in page
    assert "1 of 2 items deviated" in page


def test_frequency_basis_is_labelled_judgemental_without_confidence(client, app, sample_world, login):
    login(sample_world.auditor_id)
    sample_id = create(client, sample_world)
    typed(client, sample_world, sample_id, "\n".join(f"M-{i:02d}" for i in range(1, 13)))
    form = text(client.get(f"{base(sample_world)}/{sample_id}/size"))
    assert "Control-frequency guidance: <strong>judgemental</strong>" in form
    assert FREQUENCY_TABLE_NOTE in form
    sized = set_size(
        client, sample_world, sample_id, method="simple_random", basis="frequency", frequency="monthly", risk="high"
    )
    assert sized.status_code == 302
    assert state(app, sample_id)["sample_size"] == 5
    page = text(client.get(f"{base(sample_world)}/{sample_id}"))
    assert "JUDGEMENTAL (non-statistical)" in page
    assert FREQUENCY_TABLE_NOTE in page
    assert "Confidence:" not in page
    assert "Statistical</span>" not in page


def test_size_errors_appear_next_to_their_fields(client, app, sample_world, login, field_errors):
    login(sample_world.auditor_id)
    sample_id = create(client, sample_world)
    typed(client, sample_world, sample_id, "A\nB\nC")
    refused = set_size(client, sample_world, sample_id, method="simple_random", basis="attribute",
                       confidence="95", tolerable_rate="5", expected_rate="5")  # fmt: skip
    assert refused.status_code == 400
    assert field_errors(text(refused), "expected_rate") == ["must be below the tolerable rate"]
    shape = set_size(client, sample_world, sample_id, method="simple_random", basis="attribute",
                     confidence="150", tolerable_rate="abc")  # fmt: skip
    assert shape.status_code == 400
    assert field_errors(text(shape), "confidence") == ["Enter a percentage above 0 and below 100."]
    assert field_errors(text(shape), "tolerable_rate") == ["Enter a number of percent, such as 95 or 2.5."]
    manual = set_size(
        client, sample_world, sample_id, method="systematic", basis="manual", manual_size="9", rationale="x"
    )
    assert manual.status_code == 400
    assert field_errors(text(manual), "manual_size") == ["Give a sample size from 1 to 3."]
    assert state(app, sample_id)["method"] is None


def test_fixed_allocation_and_a_whole_interval_through_the_pages(client, app, sample_world, login):
    login(sample_world.auditor_id)
    stratified = create(client, sample_world)
    lines = "id,tier\n" + "\n".join(f"S-{i:02d},{'high' if i <= 5 else 'low'}" for i in range(1, 21))
    assert (
        upload(client, sample_world, stratified, lines.encode(), id_column="id", stratum_column="tier").status_code
        == 302
    )
    page = text(client.get(f"{base(sample_world)}/{stratified}/size"))
    assert "Strata of this population: high, low." in page
    refused = set_size(client, sample_world, stratified, method="stratified", basis="manual", manual_size="4",
                       rationale="Risk", allocation="fixed", fixed_sizes="high: three")  # fmt: skip
    assert refused.status_code == 400
    assert "stratum: n" in html.unescape(text(refused))
    sized = set_size(client, sample_world, stratified, method="stratified", basis="manual", manual_size="4",
                     rationale="Risk", allocation="fixed", fixed_sizes="high: 3\nlow: 2")  # fmt: skip
    assert sized.status_code == 302, text(sized)
    assert state(app, stratified)["sample_size"] == 5
    assert 'id="allocation">Fixed: high 3, low 2' in text(client.get(f"{base(sample_world)}/{stratified}"))

    systematic = create(client, sample_world)
    typed(client, sample_world, systematic, "\n".join(f"K-{i:02d}" for i in range(1, 21)))
    set_size(client, sample_world, systematic, method="systematic", basis="manual", manual_size="4", rationale="x")
    page = text(client.get(f"{base(sample_world)}/{systematic}"))
    assert "k = N/n rounded down is 5" in page
    assert draw(client, sample_world, systematic, seed="3", interval="5", start="2").status_code == 302
    assert [i["key"] for i in items_of(app, systematic)] == ["K-02", "K-07", "K-12", "K-17"]
    assert "Interval k = 5; random start r = 2 (given by the auditor)" in text(
        client.get(f"{base(sample_world)}/{systematic}")
    )


def test_the_export_has_a_column_per_attribute(client, app, sample_world, login):
    login(sample_world.auditor_id)
    response = client.post(
        f"{base(sample_world)}/new",
        data={
            "title": "Model changes are approved and tested",
            "attribute": "Each change is approved and tested before release",
            "attributes": "Approved before release\nRegression tests passed",
            "checklist_item_ids": [str(sample_world.item_ids["8.4"])],
        },
    )
    assert response.status_code == 302
    sample_id = int(response.headers["Location"].split("/samples/")[1].split("/")[0])
    typed(client, sample_world, sample_id, "A\nB")
    set_size(client, sample_world, sample_id, method="whole_population")
    draw(client, sample_world, sample_id)
    first, second = items_of(app, sample_id)
    cells = {f"r-{first['id']}-A1": "conforming", f"r-{first['id']}-A2": "deviation", f"note-{first['id']}": "No run"}
    cells |= {f"r-{second['id']}-A1": "conforming", f"r-{second['id']}-A2": "conforming"}
    saved = client.post(
        f"{base(sample_world)}/{sample_id}/results", data={"item": [str(first["id"]), str(second["id"])], **cells}
    )
    assert saved.status_code == 302, text(saved)
    export = client.get(f"{base(sample_world)}/{sample_id}/export.csv")
    rows = list(csv.reader(io.StringIO(export.data.decode("utf-8-sig"))))
    assert rows[0][9:] == ["A1 Approved before release", "A2 Regression tests passed"]
    assert rows[1][9:] == ["Conforming", "Deviation"]
    assert rows[1][4] == "Deviation"  # the item's result: any deviating attribute
    assert rows[2][9:] == ["Conforming", "Conforming"]
