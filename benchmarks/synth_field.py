"""Field-habits generator: a third, independent synthetic tracing data set.

    python -m benchmarks.accuracy --cases 2000 --seed 5 --generator field

Written without looking at the matcher or the other two generators, so that a matcher tuned
on them can be checked against habits it has never seen. It models how caseworkers in host
countries and families at home write the same child: Ukrainian names spelled by Polish,
German, Romanian, Czech, Hungarian or French rules on the case and in Cyrillic or passport
style on the trace; Arabic, Dari/Pashto and Tigrinya names in their own script on one side
and in one of several romanisations on the other; naming chains where the "family name" is
the father's or grandfather's name; Venezuelan double surnames and compound given names;
Haitian hyphenation. Each trace carries one difficulty label naming its main hardship.
"""

from __future__ import annotations

import csv
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from random import Random

from benchmarks.synth import SynthPaths, write_data_set

DATA = Path(__file__).parent / "data_field"


# ---------------------------------------------------------------------------------------------
# Ukrainian Cyrillic in the spelling habits of the countries that registered the children.
# Each system: plain letters, then the iotated letters (є ї ю я й) at a word's start, after a
# vowel, and after a consonant, because that is where the national rules differ most.

_UK_COMMON = dict(zip("абвгґдезклмнопрстуфь'ʼ", "abvhgdezklmnoprstuf   ", strict=True))
_UK_COMMON = {k: v.strip() for k, v in _UK_COMMON.items()}


def _system(
    extra: str, start: str, after_vowel: str, after_cons: str
) -> tuple[dict[str, str], dict[str, str], dict[str, str], dict[str, str]]:
    """A transliteration system from its differences to the shared Latin letters."""
    forms = [
        dict(zip("єїюяй", s.split(","), strict=True)) for s in (start, after_vowel, after_cons)
    ]
    base = dict(zip("иіжхцчшщвс", extra.split(","), strict=True))
    return {**_UK_COMMON, **base}, forms[0], forms[1], forms[2]


# system: и,і,ж,х,ц,ч,ш,щ,в,с, then є,ї,ю,я,й at a word's start / after a vowel / a consonant.
# kmu is Ukraine's passport standard (KMU 2010): what a child's own passport says.
_SYSTEM_TABLE = """
kmu y,i,zh,kh,ts,ch,sh,shch,v,s   ye,yi,yu,ya,y ie,i,iu,ia,i  ie,i,iu,ia,i
pl  y,i,ż,ch,c,cz,sz,szcz,w,s     je,ji,ju,ja,j je,ji,ju,ja,j ie,i,iu,ia,j
de  y,i,sch,ch,z,tsch,sch,schtsch,w,s je,ji,ju,ja,j je,ji,ju,ja,j je,i,ju,ja,j
ro  î,i,j,h,ţ,ci,ş,şci,v,s        ie,ii,iu,ia,i ie,i,iu,ia,i  ie,i,iu,ia,i
cz  y,i,ž,ch,c,č,š,šč,v,s         je,ji,ju,ja,j je,ji,ju,ja,j ě,i,ju,ja,j
hu  i,i,zs,h,c,cs,s,scs,v,sz      je,ji,ju,ja,j je,ji,ju,ja,j je,i,ju,ja,j
fr  y,i,j,kh,ts,tch,ch,chtch,v,s  ie,ï,iou,ia,i ie,ï,iou,ia,ï ie,i,iou,ia,ï
"""
SYSTEMS = {row.split()[0]: _system(*row.split()[1:]) for row in _SYSTEM_TABLE.strip().splitlines()}
_RU_LETTERS = "абвгдеёжзийклмнопрстуфхцчшщъыьэюяіїєґ'"
_RU_LAT = (
    "a b v g d e e zh z i y k l m n o p r s t u f kh ts ch sh shch _ y _ e yu ya i yi ye g _"
).split()
_RU = {c: ("" if v == "_" else v) for c, v in zip(_RU_LETTERS, _RU_LAT, strict=True)}
_UK_VOWELS = set("аеєиіїоуюяё")


def translit(text: str, system: str) -> str:
    """Ukrainian (or, for `ru`, Russian) Cyrillic in one host country's spelling habit."""
    out: list[str] = []
    low = text.lower()
    for i, ch in enumerate(text):
        lo, prev = low[i], low[i - 1] if i else " "
        nxt = low[i + 1] if i + 1 < len(low) else " "
        if system == "ru":
            s = _RU.get(lo, ch)
            if lo == "е" and not prev.isalpha() and i == 0:
                s = "e"
        else:
            base, start, vowel, cons = SYSTEMS[system]
            if lo in start:
                forms = start if not prev.isalpha() and prev not in "'ʼ" else None
                if forms is None:
                    forms = vowel if prev in _UK_VOWELS or prev in "'ʼь" else cons
                s = forms[lo]
                if system in ("ro", "fr") and lo == "я" and prev == "і":
                    s = "a"  # Юлія: Iulia, Ioulia
            elif lo in base:
                s = base[lo]
                if system == "pl" and lo == "л" and nxt not in "іьєюяе":
                    s = "ł"
                elif system == "ro" and lo == "к":
                    s = "ch" if nxt in "еі" else "c"
                elif system == "ro" and lo == "ч" and nxt in "еіи":
                    s = "c"
                elif (
                    system in ("de", "fr")
                    and lo == "с"
                    and prev in _UK_VOWELS
                    and nxt in _UK_VOWELS
                ):
                    s = "ss"
                elif system in ("de", "cz") and lo == "ь" and nxt == "о":
                    s = "j"  # Журавльов: Schurawljow
                elif system == "kmu" and lo == "г" and prev == "з":
                    s = "gh"
            else:
                s = ch
        if ch.isupper() and s:
            s = s[0].upper() + s[1:]
        out.append(s)
    return "".join(out)


