"""Mosaic generator: a fourth, independent synthetic tracing data set.

    python -m benchmarks.accuracy --cases 2000 --seed 7 --generator mosaic
    python -m benchmarks.synth_mosaic --cases 2000 --seed 7 --out /tmp/mosaic

Written without reading the matcher (`matching/`, `scoring/`, `service/`, its `data/` tables)
or the other generators' name tables, so that it checks whether the matcher generalises to
cultures, spelling habits and proportions it was never tuned on. The name and place tables in
`data_mosaic/` were authored for it from general knowledge.

It models separated children from populations the other generators leave out: Hausa and
Kanuri (north-east Nigeria, Diffa, Far North Cameroon) whose family name is the father's
given name and whose names are spelled by English or French colonial habits (Aminu/Aminou,
Umaru/Oumarou); Fulani of Mali and Burkina Faso (Diallo/Jallo); Tuareg ("ag" and "walet"
before the father's name); Burundians and Rwandans, whose Kirundi "surname" is the child's
own and differs between siblings, with French given names (Jean de Dieu, Divine); Central
Africans (French and Chadian-Arabic spellings, Mahamat); Kurds (Kurmanji Latin with ê î ş û
versus English or Turkish spellings, Sorani Arabic script); Karabakh Armenians (Armenian
script, Russian Cyrillic, -yan/-ian and Russian-derived Latin: Hovhannisyan/Oganesyan);
Georgians (Mkhedruli script); Azerbaijanis (Azeri Latin ə ç ş ğ ı versus Soviet Russian
spellings: Məmmədov/Mammadov/Mamedov, feminine -ova, "oğlu" patronymics); Nepalis
(Devanagari, house pet names like Kanchha); Sri Lankan Tamils (Tamil script, father's name
as family name and as an initial: "S. Tharshan"); Pakistanis after the 2022 floods (Urdu
script, Muhammad Ali as one given name, Bibi); Mozambicans from Cabo Delgado (Portuguese
with and without diacritics, -inho diminutives, "dos Santos"); and Colombians (compound
given names, double surnames, Jhon/John).

Each trace carries one difficulty label naming its main hardship (transliteration,
other_script, nickname, name_order, estimated_age, place_variant, sibling_twin, common_name,
duplicate, unmatched, plain); realistic noise (typos, missing fields, ages that grew between
registration and inquiry, inquirers who are the caregiver, cases that may not be proposed)
lies on top. A trace whose only case may not be proposed (no consent, closed, reunified) is
labelled unmatched and has no truth row.
"""

from __future__ import annotations

import argparse
import csv
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path
from random import Random

from benchmarks.synth import DIFFICULTIES as LABELS
from benchmarks.synth import SynthPaths, write_data_set

DATA = Path(__file__).parent / "data_mosaic"


# Wanted share of traces per label (before the few relabelled as unmatched because their case
# may not be proposed). Deliberately not uniform: many unmatched, many siblings.
TARGET = {
    "unmatched": 0.19,
    "sibling_twin": 0.15,
    "other_script": 0.15,
    "transliteration": 0.09,
    "plain": 0.08,
    "nickname": 0.07,
    "estimated_age": 0.06,
    "name_order": 0.05,
    "place_variant": 0.05,
    "duplicate": 0.05,
    "common_name": 0.05,
}
# Measured: how far each label's share per trace falls from its weight per request.
CORRECTION = {
    "unmatched": 0.68,
    "sibling_twin": 0.85,
    "duplicate": 1.3,
    "common_name": 1.3,
    "other_script": 1.0,
}
TRACES_PER_CASE = 0.5
LEVELS = {"full": (0, 1, 2), "ct": (0, 2), "rt": (1, 2), "t": (2,), "cr": (0, 1)}
RELATIONS = {
    "mother": 0.38,
    "father": 0.2,
    "grandparent": 0.13,
    "aunt_uncle": 0.14,
    "sibling": 0.1,
    "other": 0.05,
}
AGENCIES = ("CP", "UAM", "SCI", "IRC", "TDH", "PLAN")


@dataclass(frozen=True)
class Name:
    """One name with its Latin spellings (index = convention), native forms and diminutives."""

    forms: tuple[str, ...]
    native: tuple[str, ...] = ()
    nicks: tuple[str, ...] = ()
    weight: float = 1.0
    sex: str = ""


@dataclass(frozen=True)
class Place:
    """A town with its region and country; each level has spellings and native forms."""

    culture: str
    kind: str
    levels: tuple[tuple[str, ...], ...]
    native: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class Culture:
    key: str
    names: str  # which given-name table
    scheme: str  # how family names pass on
    weight: float
    scripts: tuple[str, ...]  # native scripts, in the tables' order
    languages: tuple[tuple[str, str], ...]
    ethnicities: tuple[str, ...]
    conv_case: tuple[float, ...]  # weights of the Latin spelling conventions on each side
    conv_trace: tuple[float, ...]
    dob_case: float  # share of records with a date of birth
    dob_trace: float
    native_share: float  # share of pairs written in the native script on both sides
    periods: tuple[tuple[str, str], ...]  # when separations happened


