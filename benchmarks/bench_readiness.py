"""Benchmark: the readiness dashboard of an organisation with 50 audits, 5,000 findings and 10,000 checklist results,
against the sign-in page on the same server (the readiness issue's target: within 3x, with a bounded number of SQL
statements whatever the data size).

Builds a throw-away database (an SQLite file, or with --postgresql a database on the server named by
AUDIT_BENCH_DATABASE_URL): one audit planned through the services (bench_checklist_queries.build), 49 more in bulk
(40 of the 50 closed, with their life-cycle transitions), each with 200 checklist results (the 70 auditable items of
the ISO/IEC 42001 library and 130 of the organisation's own checklist: 10,000 results), 5,000 findings in realistic
states with their actions and history (bench_findings.add_findings, spread over ten audits), an approved SoA, the
register's mandatory entries, 30 AI systems and a management review. Measures, in this process, the SQL statements
of one request and the median of 20 requests after 3 warm-ups: the dashboard today (current columns), the dashboard
as of a past day (every finding's status and grade read from its history) and the readiness API, at 50 findings and
again at 5,000.

    .venv/bin/python benchmarks/bench_readiness.py
    AUDIT_BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:54330/bench \\
        .venv/bin/python benchmarks/bench_readiness.py --postgresql
"""

from __future__ import annotations

import argparse
import os
import random
import tempfile
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from bench_checklist_queries import build
from bench_findings import _app, add_findings, measure
from flask import Flask
from flask_migrate import upgrade

from audit_app.extensions import db
from audit_app.models import (
    AIRole,
    AISystem,
    Audit,
    AuditStatus,
    AuditTransition,
    AuditType,
    Checklist,
    ChecklistItem,
    ChecklistResponse,
    ChecklistVersion,
    DocKind,
    DocumentedInfo,
    ItemKind,
    LifecycleStage,
    OrgUnit,
    ResponseResult,
    RiskLevel,
    Role,
    UnitKind,
    User,
)
from audit_app.models.review import ManagementReview, ReviewInput, ReviewStatus
from audit_app.models.soa import Implementation, SoaEntry, SoaStatus, SoaVersion
from audit_app.services.docinfo.status import MANDATORY_KEYS
from audit_app.services.reviews.inputs import INPUT_CODES
from audit_app.services.soa.status import annex_a_controls

AUDITS, OWN_ITEMS, SMALL, LARGE, FINDING_AUDITS = 50, 130, 50, 5000, 10
RESULTS = [ResponseResult.CONFORMING] * 12 + [
    ResponseResult.OBSERVATION,
    ResponseResult.OFI,
    ResponseResult.NONCONFORMITY,
    ResponseResult.NOT_AUDITED,
]


def _at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 10, tzinfo=UTC)


def _postgresql(url: str) -> str:
    parsed = sa.engine.make_url(url)
    name = f"{parsed.database}_readiness"
    admin = sa.create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return parsed.set(database=name).render_as_string(hide_password=False)


def own_checklist() -> list[int]:
    """The organisation's own checklist with OWN_ITEMS auditable requirements; their ids."""
    checklist = Checklist(code="own-policy", title="Own AI policy")
    version = ChecklistVersion(checklist=checklist, version="1.0", title="Own AI policy", content_hash="0" * 64)
    version.items = [
        ChecklistItem(ref=f"POL-{n}", title=f"Policy commitment {n}", kind=ItemKind.REQUIREMENT, position=n)
        for n in range(OWN_ITEMS)
    ]
    db.session.add(version)
    db.session.flush()
    return [i.id for i in version.items]


