"""From records to arrays: the normalised, vectorisable form of cases and traces.

Every name is folded to Latin, tokenised and reduced to a transliteration-tolerant
skeleton (`matching.normalize`), then stored as integer ids in a shared vocabulary,
so comparators work on numpy arrays of ids rather than on Python strings. Ages and
dates of birth become an interval of possible birth days, which is what makes a
trace and a case recorded months apart comparable.
"""

from __future__ import annotations

import datetime as dt
import re
import threading
import zlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from functools import cached_property, lru_cache
from typing import Any

import numpy as np

from case_store.records import parse_age, parse_bool, parse_date, parse_status
from matching.normalize import (
    article_bare_names,
    fold,
    fused_particle,
    is_placeholder_name,
    is_teknonym,
    name_tokens,
    nickname_canonicals,
    parse_sex,
    place_levels,
    skeleton,
    skeletons,
    writes_long_vowels_only,
)

Record = Mapping[str, str | None]
PAD = -1
NAME_WIDTH = 8
PART_WIDTH = 4
PARENT_WIDTH = 4
PLACE_WIDTH = 4
NICK_WIDTH = 8
YEAR = 365.25
_EPOCH = dt.date(1970, 1, 1).toordinal()
_DIGITS = re.compile(r"\D+")
SEX_CODES = {"female": 1, "male": 2}


class Vocabulary:
    """Token strings <-> dense integer ids, shared by both sides of a comparison.

    Tokens are folded words (lowercase, vowels kept: what Jaro-Winkler compares) and
    skeleton keys (uppercase consonant keys: what transliterations share). `key_of[i]`
    is the id of token i's skeleton key, so "same key" is one array lookup.
    """

    def __init__(self) -> None:
        self._ids: dict[str, int] = {}
        self.strings: list[str] = []
        self.key_of: list[int] = []
        self._readings = _ReadingKeys()

    def __len__(self) -> int:
        return len(self.strings)

    def id(self, token: str) -> int:
        """The id of `token`, adding it (and its skeleton key) when new."""
        found = self._ids.get(token)
        if found is None:
            found = len(self.strings)
            self._ids[token] = found
            self.strings.append(token)
            self.key_of.append(found)
            if not token.isupper():
                key = skeleton(token)
                if key and key != token:
                    self.key_of[found] = self.id(key)
        return found

    def get(self, token: str) -> int | None:
        """The id of a known token, else None (queries must not grow the vocabulary)."""
        return self._ids.get(token)

    def reading_keys(self, since: int = 0) -> tuple[np.ndarray, np.ndarray]:
        """Pairs (token id, key id): the skeleton keys, known to the vocabulary, of
        each word's readings (`matching.normalize.skeletons`), for the words that
        have two keys or more; the pairs of tokens `since` and after, with perhaps
        some of earlier tokens (`_ReadingKeys`)."""
        return self._readings.pairs(self, since)


