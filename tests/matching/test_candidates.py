"""One contract test for every candidate generator, and FAISS against its numpy twin."""

from __future__ import annotations

import numpy as np
import pytest
from factories import case, trace

from matching.candidates import (
    Budget,
    KeyBlocker,
    NumpyIndex,
    VectorBlocker,
    faiss_index,
    generate,
)
from matching.encode import Encoded, Encoder

CASES = [
    case(given_name="Oleksandr", family_name="Kovalenko", mother_name="Olena Kovalenko"),
    case(given_name="Dmytro", family_name="Kovalenko", mother_name="Olena Kovalenko"),
    case(given_name="Mohammed", family_name="Al-Hassan", father_name="Ahmed Al-Hassan"),
    case(given_name="Maria Jose", family_name="Garcia Lopez"),
    case(given_name="Deng", family_name="Garang"),
    case(given_name=None, family_name=None),
]
TRACES = [
    trace(given_name="Олександр", family_name="Коваленко"),
    trace(given_name="Sasha", family_name=None, mother_name="Olena Kovalenko"),
    trace(given_name="Muhammad", family_name="Hassan"),
    trace(given_name="Mariajose", family_name="Garcia"),
    trace(given_name=None, family_name=None),
]


def _setup():
    encoder = Encoder()
    cases = encoder.encode("cases", CASES)
    traces = encoder.encode("traces", TRACES)
    return encoder, cases, traces


def generators(cases, vocabulary):
    return [
        KeyBlocker(cases, vocabulary),
        VectorBlocker(cases, vocabulary, use_faiss=True),
        VectorBlocker(cases, vocabulary, use_faiss=False),
    ]


@pytest.mark.parametrize("which", range(3))
@pytest.mark.parametrize("k", [1, 3, 50])
def test_generator_contract(which, k):
    encoder, cases, traces = _setup()
    gen = generators(cases, encoder.vocabulary)[which]
    found = gen.candidates(traces, k)
    pairs = list(zip(found.query_rows.tolist(), found.case_rows.tolist(), strict=True))
    assert len(pairs) == len(set(pairs)), "no duplicate pairs"
    assert all(0 <= q < len(traces) and 0 <= c < len(cases) for q, c in pairs)
    for q in set(found.query_rows.tolist()):
        mine = found.scores[found.query_rows == q]
        assert len(mine) <= k
        assert np.all(np.diff(mine) <= 1e-6), "ranked best first"
    nameless = len(TRACES) - 1
    assert nameless not in found.query_rows.tolist() or which == 0
    empty = Encoder().encode("traces", [])
    assert len(gen.candidates(empty, k)) == 0


def test_union_respects_budgets_and_finds_the_hard_ones():
    encoder, cases, traces = _setup()
    budget = Budget(keys=3, vectors=2)
    found = generate(cases, traces, generators(cases, encoder.vocabulary)[:2], budget)
    pairs = set(zip(found.query_rows.tolist(), found.case_rows.tolist(), strict=True))
    assert len(pairs) == len(found)
    counts = np.bincount(found.query_rows, minlength=len(traces))
    assert counts.max() <= budget.total
    assert (0, 0) in pairs  # Cyrillic -> Latin
    assert (1, 0) in pairs  # nickname with the mother's name as family key
    assert (2, 2) in pairs  # Muhammad / Mohammed, Al-Hassan / Hassan
    assert (3, 3) in pairs  # compound given name written together


def test_faiss_agrees_with_brute_force():
    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(500, 16)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    queries = vectors[:20] + 0.01 * rng.normal(size=(20, 16)).astype(np.float32)
    s1, i1 = faiss_index(vectors).search(queries, 5)
    s2, i2 = NumpyIndex(vectors).search(queries, 5)
    assert np.array_equal(i1, i2)
    assert np.allclose(s1, s2, atol=1e-5)


