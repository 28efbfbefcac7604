"""The matcher's grouping of one child's two registrations."""

from __future__ import annotations

import numpy as np
from factories import case

from scoring.engine import (
    HELD_UNCORROBORATED,
    Matcher,
    Thresholds,
    _both_ways,
    child_identity_agrees,
    corroborated,
    may_be_likely,
)
from scoring.features import FEATURE_INDEX, FEATURES
from scoring.model import MatchModel


def test_two_registrations_of_one_child_agree_on_the_family_name_both_ways() -> None:
    """Somali Cabdullaahi | Cabdullaahi (son of Cabdullaahi) finds his own name among
    the names of Cabdullaahi | Maxamed Guuleed, whose family name is not found in his:
    two boys, whom the same-child grouping must not merge into one."""
    matcher = Matcher(
        [
            case(case_id="C-1", given_name="Cabdullaahi", family_name="Cabdullaahi"),
            case(case_id="C-2", given_name="Cabdullaahi", family_name="Maxamed Guuleed"),
            case(case_id="C-3", given_name="Abdullahi", family_name="Cabdullaahi"),
        ],
        index=False,
    )
    one, other, again = (np.array([i]) for i in range(3))
    forward = matcher._family_levels(one, other)
    backward = matcher._family_levels(other, one)
    assert (forward[0], backward[0]) == (4, 0)
    assert _both_ways(forward, backward)[0] == 0
    # the same child written two ways agrees both ways round
    same = _both_ways(matcher._family_levels(one, again), matcher._family_levels(again, one))
    assert same[0] == 4


def test_likely_needs_a_given_name_that_agrees_or_is_missing() -> None:
    """A loosely similar given name (also a name missing its first word, which a
    sibling's may be) keeps a pair `possible`, however strong its family evidence."""

    def row(given: int) -> np.ndarray:
        levels = np.full((1, len(FEATURES)), -1, dtype=np.int8)
        levels[0, :4] = (given, 4, 3, 1)  # given, family, birth consistent, same sex
        return levels

    assert not child_identity_agrees(row(0))[0]
    assert not child_identity_agrees(row(1))[0]
    assert child_identity_agrees(row(2))[0]
    assert child_identity_agrees(row(-1))[0]


def test_likely_needs_no_parent_named_differently_unless_a_document_is_shared() -> None:
    """A namesake of the same age and town whose mother (or father) both records name,
    differently, is another family's child: `possible`, not `likely`."""

    def row(mother: int, father: int = -1, documents: int = -1) -> np.ndarray:
        levels = np.full((1, len(FEATURES)), -1, dtype=np.int8)
        levels[0, :4] = (4, 4, 3, 1)  # given, family, birth consistent, same sex
        levels[0, FEATURE_INDEX["mother"]] = mother
        levels[0, FEATURE_INDEX["father"]] = father
        levels[0, FEATURE_INDEX["documents"]] = documents
        return levels

    assert may_be_likely(row(-1))[0]  # not named on one side: no conflict
    assert may_be_likely(row(1))[0]  # partly similar
    assert not may_be_likely(row(0))[0]
    assert not may_be_likely(row(3, father=0))[0]
    assert may_be_likely(row(0, documents=2))[0]  # the child's own document, shared


def test_corroboration_is_a_weighty_agreement_a_namesake_would_not_share() -> None:
    """A mother's name, a date of birth, a document, a phone or the date of separation
    corroborate a pair when they weigh 3 bits or more; the name, the place and the
    language never do, however much they weigh."""
    weights = np.zeros((5, len(FEATURES)))
    weights[0, FEATURE_INDEX["mother"]] = 2.3  # Aisha against Aisha Haruna
    weights[1, FEATURE_INDEX["mother"]] = 4.7
    weights[2, FEATURE_INDEX["birth"]] = 6.3  # the same date of birth
    weights[3, FEATURE_INDEX["separation_date"]] = 1.7  # the week a whole town fled
    weights[4, [FEATURE_INDEX["given_name"], FEATURE_INDEX["origin"]]] = 9.0
    assert corroborated(weights).tolist() == [False, True, True, False, False]


def _anna_and_the_trace(sought: str, record: dict[str, str]) -> tuple[dict, dict]:
    """Case C-1, Anna, and trace T-1 seeking `sought` (asked 2024-04-01), both holding
    `record` besides."""
    anna = case(case_id="C-1", given_name="Anna", **record)
    return anna, dict(trace_id="T-1", given_name=sought, inquiry_date="2024-04-01", **record)


