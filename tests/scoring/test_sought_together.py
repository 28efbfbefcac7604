"""Traces of one tracing request seek different children (`Matcher._sought_together`).

A twin shares the parents, surname, place, phone and date of birth with the child
sought; where the child's own registration is sparse, the twin's full one outscores
it. The request's trace for the twin claims the twin's record, so the child's own
comes first.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
from factories import case, trace

from benchmarks.synth import generate
from scoring.engine import Matcher, ScoredMatch, pairs_sharing, request_chunks

FAMILY = {
    "family_name": "Lysenko",
    "father_name": "Petro Lysenko",
    "mother_name": "Olena Lysenko",
    "place_of_origin": "Ukraine > Kharkiv Oblast > Izium",
    "separation_place": "Ukraine > Kharkiv Oblast > Izium",
    "separation_date": "2022-03-10",
    "identifiers": "phone:+380501234567",
}


def _read(path: Path) -> list[dict[str, str | None]]:
    with open(path, newline="", encoding="utf-8") as handle:
        return [{k: (v or None) for k, v in row.items()} for row in csv.DictReader(handle)]


@pytest.fixture(scope="module")
def matcher(tmp_path_factory) -> Matcher:
    """Generated cases, a fitted model, and the twins: Marta's record sparse and her
    age guessed, Iryna's full. (With a family name, or her age guessed three years
    high, Marta's own record wins even filed apart: the relatives class knows twins.)"""
    paths = generate(tmp_path_factory.mktemp("together"), n_cases=400, seed=43)
    cases, traces = _read(paths.cases), _read(paths.traces)
    built = Matcher(cases)
    built.fit(traces)
    twins = [
        # registered alone, by her given name only, her age guessed four years high
        case(case_id="C-MARTA", given_name="Marta", age="13"),
        case(
            case_id="C-IRYNA",
            given_name="Iryna",
            sex="female",
            date_of_birth="2015-04-02",
            **FAMILY,
        ),
    ]
    return Matcher(cases + twins, model=built.model)


def _sought(request_marta: str, request_iryna: str, iryna_given: str = "Iryna") -> list:
    return [
        trace(
            trace_id="T-MARTA",
            request_id=request_marta,
            given_name="Marta",
            sex="female",
            date_of_birth="2015-04-02",
            **FAMILY,
        ),
        trace(
            trace_id="T-IRYNA",
            request_id=request_iryna,
            given_name=iryna_given,
            sex="female",
            date_of_birth="2015-04-02",
            **FAMILY,
        ),
    ]


def _ranked(matcher: Matcher, traces: list) -> dict[str, list[ScoredMatch]]:
    out: dict[str, list[ScoredMatch]] = {}
    for match in matcher.match(traces):
        out.setdefault(match.trace_id, []).append(match)
    return out


def test_a_twin_claimed_by_the_requests_other_trace_gives_way(matcher: Matcher) -> None:
    apart = _ranked(matcher, _sought("R-1", "R-2"))
    # filed apart, the twin's full record wins over Marta's sparse one
    assert apart["T-MARTA"][0].case_id == "C-IRYNA"
    together = _ranked(matcher, _sought("R-1", "R-1"))
    marta = together["T-MARTA"]
    assert marta[0].case_id == "C-MARTA"
    # ... but the claim, itself a guess, does not make her own record `likely`
    assert marta[0].likelihood == "possible"
    assert together["T-IRYNA"][0].case_id == "C-IRYNA"
    # Iryna's own pair keeps (nearly) its score: Marta's trace claims little of it
    assert together["T-IRYNA"][0].score >= apart["T-IRYNA"][0].score - 0.01
    # the twin is still listed for Marta, lower, and says why
    twin = next(m for m in marta if m.case_id == "C-IRYNA")
    row = next(e for e in twin.evidence if e["feature"] == "same_request")
    assert row["trace"] == "T-IRYNA" and row["weight"] < -3
    own = next(e for e in marta[0].evidence if e["feature"] == "same_request")
    assert own["weight"] == 0.0 and own["trace"] == ""


def test_two_traces_that_may_be_one_child_take_nothing_from_each_other(
    matcher: Matcher,
) -> None:
    """An inquirer who wrote one child twice (Iryna and Irina, same birth date)."""

    def twice(second_request: str) -> dict[str, list[ScoredMatch]]:
        first, second = _sought("R-1", second_request, iryna_given="Irina")
        first = {**first, "given_name": "Iryna"}
        return _ranked(matcher, [first, second])

    apart, together = twice("R-2"), twice("R-1")
    assert apart["T-MARTA"][0].case_id == "C-IRYNA"  # the trace id, Iryna's spelling
    for trace_id in ("T-MARTA", "T-IRYNA"):
        assert [(m.case_id, m.score) for m in together[trace_id]] == [
            (m.case_id, m.score) for m in apart[trace_id]
        ]


def test_request_chunks_keep_a_request_whole_and_the_order_of_first_sight() -> None:
    traces = [
        {"trace_id": "a", "request_id": "R1"},
        {"trace_id": "b", "request_id": "R2"},
        {"trace_id": "c", "request_id": None},
        {"trace_id": "d", "request_id": "R1"},
        {"trace_id": "e", "request_id": None},
        {"trace_id": "f", "request_id": "R2"},
    ]
    chunks = request_chunks(traces, 3)
    assert [[t["trace_id"] for t in chunk] for chunk in chunks] == [
        ["a", "d"],
        ["b", "f", "c"],
        ["e"],
    ]
    # a request larger than a chunk is one chunk of its own
    big = [{"trace_id": str(i), "request_id": "R"} for i in range(5)]
    assert [len(c) for c in request_chunks(big, 2)] == [5]


def test_pairs_sharing_pairs_every_two_positions_with_the_same_key_and_value() -> None:
    keys = np.array([0, 0, 1, 0, -1, -1, 0])
    values = np.array([7, 7, 7, 8, 7, 7, 7])
    mine, theirs = pairs_sharing(keys, values)
    found = sorted(zip(mine.tolist(), theirs.tolist(), strict=True))
    assert found == [(0, 1), (0, 6), (1, 0), (1, 6), (6, 0), (6, 1)]
