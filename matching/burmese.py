"""Burmese script to the Latin spellings Myanmar names are written with.

anyascii reads Burmese letter by letter (မောင် -> mean, ကျော် -> kyea, ဝင်း -> vn), which
no record spells. Myanmar names are written in Latin syllable by syllable, by
convention rather than by a standard (Maung, Kyaw, Myint, Htet, Win, Nyunt, Aye), and
each syllable is usually a word of its own: မောင်မောင် is Maung Maung, ဇော်ဝင်း Zaw Win.
This module writes those conventional spellings: the syllable's onset (its consonant
with the medials ျ ြ ွ ှ: Ky, Ch, My, Hl, Sh), then its rhyme (vowel signs and final
consonant together: ောင် aung, ိုင် aing, ိန် ein, က် et, ွန် un), a creaky tone on a final
nasal written as t (မြင့် Myint, ညွန့် Nyunt), other tone marks dropped. Syllables are
separated by spaces; a Latin record that joins two (Thida for သီတာ) meets them through
the comparators' joins, as Gul Ahmad meets Gulahmad.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

BURMESE = re.compile("[\u1000-\u109f]")
_RUN = re.compile("[\u1000-\u109f]+")

_ONSETS = {
    "က": "k", "ခ": "kh", "ဂ": "g", "ဃ": "g", "င": "ng", "စ": "s", "ဆ": "s", "ဇ": "z",
    "ဈ": "z", "ည": "ny", "ဉ": "ny", "ဋ": "t", "ဌ": "ht", "ဍ": "d", "ဎ": "d", "ဏ": "n",
    "တ": "t", "ထ": "ht", "ဒ": "d", "ဓ": "d", "န": "n", "ပ": "p", "ဖ": "ph", "ဗ": "b",
    "ဘ": "b", "မ": "m", "ယ": "y", "ရ": "y", "လ": "l", "ဝ": "w", "သ": "th", "ဟ": "h",
    "ဠ": "l", "အ": "",
}  # fmt: skip
# with the medial ျ or ြ: ကျ Kyaw, ချ Chit, မြ Myint, ဖြ Phyo
_Y_ONSETS = {"k": "ky", "kh": "ch", "g": "gy", "p": "py", "ph": "phy", "b": "by", "m": "my"}
_INDEPENDENT = {"ဣ": "i", "ဤ": "i", "ဥ": "u", "ဦ": "u", "ဧ": "e", "ဩ": "aw", "ဪ": "aw"}
# a final consonant (with the asat ်) and no vowel sign
_BARE_FINALS = {
    "က": "et", "င": "in", "စ": "it", "ည": "i", "ဉ": "in", "တ": "at", "န": "an",
    "ပ": "at", "မ": "an", "ယ": "e", "ဏ": "an", "လ": "an",
}  # fmt: skip
_NASALS = frozenset("ငညဉနမဏ")
_STOPS = frozenset("ကစတပ")
_MEDIALS = frozenset("ျြွှ")
_SIGNS = frozenset("ါာိီုူေဲ")
_ASAT, _VIRAMA, _ANUSVARA, _CREAKY, _HIGH = "်", "္", "ံ", "့", "း"


@dataclass
class _Syllable:
    onset: str  # a consonant letter, an independent vowel, or "" for none
    medials: str = ""
    signs: str = ""
    final: str = ""
    nasal: bool = False  # the anusvara ံ
    creaky: bool = False  # the dot below ့


def _syllables(run: str) -> list[_Syllable]:
    found: list[_Syllable] = []
    i, n = 0, len(run)
    while i < n:
        ch = run[i]
        if ch in _ONSETS:
            after = i + 1
            while after < n and run[after] == _CREAKY:
                after += 1
            closes = after < n and run[after] in (_ASAT, _VIRAMA)
            if closes and found and not found[-1].final:
                # a final consonant: ် kills its vowel, ္ stacks the next letter under it
                found[-1].final = ch
                found[-1].creaky |= after > i + 1
                i = after + 1
                continue
            syllable = _Syllable(ch)
        elif ch in _INDEPENDENT:
            syllable = _Syllable(ch)
        elif found and ch in (_CREAKY, _HIGH, _ASAT, _ANUSVARA):
            found[-1].creaky |= ch == _CREAKY
            found[-1].nasal |= ch == _ANUSVARA
            i += 1
            continue
        else:  # another mark or a digit
            i += 1
            continue
        i += 1
        while i < n and run[i] in _MEDIALS:
            syllable.medials += run[i]
            i += 1
        while i < n and (run[i] in _SIGNS or run[i] in (_ASAT, _ANUSVARA, _CREAKY, _HIGH)):
            mark = run[i]
            if mark in _SIGNS:
                syllable.signs += mark
            syllable.nasal |= mark == _ANUSVARA
            syllable.creaky |= mark == _CREAKY
            i += 1  # an asat on ာ (ော်) is a tone mark
        found.append(syllable)
    return found


def _w_in_rhyme(s: _Syllable) -> bool:
    """ွ with no vowel sign before a nasal or a stop is the rhyme's u (ထွန်း Tun), not a w."""
    return "ွ" in s.medials and not s.signs and (s.final in _NASALS | _STOPS or s.nasal)


def _rhyme(s: _Syllable) -> str:
    signs, final = s.signs, s.final
    nasal_end = "n" if (final in _NASALS or s.nasal) else ""
    if "ေ" in signs and ("ာ" in signs or "ါ" in signs):
        return {"က": "auk", "င": "aung"}.get(final, "aw")
    if "ိ" in signs and "ု" in signs:
        return {"က": "aik", "င": "aing"}.get(final, "o")
    if _w_in_rhyme(s):
        return "ut" if final in _STOPS else "un"
    if "ိ" in signs or "ီ" in signs:
        return "eik" if final in _STOPS else ("ein" if nasal_end else "i")
    if "ု" in signs or "ူ" in signs:
        return "ok" if final in _STOPS else ("on" if nasal_end else "u")
    if "ေ" in signs:
        return "e" if "ွ" in s.medials else "ay"
    if "ဲ" in signs:
        return "e"
    if "ာ" in signs or "ါ" in signs:
        return "a" + nasal_end
    if final:
        return _BARE_FINALS.get(final, "a")
    return "an" if s.nasal else "a"


def _onset(s: _Syllable) -> str:
    if s.onset in _INDEPENDENT:
        return ""
    onset = _ONSETS[s.onset]
    medials = s.medials
    if "ှ" in medials:
        onset = "sh" if onset == "y" else "h" + onset
    if "ျ" in medials or "ြ" in medials:
        onset = _Y_ONSETS.get(onset, onset + "y")
    if "ွ" in medials and not _w_in_rhyme(s):
        onset += "w"
    return onset


def _word(s: _Syllable) -> str:
    if s.onset in _INDEPENDENT:
        return _INDEPENDENT[s.onset]
    rhyme = _rhyme(s)
    if s.creaky and rhyme.endswith("n"):
        rhyme += "t"  # မြင့် Myint, ညွန့် Nyunt
    if s.onset == "အ" and rhyme == "ay":
        return "aye"  # အေး Aye
    return _onset(s) + rhyme


def romanize(text: str) -> str:
    """Each run of Burmese letters in `text` as its syllables' Latin spellings."""
    return _RUN.sub(lambda m: " " + " ".join(_word(s) for s in _syllables(m.group())) + " ", text)
