"""Properties of the comparators: range, symmetry, identity, missing is neutral,
and the vectorised path equals an obviously correct scalar reference."""

from __future__ import annotations

import datetime as dt

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from rapidfuzz.distance import JaroWinkler

from matching.encode import PAD
from scoring.comparators import (
    TokenSimilarity,
    compare_birth,
    compare_chronology,
    compare_dates,
    compare_masks,
    compare_record_dates,
    compare_sets,
    compare_sex,
    one_slip_apart,
    person_levels,
    person_similarity,
    short_form,
)

WORDS = ["anna", "hanna", "oleksandr", "aleksandr", "mohammed", "muhammad", "deng", "garang"]
SIM = TokenSimilarity(list(WORDS))
token_rows = st.lists(st.integers(0, len(WORDS) - 1), min_size=0, max_size=4, unique=True)


def _pad(rows: list[list[int]], width: int = 4) -> np.ndarray:
    return np.array([r + [PAD] * (width - len(r)) for r in rows], dtype=np.int32)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(token_rows, token_rows), min_size=1, max_size=8))
def test_token_similarity_matches_scalar_reference(rows):
    a = _pad([r[0] for r in rows])
    b = _pad([r[1] for r in rows])
    fast = SIM.pairwise(a, b)
    for p, (ra, rb) in enumerate(rows):
        for i in range(4):
            for j in range(4):
                if i < len(ra) and j < len(rb):
                    expected = JaroWinkler.normalized_similarity(WORDS[ra[i]], WORDS[rb[j]])
                    assert abs(fast[p, i, j] - expected) < 1e-6
                    assert 0.0 <= fast[p, i, j] <= 1.0
                else:
                    assert fast[p, i, j] == -1.0


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(token_rows, token_rows), min_size=1, max_size=8))
def test_person_similarity_range_identity_and_missing(rows):
    a = _pad([r[0] for r in rows])
    b = _pad([r[1] for r in rows])
    sim = person_similarity(SIM, a, b)
    same = person_similarity(SIM, a, a)
    for p, (ra, rb) in enumerate(rows):
        if not ra or not rb:
            assert sim[p] == -1.0  # missing: neutral
            assert person_levels(sim[p : p + 1])[0] == -1
        else:
            assert 0.0 <= sim[p] <= 1.0 + 1e-6
            assert abs(same[p] - 1.0) < 1e-6  # identity scores highest
            assert sim[p] <= same[p] + 1e-6


SHORT_WORDS = ["veronika", "nika", "ivan", "vania", "abdi", "abdillahi", "ali", "khalil", "esther"]
SHORT_SIM = TokenSimilarity(list(SHORT_WORDS))
short_rows = st.lists(st.integers(0, len(SHORT_WORDS) - 1), min_size=0, max_size=3, unique=True)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(short_rows, short_rows), min_size=1, max_size=8))
def test_short_forms_matches_the_scalar_rule_both_ways_round(rows):
    """The compiled pass equals `short_form` over every word pair, is symmetric, and
    a word is no shortening of itself (missing words: never a short form)."""
    a = _pad([r[0] for r in rows], 3)
    b = _pad([r[1] for r in rows], 3)
    fast = SHORT_SIM.short_forms(a, b)
    assert np.array_equal(fast, SHORT_SIM.short_forms(b, a))
    assert not SHORT_SIM.short_forms(a, a).any() or any(len(r[0]) > 1 for r in rows)
    for p, (ra, rb) in enumerate(rows):
        expected = any(short_form(SHORT_WORDS[x], SHORT_WORDS[y]) for x in ra for y in rb)
        assert fast[p] == expected


def test_a_short_form_opens_within_the_other_name() -> None:
    assert short_form("nika", "veronika") and short_form("veronika", "nika")
    assert short_form("vania", "ivan")  # the nickname may be the longer
    assert short_form("nastia", "anastasiia")
    assert short_form("abdi", "abdillahi")  # short, and opening as the full name does
    assert not short_form("abdullah", "abdulaziz")  # brothers: both long, one opening
    assert not short_form("mohammed", "mahmoud")  # one skeleton, told apart on purpose
    assert not short_form("ivan", "ivan")
    assert not short_form("esther", "furaha")
    assert not short_form("mo", "mohamed")  # under three letters says nothing
    assert not short_form("ivan3", "ivan")  # not a name's word


