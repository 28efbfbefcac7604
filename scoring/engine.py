"""The matcher: candidate generation and scoring of traces against a set of cases.

`Matcher` is what the CLI's re-score, the API and the embedded match API all use.
It holds the encoded cases, the candidate generators and the fitted model; it never
touches the database (the service layer loads records and stores results).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, fields, replace
from typing import Any

import numpy as np

from matching.candidates import (
    Budget,
    CandidateGenerator,
    Candidates,
    KeyBlocker,
    VectorBlocker,
    generate,
)
from matching.encode import PAD, Encoded, Encoder, Vocabulary
from scoring.comparators import NULL, TokenSimilarity, compare_name_part
from scoring.explain import explain, side_values
from scoring.features import (
    FEATURE_INDEX,
    FEATURES,
    Comparison,
    compare_child,
    compare_family,
    compare_pairs,
)
from scoring.model import MatchModel, Scored, TermFrequencies, key_counts

Record = Mapping[str, str | None]


@dataclass(frozen=True)
class Thresholds:
    """Decision thresholds on the calibrated probability (see README: measured effect).

    `possible` is low on purpose: recall comes first in the ranked list, and a
    trace whose child has a very common name may have no candidate above a few
    per cent, the true one included; its best few are still worth a look. (Scores
    among candidates add up to at most 1, so this writes about two a trace.)
    `likely` applies to the probability among a trace's candidates; `alone` to the
    pair's own probability, before competition. A trace whose child is not registered
    may still have one candidate far ahead of the rest (a same-named child of the same
    age in the same town): competition alone would call it likely, though the pair by
    itself is not convincing. At 0.95 rather than 0.9, false `likely` proposals on
    traces with no true case fell from 0.5-0.8% to 0.3-0.4% on both generators at
    20,000 cases, for 3-5 points of `likely` recall (a wrong `likely` can hand a child
    to the wrong adult; a missed one is still proposed, as `possible`).

    `uncorroborated` applies, like `alone`, to the pair's own probability, where the
    records agree on nothing a namesake would not share (`corroborated`): the name,
    the age, the place and the language are what an unregistered child's family most
    often meets in a same-named child of the same age from the same town, and the
    model, adding them up as independent, is surest exactly there. Such a pair is
    `likely` only when that much alone is overwhelming (8 bits, 0.996). On seeds of
    the fourth generator never used before, at 2,000 cases (105-108) false `likely`
    proposals on traces with no true case fell from 3.80, 1.10, 2.27 and 1.08% to
    0.54, 0, 0.57 and 0%, `likely` precision from 0.989-0.997 to 0.997-1.000, for 4-6
    points of `likely` recall (0.83-0.86 to 0.77-0.80); at 20,000 (seed 19) from 0.44%
    to 0.28%, precision 0.9981 to 0.9987, recall 0.729 to 0.694.

    A deployment may choose another trade-off (`FTR_LIKELY_THRESHOLD` and its
    siblings, `service.settings`); the README's table says what each setting cost
    and gained on the generated data.
    """

    likely: float = 0.95
    possible: float = 0.001
    alone: float = 0.95
    uncorroborated: float = 0.996

    def __post_init__(self) -> None:
        for name in ("likely", "possible", "alone", "uncorroborated"):
            value = getattr(self, name)
            if not 0.0 < value <= 1.0:
                raise ValueError(f"the {name} threshold must be in (0, 1], not {value!r}")
        if self.possible >= self.likely:
            raise ValueError(
                f"the possible threshold ({self.possible}) must be below the likely one "
                f"({self.likely})"
            )

    def as_dict(self) -> dict[str, float]:
        return {
            "likely": self.likely,
            "possible": self.possible,
            "alone": self.alone,
            "uncorroborated": self.uncorroborated,
        }

    @property
    def uncorroborated_bits(self) -> float:
        """`uncorroborated` as log2 odds, as the engine adds the pair's evidence up."""
        if self.uncorroborated >= 1.0:
            return float("inf")
        return float(np.log2(self.uncorroborated / (1.0 - self.uncorroborated)))

    def likelihood(self, score: float) -> str | None:
        if score >= self.likely:
            return "likely"
        if score >= self.possible:
            return "possible"
        return None


@dataclass(frozen=True)
class ScoredMatch:
    """One ranked, explained proposal."""

    trace_id: str
    case_id: str
    score: float
    rank: int
    likelihood: str
    evidence: list[dict[str, Any]]


# every column of `Encoded` that holds token ids
TOKEN_COLUMNS = (
    "given family names nick native_given own_given father mother other_adult origin separation"
).split()


def case_term_frequencies(
    cases: Encoded,
    size: int,
    key_of: list[int],
    live: np.ndarray | None = None,
    vocabulary: Vocabulary | None = None,
) -> TermFrequencies:
    """Name frequencies among the cases (the `live` rows, default all): the children's
    names, and apart their parents' and caregivers'. The keys of tokens no case holds
    (brought in by queries) are unknown. With the `vocabulary`, a name is as common as
    its commonest reading (`TermFrequencies`)."""
    rows = np.arange(len(cases)) if live is None else np.flatnonzero(live)
    counts = CaseCounts()
    counts.change(cases, rows, 1, size, key_of)
    return counts.frequencies(size, key_of, vocabulary)


