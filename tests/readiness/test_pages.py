"""The readiness dashboard: verdicts with each rule in words and its records, the panels, the as-of field,
snapshots and the trend; who may see it; a bounded number of statements whatever the data size."""

from __future__ import annotations

import re
from datetime import date, timedelta

import sqlalchemy as sa
from flask import Flask

from audit_app.extensions import db
from audit_app.models import Activity, CorrectiveAction, ReadinessSnapshot
from audit_app.models.base import utcnow
from tests.readiness.conftest import People
from tests.readiness.world import ReadyWorld

URL = "/readiness/"


def _rows(page: str, passed: str) -> list[str]:
    return re.findall(rf'<tr id="rule-([A-Z0-9-]+)" data-passed="{passed}">', page)


def test_the_dashboard_shows_both_verdicts_with_their_rules(client, login, ready: tuple[ReadyWorld, People]) -> None:
    _, people = ready
    login(people.admin)
    page = client.get(URL + "?as_of=2026-06-01").get_data(as_text=True)
    assert "Stage 1:" in page
    assert page.count("✓ Ready") == 2
    assert len(_rows(page, "yes")) == 14
    assert _rows(page, "no") == []
    assert 'id="no-blockers"' in page
    assert "SoA version 1 was approved on 2026-02-01." in page
    # The heat map has words in every cell, not colour alone.
    assert "4 Context of the organization" in page or '<th scope="row">4 ' in page
    assert re.search(r"\d+ of \d+ conformant", page)
    assert "38 of 38 controls complete in the approved version." in page
    assert "No snapshot saved yet." in page


def test_blockers_are_listed_with_their_records(app: Flask, client, login, ready: tuple[ReadyWorld, People]) -> None:
    world, people = ready
    with app.app_context():
        major = world.finding("major", date(2026, 5, 10), reference="IA-T-NC-01")
        db.session.add(
            CorrectiveAction(
                finding_id=major.id,
                description="Add the release gate.",
                due_on=date(2026, 5, 20),
                created_at=utcnow() - timedelta(days=300),
            )
        )
        db.session.commit()
        finding_id = major.id
    login(people.viewer)
    page = client.get(URL + "?as_of=2026-06-01").get_data(as_text=True)
    assert "Stage 2:" in page
    assert "! Not ready" in page
    assert _rows(page, "no") == ["S2-MAJORS"]
    assert "S2-MAJORS: IA-T-NC-01 is open (issued)." in page
    assert f'href="/findings/{finding_id}">IA-T-NC-01</a>' in page
    assert "Overdue actions (1)" in page
    assert "Add the release gate." in page
    findings_table = page.split('id="findings-by-age"')[1].split("</table>")[0]
    assert "Major" in findings_table


def test_the_as_of_field_refuses_a_bad_or_future_day(client, login, ready: tuple[ReadyWorld, People]) -> None:
    _, people = ready
    login(people.lead)
    bad = client.get(URL + "?as_of=2026-13-40")
    assert bad.status_code == 400
    assert "Give the day as YYYY-MM-DD." in bad.get_data(as_text=True)
    future = client.get(URL + "?as_of=" + (utcnow().date() + timedelta(days=2)).isoformat())
    assert future.status_code == 400
    assert "cannot be in the future" in future.get_data(as_text=True)
    assert client.get(URL).status_code == 200


def test_auditees_and_auditors_are_refused(client, login, ready: tuple[ReadyWorld, People]) -> None:
    _, people = ready
    for user_id in (people.auditee, people.auditor):
        login(user_id)
        assert client.get(URL).status_code == 403
        assert client.post("/readiness/snapshots", data={"as_of": "2026-06-01"}).status_code == 403
    login(people.viewer)
    assert client.get(URL).status_code == 200
    page = client.get(URL).get_data(as_text=True)
    assert 'id="snapshot-form"' not in page  # management reads; it does not save snapshots
    assert client.post("/readiness/snapshots", data={"as_of": "2026-06-01"}).status_code == 403