class _ReadingKeys:
    """`Vocabulary.reading_keys`, worked out once a word for the life of the
    vocabulary.

    Name frequencies are worked out again after every case added in place
    (`scoring.model.TermFrequencies`), and each reading's key was looked up again with
    them for every word known: 1.7 s for the first query after each added case at
    100,000 cases. A key not known yet when a word is read waits for its string to
    join the vocabulary.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._done = 0  # the tokens read so far
        self._size = 0  # the pairs held
        self._tokens = np.empty(0, dtype=np.int64)  # pairs, grown by doubling
        self._keys = np.empty(0, dtype=np.int64)
        self._start: list[int] = []  # per token: the number of pairs when it was read
        self._waiting: dict[str, list[int]] = {}  # key string -> tokens that read it

    def pairs(self, vocabulary: Vocabulary, since: int) -> tuple[np.ndarray, np.ndarray]:
        with self._lock:
            strings, n = vocabulary.strings, len(vocabulary.strings)
            if self._done < n:
                tokens: list[int] = []
                keys: list[int] = []
                for t in range(self._done, n):
                    self._start.append(self._size + len(tokens))
                    token = strings[t]
                    waiting = self._waiting.pop(token, None)
                    if waiting:  # a key that earlier words' readings were waiting for
                        tokens.extend(waiting)
                        keys.extend([t] * len(waiting))
                    if not token.islower():  # a key, a number, a place's code
                        continue
                    found = skeletons(token)
                    if len(found) < 2:  # its own key alone
                        continue
                    for key in sorted(found):
                        kid = vocabulary.get(key)
                        if kid is None:
                            self._waiting.setdefault(key, []).append(t)
                        else:
                            tokens.append(t)
                            keys.append(kid)
                self._done = n
                self._append(tokens, keys)
            start = self._start[since] if since < len(self._start) else self._size
            return self._tokens[start : self._size], self._keys[start : self._size]

    def _append(self, tokens: list[int], keys: list[int]) -> None:
        end = self._size + len(tokens)
        if end > len(self._tokens):
            capacity = max(end, 2 * len(self._tokens), 1024)
            for name in ("_tokens", "_keys"):
                grown = np.empty(capacity, dtype=np.int64)
                grown[: self._size] = getattr(self, name)[: self._size]
                setattr(self, name, grown)
        self._tokens[self._size : end] = tokens
        self._keys[self._size : end] = keys
        self._size = end


def _split_multi(value: str | None) -> list[str]:
    return [part for part in (value or "").split("|") if part.strip()]


_NAME_FIELDS = frozenset(
    ("given_name", "family_name", "father_name", "mother_name", "caregiver_name", "inquirer_name")
)


def _name_reader(record: Record) -> Callable[[str], str | None]:
    """`record.get`, with a name field that holds "not known" (`is_placeholder_name`:
    Unknown, N/A, غير معروف) read as missing: no name, so neither agreement nor
    difference with another record's."""

    def get(key: str) -> str | None:
        value = record.get(key)
        if value and key in _NAME_FIELDS and is_placeholder_name(value):
            return None
        return value

    return get


def _skeletons(text: str | None) -> list[str]:
    """Folded tokens of one name, plus the joins of neighbours (Maria Jose -> mariajose)."""
    return list(_name_skeletons(text or ""))


@lru_cache(maxsize=1 << 18)
def _name_skeletons(text: str) -> tuple[str, ...]:
    # names repeat across a store (a family name, a common given name, a parent's
    # name on every sibling's record): a quarter of encoding went to folding them again
    tokens = [t for t in name_tokens(text) if t]
    joined = [a + b for a, b in zip(tokens, tokens[1:], strict=False)]
    return tuple(_unique(tokens + joined))


def _fused_across(given: str | None, family: str | None) -> str | None:
    """Kabir | Ullah, Nasir | Uddin: the one name written across the two fields."""
    words = name_tokens(family or "")
    if not words or not given:
        return None
    before = name_tokens(given)
    return fused_particle(before[-1], words[0]) if before else None


def _words_only(tokens: list[str]) -> list[str]:
    """`tokens` without the joins of two of them (`_skeletons`: mariajose)."""
    return [
        t for t in tokens if not any(t == a + b for a in tokens for b in tokens if t not in (a, b))
    ]


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))


# Words written after a girl's given name in Bangladesh and among the Rohingya (Nur
# Begum, Rashida Khatun, Nour Bibi, Shamima Akter), folded as `name_tokens` folds them:
# a title or a surname in all but name, shared by her sisters and cousins.
_NAME_TITLES = frozenset(
    "begum begom begam bagum khatun khatoon khaton katun bibi akter akhter aktar".split()
)


def _without_titles(given: str | None) -> tuple[list[str], list[str]] | None:
    """The given-name field's words without the titles that follow its first word, and
    those titles; None where it has none. Hasina Begum is not Begom Nur, though
    "Begum" and "Begom" agree: a title says nothing about which girl it is."""
    words = [t for t in name_tokens(given or "") if t]
    titles = [w for w in words[1:] if w in _NAME_TITLES]
    if not titles:
        return None
    return [words[0], *(w for w in words[1:] if w not in _NAME_TITLES)], titles


