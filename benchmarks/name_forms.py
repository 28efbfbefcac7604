"""Name forms no generator writes: does a trace written one way find the case written another?

The generators carry the cultures their authors thought of; the held-back data may carry
others. This probe plants hand-written pairs (a case's name in one form, a trace's in
another: a script, a regional spelling, an abbreviation, a nickname) among generated
cases, matches each trace with the embedded API and prints the case's rank, score and
likelihood. Every planted pair has the same age, sex and place, so the names decide.

    python -m benchmarks.name_forms [--cases 2000] [--seed 71]
"""

from __future__ import annotations

import argparse
import csv
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from benchmarks.synth_alt import generate
from service.embedded import EmbeddedMatcher

# (group, case given name, case family name, trace given name, trace family name)
PAIRS: list[tuple[str, str, str, str, str]] = [
    ("Sorani Kurdish", "ئەحمەد", "کەریم", "Ahmad", "Karim"),
    ("Sorani Kurdish", "ڕێبوار", "مەحموود", "Rebwar", "Mahmood"),
    ("Sorani Kurdish", "ئاسۆ", "حەسەن", "Aso", "Hasan"),
    ("Pashto", "ښکلی", "وردګ", "Shkulai", "Wardak"),
    ("Pashto", "ټوپک", "ځدران", "Topak", "Zadran"),
    ("Burmese", "မောင်မောင်", "ဦး", "Maung Maung", "U"),
    ("Burmese", "ဇော်ဝင်း", "ထက်", "Zaw Win", "Htet"),
    ("Burmese", "သီတာ", "အောင်", "Thida", "Aung"),
    ("Burmese", "ကျော်မြင့်", "ထွန်း", "Kyaw Myint", "Tun"),
    ("Burmese", "ဖြိုးဝေ", "နိုင်", "Phyo Wai", "Naing"),
    ("Ge'ez", "ሰላም", "ተስፋዬ", "Selam", "Tesfaye"),
    ("Ge'ez", "ዮሐንስ", "ገብረ", "Yohannes", "Gebre"),
    ("Ge'ez", "ተኽለ", "ኪዳነ", "Tekle", "Kidane"),
    ("Ethiopian abbreviation", "Selam", "Gebremedhin", "Selam", "G/Medhin"),
    ("Ethiopian abbreviation", "Yonas", "Woldemariam", "Yonas", "W/Mariam"),
    ("Ethiopian abbreviation", "Dawit", "Hailemariam", "Dawit", "H/Mariam"),
    ("Sudanese abbreviation", "Mohamed", "Abdelrahim", "Mohamed", "A/Rahim"),
    ("Sahel French", "Abdoulaye", "Traore", "Abdullahi", "Traore"),
    ("Sahel French", "Boubacar", "Keita", "Abubakar", "Keita"),
    ("Sahel French", "Mahamadou", "Maiga", "Mohamed", "Maiga"),
    ("Sahel French", "Issoufou", "Keita", "Yusuf", "Keita"),
    ("Sahel French", "Aissatou", "Bah", "Aisha", "Bah"),
    ("Sahel French", "Kadiatou", "Diakite", "Khadija", "Diakite"),
    ("Sahel French", "Djenabou", "Balde", "Zainab", "Balde"),
    ("Sahel French", "Amadou", "Diallo", "Ahmad", "Diallo"),
    ("Sahel French", "Fatoumata", "Camara", "Fatima", "Camara"),
    ("Hausa", "Hadiza", "Kone", "Khadija", "Kone"),
    ("Swahili", "Athumani", "Juma", "Uthman", "Juma"),
    ("Swahili", "Bakari", "Omari", "Abubakar", "Omari"),
    ("Swahili", "Ramadhani", "Ally", "Ramadan", "Ally"),
    ("Maghreb French", "Youcef", "Brahimi", "Yusuf", "Brahimi"),
    ("Maghreb French", "Noureddine", "Saidi", "Nur al-Din", "Saidi"),
    ("Spanish nickname", "Consuelo", "Medina", "Chelo", "Medina"),
    ("Spanish nickname", "Francisco", "Rojas", "Pancho", "Rojas"),
    ("Spanish nickname", "Jesús", "Mora", "Chuy", "Mora"),
    ("Haitian nickname", "Jean-Baptiste", "Joseph", "Ti Jean", "Joseph"),
    ("Turkish", "Şükrü", "Çelik", "Shukru", "Chelik"),
    # a Ukrainian child registered in Romania or Moldova, sought under the Ukrainian name
    ("Tamil", "முருகன்", "செல்வராஜா", "Murugan", "Selvarajah"),
    ("Tamil", "சிவகுமார்", "தர்ஷன்", "Sivakumar", "Tharshan"),
    ("Tamil", "கணேசன்", "யோகராஜா", "Ganesan", "Yogarajah"),
    ("Tamil", "பிரபாகரன்", "வேலுப்பிள்ளை", "Prabhakaran", "Velupillai"),
    ("Tamil", "ராஜேந்திரன்", "நந்தினி", "Rajendran", "Nandini"),
    ("Tamil", "தர்ஷிகா", "தேவராஜா", "Darshika", "Devarajah"),
    ("Telugu", "శ్రీనివాస్", "రెడ్డి", "Srinivas", "Reddy"),
    ("Gurmukhi", "ਹਰਪ੍ਰੀਤ", "ਗਿੱਲ", "Harpreet", "Gill"),
    ("Malayalam", "സുരേഷ്", "കുമാർ", "Suresh", "Kumar"),
    ("Armenian", "Գոհար", "Հովհաննիսյան", "Gohar", "Hovhannisyan"),
    ("Armenian, Russian record", "Оганес", "Оганесян", "Hovhannes", "Hovhannisyan"),
    ("Georgian", "ნინო", "ჭავჭავაძე", "Nino", "Chavchavadze"),
    ("Azerbaijani", "Məmməd", "Hüseynov", "Мамед", "Гусейнов"),
    ("Kurmanji", "Xelîl", "Şêxo", "Khalil", "Sheikho"),
    ("Chinese", "王伟", "", "Wei", "Wang"),
    ("Romanian record", "Nicolae", "Melnic", "Mykola", "Melnyk"),
    ("Romanian record", "Iurie", "Cravcenco", "Yurii", "Kravchenko"),
    ("Romanian record", "Ion", "Coval", "Ivan", "Koval"),
    ("Romanian record", "Mihai", "Boico", "Mykhailo", "Boiko"),
    ("Romanian record", "Ecaterina", "Tkacenko", "Kateryna", "Tkachenko"),
    ("Romanian record", "Serghei", "Șevcenko", "Serhii", "Shevchenko"),
    ("Nepali", "विकास", "विश्वकर्मा", "Bikas", "Bishwokarma"),
    ("Nepali", "विजय", "श्रेष्ठ", "Bijay", "Shrestha"),
    ("Nepali", "लक्ष्मी", "थापा", "Laxmi", "Thapa"),
    ("Nepali", "बिनोद", "गुरुङ", "Vinod", "Gurung"),
    ("Bengali", "বিশ্বজিৎ", "বিশ্বাস", "Biswajit", "Biswas"),
    ("Bengali", "মোহাম্মদ", "রহমান", "Mohammad", "Rahman"),
    ("Bengali", "আয়েশা", "বেগম", "Ayesha", "Begum"),
    ("Dari", "گل احمد", "احمدزی", "Gul Ahmad", "Ahmadzai"),
    ("Tigrinya", "ሃብቶም", "ገብረሂወት", "Habtom", "Gebrehiwet"),
    ("Greek", "Γιώργος", "Παπαδόπουλος", "Giorgos", "Papadopoulos"),
    ("Ukrainian nickname", "Олександр", "Шевченко", "Sasha", "Shevchenko"),
    ("Vietnamese", "Nguyễn Văn", "An", "Van An", "Nguyen"),
]