def uk_to_ru(text: str) -> str:
    """A rough Russian spelling of a Ukrainian word, as a Russian-speaking official writes it."""
    for a, b in (("ьо", "ё"), ("ій", "ий"), ("і", "и"), ("ї", "и"), ("є", "е"), ("ґ", "г")):
        text = text.replace(a, b).replace(a.capitalize(), b.capitalize())
    return text.replace("'", "ъ")


def feminine_uk(surname: str) -> str:
    """The feminine form of a Ukrainian surname (Журавльов: Журавльова; Шевченко stays)."""
    if surname.endswith("ський"):
        return surname[:-2] + "а"
    if surname.endswith(("ов", "ьов", "ин", "ів")):
        return surname + "а"
    return surname


def patronymic_uk(father: str, female: bool) -> str:
    """Father's given name as a patronymic: Петро: Петрович / Петрівна."""
    if father.endswith("а"):
        stem, m, f = father[:-1], "айович", "аївна"  # Микола: Миколайович
    elif father.endswith("й"):
        stem, m, f = father[:-1], "йович", "ївна"
    elif father.endswith("о"):
        stem, m, f = father[:-1], "ович", "івна"
    else:
        stem, m, f = father, "ович", "івна"
    return stem + (f if female else m)


# ---------------------------------------------------------------------------------------------
# Names and places


@dataclass(frozen=True)
class Name:
    """One name in every form a record may hold it: native script, Russian form, romanisations."""

    native: str
    alt: str
    latin: tuple[str, ...]
    nicks: tuple[str, ...]

    @property
    def cyrillic(self) -> bool:
        return bool(self.native) and "\u0400" <= self.native[0] <= "\u04ff"


def render(name: Name | None, style: str, v: int = 0) -> str:
    """The name as written under one record's style (a script, a system, a variant)."""
    if name is None:
        return ""
    if name.cyrillic:
        if style == "native":
            return name.native
        if style == "native_alt":
            return name.alt or uk_to_ru(name.native)
        if style == "ru_lat":
            return translit(name.alt or uk_to_ru(name.native), "ru")
        return translit(name.native, style if style in SYSTEMS else "kmu")
    if style == "native" and name.native:
        return name.native
    if style == "latv" and len(name.latin) > 1:
        return name.latin[1 + v % (len(name.latin) - 1)]
    return name.latin[0]


def render_nick(name: Name, style: str, rng: Random) -> str:
    """A diminutive of the name in the record's script; empty when the culture has none."""
    if not name.nicks:
        return ""
    nick = rng.choice(name.nicks)
    if name.cyrillic:
        return render(Name(nick, "", (), ()), style)
    native = [n for n in name.nicks if not n.isascii()]
    latin = [n for n in name.nicks if n.isascii()]
    if style == "native" and native:
        return rng.choice(native)
    return rng.choice(latin) if latin else nick


@dataclass(frozen=True)
class Place:
    """Country, region and town, each a list of spellings with the English one first."""

    country: tuple[str, ...]
    region: tuple[str, ...]
    town: tuple[str, ...]
    system: str = ""
    code: str = ""


def render_place(place: Place, style: str, levels: str, rng: Random) -> str:
    """A location path: `canon` English, `native` the local script, `variant` any spelling."""

    def pick(options: tuple[str, ...]) -> str:
        if style == "native" and len(options) > 1:
            return options[1]
        if style == "variant":
            return rng.choice(options)
        return options[0]

    parts = {"full": (1, 1, 1), "no_region": (1, 0, 1), "coarse": (1, 1, 0), "country": (1, 0, 0)}
    keep = parts[levels]
    picked = [
        pick(p) for p, k in zip((place.country, place.region, place.town), keep, strict=True) if k
    ]
    return " > ".join(picked)


def _load() -> tuple[dict[tuple[str, str, str], list[Name]], dict[tuple[str, str], list[Place]]]:
    names: dict[tuple[str, str, str], list[Name]] = {}
    with (DATA / "names.csv").open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            native, _, alt = row["native"].partition("|")
            latin = tuple(x for x in row["latin"].split("|") if x)
            nicks = tuple(x for x in row["nicknames"].split("|") if x)
            key = (row["group"], row["kind"], row["sex"])
            names.setdefault(key, []).append(Name(native, alt, latin, nicks))
    places: dict[tuple[str, str], list[Place]] = {}
    with (DATA / "places.csv").open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            kind, _, rest = row["kind"].partition(":")
            system, _, code = rest.partition(":")
            parts = [tuple(row[k].split("|")) for k in ("country", "region", "town")]
            places.setdefault((row["culture"], kind), []).append(Place(*parts, system, code))
    return names, places