CULTURES = (
    Culture(
        "hausa", "sahel", "patronymic", 11, (),
        (("Hausa", "ha"), ("Kanuri", "kr"), ("Fulfulde", "ff"), ("Shuwa Arabic", "shu")),
        ("Hausa", "Kanuri", "Shuwa Arab", "Babur", "Hausa-Fulani"),
        (0.45, 0.45, 0.1), (0.6, 0.3, 0.1), 0.25, 0.35, 0.0,
        (("2014-04-01", "2021-12-31"),),
    ),
    Culture(
        "fulani", "sahel", "surname", 6, (),
        (("Fulfulde", "ff"), ("French", "fr"), ("Bambara", "bm"), ("Mooré", "mos")),
        ("Fulani", "Peul", "Fulbe"),
        (0.2, 0.7, 0.1), (0.25, 0.65, 0.1), 0.3, 0.35, 0.0,
        (("2018-01-01", "2024-06-30"),),
    ),
    Culture(
        "tuareg", "sahel", "tuareg", 3, (),
        (("Tamasheq", "tmh"), ("French", "fr"), ("Arabic", "ar")),
        ("Tuareg", "Touareg", "Kel Tamasheq"),
        (0.15, 0.75, 0.1), (0.2, 0.7, 0.1), 0.25, 0.3, 0.0,
        (("2012-01-15", "2022-12-31"),),
    ),
    Culture(
        "great_lakes", "great_lakes", "individual", 10, (),
        (("Kirundi", "rn"), ("Kinyarwanda", "rw"), ("French", "fr"), ("Swahili", "sw")),
        ("",),
        (0.6, 0.3, 0.1), (0.6, 0.3, 0.1), 0.6, 0.7, 0.0,
        (("2015-04-26", "2016-12-31"), ("2020-01-01", "2021-06-30")),
    ),
    Culture(
        "car", "car", "surname", 6, (),
        (("Sango", "sg"), ("French", "fr"), ("Arabic", "ar")),
        ("Gbaya", "Banda", "Mandja", "Peul", "Goula", "Rounga"),
        (0.6, 0.4), (0.55, 0.45), 0.35, 0.45, 0.0,
        (("2013-03-24", "2021-06-30"),),
    ),
    Culture(
        "kurdish", "kurdish", "kurdish", 10, ("Arabic",),
        (("Kurmanji", "kmr"), ("Sorani", "ckb"), ("Arabic", "ar"), ("Turkish", "tr")),
        ("Kurdish", "Yazidi", "Ezidi", "Kurd"),
        (0.3, 0.6, 0.1), (0.5, 0.4, 0.1), 0.55, 0.7, 0.1,
        (("2014-08-03", "2019-12-31"),),
    ),
    Culture(
        "armenian", "armenian", "surname", 6, ("Armenian", "Cyrillic"),
        (("Armenian", "hy"), ("Russian", "ru")),
        ("Armenian",),
        (0.6, 0.15, 0.25), (0.6, 0.2, 0.2), 0.85, 0.9, 0.2,
        (("2020-09-27", "2020-11-10"), ("2023-09-19", "2023-10-05")),
    ),
    Culture(
        "georgian", "georgian", "surname", 4, ("Georgian",),
        (("Georgian", "ka"), ("Mingrelian", "xmf"), ("Russian", "ru")),
        ("Georgian", "Megrelian"),
        (0.7, 0.15, 0.15), (0.7, 0.15, 0.15), 0.85, 0.9, 0.15,
        (("2008-08-07", "2008-09-15"),),
    ),
    Culture(
        "azeri", "azeri", "surname", 6, ("Cyrillic",),
        (("Azerbaijani", "az"), ("Russian", "ru")),
        ("Azerbaijani", "Azeri"),
        (0.55, 0.25, 0.2), (0.5, 0.3, 0.2), 0.85, 0.9, 0.05,
        (("2020-09-27", "2020-11-10"),),
    ),
    Culture(
        "nepali", "nepali", "surname", 6, ("Devanagari",),
        (("Nepali", "ne"), ("Tamang", "taj"), ("Gurung", "gvr")),
        ("Tamang", "Gurung", "Chhetri", "Brahmin", "Newar", "Magar", "Dalit"),
        (0.7, 0.3), (0.7, 0.3), 0.5, 0.6, 0.1,
        (("2015-04-25", "2015-06-15"),),
    ),
    Culture(
        "tamil", "tamil", "patronymic", 7, ("Tamil",),
        (("Tamil", "ta"), ("English", "en")),
        ("Sri Lankan Tamil", "Tamil"),
        (0.6, 0.3, 0.1), (0.6, 0.3, 0.1), 0.6, 0.75, 0.1,
        (("2008-09-01", "2009-05-31"),),
    ),
    Culture(
        "pakistani", "pakistani", "surname", 8, ("Urdu",),
        (("Sindhi", "sd"), ("Urdu", "ur"), ("Saraiki", "skr"), ("Balochi", "bal")),
        ("Sindhi", "Baloch", "Saraiki", "Pashtun", "Punjabi"),
        (0.6, 0.3, 0.1), (0.6, 0.3, 0.1), 0.4, 0.5, 0.1,
        (("2022-06-14", "2022-10-31"),),
    ),
    Culture(
        "lusophone", "lusophone", "lusophone", 8, (),
        (("Portuguese", "pt"), ("Makhuwa", "vmw"), ("Kimwani", "wmw"), ("Makonde", "kde")),
        ("Makua", "Mwani", "Makonde"),
        (0.6, 0.4), (0.5, 0.5), 0.5, 0.6, 0.0,
        (("2020-03-23", "2023-06-30"),),
    ),
    Culture(
        "colombian", "colombian", "double", 9, (),
        (("Spanish", "es"), ("Emberá", "emp")),
        ("", "Afrocolombiano", "Indígena Emberá", "Mestizo"),
        (0.5, 0.5), (0.5, 0.5), 0.8, 0.85, 0.0,
        (("2018-01-01", "2024-06-30"),),
    ),
)  # fmt: skip

# Nationality name, ISO code and telephone country code by the place's country.
COUNTRIES = {
    "Nigeria": ("Nigerian", "NGA", "234"),
    "Niger": ("Nigerien", "NER", "227"),
    "Cameroon": ("Cameroonian", "CMR", "237"),
    "Mali": ("Malian", "MLI", "223"),
    "Burkina Faso": ("Burkinabe", "BFA", "226"),
    "Burundi": ("Burundian", "BDI", "257"),
    "Rwanda": ("Rwandan", "RWA", "250"),
    "Central African Republic": ("Central African", "CAF", "236"),
    "Iraq": ("Iraqi", "IRQ", "964"),
    "Syria": ("Syrian", "SYR", "963"),
    "Turkey": ("Turkish", "TUR", "90"),
    "Artsakh": ("Armenian", "ARM", "374"),
    "Georgia": ("Georgian", "GEO", "995"),
    "Azerbaijan": ("Azerbaijani", "AZE", "994"),
    "Nepal": ("Nepali", "NPL", "977"),
    "Sri Lanka": ("Sri Lankan", "LKA", "94"),
    "Pakistan": ("Pakistani", "PAK", "92"),
    "Mozambique": ("Mozambican", "MOZ", "258"),
    "Colombia": ("Colombian", "COL", "57"),
}
TUAREG_PREFIX = {"m": ("ag", "Ag", "Agh"), "f": ("walet", "Walet", "Oult")}
# Where a registration form puts the family name in capitals.
UPPER_FAMILY = ("great_lakes", "car", "hausa", "fulani", "tuareg")
PARTICLES = ("dos ", "da ", "de ", "Dos ", "Da ")


@dataclass
class Tables:
    given: dict[tuple[str, str], list[Name]]
    family: dict[str, list[Name]]
    places: dict[tuple[str, str], list[Place]]
    pets: dict[tuple[str, str], list[Name]]


def _split(cell: str) -> tuple[str, ...]:
    return tuple(p.strip() for p in cell.split("|") if p.strip())


