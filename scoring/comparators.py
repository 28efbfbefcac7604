"""Comparators: small, pure functions from a pair's two values to a level of agreement.

Each comparator works on column arrays for a batch of pairs (the batch path) and
returns an int8 level per pair: -1 when either side is missing (neutral evidence,
never disagreement), 0 for disagreement, and higher levels for closer agreement.
The probabilistic model turns levels into match weights. The one-line docstring of
each comparator is what the review page shows beside its verdict.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from rapidfuzz.distance import JaroWinkler
from rapidfuzz.process import cpdist

from matching.encode import PAD, YEAR

NULL = np.int8(-1)


class TokenSimilarity:
    """Jaro-Winkler similarity between vocabulary tokens, computed once per unique pair."""

    def __init__(self, strings: list[str], key_of: list[int] | None = None):
        self.strings = strings
        self._key_list = key_of
        self._size = 0
        self._array = np.empty(0, dtype=object)
        self._keys = np.empty(0, dtype=np.int64)
        self._digits = np.empty(0, dtype=bool)
        self._refresh()

    def _refresh(self) -> None:
        """Extend the token arrays to the vocabulary, which grows as queries are encoded.

        Arrays grow by doubling and only new tokens are processed, so a stream of
        single queries against a large store costs nothing per query here.
        """
        n = len(self.strings)
        if n <= self._size:
            return
        if n > len(self._array):
            capacity = max(n, 2 * len(self._array), 1024)
            for name, dtype in (("_array", object), ("_keys", np.int64), ("_digits", bool)):
                grown = np.empty(capacity, dtype=dtype)
                old = getattr(self, name)
                grown[: len(old)] = old
                setattr(self, name, grown)
        new = self.strings[self._size : n]
        self._array[self._size : n] = new
        if self._key_list is not None:
            self._keys[self._size : n] = self._key_list[self._size : n]
        else:
            self._keys[self._size : n] = np.arange(self._size, n)
        self._digits[self._size : n] = [any(ch.isdigit() for ch in t) for t in new]
        self._size = n

    def has_digit(self, a: np.ndarray) -> np.ndarray:
        """Whether each token holds a digit (a postcode, a house number): (P, Ka)."""
        self._refresh()
        return np.where(a != PAD, self._digits[np.maximum(a, 0)], False)

    def same_key(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Whether tokens share a skeleton key (a transliteration of each other): (P, Ka, Kb)."""
        self._refresh()
        ka = np.where(a != PAD, self._keys[np.maximum(a, 0)], -2)
        kb = np.where(b != PAD, self._keys[np.maximum(b, 0)], -3)
        return ka[:, :, None] == kb[:, None, :]

    def pairwise(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Similarity of every token of `a[p]` with every token of `b[p]`: shape (P, Ka, Kb).

        Padding gets -1, equal ids get 1 without calling the string metric.
        """
        self._refresh()
        left = np.broadcast_to(a[:, :, None], (a.shape[0], a.shape[1], b.shape[1]))
        right = np.broadcast_to(b[:, None, :], left.shape)
        valid = (left != PAD) & (right != PAD)
        out = np.full(left.shape, -1.0, dtype=np.float32)
        equal = valid & (left == right)
        out[equal] = 1.0
        todo = valid & ~equal
        if todo.any():
            size = np.int64(len(self.strings) + 1)
            keys = left[todo].astype(np.int64) * size + right[todo].astype(np.int64)
            unique, inverse = np.unique(keys, return_inverse=True)
            ua, ub = unique // size, unique % size
            sims = cpdist(
                self._array[ua],
                self._array[ub],
                scorer=JaroWinkler.normalized_similarity,
                workers=1,
            ).astype(np.float32)
            out[todo] = sims[inverse]
        return out


def _any_equal(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Whether any non-pad id of a[p] equals one of b[p]."""
    eq = (a[:, :, None] == b[:, None, :]) & (a[:, :, None] != PAD)
    return eq.any(axis=(1, 2))


def _has(a: np.ndarray) -> np.ndarray:
    return (a != PAD).any(axis=1)


@dataclass(frozen=True)
class NameLevels:
    """Levels of a name comparison, and which token decided an exact agreement."""

    levels: np.ndarray
    exact_token: np.ndarray


def compare_name_part(
    sim: TokenSimilarity,
    part: np.ndarray,
    part_nick: np.ndarray,
    other_names: np.ndarray,
    other_nick: np.ndarray,
) -> NameLevels:
    """Best agreement of one name part with any of the other record's names, in any order.

    4 the same name (or a transliteration of it: same skeleton and close spelling),
    3 a nickname or other-language form of it, 2 the same sound (skeleton) or a close
    spelling (Jaro-Winkler >= 0.92), 1 a loose one (>= 0.80), 0 different.
    """
    levels = np.full(len(part), NULL, dtype=np.int8)
    present = _has(part) & _has(other_names)
    jw = sim.pairwise(part, other_names)
    same_key = sim.same_key(part, other_names)
    exact_matrix = (part[:, :, None] == other_names[:, None, :]) & (part[:, :, None] != PAD)
    exact_matrix |= same_key & (jw >= 0.85)
    exact_any = exact_matrix.any(axis=2)
    exact = exact_any.any(axis=1)
    # the token that agreed exactly (the rarest one is looked up later for TF)
    exact_token = np.where(exact_any, part, PAD).max(axis=1)
    # formal names behind a nickname are compared by skeleton: Nastia gives
    # "anastasia", which must meet "Anastasiya" written another way
    nickname = (
        sim.same_key(part_nick, other_names).any(axis=(1, 2))
        | sim.same_key(part, other_nick).any(axis=(1, 2))
        | sim.same_key(part_nick, other_nick).any(axis=(1, 2))
    )
    best = jw.max(axis=(1, 2))
    sound = same_key.any(axis=(1, 2))
    levels[present] = 0
    levels[present & (best >= 0.80)] = 1
    levels[present & ((best >= 0.92) | sound)] = 2
    levels[present & nickname] = 3
    levels[present & exact] = 4
    return NameLevels(levels, np.where(present & exact, exact_token, PAD))


def compare_birth(
    lo_a: np.ndarray,
    hi_a: np.ndarray,
    dob_a: np.ndarray,
    lo_b: np.ndarray,
    hi_b: np.ndarray,
    dob_b: np.ndarray,
) -> np.ndarray:
    """Birth dates consistent at each side's date: children grow between inquiry and registration.

    4 the same date of birth, 3 consistent, 2 within a year, 1 within three years,
    0 further apart.
    """
    levels = np.full(len(lo_a), NULL, dtype=np.int8)
    present = ~(np.isnan(lo_a) | np.isnan(lo_b))
    gap = np.maximum(np.maximum(lo_a, lo_b) - np.minimum(hi_a, hi_b), 0.0) / YEAR
    gap = np.where(present, gap, np.inf)
    levels[present] = 0
    levels[present & (gap <= 3.0)] = 1
    levels[present & (gap <= 1.0)] = 2
    levels[present & (gap <= 0.0)] = 3
    same_day = present & dob_a & dob_b & (np.abs(lo_a - lo_b) < 0.5)
    levels[same_day] = 4
    return levels


def compare_sex(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The same sex; unknown on either side says nothing."""
    levels = np.full(len(a), NULL, dtype=np.int8)
    present = (a > 0) & (b > 0)
    levels[present] = (a[present] == b[present]).astype(np.int8)
    return levels


def person_similarity(sim: TokenSimilarity, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Mean over a's name tokens of the best match among b's: order-free, -1 when missing.

    Tokens with the same skeleton count as at least 0.95 (a transliteration)."""
    jw = sim.pairwise(a, b)
    pairwise = np.where(sim.same_key(a, b), np.maximum(jw, 0.95), jw)
    count_a = (a != PAD).sum(axis=1)
    count_b = (b != PAD).sum(axis=1)
    # mean over a's tokens of their best match in b, and the other way round: a name
    # given in part ("Rana" for "Rana al-Sayed") agrees on what it says
    best_a = np.where(a != PAD, np.maximum(pairwise.max(axis=2), 0.0), 0.0).sum(axis=1)
    best_b = np.where(b != PAD, np.maximum(pairwise.max(axis=1), 0.0), 0.0).sum(axis=1)
    mean_a = best_a / np.maximum(count_a, 1)
    mean_b = best_b / np.maximum(count_b, 1)
    out = np.maximum(mean_a, mean_b)
    # ... but a partial name cannot be "the same" as a full one, only similar
    partial = count_a != count_b
    out = np.where(partial, np.minimum(out, 0.96), out)
    out = np.where((count_a > 0) & (count_b > 0), out, -1.0)
    return out.astype(np.float32)


def person_levels(similarity: np.ndarray) -> np.ndarray:
    """The same person named (3), close (2), partly (1), a different person (0)."""
    levels = np.full(len(similarity), NULL, dtype=np.int8)
    present = similarity >= 0
    levels[present] = 0
    levels[present & (similarity >= 0.75)] = 1
    levels[present & (similarity >= 0.88)] = 2
    levels[present & (similarity >= 0.97)] = 3
    return levels


def compare_place(sim: TokenSimilarity, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Places compared level by level: town (3), region (2), only country (1), none (0)."""
    levels = np.full(len(a), NULL, dtype=np.int8)
    present = _has(a) & _has(b)
    best = sim.pairwise(a, b).max(axis=2)  # (P, depth of a)
    # names of places may be spelled differently; numbers (postcodes) may not
    hit = np.where(sim.has_digit(a), best >= 0.999, best >= 0.90)
    levels[present] = 0
    depth = a.shape[1]
    for index, level in ((0, 1), (1, 2)):
        if index < depth:
            levels[present & hit[:, index] & (levels < level)] = level
    if depth > 2:
        levels[present & hit[:, 2:].any(axis=1)] = 3
    # a path that is only a town (no country) matching anywhere is a town agreement
    single = (a[:, 1:] == PAD).all(axis=1) & hit[:, 0] & ((b[:, 1:] != PAD).any(axis=1))
    levels[present & single & (levels < 2)] = 2
    return levels


def compare_sets(a: list[frozenset[str]], b: list[frozenset[str]]) -> np.ndarray:
    """Identifiers: a shared document or phone number (1), none shared (0)."""
    levels = np.full(len(a), NULL, dtype=np.int8)
    for i, (x, y) in enumerate(zip(a, b, strict=True)):
        if x and y:
            levels[i] = 1 if x & y else 0
    return levels


def compare_masks(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Language, nationality or ethnicity in common (1) or none in common (0)."""
    levels = np.full(len(a), NULL, dtype=np.int8)
    present = (a != 0) & (b != 0)
    levels[present] = ((a[present] & b[present]) != 0).astype(np.int8)
    return levels
