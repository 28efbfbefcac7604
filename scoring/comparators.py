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
from matching.normalize import readings, skeleton, vowels_agree

NULL = np.int8(-1)


class PairCache:
    """Similarities of token pairs already computed: a hash table in two numpy arrays.

    A re-score meets the same pairs of names again and again (a trace's candidates
    share surnames, every chunk of traces meets the same common names), and finding
    the distinct pairs of each batch by sorting cost more than the string metric.
    Keys are `a << 32 | b` of two token ids; lookups and inserts are vectorised
    linear probing (Fibonacci hashing, load at most one half). The table doubles up
    to `max_slots` and then stops taking pairs: those are computed on every call,
    which is only slower, so memory stays bounded in a long-running service.
    """

    _EMPTY = -1  # keys are non-negative
    _MULTIPLIER = np.uint64(0x9E3779B97F4A7C15)

    def __init__(self, slots: int = 1 << 16, max_slots: int = 1 << 24) -> None:
        self.max_slots = max(max_slots, slots)
        self.count = 0
        self._allocate(slots)

    def _allocate(self, slots: int) -> None:
        self._bits = max(slots, 2).bit_length() - 1  # a shift by 64 is undefined
        self.keys = np.full(1 << self._bits, self._EMPTY, dtype=np.int64)
        self.values = np.zeros(1 << self._bits, dtype=np.float32)

    def __len__(self) -> int:
        return self.count

    def _home(self, keys: np.ndarray) -> np.ndarray:
        shift = np.uint64(64 - self._bits)
        return ((keys.astype(np.uint64) * self._MULTIPLIER) >> shift).astype(np.int64)

    def find(self, keys: np.ndarray) -> np.ndarray:
        """The slot holding each key, -1 where the key is not stored."""
        found = np.full(len(keys), -1, dtype=np.int64)
        slot = self._home(keys)
        pending = np.arange(len(keys))
        mask = len(self.keys) - 1
        while len(pending):
            at = slot[pending]
            stored = self.keys[at]
            hit = stored == keys[pending]
            found[pending[hit]] = at[hit]
            probe_on = ~hit & (stored != self._EMPTY)
            pending = pending[probe_on]
            slot[pending] = (at[probe_on] + 1) & mask
        return found

    def insert(self, keys: np.ndarray, values: np.ndarray) -> None:
        """Store distinct keys that are not stored yet (as many as the bound allows)."""
        if self.count + len(keys) > len(self.keys) // 2:
            slots = len(self.keys)
            while self.count + len(keys) > slots // 2 and slots < self.max_slots:
                slots *= 2
            if slots > len(self.keys):
                old = self.keys != self._EMPTY
                old_keys, old_values = self.keys[old], self.values[old]
                self._allocate(slots)
                self.count = 0
                self._place(old_keys, old_values)
            room = max(len(self.keys) // 2 - self.count, 0)
            keys, values = keys[:room], values[:room]
        self._place(keys, values)

    def _place(self, keys: np.ndarray, values: np.ndarray) -> None:
        slot = self._home(keys)
        pending = np.arange(len(keys))
        mask = len(self.keys) - 1
        while len(pending):
            at = slot[pending]
            free = self.keys[at] == self._EMPTY
            # keys wanting the same free slot all write it; one of them (distinct
            # keys) is there afterwards and has its place, the others probe on
            self.keys[at[free]] = keys[pending[free]]
            placed = free & (self.keys[at] == keys[pending])
            self.values[at[placed]] = values[pending[placed]]
            pending, at = pending[~placed], at[~placed]
            slot[pending] = (at + 1) & mask
        self.count += len(keys)


_VOWELS = frozenset("aeiou")
_SLOTS = 6  # readings kept per token (`matching.normalize._readings` makes at most six)
# A cached similarity is stored negated (its sign bit set, -0.0 included) when the pair
# shares a key under some reading: exact in float32, unlike an added offset.


_COMPOUND = "abdal"  # how `matching.normalize` writes every Abd al- compound


def _compound_rest(token: str) -> str:
    """What follows the Abd al- of a compound name (two letters or more), else ""."""
    if token.startswith(_COMPOUND) and len(token) >= len(_COMPOUND) + 2:
        return token[len(_COMPOUND) :]
    return ""


def _start(word: str) -> int:
    """A code for how a spelling begins: its first letter, every vowel alike."""
    if not word:
        return -1
    return 0 if word[0] in _VOWELS else ord(word[0])


class TokenSimilarity:
    """Jaro-Winkler similarity between vocabulary tokens, computed once per unique pair
    and kept (`PairCache`) for the next batch that meets it.

    A token written in another orthography is also read the way that orthography
    means it (`matching.normalize.readings`: Somali Cali is Ali, Slavic Julija is
    Yuliya, French Aicha is Aisha, German Schewtschenko is Shevchenko), and a pair
    scores its best reading. A reading counts only where it begins like the other
    token (the same letter, or both a vowel): read as Slavic, Jamal would be Yamal,
    which must not agree with Amal. A pair whose keys agree under such a reading is
    "alike" (`compare`), as if its skeleton keys were equal.
    """

    def __init__(
        self, strings: list[str], key_of: list[int] | None = None, cache: PairCache | None = None
    ):
        self.strings = strings
        self._key_list = key_of
        self._cache = cache if cache is not None else PairCache()
        self._twin: TokenSimilarity | None = None
        self._vowels: dict[tuple[int, int], int] = {}  # `vowels_agree`, bounded below
        self._size = 0
        self._array = np.empty(0, dtype=object)
        self._keys = np.empty(0, dtype=np.int64)
        self._digits = np.empty(0, dtype=bool)
        self._has_reading = np.empty(0, dtype=bool)
        self._rest = np.empty(0, dtype=object)  # what follows a compound's abd-al, else ""
        self._length = np.empty(0, dtype=np.int32)
        # per token: how it begins, its skeleton (as an id of `_key_ids`), and in
        # `_SLOTS` columns its other readings, their skeletons and how they begin
        self._key_ids: dict[str, int] = {}
        self._begins = np.empty(0, dtype=np.int32)
        self._own_key = np.empty(0, dtype=np.int64)
        self._reading = np.empty((0, _SLOTS), dtype=object)
        self._reading_key = np.empty((0, _SLOTS), dtype=np.int64)
        self._reading_begins = np.empty((0, _SLOTS), dtype=np.int32)
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
            for name, dtype in (
                ("_array", object),
                ("_keys", np.int64),
                ("_digits", bool),
                ("_has_reading", bool),
                ("_rest", object),
                ("_length", np.int32),
                ("_begins", np.int32),
                ("_own_key", np.int64),
                ("_reading", object),
                ("_reading_key", np.int64),
                ("_reading_begins", np.int32),
            ):
                old = getattr(self, name)
                grown = np.empty((capacity, *old.shape[1:]), dtype=dtype)
                grown[: len(old)] = old
                setattr(self, name, grown)
        new = self.strings[self._size : n]
        self._array[self._size : n] = new
        if self._key_list is not None:
            self._keys[self._size : n] = self._key_list[self._size : n]
        else:
            self._keys[self._size : n] = np.arange(self._size, n)
        self._digits[self._size : n] = [any(ch.isdigit() for ch in t) for t in new]
        self._rest[self._size : n] = [_compound_rest(t) for t in new]
        self._length[self._size : n] = [len(t) for t in new]
        key_id = self._key_ids.setdefault
        for row, token in enumerate(new, start=self._size):
            own = skeleton(token) if token.islower() else token
            self._begins[row] = _start(token)
            self._own_key[row] = key_id(own, len(self._key_ids))
            found = readings(token)[:_SLOTS]
            self._has_reading[row] = bool(found)
            self._reading[row] = ""
            self._reading_key[row] = -1
            self._reading_begins[row] = -1
            for slot, reading in enumerate(found):
                self._reading[row, slot] = reading
                self._reading_key[row, slot] = key_id(skeleton(reading), len(self._key_ids))
                self._reading_begins[row, slot] = _start(reading)
        self._size = n

    def twin(self) -> TokenSimilarity:
        """The same similarity with a cache of its own, for a second thread (the cache
        is not safe to share); made once and kept, so its cache fills too."""
        if self._twin is None:
            self._twin = TokenSimilarity(self.strings, self._key_list)
        return self._twin

    def vowels_agree(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Whether token `a[i]` and token `b[i]` write agreeing vowels (see
        `matching.normalize.vowels_agree`), for pairs that share a skeleton: 1 they
        agree, 0 they do not, -1 the letters do not line up."""
        out = np.zeros(len(a), dtype=np.int8)
        cache = self._vowels
        if len(cache) > 1_000_000:  # a long-running service meets ever new pairs
            cache.clear()
        for i, (x, y) in enumerate(zip(a.tolist(), b.tolist(), strict=True)):
            found = cache.get((x, y))
            if found is None:
                agree = vowels_agree(self.strings[x], self.strings[y])
                found = -1 if agree is None else int(agree)
                cache[(x, y)] = found
            out[i] = found
        return out

    def has_digit(self, a: np.ndarray) -> np.ndarray:
        """Whether each token holds a digit (a postcode, a house number): (P, Ka)."""
        self._refresh()
        return np.where(a != PAD, self._digits[np.maximum(a, 0)], False)

    def lengths(self, a: np.ndarray) -> np.ndarray:
        """How many letters each token has (0 for padding): (P, Ka)."""
        self._refresh()
        return np.where(a != PAD, self._length[np.maximum(a, 0)], 0)

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
        return self.compare(a, b)[0]

    def compare(self, a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """`pairwise`, and whether each pair of tokens shares a skeleton key, under
        their own spelling or a reading: both (P, Ka, Kb)."""
        self._refresh()
        left = np.broadcast_to(a[:, :, None], (a.shape[0], a.shape[1], b.shape[1]))
        right = np.broadcast_to(b[:, None, :], left.shape)
        valid = (left != PAD) & (right != PAD)
        out = np.full(left.shape, -1.0, dtype=np.float32)
        values = self.similarities(left[valid], right[valid])
        alike = np.signbit(values)
        out[valid] = np.abs(values)
        same = self.same_key(a, b)
        if alike.any():
            extra = np.zeros(left.shape, dtype=bool)
            extra[valid] = alike
            same |= extra
        return out, same

    def _read(self, first: np.ndarray, second: np.ndarray, sims: np.ndarray) -> np.ndarray:
        """`sims` of token pairs raised to their best over the readings of either token
        (a reading that begins like the other token), negated where a reading's key is
        the other token's."""
        best = sims.astype(np.float64)
        alike = np.zeros(len(sims), dtype=bool)
        for x, y in ((first, second), (second, first)):
            for slot in range(_SLOTS):
                key = self._reading_key[x, slot]
                rows = np.flatnonzero(
                    (key >= 0) & (self._reading_begins[x, slot] == self._begins[y])
                )
                if not len(rows):
                    continue
                found = cpdist(
                    self._reading[x[rows], slot],
                    self._array[y[rows]],
                    scorer=JaroWinkler.normalized_similarity,
                    workers=1,
                )
                best[rows] = np.maximum(best[rows], found)
                alike[rows] |= key[rows] == self._own_key[y[rows]]
        # both read another way: Somali Cismaan (ismaan) and Arabic Othman (osman)
        both = np.flatnonzero(self._has_reading[first] & self._has_reading[second])
        x, y = first[both], second[both]
        for slot_x in range(_SLOTS if len(both) else 0):
            key_x, begins_x = self._reading_key[x, slot_x], self._reading_begins[x, slot_x]
            for slot_y in range(_SLOTS):
                key_y = self._reading_key[y, slot_y]
                at = np.flatnonzero(
                    (key_x >= 0) & (key_y >= 0) & (begins_x == self._reading_begins[y, slot_y])
                )
                if not len(at):
                    continue
                found = cpdist(
                    self._reading[x[at], slot_x],
                    self._reading[y[at], slot_y],
                    scorer=JaroWinkler.normalized_similarity,
                    workers=1,
                )
                best[both[at]] = np.maximum(best[both[at]], found)
                alike[both[at]] |= key_x[at] == key_y[at]
        best = best.astype(np.float32)
        return np.where(alike, -best, best)

    def similarities(self, left: np.ndarray, right: np.ndarray) -> np.ndarray:
        """Similarity of token `left[i]` with token `right[i]` (no padding): float32,
        negated where the two share a key under a reading (see `compare`)."""
        out = np.ones(len(left), dtype=np.float32)
        todo = np.flatnonzero(left != right)
        if not len(todo):
            return out
        keys = (left[todo].astype(np.int64) << 32) | right[todo].astype(np.int64)
        slots = self._cache.find(keys)
        known = slots >= 0
        out[todo[known]] = self._cache.values[slots[known]]
        if known.all():
            return out
        unknown = ~known
        unique, inverse = np.unique(keys[unknown], return_inverse=True)
        sims = cpdist(
            self._array[unique >> 32],
            self._array[unique & 0xFFFFFFFF],
            scorer=JaroWinkler.normalized_similarity,
            workers=1,
        ).astype(np.float32)
        first, second = unique >> 32, unique & 0xFFFFFFFF
        read = np.flatnonzero(self._has_reading[first] | self._has_reading[second])
        if len(read):
            sims[read] = self._read(first[read], second[read], sims[read])
        compound = np.flatnonzero((self._rest[first] != "") & (self._rest[second] != ""))
        if len(compound):
            sims[compound] = self._compounds(first[compound], second[compound], sims[compound])
        out[todo[unknown]] = sims[inverse]
        self._cache.insert(unique, sims)
        return out

    def _compounds(self, first: np.ndarray, second: np.ndarray, sims: np.ndarray) -> np.ndarray:
        """Two Abd al- compounds are as alike as what follows the Abd al-: Abdallah and
        Abdalaziz share five letters and a Jaro-Winkler of 0.90, yet are two names
        (often two brothers'). Pairs alike under a reading keep their similarity."""
        rest = cpdist(
            self._rest[first],
            self._rest[second],
            scorer=JaroWinkler.normalized_similarity,
            workers=1,
        ).astype(np.float32)
        return np.where(np.signbit(sims), sims, np.minimum(sims, rest))


def _any_equal(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Whether any non-pad id of a[p] equals one of b[p]."""
    eq = (a[:, :, None] == b[:, None, :]) & (a[:, :, None] != PAD)
    return eq.any(axis=(1, 2))


def _has(a: np.ndarray) -> np.ndarray:
    return (a != PAD).any(axis=1)


def _trim(a: np.ndarray) -> np.ndarray:
    """`a` without its trailing columns that hold only padding (at least one column)."""
    used = np.flatnonzero((a != PAD).any(axis=0))
    return a[:, : int(used[-1]) + 1] if len(used) else a[:, :1]


def _width_groups(rows: np.ndarray, *counts: np.ndarray) -> list[np.ndarray]:
    """`rows` split by how many tokens each side holds (1, 2-3, 4+), so that each group,
    trimmed of its padding, is compared on a small dense grid instead of the widest."""
    code = np.zeros(len(rows), dtype=np.int64)
    for count in counts:
        code = code * 3 + np.searchsorted(np.array([1, 3]), count[rows], side="right")
    order = np.argsort(code, kind="stable")
    code = code[order]
    cuts = np.flatnonzero(code[1:] != code[:-1]) + 1
    return [np.sort(rows[group]) for group in np.split(order, cuts)]


def _any_same_key(sim: TokenSimilarity, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Whether any token of a[p] shares a skeleton key with one of b[p].

    Only rows with tokens on both sides are looked at: most records have no
    nickname, and a missing side can share nothing.
    """
    out = np.zeros(len(a), dtype=bool)
    rows = np.flatnonzero(_has(a) & _has(b))
    if len(rows):
        out[rows] = sim.same_key(a[rows], b[rows]).any(axis=(1, 2))
    return out


@dataclass(frozen=True)
class NameLevels:
    """Levels of a name comparison, and the tokens that agreed exactly: (P, width of
    the part), padded. The model weighs an exact agreement by the rarest of them."""

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
    exact_out = np.full(part.shape, PAD, dtype=part.dtype)
    count_part = (part != PAD).sum(axis=1)
    count_other = (other_names != PAD).sum(axis=1)
    # a missing side is neutral whatever the rest says: compare only the other rows
    present = np.flatnonzero((count_part > 0) & (count_other > 0))
    for rows in _width_groups(present, count_part, count_other):
        found, exact_token = _name_part_levels(
            sim,
            _trim(part[rows]),
            _trim(part_nick[rows]),
            _trim(other_names[rows]),
            _trim(other_nick[rows]),
        )
        levels[rows] = found
        exact_out[rows, : exact_token.shape[1]] = exact_token
    return NameLevels(levels, exact_out)


def _name_part_levels(
    sim: TokenSimilarity,
    part: np.ndarray,
    part_nick: np.ndarray,
    other_names: np.ndarray,
    other_nick: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """`compare_name_part` of rows that have a name on both sides: levels, exact token."""
    jw, same_key = sim.compare(part, other_names)
    exact_matrix = (part[:, :, None] == other_names[:, None, :]) & (part[:, :, None] != PAD)
    exact_matrix |= same_key & (jw >= 0.85)
    # one skeleton, spelled far apart: the same name where the vowels each side writes
    # agree (Mohammed, محمد), and not even the same sound where they do not (Mohammed,
    # محمود: Mahmoud)
    apart = np.nonzero(same_key & ~exact_matrix)
    if len(apart[0]):
        left = part[apart[0], apart[1]]
        right = other_names[apart[0], apart[2]]
        verdict = sim.vowels_agree(left, right)
        exact_matrix[apart] = verdict == 1
        same_key = same_key.copy()
        same_key[apart] = verdict != 0
    exact_any = exact_matrix.any(axis=2)
    exact = exact_any.any(axis=1)
    # formal names behind a nickname are compared by skeleton: Nastia gives
    # "anastasia", which must meet "Anastasiya" written another way
    nickname = (
        _any_same_key(sim, part_nick, other_names)
        | _any_same_key(sim, part, other_nick)
        | _any_same_key(sim, part_nick, other_nick)
    )
    best = jw.max(axis=(1, 2))
    sound = same_key.any(axis=(1, 2))
    found = np.zeros(len(part), dtype=np.int8)
    found[best >= 0.80] = 1
    found[(best >= 0.92) | sound] = 2
    found[nickname] = 3
    found[exact] = 4
    # the tokens that agreed exactly: the model looks up the rarest one's frequency
    return found, np.where(exact_any, part, PAD)


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
    count_a = (a != PAD).sum(axis=1)
    count_b = (b != PAD).sum(axis=1)
    result = np.full(len(a), -1.0, dtype=np.float32)
    # most records name no father, caregiver or inquirer: compare only rows with both
    rows = np.flatnonzero((count_a > 0) & (count_b > 0))
    if not len(rows):
        return result
    a, b, count_a, count_b = a[rows], b[rows], count_a[rows], count_b[rows]
    jw, same_key = sim.compare(a, b)
    pairwise = np.where(same_key, np.maximum(jw, 0.95), jw)
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
    # ... and two names that each hold a word the other has nothing like are two
    # people, whatever else they share: Mehari Tesfaye Habtom is not Mehari Tesfa
    # Dawit (a father's chain of names: another grandfather), Fatima Ali not Fatima
    # Hassan. At most "partly similar".
    worst_a = np.where(a != PAD, pairwise.max(axis=2), 1.0).min(axis=1)
    worst_b = np.where(b != PAD, pairwise.max(axis=1), 1.0).min(axis=1)
    differ = (worst_a < DIFFERENT_WORD) & (worst_b < DIFFERENT_WORD)
    out = np.where(differ, np.minimum(out, 0.87), out)
    result[rows] = out
    return result


DIFFERENT_WORD = 0.70  # a word whose best match in the other name is below this differs


def person_levels(similarity: np.ndarray) -> np.ndarray:
    """The same person named (3), close (2), partly (1), a different person (0)."""
    levels = np.full(len(similarity), NULL, dtype=np.int8)
    present = similarity >= 0
    levels[present] = 0
    levels[present & (similarity >= 0.75)] = 1
    levels[present & (similarity >= 0.88)] = 2
    levels[present & (similarity >= 0.97)] = 3
    return levels


SHORT_PLACE = 3  # place keys this short are compared only as written


def compare_place(sim: TokenSimilarity, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Places compared level by level: town (3), region (2), only country (1), none (0)."""
    levels = np.full(len(a), NULL, dtype=np.int8)
    rows = np.flatnonzero(_has(a) & _has(b))  # a missing place is neutral
    if not len(rows):
        return levels
    a, b = a[rows], b[rows]
    grid = sim.pairwise(a, b)
    # keys of three letters or fewer meet only as written: one letter apart, Aleppo
    # (ALB) and Idlib (ADLB) are 0.92 alike
    short = np.minimum(sim.lengths(a)[:, :, None], sim.lengths(b)[:, None, :]) <= SHORT_PLACE
    best = np.where(short & (grid < 0.999), 0.0, grid).max(axis=2)  # (P, depth of a)
    # names of places may be spelled differently; numbers (postcodes) may not
    hit = np.where(sim.has_digit(a), best >= 0.999, best >= 0.90)
    found = np.zeros(len(rows), dtype=np.int8)
    depth = a.shape[1]
    for index, level in ((0, 1), (1, 2)):
        if index < depth:
            found[hit[:, index] & (found < level)] = level
    if depth > 2:
        found[hit[:, 2:].any(axis=1)] = 3
    # a path that is only a town (no country) matching anywhere is a town agreement
    single = (a[:, 1:] == PAD).all(axis=1) & hit[:, 0] & ((b[:, 1:] != PAD).any(axis=1))
    found[single & (found < 2)] = 2
    levels[rows] = found
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
