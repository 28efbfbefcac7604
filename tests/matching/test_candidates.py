"""One contract test for every candidate generator, and FAISS against its numpy twin."""

from __future__ import annotations

import numpy as np
import pytest
from factories import case, trace

from matching.candidates import (
    Budget,
    KeyBlocker,
    NumpyIndex,
    VectorBlocker,
    faiss_index,
    generate,
)
from matching.encode import Encoder

CASES = [
    case(given_name="Oleksandr", family_name="Kovalenko", mother_name="Olena Kovalenko"),
    case(given_name="Dmytro", family_name="Kovalenko", mother_name="Olena Kovalenko"),
    case(given_name="Mohammed", family_name="Al-Hassan", father_name="Ahmed Al-Hassan"),
    case(given_name="Maria Jose", family_name="Garcia Lopez"),
    case(given_name="Deng", family_name="Garang"),
    case(given_name=None, family_name=None),
]
TRACES = [
    trace(given_name="Олександр", family_name="Коваленко"),
    trace(given_name="Sasha", family_name=None, mother_name="Olena Kovalenko"),
    trace(given_name="Muhammad", family_name="Hassan"),
    trace(given_name="Mariajose", family_name="Garcia"),
    trace(given_name=None, family_name=None),
]


def _setup():
    encoder = Encoder()
    cases = encoder.encode("cases", CASES)
    traces = encoder.encode("traces", TRACES)
    return encoder, cases, traces


def generators(cases, vocabulary):
    return [
        KeyBlocker(cases, vocabulary),
        VectorBlocker(cases, vocabulary, use_faiss=True),
        VectorBlocker(cases, vocabulary, use_faiss=False),
    ]


@pytest.mark.parametrize("which", range(3))
@pytest.mark.parametrize("k", [1, 3, 50])
def test_generator_contract(which, k):
    encoder, cases, traces = _setup()
    gen = generators(cases, encoder.vocabulary)[which]
    found = gen.candidates(traces, k)
    pairs = list(zip(found.query_rows.tolist(), found.case_rows.tolist(), strict=True))
    assert len(pairs) == len(set(pairs)), "no duplicate pairs"
    assert all(0 <= q < len(traces) and 0 <= c < len(cases) for q, c in pairs)
    for q in set(found.query_rows.tolist()):
        mine = found.scores[found.query_rows == q]
        assert len(mine) <= k
        assert np.all(np.diff(mine) <= 1e-6), "ranked best first"
    nameless = len(TRACES) - 1
    assert nameless not in found.query_rows.tolist() or which == 0
    empty = Encoder().encode("traces", [])
    assert len(gen.candidates(empty, k)) == 0


def test_union_respects_budgets_and_finds_the_hard_ones():
    encoder, cases, traces = _setup()
    budget = Budget(keys=3, vectors=2)
    found = generate(cases, traces, generators(cases, encoder.vocabulary)[:2], budget)
    pairs = set(zip(found.query_rows.tolist(), found.case_rows.tolist(), strict=True))
    assert len(pairs) == len(found)
    counts = np.bincount(found.query_rows, minlength=len(traces))
    assert counts.max() <= budget.total
    assert (0, 0) in pairs  # Cyrillic -> Latin
    assert (1, 0) in pairs  # nickname with the mother's name as family key
    assert (2, 2) in pairs  # Muhammad / Mohammed, Al-Hassan / Hassan
    assert (3, 3) in pairs  # compound given name written together


def test_faiss_agrees_with_brute_force():
    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(500, 16)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    queries = vectors[:20] + 0.01 * rng.normal(size=(20, 16)).astype(np.float32)
    s1, i1 = faiss_index(vectors).search(queries, 5)
    s2, i2 = NumpyIndex(vectors).search(queries, 5)
    assert np.array_equal(i1, i2)
    assert np.allclose(s1, s2, atol=1e-5)