# A Slavic patronymic (Oleksandrovych, Viktorivna, Vladimirovna), folded as
# `name_tokens` folds it: the father's given name and a suffix.
_PATRONYMIC = re.compile(r"^([a-z]{3,}?)(?:ovych|ovich|evych|evich|ivna|ovna|evna)$")


def _without_patronymic(given: str | None) -> tuple[str, str] | None:
    """The given-name field without the patronymics after its first word, and the
    father's given name the first one stands for; None where it holds none.

    Ukrainian and Russian registrations write the patronymic after the given name
    (Максим Олександрович). It is the father's name, shared by every brother and
    sister: as a given name, Maksym Oleksandrovych was "similar" to a boy called
    Oleksandr, his father's name. It is kept as the father's given name where the
    record names no father.
    """
    words = [t for t in name_tokens(given or "") if t]
    stems = [m.group(1) for w in words[1:] if (m := _PATRONYMIC.match(w))]
    if not stems:
        return None
    rest = [words[0], *(w for w in words[1:] if not _PATRONYMIC.match(w))]
    return " ".join(rest), stems[0]


def _name_chain(given: str | None, father: str | None) -> tuple[str, str] | None:
    """The child's own given name, and the rest, where the given-name field holds a
    name chain.

    Arabic, Somali, Chadian, Eritrean and Ethiopian names are chains: the child's name,
    the father's, the grandfather's. With no family name, the chain is written whole in
    the given-name field (Adoum Abdelkérim Mahamat, father Abdelkerim). Its later words
    are the family's, shared by every brother and sister: as given names they would
    make her brother Mahamat Abdelkérim agree on "Mahamat", and they are what another
    record writes as the family name (Mahamat | Abdelkérim). A field whose later words
    are found in the father's name is such a chain. None where it is not (or cannot be
    told).
    """
    words = [t for t in name_tokens(given or "") if t]
    if len(words) < 2 or not father:
        return None
    fathers = [t for t in name_tokens(father) if t]
    if any(_similar(word, name) for word in words[1:] for name in fathers):
        return words[0], " ".join(words[1:])
    return None


def _similar(a: str, b: str) -> bool:
    if a == b or skeleton(a) == skeleton(b):
        return True
    if min(len(a), len(b)) < 4:
        return False
    return a.startswith(b) or b.startswith(a)


def birth_interval(
    dob: str | None,
    age: str | None,
    reference: str | None,
    estimated: bool,
    year_only: bool = False,
) -> tuple[float, float] | None:
    """Possible birth days (days since 1970) from a date of birth or an age at a date
    (`birth_range` without its slack)."""
    found = birth_range(dob, age, reference, estimated, year_only)
    return None if found is None else (found[0], found[1])


def birth_range(
    dob: str | None,
    age: str | None,
    reference: str | None,
    estimated: bool,
    year_only: bool = False,
) -> tuple[float, float, float] | None:
    """Possible birth days (days since 1970, first and last) from a date of birth or an
    age at a date, and the slack an estimate added on each side.

    An age of `a` whole years at date `r` means birth in (r - (a+1) years, r - a years].
    An estimated age or date widens the interval: by one year, and a little more for
    older children, whose estimates drift further. A date that stands for its year
    only (`year_only`: see `placeholder_birth_date`) is any day of that year.
    """
    born = _safe(parse_date, dob)
    if born is not None:
        lo = hi = float(born.toordinal() - _EPOCH)
        if year_only:
            hi = lo + YEAR - 1
        slack = YEAR if estimated else 0.0
        return lo - slack, hi + slack, slack
    years = _safe(parse_age, age)
    ref = _safe(parse_date, reference)
    if years is None or ref is None:
        return None
    day = float(ref.toordinal() - _EPOCH)
    lo, hi = day - (years + 1) * YEAR + 1, day - years * YEAR
    slack = YEAR * (1.0 + 0.1 * years) if estimated else 0.0
    return lo - slack, hi + slack, slack