def test_likely_needs_corroboration_or_an_overwhelming_pair() -> None:
    """Anna Kovalenko, 9, of Izium, and nothing more: the namesake an unregistered
    child's family most often meets. The pair is `possible`, its evidence saying why;
    the same pair naming the same mother is `likely`, and a deployment that sets the
    bar for uncorroborated pairs lower gets it `likely` too."""
    record = dict(
        family_name="Kovalenko",
        sex="female",
        age="9",
        place_of_origin="Ukraine > Kharkiv Oblast > Izium",
    )
    anna, sought = _anna_and_the_trace("Anna", record)
    model = MatchModel(prior=0.5, fitted_on={"traces": 2500})
    mother = FEATURE_INDEX["mother"]
    model.m[mother] = np.array([0.01, 0.04, 0.15, 0.8])
    model.s[mother] = np.array([0.7, 0.2, 0.07, 0.03])  # a mother agreeing: 4.7 bits
    matcher = Matcher([anna], model=model, index=False)
    bare = matcher.score_pair(sought, anna)
    assert bare.score >= matcher.thresholds.likely and bare.likelihood == "possible"
    assert bare.evidence[-1]["feature"] == "held"
    assert bare.evidence[-1]["verdict"] == HELD_UNCORROBORATED
    named = matcher.score_pair(
        dict(sought, mother_name="Olena Kovalenko"), dict(anna, mother_name="Olena Kovalenko")
    )
    assert named.likelihood == "likely"
    assert all(e["feature"] != "held" for e in named.evidence)
    lenient = Matcher([anna], model=model, index=False, thresholds=Thresholds(uncorroborated=0.9))
    assert lenient.score_pair(sought, anna).likelihood == "likely"
    # the batch path decides as the single pair does
    stranger = case(given_name="Petro", family_name="Bondarenko", sex="male", age="3")
    indexed = Matcher([anna, stranger], model=model)
    (proposal, *_) = indexed.match([sought])
    assert proposal.case_id == "C-1"
    assert proposal.score >= indexed.thresholds.likely and proposal.likelihood == "possible"
    assert proposal.evidence[-1]["verdict"] == HELD_UNCORROBORATED


def test_two_registrations_are_one_child_only_if_every_given_word_is_found() -> None:
    """María and María José, Muhammad and Dost Mohammad, Jean and Jean-Claude are as
    often sisters and brothers as one child: `_same_child` does not merge them."""
    from scoring.engine import _every_given_word_found

    pairs = [
        (("María José", "Flores García"), ("María", "Flores García"), False),
        (("Dost Mohammad", "Ismatullah"), ("Muhammad", None), False),
        (("Jean-Claude", "Kabongo"), ("Jean", "Kabongo Kasongo"), False),
        (("Maksym", "Bondarenko"), ("Maxym", "Bondarenko"), True),
        (("Mohamed Ali", None), ("Ali", "Mohamed"), True),  # the words written elsewhere
        (("Sonya", "Kovalenko", "Sofiia"), ("Sofiia", "Kovalenko"), True),  # an alias
        (("Grâce Mavinga Bashige", None), ("Grââce", "Mavina Bashyge"), True),
        # as many words: each side's found in the other's, a nickname form counting
        (("Mohd Mohamad", "Rezaei"), ("Mohammad Shafigh", "Rezaei"), False),
        (("Sonya Maria", "Kovalenko"), ("Sofiia Maria", "Kovalenko"), True),
    ]
    records = []
    for first, second, _ in pairs:
        for given, family, *other in (first, second):
            records.append(
                case(given_name=given, family_name=family, other_names=(other or [None])[0])
            )
    matcher = Matcher(records, index=False)
    a = np.arange(0, 2 * len(pairs), 2)
    found = _every_given_word_found(matcher.similarity, matcher.cases, a, a + 1)
    assert found.tolist() == [expected for _, _, expected in pairs]


def test_the_identity_rule_guards_only_where_the_data_holds_relatives() -> None:
    """A sister shares the family's evidence, so where the EM finds relatives among the
    candidates a different given name keeps a strong pair `possible`; in a register
    with none (FEBRL's adults: the EM's share of relatives at its floor) the
    probability decides alone."""
    record = dict(
        family_name="Kovalenko",
        sex="female",
        date_of_birth="2014-03-02",
        father_name="Petro Kovalenko",
        mother_name="Olena Kovalenko",
        place_of_origin="Ukraine > Kharkiv Oblast > Kharkiv",
    )
    anna, oksana = _anna_and_the_trace("Oksana", record)
    verdicts = {}
    for share in (0.02, 1e-4):
        model = MatchModel(share_relatives=share, prior=0.3, fitted_on={"traces": 2500})
        model.m[0] = model.s[0].copy()  # the given name says nothing either way
        scored = Matcher([anna], model=model, index=False).score_pair(oksana, anna)
        assert scored.score >= 0.95
        assert scored.evidence[1]["feature"] == "given_name" and scored.evidence[1]["level"] == 0
        verdicts[model.relatives_seen] = scored.likelihood
    assert verdicts == {True: "possible", False: "likely"}
    # a model fitted on a few traces may simply have met no relatives: it keeps the guard
    few = MatchModel(share_relatives=1e-4, prior=0.3, fitted_on={"traces": 40})
    assert few.relatives_seen


def test_two_registrations_naming_different_mothers_are_not_one_child() -> None:
    """Helen, daughter of Natnael and Wintta, and Helen, daughter of Natnael and Mekdes,
    agree on everything else: half-sisters or namesakes as often as one child, so the
    same-child grouping keeps them apart; the same Helen registered twice is grouped."""
    record = dict(
        given_name="Helen",
        family_name="Natnael Dawit",
        sex="female",
        date_of_birth="2015-12-29",
        father_name="Natnael Dawit",
        place_of_origin="Eritrea > Gash-Barka > Barentu",
    )
    matcher = Matcher(
        [
            case(case_id="C-1", mother_name="Wintta", **record),
            case(case_id="C-2", mother_name="Mekdes", **record),
            case(case_id="C-3", mother_name="Wintta", **record),
        ],
        model=MatchModel(prior=0.9, share_relatives=1e-4),  # all three alike: above 0.99
        index=False,
    )
    same = matcher._same_child(np.zeros(3, np.int64), np.arange(3), np.array([0.9, 0.8, 0.7]))
    assert same.tolist() == [0, 1, 0]
