"""Comparators: small, pure functions from a pair's two values to a level of agreement.

Each comparator works on column arrays for a batch of pairs (the batch path) and
returns an int8 level per pair: -1 when either side is missing (neutral evidence,
never disagreement), 0 for disagreement, and higher levels for closer agreement.
The probabilistic model turns levels into match weights. The one-line docstring of
each comparator is what the review page shows beside its verdict.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
from rapidfuzz.distance import JaroWinkler
from rapidfuzz.process import cpdist

from matching.encode import PAD, YEAR
from matching.normalize import (
    DISTINCT_SET,
    distinct_name,
    is_pet_name,
    nickname_canonicals,
    readings,
    skeleton,
    vowels_agree,
)
from scoring import kernels

NULL = np.int8(-1)
# how alike an initial is to a name it opens (`TokenSimilarity._compute`)
INITIAL = np.float32(0.90)


class PairCache:
    """Similarities of token pairs already computed: a hash table in two numpy arrays.

    A re-score meets the same pairs of names again and again (a trace's candidates
    share surnames, every chunk of traces meets the same common names), and finding
    the distinct pairs of each batch by sorting cost more than the string metric.
    Keys are `a << 32 | b` of two token ids (`kernels.pair_key`: the smaller first for
    similarities, which are symmetric); lookups and inserts are compiled linear
    probing (`scoring.kernels`: Fibonacci hashing, load at most one half). The table
    doubles up to `max_slots` and, full there, is emptied and starts again: memory
    stays bounded in a long-running service, and the pairs kept are those of the
    traces being scored now (a table that stopped taking pairs computed every new
    pair of a large re-score on every call). What a full table cannot take is
    computed on every call, which is only slower.
    """

    _EMPTY = kernels.EMPTY

    def __init__(self, slots: int = 1 << 16, max_slots: int = 1 << 25) -> None:
        self.max_slots = max(max_slots, slots)
        self.count = 0
        self._allocate(slots)

    def _allocate(self, slots: int) -> None:
        self.bits = max(slots, 2).bit_length() - 1  # a shift by 64 is undefined
        # key and value side by side (`kernels.VALUE`); `keys` and `values` are views
        self._table = np.full(2 << self.bits, self._EMPTY, dtype=np.int64)
        self._table[1::2] = 0
        self._floats = self._table.view(np.float32)
        self.keys = self._table[0::2]
        self.values = self._floats[kernels.VALUE_AT :: kernels.VALUE]

    def __len__(self) -> int:
        return self.count

    def find(self, keys: np.ndarray) -> np.ndarray:
        """The slot holding each key, -1 where the key is not stored."""
        return kernels.find(self._table, keys.astype(np.int64, copy=False), self.bits)

    def insert(self, keys: np.ndarray, values: np.ndarray) -> int:
        """Store distinct keys that are not stored yet (as many as the bound allows);
        returns how many it took."""
        if self.count + len(keys) > len(self.keys) // 2:
            if not self._grow(self.count + len(keys)) and self.count > len(self.keys) // 4:
                # full at its bound: start afresh rather than stop learning, so the
                # pairs of the traces being scored now are the ones kept
                self.keys[:] = self._EMPTY
                self.count = 0
        return self._place(keys, values)

    def reserve(self, count: int) -> None:
        """Room for `count` keys (within the bound) in one step, for a job that will
        store many: doubling to that size along the way moved every stored key at
        each step, 1.9 s of a full re-score at 100,000 cases."""
        self._grow(count)

    def _grow(self, count: int) -> bool:
        """Double the table until it holds `count` keys at load one half, or reaches
        its bound; the keys stored move to the new table. Whether it grew."""
        slots = len(self.keys)
        while count > slots // 2 and slots < self.max_slots:
            slots *= 2
        if slots == len(self.keys):
            return False
        old = self.keys != self._EMPTY
        old_keys, old_values = self.keys[old], self.values[old]
        self._allocate(slots)
        self.count = 0
        self._place(old_keys, old_values)
        return True

    def tables(self) -> tuple[np.ndarray, np.ndarray, int]:
        """What the compiled lookups read: the table, its float32 view and its bits."""
        return self._table, self._floats, self.bits

    def _place(self, keys: np.ndarray, values: np.ndarray) -> int:
        room = max(len(self.keys) // 2 - self.count, 0)
        added = kernels.place(
            self._table,
            self._floats,
            keys.astype(np.int64, copy=False),
            values.astype(np.float32, copy=False),
            self.bits,
            room,
        )
        self.count += added
        return added


_EMPTY_TABLE = PairCache(slots=2, max_slots=2)  # a side table that holds nothing

_VOWELS = frozenset("aeiou")
_SLOTS = 6  # readings kept per token (`matching.normalize._readings` rarely makes more)
_FORMS = 4  # formal names kept per token (`matching.normalize.nickname_canonicals`)
# A cached similarity is stored negated (its sign bit set, -0.0 included) when the pair
# shares a key under some reading: exact in float32, unlike an added offset.


# how `matching.normalize` writes every Abd al- compound, every -ullah one, and Abdullah
_COMPOUND, _ALLAH, _ABDULLAH = "abdal", "allah", "abdalah"
# Abdullah however written, as `normalize` folds it: without its final h (Abdulla,
# Abdalla: Central Asian, Somali and Sudanese records) and in its Somali and Hausa
# form (Abdullahi, Abdillahi)
_ABDULLAH_FORMS = frozenset((_ABDULLAH, "abdala", "abdalahi"))


_TRIPLES = 16  # three-letter pieces kept per token: those of its first 18 letters
SHORTENED = 5  # the most letters of a short form that opens as its full name does


def short_form(x: str, y: str) -> bool:
    """Whether one of two different names could be a shortening of the other: its
    first three letters are three letters of the other (Nika and Veronika, Vanya and
    Ivan, Nastya and Anastasiya), or both open alike and one has at most `SHORTENED`
    letters (Abdi and Abdillahi, Cami and Camila; not the brothers Abdullah and
    Abdulaziz). Two spellings of one skeleton are no shortening: where the
    comparators found them different, they were told apart on purpose (Mohammed and
    Mahmoud, Hassan and Hussein).

    A nickname the table (`data/nicknames.csv`) lacks is otherwise "different", as a
    sister's name is. Many different names pass too (Ali and Khalil), so it makes a
    pair no more than "loosely similar" (`features._compare_given`), never `likely`.
    """
    if x == y or skeleton(x) == skeleton(y):  # one sound: told apart on purpose if at all
        return False
    short = min(len(x), len(y)) <= SHORTENED

    def within(code: int, grams: np.ndarray) -> bool:
        found = np.flatnonzero(grams == code)
        return code >= 0 and len(found) > 0 and (found.max() > 0 or short)

    (open_x, grams_x), (open_y, grams_y) = _letter_triples(x), _letter_triples(y)
    return within(open_x, grams_y) or within(open_y, grams_x)


def _letter_triples(token: str) -> tuple[int, np.ndarray]:
    """A name word's first three letters and its every three letters (up to
    `_TRIPLES`), each as one number; -1 for a word under three letters or not all
    letters (a number, a place key)."""
    grams = np.full(_TRIPLES, -1, dtype=np.int64)
    if len(token) < 3 or not (token.isalpha() and token.islower()):
        return -1, grams
    codes = [
        (ord(token[i]) << 42) | (ord(token[i + 1]) << 21) | ord(token[i + 2])
        for i in range(min(len(token) - 2, _TRIPLES))
    ]
    grams[: len(codes)] = codes
    return codes[0], grams


def _compound_rest(token: str) -> str:
    """What follows the Abd al- of a compound name (two letters or more), else "":
    Abdulla is Abdullah, not the Abd al- of Abdulaziz (his brother's name)."""
    if token in _ABDULLAH_FORMS:
        return "ah"
    if token.startswith(_COMPOUND) and len(token) >= len(_COMPOUND) + 2:
        return token[len(_COMPOUND) :]
    return ""


def _allah_rest(token: str) -> str:
    """What comes before the -ullah of a compound name (two letters or more), else "":
    Zabihullah "zabih", and Abdullah, Abd + Allah, "abd"."""
    if token in _ABDULLAH_FORMS:
        return "abd"
    if token.endswith(_ALLAH) and len(token) >= len(_ALLAH) + 2:
        return token[: -len(_ALLAH)]
    return ""


_HARD_C = re.compile("c[aoulr]")


def _start(word: str) -> int:
    """A code for how a spelling begins: its first letter, every vowel alike, and a hard
    c as k (Romanian Cravcenco is Kravchenko, Covalenco Kovalenko; Spanish Carim Karim)."""
    if not word:
        return -1
    if word[0] in _VOWELS:
        return 0
    return ord("k") if _HARD_C.match(word) else ord(word[0])


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
        # pairs computed while the caches are shared read-only (`views`), or refused
        # by their bound: per kind ("sims", "vowels"), merged or dropped afterwards
        self._frozen = False
        self._side: dict[str, PairCache] = {}
        # `vowels_agree` of token pairs (1, 0, -1 as float32), bounded like the similarities
        self._vowels = PairCache(slots=1 << 10, max_slots=1 << 22)
        self._size = 0
        self._array = np.empty(0, dtype=object)
        self._keys = np.empty(0, dtype=np.int64)
        self._digits = np.empty(0, dtype=bool)
        self._has_reading = np.empty(0, dtype=bool)
        self._rest = np.empty(0, dtype=object)  # what follows a compound's abd-al, else ""
        self._before_allah = np.empty(0, dtype=object)  # what precedes its -ullah, else ""
        self._length = np.empty(0, dtype=np.int32)
        self._distinct = np.empty(0, dtype=np.int64)  # `distinct_name` of each token
        self._pet = np.empty(0, dtype=bool)  # `is_pet_name` of each token
        # each token's first three letters and its every three letters (`short_form`)
        self._opening = np.empty(0, dtype=np.int64)
        self._grams = np.empty((0, _TRIPLES), dtype=np.int64)
        self._id_of: dict[str, int] = {}  # token -> id, to find a join's id (`joins`)
        self._concat: dict[int, int] = {}  # pair key -> id of the two written as one
        self._no_concat: set[int] = set()  # pair keys whose join no token is, as yet
        # per token: how it begins, its skeleton (as an id of `_key_ids`), and in
        # `_SLOTS` columns its other readings, their skeletons and how they begin
        self._key_ids: dict[str, int] = {}
        self._begins = np.empty(0, dtype=np.int32)
        self._own_key = np.empty(0, dtype=np.int64)
        self._reading = np.empty((0, _SLOTS), dtype=object)
        self._reading_key = np.empty((0, _SLOTS), dtype=np.int64)
        self._reading_begins = np.empty((0, _SLOTS), dtype=np.int32)
        # per token: the formal names it is a form of (`data/nicknames.csv`, itself
        # included), as ids of `_form_ids`; two tokens sharing one are one name
        self._form_ids: dict[str, int] = {}
        self._forms = np.empty((0, _FORMS), dtype=np.int64)
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
                ("_before_allah", object),
                ("_length", np.int32),
                ("_begins", np.int32),
                ("_own_key", np.int64),
                ("_reading", object),
                ("_reading_key", np.int64),
                ("_reading_begins", np.int32),
                ("_forms", np.int64),
                ("_distinct", np.int64),
                ("_pet", bool),
                ("_opening", np.int64),
                ("_grams", np.int64),
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
        self._before_allah[self._size : n] = [_allah_rest(t) for t in new]
        self._length[self._size : n] = [len(t) for t in new]
        self._distinct[self._size : n] = [distinct_name(t) for t in new]
        self._pet[self._size : n] = [t.islower() and is_pet_name(t) for t in new]
        self._id_of.update((t, i) for i, t in enumerate(new, start=self._size))
        self._no_concat.clear()  # a new token may be one of them
        key_id = self._key_ids.setdefault
        form_id = self._form_ids.setdefault
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
            self._forms[row] = -1
            self._opening[row], self._grams[row] = _letter_triples(token)
            if token.islower():  # a name's word, not a place key or a number
                # and what those are forms of: Maxamed is Mohamed, which is Mohammed
                direct = nickname_canonicals(token, by_skeleton=False)
                names = set(direct).union(
                    *(nickname_canonicals(name, by_skeleton=False) for name in direct)
                )
                formal = sorted(names)[:_FORMS]
                for slot, name in enumerate(formal):
                    self._forms[row, slot] = form_id(name, len(self._form_ids))
        self._size = n

    def short_forms(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Per row of two token matrices: whether a word of one and a word of the other,
        not of one skeleton, are such that one could be a shortening of the other
        (`short_form`)."""
        self._refresh()
        a = np.ascontiguousarray(a, dtype=np.int32)
        b = np.ascontiguousarray(b, dtype=np.int32)
        return kernels.short_forms(
            a, b, PAD, self._opening, self._grams, self._length, SHORTENED, self._own_key
        )

    def distinct_names_differ(
        self,
        a: np.ndarray,
        b: np.ndarray,
        all_a: np.ndarray | None = None,
        all_b: np.ndarray | None = None,
    ) -> np.ndarray:
        """Per row of two token matrices: whether a name of one and a name of the other
        are different names of one set of `distinct_name` (Hassan, Hussein) and no
        such name is on both sides (Hassan Hussein is still Hussein).

        `all_a` and `all_b`, where given, are each side's whole names: where every
        listed name of each side's given name is found, as its own name, among the
        other side's names, the fields were swapped and nothing differs. Mahmoud |
        Mohamed Liban is Mohamed Liban | Mahmoud, though their given names are Mahmoud
        and Mohamed; Cali Xuseen Ismaciil is not Hassan | Hussein Ismail, whose
        Hassan is nowhere in his (Xuseen, his father's name, is in both).
        """
        self._refresh()
        out = np.zeros(len(a), dtype=bool)
        codes_a, codes_b = self._distinct_codes(a), self._distinct_codes(b)
        # the few rows with a listed name on both sides (most names are in no set)
        rows = np.flatnonzero((codes_a >= 0).any(axis=1) & (codes_b >= 0).any(axis=1))
        if not len(rows):
            return out
        codes_a, codes_b = codes_a[rows], codes_b[rows]
        differ = _one_set(codes_a, codes_b, same=False) & ~_one_set(codes_a, codes_b, same=True)
        if all_a is not None and all_b is not None:
            whole_a, whole_b = self._distinct_codes(all_a[rows]), self._distinct_codes(all_b[rows])
            differ &= ~(_each_found(codes_a, whole_b) & _each_found(codes_b, whole_a))
        out[rows] = differ
        return out

    def pet_names_only(self, a: np.ndarray) -> np.ndarray:
        """Per row of a token matrix: whether it holds a word and every word is a pet
        name (`matching.normalize.is_pet_name`: Kutty, Kanchha, Munna)."""
        self._refresh()
        held = a != PAD
        pet = self._pet[np.maximum(a, 0)] | ~held
        return held.any(axis=1) & pet.all(axis=1)

    def _distinct_codes(self, tokens: np.ndarray) -> np.ndarray:
        """Each token's set and group code in `distinct_name` (-1 none, or padding)."""
        return np.where(tokens != PAD, self._distinct[np.maximum(tokens, 0)], -1)

    def reserve(self, pairs: int) -> None:
        """Make room for the similarities of about `pairs` token pairs (`PairCache.reserve`)."""
        self._cache.reserve(pairs)

    @contextmanager
    def views(self, count: int = 2) -> Iterator[list[TokenSimilarity]]:
        """`count` views for as many threads, sharing this similarity's caches.

        Inside, the caches are only read (a compiled lookup must not meet a table
        being written by another thread): each view keeps the pairs it computes in
        side tables of its own, merged into the caches on leaving. So what one thread
        computed in one chunk is known to both in the next; with a cache each, every
        pair was computed once per thread.
        """
        self._refresh()
        views = []
        for _ in range(count):
            view = copy.copy(self)
            view._frozen = True
            view._side = {}
            views.append(view)
        try:
            yield views
        finally:
            for view in views:
                for kind, side in view._side.items():
                    used = side.keys != PairCache._EMPTY
                    self._cache_of(kind).insert(side.keys[used], side.values[used])

    def _cache_of(self, kind: str) -> PairCache:
        return self._cache if kind == "sims" else self._vowels

    def _tables(self, kind: str) -> tuple[np.ndarray, np.ndarray, int, np.ndarray, np.ndarray, int]:
        """The cache of `kind` and this caller's side table, as the compiled passes read them."""
        side = self._side.get(kind, _EMPTY_TABLE)
        return self._cache_of(kind).tables() + side.tables()

    def _forget(self) -> None:
        """Drop the side tables of a call (outside `views`, they hold only what the
        bounded caches refused: a long-running service must not keep them)."""
        if not self._frozen:
            self._side = {}

    def _vowel_verdicts(self, pairs: np.ndarray) -> np.ndarray:
        """Whether the tokens of each pair (`a << 32 | b`) write agreeing vowels (see
        `matching.normalize.vowels_agree`), for pairs that share a skeleton: 1 they
        agree, 0 they do not, -1 the letters do not line up."""
        strings = self.strings
        out = np.empty(len(pairs), dtype=np.float32)
        for i, pair in enumerate(pairs.tolist()):
            agree = vowels_agree(strings[pair >> 32], strings[pair & 0xFFFFFFFF])
            out[i] = -1 if agree is None else int(agree)
        return out

    def _remember(self, kind: str, keys: np.ndarray, values: np.ndarray) -> None:
        """Store computed pairs (distinct, not stored yet) in the cache of `kind`, or
        in the side table where the cache is shared or refuses them, so the compiled
        pass that asked finds every pair."""
        if not self._frozen and self._cache_of(kind).insert(keys, values) == len(keys):
            return
        if kind not in self._side:
            self._side[kind] = PairCache(slots=2, max_slots=1 << 40)
        self._side[kind].insert(keys, values)

    def person_similarity(self, rows: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """`person_similarity` of `rows` (each with a name on both sides), -1 elsewhere:
        the compiled pass, passed again over the rows that met pairs not cached yet."""
        self._refresh()
        out = np.full(len(a), -1.0, dtype=np.float32)
        a = np.ascontiguousarray(a, dtype=np.int32)
        b = np.ascontiguousarray(b, dtype=np.int32)
        todo = rows.astype(np.int64)
        while len(todo):
            todo, want = kernels.person_similarity(
                todo, a, b, PAD, self._keys, self._forms, self._tables("sims"), out
            )
            if len(want):
                unique = np.unique(want)
                self._remember("sims", unique, self._compute(unique))
        self._forget()
        return out

    def name_part_levels(
        self,
        rows: np.ndarray,
        part: np.ndarray,
        part_nick: np.ndarray,
        other: np.ndarray,
        other_nick: np.ndarray,
    ) -> tuple[np.ndarray, np.ndarray]:
        """`compare_name_part` of `rows` (each with tokens on both sides): levels and
        the part's tokens that agreed exactly, (P,) and (P, Ka), for every row of
        `part` (rows not asked for are NULL and PAD).

        The compiled pass reads similarities and vowel verdicts from the caches; the
        rows that met a pair not cached yet are passed again once it is computed.
        """
        self._refresh()
        levels = np.full(len(part), NULL, dtype=np.int8)
        exact = np.full(part.shape, PAD, dtype=np.int32)
        arrays = [
            np.ascontiguousarray(x, dtype=np.int32) for x in (part, part_nick, other, other_nick)
        ]
        todo = rows.astype(np.int64)
        while len(todo):
            todo, want_sim, want_vowel = kernels.name_part_levels(
                todo,
                *arrays,
                PAD,
                self._keys,
                self._tables("sims"),
                self._tables("vowels"),
                levels,
                exact,
            )
            if len(want_sim):
                unique = np.unique(want_sim)
                self._remember("sims", unique, self._compute(unique))
            if len(want_vowel):
                unique = np.unique(want_vowel)
                self._remember("vowels", unique, self._vowel_verdicts(unique))
        self._forget()
        return levels, exact

    def has_digit(self, a: np.ndarray) -> np.ndarray:
        """Whether each token holds a digit (a postcode, a house number): (P, Ka)."""
        self._refresh()
        return np.where(a != PAD, self._digits[np.maximum(a, 0)], False)

    def joins(self, a: np.ndarray) -> np.ndarray:
        """Whether each token of `a[p]` is two words of `a[p]` (or one twice) written as one
        (`mohamadmohamad`, the join the encoder adds for Mohamad Mohamad): (P, Ka).

        Asked of the row's own words, so the answer depends on the record alone, never
        on which other records the vocabulary has met (a cluster's workers meet them
        in other orders).
        """
        self._refresh()
        out = np.zeros(a.shape, dtype=bool)
        width = a.shape[1]
        length = self.lengths(a)  # a join is as long as its two words: most rows have none
        for i in range(width):
            for j in range(width):
                total = length[:, i] + length[:, j]
                rows = np.flatnonzero(
                    (length[:, i] > 0) & (length[:, j] > 0) & (length == total[:, None]).any(axis=1)
                )
                if not len(rows):
                    continue
                keys = (a[rows, i].astype(np.int64) << 32) | a[rows, j].astype(np.int64)
                unique, inverse = np.unique(keys, return_inverse=True)
                joined = np.array([self._joined(int(k)) for k in unique], dtype=np.int64)
                out[rows] |= joined[inverse][:, None] == a[rows]
        return out & (a != PAD)

    def _joined(self, key: int) -> int:
        """The id of the two tokens of a pair key written as one, -1 if no such token."""
        found = self._concat.get(key)
        if found is not None:
            return found
        if key in self._no_concat:  # until the vocabulary grows (`_refresh`)
            return -1
        found = self._id_of.get(self.strings[key >> 32] + self.strings[key & 0xFFFFFFFF], -1)
        if found >= 0:
            self._concat[key] = found
        else:
            self._no_concat.add(key)
        return found

    def lengths(self, a: np.ndarray) -> np.ndarray:
        """How many letters each token has (0 for padding): (P, Ka)."""
        self._refresh()
        return np.where(a != PAD, self._length[np.maximum(a, 0)], 0)

    def related(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Whether each token of `a[p]` and each of `b[p]` are forms of one name
        (`data/nicknames.csv`: Fadumo and Fatma are Fatima): (P, Ka, Kb), False for
        padding and for a token against itself (equal already)."""
        self._refresh()
        fa = self._forms[np.maximum(a, 0)]  # (P, Ka, F)
        fb = self._forms[np.maximum(b, 0)]  # (P, Kb, F)
        shared = (fa[:, :, None, :, None] == fb[:, None, :, None, :]) & (
            fa[:, :, None, :, None] >= 0
        )
        present = (a != PAD)[:, :, None] & (b != PAD)[:, None, :]
        return shared.any(axis=(3, 4)) & present & (a[:, :, None] != b[:, None, :])

    def pairwise(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Similarity of every token of `a[p]` with every token of `b[p]`: shape (P, Ka, Kb).

        Padding gets -1, equal ids get 1 without calling the string metric.
        """
        return self.compare(a, b)[0]

    def compare(self, a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """`pairwise`, and whether each pair of tokens shares a skeleton key, under
        their own spelling or a reading: both (P, Ka, Kb)."""
        self._refresh()
        out, same, keys, at = kernels.token_grid(
            np.ascontiguousarray(a), np.ascontiguousarray(b), PAD, self._keys, self._tables("sims")
        )
        if len(keys):
            unique, inverse = np.unique(keys, return_inverse=True)
            sims = self._compute(unique)
            self._remember("sims", unique, sims)
            self._forget()
            found = sims[inverse]
            out.reshape(-1)[at] = np.abs(found)
            same.reshape(-1)[at] |= np.signbit(found)
        return out, same

    def _read(self, first: np.ndarray, second: np.ndarray, sims: np.ndarray) -> np.ndarray:
        """`sims` of token pairs raised to their best over the readings of either token
        (a reading that begins like the other token), negated where a reading's key is
        the other token's.

        Every (pair, reading) to compare is gathered first and scored in one call: a
        query meets a few hundred new token pairs, and a loop over reading slots paid
        numpy's per-call cost dozens of times for each batch."""
        best = sims.astype(np.float64)
        alike = np.zeros(len(sims), dtype=bool)
        for x, y in ((first, second), (second, first)):
            keys = self._reading_key[x]
            rows, slots = np.nonzero(
                (keys >= 0) & (self._reading_begins[x] == self._begins[y][:, None])
            )
            if not len(rows):
                continue
            found = cpdist(
                self._reading[x[rows], slots],
                self._array[y[rows]],
                scorer=JaroWinkler.normalized_similarity,
                workers=1,
            )
            np.maximum.at(best, rows, found)
            alike[rows[keys[rows, slots] == self._own_key[y[rows]]]] = True
        # both read another way: Somali Cismaan (ismaan) and Arabic Othman (osman)
        both = np.flatnonzero(self._has_reading[first] & self._has_reading[second])
        if len(both):
            x, y = first[both], second[both]
            key_x, key_y = self._reading_key[x], self._reading_key[y]
            pairs, slot_x, slot_y = np.nonzero(
                (key_x >= 0)[:, :, None]
                & (key_y >= 0)[:, None, :]
                & (self._reading_begins[x][:, :, None] == self._reading_begins[y][:, None, :])
            )
            if len(pairs):
                found = cpdist(
                    self._reading[x[pairs], slot_x],
                    self._reading[y[pairs], slot_y],
                    scorer=JaroWinkler.normalized_similarity,
                    workers=1,
                )
                np.maximum.at(best, both[pairs], found)
                same = key_x[pairs, slot_x] == key_y[pairs, slot_y]
                alike[both[pairs[same]]] = True
        best = best.astype(np.float32)
        return np.where(alike, -best, best)

    def similarities(self, left: np.ndarray, right: np.ndarray) -> np.ndarray:
        """Similarity of token `left[i]` with token `right[i]` (no padding): float32,
        negated where the two share a key under a reading (see `compare`)."""
        self._refresh()
        out = np.ones(len(left), dtype=np.float32)
        todo = np.flatnonzero(left != right)
        if not len(todo):
            return out
        first, second = left[todo].astype(np.int64), right[todo].astype(np.int64)
        keys = (np.minimum(first, second) << 32) | np.maximum(first, second)  # `pair_key`
        found = kernels.lookup(keys, self._tables("sims"))
        known = ~np.isnan(found)
        out[todo[known]] = found[known]
        if known.all():
            return out
        unique, inverse = np.unique(keys[~known], return_inverse=True)
        sims = self._compute(unique)
        out[todo[~known]] = sims[inverse]
        self._remember("sims", unique, sims)
        self._forget()
        return out

    def _compute(self, pairs: np.ndarray) -> np.ndarray:
        """Similarities of distinct token pairs (`a << 32 | b`, a != b) not yet cached:
        the best reading's, negated where a reading shares the other's key."""
        first, second = pairs >> 32, pairs & 0xFFFFFFFF
        sims = cpdist(
            self._array[first],
            self._array[second],
            scorer=JaroWinkler.normalized_similarity,
            workers=1,
        ).astype(np.float32)
        read = np.flatnonzero(self._has_reading[first] | self._has_reading[second])
        if len(read):
            sims[read] = self._read(first[read], second[read], sims[read])
        for rests in (self._rest, self._before_allah):
            compound = np.flatnonzero((rests[first] != "") & (rests[second] != ""))
            if len(compound):
                sims[compound] = _compounds(
                    rests[first[compound]], rests[second[compound]], sims[compound]
                )
        # an initial (K. Sivakumar: the father's, as Tamil names write it) is the first
        # letter of a name, no more: close, never the same (Jaro-Winkler put it at 0.73
        # beside Kanakaratnam, a word that differs)
        one = np.flatnonzero((self._length[first] == 1) != (self._length[second] == 1))
        if len(one):
            strings = self._array
            opens = np.array(
                [
                    strings[x][0] == strings[y][0]
                    for x, y in zip(first[one], second[one], strict=True)
                ],
                dtype=bool,
            )
            hit = one[opens & (sims[one] >= 0) & (sims[one] < INITIAL)]
            sims[hit] = INITIAL
        return sims


def _compounds(first: np.ndarray, second: np.ndarray, sims: np.ndarray) -> np.ndarray:
    """Two compounds of one kind are as alike as the parts that tell them apart (`first`,
    `second`): Abdallah and Abdalaziz share five letters and a Jaro-Winkler of 0.90,
    Zabihullah and Najibullah 0.83, yet each are two names (often two brothers').
    Pairs alike under a reading keep their similarity."""
    rest = cpdist(first, second, scorer=JaroWinkler.normalized_similarity, workers=1).astype(
        np.float32
    )
    return np.where(np.signbit(sims), sims, np.minimum(sims, rest))


def _any_equal(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Whether any non-pad id of a[p] equals one of b[p]."""
    eq = (a[:, :, None] == b[:, None, :]) & (a[:, :, None] != PAD)
    return eq.any(axis=(1, 2))


def _has(a: np.ndarray) -> np.ndarray:
    return (a != PAD).any(axis=1)


def _one_set(codes_a: np.ndarray, codes_b: np.ndarray, same: bool) -> np.ndarray:
    """Per row: whether a code of `codes_a` and one of `codes_b` are of one set of
    distinct names, in the same group (`same`) or in different ones."""
    a, b = codes_a[:, :, None], codes_b[:, None, :]
    one_set = (a >= 0) & (b >= 0) & (a // DISTINCT_SET == b // DISTINCT_SET)
    return (one_set & ((a == b) if same else (a != b))).any(axis=(1, 2))


def _each_found(codes: np.ndarray, other: np.ndarray) -> np.ndarray:
    """Per row: whether every listed name of `codes` is of a group found in `other`."""
    found = ((codes[:, :, None] == other[:, None, :]) & (other[:, None, :] >= 0)).any(axis=2)
    return ((codes < 0) | found).all(axis=1)


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
    rows: np.ndarray | None = None,
) -> NameLevels:
    """Best agreement of one name part with any of the other record's names, in any order.

    4 the same name (or a transliteration of it: same skeleton and close spelling),
    3 a nickname or other-language form of it, 2 the same sound (skeleton) or a close
    spelling (Jaro-Winkler >= 0.92), 1 a loose one (>= 0.80), 0 different.

    One skeleton spelled far apart is the same name where the vowels each side writes
    agree (Mohammed, محمد), and not even the same sound where they do not (Mohammed,
    محمود: Mahmoud). Formal names behind a nickname are compared by skeleton under the
    same vowel rule: Nastia gives "anastasia", which must meet "Anastasiya" written
    another way, and Yulia's "uliana" must not meet Alina. The tokens
    that agreed exactly are returned too: the model weighs the rarest one's frequency.
    Only `rows` are compared when given (the others are NULL, as if missing).
    Computed in `scoring.kernels.name_part_levels`.
    """
    count_part = (part != PAD).sum(axis=1)
    count_other = (other_names != PAD).sum(axis=1)
    # a missing side is neutral whatever the rest says: compare only the other rows
    present = np.flatnonzero((count_part > 0) & (count_other > 0))
    if rows is not None:
        present = np.intersect1d(present, rows, assume_unique=True)
    levels, exact = sim.name_part_levels(present, part, part_nick, other_names, other_nick)
    return NameLevels(levels, exact.astype(part.dtype, copy=False))


def compare_birth(
    lo_a: np.ndarray,
    hi_a: np.ndarray,
    dob_a: np.ndarray,
    lo_b: np.ndarray,
    hi_b: np.ndarray,
    dob_b: np.ndarray,
    slack_a: np.ndarray | None = None,
    slack_b: np.ndarray | None = None,
) -> np.ndarray:
    """Birth dates consistent at each side's date: children grow between inquiry and registration.

    8 the same date of birth, 7 two dates one slip apart (`one_slip_apart`), 6
    consistent as written, 5 consistent within the estimates' margin, 4 consistent
    only at its edge, 3 within a year, 2 two dates of birth written (neither an
    estimate) on other days within a year, 1 within three years, 0 further apart.

    `slack_a` and `slack_b` are the days each interval was widened by an estimate
    (`matching.encode.birth_range`). Where both sides are estimates, their errors
    add as independent errors do (the root of the sum of squares), not end to end:
    two ten-year-olds whose ages were both guessed, end to end, were "consistent"
    four years apart (8 and 12), as often a namesake as the child. An estimate's
    margin is generous (a year and more each side) so that the child is not missed;
    how much of it a pair needs is evidence too: a namesake of about the child's age
    needs more of it than the child does (mosaic generator, 20,000 cases: of the
    true `likely` pairs with consistent ages, 60% agree as written and 10% need more
    than half the margin; of the wrong ones, 14% and 48%). The model weighs each.
    Two dates written down that differ, and not by a slip, are two children's
    more often than an age a year off is: Aysel Huseynova born 2010-04-23 and
    Aysel Huseynova born 2009-08-09 are two girls (no true pair of any generator
    wrote two such dates; three wrong `likely` pairs of mosaic seeds did).
    """
    levels = np.full(len(lo_a), NULL, dtype=np.int8)
    present = ~(np.isnan(lo_a) | np.isnan(lo_b))
    apart = np.maximum(lo_a, lo_b) - np.minimum(hi_a, hi_b)
    stated = apart  # the gap as written, before the estimates' slack
    margin = np.zeros(len(lo_a))
    if slack_a is not None and slack_b is not None:
        apart = apart + (slack_a + slack_b - np.hypot(slack_a, slack_b))
        stated = np.maximum(lo_a + slack_a, lo_b + slack_b) - np.minimum(
            hi_a - slack_a, hi_b - slack_b
        )
        margin = np.hypot(slack_a, slack_b)
    gap = np.maximum(apart, 0.0) / YEAR
    gap = np.where(present, gap, np.inf)
    levels[present] = 0
    levels[present & (gap <= 3.0)] = 1
    levels[present & (gap <= 1.0)] = 3
    consistent = present & (gap <= 0.0)
    levels[consistent] = 4
    levels[consistent & (stated <= margin / 2)] = 5
    levels[consistent & (stated <= 0.0)] = 6
    both_dates = present & dob_a & dob_b
    same_day = both_dates & (np.abs(lo_a - lo_b) < 0.5)
    levels[both_dates & ~same_day & (levels == 3)] = 2  # two dates, another day
    slip = np.flatnonzero(both_dates & ~same_day)
    levels[slip[one_slip_apart(lo_a[slip], lo_b[slip])]] = 7
    levels[same_day] = 8
    return levels


def one_slip_apart(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Whether two different dates (days since 1970), written YYYYMMDD, differ in one
    digit or in two neighbouring digits swapped, or are one another with day and month
    swapped: one date written with one slip.

    A date of birth copied from a document or said aloud is mistyped in one place (12
    for 21, 2013 for 2015) or written the other order (03-04 for 04-03): the same
    child, whatever the gap in days. Among children of an age such slips are rare by
    chance (two dates of one year and month are not: one day in twelve), and a brother
    or sister is born on one only by chance; how often, among matches and among the
    rest, the model learns (`MatchModel.fit`).
    """
    if not len(a):
        return np.zeros(0, dtype=bool)
    parts = []
    for days in (a, b):
        date = days.astype(np.int64).astype("datetime64[D]")
        month_start = date.astype("datetime64[M]")
        year = date.astype("datetime64[Y]").astype(np.int64) + 1970
        month = month_start.astype(np.int64) % 12 + 1
        day = (date - month_start).astype(np.int64) + 1
        number = year * 10_000 + month * 100 + day
        digits = number[:, None] // 10 ** np.arange(7, -1, -1) % 10
        parts.append((year, month, day, digits))
    (year_a, month_a, day_a, digits_a), (year_b, month_b, day_b, digits_b) = parts
    differ = digits_a != digits_b
    count = differ.sum(axis=1)
    # two neighbouring digits swapped: they differ at i and i + 1, each the other's
    crossed = (
        differ[:, :-1]
        & differ[:, 1:]
        & (digits_a[:, :-1] == digits_b[:, 1:])
        & (digits_a[:, 1:] == digits_b[:, :-1])
    ).any(axis=1)
    swapped = (year_a == year_b) & (month_a == day_b) & (day_a == month_b)
    return (count == 1) | ((count == 2) & crossed) | swapped


def compare_dates(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Two dates of one event (days; NaN unknown): 4 the same day, 3 within a week,
    2 within a month, 1 within three months, 0 further apart.

    A family and a caseworker date the day they were separated apart by a few days
    or weeks when they recall it at all; a stranger's separation is another day.
    """
    levels = np.full(len(a), NULL, dtype=np.int8)
    present = ~(np.isnan(a) | np.isnan(b))
    apart = np.abs(a - b)
    levels[present] = 0
    for days, level in ((91, 1), (31, 2), (7, 3), (0, 4)):
        levels[present & (apart <= days)] = level
    return levels


def compare_record_dates(
    recorded_a: np.ndarray,
    separated_a: np.ndarray,
    recorded_b: np.ndarray,
    separated_b: np.ndarray,
) -> np.ndarray:
    """How far apart the two records were made (the inquiry and the registration), where
    neither gives a date of separation: 4 within a month, 3 within three months, 2 within
    a year, 1 within two years, 0 further apart; NULL otherwise.

    Both follow the separation, mostly within months: with no date of separation
    written, they stand in for it. Where one is written, the chronology and the
    dates of separation say it better, and counting this too would count one
    separation twice.
    """
    levels = np.full(len(recorded_a), NULL, dtype=np.int8)
    rows = ~(np.isnan(recorded_a) | np.isnan(recorded_b)) & np.isnan(separated_a)
    rows &= np.isnan(separated_b)
    apart = np.abs(recorded_a - recorded_b)
    levels[rows] = 0
    for days, level in ((730, 1), (365, 2), (91, 3), (31, 4)):
        levels[rows & (apart <= days)] = level
    return levels


OUT_OF_ORDER_DAYS = 30  # how far one side's date may precede the other's separation


def compare_chronology(
    recorded_a: np.ndarray,
    separated_a: np.ndarray,
    recorded_b: np.ndarray,
    separated_b: np.ndarray,
) -> np.ndarray:
    """Whether each side's record was made after the other side's separation: 1 in
    order, 0 out of order (by more than `OUT_OF_ORDER_DAYS`), NULL where no date
    of separation is known.

    A child registered as separated in 2021 is not the child a family lost in 2023,
    and a family does not ask in January for a child separated in June. One side's
    date of separation is enough to tell, where comparing two dates of separation
    needs both.
    """
    levels = np.full(len(recorded_a), NULL, dtype=np.int8)
    late = OUT_OF_ORDER_DAYS
    a_first = recorded_a < separated_b - late  # NaN compares False
    b_first = recorded_b < separated_a - late
    known_a = ~(np.isnan(recorded_a) | np.isnan(separated_b))
    known_b = ~(np.isnan(recorded_b) | np.isnan(separated_a))
    levels[known_a | known_b] = 1
    levels[a_first | b_first] = 0
    return levels


def compare_sex(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The same sex; unknown on either side says nothing."""
    levels = np.full(len(a), NULL, dtype=np.int8)
    present = (a > 0) & (b > 0)
    levels[present] = (a[present] == b[present]).astype(np.int8)
    return levels


def person_similarity(sim: TokenSimilarity, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Mean over a's name tokens of the best match among b's: order-free, -1 when missing.

    Tokens with the same skeleton count as at least 0.95 (a transliteration), and so do
    two forms of one name in `data/nicknames.csv`: a mother registered as Fadumo (the
    Somali form) is the Fatima her family asks for, not another woman. The mean
    is taken both ways round and the larger kept: a name given in part ("Rana" for
    "Rana al-Sayed") agrees on what it says. But a partial name cannot be "the same"
    as a full one, only similar (at most 0.96); and two names that each hold a word
    the other has nothing like (below `DIFFERENT_WORD`) are two people, whatever else
    they share: Mehari Tesfaye Habtom is not Mehari Tesfa Dawit (a father's chain of
    names: another grandfather), Fatima Ali not Fatima Hassan. At most "partly
    similar" (0.87). Computed in `scoring.kernels.person_similarity`.
    """
    # most records name no father, caregiver or inquirer: compare only rows with both
    rows = np.flatnonzero(_has(a) & _has(b))
    return sim.person_similarity(rows, a, b)


DIFFERENT_WORD = float(kernels.DIFFERENT_WORD)  # a word whose best match is below this differs


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
    return place_agreement(sim, a, b)[0]


def place_agreement(
    sim: TokenSimilarity, a: np.ndarray, b: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """`compare_place`'s levels, and the place of `b` the finest agreement is on (PAD
    where none): a town or region shared by many children says less than a rare one
    (the model's place frequencies)."""
    levels = np.full(len(a), NULL, dtype=np.int8)
    agreed = np.full(len(a), PAD, dtype=np.int32)
    rows = np.flatnonzero(_has(a) & _has(b))  # a missing place is neutral
    if not len(rows):
        return levels, agreed
    a, b = a[rows], b[rows]
    grid = sim.pairwise(a, b)
    # keys of three letters or fewer meet only as written: one letter apart, Aleppo
    # (ALB) and Idlib (ADLB) are 0.92 alike
    short = np.minimum(sim.lengths(a)[:, :, None], sim.lengths(b)[:, None, :]) <= SHORT_PLACE
    grid = np.where(short & (grid < 0.999), 0.0, grid)
    best = grid.max(axis=2)  # (P, depth of a)
    # names of places may be spelled differently; numbers (postcodes) may not
    hit = np.where(sim.has_digit(a), best >= 0.999, best >= 0.90)
    found = np.zeros(len(rows), dtype=np.int8)
    at = np.full(len(rows), -1, dtype=np.intp)  # the level of `a` the agreement is on
    depth = a.shape[1]
    # a path whose first level is a lower one of the other path begins that much
    # lower: "Sahel > Djibo" against "Burkina Faso > Sahel" agrees on the region, not
    # only on a country (which counts against a pair)
    lower = np.where(hit[:, 0], np.argmax(grid[:, 0, :], axis=1), 0).astype(np.int8)
    for index, level in ((0, 1), (1, 2)):
        if index < depth:
            reached = np.minimum(level + lower, 3).astype(np.int8)
            now = hit[:, index] & (found < reached)
            found[now], at[now] = reached[now], index
    if depth > 2:
        town = hit[:, 2:].any(axis=1)
        found[town], at[town] = 3, 2 + np.argmax(hit[:, 2:], axis=1)[town]
    # a path that is only a town (no country) matching anywhere is a town agreement
    single = (a[:, 1:] == PAD).all(axis=1) & hit[:, 0] & ((b[:, 1:] != PAD).any(axis=1))
    single &= found < 2
    found[single], at[single] = 2, 0
    levels[rows] = found
    on = np.flatnonzero(found >= 2)
    if len(on):
        partner = np.argmax(grid[on, at[on], :], axis=1)
        agreed[rows[on]] = b[on, partner]
    return levels, agreed


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