dates = st.floats(-5000, 20000, allow_nan=False)


@settings(max_examples=100, deadline=None)
@given(
    dates,
    st.floats(0, 800),
    dates,
    st.floats(0, 800),
    st.booleans(),
    st.floats(0, 0.5),
    st.floats(0, 0.5),
)
def test_birth_symmetric_and_identity(lo_a, w_a, lo_b, w_b, exact, share_a, share_b):
    # an estimate's slack is part of the interval's width, on each side
    a = (np.array([lo_a]), np.array([lo_a + w_a]), np.array([exact]))
    b = (np.array([lo_b]), np.array([lo_b + w_b]), np.array([exact]))
    # (the widths as stored: a width below the dates' precision is none)
    s_a, s_b = share_a * (a[1] - a[0]), share_b * (b[1] - b[0])
    forward = compare_birth(*a, *b, s_a, s_b)[0]
    backward = compare_birth(*b, *a, s_b, s_a)[0]
    assert forward == backward
    assert 0 <= forward <= 8
    assert compare_birth(*a, *a, s_a, s_a)[0] >= 6
    # estimates on both sides are never more lenient than end to end
    assert forward <= compare_birth(*a, *b)[0]


def test_two_estimates_are_not_consistent_four_years_apart() -> None:
    """8 (a guess) in June 2019 and 10 (a guess) in September 2017, that is nearly 12 at
    the inquiry: end to end the two guesses overlapped; as independent errors they are
    at best within a year. Two guesses two years apart still agree, and one guess
    against a known age keeps its whole slack."""
    from matching.encode import birth_range

    def level(t: tuple, c: tuple) -> int:
        (lo_t, hi_t, slack_t), (lo_c, hi_c, slack_c) = birth_range(*t), birth_range(*c)
        no = np.array([False])
        return int(
            compare_birth(
                np.array([lo_t]),
                np.array([hi_t]),
                no,
                np.array([lo_c]),
                np.array([hi_c]),
                no,
                np.array([slack_t]),
                np.array([slack_c]),
            )[0]
        )

    guessed = (None, "8", "2019-06-28", True)
    assert level(guessed, (None, "10", "2017-09-11", True)) <= 3  # within a year at best
    # 10 or 11 then: consistent, but only at the edge of the guess's margin
    assert level(guessed, (None, "9", "2017-09-11", False)) == 4
    # two years apart: within the two guesses' margin
    assert level(guessed, (None, "8", "2017-09-11", True)) == 5
    # the same age as written, two years on, when both were guessed
    assert level(guessed, (None, "6", "2017-09-11", True)) == 6


def test_birth_missing_is_neutral_and_ages_grow():
    nan = np.array([np.nan])
    one = np.array([100.0])
    no = np.array([False])
    assert compare_birth(nan, nan, no, one, one, no)[0] == -1
    # age 7 at inquiry, 8 months later the same child is 7 or 8: consistent intervals
    from matching.encode import birth_interval

    t = birth_interval(None, "7", "2024-01-10", False)
    c = birth_interval(None, "8", "2024-09-10", False)
    level = compare_birth(
        np.array([t[0]]), np.array([t[1]]), no, np.array([c[0]]), np.array([c[1]]), no
    )[0]
    assert level == 6


def _days(text: str) -> float:
    return float(dt.date.fromisoformat(text).toordinal() - dt.date(1970, 1, 1).toordinal())