@dataclass(frozen=True)
class Culture:
    """How one population names its children and where its families are separated."""

    code: str
    group: str
    weight: float
    naming: str  # surname | chain | optional | two_surnames
    family_share: float  # share of families with a real family name (chain cultures)
    dob_known: float  # share of families that know the child's date of birth
    years: tuple[int, int]
    phone: tuple[str, str, int]  # country code, national trunk prefix, digits after it
    languages: tuple[str, ...]
    nationalities: tuple[str, ...]
    ethnicities: tuple[str, ...] = ()
    boys: float = 0.5


CULTURES = (
    Culture("ua", "ua", 30, "surname", 1.0, 0.85, (2022, 2024), ("380", "0", 9),
            ("Ukrainian|Russian", "uk|ru", "Ukrainian", "українська", "uk"),
            ("Ukrainian", "UKR", "UA", "Ukraine")),
    Culture("syr", "ar", 12, "optional", 0.95, 0.55, (2015, 2021), ("963", "0", 9),
            ("Arabic", "ar", "العربية"), ("Syrian", "SYR", "سوري")),
    Culture("irq", "ar", 5, "optional", 0.55, 0.55, (2014, 2019), ("964", "0", 10),
            ("Arabic", "ar", "Kurdish|Arabic"), ("Iraqi", "IRQ"), ("Arab", "Yazidi", "Kurd")),
    Culture("sdn", "ar", 8, "chain", 0.0, 0.35, (2023, 2024), ("249", "0", 9),
            ("Arabic", "ar", "Masalit|Arabic"), ("Sudanese", "SDN"), ("Masalit", "Fur", "Arab")),
    Culture("yem", "ar", 4, "optional", 0.5, 0.4, (2016, 2023), ("967", "0", 9),
            ("Arabic", "ar"), ("Yemeni", "YEM")),
    Culture("afg", "afg", 14, "optional", 0.45, 0.25, (2021, 2024), ("93", "0", 9),
            ("Dari", "Pashto", "prs", "pus", "Dari|Pashto", "دری"), ("Afghan", "AFG"),
            ("Hazara", "Pashtun", "Tajik", ""), 0.8),
    Culture("eri", "eri", 8, "chain", 0.0, 0.4, (2018, 2024), ("291", "0", 7),
            ("Tigrinya", "ti", "ትግርኛ"), ("Eritrean", "ERI"), ("Tigrinya", ""), 0.65),
    Culture("ven", "ven", 12, "two_surnames", 1.0, 0.85, (2018, 2024), ("58", "0", 10),
            ("Spanish", "es", "español"), ("Venezuelan", "VEN", "venezolana")),
    Culture("hti", "hti", 7, "surname", 1.0, 0.6, (2021, 2024), ("509", "", 8),
            ("Haitian Creole|French", "ht", "Kreyòl"), ("Haitian", "HTI", "haïtienne")),
)  # fmt: skip


def weighted(rng: Random, items: list, boost: float = 1.0):
    """Zipf-like draw: the first items of a list are the common names, the first one more so."""
    weights = [(boost if i == 0 else 1.0) / (i + 1) ** 0.8 for i in range(len(items))]
    return rng.choices(items, weights)[0]


def typo(text: str, rng: Random) -> str:
    """One keying slip in a Latin name: a dropped, doubled, swapped or misheard letter."""
    letters = [i for i, c in enumerate(text) if c.isalpha()]
    if len(letters) < 4 or not text.isascii():
        return text
    i = rng.choice(letters[1:-1])
    op = rng.randrange(4)
    if op == 0:
        return text[:i] + text[i + 1 :]
    if op == 1:
        return text[:i] + text[i] + text[i:]
    if op == 2:
        return text[:i] + text[i + 1] + text[i] + text[i + 2 :]
    swap = {"a": "e", "e": "i", "i": "y", "o": "u", "u": "o", "y": "i", "k": "c", "s": "z"}
    return text[:i] + swap.get(text[i], text[i]) + text[i + 1 :]


def strip_accents(text: str) -> str:
    """Accents dropped, as on a keyboard or a form that refuses them."""
    return "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))


def age_on(dob: date, when: date) -> int:
    return when.year - dob.year - ((when.month, when.day) < (dob.month, dob.day))


def phone(culture: Culture, digits: str, rng: Random) -> str:
    """One phone number in one of the ways people write it (+380 67 123 45 67, 0671234567)."""
    cc, trunk, _ = culture.phone
    d = digits
    style = rng.randrange(5)
    if style == 0:
        return f"+{cc} {d[:2]} {d[2:5]} {d[5:7]} {d[7:]}".strip()
    if style == 1:
        return f"+{cc}{d}"
    if style == 2:
        return f"{trunk}{d}"
    if style == 3:
        return f"{trunk}{d[:2]}-{d[2:5]}-{d[5:]}"
    return f"00{cc}{d}"


