"""Benchmark: draw a sample from a 100,000-row CSV population (target: under 1 s per operation).

One operation = parse_csv of the uploaded bytes + a simple random sample of 60 + a proportional stratified sample of 60
(what the app does when an auditor uploads a population and draws).

Run: .venv/bin/python benchmarks/bench_sampling_select.py
"""

from __future__ import annotations

import csv
import io
import os
import platform
import statistics
import time

from audit_app.services.sampling.selection import parse_csv, select

ROWS = 100_000
REPETITIONS = 7
SEED = 6_871_239_540_112
TARGET_MS = 1000.0


def build_csv(rows: int = ROWS) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["id", "label", "stratum"])
    tiers = ("high", "limited", "minimal", "unacceptable")
    for i in range(rows):
        writer.writerow([f"REL-{i:06d}", f"Model release {i} (pipeline run {i * 7 % 9973})", tiers[i * 31 % 97 % 4]])
    return buffer.getvalue().encode("utf-8")


def operation(data: bytes) -> tuple[int, int, int]:
    population = parse_csv(data, id_column="id", label_column="label", stratum_column="stratum")
    simple = select(population, "simple_random", n=60, seed=SEED)
    stratified = select(population, "stratified", n=60, seed=SEED)
    return population.size, len(simple.indices), len(stratified.indices)


def machine() -> str:
    """Where a figure comes from: Python, processor, cores and the load while it ran (a shared machine is noisy)."""
    load = ", load average {:.1f} {:.1f} {:.1f}".format(*os.getloadavg()) if hasattr(os, "getloadavg") else ""
    return f"Python {platform.python_version()}, {platform.machine()}, {os.cpu_count()} cores{load}"


def main() -> int:
    data = build_csv()
    print(machine())
    print(f"population: {ROWS:,} rows, {len(data) / 1e6:.1f} MB CSV; {REPETITIONS} repetitions")
    timings = []
    for _ in range(REPETITIONS):
        start = time.perf_counter()
        sizes = operation(data)
        timings.append((time.perf_counter() - start) * 1000)
        if sizes != (ROWS, 60, 60):
            raise SystemExit(f"unexpected sizes {sizes}")
    best, median = min(timings), statistics.median(timings)
    print(f"parse_csv + simple_random(60) + stratified(60): min {best:.0f} ms, median {median:.0f} ms")
    print(f"target < {TARGET_MS:.0f} ms: {'met' if median < TARGET_MS else 'NOT met'}")
    return 0 if median < TARGET_MS else 1


if __name__ == "__main__":
    raise SystemExit(main())