def test_key_products_are_scipys_ranked_with_ties_by_case():
    """The compiled product and top k give scipy's sums (float32, to the bit), each
    row's k best, best first, a tie going to the lower case row; the postings of cases
    added after the build (walked apart) count as if they had been there all along."""
    from scipy import sparse

    from matching.candidates import _scratch, _top_k_products

    rng = np.random.default_rng(4)
    weights = rng.choice([0.5, 1.25, 2.0], size=30).astype(np.float32)  # many ties
    queries = sparse.random(40, 30, density=0.2, random_state=1, dtype=np.float32).tocsr()
    queries.data = weights[queries.indices]
    postings = sparse.csr_matrix((rng.random((30, 200)) < 0.1).astype(np.float32))
    product = (queries @ postings).toarray()
    built = postings[:, :150].tocsr()
    later = postings.toarray()[:25, :]  # cases 150+ came after the build, with 25 keys
    later[:, :150] = 0
    added = sparse.csr_matrix(later)
    late = postings.toarray()[25:, 150:]
    product -= queries[:, 25:].toarray() @ np.pad(late, ((0, 0), (150, 0)))  # keys 25+ unseen
    for k in (1, 5, 500):
        q, c, s = _top_k_products(
            queries.indptr.astype(np.int64),
            queries.indices.astype(np.int64),
            queries.data,
            np.ones(len(queries.data), dtype=np.int8),
            built.indptr.astype(np.int64),
            built.indices.astype(np.int64),
            added.indptr.astype(np.int64),
            added.indices.astype(np.int64),
            k,
            0,
            0,
            *_scratch(200),
        )
        expected = []
        for row in range(40):
            found = [(-product[row, case], case) for case in np.flatnonzero(product[row])]
            expected += [(row, case, -score) for score, case in sorted(found)[:k]]
        got = list(zip(q.tolist(), c.tolist(), s.tolist(), strict=True))
        assert got == [(r, int(case), float(np.float32(v))) for r, case, v in expected]
        assert len(got) > 0
        # the accumulators this thread keeps for the next call come back cleared
        sums, own_sums, seen, _, facts, fact_sums = _scratch(200)
        assert not sums.any() and not own_sums.any() and not seen.any() and not facts.any()
        assert not fact_sums.any()


def _clustered(n: int, dim: int, seed: int) -> np.ndarray:
    """Unit vectors in tight clusters, as names' n-gram vectors are (spelling variants)."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(n // 20, dim))
    vectors = centres[rng.integers(0, len(centres), n)] + 0.3 * rng.normal(size=(n, dim))
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors.astype(np.float32)


def test_inverted_file_finds_what_exact_search_finds():
    """Above its size limit the index is approximate (IVF): measured against the exact
    twin it keeps nearly all of each query's exact neighbours, and it is reproducible."""
    import faiss

    vectors = _clustered(6000, 24, seed=1)
    queries = vectors[:300] + 0.05 * np.random.default_rng(2).normal(size=(300, 24)).astype(
        np.float32
    )
    approximate = faiss_index(vectors, approximate_above=1000, seed=3)
    assert isinstance(approximate, faiss.IndexIVFFlat)
    assert isinstance(faiss_index(vectors), faiss.IndexFlatIP)  # exact below the limit
    _, exact = NumpyIndex(vectors).search(queries, 20)
    sims, found = approximate.search(queries, 20)
    kept = np.mean([len(set(a) & set(b)) / 20 for a, b in zip(exact, found, strict=True)])
    assert kept >= 0.95
    assert np.all(np.diff(sims, axis=1) <= 1e-6), "ranked best first"
    again = faiss_index(vectors, approximate_above=1000, seed=3).search(queries, 20)[1]
    assert np.array_equal(again, found), "the same vectors and seed give the same index"


def test_an_inverted_file_index_is_saved_and_loaded_as_it_was(tmp_path):
    """Large stores persist an IVF index (`faiss.write_index`): it must come back with
    its probes, answering exactly as before."""
    from matching import persist

    encoder, cases, traces = _setup()
    blocker = VectorBlocker(cases, encoder.vocabulary)
    vectors = blocker.embed(cases)
    blocker._index = faiss_index(np.tile(vectors, (40, 1)), approximate_above=10)
    persist.save_vector_blocker(blocker, tmp_path)
    loaded = persist.load_vector_blocker(tmp_path, encoder.vocabulary)
    assert loaded._index.nprobe == blocker._index.nprobe
    before = blocker._index.search(blocker.embed(traces), 5)
    after = loaded._index.search(loaded.embed(traces), 5)
    assert np.array_equal(before[1], after[1])
    assert np.array_equal(before[0], after[0])


def test_family_keys_meet_under_every_reading_of_the_letters():
    """A father written in Somali orthography finds the case that spells him in English."""
    encoder = Encoder()
    cases = encoder.encode(
        "cases",
        [
            case(given_name="Hodan", father_name="Mohamed Abdullahi Hassan"),
            case(given_name="Hodan", father_name="Yusuf Warsame"),
        ],
    )
    blocker = KeyBlocker(cases, encoder.vocabulary)
    traces = encoder.encode("traces", [trace(given_name="Ubax", father_name="Maxamed Cabdulaahi")])
    found = blocker.candidates(traces, k=5)
    assert found.case_rows.tolist() == [0]