@lru_cache(maxsize=1)
def _load() -> Tables:
    def rows(name: str) -> list[dict[str, str]]:
        with open(DATA / name, encoding="utf-8", newline="") as f:
            return list(csv.DictReader(f))

    given: dict[tuple[str, str], list[Name]] = {}
    for r in rows("given_names.csv"):
        name = Name(
            _split(r["forms"]),
            _split(r["native"]),
            _split(r["nicks"]),
            float(r["weight"]),
            r["sex"],
        )
        given.setdefault((r["culture"], r["sex"]), []).append(name)
    family: dict[str, list[Name]] = {}
    for r in rows("family_names.csv"):
        name = Name(_split(r["forms"]), _split(r["native"]), (), float(r["weight"]), r["sex"])
        family.setdefault(r["culture"], []).append(name)
    places: dict[tuple[str, str], list[Place]] = {}
    for r in rows("places.csv"):
        levels = tuple(_split(r[k]) for k in ("country", "region", "town"))
        native = tuple(_split(r[f"native_{k}"]) for k in ("country", "region", "town"))
        places.setdefault((r["culture"], r["kind"]), []).append(
            Place(r["culture"], r["kind"], levels, native)
        )
    pets: dict[tuple[str, str], list[Name]] = {}
    for r in rows("pet_names.csv"):
        pets.setdefault((r["culture"], r["sex"]), []).append(
            Name((r["latin"],), _split(r["native"]), (), 1.0, r["sex"])
        )
    return Tables(given, family, places, pets)


@dataclass
class Person:
    sex: str
    given: Name
    family: tuple[Name, ...]
    prefix: str = ""  # Tuareg "ag" / "walet"
    phone: str = ""


@dataclass
class Child:
    person: Person
    dob: date
    birth_cert: str = ""


@dataclass
class Family:
    culture: Culture
    father: Person
    mother: Person
    origin: Place
    sep_place: Place
    sep_date: date
    host: Place
    languages: list[tuple[str, str]]
    ethnicity: str
    nationality: tuple[str, str]
    cc: str
    patronymic: bool  # Kurdish families: father's name as family name
    two_surnames: bool  # Mozambican families: mother's and father's surnames
    children: list[Child] = field(default_factory=list)
    relatives: dict[str, Person] = field(default_factory=dict)


@dataclass
class View:
    """How one side writes: Latin convention or native script, and its noise."""

    conv: int = 0
    script: int = -1  # -1: Latin; else index into the culture's native scripts
    wobble: float = 0.04  # chance a name takes another Latin spelling
    typo: float = 0.03
    missing: float = 1.0  # scales the chance of leaving a field empty


@dataclass
class Request:
    request_id: str
    inquiry_date: date
    relation: str
    inquirer: Person
    view: View


def age_on(dob: date, when: date) -> int:
    return when.year - dob.year - ((when.month, when.day) < (dob.month, dob.day))


def feminine(text: str) -> str:
    """Azerbaijani and Russian-style surnames take -a for a woman or girl."""
    out = []
    for word in text.split(" "):
        if word.endswith(("ov", "ev")):
            word += "a"
        elif word.endswith(("ов", "ев")):
            word += "а"
        out.append(word)
    return " ".join(out)