def test_save_snapshot_keeps_the_verdicts_and_shows_the_trend(
    app: Flask, client, login, ready: tuple[ReadyWorld, People]
) -> None:
    world, people = ready
    login(people.lead)
    saved = client.post("/readiness/snapshots", data={"as_of": "2026-06-01", "note": "Before stage 1"})
    assert saved.status_code == 302
    assert "as_of=2026-06-01" in saved.headers["Location"]
    with app.app_context():
        world.finding("major", date(2026, 6, 10))
        db.session.commit()
    assert client.post("/readiness/snapshots", data={"as_of": "2026-06-15"}).status_code == 302
    refused = client.post("/readiness/snapshots", data={"as_of": (utcnow().date() + timedelta(days=1)).isoformat()})
    assert refused.status_code == 400
    assert "cannot be in the future" in refused.get_data(as_text=True)
    with app.app_context():
        snaps = db.session.scalars(sa.select(ReadinessSnapshot).order_by(ReadinessSnapshot.as_of)).all()
        assert [(s.as_of, s.stage1_ready, s.stage2_ready) for s in snaps] == [
            (date(2026, 6, 1), True, True),
            (date(2026, 6, 15), True, False),
        ]
        assert snaps[1].payload["blockers"] == [
            snaps[1].payload["stage2"]["rules"][5]["code"] + ": IA-T-NC-01 is open (issued)."
        ]
        assert snaps[0].note == "Before stage 1"
        assert snaps[0].taken_by_id == people.lead
        actions = db.session.scalars(
            sa.select(Activity.action).where(Activity.subject_type == "ReadinessSnapshot")
        ).all()
        assert actions == ["readiness.snapshot_saved", "readiness.snapshot_saved"]
    trend = client.get(URL).get_data(as_text=True).split('id="snapshots"')[1].split("</table>")[0]
    cells = re.findall(r"<td>([^<]*)</td>", trend)
    assert cells[:4] == ["Ready", "Ready", "0", "Before stage 1"]
    assert cells[4:7] == ["Ready", "Not ready", "1"]


def _statements(client, query_count, url: str) -> int:
    with client:
        assert client.get(url).status_code == 200
        return query_count()


def _grow(app: Flask, world: ReadyWorld, n: int) -> None:
    with app.app_context():
        for i in range(n):
            f = world.finding(
                "minor" if i % 2 else "major",
                date(2026, 5, 1) + timedelta(days=i % 20),
                [(date(2026, 5, 25), "status", "issued", "acknowledged")],
                reference=f"IA-BIG-{i:03d}",
            )
            db.session.add(
                CorrectiveAction(
                    finding_id=f.id,
                    description=f"Action {i}",
                    due_on=date(2026, 5, 20),
                    created_at=utcnow() - timedelta(days=300),
                )
            )
        db.session.commit()


def test_the_dashboard_runs_the_same_statements_with_small_and_large_data(
    app: Flask, client, login, query_count, ready: tuple[ReadyWorld, People]
) -> None:
    world, people = ready
    login(people.admin)
    client.get(URL)
    urls = (URL, URL + "?as_of=2026-06-01")
    few = [_statements(client, query_count, url) for url in urls]
    _grow(app, world, 60)
    many = [_statements(client, query_count, url) for url in urls]
    assert many == few
    assert max(few) <= 40, few
    page = client.get(URL + "?as_of=2026-06-01").get_data(as_text=True)
    assert "IA-BIG-000 is open (issued)." in page or "IA-BIG-000 is open (acknowledged)." in page


def test_an_empty_organisation_is_not_ready_and_says_why(app: Flask, client, login, make_user) -> None:
    from audit_app.models import Role

    login(make_user(role=Role.ADMIN))
    response = client.get(URL)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert page.count("! Not ready") == 2
    assert _rows(page, "yes") == ["S2-MAJORS", "S2-MINORS"]  # nothing open: the only rules an empty AIMS passes
    assert "The ISO/IEC 42001 clause library is not loaded." in page
    assert "No SoA version was approved." in page
