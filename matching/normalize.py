"""Raw names, places and sex values into normalised, comparable forms.

A name reaches a tracing officer in many guises: Олександр, Oleksandr, Aleksandr and
Alexander are one boy; عبد الرحمن, Abd al-Rahman, Abdulrahman and Abdirahman are one
name; Kharkiv, Kharkov and Харків are one city. The functions here turn every guise
into forms that compare equal (or close) without a list of the names themselves,
because evaluation data and real caseloads bring names and cultures no list has seen.
Tables (`data/*.csv`) hold only what no rule can derive: nicknames, renamed places.

Three layers, each built on the one before:

* `fold`: any script to lowercase ASCII words. Own tables for Cyrillic (Ukrainian
  KMU-2010 or Russian passport conventions, chosen from the letters present) and for
  Arabic-script languages (Arabic, Persian/Dari, Pashto, Urdu, Sorani), because
  general-purpose transliterators render these in ways no person spells a name
  (`benchmarks/translit_eval.py` measures this); for Bengali and Devanagari, whose
  unwritten inherent vowel anyascii drops; `anyascii` for every other script.
* `name_tokens`: folded words with particles merged into one canonical token
  (`Abd al-Rahman`, `Abdulrahman`, `Abdirahman` -> `abdalrahman`; `de la Cruz` ->
  `delacruz`), so that the same name written apart or together tokenises the same.
* `skeleton`: a consonant key in the tradition of Soundex and Metaphone (vowels after
  the first letter dropped, since vowels are the least stable part of a transliterated
  name and are not written at all in Arabic script), with the digraph and letter
  mergers that transliteration conventions disagree on (kh/h/g, x/ks, zh/j, q/k,
  w/v, z/s, ph/f, th/t, doubled letters). Keys are UPPERCASE so that they can never be
  mistaken for a folded word, and `skeleton` is idempotent.

A skeleton is tolerant by design: distinct names can share one (Hassan and Hussein
are both `HSN`), so an equal skeleton is strong evidence only together with a close
folded spelling; compare the folded tokens too where precision matters.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from anyascii import anyascii

from matching import burmese

__all__ = [
    "article_bare_names",
    "fold",
    "fused_particle",
    "is_country",
    "name_forms",
    "name_keys",
    "name_tokens",
    "nickname_canonicals",
    "parse_sex",
    "place_levels",
    "readings",
    "skeleton",
    "skeletons",
]

DATA_DIR = Path(__file__).resolve().parent / "data"
_CACHE = 1 << 18  # names repeat heavily: a quarter million distinct strings per function

# ---------------------------------------------------------------------------------------
# Script transliteration
# ---------------------------------------------------------------------------------------

_CYRILLIC = re.compile("[\u0400-\u04ff]")
_ARABIC = re.compile("[\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff]")
_UKRAINIAN_ONLY = frozenset("іїєґ")
_RUSSIAN_ONLY = frozenset("ыэъё")
# Kazakh, Kyrgyz, Tajik, Uzbek and Bashkir Cyrillic: names there are romanised the
# Russian way (Гулнара Gulnara, Қодир Qodir), never with Ukrainian's h for г
_CENTRAL_ASIAN = frozenset("ғқҳҷӯӣәөүұңһ")

_CYR_COMMON = {
    "а": "a", "б": "b", "в": "v", "д": "d", "е": "e", "ж": "zh", "з": "z", "к": "k",
    "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r", "с": "s", "т": "t",
    "у": "u", "ф": "f", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "shch",
    "ь": "", "ъ": "", "ў": "u",
}  # fmt: skip
# Ukrainian: the national standard (KMU 2010) that passports since 2010 follow.
_UK = str.maketrans(
    {**_CYR_COMMON, "г": "h", "ґ": "g", "є": "ie", "и": "y", "і": "i", "ї": "i",
     "й": "i", "ю": "iu", "я": "ia", "ы": "y", "э": "e", "ё": "io"}
)  # fmt: skip
_UK_INITIAL = {"є": "ye", "ї": "yi", "й": "y", "ю": "yu", "я": "ya"}
_UK_INITIAL_RE = re.compile(r"(?<!\w)[єїйюя]")
# Russian: the spellings Russian passports and most aid registrations use.
_RU = str.maketrans(
    {**_CYR_COMMON, "г": "g", "ґ": "g", "є": "ye", "и": "i", "і": "i", "ї": "yi",
     "й": "y", "ю": "yu", "я": "ya", "ы": "y", "э": "e", "ё": "yo"}
)  # fmt: skip


def _cyrillic(text: str) -> str:
    """Ukrainian rules unless the text has a letter only Russian uses, or one of the
    Central Asian languages' (Russian rules then too).

    Text with neither Ukrainian nor Russian-only letters is read as Ukrainian: the two
    differ there mainly in г (h or g) and и (y or i), which `skeleton` merges anyway.
    """
    letters = set(text)
    if (letters & _RUSSIAN_ONLY and not letters & _UKRAINIAN_ONLY) or letters & _CENTRAL_ASIAN:
        return text.translate(_RU)
    text = text.replace("зг", "zgh")  # KMU: keeps з+г apart from ж
    text = _UK_INITIAL_RE.sub(lambda m: _UK_INITIAL[m.group()], text)
    return text.translate(_UK)


_AR_LETTERS = {
    # Arabic
    "ا": "a", "أ": "a", "إ": "i", "آ": "a", "ٱ": "a", "ء": "", "ؤ": "u", "ئ": "i",
    "ب": "b", "ت": "t", "ث": "th", "ج": "j", "ح": "h", "خ": "kh", "د": "d", "ذ": "dh",
    "ر": "r", "ز": "z", "س": "s", "ش": "sh", "ص": "s", "ض": "d", "ط": "t", "ظ": "z",
    "ع": "a", "غ": "gh", "ف": "f", "ق": "q", "ك": "k", "ل": "l", "م": "m", "ن": "n",
    "ه": "h", "ة": "a", "و": "u", "ى": "a", "ي": "i",
    # Persian / Dari
    "پ": "p", "چ": "ch", "ژ": "zh", "گ": "g", "ک": "k", "ی": "i", "ۀ": "a", "ھ": "h",
    # Pashto, Urdu, Sorani Kurdish
    "ټ": "t", "ډ": "d", "ړ": "r", "ږ": "zh", "ښ": "sh", "ځ": "dz", "څ": "ts", "ڼ": "n",
    "ې": "e", "ۍ": "ai", "ٹ": "t", "ڈ": "d", "ڑ": "r", "ں": "n", "ے": "e", "ۓ": "e",
    "ڕ": "r", "ڵ": "l", "ۆ": "o", "ێ": "e", "ە": "e", "ڤ": "v", "ہ": "h", "ۃ": "a",
    # short vowels and signs, when written
    "\u064e": "a", "\u064f": "u", "\u0650": "i", "\u0652": "", "\u0651": "", "\u064b": "",
    "\u064c": "", "\u064d": "", "\u0670": "a", "\u0640": "",
}  # fmt: skip
_AR = str.maketrans(_AR_LETTERS)
# Persian, Dari, Pashto and Urdu say the Arabic letters ذ ض ظ as z and ث as s: Reza,
# Zabihullah, Ramazan, Kazem, Osman are رضا ذبیح‌الله رمضان کاظم عثمان there, where
# Arabic reads Rida, Dhabih, Ramadan, Kadhim, Uthman. A text is read that way when it
# holds a letter Arabic does not use (Persian ی and ک, پ چ ژ گ, Pashto and Urdu letters).
_FA = str.maketrans({**_AR_LETTERS, "ذ": "z", "ض": "z", "ظ": "z", "ث": "s"})
_NOT_ARABIC = frozenset("پچژگکیۀټډړږښځڅڼېۍٹڈڑںےۓہۃ")
_AR_CHAR = "\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff"
_AR_VOWEL_LETTERS = "اأإآىةهي" + "یەہۃ"  # and Persian, Sorani, Urdu ones
# و and ي are consonants at the start of a word and before a vowel letter, long vowels
# elsewhere: Walid and Marwan have a w, Mahmud and Yusuf a u. Before a ی that is itself
# a consonant (a vowel letter follows it) و is the vowel: رویا Roya, پویا Pouya.
_AR_WAW = re.compile(rf"(?<![{_AR_CHAR}])و|و(?=[{_AR_VOWEL_LETTERS}])(?![يی][اأإآىةه])")
_AR_YA = re.compile(rf"(?<![{_AR_CHAR}])[يی]")
# Sorani Kurdish writes every vowel that begins a word on a silent ئ (ئەحمەد Ehmed,
# ئاسۆ Aso, ئیبراهیم Ibrahim); Arabic never begins a word with it.
_AR_INITIAL_CARRIER = re.compile(rf"(?<![{_AR_CHAR}])ئ(?=[{_AR_CHAR}])")
# A final ه after a consonant is the -eh/-ah of Fatemeh, Zohreh, Allah; Urdu writes it
# ہ (فاطمہ Fatima, حمزہ Hamza, صائمہ Saima).
_AR_Z_H = re.compile("(?<=[زظ])(?=[هحہ])")
# Nor is س/ک/ت/د before ه the sh, kh, th, dh of ش خ ث ذ (Sohrab, Suhail, Dehqan),
# and ش before ه is Shahab, not a doubled h.
_AR_S_H = re.compile(f"(?<=[سصشكکتطدضگ])(?=[هہ][{_AR_CHAR}])")  # not a final -eh
_AR_FINAL_HA = re.compile(rf"(?<=[{_AR_CHAR}])(?<![اوىيیآ])[هہ](?![{_AR_CHAR}])")


def _arabic(text: str) -> str:
    # ز before ه/ح is never the zh of Zhenya: Zohreh, Zahra, Zuhair carry a vowel
    text = _AR_Z_H.sub("\u064e", text)
    text = _AR_S_H.sub("\u064e", text)
    text = _AR_WAW.sub("w", text)
    text = _AR_YA.sub("y", text)
    text = _AR_INITIAL_CARRIER.sub("", text)  # after: its ی and و are vowels, Ibrahim, Umed
    text = _AR_FINAL_HA.sub("ah", text)
    return text.translate(_FA if _NOT_ARABIC.intersection(text) else _AR)


# Brahmic scripts are abugidas: a consonant letter carries an inherent vowel unless a
# vowel sign or the virama follows it. anyascii writes no inherent vowel at all
# (মমতাজ -> mmtaj, कमला -> kmla, முருகன் -> murukn), which no person spells; these
# tables write what names are spelled like in Latin records (Mamtaj, Kamla, Murugan).
# The nine scripts of India's Unicode blocks (Devanagari to Malayalam) share one
# layout, so one table of offsets serves them all, with each script's own letters on
# top. Speakers of the northern languages (Hindi, Nepali, Bengali, Punjabi, Gujarati,
# Odia) drop the inherent vowel at the end of a word and between a vowel and a
# consonant that has one (মমতাজ is Mom-taz, not Mo-mo-ta-za); the southern ones
# (Tamil, Telugu, Kannada, Malayalam) say it wherever it is written.
_BRAHMIC = "\u0900-\u0d7f"
_INDIC = re.compile(f"[{_BRAHMIC}]")
_BENGALI, _GURMUKHI, _ORIYA, _TAMIL = 0x0980, 0x0A00, 0x0B00, 0x0B80
_SOUTHERN = frozenset((0x0B80, 0x0C00, 0x0C80, 0x0D00))
_INDIC_CONSONANTS = {
    0x15: "k", 0x16: "kh", 0x17: "g", 0x18: "gh", 0x19: "ng", 0x1A: "ch", 0x1B: "chh",
    0x1C: "j", 0x1D: "jh", 0x1E: "n", 0x1F: "t", 0x20: "th", 0x21: "d", 0x22: "dh",
    0x23: "n", 0x24: "t", 0x25: "th", 0x26: "d", 0x27: "dh", 0x28: "n", 0x29: "n",
    0x2A: "p", 0x2B: "ph", 0x2C: "b", 0x2D: "bh", 0x2E: "m", 0x2F: "y", 0x30: "r",
    0x31: "r", 0x32: "l", 0x33: "l", 0x34: "l", 0x35: "v", 0x36: "sh", 0x37: "sh",
    0x38: "s", 0x39: "h",
    # Malayalam's chillu letters: a consonant with no vowel, written as one letter
    0x7A: "n", 0x7B: "n", 0x7C: "r", 0x7D: "l", 0x7E: "l", 0x7F: "k",
}  # fmt: skip
_CHILLU = range(0x7A, 0x80)
_SCRIPT_CONSONANTS = {
    # Bengali says য as j (or z) and ফ as f; its anusvara is ng (বাংলা, Bangla)
    _BENGALI: {**_INDIC_CONSONANTS, 0x2B: "f", 0x2F: "j", 0x4E: "t"},
    # Gurmukhi's ੜ (a flapped r) has no nukta form to decompose into
    _GURMUKHI: {**_INDIC_CONSONANTS, 0x5C: "r"},
    # Odia: ଯ is j, ୟ y
    _ORIYA: {**_INDIC_CONSONANTS, 0x2F: "j", 0x5F: "y"},
    # Tamil writes one letter for k and g, ch and s, t and d, th and d (`_tamil`);
    # Sri Lankan and Indian records write ச as s (Selvam, Sivakumar), த as th
    # (Tharshan), ழ as l (Elilan)
    _TAMIL: {**_INDIC_CONSONANTS, 0x1A: "s", 0x24: "th", 0x34: "l", 0x36: "s"},
}
# the southern languages' records write श as s (Srinivas, Sasidharan, Sreekumar)
_SCRIPT_CONSONANTS.update({b: {**_INDIC_CONSONANTS, 0x36: "s"} for b in (0x0C00, 0x0C80, 0x0D00)})
# a nukta turns a consonant into the sound of a loanword: ज़ z, फ़ f, ड় r, য় y
_NUKTA_FORMS = {"j": "z", "ph": "f", "f": "f", "k": "q", "kh": "kh", "g": "gh", "d": "r",
                "dh": "rh", "y": "y"}  # fmt: skip
_INDIC_VOWELS = {
    0x05: "a", 0x06: "a", 0x07: "i", 0x08: "i", 0x09: "u", 0x0A: "u", 0x0B: "ri",
    0x0D: "e", 0x0E: "e", 0x0F: "e", 0x10: "ai", 0x11: "o", 0x12: "o", 0x13: "o",
    0x14: "au",
}  # fmt: skip
_INDIC_SIGNS = {
    0x3E: "a", 0x3F: "i", 0x40: "i", 0x41: "u", 0x42: "u", 0x43: "ri", 0x45: "e",
    0x46: "e", 0x47: "e", 0x48: "ai", 0x49: "o", 0x4A: "o", 0x4B: "o", 0x4C: "au",
    0x57: "au",
}  # fmt: skip
_VIRAMA, _NUKTA, _ANUSVARA, _CANDRABINDU, _VISARGA = 0x4D, 0x3C, 0x02, 0x01, 0x03
_TIPPI, _ADDAK = 0x70, 0x71  # Gurmukhi's nasal sign, and its sign that doubles a consonant
_INHERENT = "a"


@dataclass
class _Syllable:
    """Consonant letters (a cluster when a virama joined them), then a vowel."""

    consonants: str
    vowel: str
    inherent: bool  # the vowel is the consonant's own, unwritten one
    closed: bool = False  # a virama ended it: no vowel of its own
    letters: int = 1
    coda: str = ""  # an anusvara, candrabindu or visarga after the vowel
    last: int = -1  # the offset of its last consonant letter (Tamil's voicing reads it)


# Tamil's voicing: one letter is t at the start of a word and d between vowels
# (வடிவேல் Vadivel); after a nasal a stop is voiced (ங்க ng, ஞ்ச nj, ண்ட nd, ன்ற ndr),
# doubled it is not (ச்ச chch, ற்ற ttr). க between vowels stays k: the names written
# with it are mostly Sanskrit ones that Latin records spell with k (Sivakumar,
# Kanakaratnam, Prabakaran), though some are g (Murugan, Yogarajah).
_TAMIL_BETWEEN_VOWELS = {0x1F: "d"}
_TAMIL_AFTER = {(0x19, 0x15): "", (0x1E, 0x1A): "j", (0x23, 0x1F): "d", (0x29, 0x31): "dr"}
_TAMIL_DOUBLED = {0x1A: "ch", 0x31: "tr"}


def _tamil(offset: int, letter: str, before: _Syllable | None) -> str:
    """The Latin letters of Tamil consonant `offset` after syllable `before`."""
    if before is None:
        return "gn" if offset == 0x1E else letter  # ஞானம் Gnanam
    if before.closed:
        if before.last == offset and offset in _TAMIL_DOUBLED:
            before.consonants = before.consonants[: -len(letter)]
            return _TAMIL_DOUBLED[offset]
        return _TAMIL_AFTER.get((before.last, offset), letter)
    return _TAMIL_BETWEEN_VOWELS.get(offset, letter)


def _indic_word(word: str) -> str:
    """One word of a Brahmic script of India in Latin letters, the inherent vowel
    written where it is said."""
    units: list[_Syllable] = []
    previous = ""
    double_next = False
    block = ord(word[0]) & ~0x7F
    consonants = _SCRIPT_CONSONANTS.get(block, _INDIC_CONSONANTS)
    bengali, tamil = block == _BENGALI, block == _TAMIL
    for ch in word:
        offset = ord(ch) - block
        if not 0 <= offset < 0x80:
            continue  # two scripts in one word: keep the first's reading
        last = units[-1] if units else None
        if offset in consonants:
            letter = consonants[offset]
            if tamil:
                letter = _tamil(offset, letter, last)
            if double_next:
                letter, double_next = letter[0] + letter, False
            if last is not None and last.closed:  # after a virama: a cluster
                if bengali and offset in (0x2F, 0x2C):
                    letter = "y" if offset == 0x2F else "w"  # the phalas of ক্য, শ্ব
                last.consonants += letter
                last.vowel, last.inherent, last.closed = _INHERENT, True, False
                last.letters += 1
                last.last = offset
            else:
                units.append(_Syllable(letter, _INHERENT, True, last=offset))
            if bengali and offset == 0x4E:  # khanda ta: never a vowel
                units[-1].vowel, units[-1].inherent = "", False
            elif offset in _CHILLU:  # Malayalam's bare consonants: none either
                units[-1].vowel, units[-1].inherent, units[-1].closed = "", False, True
        elif offset == _NUKTA and last is not None and last.consonants:
            if bengali and previous == "\u09af":
                last.consonants = last.consonants[:-1] + "y"  # য়, the y of ময়না
            else:
                for tail in sorted(_NUKTA_FORMS, key=len, reverse=True):
                    if last.consonants.endswith(tail):
                        last.consonants = last.consonants[: -len(tail)] + _NUKTA_FORMS[tail]
                        break
        elif offset in _INDIC_SIGNS and last is not None and last.inherent:
            last.vowel, last.inherent = _INDIC_SIGNS[offset], False
        elif offset == _VIRAMA and last is not None and last.consonants:
            last.vowel, last.inherent, last.closed = "", False, True
        elif offset in _INDIC_VOWELS:
            units.append(_Syllable("", _INDIC_VOWELS[offset], False))
        elif offset == _ADDAK and block == _GURMUKHI:
            double_next = True  # ਗਿੱਲ Gill
        elif offset in (_ANUSVARA, _CANDRABINDU, _VISARGA, _TIPPI) and last is not None:
            if offset == _VISARGA:
                last.coda = "h"
            else:
                last.coda = "ng" if bengali and offset == _ANUSVARA else "n"
        # other signs (accents, the danda) say nothing about a name
        previous = ch
    if len(units) > 1 and not units[0].consonants and units[0].vowel == "i":
        if units[1].consonants == "y":
            del units[0]  # Bengali writes a word-initial Y as ই + য় (ইয়াসমিন, Yasmin)
    if block not in _SOUTHERN:
        _delete_schwas(units)
    return "".join(u.consonants + u.vowel + u.coda for u in units)


def _delete_schwas(units: list[_Syllable]) -> None:
    """Drop the inherent vowels nobody says: at the end of a word of more than one
    syllable, and, right to left, between a vowel and a single consonant that has one
    (Hindi's schwa deletion, which Bengali names follow too)."""

    def silent(u: _Syllable) -> bool:
        return u.inherent and not u.coda

    if len(units) > 1 and silent(units[-1]):
        units[-1].vowel = ""
    for i in range(len(units) - 2, 0, -1):
        after = units[i + 1]
        if (
            silent(units[i])
            and units[i - 1].vowel
            and after.consonants
            and after.letters == 1
            and after.vowel
        ):
            units[i].vowel = ""


_INDIC_RUN = re.compile(f"[{_BRAHMIC}]+")
# মোঃ is how Bengali abbreviates Mohammad, as Latin writes Md.
_BENGALI_MD = re.compile("(?<![\u0980-\u09ff])\u09ae\u09cb[\u0983:.]")


def _indic(text: str) -> str:
    text = _BENGALI_MD.sub("md ", text)
    return _INDIC_RUN.sub(lambda m: _indic_word(m.group()), text)


# Latin letters whose anyascii reading loses what transliteration conventions keep:
# scholarly Cyrillic/Arabic (š č ž ǧ ḫ ṯ ḏ ġ), Turkish/Kurdish/Romanian/Azerbaijani.
_LATIN_SPECIAL = str.maketrans(
    {"š": "sh", "č": "ch", "ž": "zh", "ǧ": "j", "ḫ": "kh", "ẖ": "kh", "ṯ": "th",
     "ḏ": "dh", "ġ": "gh", "ş": "sh", "ș": "sh", "ţ": "ts", "ț": "ts", "ə": "a",
     "ŝ": "sh", "ĉ": "ch", "ĵ": "j", "ǆ": "dzh", "ǯ": "zh", "ż": "zh"}
)  # fmt: skip
# Ge'ez ኸ is Tigrinya's kh, which Eritrean names write as k (ተኽለ Tekle, ኣኽሊሉ Aklilu);
# anyascii reads it as Amharic's h (tehle), which few names use it for.
_GEEZ_KH = str.maketrans(
    {"ኸ": "ke", "ኹ": "ku", "ኺ": "ki", "ኻ": "ka", "ኼ": "ke", "ኽ": "k", "ኾ": "ko",
     "ዀ": "kwe", "ዂ": "kwi", "ዃ": "kwa", "ዄ": "kwe", "ዅ": "ku"}
)  # fmt: skip
# A Chinese character is a syllable, and each syllable of a name is written apart in
# Latin records (王伟 Wang Wei); anyascii runs them together (WangWei).
_HAN = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
# Apostrophes mark an ayn, a hamza or a soft sign inside a word: Sa'id is Said.
_APOSTROPHES = str.maketrans("", "", "'`")
_NON_ALNUM = re.compile(r"[^a-z0-9]+")


def writes_long_vowels_only(text: str) -> bool:
    """Whether `text` is in the Arabic script (Arabic, Persian, Pashto, Urdu), which
    writes long vowels and leaves short ones out."""
    return bool(_ARABIC.search(text))


def fold(text: str) -> str:
    """Text to lowercase ASCII words separated by single spaces, in any script.

    NFKC, casefold, own Cyrillic, Arabic-script, Bengali/Devanagari and Burmese tables,
    anyascii for the rest, diacritics stripped, apostrophes dropped inside words,
    other punctuation a space.
    Never raises; idempotent.
    """
    if not text:
        return ""
    return _fold(text)


@lru_cache(maxsize=_CACHE)
def _fold(text: str) -> str:
    if text.isascii():
        s = text.lower()
    else:
        s = unicodedata.normalize("NFKC", text).casefold()
        if _CYRILLIC.search(s):
            s = _cyrillic(s)
        if _ARABIC.search(s):
            s = _arabic(s)
        if _INDIC.search(s):
            s = _indic(s)
        if burmese.BURMESE.search(s):
            s = burmese.romanize(s)
        if _HAN.search(s):
            s = _HAN.sub(r" \g<0> ", s)
        s = anyascii(s.translate(_LATIN_SPECIAL).translate(_GEEZ_KH)).lower()
    s = _NON_ALNUM.sub(" ", s.translate(_APOSTROPHES))
    return s.strip()


# ---------------------------------------------------------------------------------------
# Skeleton
# ---------------------------------------------------------------------------------------

_DOUBLE = re.compile(r"(.)\1+")
_FINAL_SOFT = re.compile(r"(?<=[aeiouy])(?:gh|h|g)$")  # Fatimah/Fatima, Oleh/Oleg
_CONSONANT_W = re.compile(r"^w|w(?=[aeiouy])")  # Walid, Marwan, Iwan; else w is a vowel
# j is y where only a Slavic or German romanisation puts it: after a consonant before a
# vowel (Natalja, Fjodor, Izjum) and at the end after a vowel (Serhij, Andrij, Sergej).
# Elsewhere it stays the j of Jamal, José, Khadija, Alejandro.
_SLAVIC_J = re.compile(r"(?<=[bcfghklmprstvwxz])j(?=[aeiouy])|(?<=[eioy])j$")
# Final devoicing (Turkish, Slavic, German spellings): Ahmet/Ahmed, Zeynep/Zainab.
_DEVOICE = str.maketrans({"T": "D", "P": "B"})
_SOFT_C = re.compile(r"c(?=[eiy])")
# Longest first; uppercase targets so that no later rule re-reads a result.
_DIGRAPHS = (
    ("shch", "X"), ("tsch", "C"), ("sch", "X"), ("dzh", "J"), ("zh", "J"), ("sh", "X"),
    ("sz", "X"), ("tch", "C"), ("ch", "C"), ("cz", "C"), ("kh", "H"), ("gh", "H"),
    ("ph", "F"), ("th", "T"), ("dh", "D"), ("dj", "J"), ("ck", "K"),
)  # fmt: skip
_LETTERS = str.maketrans(
    {"b": "B", "c": "K", "d": "D", "f": "F", "g": "H", "h": "H", "j": "J", "k": "K",
     "l": "L", "m": "M", "n": "N", "p": "P", "q": "K", "r": "R", "s": "S", "t": "T",
     "v": "V", "x": "KS", "z": "S"}
)  # fmt: skip
_VOWELS = "aeiouyw"
_DROP_VOWELS = str.maketrans("", "", _VOWELS)
_SKELETON_FORM = re.compile(r"A?[BCDFHJKLMNPRSTVX0-9]*")
_VOWEL_RUN = re.compile(r"[aeiouyw]+")
_VOWEL_CLASS = {"a": "a", "e": "e", "i": "i", "y": "i", "o": "o", "u": "u", "w": "u"}


def _merge_letters(t: str) -> str:
    """Digraphs to one letter, soft c, consonant w, then every consonant to its
    uppercase class; vowels stay lowercase (shared by `_consonants` and `vowel_gaps`)."""
    for old, new in _DIGRAPHS:
        if old in t:
            t = t.replace(old, new)
    if "c" in t:
        t = _SOFT_C.sub("S", t)
    if "w" in t:
        t = _CONSONANT_W.sub("V", t)
    return t.translate(_LETTERS)


def _consonants(token: str, keep_vowels: bool = False) -> str:
    """The letter mergers of `skeleton` on a folded word (no spaces)."""
    t = _SLAVIC_J.sub("y", token) if "j" in token else token
    # Slavic surnames in German, Polish and French spelling: Iwanow, Charkiw, Ivanoff
    if t.endswith("ff") and len(t) > 2 and t[-3] in "aeiouy":
        t = t[:-2] + "v"
    elif t.endswith("w") and len(t) > 1 and t[-2] in "aeiouy":
        t = t[:-1] + "v"
    if _DOUBLE.search(t):  # before digraphs: Shherbakov is Shcherbakov, not Sh-herbakov
        t = _DOUBLE.sub(_first, t)
    if t[-1:] in ("h", "g") and _FINAL_SOFT.search(t):
        t = _FINAL_SOFT.sub("", t)
    t = _merge_letters(t)
    if _DOUBLE.search(t):
        t = _DOUBLE.sub(_first, t)
    if keep_vowels:
        return _VOWEL_RUN.sub(lambda m: _VOWEL_CLASS[m.group()[-1]], t)
    if not t:
        return t
    rest = t.lstrip(_VOWELS)
    key = ("A" if len(rest) < len(t) else "") + rest.translate(_DROP_VOWELS)
    return key[:-1] + key[-1].translate(_DEVOICE) if key else key


def _first(match: re.Match[str]) -> str:
    return match.group(1)


_DOUBLE_CONSONANT = re.compile(r"([^aeiouyw])\1+")
_UNIT = re.compile(r"[A-Z0-9]|[a-z]+")
_LONG_VOWELS = ("ou", "oo", "uu", "ee", "ii", "ei", "ey", "ai", "ay")


@lru_cache(maxsize=_CACHE)
def vowel_gaps(token: str) -> tuple[str, ...] | None:
    """The vowels written between each two consonants of the token's skeleton, in order
    ('' where none is written): `mohammed` -> ('o', 'a', 'e'), `mhmud` (محمود) ->
    ('', '', 'u'). None where the letters do not line up with the skeleton.

    Arabic script writes long vowels and leaves short ones out; `vowels_agree` uses
    the gaps to tell Mohammed (محمد) from Mahmoud (محمود), whose skeletons are one.
    """
    word = _canonical_word(fold(token).replace(" ", ""))
    if not word:
        return None
    t = _SLAVIC_J.sub("y", word) if "j" in word else word
    t = _DOUBLE_CONSONANT.sub(_first, t)
    units = _UNIT.findall(_merge_letters(t))
    gaps: list[str] = []
    consonants: list[str] = []
    pending = ""
    for unit in units:
        if unit.islower():
            pending += unit
            continue
        if consonants and unit == consonants[-1] and not pending:
            continue  # two letters for one sound (ck, a doubled x)
        if consonants:
            gaps.append(pending)
        elif pending:
            consonants.append("A")  # the leading vowel the skeleton keeps as A
        consonants.append(unit)
        pending = ""
    frame = "".join(consonants)
    if frame[:-1] + frame[-1:].translate(_DEVOICE) != _skeleton(token):
        return None
    return tuple(gaps)


def _vowel_classes(gap: str, e_any: bool) -> frozenset[str]:
    if e_any and "e" in gap:
        return frozenset("aiu")
    classes = set()
    if "a" in gap or "e" in gap:
        classes.add("a")
    if "i" in gap or "y" in gap or "e" in gap:
        classes.add("i")
    if "u" in gap or "o" in gap or "w" in gap:
        classes.add("u")
    return frozenset(classes)


def vowels_agree(a: str, b: str, unvocalized: bool = False) -> bool | None:
    """Whether two tokens of one skeleton may be one name, by the vowels each writes.

    A gap one side leaves empty agrees with a short vowel on the other (Arabic script
    does not write them: محمد is Mohammed) but not with a long one (Mahmoud, Hussein
    are not محمد, حسن); vowels written on both sides must share a class (a, i, u; e
    is a or i): محمود (mhmud) is not Mohammed, مریم (mrim) is Maryam. Between two
    spellings that write every vowel, e stands for any (Yousef, Yusuf), and their first
    vowels must be ones that spellings of a name trade (`_leading_vowels_trade`: Anna
    is not Inna, Uliana not Alina). Both written in the Arabic script (`unvocalized`),
    every vowel written is a long one: حسين (hsin) is not حسن (hsn), nor محمود محمد.
    None where the letters cannot be lined up.
    """
    gaps_a, gaps_b = vowel_gaps(a), vowel_gaps(b)
    if gaps_a is None or gaps_b is None or len(gaps_a) != len(gaps_b):
        return None
    e_any = all(gaps_a) and all(gaps_b)
    if e_any and not _leading_vowels_trade(a, b):
        return False
    for x, y in zip(gaps_a, gaps_b, strict=True):
        if not x or not y:
            if (unvocalized and (x or y)) or any(long in (x or y) for long in _LONG_VOWELS):
                return False
        elif not _vowel_classes(x, e_any) & _vowel_classes(y, e_any):
            return False
    return True


# First vowels that spellings of one name trade: Oleksandr/Aleksandr, Olena/Elena,
# Omar/Umar, Ebrahim/Ibrahim, Amir/Emir. Not a/i (Anna, Inna), a/u (Alina, Uliana),
# i/o (Ilya, Olya), i/u, e/u: those are other names.
_LEADING_TRADES = frozenset(
    frozenset(pair) for pair in ("ao", "ae", "ei", "eo", "ou", "aa", "ee", "ii", "oo", "uu")
)
_LEADING_RUN = re.compile("[aeiouy]+")


def _leading_vowels(token: str) -> str:
    """The vowels a token starts with, a glide before another vowel left out (Yulia,
    Iuliia: u; Yevhen: e; Iosif: o); y as i. Empty when it starts with a consonant."""
    word = _canonical_word(fold(token).replace(" ", ""))
    found = _LEADING_RUN.match(word)
    if not found:
        return ""
    run = found.group()
    if len(run) > 1 and run[0] in "iy":
        run = run[1:]
    return run.replace("y", "i")


def _leading_vowels_trade(a: str, b: str) -> bool:
    """Whether two spellings of one skeleton start with vowels one name's spellings trade.

    Only asked of spellings that write every vowel: a script that leaves short vowels
    out writes Ibrahim (ابراهيم) and Ismail with the alif that Latin reads as a.
    """
    first_a, first_b = _leading_vowels(a), _leading_vowels(b)
    if not first_a or not first_b:
        return True
    return any(frozenset((x, y)) in _LEADING_TRADES for x in first_a for y in first_b)


def skeleton(token: str) -> str:
    """A transliteration-tolerant key for one name token: `Mohammed` and `محمد` -> `MHMD`.

    The first letter's vowel-ness is kept as `A` (Oleksandr, Aleksandr -> ALKSNDR);
    other vowels are dropped; kh/gh/g/h -> H (Ukrainian h is Russian g: Oleh/Oleg,
    Kharkiv/Harkiv), sh/sch/sz -> X, ch/tch/cz -> C, zh/dzh/dj/j -> J, x -> KS,
    q/c/ck -> K, soft c/z -> S, ph -> F, th -> T, dh -> D, w -> V before a vowel
    (else a vowel), Slavic j -> y (Natalja, Serhij), doubled letters single, a final
    h/g after a vowel dropped (Fatimah, Oleh/Oleg), a final T/P voiced (Ahmet/Ahmed);
    Arabic compounds are canonicalised first (Abdirahman, Abdulrahman -> ABDLRHMN).
    Idempotent: a string already shaped like a key (uppercase consonants, an optional
    leading A) is returned as it is.
    """
    if not token:
        return ""
    return _skeleton(token)


@lru_cache(maxsize=_CACHE)
def _skeleton(token: str) -> str:
    if _SKELETON_FORM.fullmatch(token):
        return token
    word = _canonical_word(fold(token).replace(" ", ""))
    return _consonants(word) if word else ""


_OU_W = re.compile(r"ou(?=[aei])")
_NOT_CONSONANT = re.compile(r"[aeiouy]")
# a vowel before s and a stop, in a long word: not the i of Ismail, Islam, Esther
_PROTHETIC = re.compile(r"[ei]s[tkp].{4}")
_W_BEFORE_CONSONANT = re.compile(r"w(?=[^aeiouyw])")
_SILENT_H = re.compile(r"h[aeiou]")
_CONSONANT = re.compile(r"[^aeiouyw]")


def _readings(word: str) -> list[str]:
    """Other ways a folded word may have been meant, besides the international one.

    Somali orthography writes ħ as x and the ayn as c (Maxamed = Mohamed, Cabdi =
    Abdi), Kurdish and Turkic ones kh as x (Xelîl = Khalil), Turkish j as c (Cuma =
    Juma); Slavic and German romanisations write the y-glide as j (Julija = Yuliya);
    French writes sh as ch and w as ou (Aicha, Rachid, Marouane), German and Polish
    write kh as ch (Charkiw, Chaled) and v as w even before a consonant
    (Schewtschenko, where English reads the w of Shawkat as a vowel); Turkish,
    Persian and Somali write the th and dh of Arabic ones as s and z (Osman, Kazem),
    and Persian the q of ق as gh (Ghasem); Persian, Turkish and Spanish write a vowel
    before an initial s and a consonant (Estanekzai, Stanikzai); French, Spanish and
    Russian spellings drop an initial h (Hassana Assana, Harutyunyan Arutyunyan); Fula
    names end in -atou where Arabic ones end in -a (Fatimatou Fatima); Tamil and other
    South Asian spellings write nth for nd (Rajenthiran Rajendran) and an initial th for d
    (Tharshan Darshan), Russian ones ov or og
    for the Armenian hovh or hov (Oganesyan Hovhannisyan, Hovannisian).
    """
    out = []
    if "x" in word or ("c" in word and "ch" not in word and "ck" not in word):
        somali = word.replace("x", "h").replace("c", "")
        # ... where the ayns it drops are not most of the word's consonants: Somali
        # Cali is Ali, but Portuguese Conceição (conceicao) is no Somali "oneiao",
        # whose one consonant meets Ana
        if word.count("c") <= len(_NOT_CONSONANT.sub("", somali)):
            out.append(somali)
    # Kurdish, Azerbaijani, Uzbek and Tatar write kh as x (Xelîl Khalil, Xədicə Khadija)
    if "x" in word:
        out.append(word.replace("x", "kh"))
    # Turkish c is j (Cuma, Cemile, Hacer: Juma, Jamila, Hajar)
    if "c" in word and "ch" not in word and "ck" not in word:
        out.append(word.replace("c", "j"))
    if "j" in word and "dj" not in word:
        out.append(word.replace("j", "y"))
    if "ch" in word and "sch" not in word and "tch" not in word:
        out.append(word.replace("ch", "sh"))
        out.append(word.replace("ch", "kh"))
    # Arabic ث and ذ/ض are th and dh in English and Arabic romanisation, s and z in
    # Turkish, Persian, Urdu, Somali and Bengali ones: Othman is Osman and Cismaan,
    # Kadhim is Kazem, Ramadhan Ramazan
    if "th" in word:
        out.append(word.replace("th", "s"))
    if "dh" in word:
        out.append(word.replace("dh", "z"))
    # South Asian spellings write the dental after an n as th or as d (Tamil script has
    # one letter for both, read th): Rajenthiran is Rajendran, Nanthini Nandini,
    # Sivananthan Sivanandan, Chanthiran Chandran
    if "nth" in word:
        out.append(word.replace("nth", "nd"))
    # ... and so does a word's first letter: தர்ஷன் is read Tharshan and written
    # Darshan, தேவராஜா Thevaraja and Devaraja
    if word.startswith("th") and len(word) > 3 and word[2] in "aeiou":
        out.append("d" + word[2:])
    # Congolese (Luba) orthography writes the ch of French and English ones as tsh:
    # Tshibanda is Chibanda, Tshimanga Chimanga
    if "tsh" in word:
        out.append(word.replace("tsh", "ch"))
    # Persian writes ق as gh, as it does غ: Ghasem and Abdolghader are Qasem, Abdulqader
    if "gh" in word:
        out.append(word.replace("gh", "q"))
    if "ou" in word:
        ou = _OU_W.sub("w", word)
        if ou != word:
            out.append(ou)
    if "w" in word:
        german = _W_BEFORE_CONSONANT.sub("v", word)
        if german != word:
            out.append(german)
    # Persian, Turkish and Spanish put a vowel before an initial s and a consonant,
    # which other romanisations leave out: Estanekzai is Stanikzai, Eskandar Skandar,
    # Estefanía Stefania
    if _PROTHETIC.match(word):
        out.append(word[1:])
    # an initial h before a vowel is silent in French, Spanish and Portuguese spellings
    # and is not written by Russian ones of Armenian names: Hassana is Assana, Halima
    # Alima, Harutyunyan Arutyunyan, Hakobyan Akopyan (long words only: Hana
    # and Ana, Hadi and Adi are other names)
    if len(word) >= 6 and _SILENT_H.match(word) and _CONSONANT.search(word, 1):
        out.append(word[1:])
    # Russian writes the Armenian hovh as ov or og (Ованесян, Оганесян): Hovhannisyan
    # is Ovanesyan and Oganesyan, Hovhannes Ovanes and Oganes
    if word.startswith("hovh"):
        out.extend(("ov" + word[4:], "og" + word[4:]))
    # ... as it does the hov that English spellings write for it (Hovannisian Oganesyan,
    # Hovsep Ovsep)
    elif word.startswith("hov") and len(word) >= 6:
        out.extend(("ov" + word[3:], "og" + word[3:]))
    # Nepali, Bengali, Assamese and Odia say the v of Sanskrit names as b, and their
    # records write it so: विकास is Vikas in a Hindi record and Bikas in a Nepali one,
    # विजय Vijay and Bijay, Vinod Binod, Vishnu Bishnu; Bengali শ্ব, said sw, is written
    # so in Latin records (বিশ্বাস Biswas, not Bishwas)
    if word.startswith("v") and len(word) >= 4:
        out.append("b" + word[1:])
    if "shw" in word:
        out.append(word.replace("shw", "sw"))
    # Fula and Hausa names in French spelling end in -tou where Arabic ones end in a
    # vowel: Fatimatou is Fatima, Halimatou Halima, Aissatou Aissa, Safiatou Safia
    if len(word) >= 7 and word.endswith("atou"):
        out.append(word[:-3])
    out.extend(_host_spellings(word))
    return out


def _respelling(table: dict[str, str]) -> tuple[re.Pattern[str], dict[str, str]]:
    """A one-pass rewrite by `table` (longest letters first), so that no rule re-reads
    another's result: Romanian ch is k, while its ci before a vowel becomes ch."""
    alternatives = sorted(table, key=len, reverse=True)
    return re.compile("|".join(alternatives)), table


# A Ukrainian or Russian child registered in Poland, Germany, Romania, Hungary or France
# is written the host country's way, each letter differently: Шевченко is Szewczenko,
# Schewtschenko, Şevcenko, Sevcsenko, Chevtchenko; Цибуленко is Cybulenko and
# Zybulenko; Євген is Jewgen; Журавльов Żurawlow and Schurawljow. Each spelling read
# back the English way (`trigger`: letters only that convention writes so).
_HOST_SPELLINGS = tuple(
    (re.compile(trigger), *_respelling(table))
    for trigger, table in (
        # Polish (and Czech, Slovak): c is ts, ch is kh, w is v, j is y
        (
            r"cz|sz|rz|w|c(?![hz])|j",
            {"szcz": "shch", "cz": "ch", "sz": "sh", "rz": "zh", "ch": "kh", "ck": "tsk",
             "c": "ts", "w": "v", "j": "y"},
        ),
        # German: z is ts, sch is sh, tsch ch, schtsch shch, w is v, j is y
        (
            r"sch|z|w|j",
            {"schtsch": "shch", "tsch": "ch", "sch": "sh", "tz": "ts", "z": "ts",
             "w": "v", "j": "y", "ck": "k", "ch": "kh"},
        ),
        # German ж is sch too, at the start of a name: Schukowskyj, Schanna
        (
            r"^sch(?!tsch)",
            {"schtsch": "shch", "tsch": "ch", "sch": "sh", "z": "ts", "w": "v", "j": "y"},
        ),
        # Romanian: ce, ci are che, chi (the i silent before a vowel), ch is k, j is zh
        (
            r"c[ei]|g[ei]|j",
            {"ch": "k", "gh": "g", "cia": "cha", "cio": "cho", "ciu": "chu", "ce": "che",
             "ci": "chi", "gia": "ja", "gio": "jo", "giu": "ju", "ge": "je", "gi": "ji",
             "j": "zh"},
        ),
        # Hungarian: s is sh, sz s, cs ch, zs zh, c ts
        (
            r"cs|zs",
            {"cs": "ch", "zs": "zh", "sz": "s", "s": "sh", "c": "ts", "j": "y"},
        ),
        # French: ch is sh, tch ch, chtch shch, ou u, j zh (where a tch says French: an
        # ou alone is read already, and read as u it made Mahmoud a close spelling of محمد)
        (
            r"tch",
            {"chtch": "shch", "tch": "ch", "ch": "sh", "ou": "u", "j": "zh", "dj": "dzh"},
        ),
    )
)  # fmt: skip


def _host_spellings(word: str) -> list[str]:
    """`word` read back from each host country's romanisation that its letters allow."""
    out = []
    for trigger, pattern, table in _HOST_SPELLINGS:
        if trigger.search(word):
            # the one anchored trigger reads the leading sch as zh
            start, body = ("zh", word[3:]) if trigger.pattern.startswith("^") else ("", word)
            out.append(start + pattern.sub(lambda m, t=table: t[m.group()], body))
    return out


def readings(token: str) -> tuple[str, ...]:
    """The other spellings a folded name token may stand for (see `_readings`):
    `cabdi` -> (`abdi`,), `julija` -> (`yuliya`,); empty for most tokens. Comparisons
    take the best agreement over them.

    A skeleton key (a place level's, `place_levels`) keeps only its consonants, so
    only one of those readings survives in it: its C, written ch, tch or cz, may be a
    French sh (El Facher, El Fasher: FCR, FXR; Rif Dimachq) or a German or Polish kh
    (Chersoń, Kherson: CRSN, HRSN), read as X or H.
    """
    if not token:
        return ()
    if _SKELETON_FORM.fullmatch(token):
        return _key_readings(token)
    return _readings_of(token)


def _key_readings(key: str) -> tuple[str, ...]:
    if "C" not in key:
        return ()
    return (key.replace("C", "X"), key.replace("C", "H"))


@lru_cache(maxsize=_CACHE)
def _readings_of(token: str) -> tuple[str, ...]:
    word = fold(token).replace(" ", "")
    return tuple(dict.fromkeys(r for r in _readings(word) if r and r != word))


def skeletons(token: str) -> frozenset[str]:
    """`skeleton` of the token under every plausible reading of its letters.

    The international reading (`skeleton`) plus, where the letters allow, Somali
    (Cabdiraxmaan -> ABDLRHMN, as Abdirahman), Slavic j (Jaroslav -> ARSLV), French
    ch and ou (Aicha -> AX, Marouane -> MRVN) and German/Polish ch and w (Charkiw ->
    HRKV, Schewtschenko -> XVCNK).
    Use for blocking keys; one to six keys a token.
    """
    if not token:
        return frozenset()
    return _skeletons(token)


@lru_cache(maxsize=_CACHE)
def _skeletons(token: str) -> frozenset[str]:
    if _SKELETON_FORM.fullmatch(token):
        return frozenset((token,))
    word = fold(token).replace(" ", "")
    keys = {_skeleton(token)} if word else set()
    for reading in _readings(word):
        canon = _canonical_word(reading)
        if canon:
            keys.add(_consonants(canon))
    keys.discard("")
    return frozenset(keys)


# ---------------------------------------------------------------------------------------
# Name tokens
# ---------------------------------------------------------------------------------------

_ROMANCE_PARTICLES = frozenset(
    "de del della dela dei degli di da das dos do du des van von der den ter ten vande"
    " vander vanden".split()
)  # merged with what follows: de la Cruz = De La Cruz = Delacruz
_PARTICLE_CHAIN = _ROMANCE_PARTICLES | {"la", "las", "los", "le"}  # de la, van der
_ARTICLES = frozenset("al el ul il ol".split())
_SUN_LETTERS = frozenset("t th d dh r z s sh n".split())
_ABD = frozenset("abd abdul abdel abdal abdil abdoul abdur abdus abdu abdou abde abdol".split())
_ABU = frozenset("abu abou abo".split())
# What follows Abd in a name: a name of God, or in Shia and South Asian use the Prophet's,
# his family's and a few words of the faith (Abd al-Husayn, Abdul Nabi, Abdul Kalam).
# Abdul followed by anything else is a name of its own (Abdul Nhantumbo Issufo is Abdul
# of the Nhantumbo Issufo family), not a compound: merged, a record's lone "Abdul"
# was a different father.
_ABD_PARTNERS = (
    "allah ilah rahman rahim malik quddus salam mumin momin muhaymin aziz jabbar mutakabbir"
    " khaliq bari musawwir ghaffar qahhar wahhab wahab razzaq razaq razak fattah alim aleem"
    " qabid basit khafid rafi muizz sami basir baseer hakam adl latif lateef khabir halim"
    " haleem azim azeem ghafur ghafoor ghafour shakur shakoor ali kabir kabeer hafiz hafeez"
    " muqit hasib haseeb jalil jaleel karim kareem korim raqib mujib wasi hakim hakeem wadud"
    " majid majeed shahid haq haqq hak wakil qawi matin mateen wali hamid hameed muhsi muid"
    " muhyi hayy hai qayyum qayum qayoom wajid wahid waheed wahed ahad samad qadir qader"
    " kadir kader gadir muqtadir awwal akhir zahir batin barr tawwab muntaqim afuw rauf"
    " raouf muqsit jami ghani mughni mani nafi nur noor nour hadi badi baqi warith rashid"
    " rasheed sabur saboor nabi rasul rasool hussain husain hussein husayn hosain hossain"
    " zahra amir mutalib muttalib masih mannan manan sattar satar nasir naser nasser moneim"
    " munim monem kalam alam hay jalal"
)
# "son/daughter of": Arabic, Mauritanian, Sudanese (wad), Luba and Swahili (wa)
_SON_OF = {
    "bin": "bin", "ibn": "bin", "bint": "bint", "binti": "bint", "ould": "ould",
    "wad": "wad", "wa": "wa",
}  # fmt: skip
_ALLAH = frozenset("allah ullah ulla ollah olla illah alla".split())
_CONJUNCTIONS = frozenset(("y", "e"))  # García y López; Portuguese Silva e Santos
_ABD_FUSED = re.compile(r"abd(?:ou|[aeiou])(?:l|([rsdtzn])(?=\1))?(.{3,})")
_DIN_FUSED = re.compile(r"(.{2,}[^aeiouy])(?:ou|[aeiu])d+(?:ee|ea|ii|[iy])ne?")
_DIN_ALONE = re.compile(r"(?:[aeu]l|ou|[aeiu])?d+(?:ee|ea|ii|[iy])ne?")
_ALLAH_FUSED = re.compile(r"(.{2,}[^aeiouy])(?:[aou]ll?ah?|ullah|ollah)")


@lru_cache(maxsize=1)
def _abd_partner_keys() -> frozenset[str]:
    return frozenset(_skeleton(word) for word in _ABD_PARTNERS.split())


def _abd_partner(words: list[str], j: int) -> bool:
    """Whether `words[j]` (after an article, if one) is what follows Abd in a compound,
    in any spelling (Rahmaan, Raxmaan, Rehman share a skeleton with Rahman)."""
    if j < len(words) - 1 and _is_article(words[j], words[j + 1]):
        j += 1
    name = _strip_article(words[j])
    return bool(name) and (
        not _abd_partner_keys().isdisjoint(_skeletons(name))
        or _ALLAH_FUSED.fullmatch(name) is not None
        or name in _ALLAH
    )


def _canonical_word(word: str) -> str:
    """One canonical spelling for fused Arabic compounds inside a single word.

    abd + connective vowel + article (al/el/ul/i/u, or a sun letter doubled) + name ->
    abdal + name; -uddin/-eddine -> aldin; -ullah/-allah/-ollah -> allah.
    """
    if word.startswith("abd"):
        m = _ABD_FUSED.fullmatch(word)
        if m:
            # Abdullah, Abdallah, Abdulla, Abd Allah: every l of article and name as one
            return "abdal" + (m.group(2).lstrip("l") or "l")
    if word.endswith(("din", "dine", "deen", "dyn")):
        m = _DIN_FUSED.fullmatch(word)
        if m:
            return m.group(1) + "aldin"
    if word.endswith(("llah", "lla", "lah")):
        m = _ALLAH_FUSED.fullmatch(word)
        if m:
            return m.group(1) + "allah"
    return word


def _strip_article(word: str) -> str:
    if word[:2] in ("al", "el", "ul") and len(word) > 4:
        return word[2:]
    return word


def _is_article(word: str, following: str) -> bool:
    """al-, el-, or a sun-letter assimilation (ar-Rahman, ash-Shami, ad-Din)."""
    if word in _ARTICLES:
        return True
    if word == "ed":  # Ed is also a given name: an article only in Nasr Ed-Din
        return bool(_DIN_ALONE.fullmatch(following))
    return (
        2 <= len(word) <= 4
        and word[0] in "aeu"
        and word[1:] in _SUN_LETTERS
        and following.startswith(word[1:])
        and len(following) > len(word) - 1
    )


# Written abbreviations of a name, read as the name: Md. (Bengali মোঃ), Mhd (Syria),
# Mohd and Muhd (Malaysia, South Asia) are Mohammed in a father's name as in a child's;
# Myanmar's Mg is Maung (Mg Mg Aung).
_ABBREVIATIONS = {
    "md": "mohammed", "mhd": "mohammed", "mohd": "mohammed", "muhd": "mohammed", "mg": "maung",
}  # fmt: skip
# Haitian Creole's diminutive before a name, from petit: Ti Jean is Jean, Ti Mari Marie
_DIMINUTIVES = frozenset(("ti",))
# "Zahra d/o Mohammad", "Omid s/o Karim", "Fatima w/o Ali" (South Asian and Afghan
# registrations): the link is no word of a name, and its letters took a parent's slots.
_RELATION_LINK = re.compile(r"(?<![^\W\d_])[sdwSDW]\s*/\s*[oO](?![^\W\d_])")
# Ethiopian and Eritrean records shorten a compound's first word to its initial and a
# slash (G/Medhin is Gebremedhin, W/Mariam Woldemariam, H/Mariam Hailemariam, T/Haimanot
# Teklehaimanot), and Sudanese ones Abd (A/Rahman is Abd al-Rahman). H/ and T/ may also
# be Habte and Tesfa: the commoner is written, and the comparators meet the rest.
_SLASHED_PREFIX = re.compile(r"(?<![^\W\d_])([AaGgWwHhTt])\s*/\s*(?=[^\W\d_]{2})")
_SLASHED_WORDS = {"a": "Abd ", "g": "Gebre", "w": "Wolde", "h": "Haile", "t": "Tekle"}


@lru_cache(maxsize=_CACHE)
def _tokenize(text: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Merged tokens, and the bare names that particles were merged onto."""
    if text:
        text = _RELATION_LINK.sub(" ", text)
        text = _SLASHED_PREFIX.sub(lambda m: _SLASHED_WORDS[m.group(1).lower()], text)
    words = [_ABBREVIATIONS.get(w, w) for w in _fold(text).split()] if text else []
    out: list[str] = []
    bare: list[str] = []
    i, n = 0, len(words)
    while i < n:
        w = words[i]
        nxt = words[i + 1] if i + 1 < n else ""
        if nxt:
            if w in _ROMANCE_PARTICLES:
                j = i + 1
                while j < n - 1 and words[j] in _PARTICLE_CHAIN:
                    j += 1
                out.append("".join(words[i : j + 1]))
                bare.append(words[j])
                i = j + 1
                continue
            if w in _ABU or (w in _ABD and _abd_partner(words, i + 1)):
                j = i + 1
                # Abu Abd al-Rahman: the father of Abd al-Rahman, one compound
                inner = w in _ABU and words[j] in _ABD and j < n - 1
                if inner:
                    j += 1
                if j < n - 1 and _is_article(words[j], words[j + 1]):
                    j += 1  # Abd al-Rahman, Abu al-Hassan
                name = _strip_article(words[j])
                if inner:
                    out.append("abu" + _canonical_word("abdal" + name))
                elif w in _ABD:
                    out.append(_canonical_word("abdal" + name))
                else:
                    out.append("abu" + _canonical_word(name))
                    bare.append(name)
                i = j + 1
                continue
            if _is_article(w, nxt):
                merged = _canonical_word("al" + nxt)
                if _DIN_ALONE.fullmatch(nxt) and out:
                    out[-1] = _canonical_word(out[-1] + "aldin")
                else:
                    out.append(merged)
                    bare.append(nxt)
                i += 2
                continue
            if w in _SON_OF:
                if out:  # a patronymic link: Ahmed bin Ali is also written Ahmed Ali
                    i += 1
                    continue
                out.append(_SON_OF[w] + nxt)
                bare.append(nxt)
                i += 2
                continue
            if w in _CONJUNCTIONS and out:
                i += 1
                continue
            if w in _DIMINUTIVES:
                i += 1
                continue
        fused = fused_particle(out[-1], w) if out else None
        if fused:
            out[-1] = fused
            i += 1
            continue
        out.append(_canonical_word(w))
        i += 1
    if text and _ARABIC.search(text):
        # Arabic script writes the article fused: الحسن is also just Hassan.
        bare.extend(t[2:] for t in out if t.startswith("al") and len(t) > 4)
    return tuple(out), tuple(bare)


def name_tokens(text: str) -> list[str]:
    """Folded words of a name with particles merged into canonical tokens.

    `Abd al-Rahman`, `Abdul Rahman`, `Abdulrahman`, `Abdirahman`, `عبد الرحمن` ->
    ['abdalrahman'] (skeleton ABDLRHMN for all, including the Arabic-script one);
    `Salah ad-Din`, `Salahuddin` -> ['salahaldin']; `Habib Ullah` -> ['habiballah'];
    `al-Hassan` -> ['alhassan']; `María de la Cruz` -> ['maria', 'delacruz'];
    `Ahmed bin Ali` -> ['ahmed', 'ali'] (a patronymic link is dropped, a leading
    `Bin` is kept: `Bin Laden` -> ['binladen']); `García y López` -> ['garcia', 'lopez'].
    """
    return list(_tokenize(text)[0]) if text else []


# What registrars write where a name is not known: no one's name, so no evidence. Against
# a parent's real name "Unknown" would otherwise count as a different parent.
_PLACEHOLDERS = frozenset(
    (
        "unknown", "unk", "unkown", "not known", "notknown", "nk", "n k", "n a",
        "none", "null", "no name", "noname", "not available", "not applicable",
        "unnamed", "anonymous", "not given", "not stated", "not specified", "no data",
        "nd", "tbc", "tbd", "missing", "deceased", "dead", "died", "the late",
        "inconnu", "inconnue", "non connu", "pas connu", "nc", "desconocido",
        "desconocida", "no sabe", "ns", "sin nombre", "sin dato", "sin datos",
        "nao sabe", "desconhecido", "desconhecida", "bilinmiyor", "yok",
        "ghir maruf", "ghyr maruf", "majhul", "mjhul", "namaloom", "namalum",
        "neizvestno", "ne izvestno", "neyzvestno", "ne yzvestno", "nevidomo", "ne vidomo",
        "nevidomyi", "nevidomyy", "neizvesten",
    )
)  # fmt: skip
_PLACEHOLDER_FORM = re.compile(r"[x?0]*")
_UNKNOWN_ROLE = re.compile(
    r"(?:unknown|not known|inconnue?|desconocid[oa]|desconhecid[oa]) "
    r"(?:father|mother|parent|name|pere|mere|padre|madre|pai|mae)"
    r"|(?:father|mother|parent|name|pere|mere|padre|madre|pai|mae) "
    r"(?:unknown|not known|inconnue?|desconocid[oa]|desconhecid[oa])"
)


def is_placeholder_name(text: str | None) -> bool:
    """Whether a name field holds a registrar's "not known" (Unknown, N/A, Inconnu,
    غير معروف, невідомо, xxx) rather than a name."""
    folded = fold(text or "")
    return (
        folded in _PLACEHOLDERS
        or bool(_PLACEHOLDER_FORM.fullmatch(folded.replace(" ", "")))
        or bool(_UNKNOWN_ROLE.fullmatch(folded))
    )


# Arabic teknonyms: a parent called by the name of the eldest son, Abu Mohammed and Umm
# Ahmad (أبو محمد, أم أحمد), often all the family gives for a father or mother. Abu Bakr
# and Umm Kulthum are given names themselves.
_FATHER_OF = frozenset("abu abou abo".split())
_MOTHER_OF = frozenset("umm um oum am".split())  # not om: Om Prakash is a name
_TEKNONYM_NAMES = frozenset(("BKR", "KLTM", "KLSM"))


def is_teknonym(text: str | None) -> bool:
    """Whether a parent's name is only a teknonym (Abu Hassan, Umm Ahmad, أبو عبد
    الرحمن): "father of" or "mother of" and one name, the son's. It names a son, not
    the parent, so it neither agrees nor disagrees with the parent's own name."""
    words = fold(text or "").split()
    if len(words) < 2 or words[0] not in _FATHER_OF | _MOTHER_OF:
        return False
    rest = name_tokens(" ".join(words[1:]))
    return len(rest) == 1 and skeleton(_strip_article(rest[0])) not in _TEKNONYM_NAMES