class CaseCounts:
    """How many live cases hold each name key, each key of a parent's or caregiver's
    name, each place key by level, and each token: what `case_term_frequencies`
    divides into shares.

    A matcher keeps them as cases are added and retired (`Matcher.change_cases`), so
    that each change counts its own rows only: counting every case again took 135 ms
    a case added at 100,000 cases. The counts are whole numbers, so shares worked out
    from them are the very ones a count of all cases gives.
    """

    GROUPS = ("names", "parents", "place2", "place3", "tokens")

    def __init__(self) -> None:
        self.n = 0
        self._counts = {group: np.zeros(0, dtype=np.int64) for group in self.GROUPS}
        self._keys = np.zeros(0, dtype=np.int64)  # the vocabulary's `key_of`, as read

    def _table(self, key_of: list[int], size: int) -> np.ndarray:
        """`key_of` below `size` as an array, read on from where it was last read (a
        token's key never changes): the list holds a word of every name seen."""
        if len(self._keys) < size:
            more = np.asarray(key_of[len(self._keys) : size], dtype=np.int64)
            self._keys = np.concatenate([self._keys, more])
        return self._keys[:size]

    def _grown(self, group: str, size: int) -> np.ndarray:
        held = self._counts[group]
        if len(held) < size:
            held = np.concatenate([held, np.zeros(size - len(held), dtype=np.int64)])
            self._counts[group] = held
        return held

    def change(
        self, cases: Encoded, rows: np.ndarray, sign: int, size: int, key_of: list[int]
    ) -> None:
        """Count the `rows` of `cases` in (`sign` 1) or out (-1), over token ids below
        `size`."""
        if not len(rows):
            return
        table = self._table(key_of, size)
        origin, separation = cases.origin[rows], cases.separation[rows]
        for group, tokens in (
            ("names", cases.names[rows]),
            (
                "parents",
                np.concatenate(
                    [cases.mother[rows], cases.father[rows], cases.other_adult[rows]], axis=1
                ),
            ),
            # places by level (a case counts once a place, whether origin or separation
            # place): the second level of a path is the region, the rest are towns
            # (`compare_place`)
            ("place2", np.concatenate([origin[:, 1:2], separation[:, 1:2]], axis=1)),
            ("place3", np.concatenate([origin[:, 2:], separation[:, 2:]], axis=1)),
        ):
            self._grown(group, size)[:size] += sign * key_counts(tokens, table, size)
        held = self._grown("tokens", size)
        for column in TOKEN_COLUMNS:
            ids = getattr(cases, column)[rows].ravel()
            ids = ids[(ids >= 0) & (ids < size)]
            held[:size] += sign * np.bincount(ids, minlength=size)[:size]
        self.n += sign * len(rows)

    def frequencies(
        self, size: int, key_of: list[int], vocabulary: Vocabulary | None = None
    ) -> TermFrequencies:
        """The shares over token ids below `size`; the keys of tokens no case holds
        are unknown (NaN)."""
        table = self._table(key_of, size)
        tokens = np.flatnonzero(self._grown("tokens", size)[:size] > 0)
        keys = table[tokens]
        known = np.zeros(size, dtype=bool)
        known[keys[keys < size]] = True
        n = max(self.n, 1)

        def share(group: str) -> np.ndarray:
            out = self._grown(group, size)[:size] / n
            out[~known] = np.nan
            return out

        parents = TermFrequencies(share("parents"), key_of, vocabulary=vocabulary)
        tf = TermFrequencies(share("names"), key_of, parents, vocabulary=vocabulary)
        tf.places = {
            2: TermFrequencies(share("place2"), key_of),
            3: TermFrequencies(share("place3"), key_of),
        }
        return tf


def child_identity_agrees(levels: np.ndarray) -> np.ndarray:
    """Whether a pair may be called `likely`: the child's own identity must not conflict.

    Family evidence (parents, surname, place, a relative's phone) is shared by
    brothers and sisters, and the model's independence assumption lets it pile up.
    A wrong `likely` can hand a child to the wrong adult, so a pair whose given name
    differs or is only loosely similar, whose ages are over a year apart (or whose
    dates of birth, both written, differ) or whose sex differs stays `possible` for
    a person to judge, however high its score. (Unless
    the data holds no relatives at all: `MatchModel.relatives_seen`.)
    """
    given, birth, sex = levels[:, 0], levels[:, 2], levels[:, 3]
    # missing, or within a year (two dates of birth written months apart are not)
    birth_close = (birth < 0) | (birth >= BIRTH_WITHIN_A_YEAR)
    # the child's own document (not a family phone) outweighs a name or a date written
    # differently, but not both: identifiers may also be a relative's papers
    same_document = (levels[:, FEATURE_INDEX["documents"]] == SHARED_DOCUMENT) & (
        (given != 0) | (birth != 0)
    )
    # "loosely similar" is no agreement either: it is also a name missing its first
    # word (`features._one_name_within`), which a sibling's may be
    given_agrees = (given < 0) | (given >= 2)
    return (given_agrees & birth_close & (sex != 0)) | same_document


def may_be_likely(levels: np.ndarray) -> np.ndarray:
    """Whether a pair may be called `likely`: the child's identity agrees
    (`child_identity_agrees`) and neither record names a parent the other names
    differently, unless the child's own document is shared.

    A namesake of the same age from the same town is what an unregistered child's
    family most often meets; where both records name the mother (or the father) and
    the names have nothing in common, that is another family, however well the
    child's name fits. Such a pair stays `possible`, first in its list where it was,
    for a person to judge. At 2,000 cases of the fourth generator (seeds 91-95) this
    kept 5 of 38 wrong `likely` pairs out, and 1 of 3,535 true ones; at 2,000 cases of
    the other three (seeds 91-94) it took 11 of 9,171 true ones and no wrong one, at
    20,000 (one seed of each of the four) 9 of 26,727 true ones and no wrong one.
    """
    mother, father = levels[:, FEATURE_INDEX["mother"]], levels[:, FEATURE_INDEX["father"]]
    shared = levels[:, FEATURE_INDEX["documents"]] == SHARED_DOCUMENT
    return child_identity_agrees(levels) & (((mother != 0) & (father != 0)) | shared)


