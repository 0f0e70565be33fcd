"""Benchmark: a whole-population sample of 100,000 items — freeze, draw, and the pages and API lists of it.

Builds a throw-away database (SQLite in a temporary folder; or PostgreSQL when AUDIT_BENCH_DATABASE_URL names a
database, whose tables are dropped and created again), plans the audit of bench_checklist_queries with 2,000
evidence entries, and through the services: freezes a 100,000-row CSV population, sets the whole-population
method, draws (one bulk INSERT of the items, then the draw re-performed once from the snapshot and the verdict
stored) and commits, each step timed once. Then, with the test client, the median of RUNS requests for:
the sample page (page 1, the last page, the pending filter), one page of the API's items list, the API's sample
record, and "check re-performance again" (the only request that re-reads the snapshot).

Run from the repository root:
    .venv/bin/python benchmarks/bench_sample_100k.py
    AUDIT_BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:54330/bench_samples \\
        .venv/bin/python benchmarks/bench_sample_100k.py
"""

from __future__ import annotations

import os
import platform
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

import sqlalchemy as sa
from bench_checklist_queries import build
from flask import Flask
from flask_sqlalchemy.record_queries import get_recorded_queries

from audit_app import create_app
from audit_app.extensions import db
from audit_app.models import (
    Audit,
    ChecklistResponse,
    Evidence,
    EvidenceMethod,
    EvidenceMode,
    PopulationSource,
    Sample,
    SampleMethod,
    SizeBasis,
    User,
)
from audit_app.services import accounts
from audit_app.services.sampling import populations, samples

ROWS = 100_000
EVIDENCE = 2_000
RUNS = 5


def add_evidence(audit_id: int, auditor_id: int, count: int) -> None:
    """`count` evidence entries spread over the audit's checklist items (narrow inserts: not what is measured)."""
    responses = list(db.session.scalars(sa.select(ChecklistResponse.id).where(ChecklistResponse.audit_id == audit_id)))
    db.session.execute(
        sa.insert(Evidence),
        [
            {
                "audit_id": audit_id,
                "response_id": responses[n % len(responses)],
                "method": EvidenceMethod.RECORD_REVIEW,
                "mode": EvidenceMode.ON_SITE,
                "source": f"Change ticket CHG-{n:05d} (approval workflow export)",
                "evidence_date": date(2026, 3, 2),
                "recorded_by_id": auditor_id,
            }
            for n in range(count)
        ],
    )
    db.session.commit()


def timed(what: str, action: Callable[[], object]) -> object:
    start = time.perf_counter()
    result = action()
    print(f"  {what:<58} {(time.perf_counter() - start) * 1000:9.0f} ms")
    return result


def population_csv() -> bytes:
    rows = [
        "id,label,team",
        *(f"CHG-{n:06d},Change {n} to the scoring model,{'Risk' if n % 3 else 'Ops'}" for n in range(ROWS)),
    ]
    return "\n".join(rows).encode()


def whole_population(audit_id: int, auditor_id: int) -> int:
    audit, auditor = db.session.get(Audit, audit_id), db.session.get(User, auditor_id)
    data = samples.SampleData("Model changes", "Each change has a sign-off.", "changes", (audit.scope_items[0].id,))
    sample = samples.create_sample(audit, data, actor=auditor)
    db.session.commit()
    csv = population_csv()
    frozen = populations.PopulationData(
        PopulationSource.CSV,
        csv_bytes=csv,
        id_column="id",
        label_column="label",
        completeness_check="Count reconciled to the change system.",
    )
    timed(
        f"freeze the population ({len(csv) / 1e6:.1f} MB CSV, parse + snapshot)",
        lambda: populations.set_population(sample, frozen, actor=auditor),
    )
    timed("commit", db.session.commit)
    size = samples.SizeData(SampleMethod.WHOLE_POPULATION, SizeBasis.MANUAL)
    samples.set_size(sample, size, actor=auditor)
    db.session.commit()
    drawn = timed(
        f"draw the whole population ({ROWS:,} items, insert + verify once)", lambda: samples.draw(sample, actor=auditor)
    )
    timed("commit", db.session.commit)
    if len(drawn) != ROWS or sample.reperformed is not True:  # type: ignore[arg-type]
        raise SystemExit("the draw did not store and verify every unit")
    return sample.id