def article_bare_names(text: str) -> list[str]:
    """The names under an article or a particle `name_tokens` merged them with:
    `El Halil` -> ['halil'], `al-Hassan`, `الحسن` -> ['hassan'] / ['hsn'], `de la
    Cruz` -> ['cruz']. One family writes al-Khatib, another Khatib, and Turkish
    registrations El Halil for Khalil; the merged token alone agrees with none of
    them. Not under Abd, Abu or bin: Abdulrahman is not Rahman, nor Abu Bakr Bakr.
    """
    if not text:
        return []
    tokens, bare = _tokenize(text)
    return [
        name
        for name in bare
        if any(t != name and t.endswith(name) and not t.startswith(_COMPOUNDS) for t in tokens)
    ]


# the merged tokens whose bare names are not the name (`article_bare_names`)
_COMPOUNDS = ("abd", "abu", *sorted(set(_SON_OF.values())))


def fused_particle(previous: str, word: str) -> str | None:
    """The one token `previous` and `word` make when `word` is Allah or al-Din written
    apart (name tokens: `kabir`, `ullah` -> `kabirallah`), else None.

    Within one field `name_tokens` fuses them; a record that writes Kabir in the given
    name and Ullah in the family name splits what another writes as Kabir Ullah.
    """
    if not previous or not word:
        return None
    if word in _ALLAH:
        return _canonical_word(previous + "allah")
    if _DIN_ALONE.fullmatch(word):
        return _canonical_word(previous + "aldin")
    return None


