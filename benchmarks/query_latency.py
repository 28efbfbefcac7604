"""Embedded query latency on a store that exists already: build, then time `match`.

    python -m benchmarks.query_latency --db sqlite:///work/bench.db \\
        --traces work/data/traces.csv [--queries 300] [--profile tottime]

`benchmarks.rescore_bench --queries-only` generates and imports a store before it
times queries; this reuses one (a store of a million cases takes minutes to build), so
two versions of the code can be timed on the same store and the same queries, one
after the other (run it from each version's checkout). It prints the build time, p50,
p95, p99 and mean of single-trace `match` calls, and with `--profile` the top of a
cProfile sorted by the given key.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import time
from pathlib import Path

import numpy as np

from benchmarks.rescore_bench import read_records
from service.embedded import EmbeddedMatcher


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True, help="SQLAlchemy URL of the store")
    parser.add_argument("--traces", type=Path, required=True, help="CSV of traces to query")
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--profile", default=None, help="cProfile sort key (tottime, ...)")
    args = parser.parse_args()
    started = time.perf_counter()
    embedded = EmbeddedMatcher.from_store(args.db)
    assert embedded.matcher is not None  # built now, not by the first query
    print(f"built in {time.perf_counter() - started:.1f} s")
    queries = read_records(args.traces, args.queries)
    embedded.match(queries[0])  # first-call costs (imports, caches) are not a query's
    profiler = cProfile.Profile() if args.profile else None
    latencies = []
    for trace in queries:
        if profiler is not None:
            profiler.enable()
        t0 = time.perf_counter()
        embedded.match(trace)
        latencies.append((time.perf_counter() - t0) * 1000)
        if profiler is not None:
            profiler.disable()
    p50, p95, p99 = np.percentile(latencies, [50, 95, 99])
    print(
        f"{len(latencies)} queries: p50 / p95 / p99 {p50:.1f} / {p95:.1f} / {p99:.1f} ms, "
        f"mean {np.mean(latencies):.1f} ms"
    )
    if profiler is not None:
        text = io.StringIO()
        pstats.Stats(profiler, stream=text).sort_stats(args.profile).print_stats(30)
        print(text.getvalue())


if __name__ == "__main__":
    main()