def measure(client, method: str, url: str, **kwargs) -> tuple[int, float, int]:
    """(SQL queries of one request, median ms over RUNS requests, response bytes)."""
    with client:
        response = client.open(url, method=method, **kwargs)
        if response.status_code >= 400:
            raise SystemExit(f"{method} {url} answered {response.status_code}")
        queries = len(get_recorded_queries())
    size = len(response.get_data())
    timings = []
    for _ in range(RUNS):
        start = time.perf_counter()
        response = client.open(url, method=method, **kwargs)
        timings.append((time.perf_counter() - start) * 1000)
    return queries, statistics.median(timings), size


def run(app: Flask) -> None:
    with app.app_context():
        audit_id, auditor_id, _ = build(app)
        add_evidence(audit_id, auditor_id, EVIDENCE)
        sample_id = whole_population(audit_id, auditor_id)
        user = db.session.get(User, auditor_id)
        _, token = accounts.create_token(user, "bench", actor=None)
        version = user.session_version
        db.session.commit()
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = f"{auditor_id}:{version}"
    page = f"/audits/{audit_id}/samples/{sample_id}"
    api = f"/api/v1/audits/{audit_id}/samples/{sample_id}"
    bearer = {"Authorization": f"Bearer {token}"}
    last = -(-ROWS // 50)
    cases = [
        ("GET", "sample page, page 1", page, {}),
        ("GET", f"sample page, page {last}", f"{page}?page={last}", {}),
        ("GET", "sample page, pending filter", f"{page}?show=pending", {}),
        ("GET", "API items, page 1 (50)", f"{api}/items", {"headers": bearer}),
        ("GET", "API items, last page of 100", f"{api}/items?page={ROWS // 100}&per_page=100", {"headers": bearer}),
        ("GET", "API sample record", api, {"headers": bearer}),
        ("POST", "check re-performance again (API)", f"{api}/reperformance", {"headers": bearer}),
    ]
    print(f"  {'request':<36} {'queries':>7} {'median':>10} {'size':>10}")
    for method, label, url, kwargs in cases:
        queries, median, size = measure(client, method, url, **kwargs)
        print(f"  {label:<36} {queries:>7} {median:>8.0f} ms {size / 1000:>7.0f} kB")
    with app.app_context():
        stored = db.session.scalar(
            sa.select(sa.func.count()).where(Sample.id == sample_id, Sample.reperformed.is_(True))
        )
        if stored != 1:
            raise SystemExit("the re-performance verdict was not kept")


def machine() -> str:
    """Where a figure comes from: Python, processor, cores and the load while it ran (a shared machine is noisy)."""
    load = ", load average {:.1f} {:.1f} {:.1f}".format(*os.getloadavg()) if hasattr(os, "getloadavg") else ""
    return f"Python {platform.python_version()}, {platform.machine()}, {os.cpu_count()} cores{load}"


def main() -> None:
    url = os.environ.get("AUDIT_BENCH_DATABASE_URL")
    with tempfile.TemporaryDirectory() as folder:
        app = create_app(
            {
                "TESTING": True,
                "SECRET_KEY": "benchmark-only",
                "SQLALCHEMY_DATABASE_URI": url or f"sqlite:///{Path(folder) / 'bench.sqlite'}",
                "SQLALCHEMY_RECORD_QUERIES": True,
                "SESSION_COOKIE_SECURE": False,
                "INSTANCE_PATH": str(Path(folder) / "instance"),
            }
        )
        with app.app_context():
            if url:
                db.drop_all()
            db.create_all()
            print(f"{db.engine.dialect.name}, {machine()}")
        run(app)
        with app.app_context():
            if url:
                db.drop_all()
            db.engine.dispose()


if __name__ == "__main__":
    main()