SHARED_DOCUMENT = len(FEATURES[FEATURE_INDEX["documents"]].levels) - 1

# why a pair scoring `likely` is proposed as `possible` (`Matcher._held`)
HELD_IDENTITY = (
    "held at possible: the child's given name, age or sex, or a parent's name, disagrees"
)
HELD_ALONE = (
    "held at possible: the pair by itself is not convincing; it only leads weaker candidates"
)
HELD_CLAIMED = "held at possible: the case may be another child of the same tracing request"
HELD_UNCORROBORATED = (
    "held at possible: nothing agrees strongly beyond what a namesake would share (name, "
    "age, place); a parent's name, the date of birth, a document, a family phone or the "
    "date of separation would"
)


# the fields a namesake would not share (`corroborated`), and the weight one must carry
CORROBORATING = tuple(
    FEATURE_INDEX[name]
    for name in "mother father inquirer birth documents contacts separation_date".split()
)
CORROBORATION_BITS = 3.0


def corroborated(weights: np.ndarray) -> np.ndarray:
    """Whether a pair agrees, with at least `CORROBORATION_BITS` of evidence (8 to 1),
    on something a namesake would not share: a parent's name (or the inquirer's as
    the caregiver's), the date of birth, a document, a family phone or the date of
    separation.

    A child of the same name and age from the same town, speaking the same language,
    is what an unregistered child's family most often meets; those agreements are
    real evidence, but the model adds them up as independent, and a common name in a
    small place meets them by chance. A pair agreeing on nothing more is `likely` only
    when its own probability clears `Thresholds.uncorroborated`. The bar is a weight,
    not a level, for a weak agreement is what namesakes share too: a mother named
    Aisha against one named Aisha Haruna, a father's name that is the child's own
    family name (Lawan Lawan, Lawan Umaru), the same week of separation when a whole
    town fled that week. On the generated data (eleven runs, four generators, 2,000
    and 20,000 cases) the rule kept 35 of 46 wrong `likely` pairs out (28 of 32 on
    traces with no true case) and 797 of 13,532 true ones; by levels (any similar
    parent, any separation within a week) it kept out 18 wrong and 297 true.
    """
    if not len(weights):
        return np.zeros(0, dtype=bool)
    return weights[:, CORROBORATING].max(axis=1) >= CORROBORATION_BITS


BIRTH_WITHIN_A_YEAR = FEATURES[FEATURE_INDEX["birth"]].levels.index("within a year")
SAME_CHILD = 0.99  # pairwise probability above which two cases are one child


def _both_ways(forward: np.ndarray, backward: np.ndarray) -> np.ndarray:
    """The weaker of two name levels where both are known, else the known one."""
    both = (forward != NULL) & (backward != NULL)
    return np.where(both, np.minimum(forward, backward), np.maximum(forward, backward))


def _every_given_word_found(
    similarity: TokenSimilarity, cases: Encoded, a: np.ndarray, b: np.ndarray
) -> np.ndarray:
    """Whether the longer of cases a[i]'s and b[i]'s given names (more words) has each
    word among the other case's names (a close spelling or the same key); for names
    of as many words, two or more, each side's (a nickname form counting too).

    A word more is another name: María José and María, Dost Mohammad and Muhammad
    are as often sisters and brothers as one child. One-word names may differ as
    nicknames do (Abdi for Abdullahi): the comparators have judged those. Two words
    each sharing only one are two children: Mohd Mohamad (Mohammad twice) and
    Mohammad Shafigh, brothers, were grouped as one (2,000 cases, independent seed 72).
    """
    found_all = np.ones(len(a), dtype=bool)
    words_a = (cases.own_given[a] != PAD).sum(axis=1)
    words_b = (cases.own_given[b] != PAD).sum(axis=1)
    # names of as many words, two or more, are each looked at whole: Mohd Mohamad
    # (Mohammad twice) and Mohammad Shafigh share a word, not a boy
    both = (words_a == words_b) & (words_a >= 2)
    for longer, other, more in ((a, b, words_a > words_b), (b, a, words_b > words_a)):
        rows = np.flatnonzero((more | both) & found_all)
        if not len(rows):
            continue
        given = cases.own_given[longer[rows]]
        names = cases.names[other[rows]]
        jw, same_key = similarity.compare(given, names)
        found = (jw >= 0.90) | same_key | similarity.related(given, names)
        found_all[rows] = np.where(given != PAD, found.any(axis=2), True).all(axis=1)
    return found_all


def _bits(probability: float) -> float:
    p = min(max(probability, 1e-12), 1 - 1e-12)
    return float(np.log2(p / (1 - p)))


def top_per_query(query_rows: np.ndarray, scores: np.ndarray, n: int) -> np.ndarray:
    """Indices of the n best-scored pairs of each query."""
    order = np.lexsort((-scores, query_rows))
    q = query_rows[order]
    starts = np.r_[0, np.flatnonzero(q[1:] != q[:-1]) + 1]
    position = np.arange(len(q)) - np.repeat(starts, np.diff(np.r_[starts, len(q)]))
    return np.sort(order[position < n])


