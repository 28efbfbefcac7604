"""The Fellegi-Sunter model: agreement levels to calibrated match probabilities.

m (how often each level occurs among true matches) is estimated by EM without labels
over the candidate pairs, or from confirmed decisions where there are some; u (how
often it occurs by chance) is measured on random pairs, where matches are
negligible. Exact name agreements are adjusted by term frequency, so a shared
"Mohammed" weighs less than a shared rare name. A model is named and versioned, and a
stored model refuses to load when its features differ from the code's.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from scoring.features import FEATURE_INDEX, FEATURES, Comparison

MODEL_NAME = "fs-v1"
TF_FEATURES = ("given_name", "family_name")
TF_CLIP_BITS = 4.0
_EPS = 1e-6


class ModelMismatch(ValueError):
    """A stored model was made for other features than this code compares."""


@dataclass
class TermFrequencies:
    """Share of cases whose names hold each vocabulary token."""

    share: np.ndarray

    def of(self, tokens: np.ndarray) -> np.ndarray:
        out = np.full(len(tokens), np.nan, dtype=np.float64)
        known = (tokens >= 0) & (tokens < len(self.share))
        out[known] = self.share[tokens[known]]
        return out


def term_frequencies(names: np.ndarray, vocabulary_size: int) -> TermFrequencies:
    """Count each token once per case over the cases' name-token arrays."""
    counts = np.zeros(vocabulary_size, dtype=np.float64)
    for column in range(names.shape[1]):
        ids = names[:, column]
        ids = ids[ids >= 0]
        np.add.at(counts, ids, 1.0)
    return TermFrequencies(counts / max(len(names), 1))


def _initial_m(levels: int) -> np.ndarray:
    """A monotone starting point: matches mostly agree at the top level."""
    m = np.geomspace(0.01, 1.0, levels)
    m[-1] = 4.0
    return m / m.sum()


@dataclass
class FellegiSunter:
    """m/u per feature level, a prior, and the EM that estimates them."""

    name: str = MODEL_NAME
    features: tuple[str, ...] = tuple(f.name for f in FEATURES)
    m: list[np.ndarray] = field(
        default_factory=lambda: [_initial_m(len(f.levels)) for f in FEATURES]
    )
    u: list[np.ndarray] = field(
        default_factory=lambda: [np.full(len(f.levels), 1.0 / len(f.levels)) for f in FEATURES]
    )
    prior: float = 0.01
    fitted_on: dict[str, Any] = field(default_factory=dict)

    # --- estimation -------------------------------------------------------------

    def fit_u(self, levels: np.ndarray) -> None:
        """u from random pairs: how often each level happens by chance (Laplace-smoothed)."""
        for f in range(len(self.features)):
            column = levels[:, f]
            n_levels = len(self.u[f])
            counts = np.bincount(column[column >= 0], minlength=n_levels)[:n_levels]
            self.u[f] = (counts + 0.5) / (counts.sum() + 0.5 * n_levels)
        self.fitted_on["random_pairs"] = int(len(levels))

    def fit_m(self, comparison: Comparison, iterations: int = 30, tol: float = 1e-5) -> None:
        """EM over candidate pairs with u fixed: m per level and the prior."""
        levels = comparison.levels
        n = len(levels)
        if n == 0:
            return
        prior = self.prior
        for _ in range(iterations):
            total = self._log2_bayes(levels).sum(axis=1)
            logit = np.log2(prior / (1 - prior)) + total
            p = 1.0 / (1.0 + np.exp2(-np.clip(logit, -60, 60)))
            new_prior = float(np.clip(p.mean(), 1e-5, 0.5))
            shift = abs(new_prior - prior)
            prior = new_prior
            for f in range(len(self.features)):
                column = levels[:, f]
                present = column >= 0
                n_levels = len(self.m[f])
                weights = np.bincount(column[present], weights=p[present], minlength=n_levels)
                weights = weights[:n_levels] + 0.01
                self.m[f] = weights / weights.sum()
            if shift < tol:
                break
        self.prior = prior
        self.fitted_on["candidate_pairs"] = int(n)

    def fit_m_supervised(self, levels: np.ndarray, is_match: np.ndarray) -> None:
        """m from confirmed (and rejected) decisions, when enough exist to trust."""
        matches = levels[is_match]
        for f in range(len(self.features)):
            column = matches[:, f]
            n_levels = len(self.m[f])
            counts = np.bincount(column[column >= 0], minlength=n_levels)[:n_levels] + 0.5
            self.m[f] = counts / counts.sum()
        self.fitted_on["confirmed_pairs"] = int(is_match.sum())

    # --- scoring ----------------------------------------------------------------

    def _log2_bayes(self, levels: np.ndarray) -> np.ndarray:
        out = np.zeros(levels.shape, dtype=np.float64)
        for f in range(len(self.features)):
            column = levels[:, f]
            present = column >= 0
            ratio = np.log2((self.m[f] + _EPS) / (self.u[f] + _EPS))
            out[present, f] = ratio[column[present]]
        return out

    def match_weights(
        self, comparison: Comparison, tf: TermFrequencies | None = None
    ) -> np.ndarray:
        """Per-pair, per-feature match weights in bits (0 where a value is missing)."""
        weights = self._log2_bayes(comparison.levels)
        if tf is None:
            return weights
        for name, tokens in (
            ("given_name", comparison.given_token),
            ("family_name", comparison.family_token),
        ):
            f = FEATURE_INDEX[name]
            top = len(self.u[f]) - 1
            share = tf.of(tokens)
            exact = (comparison.levels[:, f] == top) & ~np.isnan(share)
            if exact.any():
                adjust = np.log2(self.u[f][top] / np.maximum(share[exact], _EPS))
                weights[exact, f] += np.clip(adjust, -TF_CLIP_BITS, TF_CLIP_BITS)
        return weights

    def probability(self, weights: np.ndarray) -> np.ndarray:
        """Posterior match probability from the prior odds and the summed weights."""
        logit = np.log2(self.prior / (1 - self.prior)) + weights.sum(axis=1)
        return 1.0 / (1.0 + np.exp2(-np.clip(logit, -60, 60)))

    @property
    def version(self) -> str:
        return self.name

    # --- persistence ------------------------------------------------------------

    def to_json(self) -> str:
        return json.dumps(
            {
                "name": self.name,
                "features": list(self.features),
                "levels": [len(m) for m in self.m],
                "m": [m.tolist() for m in self.m],
                "u": [u.tolist() for u in self.u],
                "prior": self.prior,
                "fitted_on": self.fitted_on,
            }
        )

    @classmethod
    def from_json(cls, text: str) -> FellegiSunter:
        """Load a stored model, refusing one made for other features or levels."""
        data = json.loads(text)
        expected = [f.name for f in FEATURES]
        levels = [len(f.levels) for f in FEATURES]
        if data.get("name") not in MODELS:
            raise ModelMismatch(f"unknown model {data.get('name')!r}")
        if data.get("features") != expected or data.get("levels") != levels:
            raise ModelMismatch(
                f"stored model compares {data.get('features')} with levels {data.get('levels')}, "
                f"this code compares {expected} with levels {levels}"
            )
        return cls(
            name=data["name"],
            features=tuple(expected),
            m=[np.asarray(v, dtype=np.float64) for v in data["m"]],
            u=[np.asarray(v, dtype=np.float64) for v in data["u"]],
            prior=float(data["prior"]),
            fitted_on=dict(data.get("fitted_on", {})),
        )


MODELS: dict[str, type[FellegiSunter]] = {MODEL_NAME: FellegiSunter}
