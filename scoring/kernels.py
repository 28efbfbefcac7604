"""Compiled loops (numba) for the comparators' innermost work: the pair cache and the
token grids of a batch of pairs.

A re-score meets each pair of tokens hundreds of times, so most of the comparators'
time was numpy building masks, broadcast grids and probe rounds around a lookup that
is a few instructions per cell. One pass per grid in compiled code does it without
the temporaries, and releases the GIL, so the two threads of `compare_in_halves`
really run side by side. Functions here are pure loops over arrays; every decision
about names stays in `scoring.comparators`, which documents the rules.

`cache=True` keeps the machine code beside the module (or in numba's user cache when
that is read-only), so a new process does not compile again.
"""

from __future__ import annotations

import numpy as np
from numba import njit

EMPTY = -1  # a free slot of the pair table: keys are non-negative
# A pair table is one int64 array of two words a slot, the key then the value (float32,
# read through a float32 view of the same memory at `VALUE * slot + VALUE_AT`): the
# value comes in the cache line that held the key, where a second array cost a second
# trip to memory, and that one only once the probe had found the slot.
VALUE = 4  # float32 words per slot
VALUE_AT = 2  # the value's float32 word within its slot
MULTIPLIER = np.uint64(0x9E3779B97F4A7C15)  # Fibonacci hashing
# The comparators' thresholds, in float32 as numpy compares a float32 array with a
# Python float. `compare_name_part`: one skeleton spelled this alike is the same name,
# a close spelling, a loose one.
SPELLED_ALIKE = np.float32(0.85)
CLOSE = np.float32(0.92)
LOOSE = np.float32(0.80)
# `person_similarity`: tokens of one skeleton count as at least this alike; a word
# whose best match in the other name is below DIFFERENT_WORD differs
TRANSLITERATION = np.float32(0.95)
DIFFERENT_WORD = np.float32(0.70)
BLOCK = 256  # rows whose similarities are looked up together (`_gather`)


@njit(nogil=True, cache=True, inline="always")
def _home(key: np.int64, shift: np.uint64) -> np.int64:
    return np.int64((np.uint64(key) * MULTIPLIER) >> shift)


@njit(nogil=True, cache=True, inline="always")
def pair_key(x: np.int64, y: np.int64) -> np.int64:
    """The key of a token pair, either way round: the similarities are symmetric
    (Jaro-Winkler, and the readings and compounds are tried both ways), and a given
    name compared forwards then backwards meets each pair both ways."""
    if x > y:
        x, y = y, x
    return (np.int64(x) << 32) | np.int64(y)


@njit(nogil=True, cache=True)
def find(table: np.ndarray, keys: np.ndarray, bits: int) -> np.ndarray:
    """The slot holding each key (linear probing), -1 where it is not stored."""
    mask = (len(table) >> 1) - 1
    shift = np.uint64(64 - bits)
    out = np.empty(len(keys), dtype=np.int64)
    for i in range(len(keys)):
        key = keys[i]
        slot = _home(key, shift)
        while True:
            stored = table[2 * slot]
            if stored == key:
                out[i] = slot
                break
            if stored == EMPTY:
                out[i] = -1
                break
            slot = (slot + 1) & mask
    return out


@njit(nogil=True, cache=True)
def place(
    table: np.ndarray, values: np.ndarray, keys: np.ndarray, new: np.ndarray, bits: int, room: int
) -> int:
    """Store keys with their values, at most `room` new ones; a key already stored
    keeps its value. Returns how many were added."""
    mask = (len(table) >> 1) - 1
    shift = np.uint64(64 - bits)
    added = 0
    for i in range(len(keys)):
        key = keys[i]
        slot = _home(key, shift)
        while True:
            stored = table[2 * slot]
            if stored == key:
                break
            if stored == EMPTY:
                if added < room:
                    table[2 * slot] = key
                    values[VALUE * slot + VALUE_AT] = new[i]
                    added += 1
                break
            slot = (slot + 1) & mask
    return added


