"""The fast paths of the comparators agree with the obvious ones, exactly.

`PairCache` is checked against a dict; `compare_name_part`, `person_similarity` and
`compare_place` (which skip rows with a side missing, group rows by width and drop
padding columns, and read similarities through the cache) against the dense
versions they replaced, kept here verbatim as the reference. Equality is exact
(levels, tokens, float32 similarities): a re-score must not move when made faster.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from rapidfuzz.distance import JaroWinkler
from rapidfuzz.process import cpdist

from matching.encode import PAD
from matching.normalize import nickname_canonicals, readings, skeleton, vowels_agree
from scoring.comparators import (
    DIFFERENT_WORD,
    NULL,
    PairCache,
    TokenSimilarity,
    compare_name_part,
    compare_place,
    person_similarity,
)

WORDS = [
    "anna", "hanna", "ganna", "oleksandr", "aleksandr", "olexandr", "mohammed", "muhammad",
    "mohamed", "deng", "garang", "maria", "mariia", "jose", "mariajose", "kyiv", "kiev",
    "lviv", "12345", "12346", "al", "hassan", "hasan", "sasha",
    # other orthographies: Somali (c, x), Slavic j, French ch
    "cali", "ali", "maxamed", "xasan", "julija", "yuliya", "aicha", "aisha", "jamal", "amal",
    # one skeleton, told apart by the vowels written (mhmd is محمد, mhmud محمود)
    "mahmoud", "mhmd", "mhmud",
    # Abd al- compounds: as alike as what follows the prefix; -ullah ones, what precedes
    "abdalah", "abdalaziz", "abdalahi", "zabihallah", "najiballah",
    # forms of one name in data/nicknames.csv (Somali Fadumo, Turkish Fatma: Fatima)
    "fatima", "fadumo", "fatma",
    # Abdullah without its final h
    "abdala",
]  # fmt: skip
# a skeleton key per word: transliterations share one (what Vocabulary.key_of holds)
KEYS = [
    0, 0, 0, 3, 3, 3, 6, 6, 6, 9, 10, 11, 11, 13, 14, 15, 15, 17, 18, 19, 20, 21, 21, 3,
    24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 6, 6, 6, 37, 38, 37, 40, 41, 42, 43, 42, 45,
]  # fmt: skip


class ReferenceSimilarity:
    """The dense similarity the comparators used before the cache: no state."""

    def __init__(self, strings: list[str], key_of: list[int]):
        self.strings = np.array(strings, dtype=object)
        self.keys = np.array(key_of, dtype=np.int64)

    def pairwise(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        left = np.broadcast_to(a[:, :, None], (a.shape[0], a.shape[1], b.shape[1]))
        right = np.broadcast_to(b[:, None, :], left.shape)
        valid = (left != PAD) & (right != PAD)
        out = np.full(left.shape, -1.0, dtype=np.float32)
        equal = valid & (left == right)
        out[equal] = 1.0
        todo = valid & ~equal
        if todo.any():
            sims = cpdist(
                self.strings[left[todo]],
                self.strings[right[todo]],
                scorer=JaroWinkler.normalized_similarity,
                workers=1,
            ).astype(np.float32)
            out[todo] = sims
            for index, x, y in zip(
                np.flatnonzero(todo.ravel()), left[todo], right[todo], strict=True
            ):
                similarity, alike = self._read(int(x), int(y))
                value = max(out.ravel()[index], similarity)
                first, second = self.strings[x], self.strings[y]
                # Abdullah however written (Abdulla, Abdullahi) follows Abd al- with "ah"
                abdullah = ("abdalah", "abdala", "abdalahi")
                rests = ["ah" if w in abdullah else w[5:] for w in (first, second)]
                compound = all(
                    w in abdullah or (w.startswith("abdal") and len(w) >= 7)
                    for w in (first, second)
                )
                if compound and not alike:
                    value = min(value, JaroWinkler.normalized_similarity(*rests))
                # -ullah compounds by what comes before it (Abdullah's "abd")
                before = [
                    "abd" if w in abdullah else w[:-5] if w.endswith("allah") else ""
                    for w in (first, second)
                ]
                if all(len(b) >= 2 for b in before) and not alike:
                    value = min(value, JaroWinkler.normalized_similarity(*before))
                out.ravel()[index] = value
        return out

    def _read(self, x: int, y: int) -> tuple[float, bool]:
        """Best similarity over the readings of either word, and whether a reading's
        skeleton is the other word's: what `TokenSimilarity` documents, written out."""
        best, alike = -1.0, False
        for a, b in ((x, y), (y, x)):
            other = self.strings[b]
            for reading in readings(self.strings[a]):
                if reading[0] == other[0] or (reading[0] in "aeiou" and other[0] in "aeiou"):
                    best = max(best, JaroWinkler.normalized_similarity(reading, other))
                    alike = alike or skeleton(reading) == skeleton(other)
        for first in readings(self.strings[x]):  # both read another way
            for second in readings(self.strings[y]):
                if first[0] == second[0] or (first[0] in "aeiou" and second[0] in "aeiou"):
                    best = max(best, JaroWinkler.normalized_similarity(first, second))
                    alike = alike or skeleton(first) == skeleton(second)
        return np.float32(best), alike

    def same_key(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        ka = np.where(a != PAD, self.keys[np.maximum(a, 0)], -2)
        kb = np.where(b != PAD, self.keys[np.maximum(b, 0)], -3)
        return ka[:, :, None] == kb[:, None, :]

    def compare(self, a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        same = self.same_key(a, b)
        for index in zip(*np.nonzero(~same), strict=True):
            x, y = a[index[0], index[1]], b[index[0], index[2]]
            if x != PAD and y != PAD and x != y and self._read(int(x), int(y))[1]:
                same[index] = True
        return self.pairwise(a, b), same

    def _forms(self, token: int) -> set[str]:
        """The formal names a token is a form of, and theirs, at most four."""
        direct = nickname_canonicals(self.strings[token], by_skeleton=False)
        names = set(direct).union(*(nickname_canonicals(n, by_skeleton=False) for n in direct))
        return set(sorted(names)[:4])

    def related(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Forms of one name: their sets of formal names meet."""
        out = np.zeros((a.shape[0], a.shape[1], b.shape[1]), dtype=bool)
        for p, i, j in np.ndindex(out.shape):
            x, y = a[p, i], b[p, j]
            if x != PAD and y != PAD and x != y:
                out[p, i, j] = bool(self._forms(x) & self._forms(y))
        return out

    def has_digit(self, a: np.ndarray) -> np.ndarray:
        digits = np.array([any(ch.isdigit() for ch in w) for w in self.strings])
        return np.where(a != PAD, digits[np.maximum(a, 0)], False)


def _has(a: np.ndarray) -> np.ndarray:
    return (a != PAD).any(axis=1)


def reference_name_part(sim, part, part_nick, other_names, other_nick):
    levels = np.full(len(part), NULL, dtype=np.int8)
    present = _has(part) & _has(other_names)
    jw, same_key = sim.compare(part, other_names)
    exact_matrix = (part[:, :, None] == other_names[:, None, :]) & (part[:, :, None] != PAD)
    exact_matrix |= same_key & (jw >= 0.85)
    # one skeleton spelled far apart: the written vowels decide, pair by pair
    for index in zip(*np.nonzero(same_key & ~exact_matrix), strict=True):
        x, y = part[index[0], index[1]], other_names[index[0], index[2]]
        verdict = vowels_agree(sim.strings[x], sim.strings[y])
        exact_matrix[index] = verdict is True
        same_key[index] = verdict is not False
    exact_any = exact_matrix.any(axis=2)
    exact = exact_any.any(axis=1)

    def nick_shared(a, b):
        # a shared key, unless the two spellings' vowels disagree
        shared = sim.same_key(a, b)
        for index in zip(*np.nonzero(shared), strict=True):
            x, y = a[index[0], index[1]], b[index[0], index[2]]
            if x != y and vowels_agree(sim.strings[x], sim.strings[y]) is False:
                shared[index] = False
        return shared.any(axis=(1, 2))

    nickname = (
        nick_shared(part_nick, other_names)
        | nick_shared(part, other_nick)
        | nick_shared(part_nick, other_nick)
    )
    best = jw.max(axis=(1, 2))
    sound = same_key.any(axis=(1, 2))
    levels[present] = 0
    levels[present & (best >= 0.80)] = 1
    levels[present & ((best >= 0.92) | sound)] = 2
    levels[present & nickname] = 3
    levels[present & exact] = 4
    return levels, np.where((present & exact)[:, None] & exact_any, part, PAD)


def reference_person(sim, a, b):
    jw, same_key = sim.compare(a, b)
    pairwise = np.where(same_key | sim.related(a, b), np.maximum(jw, 0.95), jw)
    count_a = (a != PAD).sum(axis=1)
    count_b = (b != PAD).sum(axis=1)
    best_a = np.where(a != PAD, np.maximum(pairwise.max(axis=2), 0.0), 0.0).sum(axis=1)
    best_b = np.where(b != PAD, np.maximum(pairwise.max(axis=1), 0.0), 0.0).sum(axis=1)
    mean_a = best_a / np.maximum(count_a, 1)
    mean_b = best_b / np.maximum(count_b, 1)
    out = np.maximum(mean_a, mean_b)
    out = np.where(count_a != count_b, np.minimum(out, 0.96), out)
    # each side holding a word the other has nothing like: at most partly similar
    for p in range(len(a)):
        worst_a = min(
            (pairwise[p, i].max() for i in range(a.shape[1]) if a[p, i] != PAD), default=1
        )
        worst_b = min(
            (pairwise[p, :, j].max() for j in range(b.shape[1]) if b[p, j] != PAD), default=1
        )
        if worst_a < DIFFERENT_WORD and worst_b < DIFFERENT_WORD:
            out[p] = min(out[p], 0.87)
    out = np.where((count_a > 0) & (count_b > 0), out, -1.0)
    return out.astype(np.float32)


def reference_place(sim, a, b):
    levels = np.full(len(a), NULL, dtype=np.int8)
    present = _has(a) & _has(b)
    grid = sim.pairwise(a, b)
    for p, i, j in zip(*np.nonzero((a[:, :, None] != PAD) & (b[:, None, :] != PAD)), strict=True):
        shortest = min(len(sim.strings[a[p, i]]), len(sim.strings[b[p, j]]))
        if shortest <= 3 and grid[p, i, j] < 0.999:  # short keys meet only as written
            grid[p, i, j] = 0.0
    best = grid.max(axis=2)
    hit = np.where(sim.has_digit(a), best >= 0.999, best >= 0.90)
    levels[present] = 0
    depth = a.shape[1]
    # a path whose first level is a lower level of the other begins that much lower
    lower = np.where(hit[:, 0], grid[:, 0, :].argmax(axis=1), 0)
    for index, level in ((0, 1), (1, 2)):
        if index < depth:
            reached = np.minimum(level + lower, 3)
            now = present & hit[:, index] & (levels < reached)
            levels[now] = reached[now]
    if depth > 2:
        levels[present & hit[:, 2:].any(axis=1)] = 3
    single = (a[:, 1:] == PAD).all(axis=1) & hit[:, 0] & ((b[:, 1:] != PAD).any(axis=1))
    levels[present & single & (levels < 2)] = 2
    return levels


def _rows(width: int, max_tokens: int):
    """Token rows as the encoder writes them: distinct ids, padding at the end."""
    tokens = st.lists(st.integers(0, len(WORDS) - 1), max_size=max_tokens, unique=True)
    return tokens.map(lambda r: r + [PAD] * (width - len(r)))


def _batch(width: int, max_tokens: int, size: int):
    return st.lists(_rows(width, max_tokens), min_size=size, max_size=size).map(
        lambda rows: np.array(rows, dtype=np.int32).reshape(size, width)
    )


@st.composite
def name_batches(draw):
    size = draw(st.integers(1, 40))
    return (
        draw(_batch(4, 4, size)),
        draw(_batch(8, 3, size)),
        draw(_batch(8, 8, size)),
        draw(_batch(8, 3, size)),
    )


@settings(max_examples=150, deadline=None)
@given(name_batches())
def test_name_part_equals_dense_reference(batch):
    part, part_nick, other, other_nick = batch
    reference = ReferenceSimilarity(WORDS, KEYS)
    fast = TokenSimilarity(list(WORDS), list(KEYS))
    for _ in range(2):  # the second time every pair comes from the cache
        got = compare_name_part(fast, part, part_nick, other, other_nick)
        levels, token = reference_name_part(reference, part, part_nick, other, other_nick)
        assert np.array_equal(got.levels, levels)
        assert np.array_equal(got.exact_token, token)


@settings(max_examples=150, deadline=None)
@given(st.integers(1, 40).flatmap(lambda n: st.tuples(_batch(4, 4, n), _batch(4, 4, n))))
def test_person_and_place_equal_dense_reference(batch):
    a, b = batch
    reference = ReferenceSimilarity(WORDS, KEYS)
    fast = TokenSimilarity(list(WORDS), list(KEYS))
    for _ in range(2):
        assert np.array_equal(person_similarity(fast, a, b), reference_person(reference, a, b))
        assert np.array_equal(compare_place(fast, a, b), reference_place(reference, a, b))


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.lists(st.integers(0, 2**62), min_size=0, max_size=300, unique=True),
        min_size=1,
        max_size=6,
    ),
    st.sampled_from([1 << 4, 1 << 8, 1 << 16]),
    st.lists(st.integers(0, 5000), min_size=6, max_size=6),
)
def test_pair_cache_agrees_with_a_dict(batches, max_slots, reserved):
    """Every key found holds the value it was stored with; a key is missing only when
    never stored, or when the table, full at its bound, started afresh. Reserving
    room (`reserve`) between batches keeps every key stored."""
    cache = PairCache(slots=1 << 4, max_slots=max_slots)
    truth: dict[int, float] = {}
    rng = np.random.default_rng(0)
    for batch, room in zip(batches, reserved, strict=False):
        kept = len(cache)
        cache.reserve(room)
        assert len(cache) == kept
        assert len(cache.keys) >= min(2 * room, max(max_slots, 1 << 4))
        for key, value in truth.items():
            slot = int(cache.find(np.array([key], dtype=np.int64))[0])
            assert slot < 0 or cache.values[slot] == np.float32(value)
        # what was stored before is stored still (the keys stored are some of truth's)
        assert int((cache.find(np.array(list(truth), dtype=np.int64)) >= 0).sum()) == kept
        keys = np.array(batch, dtype=np.int64)
        slots = cache.find(keys)
        for key, slot in zip(keys.tolist(), slots.tolist(), strict=True):
            if slot >= 0:
                assert cache.values[slot] == np.float32(truth[key])
        new = np.unique(keys[slots < 0])
        values = rng.random(len(new)).astype(np.float32)
        before = len(cache)
        taken = cache.insert(new, values)
        stored = cache.find(new)
        for key, value, slot in zip(new.tolist(), values.tolist(), stored.tolist(), strict=True):
            if slot >= 0:
                truth[key] = value
                assert cache.values[slot] == np.float32(value)
        assert taken == int((stored >= 0).sum())
        if len(cache) < before + taken:  # started afresh: only this batch's keys left
            assert len(cache) == taken
        assert len(cache) == int((cache.keys != -1).sum())
        assert len(cache) <= len(cache.keys) // 2  # load stays at most one half
        assert len(cache.keys) <= max(max_slots, 1 << 4)


def test_a_full_cache_still_answers_correctly():
    """Past its bound the cache stops taking pairs; similarities are computed anyway."""
    small = TokenSimilarity(list(WORDS), list(KEYS), cache=PairCache(slots=4, max_slots=4))
    reference = ReferenceSimilarity(WORDS, KEYS)
    everything = np.arange(len(WORDS), dtype=np.int32)
    a = np.repeat(everything, len(WORDS))[:, None]
    b = np.tile(everything, len(WORDS))[:, None]
    for _ in range(2):
        assert np.array_equal(small.pairwise(a, b), reference.pairwise(a, b))
    assert len(small._cache) <= 2


def test_views_read_the_shared_cache_and_merge_what_they_computed():
    """Inside `views` the shared cache is only read (two threads may be looking it up);
    each view keeps what it computed, and leaving merges it, so nothing is lost."""
    shared = TokenSimilarity(list(WORDS), list(KEYS))
    reference = ReferenceSimilarity(WORDS, KEYS)
    everything = np.arange(len(WORDS), dtype=np.int32)
    a = np.repeat(everything, len(WORDS))[:, None]
    b = np.tile(everything, len(WORDS))[:, None]
    with shared.views(2) as (one, two):
        assert np.array_equal(one.pairwise(a, b), reference.pairwise(a, b))
        assert len(shared._cache) == 0  # the shared table untouched
        assert np.array_equal(two.pairwise(b, a), reference.pairwise(b, a))
    # symmetric keys: both views computed the same pairs, stored once
    distinct = len(WORDS) * (len(WORDS) - 1) // 2
    assert len(shared._cache) == distinct
    with shared.views(1) as (three,):
        assert np.array_equal(three.pairwise(a, b), reference.pairwise(a, b))
        assert not three._side  # everything was known
