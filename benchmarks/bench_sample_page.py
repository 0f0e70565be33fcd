"""Benchmark: the page of a whole-population sample with 10,000 items (listed 50 to a page), in a realistic audit.

Builds a throw-away SQLite app (the audit of bench_checklist_queries) with 2,000 evidence entries (the heavy audit
of the hardening issue: each result row of the page may link one), uploads a 10,000-row CSV population, draws the
whole population and records results on the first 100 items. Then renders the sample page (page 1, page 200 and
the pending filter) with the test client, printing the SQL queries of one request, the median render time and the
size of the page. The page shows the re-performance verdict stored at the draw (it no longer re-draws on every
view) and offers the audit's evidence once (one datalist), not once per row. A 100-item sample is measured the
same way to show the query count does not grow with the items.

Run from the repository root: .venv/bin/python benchmarks/bench_sample_page.py
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from bench_checklist_queries import build, measure
from bench_sample_100k import add_evidence, machine
from flask import Flask

from audit_app import create_app
from audit_app.extensions import db
from audit_app.models import Audit, PopulationSource, SampleItemResult, SampleMethod, SizeBasis, User
from audit_app.services.sampling import populations, samples

SIZES = (100, 10_000)
EVIDENCE = 2_000


def whole_population(audit_id: int, auditor_id: int, size: int) -> int:
    """A drawn whole-population sample of `size` CSV rows with the first 100 results recorded; its id."""
    audit, auditor = db.session.get(Audit, audit_id), db.session.get(User, auditor_id)
    data = samples.SampleData("Model changes", "Each change has a sign-off.", "changes", (audit.scope_items[0].id,))
    sample = samples.create_sample(audit, data, actor=auditor)
    rows = ["id,label,team", *(f"CHG-{n:06d},Change {n},{'Risk' if n % 3 else 'Ops'}" for n in range(size))]
    populations.set_population(
        sample,
        populations.PopulationData(
            PopulationSource.CSV,
            csv_bytes="\n".join(rows).encode(),
            id_column="id",
            label_column="label",
            completeness_check="Count reconciled to the change system.",
        ),
        actor=auditor,
    )
    samples.set_size(sample, samples.SizeData(SampleMethod.WHOLE_POPULATION, SizeBasis.MANUAL), actor=auditor)
    items = samples.draw(sample, actor=auditor)
    for item in items[:100]:
        samples.record_result(item, SampleItemResult.CONFORMING, actor=auditor)
    db.session.commit()
    return sample.id


def page_of(app: Flask, url: str, user_id: int) -> bytes:
    """The page's bytes as the auditor gets them."""
    client = app.test_client()
    with app.app_context():
        version = db.session.get(User, user_id).session_version
    with client.session_transaction() as session:
        session["_user_id"] = f"{user_id}:{version}"
    return client.get(url).get_data()


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        app: Flask = create_app(
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
            audit_id, auditor_id, _ = build(app)
            add_evidence(audit_id, auditor_id, EVIDENCE)
            ids = {size: whole_population(audit_id, auditor_id, size) for size in SIZES}
        print(f"SQLite, {machine()}; the audit holds {EVIDENCE:,} evidence entries")
        base = f"/audits/{audit_id}/samples"
        for size, sample_id in ids.items():
            last = -(-size // 50)
            for label, query in (("page 1", ""), (f"page {last}", f"?page={last}"), ("pending", "?show=pending")):
                url = f"{base}/{sample_id}{query}"
                queries, median = measure(app, url, auditor_id)
                size_kb = len(page_of(app, url, auditor_id)) / 1000
                print(f"{size:>6} items, {label:<9}: {queries} SQL queries, median {median:.1f} ms, {size_kb:,.0f} kB")
        with app.app_context():
            db.engine.dispose()


if __name__ == "__main__":
    main()