def test_a_common_given_name_is_narrowed_by_its_place():
    """Among a hundred Mohammeds, the one from the town the trace names ranks first."""
    towns = [f"Sudan > Region {i} > Town {chr(65 + i % 26)}{i}" for i in range(99)]
    encoder = Encoder()
    cases = encoder.encode(
        "cases",
        [case(given_name="Mohammed", place_of_origin=town) for town in towns]
        + [case(given_name="Mohammed", place_of_origin="Sudan > North Darfur > El Fasher")],
    )
    blocker = KeyBlocker(cases, encoder.vocabulary)
    traces = encoder.encode(
        "traces",
        [trace(given_name="محمد", place_of_origin="السودان > شمال دارفور > الفاشر")],
    )
    found = blocker.candidates(traces, k=5)
    assert found.case_rows[:1].tolist() == [99]


def test_an_estimated_age_narrows_a_common_name_by_birth_year():
    """Among sixty older Mohammeds, the one whose estimated age fits ranks first: an
    estimated age still gives birth-year keys (about the middle of what it allows)."""
    encoder = Encoder()
    cases = encoder.encode(
        "cases",
        [case(given_name="Mohammed", age="16", age_estimated="true") for _ in range(60)]
        + [case(given_name="Mohammed", age="6", age_estimated="true")],
    )
    blocker = KeyBlocker(cases, encoder.vocabulary)
    traces = encoder.encode("traces", [trace(given_name="Muhammad", age="5", age_estimated="true")])
    found = blocker.candidates(traces, k=5)
    assert found.case_rows[:1].tolist() == [60]


def test_a_common_name_is_narrowed_by_the_fortnight_of_separation():
    """Among sixty Mohammeds separated in other months, the one separated within the
    weeks the family recalls ranks first, across a month's end."""
    encoder = Encoder()
    months = [f"2021-{m:02d}-10" for m in range(1, 13)] + [f"2022-{m:02d}-10" for m in range(1, 13)]
    cases = encoder.encode(
        "cases",
        [case(given_name="Mohammed", separation_date=months[i % 24]) for i in range(60)]
        + [case(given_name="Mohammed", separation_date="2023-06-02")],
    )
    blocker = KeyBlocker(cases, encoder.vocabulary)
    traces = encoder.encode("traces", [trace(given_name="Muhammad", separation_date="2023-05-27")])
    found = blocker.candidates(traces, k=5)
    assert found.case_rows[:1].tolist() == [60]


def _indexed(cases: list[dict], sought: dict) -> tuple[KeyBlocker, Encoded]:
    """A key index of `cases` and the trace `sought`, encoded with one vocabulary."""
    encoder = Encoder()
    blocker = KeyBlocker(encoder.encode("cases", cases), encoder.vocabulary)
    return blocker, encoder.encode("traces", [sought])


def test_places_kept_for_the_child_s_own_keys_find_him_among_his_mother_s_namesakes():
    """Ahmed El Ali is a name too common to rank by. Ten cases share the trace's
    mother's name and phone; the boy born the day the child sought was, registered
    without his mother, shares the date only. The total ranks the ten first; the
    places kept for the child's own keys find him."""
    others = "Omar Yusuf Hassan Khalid Samir Bilal Tariq Nabil Karim Walid".split()
    family = dict(mother_name="Fatima Ibrahim Elali", identifiers="phone:+963943926159")
    blocker, traces = _indexed(
        [case(given_name="Ahmed", family_name="Elali") for _ in range(300)]
        + [case(given_name=name, family_name="Saleh", **family) for name in others]
        + [case(given_name="Ahmet", family_name="Elali", date_of_birth="2010-11-08")],
        trace(
            given_name="Ahmed",
            family_name="El Ali",
            date_of_birth="2010-11-08",
            mother_name="Fatıma İbrahim Elali",
            identifiers="phone:+963 943 926 159",
        ),
    )
    assert 310 not in blocker.candidates(traces, k=5).case_rows.tolist()
    assert 310 in blocker.candidates(traces, k=5, k_own=2).case_rows.tolist()


def test_places_kept_for_shared_facts_find_a_child_registered_under_a_nickname():
    """Divine, registered with her date of birth and her town only, is sought as Divi
    Iradukunda with her parents: forty Divis of the same family and town outrank her
    on the total, and a nickname shares no name key. She shares the date of birth:
    the places kept for cases sharing a fact find her, and cost nothing where the
    total keeps every case already."""
    place = "Burundi > Bujumbura Mairie > Bujumbura"
    blocker, traces = _indexed(
        [
            case(given_name="Divi", family_name="Iradukunda", place_of_origin=place)
            for _ in range(40)
        ]
        + [case(given_name="Divine", date_of_birth="2019-05-20", place_of_origin="Kigali")],
        trace(
            given_name="Divi",
            family_name="Iradukunda",
            date_of_birth="2019-05-20",
            mother_name="Claudine Ndayishimiye",
            place_of_origin=place,
        ),
    )
    _found_by_the_place_kept_for_facts(blocker, traces, 40, k_own=2)
    found = blocker.candidates(traces, k=5, k_own=2, k_fact=1)
    assert found.case_rows.tolist().count(40) == 1
    assert len(found) == 8
    assert len(blocker.candidates(traces, k=50, k_own=2, k_fact=1)) == 41


