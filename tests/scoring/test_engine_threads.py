"""The matcher's two threads change nothing: the next chunk's candidates generated
ahead and each chunk's pairs compared in two halves give exactly the proposals of
one chunk compared in one thread."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from benchmarks.synth import generate
from scoring import engine
from scoring.engine import Matcher, compare_in_halves
from scoring.features import compare_child, compare_family


def _records(path: Path) -> list[dict[str, str | None]]:
    with open(path, newline="", encoding="utf-8") as handle:
        return [{k: (v or None) for k, v in row.items()} for row in csv.DictReader(handle)]


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory):
    paths = generate(tmp_path_factory.mktemp("synth"), n_cases=600, seed=7)
    return _records(paths.cases), _records(paths.traces)


def _proposals(matcher: Matcher, traces, chunk: int) -> list[tuple]:
    return [
        (m.trace_id, m.case_id, m.rank, m.score, m.likelihood, m.evidence)
        for m in matcher.match(traces, k=10, chunk=chunk)
    ]


def test_threads_give_the_proposals_of_one_thread(data, monkeypatch):
    cases, traces = data
    alone = Matcher(cases)
    alone.fit(traces)
    monkeypatch.setattr(engine, "PARALLEL_PAIRS", 10**12)
    expected = _proposals(alone, traces, chunk=10**6)  # one chunk, one thread
    threaded = Matcher(cases, model=alone.model)
    monkeypatch.setattr(engine, "PARALLEL_PAIRS", 50)  # every comparison in halves
    got = _proposals(threaded, traces, chunk=37)  # candidates of the next chunk ahead
    assert len(expected) > 100
    assert got == expected


def test_halves_join_into_the_whole(data, monkeypatch):
    cases, traces = data
    matcher = Matcher(cases)
    enc = matcher.encoder.encode("traces", traces)
    cands = matcher._candidates(enc)
    rows = (matcher.similarity, enc, matcher.cases, cands.query_rows, cands.case_rows)
    whole = compare_child(*rows)
    monkeypatch.setattr(engine, "PARALLEL_PAIRS", 2)
    halves = compare_in_halves(compare_child, *rows)
    assert np.array_equal(halves.levels, whole.levels)
    assert np.array_equal(halves.given_token, whole.given_token)
    assert np.array_equal(halves.family_token, whole.family_token)
    family = compare_in_halves(compare_family, *rows, whole)
    assert np.array_equal(family.levels, compare_family(*rows, whole).levels)
