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
    # Muhammad is not Mahmoud, in Chadian, Somali or Arabic spellings
    ("Mahmoud", "Mahamad", 0),
    ("Mohamud", "Mohamed", 0),
    ("Maxamuud", "Maxamed", 0),
    ("محمود", "Mohamed", 0),
    ("Mahamoud", "Mahmud", 4),
    ("Mahamat", "محمد", 4),
    # Alina is not Olena (Elena, Alyona), nor her nickname Alinka: sisters' names
    ("Alina", "Olena", 0),
    ("Алінка", "Olena", 0),
    ("Алина", "Елена", 0),
    ("Alyona", "Олена", 4),
    ("Алина", "Alina", 4),
    # Maria is not Mariana nor Marina, though the compound María Camila opens alike
    ("Maria Camila", "Mariana", 0),
    ("Марія", "Marina", 0),
    ("Maryam", "Mariana", 0),
    ("Марія", "Mariia", 4),
    ("Мар'яна", "Maryana", 4),
    # Yulia is not Yuliana (Uliana)
    ("Yulia", "Уляна", 0),
    ("Юлія", "Yuliia", 4),
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


def test_a_name_written_in_the_other_field_is_on_both_sides() -> None:
    """Mahmoud | Mohamed Liban and Mohamed Liban | Mahmoud, fields swapped, are one
    boy: his given name Mahmoud is the other side's family name, no conflict."""
    matcher = Matcher([case(given_name="Mohamed Liban", family_name="Mahmoud")], index=False)
    enc = matcher.encoder.encode(
        "traces", [trace(given_name="Mahmoud", family_name="Mohamed Liban")]
    )
    rows = np.zeros(1, dtype=np.int64)
    assert compare_child(matcher.similarity, enc, matcher.cases, rows, rows).levels[0, 0] == 4
    # but Hassan, son of Hussein Ismail, is not his brother Cali Xuseen Ismaciil (his
    # whole name in the given-name field): Xuseen is on both sides, Hassan on one
    matcher = Matcher([case(given_name="Hassan", family_name="Hussein Ismail")], index=False)
    enc = matcher.encoder.encode("traces", [trace(given_name="Cali Xuseen Ismaciil")])
    assert compare_child(matcher.similarity, enc, matcher.cases, rows, rows).levels[0, 0] == 0
