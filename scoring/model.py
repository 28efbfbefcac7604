"""The probabilistic model: agreement levels to calibrated match probabilities.

A Fellegi-Sunter model: each feature's agreement level has a probability m among
true matches and s among the other candidates; the match weight of a level is
log2(m/s), weights add up with the prior odds to the log-odds of a match, and that
sum is how every score explains itself.

m, s and the prior are estimated by EM without labels (or m from confirmed
decisions where there are some). Plain two-class EM over FTR candidates finds the
wrong class: siblings and cousins agree on family name, parents and place, and EM
calls "the same family" a match. We add what we know about tracing: a trace seeks
one child, so among its candidates at most one is the match. The E-step therefore
shares a trace's match probability among its candidates (and "none of them"), the
way a caseworker would: a sibling only wins when it looks more like the child sought
than every other candidate. Scoring then uses the pairwise posterior, so a child
registered twice gets two high scores.

The other candidates are strangers or relatives. A relative (a brother, a sister, a
cousin registered with the same parents) shares the family's evidence (parents,
surname, places, a family phone) exactly as the child does, so the relatives class
takes m's parameters on those features, and agrees on the child's own features
(given name, birth, sex, documents) only by chance, u's. Family agreement therefore
never tells the child from a brother; only the child's own features do. (Learning
the relatives' family features freely let the class drift to "strangers with a
similar name", and siblings scored as matches.)

Exact name agreements are adjusted by term frequency: a shared "Mohammed" weighs
less than a shared rare name. A model is named and versioned, and a stored model
refuses to load when its features differ from the code's.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np

from scoring.features import FEATURE_INDEX, FEATURES, Comparison

if TYPE_CHECKING:
    from matching.encode import Vocabulary

MODEL_NAME = "fs-1to1-v3"
# What a true match looks like on the child's own features before any data: an
# anchor for EM. Without it, traces whose child is not registered but whose sibling
# is teach EM that a match may well differ in given name and age (the sibling is
# the best candidate they have). The data moves these (MAP-EM, a Dirichlet prior
# worth ANCHOR_WEIGHT pseudo-pairs per trace whose candidates hold the field); it
# cannot flip them. Two documents of one kind with different numbers are two
# children's, bar a reissue: few pairs hold documents on both sides, and among them
# a namesake (same name, town and day of separation) passes for the match, so the
# EM alone put "different" at 12% of matches (mosaic, 2,000 cases; 0 of 27 true
# pairs there, none in any generator) and a differing birth certificate weighed -3
# bits, not enough to keep a namesake from `likely`.
M_ANCHORS: dict[str, tuple[float, ...]] = {
    "given_name": (0.02, 0.03, 0.08, 0.10, 0.77),
    "birth": (0.01, 0.04, 0.01, 0.09, 0.06, 0.18, 0.35, 0.01, 0.25),
    "sex": (0.02, 0.98),
    "documents": (0.02, 0.03, 0.95),
}
ANCHOR_WEIGHT = 0.5
# The child's own features: a brother, sister or cousin agrees on them only by chance.
# (A relative's phone or a household number, which siblings share, is the separate
# "contacts" feature.)
CHILD_FEATURES = frozenset({"given_name", "birth", "sex", "documents"})
MIN_CONFIRMED = 20  # confirmed pairs below which m is the EM's alone (`learn_from_confirmed`)
# At most this share of a trace's non-matching candidates are relatives: without a
# bound the class drifts into "strangers with a similar name".
MAX_RELATIVES = 0.2
# How many relatives' worth of chance agreement (u) the relatives' birth levels start
# from: the pairs the EM takes for relatives add theirs (`fit`).
RELATIVE_PRIOR_PAIRS = 50.0
# The share of relatives below which the EM found none among the candidates (its
# floor is 1e-4; children's data sets hold 2-4%): see `MatchModel.relatives_seen`.
RELATIVES_SEEN = 0.001
# ... and the traces a fit must have seen to say so: fewer may simply have met none.
RELATIVES_ABSENT_AFTER = 1000
TF_CLIP_BITS = 4.0
# The most a rare town or region adds to its agreement's weight: a village shared by
# chance is rare, but places are written loosely (a district for the town, the camp
# for the village), so a rare spelling is not taken for a rare place.
PLACE_TF_RAISE_BITS = 1.0
_EPS = 1e-6


class ModelMismatch(ValueError):
    """A stored model was made for other features than this code compares."""


class TermFrequencies:
    """Share of cases whose names hold each skeleton key (every spelling of a name).

    An exact agreement is agreement on the name however it is spelled (Muhammad
    Shafik and Mohammad Shafiq agree exactly), so its chance among strangers is the
    share of cases bearing the name in any spelling: the key's share, not one
    spelling's. A spelling that only the trace uses would otherwise count as unheard
    of, and weigh as the rarest name there is.

    With the `vocabulary`, a word read another way is as common as its commonest
    reading (`matching.normalize.skeletons`): Somali Cabdullaahi (KBDLH) agrees with
    Abdullahi as Abdullahi (ABDLH), and the share of its own key, which only the
    Somali spelling holds, made a common name the rarest (+2 bits and more).
    """

    def __init__(
        self,
        share: np.ndarray,
        key_of: list[int] | None = None,
        parents: TermFrequencies | None = None,
        places: dict[int, TermFrequencies] | None = None,
        vocabulary: Vocabulary | None = None,
    ) -> None:
        self.share = share
        self._key_list = key_of  # the vocabulary's own list: it grows with queries
        # per token id: its key's id, and its readings' best share; both grow with the
        # vocabulary (queries add words) by doubling, so that a stream of single
        # queries does not copy them whole each time (`_GrowingArray`)
        self._keys = _GrowingArray(np.int64)
        self._vocabulary = vocabulary
        self._read = _GrowingArray(np.float64)
        self._reading = threading.Lock()
        # the same over the names of the cases' parents and caregivers: a mother named
        # Fatima agrees with many more strangers' mothers than one named Kaltouma
        self.parents = parents
        # ... and over the cases' places, by place level (2 regions, 3 towns): half
        # the children of a Ukrainian registry may come from one oblast
        self.places = places or {}

    def _key_array(self) -> np.ndarray:
        if self._key_list is None:
            return self._keys.view()
        with self._reading:
            done, n = len(self._keys), len(self._key_list)
            if done < n:
                self._keys.extend(np.asarray(self._key_list[done:n], dtype=np.int64))
            return self._keys.view()

    @cached_property
    def typical(self) -> float:
        """The share of the name a person typically bears (share-weighted mean share).

        An exact agreement on a name this common is worth the model's average weight;
        rarer names weigh more, commoner ones less. Worked out once: `share` is never
        changed, and a query asks for it a dozen times (1 ms each at 100,000 cases).
        """
        total = float(np.nansum(self.share))
        return float(np.nansum(self.share**2) / total) if total > 0 else 1.0

    def of(self, tokens: np.ndarray) -> np.ndarray:
        """The share of each token's key; of each row's rarest known one for a (P, K)
        array (two words that both agree are as rare as the rarer one, at least); NaN
        where none is known."""
        keys = np.where(tokens >= 0, tokens, -1).astype(np.int64)
        if self._key_list is not None:
            table = self._key_array()
            mapped = (keys >= 0) & (keys < len(table))
            keys = np.where(mapped, table[np.where(mapped, keys, 0)], -1)
        out = np.full(tokens.shape, np.nan, dtype=np.float64)
        known = (keys >= 0) & (keys < len(self.share))
        out[known] = self.share[keys[known]]
        if self._vocabulary is not None:
            read = self._read_shares()
            ids = np.where(tokens >= 0, tokens, -1).astype(np.int64)
            held = (ids >= 0) & (ids < len(read))
            out[held] = np.fmax(out[held], read[ids[held]])
        if out.ndim == 1:
            return out
        rarest = np.where(np.isnan(out), np.inf, out).min(axis=1)
        return np.where(np.isinf(rarest), np.nan, rarest)

    def _read_shares(self) -> np.ndarray:
        """Per token id: the largest share among the keys of its other readings (NaN for
        none), worked out once a token as the vocabulary grows, from the pairs the
        vocabulary keeps (`Vocabulary.reading_keys`). Under a lock: a share must never
        depend on which thread asked first. Only keys known when the shares were
        counted have one: a key added since (by a query) is unknown."""
        assert self._vocabulary is not None
        with self._reading:
            done, n = len(self._read), len(self._vocabulary.strings)
            if done < n:
                tokens, keys = self._vocabulary.reading_keys(done)
                pick = (tokens >= done) & (tokens < n) & (keys < len(self.share))
                new = np.full(n - done, np.nan)
                np.fmax.at(new, tokens[pick] - done, self.share[keys[pick]])
                self._read.extend(new)
            return self._read.view()


class _GrowingArray:
    """A 1-D array appended to by doubling its capacity: `view` is its filled part."""

    def __init__(self, dtype: type) -> None:
        self._data = np.empty(0, dtype=dtype)
        self._size = 0

    def __len__(self) -> int:
        return self._size

    def extend(self, values: np.ndarray) -> None:
        end = self._size + len(values)
        if end > len(self._data):
            grown = np.empty(max(end, 2 * len(self._data), 1024), dtype=self._data.dtype)
            grown[: self._size] = self._data[: self._size]
            self._data = grown
        self._data[self._size : end] = values
        self._size = end

    def view(self) -> np.ndarray:
        return self._data[: self._size]


def key_counts(tokens: np.ndarray, table: np.ndarray, size: int) -> np.ndarray:
    """How many rows of `tokens` (token ids, PAD < 0) hold each key below `size`, a
    key counting once a row; `table` maps a token id to its key's (`Vocabulary.key_of`)."""
    ids = np.where(tokens >= 0, tokens, -1).astype(np.int64)
    ids = np.where(ids >= 0, table[np.maximum(ids, 0)], -1)
    if ids.size:
        ids = np.sort(ids, axis=1)
        first = np.ones(ids.shape, dtype=bool)
        first[:, 1:] = ids[:, 1:] != ids[:, :-1]  # a key counts once a row
        ids = ids[first & (ids >= 0)]
    return np.bincount(ids.ravel(), minlength=size)[:size]