def test_a_date_of_birth_written_with_one_slip_is_its_own_level() -> None:
    """A digit mistyped (2012-11-09 / 2012-12-09, 2013 / 2015) or day and month
    swapped is one slip: between "consistent" and the same date, whatever the gap in
    days. Dates apart in two places, or estimated, are not; the same date stays 8.
    Two dates written on other days within a year are their own level (2), below an
    age a year off."""

    def level(a: str, b: str, exact: bool = True) -> int:
        x, y, flag = np.array([_days(a)]), np.array([_days(b)]), np.array([exact])
        return int(compare_birth(x, x, flag, y, y, flag)[0])

    assert level("2012-11-09", "2012-12-09") == 7  # month
    assert level("2012-11-09", "2012-11-19") == 7  # day
    assert level("2012-11-12", "2012-11-21") == 7  # two digits swapped
    assert level("2012-11-09", "2012-11-27") == 2  # another day of the month
    assert level("2013-06-21", "2015-06-21") == 7  # year: two years apart
    assert level("2014-03-04", "2014-04-03") == 7  # day and month swapped
    assert level("2012-11-09", "2012-11-09") == 8
    assert level("2012-11-09", "2013-10-10") == 2  # three places: within a year
    assert level("2012-11-09", "2014-10-10") == 1  # within three years
    assert level("2012-11-09", "2012-12-09", exact=False) == 3  # estimates: within a year


def _slipped(a: dt.date, how: str, at: int, digit: int, other: dt.date) -> dt.date:
    """`a` written with one slip of the kind `how` (where that is a real date), else
    `other`: random pairs of dates are almost never a slip apart."""
    text = a.strftime("%Y%m%d")
    if how == "digit":
        text = text[:at] + str(digit) + text[at + 1 :]
    elif how == "neighbours" and at < 7:
        text = text[:at] + text[at + 1] + text[at] + text[at + 2 :]
    elif how == "day and month":
        text = text[:4] + text[6:] + text[4:6]
    else:
        return other
    try:
        slipped = dt.date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError:
        return other
    return slipped if 1900 <= slipped.year <= 2099 else other


years = st.dates(dt.date(1900, 1, 1), dt.date(2099, 12, 31))


@settings(max_examples=300, deadline=None)
@given(
    years,
    st.sampled_from(["digit", "neighbours", "day and month", "any"]),
    st.integers(0, 7),
    st.integers(0, 9),
    years,
)
def test_one_slip_apart_matches_its_definition(a, how, at, digit, other):
    b = _slipped(a, how, at, digit, other)
    epoch = dt.date(1970, 1, 1).toordinal()
    x, y = np.array([float(a.toordinal() - epoch)]), np.array([float(b.toordinal() - epoch)])
    da, db = a.strftime("%Y%m%d"), b.strftime("%Y%m%d")
    differ = [i for i in range(8) if da[i] != db[i]]
    crossed = (
        len(differ) == 2
        and differ[1] == differ[0] + 1
        and (da[differ[0]], da[differ[1]]) == (db[differ[1]], db[differ[0]])
    )
    swapped = a.year == b.year and a.month == b.day and a.day == b.month
    assert bool(one_slip_apart(x, y)[0]) == (len(differ) == 1 or crossed or swapped)
    assert one_slip_apart(x, y)[0] == one_slip_apart(y, x)[0]


@given(st.integers(0, 2), st.integers(0, 2))
def test_sex_symmetric_and_missing_neutral(a, b):
    x, y = np.array([a], np.int8), np.array([b], np.int8)
    assert compare_sex(x, y)[0] == compare_sex(y, x)[0]
    if a == 0 or b == 0:
        assert compare_sex(x, y)[0] == -1
    else:
        assert compare_sex(x, y)[0] == int(a == b)


@given(st.integers(0, 2**62), st.integers(0, 2**62))
def test_masks_symmetric(a, b):
    x, y = np.array([a], np.int64), np.array([b], np.int64)
    assert compare_masks(x, y)[0] == compare_masks(y, x)[0]
    if a and b:
        assert compare_masks(x, x)[0] == 1


def test_identifier_sets():
    a = [frozenset({"380501234567"}), frozenset(), frozenset({"x1"})]
    b = [frozenset({"380501234567", "p9"}), frozenset({"y"}), frozenset({"y2"})]
    assert compare_sets(a, b).tolist() == [1, -1, 0]


