"""Sample pages, part 3: who may see and change samples, stage refusals, and the standalone calculator page.

Refused changes answer 403 and change nothing; the calculator answers 400 with the message next to the field it
concerns, never 500, and its figures are those of the sampling maths (and of independent formulas).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

import pytest
import sqlalchemy as sa

from audit_app.extensions import db
from audit_app.models import Audit, AuditStatus, PopulationSource, Sample, SampleMethod, SizeBasis, User
from audit_app.services.sampling import maths, populations, samples
from audit_app.services.sampling.samples import limit_percent
from tests.fixtures.sample_pages import (
    World,
    base,
    grid_row,
    hypergeometric_size,
    items_of,
    record,
    text,
)

CALCULATOR = "/audits/sampling/calculator"


@dataclass(frozen=True)
class Pair:
    draft_id: int  # population and size set, not drawn
    drawn_id: int  # drawn, results pending
    item_id: int  # an item of the drawn sample


@pytest.fixture
def pair(app, sample_world: World) -> Pair:
    """Two samples built through the services by the team's auditor."""
    with app.app_context():
        audit = db.session.get(Audit, sample_world.audit_id)
        auditor = db.session.get(User, sample_world.auditor_id)
        made = []
        for title in ("Draft sample", "Drawn sample"):
            sample = samples.create_sample(
                audit,
                samples.SampleData(title, "Signed off", "releases", (sample_world.item_ids["8.4"],)),
                actor=auditor,
            )
            populations.set_population(
                sample,
                populations.PopulationData(PopulationSource.TYPED, typed="A\nB\nC\nD", completeness_check="ok"),
                actor=auditor,
            )
            samples.set_size(
                sample,
                samples.SizeData(SampleMethod.SIMPLE_RANDOM, SizeBasis.MANUAL, manual_size=2, rationale="walkthrough"),
                actor=auditor,
            )
            made.append(sample)
        samples.draw(made[1], actor=auditor, seed=11)
        db.session.commit()
        return Pair(made[0].id, made[1].id, made[1].items[0].id)


def snapshot(app, sample_world: World) -> list[tuple]:
    """Everything a refused change could have touched."""
    with app.app_context():
        rows = db.session.scalars(sa.select(Sample).where(Sample.audit_id == sample_world.audit_id).order_by(Sample.id))
        fields = ("id", "status", "population_size", "population_hash", "method", "sample_size", "seed", "deviations")
        return [
            (*(getattr(s, f) for f in fields), *sorted((i.key, i.result.value, i.note) for i in s.items)) for s in rows
        ]


def posts(sample_world: World, pair: Pair) -> dict[str, tuple[str, dict]]:
    url = base(sample_world)
    return {
        "new": (
            f"{url}/new",
            {"title": "T", "attribute": "A", "checklist_item_ids": str(sample_world.item_ids["8.4"])},
        ),
        "population": (f"{url}/{pair.draft_id}/population", {"source": "typed", "typed": "X\nY"}),
        "size": (f"{url}/{pair.draft_id}/size", {"method": "whole_population"}),
        "draw": (f"{url}/{pair.draft_id}/draw", {"seed": "1"}),
        "record_results": (
            f"{url}/{pair.drawn_id}/results",
            {"item": pair.item_id, **grid_row(pair.item_id, "deviation", "x")},
        ),
        "evaluate": (f"{url}/{pair.drawn_id}/evaluate", {}),
        "interpret": (f"{url}/{pair.drawn_id}/interpretation", {"cause": "x", "nature": "isolated"}),
        "sign_off": (f"{url}/{pair.drawn_id}/sign-off", {}),
    }


@pytest.mark.parametrize("who", ["viewer_id", "observer_id", "outsider_id", "auditee_id"])
def test_people_who_may_not_work_get_403_on_every_post_and_nothing_changes(who, client, app, sample_world, pair, login):
    before = snapshot(app, sample_world)
    login(getattr(sample_world, who))
    for name, (url, data) in posts(sample_world, pair).items():
        assert client.post(url, data=data).status_code == 403, f"{who} {name}"
    for page in ("new", f"{pair.draft_id}/population", f"{pair.draft_id}/size"):
        assert client.get(f"{base(sample_world)}/{page}").status_code == 403, f"{who} GET {page}"
    assert snapshot(app, sample_world) == before