def name_keys(text: str) -> list[str]:
    """`skeleton` of each of `name_tokens(text)`: the batch path's one call per name."""
    return [skeleton(t) for t in name_tokens(text)] if text else []


def _joins(tokens: list[str]) -> list[str]:
    joins = [_canonical_word(a + b) for a, b in zip(tokens, tokens[1:], strict=False)]
    if len(tokens) > 2:
        joins.append(_canonical_word("".join(tokens)))
    return joins


def name_forms(
    given: str | None,
    family: str | None,
    other_names: str | None,
    *,
    nicknames: bool = False,
) -> list[str]:
    """Every normalised form of a person's names, for blocking and set overlap.

    Returns, without duplicates and in a stable order:

    * lowercase entries, the folded tokens: of the given name, the family name and each
      `|`-separated other name (`name_tokens`); the join of each two consecutive tokens
      of a field and of the whole field (`maria jose` -> `mariajose`), and of the last
      given with the first family token (`Abdul` + `Rahman` -> `abdalrahman`); the bare
      name under a merged particle (`alhassan` -> also `hassan`, `delacruz` -> `cruz`);
    * UPPERCASE entries, the `skeletons` of every lowercase entry (all readings);
    * with `nicknames=True`, the formal names each token may be a nickname of
      (`nickname_canonicals`) and their skeletons.
    """
    forms: dict[str, None] = {}
    given_tokens = list(_tokenize(given)[0]) if given else []
    family_tokens = list(_tokenize(family)[0]) if family else []
    fields = [given or "", family or ""] + (other_names or "").split("|")
    for field in fields:
        if not field.strip():
            continue
        tokens, bare = _tokenize(field)
        forms.update(dict.fromkeys(tokens))
        forms.update(dict.fromkeys(_joins(list(tokens))))
        forms.update(dict.fromkeys(bare))
    if given_tokens and family_tokens:
        forms[_canonical_word(given_tokens[-1] + family_tokens[0])] = None
    words = [f for f in forms if f]
    if nicknames:
        for word in list(words):
            for canonical in nickname_canonicals(word):
                if canonical not in forms:
                    forms[canonical] = None
                    words.append(canonical)
    for word in words:
        forms.update(dict.fromkeys(sorted(_skeletons(word))))
    forms.pop("", None)
    return list(forms)


