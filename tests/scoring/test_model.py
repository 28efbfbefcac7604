"""The model: EM recovers what matches look like, persistence refuses a mismatch."""

from __future__ import annotations

import json

import numpy as np
import pytest

from scoring.features import FEATURES, Comparison
from scoring.model import MatchModel, ModelMismatch, TermFrequencies


def _synthetic(rng: np.random.Generator, traces: int = 400, per_trace: int = 20):
    """Each trace has one true candidate (high levels) among strangers (low levels)."""
    rows, owners = [], []
    for t in range(traces):
        for j in range(per_trace):
            if j == 0:
                row = [len(f.levels) - 1 if rng.random() < 0.9 else 0 for f in FEATURES]
            else:
                row = [0 if rng.random() < 0.85 else len(f.levels) - 1 for f in FEATURES]
            rows.append(row)
            owners.append(t)
    levels = np.asarray(rows, dtype=np.int8)
    empty = np.full(len(levels), -1, dtype=np.int32)
    return Comparison(levels, empty, empty, empty, empty, empty, empty), np.asarray(owners)


def test_em_learns_agreement_among_matches_and_ranks_them_first():
    rng = np.random.default_rng(3)
    comparison, owners = _synthetic(rng)
    model = MatchModel()
    random_levels = np.zeros((2000, len(FEATURES)), dtype=np.int8)
    model.fit_u(random_levels)
    model.fit(comparison, owners)
    for f, feature in enumerate(FEATURES):
        assert model.m[f][-1] > 0.6, feature.name
    scored = model.score(comparison)
    first = scored.probability.reshape(-1, 20).argmax(axis=1)
    assert (first == 0).mean() > 0.95
    probability = model.among_candidates(scored, owners)
    assert np.all((probability >= 0) & (probability <= 1))


def test_stored_model_refuses_other_features():
    model = MatchModel()
    again = MatchModel.from_json(model.to_json())
    assert again.features == model.features
    data = json.loads(model.to_json())
    data["features"] = data["features"][:-1]
    with pytest.raises(ModelMismatch):
        MatchModel.from_json(json.dumps(data))
    data = json.loads(model.to_json())
    data["name"] = "someone-elses-model"
    with pytest.raises(ModelMismatch):
        MatchModel.from_json(json.dumps(data))


def test_the_bound_on_a_score_among_candidates_holds_with_any_rivals():
    """What an incremental re-score relies on to skip a trace: no pair scores above it."""
    rng = np.random.default_rng(5)
    comparison, owners = _synthetic(rng, traces=200, per_trace=12)
    model = MatchModel()
    model.fit_u(np.zeros((2000, len(FEATURES)), dtype=np.int8))
    model.fit(comparison, owners)
    scored = model.score(comparison)
    among = model.among_candidates(scored, owners).reshape(-1, 12)
    alone = model.best_among_candidates(scored).reshape(-1, 12)
    # the best score among the *other* candidates of the same trace
    others = np.stack([np.delete(among, j, axis=1).max(axis=1) for j in range(12)], axis=1)
    bounded = model.best_among_candidates(scored, others.ravel()).reshape(-1, 12)
    assert np.all(among <= bounded + 1e-12)
    assert np.all(bounded <= alone + 1e-12)
    assert (bounded < alone - 1e-6).any()  # a strong rival does tighten it


def test_first_stage_weights_are_the_scores_weights():
    """`weights` skips the features no pair has and works column by column; the
    numbers must be `score`'s, bit for bit (the first stage prunes on their sum)."""
    from scoring.model import TermFrequencies

    rng = np.random.default_rng(5)
    comparison, owners = _synthetic(rng, traces=50)
    model = MatchModel()
    model.fit_u(np.zeros((500, len(FEATURES)), dtype=np.int8))
    model.fit(comparison, owners)
    levels = comparison.levels.copy()
    levels[:, 4:9] = -1  # as the first stage leaves them
    levels[::7, 0] = -1
    tokens = rng.integers(-1, 30, size=(len(levels), 2)).astype(np.int32)
    staged = Comparison(
        levels, tokens, tokens[:, ::-1].copy(), tokens, tokens, tokens[:, :1], tokens[:, 1:]
    )
    tf = TermFrequencies(rng.random(30) / 10)
    got = model.weights(staged, tf)
    assert np.array_equal(got, model.score(staged, tf).weights)
    assert np.array_equal(got.sum(axis=1), model.score(staged, tf).weights.sum(axis=1))
    assert np.all(got[:, 4:9] == 0.0)
    # the second stage's places, with their frequencies, alike
    full = staged.with_levels(comparison.levels)
    tf.places = {2: TermFrequencies(rng.random(30) / 10), 3: TermFrequencies(rng.random(30) / 50)}
    assert np.array_equal(model.weights(full, tf), model.score(full, tf).weights)


def test_a_common_town_weighs_less_than_a_rare_one():
    """Agreement on a town a tenth of the cases come from says less than agreement on
    one few come from; a town as common as the typical weighs the model's average, and
    a rare one at most PLACE_TF_RAISE_BITS more."""
    from scoring.features import FEATURE_INDEX
    from scoring.model import PLACE_TF_RAISE_BITS, TermFrequencies

    rng = np.random.default_rng(3)
    comparison, owners = _synthetic(rng, traces=50)
    model = MatchModel()
    model.fit_u(np.zeros((500, len(FEATURES)), dtype=np.int8))
    model.fit(comparison, owners)
    origin = FEATURE_INDEX["origin"]
    levels = np.full((3, len(FEATURES)), -1, dtype=np.int8)
    levels[:, origin] = 3  # the same town
    none = np.full((3, 1), -1, dtype=np.int32)
    towns = np.array([[0], [1], [2]], dtype=np.int32)  # common, typical, rare
    pairs = Comparison(levels, none, none, none, none, towns, none)
    names = TermFrequencies(np.full(3, 0.01))
    # a town of a fifth of the cases, one of the typical share, a rare one, and 200 others
    others = np.r_[0.2, 0.0005, np.full(200, 0.004)]
    typical = (others**2).sum() / others.sum()  # the typical share with itself among them
    names.places = {3: TermFrequencies(np.r_[others[0], typical, others[1:]])}
    assert names.places[3].typical == pytest.approx(typical)
    plain = model.weights(pairs)[:, origin]
    weighed = model.weights(pairs, names)[:, origin]
    assert weighed[0] < plain[0] - 0.5
    assert weighed[1] == pytest.approx(plain[1])
    assert plain[2] < weighed[2] <= plain[2] + PLACE_TF_RAISE_BITS + 1e-9


def test_name_shares_follow_a_vocabulary_that_grows_query_by_query():
    """Queries add words to the vocabulary one by one; the table of their keys grows
    with them (by doubling, not a copy each query) and every lookup stays right."""
    share = np.array([0.5, 0.25, 0.125, np.nan])
    key_of = [0, 1, 2]
    tf = TermFrequencies(share, key_of=key_of)
    assert tf.of(np.array([0, 1, 2])).tolist() == [0.5, 0.25, 0.125]
    for word in range(3, 3000):  # each new word's key is one an earlier word holds
        key_of.append(word % 3)
        assert tf.of(np.array([word]))[0] == share[word % 3]
    rows = np.array([[3, 4, -1], [2998, -1, -1], [-1, -1, -1]])
    assert tf.of(rows)[:2].tolist() == [0.25, share[2998 % 3]]  # the rarer of two agreeing
    assert np.isnan(tf.of(rows)[2])
