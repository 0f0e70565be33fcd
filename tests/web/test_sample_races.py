"""Parallel requests on one sample, with real threads against the real database (SQLite or PostgreSQL).

Ten draws of one sample store one selection; ten "not testable" saves of one item draw one replacement; results
saved at once for different items each get a replacement of their own; ten creations are numbered 1..10; ten
population uploads to one draft leave no file behind for the uploads that were refused. No request answers 500.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import Flask

from audit_app.extensions import db
from audit_app.models import (
    Activity,
    Audit,
    PopulationSource,
    Sample,
    SampleItem,
    SampleMethod,
    SizeBasis,
    User,
)
from audit_app.services import accounts
from audit_app.services.sampling import populations, samples
from tests.fixtures.parallel import in_parallel
from tests.fixtures.sample_pages import World, base, grid_row, signed_in, snapshot_files

THREADS = 10
UNITS = [f"TX-{i:03d}" for i in range(1, 61)]


def make_sample(app: Flask, world: World, method: SampleMethod = SampleMethod.SIMPLE_RANDOM, *, draw: bool) -> int:
    """A sample of 60 typed units sized 12 (or the whole population), drawn with seed 7 if `draw`; its id."""
    with app.app_context():
        audit = db.session.get(Audit, world.audit_id)
        auditor = db.session.get(User, world.auditor_id)
        data = samples.SampleData("Voided transactions", "Signed off", "transactions", (world.item_ids["8.4"],))
        sample = samples.create_sample(audit, data, actor=auditor)
        population = populations.PopulationData(PopulationSource.TYPED, typed="\n".join(UNITS), completeness_check="ok")
        populations.set_population(sample, population, actor=auditor)
        manual = {"manual_size": 12, "rationale": "One a month"} if method.statistical else {}
        samples.set_size(sample, samples.SizeData(method, SizeBasis.MANUAL, **manual), actor=auditor)
        if draw:
            samples.draw(sample, actor=auditor, seed=7)
        db.session.commit()
        return sample.id


def items(app: Flask, sample_id: int) -> list[tuple[int, int, str, int | None, str]]:
    """(draw order, population index, key, replaced item id, result) of every item, in draw order."""
    with app.app_context():
        rows = db.session.execute(
            sa.select(
                SampleItem.draw_order,
                SampleItem.population_index,
                SampleItem.key,
                SampleItem.replaces_id,
                SampleItem.result,
            )
            .where(SampleItem.sample_id == sample_id)
            .order_by(SampleItem.draw_order)
        )
        return [(order, index, key, replaces, result.value) for order, index, key, replaces, result in rows]


def trail(app: Flask, action: str) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).where(Activity.action == action)) or 0


def test_ten_parallel_draws_store_one_selection(app, sample_world):
    sample_id = make_sample(app, sample_world, draw=False)
    clients = [signed_in(app, sample_world.auditor_id) for _ in range(THREADS)]

    answers = in_parallel(
        THREADS, lambda i: clients[i].post(f"{base(sample_world)}/{sample_id}/draw", data={"seed": str(100 + i)})
    )

    statuses = [a.status_code for a in answers]
    assert sorted(statuses) == [302] + [409] * (THREADS - 1), statuses
    winner = 100 + statuses.index(302)
    drawn = items(app, sample_id)
    assert len(drawn) == 12
    assert len({key for _, _, key, _, _ in drawn}) == 12
    with app.app_context():
        sample = db.session.get(Sample, sample_id)
        assert (sample.status.value, sample.seed, sample.reperformed) == ("selected", winner, True)
        assert samples.reperform(sample) is True
    assert trail(app, "sample.drawn") == 1


def test_ten_parallel_whole_population_draws_over_the_api(app, client, sample_world):
    """The same race over the API, for a method without a seed (the compare-and-set on the status decides)."""
    sample_id = make_sample(app, sample_world, SampleMethod.WHOLE_POPULATION, draw=False)
    with app.app_context():
        _, token = accounts.create_token(db.session.get(User, sample_world.auditor_id), "race", actor=None)
        db.session.commit()
    url = f"/api/v1/audits/{sample_world.audit_id}/samples/{sample_id}/draw"
    clients = [app.test_client() for _ in range(THREADS)]

    answers = in_parallel(THREADS, lambda i: clients[i].post(url, headers={"Authorization": f"Bearer {token}"}))

    statuses = sorted(a.status_code for a in answers)
    assert statuses == [201] + [409] * (THREADS - 1), statuses
    assert len(items(app, sample_id)) == len(UNITS)
    assert trail(app, "sample.drawn") == 1


def test_ten_parallel_void_saves_of_one_item_draw_one_replacement(app, sample_world):
    sample_id = make_sample(app, sample_world, draw=True)
    first = items(app, sample_id)[0]
    with app.app_context():
        item_id = db.session.scalar(
            sa.select(SampleItem.id).where(SampleItem.sample_id == sample_id, SampleItem.draw_order == 1)
        )
    clients = [signed_in(app, sample_world.auditor_id) for _ in range(THREADS)]
    url = f"{base(sample_world)}/{sample_id}/results"

    answers = in_parallel(
        THREADS, lambda i: clients[i].post(url, data={"item": item_id, **grid_row(item_id, "void", f"Voided ({i})")})
    )

    # The first save wins; the others find the item replaced (refused on its row, nothing stored) or changed meanwhile.
    statuses = sorted(a.status_code for a in answers)
    assert statuses[0] == 302, statuses
    assert set(statuses[1:]) <= {400, 409}, statuses
    after = items(app, sample_id)
    replacements = [row for row in after if row[3] == item_id]
    assert len(replacements) == 1
    assert len(after) == 13
    assert after[0][:3] == first[:3]
    assert after[0][4] == "void"
    assert trail(app, "sample.replacement_drawn") == 1
    assert trail(app, "sample.item_result") == 1


def test_void_saves_of_different_items_at_once_each_get_their_own_replacement(app, sample_world):
    sample_id = make_sample(app, sample_world, draw=True)
    with app.app_context():
        ids = list(
            db.session.scalars(
                sa.select(SampleItem.id).where(SampleItem.sample_id == sample_id).order_by(SampleItem.draw_order)
            )
        )
    clients = [signed_in(app, sample_world.auditor_id) for _ in range(THREADS)]

    answers = in_parallel(
        THREADS,
        lambda i: clients[i].post(
            f"{base(sample_world)}/{sample_id}/results", data={"item": ids[i], **grid_row(ids[i], "void", "Voided")}
        ),
    )

    assert [a.status_code for a in answers] == [302] * THREADS
    after = items(app, sample_id)
    assert len(after) == 12 + THREADS
    assert sorted(order for order, *_ in after) == list(range(1, 12 + THREADS + 1))
    assert len({index for _, index, *_ in after}) == len(after)  # no unit drawn twice
    assert sorted(replaces for *_, replaces, _ in after if replaces) == sorted(ids[:THREADS])
    with app.app_context():
        assert samples.reperform(db.session.get(Sample, sample_id)) is True


def test_ten_parallel_creations_are_numbered_one_to_ten(app, sample_world):
    clients = [signed_in(app, sample_world.auditor_id) for _ in range(THREADS)]
    form = {
        "title": "Releases carry a sign-off",
        "attribute": "No sign-off before the release",
        "checklist_item_ids": str(sample_world.item_ids["8.4"]),
    }

    answers = in_parallel(THREADS, lambda i: clients[i].post(f"{base(sample_world)}/new", data=form))

    assert [a.status_code for a in answers] == [302] * THREADS
    with app.app_context():
        numbers = db.session.scalars(sa.select(Sample.sequence).where(Sample.audit_id == sample_world.audit_id))
        assert sorted(numbers) == list(range(1, THREADS + 1))
    assert trail(app, "sample.created") == THREADS


def test_parallel_population_uploads_leave_no_file_of_a_refused_one(app, sample_world):
    with app.app_context():
        audit = db.session.get(Audit, sample_world.audit_id)
        data = samples.SampleData("Draft", "Signed off", "units", (sample_world.item_ids["8.4"],))
        sample_id = samples.create_sample(audit, data, actor=db.session.get(User, sample_world.auditor_id)).id
        db.session.commit()
    clients = [signed_in(app, sample_world.auditor_id) for _ in range(THREADS)]

    def upload(i: int):
        typed = "\n".join(f"U{i}-{n:02d}" for n in range(1, 6 + i))
        form = {"source": "typed", "typed": typed, "description": f"Upload {i}", "completeness_check": "ok"}
        return clients[i].post(f"{base(sample_world)}/{sample_id}/population", data=form)

    answers = in_parallel(THREADS, upload)

    statuses = [a.status_code for a in answers]
    assert set(statuses) <= {302, 409}, statuses
    assert 302 in statuses
    # Only the snapshot in use is left: a refused upload left none, and a kept one that a later upload replaced
    # was removed once the replacement committed.
    with app.app_context():
        sample = db.session.get(Sample, sample_id)
        assert snapshot_files(app) == {sample.population_file}
        assert populations.load_population(sample).size == sample.population_size
    assert trail(app, "sample.population_set") == statuses.count(302)