@njit(nogil=True, cache=True)
def _probe(
    keys: np.ndarray, n: int, table: np.ndarray, values: np.ndarray, bits: int, out: np.ndarray
) -> None:
    """`out[i]` = the value stored under `keys[i]` (i < n) where `out[i]` is NaN on entry.

    The probing is written out in the loop rather than called per key: a compiled call
    with array arguments costs more than the probe itself, and one loop of independent
    lookups lets the processor keep many trips to memory in flight.
    """
    mask = (len(table) >> 1) - 1
    shift = np.uint64(64 - bits)
    for i in range(n):
        if not np.isnan(out[i]):
            continue
        key = keys[i]
        slot = _home(key, shift)
        while True:
            stored = table[2 * slot]
            if stored == key:
                out[i] = values[VALUE * slot + VALUE_AT]
                break
            if stored == EMPTY:
                break
            slot = (slot + 1) & mask


@njit(nogil=True, cache=True)
def _lookup_into(
    keys: np.ndarray,
    n: int,
    tables: tuple[np.ndarray, np.ndarray, int, np.ndarray, np.ndarray, int],
    out: np.ndarray,
) -> None:
    """The values of `keys[:n]` into `out[:n]`: the table, then the side table (pairs
    the bounded table refused or a shared table must not take); NaN where neither has it."""
    out[:n] = np.nan
    _probe(keys, n, tables[0], tables[1], tables[2], out)
    _probe(keys, n, tables[3], tables[4], tables[5], out)


@njit(nogil=True, cache=True)
def _lookup2(
    key: np.int64, tables: tuple[np.ndarray, np.ndarray, int, np.ndarray, np.ndarray, int]
) -> np.float32:
    """One key's value (`_lookup_into`), for the rare lookups made one at a time."""
    keys = np.empty(1, dtype=np.int64)
    keys[0] = key
    out = np.empty(1, dtype=np.float32)
    _lookup_into(keys, 1, tables, out)
    return out[0]


@njit(nogil=True, cache=True, inline="always")
def _key_shared(
    a: np.ndarray,
    b: np.ndarray,
    p: int,
    pad: int,
    token_key: np.ndarray,
    vowels: tuple[np.ndarray, np.ndarray, int, np.ndarray, np.ndarray, int],
    want: np.ndarray,
    n_want: int,
) -> tuple[int, int]:
    """Whether a token of `a[p]` and one of `b[p]` share a key with vowels that do not
    disagree (the rule for one skeleton spelled two ways): 1 yes, 0 no, 2 not known
    until the vowel verdicts asked for (appended to `want`) are stored."""
    state = 0
    for i in range(a.shape[1]):
        x = a[p, i]
        if x == pad:
            continue
        for j in range(b.shape[1]):
            y = b[p, j]
            if y == pad or token_key[x] != token_key[y]:
                continue
            if x == y:
                return 1, n_want
            key = (np.int64(x) << 32) | np.int64(y)
            verdict = _lookup2(key, vowels)
            if np.isnan(verdict):
                want[n_want] = key
                n_want += 1
                state = 2
            elif verdict != 0.0:
                return 1, n_want
    return state, n_want


@njit(nogil=True, cache=True)
def _gather(
    rows: np.ndarray,
    part: np.ndarray,
    other: np.ndarray,
    pad: int,
    sims: tuple[np.ndarray, np.ndarray, int, np.ndarray, np.ndarray, int],
    found: np.ndarray,
) -> None:
    """The similarities a block of rows needs (two different tokens), in the order the
    rows' cells are visited, looked up in one loop before they are used.

    Each lookup is a likely cache miss in a table of hundreds of megabytes; one after
    another with nothing in between, the processor has many in flight at once, where
    interleaved with the decisions that use them it waited for each.
    """
    keys = np.empty(len(found), dtype=np.int64)
    n = 0
    for r in range(len(rows)):
        p = rows[r]
        for i in range(part.shape[1]):
            x = part[p, i]
            if x == pad:
                continue
            for j in range(other.shape[1]):
                y = other[p, j]
                if y != pad and x != y:
                    keys[n] = pair_key(x, y)
                    n += 1
    _lookup_into(keys, n, sims, found)