def test_a_first_of_january_with_no_word_on_estimation_stands_for_its_year() -> None:
    """Registrars write 1 January where only the year is known: two children "born
    2004-01-01" are not twins, and the same child born 2004-09-25 is consistent."""
    from matching.encode import birth_interval, placeholder_birth_date

    assert placeholder_birth_date("2004-01-01", None)
    assert not placeholder_birth_date("2004-01-01", False)  # said to be exact
    assert not placeholder_birth_date("2004-01-01", True)  # estimated: widened already
    assert not placeholder_birth_date("2004-03-15", None)

    def level(a: tuple[str, bool], b: tuple[str, bool]) -> int:
        ia = birth_interval(a[0], None, None, False, a[1])
        ib = birth_interval(b[0], None, None, False, b[1])
        exact_a, exact_b = np.array([not a[1]]), np.array([not b[1]])
        return int(
            compare_birth(
                np.array([ia[0]]), np.array([ia[1]]), exact_a,
                np.array([ib[0]]), np.array([ib[1]]), exact_b,
            )[0]
        )  # fmt: skip

    assert level(("2004-01-01", True), ("2004-01-01", True)) == 6  # consistent, no more
    assert level(("2004-01-01", True), ("2004-09-25", False)) == 6
    assert level(("2004-01-01", False), ("2004-01-01", False)) == 8  # a real date: twins


@given(st.one_of(st.just(np.nan), dates), st.one_of(st.just(np.nan), dates))
def test_separation_dates_symmetric_identity_highest_missing_neutral(a, b):
    x, y = np.array([a]), np.array([b])
    level = compare_dates(x, y)[0]
    assert level == compare_dates(y, x)[0]
    if np.isnan(a) or np.isnan(b):
        assert level == -1
    else:
        assert 0 <= level <= compare_dates(x, x)[0] == 4
        assert (level == 4) == (a == b)


maybe_dates = st.one_of(st.just(np.nan), dates)


@given(maybe_dates, maybe_dates, maybe_dates, maybe_dates)
def test_chronology_symmetric_and_missing_neutral(rec_a, sep_a, rec_b, sep_b):
    a, b = (np.array([rec_a]), np.array([sep_a])), (np.array([rec_b]), np.array([sep_b]))
    level = compare_chronology(*a, *b)[0]
    assert level == compare_chronology(*b, *a)[0]
    if np.isnan(sep_a) and np.isnan(sep_b):
        assert level == -1
    # a record made after its own separation is in order with itself
    if not np.isnan(rec_a) and not np.isnan(sep_a) and rec_a >= sep_a:
        assert compare_chronology(*a, *a)[0] == 1


def test_a_child_registered_before_the_family_was_separated_is_out_of_order():
    day = 19000.0
    registered, inquired = np.array([day]), np.array([day + 400])
    separated = np.array([day + 200])
    unknown = np.array([np.nan])
    assert compare_chronology(inquired, separated, registered, unknown)[0] == 0
    assert compare_chronology(inquired, separated, registered + 250, unknown)[0] == 1
    # asked in January about a child separated in June
    assert compare_chronology(registered, unknown, inquired, separated + 300)[0] == 0


@given(maybe_dates, maybe_dates, maybe_dates, maybe_dates)
def test_record_dates_symmetric_and_only_without_dates_of_separation(rec_a, sep_a, rec_b, sep_b):
    a, b = (np.array([rec_a]), np.array([sep_a])), (np.array([rec_b]), np.array([sep_b]))
    level = compare_record_dates(*a, *b)[0]
    assert level == compare_record_dates(*b, *a)[0]
    if not (np.isnan(sep_a) and np.isnan(sep_b)) or np.isnan(rec_a) or np.isnan(rec_b):
        assert level == -1
    else:
        assert 0 <= level <= 4
        assert (level == 4) == (abs(rec_a - rec_b) <= 31)