def _day(text: str | None) -> float:
    """A date as days since 1970; NaN when there is none."""
    parsed = _safe(parse_date, text)
    return np.nan if parsed is None else float(parsed.toordinal() - _EPOCH)


def placeholder_birth_date(dob: str | None, estimated: bool | None) -> bool:
    """Whether a date of birth is likely a registrar's placeholder for "born that year".

    Where only the year is known, registrations (UNHCR's, Primero's) commonly write 1
    January of it and often leave "estimated" unticked. Two children "born 2004-01-01"
    then share a date of birth as twins do. A 1 January is taken for its year unless
    the record says explicitly that the date is not estimated.
    """
    if estimated is not None or not dob:
        return False
    born = _safe(parse_date, dob)
    return born is not None and born.month == 1 and born.day == 1


def _safe(parse, value):  # type: ignore[no-untyped-def]
    try:
        return parse(value)
    except (ValueError, TypeError):
        return None


def _bitmask(values: Iterable[str]) -> int:
    """Languages, nationalities, ethnicities hashed into 63 bits: overlap is one AND."""
    mask = 0
    for value in values:
        folded = fold(value)
        if folded:
            mask |= 1 << (zlib.crc32(folded.encode()) % 63)
    return mask


# Identifier kinds that belong to a family rather than to the child: a relative's
# phone or a household number is shared by brothers and sisters. So are a ration card
# and the Family Counting Number given to Rohingya households in Bangladesh (fcn).
_FAMILY_KINDS = re.compile(
    r"phone|tel|mobile|cell|whatsapp|viber|signal|telegram|email|mail|contact|household|"
    r"family|hh|relative|parent|mother|father|caregiver|inquirer|fcn|ration",
    re.IGNORECASE,
)


def identifier_values(
    value: str | None, family: bool | None = None, *, with_kind: bool = False
) -> frozenset[str]:
    """`kind:value` pairs, values compared without punctuation (phones, document numbers).

    `family=True` keeps only family-level kinds (phones, household numbers),
    `family=False` only the child's own documents, None keeps all. `with_kind` keeps
    each value's kind as `kind:value` (kind folded to letters and digits, empty when
    the record gave none), so two different passports can be told from a passport
    and a registration number, which nobody expects to agree.
    """
    found: set[str] = set()
    for part in _split_multi(value):
        kind, _, raw = part.partition(":")
        if not raw:
            kind, raw = "", kind
        if family is not None and bool(_FAMILY_KINDS.search(kind)) != family:
            continue
        digits = _DIGITS.sub("", raw)
        token = digits if len(digits) >= 5 else fold(raw).replace(" ", "")
        if len(token) >= 4:
            token = token[-9:] if digits == token else token
            found.add(f"{_KIND.sub('', fold(kind))}:{token}" if with_kind else token)
    return frozenset(found)


_KIND = re.compile(r"[^a-z0-9]+")


