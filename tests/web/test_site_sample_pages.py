"""The IAF MD 1 mixed site selection through the sample pages: the share on the size form, the random part shown
before the auditor picks, the picks with their reasons on the draw form, and the record after the draw."""

from __future__ import annotations

import html
import random

from tests.fixtures.sample_pages import base, create, draw, grid_row, items_of, record_grid, set_size, state, text

SITES = [f"SITE-{i:02d}" for i in range(1, 11)]  # 10 sites: initial certification visits ceil(sqrt(10)) = 4


def site_sample(client, world) -> int:
    sample_id = create(client, world, unit="sites")
    population = {
        "source": "typed",
        "typed": "\n".join(SITES),
        "description": "Site register, 2 Mar 2026",
        "completeness_check": "Reconciled to the register",
        "sites": "y",
    }
    assert client.post(f"{base(world)}/{sample_id}/population", data=population).status_code == 302
    return sample_id


def size_fields(share: str) -> dict:
    return {
        "method": "simple_random",
        "basis": "site_rule",
        "kind": "initial",
        "central_function": "Head office",
        "random_share": share,
    }


def test_mixed_site_selection_through_the_pages(client, app, sample_world, login):
    login(sample_world.auditor_id)
    sample_id = site_sample(client, sample_world)
    form = text(client.get(f"{base(sample_world)}/{sample_id}/size"))
    assert 'name="random_share"' in form
    assert "at least 25 %" in html.unescape(form)

    refused = set_size(client, sample_world, sample_id, **size_fields("20"))
    assert refused.status_code == 400
    assert "at least 25%" in html.unescape(text(refused))
    assert state(app, sample_id)["method"] is None
    not_whole = set_size(client, sample_world, sample_id, **size_fields("half"))
    assert not_whole.status_code == 400
    assert "Enter a whole percentage from 25 to 100." in html.unescape(text(not_whole))

    assert set_size(client, sample_world, sample_id, **size_fields("50")).status_code == 302
    seed = state(app, sample_id)["seed"]
    assert seed is not None
    randoms = [SITES[i] for i in random.Random(seed).sample(range(10), 10)[:2]]  # ceil(4 * 50%) = 2
    page = html.unescape(text(client.get(f"{base(sample_world)}/{sample_id}")))
    assert "drawn at random: 50% (2 sites); chosen by the auditor on risk: 2 sites" in page
    assert f"Drawn at random with seed <code>{seed}</code>" in page
    assert all(key in page for key in randoms)
    assert "Choose 2 other site(s) on risk" in page

    others = [key for key in SITES if key not in randoms]
    clash = draw(client, sample_world, sample_id, picks=f"{randoms[0]}: high risk\n{others[0]}: high risk")
    assert clash.status_code == 400
    assert "already drawn at random" in html.unescape(text(clash))
    assert state(app, sample_id)["items"] == 0

    picks = f"{others[0]}: new credit model in production\n{others[1]}: complaints about the chatbot"
    assert draw(client, sample_world, sample_id, picks=picks).status_code == 302
    items = items_of(app, sample_id)
    assert [i["key"] for i in items] == [*randoms, others[0], others[1]]
    page = html.unescape(text(client.get(f"{base(sample_world)}/{sample_id}")))
    assert "2 drawn at random from the seeded stream, 2 chosen by the auditor on risk" in page
    assert "new credit model in production" in page
    assert "complaints about the chatbot" in page
    assert "with the same seed and picks: same selection" in page

    rows = {
        i["id"]: grid_row(i["id"], "deviation" if n == 2 else "conforming", note="On site") for n, i in enumerate(items)
    }
    assert record_grid(client, sample_world, sample_id, rows).status_code == 302
    assert client.post(f"{base(sample_world)}/{sample_id}/evaluate").status_code == 302
    page = html.unescape(text(client.get(f"{base(sample_world)}/{sample_id}")))
    assert "2 site(s) tested were drawn at random and 2 chosen on risk (random share 50%)" in page
    assert f"Deviations at {others[0]} (chosen on risk): the organisation investigates" in page