@njit(nogil=True, cache=True, inline="always")
def _cell(
    x: np.int64, y: np.int64, token_key: np.ndarray, found: np.ndarray, at: int
) -> tuple[np.float32, bool, int]:
    """One cell of a row's grid, two tokens present: their similarity (NaN when not
    cached yet), whether they share a key (their own, or under a reading: a value
    stored negated), and where the next gathered value is (`_gather`'s order)."""
    alike = token_key[x] == token_key[y]
    if x == y:
        return np.float32(1.0), alike, at
    value = found[at]
    if np.signbit(value):
        return -value, True, at + 1
    return value, alike, at + 1


@njit(nogil=True, cache=True)
def name_part_levels(
    rows: np.ndarray,
    part: np.ndarray,
    part_nick: np.ndarray,
    other: np.ndarray,
    other_nick: np.ndarray,
    pad: int,
    token_key: np.ndarray,
    sims: tuple[np.ndarray, np.ndarray, int, np.ndarray, np.ndarray, int],
    vowels: tuple[np.ndarray, np.ndarray, int, np.ndarray, np.ndarray, int],
    levels: np.ndarray,
    exact_token: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """`scoring.comparators.compare_name_part` of `rows`, written into `levels` and
    `exact_token`, as far as the tables allow.

    A row that needs a similarity or a vowel verdict the tables do not hold is left
    for later: returned are those rows, the similarity keys and the vowel keys
    wanted (with repeats). The caller computes them, stores them and calls again
    with the rows left.
    """
    ka, kb = part.shape[1], other.shape[1]
    pending = np.zeros(len(rows), dtype=np.bool_)
    want_sim = np.empty(len(rows) * ka * kb, dtype=np.int64)
    # the cells, and the nickname grids (`_key_shared`)
    kn, kon = part_nick.shape[1], other_nick.shape[1]
    want_vowel = np.empty(len(rows) * (ka + kn) * (kb + kon), dtype=np.int64)
    n_sim = 0
    n_vowel = 0
    exact_any = np.zeros(ka, dtype=np.bool_)
    found = np.empty(BLOCK * ka * kb, dtype=np.float32)
    for start in range(0, len(rows), BLOCK):
        stop = min(start + BLOCK, len(rows))
        _gather(rows[start:stop], part, other, pad, sims, found)
        at = 0
        for r in range(start, stop):
            p = rows[r]
            best = np.float32(-1.0)
            sound = False
            waiting = False
            exact_any[:] = False
            for i in range(ka):
                x = part[p, i]
                if x == pad:
                    continue
                for j in range(kb):
                    y = other[p, j]
                    if y == pad:
                        continue
                    value, alike, at = _cell(x, y, token_key, found, at)
                    if np.isnan(value):
                        want_sim[n_sim] = pair_key(x, y)
                        n_sim += 1
                        waiting = True
                        continue
                    exact = x == y or (alike and value >= SPELLED_ALIKE)
                    if alike and not exact:
                        # one skeleton spelled far apart: the vowels written decide
                        key = (np.int64(x) << 32) | np.int64(y)
                        verdict = _lookup2(key, vowels)
                        if np.isnan(verdict):
                            want_vowel[n_vowel] = key
                            n_vowel += 1
                            waiting = True
                            continue
                        exact = verdict == 1.0
                        alike = verdict != 0.0
                    if exact:
                        exact_any[i] = True
                    if value > best:
                        best = value
                    if alike:
                        sound = True
            if waiting:
                pending[r] = True
                continue
            # a nickname's formal names meet the other side's by key, under the vowel
            # rule of the cells above: Yulia's "uliana" is not Alina
            nick, n_vowel = _key_shared(
                part_nick, other, p, pad, token_key, vowels, want_vowel, n_vowel
            )
            if nick != 1:
                shared, n_vowel = _key_shared(
                    part, other_nick, p, pad, token_key, vowels, want_vowel, n_vowel
                )
                nick = 1 if shared == 1 else max(nick, shared)
            if nick != 1:
                shared, n_vowel = _key_shared(
                    part_nick, other_nick, p, pad, token_key, vowels, want_vowel, n_vowel
                )
                nick = 1 if shared == 1 else max(nick, shared)
            if nick == 2:
                pending[r] = True
                continue
            level = 0
            if best >= LOOSE:
                level = 1
            if best >= CLOSE or sound:
                level = 2
            if nick == 1:
                level = 3
            for i in range(ka):
                if exact_any[i]:
                    level = 4
                    exact_token[p, i] = part[p, i]
            levels[p] = level
    return rows[pending], want_sim[:n_sim], want_vowel[:n_vowel]


@njit(nogil=True, cache=True)
def lookup(
    keys: np.ndarray, tables: tuple[np.ndarray, np.ndarray, int, np.ndarray, np.ndarray, int]
) -> np.ndarray:
    """The value stored under each key (table, then side table), NaN where neither has it."""
    out = np.empty(len(keys), dtype=np.float32)
    _lookup_into(keys, len(keys), tables, out)
    return out


@njit(nogil=True, cache=True)
def token_grid(
    a: np.ndarray,
    b: np.ndarray,
    pad: int,
    token_key: np.ndarray,
    sims: tuple[np.ndarray, np.ndarray, int, np.ndarray, np.ndarray, int],
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Every token of `a[p]` against every token of `b[p]`, from the pair tables.

    Returns the similarity grid (P, Ka, Kb) (-1 for padding, 1 for one token, the
    cached value's magnitude otherwise), whether the two share a key (their own, or
    under a reading: a cached value stored negated), and the pairs the tables do not
    hold: their keys and flat positions in the grid, to be computed and filled in.
    """
    n, ka = a.shape
    kb = b.shape[1]
    out = np.empty((n, ka, kb), dtype=np.float32)
    same = np.zeros((n, ka, kb), dtype=np.bool_)
    keys = np.empty(n * ka * kb, dtype=np.int64)
    where = np.empty(n * ka * kb, dtype=np.int64)
    wanted = 0
    for p in range(n):
        for i in range(ka):
            x = a[p, i]
            for j in range(kb):
                y = b[p, j]
                if x == pad or y == pad:
                    out[p, i, j] = -1.0
                    continue
                same[p, i, j] = token_key[x] == token_key[y]
                if x == y:
                    out[p, i, j] = 1.0
                    continue
                keys[wanted] = pair_key(x, y)
                where[wanted] = (p * ka + i) * kb + j
                wanted += 1
    found = np.empty(wanted, dtype=np.float32)
    _lookup_into(keys, wanted, sims, found)
    flat_out = out.reshape(-1)
    flat_same = same.reshape(-1)
    misses = 0
    for k in range(wanted):
        value = found[k]
        if np.isnan(value):
            keys[misses] = keys[k]
            where[misses] = where[k]
            misses += 1
        elif np.signbit(value):
            flat_same[where[k]] = True
            value = -value
        flat_out[where[k]] = value
    return out, same, keys[:misses], where[:misses]


@njit(nogil=True, cache=True, inline="always")
def _one_name(x: np.int64, y: np.int64, forms: np.ndarray) -> bool:
    """Whether tokens `x` and `y` share a formal name (`forms` rows, -1 padded)."""
    for i in range(forms.shape[1]):
        f = forms[x, i]
        if f < 0:
            break
        for j in range(forms.shape[1]):
            if forms[y, j] == f:
                return True
    return False


@njit(nogil=True, cache=True)
def person_similarity(
    rows: np.ndarray,
    a: np.ndarray,
    b: np.ndarray,
    pad: int,
    token_key: np.ndarray,
    forms: np.ndarray,
    sims: tuple[np.ndarray, np.ndarray, int, np.ndarray, np.ndarray, int],
    out: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """`scoring.comparators.person_similarity` of `rows` (names on both sides), into
    `out`, as far as the tables allow; returns the rows left and the keys they want.
    Two words that are forms of one name (`forms`: ids of the formal names each
    token is a form of, -1 padded) count as a transliteration.

    The arithmetic is numpy's, step for step (float32 sums left to right, the means
    in float64), so that the result is the same to the last bit.
    """
    ka, kb = a.shape[1], b.shape[1]
    pending = np.zeros(len(rows), dtype=np.bool_)
    want = np.empty(len(rows) * ka * kb, dtype=np.int64)
    n_want = 0
    found = np.empty(BLOCK * ka * kb, dtype=np.float32)
    row_best = np.empty(ka, dtype=np.float32)
    col_best = np.empty(kb, dtype=np.float32)
    for start in range(0, len(rows), BLOCK):
        stop = min(start + BLOCK, len(rows))
        _gather(rows[start:stop], a, b, pad, sims, found)
        at = 0
        for r in range(start, stop):
            p = rows[r]
            row_best[:] = -1.0
            col_best[:] = -1.0
            waiting = False
            for i in range(ka):
                x = a[p, i]
                if x == pad:
                    continue
                for j in range(kb):
                    y = b[p, j]
                    if y == pad:
                        continue
                    value, alike, at = _cell(x, y, token_key, found, at)
                    if np.isnan(value):
                        want[n_want] = pair_key(x, y)
                        n_want += 1
                        waiting = True
                        continue
                    if not alike and value < TRANSLITERATION:
                        alike = _one_name(x, y, forms)
                    if alike and value < TRANSLITERATION:
                        value = TRANSLITERATION
                    if value > row_best[i]:
                        row_best[i] = value
                    if value > col_best[j]:
                        col_best[j] = value
            if waiting:
                pending[r] = True
                continue
            count_a, sum_a, worst_a = 0, np.float32(0.0), np.float32(1.0)
            for i in range(ka):
                if a[p, i] != pad:
                    count_a += 1
                    sum_a += max(row_best[i], np.float32(0.0))
                    worst_a = min(worst_a, row_best[i])
            count_b, sum_b, worst_b = 0, np.float32(0.0), np.float32(1.0)
            for j in range(kb):
                if b[p, j] != pad:
                    count_b += 1
                    sum_b += max(col_best[j], np.float32(0.0))
                    worst_b = min(worst_b, col_best[j])
            similarity = max(np.float64(sum_a) / count_a, np.float64(sum_b) / count_b)
            if count_a != count_b:
                similarity = min(similarity, 0.96)
            if worst_a < DIFFERENT_WORD and worst_b < DIFFERENT_WORD:
                similarity = min(similarity, 0.87)
            out[p] = np.float32(similarity)
    return rows[pending], want[:n_want]


@njit(nogil=True, cache=True, inline="always")
def _opens_within(
    x: np.int64,
    y: np.int64,
    opening: np.ndarray,
    grams: np.ndarray,
    length: np.ndarray,
    shortest: int,
) -> bool:
    """Whether token x's first three letters are three letters of token y's; where
    they are y's first three, only if one of the two has at most `shortest` letters."""
    code = opening[x]
    if code < 0:
        return False
    for k in range(grams.shape[1]):
        if grams[y, k] < 0:
            return False
        if grams[y, k] == code and (k > 0 or min(length[x], length[y]) <= shortest):
            return True
    return False


@njit(nogil=True, cache=True)
def short_forms(
    a: np.ndarray,
    b: np.ndarray,
    pad: int,
    opening: np.ndarray,
    grams: np.ndarray,
    length: np.ndarray,
    shortest: int,
    sound: np.ndarray,
) -> np.ndarray:
    """Per row: whether a word of `a[row]` and a word of `b[row]` of another `sound`
    (skeleton) are such that one could be a shortening of the other (`short_form`)."""
    out = np.zeros(len(a), dtype=np.bool_)
    for row in range(len(a)):
        for i in range(a.shape[1]):
            x = a[row, i]
            if x == pad:
                continue
            for j in range(b.shape[1]):
                y = b[row, j]
                if y == pad or sound[y] == sound[x]:
                    continue
                if _opens_within(x, y, opening, grams, length, shortest) or _opens_within(
                    y, x, opening, grams, length, shortest
                ):
                    out[row] = True
                    break
            if out[row]:
                break
    return out
