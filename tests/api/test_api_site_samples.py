"""The IAF MD 1 mixed site selection over the API: the random share on PUT …/size, the random sites in the record
before the draw, the sites chosen on risk as `picks` at the draw, and re-performance."""

from __future__ import annotations

import random

from tests.fixtures.api_samples import new_sample

SITES = [f"SITE-{i:03d}" for i in range(1, 101)]  # 100 sites: surveillance visits ceil(0.6 * 10) = 6


def site_sample(client, base, world, headers) -> str:
    url = f"{base}/{new_sample(client, base, world, headers)['id']}"
    population = {
        "source": "typed",
        "typed": "\n".join(SITES),
        "sites": True,
        "completeness_check": "Reconciled to the site register.",
    }
    assert client.put(f"{url}/population", json=population, headers=headers).status_code == 200
    return url


SIZE = {"method": "simple_random", "basis": "site_rule", "sites_kind": "surveillance", "central_function": "HQ"}


def test_mixed_site_selection_over_the_api(client, base, world, auditor):
    url = site_sample(client, base, world, auditor)
    low = client.put(f"{url}/size", json={**SIZE, "random_share": 20}, headers=auditor)
    assert low.status_code == 422
    assert "random_share" in low.get_json()["errors"]["json"]

    sized = client.put(f"{url}/size", json={**SIZE, "random_share": 25}, headers=auditor).get_json()
    params = sized["size_parameters"]
    assert sized["sample_size"] == 6
    assert (params["random_share"], params["random_sites"], params["judgemental_sites"]) == (25, 2, 4)
    randoms = [SITES[i] for i in random.Random(sized["seed"]).sample(range(100), 100)[:2]]
    assert sized["random_sites"] == randoms

    others = [key for key in SITES if key not in randoms]
    picks = {key: f"risk: {key} runs the credit model" for key in others[:4]}
    refused = client.post(f"{url}/draw", json={"picks": {**picks, randoms[0]: "risk"}}, headers=auditor)
    assert refused.status_code == 422
    assert "already drawn at random" in refused.get_json()["errors"]["json"]["picks"][0]
    central = client.post(
        f"{url}/draw", json={"picks": {**dict(list(picks.items())[:3]), "HQ": "risk"}}, headers=auditor
    )
    assert central.status_code == 422
    assert "central function" in central.get_json()["errors"]["json"]["picks"][0]

    drawn = client.post(f"{url}/draw", json={"picks": picks}, headers=auditor)
    assert drawn.status_code == 201, drawn.get_json()
    record = drawn.get_json()
    assert [i["key"] for i in record["items"]] == [*randoms, *others[:4]]
    assert [i["rationale"] for i in record["items"]] == ["", "", *picks.values()]
    assert record["selection_params"]["random_n"] == 2
    assert record["selection_params"]["judgemental_n"] == 4
    assert record["random_sites"] == []
    assert record["reperformed"] is True
    again = client.post(f"{url}/reperformance", headers=auditor)
    assert again.status_code == 200
    assert again.get_json()["reperformed"] is True