@pytest.mark.parametrize("who", ["outsider_id", "auditee_id"])
def test_outsiders_and_auditees_cannot_read_samples(who, client, sample_world, pair, login):
    login(getattr(sample_world, who))
    for page in ("", f"/{pair.drawn_id}", f"/{pair.drawn_id}/export.csv"):
        assert client.get(f"{base(sample_world)}{page}").status_code == 403, f"{who} GET {page}"


def test_observers_read_without_forms(client, sample_world, pair, login):
    login(sample_world.viewer_id)
    listing = text(client.get(base(sample_world)))
    assert "Drawn sample" in listing
    assert "New sample" not in listing
    page = text(client.get(f"{base(sample_world)}/{pair.drawn_id}"))
    assert "Read only: Only auditors on this audit" in page
    assert "<form" not in page.split('<main id="main"', 1)[1]
    assert client.get(f"{base(sample_world)}/{pair.drawn_id}/export.csv").status_code == 200


@pytest.mark.parametrize("who", ["lead_id", "auditor_id"])
def test_working_roles_on_the_team_may_record(who, client, app, sample_world, pair, login):
    login(getattr(sample_world, who))
    response = record(client, sample_world, pair.drawn_id, pair.item_id, "conforming")
    assert response.status_code == 302
    assert items_of(app, pair.drawn_id)[0]["result"] == "conforming"


def test_an_administrator_off_the_team_reads_but_does_not_record(client, app, sample_world, pair, login):
    before = snapshot(app, sample_world)
    login(sample_world.admin_id)
    assert client.get(f"{base(sample_world)}/{pair.drawn_id}").status_code == 200
    response = record(client, sample_world, pair.drawn_id, pair.item_id, "conforming")
    assert response.status_code == 403
    assert snapshot(app, sample_world) == before


def test_outside_fieldwork_the_pages_refuse_changes_with_409(client, app, sample_world, pair, login):
    with app.app_context():
        db.session.get(Audit, sample_world.audit_id).status = AuditStatus.REPORTING
        db.session.commit()
    before = snapshot(app, sample_world)
    login(sample_world.auditor_id)
    assert "You cannot add samples here" in text(client.get(base(sample_world)))
    for name, (url, data) in posts(sample_world, pair).items():
        response = client.post(url, data=data)
        assert response.status_code == 409, name
        assert "recorded during fieldwork" in text(response)
    assert snapshot(app, sample_world) == before


def test_unknown_samples_are_not_found_and_items_of_another_sample_are_refused(client, app, sample_world, pair, login):
    login(sample_world.auditor_id)
    assert client.get(f"{base(sample_world)}/{pair.drawn_id + 100}").status_code == 404
    assert client.get(f"/audits/{sample_world.audit_id + 100}/samples").status_code == 404
    elsewhere = record(client, sample_world, pair.draft_id, pair.item_id, "deviation")
    assert elsewhere.status_code == 409  # the other sample is a draft: it takes no results
    assert items_of(app, pair.drawn_id)[0]["result"] == "pending"


# --- The calculator page ----------------------------------------------------------------------------------------


def figure(page: str, element_id: str) -> str:
    start = page.index(f'id="{element_id}">') + len(f'id="{element_id}">')
    return page[start : page.index("</dd>", start)]


def test_calculator_page_shows_the_frequency_table_as_judgemental(client, sample_world, login):
    login(sample_world.viewer_id)
    page = text(client.get(CALCULATOR))
    assert "Control-frequency guidance: <strong>judgemental</strong>" in page
    assert maths.FREQUENCY_TABLE_NOTE in page
    assert 'id="attribute-size"' not in page


