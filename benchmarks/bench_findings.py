"""Benchmark: the CAPA register with 5,000 findings and 15,000 corrective actions, and a finding page with 50 history
entries, against the sign-in page on the same server (the findings issue's target: within 3x, with a fixed number
of SQL queries whatever the data size).

Builds a throw-away database (an SQLite file, or with --postgresql a database on the server named by
AUDIT_BENCH_DATABASE_URL), plans an audit with every auditable clause and control in fieldwork through the services,
then adds findings in realistic states (a quarter each drafted, issued, being corrected and closed; three actions
each, some overdue; history rows per move) in bulk, and renders each page through the app in this process: SQL
statements of one request and the median of 20 requests after 3 warm-ups, at 50 findings and again at 5,000.

    .venv/bin/python benchmarks/bench_findings.py
    AUDIT_BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:54330/bench \\
        .venv/bin/python benchmarks/bench_findings.py --postgresql
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa
from bench_checklist_queries import build
from flask import Flask
from flask_migrate import upgrade
from flask_sqlalchemy.record_queries import get_recorded_queries

from audit_app import create_app
from audit_app.extensions import db
from audit_app.models import (
    ActionStatus,
    Audit,
    ChecklistResponse,
    CorrectiveAction,
    DueDate,
    DueStep,
    Finding,
    FindingClause,
    FindingHistory,
    FindingStatus,
    OrgUnit,
    Role,
    UnitKind,
    User,
    utcnow,
)
from audit_app.services.findings import dues, records
from audit_app.services.findings.records import FindingInput

RUNS, WARMUP = 20, 3
SMALL, LARGE, ACTIONS_PER_FINDING, HISTORY = 50, 5000, 3, 50
S = FindingStatus
#: The states the bulk findings are spread over, in these proportions.
SPREAD = (
    [S.DRAFT] * 2
    + [S.ISSUED] * 3
    + [S.ACKNOWLEDGED] * 2
    + [S.PLAN_ACCEPTED] * 5
    + [S.IMPLEMENTED] * 2
    + [S.CLOSED_EFFECTIVE] * 5
    + [S.WITHDRAWN]
)


def _app(url: str, instance: Path) -> Flask:
    return create_app(
        {
            "SECRET_KEY": "benchmark-only",
            "SQLALCHEMY_DATABASE_URI": url,
            "SQLALCHEMY_RECORD_QUERIES": True,
            "SESSION_COOKIE_SECURE": False,
            "WTF_CSRF_ENABLED": False,
            "AUTH_RATE_LIMIT_ENABLED": False,
            "INSTANCE_PATH": str(instance),
        }
    )


def _postgresql(url: str) -> str:
    """A fresh database named <db>_findings on the server of `url`."""
    parsed = sa.engine.make_url(url)
    name = f"{parsed.database}_findings"
    admin = sa.create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return parsed.set(database=name).render_as_string(hide_password=False)


def add_findings(audit_id: int, auditor_id: int, count: int, seed: int = 42) -> None:
    """`count` findings in the states of SPREAD with their clauses, due dates, actions and history, in bulk."""
    rng = random.Random(seed)
    audit = db.session.get(Audit, audit_id)
    refs = [i.ref for i in audit.scope_items if i.auditable]
    units = [OrgUnit(name=f"Bench unit {seed}-{n}", kind=UnitKind.DEPARTMENT) for n in range(20)]
    db.session.add_all(units)
    db.session.flush()
    owners = [
        User(email=f"owner{seed}-{n}@bench.test", name=f"Owner {seed}-{n}", role=Role.AUDITEE, org_unit_id=units[n].id)
        for n in range(20)
    ]
    db.session.add_all(owners)
    db.session.flush()
    start = db.session.scalar(sa.select(sa.func.count(Finding.id))) or 0
    today = dues.today()
    for n in range(start, start + count):
        status = SPREAD[n % len(SPREAD)]
        issued = status not in (S.DRAFT,) and status is not S.WITHDRAWN
        owner = owners[n % len(owners)]
        raised = utcnow() - timedelta(days=rng.randint(5, 400))
        finding = Finding(
            audit_id=audit_id,
            programme_id=audit.programme_id,
            grade=rng.choice(["major", "minor", "minor", "minor", "observation", "ofi"]),
            title=f"Finding {n}: release without impact assessment",
            requirement="Each release must have an impact assessment before deployment.",
            statement=f"Release R-{n} went live with no impact assessment on file.",
            evidence_summary=f"Release register RR-{n % 90} lists the release; no assessment is linked.",
            status=status,
            raised_by_id=auditor_id,
            raised_at=raised,
            issued_at=raised + timedelta(days=2) if issued else None,
            prefix="NC",
            number=n + 1 if issued else None,
            reference=f"{audit.reference}-NC-{n + 1:04d}" if issued else None,
            auditee_unit_id=owner.org_unit_id,
            process_owner_id=owner.id,
            closed_at=raised + timedelta(days=90) if status is S.CLOSED_EFFECTIVE else None,
        )
        finding.clauses = [FindingClause(ref=ref) for ref in rng.sample(refs, 2)]
        db.session.add(finding)
        db.session.flush()
        if issued:
            db.session.add(
                DueDate(
                    finding_id=finding.id,
                    step=DueStep.PLAN,
                    due_on=today + timedelta(days=rng.randint(-40, 60)),
                    original_due_on=today,
                )
            )
        for a in range(ACTIONS_PER_FINDING):
            db.session.add(
                CorrectiveAction(
                    finding_id=finding.id,
                    description=f"Action {a + 1} of finding {n}: add the assessment gate.",
                    owner_id=owners[(n + a) % len(owners)].id,
                    due_on=today + timedelta(days=rng.randint(-30, 90)),
                    status=ActionStatus.IMPLEMENTED
                    if status in (S.IMPLEMENTED, S.CLOSED_EFFECTIVE)
                    else ActionStatus.PLANNED,
                )
            )
        db.session.add_all(
            FindingHistory(
                finding_id=finding.id,
                event="status",
                field="status",
                old_value="draft",
                new_value=status.value,
                actor_id=auditor_id,
            )
            for _ in range(3)
        )
        if n % 500 == 0:
            db.session.commit()
    db.session.commit()


def history_finding(audit_id: int, auditor_id: int) -> int:
    """A finding drafted through the services, then edited until it has HISTORY entries."""
    audit = db.session.get(Audit, audit_id)
    auditor = db.session.get(User, auditor_id)
    response = db.session.scalars(sa.select(ChecklistResponse).where(ChecklistResponse.audit_id == audit_id)).first()
    unit = db.session.scalars(sa.select(OrgUnit)).first()
    data = FindingInput(
        grade="ofi",
        title="Opportunity with a long history",
        statement="Two of ten interviewees could not find the AI policy.",
        evidence_summary="Interviews on day one.",
        clause_refs=[response.item.ref] if response.item.auditable else [],
        other_criteria="AI policy v2",
        response_ids=[response.id],
        auditee_unit_id=unit.id if unit else None,
    )
    finding = records.create_in_audit(audit, data, actor=auditor)
    n = 0
    while len(finding.history) < HISTORY:
        data.title = f"Opportunity with a long history (edit {n})"
        records.update(finding, data, actor=auditor)
        db.session.flush()
        db.session.expire(finding, ["history"])
        n += 1
    db.session.commit()
    return finding.id


def measure(app: Flask, url: str, user_id: int | None) -> tuple[int, float]:
    """(SQL statements of one request, median ms of RUNS requests after WARMUP)."""
    client = app.test_client()
    if user_id is not None:
        with app.app_context():
            version = db.session.get(User, user_id).session_version
        with client.session_transaction() as session:
            session["_user_id"] = f"{user_id}:{version}"
    with client:
        response = client.get(url)
        if response.status_code != 200:
            raise SystemExit(f"{url} answered {response.status_code}")
        queries = len(get_recorded_queries())
    for _ in range(WARMUP):
        client.get(url)
    timings = []
    for _ in range(RUNS):
        began = time.perf_counter()
        client.get(url)
        timings.append((time.perf_counter() - began) * 1000)
    return queries, statistics.median(timings)


def pages(audit_id: int, finding_id: int) -> dict[str, str]:
    return {
        "sign-in page (trivial)": "/auth/login",
        "notifications (trivial, signed in)": "/notifications/",
        "CAPA register": "/findings/register",
        "CAPA register, open and overdue": "/findings/register?status=open&overdue=y",
        "CAPA register, search": "/findings/register?q=R-4",
        "CAPA register, actions": "/findings/register/actions",
        "audit's findings": f"/audits/{audit_id}/findings",
        "finding page (50 history entries)": f"/findings/{finding_id}",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--postgresql", action="store_true", help="use AUDIT_BENCH_DATABASE_URL's server")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = (
            _postgresql(os.environ["AUDIT_BENCH_DATABASE_URL"])
            if args.postgresql
            else f"sqlite:///{folder}/findings.sqlite"
        )
        app = _app(url, Path(folder) / "instance")
        with app.app_context():
            upgrade()
            audit_id, auditor_id, _ = build(app)
            lead_id = db.session.scalar(sa.select(User.id).where(User.role == Role.LEAD_AUDITOR))
            finding_id = history_finding(audit_id, auditor_id)
            add_findings(audit_id, auditor_id, SMALL - 1)
        results: dict[int, dict[str, tuple[int, float]]] = {}
        for size in (SMALL, LARGE):
            if size == LARGE:
                with app.app_context():
                    add_findings(audit_id, auditor_id, LARGE - SMALL, seed=7)
                    if args.postgresql:  # fresh planner statistics after the bulk load, as autovacuum would give
                        db.session.execute(sa.text("ANALYZE"))
                        db.session.commit()
            results[size] = {
                name: measure(app, page, None if "sign-in" in name else lead_id)
                for name, page in pages(audit_id, finding_id).items()
            }
        with app.app_context():
            db.engine.dispose()
    trivial = results[LARGE]["sign-in page (trivial)"][1]
    signed_in = results[LARGE]["notifications (trivial, signed in)"][1]
    print(f"{'page':40} {'SQL@50':>7} {'SQL@5000':>9} {'ms@50':>8} {'ms@5000':>9} {'x sign-in':>10} {'x notif.':>9}")
    for name in results[LARGE]:
        (q_small, ms_small), (q_large, ms_large) = results[SMALL][name], results[LARGE][name]
        print(
            f"{name:40} {q_small:>7} {q_large:>9} {ms_small:>8.1f} {ms_large:>9.1f} {ms_large / trivial:>10.1f} "
            f"{ms_large / signed_in:>9.1f}"
        )
    print(
        f"database: {'PostgreSQL' if args.postgresql else 'SQLite'}; "
        f"{LARGE} findings, {LARGE * ACTIONS_PER_FINDING} actions"
    )


if __name__ == "__main__":
    main()