def test_a_town_and_fortnight_of_separation_find_a_child_of_another_name():
    """Mamuda (a Hausa form of Muhammad) separated in Kolofata on 1 February is
    registered as Mohamed, separated there two days later: no name key is shared,
    but the town and the fortnight of separation are, a fact few children share. The
    key adds nothing to the total (the Musas, sharing the family name, rank first),
    but the places kept for cases sharing a fact find him."""
    blocker, traces = _indexed(
        [
            case(given_name=f"Child{i}", family_name="Musa", separation_date="2015-06-01")
            for i in range(10)
        ]
        + [case(given_name="Mohamed", place_of_origin="Kolofata", separation_date="2015-02-03")],
        trace(
            given_name="Mamuda",
            family_name="Musa",
            place_of_origin="Cameroon > Kolofata",
            separation_date="2015-02-01",
        ),
    )
    _found_by_the_place_kept_for_facts(blocker, traces, 10, k_own=2)


def _found_by_the_place_kept_for_facts(
    blocker: KeyBlocker, traces: Encoded, row: int, k_own: int
) -> None:
    """Case `row` is not among the trace's best by keys, and takes the one place kept
    for the cases sharing a fact."""
    assert row not in blocker.candidates(traces, k=5, k_own=k_own).case_rows.tolist()
    found = blocker.candidates(traces, k=5, k_own=k_own, k_fact=1)
    assert found.case_rows[-1] == row


def test_a_shared_phone_comes_before_the_children_separated_there_then():
    """Pappu Ahmed's family gives its phone, written locally; Muhammad Bilal is
    registered with it in the international form, and shares no name. Forty Ahmeds
    of the same parents' names, separated in Nowshera that fortnight, share the town
    and fortnight (a fact) and the names, and so outrank him on the total; the phone,
    which only he holds, puts him first among the cases sharing a fact."""
    family = {"father_name": "Muhammad Ali Ahmed", "mother_name": "Kiran Qureshi"}
    ahmeds = {"family_name": "Ahmed", "separation_place": "Pakistan > Nowshera", **family}
    strangers = [case(given_name=f"Other{i}", family_name=f"Family{i}") for i in range(400)]
    registered = case(
        given_name="Muhammad Bilal",
        separation_place="Pakistan > Nowshera",
        separation_date="2022-10-12",
        identifiers="phone:+92858802933",
    )
    blocker, traces = _indexed(
        strangers
        + [case(given_name=f"Child{i}", separation_date="2022-10-10", **ahmeds) for i in range(40)]
        + [registered],
        trace(
            given_name="Pappu",
            separation_date="2022-10-09",
            identifiers="phone:0858802933",
            **ahmeds,
        ),
    )
    _found_by_the_place_kept_for_facts(blocker, traces, 440, k_own=0)


def test_a_mother_in_her_town_finds_the_child_whatever_its_name():
    """A trace naming only the mother and the town finds the case with both, though
    sixty other cases name a mother Fatima (too common a key to rank anybody)."""
    encoder = Encoder()
    towns = [f"Sudan > Region {i} > Town {chr(65 + i % 26)}{i}" for i in range(60)]
    cases = encoder.encode(
        "cases",
        [case(given_name="Amna", mother_name="Fatima", place_of_origin=town) for town in towns]
        + [case(given_name="Nuur", mother_name="Fatima", place_of_origin="Sudan > Omdurman")],
    )
    blocker = KeyBlocker(cases, encoder.vocabulary)
    traces = encoder.encode(
        "traces",
        [trace(given_name=None, mother_name="Fatuma", place_of_origin="Soudan > Omdourman")],
    )
    found = blocker.candidates(traces, k=5)
    assert found.case_rows[:1].tolist() == [60]


def test_a_shortened_name_meets_its_full_form_in_the_town_by_its_opening():
    """Gulê Ahmed of Halabja is Gulistan, registered with her town alone: no name key
    is shared (the nickname table lacks the pair), but the opening of the name within
    the town is, and the town's children of other names rank below her."""
    place = "Iraq > Sulaymaniyah > Halabja"
    blocker, traces = _indexed(
        [case(given_name=name, place_of_origin=place) for name in ("Nesrin", "Hevi", "Zozan")]
        + [case(given_name="Gulistan", place_of_origin="Halabja")],
        trace(given_name="Gulê", family_name="Ahmed", place_of_origin=place),
    )
    found = blocker.candidates(traces, k=1)
    assert found.case_rows.tolist() == [3]
