"""Benchmark: building the audit report (.docx) for a large audit, against a minimal python-docx script that writes
the same headings, paragraphs and table rows (the reports issue's targets: under 3 s on a 2-core machine, within
2x the minimal script, and linear in the number of findings: 10x findings in at most 11x the time).

Builds a throw-away SQLite database: an audit with every auditable clause and control in scope
(bench_checklist_queries), results on every item, 500 evidence entries (100 with a file), 20 samples drawn,
tested and evaluated through the services, and findings in realistic states (bench_findings); then times
`generate.build` for the audit report (data gathering included: median of 5 after a warm-up), with 30 findings
and again with 300, and the minimal script on the same content.

    .venv/bin/python benchmarks/bench_report.py
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import statistics
import tempfile
import time
from datetime import date
from pathlib import Path

import docx
import sqlalchemy as sa
from bench_checklist_queries import build
from bench_findings import _app, add_findings
from flask_migrate import upgrade
from flask_sqlalchemy.record_queries import get_recorded_queries

from audit_app.extensions import db
from audit_app.models import (
    Audit,
    ChecklistResponse,
    Evidence,
    EvidenceFile,
    EvidenceMethod,
    EvidenceMode,
    PopulationSource,
    ResponseResult,
    SampleItemResult,
    SampleMethod,
    SizeBasis,
    User,
)
from audit_app.services.reports import generate
from audit_app.services.reports.templates import template_in_use
from audit_app.services.sampling import populations, samples

RUNS = 5
EVIDENCE, FILES, SAMPLES = 500, 100, 20
FEW, MANY = 30, 300
#: Results spread over the items (the report's clause table and chart count them).
SPREAD = [ResponseResult.CONFORMING] * 6 + [ResponseResult.NONCONFORMITY, ResponseResult.OBSERVATION]


def add_results_and_evidence(audit_id: int, auditor_id: int) -> None:
    responses = list(db.session.scalars(sa.select(ChecklistResponse).where(ChecklistResponse.audit_id == audit_id)))
    for n, response in enumerate(responses):
        response.result = SPREAD[n % len(SPREAD)]
        response.statement = f"Result {n}: seen in the records listed."
    responses[-1].result = ResponseResult.NOT_AUDITED
    responses[-1].reason = "The process owner was on leave; moved to the next audit."
    evidence = [
        Evidence(
            audit_id=audit_id,
            response_id=responses[n % len(responses)].id,
            method=EvidenceMethod.RECORD_REVIEW,
            mode=EvidenceMode.ON_SITE,
            source=f"Change ticket CHG-{n}",
            description=f"Ticket CHG-{n} carries the approval and the test record.",
            evidence_date=date(2026, 3, 2),
            recorded_by_id=auditor_id,
        )
        for n in range(EVIDENCE)
    ]
    db.session.add_all(evidence)
    db.session.flush()
    db.session.add_all(
        EvidenceFile(
            evidence_id=evidence[n].id,
            name=f"chg-{n}.pdf",
            stored_name=f"{n:040x}",
            content_type="application/pdf",
            size=1000 + n,
            sha256=f"{n:064x}",
            uploaded_by_id=auditor_id,
        )
        for n in range(FILES)
    )
    db.session.commit()


def add_samples(audit_id: int, auditor_id: int) -> None:
    audit = db.session.get(Audit, audit_id)
    auditor = db.session.get(User, auditor_id)
    items = [i for i in audit.scope_items if i.auditable]
    for s in range(SAMPLES):
        sample = samples.create_sample(
            audit,
            samples.SampleData(
                f"Sample {s + 1}: change approvals",
                "Each change carries an approval before release.",
                "changes",
                (items[s % len(items)].id,),
            ),
            actor=auditor,
        )
        populations.set_population(
            sample,
            populations.PopulationData(
                PopulationSource.TYPED,
                description=f"Change log extract {s + 1}",
                completeness_check="Count reconciled to the change system.",
                typed="\n".join(f"CHG-{s}-{i:03d}, change {i}" for i in range(1, 61)),
            ),
            actor=auditor,
        )
        samples.set_size(
            sample,
            samples.SizeData(
                SampleMethod.SIMPLE_RANDOM, SizeBasis.MANUAL, manual_size=10, rationale="Ten, a fixed sample."
            ),
            actor=auditor,
        )
        drawn = samples.draw(sample, actor=auditor, seed=1000 + s)
        for index, item in enumerate(list(drawn)):
            failed = index == 0 and s % 4 == 0
            samples.record_result(
                item, SampleItemResult.DEVIATION if failed else SampleItemResult.CONFORMING, actor=auditor
            )
        samples.evaluate(sample, actor=auditor)
        db.session.commit()


def timed_build(audit_id: int, lead_id: int) -> tuple[int, float, bytes]:
    """(SQL statements of one build, median seconds of RUNS builds after one warm-up, the document)."""
    audit = db.session.get(Audit, audit_id)
    lead = db.session.get(User, lead_id)
    template = template_in_use().data
    control = generate.draft_control(lead, audit, generate.DocumentKind.AUDIT_REPORT.report_kind)
    before = len(get_recorded_queries())
    data = generate.build(generate.DocumentKind.AUDIT_REPORT, audit, control, template, lead)
    queries = len(get_recorded_queries()) - before
    timings = []
    for _ in range(RUNS):
        db.session.expire_all()
        began = time.perf_counter()
        generate.build(generate.DocumentKind.AUDIT_REPORT, audit, control, template, lead)
        timings.append(time.perf_counter() - began)
    return queries, statistics.median(timings), data


def minimal_script(report: bytes) -> float:
    """Median seconds for plain python-docx to write the report's headings, paragraphs and table rows."""
    source = docx.Document(io.BytesIO(report))
    blocks: list[tuple[str, object]] = []
    for element in source.element.body.iterchildren():
        tag = element.tag.rsplit("}", 1)[-1]
        if tag == "p":
            blocks.append(("p", "".join(t.text or "" for t in element.iter() if t.tag.endswith("}t"))))
        elif tag == "tbl":
            rows = [
                [
                    "".join(t.text or "" for t in cell.iter() if t.tag.endswith("}t"))
                    for cell in row.iterchildren()
                    if cell.tag.endswith("}tc")
                ]
                for row in element.iterchildren()
                if row.tag.endswith("}tr")
            ]
            blocks.append(("t", rows))

    def write() -> None:
        out = docx.Document()
        for kind, value in blocks:
            if kind == "p":
                out.add_paragraph(str(value))
            else:
                rows = value  # type: ignore[assignment]
                if not rows:
                    continue
                table = out.add_table(rows=1, cols=len(rows[0]))
                for cell, text in zip(table.rows[0].cells, rows[0], strict=False):
                    cell.text = text
                for row in rows[1:]:
                    for cell, text in zip(table.add_row().cells, row, strict=False):
                        cell.text = text
        out.save(io.BytesIO())

    write()
    timings = []
    for _ in range(RUNS):
        began = time.perf_counter()
        write()
        timings.append(time.perf_counter() - began)
    return statistics.median(timings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--profile", action="store_true", help="print the 25 costliest functions of one build")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        app = _app(f"sqlite:///{folder}/report.sqlite", Path(folder) / "instance")
        with app.app_context():
            upgrade()
            audit_id, auditor_id, _ = build(app)
            lead_id = db.session.get(Audit, audit_id).lead_auditor_id
            add_results_and_evidence(audit_id, auditor_id)
            add_samples(audit_id, auditor_id)
            add_findings(audit_id, auditor_id, FEW)
            with app.test_request_context():
                few_queries, few_time, _ = timed_build(audit_id, lead_id)
            add_findings(audit_id, auditor_id, MANY - FEW, seed=43)
            with app.test_request_context():
                many_queries, many_time, report = timed_build(audit_id, lead_id)
                if args.profile:
                    profiler = cProfile.Profile()
                    profiler.runcall(timed_build, audit_id, lead_id)
                    pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)
            items = db.session.scalar(
                sa.select(sa.func.count(ChecklistResponse.id)).where(ChecklistResponse.audit_id == audit_id)
            )
        baseline = minimal_script(report)
        document = docx.Document(io.BytesIO(report))
        print(f"audit: {items} items, {EVIDENCE} evidence entries, {SAMPLES} samples")
        size = f"{len(document.paragraphs)} paragraphs, {len(document.tables)} tables, {len(report) // 1024} KiB"
        print(f"document: {size}")
        print(f"{'findings':>9} {'SQL':>5} {'build s':>8}")
        print(f"{FEW:>9} {few_queries:>5} {few_time:>8.3f}")
        print(f"{MANY:>9} {many_queries:>5} {many_time:>8.3f}")
        print(f"minimal python-docx script, same content: {baseline:.3f} s")
        print(f"ratio to the minimal script: {many_time / baseline:.2f}x (target <= 2x)")
        print(f"growth for {MANY // FEW}x findings: {many_time / few_time:.2f}x (target <= {MANY // FEW + 1}x)")
        print(f"cost of each further finding: {(many_time - few_time) / (MANY - FEW) * 1000:.2f} ms")


if __name__ == "__main__":
    main()
