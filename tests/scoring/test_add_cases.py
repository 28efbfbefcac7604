"""Cases added to, updated in and removed from a built matcher, without a rebuild.

A matcher extended in place must find what a matcher built on the same cases finds
(the same true case at rank 1 for nearly every trace), never propose a retired row,
and save and load with its retired rows as it holds them.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest

from benchmarks.synth import generate
from scoring import snapshot
from scoring.engine import Matcher


def _read(path: Path) -> list[dict[str, str | None]]:
    with open(path, newline="", encoding="utf-8") as handle:
        return [{k: (v or None) for k, v in row.items()} for row in csv.DictReader(handle)]


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> tuple[list[dict], list[dict], Matcher]:
    paths = generate(tmp_path_factory.mktemp("add"), n_cases=400, seed=43)
    cases, traces = _read(paths.cases), _read(paths.traces)
    built = Matcher(cases)
    built.fit(traces)
    return cases, traces, built


def _top(matcher: Matcher, traces: list[dict]) -> dict[str, str]:
    return {m.trace_id: m.case_id for m in matcher.match(traces) if m.rank == 1}


def test_cases_added_after_the_build_are_found_as_if_built_with_them(data):
    cases, traces, built = data
    extended = Matcher(cases[:300], model=built.model)
    extended.add_cases(cases[300:])
    assert extended.cases.ids == built.cases.ids
    assert extended.live.all()
    expected, got = _top(built, traces), _top(extended, traces)
    late = {c["case_id"] for c in cases[300:]}
    found_late = [t for t, c in expected.items() if c in late]
    assert len(found_late) >= 20  # the added cases are the answer for these traces
    agree = sum(got.get(t) == c for t, c in expected.items())
    assert agree >= 0.98 * len(expected)
    assert sum(got.get(t) == expected[t] for t in found_late) >= 0.95 * len(found_late)


def test_an_updated_case_is_found_by_its_new_record_only(data):
    cases, traces, built = data
    matcher = Matcher(cases, model=built.model)
    case_id = cases[5]["case_id"]
    old_name = cases[5]["given_name"]
    changed = dict(cases[5], given_name="Zebulon", family_name="Quixtlebottom")
    matcher.add_cases([changed])
    row = matcher.cases.row_of[case_id]
    assert row == len(cases) and not matcher.live[5] and matcher.live[row]
    query = {
        "trace_id": "q",
        "inquiry_date": "2024-01-01",
        "given_name": "Zebulon",
        "family_name": "Quixtlebottom",
    }
    found = list(matcher.match([query]))
    assert found and found[0].case_id == case_id
    assert all(m.case_id != case_id or m.evidence[1]["case"] != old_name for m in found)
    # every proposal for the case comes from its current record
    for m in matcher.match(traces):
        if m.case_id == case_id:
            assert "Zebulon" in json.dumps(m.evidence)


def test_a_removed_case_is_never_proposed_again(data):
    cases, traces, built = data
    matcher = Matcher(cases, model=built.model)
    before = _top(matcher, traces)
    gone = sorted(set(before.values()))[:10]
    matcher.remove_cases(gone)
    assert not matcher.live[[cases.index(c) for c in cases if c["case_id"] in gone]].any()
    after = list(matcher.match(traces))
    assert after and not {m.case_id for m in after} & set(gone)


def test_an_extended_matcher_saves_and_loads_as_it_is(data, tmp_path):
    cases, traces, built = data
    matcher = Matcher(cases[:350], model=built.model)
    matcher.add_cases(cases[350:] + [dict(cases[0], given_name="Renamed")])
    matcher.remove_cases([cases[1]["case_id"]])
    print_ = snapshot.fingerprint("extended", matcher.model.to_json())
    snapshot.save(matcher, tmp_path, print_)
    loaded = snapshot.load(tmp_path, print_)
    assert loaded is not None
    assert np.array_equal(loaded.live, matcher.live)
    assert loaded.cases.row_of == matcher.cases.row_of

    def rows(m: Matcher) -> list[tuple]:
        return [(r.trace_id, r.case_id, r.rank, r.score) for r in m.match(traces)]

    assert rows(loaded) == rows(matcher)
    # a loaded matcher goes on taking cases
    loaded.add_cases([dict(cases[2], given_name="Later")])
    assert loaded.cases.row_of[cases[2]["case_id"]] == len(loaded.cases) - 1


def test_a_matcher_built_empty_indexes_its_first_cases(data):
    cases, traces, built = data
    matcher = Matcher([], model=built.model)
    assert not matcher.generators
    matcher.add_cases(cases)
    assert {g.name for g in matcher.generators} == {"keys", "vectors"}
    assert _top(matcher, traces) == _top(built, traces)


def test_postings_of_added_cases_walked_apart_rank_as_if_built_again(data):
    """Cases added after the key index was first searched are walked in their own
    postings; the candidates are exactly those of postings built over all rows."""
    cases, traces, built = data
    matcher = Matcher(cases[:250], model=built.model)
    list(matcher.match(traces[:5]))  # the postings are built on the first search
    matcher.add_cases(cases[250:320])
    matcher.add_cases(cases[320:])  # twice: the added part grows
    keys = next(g for g in matcher.generators if g.name == "keys")
    assert keys._added_postings is not None and keys._added == len(cases) - 250
    queries = matcher.encoder.encode("traces", traces)
    apart = keys.candidates(queries, 150)
    keys._postings = None  # built again over every row
    together = keys.candidates(queries, 150)
    assert keys._added_postings is None
    for field in ("query_rows", "case_rows", "scores"):
        assert np.array_equal(getattr(apart, field), getattr(together, field))


def _same_frequencies(got, want) -> None:
    for a, b in (
        (got, want),
        (got.parents, want.parents),
        *((got.places[level], want.places[level]) for level in (2, 3)),
    ):
        assert np.array_equal(a.share, b.share, equal_nan=True)
    size = len(want.share)
    tokens = np.arange(size)
    assert np.array_equal(got.of(tokens), want.of(tokens), equal_nan=True)


def test_name_counts_kept_through_changes_equal_a_count_of_the_live_cases(data):
    """Each change counts its own rows in or out (`CaseCounts`); the shares are the
    very ones a count of every live case gives, through adds, updates (an id twice
    in one batch, its last record counting) and removals."""
    from scoring.engine import case_term_frequencies

    cases, _, built = data
    matcher = Matcher(cases[:300], model=built.model)
    matcher.add_cases(cases[300:350])
    renamed = dict(cases[10], given_name="Zebulon", mother_name="Quixtla Amina")
    matcher.add_cases([renamed, dict(renamed, given_name="Zacharie"), *cases[350:]])
    matcher.remove_cases([cases[20]["case_id"], cases[360]["case_id"], "no-such-case"])
    assert matcher._counts is not None and matcher._counts.n == int(matcher.live.sum())
    vocabulary = matcher.encoder.vocabulary
    full = case_term_frequencies(
        matcher.cases, len(vocabulary), vocabulary.key_of, matcher.live, vocabulary=vocabulary
    )
    _same_frequencies(matcher.tf, full)


def test_reading_shares_from_the_vocabulary_s_pairs_equal_a_lookup_of_each_word(data):
    """The keys of each word's readings are worked out once a word for the life of
    the vocabulary (`Vocabulary.reading_keys`), a key not known yet waiting for its
    word; the largest share among them is the one a lookup of every reading gives."""
    from matching.normalize import skeletons

    cases, traces, built = data
    matcher = Matcher(cases[:300], model=built.model)
    matcher.encoder.encode("traces", traces[:50])  # words the cases do not hold
    matcher.add_cases(cases[300:])
    matcher.encoder.encode("traces", traces[50:])
    vocabulary = matcher.encoder.vocabulary
    for tf in (matcher.tf, matcher.tf.parents):
        want = np.full(len(vocabulary), np.nan)
        for i, token in enumerate(vocabulary.strings):
            keys = skeletons(token) if token.islower() else frozenset()
            ids = [vocabulary.get(k) for k in keys] if len(keys) > 1 else []
            shares = tf.share[[j for j in ids if j is not None and j < len(tf.share)]]
            if len(shares) and not np.isnan(shares).all():
                want[i] = np.nanmax(shares)
        assert np.array_equal(tf._read_shares(), want, equal_nan=True)
        assert not np.isnan(want).all()
