"""A full re-score refines the model's m with the pairs officers confirmed."""

from __future__ import annotations

import csv

import numpy as np
import pytest

from benchmarks.synth import generate
from case_store import decisions
from case_store.db import transaction
from case_store.models import Case, Trace
from scoring.engine import Thresholds
from scoring.features import FEATURE_INDEX, FEATURES
from scoring.model import MIN_CONFIRMED, MatchModel
from service import indexes, pipeline


def test_a_handful_of_confirmations_leaves_m_and_many_move_it() -> None:
    model = MatchModel()
    model.fitted_on["traces"] = 100
    model.share_found = 0.8  # the EM's m is worth 80 matches
    before = [m.copy() for m in model.m]
    levels = np.full((MIN_CONFIRMED - 1, len(FEATURES)), -1, dtype=np.int8)
    assert not model.learn_from_confirmed(levels)
    assert all((a == b).all() for a, b in zip(before, model.m, strict=True))
    assert model.fitted_on["confirmed_pairs"] == MIN_CONFIRMED - 1
    # 80 confirmed pairs, every one with a mother "different": as many as the EM's
    mother = FEATURE_INDEX["mother"]
    levels = np.full((80, len(FEATURES)), -1, dtype=np.int8)
    levels[:, mother] = 0
    assert model.learn_from_confirmed(levels)
    assert model.m[mother][0] == pytest.approx((before[mother][0] + 1) / 2, abs=0.01)
    # a relative shares the mother as the child does; missing values taught nothing
    assert (model.r[mother] == model.m[mother]).all()
    given = FEATURE_INDEX["given_name"]
    assert model.m[given] == pytest.approx(before[given], abs=1e-9)


def _read(path) -> list[dict[str, str | None]]:
    with open(path, newline="", encoding="utf-8") as handle:
        return [{k: (v or None) for k, v in row.items()} for row in csv.DictReader(handle)]


def test_full_rescore_learns_from_confirmed_and_reunified_pairs(tmp_path) -> None:
    paths = generate(tmp_path / "data", n_cases=400, seed=29)
    store = pipeline.Store.open(f"sqlite:///{tmp_path / 'ftr.db'}")
    pipeline.import_file(store, "cases", paths.cases)
    pipeline.import_file(store, "traces", paths.traces)
    first = pipeline.rescore(store, full=True, persist=False)
    assert first.model["confirmed_pairs"] == 0
    with transaction(store.sessions) as session:
        before = indexes.stored_model(session)[0]
    # one case a trace (a child registered twice has two true cases; one is confirmed)
    truth = list({p["trace_id"]: p for p in _read(paths.truth)}.values())[: MIN_CONFIRMED + 5]
    with transaction(store.sessions) as session:
        for pair in truth:
            trace = session.get(Trace, pair["trace_id"])
            case = session.get(Case, pair["case_id"])
            decisions.decide(
                session, trace, case, "confirmed", expected_version=0, decided_by="test"
            )
        # a reunified pair's case is closed, and still teaches
        trace, case = (
            session.get(Trace, truth[0]["trace_id"]),
            session.get(Case, truth[0]["case_id"]),
        )
        decisions.decide(session, trace, case, "reunified", expected_version=1, decided_by="test")
        case.status = "reunified"
        linked = decisions.linked_records(session)
    assert len(linked) == len(truth)
    assert {t["trace_id"] for t, _ in linked} == {p["trace_id"] for p in truth}
    second = pipeline.rescore(store, full=True, persist=False)
    assert second.model["confirmed_pairs"] == len(truth)
    assert second.model["prior"] == pytest.approx(first.model["prior"])
    with transaction(store.sessions) as session:
        after = indexes.stored_model(session)[0]
    # the same EM (same data, same seed), then m moved toward the confirmed pairs
    assert after.u[0] == pytest.approx(before.u[0])
    assert any(not np.allclose(a, b) for a, b in zip(after.m, before.m, strict=True))
    # a full run that other thresholds made (not asked for) learns from them too
    third = pipeline.rescore(store, persist=False, thresholds=Thresholds(likely=0.9))
    assert third.why_full and third.model["confirmed_pairs"] == len(truth)
    store.engine.dispose()
