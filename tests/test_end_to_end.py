"""End to end on generated data with known truth: the contract's calls, accuracy floors.

The floors sit below what the matcher measures on this set (see README) so that a
regression fails loudly while run-to-run noise does not.
"""

from __future__ import annotations

import csv
import subprocess
import sys

from benchmarks.evaluate import evaluate_files
from benchmarks.synth import generate


def test_contract_calls_meet_accuracy_floors(tmp_path):
    paths = generate(tmp_path / "data", n_cases=800, seed=20261130)
    url = f"sqlite:///{tmp_path / 'e2e.db'}"
    matches = tmp_path / "matches.csv"
    for args in (
        ["import", "cases", str(paths.cases)],
        ["import", "traces", str(paths.traces)],
        ["rescore"],
        ["export", "matches", str(matches)],
    ):
        done = subprocess.run(
            [sys.executable, "-m", "service.cli", "--db", url, *args],
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert done.returncode == 0, done.stderr
        # a finished command skips tearing down its heap (`service.cli._finish`), but
        # not its duties: the summary is out, and the write-ahead log is folded into
        # the database file, which alone holds the results
        if args[0] == "rescore":
            assert "potential matches" in done.stdout
        wal = tmp_path / "e2e.db-wal"
        assert not wal.exists() or wal.stat().st_size == 0, args
    with open(matches, newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert rows and list(rows[0]) == ["trace_id", "case_id", "rank", "score", "likelihood"]
    for row in rows:
        assert 1 <= int(row["rank"]) <= 10
        assert 0.0 <= float(row["score"]) <= 1.0
        assert row["likelihood"] in ("likely", "possible")
    report = evaluate_files(matches, paths.truth, paths.traces, paths.difficulty)
    overall = report.overall
    assert overall.recall1 >= 0.93, report.summary_line()
    assert overall.recall10 >= 0.97, report.summary_line()
    assert overall.likely_precision >= 0.97, report.summary_line()
    assert overall.false_likely_rate <= 0.06, report.summary_line()