@dataclass(frozen=True)
class Found:
    """Where a planted pair's case came for its trace: rank 0 and score 0 if not proposed."""

    group: str
    case_name: str
    trace_name: str
    rank: int
    score: float
    likelihood: str


def probe(n_cases: int, seed: int) -> tuple[list[Found], float, int]:
    """Each planted pair's result, the seconds building took, and the generated cases."""
    with tempfile.TemporaryDirectory() as tmp:
        paths = generate(Path(tmp), n_cases=n_cases, seed=seed)
        with open(paths.cases, newline="", encoding="utf-8") as handle:
            cases: list[dict[str, str | None]] = list(csv.DictReader(handle))
        with open(paths.traces, newline="", encoding="utf-8") as handle:
            traces: list[dict[str, str | None]] = list(csv.DictReader(handle))
    planted = [
        {
            "case_id": f"PLANTED-{i}",
            "registration_date": "2024-05-01",
            "given_name": given,
            "family_name": family,
            "sex": "male",
            "age": "9",
            "place_of_origin": "Iraq > Duhok",
        }
        for i, (_, given, family, _, _) in enumerate(PAIRS)
    ]
    started = time.perf_counter()
    matcher = EmbeddedMatcher(cases=cases + planted, traces=traces)
    assert len(matcher.matcher.cases)  # built now, not by the first query
    built = time.perf_counter() - started
    results = []
    for i, (group, case_given, case_family, given, family) in enumerate(PAIRS):
        query = {
            "trace_id": f"PROBE-{i}",
            "inquiry_date": "2024-04-01",
            "given_name": given,
            "family_name": family,
            "sex": "male",
            "age": "9",
            "place_of_origin": "Iraq > Duhok",
        }
        hit = next((m for m in matcher.match(query) if m.case_id == f"PLANTED-{i}"), None)
        results.append(
            Found(
                group,
                f"{case_given} {case_family}",
                f"{given} {family}",
                hit.rank if hit else 0,
                hit.score if hit else 0.0,
                hit.likelihood if hit else "not proposed",
            )
        )
    return results, built, len(cases)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=71)
    args = parser.parse_args()
    results, built, n_cases = probe(args.cases, args.seed)
    print(
        f"{len(PAIRS)} planted pairs among {n_cases} generated cases (independent "
        f"generator, seed {args.seed}); built in {built:.1f} s\n"
    )
    print("| form | case | trace | rank | score | likelihood |")
    print("|---|---|---|---|---|---|")
    for r in results:
        rank, score = (r.rank, f"{r.score:.3f}") if r.rank else ("-", "-")
        print(f"| {r.group} | {r.case_name} | {r.trace_name} | {rank} | {score} | {r.likelihood} |")
    top = sum(r.rank == 1 for r in results)
    found = sum(r.rank > 0 for r in results)
    likely = sum(r.likelihood == "likely" for r in results)
    print(
        f"\nat rank 1: {top} of {len(PAIRS)}; proposed: {found} of {len(PAIRS)}; likely: {likely}"
    )


if __name__ == "__main__":
    main()
