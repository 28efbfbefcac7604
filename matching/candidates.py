"""Candidate generation: from a trace to the few hundred cases worth scoring.

Several generators stand behind one interface and their results are unioned with
explicit budgets, so that a trace missed by one (a nickname defeats name keys, a new
transliteration defeats phonetic keys) is still found by another:

* `KeyBlocker`: an inverted index of name keys (skeletons, nickname canonicals,
  phonetic codes), family keys (the parents' and caregiver's names) and identifier
  keys (documents, family phones), ranked by the summed inverse document frequency
  of the keys shared;
* `VectorBlocker`: character n-gram vectors of the whole name, reduced by SVD and
  searched with FAISS (exact inner product; an inverted file above a size limit),
  with a brute-force numpy twin for tests.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from typing import Protocol

import faiss
import jellyfish
import numpy as np
from numba import njit
from scipy import sparse

from matching.encode import PAD, Encoded, Vocabulary
from matching.normalize import skeleton, skeletons


@dataclass(frozen=True)
class Candidates:
    """Candidate pairs as parallel arrays, grouped by query row, best first."""

    query_rows: np.ndarray
    case_rows: np.ndarray
    scores: np.ndarray

    def __len__(self) -> int:
        return len(self.query_rows)

    @staticmethod
    def empty() -> Candidates:
        return Candidates(np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0, np.float32))


class CandidateGenerator(Protocol):
    """What every generator offers: the best `k` cases for each query."""

    name: str

    def candidates(self, queries: Encoded, k: int) -> Candidates: ...


_SCRATCH = threading.local()


def _scratch(
    n_cases: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """This thread's accumulators for `_top_k_products`, one entry a case, kept from
    call to call (each call leaves them cleared).

    Made afresh for every query, their pages were zeroed by the kernel on first touch,
    wherever a query's postings fell: 6 ms a query at a million cases (30,000 cases
    touched) against 0.5 ms reused. They grow with the store, by half again at least.
    """
    held = getattr(_SCRATCH, "arrays", None)
    if held is None or len(held[0]) < n_cases:
        size = max(n_cases, int(1.5 * len(held[0])) if held is not None else 0)
        held = (
            np.zeros(size, dtype=np.float32),
            np.zeros(size, dtype=np.float32),
            np.zeros(size, dtype=np.bool_),
            np.empty(size, dtype=np.int64),
            np.zeros(size, dtype=np.bool_),
            np.zeros(size, dtype=np.float32),
        )
        _SCRATCH.arrays = held
    return held


@njit(nogil=True, cache=True, inline="always")
def _walk_key(
    indptr: np.ndarray,
    indices: np.ndarray,
    key: int,
    weight: np.float32,
    kind: np.int8,
    sums: np.ndarray,
    own_sums: np.ndarray,
    seen: np.ndarray,
    touched: np.ndarray,
    count: int,
    facts: np.ndarray,
    fact_sums: np.ndarray,
) -> int:
    """Add `weight` to every case of one key's postings (none when the key is newer
    than this part), and to its `own_sums` too for a key of the child's own (`kind`
    holds `OWN`), marking its `facts` for a key of a fact (`FACT`), and adding to its
    `fact_sums` for a fact that is not quiet; returns how many cases the row has
    touched now."""
    if key + 1 < len(indptr):
        quiet = kind & 4
        for kk in range(indptr[key], indptr[key + 1]):
            case = indices[kk]
            if not quiet:
                sums[case] += weight
                if kind & 1:
                    own_sums[case] += weight
            if kind & 2:
                facts[case] = True
                if not quiet:
                    fact_sums[case] += weight
            if not seen[case]:
                seen[case] = True
                touched[count] = case
                count += 1
    return count


@njit(nogil=True, cache=True)
def _top_k_products(
    q_indptr: np.ndarray,
    q_indices: np.ndarray,
    q_data: np.ndarray,
    q_kind: np.ndarray,
    c_indptr: np.ndarray,
    c_indices: np.ndarray,
    d_indptr: np.ndarray,
    d_indices: np.ndarray,
    k: int,
    k_own: int,
    k_fact: int,
    sums: np.ndarray,
    own_sums: np.ndarray,
    seen: np.ndarray,
    touched: np.ndarray,
    facts: np.ndarray,
    fact_sums: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each query row's k best cases by the weights of the keys it shares with them,
    best first, ties by case row; then, of the cases left, the `k_own` best by the
    keys of the child's own alone, by total score; then, of those still left, the
    `k_fact` best among the cases sharing a fact with the query (a key whose `q_kind`
    holds `FACT`: a date of birth, a document, a phone, a town and fortnight), by the
    weight of the facts that are not quiet, then by total score.

    The query rows (CSR) carry each key's weight and kind (`q_kind`, parallel to
    `q_data`: `OWN`, `FACT` bits); the cases' postings (keys x cases, CSR, no values)
    come in two parts: those built with the index (`c_`) and those of cases added
    since (`d_`), walked one after the other. A case is in one part only, so its sum
    is the same either way. The product is summed as scipy sums it (float32, key by
    key in the row's order), but one row at a time into a dense accumulator, keeping
    only the row's k best.
    Against scipy's product and a ranking of its rows in Python it is not faster (36 s
    against 37 s of candidate generation at 100,000 cases), but it never holds the
    product (which had to be built in steps to bound memory at a million cases), and
    a tie at the k-th place goes to the lower case row, where the partial sort picked
    among tied cases by its own internals.

    `sums`, `own_sums`, `fact_sums` (zeros), `seen`, `facts` (False) and `touched` are scratch
    arrays of one entry a case (`_scratch`), left as they came: each row clears what
    it touched.
    """
    n = len(q_indptr) - 1
    width = k + k_own + k_fact
    out_q = np.empty(n * width, dtype=np.int64)
    out_c = np.empty(n * width, dtype=np.int64)
    out_s = np.empty(n * width, dtype=np.float32)
    written = 0
    for row in range(n):
        count = 0
        for jj in range(q_indptr[row], q_indptr[row + 1]):
            key = q_indices[jj]
            weight = q_data[jj]
            kind = q_kind[jj]
            count = _walk_key(
                c_indptr, c_indices, key, weight, kind,
                sums, own_sums, seen, touched, count, facts, fact_sums,
            )  # fmt: skip
            count = _walk_key(
                d_indptr, d_indices, key, weight, kind,
                sums, own_sums, seen, touched, count, facts, fact_sums,
            )  # fmt: skip
        cases = touched[:count].copy()
        scores = np.empty(count, dtype=np.float32)
        own_scores = np.empty(count, dtype=np.float32)
        shared = np.empty(count, dtype=np.bool_)
        fact_scores = np.empty(count, dtype=np.float32)
        for i in range(count):
            scores[i] = sums[cases[i]]
            own_scores[i] = own_sums[cases[i]]
            shared[i] = facts[cases[i]]
            fact_scores[i] = fact_sums[cases[i]]
            sums[cases[i]] = 0.0
            own_sums[cases[i]] = 0.0
            seen[cases[i]] = False
            facts[cases[i]] = False
            fact_sums[cases[i]] = 0.0
        # keys whose weight is zero rank nobody; a case met by quiet keys alone is
        # kept for the places of the cases sharing a fact
        nonzero = (scores != 0.0) | shared
        cases, scores = cases[nonzero], scores[nonzero]
        own_scores, shared = own_scores[nonzero], shared[nonzero]
        fact_scores = fact_scores[nonzero]
        kth = np.float32(0.0)
        if len(cases) > k:
            kth = -np.partition(-scores, k - 1)[k - 1]  # the k-th best score
        # what the total will not keep (a case tied at the k-th place may be kept:
        # `tied` below), by the child's own keys, then sharing a fact by the total
        left = np.flatnonzero(scores <= kth) if len(cases) > k else np.empty(0, np.int64)
        by_own = left[own_scores[left] > 0.0]
        if len(by_own) > k_own + 8:  # a margin for cases already in at the k-th place
            bar = -np.partition(-own_scores[by_own], k_own + 7)[k_own + 7]
            by_own = by_own[own_scores[by_own] >= bar]
        by_own = by_own[np.argsort(-own_scores[by_own], kind="mergesort")]
        # a shared fact that is not quiet first, the rarest first (a family phone
        # only this case holds), then the total: at 20,000 cases the 44 children
        # separated in one town that fortnight who also share a common name took
        # every place from the one case holding the trace's phone (Pappu Ahmed,
        # registered as Muhammad Bilal)
        by_fact = left[shared[left]]
        by_fact = by_fact[np.argsort(-scores[by_fact], kind="mergesort")]
        by_fact = by_fact[np.argsort(-fact_scores[by_fact], kind="mergesort")]
        if len(cases) > k:
            # all above the k-th best score, and the lowest case rows at it
            above = scores > kth
            tied = np.sort(cases[scores == kth])[: k - above.sum()]
            extra_c = np.concatenate((cases[by_own], cases[by_fact]))
            extra_s = np.concatenate((scores[by_own], scores[by_fact]))
            extra_own = np.concatenate(
                (np.ones(len(by_own), np.bool_), np.zeros(len(by_fact), np.bool_))
            )
            cases = np.concatenate((cases[above], tied))
            scores = np.concatenate((scores[above], np.full(len(tied), kth, np.float32)))
        else:
            extra_c = np.empty(0, dtype=np.int64)
            extra_s = np.empty(0, dtype=np.float32)
            extra_own = np.empty(0, dtype=np.bool_)
        by_case = np.argsort(cases)
        cases, scores = cases[by_case], scores[by_case]
        order = np.argsort(-scores, kind="mergesort")  # stable: ties by case row
        start = written
        for at in order:
            out_q[written] = row
            out_c[written] = cases[at]
            out_s[written] = scores[at]
            written += 1
        taken_own = 0
        taken_fact = 0
        for i in range(len(extra_c)):
            if extra_own[i]:
                if taken_own == k_own:
                    continue
            elif taken_fact == k_fact:
                break
            already = False
            for j in range(start, written):
                if out_c[j] == extra_c[i]:
                    already = True
                    break
            if not already:
                out_q[written] = row
                out_c[written] = extra_c[i]
                out_s[written] = extra_s[i]
                written += 1
                if extra_own[i]:
                    taken_own += 1
                else:
                    taken_fact += 1
    return out_q[:written], out_c[:written], out_s[:written]