@dataclass
class Encoded:
    """Column arrays for one side (cases or traces); row i is record `ids[i]`."""

    kind: str
    ids: list[str]
    given: np.ndarray
    family: np.ndarray
    names: np.ndarray
    nick: np.ndarray
    # the given-name field's words where it is written in the Arabic script, which
    # writes long vowels only (PAD elsewhere): `scoring.features._long_vowels_differ`
    native_given: np.ndarray
    # the given-name field's own words (no alias, no patronymic or chain): whether two
    # registrations name one child (`scoring.engine._every_given_word_found`)
    own_given: np.ndarray
    father: np.ndarray
    mother: np.ndarray
    other_adult: np.ndarray
    relation: np.ndarray
    # (N, 2): whether the mother's, the father's name is only a teknonym (Umm Ahmad,
    # Abu Hassan: `matching.normalize.is_teknonym`), which names a son, not the parent
    teknonym: np.ndarray
    origin: np.ndarray
    separation: np.ndarray
    sex: np.ndarray
    birth_lo: np.ndarray
    birth_hi: np.ndarray
    birth_slack: np.ndarray  # days each side of the interval widened by an estimate (`birth_range`)
    separation_day: np.ndarray  # the date of separation, days since 1970; NaN unknown
    record_day: np.ndarray  # the registration's (a case) or the inquiry's (a trace)
    has_dob: np.ndarray
    background: np.ndarray
    documents: list[frozenset[str]]  # the child's own, as `kind:value`
    contacts: list[frozenset[str]]
    request: list[str | None]
    proposable: np.ndarray
    row_of: dict[str, int] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.ids)

    def extended(self, more: Encoded) -> Encoded:
        """These rows followed by `more`'s; an id in both maps to its row in `more`
        (a case added again is an update: its older row is the caller's to retire)."""
        joined: dict[str, Any] = {}
        for column in fields(self):
            if column.name in ("kind", "row_of"):
                continue
            mine, theirs = getattr(self, column.name), getattr(more, column.name)
            if isinstance(mine, list):
                joined[column.name] = mine + theirs
            else:
                joined[column.name] = np.concatenate([mine, theirs])
        encoded = Encoded(kind=self.kind, **joined)
        start = len(self)
        encoded.row_of = {**self.row_of, **{rid: start + i for i, rid in enumerate(more.ids)}}
        # per-row facts already worked out carry over: worked out again, they walked
        # every row's documents in Python (25 ms a query after each case added at
        # 100,000 cases); `common_separation_day` depends on all rows and is not kept
        for name in ("holds_documents", "holds_contacts"):
            if name in self.__dict__:
                encoded.__dict__[name] = np.concatenate([self.__dict__[name], getattr(more, name)])
        return encoded

    @cached_property
    def holds_documents(self) -> np.ndarray:
        """Whether each record holds a document of the child's: most hold none, and a
        comparison looks only at pairs where both do."""
        return np.fromiter((bool(d) for d in self.documents), dtype=bool, count=len(self))

    @cached_property
    def holds_contacts(self) -> np.ndarray:
        """Whether each record holds a family phone or household number."""
        return np.fromiter((bool(d) for d in self.contacts), dtype=bool, count=len(self))

    @cached_property
    def common_separation_day(self) -> np.ndarray:
        """Whether each record's date of separation is one that many of these records
        share: more than `COMMON_DAY_SHARE` of them, and more than `COMMON_DAY_MIN`.

        Separations cluster on the day a town falls or a border closes. Two records
        of that day agree about as much as two records of that week: the day is no
        longer the sign of one family (`scoring.features.compare_child`).
        """
        days = self.separation_day
        out = np.zeros(len(days), dtype=bool)
        known = np.flatnonzero(~np.isnan(days))
        if len(known):
            _, inverse, counts = np.unique(days[known], return_inverse=True, return_counts=True)
            bar = max(COMMON_DAY_MIN, COMMON_DAY_SHARE * len(days))
            out[known] = counts[inverse.ravel()] > bar
        return out


COMMON_DAY_SHARE = 0.01  # a date of separation this many records share is common
COMMON_DAY_MIN = 20


RELATIONS = {"mother": 1, "father": 2}


