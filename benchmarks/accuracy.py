"""Accuracy benchmark: generated dev data through the contract's calls, then scored.

    python -m benchmarks.accuracy --cases 20000 --seed 1234

Generates data (cases, traces, truth, difficulty labels), imports it with the same
code as `ftr import`, re-scores, exports the contract's matches file, and prints
recall@1/@10, MRR, precision and recall of `likely` pairs and the false-`likely`
rate on unmatched traces, overall and per difficulty; plus candidate recall (the
share of true pairs that candidate generation found) and the candidates per trace.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

from benchmarks.evaluate import evaluate_files, format_table, read_pairs
from benchmarks.synth import generate as synth
from benchmarks.synth_alt import generate as synth_alt
from benchmarks.synth_field import generate as synth_field
from benchmarks.synth_mosaic import generate as synth_mosaic
from case_store.db import transaction
from case_store.repository import iter_records
from matching.candidates import generate as candidates
from service import pipeline


def candidate_recall(store: pipeline.Store, truth_path: Path) -> tuple[float, float, int]:
    """Share of true (proposable) pairs among the candidates, and candidates per trace."""
    from scoring.engine import Matcher

    with transaction(store.sessions) as session:
        cases = list(iter_records(session, "cases"))
        traces = list(iter_records(session, "traces"))
    matcher = Matcher(cases)
    enc = matcher.encoder.encode("traces", traces)
    found = candidates(matcher.cases, enc, matcher.generators, matcher.budget)
    truth = read_pairs(truth_path)
    pairs = {
        (enc.ids[q], matcher.cases.ids[c])
        for q, c in zip(found.query_rows.tolist(), found.case_rows.tolist(), strict=True)
    }
    wanted = [
        (t, c)
        for t, cs in truth.items()
        for c in cs
        if t in enc.row_of and c in matcher.cases.row_of
    ]
    hit = sum(pair in pairs for pair in wanted)
    per_trace = np.bincount(found.query_rows, minlength=len(enc))
    return hit / max(len(wanted), 1), float(per_trace.mean()), int(per_trace.max(initial=0))


# `alt` is an independent generator (other cultures and habits): a check against over-fitting.
GENERATORS = {"synth": synth, "alt": synth_alt, "field": synth_field, "mosaic": synth_mosaic}


def run(cases: int, seed: int, work: Path, generator: str = "synth") -> None:
    started = time.perf_counter()
    paths = GENERATORS[generator](work / "data", n_cases=cases, seed=seed)
    print(
        f"generated {cases} cases (seed {seed}, generator {generator}) "
        f"in {time.perf_counter() - started:.1f} s"
    )
    store = pipeline.Store.open(f"sqlite:///{work / 'bench.db'}")
    t0 = time.perf_counter()
    pipeline.import_file(store, "cases", paths.cases)
    pipeline.import_file(store, "traces", paths.traces)
    t1 = time.perf_counter()
    summary = pipeline.rescore(store, full=True)
    t2 = time.perf_counter()
    matches = work / "matches.csv"
    pipeline.export_matches(store, matches)
    print(
        f"import {t1 - t0:.1f} s, rescore {t2 - t1:.1f} s "
        f"({summary.traces_scored} traces, {summary.pairs_written} pairs, "
        f"prior {summary.model.get('prior', 0):.4f})"
    )
    report = evaluate_files(matches, paths.truth, paths.traces, paths.difficulty)
    print(format_table(report, title=f"ftr-match on generated data: {cases} cases, seed {seed}"))
    recall, mean, most = candidate_recall(store, paths.truth)
    print(f"candidate recall {recall:.4f} with {mean:.1f} candidates per trace (max {most})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=20000)
    parser.add_argument("--seed", type=int, default=1234)
    parser.add_argument("--work", type=Path, default=None, help="keep files here")
    parser.add_argument("--generator", choices=sorted(GENERATORS), default="synth")
    args = parser.parse_args()
    if args.work:
        args.work.mkdir(parents=True, exist_ok=True)
        run(args.cases, args.seed, args.work, args.generator)
    else:
        with tempfile.TemporaryDirectory() as tmp:
            run(args.cases, args.seed, Path(tmp), args.generator)


if __name__ == "__main__":
    main()