# ---------------------------------------------------------------------------------------------
# Families and children


@dataclass
class Child:
    """One separated child: the truth behind the cases and the traces."""

    given: Name
    sex: str
    dob: date
    registered: bool = True
    duplicate: bool = False
    closed: bool = False
    sought: bool = False
    label: str = ""
    case_ids: list[str] = field(default_factory=list)
    case_style: str = ""
    case_mode: str = ""
    case_nick: bool = False


@dataclass
class Family:
    """Parents, names, places and phone shared by a set of siblings."""

    culture: Culture
    family: Name | None
    father: Name
    grandfather: Name
    mother: Name
    mother_family: Name | None
    origin: Place
    separation: Place
    host: Place
    sep_date: date
    digits: str
    children: list[Child] = field(default_factory=list)


class Generator:
    """Builds families, then the cases the host countries wrote and the traces families filed."""

    def __init__(self, seed: int) -> None:
        self.rng = Random(seed)
        self.names, self.places = _load()
        self.cases: list[dict[str, str]] = []
        self.traces: list[dict[str, str]] = []
        self.truth: list[tuple[str, str]] = []
        self.labels: dict[str, str] = {}
        self.n_requests = 0
        self.registered: list[tuple[Family, Child]] = []

    # -- families ------------------------------------------------------------------------------

    def pool(self, culture: Culture, kind: str, sex: str = "") -> list[Name]:
        return self.names[(culture.group, kind, sex)]

    def given(self, culture: Culture, sex: str) -> Name:
        boost = 3.0 if culture.group in ("ar", "afg") and sex == "m" else 1.5
        return weighted(self.rng, self.pool(culture, "given", sex), boost)

    def family(self, culture: Culture, unregistered: bool = False) -> Family:
        rng = self.rng
        has_family = rng.random() < culture.family_share
        fam_name = weighted(self.rng, self.pool(culture, "family")) if has_family else None
        start = date(culture.years[0], 1, 1)
        span = (date(culture.years[1], 12, 31) - start).days
        if culture.code == "ua":
            start, span = date(2022, 2, 24), 680
        origin = weighted(rng, self.places[(culture.code, "origin")])
        transit = rng.choice(self.places[(culture.code, "transit")])
        fam = Family(
            culture=culture,
            family=fam_name,
            father=self.given(culture, "m"),
            grandfather=self.given(culture, "m"),
            mother=self.given(culture, "f"),
            mother_family=weighted(rng, self.pool(culture, "family")) if has_family else None,
            origin=origin,
            separation=origin if rng.random() < 0.45 else transit,
            host=rng.choice(self.places[(culture.code, "host")]),
            sep_date=start + timedelta(days=rng.randrange(span)),
            digits="".join(str(rng.randrange(10)) for _ in range(culture.phone[2])),
        )
        if culture.code == "ua" and rng.random() < 0.85:
            fam.mother_family = fam_name  # most Ukrainian mothers share the children's surname
        n_children = rng.choices([1, 2, 3, 4], [50, 28, 15, 7])[0]
        eldest = rng.choices([rng.randint(0, 17), rng.randint(11, 17)], [1, culture.boys - 0.4])[0]
        age = eldest
        for i in range(n_children):
            twins = i == 1 and rng.random() < 0.12
            if i and not twins:
                age -= rng.randint(1, 4)
            if age < 0:
                break
            sex = "m" if rng.random() < (culture.boys if i == 0 else 0.5) else "f"
            if twins:
                dob = fam.children[0].dob
                sex = fam.children[0].sex if rng.random() < 0.6 else sex
            else:
                dob = fam.sep_date - timedelta(days=365 * age + rng.randrange(365))
            given = self.given(culture, sex)
            if twins and culture.group == "ar" and sex == "m" and fam.children[0].sex == "m":
                pool = self.pool(culture, "given", "m")
                hassan, hussein = (n for n in pool if n.latin[0] in ("Hassan", "Hussein"))
                fam.children[0].given, given = hassan, hussein
            while any(c.given == given for c in fam.children):
                given = rng.choice(self.pool(culture, "given", sex))  # siblings differ
            child = Child(given, sex, dob, registered=not unregistered and rng.random() < 0.88)
            fam.children.append(child)
        return fam

    # -- rendering helpers ---------------------------------------------------------------------

    def modes(self, fam: Family) -> list[str]:
        """The ways a family-name field gets filled for this family's naming custom."""
        naming = fam.culture.naming
        if naming == "two_surnames":
            return ["both", "paternal"]
        if fam.family is not None:
            return ["family"]
        if naming == "chain" or fam.culture.code in ("irq", "yem"):
            return ["grandfather", "father", "father_grandfather"]
        return ["father", "none"]

    def child_names(
        self, fam: Family, child: Child, style: str, v: int, mode: str
    ) -> tuple[str, str]:
        """Given and family name fields of the child under one style and field habit."""
        given = render(child.given, style, v)
        if mode == "family":
            family = render(fam.family, style, v)
            if fam.family is not None and fam.family.cyrillic and child.sex == "f":
                family = render(Name(feminine_uk(fam.family.native), "", (), ()), style)
        elif mode in ("both", "paternal"):
            family = render(fam.family, style, v)
            if mode == "both":
                family += " " + render(fam.mother_family, style, v)
        elif mode == "grandfather":
            family = render(fam.grandfather, style, v)
        elif mode == "father":
            family = render(fam.father, style, v)
        elif mode == "father_grandfather":
            family = f"{render(fam.father, style, v)} {render(fam.grandfather, style, v)}"
        else:
            family = ""
        return given, family

    def parent_name(self, fam: Family, which: str, style: str, v: int, full: bool) -> str:
        """A parent's full name as a relative or the child would say it."""
        rng = self.rng
        if which == "mother":
            given = render(fam.mother, style, v)
            if not full or (fam.culture.code == "afg" and rng.random() < 0.5):
                return given if fam.culture.code != "afg" or rng.random() < 0.4 else ""
            other = fam.mother_family or fam.grandfather
            if fam.culture.group in ("ar", "afg", "eri") and fam.mother_family is None:
                other = self.given(fam.culture, "m")  # her own father's name
            if other.cyrillic:
                other = Name(feminine_uk(other.native), "", (), ())
            return f"{given} {render(other, style, v)}"
        given = render(fam.father, style, v)
        if not full:
            sons = [c.given for c in fam.children if c.sex == "m"]
            if fam.culture.group == "ar" and sons and rng.random() < 0.3:
                # the kunya: a father known as "father of" his eldest son
                return ("أبو " if style == "native" else "Abu ") + render(sons[0], style, v)
            return given
        if fam.culture.group in ("ar", "eri") or fam.family is None:
            chain = [given, render(fam.grandfather, style, v)]
            if fam.family is not None:
                chain.append(render(fam.family, style, v))
            if fam.culture.group == "ar" and style != "native" and rng.random() < 0.3:
                return f"{chain[0]} bin {' '.join(chain[1:])}"
            return " ".join(chain)
        family = render(fam.family, style, v)
        if fam.culture.code == "ua" and rng.random() < 0.35:
            patr = render(Name(patronymic_uk(fam.grandfather.native, False), "", (), ()), style)
            return f"{family} {given} {patr}"
        return f"{given} {family}"

    def place(self, place: Place, style: str, rng: Random, coarse: float = 0.25) -> str:
        levels = "full"
        if rng.random() < coarse:
            levels = rng.choice(["no_region", "coarse", "country"])
        return render_place(place, style, levels, rng)

    # -- cases ---------------------------------------------------------------------------------

    def case_style(self, fam: Family, child: Child) -> str:
        """How the registering caseworker spelled the child's names."""
        rng, system = self.rng, fam.host.system
        if fam.culture.group == "ua":
            if child.label == "other_script" and rng.random() < 0.2:
                return "native"
            return rng.choices([system, "kmu", "ru_lat"], [50, 40, 10])[0]
        if system == "ar" and fam.culture.group != "ven" and child.label != "transliteration":
            if rng.random() < 0.45:
                return "native"
        return "lat0" if rng.random() < 0.65 else "latv"

    def write_case(self, fam: Family, child: Child, second: bool = False) -> None:
        rng, culture = self.rng, fam.culture
        reg = fam.sep_date + timedelta(days=rng.choice([rng.randint(1, 12), rng.randint(10, 240)]))
        if second:
            reg += timedelta(days=rng.randint(15, 200))
        style = self.case_style(fam, child)
        v = rng.randrange(6)
        modes = self.modes(fam)
        mode = rng.choice(modes)
        if culture.naming == "two_surnames" and fam.host.system == "es":
            mode = "both" if rng.random() < 0.8 else "paternal"
        if not second:
            child.case_style, child.case_mode = style, mode
        given, family = self.child_names(fam, child, style, v, mode)
        if fam.host.system == "en" and culture.group in ("ven", "hti"):
            given, family = strip_accents(given), strip_accents(family)
        others: list[str] = []
        if child.label == "nickname" and not second and rng.random() < 0.3:
            nick = render_nick(child.given, style, rng)
            if nick:
                given, child.case_nick = nick, True
        elif rng.random() < 0.12:
            others.append(render_nick(child.given, style, rng))
        if style != "native" and culture.group in ("ua", "ar", "eri", "afg"):
            if rng.random() < (0.25 if culture.group == "ua" else 0.12):
                others.append(" ".join(self.child_names(fam, child, "native", v, mode)).strip())
        if child.label == "name_order" and not second and rng.random() < 0.3:
            given, family = self.misorder(fam, child, given, family, style, v, mode)
        # Age: caseworkers estimate when no document says otherwise.
        true_age = age_on(child.dob, reg)
        dob, age, estimated = child.dob.isoformat(), str(true_age), ""
        if child.label == "estimated_age" or rng.random() > culture.dob_known + 0.1:
            dob = ""
            off = 0
            if child.label == "estimated_age":
                spread = 3 if true_age <= 5 or true_age >= 14 else 2
                off = rng.choice([d for d in range(-spread, spread + 1) if d])
            elif rng.random() < 0.3:
                off = rng.choice([-1, 1])
            age, estimated = str(max(0, true_age + off)), "true"
            if culture.code == "afg" and rng.random() < 0.6:
                dob = date(reg.year - int(age), 1, 1).isoformat()  # Afghan 1 January convention
        elif rng.random() < 0.3:
            age = ""
        sex = {"m": "male", "f": "female"}[child.sex]
        sex = rng.choice([sex, sex, sex[0].upper(), sex[0]]) if rng.random() > 0.03 else "unknown"
        ids = [self.doc_id(fam, child)]
        if rng.random() < 0.35:
            ids.append("phone:" + phone(culture, fam.digits, rng))
        if culture.code in ("syr", "irq", "sdn", "afg", "eri") and rng.random() < 0.4:
            ids.append(
                f"unhcr:{rng.randint(100, 999)}-{reg.year % 100}C{rng.randint(10**5, 10**6)}"
            )
        status, consent = "open", rng.choice(["true", "true", "true", ""])
        if child.closed:
            status, consent = rng.choice(
                [("closed", consent), ("reunified", consent), ("open", "false")]
            )
        elif not child.sought and rng.random() < 0.06:
            status, consent = rng.choice(
                [("closed", consent), ("reunified", consent), ("open", "false")]
            )
        case_id = f"{fam.host.code}-{reg.year}-{len(self.cases) + 1:05d}"
        origin_style = "canon" if rng.random() < 0.75 else "variant"
        caregiver = ""
        if rng.random() < 0.2:
            caregiver = f"{render(self.given(culture, 'f'), style, v)} {family}".strip()
        self.cases.append({
            "case_id": case_id, "registration_date": reg.isoformat(),
            "given_name": given, "family_name": family,
            "other_names": "|".join(o for o in others if o and o != given),
            "sex": sex, "date_of_birth": dob, "age": age, "age_estimated": estimated,
            "father_name": self.parent_name(fam, "father", style, v, rng.random() < 0.6)
            if rng.random() < 0.75 else "",
            "mother_name": self.parent_name(fam, "mother", style, v, rng.random() < 0.5)
            if rng.random() < 0.7 else "",
            "caregiver_name": caregiver,
            "language": rng.choice(culture.languages) if rng.random() < 0.85 else "",
            "nationality": rng.choice(culture.nationalities) if rng.random() < 0.9 else "",
            "ethnicity": rng.choice(culture.ethnicities) if culture.ethnicities else "",
            "place_of_origin": self.place(fam.origin, origin_style, rng),
            "separation_place": self.place(fam.separation, "canon", rng, 0.4)
            if rng.random() < 0.7 else "",
            "separation_date": fam.sep_date.isoformat() if rng.random() < 0.6 else "",
            "current_location": self.place(fam.host, "canon", rng, 0.1),
            "identifiers": "|".join(i for i in ids if i),
            "consent_for_tracing": consent, "status": status,
        })  # fmt: skip
        child.case_ids.append(case_id)
        if status == "open" and consent != "false":
            self.registered.append((fam, child))

    def doc_id(self, fam: Family, child: Child) -> str:
        rng, code = self.rng, fam.culture.code
        if code == "ua" and rng.random() < 0.5:
            return f"passport:F{rng.choice('ACEKX')}{rng.randint(10**5, 10**6 - 1)}"
        if code == "ua" and rng.random() < 0.4:
            series = rng.choice(["ХА", "КИ", "ДН"])
            return f"birth_certificate:I-{series} {rng.randint(10**5, 10**6 - 1)}"
        if code == "afg" and rng.random() < 0.3:
            return f"tazkira:{rng.randint(10**9, 10**10 - 1)}"
        return f"reg:{fam.host.code}{rng.randint(10**6, 10**7 - 1)}" if rng.random() < 0.4 else ""

    def misorder(
        self, fam: Family, child: Child, given: str, family: str, style: str, v: int, mode: str
    ) -> tuple[str, str]:
        """Names in the wrong fields: swapped, the full name in one field, a shifted chain."""
        rng = self.rng
        other_modes = [m for m in self.modes(fam) if m != mode]
        choice = rng.choice(["swap", "full", "full"] + (["chain"] * 2 if other_modes else []))
        if choice == "chain":
            return self.child_names(fam, child, style, v, rng.choice(other_modes))
        if choice == "swap" and family:
            return family, given
        if fam.culture.code == "ua" and style != "native" and rng.random() < 0.5:
            patr = patronymic_uk(fam.father.native, child.sex == "f")
            return f"{family.upper()} {given} {render(Name(patr, '', (), ()), style)}", ""
        if fam.culture.group in ("ar", "afg", "eri"):
            return f"{given} {render(fam.father, style, v)} {family}".strip(), ""
        return f"{given} {family}".strip(), ""

    # -- traces --------------------------------------------------------------------------------

    def trace_style(self, fam: Family, child: Child) -> str:
        """How the family spelled the child's names, given the trace's main difficulty."""
        rng, case_style = self.rng, child.case_style or "lat0"
        culture = fam.culture
        if not child.registered:
            case_style = rng.choice(
                ["lat0", "native", "kmu"] if culture.group == "ua" else ["lat0"]
            )
        if child.label == "other_script":
            if case_style.startswith("native"):
                return "kmu" if culture.group == "ua" else "lat0"
            return "native" if culture.group != "ua" or rng.random() < 0.75 else "native_alt"
        if child.label == "transliteration":
            if culture.group == "ua":
                options = [s for s in ("kmu", "ru_lat", "pl", "de", "ro", "cz", "hu", "fr")
                           if s != case_style]  # fmt: skip
                return rng.choice(["kmu", "ru_lat", *options] if case_style != "kmu" else options)
            return "latv" if case_style == "lat0" else "lat0"
        if not child.registered:
            if culture.group == "ua":
                return rng.choice(["native", "kmu", "kmu", "pl", "de"])
            return rng.choice(["native", "lat0", "latv"]) if culture.group != "ven" else "lat0"
        return case_style

    def write_request(self, fam: Family, sought: list[Child]) -> None:
        rng, culture = self.rng, fam.culture
        self.n_requests += 1
        request_id = f"RQ-{self.n_requests:05d}"
        inquiry = fam.sep_date + timedelta(days=rng.randint(7, 420))
        relation = rng.choices(
            ["mother", "father", "grandparent", "aunt_uncle", "sibling", "other"],
            [40, 25, 10, 12, 8, 5],
        )[0]
        v = rng.randrange(6)
        for child in sought:
            style = self.trace_style(fam, child)
            inquirer = ""
            if relation in ("mother", "father"):
                inquirer = self.parent_name(fam, relation, style, v, True)
            elif rng.random() < 0.8:
                inquirer = (
                    f"{render(self.given(culture, 'f'), style, v)} {render(fam.family, style, v)}"
                )
            self.write_trace(fam, child, request_id, inquiry, relation, inquirer.strip(), style, v)

    def write_trace(
        self,
        fam: Family,
        child: Child,
        request_id: str,
        inquiry: date,
        relation: str,
        inquirer: str,
        style: str,
        v: int,
    ) -> None:
        rng, culture, label = self.rng, fam.culture, child.label
        mode = child.case_mode or rng.choice(self.modes(fam))
        if label in ("transliteration", "other_script"):
            v = v + 1 + rng.randrange(3)
        given, family = self.child_names(fam, child, style, v, mode)
        if label == "transliteration" and culture.group in ("ven", "hti"):
            given, family = strip_accents(given), strip_accents(family).replace("-", " ")
        others: list[str] = []
        if label == "nickname":
            nick = render_nick(child.given, style, rng)
            if child.case_nick:
                others = [] if rng.random() < 0.7 else [nick]
            elif nick:
                given = nick
        elif rng.random() < 0.15:
            others.append(render_nick(child.given, style, rng))
        if label == "name_order":
            given, family = self.misorder(fam, child, given, family, style, v, mode)
        if rng.random() < 0.06 and label not in ("other_script",):
            if rng.random() < 0.5:
                given = typo(given, rng)
            else:
                family = typo(family, rng)
        true_age = max(0, age_on(child.dob, inquiry))  # an inquiry soon after a birth
        dob, age, estimated = "", str(true_age), ""
        if rng.random() < culture.dob_known:
            dob = child.dob.isoformat()
            if label == "estimated_age" and culture.code == "eri" and rng.random() < 0.5:
                dob = child.dob.replace(
                    year=child.dob.year - 8, day=min(child.dob.day, 28)
                ).isoformat()
            age = age if rng.random() < 0.5 else ""
        elif rng.random() < 0.25:
            age, estimated = str(max(0, true_age + rng.choice([-1, 1, 2]))), "true"
        sex = {"m": "male", "f": "female"}[child.sex] if rng.random() > 0.08 else ""
        place_style = "native" if style.startswith("native") and rng.random() < 0.7 else "canon"
        if label == "place_variant":
            place_style = rng.choice(["native", "variant", "variant"])
        coarse = 0.45 if label == "place_variant" else 0.2
        ids = []
        if relation in ("mother", "father") and rng.random() < 0.6:
            ids.append("phone:" + phone(culture, fam.digits, rng))
        elif rng.random() < 0.4:
            digits = "".join(str(rng.randrange(10)) for _ in range(culture.phone[2]))
            ids.append("phone:" + phone(culture, digits, rng))
        trace_id = f"TR{inquiry.year % 100:02d}-{len(self.traces) + 1:06d}"
        full = rng.random() < 0.6
        self.traces.append({
            "trace_id": trace_id, "request_id": request_id, "inquiry_date": inquiry.isoformat(),
            "inquirer_name": inquirer, "inquirer_relation": relation,
            "given_name": given, "family_name": family,
            "other_names": "|".join(o for o in others if o and o != given),
            "sex": sex, "date_of_birth": dob, "age_estimated": estimated, "age": age,
            "father_name": self.parent_name(fam, "father", style, v, full)
            if rng.random() < 0.8 else "",
            "mother_name": self.parent_name(fam, "mother", style, v, full)
            if rng.random() < 0.75 else "",
            "language": rng.choice(culture.languages) if rng.random() < 0.6 else "",
            "nationality": rng.choice(culture.nationalities) if rng.random() < 0.7 else "",
            "ethnicity": rng.choice(culture.ethnicities) if culture.ethnicities else "",
            "place_of_origin": self.place(fam.origin, place_style, rng, coarse)
            if rng.random() < 0.92 else "",
            "separation_place": self.place(fam.separation, place_style, rng, coarse)
            if rng.random() < 0.6 else "",
            "separation_date": (fam.sep_date + timedelta(days=rng.choice([0, 0, 0, -3, 5])))
            .isoformat() if rng.random() < 0.7 else "",
            "identifiers": "|".join(ids), "status": "open" if rng.random() < 0.7 else "",
        })  # fmt: skip
        self.labels[trace_id] = label
        for case_id in child.case_ids if label != "unmatched" else []:
            self.truth.append((trace_id, case_id))

    # -- orchestration -------------------------------------------------------------------------

    def choose_label(self, fam: Family, child: Child) -> str:
        """The trace's main difficulty: one that this family and child make possible."""
        rng = self.rng
        if not child.registered or child.closed:
            return "unmatched"
        if child.duplicate:
            return "duplicate"
        siblings = [c for c in fam.children if c is not child and c.registered]
        if siblings and rng.random() < 0.28:
            return "sibling_twin"
        culture = fam.culture
        pool = self.pool(culture, "given", child.sex)
        if child.given in pool[:2] and rng.random() < 0.35:
            return "common_name"
        options = {"transliteration": 16, "name_order": 9, "estimated_age": 9,
                   "place_variant": 9, "plain": 22}  # fmt: skip
        if culture.group in ("ua", "ar", "afg", "eri"):
            options["other_script"] = 14
        if child.given.nicks:
            options["nickname"] = 10
        return rng.choices(list(options), list(options.values()))[0]

    def namesake(self, culture: Culture) -> Family:
        """A different family whose child bears a registered child's name (a false lead)."""
        fam = self.family(culture, unregistered=True)
        same = [(f, c) for f, c in self.registered if f.culture is culture]
        if same and fam.children:
            other_fam, other = self.rng.choice(same)
            fam.family = other_fam.family
            while fam.father == other_fam.father:
                fam.father = self.given(culture, "m")  # a namesake, not the same family
            fam.children[0].given, fam.children[0].sex = other.given, other.sex
            fam.children[0].dob = other.dob + timedelta(days=self.rng.randint(-700, 700))
            if self.rng.random() < 0.5:
                fam.origin = other_fam.origin
        return fam

    def run(self, n_cases: int) -> None:
        rng = self.rng
        weights = [c.weight for c in CULTURES]
        unmatched = 0
        while len(self.cases) < n_cases:
            culture = rng.choices(CULTURES, weights)[0]
            want_traces = len(self.traces) < 0.5 * len(self.cases)
            if want_traces and unmatched < 0.16 * (len(self.traces) + 1):
                fam = self.namesake(culture) if rng.random() < 0.5 else self.family(culture, True)
                fam.children = fam.children[: rng.choice([1, 1, 2])]
            else:
                fam = self.family(culture)
            for child in fam.children:
                child.duplicate = child.registered and rng.random() < 0.05
                child.sought = want_traces and rng.random() < 0.85
            if want_traces and fam.children and not any(c.sought for c in fam.children):
                fam.children[0].sought = True
            for child in fam.children:
                if child.sought and child.registered and rng.random() < 0.015:
                    child.closed = True
                if child.sought:
                    child.label = self.choose_label(fam, child)
            for child in fam.children:
                if child.registered:
                    self.write_case(fam, child)
                    if child.duplicate:
                        self.write_case(fam, child, second=True)
            sought = [c for c in fam.children if c.sought]
            if sought:
                self.write_request(fam, sought)
                unmatched += sum(c.label == "unmatched" for c in sought)


def generate_with_stats(
    out_dir: Path, n_cases: int, seed: int, fmt: str = "csv"
) -> tuple[SynthPaths, Counter[str]]:
    """Write one data set and count its difficulty labels (for tests and the report)."""
    if fmt not in ("csv", "jsonl"):  # before the work, not after it
        raise ValueError(f"fmt must be csv or jsonl, not {fmt!r}")
    gen = Generator(seed)
    gen.run(n_cases)
    paths = write_data_set(out_dir, fmt, gen.rng, gen.cases, gen.traces, gen.truth, gen.labels)
    return paths, Counter(gen.labels.values())


def generate(out_dir: Path, n_cases: int, seed: int, fmt: str = "csv") -> SynthPaths:
    """Write cases, traces, truth and difficulty files; the accuracy benchmark calls this."""
    return generate_with_stats(out_dir, n_cases, seed, fmt)[0]


if __name__ == "__main__":
    import sys

    _paths, _counts = generate_with_stats(Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]))
    print(dict(sorted(_counts.items())))