def _favour_top(levels: int) -> np.ndarray:
    """A monotone starting point: most matches agree at the top level."""
    m = np.geomspace(0.02, 1.0, levels)
    m[-1] = 3.0
    return m / m.sum()


def _uniform(levels: int) -> np.ndarray:
    return np.full(levels, 1.0 / levels)


MIN_LEVEL_PROBABILITY = 0.004


def _traces_holding(column: np.ndarray, owner: np.ndarray) -> int:
    """How many traces have a candidate pair where the feature is compared (both sides
    hold it): the anchor is worth that many half-pairs, so a field most records lack is
    not drowned by pseudo-pairs for traces that never compare it."""
    return int(len(np.unique(owner[column >= 0])))


def _normalise(counts: np.ndarray, floor: float = 0.01) -> np.ndarray:
    """Counts to probabilities, never below MIN_LEVEL_PROBABILITY.

    A level never seen among the matches of one data set (a mother's name written
    differently, say) will be seen in the next: the floor caps any one feature's
    veto at about -8 bits, so no single field can sink a true match on its own.
    """
    counts = counts + floor
    p = counts / counts.sum()
    p = np.maximum(p, MIN_LEVEL_PROBABILITY)
    return p / p.sum()


@dataclass
class Scored:
    """Per-pair probabilities and their explanation: prior bits and weights (bits)."""

    probability: np.ndarray
    weights: np.ndarray
    prior_bits: float
    relatives: np.ndarray


