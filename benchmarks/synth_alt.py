"""A second, independent synthetic data generator: other cultures, habits and proportions.

`benchmarks.synth` and the matcher grew up together, so accuracy measured on its data may
flatter the matcher. This generator was written without reading that one or the matcher's
tables. Its names, places and noise come from how tracing data looks in the field: children
registered by caseworkers in host countries (Türkiye, Chad, Kenya, Iran, Poland, Uganda, the
United States...) in the registrar's own spelling habits, and tracing requests filed by a
mother, an uncle or a neighbour in the family's script and spelling. Its mix of cultures and
of difficulties is deliberately uneven, so it is a second opinion, not a copy:

    python -m benchmarks.synth_alt --cases 2000 --seed 5 --out /tmp/x

Files: `cases.csv` and `traces.csv` (or `.jsonl`) in the contract's form and column order,
`truth.csv` (`trace_id,case_id` for every true pair the matcher may propose) and
`difficulty.csv` (`trace_id,difficulty`: one primary difficulty per trace; other noise is
still present in the background, as it is in real data).

Name, place and route tables live in `benchmarks/data_alt/` (CSV, one row a token, every
spelling a `|`-separated form, tagged by who writes it that way: `tr:` a Turkish registrar,
`fr:` a francophone one, `so:` Somali orthography, `rl:` Russian romanisation, `ar:`/`uk:`/
`ru:`/`fa:`/`ti:`/`bn:` the native script, `nick:` a nickname; untagged: the English/UN
spelling, most common first).
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import shutil
import tempfile
import unicodedata
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache
from itertools import accumulate
from pathlib import Path
from typing import Literal

from benchmarks.synth import SynthPaths
from case_store.fields import CASE_FIELDS, TRACE_FIELDS

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
)
NOISE_LABELS: tuple[str, ...] = DIFFICULTIES[:6]
CASE_COLUMNS: tuple[str, ...] = CASE_FIELDS
TRACE_COLUMNS: tuple[str, ...] = TRACE_FIELDS
DATA = Path(__file__).parent / "data_alt"
TODAY = date(2025, 6, 30)

Format = Literal["csv", "jsonl"]

# Scripts other than Latin, by the tag that marks them in the tables.
NATIVE_TAGS = frozenset({"ar", "fa", "ps", "uk", "ru", "ti", "am", "bn"})
# Tags that are not spellings of the name itself.
SPECIAL_TAGS = frozenset({"nick", "pmu", "pfu", "pmr", "pfr", "pml", "pfl"})
# A writer with no form of their own for a token falls back to its sibling script first
# (a Russian registrar writes a Ukrainian name in Cyrillic, not in Latin), then to English.
SIBLING_TAG = {"ru": "uk", "uk": "ru", "am": "ti", "ti": "am", "ps": "fa", "fa": "ps"}
_ID_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
_RU_LATIN = dict(
    zip(
        "абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
        "a b v g d e yo zh z i y k l m n o p r s t u f kh ts ch sh shch _ y _ e yu ya".split(),
        strict=True,
    )
)
_CERT_LATIN = {"А": "A", "В": "V", "Е": "E", "К": "K", "М": "M", "Н": "N", "О": "O",
               "Р": "R", "С": "S", "Т": "T", "Х": "Kh"}  # fmt: skip


def _is_native(text: str) -> bool:
    """True when the text holds a letter outside the Latin blocks (Cyrillic, Arabic, Ge'ez...)."""
    return any(ord(ch) > 0x24F and ch.isalpha() for ch in text)


def _fold(text: str) -> str:
    """Lower-case letters and digits without accents: `Ömer` and `Omer` are one spelling."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(ch for ch in decomposed if ch.isalnum() and not unicodedata.combining(ch))


def _years(born: date, at: date) -> int:
    return at.year - born.year - ((at.month, at.day) < (born.month, born.day))


def _romanize_ru(text: str) -> str:
    """Russian Cyrillic to Latin the way Moldovan and older Russian papers did it."""
    out = []
    for ch in text:
        low = ch.lower()
        latin = _RU_LATIN.get(low)
        if latin is None:
            out.append(ch)
            continue
        latin = "" if latin == "_" else latin
        out.append(latin.capitalize() if ch != low else latin)
    return "".join(out)


def _feminine(surname: str) -> str:
    """Russian-type surnames agree with the bearer: Ivanov, Ivanova; Кузнєцов, Кузнєцова."""
    if surname.endswith(("ov", "ev", "ow", "ew", "ов", "ев", "єв", "ин", "ін")):
        return surname + ("а" if _is_native(surname) else "a")
    return surname


# --- tables -----------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Token:
    """One name (or place) in every way it gets written."""

    key: str
    kind: str
    weight: float
    forms: dict[str, tuple[str, ...]]
    latin: tuple[str, ...]  # every Latin spelling, whoever writes it
    nick_latin: tuple[str, ...]
    nick_native: tuple[str, ...]

    @property
    def name(self) -> str:
        return self.forms["*"][0]

    def written(self, tag: str) -> tuple[str, ...]:
        """The spellings a writer with this habit uses, most common first."""
        got = self.forms.get(tag)
        if got:
            return got
        sibling = SIBLING_TAG.get(tag)
        if sibling and sibling in self.forms:
            return self.forms[sibling]
        return self.forms["*"]

    def has_native(self) -> bool:
        return any(t in NATIVE_TAGS for t in self.forms)


def _token(key: str, kind: str, weight: float, spec: str) -> Token:
    forms: dict[str, list[str]] = {}
    for raw in spec.split("|"):
        raw = raw.strip()
        if not raw:
            continue
        tag, sep, text = raw.partition(":")
        if not sep or len(tag) > 4 or " " in tag:
            tag, text = "*", raw
        forms.setdefault(tag, []).append(text)
    if "*" not in forms:
        raise ValueError(f"{key}: no untagged (English) form")
    latin = []
    for tag, values in forms.items():
        if tag in SPECIAL_TAGS or tag in NATIVE_TAGS:
            continue
        for value in values:
            if value not in latin:
                latin.append(value)
    nicks = forms.get("nick", [])
    return Token(
        key=key,
        kind=kind,
        weight=weight,
        forms={t: tuple(v) for t, v in forms.items()},
        latin=tuple(latin),
        nick_latin=tuple(n for n in nicks if not _is_native(n)),
        nick_native=tuple(n for n in nicks if _is_native(n)),
    )


@dataclass(frozen=True)
class Pool:
    """Names of one kind in one culture, drawn by how common they are."""

    tokens: tuple[Token, ...]
    cum: tuple[float, ...]
    by_name: dict[str, Token]
    top: tuple[Token, ...]  # the handful of names every camp has many of
    top_cum: tuple[float, ...]

    @classmethod
    def of(cls, tokens: Sequence[Token]) -> Pool:
        top = sorted(tokens, key=lambda t: -t.weight)[:3]
        return cls(
            tuple(tokens),
            tuple(accumulate(t.weight for t in tokens)),
            {t.name: t for t in tokens},
            tuple(top),
            tuple(accumulate(t.weight for t in top)),
        )

    def pick(self, rng: random.Random, common: bool = False) -> Token:
        if common:
            return rng.choices(self.top, cum_weights=self.top_cum)[0]
        return rng.choices(self.tokens, cum_weights=self.cum)[0]


@dataclass(frozen=True)
class Route:
    """A place path (keys coarse to fine) with a weight, and for a host its registrars' habits."""

    keys: tuple[str, ...]
    weight: float
    style: tuple[tuple[str, float], ...] = ()


def _style(text: str) -> tuple[tuple[str, float], ...]:
    out = []
    for part in text.split():
        tag, _, weight = part.partition(":")
        out.append((tag, float(weight)))
    return tuple(out)


@dataclass(frozen=True)
class CultureSpec:
    """What the tables cannot say: proportions, naming layout, who writes how, what is known."""

    share: float
    layout: str
    trace_style: str
    window: tuple[str, str]
    dob_case: float  # share of registrations with a known date of birth
    dob_trace: float
    languages: tuple[str, ...]
    ethnicities: tuple[str, ...]
    noise: dict[str, float] = field(default_factory=dict)


# Proportions are deliberately uneven and unlike a uniform mix.
SPECS: dict[str, CultureSpec] = {
    "levant": CultureSpec(
        0.17, "arab", "*:5 ar:4 fr:1", ("2013-03-01", "2024-12-31"), 0.75, 0.85,
        ("Arabic", "ar", "Arabic|Kurdish", "Kurmanji|Arabic", "arabic", "Arabic|Turkish"),
        ("Arab", "Kurdish", "Turkmen", "Yazidi", "Assyrian"),
        {"transliteration": 1.3, "other_script": 1.2},
    ),
    "sudan": CultureSpec(
        0.12, "patronymic", "*:5 ar:4 fr:1", ("2023-04-15", "2025-03-31"), 0.35, 0.55,
        ("Arabic", "ar", "Arabic|Masalit", "Fur|Arabic", "Zaghawa", "Arabic|French"),
        ("Masalit", "Fur", "Zaghawa", "Arab", "Nuba"),
        {"estimated_age": 1.6, "name_order": 1.3},
    ),
    "horn": CultureSpec(
        0.08, "patronymic", "*:6 ti:4", ("2016-01-01", "2024-06-30"), 0.55, 0.7,
        ("Tigrinya", "ti", "Tigrinya|Amharic", "Tigre", "Tigrinya|Arabic", "tir"),
        ("Tigrinya", "Tigre", "Kunama", "Saho", "Bilen"),
        {"name_order": 1.4, "other_script": 1.2},
    ),
    "somali": CultureSpec(
        0.07, "patronymic", "*:5 so:5", ("2017-01-01", "2024-12-31"), 0.35, 0.5,
        ("Somali", "so", "Somali|Arabic", "Maay Maay", "Somali|English"),
        ("Darod", "Hawiye", "Rahanweyn", "Somali Bantu", "Digil-Mirifle"),
        {"transliteration": 1.5, "estimated_age": 1.4, "name_order": 1.3},
    ),
    "afghan": CultureSpec(
        0.11, "afghan", "*:5 fa:4 ir:1", ("2021-08-15", "2024-12-31"), 0.35, 0.5,
        ("Dari", "Pashto", "Dari|Pashto", "prs", "ps", "Farsi", "Persian", "Hazaragi"),
        ("Hazara", "Pashtun", "Tajik", "Uzbek", "Turkmen"),
        {"estimated_age": 1.6, "other_script": 1.3},
    ),
    "rohingya": CultureSpec(
        0.06, "single", "*:8 bn:2", ("2017-08-25", "2019-12-31"), 0.25, 0.35,
        ("Rohingya", "rhg", "Rohingya|Burmese", "Rohingya|Bengali", "Chittagonian"),
        ("Rohingya",),
        {"estimated_age": 1.6, "name_order": 1.3, "place_variant": 1.3},
    ),
    "ukraine": CultureSpec(
        0.13, "slavic", "*:4 uk:5 ru:1", ("2022-02-24", "2025-03-31"), 0.92, 0.95,
        ("Ukrainian", "uk", "Ukrainian|Russian", "Russian", "ru", "українська", "русский"),
        ("Ukrainian", "Russian", "Crimean Tatar", "Roma"),
        {"nickname": 1.8, "other_script": 1.4, "place_variant": 1.2},
    ),
    "congo": CultureSpec(
        0.12, "congo", "fr:5 *:4 sw:1", ("2022-03-01", "2025-04-30"), 0.5, 0.6,
        ("Swahili", "Kiswahili", "French|Swahili", "Lingala", "Kinyarwanda", "Kirundi", "Nande"),
        ("Nande", "Hunde", "Shi", "Rega", "Hema", "Lendu", "Banyarwanda"),
        {"name_order": 1.8, "nickname": 0.8},
    ),
    "latam": CultureSpec(
        0.10, "spanish", "es:6 *:4", ("2019-01-01", "2025-01-31"), 0.85, 0.9,
        ("Spanish", "es", "Español", "spanish", "Spanish|English", "Garifuna|Spanish"),
        ("Mestizo", "Garifuna", "Lenca", "Miskito", "Wayuu"),
        {"nickname": 2.0, "name_order": 1.4, "transliteration": 0.6},
    ),
    "haiti": CultureSpec(
        0.04, "haiti", "fr:5 *:4 ht:1", ("2021-07-01", "2025-04-30"), 0.7, 0.8,
        ("Haitian Creole", "Kreyòl", "ht", "Creole|French", "French", "Haitian Creole|Spanish"),
        ("Haitian",),
        {"name_order": 1.5, "transliteration": 0.7},
    ),
}  # fmt: skip

BASE_NOISE = {
    "transliteration": 26.0,
    "other_script": 17.0,
    "nickname": 18.0,
    "name_order": 16.0,
    "estimated_age": 19.0,
    "place_variant": 11.0,
}
NATIONALITY = {
    "sy": ("Syrian", "SYR", "Syria", "سوري"),
    "iq": ("Iraqi", "IRQ", "Iraq"),
    "ye": ("Yemeni", "YEM", "Yemen"),
    "sd": ("Sudanese", "SDN", "Sudan", "سوداني"),
    "er": ("Eritrean", "ERI", "Eritrea"),
    "et": ("Ethiopian", "ETH", "Ethiopia"),
    "so": ("Somali", "SOM", "Somalia"),
    "af": ("Afghan", "AFG", "Afghanistan", "Afghani"),
    "mm": ("Stateless", "Myanmar", "MMR", "Stateless (Rohingya)"),
    "ua": ("Ukrainian", "UKR", "Ukraine", "Україна"),
    "cd": ("Congolese", "COD", "Congolese (DRC)", "RDC"),
    "bi": ("Burundian", "BDI", "Burundi"),
    "hn": ("Honduran", "HND", "Hondureña", "Honduras"),
    "ve": ("Venezuelan", "VEN", "Venezolano", "Venezuela"),
    "ht": ("Haitian", "HTI", "Haïtien", "Haiti"),
}
# Calling code, mobile prefixes, remaining digits; the trunk 0 where local numbers use one.
PHONES = {
    "sy": ("+963", ("93", "94", "95", "98"), 7, True),
    "iq": ("+964", ("750", "770", "780"), 7, True),
    "ye": ("+967", ("77", "73", "71"), 7, False),
    "sd": ("+249", ("91", "92", "99"), 7, True),
    "er": ("+291", ("7",), 6, True),
    "et": ("+251", ("91", "92"), 7, True),
    "so": ("+252", ("61", "62", "63"), 7, False),
    "af": ("+93", ("70", "77", "78", "79"), 7, True),
    "mm": ("+880", ("18", "17", "19"), 8, True),
    "ua": ("+380", ("50", "67", "93", "97", "99"), 7, True),
    "cd": ("+243", ("97", "81", "82", "99"), 7, True),
    "bi": ("+257", ("79", "69", "71"), 6, False),
    "hn": ("+504", ("9", "3", "8"), 7, False),
    "ve": ("+58", ("414", "424", "412"), 7, True),
    "ht": ("+509", ("3", "4"), 7, False),
}
LATAM_COMPOUND_NICKS = {
    ("Maria", "Jose"): "Majo",
    ("Maria", "Fernanda"): "Mafe",
    ("Maria", "Alejandra"): "Male",
    ("Maria", "Isabel"): "Maribel",
    ("Jose", "Luis"): "Joselo",
    ("Juan", "Carlos"): "Juanca",
    ("Luis", "Fernando"): "Luisfer",
}


@dataclass(frozen=True)
class Culture:
    key: str
    spec: CultureSpec
    pools: dict[str, Pool]
    origins: tuple[Route, ...]
    seps: tuple[Route, ...]
    hosts: tuple[Route, ...]
    trace_style: tuple[tuple[str, float], ...]
    start: date
    days: int  # length of the separation window
    native_tags: tuple[str, ...]  # the scripts its names are written in besides Latin


@dataclass(frozen=True)
class World:
    cultures: tuple[Culture, ...]
    shares: tuple[float, ...]
    places: dict[str, Token]


@cache
def _world() -> World:
    """The tables, read once."""
    pools: dict[str, dict[str, list[Token]]] = {}
    with open(DATA / "names.csv", encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            culture, kind = row["culture"], row["kind"]
            first = row["forms"].split("|", 1)[0]
            key = f"{culture}:{kind}:{first}"
            tok = _token(key, kind, float(row["weight"]), row["forms"])
            pools.setdefault(culture, {}).setdefault(kind, []).append(tok)
    places: dict[str, Token] = {}
    with open(DATA / "places.csv", encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            places[row["key"]] = _token(row["key"], "place", 1.0, row["forms"])
    routes: dict[str, dict[str, list[Route]]] = {}
    with open(DATA / "paths.csv", encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            keys = tuple(row["path"].split(">"))
            missing = [k for k in keys if k not in places]
            if missing:
                raise ValueError(f"paths.csv: unknown place keys {missing}")
            route = Route(keys, float(row["weight"]), _style(row["style"] or ""))
            routes.setdefault(row["culture"], {}).setdefault(row["use"], []).append(route)
    cultures = []
    for key, spec in SPECS.items():
        start, end = date.fromisoformat(spec.window[0]), date.fromisoformat(spec.window[1])
        tags = {t for toks in pools[key].values() for tok in toks for t in tok.forms}
        cultures.append(
            Culture(
                key=key,
                spec=spec,
                pools={kind: Pool.of(toks) for kind, toks in pools[key].items()},
                origins=tuple(routes[key]["origin"]),
                seps=tuple(routes[key]["sep"]),
                hosts=tuple(routes[key]["host"]),
                trace_style=_style(spec.trace_style),
                start=start,
                days=(end - start).days,
                native_tags=tuple(sorted(tags & NATIVE_TAGS)),
            )
        )
    return World(tuple(cultures), tuple(accumulate(s.share for s in SPECS.values())), places)


# --- the people and what happened to them -------------------------------------------------


@dataclass(frozen=True)
class Person:
    """A name as a sequence of tokens; `family` is whatever the culture puts after the name."""

    sex: str
    given: tuple[Token, ...]
    family: tuple[Token, ...]
    father_given: Token | None = None  # the Slavic patronymic, the Arab and Afghan "son of"


@dataclass
class Registration:
    case_id: str
    on: date
    host: Route
    status: str
    consent: str

    @property
    def proposable(self) -> bool:
        return self.status in ("", "open") and self.consent != "false"


@dataclass
class Child:
    person: Person
    dob: date
    twin: int | None = None  # index of a twin (or a same-sex sibling a year apart)
    common: bool = False  # has namesakes from the same town among the cases
    regs: list[Registration] = field(default_factory=list)
    document: str = ""  # birth certificate, DNI, tazkira: on both sides when known


@dataclass
class Request:
    request_id: str
    relation: str
    inquirer: Person
    on: date
    phone: str
    sought: list[int]


@dataclass
class Family:
    culture: Culture
    origin: Route
    sep_keys: tuple[str, ...]
    sep_date: date
    father: Person
    mother: Person
    children: list[Child]
    phone: str
    family_number: str  # family book (Syria) or family counting number (Rohingya camps)
    burundi: bool = False


@dataclass
class View:
    """How one record gets written: who writes it, and which difficulty is forced on it."""

    tag: str
    nick: bool = False
    reorder: bool = False
    dob_known: bool | None = None
    age_error: int | None = None
    avoid: dict[str, str] | None = None  # token key -> folded spelling not to use
    prefer: dict[str, str] | None = None  # token key -> spelling to reuse (copied papers)
    chosen: dict[str, str] = field(default_factory=dict)
    place_avoid: dict[str, str] | None = None
    place_prefer: dict[str, str] | None = None
    place_mode: str | None = None
    place_chosen: dict[str, str] = field(default_factory=dict)
    quiet_other_names: bool = False


@dataclass
class Stats:
    cases: int = 0
    traces: int = 0
    true_pairs: int = 0
    difficulty: Counter[str] = field(default_factory=Counter)
    cultures: Counter[str] = field(default_factory=Counter)


# --- output --------------------------------------------------------------------------------


class _Sink:
    """Rows go to random buckets on disk, then each bucket is shuffled: bounded memory."""

    def __init__(self, out_dir: Path, fmt: Format, buckets: int, rng: random.Random) -> None:
        self.fmt = fmt
        self.rng = rng
        self.tmp = Path(tempfile.mkdtemp(prefix=".synth_alt_", dir=out_dir))
        self.files: dict[str, list] = {}
        self.writers: dict[str, list] = {}
        for kind in ("cases", "traces"):
            handles = [
                open(self.tmp / f"{kind}.{i}", "w", encoding="utf-8", newline="")
                for i in range(buckets)
            ]
            self.files[kind] = handles
            self.writers[kind] = [csv.writer(h, lineterminator="\n") for h in handles]

    def add(self, kind: str, columns: tuple[str, ...], row: dict[str, str]) -> None:
        i = self.rng.randrange(len(self.files[kind]))
        if self.fmt == "csv":
            self.writers[kind][i].writerow([row.get(c, "") for c in columns])
        else:
            self.files[kind][i].write(json.dumps(_jsonl(row, columns), ensure_ascii=False) + "\n")

    def finish(self, kind: str, columns: tuple[str, ...], path: Path) -> None:
        for handle in self.files[kind]:
            handle.close()
        with open(path, "w", encoding="utf-8", newline="") as out:
            if self.fmt == "csv":
                csv.writer(out, lineterminator="\n").writerow(columns)
            for i in range(len(self.files[kind])):
                lines = (self.tmp / f"{kind}.{i}").read_text(encoding="utf-8").splitlines(True)
                self.rng.shuffle(lines)
                out.writelines(lines)

    def close(self) -> None:
        for handles in self.files.values():
            for handle in handles:
                handle.close()
        shutil.rmtree(self.tmp, ignore_errors=True)


def _jsonl(row: dict[str, str], columns: tuple[str, ...]) -> dict[str, object]:
    out: dict[str, object] = {}
    for c in columns:
        value = row.get(c, "")
        if value == "":
            continue
        if c == "age":
            out[c] = int(value)
        elif c in ("age_estimated", "consent_for_tracing"):
            out[c] = value == "true"
        else:
            out[c] = value
    return out


# --- the generator ---------------------------------------------------------------------------


class _Generator:
    def __init__(self, world: World, rng: random.Random, sink: _Sink, n_cases: int) -> None:
        self.world = world
        self.rng = rng
        self.sink = sink
        self.left = n_cases
        self.ids: set[str] = set()
        self.truth: list[tuple[str, str]] = []
        self.labels: list[tuple[str, str]] = []
        self.stats = Stats()
        self.pending: list[tuple[Culture, Child, Family]] = []  # namesakes still to register

    # ids ----------------------------------------------------------------------------------

    def _id(self, prefix: str) -> str:
        while True:
            v = self.rng.getrandbits(50)
            chars = []
            for _ in range(10):
                chars.append(_ID_ALPHABET[v & 31])
                v >>= 5
            ident = prefix + "".join(chars)
            if ident not in self.ids:
                self.ids.add(ident)
                return ident

    # drawing ------------------------------------------------------------------------------

    def _pick_style(self, style: tuple[tuple[str, float], ...]) -> str:
        if not style:
            return "*"
        return self.rng.choices([t for t, _ in style], weights=[w for _, w in style])[0]

    def _latin_style(self, style: tuple[tuple[str, float], ...]) -> str:
        latin = tuple((t, w) for t, w in style if t not in NATIVE_TAGS)
        return self._pick_style(latin) if latin else "*"

    def _route(self, routes: tuple[Route, ...]) -> Route:
        return self.rng.choices(routes, weights=[r.weight for r in routes])[0]

    def _date_between(self, start: date, days: int) -> date:
        return start + timedelta(days=self.rng.randrange(max(days, 1)))

    def _after(self, start: date, mean_days: float, at_least: int = 0) -> date:
        d = start + timedelta(days=at_least + int(self.rng.expovariate(1.0 / mean_days)))
        return min(d, TODAY)

    # names -----------------------------------------------------------------------------------

    def _distinct(self, pool: Pool, used: set[str], common: bool = False) -> Token:
        tok = pool.pick(self.rng, common)
        for _ in range(12):
            if tok.key not in used:
                break
            tok = pool.pick(self.rng, common)
        used.add(tok.key)
        return tok

    def _given(
        self, c: Culture, sex: str, used: set[str], common: bool = False
    ) -> tuple[Token, ...]:
        rng = self.rng
        p = c.pools
        pool = p["m"] if sex == "male" else p["f"]
        layout = c.spec.layout
        if layout == "single":  # Rohingya: two names, no family name
            if sex == "male":
                r = rng.random()
                if r < 0.7:
                    return (p["mpre"].pick(rng, common), self._distinct(p["m"], used, common))
                if r < 0.85:
                    return (self._distinct(p["m"], used, common),)
                return (self._distinct(p["m"], used), p["m"].by_name["Ullah"])
            r = rng.random()
            if r < 0.65:
                return (self._distinct(p["f"], used, common), p["fsuf"].pick(rng, common))
            if r < 0.85:
                return (self._distinct(p["f"], used, common),)
            return (p["mpre"].by_name["Nur"], p["fsuf"].pick(rng))
        if layout == "afghan" and sex == "male" and rng.random() < 0.25 and not common:
            return (rng.choice((pool.by_name["Mohammad"], pool.by_name["Ahmad"])),
                    self._distinct(pool, used))  # fmt: skip
        if layout == "spanish" and rng.random() < 0.45 and not common:
            first = self._distinct(pool, used)
            if sex == "female" and first.name == "Maria":
                second_names = ("Fernanda", "Alejandra", "Isabel", "Guadalupe", "Daniela")
                if rng.random() < 0.35:
                    return (first, p["m"].by_name["Jose"])
                return (first, pool.by_name[rng.choice(second_names)])
            return (first, self._distinct(pool, used))
        return (self._distinct(pool, used, common),)

    def _adult(self, c: Culture, sex: str, family: tuple[Token, ...] | None = None) -> Person:
        """A grown-up of the culture: a parent, an aunt, a neighbour."""
        rng = self.rng
        p = c.pools
        layout = c.spec.layout
        given = self._given(c, sex, set())
        if family is not None:
            fam = family
        elif layout in ("arab", "slavic", "haiti"):
            fam = (p["fam"].pick(rng),)
        elif layout == "patronymic":
            fam = (p["m"].pick(rng), p["m"].pick(rng))
        elif layout == "afghan":
            fam = (p["fam"].pick(rng),) if rng.random() < 0.55 else ()
        elif layout == "spanish":
            fam = (p["fam"].pick(rng), p["fam"].pick(rng))
        elif layout == "congo":
            fam = (self._congo_nom(c, sex), p["fam"].pick(rng))
        else:
            fam = ()
        return Person(sex, given, fam, p["m"].pick(rng))

    def _congo_nom(self, c: Culture, sex: str, nande: bool = False, common: bool = False) -> Token:
        p = c.pools
        if nande or self.rng.random() < 0.2:  # Nande birth-order names: Kambale, Kavira...
            return p["famm" if sex == "male" else "famf"].pick(self.rng, common)
        return p["fam"].pick(self.rng, common)

    # families --------------------------------------------------------------------------------

    def run(self) -> None:
        cultures = self.world.cultures
        while self.left > 0:
            if self.pending:
                culture, model, fam = self.pending.pop()
                self._family(culture, namesake=(model, fam))
                continue
            culture = self.rng.choices(cultures, cum_weights=self.world.shares)[0]
            self._family(culture)

    def _parents(
        self, c: Culture, common: bool, namesake: tuple[Child, Family] | None, burundi: bool
    ) -> tuple[Person, Person]:
        rng = self.rng
        p = c.pools
        layout = c.spec.layout
        father = self._adult(c, "male")
        mother = self._adult(c, "female")
        fam_tok = father.family
        if layout in ("arab", "slavic", "haiti", "afghan") and common and fam_tok:
            fam_tok = (p["fam"].pick(rng, True),)
        if layout == "patronymic" and common:
            fam_tok = (p["m"].pick(rng, True), p["m"].pick(rng))
        if namesake is not None:
            model = namesake[0].person
            if layout in ("arab", "slavic", "haiti", "afghan"):
                fam_tok = model.family
            elif layout == "patronymic":
                father = Person("male", model.family[:1], (model.family[1], p["m"].pick(rng)))
                fam_tok = father.family
            elif layout == "spanish":
                fam_tok = (model.family[0], father.family[1])
                mother = Person("female", mother.given, (model.family[1], mother.family[1]))
        if layout == "patronymic":
            father = Person("male", father.given, fam_tok)
        elif layout == "congo" and burundi:
            father = Person("male", father.given, (p["fam"].pick(rng),))
        else:
            father = Person("male", father.given, fam_tok, father.father_given)
        if layout == "slavic" and rng.random() < 0.85:
            mother = Person("female", mother.given, father.family, mother.father_given)
        return father, mother

    def _child(
        self,
        c: Culture,
        fam: tuple[Person, Person, bool, bool],
        sex: str,
        used: set[str],
        common: bool,
    ) -> Person:
        rng = self.rng
        father, mother, burundi, nande = fam
        layout = c.spec.layout
        given = self._given(c, sex, used, common)
        if layout in ("arab", "slavic", "afghan"):
            family = father.family
        elif layout == "patronymic":
            family = (father.given[0], father.family[0])
        elif layout == "spanish":
            family = (father.family[0], mother.family[0])
        elif layout == "haiti":
            family = father.family if rng.random() < 0.7 else mother.family
        elif layout == "congo":
            # Children get names of their own, not their father's: siblings differ.
            if burundi:
                family = (c.pools["fam"].pick(rng, common),)
            else:
                nom = self._congo_nom(c, sex, nande and rng.random() < 0.6, common)
                post = father.family[0] if rng.random() < 0.25 else c.pools["fam"].pick(rng)
                family = (nom, post)
        else:
            family = ()
        return Person(sex, given, family, father.given[0])

    def _family(self, c: Culture, namesake: tuple[Child, Family] | None = None) -> None:
        rng = self.rng
        if namesake is not None:
            model_child, model_fam = namesake
            origin = model_fam.origin
            sep_date = model_fam.sep_date + timedelta(days=rng.randint(-60, 60))
        else:
            origin = self._route(c.origins)
            sep_date = self._date_between(c.start, c.days)
        sep_date = min(sep_date, TODAY - timedelta(days=30))
        r = rng.random()
        if r < 0.45:
            sep_keys = origin.keys
        elif r < 0.6:
            sep_keys = origin.keys[:2]
        else:
            sep_keys = self._route(c.seps).keys
        burundi = c.key == "congo" and origin.keys[0] == "bi"
        nande = c.key == "congo" and origin.keys[-1] in ("beni", "butembo", "lubero")
        common = namesake is not None or rng.random() < 0.10
        father, mother = self._parents(c, common, namesake, burundi)
        n = rng.choices((1, 2, 3, 4, 5), weights=(24, 26, 22, 16, 12))[0]
        if namesake is not None:
            n = rng.choices((1, 2, 3), weights=(5, 3, 2))[0]
        # Ages at separation, eldest first.
        age = rng.choices(range(3, 17), weights=(3, 4, 5, 6, 7, 7, 7, 7, 7, 7, 6, 6, 5, 4))[0]
        if namesake is not None:
            age = max(0, min(16, _years(model_child.dob, sep_date) + rng.randint(-2, 2)))
        ages = [age]
        while len(ages) < n:
            nxt = ages[-1] - rng.choice((1, 1, 2, 2, 2, 3, 3, 4))
            if nxt < 0:
                break
            ages.append(nxt)
        used: set[str] = set()
        children: list[Child] = []
        for i, a in enumerate(ages):
            sex = rng.choice(("male", "female"))
            if namesake is not None and i == 0:  # the same name, another child
                model = model_child.person
                person = Person(model.sex, model.given, model.family, father.given[0])
                used.update(t.key for t in model.given)
            else:
                person = self._child(
                    c, (father, mother, burundi, nande), sex, used, common and i == 0
                )
            dob = sep_date - timedelta(days=a * 365 + rng.randrange(365))
            children.append(Child(person, dob, common=(common and i == 0)))
        if len(children) >= 2 and namesake is None and rng.random() < 0.16:
            i = rng.randrange(len(children) - 1)
            a, b = children[i], children[i + 1]
            same_sex = rng.random() < 0.6
            sex = a.person.sex if same_sex else ("female" if a.person.sex == "male" else "male")
            used.discard(b.person.given[0].key)
            twin_person = self._child(c, (father, mother, burundi, nande), sex, used, False)
            if rng.random() < 0.75:  # twins: one birthday
                dob = a.dob
            else:  # a sister or brother a year younger, same sex
                dob = a.dob + timedelta(days=rng.randint(300, 420))
                twin_person = self._child(c, (father, mother, burundi, nande),
                                          a.person.sex, used, False)  # fmt: skip
            children[i + 1] = Child(twin_person, min(dob, sep_date), twin=i)
            a.twin = i + 1
        fam = Family(
            culture=c,
            origin=origin,
            sep_keys=sep_keys,
            sep_date=sep_date,
            father=father,
            mother=mother,
            children=children,
            phone=self._phone(origin.keys[0]),
            family_number=str(rng.randint(100000, 999999)),
            burundi=burundi,
        )
        for ch in children:
            ch.document = self._document(c, origin.keys[0], ch)
        self._register(fam)
        requests = self._requests(fam, namesake is not None)
        self._write(fam, requests)
        if namesake is None and children[0].common and children[0].regs:
            for _ in range(rng.choice((1, 2, 2, 3))):
                self.pending.append((c, children[0], fam))

    def _register(self, fam: Family) -> None:
        """Which children a caseworker registered, where, and how often."""
        rng = self.rng
        c = fam.culture
        for ch in fam.children:
            if self.left <= 0:
                return
            r = rng.random()
            if r < 0.12:
                continue
            count = 2 if r > 0.935 and self.left >= 2 else 1
            on = self._after(fam.sep_date, 50)
            if _years(ch.dob, on) > 17:
                continue
            host = self._route(c.hosts)
            for k in range(count):
                if k == 1:
                    on = self._after(on, 120, at_least=20)
                    if _years(ch.dob, on) > 17 or on <= ch.regs[0].on:
                        break
                    if rng.random() < 0.5:
                        host = self._route(c.hosts)
                s = rng.random()
                status = "closed" if s < 0.025 else "reunified" if s < 0.05 else ""
                if not status:
                    status = "open" if rng.random() < 0.4 else ""
                consent = rng.choices(("", "true", "false"), weights=(60, 37.5, 2.5))[0]
                ch.regs.append(Registration(self._id("C-"), on, host, status, consent))
                self.left -= 1

    def _requests(self, fam: Family, namesake: bool) -> list[Request]:
        rng = self.rng
        if rng.random() >= (0.3 if namesake else 0.58):
            return []
        out: list[Request] = []
        relations = ("mother", "father", "grandparent", "aunt_uncle", "sibling", "other")
        weights = (40, 22, 10, 14, 9, 5)
        first = rng.choices(relations, weights=weights)[0]
        rounds = [first]
        if first in ("mother", "father") and rng.random() < 0.04:
            rounds.append("father" if first == "mother" else "mother")
        for relation in rounds:
            sought = [i for i in range(len(fam.children)) if rng.random() < 0.8]
            if not sought:
                sought = [rng.randrange(len(fam.children))]
            out.append(
                Request(
                    request_id=self._id("R-"),
                    relation=relation,
                    inquirer=self._inquirer(fam, relation),
                    on=self._after(fam.sep_date, 120),
                    phone=fam.phone
                    if relation in ("mother", "father")
                    else self._phone(fam.origin.keys[0]),
                    sought=sought,
                )
            )
        return out

    def _inquirer(self, fam: Family, relation: str) -> Person:
        rng = self.rng
        c = fam.culture
        layout = c.spec.layout
        if relation == "mother":
            return fam.mother
        if relation == "father":
            return fam.father
        if relation == "grandparent":
            if rng.random() < 0.5 and layout in ("arab", "slavic", "haiti", "afghan"):
                return Person("male", (fam.father.father_given or c.pools["m"].pick(rng),),
                              fam.father.family)  # fmt: skip
            if layout == "patronymic":
                return Person("male", fam.father.family[:1], fam.father.family[1:])
            return self._adult(c, "female")
        if relation == "aunt_uncle":
            if rng.random() < 0.5:  # the father's brother carries the family name
                uncle = self._adult(c, "male", fam.father.family)
                if layout == "patronymic":
                    uncle = Person("male", uncle.given, fam.father.family)
                return uncle
            return self._adult(c, "female", fam.mother.family)
        if relation == "sibling":
            sex = rng.choice(("male", "female"))
            return self._child(c, (fam.father, fam.mother, fam.burundi, False), sex,
                               {ch.person.given[0].key for ch in fam.children}, False)  # fmt: skip
        return self._adult(c, rng.choice(("male", "female")))

    def _phone(self, country: str) -> str:
        cc, prefixes, rest, _ = PHONES[country]
        digits = "".join(str(self.rng.randrange(10)) for _ in range(rest))
        return f"{cc}|{self.rng.choice(prefixes)}{digits}"

    def _document(self, c: Culture, country: str, ch: Child) -> str:
        rng = self.rng
        if country == "ua":
            letters = "АВЕКМНОРСТХ"
            return (
                f"birth_certificate:{rng.choice(('I', 'II'))}-{rng.choice(letters)}"
                f"{rng.choice(letters)} {rng.randint(100000, 999999)}"
            )
        if country == "hn":
            return (
                f"dni:{rng.choice(('0501', '0801', '0101'))}-{ch.dob.year}-"
                f"{rng.randint(0, 99999):05d}"
            )
        if country == "ve":
            return f"cedula:V-{rng.randint(28000000, 34999999)}"
        if country == "af":
            return (
                f"tazkira:{rng.randint(1398, 1402)}-{rng.randint(100, 9999):04d}-"
                f"{rng.randint(10000, 99999)}"
            )
        return ""

    # labels ----------------------------------------------------------------------------------

    def _label(self, fam: Family, ch: Child, closed: bool) -> str:
        if closed or not any(r.proposable for r in ch.regs):
            return "unmatched"
        if sum(r.proposable for r in ch.regs) >= 2:
            return "duplicate"
        if ch.twin is not None and any(r.proposable for r in fam.children[ch.twin].regs):
            return "sibling_twin"
        if ch.common:
            return "common_name"
        c = fam.culture
        weights = dict(BASE_NOISE)
        for k, mult in c.spec.noise.items():
            weights[k] *= mult
        if not c.native_tags:
            weights["other_script"] = 0.0
        if not (ch.person.given[0].nick_latin or ch.person.given[0].nick_native):
            weights["nickname"] = 0.0
        if not any(len({_fold(f) for f in t.latin}) > 1 for t in self._own(ch.person)):
            weights["transliteration"] = 0.0
        labels = list(weights)
        return self.rng.choices(labels, weights=[weights[k] for k in labels])[0]

    @staticmethod
    def _own(p: Person) -> tuple[Token, ...]:
        return p.given + p.family

    # views ------------------------------------------------------------------------------------

    def _plan(
        self, fam: Family, ch: Child, reg: Registration, label: str
    ) -> tuple[View, Callable[[View], View]]:
        """The first registration's view, and how to derive the trace's view from it."""
        rng = self.rng
        c = fam.culture
        case = View(self._pick_style(reg.host.style))
        trace_style = c.trace_style

        def aligned(cv: View) -> View:
            tag = self._pick_style(trace_style)
            if rng.random() < 0.45:
                tag = cv.tag
            if (tag in NATIVE_TAGS) != (cv.tag in NATIVE_TAGS):
                tag = cv.tag if cv.tag in NATIVE_TAGS else self._latin_style(trace_style)
            tv = View(tag)
            if rng.random() < 0.5:  # both copied from the same papers
                tv.prefer = dict(cv.chosen)
                tv.place_prefer = dict(cv.place_chosen)
            return tv

        if label == "transliteration":
            if case.tag in NATIVE_TAGS:
                case.tag = self._latin_style(reg.host.style)

            def derive(cv: View) -> View:
                tv = View(self._latin_style(trace_style))
                keys = [t.key for t in ch.person.given]
                if rng.random() < 0.6 or not any(
                    len({_fold(f) for f in t.latin}) > 1 for t in ch.person.given
                ):
                    keys += [t.key for t in ch.person.family]
                tv.avoid = {k: _fold(cv.chosen[k]) for k in keys if k in cv.chosen}
                tv.place_prefer = dict(cv.place_chosen) if rng.random() < 0.5 else None
                return tv

            return case, derive

        if label == "other_script":
            natives = [t for t, _ in reg.host.style if t in NATIVE_TAGS]
            case_native = bool(natives) and rng.random() < 0.5
            if case_native:
                case.tag = rng.choice(natives)
            elif case.tag in NATIVE_TAGS:
                case.tag = self._latin_style(reg.host.style)
            case.quiet_other_names = rng.random() < 0.9

            def derive_script(cv: View) -> View:
                if case_native:
                    tag = self._latin_style(trace_style)
                else:
                    tag = (
                        rng.choice(c.native_tags)
                        if rng.random() < 0.3
                        else next((t for t, _ in trace_style if t in NATIVE_TAGS), c.native_tags[0])
                    )
                return View(tag, quiet_other_names=rng.random() < 0.9)

            return case, derive_script

        if label == "nickname":
            on_case = rng.random() < 0.55
            given = ch.person.given[0]
            if case.tag in NATIVE_TAGS and not given.nick_native:
                case.tag = self._latin_style(reg.host.style)
            if on_case:
                case.nick = True
                case.quiet_other_names = rng.random() < 0.85

            def derive_nick(cv: View) -> View:
                tv = aligned(cv)
                if tv.tag in NATIVE_TAGS and not given.nick_native:
                    tv.tag = self._latin_style(trace_style)
                tv.nick = not on_case
                tv.quiet_other_names = True
                if on_case:
                    tv.prefer = None
                return tv

            return case, derive_nick

        if label == "name_order":
            on_case = rng.random() < 0.5
            case.reorder = on_case

            def derive_order(cv: View) -> View:
                tv = aligned(cv)
                tv.reorder = not on_case
                return tv

            return case, derive_order

        if label == "estimated_age":
            # Mostly the caseworker guessed from the child's looks (or a dental check); else
            # both guessed, months apart; else the relative only knew "about ten".
            r = rng.random()
            err = self._age_error(_years(ch.dob, reg.on), forced=True)
            if r < 0.85:
                case.dob_known, case.age_error = False, err

            def derive_age(cv: View) -> View:
                tv = aligned(cv)
                if r < 0.7:
                    tv.dob_known = rng.random() < 0.8
                    return tv
                tv.dob_known = False
                for _ in range(10):
                    tv.age_error = self._age_error(_years(ch.dob, reg.on), forced=True)
                    if r >= 0.85 or 0 < abs(tv.age_error - err) <= 3:
                        break
                return tv

            return case, derive_age

        if label == "place_variant":
            case.place_mode = rng.choice(("full", "full", "full", "no_region"))

            def derive_place(cv: View) -> View:
                tv = aligned(cv)
                tv.place_prefer = None
                tv.place_avoid = {k: _fold(v) for k, v in cv.place_chosen.items()}
                tv.place_mode = rng.choice(
                    ("full", "no_region", "coarse", "town", "full")
                    if cv.place_mode == "full"
                    else ("full", "full", "coarse")
                )
                return tv

            return case, derive_place

        return case, aligned

    # writing -----------------------------------------------------------------------------------

    def _write(self, fam: Family, requests: list[Request]) -> None:
        rng = self.rng
        c = fam.culture
        # The first open trace seeking a child decides how its first registration is written;
        # a second request for the same child (both parents asked) shares that difficulty.
        traces: list[tuple[Request, int, str, bool]] = []
        first_label: dict[int, str] = {}
        for req in requests:
            for i in req.sought:
                closed = rng.random() < 0.02
                label = self._label(fam, fam.children[i], closed)
                if label != "unmatched":
                    label = first_label.setdefault(i, label)
                traces.append((req, i, label, closed))
        derive: dict[int, Callable[[View], View]] = {}
        first_view: dict[int, View] = {}
        for i, ch in enumerate(fam.children):
            for k, reg in enumerate(ch.regs):
                if k == 0:
                    view, derive[i] = self._plan(fam, ch, reg, first_label.get(i, "none"))
                    first_view[i] = view
                else:
                    view = View(self._pick_style(reg.host.style))
                row = self._case_row(fam, ch, reg, view)
                self.sink.add("cases", CASE_COLUMNS, row)
                self.stats.cases += 1
            self.stats.cultures[c.key] += len(ch.regs)
        for req, i, label, closed in traces:
            ch = fam.children[i]
            if i in first_view and label != "unmatched":
                view = derive[i](first_view[i])
            elif i in first_view:
                view = (
                    derive[i](first_view[i])
                    if rng.random() < 0.7
                    else View(self._pick_style(c.trace_style))
                )
            else:
                view = View(self._pick_style(c.trace_style))
            trace_id = self._id("T-")
            row = self._trace_row(fam, ch, req, view, trace_id, closed)
            self.sink.add("traces", TRACE_COLUMNS, row)
            self.stats.traces += 1
            if label == "unmatched":
                pass
            else:
                for reg in ch.regs:
                    if reg.proposable:
                        self.truth.append((trace_id, reg.case_id))
                        self.stats.true_pairs += 1
            self.labels.append((trace_id, label))
            self.stats.difficulty[label] += 1

    # rendering: names --------------------------------------------------------------------------

    def _form(self, tok: Token, tag: str, sex: str, view: View | None) -> str:
        rng = self.rng
        forms = tok.written(tag)
        if view is not None:
            if view.prefer and tok.key in view.prefer:
                wanted = view.prefer[tok.key]
                if wanted in forms or (
                    _is_native(wanted) == (tag in NATIVE_TAGS) and wanted in tok.latin
                ):
                    view.chosen[tok.key] = wanted
                    return _feminine(wanted) if self._gendered(tok, sex) else wanted
            if view.avoid and tok.key in view.avoid:
                bad = view.avoid[tok.key]
                alts = tuple(f for f in forms if _fold(f) != bad)
                if not alts and tag not in NATIVE_TAGS:
                    alts = tuple(f for f in tok.latin if _fold(f) != bad)
                if alts:
                    forms = alts
        s = forms[0] if len(forms) == 1 or rng.random() < 0.55 else rng.choice(forms[1:])
        if view is not None:
            view.chosen[tok.key] = s
        return _feminine(s) if self._gendered(tok, sex) else s

    @staticmethod
    def _gendered(tok: Token, sex: str) -> bool:
        return sex == "female" and tok.kind == "fam" and tok.key.startswith("ukraine:")

    def _nick(self, p: Person, tag: str) -> str | None:
        first = p.given[0]
        if len(p.given) == 2 and p.given[0].key.startswith("latam:"):
            compound = LATAM_COMPOUND_NICKS.get((p.given[0].name, p.given[1].name))
            if compound and self.rng.random() < 0.6:
                return compound
        pool = first.nick_native if tag in NATIVE_TAGS else first.nick_latin
        if not pool:
            pool = first.nick_latin or first.nick_native
        return self.rng.choice(pool) if pool else None

    def _patronymic(self, father: Token, sex: str, tag: str) -> str:
        fem = sex == "female"
        if tag == "uk":
            forms = father.forms.get("pfu" if fem else "pmu")
        elif tag == "ru":
            forms = father.forms.get("pfr" if fem else "pmr")
        elif tag == "rl":
            ru = father.forms.get("pfr" if fem else "pmr")
            forms = tuple(_romanize_ru(f) for f in ru) if ru else None
        else:
            forms = father.forms.get("pfl" if fem else "pml")
        return forms[0] if forms else ""

    def _child_names(self, c: Culture, p: Person, view: View, side: str) -> tuple[str, str]:
        rng = self.rng
        tag = view.tag
        g = [self._form(t, tag, p.sex, view) for t in p.given]
        if view.nick:
            nick = self._nick(p, tag)
            if nick:
                g = [nick] if len(g) == 1 or rng.random() < 0.7 else [nick, *g[1:]]
        f = [self._form(t, tag, p.sex, view) for t in p.family]
        given, family = self._arrange(c, p, g, f, tag, side)
        if view.reorder:
            given, family = self._reorder(c, p, g, f, (given, family), tag)
        return given, family

    def _arrange(
        self, c: Culture, p: Person, g: list[str], f: list[str], tag: str, side: str
    ) -> tuple[str, str]:
        """Where the names land in given_name / family_name, by the writer's habit."""
        rng = self.rng
        given, family = " ".join(g), " ".join(f)
        layout = c.spec.layout
        native = tag in NATIVE_TAGS
        r = rng.random()
        if layout == "arab":
            if p.father_given and r < (0.12 if side == "case" else 0.08):
                given = f"{given} {self._form(p.father_given, tag, 'male', None)}"
            elif r > (0.85 if native else 0.95):
                given, family = f"{given} {family}", ""
        elif layout == "patronymic":
            if r < 0.5:
                family = f[0]
            elif r < 0.92:
                pass
            elif r < 0.96:
                family = f[-1]
            else:
                given, family = " ".join(g + f), ""
        elif layout == "afghan":
            if not f and p.father_given and r < (0.3 if side == "case" else 0.12):
                family = self._form(p.father_given, tag, "male", None)
        elif layout == "single":
            if len(g) > 1 and r < 0.35:
                given, family = " ".join(g[:-1]), g[-1]
        elif layout == "slavic":
            if p.father_given and r < (0.2 if native else 0.06):
                patr = self._patronymic(p.father_given, p.sex, tag)
                if patr:
                    given = f"{given} {patr}"
        elif layout == "congo":
            if len(f) == 1:
                if r < 0.2:
                    given, family = family, given
            elif r < 0.3:
                family = f[0]
            elif r < 0.42:
                given, family = f[0], f[1]
        elif layout == "spanish":
            if tag == "us":
                if r < 0.2:
                    family = "-".join(f)
                elif r < 0.4:
                    given, family = f"{given} {f[0]}", f[1]
                elif r < 0.6:
                    family = f[0]
            elif r < 0.22:
                family = f[0]
            elif r < 0.25:
                family = "-".join(f)
        elif layout == "haiti":
            if r < 0.08:
                given, family = family, given
        return given, family

    def _reorder(
        self,
        c: Culture,
        p: Person,
        g: list[str],
        f: list[str],
        current: tuple[str, str],
        tag: str,
    ) -> tuple[str, str]:
        """The forced name-order difficulty: fields swapped, merged, or cut the culture's way."""
        rng = self.rng
        given, family = current
        layout = c.spec.layout
        options: list[tuple[str, str]] = []
        if family:
            options += [
                (family, given),
                (f"{given} {family}", ""),
                (f"{family.upper()} {given}", ""),
            ]
        special: list[tuple[str, str]] = []
        if layout == "patronymic" and len(f) == 2:
            special += [(g[0], f[-1]), (" ".join(g + f), ""), (f"{f[0]} {g[0]}", f[-1])]
        elif layout == "spanish" and len(f) == 2:
            special += [(g[0], f[1]), (f"{' '.join(g)} {f[0]}", f[1]), (" ".join(f), " ".join(g))]
        elif layout == "congo" and len(f) == 2:
            special += [(f[0], f"{f[1]} {' '.join(g)}"), (f"{f[0].upper()} {f[1]} {g[0]}", "")]
        elif layout == "slavic":
            patr = self._patronymic(p.father_given, p.sex, tag) if p.father_given else ""
            special += [(f"{' '.join(f)} {' '.join(g)} {patr}".strip(), "")]
            if patr:
                special += [(f"{' '.join(g)} {patr}", " ".join(f))]
        elif layout == "single" and len(g) > 1:
            special += [(g[-1], " ".join(g[:-1])), (g[0], " ".join(g[1:]))]
        elif layout == "afghan" and p.father_given:
            dad = self._form(p.father_given, tag, "male", None)
            special += [(" ".join(g), dad), (f"{' '.join(g)} {dad}", "")]
            if f:
                special += [(" ".join(f), " ".join(g))]
        elif layout == "arab" and p.father_given:
            dad = self._form(p.father_given, tag, "male", None)
            special += [(f"{' '.join(g)} {dad} {' '.join(f)}", "")]
        if special and rng.random() < 0.5:
            options = special
        options = [o for o in options if o != current] or special or [(family, given)]
        return rng.choice(options)

    def _full_name(self, c: Culture, p: Person, tag: str, given_only: bool = False) -> str:
        """An adult's name as a relative or a caseworker writes it in one field."""
        rng = self.rng
        g = [self._form(t, tag, p.sex, None) for t in p.given]
        if given_only:
            return " ".join(g)
        f = [self._form(t, tag, p.sex, None) for t in p.family]
        layout = c.spec.layout
        r = rng.random()
        if layout == "patronymic" and len(f) == 2 and r < 0.3:
            f = f[:1]
        elif layout == "arab" and p.father_given and r < 0.3:
            f = [self._form(p.father_given, tag, "male", None), *f]
        elif layout == "slavic" and p.father_given:
            patr = self._patronymic(p.father_given, p.sex, tag)
            if tag in NATIVE_TAGS and r < 0.5:
                return " ".join(x for x in (*f, *g, patr) if x)
            if r < 0.2:
                return " ".join(x for x in (*g, patr, *f) if x)
        elif layout in ("congo", "haiti") and r < 0.25:
            return " ".join([*(x.upper() for x in f), *g])
        elif layout == "afghan" and not f and p.father_given and r < 0.3:
            of = "s/o" if p.sex == "male" else "d/o"  # son of / daughter of, Pakistani papers
            return f"{' '.join(g)} {of} {self._form(p.father_given, tag, 'male', None)}"
        return " ".join([*g, *f])

    def _other_names(self, c: Culture, p: Person, view: View, side: str) -> str:
        rng = self.rng
        out = []
        quiet = 0.1 if view.quiet_other_names else 1.0
        if not view.nick and rng.random() < (0.08 if side == "case" else 0.12) * quiet:
            nick = self._nick(p, view.tag)
            if nick:
                out.append(nick)
        if view.nick and rng.random() < 0.15:
            out.append(" ".join(self._form(t, view.tag, p.sex, None) for t in p.given))
        if c.native_tags and rng.random() < (0.07 if side == "case" else 0.05) * quiet:
            other = (
                self._latin_style(c.trace_style)
                if view.tag in NATIVE_TAGS
                else rng.choice(c.native_tags)
            )
            out.append(" ".join(self._form(t, other, p.sex, None) for t in p.given + p.family))
        return "|".join(out)

    # rendering: the rest -------------------------------------------------------------------

    def _age_error(self, age: int, forced: bool = False) -> int:
        rng = self.rng
        if age < 4:
            choices, weights = (0, 1, -1), (6, 2, 2)
        elif age < 11:
            choices, weights = (0, 1, -1, 2, -2), (45, 20, 20, 8, 7)
        else:
            choices, weights = (0, 1, -1, 2, -2, 3, -3), (35, 20, 20, 10, 10, 3, 2)
        if forced:
            pairs = [(e, w) for e, w in zip(choices, weights, strict=True) if e != 0]
            choices, weights = tuple(e for e, _ in pairs), tuple(w for _, w in pairs)
        return rng.choices(choices, weights=weights)[0]

    def _typo(self, d: date) -> date:
        rng = self.rng
        r = rng.random()
        try:
            if r < 0.4 and d.day <= 12 and d.day != d.month:
                return date(d.year, d.day, d.month)
            if r < 0.65:
                return date(d.year + rng.choice((-1, 1)), d.month, min(d.day, 28))
            if r < 0.85:
                return d + timedelta(days=rng.choice((-3, -2, -1, 1, 2, 3)))
            return date(d.year, min(12, max(1, d.month + rng.choice((-1, 1)))), min(d.day, 28))
        except ValueError:
            return d

    def _birth(
        self, dob: date, at: date, p_known: float, view: View, typo: float
    ) -> tuple[str, str, str]:
        """date_of_birth, age and age_estimated as one side records them."""
        rng = self.rng
        known = view.dob_known if view.dob_known is not None else rng.random() < p_known
        if known:
            recorded = self._typo(dob) if rng.random() < typo else dob
            recorded = min(recorded, at)
            age = str(_years(recorded, at)) if rng.random() < 0.5 else ""
            flag = "false" if rng.random() < 0.15 else ""
            return recorded.isoformat(), age, flag
        true_age = _years(dob, at)
        err = view.age_error if view.age_error is not None else self._age_error(true_age)
        guess = max(0, true_age + err)
        flag = "true" if rng.random() < 0.9 else ""
        if rng.random() < 0.35:  # the registration software wants a date: 1 January
            born = date(at.year - guess, 1, 1)
            age = str(guess) if rng.random() < 0.5 else ""
            return born.isoformat(), age, flag
        return "", str(guess), flag

    def _place(self, keys: tuple[str, ...], tag: str, mode: str | None, view: View | None) -> str:
        rng = self.rng
        if mode is None:
            mode = rng.choices(
                ("full", "no_region", "coarse", "town", "country"), weights=(72, 10, 8, 6, 4)
            )[0]
        if len(keys) > 3 and rng.random() < 0.3:
            keys = keys[:-1]  # the village is left out
        if mode == "no_region" and len(keys) >= 3:
            keys = (keys[0], *keys[2:])
        elif mode == "coarse":
            keys = keys[:2]
        elif mode == "town":
            keys = keys[-1:]
        elif mode == "country":
            keys = keys[:1]
        parts = []
        for key in keys:
            tok = self.world.places[key]
            forms = tok.written(tag)
            if view is not None and view.place_prefer and key in view.place_prefer:
                want = view.place_prefer[key]
                if want in forms or want in tok.latin and tag not in NATIVE_TAGS:
                    parts.append(want)
                    view.place_chosen[key] = want
                    continue
            if view is not None and view.place_avoid and key in view.place_avoid:
                bad = view.place_avoid[key]
                alts = tuple(x for x in forms if _fold(x) != bad)
                if not alts and tag not in NATIVE_TAGS:
                    alts = tuple(x for x in tok.latin if _fold(x) != bad)
                forms = alts or forms
            s = forms[0] if len(forms) == 1 or rng.random() < 0.6 else rng.choice(forms[1:])
            if view is not None:
                view.place_chosen[key] = s
            parts.append(s)
        return " > ".join(parts)

    def _format_phone(self, phone: str, local: bool) -> str:
        cc, national = phone.split("|")
        country = next(k for k, v in PHONES.items() if v[0] == cc)
        trunk = PHONES[country][3]
        r = self.rng.random()
        if local:
            number = ("0" if trunk else "") + national
            return number if r < 0.6 else f"{number[:-6]} {number[-6:-3]} {number[-3:]}"
        if r < 0.5:
            return f"{cc}{national}"
        if r < 0.8:
            return f"{cc} {national[:3]} {national[3:6]} {national[6:]}".strip()
        return f"00{cc[1:]}{national}"

    def _doc_variant(self, doc: str) -> str:
        """The same document number typed by someone else."""
        kind, _, value = doc.partition(":")
        r = self.rng.random()
        if kind == "birth_certificate" and r < 0.4:
            series, _, number = value.partition(" ")
            roman, _, letters = series.partition("-")
            return f"{kind}:{roman}-{''.join(_CERT_LATIN.get(ch, ch) for ch in letters)} {number}"
        if r < 0.6:
            return f"{kind}:{value.replace('-', '').replace(' ', '')}"
        return doc

    def _sex(self, sex: str, age_days: int, missing: float) -> str:
        rng = self.rng
        r = rng.random()
        if r < missing:
            return ""
        if age_days < 400 and r < missing + 0.02:
            return "unknown"
        r = rng.random()
        if r < 0.82:
            return sex
        if r < 0.94:
            return sex[0].upper()
        return sex[0]

    def _pick(self, values: Sequence[str], p: float) -> str:
        return self.rng.choice(values) if values and self.rng.random() < p else ""

    def _nationality(self, fam: Family, p: float) -> str:
        return self._pick(NATIONALITY[fam.origin.keys[0]], p)

    def _case_row(self, fam: Family, ch: Child, reg: Registration, view: View) -> dict[str, str]:
        rng = self.rng
        c = fam.culture
        tag = view.tag
        given, family = self._child_names(c, ch.person, view, "case")
        dob, age, est = self._birth(ch.dob, reg.on, c.spec.dob_case, view, 0.02)
        r_father, r_mother = rng.random(), rng.random()
        father = (
            self._full_name(c, fam.father, tag) if r_father < 0.45
            else self._full_name(c, fam.father, tag, given_only=True) if r_father < 0.75
            else ""
        )  # fmt: skip
        mother = (
            self._full_name(c, fam.mother, tag) if r_mother < 0.35
            else self._full_name(c, fam.mother, tag, given_only=True) if r_mother < 0.7
            else ""
        )  # fmt: skip
        caregiver = ""
        if rng.random() < 0.45:
            who = rng.random()
            if who < 0.35:
                carer = self._adult(c, "female", fam.mother.family)
            elif who < 0.6:
                carer = self._adult(c, "male", fam.father.family)
            elif who < 0.75:
                carer = self._adult(c, "female")
            else:
                carer = self._adult(c, rng.choice(("male", "female")))
            caregiver = self._full_name(c, carer, tag)
        origin = self._place(fam.origin.keys, tag, view.place_mode, view) \
            if rng.random() < 0.85 or view.place_mode else ""  # fmt: skip
        sep_keys = fam.sep_keys if rng.random() < 0.9 else fam.origin.keys
        separation = self._place(sep_keys, tag, None, None) if rng.random() < 0.65 else ""
        sep_date = fam.sep_date.isoformat() if rng.random() < 0.55 else ""
        current = self._place(reg.host.keys, tag, "full" if rng.random() < 0.8 else "no_region",
                              None) if rng.random() < 0.92 else ""  # fmt: skip
        ids = []
        if rng.random() < 0.45:
            ids.append(f"unhcr:{rng.randint(100, 999)}-{reg.on.year % 100:02d}C"
                       f"{rng.randint(0, 99999):05d}")  # fmt: skip
        host_country = reg.host.keys[0]
        if host_country == "tr" and rng.random() < 0.4:
            ids.append(f"foreigner_id:99{rng.randint(100000000, 999999999)}")
        if host_country == "us" and rng.random() < 0.6:
            ids.append(f"a_number:A{rng.randint(200000000, 249999999)}")
        if ch.document and rng.random() < 0.3:
            ids.append(ch.document if rng.random() < 0.6 else self._doc_variant(ch.document))
        if fam.family_number and c.key == "rohingya" and rng.random() < 0.4:
            ids.append(f"fcn:{fam.family_number}")
        if fam.family_number and fam.origin.keys[0] == "sy" and rng.random() < 0.06:
            ids.append(f"family_book:{fam.family_number}")
        if rng.random() < 0.05:
            ids.append(f"phone:{self._format_phone(fam.phone, local=rng.random() < 0.6)}")
        return {
            "case_id": reg.case_id,
            "registration_date": reg.on.isoformat(),
            "given_name": given,
            "family_name": family,
            "other_names": self._other_names(c, ch.person, view, "case"),
            "sex": self._sex(ch.person.sex, (reg.on - ch.dob).days, 0.02),
            "date_of_birth": dob,
            "age": age,
            "age_estimated": est,
            "father_name": father,
            "mother_name": mother,
            "caregiver_name": caregiver,
            "language": self._pick(c.spec.languages, 0.65),
            "nationality": self._nationality(fam, 0.7),
            "ethnicity": self._pick(c.spec.ethnicities, 0.2),
            "place_of_origin": origin,
            "separation_place": separation,
            "separation_date": sep_date if sep_date <= reg.on.isoformat() else "",
            "current_location": current,
            "identifiers": "|".join(ids),
            "consent_for_tracing": reg.consent,
            "status": reg.status,
        }

    def _trace_row(
        self, fam: Family, ch: Child, req: Request, view: View, trace_id: str, closed: bool
    ) -> dict[str, str]:
        rng = self.rng
        c = fam.culture
        tag = view.tag
        given, family = self._child_names(c, ch.person, view, "trace")
        knows = {"mother": 1.0, "father": 0.95, "grandparent": 0.7, "aunt_uncle": 0.6,
                 "sibling": 0.7, "other": 0.4}[req.relation]  # fmt: skip
        dob, age, est = self._birth(ch.dob, req.on, c.spec.dob_trace * knows, view, 0.04)
        inquirer = self._full_name(c, req.inquirer, tag)

        def parent(person: Person, is_inquirer: bool) -> str:
            r = rng.random()
            if is_inquirer:
                return inquirer if r < 0.75 else ""
            full, part = (0.7, 0.8) if req.relation in ("mother", "father") else (0.58, 0.75)
            if r < full:
                return self._full_name(c, person, tag)
            if r < part:
                return self._full_name(c, person, tag, given_only=True)
            return ""

        origin = self._place(fam.origin.keys, tag, view.place_mode, view) \
            if rng.random() < 0.9 or view.place_mode else ""  # fmt: skip
        r = rng.random()
        if view.place_mode and view.place_avoid is not None and r < 0.5:
            # The relative names the home town; the caseworker wrote the crossing, or back.
            sep_keys = fam.origin.keys if fam.sep_keys != fam.origin.keys else fam.sep_keys
        else:
            sep_keys = fam.sep_keys if r < 0.9 else fam.origin.keys
        separation = self._place(sep_keys, tag, None, None) if rng.random() < 0.7 else ""
        sep_date = ""
        if rng.random() < 0.7:
            d = fam.sep_date
            r = rng.random()
            if r < 0.2:
                d = d.replace(day=1)
            elif r < 0.3:
                d = d + timedelta(days=rng.randint(-20, 20))
            sep_date = min(d, req.on).isoformat()
        ids = []
        if rng.random() < 0.55:
            ids.append(f"phone:{self._format_phone(req.phone, local=rng.random() < 0.25)}")
        if ch.document and rng.random() < 0.25:
            ids.append(ch.document if rng.random() < 0.5 else self._doc_variant(ch.document))
        if c.key == "rohingya" and rng.random() < 0.35:
            ids.append(f"fcn:{fam.family_number}")
        if fam.origin.keys[0] == "sy" and rng.random() < 0.06:
            ids.append(f"family_book:{fam.family_number}")
        status = "closed" if closed else ("open" if rng.random() < 0.38 else "")
        return {
            "trace_id": trace_id,
            "request_id": req.request_id,
            "inquiry_date": req.on.isoformat(),
            "inquirer_name": inquirer,
            "inquirer_relation": req.relation,
            "given_name": given,
            "family_name": family,
            "other_names": self._other_names(c, ch.person, view, "trace"),
            "sex": self._sex(ch.person.sex, (req.on - ch.dob).days, 0.06),
            "date_of_birth": dob,
            "age_estimated": est,
            "age": age,
            "father_name": parent(fam.father, req.relation == "father"),
            "mother_name": parent(fam.mother, req.relation == "mother"),
            "language": self._pick(c.spec.languages, 0.55),
            "nationality": self._nationality(fam, 0.6),
            "ethnicity": self._pick(c.spec.ethnicities, 0.15),
            "place_of_origin": origin,
            "separation_place": separation,
            "separation_date": sep_date,
            "identifiers": "|".join(ids),
            "status": status,
        }


# --- the interface ---------------------------------------------------------------------------


def generate_with_stats(
    out_dir: Path, n_cases: int, seed: int, fmt: Format = "csv"
) -> tuple[SynthPaths, Stats]:
    """Write one data set (deterministic for a seed) and say what is in it."""
    if n_cases < 1:
        raise ValueError(f"n_cases must be at least 1, got {n_cases}")
    if fmt not in ("csv", "jsonl"):
        raise ValueError(f"fmt must be csv or jsonl, got {fmt!r}")
    out_dir = Path(out_dir)
    rng = random.Random(seed)
    paths = SynthPaths.under(out_dir, fmt)
    sink = _Sink(out_dir, fmt, max(1, n_cases // 10000), rng)
    try:
        gen = _Generator(_world(), rng, sink, n_cases)
        gen.run()
        sink.finish("cases", CASE_COLUMNS, paths.cases)
        sink.finish("traces", TRACE_COLUMNS, paths.traces)
    finally:
        sink.close()
    with open(paths.truth, "w", encoding="utf-8", newline="") as handle:
        out = csv.writer(handle, lineterminator="\n")
        out.writerow(("trace_id", "case_id"))
        out.writerows(sorted(gen.truth))
    with open(paths.difficulty, "w", encoding="utf-8", newline="") as handle:
        out = csv.writer(handle, lineterminator="\n")
        out.writerow(("trace_id", "difficulty"))
        out.writerows(sorted(gen.labels))
    return paths, gen.stats


def generate(out_dir: Path, n_cases: int, seed: int, fmt: Format = "csv") -> SynthPaths:
    """Write cases, traces, truth and difficulty files; the accuracy benchmark calls this."""
    return generate_with_stats(out_dir, n_cases, seed, fmt)[0]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=2000, help="number of case rows")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, required=True, help="output folder")
    parser.add_argument("--format", choices=("csv", "jsonl"), default="csv")
    args = parser.parse_args(argv)
    paths, stats = generate_with_stats(args.out, args.cases, args.seed, args.format)
    print(
        f"{stats.cases} cases, {stats.traces} traces, {stats.true_pairs} true pairs in {args.out}"
    )
    for label in DIFFICULTIES:
        n = stats.difficulty[label]
        print(f"  {label:<16}{n:>7}  {n / max(stats.traces, 1):6.1%}")
    print("  cultures (cases): " + ", ".join(f"{k} {v}" for k, v in stats.cultures.most_common()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
