"""A full re-score on a Dask LocalCluster exports exactly what a single process does."""

from __future__ import annotations

import pytest

from benchmarks.synth import generate
from scoring.engine import request_chunks
from service import pipeline
from service.distributed import ClusterSpec, partitions

pytest.importorskip("dask.distributed")


def test_partitions_are_whole_chunks_covering_every_trace():
    assert partitions([], 4) == []
    traces = [{"trace_id": f"T{i}", "request_id": f"R{i // 3}"} for i in range(95)]
    chunks = request_chunks(traces, 10)
    parts = partitions(chunks, 4)
    assert [t["trace_id"] for part in parts for t in part] == [t["trace_id"] for t in traces]
    assert len(parts) == 4
    # no request is cut between two partitions
    assert all(
        part[-1]["request_id"] != after[0]["request_id"]
        for part, after in zip(parts, parts[1:], strict=False)
    )


def test_local_cluster_matches_the_single_process_run(tmp_path):
    paths = generate(tmp_path / "data", n_cases=300, seed=47)
    exports = []
    for name, cluster in (("single", None), ("dask", ClusterSpec(workers=2))):
        store = pipeline.Store.open(f"sqlite:///{tmp_path / name}.db")
        pipeline.import_file(store, "cases", paths.cases)
        pipeline.import_file(store, "traces", paths.traces)
        # small chunks, so that the traces fall into several partitions
        summary = pipeline.rescore(store, full=True, cluster=cluster, chunk=16, persist=False)
        assert summary.traces_scored > 64 and summary.pairs_written > 0
        assert (summary.cluster is None) == (cluster is None)
        pipeline.export_matches(store, tmp_path / f"{name}.csv")
        store.engine.dispose()
        exports.append((tmp_path / f"{name}.csv").read_text())
    assert exports[0].count("\n") > 50
    assert exports[1] == exports[0]
