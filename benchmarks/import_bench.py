"""Import speed and memory: generated cases into the embedded SQLite store.

    python -m benchmarks.import_bench --cases 1000000

Generates the file first (not timed), then imports it with the code `ftr import`
runs, and prints rows per second and the peak resident memory of the process.
The issue's target: 1,000,000 cases in under 2 minutes and under 1 GiB.
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path

from benchmarks.synth import generate
from service import pipeline


def peak_rss_mib() -> float:
    """Peak resident set size of this process so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run(cases: int, seed: int, work: Path, fmt: str) -> None:
    started = time.perf_counter()
    paths = generate(work / "data", n_cases=cases, seed=seed, fmt=fmt)  # type: ignore[arg-type]
    print(f"generated {cases} cases in {time.perf_counter() - started:.1f} s ({paths.cases})")
    rss_before = peak_rss_mib()
    store = pipeline.Store.open(f"sqlite:///{work / 'import.db'}")
    started = time.perf_counter()
    result = pipeline.import_file(store, "cases", paths.cases)
    seconds = time.perf_counter() - started
    print(
        f"imported {result.rows} cases in {seconds:.1f} s: {result.rows / seconds:,.0f} rows/s; "
        f"peak RSS {peak_rss_mib():.0f} MiB (before import {rss_before:.0f} MiB)"
    )
    started = time.perf_counter()
    again = pipeline.import_file(store, "cases", paths.cases)
    seconds = time.perf_counter() - started
    print(
        f"re-imported the same file in {seconds:.1f} s ({again.unchanged} unchanged); "
        f"peak RSS {peak_rss_mib():.0f} MiB"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--format", choices=["csv", "jsonl"], default="csv")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        run(args.cases, args.seed, Path(tmp), args.format)


if __name__ == "__main__":
    main()