# ---------------------------------------------------------------------------------------
# Nicknames
# ---------------------------------------------------------------------------------------


def _read_csv(name: str) -> list[dict[str, str]]:
    path = DATA_DIR / name
    with path.open(encoding="utf-8", newline="") as handle:
        rows = csv.DictReader(line for line in handle if line.strip() and line[0] != "#")
        return [{k: (v or "").strip() for k, v in row.items() if k} for row in rows]


def _word(text: str) -> str:
    return _canonical_word(fold(text).replace(" ", ""))


def _loose(word: str, readings: bool = True) -> frozenset[str]:
    """Vowel-keeping keys (of every reading): finer than a skeleton, for short nicknames."""
    words = [word, *_readings(word)] if readings else [word]
    return frozenset(_consonants(_canonical_word(r), True) for r in words)


class _NicknameIndex:
    """nickname -> formal names, looked up by spelling, then loosely, then by skeleton."""

    def __init__(self, rows: Iterable[dict[str, str]]) -> None:
        self.exact: dict[str, set[str]] = {}
        self.loose: dict[str, set[str]] = {}
        self.skeleton: dict[str, set[str]] = {}
        self.formal: set[str] = set()
        for row in rows:
            formal, nick = _word(row.get("name", "")), _word(row.get("nickname", ""))
            if not formal or not nick or formal == nick:
                continue
            self.exact.setdefault(nick, set()).add(formal)
            self.formal.add(formal)
            # Indexed under the international reading only: a Somali reading of Jacob
            # (Jaob) would otherwise answer for JB.
            for key in _loose(nick, readings=False):
                self.loose.setdefault(key, set()).add(formal)
            key = _skeleton(nick)
            if len(key) >= 2:
                self.skeleton.setdefault(key, set()).add(formal)

    def lookup(self, token: str, by_skeleton: bool = True) -> set[str]:
        if _SKELETON_FORM.fullmatch(token):
            return set(self.skeleton.get(token, ()))
        word = _word(token)
        if word in self.exact:
            return set(self.exact[word])
        # a formal name of the table is no nickname written loosely: João (key Jo) is
        # not Jo, Joseph's; Luis is not Elizabeth's Lis, nor Diana Danylo's Dana
        if word in self.formal:
            return set()
        found: set[str] = set()
        for key in _loose(word):
            found |= self.loose.get(key, set())
        if not found and by_skeleton:
            for key in _skeletons(word):
                found |= self.skeleton.get(key, set())
        return found


