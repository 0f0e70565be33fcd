"""Sample pages, part 5: evidence offered once per page, the stored re-performance verdict and its check on demand,
and picks with control characters.

The page of an audit with many evidence entries must not grow with rows times entries: the evidence is one datalist the
rows' fields refer to. Re-performance is checked at the draw and when a team auditor asks, never on a view.
"""

from __future__ import annotations

import html
import re
from datetime import date

import pytest
import sqlalchemy as sa

from audit_app.extensions import db
from audit_app.models import Activity, ChecklistResponse, Evidence, EvidenceMethod, EvidenceMode, Sample
from audit_app.services.sampling import reperformance
from tests.fixtures.sample_pages import base, create, draw, items_of, record, set_size, text, typed

ENTRIES = 300


@pytest.fixture
def drawn(client, app, sample_world, login) -> int:
    """A drawn whole-population sample of 60 typed units in an audit with ENTRIES more evidence entries."""
    login(sample_world.auditor_id)
    with app.app_context():
        responses = list(
            db.session.scalars(sa.select(ChecklistResponse).where(ChecklistResponse.audit_id == sample_world.audit_id))
        )
        db.session.add_all(
            Evidence(
                audit_id=sample_world.audit_id,
                response_id=responses[n % len(responses)].id,
                method=EvidenceMethod.RECORD_REVIEW,
                mode=EvidenceMode.ON_SITE,
                source=f"Change ticket CHG-{n}",
                evidence_date=date(2026, 3, 2),
                recorded_by_id=sample_world.auditor_id,
            )
            for n in range(ENTRIES)
        )
        db.session.commit()
    sample_id = create(client, sample_world)
    assert typed(client, sample_world, sample_id, "\n".join(f"K{i:03d}" for i in range(60))).status_code == 302
    assert set_size(client, sample_world, sample_id, method="whole_population").status_code == 302
    assert draw(client, sample_world, sample_id).status_code == 302
    return sample_id


def test_the_evidence_is_offered_once_per_page_not_once_per_row(client, sample_world, drawn):
    page = text(client.get(f"{base(sample_world)}/{drawn}"))
    assert page.count("<datalist") == 1
    assert page.count('<option value="E') == ENTRIES + 1  # every entry once (and the sample world's own entry)
    fields = re.findall(r'<input type="text" id="i(\d+)-evidence" name="evidence-\d+" list="evidence-options"', page)
    assert len(fields) == 50  # one field per row on the page, each referring to the one list
    for item_id in fields[:3]:  # each labelled, and described by the list's hint
        assert f'<label class="visually-hidden" for="i{item_id}-evidence">Evidence for ' in page
    assert 'aria-describedby="evidence-options-hint"' in page
    assert len(page.encode()) < 200_000  # it was rows times entries options (8.9 MB for 2,000 entries)


def test_evidence_is_chosen_by_its_reference_and_shown_on_the_row(client, app, sample_world, drawn):
    item = items_of(app, drawn)[0]
    page = text(client.get(f"{base(sample_world)}/{drawn}"))
    offered = html.unescape(re.search(r'<option value="(E\d+ [^"]*)">', page).group(1))
    response = record(client, sample_world, drawn, item["id"], "conforming", evidence_id=offered)
    assert response.status_code == 302
    chosen = int(offered.split()[0][1:])
    with app.app_context():
        assert db.session.scalars(sa.select(Evidence.id).where(Evidence.id == chosen)).one() == chosen
        assert db.session.get(Sample, drawn).items[0].evidence_id == chosen
    page = html.unescape(text(client.get(f"{base(sample_world)}/{drawn}")))
    assert f'id="i{item["id"]}-evidence" name="evidence-{item["id"]}" list="evidence-options" value="{offered}"' in page
    # A plain number still works (what the page sent before), anything else is refused on the row.
    assert record(client, sample_world, drawn, item["id"], "conforming", evidence_id=str(chosen)).status_code == 302
    refused = record(client, sample_world, drawn, item["id"], "conforming", evidence_id="the release log")
    assert refused.status_code == 400
    assert "Choose evidence recorded in this audit." in text(refused)
    other_audit = record(client, sample_world, drawn, item["id"], "conforming", evidence_id="E999999")
    assert other_audit.status_code == 400
    assert "Choose evidence recorded in this audit." in text(other_audit)


def test_the_evidence_of_the_samples_own_items_comes_first(client, app, sample_world, drawn):
    with app.app_context():
        sample = db.session.get(Sample, drawn)
        own = {i.id for i in sample.checklist_items}
        first_entry = db.session.scalar(
            sa.select(Evidence.id)
            .join(ChecklistResponse, Evidence.response_id == ChecklistResponse.id)
            .where(ChecklistResponse.checklist_item_id.in_(own))
            .order_by(Evidence.id)
        )
    page = text(client.get(f"{base(sample_world)}/{drawn}"))
    assert re.search(r'<option value="E(\d+) ', page).group(1) == str(first_entry)


def test_a_view_shows_the_stored_verdict_and_a_team_auditor_checks_it_again(
    client, app, sample_world, drawn, login, monkeypatch
):
    calls = []
    real = reperformance.check_reperformance
    monkeypatch.setattr(reperformance, "check_reperformance", lambda sample: calls.append(sample.id) or real(sample))
    for _ in range(3):
        page = text(client.get(f"{base(sample_world)}/{drawn}"))
    assert calls == []  # views never re-perform
    assert "same selection ✓" in page
    assert "Check re-performance again" in page

    response = client.post(f"{base(sample_world)}/{drawn}/reperformance")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("#selection")
    assert calls == [drawn]
    with app.app_context():
        sample = db.session.get(Sample, drawn)
        assert (sample.reperformed, sample.reperformed_sha256) == (True, sample.population_hash)
        assert sample.reperformed_by_id == sample_world.auditor_id
        checks = db.session.scalars(sa.select(Activity).where(Activity.action == "sample.reperformed")).all()
        assert [c.details["same"] for c in checks] == [True]


def test_observers_and_administrators_off_the_team_do_not_check_again(client, app, sample_world, drawn, login):
    for who in (sample_world.observer_id, sample_world.admin_id):
        login(who)
        assert "Check re-performance again" not in text(client.get(f"{base(sample_world)}/{drawn}"))
        assert client.post(f"{base(sample_world)}/{drawn}/reperformance").status_code == 403
    login(sample_world.auditor_id)
    undrawn = create(client, sample_world)
    assert client.post(f"{base(sample_world)}/{undrawn}/reperformance").status_code == 409


def test_a_control_character_in_a_pick_is_refused_on_the_draw_form(client, app, sample_world, login):
    login(sample_world.auditor_id)
    sample_id = create(client, sample_world)
    typed(client, sample_world, sample_id, "AR-1\nAR-2\nAR-3")
    assert set_size(client, sample_world, sample_id, method="judgemental").status_code == 302
    for picks, code in (("AR-2: largest\x00change", "U+0000"), ("AR-1: moved\x0bteams", "U+000B")):
        response = draw(client, sample_world, sample_id, picks=picks)
        assert response.status_code == 400
        assert code in html.unescape(text(response))
        assert items_of(app, sample_id) == []
    # A pasted line separator inside a rationale stays in that rationale: it does not start another pick.
    assert draw(client, sample_world, sample_id, picks="AR-2: largest\u2028change of the year").status_code == 302
    assert [i["key"] for i in items_of(app, sample_id)] == ["AR-2"]
