"""The query-latency benchmark times single queries against a store that exists."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from benchmarks import query_latency, synth
from service import pipeline


def test_it_builds_from_the_store_and_prints_the_percentiles(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    paths = synth.generate(tmp_path / "data", n_cases=300, seed=3)
    url = f"sqlite:///{tmp_path / 'ftr.db'}"
    store = pipeline.Store.open(url)
    pipeline.import_file(store, "cases", paths.cases)
    argv = ["query_latency", "--db", url, "--traces", str(paths.traces), "--queries", "20"]
    monkeypatch.setattr(sys, "argv", [*argv, "--profile", "tottime"])
    query_latency.main()
    out = capsys.readouterr().out
    assert "built in" in out
    assert "20 queries: p50 / p95 / p99" in out
    assert "function calls" in out  # the profile
