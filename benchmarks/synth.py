"""Synthetic family tracing data with ground truth: realistic, hard, deterministic for a seed.

Matchers are only as good as the data they are measured on, and real FTR records cannot
leave the field. This generator builds families one at a time (parents, 1-5 separated
children, relatives, a place of origin and a separation event) from several cultures with
their own scripts, transliteration habits, naming systems and places, then writes:

- ``cases``: children registered by caseworkers, some twice, some that nobody seeks yet;
- ``traces``: children sought by tracing requests, some never registered;
- ``truth.csv``: every true ``trace_id,case_id`` pair that could be proposed;
- ``difficulty.csv``: the one difficulty that makes each trace hard, for sliced accuracy.

Noise is applied the way it arises in the field (another transliteration, the original
script, a nickname, swapped or partial name fields, guessed ages, coarse or respelled
places), and hard negatives come from the data itself: siblings and twins, families sharing
a common surname in one town, the same child registered twice.

Rows are streamed to disk through a bucketed external shuffle, so memory stays bounded at a
million cases and file order reveals nothing about families. Everything is drawn from
``random.Random`` streams seeded from ``seed``, so one seed always gives byte-identical files.

Run ``python -m benchmarks.synth --cases 20000 --seed 1 --out /tmp/synth``.
"""

from __future__ import annotations

import argparse
import csv
import json
import shutil
import sys
import tempfile
import time
import unicodedata
from bisect import bisect
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path
from random import Random
from typing import Literal, Protocol

from case_store.fields import CASE_FIELDS, TRACE_FIELDS

__all__ = [
    "CASE_COLUMNS",
    "DIFFICULTIES",
    "TRACE_COLUMNS",
    "SynthPaths",
    "SynthStats",
    "generate",
    "generate_with_stats",
    "main",
]

# --- the contract's record formats -------------------------------------------------------

# one definition of the contract's columns, shared with import and export
CASE_COLUMNS: tuple[str, ...] = CASE_FIELDS
TRACE_COLUMNS: tuple[str, ...] = TRACE_FIELDS

TRUTH_COLUMNS: tuple[str, ...] = ("trace_id", "case_id")
DIFFICULTY_COLUMNS: tuple[str, ...] = ("trace_id", "difficulty")

DIFFICULTIES: tuple[str, ...] = (
    "transliteration",
    "other_script",
    "nickname",
    "name_order",
    "estimated_age",
    "place_variant",
    "sibling_twin",
    "common_name",
    "duplicate",
    "unmatched",
    "plain",
)

# JSON Lines carries native types for these, as real exports do; CSV carries text.
_INT_COLUMNS = frozenset({"age"})
_BOOL_COLUMNS = frozenset({"age_estimated", "consent_for_tracing"})

# --- population parameters (tuned so every difficulty holds >= ~5% of traces) ----------------

#: Share of separated children registered at least once. The rest are sought but unregistered
#: (unmatched traces, about 15% of traces once closed records are counted).
P_REGISTERED = 0.89
#: Share of registered children registered a second time, often in another country.
P_DUPLICATE = 0.10
#: Chance that a family files a tracing request, and that a request names a given child.
#: Together they set traces ~= cases / 2; it follows that about half of the cases are
#: children nobody is looking for yet.
P_REQUEST = 0.51
P_SOUGHT = 0.86
#: Chance that a second relative files another request for the same children.
P_SECOND_REQUEST = 0.03
#: Share of families built around close siblings or twins, all registered.
P_SIBLING_FAMILY = 0.045
#: Chance that the next unit is a cluster of 2-4 families sharing a common surname and town.
P_COMMON_CLUSTER = 0.04

#: Relative weights of the per-trace difficulties, before feasibility (only four cultures
#: have another script, not every name has a nickname).
_TRACE_LABEL_WEIGHTS: dict[str, float] = {
    "transliteration": 1.0,
    "other_script": 1.75,
    "nickname": 1.8,
    "name_order": 1.0,
    "estimated_age": 1.0,
    "place_variant": 1.0,
    "plain": 1.0,
}
#: Chance that a label's noise lands on the case rather than the trace.
_CASE_SIDE: dict[str, float] = {
    "transliteration": 0.5,
    "other_script": 0.5,
    "nickname": 0.6,
    "name_order": 0.75,
    "estimated_age": 0.85,
    "place_variant": 0.6,
    "plain": 0.5,
}

_LAST_DATE = date(2025, 6, 30).toordinal()
_ROWS_PER_BUCKET = 40_000

_DATA_DIR = Path(__file__).parent / "data"


