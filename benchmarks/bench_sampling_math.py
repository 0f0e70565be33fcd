"""Benchmark: the exact finite-population attribute sample size for N = 1,000,000 (target < 100 ms each).

Run: .venv/bin/python benchmarks/bench_sampling_math.py
"""

from __future__ import annotations

import statistics
import time

from audit_app.services.sampling.maths import attribute_sample_size

REPETITIONS = 20
CASES = [
    (0.95, 0.05, 0, 1_000_000),  # the targets of issue 4 item 6
    (0.95, 0.05, 0.01, 1_000_000),
    (0.95, 0.05, 0.04, 1_000_000),  # a harder plan (expected rate close to the tolerable rate), for context
]


def main() -> None:
    for confidence, tolerable, expected, population in CASES:
        result = attribute_sample_size(confidence, tolerable, expected, population=population)
        timings = []
        for _ in range(REPETITIONS):
            start = time.perf_counter()
            attribute_sample_size(confidence, tolerable, expected, population=population)
            timings.append((time.perf_counter() - start) * 1000)
        print(
            f"attribute_sample_size({confidence}, {tolerable}, {expected}, population={population:,}): "
            f"n={result.sample_size}, tolerates {result.tolerable_deviations} deviation(s); "
            f"min {min(timings):.3f} ms, median {statistics.median(timings):.3f} ms over {REPETITIONS} runs"
        )


if __name__ == "__main__":
    main()