def test_calculator_attribute_sizes(client, sample_world, login):
    login(sample_world.auditor_id)
    page = text(client.get(CALCULATOR, query_string={"a-calc": "1", "a-confidence": "95", "a-tolerable": "5"}))
    assert figure(page, "attribute-size") == "59" == str(math.ceil(math.log(0.05) / math.log(0.95)))
    assert figure(page, "attribute-deviations") == "0"
    finite = {"a-calc": "1", "a-confidence": "95", "a-tolerable": "5", "a-expected": "0", "a-population": "100"}
    page = text(client.get(CALCULATOR, query_string=finite))
    expected = hypergeometric_size(100, Fraction(5, 100), Fraction(95, 100))
    assert (
        figure(page, "attribute-size")
        == str(expected)
        == str(maths.attribute_sample_size(0.95, 0.05, 0, 100).sample_size)
    )
    planned = {"a-calc": "1", "a-confidence": "90", "a-tolerable": "10", "a-expected": "2"}
    result = maths.attribute_sample_size(0.9, 0.1, 0.02)
    page = text(client.get(CALCULATOR, query_string=planned))
    assert figure(page, "attribute-size") == str(result.sample_size)
    assert figure(page, "attribute-deviations") == str(result.tolerable_deviations)


def test_calculator_upper_limit_and_sites(client, sample_world, login):
    login(sample_world.auditor_id)
    page = text(
        client.get(
            CALCULATOR, query_string={"u-calc": "1", "u-confidence": "95", "u-sample_size": "25", "u-deviations": "1"}
        )
    )
    upper = maths.upper_deviation_limit(0.95, 25, 1)
    assert 0.176 < upper < 0.1762  # beta.ppf(0.95, 2, 24)
    assert limit_percent(upper) == "17.7%"
    assert f'<abbr title="Unrounded: {upper}">17.7%</abbr>' in page
    for sites, kind, expected in ((10, "initial", "4"), (25, "surveillance", "3"), (100, "recertification", "8")):
        page = text(client.get(CALCULATOR, query_string={"s-calc": "1", "s-sites": str(sites), "s-kind": kind}))
        assert figure(page, "sites-count") == expected


A = {"a-calc": "1", "a-confidence": "95", "a-tolerable": "5"}
U = {"u-calc": "1", "u-confidence": "95", "u-sample_size": "25", "u-deviations": "1"}
BAD_INPUT = [
    ({**A, "a-confidence": "150"}, "a-confidence", "Enter a percentage above 0 and below 100."),
    ({**A, "a-expected": "5"}, "a-expected", "Must be below the tolerable rate."),
    ({**A, "a-tolerable": "x"}, "a-tolerable", "Enter a number of percent, such as 95 or 2.5."),
    ({**A, "a-population": "0"}, "a-population", "Must be at least 1, not 0."),
    ({**A, "a-population": "-5"}, "a-population", "Enter a whole number."),
    ({**A, "a-tolerable": "0.0001"}, "a-tolerable", "Use at most three decimals."),
    ({**A, "a-tolerable": "0.001"}, "a-tolerable", "The sample would exceed 100,000 items; raise the tolerable rate."),
    ({**U, "u-deviations": "30"}, "u-deviations", "Cannot exceed the sample size (25), not 30."),
    ({**U, "u-sample_size": "abc"}, "u-sample_size", "Enter a whole number."),
    ({**U, "u-sample_size": "0"}, "u-sample_size", "Must be at least 1, not 0."),
    ({"s-calc": "1", "s-sites": "10", "s-kind": "annual"}, "s-kind", "Not a valid choice."),
    ({"s-calc": "1", "s-sites": "1e3", "s-kind": "initial"}, "s-sites", "Enter a whole number."),
]


@pytest.mark.parametrize(("query", "field_id", "message"), BAD_INPUT)
def test_calculator_bad_input_is_shown_next_to_the_field(
    query, field_id, message, client, sample_world, login, field_errors
):
    login(sample_world.auditor_id)
    response = client.get(CALCULATOR, query_string=query)
    assert response.status_code == 400
    assert field_errors(text(response), field_id) == [message]


def test_calculator_is_for_staff_only(client, sample_world, login):
    login(sample_world.auditee_id)
    assert client.get(CALCULATOR).status_code == 403
