"""A full re-score across a Dask cluster, by partitions of traces.

The driver (the `ftr rescore` process) reads the store, fits the model once and
builds the matcher's indexes once; it then ships them to every worker as one
snapshot (`scoring.snapshot.to_bytes`, broadcast), each worker restores that exact
matcher and matches its partitions of traces, and the driver writes every result in
one transaction as a single-process run does. Workers never touch the store.

Why a snapshot rather than the cases: a worker that re-encoded the cases and
re-fitted the vector projection would spend the driver's build time again on every
worker, and could differ from the driver in the last bits of a floating-point
reduction; restored arrays are the driver's own. The snapshot carries a digest of
the matching and scoring code, and a worker running other code refuses it.

Partitions are whole chunks of the matcher's (`engine.request_chunks`: about
`chunk` traces, a tracing request's traces always in one), so each worker scores
exactly the groups of traces the single-process run scores together, and the
results are identical to it, ties included.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from scoring import snapshot
from scoring.engine import Matcher, ScoredMatch, request_chunks
from service.collector import bulk_work

Record = dict[str, str | None]
# per worker process: the restored matcher of the run in progress
_WORKER_MATCHERS: dict[str, Matcher] = {}
_WORKER_LOCK = threading.Lock()


@dataclass(frozen=True)
class ClusterSpec:
    """Where to run: a scheduler address (`tcp://host:8786`), or N local processes."""

    scheduler: str | None = None
    workers: int | None = None

    def describe(self) -> str:
        return self.scheduler or f"local cluster of {self.workers} processes"


def partitions(chunks: Sequence[Sequence[Record]], parts: int) -> list[list[Record]]:
    """About `parts` partitions, each the traces of whole consecutive `chunks`."""
    per_part = max(1, -(-len(chunks) // max(parts, 1)))
    return [
        [trace for group in chunks[start : start + per_part] for trace in group]
        for start in range(0, len(chunks), per_part)
    ]


def _match_partition(
    blob: bytes,
    print_: str,
    run: str,
    records: Sequence[Record],
    k: int,
    chunk: int,
    options: dict[str, Any],
) -> list[ScoredMatch]:
    """On a worker: restore the driver's matcher (once per process and run) and match."""
    with _WORKER_LOCK, bulk_work():
        matcher = _WORKER_MATCHERS.get(run)
        if matcher is None:
            _WORKER_MATCHERS.clear()  # one snapshot at a time: they are large
            matcher = snapshot.from_bytes(blob, print_, **options)
            _WORKER_MATCHERS[run] = matcher
        # encoding grows the matcher's vocabulary: one partition at a time per process
        return list(matcher.match(records, k=k, chunk=chunk))


def match_on_cluster(
    matcher: Matcher,
    print_: str,
    traces: Sequence[Record],
    k: int,
    cluster: ClusterSpec,
    *,
    chunk: int = 2000,
    progress: Callable[[int], None] | None = None,
) -> Iterator[ScoredMatch]:
    """Every trace's ranked matches, computed on `cluster`, yielded in the order of
    `request_chunks` (a request's traces together)."""
    from dask.distributed import Client, LocalCluster

    local = None
    if cluster.scheduler:
        client = Client(cluster.scheduler)
    else:
        local = LocalCluster(
            n_workers=max(1, cluster.workers or 1),
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
        )
        client = Client(local)
    try:
        workers = max(1, len(client.scheduler_info().get("workers", {})))
        blob = snapshot.to_bytes(matcher, print_)
        shipped = client.scatter(blob, broadcast=True)
        del blob
        options = {"budget": matcher.budget, "thresholds": matcher.thresholds}
        # workers outlive a run: key their restored matcher by run, not by fingerprint
        run = uuid.uuid4().hex
        parts = partitions(request_chunks(traces, chunk), parts=workers * 4)
        futures = [
            client.submit(
                _match_partition, shipped, print_, run, part, k, chunk, options, pure=False
            )
            for part in parts
        ]
        done = 0
        for future, part in zip(futures, parts, strict=True):
            yield from future.result()
            future.release()
            done += len(part)
            if progress is not None:
                progress(done)
    finally:
        client.close()
        if local is not None:
            local.close()