def request_chunks(traces: Sequence[Record], chunk: int) -> list[list[Record]]:
    """`traces` in chunks of about `chunk`, a tracing request's traces always in one.

    A request's traces seek different children (`Matcher._sought_together`), so they
    are scored side by side. Requests keep the order of their first trace, and a
    trace keeps its place within its request; a request larger than `chunk` is a
    chunk of its own.
    """
    groups: dict[object, list[Record]] = {}
    for position, trace in enumerate(traces):
        groups.setdefault(trace.get("request_id") or ("alone", position), []).append(trace)
    chunks: list[list[Record]] = []
    current: list[Record] = []
    for group in groups.values():
        if current and len(current) + len(group) > chunk:
            chunks.append(current)
            current = []
        current.extend(group)
    if current:
        chunks.append(current)
    return chunks


def pairs_sharing(keys: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every ordered pair (i, j), i != j, of positions with the same (key, value), for
    keys >= 0: the pairs of one request that propose the same case."""
    chosen = np.flatnonzero(keys >= 0)
    if len(chosen) < 2:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    order = chosen[np.lexsort((values[chosen], keys[chosen]))]
    k, v = keys[order], values[order]
    first = np.r_[True, (k[1:] != k[:-1]) | (v[1:] != v[:-1])]
    group = np.cumsum(first) - 1
    starts = np.flatnonzero(first)
    sizes = np.diff(np.r_[starts, len(order)])[group]
    shared = np.flatnonzero(sizes >= 2)
    reps = sizes[shared]
    me = np.repeat(shared, reps)
    partner = starts[group[me]] + np.arange(reps.sum()) - np.repeat(np.cumsum(reps) - reps, reps)
    other = partner != me
    return order[me[other]], order[partner[other]]


def _child_groups(size: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """A group number for each of `size` traces, traces a[i] and b[i] in one group
    (union-find: one child written more than twice is one group)."""
    parent = list(range(size))

    def root(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for x, y in zip(a.tolist(), b.tolist(), strict=True):
        parent[root(x)] = root(y)
    return np.array([root(x) for x in range(size)], dtype=np.int64)


TOGETHER_ROUNDS = 8  # damped rounds of `Matcher._sought_together`; ample for 2-6 traces


PARALLEL_PAIRS = 20_000  # pairs from which a comparison is split over two threads


def compare_in_halves(
    compare: Callable[..., Comparison],
    similarity: TokenSimilarity,
    traces: Encoded,
    cases: Encoded,
    trace_rows: np.ndarray,
    case_rows: np.ndarray,
    child: Comparison | None = None,
) -> Comparison:
    """`compare` (`compare_child` or `compare_family`) of many pairs in two halves, the
    second in a helper thread, both reading the similarity caches (`views`).

    Each pair's comparison depends on that pair alone, so the halves joined are
    exactly the whole; the compiled passes and numpy's array work release the GIL, so
    two cores compare a chunk's pairs side by side.
    """
    extra = () if child is None else (child,)
    n = len(trace_rows)
    if n < PARALLEL_PAIRS:
        return compare(similarity, traces, cases, trace_rows, case_rows, *extra)
    half = n // 2
    first, second = np.arange(half), np.arange(half, n)
    with (
        similarity.views(2) as (mine, theirs),
        ThreadPoolExecutor(max_workers=1, thread_name_prefix="ftr-compare") as pool,
    ):
        later = pool.submit(
            compare,
            theirs,
            traces,
            cases,
            trace_rows[second],
            case_rows[second],
            *(part.subset(second) for part in extra),
        )
        early = compare(
            mine,
            traces,
            cases,
            trace_rows[first],
            case_rows[first],
            *(part.subset(first) for part in extra),
        )
        rest = later.result()
    return Comparison(
        **{
            column.name: np.concatenate([getattr(early, column.name), getattr(rest, column.name)])
            for column in fields(Comparison)
        }
    )


class Matcher:
    """Cases indexed for matching, with a model fitted to them."""

    def __init__(
        self,
        cases: Iterable[Record],
        *,
        model: MatchModel | None = None,
        budget: Budget | None = None,
        thresholds: Thresholds | None = None,
        use_faiss: bool = True,
        seed: int = 0,
        index: bool = True,
    ) -> None:
        self.encoder = Encoder()
        self.case_records: list[Record] = list(cases)
        self.cases: Encoded = self.encoder.encode("cases", self.case_records)
        self.budget = budget or Budget()
        self.thresholds = thresholds or Thresholds()
        self.seed = seed
        vocabulary = self.encoder.vocabulary
        self.generators: list[CandidateGenerator] = []
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="ftr-index") as pool:
            # The name vectors (an SVD and a FAISS index: numerical work that releases
            # the GIL) are built in a second thread while this one builds the key
            # index and the token tables (Python). Both only read the vocabulary.
            vectors: Future[VectorBlocker] | None = None
            # n-gram vectors need at least one named case to learn from
            if len(self.cases) and index and any(row[0] != PAD for row in self.cases.names):
                vectors = pool.submit(
                    VectorBlocker, self.cases, vocabulary, use_faiss=use_faiss, seed=seed
                )
            self.similarity = TokenSimilarity(vocabulary.strings, vocabulary.key_of)
            if len(self.cases) and index:
                self.generators = [KeyBlocker(self.cases, vocabulary)]
            self.tf: TermFrequencies = case_term_frequencies(
                self.cases, len(vocabulary), vocabulary.key_of, vocabulary=vocabulary
            )
            if vectors is not None:
                self.generators.append(vectors.result())
        # rows that may be candidates: an updated or removed case keeps its row (the
        # indexes cannot drop one cheaply) but is never found again (`add_cases`)
        self.live = np.ones(len(self.cases), dtype=bool)
        # the live cases' name counts, kept from the first change on (`CaseCounts`)
        self._counts: CaseCounts | None = None
        self.indexed = index
        self.use_faiss = use_faiss
        self.model = model or MatchModel()
        self.fitted = model is not None
        self.keep = 60  # candidates a trace keeps after the first stage
        self.keep_by_rank = 10  # ... plus its best by candidate generation

    # --- changes ----------------------------------------------------------------

    def add_cases(self, records: Sequence[Record]) -> None:
        """Index more cases in place (`change_cases`)."""
        self.change_cases(records)

    def remove_cases(self, case_ids: Iterable[str]) -> None:
        """Never propose these cases again (`change_cases`)."""
        self.change_cases((), case_ids)

    def change_cases(self, added: Sequence[Record], removed: Iterable[str] = ()) -> None:
        """Retire the cases `removed` and index the `added` ones in place, with the
        model as fitted; an added `case_id` already indexed is an update: its older
        row is retired. Retired rows stay in the indexes but are never candidates.

        The indexes are extended, not built again: five hundred new cases took 2.5 s
        against 959,838 indexed, where building the indexes and fitting took 320 s
        (`benchmarks/results/rescore-1m.md`). What a build would learn from all
        cases is kept from the build: the name vectors' n-grams and projection
        (`VectorBlocker.add`); the key weights and name frequencies are worked out
        again over all cases (once a call). Candidates can therefore differ slightly
        from a matcher built afresh on the same cases; `ftr rescore --full` builds
        afresh.
        """
        vocabulary = self.encoder.vocabulary
        if self._counts is None:
            self._counts = CaseCounts()
            self._counts.change(
                self.cases, np.flatnonzero(self.live), 1, len(vocabulary), vocabulary.key_of
            )
        before = self.live.copy()
        for case_id in removed:
            row = self.cases.row_of.pop(case_id, None)
            if row is not None:
                self.live[row] = False
                self.cases.proposable[row] = False
        added = list(added)
        if added:
            self._index_more(added)
        gone = np.flatnonzero(before & ~self.live[: len(before)])
        new = len(before) + np.flatnonzero(self.live[len(before) :])
        if len(gone) or len(new):
            size = len(vocabulary)
            self._counts.change(self.cases, gone, -1, size, vocabulary.key_of)
            self._counts.change(self.cases, new, 1, size, vocabulary.key_of)
            self.tf = self._term_frequencies()

    def _index_more(self, records: list[Record]) -> None:
        new = self.encoder.encode("cases", records)
        retired = [self.cases.row_of[i] for i in new.row_of if i in self.cases.row_of]
        self.cases = self.cases.extended(new)
        self.case_records.extend(records)
        # an id twice in one batch: its last record counts
        last = np.array([new.row_of[i] == row for row, i in enumerate(new.ids)], dtype=bool)
        self.live = np.concatenate([self.live, last])
        self.live[retired] = False
        self.cases.proposable[~self.live] = False
        if self.indexed:
            named = (self.cases.names[self.live] != PAD).any()
            wanted = {"keys", "vectors"} if named else {"keys"}
            if {g.name for g in self.generators} == wanted:
                for generator in self.generators:
                    generator.add(new)
            else:  # a first case, or a first named one: nothing to extend yet
                self.generators = self._build_generators()

    def _build_generators(self) -> list[CandidateGenerator]:
        vocabulary = self.encoder.vocabulary
        generators: list[CandidateGenerator] = [KeyBlocker(self.cases, vocabulary)]
        if (self.cases.names[self.live] != PAD).any():
            generators.append(
                VectorBlocker(self.cases, vocabulary, use_faiss=self.use_faiss, seed=self.seed)
            )
        return generators

    def _term_frequencies(self) -> TermFrequencies:
        vocabulary = self.encoder.vocabulary
        if self._counts is None:
            live = None if self.live.all() else self.live
            return case_term_frequencies(
                self.cases, len(vocabulary), vocabulary.key_of, live, vocabulary=vocabulary
            )
        return self._counts.frequencies(len(vocabulary), vocabulary.key_of, vocabulary)

    # --- fitting ----------------------------------------------------------------

    def fit(self, traces: Sequence[Record], sample: int = 2500, random_pairs: int = 60_000) -> None:
        """Estimate u on random pairs and m by EM on the candidates of a sample of traces."""
        rng = np.random.default_rng(self.seed)
        if len(traces) > sample:
            picked = rng.choice(len(traces), size=sample, replace=False)
            traces = [traces[i] for i in sorted(picked)]
        enc = self.encoder.encode("traces", traces)
        if not len(enc) or not len(self.cases):
            return
        n_random = min(random_pairs, len(enc) * len(self.cases))
        t_rows = rng.integers(0, len(enc), n_random)
        c_rows = rng.integers(0, len(self.cases), n_random)
        random = compare_pairs(self.similarity, enc, self.cases, t_rows, c_rows)
        self.model.fit_u(random.levels)
        # without the places kept for cases sharing a fact (`Budget.facts`): they are
        # picked for agreeing on a date of birth or a town and fortnight of separation,
        # and strangers so picked would teach the model that such agreement is common
        # among strangers, lowering what it is worth in every pair (two registrations
        # of one child were no longer recognised as one)
        budget = replace(self.budget, facts=0)
        cands = generate(self.cases, enc, self.generators, budget)
        cands, comparison = self._compare(enc, cands)
        self.model.fit(comparison, cands.query_rows, self.tf)
        self.fitted = True

    def learn_from_confirmed(self, pairs: Sequence[tuple[Record, Record]]) -> bool:
        """Refine the fitted model's m with pairs officers confirmed (trace, case):
        `MatchModel.learn_from_confirmed`. Their cases need not be indexed (a
        reunified one is not). False when there were too few to use."""
        if not pairs:
            return self.model.learn_from_confirmed(np.zeros((0, len(FEATURES)), np.int8))
        traces = self.encoder.encode("traces", [trace for trace, _ in pairs])
        cases = self.encoder.encode("cases", [case for _, case in pairs])
        rows = np.arange(len(pairs))
        levels = compare_pairs(self.similarity, traces, cases, rows, rows).levels
        return self.model.learn_from_confirmed(levels)

    def _compare(self, enc: Encoded, cands: Candidates) -> tuple[Candidates, Comparison]:
        """Compare in two stages: every candidate on the child's own features, then the
        `keep` best of each trace (and its best by candidate rank) on everything.

        Fitting and matching prune alike, so the EM's candidate sets are the ones scored.
        """
        child = compare_in_halves(
            compare_child, self.similarity, enc, self.cases, cands.query_rows, cands.case_rows
        )
        bits = self.model.weights(child, self.tf).sum(axis=1)
        keep = np.union1d(
            top_per_query(cands.query_rows, bits, self.keep),
            top_per_query(cands.query_rows, cands.scores, self.keep_by_rank),
        )
        kept = Candidates(cands.query_rows[keep], cands.case_rows[keep], cands.scores[keep])
        full = compare_in_halves(
            compare_family,
            self.similarity,
            enc,
            self.cases,
            kept.query_rows,
            kept.case_rows,
            child.subset(keep),
        )
        return kept, full

    def _same_child(
        self, query_rows: np.ndarray, case_rows: np.ndarray, pairwise: np.ndarray, top: int = 3
    ) -> np.ndarray:
        """For each pair, the best pair of its trace whose case is the same child.

        Only each trace's few best candidates are checked: two of them are the same
        child registered twice when they agree with each other on given name, family
        name, birth and sex (the case-to-case comparison uses the same comparators).
        """
        n = len(query_rows)
        same = np.arange(n)
        best = top_per_query(query_rows, pairwise, top)
        if len(best) < 2:
            return same
        q = query_rows[best]
        # pair each trace's best candidate with its other top candidates
        order = np.lexsort((-pairwise[best], q))
        best, q = best[order], q[order]
        first = np.r_[True, q[1:] != q[:-1]]
        leader = best[np.maximum.accumulate(np.where(first, np.arange(len(best)), 0))]
        others = ~first
        if not others.any():
            return same
        a, b = leader[others], best[others]
        comparison = compare_pairs(
            self.similarity, self._cases_as_queries(), self.cases, case_rows[a], case_rows[b]
        )
        # each registration is given its own number: differing documents between two
        # registrations say nothing (a shared one still counts)
        docs = FEATURE_INDEX["documents"]
        levels = comparison.levels.copy()
        levels[levels[:, docs] == 0, docs] = NULL
        # a trace's family name is sought among all of a case's names (fields get
        # swapped); two registrations of one child must agree both ways round: Somali
        # Cabdullaahi | Cabdullaahi (son of Cabdullaahi) finds his own name in
        # Cabdullaahi | Maxamed Guuleed, whose family name is not found in his
        levels[:, 1] = _both_ways(levels[:, 1], self._family_levels(case_rows[b], case_rows[a]))
        comparison = comparison.with_levels(levels)
        # the model itself decides whether two registrations are one child
        alike = self.model.score(comparison, self.tf).probability >= SAME_CHILD
        # never merge twins or siblings: the given names agree, and the longer has no
        # word the other lacks (María and María José are as often sisters), unless both
        # write the same date of birth (Bilal Ömer, his father's name added, is Bilal)
        given_agrees = levels[:, 0] >= 3
        ca, cb = case_rows[a], case_rows[b]
        cases = self.cases
        born_same_day = (
            cases.has_dob[ca] & cases.has_dob[cb] & (cases.birth_lo[ca] == cases.birth_lo[cb])
        )
        check = np.flatnonzero(given_agrees & ~born_same_day)
        given_agrees[check] = _every_given_word_found(self.similarity, cases, ca[check], cb[check])
        # ... nor children of another mother or father: two registrations that name
        # different parents (Helen, daughter of Natnael and Wintta; Helen, daughter of
        # Natnael and Mekdes) are half-sisters or namesakes as often as one child, and
        # a wrong merge spares each the other's competition
        parents = levels[:, [FEATURE_INDEX["mother"], FEATURE_INDEX["father"]]]
        merge = alike & given_agrees & ~(parents == 0).any(axis=1)
        same[b[merge]] = a[merge]
        return same

    def _sought_together(
        self, enc: Encoded, cands: Candidates, scored: Scored, same: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Bits each pair loses because the case is likelier another child of the
        trace's tracing request, and (per pair) that child's trace row, else -1.

        A request seeks each of its children once: when the same case is a candidate
        of two of its traces, it is at most one of those children. A twin or a
        sibling shares the parents, surname, place and perhaps the date of birth,
        and outscores the child sought where the child's own record is sparse; the
        request's trace for that twin fits the twin's record better still. So each
        pair's odds are multiplied by the chance that the case is none of the
        request's other children, P(not j) = 1 - p_j, with p_j those children's
        probabilities among their own candidates, worked out together (damped mean
        field rounds over the request's traces). Two traces of one request that
        could be one child (given name, age and sex agree: `child_identity_agrees`)
        take nothing from each other.
        """
        n = len(cands)
        taken = np.zeros(n)
        claimant = np.full(n, -1, dtype=np.int64)
        codes: dict[str, int] = {}
        request = np.array(
            [codes.setdefault(r, len(codes)) if r else -1 for r in enc.request], dtype=np.int64
        )
        if len(codes) == len(enc) - int((request < 0).sum()):  # no request holds two traces
            return taken, claimant
        mine, theirs = pairs_sharing(request[cands.query_rows], cands.case_rows)
        if not len(mine):
            return taken, claimant
        a, b = cands.query_rows[mine], cands.query_rows[theirs]
        # each pair of traces once, in both directions
        trace_pairs = np.unique(a * len(enc) + b)
        traces_a, traces_b = trace_pairs // len(enc), trace_pairs % len(enc)
        one_child = child_identity_agrees(
            compare_child(self.similarity, enc, enc, traces_a, traces_b).levels
        )
        child = _child_groups(len(enc), traces_a[one_child], traces_b[one_child])
        apart = child[a] != child[b]
        mine, theirs = mine[apart], theirs[apart]
        if not len(mine):
            return taken, claimant
        # the competition is worked out for the traces that claim (and are claimed)
        # alone, all of their pairs: a trace's probabilities depend on its own only
        involved = np.zeros(len(enc), dtype=bool)
        involved[cands.query_rows[mine]] = True
        kept = np.flatnonzero(involved[cands.query_rows])
        position = np.full(n, -1, dtype=np.int64)
        position[kept] = np.arange(len(kept))
        rows = cands.query_rows[kept]
        part = Scored(
            scored.probability[kept],
            scored.weights[kept],
            scored.prior_bits,
            scored.relatives[kept],
        )
        part_same = position[same[kept]]  # a pair is grouped within its own trace
        part_mine, part_theirs = position[mine], position[theirs]
        # one child written twice in a request claims once: its strongest claim counts
        claims, claim_of = np.unique(
            part_mine * len(enc) + child[cands.query_rows[theirs]], return_inverse=True
        )
        claim_pair = claims // len(enc)

        def lost_bits(p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            lost = np.log2(np.clip(1.0 - p[part_theirs], 2.0**-30, 1.0))
            strongest = np.zeros(len(claims))
            np.minimum.at(strongest, claim_of, lost)
            return lost, np.bincount(claim_pair, weights=strongest, minlength=len(kept))

        p = self.model.among_candidates(part, rows, part_same)
        for _ in range(TOGETHER_ROUNDS):
            _, part_taken = lost_bits(p)
            p = (p + self.model.among_candidates(part, rows, part_same, part_taken)) / 2
        lost, part_taken = lost_bits(p)
        taken[kept] = part_taken
        strongest = np.lexsort((lost, mine))
        first = np.r_[True, mine[strongest][1:] != mine[strongest][:-1]]
        claimant[mine[strongest][first]] = cands.query_rows[theirs[strongest][first]]
        return taken, claimant

    def _family_levels(self, rows: np.ndarray, others: np.ndarray) -> np.ndarray:
        """Family names of cases `rows` sought among the names of cases `others`."""
        none = np.full((len(rows), 1), PAD, dtype=np.int32)
        cases = self.cases
        return compare_name_part(
            self.similarity, cases.family[rows], none, cases.names[others], none
        ).levels

    def _cases_as_queries(self) -> Encoded:
        """Cases viewed as the query side, to compare two cases with each other."""
        return self.cases

    # --- matching ---------------------------------------------------------------

    def match(
        self, traces: Sequence[Record], k: int = 10, *, chunk: int = 2000, explain_all: bool = True
    ) -> Iterator[ScoredMatch]:
        """Ranked, explained proposals (at most k a trace, at or above `possible`), a
        tracing request's traces together (`request_chunks`, `_sought_together`).

        With more than one chunk, the next chunk's candidates are generated in a
        second thread while this one is compared, scored and explained: the sparse
        products and the vector search release the GIL, so two cores overlap them.
        Encoding stays in this thread and in order, because it grows the shared
        vocabulary: token ids, and so every result, never depend on timing.
        """
        if not self.fitted:
            self.fit(traces)
        chunks = request_chunks(traces, chunk)
        if len(chunks) <= 1:
            records = chunks[0] if chunks else []
            enc = self.encoder.encode("traces", records)
            yield from self._match_chunk(records, enc, self._candidates(enc), k, explain_all)
            return
        # a large job meets this many new token pairs and more: the cache at its size at once
        self.similarity.reserve(len(traces) * self.budget.total)
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="ftr-candidates") as pool:
            ahead: tuple[Sequence[Record], Encoded, Future[Candidates]] | None = None
            for records in chunks:
                enc = self.encoder.encode("traces", records)
                found = pool.submit(self._candidates, enc)
                if ahead is not None:
                    yield from self._match_chunk(
                        ahead[0], ahead[1], ahead[2].result(), k, explain_all
                    )
                ahead = (records, enc, found)
            if ahead is not None:
                yield from self._match_chunk(ahead[0], ahead[1], ahead[2].result(), k, explain_all)

    def _candidates(self, enc: Encoded) -> Candidates:
        if not len(enc) or not self.generators:
            return Candidates.empty()
        found = generate(self.cases, enc, self.generators, self.budget)
        if self.live.all():
            return found
        keep = self.live[found.case_rows]
        return Candidates(found.query_rows[keep], found.case_rows[keep], found.scores[keep])

    def _match_chunk(
        self,
        records: Sequence[Record],
        enc: Encoded,
        cands: Candidates,
        k: int,
        explain_all: bool,
    ) -> Iterator[ScoredMatch]:
        if not len(cands):
            return
        cands, comparison = self._compare(enc, cands)
        scored = self.model.score(comparison, self.tf)
        same = self._same_child(cands.query_rows, cands.case_rows, scored.probability)
        taken, claimant = self._sought_together(enc, cands, scored, same)
        scores = self.model.among_candidates(scored, cands.query_rows, same, taken)
        # what may be called `likely`: a claim may take it away (the case is likelier
        # another child of the request), never give it (the claim is itself a guess:
        # an unregistered child's namesake, its rival claimed, is no likelier his)
        decided = scores
        if taken.any():
            # a claim reorders a trace's list, never empties it: a pair that would be
            # proposed stays proposed, at `possible` at least
            free = self.model.among_candidates(scored, cands.query_rows, same)
            decided = np.minimum(scores, free)
            scores = np.maximum(scores, np.minimum(free, self.thresholds.possible))
        pairwise_bits = scored.prior_bits + scored.weights.sum(axis=1) + scored.relatives + taken
        identity = may_be_likely(comparison.levels) | (not self.model.relatives_seen)
        trusted = corroborated(scored.weights) | (
            pairwise_bits >= self.thresholds.uncorroborated_bits
        )
        proposable = self.cases.proposable[cands.case_rows]
        scores = np.where(proposable, scores, -1.0)
        # one child registered twice shares one score (`_same_child`): the registration
        # that agrees best with the trace by itself comes first
        order = np.lexsort((-scored.probability, -scores, cands.query_rows))
        q_sorted = cands.query_rows[order]
        starts = np.flatnonzero(np.r_[True, q_sorted[1:] != q_sorted[:-1]])
        ends = np.r_[starts[1:], len(order)]
        # what each record shows, worked out once a chunk (`explain`'s `sides`)
        case_sides: dict[int, dict[str, str]] = {}
        for begin, end in zip(starts, ends, strict=True):
            trace_side: dict[str, str] | None = None
            rank = 0
            for position in order[begin : min(end, begin + k)]:
                score = float(scores[position])
                likelihood = self.thresholds.likelihood(score)
                if likelihood is None:
                    break
                held = ""
                if likelihood == "likely":
                    held = self._held(
                        bool(identity[position]),
                        float(scored.probability[position]),
                        float(decided[position]),
                        bool(trusted[position]),
                    )
                    if held:
                        likelihood = "possible"
                rank += 1
                q = int(cands.query_rows[position])
                c = int(cands.case_rows[position])
                evidence: list[dict[str, Any]] = []
                if explain_all:
                    if trace_side is None:
                        trace_side = side_values(records[q], is_case=False)
                    case_side = case_sides.get(c)
                    if case_side is None:
                        case_side = case_sides[c] = side_values(self.case_records[c], is_case=True)
                    evidence = explain(
                        records[q],
                        self.case_records[c],
                        comparison.levels[position],
                        scored.weights[position],
                        scored.prior_bits,
                        _bits(score) - float(pairwise_bits[position]),
                        float(scored.relatives[position]),
                        sides=(trace_side, case_side),
                        together=(
                            float(taken[position]),
                            enc.ids[claimant[position]] if claimant[position] >= 0 else "",
                        ),
                        held=held,
                    )
                yield ScoredMatch(
                    trace_id=enc.ids[q],
                    case_id=self.cases.ids[c],
                    score=score,
                    rank=rank,
                    likelihood=likelihood,
                    evidence=evidence,
                )

    def _held(self, identity: bool, alone: float, decided: float, trusted: bool) -> str:
        """Why a pair whose score reaches `likely` is proposed as `possible` only ("" when
        it is not): the explanation says so, for the officer sees a high score."""
        if not identity:
            return HELD_IDENTITY
        if alone < self.thresholds.alone:
            return HELD_ALONE
        if decided < self.thresholds.likely:
            return HELD_CLAIMED
        if not trusted:
            return HELD_UNCORROBORATED
        return ""

    def score_pair(self, trace: Record, case: Record) -> ScoredMatch:
        """Score and explain one pair, whether or not candidate generation would find it."""
        enc = self.encoder.encode("traces", [trace])
        cenc = self.encoder.encode("cases", [case])
        comparison = compare_pairs(
            self.similarity, enc, cenc, np.zeros(1, np.int64), np.zeros(1, np.int64)
        )
        scored = self.model.score(comparison, self.tf)
        score = float(scored.probability[0])
        likelihood = self.thresholds.likelihood(score) or "below possible"
        held = ""
        if likelihood == "likely":
            levels = comparison.levels
            held = self._held(
                bool(may_be_likely(levels)[0]) or not self.model.relatives_seen,
                score,
                score,
                bool(corroborated(scored.weights)[0]) or score >= self.thresholds.uncorroborated,
            )
            if held:
                likelihood = "possible"
        evidence = explain(
            trace,
            case,
            comparison.levels[0],
            scored.weights[0],
            scored.prior_bits,
            0.0,
            float(scored.relatives[0]),
            held=held,
        )
        return ScoredMatch(
            trace_id=str(trace.get("trace_id")),
            case_id=str(case.get("case_id")),
            score=score,
            rank=0,
            likelihood=likelihood,
            evidence=evidence,
        )