def add_audits(first_audit_id: int, lead_id: int, rng: random.Random) -> list[int]:
    """AUDITS audits in all (the first one exists), each with 200 results; 40 closed, the rest reporting."""
    first = db.session.get(Audit, first_audit_id)
    library = list(
        db.session.scalars(
            sa.select(ChecklistItem.id).where(
                ChecklistItem.version_id == first.criteria[0].id, ChecklistItem.auditable.is_(True)
            )
        )
    )
    own = own_checklist()
    ids = [first.id]
    for n in range(1, AUDITS):
        audit = Audit(
            programme_id=first.programme_id,
            sequence=n + 1,
            reference=f"IA-2026-B{n:02d}",
            title=f"Bulk audit {n}",
            audit_type=AuditType.INTERNAL,
            start_date=date(2025, 1, 1) + timedelta(days=7 * n),
            end_date=date(2025, 1, 3) + timedelta(days=7 * n),
            lead_auditor_id=lead_id,
        )
        db.session.add(audit)
        db.session.flush()
        ids.append(audit.id)
    db.session.execute(sa.delete(ChecklistResponse).where(ChecklistResponse.audit_id == first.id))
    rows, moves = [], []
    for index, audit_id in enumerate(ids):
        start = date(2025, 1, 1) + timedelta(days=7 * index)
        closed = index < 40
        db.session.get(Audit, audit_id).status = AuditStatus.CLOSED if closed else AuditStatus.REPORTING
        for status, offset in ((AuditStatus.FIELDWORK, 0), (AuditStatus.REPORTING, 10), (AuditStatus.CLOSED, 20)):
            if status is AuditStatus.CLOSED and not closed:
                continue
            moves.append(
                {
                    "audit_id": audit_id,
                    "from_status": AuditStatus.PREPARATION,
                    "to_status": status,
                    "created_at": _at(start + timedelta(days=offset)),
                }
            )
        rows += [
            {"audit_id": audit_id, "checklist_item_id": item, "result": rng.choice(RESULTS)} for item in library + own
        ]
    db.session.execute(sa.insert(AuditTransition), moves)
    db.session.execute(sa.insert(ChecklistResponse), rows)
    db.session.commit()
    return ids


def add_records(admin_id: int) -> None:
    """An approved SoA, the mandatory register entries, 30 AI systems and a management review."""
    unit = OrgUnit(name="AI governance office", kind=UnitKind.DEPARTMENT)
    db.session.add(unit)
    db.session.flush()
    version = SoaVersion(number=1, status=SoaStatus.APPROVED, approved_at=_at(date(2025, 2, 1)))
    db.session.add(version)
    db.session.flush()
    db.session.add_all(
        SoaEntry(
            version_id=version.id,
            position=n,
            control_ref=c.ref,
            title=c.title,
            applicable=True,
            justification=f"Control {c.ref} treats risk R-{n} of the scoring models in lending.",
            implementation=Implementation.IMPLEMENTED,
            owner_unit_id=unit.id,
            addresses=f"R-{n}",
        )
        for n, c in enumerate(annex_a_controls())
    )
    db.session.add_all(
        DocumentedInfo(
            refs=[key.split(":")[1]],
            title=key.split(":")[2],
            kind=DocKind.MAINTAIN,
            expected=True,
            source_key=key,
            location="https://dms.example.test/" + key,
            doc_version="1.0",
            approved_on=date(2025, 1, 10),
            next_review_on=date(2027, 1, 10),
            created_at=_at(date(2025, 1, 5)),
        )
        for key in MANDATORY_KEYS
    )
    db.session.add_all(
        AISystem(
            name=f"System {n}",
            purpose="Scores things.",
            roles=[AIRole.DEPLOYER],
            risk_level=RiskLevel.LOW,
            owner_unit_id=unit.id,
            lifecycle_stage=LifecycleStage.OPERATION_MONITORING,
            impact_assessed_on=date(2025, 3, 1) if n % 5 else None,
            created_at=_at(date(2024, 12, 1)),
        )
        for n in range(30)
    )
    review = ManagementReview(
        title="Management review 2025",
        held_on=date(2025, 11, 1),
        status=ReviewStatus.HELD,
        decisions="Keep the policy.",
        held_recorded_at=_at(date(2025, 11, 2)),
        created_at=_at(date(2025, 10, 1)),
        recorded_by_id=admin_id,
    )
    review.inputs = [ReviewInput(code=code, considered=True) for code in INPUT_CODES]
    db.session.add(review)
    db.session.commit()


