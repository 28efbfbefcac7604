"""A full re-score on a Dask LocalCluster exports exactly what a single process does."""

from __future__ import annotations

import pytest

from benchmarks.synth import generate
from service import pipeline
from service.distributed import ClusterSpec, partitions

pytest.importorskip("dask.distributed")


def test_partitions_are_whole_chunks_covering_every_trace():
    assert partitions(0, 10, 4) == []
    ranges = partitions(95, 10, 4)
    assert ranges[0][0] == 0 and ranges[-1][1] == 95
    assert all(start % 10 == 0 for start, _ in ranges)
    assert all(a[1] == b[0] for a, b in zip(ranges, ranges[1:], strict=False))


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