@dataclass(frozen=True)
class SynthPaths:
    """Where one generated data set lives."""

    cases: Path
    traces: Path
    truth: Path
    difficulty: Path

    @staticmethod
    def under(out_dir: Path, fmt: str) -> SynthPaths:
        """The four files of a data set in `out_dir`, which is made if missing."""
        out_dir = Path(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        return SynthPaths(
            cases=out_dir / f"cases.{fmt}",
            traces=out_dir / f"traces.{fmt}",
            truth=out_dir / "truth.csv",
            difficulty=out_dir / "difficulty.csv",
        )


def write_data_set(
    out_dir: Path,
    fmt: str,
    rng: Random,
    cases: list[dict[str, str]],
    traces: list[dict[str, str]],
    truth: Iterable[tuple[str, str]],
    labels: dict[str, str],
) -> SynthPaths:
    """Write a generated data set held in memory (the field and mosaic generators'; the
    first two stream theirs): the cases and traces in the contract's columns, CSV or
    JSON Lines, shuffled first by `rng` so that file order says nothing about families,
    siblings or duplicates; the (trace, case) `truth` pairs and each trace's label
    (`labels`), as CSV."""
    if fmt not in ("csv", "jsonl"):
        raise ValueError(f"fmt must be csv or jsonl, not {fmt!r}")
    rng.shuffle(cases)
    rng.shuffle(traces)
    paths = SynthPaths.under(out_dir, fmt)
    tables = ((CASE_COLUMNS, cases), (TRACE_COLUMNS, traces))
    for path, (columns, rows) in zip((paths.cases, paths.traces), tables, strict=True):
        with path.open("w", encoding="utf-8", newline="") as f:
            if fmt == "jsonl":
                for row in rows:
                    f.write(json.dumps({k: row[k] for k in columns}, ensure_ascii=False) + "\n")
                continue
            writer = csv.DictWriter(f, fieldnames=columns)
            writer.writeheader()
            writer.writerows(rows)
    for path, header, pairs in (
        (paths.truth, ("trace_id", "case_id"), sorted(truth)),
        (
            paths.difficulty,
            ("trace_id", "difficulty"),
            [(t["trace_id"], labels[t["trace_id"]]) for t in traces],
        ),
    ):
        with path.open("w", encoding="utf-8", newline="") as f:
            out = csv.writer(f)
            out.writerow(header)
            out.writerows(pairs)
    return paths


@dataclass
class SynthStats:
    """Counts from one run, for the CLI summary and for tests that check proportions."""

    cases: int = 0
    traces: int = 0
    requests: int = 0
    truth_pairs: int = 0
    unmatched_cases: int = 0
    families: int = 0
    difficulty: Counter[str] = field(default_factory=Counter)
    cultures: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0


# --- scripts and transliteration ----------------------------------------------------------


def _is_script(text: str) -> bool:
    """True when the text is written in Cyrillic or Arabic script rather than Latin."""
    for ch in text:
        o = ord(ch)
        if 0x0400 <= o <= 0x052F or 0x0600 <= o <= 0x06FF or 0xFB50 <= o <= 0xFEFF:
            return True
    return False


def _fold(text: str) -> str:
    """Lowercase ASCII skeleton, so an accent dropped is not mistaken for a respelling."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if c.isalnum())


def _capitalise(text: str) -> str:
    """Capitalise each word and hyphen part, as names are written on forms."""
    return " ".join(
        "-".join(p[:1].upper() + p[1:] for p in word.split("-")) for word in text.split(" ")
    )


# Ukrainian Cyrillic -> Latin. The national passport system (KMU 2010) comes first; the
# others are what caseworkers, older documents and host countries actually produce.
_UK_BASE: dict[str, str] = {
    "а": "a", "б": "b", "в": "v", "г": "h", "ґ": "g", "д": "d", "е": "e", "є": "ie",
    "ж": "zh", "з": "z", "и": "y", "і": "i", "ї": "i", "й": "i", "к": "k", "л": "l",
    "м": "m", "н": "n", "о": "o", "п": "p", "р": "r", "с": "s", "т": "t", "у": "u",
    "ф": "f", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "shch", "ь": "", "ю": "iu",
    "я": "ia", "'": "", "ʼ": "", "’": "", "ы": "y", "э": "e", "ё": "yo", "ъ": "",
}  # fmt: skip
_UK_Y = {"є": "ye", "ї": "yi", "й": "y", "ю": "yu", "я": "ya"}
_UK_SCHEMES: tuple[tuple[dict[str, str], dict[str, str], tuple[tuple[str, str], ...]], ...] = (
    # national passport (KMU 2010): ie/iu/ia inside a word, ye/yu/ya at its start
    (_UK_BASE, _UK_Y, ()),
    # popular English spelling: y-forms everywhere (Andriy, Mariya)
    ({**_UK_BASE, **_UK_Y}, _UK_Y, ()),
    # Russian-influenced (g for г, i for и): older documents, Russian-speaking caseworkers
    ({**_UK_BASE, **_UK_Y, "г": "g", "и": "i", "є": "ye", "ї": "i"}, _UK_Y, ()),
    # German
    (
        {
            **_UK_BASE,
            "в": "w",
            "ж": "sch",
            "з": "s",
            "й": "j",
            "х": "ch",
            "ц": "z",
            "ч": "tsch",
            "ш": "sch",
            "щ": "schtsch",
            "ю": "ju",
            "я": "ja",
            "є": "je",
            "ї": "ji",
        },
        {"є": "je", "ї": "ji", "й": "j", "ю": "ju", "я": "ja"},
        (("ks", "x"),),
    ),  # fmt: skip
    # Polish
    (
        {
            **_UK_BASE,
            "в": "w",
            "ж": "ż",
            "й": "j",
            "ц": "c",
            "ч": "cz",
            "ш": "sz",
            "щ": "szcz",
            "ю": "ju",
            "я": "ja",
            "є": "je",
            "ї": "ji",
        },
        {"є": "je", "ї": "ji", "й": "j", "ю": "ju", "я": "ja"},
        (),
    ),  # fmt: skip
    # French
    (
        {
            **_UK_BASE,
            "ж": "j",
            "й": "ï",
            "у": "ou",
            "ч": "tch",
            "ш": "ch",
            "щ": "chtch",
            "ю": "iou",
            "я": "ia",
            "є": "ie",
            "ї": "ï",
        },
        {"ю": "iou", "я": "ia", "є": "ie", "ї": "ï", "й": "y"},
        (),
    ),  # fmt: skip
)


def _translit_uk(text: str, scheme: int) -> str:
    """Transliterate Ukrainian Cyrillic with one of the schemes seen on real documents."""
    table, initial, post = _UK_SCHEMES[scheme]
    out: list[str] = []
    at_start = True
    for ch in text.lower():
        if ch in " -":
            out.append(ch)
            at_start = True
            continue
        if at_start and ch in initial:
            out.append(initial[ch])
        else:
            out.append(table.get(ch, ch))
        at_start = False
    result = "".join(out)
    for old, new in post:
        result = result.replace(old, new)
    return _capitalise(result)


def _feminine_uk(text: str) -> str:
    """Ukrainian feminine surname (Kovalskyi -> Kovalska, Ivanov -> Ivanova), any script."""
    low = text.lower()
    for masc, fem in (
        ("ський", "ська"), ("цький", "цька"), ("ов", "ова"), ("ев", "ева"), ("єв", "єва"),
        ("ін", "іна"), ("ин", "ина"), ("skyi", "ska"), ("skyy", "ska"), ("skiy", "ska"),
        ("skij", "ska"), ("skyj", "ska"), ("skyï", "ska"), ("ski", "ska"), ("sky", "ska"),
        ("ov", "ova"), ("ev", "eva"), ("ow", "owa"), ("ew", "ewa"), ("in", "ina"),
    ):  # fmt: skip
        if low.endswith(masc):
            return text[: len(text) - len(masc)] + fem
    return text


# --- name and place tables ------------------------------------------------------------


@dataclass(frozen=True, slots=True, eq=False)
class _Name:
    """One name with all the ways it gets written.

    ``latin[0]`` is the usual document spelling; ``script`` holds original-script forms
    (first the usual one). Identity equality: each table entry is one name.
    """

    latin: tuple[str, ...]
    script: tuple[str, ...]
    nick_latin: tuple[str, ...] = ()
    nick_script: tuple[str, ...] = ()
    folded: tuple[str, ...] = ()
    feminine: _Name | None = None


def _dedupe(items: Iterable[str]) -> tuple[str, ...]:
    """Drop repeats and empties, keeping the first occurrence's order (never set order)."""
    return tuple(dict.fromkeys(i for i in items if i))


def _make_name(variants: Sequence[str], nicknames: Sequence[str], auto_uk: bool) -> _Name:
    """Build a name from a table cell; Ukrainian Cyrillic gets its transliterations computed."""
    script = [v for v in variants if _is_script(v)]
    latin = [v for v in variants if not _is_script(v)]
    if auto_uk and script:
        auto = [_translit_uk(script[0], s) for s in range(len(_UK_SCHEMES))]
        lead = [latin[0]] if variants and not _is_script(variants[0]) else []
        rest = [v for v in latin if v not in lead]
        latin = [*lead, *auto[:2], *rest, *auto[2:]]
    latin_t = _dedupe(latin)
    if not latin_t:
        raise ValueError(f"name without a Latin form: {variants!r}")
    nick_latin = _dedupe(n for n in nicknames if not _is_script(n))
    nick_script = _dedupe(n for n in nicknames if _is_script(n))
    return _Name(
        latin=latin_t,
        script=_dedupe(script),
        nick_latin=nick_latin,
        nick_script=nick_script,
        folded=tuple(_fold(v) for v in latin_t),
    )


def _with_feminine(name: _Name) -> _Name:
    """Attach the Ukrainian feminine form of a surname, when it differs."""
    if not name.script:
        return name
    fem_script = [_feminine_uk(s) for s in name.script]
    if fem_script[0] == name.script[0]:
        return name
    fem_latin = [_translit_uk(fem_script[0], s) for s in range(len(_UK_SCHEMES))]
    fem_latin += [_feminine_uk(v) for v in name.latin]
    fem = _make_name([*fem_script, *fem_latin], (), auto_uk=False)
    return _Name(name.latin, name.script, (), (), name.folded, fem)


@dataclass(frozen=True, slots=True)
class _Pool:
    """Names with Zipf-like frequencies: a few very common names, a long tail."""

    items: tuple[_Name, ...]
    cum: tuple[float, ...]

    @classmethod
    def zipf(cls, items: Sequence[_Name], exponent: float) -> _Pool:
        total = 0.0
        cum: list[float] = []
        for rank in range(len(items)):
            total += 1.0 / (rank + 1) ** exponent
            cum.append(total)
        return cls(tuple(items), tuple(cum))

    def pick(self, rng: Random) -> _Name:
        return self.items[bisect(self.cum, rng.random() * self.cum[-1])]

    def pick_top(self, rng: Random, k: int) -> _Name:
        return self.items[rng.randrange(min(k, len(self.items)))]


@dataclass(frozen=True, slots=True, eq=False)
class _Place:
    """A location path: country > region > town, each level with its spellings."""

    country: _Name
    region: _Name
    town: _Name
    capital: _Name  # the region's main town: what a child from a village often names


@dataclass(frozen=True, slots=True)
class _Profile:
    """Hand-written facts about a culture that the tables do not carry."""

    weight: float
    naming: str  # slavic | arab | chain | nilotic | afghan | congolese | spanish
    family_parts: int  # how many surname parts a form usually shows
    given_exponent: float
    family_exponent: float
    start: date  # the displacement window: separations happen in it
    end: date
    languages: tuple[tuple[str, float], ...]
    ethnicities: tuple[tuple[str, float], ...]


_PROFILES: dict[str, _Profile] = {
    "ukrainian": _Profile(
        0.20, "slavic", 1, 0.75, 0.55, date(2022, 2, 24), date(2024, 9, 30),
        (("uk", 5), ("uk|ru", 3), ("ru", 1.5), ("Ukrainian", 1), ("ukr", 0.5)),
        (("Ukrainian", 8), ("Russian", 1), ("Roma", 0.7), ("Crimean Tatar", 0.3)),
    ),
    "syrian": _Profile(
        0.13, "arab", 1, 1.0, 0.7, date(2012, 3, 1), date(2021, 12, 31),
        (("ar", 6), ("Arabic", 2), ("ar|ku", 1), ("kmr", 0.5)),
        (("Arab", 8), ("Kurdish", 2), ("Turkmen", 0.6)),
    ),
    "sudanese": _Profile(
        0.12, "chain", 2, 1.0, 1.0, date(2023, 4, 15), date(2024, 12, 31),
        (("ar", 6), ("ar|fvr", 1.5), ("mls", 1), ("Arabic", 1)),
        (("Masalit", 3), ("Fur", 3), ("Zaghawa", 2), ("Arab", 2)),
    ),
    "somali": _Profile(
        0.10, "chain", 2, 1.0, 1.0, date(2011, 7, 1), date(2023, 12, 31),
        (("so", 7), ("so|ar", 1), ("Somali", 2), ("May", 0.6)),
        (("Somali", 8), ("Somali Bantu", 1.5), ("Bajuni", 0.3)),
    ),
    "south_sudanese": _Profile(
        0.10, "nilotic", 1, 0.8, 0.8, date(2013, 12, 15), date(2019, 12, 31),
        (("din", 4), ("nus", 3), ("en|din", 1), ("apd", 1), ("Nuer", 1)),
        (("Dinka", 5), ("Nuer", 4), ("Shilluk", 1), ("Murle", 0.5)),
    ),
    "afghan": _Profile(
        0.12, "afghan", 1, 1.0, 0.6, date(2021, 8, 15), date(2023, 12, 31),
        (("fa-AF", 3), ("prs", 2), ("ps", 3), ("fa|ps", 1), ("Dari", 1)),
        (("Pashtun", 4), ("Tajik", 3), ("Hazara", 2.5), ("Uzbek", 1)),
    ),
    "congolese": _Profile(
        0.11, "congolese", 2, 0.7, 0.7, date(2017, 1, 1), date(2024, 12, 31),
        (("fr|sw", 3), ("sw", 3), ("ln", 2), ("fr", 2), ("lua", 0.5), ("Kinyarwanda", 0.5)),
        (("Nande", 3), ("Hunde", 1), ("Hutu", 1.5), ("Shi", 1.5), ("Luba", 1.5), ("Hema", 1)),
    ),
    "central_american": _Profile(
        0.12, "spanish", 2, 0.8, 0.9, date(2018, 1, 1), date(2024, 12, 31),
        (("es", 8), ("Spanish", 1), ("es|quc", 0.6), ("es|kek", 0.5), ("es|mam", 0.4)),
        (("Mestizo", 6), ("Maya K'iche'", 1), ("Maya Q'eqchi'", 1), ("Garifuna", 0.5)),
    ),
}  # fmt: skip

# Nationality as it gets written, and the telephone country code, by country of origin.
_NATIONALITY: dict[str, tuple[str, ...]] = {
    "Ukraine": ("Ukrainian", "UKR", "UA", "Ukraine"),
    "Syria": ("Syrian", "SYR", "Syria", "سوري"),
    "Sudan": ("Sudanese", "SDN", "SD", "سوداني"),
    "Somalia": ("Somali", "SOM", "Somalia"),
    "South Sudan": ("South Sudanese", "SSD", "SS"),
    "Afghanistan": ("Afghan", "AFG", "Afghani"),
    "DR Congo": ("Congolese", "COD", "Congolaise", "Congolais"),
    "Guatemala": ("Guatemalan", "GTM", "guatemalteca", "guatemalteco"),
    "Honduras": ("Honduran", "HND", "hondureña", "hondureño"),
    "El Salvador": ("Salvadoran", "SLV", "salvadoreña", "salvadoreño"),
}
_PHONE: dict[str, tuple[str, str]] = {
    "Ukraine": ("380", "67"),
    "Syria": ("963", "9"),
    "Sudan": ("249", "9"),
    "Somalia": ("252", "61"),
    "South Sudan": ("211", "92"),
    "Afghanistan": ("93", "7"),
    "DR Congo": ("243", "8"),
    "Guatemala": ("502", "5"),
    "Honduras": ("504", "9"),
    "El Salvador": ("503", "7"),
}


@dataclass(frozen=True, slots=True)
class _Culture:
    """Everything needed to invent families of one origin."""

    key: str
    profile: _Profile
    male: _Pool
    female: _Pool
    family: _Pool | None
    male_alias: _Pool | None
    female_alias: _Pool | None
    origins: tuple[_Place, ...]
    hosts: tuple[_Place, ...]
    has_script: bool


def _split(cell: str | None) -> list[str]:
    return [v.strip() for v in (cell or "").split("|") if v.strip()]


@lru_cache(maxsize=1)
def _load_cultures() -> tuple[_Culture, ...]:
    """Read the name and place tables once per process."""
    names: dict[tuple[str, str], list[_Name]] = {}
    for path in sorted(_DATA_DIR.glob("names_*.csv")):
        with path.open(encoding="utf-8", newline="") as f:
            for row in csv.DictReader(f):
                culture, kind = row["culture"], row["kind"]
                name = _make_name(
                    _split(row["variants"]), _split(row.get("nicknames")), culture == "ukrainian"
                )
                if culture == "ukrainian" and kind == "family":
                    name = _with_feminine(name)
                names.setdefault((culture, kind), []).append(name)

    places: dict[tuple[str, str], list[tuple[_Name, _Name, _Name]]] = {}
    cache: dict[str, _Name] = {}

    def place_name(cell: str, culture: str) -> _Name:
        if cell not in cache:
            cache[cell] = _make_name(_split(cell), (), culture == "ukrainian")
        return cache[cell]

    with (_DATA_DIR / "places.csv").open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            c = row["culture"]
            levels = tuple(place_name(row[k], c) for k in ("country", "region", "town"))
            places.setdefault((c, row["kind"]), []).append(levels)  # type: ignore[arg-type]

    def build(rows: list[tuple[_Name, _Name, _Name]]) -> tuple[_Place, ...]:
        capitals: dict[int, _Name] = {}
        for _, region, town in rows:
            capitals.setdefault(id(region), town)
        return tuple(_Place(c, r, t, capitals[id(r)]) for c, r, t in rows)

    cultures = []
    for key, prof in _PROFILES.items():
        fam = names.get((key, "family"))
        m_alias = names.get((key, "m_alias"))
        f_alias = names.get((key, "f_alias"))
        male = names[(key, "m")]
        cultures.append(
            _Culture(
                key=key,
                profile=prof,
                male=_Pool.zipf(male, prof.given_exponent),
                female=_Pool.zipf(names[(key, "f")], prof.given_exponent),
                family=_Pool.zipf(fam, prof.family_exponent) if fam else None,
                male_alias=_Pool.zipf(m_alias, 0.8) if m_alias else None,
                female_alias=_Pool.zipf(f_alias, 0.8) if f_alias else None,
                origins=build(places[(key, "origin")]),
                hosts=build(places[(key, "host")]),
                has_script=any(n.script for n in male),
            )
        )
    return tuple(cultures)


# --- the family model ---------------------------------------------------------------


@dataclass(slots=True, eq=False)
class _Person:
    """A person as names: a given name and the surname parts their documents show."""

    given: _Name
    family: tuple[_Name, ...]
    sex: str  # "m" | "f"


@dataclass(slots=True, eq=False)
class _Child:
    person: _Person
    dob: int  # ordinal
    alias: _Name | None  # a baptismal name used alongside the personal name


@dataclass(slots=True, eq=False)
class _Family:
    culture: _Culture
    father: _Person
    mother: _Person
    children: list[_Child]
    origin: _Place
    separation_place: _Place
    separated: int  # ordinal
    phone: str
    passport: str
    ethnicity: str
    scenario: str  # normal | sibling | common
    great_grandfather: _Name  # the father's grandfather: a long chain's third part
    spelling: dict[_Name, int] = field(default_factory=dict)
    relatives: dict[str, _Person] = field(default_factory=dict)


@dataclass(slots=True)
class _Voice:
    """How one record writes the child: the noise one side of a pair carries."""

    given: str = "passport"  # passport | alt | script | nick
    family: str = "passport"  # passport | alt | script
    parents: str = "passport"  # passport | alt | script
    structure: str = ""
    typo: bool = False
    age: str = "exact"  # exact | estimated
    place: str = "canon"  # canon | variant | script
    bridge: bool = False  # also write the other form in other_names
    keep_place: bool = False  # always write place_of_origin (both sides of a place pair)


@dataclass(slots=True)
class _Registration:
    case_id: str
    date: int
    host: _Place
    proposable: bool
    status: str
    consent: str


@dataclass(slots=True)
class _Request:
    request_id: str
    date: int
    relation: str
    inquirer: _Person
    sought: list[int]
    inquirer_text: str = ""


# --- output -----------------------------------------------------------------------


class _ShuffledTable:
    """Rows written in a seeded random order without holding the file in memory.

    Each row goes to one of several bucket files chosen at random; at the end each bucket
    is shuffled in memory and appended. That is a uniform shuffle whose memory is one bucket.
    Values never contain newlines, so a row is always one line.
    """

    def __init__(
        self,
        path: Path,
        columns: Sequence[str],
        fmt: str,
        buckets: int,
        rng: Random,
        tmp_dir: Path,
    ) -> None:
        self.path = path
        self.columns = tuple(columns)
        self.fmt = fmt
        self.rng = rng
        self.count = 0
        self._parts = [tmp_dir / f"{path.stem}.{i}.part" for i in range(max(1, buckets))]
        self._files = [p.open("w", encoding="utf-8", newline="") for p in self._parts]
        self._writers = [csv.writer(f, lineterminator="\n") for f in self._files]
        self._typed = [
            (i, c in _INT_COLUMNS, c in _BOOL_COLUMNS) for i, c in enumerate(self.columns)
        ]

    def write(self, values: list[str]) -> None:
        i = self.rng.randrange(len(self._files)) if len(self._files) > 1 else 0
        if self.fmt == "csv":
            self._writers[i].writerow(values)
        else:
            obj: dict[str, object] = {}
            for j, is_int, is_bool in self._typed:
                v = values[j]
                if v == "":
                    continue
                if is_int:
                    obj[self.columns[j]] = int(v)
                elif is_bool:
                    obj[self.columns[j]] = v == "true"
                else:
                    obj[self.columns[j]] = v
            self._files[i].write(json.dumps(obj, ensure_ascii=False) + "\n")
        self.count += 1

    def finish(self) -> None:
        for f in self._files:
            f.close()
        with self.path.open("w", encoding="utf-8", newline="") as out:
            if self.fmt == "csv":
                csv.writer(out, lineterminator="\n").writerow(self.columns)
            for part in self._parts:
                with part.open(encoding="utf-8", newline="\n") as f:
                    lines = f.readlines()
                self.rng.shuffle(lines)
                out.writelines(lines)
                del lines
                part.unlink()


class _RowWriter(Protocol):
    """What the generator needs of a ``csv.writer``."""

    def writerow(self, row: Iterable[str], /) -> object: ...


class _Ids:
    """Unique identifiers that look random and reveal nothing of family or order.

    A keyed Feistel permutation of a counter: a bijection, so no collisions and no set of
    issued ids to remember.
    """

    def __init__(self, prefix: str, rng: Random, half_bits: int) -> None:
        self.prefix = prefix
        self.half = half_bits
        self.mask = (1 << half_bits) - 1
        self.keys = [rng.getrandbits(32) for _ in range(4)]
        self.width = (2 * half_bits + 3) // 4
        self.next = 0

    def new(self) -> str:
        x = self.next
        self.next += 1
        left, right = x >> self.half, x & self.mask
        for k in self.keys:
            left, right = right, left ^ (((right * 0x9E3779B1 + k) >> 7) & self.mask)
        return f"{self.prefix}{(left << self.half) | right:0{self.width}x}"


# --- the generator ------------------------------------------------------------------


def _iso(ordinal: int) -> str:
    return date.fromordinal(ordinal).isoformat()


def _years(born: int, at: int) -> int:
    """Whole years between two ordinals, as an age on a form."""
    b, a = date.fromordinal(born), date.fromordinal(at)
    return a.year - b.year - ((a.month, a.day) < (b.month, b.day))


def _adulthood(born: int) -> int:
    """The ordinal of the 18th birthday: from then on a person is no longer a case."""
    b = date.fromordinal(born)
    try:
        return b.replace(year=b.year + 18).toordinal()
    except ValueError:  # born on 29 February
        return date(b.year + 18, 3, 1).toordinal()


def _weighted(rng: Random, options: Sequence[tuple[str, float]]) -> str:
    total = sum(w for _, w in options)
    r = rng.random() * total
    for value, w in options:
        r -= w
        if r < 0:
            return value
    return options[-1][0]


# Respellings for names with a single table spelling, by naming tradition: what clerks
# hearing the name actually write.
_RESPELL_GENERIC: tuple[tuple[str, str], ...] = (
    ("ph", "f"), ("th", "t"), ("ou", "u"), ("oo", "u"), ("ee", "i"), ("y", "i"), ("i", "y"),
    ("k", "c"), ("c", "k"), ("ck", "k"), ("sh", "ch"), ("ch", "sh"), ("j", "y"), ("w", "v"),
    ("v", "w"), ("x", "ks"), ("z", "s"), ("ll", "l"), ("nn", "n"), ("ss", "s"), ("tt", "t"),
)  # fmt: skip
_RESPELL: dict[str, tuple[tuple[str, str], ...]] = {
    "spanish": (
        ("v", "b"), ("b", "v"), ("z", "s"), ("s", "z"), ("ll", "y"), ("y", "ll"), ("j", "g"),
        ("gi", "ji"), ("h", ""), ("ce", "se"), ("ci", "si"), ("qu", "k"), ("ñ", "n"),
        ("x", "j"), ("gu", "w"), ("rr", "r"),
    ),
    "chain": (
        ("aa", "a"), ("uu", "u"), ("oo", "o"), ("ee", "e"), ("ii", "i"), ("a", "aa"),
        ("u", "uu"), ("x", "h"), ("c", ""), ("dh", "d"), ("q", "k"), ("o", "u"), ("e", "i"),
    ),
    "nilotic": (
        ("aa", "a"), ("uu", "u"), ("oo", "o"), ("ee", "e"), ("o", "oo"), ("a", "aa"),
        ("e", "ee"), ("ua", "wa"), ("uo", "wo"), ("ny", "nh"), ("dh", "d"), ("th", "t"),
        ("c", "ch"), ("ch", "c"),
    ),
    "congolese": (
        ("ou", "u"), ("u", "ou"), ("tsh", "ch"), ("ch", "tsh"), ("k", "c"), ("i", "y"),
        ("é", "e"), ("è", "e"), ("w", "ou"), ("mb", "b"), ("nd", "d"), ("ng", "n"),
    ),
}  # fmt: skip
_SIMILAR = {"a": "eo", "e": "ai", "i": "ey", "o": "ua", "u": "oi", "y": "i", "n": "m",
            "m": "n", "s": "z", "z": "s", "d": "t", "t": "d", "b": "p", "p": "b", "k": "c",
            "c": "k", "g": "k", "l": "r", "r": "l", "h": "kh"}  # fmt: skip
_AGE_WEIGHTS = (3, 3, 4, 4, 5, 5, 5, 5, 6, 6, 7, 7, 8, 8, 8, 8, 7, 5)
_CHILD_COUNT = (("1", 34.0), ("2", 28.0), ("3", 20.0), ("4", 11.0), ("5", 7.0))
_RELATIONS = (
    ("mother", 45.0),
    ("father", 25.0),
    ("grandparent", 10.0),
    ("aunt_uncle", 10.0),
    ("sibling", 7.0),
    ("other", 3.0),
)


class _Generator:
    """One run: draws families and streams their records to the output tables."""

    def __init__(
        self,
        n_cases: int,
        seed: int,
        cases: _ShuffledTable,
        traces: _ShuffledTable,
        truth: _RowWriter,
        difficulty: _RowWriter,
        progress: bool,
    ) -> None:
        self.rng = Random(seed)
        id_rng = Random(f"{seed}:ids")
        self.case_ids = _Ids("C", id_rng, 20)
        self.trace_ids = _Ids("T", id_rng, 20)
        self.request_ids = _Ids("R", id_rng, 18)
        self.cultures = _load_cultures()
        self.culture_cum: list[float] = []
        total = 0.0
        for c in self.cultures:
            total += c.profile.weight
            self.culture_cum.append(total)
        self.cases_left = n_cases
        self.cases = cases
        self.traces = traces
        self.truth = truth
        self.difficulty = difficulty
        self.stats = SynthStats()
        self.progress = progress
        self._next_report = 100_000

    # -- the main loop --

    def run(self) -> SynthStats:
        rng = self.rng
        while self.cases_left > 0:
            culture = self.cultures[bisect(self.culture_cum, rng.random() * self.culture_cum[-1])]
            r = rng.random()
            if r < P_COMMON_CLUSTER:
                self._common_cluster(culture)
            elif r < P_COMMON_CLUSTER + P_SIBLING_FAMILY:
                self._emit(self._family(culture, "sibling"))
            else:
                self._emit(self._family(culture, "normal"))
            if self.progress and self.stats.cases >= self._next_report:
                print(f"synth: {self.stats.cases:,} cases", file=sys.stderr, flush=True)
                self._next_report += 100_000
        return self.stats

    def _common_cluster(self, culture: _Culture) -> None:
        """Several families with the same very common surname in the same town."""
        rng = self.rng
        origin = culture.origins[rng.randrange(min(6, len(culture.origins)))]
        if culture.profile.naming in ("chain", "nilotic"):
            forced: tuple[_Name, ...] = (
                culture.male.pick_top(rng, 3),
                culture.male.pick_top(rng, 4),
            )
        else:
            assert culture.family is not None
            forced = (culture.family.pick_top(rng, 3),)
        for _ in range(rng.randint(2, 4)):
            if self.cases_left <= 0:
                break
            self._emit(self._family(culture, "common", forced, origin))

    # -- building a family --

    def _given(self, culture: _Culture, sex: str, common: bool) -> _Name:
        pool = culture.male if sex == "m" else culture.female
        return pool.pick_top(self.rng, 6) if common else pool.pick(self.rng)

    def _surname(self, culture: _Culture) -> _Name:
        assert culture.family is not None
        return culture.family.pick(self.rng)

    def _family(
        self,
        culture: _Culture,
        scenario: str,
        forced: tuple[_Name, ...] = (),
        origin: _Place | None = None,
    ) -> _Family:
        rng = self.rng
        prof = culture.profile
        naming = prof.naming
        common = scenario == "common"
        male, female = culture.male, culture.female
        chain_forced = bool(forced) and naming in ("chain", "nilotic")
        father_given = forced[0] if chain_forced else male.pick(rng)
        grandfather = forced[1] if chain_forced else male.pick(rng)
        great = male.pick(rng)
        # The surname parts a son and a daughter carry; Congolese children also get their
        # own post-name, so siblings share only the first part.
        postnom = False
        if naming == "slavic":
            sur = forced[0] if forced else self._surname(culture)
            mother_sur = sur if rng.random() < 0.85 else self._surname(culture)
            father = _Person(father_given, (sur,), "m")
            mother = _Person(female.pick(rng), (mother_sur.feminine or mother_sur,), "f")
            son: tuple[_Name, ...] = (sur,)
            daughter: tuple[_Name, ...] = (sur.feminine or sur,)
        elif naming == "arab":
            sur = forced[0] if forced else self._surname(culture)
            father = _Person(father_given, (sur,), "m")
            mother = _Person(female.pick(rng), (self._surname(culture),), "f")
            son = daughter = (sur,)
        elif naming in ("chain", "nilotic"):
            # Patronymic chains: the child's "surname" is father's and grandfather's names.
            father = _Person(father_given, (grandfather, great), "m")
            mother = _Person(female.pick(rng), (male.pick(rng), male.pick(rng)), "f")
            son = daughter = (father_given, grandfather)
        elif naming == "afghan":
            tribe = (
                forced[0] if forced else (self._surname(culture) if rng.random() < 0.55 else None)
            )
            if tribe is not None:
                father = _Person(father_given, (tribe,), "m")
                m_fam = (self._surname(culture),) if rng.random() < 0.5 else ()
                mother = _Person(female.pick(rng), m_fam, "f")
                son = daughter = (tribe,)
            else:
                # No family name: forms carry the father's name ("son of"), as in practice.
                father = _Person(father_given, (grandfather,), "m")
                mother = _Person(female.pick(rng), (), "f")
                son = daughter = (father_given,)
        elif naming == "congolese":
            sur = forced[0] if forced else self._surname(culture)
            father = _Person(father_given, (sur, self._surname(culture)), "m")
            mother = _Person(
                female.pick(rng), (self._surname(culture), self._surname(culture)), "f"
            )
            son = daughter = (sur,)
            postnom = True
        else:  # spanish: first surname from the father, second from the mother
            sur = forced[0] if forced else self._surname(culture)
            mother_first = self._surname(culture)
            father = _Person(father_given, (sur, self._surname(culture)), "m")
            mother = _Person(female.pick(rng), (mother_first, self._surname(culture)), "f")
            son = daughter = (sur, mother_first)

        # Dates: separation inside the culture's displacement window.
        start, end = prof.start.toordinal(), prof.end.toordinal()
        separated = rng.randint(start, end)

        # Children, eldest first, with realistic spacing; twins share a date of birth.
        if scenario == "sibling":
            k = rng.choice((2, 2, 2, 3, 3, 4))
        else:
            k = int(_weighted(rng, _CHILD_COUNT))
        twins = (scenario == "sibling" and rng.random() < 0.45) or rng.random() < 0.015
        eldest_age = self._age(rng, min_age=min(17, (k - 1) * (1 if twins else 2)))
        dob = separated - eldest_age * 365 - rng.randint(0, 364)
        children: list[_Child] = []
        used: set[int] = set()
        twin_at = rng.randrange(k - 1) if twins and k > 1 else -1
        for i in range(k):
            if i > 0:
                if i - 1 == twin_at:
                    pass  # the twin: same date of birth
                else:
                    gap = rng.randint(300, 900) if scenario == "sibling" else rng.randint(320, 1800)
                    if dob + gap > separated - 20:
                        break
                    dob += gap
            sex = "m" if rng.random() < 0.5 else "f"
            given = self._given(culture, sex, common)
            for _ in range(6):
                # siblings get different names, and a son is rarely named after his father
                if id(given) not in used and given is not father_given:
                    break
                given = self._given(culture, sex, False)
            used.add(id(given))
            alias = None
            if naming == "nilotic" and rng.random() < 0.35:
                alias_pool = culture.male_alias if sex == "m" else culture.female_alias
                alias = alias_pool.pick(rng) if alias_pool else None
            family = son if sex == "m" else daughter
            if postnom:
                family = (*family, self._surname(culture))
            children.append(_Child(_Person(given, family, sex), dob, alias))

        if origin is None:
            # big towns first in the table, and more people come from them
            n_origins = len(culture.origins)
            top = rng.random() < 0.4
            origin = culture.origins[rng.randrange(min(8, n_origins) if top else n_origins)]
        if rng.random() < 0.55:
            sep_place = culture.origins[rng.randrange(len(culture.origins))]
        else:
            sep_place = culture.hosts[rng.randrange(len(culture.hosts))]
        country = origin.country.latin[0]
        phone = ""
        if rng.random() < 0.13:
            code, mobile = _PHONE.get(country, ("1", "5"))
            phone = f"{code}|{mobile}{rng.randrange(10**7):07d}"
        passport = ""
        if naming == "slavic" and rng.random() < 0.05:
            passport = f"{rng.choice('FEMNKT')}{rng.choice('AEHKMORTX')}{rng.randrange(10**6):06d}"
        self.stats.families += 1
        self.stats.cultures[culture.key] += 1
        return _Family(
            culture=culture,
            father=father,
            mother=mother,
            children=children,
            origin=origin,
            separation_place=sep_place,
            separated=separated,
            phone=phone,
            passport=passport,
            ethnicity=_weighted(rng, prof.ethnicities),
            scenario=scenario,
            great_grandfather=great,
        )

    @staticmethod
    def _age(rng: Random, min_age: int = 0) -> int:
        weights = _AGE_WEIGHTS[min_age:]
        r = rng.random() * sum(weights)
        for i, w in enumerate(weights):
            r -= w
            if r < 0:
                return min_age + i
        return 17

    def _relative(self, fam: _Family, kind: str) -> _Person:
        """A relative built on demand, with the surname the culture would give them."""
        if kind in fam.relatives:
            return fam.relatives[kind]
        rng = self.rng
        c = fam.culture
        naming = c.profile.naming
        father = fam.father
        sex = "f" if kind in ("grandmother", "aunt", "sister") else "m"
        if kind in ("sister", "brother"):
            ref = fam.children[0].person
            given = (c.male if sex == "m" else c.female).pick(rng)
            family: tuple[_Name, ...] = ref.family
            if naming == "slavic" and family:
                base = father.family[0]
                family = (base.feminine or base,) if sex == "f" else (base,)
            elif naming == "congolese" and c.family is not None:
                family = (ref.family[0], c.family.pick(rng))  # an own post-name
            person = _Person(given, family, sex)
        elif kind == "grandfather":
            if naming in ("chain", "nilotic"):
                person = _Person(father.family[0], (fam.great_grandfather, c.male.pick(rng)), "m")
            else:
                person = _Person(c.male.pick(rng), father.family, "m")
        elif kind in ("grandmother", "aunt"):
            given = c.female.pick(rng)
            if naming == "slavic":
                base = father.family[0]
                person = _Person(given, (base.feminine or base,), "f")
            elif naming in ("chain", "nilotic"):
                # an aunt is the father's sister: she shares his chain
                parts = father.family if kind == "aunt" else (c.male.pick(rng), c.male.pick(rng))
                person = _Person(given, parts, "f")
            else:
                person = _Person(given, father.family, "f")
        elif kind == "uncle":
            person = _Person(c.male.pick(rng), father.family, "m")
        else:  # a neighbour or family friend
            sex = "m" if rng.random() < 0.5 else "f"
            given = (c.male if sex == "m" else c.female).pick(rng)
            if c.family is not None:
                sur = c.family.pick(rng)
                family = (sur.feminine or sur,) if sex == "f" and naming == "slavic" else (sur,)
            else:
                family = (c.male.pick(rng), c.male.pick(rng))
            person = _Person(given, family, sex)
        fam.relatives[kind] = person
        return person

    # -- spelling --

    def _passport_index(self, fam: _Family, name: _Name) -> int:
        """The family's usual spelling of a name: mostly the standard one, not always."""
        idx = fam.spelling.get(name)
        if idx is None:
            n = len(name.latin)
            idx = 0 if n == 1 or self.rng.random() < 0.65 else self.rng.randrange(min(3, n))
            fam.spelling[name] = idx
        return idx

    def _spell(self, fam: _Family, name: _Name, mode: str) -> str:
        if mode == "script" and name.script:
            return name.script[0]
        idx = self._passport_index(fam, name)
        if mode == "alt":
            return self._alt(name, idx, fam.culture.profile.naming)
        return name.latin[idx]

    def _alt(self, name: _Name, idx: int, naming: str) -> str:
        """Another real spelling of the name, or a plausible respelling when it has none."""
        rng = self.rng
        own = name.folded[idx]
        options = [i for i, f in enumerate(name.folded) if f != own]
        if options:
            # earlier variants are the more common ones
            weights = [1.0 / (1 + j) for j in range(len(options))]
            r = rng.random() * sum(weights)
            for i, w in zip(options, weights, strict=True):
                r -= w
                if r < 0:
                    return name.latin[i]
            return name.latin[options[-1]]
        return self._respell(name.latin[idx], naming)

    def _respell(self, text: str, naming: str) -> str:
        rng = self.rng
        low = text.lower()
        rules = _RESPELL.get(naming, _RESPELL_GENERIC)
        start = rng.randrange(len(rules))
        for j in range(len(rules)):
            old, new = rules[(start + j) % len(rules)]
            pos = low.find(old, 1 if len(low) > 3 else 0)
            if pos >= 0:
                out = low[:pos] + new + low[pos + len(old) :]
                return _capitalise(out) if text[:1].isupper() else out
        return self._typo(text)

    def _typo(self, text: str) -> str:
        """One slip of the pen or keyboard: a dropped, doubled, swapped or wrong letter."""
        rng = self.rng
        if len(text) < 4 or _is_script(text):
            return text  # slips in other scripts look different; leave them out
        i = rng.randrange(1, len(text) - 1)
        if not text[i].isalpha():
            return text
        r = rng.random()
        if r < 0.3:
            return text[:i] + text[i + 1 :]
        if r < 0.55 and text[i + 1].isalpha():
            return text[:i] + text[i + 1] + text[i] + text[i + 2 :]
        if r < 0.8:
            return text[:i] + text[i] + text[i:]
        sub = _SIMILAR.get(text[i].lower())
        if not sub:
            return text[:i] + text[i + 1 :]
        return text[:i] + rng.choice(sub) + text[i + 1 :]

    def _nickname(self, name: _Name, script: bool) -> str:
        rng = self.rng
        if script and name.nick_script:
            return rng.choice(name.nick_script)
        if name.nick_latin:
            return rng.choice(name.nick_latin)
        return rng.choice(name.nick_script)

    def _full_name(self, fam: _Family, person: _Person, mode: str) -> str:
        """A parent's or relative's full name the way the form shows it."""
        parts = [self._spell(fam, person.given, mode)]
        n = fam.culture.profile.family_parts
        parts.extend(self._spell(fam, p, mode) for p in person.family[: max(1, n)])
        r = self.rng.random()
        if r < 0.06 and len(parts) > 1:
            parts = parts[:1]  # only the first name was given
        elif r < 0.09:
            j = self.rng.randrange(len(parts))
            parts[j] = self._typo(parts[j])
        return " ".join(parts)

    # -- noise --

    def _feasible(self, fam: _Family, child: _Child) -> list[tuple[str, float]]:
        """Per-trace difficulties this child can carry, with their weights."""
        out = []
        for label, w in _TRACE_LABEL_WEIGHTS.items():
            if label == "other_script" and not fam.culture.has_script:
                continue
            g = child.person.given
            if label == "nickname" and not (g.nick_latin or g.nick_script or child.alias):
                continue
            out.append((label, w))
        return out

    def _structures(self, fam: _Family, child: _Child) -> list[tuple[str, float]]:
        naming = fam.culture.profile.naming
        ops: list[tuple[str, float]] = [
            ("swap", 1.0),
            ("full_in_given", 0.6),
            ("family_first", 0.6),
        ]
        if child.person.family:
            ops.append(("no_family", 0.4))
        if naming == "chain":
            ops += [("chain_short", 1.5), ("chain_long", 1.0), ("chain_last", 0.7)]
        elif naming == "nilotic":
            ops += [("chain_long", 1.5)]
        elif naming == "spanish":
            ops += [("first_surname", 2.5), ("hyphen", 0.8)]
        elif naming == "congolese":
            ops += [("nom_only", 1.5), ("postnom_only", 1.0), ("postnom_first", 1.0)]
        elif (
            naming == "afghan"
            and fam.father.family
            and child.person.family[0] is not (fam.father.given)
        ):
            ops += [("father_as_family", 1.5)]
        given = child.person.given.latin[0]
        if " " in given or "-" in given:
            ops.append(("compound", 3.0))
        return ops

    def _voice(self, fam: _Family, child: _Child, op: str, secondary: bool = False) -> _Voice:
        """The noise one record carries for a difficulty."""
        rng = self.rng
        v = _Voice()
        if op == "transliteration":
            v.given = "alt" if rng.random() < 0.8 else "passport"
            v.family = "alt" if v.given == "passport" or rng.random() < 0.5 else "passport"
            v.parents = "alt" if rng.random() < 0.6 else "passport"
            v.typo = rng.random() < 0.2
        elif op == "other_script":
            v.given = v.family = v.parents = "script"
            v.place = "script" if rng.random() < 0.5 else "canon"
            v.bridge = rng.random() < 0.4
        elif op == "nickname":
            v.given = "nick"
            v.bridge = rng.random() < 0.3
        elif op == "name_order":
            v.structure = _weighted(rng, self._structures(fam, child))
        elif op == "estimated_age":
            v.age = "estimated"
        elif op == "place_variant":
            v.place = "variant"
            v.keep_place = True
        if secondary and rng.random() < 0.15:
            extra = rng.random()
            if extra < 0.4 and op != "transliteration":
                v.typo = True
            elif extra < 0.7 and op != "estimated_age":
                v.age = "estimated"
            elif op not in ("place_variant", "other_script"):
                v.place = "variant"
        return v

    def _random_voice(self, fam: _Family, child: _Child, p_noise: float) -> _Voice:
        """Noise for a record outside a labelled pair, so all records look alike."""
        if self.rng.random() >= p_noise:
            return _Voice()
        ops = [(op, w) for op, w in self._feasible(fam, child) if op != "plain"]
        return self._voice(fam, child, _weighted(self.rng, ops), secondary=True)

    # -- rendering --

    def _names(self, fam: _Family, child: _Child, v: _Voice) -> tuple[str, str, list[str]]:
        """given_name, family_name and other_names as one record writes them."""
        rng = self.rng
        c = fam.culture
        person = child.person
        other: list[str] = []
        formal = self._spell(fam, person.given, "script" if v.given == "script" else "passport")
        if v.given == "nick":
            g = person.given
            use_alias = child.alias is not None and (
                not (g.nick_latin or g.nick_script) or rng.random() < 0.6
            )
            if use_alias and child.alias is not None:
                given = self._spell(fam, child.alias, "passport")
                if rng.random() < 0.3 and child.alias.nick_latin:
                    given = rng.choice(child.alias.nick_latin)
            else:
                given = self._nickname(g, rng.random() < 0.08)
            if v.bridge:
                other.append(formal)
        elif v.given == "alt":
            given = self._spell(fam, person.given, "alt")
        else:
            given = formal
        n = c.profile.family_parts
        parts = [self._spell(fam, p, v.family) for p in person.family]
        family = " ".join(parts[:n])

        s = v.structure
        if s:
            if s == "swap":
                given, family = family, given
            elif s == "full_in_given":
                given, family = f"{given} {family}".strip(), ""
            elif s == "family_first":
                given, family = f"{family} {given}".strip(), ""
            elif s == "no_family":
                family = ""
            elif s == "chain_short":
                family = parts[0]
            elif s == "chain_long":
                family = " ".join([*parts, self._spell(fam, fam.great_grandfather, v.family)])
            elif s == "chain_last":
                family = parts[-1]
            elif s in ("first_surname", "nom_only"):
                family = parts[0]
            elif s == "hyphen":
                family = "-".join(parts)
            elif s == "postnom_only":
                family = parts[-1]
            elif s == "postnom_first":
                family = " ".join(reversed(parts))
            elif s == "father_as_family":
                family = self._spell(fam, fam.father.given, v.family)
            elif s == "compound":
                pieces = given.replace("-", " ").split()
                if len(pieces) > 1 and rng.random() < 0.5:
                    given = pieces[0]  # only the first of a compound given name
                    if rng.random() < 0.4:
                        other.append(" ".join(pieces))
                else:
                    given = pieces[0] + "".join(p.lower() for p in pieces[1:])
        if v.typo:
            if rng.random() < 0.6 or not family:
                given = self._typo(given)
            else:
                family = self._typo(family)

        if v.given == "script" and v.bridge:
            other.append(
                " ".join(
                    [self._spell(fam, person.given, "passport")]
                    + [self._spell(fam, p, "passport") for p in person.family[:n]]
                )
            )
        elif c.has_script and v.given != "script" and rng.random() < 0.06:
            forms = [p.script[0] for p in (person.given, *person.family[:n]) if p.script]
            other.append(" ".join(forms))
        if v.given != "nick":
            g = person.given
            if g.nick_latin and rng.random() < 0.05:
                other.append(rng.choice(g.nick_latin))
            if child.alias is not None and rng.random() < 0.3:
                other.append(self._spell(fam, child.alias, "passport"))
        return given, family, other

    def _age_fields(
        self, child: _Child, at: int, v: _Voice, p_dob: float, p_age: float, young_flag: float
    ) -> tuple[str, str, str]:
        """date_of_birth, age and age_estimated as one record writes them."""
        rng = self.rng
        true_age = _years(child.dob, at)
        if v.age == "estimated":
            if true_age < 6:
                delta = rng.choice((-2, -1, -1, 1, 1, 2))
            else:
                delta = rng.choice((-2, -1, -1, -1, 1, 1, 1, 2))
            est = min(17, max(0, true_age + delta))
            age = str(est) if rng.random() < 0.9 else ""
            dob = ""
            if rng.random() < 0.5 or not age:
                # a guessed birth date is the 1st of January or of July of the guessed year
                when = date.fromordinal(at)
                july = rng.random() >= 0.6 and (est > 0 or when.month >= 7)
                dob = f"{when.year - est:04d}-{'07' if july else '01'}-01"
            return dob, age, "true"
        has_dob = rng.random() < p_dob
        has_age = rng.random() < p_age or not has_dob
        flag = ""
        if true_age < 6 and rng.random() < young_flag:
            flag = "true"  # a guess that happens to be right
        elif rng.random() < 0.35:
            flag = "false"
        return (_iso(child.dob) if has_dob else "", str(true_age) if has_age else "", flag)

    def _place(self, fam: _Family, place: _Place, mode: str) -> str:
        """A location path as one record writes it."""
        rng = self.rng
        levels = [place.country, place.region, place.town]
        if mode == "canon":
            parts = [lv.latin[0] for lv in levels]
            if rng.random() < 0.08:
                del parts[1]
            return " > ".join(parts)
        if mode == "script":
            return " > ".join(lv.script[0] if lv.script else lv.latin[0] for lv in levels)
        town = place.town
        if rng.random() < 0.15 and place.capital is not town:
            town = place.capital  # the child names the region's main town, not the village
        r = rng.random()
        if r < 0.35:
            chosen = [place.country, place.region, town]
        elif r < 0.55:
            chosen = [place.country, town]
        elif r < 0.70:
            chosen = [place.country, place.region]
        elif r < 0.76:
            chosen = [place.country]
        elif r < 0.88:
            chosen = [place.region, town]
        else:
            chosen = [town]
        out = []
        for lv in chosen:
            x = rng.random()
            if lv.script and x < 0.12:
                out.append(lv.script[0])
            elif x < 0.65 and len(lv.latin) > 1:
                out.append(lv.latin[rng.randrange(1, len(lv.latin))])
            else:
                out.append(lv.latin[0])
        return " > ".join(out)

    def _sex(self, sex: str) -> str:
        r = self.rng.random()
        if r < 0.05:
            return ""
        if r < 0.08:
            return self.rng.choice(("unknown", "u", "U"))
        if r < 0.2:
            return sex if r < 0.15 else sex.upper()
        return "male" if sex == "m" else "female"

    def _phone(self, fam: _Family) -> str:
        code, number = fam.phone.split("|")
        r = self.rng.random()
        if r < 0.6:
            return f"phone:+{code}{number}"
        if r < 0.8:
            return f"phone:0{number}"
        if r < 0.9:
            return f"phone:00{code}{number}"
        return f"phone:+{code} {number[:2]} {number[2:5]} {number[5:]}"

    def _language(self, fam: _Family) -> str:
        return _weighted(self.rng, fam.culture.profile.languages)

    def _nationality(self, fam: _Family) -> str:
        forms = _NATIONALITY.get(fam.origin.country.latin[0], ("",))
        return forms[0] if self.rng.random() < 0.6 else self.rng.choice(forms)

    # -- records --

    def _case_row(
        self, fam: _Family, child: _Child, reg: _Registration, v: _Voice, caregiver: str
    ) -> list[str]:
        rng = self.rng
        place_mode = v.place
        given, family, other = self._names(fam, child, v)
        dob, age, est = self._age_fields(child, reg.date, v, 0.5, 0.85, 0.12)
        father = self._full_name(fam, fam.father, v.parents) if rng.random() < 0.6 else ""
        mother = self._full_name(fam, fam.mother, v.parents) if rng.random() < 0.65 else ""
        keep = v.keep_place or place_mode != "canon"
        origin = self._place(fam, fam.origin, place_mode) if keep or rng.random() < 0.85 else ""
        sep_place = (
            self._place(fam, fam.separation_place, "canon" if place_mode == "canon" else "variant")
            if rng.random() < 0.55
            else ""
        )
        sep_date = ""
        if rng.random() < 0.55:
            when = date.fromordinal(fam.separated)
            # a child often remembers only the month
            sep_date = when.isoformat() if rng.random() < 0.85 else when.replace(day=1).isoformat()
        current = (
            self._place(fam, reg.host, "canon" if rng.random() < 0.8 else "variant")
            if rng.random() < 0.95
            else ""
        )
        ids: list[str] = []
        if fam.phone and rng.random() < 0.7:
            ids.append(self._phone(fam))
        if fam.passport and rng.random() < 0.7:
            ids.append(f"passport:{fam.passport}")
        if rng.random() < 0.25:
            ids.append(
                f"unhcr:{rng.choice('ABCDEFGHKLMN')}{rng.randrange(100, 999)}-"
                f"{rng.randrange(10, 25)}C{rng.randrange(10**5):05d}"
            )
        return [
            reg.case_id,
            _iso(reg.date),
            given,
            family,
            "|".join(dict.fromkeys(o for o in other if o and o != given)),
            self._sex(child.person.sex),
            dob,
            age,
            est,
            father,
            mother,
            caregiver,
            self._language(fam) if rng.random() < 0.6 else "",
            self._nationality(fam) if rng.random() < 0.7 else "",
            fam.ethnicity if rng.random() < 0.3 else "",
            origin,
            sep_place,
            sep_date,
            current,
            "|".join(ids),
            reg.consent,
            reg.status,
        ]

    def _trace_row(
        self, fam: _Family, child: _Child, req: _Request, trace_id: str, status: str, v: _Voice
    ) -> list[str]:
        rng = self.rng
        given, family, other = self._names(fam, child, v)
        parent_inquirer = req.relation in ("mother", "father")
        dob, age, est = self._age_fields(
            child, req.date, v, 0.8 if parent_inquirer else 0.45, 0.6, 0.03
        )
        parent_mode = v.parents
        if req.relation == "father" and parent_mode == "passport":
            father = req.inquirer_text
        else:
            father = self._full_name(fam, fam.father, parent_mode) if rng.random() < 0.7 else ""
        if req.relation == "mother" and parent_mode == "passport":
            mother = req.inquirer_text
        else:
            mother = self._full_name(fam, fam.mother, parent_mode) if rng.random() < 0.75 else ""
        keep = v.keep_place or v.place != "canon"
        origin = self._place(fam, fam.origin, v.place) if keep or rng.random() < 0.9 else ""
        sep_place = (
            self._place(fam, fam.separation_place, "canon" if v.place == "canon" else "variant")
            if rng.random() < 0.6
            else ""
        )
        sep_date = _iso(fam.separated) if rng.random() < 0.7 else ""
        ids: list[str] = []
        if fam.phone and rng.random() < 0.85:
            ids.append(self._phone(fam))
        if fam.passport and rng.random() < 0.6:
            ids.append(f"passport:{fam.passport}")
        return [
            trace_id,
            req.request_id,
            _iso(req.date),
            req.inquirer_text,
            req.relation,
            given,
            family,
            "|".join(dict.fromkeys(o for o in other if o and o != given)),
            self._sex(child.person.sex),
            dob,
            est,
            age,
            father,
            mother,
            self._language(fam) if rng.random() < 0.4 else "",
            self._nationality(fam) if rng.random() < 0.45 else "",
            fam.ethnicity if rng.random() < 0.2 else "",
            origin,
            sep_place,
            sep_date,
            "|".join(ids),
            status,
        ]

    # -- one family to records --

    def _delay(self, start: int, mean: float, cap: int) -> int:
        """A date some time after ``start``, never after the data set's last date."""
        start = min(start, _LAST_DATE)
        room = _LAST_DATE - start
        d = int(self.rng.expovariate(1.0 / mean))
        if d > cap or d > room:
            d = self.rng.randint(0, min(cap, room))
        return start + d

    def _request(self, fam: _Family, sought: list[int], after: int, exclude: str) -> _Request:
        rng = self.rng
        relation = _weighted(rng, [(r, w) for r, w in _RELATIONS if r != exclude])
        if relation == "mother":
            inquirer = fam.mother
        elif relation == "father":
            inquirer = fam.father
        elif relation == "grandparent":
            inquirer = self._relative(fam, "grandmother" if rng.random() < 0.6 else "grandfather")
        elif relation == "aunt_uncle":
            inquirer = self._relative(fam, "aunt" if rng.random() < 0.55 else "uncle")
        elif relation == "sibling":
            inquirer = self._relative(fam, "sister" if rng.random() < 0.5 else "brother")
        else:
            inquirer = self._relative(fam, "other")
        req = _Request(
            request_id=self.request_ids.new(),
            date=self._delay(after, 120.0, 700),
            relation=relation,
            inquirer=inquirer,
            sought=sought,
        )
        mode = "script" if fam.culture.has_script and rng.random() < 0.08 else "passport"
        req.inquirer_text = self._full_name(fam, inquirer, mode)
        return req

    def _open_status(self, p_closed: float) -> tuple[str, bool]:
        r = self.rng.random()
        if r < p_closed:
            return ("closed" if r < p_closed / 2 else "reunified"), False
        return ("open" if r < 0.6 else ""), True

    def _emit(self, fam: _Family) -> None:
        rng = self.rng
        children = fam.children
        stats = self.stats

        # Who got registered (possibly twice), under what status.
        regs: list[list[_Registration]] = []
        for child in children:
            mine: list[_Registration] = []
            if self.cases_left > 0 and (fam.scenario == "sibling" or rng.random() < P_REGISTERED):
                # Registered before turning 18, or not at all: adults are not cases.
                adult = _adulthood(child.dob)
                first = self._delay(fam.separated, 90.0, 800)
                if first >= adult:
                    first = rng.randint(fam.separated, adult - 1) if adult > fam.separated else -1
                whens = [first] if first >= 0 else []
                if whens and self.cases_left > 1 and rng.random() < P_DUPLICATE:
                    second = self._delay(first + 20, 120.0, 500)
                    if second < adult:
                        whens.append(second)
                hosts = fam.culture.hosts
                host = hosts[rng.randrange(len(hosts))]
                for j, when in enumerate(whens):
                    if j == 1 and len(hosts) > 1:
                        # the second registration is usually somewhere else
                        others = [h for h in hosts if h is not host]
                        host = others[rng.randrange(len(others))]
                    status, open_ = self._open_status(0.025)
                    r = rng.random()
                    consent = "false" if r < 0.015 else ("true" if r < 0.55 else "")
                    mine.append(
                        _Registration(
                            self.case_ids.new(),
                            when,
                            host,
                            open_ and consent != "false",
                            status,
                            consent,
                        )
                    )
                self.cases_left -= len(mine)
            regs.append(mine)
        registered = sum(1 for r in regs if r)

        # Who is being looked for, by whom.
        requests: list[_Request] = []
        p_request = 0.9 if fam.scenario == "sibling" else P_REQUEST
        if rng.random() < p_request:
            if fam.scenario == "sibling" and rng.random() < 0.6:
                sought = list(range(len(children)))
            else:
                sought = [i for i in range(len(children)) if rng.random() < P_SOUGHT]
                if not sought:
                    sought = [rng.randrange(len(children))]
            first_req = self._request(fam, sought, fam.separated, "")
            requests.append(first_req)
            if rng.random() < P_SECOND_REQUEST:
                again = [i for i in sought if rng.random() < 0.8] or sought[:1]
                requests.append(self._request(fam, again, first_req.date, first_req.relation))

        caregivers = self._caregivers(fam, requests)

        for i, child in enumerate(children):
            mine = regs[i]
            proposable = [r.case_id for r in mine if r.proposable]
            # A per-trace difficulty puts its noise on the trace or on the (one proposable)
            # case; once the case carries noise, later traces of the child share it.
            case_voice: _Voice | None = None
            case_label = ""
            trace_rows: list[tuple[_Request, str, str, _Voice, str]] = []
            for req in requests:
                if i not in req.sought:
                    continue
                status, open_ = self._open_status(0.02)
                trace_voice = _Voice()
                if not open_ or not proposable:
                    label = "unmatched"
                    trace_voice = self._random_voice(fam, child, 0.5)
                elif len(proposable) > 1:
                    label = "duplicate"
                    trace_voice = self._random_voice(fam, child, 0.3)
                elif fam.scenario == "sibling" and registered > 1:
                    label = "sibling_twin"
                    trace_voice = self._random_voice(fam, child, 0.15)
                elif fam.scenario == "common":
                    label = "common_name"
                    trace_voice = self._random_voice(fam, child, 0.15)
                elif case_label and case_label != "plain":
                    label = case_label
                else:
                    label = _weighted(rng, self._feasible(fam, child))
                    if label != "plain":
                        voice = self._voice(fam, child, label, secondary=True)
                        if not case_label and rng.random() < _CASE_SIDE[label]:
                            case_voice, case_label = voice, label
                            trace_voice.keep_place = voice.keep_place
                        else:
                            trace_voice = voice
                    if not case_label:
                        case_voice, case_label = _Voice(keep_place=trace_voice.keep_place), "plain"
                trace_rows.append((req, self.trace_ids.new(), label, trace_voice, status))

            # The cases of this child.
            first_label = trace_rows[0][2] if trace_rows else "unmatched"
            for reg in mine:
                if case_voice is not None and reg.proposable:
                    v = case_voice
                elif len(proposable) > 1:
                    v = self._random_voice(fam, child, 0.6)
                elif first_label in ("sibling_twin", "common_name") and reg.proposable:
                    v = self._random_voice(fam, child, 0.25)
                else:
                    v = self._random_voice(fam, child, 0.5)
                self.cases.write(self._case_row(fam, child, reg, v, caregivers[i]))
                stats.cases += 1

            # The traces of this child, their truth and difficulty.
            matched = False
            for req, trace_id, label, v, status in trace_rows:
                self.traces.write(self._trace_row(fam, child, req, trace_id, status, v))
                stats.traces += 1
                stats.difficulty[label] += 1
                self.difficulty.writerow((trace_id, label))
                if label != "unmatched":
                    matched = True
                    for case_id in proposable:
                        self.truth.writerow((trace_id, case_id))
                        stats.truth_pairs += 1
            stats.unmatched_cases += len(mine) - (len(proposable) if matched else 0)
        stats.requests += len(requests)

    def _caregivers(self, fam: _Family, requests: list[_Request]) -> list[str]:
        """Who accompanies each child: often a relative, sometimes the very inquirer."""
        rng = self.rng
        out = []
        inquirers = [r for r in requests if r.relation not in ("mother", "father")]
        for child in fam.children:
            age = _years(child.dob, fam.separated)
            if rng.random() >= (0.45 if age < 10 else 0.15):
                out.append("")
                continue
            if inquirers and rng.random() < 0.15:
                out.append(inquirers[0].inquirer_text)
                continue
            kind = rng.choice(("grandmother", "grandfather", "aunt", "uncle", "sister", "other"))
            out.append(self._full_name(fam, self._relative(fam, kind), "passport"))
        return out


# --- entry points -----------------------------------------------------------------


def generate_with_stats(
    out_dir: Path,
    n_cases: int,
    seed: int,
    fmt: Literal["csv", "jsonl"] = "csv",
    progress: bool = False,
) -> tuple[SynthPaths, SynthStats]:
    """Like :func:`generate`, also returning the run's counts and timing."""
    if n_cases < 1:
        raise ValueError("n_cases must be at least 1")
    if fmt not in ("csv", "jsonl"):
        raise ValueError(f"unknown format {fmt!r}: use 'csv' or 'jsonl'")
    started = time.perf_counter()
    out_dir = Path(out_dir)
    paths = SynthPaths.under(out_dir, fmt)
    shuffle_rng = Random(f"{seed}:shuffle")
    tmp_dir = Path(tempfile.mkdtemp(prefix=".synth-", dir=out_dir))
    try:
        cases = _ShuffledTable(
            paths.cases, CASE_COLUMNS, fmt, -(-n_cases // _ROWS_PER_BUCKET), shuffle_rng, tmp_dir
        )
        traces = _ShuffledTable(
            paths.traces,
            TRACE_COLUMNS,
            fmt,
            -(-n_cases // (2 * _ROWS_PER_BUCKET)),
            shuffle_rng,
            tmp_dir,
        )
        with (
            paths.truth.open("w", encoding="utf-8", newline="") as truth_f,
            paths.difficulty.open("w", encoding="utf-8", newline="") as diff_f,
        ):
            truth = csv.writer(truth_f, lineterminator="\n")
            truth.writerow(TRUTH_COLUMNS)
            difficulty = csv.writer(diff_f, lineterminator="\n")
            difficulty.writerow(DIFFICULTY_COLUMNS)
            gen = _Generator(n_cases, seed, cases, traces, truth, difficulty, progress)
            stats = gen.run()
        cases.finish()
        traces.finish()
    finally:
        shutil.rmtree(tmp_dir, ignore_errors=True)
    stats.seconds = time.perf_counter() - started
    return paths, stats


def generate(
    out_dir: Path,
    n_cases: int,
    seed: int,
    fmt: Literal["csv", "jsonl"] = "csv",
    progress: bool = False,
) -> SynthPaths:
    """Write a synthetic data set of exactly ``n_cases`` cases (and ~n_cases/2 traces).

    Same ``seed`` and arguments, byte-identical files. See the module docstring for what
    is in them.
    """
    paths, _ = generate_with_stats(out_dir, n_cases, seed, fmt, progress)
    return paths


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m benchmarks.synth``: write a data set and print what is in it."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.synth",
        description="Generate synthetic FTR cases and traces with ground truth.",
    )
    parser.add_argument("--cases", type=int, required=True, help="number of cases to write")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--out", type=Path, required=True, help="output directory")
    parser.add_argument("--format", choices=("csv", "jsonl"), default="csv")
    parser.add_argument("--progress", action="store_true", help="report progress on stderr")
    args = parser.parse_args(argv)
    try:
        paths, stats = generate_with_stats(
            args.out, args.cases, args.seed, args.format, args.progress
        )
    except (OSError, ValueError) as exc:
        print(f"synth: {exc}", file=sys.stderr)
        return 1
    print(f"cases       {stats.cases:>10,}  {paths.cases}")
    print(f"traces      {stats.traces:>10,}  {paths.traces}")
    print(f"truth pairs {stats.truth_pairs:>10,}  {paths.truth}")
    print(f"difficulty  {sum(stats.difficulty.values()):>10,}  {paths.difficulty}")
    print(f"unmatched cases {stats.unmatched_cases:,} ({stats.unmatched_cases / stats.cases:.0%})")
    for label in DIFFICULTIES:
        n = stats.difficulty.get(label, 0)
        print(f"  {label:<16}{n:>9,}  {n / max(1, stats.traces):6.1%}")
    print(f"{stats.seconds:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