@lru_cache(maxsize=1)
def _nicknames() -> _NicknameIndex:
    return _NicknameIndex(_read_csv("nicknames.csv"))


def nickname_canonicals(token: str, by_skeleton: bool = True) -> set[str]:
    """The token and the formal names it may be a nickname or other-language form of.

    From `data/nicknames.csv` (name,nickname,culture; an operator may add rows). A
    folded or raw token is looked up by its spelling, then by a vowel-keeping key so
    that transliterations match (Саша, Sascha -> oleksandr, aleksandr, ...), then by
    skeleton. A skeleton key (as `skeleton` returns) is looked up by skeleton, which is
    looser (MX is both Misha and Masha). Formal names come back folded (lowercase).
    `by_skeleton=False` skips the skeleton fallback for a word, which otherwise finds
    far-fetched relations (Garcia -> Gregory); comparators use the strict form.
    """
    if not token:
        return set()
    return _nickname_canonicals(token, by_skeleton) | {token}


@lru_cache(maxsize=_CACHE)
def _nickname_canonicals(token: str, by_skeleton: bool = True) -> frozenset[str]:
    return frozenset(_nicknames().lookup(token, by_skeleton))


DISTINCT_SET = 1 << 16  # `distinct_name` codes: set * DISTINCT_SET + group


