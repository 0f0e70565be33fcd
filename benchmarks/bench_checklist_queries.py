"""Benchmark: the working-checklist page of an audit with all 70 auditable ISO/IEC 42001 items and 500 evidence entries.

Builds a throw-away SQLite app in a temporary folder, loads the shipped library, plans an audit with every
auditable clause and control in scope, moves it to fieldwork through the life-cycle service, then renders
GET /audits/<id>/checklist with the test client: once with no evidence and again after 500 evidence entries,
printing the number of SQL queries (it must not grow with the data) and the render time (median of 5).

Run from the repository root: .venv/bin/python benchmarks/bench_checklist_queries.py
"""

from __future__ import annotations

import statistics
import tempfile
import time
from datetime import date
from datetime import time as clock
from pathlib import Path

import sqlalchemy as sa
from flask import Flask
from flask_sqlalchemy.record_queries import get_recorded_queries

from audit_app import create_app
from audit_app.extensions import db
from audit_app.models import (
    Audit,
    AuditStatus,
    AuditTeamMember,
    AuditType,
    ChecklistItem,
    ChecklistResponse,
    Evidence,
    EvidenceMethod,
    EvidenceMode,
    Role,
    SessionActivity,
    TeamRole,
    User,
)
from audit_app.services.library import checklists
from audit_app.services.planning import agenda, audits, lifecycle, programmes, team

RUNS = 5
EVIDENCE = 500


def build(app: Flask) -> tuple[int, int, list[int]]:
    """Return (audit id, auditor id, response ids) of an audit in fieldwork with every auditable item in scope."""
    (loaded,) = checklists.load_built_in()
    version = loaded.version
    admin, lead, auditor = (
        User(email=f"{name}@bench.test", name=name.title(), role=role)
        for name, role in (("admin", Role.ADMIN), ("lead", Role.LEAD_AUDITOR), ("auditor", Role.AUDITOR))
    )
    db.session.add_all([admin, lead, auditor])
    db.session.flush()
    programme = programmes.save_programme(
        programmes.ProgrammeData(
            code="2026",
            title="Benchmark programme",
            period_start=date(2026, 1, 1),
            period_end=date(2026, 12, 31),
            checklist_version_id=version.id,
        ),
        actor=admin,
    )
    details = audits.AuditDetails(
        title="Whole standard",
        audit_type=AuditType.INTERNAL,
        start_date=date(2026, 3, 2),
        end_date=date(2026, 3, 6),
        lead_auditor_id=lead.id,
    )
    audit: Audit = audits.create_audit(programme, details, actor=admin)
    db.session.flush()
    items = list(
        db.session.scalars(
            sa.select(ChecklistItem).where(ChecklistItem.version_id == version.id, ChecklistItem.auditable.is_(True))
        )
    )
    audits.set_criteria(audit, version_ids=[version.id], item_ids=[i.id for i in items], other_criteria="", actor=admin)
    audit.team.append(AuditTeamMember(user=auditor, role=TeamRole.AUDITOR))
    db.session.flush()
    for member in audit.team:
        team.confirm_declaration(audit, actor=member.user)
    agenda.save_session(
        audit,
        agenda.SessionData(
            day=audit.start_date,
            start_time=clock(9, 0),
            duration_minutes=60,
            activity=SessionActivity.INTERVIEW,
            title="Context and leadership",
            item_ids=tuple(i.id for i in items[:10]),
            auditor_ids=(auditor.id,),
        ),
        actor=admin,
    )
    audit.status = AuditStatus.PREPARATION  # the planning gates are not what is measured here
    lifecycle.transition(audit, AuditStatus.FIELDWORK, actor=lead, confirm_warnings=True)
    db.session.commit()
    responses = list(db.session.scalars(sa.select(ChecklistResponse.id).where(ChecklistResponse.audit_id == audit.id)))
    return audit.id, auditor.id, responses


def add_evidence(audit_id: int, auditor_id: int, response_ids: list[int]) -> None:
    db.session.add_all(
        Evidence(
            audit_id=audit_id,
            response_id=response_ids[n % len(response_ids)],
            method=EvidenceMethod.RECORD_REVIEW,
            mode=EvidenceMode.ON_SITE,
            source=f"Change ticket CHG-{n}",
            evidence_date=date(2026, 3, 2),
            recorded_by_id=auditor_id,
        )
        for n in range(EVIDENCE)
    )
    db.session.commit()


def _check(status: int) -> None:
    if status != 200:
        raise SystemExit(f"the checklist page answered {status}")


def measure(app: Flask, url: str, user_id: int) -> tuple[int, float]:
    """(SQL queries of one request, median render time in ms over RUNS requests)."""
    client = app.test_client()
    with app.app_context():
        version = db.session.get(User, user_id).session_version
    with client.session_transaction() as session:
        session["_user_id"] = f"{user_id}:{version}"
    with client:
        _check(client.get(url).status_code)
        queries = len(get_recorded_queries())
    timings = []
    for _ in range(RUNS):
        start = time.perf_counter()
        response = client.get(url)
        timings.append((time.perf_counter() - start) * 1000)
        _check(response.status_code)
    return queries, statistics.median(timings)


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        app = create_app(
            {
                "TESTING": True,
                "SECRET_KEY": "benchmark-only",
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{Path(folder) / 'bench.sqlite'}",
                "SQLALCHEMY_RECORD_QUERIES": True,
                "SESSION_COOKIE_SECURE": False,
                "INSTANCE_PATH": str(Path(folder) / "instance"),
            }
        )
        with app.app_context():
            db.create_all()
            audit_id, auditor_id, responses = build(app)
        url = f"/audits/{audit_id}/checklist"
        empty = measure(app, url, auditor_id)
        with app.app_context():
            add_evidence(audit_id, auditor_id, responses)
        full = measure(app, url, auditor_id)
        with app.app_context():
            db.engine.dispose()
    print(
        f"checklist page, {len(responses)} items, 0 evidence entries: {empty[0]} SQL queries, median {empty[1]:.1f} ms"
    )
    print(
        f"checklist page, {len(responses)} items, {EVIDENCE} evidence entries: {full[0]} SQL queries, "
        f"median {full[1]:.1f} ms (median of {RUNS} renders)"
    )
    print("query count flat:" if full[0] == empty[0] else "QUERY COUNT GREW:", empty[0], "->", full[0])


if __name__ == "__main__":
    main()