def _level_counts(levels: np.ndarray, weights: np.ndarray, n_levels: int) -> np.ndarray:
    return np.bincount(levels, weights=weights, minlength=n_levels)[:n_levels]


def _segment_sum(values: np.ndarray, starts: np.ndarray) -> np.ndarray:
    return np.add.reduceat(values, starts) if len(values) else np.zeros(0)


@dataclass
class MatchModel:
    """m and s per feature level, u from random pairs, and the pairwise prior."""

    name: str = MODEL_NAME
    features: tuple[str, ...] = tuple(f.name for f in FEATURES)
    m: list[np.ndarray] = field(
        default_factory=lambda: [_favour_top(len(f.levels)) for f in FEATURES]
    )
    s: list[np.ndarray] = field(default_factory=lambda: [_uniform(len(f.levels)) for f in FEATURES])
    r: list[np.ndarray] = field(
        default_factory=lambda: [_favour_top(len(f.levels)) for f in FEATURES]
    )
    u: list[np.ndarray] = field(default_factory=lambda: [_uniform(len(f.levels)) for f in FEATURES])
    prior: float = 0.01
    share_found: float = 0.7
    share_relatives: float = 0.02
    fitted_on: dict[str, Any] = field(default_factory=dict)

    @property
    def version(self) -> str:
        return self.name

    @property
    def relatives_seen(self) -> bool:
        """Whether the data shows relatives among a trace's other candidates.

        Brothers, sisters and cousins share the family's evidence, so a pair whose
        child's own identity conflicts is never called `likely` however strong that
        evidence (`engine.child_identity_agrees`). Where the EM finds no relatives at
        all (a register of adults, such as FEBRL's, whose other candidates are
        strangers) the guard has nothing to guard against and the probability
        decides alone. Children separated in a crisis always have some: 2-4% of the
        other candidates on every generated data set, well above this bound. A model
        fitted on few traces (or none) keeps the guard: they may simply have met none.
        """
        enough = self.fitted_on.get("traces", 0) >= RELATIVES_ABSENT_AFTER
        return self.share_relatives >= RELATIVES_SEEN or not enough

    # --- estimation -------------------------------------------------------------

    def fit_u(self, levels: np.ndarray) -> None:
        """u from random pairs: how often each level happens by chance (smoothed).

        u is the baseline of the term-frequency adjustment and s's starting point.
        """
        for f in range(len(self.features)):
            column = levels[:, f]
            n_levels = len(self.u[f])
            counts = np.bincount(column[column >= 0], minlength=n_levels)[:n_levels]
            self.u[f] = (counts + 0.5) / (counts.sum() + 0.5 * n_levels)
            self.s[f] = self.u[f].copy()
            if self.features[f] in CHILD_FEATURES:
                self.r[f] = self.u[f].copy()
        self.fitted_on["random_pairs"] = int(len(levels))

    def _logs(
        self,
        comparison: Comparison,
        tf: TermFrequencies | None,
        shifts: np.ndarray | None = None,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """log2 m, s and r for every pair and feature (0 where a value is missing).

        `shifts` are `_frequency_shifts(comparison, tf)`, when the caller has them
        already (the EM scores the same comparison fifty times).
        """
        levels = comparison.levels.astype(np.intp)
        tables = self._log_tables()
        features = np.arange(len(self.features))[None, :]
        column = np.maximum(levels + 1, 0)
        log_m = tables[0][features, column]
        log_s = tables[1][features, column]
        log_r = tables[2][features, column]
        if shifts is None and tf is not None:
            shifts = self._frequency_shifts(comparison, tf)
        if shifts is not None:
            applied = ~np.isnan(shifts)
            log_s[applied] = np.minimum(log_s[applied] + shifts[applied], np.log2(0.95))
        return log_m, log_s, log_r

    def _log_tables(self) -> np.ndarray:
        """log2 m, s and r by feature and level: (3, features, 1 + most levels), column
        0 a missing value's (log 1 = 0), level l at l + 1, so one gather reads them."""
        width = max(len(m) for m in self.m) + 1
        tables = np.zeros((3, len(self.features), width))
        for f in range(len(self.features)):
            n_levels = len(self.m[f])
            tables[0, f, 1 : n_levels + 1] = np.log2(self.m[f] + _EPS)
            tables[1, f, 1 : n_levels + 1] = np.log2(self.s[f] + _EPS)
            tables[2, f, 1 : n_levels + 1] = np.log2(self.r[f] + _EPS)
        return tables

    def _frequency_shifts(self, comparison: Comparison, tf: TermFrequencies) -> np.ndarray:
        """`_frequency_shift_columns` as one (P, features) array, NaN where nothing."""
        shifts = np.full(comparison.levels.shape, np.nan)
        for f, column in self._frequency_shift_columns(comparison, tf).items():
            shifts[:, f] = column
        return shifts

    def _frequency_shift_columns(
        self, comparison: Comparison, tf: TermFrequencies
    ) -> dict[int, np.ndarray]:
        """What each pair's name frequencies add to log2 s, per feature (NaN: nothing).

        Another child shares a rare name less often than a common one: the chance of
        exact agreement on the child's given or family name is scaled by the name's
        share (`TermFrequencies`), at most TF_CLIP_BITS either way. So is, downwards
        only, that of a parent's agreement ("similar" or "same", by the rarest word
        that agrees): "mother: Fatima" agrees with the mothers of a great many
        children, "mother: Kaltouma" with few. A parent's name is no document, and
        rarer parents' names weighed more made more wrong `likely` proposals (1.1% of
        unmatched traces, from 0.3%).
        """
        levels = comparison.levels
        shifts: dict[int, np.ndarray] = {}
        # (feature, agreeing words, their frequencies, lowest level weighed, lowest shift)
        parts = [
            ("given_name", comparison.given_token, tf, 4, -TF_CLIP_BITS),  # the same name
            ("family_name", comparison.family_token, tf, 4, -TF_CLIP_BITS),
        ]
        if tf.parents is not None:
            parts += [
                ("mother", comparison.mother_token, tf.parents, 2, 0.0),  # similar, same
                ("father", comparison.father_token, tf.parents, 2, 0.0),
            ]
        for name, tokens, frequencies, lowest, floor in parts:
            f = FEATURE_INDEX[name]
            typical = max(frequencies.typical, _EPS)
            share = frequencies.of(tokens)
            hit = (levels[:, f] >= lowest) & ~np.isnan(share)
            if hit.any():
                ratio = np.log2(np.maximum(share[hit], _EPS) / typical)
                shifts[f] = np.full(len(levels), np.nan)
                shifts[f][hit] = np.clip(ratio, floor, TF_CLIP_BITS)
        # places: a town or region as common as the typical one weighs the model's
        # average; commoner ones less, rarer ones a little more (PLACE_TF_RAISE_BITS)
        for name, tokens in (
            ("origin", comparison.origin_token),
            ("separation_place", comparison.separation_token),
        ):
            f = FEATURE_INDEX[name]
            for level, frequencies in tf.places.items():
                # only the pairs agreeing at this level (the first stage compares no place)
                at = np.flatnonzero(levels[:, f] == level)
                share = frequencies.of(tokens[at])
                known = ~np.isnan(share)
                if not known.any():
                    continue
                typical = max(frequencies.typical, _EPS)
                ratio = np.log2(np.maximum(share[known], _EPS) / typical)
                if f not in shifts:
                    shifts[f] = np.full(len(levels), np.nan)
                shifts[f][at[known]] = np.clip(ratio, -PLACE_TF_RAISE_BITS, TF_CLIP_BITS)
        return shifts

    def _pair_bits(
        self, log_m: np.ndarray, log_s: np.ndarray, log_r: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """log2 of L_m / B per pair, with B the background: a relative or a stranger.

        Returns the pair's bits, the per-feature weights log2(m/s), and the relatives
        correction log2(L_s / B), so that bits = sum(weights) + correction.
        """
        weights = log_m - log_s
        lam = min(max(self.share_relatives, 1e-6), 0.9)
        rel_vs_stranger = np.log2(lam / (1 - lam)) + (log_r - log_s).sum(axis=1)
        correction = -np.log2(1 - lam) - np.logaddexp2(0.0, rel_vs_stranger)
        return weights.sum(axis=1) + correction, weights, correction

    def fit(
        self,
        comparison: Comparison,
        query_rows: np.ndarray,
        tf: TermFrequencies | None = None,
        iterations: int = 50,
        tol: float = 1e-5,
    ) -> None:
        """EM with at most one match per trace among its candidates.

        `query_rows[p]` names the trace of pair p; pairs must be grouped by trace.
        """
        levels = comparison.levels
        n = len(levels)
        if n == 0:
            return
        starts = np.r_[0, np.flatnonzero(query_rows[1:] != query_rows[:-1]) + 1]
        sizes = np.diff(np.r_[starts, n])
        owner = np.repeat(np.arange(len(starts)), sizes)
        found = 0.7  # share of traces whose child is among their candidates
        anchors = {
            f: ANCHOR_WEIGHT * _traces_holding(levels[:, f], owner) * np.asarray(M_ANCHORS[name])
            for f, name in enumerate(self.features)
            if name in M_ANCHORS
        }
        lam_r = self.share_relatives
        shifts = None if tf is None else self._frequency_shifts(comparison, tf)
        for _ in range(iterations):
            log_m, log_s, log_r = self._logs(comparison, tf, shifts)
            self.share_relatives = lam_r
            bits, _, _ = self._pair_bits(log_m, log_s, log_r)
            # P(pair is the match): one child per trace, uniform among its candidates
            logit = np.log2(found / (1 - found)) - np.log2(sizes)[owner] + bits
            top = np.maximum.reduceat(logit, starts)
            top = np.maximum(top, 0.0)
            odds = np.exp2(logit - top[owner])
            none = np.exp2(-top)
            total = _segment_sum(odds, starts) + none
            p = odds / total[owner]
            # the rest is a relative or a stranger, pair by pair
            rel_logit = np.log2(lam_r / (1 - lam_r)) + (log_r - log_s).sum(axis=1)
            p_r = (1 - p) / (1 + np.exp2(-np.clip(rel_logit, -60, 60)))
            p_s = 1 - p - p_r
            new_found = float(np.clip((1 - none / total).mean(), 0.01, 0.99))
            new_lam = float(np.clip(p_r.sum() / max((1 - p).sum(), 1e-9), 1e-4, MAX_RELATIVES))
            shift = abs(new_found - found) + abs(new_lam - lam_r)
            found, lam_r = new_found, new_lam
            for f in range(len(self.features)):
                column = levels[:, f]
                present = column >= 0
                idx = column[present]
                n_levels = len(self.m[f])

                self.m[f] = _normalise(
                    _level_counts(idx, p[present], n_levels) + anchors.get(f, 0.0)
                )
                self.s[f] = _normalise(_level_counts(idx, p_s[present], n_levels))
                if self.features[f] not in CHILD_FEATURES:
                    # a brother or sister shares the family exactly as the child does
                    self.r[f] = self.m[f].copy()
                elif self.features[f] == "birth":
                    # ... and is a twin as often as the data's relatives are: learnt
                    # from the pairs taken for relatives, from chance (u) at first
                    twins = _level_counts(idx, p_r[present], n_levels)
                    self.r[f] = _normalise(twins + RELATIVE_PRIOR_PAIRS * self.u[f])
                elif self.features[f] == "documents":
                    # ... and may hold the number issued next to the child's
                    near = self.u[f].copy()
                    near[1] = max(near[1], self.m[f][1])
                    self.r[f] = near / near.sum()
            if shift < tol:
                break
        self.share_relatives = lam_r
        self.share_found = found
        # the pairwise prior: matches per candidate pair
        self.prior = float(np.clip(found * len(starts) / n, 1e-6, 0.5))
        self.fitted_on.update(
            candidate_pairs=int(n),
            traces=int(len(starts)),
            traces_with_match=round(found, 4),
            relatives_share=round(lam_r, 4),
        )

    def learn_from_confirmed(self, levels: np.ndarray) -> bool:
        """Move m toward what pairs confirmed by officers show; False when too few.

        The EM's m counts as that many matches' worth of evidence (its traces that
        found their child), and the confirmed pairs' levels are added to it: a
        handful of decisions nudges m, thousands decide it. Confirmed pairs are the
        ones the matcher proposed and an officer could judge, easier than the rest,
        so they never replace the EM outright. A relative shares the family
        features as the child does (`fit`), so r follows m there.
        """
        self.fitted_on["confirmed_pairs"] = int(len(levels))
        if len(levels) < MIN_CONFIRMED:
            return False
        weight = max(float(self.fitted_on.get("traces", 0)) * self.share_found, 1.0)
        for f in range(len(self.features)):
            column = levels[:, f]
            n_levels = len(self.m[f])
            counts = np.bincount(column[column >= 0], minlength=n_levels)[:n_levels]
            if not counts.any():  # no confirmed pair holds this field
                continue
            self.m[f] = _normalise(self.m[f] * weight + counts)
            if self.features[f] not in CHILD_FEATURES:
                self.r[f] = self.m[f].copy()
        return True

    # --- scoring ----------------------------------------------------------------

    def weights(self, comparison: Comparison, tf: TermFrequencies | None = None) -> np.ndarray:
        """The per-feature weights log2(m/s) of `score`, alone: what the first stage
        ranks every candidate by, without the probabilities it would not use.

        Worked out feature by feature, skipping the features no pair has (the first
        stage compares five of twelve): the same numbers as `score`'s, in a fraction
        of the memory traffic.
        """
        levels = comparison.levels
        out = np.zeros(levels.shape)
        tables = self._log_tables()
        shifts = {} if tf is None else self._frequency_shift_columns(comparison, tf)
        for f in range(len(self.features)):
            column = levels[:, f]
            if not (column >= 0).any():
                continue  # missing everywhere: log 1 - log 1 = 0
            at = np.maximum(column.astype(np.intp) + 1, 0)
            log_m, log_s = tables[0, f][at], tables[1, f][at]
            if f in shifts:
                applied = ~np.isnan(shifts[f])
                log_s[applied] = np.minimum(log_s[applied] + shifts[f][applied], np.log2(0.95))
            out[:, f] = log_m - log_s
        return out

    def score(self, comparison: Comparison, tf: TermFrequencies | None = None) -> Scored:
        """Pairwise match probability, with its prior, weights and relatives correction.

        log2 odds = prior bits + sum of weights (log2 m/s per feature) + correction,
        the correction saying how much a relative would explain the same agreement.
        """
        log_m, log_s, log_r = self._logs(comparison, tf)
        bits, weights, correction = self._pair_bits(log_m, log_s, log_r)
        prior_bits = float(np.log2(self.prior / (1 - self.prior)))
        logit = prior_bits + bits
        probability = 1.0 / (1.0 + np.exp2(-np.clip(logit, -60, 60)))
        return Scored(probability, weights, prior_bits, correction)

    def _found_bits(self) -> float:
        """log2 odds that a trace's child is among its candidates at all."""
        found = min(max(self.share_found, 0.01), 0.99)
        return float(np.log2(found / (1 - found)))

    def best_among_candidates(
        self, scored: Scored, rival_top: np.ndarray | None = None
    ) -> np.ndarray:
        """The most each pair could score among its trace's candidates.

        `among_candidates` gives p_j = odds_j / (1 + S + odds_j), S the other
        candidates' odds, and shrinks odds_j by the number of candidates: it is
        largest for a lone candidate. `rival_top[p]`, the best score the pair's
        trace already has among other candidates, bounds S from below (any score
        is at most S / (1 + S)), so the bound tightens for a trace with a strong
        proposal. Below `possible`, a pair can never be proposed, and adding it to
        a trace's candidates lowers the others' scores by at most that share.
        """
        logit = self._found_bits() + scored.weights.sum(axis=1) + scored.relatives
        odds = np.exp2(np.clip(logit, -60, 60))
        rivals = np.zeros(len(odds))
        if rival_top is not None:
            top = np.clip(rival_top, 0.0, 1 - 1e-9)
            rivals = top / (1 - top)
        return odds / (1 + rivals + odds)

    def among_candidates(
        self,
        scored: Scored,
        query_rows: np.ndarray,
        same_child: np.ndarray | None = None,
        extra_bits: np.ndarray | None = None,
    ) -> np.ndarray:
        """Probability that each pair is the match, given all of its trace's candidates.

        The pairwise posterior judges a pair alone, and siblings who share parents,
        surname and place score nearly as high as the child. Here candidates compete
        for the one child sought, as in the EM: p_j = odds_j / (1 + sum_k odds_k).
        `same_child[p]` names, for pair p, the pair it was grouped with (itself when
        none): the same child registered twice does not compete with itself, so the
        group's probabilities add up. `extra_bits[p]` is added to pair p's odds before
        the competition (`Matcher._sought_together`: the case is likelier another child
        of the same request). Pairs must be grouped by trace.
        """
        n = len(query_rows)
        if n == 0:
            return np.zeros(0)
        starts = np.r_[0, np.flatnonzero(query_rows[1:] != query_rows[:-1]) + 1]
        sizes = np.diff(np.r_[starts, n])
        owner = np.repeat(np.arange(len(starts)), sizes)
        bits = scored.weights.sum(axis=1) + scored.relatives
        if extra_bits is not None:
            bits = bits + extra_bits
        logit = self._found_bits() - np.log2(sizes)[owner] + bits
        top = np.maximum(np.maximum.reduceat(logit, starts), 0.0)
        odds = np.exp2(logit - top[owner])
        total = _segment_sum(odds, starts) + np.exp2(-top)
        p = odds / total[owner]
        if same_child is not None:
            grouped = p.copy()
            np.add.at(grouped, same_child, np.where(same_child != np.arange(n), p, 0.0))
            p = np.minimum(grouped[same_child], 1.0)
        return p

    # --- persistence ------------------------------------------------------------

    def to_json(self) -> str:
        return json.dumps(
            {
                "name": self.name,
                "features": list(self.features),
                "levels": [len(m) for m in self.m],
                "m": [m.tolist() for m in self.m],
                "s": [x.tolist() for x in self.s],
                "r": [x.tolist() for x in self.r],
                "share_relatives": self.share_relatives,
                "u": [u.tolist() for u in self.u],
                "prior": self.prior,
                "share_found": self.share_found,
                "fitted_on": self.fitted_on,
            }
        )

    @classmethod
    def from_json(cls, text: str) -> MatchModel:
        """Load a stored model, refusing one made for other features or levels."""
        data = json.loads(text)
        expected = [f.name for f in FEATURES]
        levels = [len(f.levels) for f in FEATURES]
        if data.get("name") not in MODELS:
            raise ModelMismatch(f"unknown model {data.get('name')!r}; known: {sorted(MODELS)}")
        if data.get("features") != expected or data.get("levels") != levels:
            raise ModelMismatch(
                f"stored model compares {data.get('features')} with levels {data.get('levels')}, "
                f"this code compares {expected} with levels {levels}"
            )

        def arrays(key: str) -> list[np.ndarray]:
            return [np.asarray(v, dtype=np.float64) for v in data[key]]

        return cls(
            name=data["name"],
            features=tuple(expected),
            m=arrays("m"),
            s=arrays("s"),
            r=arrays("r"),
            share_relatives=float(data["share_relatives"]),
            u=arrays("u"),
            prior=float(data["prior"]),
            share_found=float(data.get("share_found", 0.7)),
            fitted_on=dict(data.get("fitted_on", {})),
        )


# Registered models by name: a stored model names one of these.
MODELS: dict[str, type[MatchModel]] = {MODEL_NAME: MatchModel}