class Encoder:
    """Turns records into `Encoded` arrays with one shared vocabulary."""

    def __init__(self, vocabulary: Vocabulary | None = None) -> None:
        self.vocabulary = vocabulary or Vocabulary()

    def _ids(self, tokens: Sequence[str], width: int) -> list[int]:
        row = [self.vocabulary.id(t) for t in tokens[:width]]
        return row + [PAD] * (width - len(row))

    def encode(self, kind: str, records: Iterable[Record]) -> Encoded:
        """Encode cases (`kind='cases'`) or traces (`kind='traces'`)."""
        is_case = kind == "cases"
        id_key = "case_id" if is_case else "trace_id"
        date_key = "registration_date" if is_case else "inquiry_date"
        cols: dict[str, list] = {
            name: []
            for name in (
                "ids given family names nick native_given own_given father mother other_adult "
                "relation teknonym origin separation separation_day record_day sex birth_lo "
                "birth_hi birth_slack "
                "has_dob background documents contacts request proposable"
            ).split()
        }
        for record in records:
            get = _name_reader(record)
            given_name = get("given_name")
            patronymic = _without_patronymic(given_name)
            if patronymic is not None:
                given_name = patronymic[0]
            given = _skeletons(given_name)
            # al-Khatib is also written Khatib (and El Halil for Khalil): the bare name too
            family = _unique(
                _skeletons(get("family_name")) + article_bare_names(get("family_name") or "")
            )
            fused = _fused_across(given_name, get("family_name"))
            if fused:
                given = _unique([*given, fused])
            relation = (get("inquirer_relation") or "").strip().lower()
            # the words of the given-name field that are the child's own given names
            own_given = given
            chain = None
            if not family:
                father_name = get("father_name")
                if not father_name and not is_case and relation == "father":
                    father_name = get("inquirer_name")
                chain = _name_chain(given_name, father_name)
                if chain is not None:
                    own_given, family = [chain[0]], _skeletons(chain[1])
            if chain is None:
                titled = _without_titles(given_name)
                if titled is not None:
                    own_given = _skeletons(" ".join(titled[0]))
                    family = family or titled[1]
            others: list[str] = []
            aliases: list[str] = []
            for other in _split_multi(get("other_names")):
                if is_placeholder_name(other):
                    continue
                other_patronymic = _without_patronymic(other)
                tokens = _skeletons(other if other_patronymic is None else other_patronymic[0])
                others.extend(tokens)
                others.extend(article_bare_names(other))
                # an alias's first word is a given name; the words after it are often
                # the chain of a father's and grandfather's names (جبريل إبراهيم ادم,
                # Jibril son of Ibrahim son of Adam), which are no given names of his
                aliases.extend(tokens[:1])
            own_family = set(family)
            # An alias that repeats the child's own family name says nothing about the
            # given name: keep it out, or a sibling would agree on it.
            other_given = [t for t in aliases if not any(_similar(t, f) for f in own_family)]
            # An alias stands for the child's own given name where one is written: Hussein
            # called Hassoun is Hussein, though Hassoun is also what a Hassan is called
            # (and spelled alike), and Mohammed called Hamoudi is no Mahmoud. Such an
            # alias is no given name of its own, and its formal names count only where
            # they are forms of the given name's own.
            own_forms: set[str] | None = None
            if own_given:
                own_forms = set()
                for token in own_given:
                    own_forms |= nickname_canonicals(token, by_skeleton=False)
                other_given = [
                    t
                    for t in other_given
                    if t in own_given
                    or not nickname_canonicals(t, by_skeleton=False) & (own_forms - {t})
                ]
            given_side = _unique(own_given + other_given) or ([] if family else [])
            names = _unique(given + family + others)
            nick: list[str] = []
            # nicknames of the given names only: a family name has no diminutive, and
            # mixing them would let a given nickname agree on the family name
            for token in given_side if given_side else names:
                alias = own_forms is not None and token not in own_given
                for canonical in sorted(nickname_canonicals(token, by_skeleton=False)):
                    if canonical != token and not (alias and canonical not in own_forms):
                        nick.append(canonical)
            mother_named, father_named = get("mother_name"), get("father_name")
            father, mother = _skeletons(father_named), _skeletons(mother_named)
            adult_named = get("caregiver_name" if is_case else "inquirer_name")
            other_adult = _skeletons(adult_named)
            if not is_case:
                if relation == "mother" and not mother:
                    mother, mother_named = other_adult, adult_named
                elif relation == "father" and not father:
                    father, father_named = other_adult, adult_named
            cols["teknonym"].append((is_teknonym(mother_named), is_teknonym(father_named)))
            if not father and patronymic is not None:
                father = _skeletons(patronymic[1])
            flag = _safe(parse_bool, get("age_estimated"))
            estimated = bool(flag)
            year_only = placeholder_birth_date(get("date_of_birth"), flag)
            interval = birth_range(
                get("date_of_birth"), get("age"), get(date_key), estimated, year_only
            )
            sex = _safe(parse_sex, get("sex"))
            cols["ids"].append(str(get(id_key)))
            cols["given"].append(self._ids(given_side, PART_WIDTH))
            cols["family"].append(self._ids(family, PART_WIDTH))
            cols["names"].append(self._ids(names, NAME_WIDTH))
            cols["nick"].append(self._ids(_unique(nick), NICK_WIDTH))
            native = own_given if writes_long_vowels_only(given_name or "") else []
            cols["native_given"].append(self._ids(native, PART_WIDTH))
            cols["own_given"].append(self._ids(_words_only(own_given), PART_WIDTH))
            cols["father"].append(self._ids(father, PARENT_WIDTH))
            cols["mother"].append(self._ids(mother, PARENT_WIDTH))
            cols["other_adult"].append(self._ids(other_adult, PARENT_WIDTH))
            cols["relation"].append(RELATIONS.get(relation, 0))
            cols["origin"].append(self._ids(place_levels(get("place_of_origin")), PLACE_WIDTH))
            cols["separation"].append(self._ids(place_levels(get("separation_place")), PLACE_WIDTH))
            cols["record_day"].append(_day(get(date_key)))
            cols["separation_day"].append(_day(get("separation_date")))
            cols["sex"].append(SEX_CODES.get(sex or "", 0))
            cols["birth_lo"].append(interval[0] if interval else np.nan)
            cols["birth_hi"].append(interval[1] if interval else np.nan)
            cols["birth_slack"].append(interval[2] if interval else 0.0)
            cols["has_dob"].append(bool(get("date_of_birth")) and not (estimated or year_only))
            cols["background"].append(
                _bitmask(
                    _split_multi(get("language"))
                    + _split_multi(get("nationality"))
                    + _split_multi(get("ethnicity"))
                )
            )
            cols["documents"].append(
                identifier_values(get("identifiers"), family=False, with_kind=True)
            )
            cols["contacts"].append(identifier_values(get("identifiers"), family=True))
            cols["request"].append(get("request_id") or None)
            status = _safe(parse_status, get("status")) or "open"
            consent = _safe(parse_bool, get("consent_for_tracing")) if is_case else None
            cols["proposable"].append(status == "open" and consent is not False)
        return self._arrays(kind, cols)

    @staticmethod
    def _arrays(kind: str, cols: dict[str, list]) -> Encoded:
        def ids(name: str, width: int) -> np.ndarray:
            data = cols[name]
            return np.asarray(data, dtype=np.int32).reshape(len(data), width)

        encoded = Encoded(
            kind=kind,
            ids=cols["ids"],
            given=ids("given", PART_WIDTH),
            family=ids("family", PART_WIDTH),
            names=ids("names", NAME_WIDTH),
            nick=ids("nick", NICK_WIDTH),
            native_given=ids("native_given", PART_WIDTH),
            own_given=ids("own_given", PART_WIDTH),
            father=ids("father", PARENT_WIDTH),
            mother=ids("mother", PARENT_WIDTH),
            other_adult=ids("other_adult", PARENT_WIDTH),
            relation=np.asarray(cols["relation"], dtype=np.int8),
            teknonym=np.asarray(cols["teknonym"], dtype=bool).reshape(len(cols["ids"]), 2),
            origin=ids("origin", PLACE_WIDTH),
            separation=ids("separation", PLACE_WIDTH),
            sex=np.asarray(cols["sex"], dtype=np.int8),
            birth_lo=np.asarray(cols["birth_lo"], dtype=np.float64),
            birth_hi=np.asarray(cols["birth_hi"], dtype=np.float64),
            birth_slack=np.asarray(cols["birth_slack"], dtype=np.float64),
            separation_day=np.asarray(cols["separation_day"], dtype=np.float64),
            record_day=np.asarray(cols["record_day"], dtype=np.float64),
            has_dob=np.asarray(cols["has_dob"], dtype=bool),
            background=np.asarray(cols["background"], dtype=np.int64),
            documents=cols["documents"],
            contacts=cols["contacts"],
            request=cols["request"],
            proposable=np.asarray(cols["proposable"], dtype=bool),
        )
        encoded.row_of = {rid: i for i, rid in enumerate(encoded.ids)}
        return encoded
