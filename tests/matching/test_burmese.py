"""Burmese names read as Myanmar records spell them in Latin."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from matching.burmese import romanize
from matching.normalize import fold, name_tokens

# (Burmese, the conventional Latin spelling): one syllable a word
SPELLINGS = [
    ("မောင်မောင်", "maung maung"),  # ောင် aung
    ("ဇော်ဝင်း", "zaw win"),  # ော် aw (its asat a tone mark), a bare င် in
    ("ကျော်", "kyaw"),  # the medial ျ after k: ky
    ("ချစ်", "chit"),  # after kh: ch
    ("မြင့်", "myint"),  # ြ after m: my; a creaky nasal ends in t
    ("ညွန့်", "nyunt"),  # ွ before a nasal is the rhyme's u
    ("ထွန်း", "htun"),
    ("ဆွေ", "swe"),  # elsewhere it is a w
    ("နွယ်", "nwe"),
    ("ရွှေ", "shwe"),  # ရ with ှ: sh
    ("လှ", "hla"),  # ှ before another consonant: h first; no vowel sign: a
    ("ထက်", "htet"),
    ("ဌေး", "htay"),
    ("အေး", "aye"),
    ("ဖြိုး", "phyo"),  # ို o
    ("နိုင်", "naing"),  # ိုင် aing
    ("သိန်း", "thein"),  # ိန် ein
    ("ဒေါ်", "daw"),
    ("ဦး", "u"),  # an independent vowel
    ("ကြည်", "kyi"),
    ("နန္ဒာ", "nan da"),  # a stacked consonant closes the syllable before it
    ("အောင်ဆန်းစုကြည်", "aung san su kyi"),
]


@pytest.mark.parametrize(("burmese", "latin"), SPELLINGS)
def test_conventional_spellings(burmese: str, latin: str) -> None:
    assert fold(burmese) == latin


def test_a_burmese_name_meets_its_latin_record_word_for_word() -> None:
    assert name_tokens("ဒေါ် အေးအေးသန်း") == name_tokens("Daw Aye Aye Than")
    assert fold("Ko ကျော်ကျော်") == "ko kyaw kyaw"  # other scripts around it are kept


@given(st.text(alphabet=st.characters(min_codepoint=0x1000, max_codepoint=0x109F)))
def test_any_burmese_text_romanizes_to_ascii(text: str) -> None:
    assert romanize(text).isascii()
    assert fold(text) == fold(fold(text))