class Generator:
    def __init__(self, seed: int) -> None:
        self.rng = Random(seed)
        self.t = _load()
        self.cases: list[dict[str, str]] = []
        self.traces: list[dict[str, str]] = []
        self.truth: list[tuple[str, str]] = []
        self.labels: dict[str, str] = {}
        self.n_case = 0
        self.n_trace = 0
        self.n_request = 0
        total = sum(c.weight for c in CULTURES)
        script_share = sum(c.weight for c in CULTURES if c.scripts) / total
        self.label_weights: dict[str, dict[str, float]] = {}
        for c in CULTURES:
            # Requests hold several traces (siblings, secondary children, relabelled ones), so
            # the request-level weights are corrected to give about TARGET per trace.
            w = {k: v * CORRECTION.get(k, 1.0) for k, v in TARGET.items()}
            if c.scripts:
                w["other_script"] = min(0.45, TARGET["other_script"] / script_share)
            else:
                w["other_script"] = 0.0
            rest = sum(v for k, v in w.items() if k != "other_script")
            scale = (1.0 - w["other_script"]) / rest
            self.label_weights[c.key] = {
                k: (v if k == "other_script" else v * scale) for k, v in w.items()
            }

    # ---------------------------------------------------------------- drawing

    def pick(self, items: list[Name]) -> Name:
        return self.rng.choices(items, [n.weight for n in items])[0]

    def given(self, c: Culture, sex: str, common: bool = False) -> Name:
        pool = self.t.given[(c.names, sex)]
        if common:
            pool = sorted(pool, key=lambda n: -n.weight)[:3]
        return self.pick(pool)

    def surname(self, c: Culture, sex: str, common: bool = False) -> Name:
        pool = [n for n in self.t.family[c.key] if n.sex in ("", sex)]
        if common:
            pool = sorted(pool, key=lambda n: -n.weight)[:3]
        return self.pick(pool)

    def date_in(self, c: Culture) -> date:
        lo, hi = self.rng.choice(c.periods)
        a, b = date.fromisoformat(lo), date.fromisoformat(hi)
        return a + timedelta(days=self.rng.randint(0, (b - a).days))

    def phone_digits(self) -> str:
        return str(self.rng.randint(6, 9)) + "".join(str(self.rng.randint(0, 9)) for _ in range(8))

    def adult(self, c: Culture, sex: str, common: bool = False) -> Person:
        g = self.given(c, sex, common)
        if c.scheme in ("patronymic", "tuareg") or (
            c.scheme == "kurdish" and self.rng.random() < 0.6
        ):
            fam: tuple[Name, ...] = (self.given(c, "m"),)
        elif c.scheme == "double":
            fam = (self.surname(c, sex, common), self.surname(c, sex))
        elif c.scheme == "lusophone" and self.rng.random() < 0.35:
            fam = (self.surname(c, sex), self.surname(c, sex, common))
        else:
            fam = (self.surname(c, sex, common),)
        prefix = ("ag" if sex == "m" else "walet") if c.scheme == "tuareg" else ""
        return Person(sex, g, fam, prefix, self.phone_digits())

    def new_family(self, c: Culture | None = None, common: bool = False) -> Family:
        c = c or self.rng.choices(CULTURES, [x.weight for x in CULTURES])[0]
        father = self.adult(c, "m", common)
        mother = self.adult(c, "f")
        if c.key in ("armenian", "georgian", "azeri", "nepali") and self.rng.random() < 0.75:
            mother.family = father.family
        origin = self.rng.choice(self.t.places[(c.key, "origin")])
        if self.rng.random() < 0.5:
            sep = origin
        else:
            sep = self.rng.choice(self.t.places[(c.key, "origin")])
        host = self.rng.choice(self.t.places[(c.key, "host")])
        country = origin.levels[0][0]
        nat_name, nat_code, cc = COUNTRIES[country]
        if c.key == "kurdish" and country == "Syria" and self.rng.random() < 0.2:
            nat_name, nat_code = "Stateless", "XXA"
        langs = [c.languages[0] if self.rng.random() < 0.6 else self.rng.choice(c.languages)]
        if self.rng.random() < 0.3:
            other = self.rng.choice(c.languages)
            if other not in langs:
                langs.append(other)
        return Family(
            culture=c,
            father=father,
            mother=mother,
            origin=origin,
            sep_place=sep,
            sep_date=self.date_in(c),
            host=host,
            languages=langs,
            ethnicity=self.rng.choice(c.ethnicities),
            nationality=(nat_name, nat_code),
            cc=cc,
            patronymic=c.scheme == "kurdish" and self.rng.random() < 0.6,
            two_surnames=c.scheme == "lusophone" and self.rng.random() < 0.3,
        )

    def child_family(self, fam: Family, sex: str, common: bool = False) -> tuple[Name, ...]:
        c = fam.culture
        father, mother = fam.father, fam.mother
        if c.scheme in ("patronymic", "tuareg") or (c.scheme == "kurdish" and fam.patronymic):
            return (father.given,)
        if c.scheme == "individual":
            return (self.surname(c, sex, common),)
        if c.scheme == "double":
            return (father.family[0], mother.family[0])
        if c.scheme == "lusophone" and fam.two_surnames:
            return (mother.family[-1], father.family[-1])
        if c.scheme == "lusophone":
            return (father.family[-1],)
        if c.key == "pakistani" and sex == "f" and self.rng.random() < 0.2:
            return (next(n for n in self.t.family["pakistani"] if n.sex == "f"),)
        return father.family

    def new_child(
        self, fam: Family, sex: str | None = None, want: str = "", common: bool = False
    ) -> Child:
        c = fam.culture
        sex = sex or self.rng.choice("mf")
        taken = {ch.person.given for ch in fam.children}
        g = self.given(c, sex, common)
        for _ in range(30):
            ok = g not in taken
            if want == "nick":
                ok = ok and bool(g.nicks or self.t.pets.get((c.key, sex)))
            if want == "variant":
                ok = ok and (len(g.forms) > 1 or bool(g.native))
            if ok:
                break
            g = self.given(c, sex, common)
        family = self.child_family(fam, sex, common)
        prefix = ("ag" if sex == "m" else "walet") if c.scheme == "tuareg" else ""
        age = self.rng.choices(range(1, 18), [3] * 5 + [2] * 7 + [1.5] * 5)[0]
        dob = fam.sep_date - timedelta(days=365 * age + self.rng.randint(0, 364))
        cert = ""
        if c.key in ("armenian", "georgian", "azeri", "colombian", "nepali"):
            cert = str(self.rng.randint(10**9, 10**10 - 1))
        child = Child(Person(sex, g, family, prefix), dob, cert)
        fam.children.append(child)
        return child

    def relative(self, fam: Family, kind: str) -> Person:
        if kind in fam.relatives:
            return fam.relatives[kind]
        c = fam.culture
        if kind == "grandmother":
            p = self.adult(c, "f")
        elif kind == "grandfather":
            p = self.adult(c, "m")
            if c.scheme in ("patronymic", "tuareg") or fam.patronymic:
                p.given = fam.father.family[0]
            elif c.scheme != "individual":
                p.family = fam.father.family
        elif kind == "aunt":
            p = self.adult(c, "f")
            if self.rng.random() < 0.5:
                p.family = fam.mother.family
            elif c.scheme not in ("individual",):
                p.family = fam.father.family
        elif kind == "uncle":
            p = self.adult(c, "m")
            if c.scheme != "individual":
                p.family = fam.father.family
        elif kind == "sibling":
            sex = self.rng.choice("mf")
            p = Person(sex, self.given(c, sex), self.child_family(fam, sex))
            p.prefix = ("ag" if sex == "m" else "walet") if c.scheme == "tuareg" else ""
            p.phone = self.phone_digits()
        else:
            p = self.adult(c, self.rng.choice("mf"))
        fam.relatives[kind] = p
        return p

    # ---------------------------------------------------------------- writing

    def form(self, name: Name, v: View) -> str:
        if v.script >= 0 and name.native:
            return name.native[min(v.script, len(name.native) - 1)]
        forms = name.forms
        if len(forms) > 1 and v.wobble and self.rng.random() < v.wobble:
            return self.rng.choice(forms)
        return forms[v.conv] if v.conv < len(forms) else forms[0]

    def family_str(self, p: Person, c: Culture, v: View) -> str:
        text = " ".join(self.form(n, v) for n in p.family)
        if p.prefix:
            pre = TUAREG_PREFIX[p.sex]
            text = f"{pre[min(v.conv, len(pre) - 1)]} {text}"
        if c.key == "azeri" and p.sex == "f":
            text = feminine(text)
        return text

    def person_str(self, p: Person, c: Culture, v: View, given_only: bool = False) -> str:
        g = self.maybe_typo(self.form(p.given, v), v)
        if given_only:
            return g
        f = self.family_str(p, c, v)
        r = self.rng.random()
        if c.key == "tamil" and v.script < 0 and r < 0.3:
            return f"{f[0]}. {g}"
        if c.key in ("armenian", "azeri") and v.script >= 0 and r < 0.3:
            return f"{f} {g}"
        return f"{g} {f}".strip()

    def maybe_typo(self, text: str, v: View) -> str:
        if not text or self.rng.random() >= v.typo:
            return text
        return self.typo(text)

    def typo(self, text: str) -> str:
        if len(text) < 4:
            return text
        i = self.rng.randrange(1, len(text) - 1)
        op = self.rng.random()
        a, b = text[i], text[i + 1]
        if not (a.isalpha() and b.isalpha()):
            return text
        if op < 0.3:
            return text[:i] + b + a + text[i + 2 :]
        if op < 0.55:
            return text[:i] + text[i + 1 :]
        if op < 0.75:
            return text[:i] + a + text[i:]
        vowels = "aeiou"
        if a.lower() in vowels:
            return text[:i] + self.rng.choice([x for x in vowels if x != a.lower()]) + text[i + 1 :]
        return text[:i] + a + a + text[i + 1 :]

    def place_str(self, place: Place, v: View, levels: str, shift: bool = False) -> str:
        parts = []
        for lv in LEVELS[levels]:
            native = place.native[lv]
            if v.script >= 0 and native and self.rng.random() < 0.75:
                parts.append(native[min(v.script, len(native) - 1)])
                continue
            forms = place.levels[lv]
            if shift and len(forms) > 1:
                parts.append(self.rng.choice(forms[1:]))
            elif len(forms) > 1 and self.rng.random() < v.wobble:
                parts.append(self.rng.choice(forms))
            else:
                parts.append(forms[0])
        return " > ".join(parts)

    def levels(self, side: str) -> str:
        if side == "case":
            return self.rng.choices(list(LEVELS), [0.6, 0.15, 0.1, 0.1, 0.05])[0]
        return self.rng.choices(list(LEVELS), [0.5, 0.2, 0.1, 0.15, 0.05])[0]

    def phone_str(self, cc: str, digits: str) -> str:
        r = self.rng.random()
        if r < 0.4:
            return f"+{cc}{digits}"
        if r < 0.6:
            return f"00{cc}{digits}"
        if r < 0.85:
            return f"0{digits}"
        return f"+{cc} {digits[:3]} {digits[3:6]} {digits[6:]}"

    def sex_str(self, sex: str, side: str) -> str:
        r = self.rng.random()
        if side == "trace" and r < 0.01:
            return self.rng.choice(["", "unknown"])
        if r < 0.85:
            return "male" if sex == "m" else "female"
        if r < 0.95:
            return sex
        return sex.upper()

    def age_fields(self, dob: date, when: date, mode: str, err: int) -> tuple[str, str, str]:
        exact = max(age_on(dob, when), 0)
        if mode == "dob":
            return dob.isoformat(), str(exact), self.rng.choice(["", "false"])
        if mode == "jan1":
            d = date(dob.year + err, 1, 1)
            if d > when:
                d = date(when.year, 1, 1)
            return d.isoformat(), str(max(age_on(d, when), 0)), "true"
        if mode == "age":
            return "", str(max(0, exact + err)), "true"
        return "", "", ""

    def base_age(self, c: Culture, side: str) -> tuple[str, int]:
        share = c.dob_case if side == "case" else c.dob_trace
        r = self.rng.random()
        if r < share:
            return "dob", 0
        if side == "case" and r < share + 0.05:
            return "jan1", 0
        if side == "trace" and r > 0.97:
            return "none", 0
        err = self.rng.choices([0, 1, -1], [0.72, 0.14, 0.14])[0]
        return "age", err

    def approx_date(self, d: date, exact: float) -> str:
        r = self.rng.random()
        if r < exact:
            return d.isoformat()
        if r < exact + (1 - exact) / 2:
            return (d + timedelta(days=self.rng.randint(-12, 12))).isoformat()
        return d.replace(day=1).isoformat()

    def natives_of(self, p: Person, c: Culture, script: int) -> str:
        v = View(script=script, wobble=0, typo=0)
        return f"{self.form(p.given, v)} {self.family_str(p, c, v)}".strip()

    # ---------------------------------------------------------------- records

    def case_row(
        self,
        fam: Family,
        ch: Child,
        v: View,
        *,
        reg_date: date,
        host: Place | None = None,
        age_mode: tuple[str, int] | None = None,
        place_levels: str | None = None,
        place_shift: bool = False,
        caregiver: str | None = None,
        proposable: bool = True,
    ) -> dict[str, str]:
        c, p, rng = fam.culture, ch.person, self.rng
        self.n_case += 1
        case_id = f"{rng.choice(AGENCIES)}-{reg_date.year % 100:02d}-{self.n_case:06d}"
        age_now = age_on(ch.dob, reg_date)
        young = age_now < 6
        miss = v.missing
        given = self.maybe_typo(self.form(p.given, v), v)
        family = self.maybe_typo(self.family_str(p, c, v), v)
        if rng.random() < (0.35 if young else 0.04) * miss:
            family = ""
        elif c.key in UPPER_FAMILY and v.script < 0 and rng.random() < 0.25:
            family = family.upper()
        other: list[str] = []
        if rng.random() < 0.1 * miss:
            nick = self.nickname(fam, ch, v)
            if nick and nick != given:
                other.append(nick)
        if c.scripts and v.script < 0 and rng.random() < 0.1:
            other.append(self.natives_of(p, c, 0))
        dob, age, est = self.age_fields(ch.dob, reg_date, *(age_mode or self.base_age(c, "case")))
        parents_given_only = young and rng.random() < 0.5
        father = mother = ""
        if rng.random() > (0.55 if young else 0.3) * miss:
            father = self.person_str(fam.father, c, v, parents_given_only)
        if rng.random() > (0.45 if young else 0.25) * miss:
            mother = self.person_str(fam.mother, c, v, parents_given_only)
        if caregiver is None:
            r = rng.random()
            if r < 0.4:
                caregiver = ""
            elif r < 0.65:
                kind = rng.choice(["grandmother", "aunt", "uncle", "sibling"])
                caregiver = self.person_str(self.relative(fam, kind), c, v)
            else:
                caregiver = self.person_str(self.adult(c, rng.choice("mf")), c, v)
        levels = place_levels or self.levels("case")
        origin = self.place_str(fam.origin, v, levels, place_shift)
        if rng.random() < 0.1 * miss:
            origin = ""
        sep = ""
        if rng.random() > 0.25 * miss:
            sep = self.place_str(fam.sep_place, v, self.levels("case"), place_shift)
        ids = []
        if rng.random() < 0.45:
            ids.append(
                f"unhcr:{rng.randint(100, 999)}-{reg_date.year % 100:02d}C"
                f"{rng.randint(0, 99999):05d}"
            )
        if rng.random() < 0.12:
            parent = fam.father if rng.random() < 0.5 else fam.mother
            ids.append(f"phone:{self.phone_str(fam.cc, parent.phone)}")
        if ch.birth_cert and rng.random() < 0.2:
            kind = "nuip" if c.key == "colombian" else "birth_certificate"
            ids.append(f"{kind}:{ch.birth_cert}")
        if proposable:
            consent = rng.choices(["true", ""], [0.65, 0.35])[0]
            status = rng.choices(["open", ""], [0.6, 0.4])[0]
        else:
            consent, status = rng.choice(
                [("false", "open"), ("false", ""), ("true", "closed"), ("", "reunified")]
            )
        langs = fam.languages
        language = "|".join(code if rng.random() < 0.5 else name for name, code in langs)
        nat = fam.nationality[1] if rng.random() < 0.4 else fam.nationality[0]
        row = {
            "case_id": case_id,
            "registration_date": reg_date.isoformat(),
            "given_name": given,
            "family_name": family,
            "other_names": "|".join(other),
            "sex": self.sex_str(p.sex, "case"),
            "date_of_birth": dob,
            "age": age,
            "age_estimated": est,
            "father_name": father,
            "mother_name": mother,
            "caregiver_name": caregiver,
            "language": language if rng.random() > 0.1 * miss else "",
            "nationality": nat if rng.random() > 0.15 * miss else "",
            "ethnicity": fam.ethnicity if rng.random() < 0.5 else "",
            "place_of_origin": origin,
            "separation_place": sep,
            "separation_date": (
                self.approx_date(fam.sep_date, 0.7) if rng.random() > 0.2 * miss else ""
            ),
            "current_location": self.place_str(
                host or fam.host, View(wobble=0.1), rng.choice(["full", "full", "ct", "rt"])
            ),
            "identifiers": "|".join(ids),
            "consent_for_tracing": consent,
            "status": status,
        }
        self.cases.append(row)
        return row

    def trace_row(
        self,
        fam: Family,
        ch: Child,
        req: Request,
        label: str,
        v: View | None = None,
        *,
        age_mode: tuple[str, int] | None = None,
        place_levels: str | None = None,
        place_shift: bool = False,
    ) -> dict[str, str]:
        c, p, rng = fam.culture, ch.person, self.rng
        v = v or req.view
        miss = v.missing
        self.n_trace += 1
        trace_id = f"TR-{self.n_trace:06d}"
        given = self.maybe_typo(self.form(p.given, v), v)
        family = self.maybe_typo(self.family_str(p, c, v), v)
        other: list[str] = []
        if rng.random() < 0.1 * miss:
            nick = self.nickname(fam, ch, v)
            if nick and nick != given:
                other.append(nick)
        if c.scripts and v.script < 0 and rng.random() < 0.06:
            other.append(self.natives_of(p, c, 0))
        dob, age, est = self.age_fields(
            ch.dob, req.inquiry_date, *(age_mode or self.base_age(c, "trace"))
        )
        father = mother = ""
        if req.relation == "father":
            father = self.person_str(req.inquirer, c, v)
        elif rng.random() > 0.15 * miss:
            father = self.person_str(fam.father, c, v)
        if req.relation == "mother":
            mother = self.person_str(req.inquirer, c, v)
        elif rng.random() > 0.15 * miss:
            mother = self.person_str(fam.mother, c, v)
        levels = place_levels or self.levels("trace")
        origin = self.place_str(fam.origin, v, levels, place_shift)
        if rng.random() < 0.1 * miss:
            origin = ""
        sep = ""
        if rng.random() > 0.35 * miss:
            sep = self.place_str(fam.sep_place, v, self.levels("trace"), place_shift)
        ids = []
        if rng.random() < 0.55:
            ids.append(f"phone:{self.phone_str(fam.cc, req.inquirer.phone)}")
        if ch.birth_cert and rng.random() < 0.3:
            kind = "nuip" if c.key == "colombian" else "birth_certificate"
            ids.append(f"{kind}:{ch.birth_cert}")
        row = {
            "trace_id": trace_id,
            "request_id": req.request_id,
            "inquiry_date": req.inquiry_date.isoformat(),
            "inquirer_name": self.person_str(req.inquirer, c, v),
            "inquirer_relation": req.relation,
            "given_name": given,
            "family_name": family,
            "other_names": "|".join(other),
            "sex": self.sex_str(p.sex, "trace"),
            "date_of_birth": dob,
            "age_estimated": est,
            "age": age if rng.random() > 0.1 * miss else "",
            "father_name": father,
            "mother_name": mother,
            "language": "|".join(name for name, _ in fam.languages),
            "nationality": fam.nationality[0] if rng.random() > 0.3 * miss else "",
            "ethnicity": fam.ethnicity if rng.random() < 0.4 else "",
            "place_of_origin": origin,
            "separation_place": sep,
            "separation_date": (
                self.approx_date(fam.sep_date, 0.5) if rng.random() > 0.3 * miss else ""
            ),
            "identifiers": "|".join(ids),
            "status": rng.choices(["open", ""], [0.6, 0.4])[0],
        }
        self.traces.append(row)
        self.labels[trace_id] = label
        return row

    def nickname(self, fam: Family, ch: Child, v: View) -> str:
        c, p = fam.culture, ch.person
        pets = self.t.pets.get((c.key, p.sex), [])
        if pets and (not p.given.nicks or self.rng.random() < 0.4):
            return self.form(self.rng.choice(pets), v)
        if p.given.nicks:
            return self.rng.choice(p.given.nicks)
        return ""

    # ---------------------------------------------------------------- label effects

    def reorder(self, row: dict[str, str], fam: Family, ch: Child, v: View) -> None:
        """Family name first, fields swapped, an initial, or a Russian-style patronymic."""
        c, rng = fam.culture, self.rng
        g, f = row["given_name"], row["family_name"]
        opts = ["swap", "swap", "family_first"]
        if c.key == "tamil":
            opts += ["initial", "initial", "initial"]
        if c.key in ("armenian", "georgian", "azeri"):
            opts += ["patronymic", "patronymic", "patronymic"]
        if c.key in ("colombian", "lusophone"):
            opts += ["surnames", "surnames"]
        if c.key in UPPER_FAMILY:
            opts += ["upper_first"]
        how = rng.choice(opts)
        if not f:
            f = self.family_str(ch.person, c, v)
        if how == "swap":
            row["given_name"], row["family_name"] = f, g
        elif how == "family_first":
            row["given_name"], row["family_name"] = f"{f} {g}", ""
        elif how == "upper_first":
            row["given_name"], row["family_name"] = f"{f.upper()} {g}", ""
        elif how == "initial":
            if rng.random() < 0.5:
                row["given_name"], row["family_name"] = f"{f[0]}. {g}", ""
            else:
                row["given_name"], row["family_name"] = g, f"{f[0]}."
        elif how == "patronymic":
            patr = self.patronymic(fam, ch, v)
            if rng.random() < 0.5:
                row["given_name"], row["family_name"] = f"{g} {patr}", f
            else:
                row["given_name"], row["family_name"] = f"{f} {g} {patr}", ""
        else:
            parts = f.split(" ")
            if c.key == "colombian" and len(parts) >= 2 and rng.random() < 0.5:
                row["family_name"] = " ".join(reversed(parts))
            elif c.key == "colombian" and len(parts) >= 2:
                row["family_name"] = parts[0]
                row["given_name"] = f"{g} {' '.join(parts[1:])}" if rng.random() < 0.3 else g
            else:
                stripped = f
                for particle in PARTICLES:
                    stripped = stripped.replace(particle, "")
                if stripped != f:
                    row["given_name"], row["family_name"] = f"{g}", stripped
                else:
                    row["given_name"], row["family_name"] = f, g

    def patronymic(self, fam: Family, ch: Child, v: View) -> str:
        father = self.form(fam.father.given, v)
        male = ch.person.sex == "m"
        if fam.culture.key == "azeri" and v.script < 0 and v.conv == 0:
            return f"{father} {'oğlu' if male else 'qızı'}"
        cyr = any("\u0400" <= ch_ <= "\u04ff" for ch_ in father)
        if fam.culture.key == "azeri" and cyr:
            return f"{father} {'оглы' if male else 'кызы'}"
        if cyr:
            stem, soft = (father[:-1], True) if father[-1] in "аеиоуыэяюй" else (father, False)
            return stem + (("евич" if soft else "ович") if male else ("евна" if soft else "овна"))
        if father[-1] in "aeiouy":
            return father[:-1] + ("evich" if male else "evna")
        return father + ("ovich" if male else "ovna")

    def transliterate_views(self, c: Culture, base: View) -> tuple[View, View]:
        n = len(c.conv_case)
        a = self.rng.choices(range(n), c.conv_case)[0]
        b = self.rng.choice([i for i in range(n) if i != a])
        if self.rng.random() < 0.5:
            a, b = b, a
        return View(conv=a, wobble=0, typo=base.typo), View(conv=b, wobble=0, typo=base.typo)

    def force_differ(
        self, case: dict[str, str], trace: dict[str, str], ch: Child, fam: Family, v: View
    ) -> None:
        """When both conventions happen to spell the names alike, pick another spelling."""
        if case["given_name"] != trace["given_name"] or case["family_name"] != trace["family_name"]:
            return
        p = ch.person
        if len(p.given.forms) > 1:
            alts = [x for x in p.given.forms if x != case["given_name"]]
            trace["given_name"] = self.rng.choice(alts) if alts else trace["given_name"]
            return
        for n in p.family:
            if len(n.forms) > 1:
                parts = []
                for m in p.family:
                    if m is n:
                        alts = [x for x in m.forms if x not in case["family_name"]]
                        parts.append(self.rng.choice(alts) if alts else m.forms[0])
                    else:
                        parts.append(self.form(m, v))
                trace["family_name"] = " ".join(parts)
                if fam.culture.key == "azeri" and p.sex == "f":
                    trace["family_name"] = feminine(trace["family_name"])
                return
        trace["given_name"] = self.typo(trace["given_name"])

    # ---------------------------------------------------------------- stories

    def pick_label(self, c: Culture, exclude: tuple[str, ...] = ()) -> str:
        w = {k: v for k, v in self.label_weights[c.key].items() if k not in exclude and v > 0}
        return self.rng.choices(list(w), list(w.values()))[0]

    def base_view(self, c: Culture, side: str, native: bool) -> View:
        weights = c.conv_case if side == "case" else c.conv_trace
        conv = self.rng.choices(range(len(weights)), weights)[0]
        script = -1
        if native:
            script = 0 if len(c.scripts) == 1 or self.rng.random() < 0.6 else 1
        return View(conv=conv, script=script)

    def new_request(self, fam: Family, native: bool) -> Request:
        c, rng = fam.culture, self.rng
        self.n_request += 1
        relation = rng.choices(list(RELATIONS), list(RELATIONS.values()))[0]
        if relation == "mother":
            who = fam.mother
        elif relation == "father":
            who = fam.father
        elif relation == "grandparent":
            who = self.relative(fam, rng.choice(["grandmother", "grandmother", "grandfather"]))
        elif relation == "aunt_uncle":
            who = self.relative(fam, rng.choice(["aunt", "uncle"]))
        elif relation == "sibling":
            who = self.relative(fam, "sibling")
        else:
            who = self.relative(fam, "other")
        inquiry = fam.sep_date + timedelta(days=rng.randint(7, 540))
        view = self.base_view(c, "trace", native)
        return Request(f"RQ-{self.n_request:05d}", inquiry, relation, who, view)

    def reg_date(self, fam: Family) -> date:
        return fam.sep_date + timedelta(days=self.rng.randint(2, 240))

    def caregiver_for(self, fam: Family, req: Request, case_view: View) -> str | None:
        """Sometimes the child was staying with the relative who is now looking."""
        if req.relation in ("grandparent", "aunt_uncle", "sibling") and self.rng.random() < 0.3:
            return self.person_str(req.inquirer, fam.culture, case_view)
        return None

    def namesake(self, fam: Family, ch: Child, age_spread: int, same_region: bool) -> None:
        """An unrelated child with the same names (a different family), registered."""
        c = fam.culture
        other = self.new_family(c)
        if c.scheme in ("patronymic", "tuareg") or fam.patronymic:
            other.father.given = fam.father.given
            other.patronymic = True
        if same_region:
            region = fam.origin.levels[1][0]
            near = [p for p in self.t.places[(c.key, "origin")] if p.levels[1][0] == region]
            other.origin = self.rng.choice(near)
            other.sep_date = fam.sep_date + timedelta(days=self.rng.randint(-20, 20))
        twin = self.new_child(other, ch.person.sex)
        twin.person.given = ch.person.given
        twin.person.family = ch.person.family
        shift = self.rng.randint(-age_spread, age_spread)
        twin.dob = ch.dob + timedelta(days=365 * shift + self.rng.randint(-150, 150))
        twin.dob = min(twin.dob, other.sep_date - timedelta(days=200))
        v = self.base_view(c, "case", self.rng.random() < c.native_share)
        self.case_row(other, twin, v, reg_date=self.reg_date(other))

    def request(self) -> None:
        rng = self.rng
        c = rng.choices(CULTURES, [x.weight for x in CULTURES])[0]
        label = self.pick_label(c)
        common = label == "common_name"
        fam = self.new_family(c, common=common)
        native = rng.random() < c.native_share
        req = self.new_request(fam, native)
        if label == "sibling_twin":
            self.siblings(fam, req)
            return
        n = rng.choices([1, 2, 3], [0.74, 0.21, 0.05])[0]
        labels = [label] + [
            self.pick_label(c, ("sibling_twin", "duplicate", "common_name")) for _ in range(n - 1)
        ]
        for lab in labels:
            self.one_child(fam, req, lab, native)

    def siblings(self, fam: Family, req: Request) -> None:
        rng, c = self.rng, fam.culture
        n = rng.choices([2, 3], [0.65, 0.35])[0]
        kids = [self.new_child(fam) for _ in range(n)]
        if rng.random() < 0.35:  # twins share a date of birth
            kids[1].dob = kids[0].dob
            if c.key == "hausa" and rng.random() < 0.5:
                names = {n.forms[0]: n for n in self.t.given[("sahel", "m")]}
                names.update({n.forms[0]: n for n in self.t.given[("sahel", "f")]})
                pair = {"m": ("Hassan", "Husseini"), "f": ("Hassana", "Husseina")}
                for k, kid in enumerate(kids[:2]):
                    kid.person.given = names[pair[kid.person.sex][k]]
        v = self.base_view(c, "case", req.view.script >= 0)
        reg = self.reg_date(fam)
        caregiver = self.caregiver_for(fam, req, v)
        if caregiver is None and rng.random() < 0.6:
            caregiver = self.person_str(self.relative(fam, "grandmother"), c, v)
        ids = []
        for k, kid in enumerate(kids):
            ok = k < 2 or rng.random() > 0.05
            row = self.case_row(
                fam,
                kid,
                v,
                reg_date=reg + timedelta(days=rng.randint(0, 3)),
                caregiver=caregiver or "",
                proposable=ok,
            )
            ids.append((kid, row["case_id"], ok))
        wanted = [x for x in ids if x[2]]
        sought = rng.sample(wanted, rng.choices([1, 2], [0.55, 0.45])[0])
        for kid, case_id, _ in sought:
            row = self.trace_row(fam, kid, req, "sibling_twin")
            self.truth.append((row["trace_id"], case_id))
        if rng.random() < 0.1:  # the family also looks for a child nobody registered
            lost = self.new_child(fam)
            self.trace_row(fam, lost, req, "unmatched")

    def one_child(self, fam: Family, req: Request, label: str, native: bool) -> None:
        rng, c = self.rng, fam.culture
        want = {"nickname": "nick", "transliteration": "variant"}.get(label, "")
        ch = self.new_child(fam, want=want, common=label == "common_name")
        case_view = self.base_view(c, "case", native)
        trace_view = req.view
        caregiver = self.caregiver_for(fam, req, case_view)
        reg = self.reg_date(fam)

        if label == "unmatched":
            r = rng.random()
            if r < 0.45:
                self.namesake(fam, ch, 2, same_region=True)
            elif r < 0.6:
                self.case_row(fam, ch, case_view, reg_date=reg, proposable=False)
            self.trace_row(fam, ch, req, "unmatched")
            return

        proposable = rng.random() > 0.04
        final = label if proposable else "unmatched"
        kw_case: dict = {}
        kw_trace: dict = {}
        if label == "plain":
            case_view = View(conv=trace_view.conv, script=trace_view.script, wobble=0, typo=0)
            case_view.missing = 0.5
            trace_view = View(conv=trace_view.conv, script=trace_view.script, wobble=0, typo=0)
            trace_view.missing = 0.5
            kw_case["place_levels"] = "full"
            kw_trace["place_levels"] = rng.choice(["full", "ct"])
        elif label == "transliteration":
            case_view, trace_view = self.transliterate_views(c, trace_view)
        elif label == "other_script":
            script = 0 if len(c.scripts) == 1 or rng.random() < 0.6 else 1
            native_view = View(conv=0, script=script)
            latin_view = View(conv=trace_view.conv)
            if rng.random() < 0.6:
                case_view, trace_view = latin_view, native_view
            else:
                case_view, trace_view = native_view, latin_view
        elif label == "estimated_age":
            err = rng.choices([1, 2, 3], [0.5, 0.3, 0.2])[0] * rng.choice([-1, 1])
            if rng.random() < 0.7:
                kw_case["age_mode"] = (
                    ("age", err) if rng.random() < 0.7 else ("jan1", rng.choice([-1, 0, 1]))
                )
                kw_trace["age_mode"] = ("dob", 0) if rng.random() < 0.7 else ("age", 0)
            else:
                kw_trace["age_mode"] = ("age", err)
                kw_case["age_mode"] = ("dob", 0) if rng.random() < 0.6 else ("age", 0)
        elif label == "place_variant":
            a, b = rng.sample(["full", "ct", "rt", "t", "cr"], 2)
            kw_case["place_levels"], kw_trace["place_levels"] = a, b
            if rng.random() < 0.5:
                kw_case["place_shift"] = True
            else:
                kw_trace["place_shift"] = True
        if label not in ("plain", "transliteration", "other_script"):
            case_view.conv = trace_view.conv if rng.random() < 0.8 else case_view.conv
            case_view.script = trace_view.script

        case = self.case_row(
            fam,
            ch,
            case_view,
            reg_date=reg,
            caregiver=caregiver,
            proposable=proposable,
            **kw_case,
        )
        second = None
        if label == "duplicate":
            v2 = self.base_view(c, "case", case_view.script >= 0)
            v2.typo = 0.08
            host = self.rng.choice(self.t.places[(c.key, "host")])
            second = self.case_row(
                fam,
                ch,
                v2,
                reg_date=reg + timedelta(days=rng.randint(10, 200)),
                host=host,
                caregiver="" if rng.random() < 0.5 else caregiver,
                age_mode=("age", rng.choice([-1, 0, 0, 1])) if rng.random() < 0.4 else None,
                # one child: a second registration may be proposed exactly when the
                # first may (else the trace, labelled unmatched, would have a true case)
                proposable=proposable,
            )
            if rng.random() < 0.2:
                nick = self.nickname(fam, ch, v2)
                if nick:
                    second["given_name"] = nick
        trace = self.trace_row(fam, ch, req, final, trace_view, **kw_trace)

        if label == "transliteration":
            self.force_differ(case, trace, ch, fam, trace_view)
        elif label == "nickname":
            nick = self.nickname(fam, ch, trace_view)
            if rng.random() < 0.7:
                trace["given_name"] = nick
                trace["other_names"] = ""
            else:
                case["given_name"] = nick
                case["other_names"] = ""
        elif label == "name_order":
            if rng.random() < 0.55:
                self.reorder(trace, fam, ch, trace_view)
            else:
                self.reorder(case, fam, ch, case_view)
        elif label == "common_name":
            for _ in range(rng.randint(2, 4)):
                self.namesake(fam, ch, 5, same_region=rng.random() < 0.4)
        elif label == "other_script" and rng.random() < 0.85:
            # Mostly the other script is not given alongside (else it would be easy).
            for row in (case, trace):
                row["other_names"] = "|".join(
                    x
                    for x in row["other_names"].split("|")
                    if x and not any(ord(ch_) > 0x500 for ch_ in x)
                )

        if proposable:
            self.truth.append((trace["trace_id"], case["case_id"]))
            if second is not None:
                self.truth.append((trace["trace_id"], second["case_id"]))

    def background(self, cap: int) -> None:
        """A family whose children are registered but whom nobody (yet) looks for."""
        rng = self.rng
        fam = self.new_family(common=rng.random() < 0.1)
        c = fam.culture
        n = min(cap, rng.choices([1, 2, 3], [0.6, 0.3, 0.1])[0])
        v = self.base_view(c, "case", rng.random() < c.native_share)
        reg = self.reg_date(fam)
        for _ in range(n):
            ch = self.new_child(fam, common=rng.random() < 0.15)
            self.case_row(fam, ch, v, reg_date=reg, proposable=rng.random() > 0.1)

    def run(self, n_cases: int) -> None:
        while len(self.cases) < n_cases:
            remaining = n_cases - len(self.cases)
            if remaining > 24 and len(self.traces) < TRACES_PER_CASE * len(self.cases) + 1:
                self.request()
            else:
                self.background(remaining)