def pages() -> dict[str, tuple[str, bool]]:
    past = (date.today() - timedelta(days=30)).isoformat()  # noqa: DTZ011 - a day in the past, any zone
    return {
        "sign-in page (trivial)": ("/auth/login", False),
        "notifications (trivial, signed in)": ("/notifications/", True),
        "readiness dashboard, today": ("/readiness/", True),
        "readiness dashboard, as of a past day": (f"/readiness/?as_of={past}", True),
        "readiness API, today": ("/api/v1/readiness", True),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--postgresql", action="store_true", help="use AUDIT_BENCH_DATABASE_URL's server")
    parser.add_argument("--profile", action="store_true", help="print the slowest statements of each page")
    args = parser.parse_args()
    rng = random.Random(42)
    with tempfile.TemporaryDirectory() as folder:
        url = (
            _postgresql(os.environ["AUDIT_BENCH_DATABASE_URL"])
            if args.postgresql
            else f"sqlite:///{folder}/readiness.sqlite"
        )
        app = _app(url, Path(folder) / "instance")
        with app.app_context():
            upgrade()
            audit_id, auditor_id, _ = build(app)
            admin_id = db.session.scalar(sa.select(User.id).where(User.role == Role.ADMIN))
            lead_id = db.session.scalar(sa.select(User.id).where(User.role == Role.LEAD_AUDITOR))
            audit_ids = add_audits(audit_id, lead_id, rng)
            add_records(admin_id)
            add_findings(audit_id, auditor_id, SMALL)
            results_count = db.session.scalar(sa.select(sa.func.count(ChecklistResponse.id)))
        results: dict[int, dict[str, tuple[int, float]]] = {}
        for size in (SMALL, LARGE):
            if size == LARGE:
                with app.app_context():
                    per_audit = (LARGE - SMALL) // FINDING_AUDITS
                    for n, target in enumerate(audit_ids[1 : FINDING_AUDITS + 1]):
                        db.session.get(Audit, target).scope_items = db.session.get(Audit, audit_id).scope_items
                        db.session.commit()
                        add_findings(target, auditor_id, per_audit, seed=100 + n)
                    if args.postgresql:
                        db.session.execute(sa.text("ANALYZE"))
                        db.session.commit()
            results[size] = {}
            for name, (page, signed_in) in pages().items():
                if page.startswith("/api/"):
                    results[size][name] = measure_api(app, page, admin_id)
                else:
                    results[size][name] = measure(app, page, admin_id if signed_in else None)
        if args.profile:
            slowest(app, admin_id)
        with app.app_context():
            findings = db.session.scalar(sa.text("SELECT count(*) FROM finding"))
            db.engine.dispose()
    trivial = results[LARGE]["sign-in page (trivial)"][1]
    print(f"{'page':40} {'SQL@50':>7} {'SQL@5000':>9} {'ms@50':>8} {'ms@5000':>9} {'x sign-in':>10}")
    for name in results[LARGE]:
        (q_small, ms_small), (q_large, ms_large) = results[SMALL][name], results[LARGE][name]
        print(f"{name:40} {q_small:>7} {q_large:>9} {ms_small:>8.1f} {ms_large:>9.1f} {ms_large / trivial:>10.1f}")
    print(
        f"database: {'PostgreSQL' if args.postgresql else 'SQLite'}; {AUDITS} audits, {findings} findings, "
        f"{results_count} checklist results"
    )


def slowest(app: Flask, user_id: int) -> None:
    """The five slowest statements of each readiness page (their first line and milliseconds)."""
    from flask_sqlalchemy.record_queries import get_recorded_queries

    client = app.test_client()
    with app.app_context():
        version = db.session.get(User, user_id).session_version
    with client.session_transaction() as session:
        session["_user_id"] = f"{user_id}:{version}"
    for name, (page, _) in pages().items():
        if page.startswith("/readiness/"):
            with client:
                client.get(page)
                found = sorted(get_recorded_queries(), key=lambda q: q.duration, reverse=True)[:5]
            print(name)
            for q in found:
                print(f"  {q.duration * 1000:7.1f} ms  {' '.join(q.statement.split())[:150]}")


def measure_api(app: Flask, url: str, user_id: int) -> tuple[int, float]:
    """The same measure for an API route, with a bearer token."""
    import statistics
    import time

    from bench_findings import RUNS, WARMUP
    from flask_sqlalchemy.record_queries import get_recorded_queries

    from audit_app.services import accounts

    with app.app_context():
        _, raw = accounts.create_token(db.session.get(User, user_id), "bench", actor=None)
        db.session.commit()
    client = app.test_client()
    headers = {"Authorization": f"Bearer {raw}"}
    with client:
        response = client.get(url, headers=headers)
        if response.status_code != 200:
            raise SystemExit(f"{url} answered {response.status_code}")
        queries = len(get_recorded_queries())
    for _ in range(WARMUP):
        client.get(url, headers=headers)
    timings = []
    for _ in range(RUNS):
        began = time.perf_counter()
        client.get(url, headers=headers)
        timings.append((time.perf_counter() - began) * 1000)
    return queries, statistics.median(timings)


if __name__ == "__main__":
    main()