def _phonetic(token: str) -> list[str]:
    if len(token) < 2 or not token.isascii():
        return []
    codes = [jellyfish.metaphone(token)]
    if token.isalpha():
        codes.append(jellyfish.nysiis(token))
    return [c for c in codes if c]


# keys of the family, not of the child: parents and caregivers (alone, in a place) and
# family phones (`_row_ids`)
FAMILY_KEYS = ("f:", "h:", "c:")
# keys of facts rather than names: an exact date of birth, a document, a family phone,
# a town and fortnight of separation
FACT_KEYS = ("b:", "d:", "c:", "t:")
# keys that mark a fact but add nothing to the total (`key_kind`)
QUIET_KEYS = ("t:",)
OWN, FACT, QUIET = 1, 2, 4  # the bits of a key's kind (`key_kind`)


def key_kind(key: str) -> int:
    """A key's kind, as `_top_k_products` reads it: `OWN` for the child's own keys
    (not a parent's, a caregiver's or a family phone), `FACT` for a fact's, `QUIET`
    for a key that only marks a fact.

    A town and fortnight of separation is quiet: added to the total, it ranked the
    children separated there then (brothers, sisters, neighbours) into every trace's
    budget, and the model fitted on those candidates learnt that a shared date of
    separation is common among strangers (4.4 bits to 4.1 on the fourth generator,
    enough that registrations of one child were no longer recognised as one).
    """
    kind = 0 if key.startswith(FAMILY_KEYS) else OWN
    if key.startswith(QUIET_KEYS):
        kind |= QUIET
    return kind | FACT if key.startswith(FACT_KEYS) else kind


