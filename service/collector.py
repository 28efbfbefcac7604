"""Garbage collection during bulk work (re-scores, imports, index builds).

A re-score holds hundreds of thousands of records, name tokens and index keys as
Python objects. CPython's cyclic collector examines every one of them in each full
collection, and it runs one each time the objects it tracks have grown by a quarter:
building the indexes of 96,000 cases (encoding, then the key index) took 13.4 s, 7.5 s
of it in 21 full collections, and 7.7 s with them held off (`tests/service/test_collector.py`
checks the mechanism; the figures are in `benchmarks/results/rescore-100k.md`).

None of that work leaves reference cycles worth hunting for, so while it runs, full
collections are held off. Young objects are still collected as usual, so a cycle made
and dropped within the job is freed; what survives into the old generation is
looked at again once the last bulk job ends and the usual thresholds are back.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

HELD_OFF = 1 << 30  # young collections before a full one: never, within a job

_lock = threading.Lock()
_running = 0
_saved: tuple[int, int, int] | None = None


@contextmanager
def bulk_work() -> Iterator[None]:
    """Hold off full collections while the block runs (nested and concurrent blocks
    share one hold: the first in sets it, the last out restores the thresholds)."""
    global _running, _saved
    with _lock:
        if _running == 0:
            _saved = gc.get_threshold()
            gc.set_threshold(_saved[0], _saved[1], HELD_OFF)
        _running += 1
    try:
        yield
    finally:
        with _lock:
            _running -= 1
            if _running == 0 and _saved is not None:
                gc.set_threshold(*_saved)
                _saved = None