@lru_cache(maxsize=1)
def _distinct_names() -> dict[str, int]:
    sets: dict[str, int] = {}
    groups: dict[tuple[str, str], int] = {}
    codes: dict[str, int] = {}
    for row in _read_csv("distinct_names.csv"):
        name_set, group = row.get("set", ""), row.get("group", "")
        word = _word(row.get("spelling", ""))
        if not name_set or not group or not word:
            continue
        number = sets.setdefault(name_set, len(sets))
        codes[word] = number * DISTINCT_SET + groups.setdefault((name_set, group), len(groups))
    return codes


def distinct_name(token: str) -> int:
    """The group of `data/distinct_names.csv` a name's spelling belongs to, else -1.

    Hassan and Hussein (twins are often given both) are different names, though some
    of their spellings are as alike as spellings of one name (Hassan, Hussain) or, in
    a script that writes no short vowels, the same letters as the other's (Hussen,
    حسن). Two spellings in different groups of one set (`code // DISTINCT_SET`) are
    different names; the table is data an operator may extend.
    """
    return _distinct_names().get(_word(token), -1) if token else -1


@lru_cache(maxsize=1)
def _pet_names() -> frozenset[str]:
    return frozenset(_word(row["name"]) for row in _read_csv("pet_names.csv") if row.get("name"))


