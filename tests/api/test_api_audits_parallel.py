"""Audits created and moved by parallel requests: real threads against the real database (SQLite or PostgreSQL).

"max + 1" numbering used to collide (6 of 10 parallel creations failed with a unique-constraint error); ten
parallel moves to preparation must leave one transition, whichever request wins.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import sqlalchemy as sa

from audit_app.extensions import db
from audit_app.models import Activity, Audit, AuditStatus, AuditTransition
from tests.fixtures.api_planning import item_ids

THREADS = 10


def in_parallel(app, request: Callable[[Any, int], Any]) -> list[Any]:
    """Run `request(client, n)` in THREADS threads that start together, each with its own test client."""
    barrier = threading.Barrier(THREADS)

    def run(n: int) -> Any:
        client = app.test_client()
        barrier.wait(timeout=30)
        return request(client, n)

    with ThreadPoolExecutor(THREADS) as pool:
        return list(pool.map(run, range(THREADS)))


def test_parallel_creations_are_numbered_one_to_ten(app, client, lead_headers, programme_id):
    client.get("/api/v1/me", headers=lead_headers)  # the token's first use is recorded before the race

    def create(client, n: int):
        body = {
            "programme_id": programme_id,
            "title": f"Parallel audit {n}",
            "audit_type": "internal",
            "start_date": "2026-06-01",
            "end_date": "2026-06-03",
        }
        return client.post("/api/v1/audits", headers=lead_headers, json=body)

    responses = in_parallel(app, create)

    assert [r.status_code for r in responses] == [201] * THREADS, [r.get_json() for r in responses]
    references = sorted(r.get_json()["reference"] for r in responses)
    assert references == [f"IA-2026-{n:02d}" for n in range(1, THREADS + 1)]
    with app.app_context():
        stored = db.session.execute(sa.select(Audit.sequence, Audit.title).order_by(Audit.sequence)).all()
        assert [sequence for sequence, _ in stored] == list(range(1, THREADS + 1))
        assert sorted(title for _, title in stored) == sorted(f"Parallel audit {n}" for n in range(THREADS))
        created = db.session.scalar(
            sa.select(sa.func.count()).select_from(Activity).where(Activity.action == "audit.created")
        )
        assert created == THREADS  # every audit once, none recorded for a failed attempt


def test_parallel_moves_to_preparation_leave_one_transition(app, client, lead_headers, audit_id, library):
    with app.app_context():  # meet the gates of preparation: criteria, declarations, a session covering them
        audit = db.session.get(Audit, audit_id)
        lead = audit.lead_auditor
        from datetime import time

        from audit_app.models import SessionActivity
        from audit_app.services.planning import agenda, audits, team

        ids = item_ids(library, "4.1")
        audits.set_criteria(audit, version_ids=[library], item_ids=ids, other_criteria="", actor=lead)
        team.confirm_declaration(audit, actor=lead)
        data = agenda.SessionData(
            audit.start_date, time(9), 60, SessionActivity.INTERVIEW, "Context", item_ids=tuple(ids)
        )
        agenda.save_session(audit, data, actor=lead)
        db.session.commit()
    client.get("/api/v1/me", headers=lead_headers)

    def move(client, n: int):
        return client.post(f"/api/v1/audits/{audit_id}/transitions", headers=lead_headers, json={"to": "preparation"})

    responses = in_parallel(app, move)

    codes = sorted(r.status_code for r in responses)
    assert codes == [201] + [409] * (THREADS - 1), [r.get_json() for r in responses]
    with app.app_context():
        assert db.session.get(Audit, audit_id).status is AuditStatus.PREPARATION
        moves = db.session.scalars(sa.select(AuditTransition).where(AuditTransition.audit_id == audit_id)).all()
        assert [(m.from_status, m.to_status) for m in moves] == [(AuditStatus.PLANNED, AuditStatus.PREPARATION)]
        recorded = db.session.scalar(
            sa.select(sa.func.count()).select_from(Activity).where(Activity.action == "audit.status_changed")
        )
        assert recorded == 1
