"""The matcher's grouping of one child's two registrations."""

from __future__ import annotations

import numpy as np
from factories import case

from scoring.engine import Matcher, _both_ways


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