SEPARATION_BIN_DAYS = 15  # the `s` keys' bins of the date of separation


class _Rows:
    """The columns of `Encoded` that key building reads, as Python lists: reading
    numpy scalars one at a time cost more than the keys themselves."""

    def __init__(self, enc: Encoded):
        self.names = enc.names.tolist()
        self.nick = enc.nick.tolist()
        self.given = enc.given.tolist()
        self.mother = enc.mother.tolist()
        self.father = enc.father.tolist()
        self.other_adult = enc.other_adult.tolist()
        self.origin = enc.origin.tolist()
        self.separation = enc.separation.tolist()
        self.birth_lo = enc.birth_lo.tolist()
        self.birth_hi = enc.birth_hi.tolist()
        self.has_dob = enc.has_dob.tolist()
        self.separation_day = enc.separation_day.tolist()
        self.documents = enc.documents
        self.contacts = enc.contacts


def _stacked(blocks: list[sparse.csr_matrix]) -> sparse.csr_matrix:
    """Rows of case-by-key matrices one after the other, each as wide as the widest
    (a key added later is a column the earlier rows do not hold)."""
    width = max(block.shape[1] for block in blocks)
    return sparse.vstack(
        [
            sparse.csr_matrix((b.data, b.indices, b.indptr), shape=(b.shape[0], width))
            for b in blocks
        ],
        format="csr",
    )


