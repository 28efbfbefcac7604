"""Hassan is not Hussein: names spelled alike that `data/distinct_names.csv` keeps apart."""

from __future__ import annotations

import numpy as np
import pytest
from factories import case, trace

from matching.normalize import DISTINCT_SET, distinct_name
from scoring.engine import Matcher
from scoring.features import compare_child

PAIRS = [
    # (trace's given name, case's given name, level expected: 0 different, 4 same)
    ("Hassan", "Hussain", 0),  # as alike as two spellings of one name, by the letters
    ("Hussen", "حسن", 0),  # a Latin short-vowel spelling against unwritten short vowels
    ("Hasen", "Hussen", 0),
    ("Xasan", "Hussein", 0),
    ("Hassan", "حسين", 0),
    ("Hussein", "حسين", 4),
    ("Hasan", "حسن", 4),
    ("Hussein", "Hussain", 4),
    ("Xasan", "Hassan", 4),
    ("Hassan Hussein", "Hussein", 4),  # a name of both groups on one side is no conflict
    ("Ahmed", "Ahmad", 4),  # names in no set are judged as before
]


def test_spellings_of_one_name_share_a_group_and_the_twins_names_do_not() -> None:
    hassan, hussein = distinct_name("Hassan"), distinct_name("Hüseyin")
    assert hassan >= 0 and hussein >= 0 and hassan != hussein
    assert hassan // DISTINCT_SET == hussein // DISTINCT_SET
    assert distinct_name("HASAN") == distinct_name("حسن") == hassan
    assert distinct_name("Ahmed") == -1 and distinct_name("") == -1


@pytest.mark.parametrize(("sought", "registered", "level"), PAIRS)
def test_given_names_of_different_groups_are_different(
    sought: str, registered: str, level: int
) -> None:
    matcher = Matcher([case(given_name=registered, family_name="Najjar")], index=False)
    enc = matcher.encoder.encode("traces", [trace(given_name=sought, family_name="Najjar")])
    rows = np.zeros(1, dtype=np.int64)
    assert compare_child(matcher.similarity, enc, matcher.cases, rows, rows).levels[0, 0] == level
