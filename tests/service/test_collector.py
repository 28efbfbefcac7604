"""The bulk-work hold on full garbage collections (`service.collector`)."""

from __future__ import annotations

import gc
import threading
import weakref

from service.collector import HELD_OFF, bulk_work


def test_full_collections_held_off_then_restored() -> None:
    before = gc.get_threshold()
    with bulk_work():
        assert gc.get_threshold() == (before[0], before[1], HELD_OFF)
        with bulk_work():  # nested: still held
            assert gc.get_threshold()[2] == HELD_OFF
        assert gc.get_threshold()[2] == HELD_OFF
    assert gc.get_threshold() == before


def test_restored_after_an_error() -> None:
    before = gc.get_threshold()
    try:
        with bulk_work():
            raise RuntimeError("job failed")
    except RuntimeError:
        pass
    assert gc.get_threshold() == before


def test_no_full_collection_within_the_block_and_cycles_still_freed() -> None:
    """Young collections still run (a dropped cycle is freed); full ones do not."""
    full: list[int] = []

    def count(phase: str, info: dict[str, int]) -> None:
        if phase == "start" and info["generation"] == 2:
            full.append(1)

    class Node:
        def __init__(self) -> None:
            self.me = self

    freed = threading.Event()
    gc.callbacks.append(count)
    try:
        with bulk_work():
            node = Node()
            weakref.finalize(node, freed.set)
            del node
            keep = [[i] for i in range(2_000_000)]  # enough allocation for many collections
            assert keep
            gc.collect(0)
            gc.collect(1)
        assert not full
        assert freed.is_set()
    finally:
        gc.callbacks.remove(count)


def test_concurrent_blocks_share_one_hold() -> None:
    before = gc.get_threshold()
    inside = threading.Barrier(2)
    leave = threading.Event()

    def job() -> None:
        with bulk_work():
            inside.wait()
            leave.wait()

    worker = threading.Thread(target=job, daemon=True)
    worker.start()
    try:
        with bulk_work():
            inside.wait(timeout=10)
        assert gc.get_threshold()[2] == HELD_OFF  # the other job still runs
    finally:
        leave.set()
        worker.join(timeout=10)
    assert gc.get_threshold() == before