def is_pet_name(token: str) -> bool:
    """Whether a name word is a pet name a family gives whatever the child's name
    (`data/pet_names.csv`: Kutty, Kanchha, Munna, Baby), which says nothing of the
    given name. The table is data an operator may extend."""
    return bool(token) and _word(token) in _pet_names()


# ---------------------------------------------------------------------------------------
# Places
# ---------------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _place_terms() -> frozenset[str]:
    terms: set[str] = set()
    for row in _read_csv("place_terms.csv"):
        terms.update(fold(row.get("term", "")).split())
    return frozenset(terms)


def _place_key(words: list[str]) -> str:
    """Skeletons of a level's words, joined, with -sk/-s endings off each word.

    Adjectival forms name oblasts and raions: Kharkivska, Kharkovskaya (oblast) and
    Kharkiv share HRKV; Odeska and Odesa share AD; Donetska and Donetsk share DNT.
    A later word's leading vowel is dropped, as inside one word: a place written in
    one word or two (Jalalabad, جلال آباد; Khamaungseik, Kha Maung Seik) is one key.
    """
    keys = []
    for i, word in enumerate(words):
        key = skeleton(word)
        if len(key) > 3 and key.endswith("SK"):
            key = key[:-2]
        if len(key) > 2 and key.endswith("S"):
            key = key[:-1]
        keys.append(key[1:] if i and key[:1] == "A" and len(key) > 1 else key)
    return "".join(keys)