class KeyBlocker:
    """Inverted index of name and family keys, ranked by shared IDF weight."""

    name = "keys"

    def __init__(
        self,
        cases: Encoded,
        vocabulary: Vocabulary,
        max_share: float = 0.05,
        max_postings: int = 5000,
    ):
        self.vocabulary = vocabulary
        self.max_share = max_share
        self.max_postings = max_postings
        self._key_ids: dict[str, int] = {}
        self._kind_list: list[int] = []  # per key id: `key_kind` (`_kinds`)
        self._kind = np.zeros(0, dtype=np.int8)
        self._reset_caches()
        # cases x keys, 1 where a case has the key: what the index is made of, and
        # what is saved (`_cases`); the weights are applied to the query's keys
        self._cases = self._key_matrix(cases, grow=True)
        self._df = np.bincount(self._cases.indices, minlength=self._cases.shape[1])
        self._idf = self._weights()
        self._postings: sparse.csr_matrix | None = None  # keys x cases, built on first use
        self._added = 0  # cases added since the postings were built (`add`)
        self._added_blocks: list[sparse.csr_matrix] = []  # ... their rows, by `add`
        self._added_postings: sparse.csr_matrix | None = None

    @property
    def _cases(self) -> sparse.csr_matrix:
        """The case-by-key matrix, the rows added since it was last asked for stacked
        into it (`add` keeps them apart: stacking copies every row, 9 ms a case added
        at 100,000 cases)."""
        if self._blocks:
            self._matrix = _stacked([self._matrix, *self._blocks])
            self._blocks = []
        return self._matrix

    @_cases.setter
    def _cases(self, matrix: sparse.csr_matrix) -> None:
        self._matrix, self._blocks, self._rows = matrix, [], matrix.shape[0]

    def _weights(self) -> np.ndarray:
        """Each key's inverse document frequency, 0 for keys too common to rank by.

        Keys shared by a large share of all cases rank nobody: they are dropped so
        one very common name does not flood every trace's budget. Above 100,000 cases
        the bound stops growing with the store (`max_postings`): a key five thousand
        children share cannot pick 150 of them, and at a million cases keys held by
        up to 50,000 made key blocking two thirds of a full re-score. What such a
        name still says, it says through the keys that combine it with a birth year
        or a place.
        """
        n = max(self._rows, 1)
        idf = np.log1p(n / np.maximum(self._df, 1))
        idf[self._df > max(50, min(self.max_share * n, self.max_postings))] = 0.0
        return idf

    def add(self, cases: Encoded) -> None:
        """Index cases added after the build (their rows follow the indexed ones).

        Their postings are kept apart and walked after the others, so the postings
        of the million cases already indexed are not built again, and their rows of
        the case-by-key matrix wait apart until it is saved (`_cases`). The weights
        are worked out again over all cases, as a build would; a key that a build
        would still rank by but this index dropped postings of (it was too common, and
        is no longer) makes the postings be built again.
        """
        if not len(cases):
            return
        before = self._idf
        added = self._key_matrix(cases, grow=True)
        width = added.shape[1]
        self._blocks.append(added)
        self._rows += added.shape[0]
        df = np.zeros(width, dtype=np.int64)
        df[: len(self._df)] = self._df
        self._df = df + np.bincount(added.indices, minlength=width)
        self._idf = self._weights()
        revived = (before == 0) & (self._idf[: len(before)] > 0)
        if self._postings is None or revived.any():
            self._postings, self._added, self._added_postings = None, 0, None
            self._added_blocks = []
            return
        self._added += len(cases)
        self._added_blocks.append(added)
        start = self._rows - self._added
        # keys x cases for the added rows, case numbers counted from the first case
        self._added_postings = _stacked(self._added_blocks).T.tocsr()
        self._added_postings.indices += start

    def _walk(self) -> sparse.csr_matrix:
        """The postings of the keys that rank (keys x cases), built once.

        Keys of weight 0 are left out: they add nothing to any score, but the product
        would still walk them, and they are the longest (half of all the postings a
        trace meets at 100,000 cases).
        """
        if self._postings is None:
            ranked = self._idf[self._cases.indices] > 0
            matrix = sparse.csr_matrix(
                (ranked.astype(np.float32), self._cases.indices, self._cases.indptr),
                shape=self._cases.shape,
            )
            matrix.eliminate_zeros()
            self._postings = matrix.T.tocsr()
            self._added, self._added_postings, self._added_blocks = 0, None, []
        return self._postings

    def _reset_caches(self) -> None:
        """Forget the key ids worked out per token (`_token_ids`): a query's unknown
        keys are cached as -1, and an `add` may give them ids."""
        self._token_cache: dict[tuple[str | int, ...], list[int]] = {}
        self._skeleton_cache: dict[int, str] = {}

    def _id(self, key: str, grow: bool) -> int:
        """A key's column, a new one when `grow`, else -1 for a key no case has."""
        kid = self._key_ids.get(key)
        if kid is None:
            if not grow:
                return -1
            kid = self._key_ids[key] = len(self._key_ids)
            self._kind_list.append(key_kind(key))
        return kid

    def _skeleton(self, tid: int) -> str:
        found = self._skeleton_cache.get(tid)
        if found is None:
            found = self._skeleton_cache[tid] = skeleton(self.vocabulary.strings[tid])
        return found

    def _token_keys(self, kind: str, tid: int) -> list[str]:
        """The keys one token gives, by kind: `n` its skeleton under every reading and
        its phonetic codes (a child's name), `k` its skeleton (a nickname's full form),
        `f` its skeleton under every reading (a relative's name)."""
        word = self.vocabulary.strings[tid]
        if kind == "k":
            return [f"n:{self._skeleton(tid)}"]
        found = sorted(skeletons(word))  # sorted: keys are reproducible
        if kind == "f":
            return [f"f:{key}" for key in found]
        return [f"n:{key}" for key in found] + [f"p:{code}" for code in _phonetic(word)]

    def _token_ids(self, kind: str, tid: int, grow: bool) -> list[int]:
        """`_token_keys` as columns, worked out once a token: a re-score meets the same
        names in thousands of records, and building and looking up their keys again
        for each was most of the time the index took to build."""
        found = self._token_cache.get((kind, tid))
        if found is None:
            found = [self._id(key, grow) for key in self._token_keys(kind, tid)]
            self._token_cache[(kind, tid)] = found
        return found

    def _year_ids(self, tid: int, first: int, last: int, grow: bool) -> list[int]:
        """The columns of a given name (under every reading) within the birth years
        `first` to `last`."""
        found = self._token_cache.get(("y", tid, first, last))
        if found is None:
            found = [
                self._id(f"y:{key}:{year}", grow)
                for key in sorted(skeletons(self.vocabulary.strings[tid]))
                for year in range(first, last + 1)
            ]
            self._token_cache[("y", tid, first, last)] = found
        return found

    def _row_ids(self, rows: _Rows, row: int, grow: bool) -> list[int]:
        """The columns of one record's keys, in the order a key first appears (-1 for a
        key no case has, when not `grow`); the comment below says what each key is for."""
        ids: list[int] = []
        for tid in rows.names[row]:
            if tid == PAD:
                break
            ids.extend(self._token_ids("n", tid, grow))
        for tid in rows.nick[row]:
            if tid != PAD:
                ids.extend(self._token_ids("k", tid, grow))
        for adults in (rows.mother, rows.father, rows.other_adult):
            for tid in adults[row]:
                if tid != PAD:
                    ids.extend(self._token_ids("f", tid, grow))
        documents = sorted({d.partition(":")[2] for d in rows.documents[row]})
        ids.extend(self._id(f"d:{value}", grow) for value in documents)
        ids.extend(self._id(f"c:{value}", grow) for value in sorted(rows.contacts[row]))
        lo, hi = rows.birth_lo[row], rows.birth_hi[row]
        finite = math.isfinite(lo) and math.isfinite(hi)
        if rows.has_dob[row] and math.isfinite(lo):
            ids.append(self._id(f"b:{int(lo)}", grow))
        given = [t for t in rows.given[row] if t != PAD]
        given += [t for t in rows.nick[row] if t != PAD]
        strings = self.vocabulary.strings
        places: list[str] = []
        towns: list[str] = []
        for path in (rows.origin[row], rows.separation[row]):
            levels = [strings[t] for t in path if t != PAD]
            places.extend(levels[1:] if len(levels) > 1 else levels)
            towns.extend(levels[-1:])
        places = list(dict.fromkeys(places))
        towns = list(dict.fromkeys(towns))
        if places:
            for tid in given:
                key = self._skeleton(tid)
                ids.extend(self._id(f"g:{key}:{place}", grow) for place in places)
            for opening in dict.fromkeys(strings[tid][:3] for tid in given):
                if len(opening) == 3 and opening.isalpha():
                    ids.extend(self._id(f"q:{opening}:{place}", grow) for place in places)
            for adults in (rows.mother, rows.father):
                for tid in adults[row]:
                    if tid != PAD:
                        key = self._skeleton(tid)
                        ids.extend(self._id(f"h:{key}:{place}", grow) for place in places)
        separated = rows.separation_day[row]
        if math.isfinite(separated):
            # fortnights b and b+1 on both sides: two dates meet within about a month
            fortnight = int(separated // SEPARATION_BIN_DAYS)
            for tid in given:
                key = self._skeleton(tid)
                ids.extend(self._id(f"s:{key}:{b}", grow) for b in (fortnight, fortnight + 1))
            for place in towns:
                ids.extend(self._id(f"t:{place}:{b}", grow) for b in (fortnight, fortnight + 1))
        if finite:
            if hi - lo > 3 * 366:
                middle = (lo + hi) / 2
                lo, hi = middle - 1.5 * 365.25, middle + 1.5 * 365.25
            first, last = int(1970 + lo / 365.25), int(1970 + hi / 365.25)
            for tid in given:
                ids.extend(self._year_ids(tid, first, last, grow))
        return ids

    # What each kind of key is for (`_row_ids`):
    # - n/p: the child's name tokens, their skeletons under every reading and phonetic
    #   codes; n also for the full forms of a nickname.
    # - f: every reading of a parent's or caregiver's name, as for the child's:
    #   Maxamed Cabdulaahi is the father Mohamed Abdullahi only under the Somali one.
    # - d, c: a shared document (`kind:value`: the value alone finds it whatever the
    #   kind) or family phone finds a pair whose names were mistyped.
    # - b: an exact date of birth, rare enough to find a child whose very common name
    #   (Ahmed Mohamed) loses among namesakes, or whose name is in another script. It,
    #   d and c are facts: a case sharing one may take the places kept for facts.
    # - g: the given name (a nickname's full forms count: Md in Rathidaung is Mohammed
    #   in Rathidaung) within a place of origin or separation, region or town: a
    #   common name narrowed to the children from there, so the one sought is not
    #   crowded out by namesakes.
    # - q: the opening of the given name (its first three letters, a nickname's full
    #   forms' too) within a place of origin or separation: a shortening the nickname
    #   table lacks (Gulê for Gulistan, Rosa for Rosalie) shares no name key, but few
    #   children of one town open their names alike.
    # - h: a parent's name within a place: the mother's name and town agree though the
    #   child's own name is only a nickname or in another script.
    # - s: the given name within the fortnight of separation (and the next): the
    #   family and the caseworker recall the day within weeks, and among a thousand
    #   Mohamed Ahmads few were separated that month.
    # - t: the town (the last level of a place) within the fortnight of separation
    #   (and the next), without a name: a nickname (Mamuda for Mohamed) or a pet name
    #   shares no name key, but few children were separated in Kolofata that week.
    #   Quiet (`key_kind`): it only marks the cases kept for the places of facts.
    # - y: the given name within a birth year. An estimated age (age 13, estimated)
    #   allows births over five years or more; its keys cover the three years about
    #   the middle, where both sides' estimates most often fall, rather than none.

    def _key_matrix(self, enc: Encoded, grow: bool) -> sparse.csr_matrix:
        if grow:
            self._reset_caches()  # a -1 cached for a query's key may now be a column
        rows_of = _Rows(enc)
        rows: list[int] = []
        cols: list[int] = []
        for row in range(len(enc)):
            ids = dict.fromkeys(self._row_ids(rows_of, row, grow))  # ordered: reproducible
            ids.pop(-1, None)
            rows.extend([row] * len(ids))
            cols.extend(ids)
        shape = (len(enc), max(len(self._key_ids), 1))
        data = np.ones(len(rows), dtype=np.float32)
        return sparse.csr_matrix((data, (rows, cols)), shape=shape)

    def _kinds(self) -> np.ndarray:
        """Per key id: its `key_kind`; extended by the keys added since it was last
        asked for."""
        if len(self._kind) < len(self._kind_list):
            more = np.asarray(self._kind_list[len(self._kind) :], dtype=np.int8)
            self._kind = np.concatenate([self._kind, more])
        return self._kind

    def candidates(self, queries: Encoded, k: int, k_own: int = 0, k_fact: int = 0) -> Candidates:
        """The `k` best cases of each query by the weights of the keys shared, then the
        `k_own` best of the rest by the child's own keys alone, then the `k_fact` best
        of the rest (by the total) among those sharing a fact with the query.

        A trace whose mother is Fatima Ibrahim Elali shares three keys with every case
        whose mother is so named, and those fill the budget: Ahmet Elali, born the
        same day as the Ahmed El Ali sought but registered without his mother, was
        not among them. The few places kept for the child's own keys (name, birth,
        documents, places and dates with the name) find him.

        A nickname defeats the name keys: Divi Iradukunda, born 20 May 2019 in
        Bujumbura, registered as Divine with only her date, town and a caregiver,
        shares the date alone with the trace, while dozens of namesakes share the
        name in several keys each and outrank her. The places kept for the cases
        sharing a fact (a date of birth, a document, a family phone) find her: at
        20,000 cases a date of birth is shared by a few children, and where many
        share it, the total picks those that agree on more.
        """
        if len(queries) == 0:
            return Candidates.empty()
        q = self._key_matrix(queries, grow=False)
        q = q[:, : len(self._df)].tocsr()
        # each key the query has, weighted; keys of weight 0 rank nobody
        q.data = self._idf[q.indices].astype(np.float32)
        q.eliminate_zeros()
        kinds = self._kinds()[q.indices]
        postings = self._walk()
        added = self._added_postings
        if added is None:
            added = sparse.csr_matrix((0, 0), dtype=np.float32)
        # the postings go in as they are (int32): a copy to int64 per call moved 320 MB
        # for every single query at a million cases
        queries_q, cases_c, scores = _top_k_products(
            q.indptr.astype(np.int64),
            q.indices.astype(np.int64),
            q.data,
            kinds,
            postings.indptr,
            postings.indices,
            added.indptr,
            added.indices,
            k,
            k_own,
            k_fact,
            *_scratch(self._rows),
        )
        return Candidates(queries_q, cases_c, scores)


class NumpyIndex:
    """Brute-force inner-product search: the obviously correct twin of the FAISS index."""

    def __init__(self, vectors: np.ndarray):
        self._vectors = np.ascontiguousarray(vectors, dtype=np.float32)

    @property
    def ntotal(self) -> int:
        return len(self._vectors)

    def add(self, vectors: np.ndarray) -> None:
        self._vectors = np.concatenate([self._vectors, np.asarray(vectors, dtype=np.float32)])

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        sims = queries @ self._vectors.T
        k = min(k, sims.shape[1])
        top = np.argsort(-sims, axis=1, kind="stable")[:, :k]
        return np.take_along_axis(sims, top, axis=1), top


IVF_PROBES = 32  # cells searched per query: 0.989 of the exact top 50 at 100,000 cases


def faiss_index(vectors: np.ndarray, approximate_above: int = 50_000, seed: int = 0) -> faiss.Index:
    """Exact inner product for small stores; an inverted file (approximate) above
    `approximate_above` vectors, where exact search costs cases x traces.

    The inverted file splits the vectors into 2 sqrt(n) cells by k-means (trained on
    a seeded sample of 64 a cell) and searches the IVF_PROBES cells nearest each
    query. It replaced HNSW: at 100,000 names HNSW took 12 s to build (graph
    construction grows faster than n) and kept 0.985 of the exact top 50; the
    inverted file took 3 s and keeps 0.989 (`benchmarks/results/rescore-100k.md`).
    The bound was 200,000 until exact search was seen to be a third of candidate
    generation at 100,000 cases; there the inverted file gives the same recall@1 and
    @10 (0.9812, 0.9969), and candidates took 37 s instead of 50.
    """
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    n, dim = vectors.shape
    index: faiss.Index
    if n > approximate_above:
        cells = int(2 * np.sqrt(n))
        quantiser = faiss.IndexFlatIP(dim)
        index = faiss.IndexIVFFlat(quantiser, dim, cells, faiss.METRIC_INNER_PRODUCT)
        index.cp.seed = seed
        rng = np.random.default_rng(seed)
        sample = np.sort(rng.choice(n, size=min(n, 64 * cells), replace=False))
        index.train(vectors[sample])
        index.nprobe = IVF_PROBES
    else:
        index = faiss.IndexFlatIP(dim)
    index.add(vectors)
    return index


def name_strings(enc: Encoded, vocabulary: Vocabulary) -> list[str]:
    """The whole name of each record as one string of skeleton tokens."""
    strings = vocabulary.strings
    return [" ".join(strings[t] for t in row if t != PAD) for row in enc.names]


class VectorBlocker:
    """Character n-gram vectors of whole names, searched by nearest neighbour."""

    name = "vectors"

    def __init__(
        self,
        cases: Encoded,
        vocabulary: Vocabulary,
        dimensions: int = 96,
        use_faiss: bool = True,
        seed: int = 0,
    ):
        # scikit-learn is imported where vectors are made: it takes two seconds to
        # import, which every `ftr` call (export, explain, import) would pay
        from sklearn.decomposition import TruncatedSVD
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.preprocessing import normalize

        self.vocabulary = vocabulary
        texts = name_strings(cases, vocabulary)
        self._vectoriser = TfidfVectorizer(
            analyzer="char_wb", ngram_range=(2, 3), min_df=1, sublinear_tf=True, dtype=np.float32
        )
        matrix = self._vectoriser.fit_transform(texts or [""])
        components = max(2, min(dimensions, matrix.shape[1] - 1, max(len(texts) - 1, 2)))
        self._svd = TruncatedSVD(n_components=components, random_state=seed)
        reduced = normalize(self._svd.fit_transform(matrix)).astype(np.float32)
        self._index = faiss_index(reduced, seed=seed) if use_faiss else NumpyIndex(reduced)
        self._empty = np.array([not t for t in texts], dtype=bool)

    def add(self, cases: Encoded) -> None:
        """Index cases added after the build, by the n-grams and projection learnt then.

        An n-gram no indexed name had is not in the vectoriser's vocabulary, and the
        projection is not learnt again: a new name is placed by what it shares with
        the names the index was built on (as every query is). An inverted file keeps
        its cells and puts each new name in its nearest one.
        """
        if not len(cases):
            return
        texts = name_strings(cases, self.vocabulary)
        self._index.add(self.embed(cases))
        self._empty = np.concatenate([self._empty, np.array([not t for t in texts], dtype=bool)])

    def embed(self, enc: Encoded) -> np.ndarray:
        from sklearn.preprocessing import normalize

        texts = name_strings(enc, self.vocabulary)
        # `TruncatedSVD.transform` is a product with the transposed components, which
        # scipy copies into C order on every call: 1.6 ms a single query at 100,000
        # cases. The same product with a copy made once gives the same numbers.
        projection = getattr(self, "_projection", None)
        if projection is None:
            projection = np.ascontiguousarray(self._svd.components_.T)
            self._projection = projection
        reduced = self._vectoriser.transform(texts) @ projection
        return normalize(reduced).astype(np.float32)

    def candidates(self, queries: Encoded, k: int) -> Candidates:
        if len(queries) == 0 or self._index.ntotal == 0:
            return Candidates.empty()
        vectors = self.embed(queries)
        sims, rows = self._index.search(vectors, min(k, self._index.ntotal))
        q = np.repeat(np.arange(len(queries), dtype=np.int64), sims.shape[1])
        c = rows.ravel().astype(np.int64)
        s = sims.ravel().astype(np.float32)
        has_name = np.array([bool(t) for t in name_strings(queries, self.vocabulary)])
        keep = (c >= 0) & has_name[q] & ~self._empty[np.maximum(c, 0)]
        return Candidates(q[keep], c[keep], s[keep])


def concat(parts: list[Candidates]) -> Candidates:
    """Join candidate lists (no de-duplication)."""
    parts = [p for p in parts if len(p)]
    if not parts:
        return Candidates.empty()
    return Candidates(
        np.concatenate([p.query_rows for p in parts]),
        np.concatenate([p.case_rows for p in parts]),
        np.concatenate([p.scores for p in parts]),
    )


def union(parts: list[tuple[Candidates, float]]) -> Candidates:
    """Union of several generators' lists; a pair found twice is kept once.

    Each list's scores are rescaled, query by query, to [0, 1] times a weight, and
    the best is kept, so the output is still ranked within each query. Per query
    (not per list) so that a trace's candidates never depend on which other traces
    were matched in the same batch: a single embedded query, an incremental re-score
    and a Dask partition then rank exactly as a full single-process run does.
    """
    scaled: list[Candidates] = []
    queries = max((int(p.query_rows.max()) + 1 for p, _ in parts if len(p)), default=0)
    for part, weight in parts:
        if not len(part):
            continue
        top = np.zeros(queries, dtype=np.float64)
        np.maximum.at(top, part.query_rows, part.scores)
        top[top <= 0] = 1.0
        rescaled = (part.scores / top[part.query_rows] * weight).astype(part.scores.dtype)
        scaled.append(Candidates(part.query_rows, part.case_rows, rescaled))
    joined = concat(scaled)
    if not len(joined):
        return joined
    key = joined.query_rows * (int(joined.case_rows.max()) + 1) + joined.case_rows
    order = np.lexsort((-joined.scores, key))
    key_sorted = key[order]
    first = np.ones(len(order), dtype=bool)
    first[1:] = key_sorted[1:] != key_sorted[:-1]
    keep = order[first]
    q, c, s = joined.query_rows[keep], joined.case_rows[keep], joined.scores[keep]
    ranked = np.lexsort((-s, q))
    return Candidates(q[ranked], c[ranked], s[ranked])


@dataclass(frozen=True)
class Budget:
    """How many candidates each generator may contribute per query."""

    keys: int = 130
    own: int = 10  # more from the key index, by the child's own keys alone
    facts: int = 10  # more from the key index, sharing a date of birth, document, phone
    vectors: int = 50

    @property
    def total(self) -> int:
        return self.keys + self.own + self.facts + self.vectors


def generate(
    cases: Encoded,
    queries: Encoded,
    generators: list[CandidateGenerator],
    budget: Budget,
) -> Candidates:
    """Run every generator within its budget and union the results."""
    parts: list[tuple[Candidates, float]] = []
    for gen in generators:
        if isinstance(gen, KeyBlocker):
            found = gen.candidates(queries, budget.keys, budget.own, budget.facts)
        else:
            found = gen.candidates(queries, budget.vectors)
        parts.append((found, 1.0))
    return union(parts)