def generate_with_stats(
    out_dir: Path, n_cases: int, seed: int, fmt: str = "csv"
) -> tuple[SynthPaths, Counter[str]]:
    """Write one data set and count its difficulty labels."""
    if fmt not in ("csv", "jsonl"):  # before the work, not after it
        raise ValueError(f"fmt must be csv or jsonl, not {fmt!r}")
    if n_cases < 1:
        raise ValueError("n_cases must be at least 1")
    gen = Generator(seed)
    gen.run(n_cases)
    paths = write_data_set(out_dir, fmt, gen.rng, gen.cases, gen.traces, gen.truth, gen.labels)
    return paths, Counter(gen.labels.values())


def generate(out_dir: Path, n_cases: int, seed: int, fmt: str = "csv") -> SynthPaths:
    """Write cases, traces, truth and difficulty files; the accuracy benchmark calls this."""
    return generate_with_stats(out_dir, n_cases, seed, fmt)[0]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--format", choices=["csv", "jsonl"], default="csv")
    args = parser.parse_args(argv)
    _, counts = generate_with_stats(args.out, args.cases, args.seed, args.format)
    total = sum(counts.values())
    for label in LABELS:
        print(f"{label:<16}{counts[label]:>7}{counts[label] / max(total, 1):>8.1%}")
    print(f"{'traces':<16}{total:>7}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