@lru_cache(maxsize=1)
def _place_directions() -> dict[str, str]:
    return {
        fold(row["term"]): row["direction"]
        for row in _read_csv("place_directions.csv")
        if row.get("term") and row.get("direction")
    }


# "Republic of Sudan", "República de Honduras", "Federal Republic of Somalia", "State
# of Eritrea": the state's form is no part of the country's name. Democratic Republic
# of the Congo keeps its words: without them it would be the other Congo.
_STATE_FORM = re.compile(
    r"^(?:the )?(?:(?:federal|federative|federale|islamic|islamica|islamique|united"
    r"|bolivarian|bolivariana|arab|plurinational) )*"
    r"(?:republic|republica|republique|state|kingdom|sultanate|emirate|estado|etat)"
    r" (?:of|de|du|d|del)(?: (?:the|la|le|l))? (?=\S)"
)


def _place_words(level: str) -> list[str]:
    terms = _place_terms()
    directions = _place_directions()
    folded = _STATE_FORM.sub("", fold(level))
    words = [w for w in folded.split() if len(w) > 1 and w not in terms]
    kept: list[str] = []
    for i, w in enumerate(words):
        nxt = words[i + 1] if i + 1 < len(words) else ""
        if nxt and _is_article(w, nxt):  # Ar-Raqqah, Deir ez-Zor, El Fasher
            continue
        kept.append(w)
    if _ARABIC.search(level):
        kept = [_strip_article(w) if w.startswith("al") else w for w in kept]
    # Nord-Kivu, Kivu Kaskazini: the direction first, in one language (Nord alone, a
    # Haitian department, is North too)
    toward = [directions[w] for w in kept if w in directions]
    return toward + [w for w in kept if w not in directions]


_CODE = re.compile("[A-Z]{2,3}")


@lru_cache(maxsize=1)
def _place_aliases() -> tuple[dict[str, str], dict[str, str]]:
    """(folded variant -> key, key -> key): keys of under four letters match only by
    spelling, since UA, UG and Zaire would otherwise meet Ukraine, Uganda and Syria,
    Halabja and Halba (HLB) Aleppo's Halab, Cizîr and Sudan's Al Jazirah (JSR)
    Algeria's Al-Jazair."""
    exact: dict[str, str] = {}
    by_key: dict[str, set[str]] = {}
    for row in _read_csv("places.csv"):
        name = _place_key(_place_words(row.get("name", "")))
        words = _place_words(row.get("variant", ""))
        variant = _place_key(words)
        if not name or not variant or name == variant:
            continue
        exact[" ".join(words)] = name
        # codes (AFG, SOM) match only as written: Afgooye's key is AFG's
        if len(variant) >= 4 and not _CODE.fullmatch(row.get("variant", "")):
            by_key.setdefault(variant, set()).add(name)
    unambiguous = {k: next(iter(v)) for k, v in by_key.items() if len(v) == 1}
    return exact, unambiguous


# The languages whose names of countries records are written in, besides English: those
# of the hosts and of the displaced (Moçambique, Birmanie, Pologne, Allemagne, Мозамбік).
_COUNTRY_LANGUAGES = ("fr", "es", "pt", "ru", "uk", "ar", "fa", "tr", "de", "pl", "ro", "hu", "it")


@lru_cache(maxsize=1)
def _country_names() -> tuple[dict[str, str], dict[str, str]]:
    """Folded spellings of every country's names in ISO 3166 (pycountry) -> its key:
    (English names and codes, names in other languages).

    Taken by spelling only, and only as a path's first level (`place_levels`): the
    countries' names share their keys with towns (Aleppo's key is Albania's code),
    and a country is written first. Names in other languages are taken only where a
    path goes on below them: alone, Argelia is a Colombian town as often as Algeria
    in Spanish. Where `data/places.csv` names the country, its key wins (Syria, not
    the Syrian Arab Republic).
    """
    exact, _ = _place_aliases()
    table = _table_countries()
    english: dict[str, str] = {}
    other: dict[str, str] = {}
    for own, translated in _countries():
        names = own + translated
        words = [" ".join(_place_words(n)) for n in names]
        keys = [
            exact.get(w) or _place_key(_place_words(n)) for n, w in zip(names, words, strict=True)
        ]
        name = next((k for k in keys if k in table), keys[0])
        for i, word in enumerate(words):
            if word and word not in exact:
                (english if i < len(own) else other).setdefault(word, name)
    return english, other


@lru_cache(maxsize=1)
def _countries() -> list[tuple[list[str], list[str]]]:
    """Each country's English name, three-letter code, official and common names, and
    its names in `_COUNTRY_LANGUAGES` (pycountry's ISO 3166 translations). Not the
    two-letter codes: records use them for their own provinces (KP is Khyber
    Pakhtunkhwa in a Pakistani record, not North Korea); `data/places.csv` gives the
    countries' own where records use them."""
    import gettext

    import pycountry

    translations = []
    for language in _COUNTRY_LANGUAGES:
        try:
            translations.append(
                gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[language])
            )
        except OSError:
            continue
    out = []
    for country in pycountry.countries:
        english = [
            getattr(country, field)
            for field in ("name", "common_name", "official_name")
            if getattr(country, field, None)
        ]
        own = list(dict.fromkeys([english[0], country.alpha_3, *english[1:]]))
        translated = list(dict.fromkeys(t.gettext(n) for t in translations for n in english))
        out.append((own, [n for n in translated if n not in own]))
    return out


@lru_cache(maxsize=1)
def _table_countries() -> frozenset[str]:
    """Keys of the countries `data/places.csv` names (the rows giving a country's code)."""
    return frozenset(
        _place_level(row["name"])
        for row in _read_csv("places.csv")
        if row.get("name") and row.get("variant", "").upper() == row.get("country", "").upper()
    )


@lru_cache(maxsize=1)
def _country_keys() -> frozenset[str]:
    """Keys of the countries: those `data/places.csv` names and ISO 3166's longer ones."""
    table = _table_countries()
    # ISO 3166's other countries: keys of four letters and fewer (Mali ML, Peru PR;
    # Martuni, a town of Armenia, is Mauritania's MRTN) are too often a town's to say
    # "a country" alone, as are keys the table gives a place
    exact, by_key = _place_aliases()
    places = set(exact.values()) | set(by_key) | set(by_key.values())
    iso = {
        key
        for names in _country_names()
        for key in names.values()
        if len(key) >= 5 and key not in places
    }
    return frozenset(table | iso)


def is_country(key: str) -> bool:
    """Whether a level key (`place_levels`) is a country's: a path of one level that is
    a country says where, one that is a town or a region says nothing of the country."""
    return key in _country_keys()


@lru_cache(maxsize=_CACHE)
def _place_level(level: str) -> str:
    words = _place_words(level)
    exact, by_key = _place_aliases()
    found = exact.get(" ".join(words))
    if found:
        return found
    key = _place_key(words)
    return by_key.get(key, key)


@lru_cache(maxsize=_CACHE)
def _top_level(level: str, more: bool) -> str:
    """The key of a path's first level: a country's name in ISO 3166 (`_country_names`)
    names the country; in another language than English only where `more` levels
    follow it."""
    english, other = _country_names()
    words = " ".join(_place_words(level))
    return english.get(words) or (other.get(words) if more else None) or _place_level(level)


def place_levels(path: str | None) -> list[str]:
    """Keys of each level of a location path, coarse to fine, generic words dropped.

    'Ukraine > Kharkiv Oblast > Izium' and 'Україна > Харківська область > Ізюм' ->
    ['AKRN', 'HRKV', 'ASM']. Words like oblast, raion, governorate, wilaya, district,
    city, village (`data/place_terms.csv`, in several languages) and Arabic articles are
    dropped; renamed places and exonyms map through `data/places.csv` (Nikolaev ->
    Mykolaiv, Halab -> Aleppo, UA -> Ukraine). A level left empty is skipped, and a
    level repeating the one before (Kyiv Oblast > Kyiv) is given once.
    """
    if not path:
        return []
    out: list[str] = []
    levels = path.split(">")
    for i, level in enumerate(levels):
        level = level.strip()
        if not level:
            continue
        key = _place_level(level) if i else _top_level(level, len(levels) > 1)
        if key and (not out or out[-1] != key):
            out.append(key)
    return out


# ---------------------------------------------------------------------------------------
# Sex
# ---------------------------------------------------------------------------------------

# Words as written; folded once, on first use, so that any script is accepted.
_FEMALE_WORDS = (
    "f female fem feminine féminin femenino femenina femme fille girl woman w mujer niña"
    " k kobieta dziewczynka ж жін жіноча жіночий жінка дівчинка дівчина жен женский женская"
    " девочка девушка أنثى انثى بنت فتاة دختر زن نجلۍ ښځه naag gabar dhedig"
)
_MALE_WORDS = (
    "m male masc masculine masculin masculino homme garçon boy man hombre niño varón"
    " ч чол чоловіча чоловічий чоловік хлопчик муж мужской мальчик ذكر ولد صبي پسر مرد"
    " هلک wiil lab"
)


@lru_cache(maxsize=1)
def _sex_words() -> tuple[frozenset[str], frozenset[str]]:
    return (
        frozenset(fold(w) for w in _FEMALE_WORDS.split()),
        frozenset(fold(w) for w in _MALE_WORDS.split()),
    )


def parse_sex(value: str | None) -> str | None:
    """'female', 'male', or None when unknown or unrecognised (never a guess).

    Accepts the contract's codes (f/m/u, any case) and common words in the served
    languages (жін., чол., أنثى, ذكر, niña, garçon, wiil, gabar ...).
    """
    if not value:
        return None
    female, male = _sex_words()
    word = fold(value)
    if word in female:
        return "female"
    if word in male:
        return "male"
    first = word.split(" ", 1)[0]
    if len(first) > 2 and first in female:  # "female child"; not single-letter codes
        return "female"
    if len(first) > 2 and first in male:
        return "male"
    return None
