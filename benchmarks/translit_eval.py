"""Which transliteration turns Cyrillic and Arabic-script names into their Latin spellings?

For each original (Олександр, محمد, ...) and each Latin spelling people actually use
(Oleksandr, Aleksandr, Alexander; Mohammed, Muhammad, Mohamed), every candidate
transliterator renders the original, and the rendering goes through the same
`name_tokens` + `skeleton` path as the Latin spelling. Printed per method:

* key=: share of (original, spelling) pairs whose joined skeleton keys are equal;
* key JW: mean Jaro-Winkler of those keys;
* fold JW: mean Jaro-Winkler of the folded strings, without skeletons;
* any=: share whose keys meet under some orthographic reading (`skeletons`: Somali
  c/x, Slavic j, French ch/ou, German ch), as blocking sees them.

Then the price of tolerance: how many distinct formal names of `data/nicknames.csv`
share a skeleton with another one.

Run: `python -m benchmarks.translit_eval`. Methods whose package is missing are
skipped (unidecode, PyICU are not project dependencies).
"""

from __future__ import annotations

import csv
import itertools
from collections import defaultdict
from collections.abc import Callable

from anyascii import anyascii
from rapidfuzz.distance import JaroWinkler

from matching.normalize import DATA_DIR, fold, name_tokens, skeleton, skeletons

# original -> Latin spellings found in registrations, passports and the press
GOLD: dict[str, list[str]] = {
    # Ukrainian
    "Олександр": ["Oleksandr", "Aleksandr", "Alexander", "Olexandr", "Oleksander"],
    "Дмитро": ["Dmytro", "Dmitro", "Dmitriy", "Dmitry"],
    "Михайло": ["Mykhailo", "Mykhaylo", "Mikhailo", "Mikhail", "Mychajlo"],
    "Сергій": ["Serhiy", "Serhii", "Sergiy", "Sergey", "Sergii", "Serhij"],
    "Андрій": ["Andriy", "Andrii", "Andrey", "Andrij"],
    "Юлія": ["Yuliia", "Yulia", "Iuliia", "Julia", "Yuliya", "Julija"],
    "Євгенія": ["Yevheniia", "Yevgenia", "Evgeniya", "Ievgeniia", "Jevhenija"],
    "Катерина": ["Kateryna", "Katerina", "Katheryna"],
    "Ольга": ["Olha", "Olga", "Olgha"],
    "Ярослав": ["Yaroslav", "Iaroslav", "Jaroslav"],
    "Вікторія": ["Viktoriia", "Viktoria", "Victoria", "Viktoriya"],
    "Ковальчук": ["Kovalchuk", "Koval'chuk", "Kowalczuk", "Kovaltchouk"],
    "Шевченко": ["Shevchenko", "Schewtschenko", "Szewczenko", "Chevtchenko"],
    "Хмельницький": ["Khmelnytskyi", "Khmelnytsky", "Khmelnitsky", "Chmelnyckyj"],
    "Харків": ["Kharkiv", "Kharkov", "Charkiw", "Harkiv"],
    "Київ": ["Kyiv", "Kiev", "Kyyiv", "Kiiv"],
    "Миколаїв": ["Mykolaiv", "Mykolayiv", "Mikolaiv"],
    "Запоріжжя": ["Zaporizhzhia", "Zaporizhia", "Zaporozhye", "Zaporizhzhya"],
    "Ізюм": ["Izium", "Izyum", "Izjum"],
    # Russian
    "Екатерина": ["Ekaterina", "Yekaterina", "Katerina", "Ekaterina"],
    "Алексей": ["Aleksey", "Alexei", "Alexey", "Aleksei", "Oleksiy"],
    "Юрий": ["Yuriy", "Yuri", "Yury", "Iurii", "Jurij"],
    "Наталья": ["Natalya", "Natalia", "Natalja", "Nataliya"],
    "Пётр": ["Pyotr", "Petr", "Piotr", "Petro"],
    "Щербаков": ["Shcherbakov", "Scherbakov", "Shherbakov", "Chtcherbakov"],
    "Журавлёв": ["Zhuravlev", "Zhuravlyov", "Juravlev", "Shurawljow"],
    "Фёдор": ["Fyodor", "Fedor", "Fiodor", "Fjodor"],
    # Arabic
    "محمد": ["Mohammed", "Muhammad", "Mohamed", "Mohammad", "Mohamad", "Muhammed"],
    "أحمد": ["Ahmed", "Ahmad", "Ahmet", "Achmed"],
    "محمود": ["Mahmoud", "Mahmud", "Mahmood", "Mahmut"],
    "عبد الرحمن": [
        "Abdulrahman",
        "Abd al-Rahman",
        "Abdelrahman",
        "Abdul Rahman",
        "Abdurrahman",
        "Abdirahman",
    ],
    "عبدالله": ["Abdullah", "Abdallah", "Abdulla", "Abd Allah", "Abdellah"],
    "يوسف": ["Youssef", "Yusuf", "Yousef", "Yossef", "Yusef", "Jusuf"],
    "إبراهيم": ["Ibrahim", "Ebrahim", "Ibraheem", "Brahim"],
    "مصطفى": ["Mustafa", "Mostafa", "Moustafa", "Mustapha"],
    "حسين": ["Hussein", "Husein", "Hussain", "Husain", "Hossein", "Houssein"],
    "حسن": ["Hassan", "Hasan", "Hasen"],
    "علي": ["Ali", "Aly", "Alee"],
    "عمر": ["Omar", "Umar", "Omer"],
    "خالد": ["Khaled", "Khalid", "Chaled", "Haled"],
    "فاطمة": ["Fatima", "Fatma", "Fatimah", "Fatemah", "Fatuma"],
    "عائشة": ["Aisha", "Aicha", "Ayesha", "Aysha", "Aischa"],
    "خديجة": ["Khadija", "Khadidja", "Khadijah", "Hatice"],
    "زينب": ["Zainab", "Zeinab", "Zaynab", "Zeynep"],
    "مريم": ["Maryam", "Mariam", "Meriem", "Miriam"],
    "يحيى": ["Yahya", "Yehia", "Yahia"],
    "عثمان": ["Othman", "Osman", "Uthman", "Usman"],
    "صلاح الدين": ["Salahuddin", "Salah ad-Din", "Salaheddine", "Salah Eldin"],
    "الحسن": ["Al-Hassan", "Alhassan", "El Hassan"],
    "مروان": ["Marwan", "Marouane", "Marvan"],
    "وليد": ["Walid", "Waleed", "Oualid"],
    "قاسم": ["Qasim", "Kassem", "Qassim", "Kasim"],
    "حلب": ["Halab"],
    "الرقة": ["Raqqa", "Ar-Raqqah", "Rakka"],
    # Persian / Dari
    "فاطمه": ["Fatemeh", "Fatima", "Fatema"],
    "زهره": ["Zohreh", "Zohre", "Zuhra"],
    "غلام رضا": ["Gholamreza", "Gholam Reza", "Ghulam Reza", "Golamreza"],
    "حبیب الله": ["Habibullah", "Habib Ullah", "Habibollah", "Habibulla"],
    "کابل": ["Kabul", "Kabol"],
    "علیرضا": ["Alireza", "Ali Reza", "Aliriza"],
    "ذبیح‌الله": ["Zabihullah", "Zabiullah", "Zabihollah"],
    "کاظم": ["Kazem", "Kazim", "Kasem"],
    "عثمان غنی": ["Osman Ghani", "Usman Ghani", "Osman Gani"],
    "رمضانی": ["Ramazani", "Ramezani", "Ramazany"],
}


def _methods() -> dict[str, Callable[[str], str]]:
    methods: dict[str, Callable[[str], str]] = {"anyascii": anyascii}
    try:
        from unidecode import unidecode

        methods["unidecode"] = unidecode
    except ImportError:
        pass
    try:
        import icu

        any_latin = icu.Transliterator.createInstance("Any-Latin; Latin-ASCII")
        methods["icu Any-Latin"] = any_latin.transliterate
    except ImportError:
        pass
    methods["own tables (fold)"] = fold
    return methods


def key(text: str) -> str:
    """The joined skeletons of a name: what matching compares."""
    return "".join(skeleton(t) for t in name_tokens(text))


def keys(text: str) -> set[str]:
    """Every joined key of a name under the readings of each of its tokens."""
    options = [sorted(skeletons(t)) or [""] for t in name_tokens(text)]
    return {"".join(combo) for combo in itertools.product(*options)}


def evaluate() -> list[tuple[str, float, float, float, float, int]]:
    """(method, key=, key JW, fold JW, any=, pairs) for each available method."""
    rows = []
    for name, method in _methods().items():
        equal = meet = 0
        key_jw = fold_jw = 0.0
        pairs = 0
        for original, spellings in GOLD.items():
            rendered = method(original)
            rendered_key, rendered_fold = key(rendered), fold(rendered)
            rendered_keys = keys(rendered)
            for spelling in spellings:
                pairs += 1
                variant_key = key(spelling)
                equal += rendered_key == variant_key
                meet += bool(rendered_keys & keys(spelling))
                key_jw += JaroWinkler.normalized_similarity(rendered_key, variant_key)
                fold_jw += JaroWinkler.normalized_similarity(rendered_fold, fold(spelling))
        rows.append((name, equal / pairs, key_jw / pairs, fold_jw / pairs, meet / pairs, pairs))
    return rows


def collisions() -> tuple[int, int, list[list[str]]]:
    """(distinct formal names, distinct skeletons, the largest groups sharing one)."""
    with (DATA_DIR / "nicknames.csv").open(encoding="utf-8") as handle:
        rows = csv.DictReader(line for line in handle if not line.startswith("#"))
        names = {fold(row["name"]).replace(" ", "") for row in rows}
    groups: dict[str, list[str]] = defaultdict(list)
    for name in sorted(names):
        groups[key(name)].append(name)
    largest = sorted(groups.values(), key=len, reverse=True)[:8]
    return len(names), len(groups), largest


def main() -> None:
    print(f"{'method':<20} {'key=':>6} {'key JW':>7} {'fold JW':>8} {'any=':>6} {'pairs':>6}")
    for name, eq, kjw, fjw, meet, pairs in evaluate():
        print(f"{name:<20} {eq:>6.1%} {kjw:>7.3f} {fjw:>8.3f} {meet:>6.1%} {pairs:>6}")
    print("\nLatin spellings against each other (the ceiling a transliterator can reach):")
    equal = meet = pairs = 0
    for spellings in GOLD.values():
        for a, b in itertools.combinations(spellings, 2):
            pairs += 1
            equal += key(a) == key(b)
            meet += bool(keys(a) & keys(b))
    latin = f"{'latin vs latin':<20} {equal / pairs:>6.1%} {'':>7} {'':>8}"
    print(f"{latin} {meet / pairs:>6.1%} {pairs:>6}")
    n_names, n_keys, largest = collisions()
    print(f"\n{n_names} formal names in nicknames.csv share {n_keys} skeletons; largest groups:")
    for group in largest:
        print(f"  {key(group[0]):<10} {', '.join(group)}")


if __name__ == "__main__":
    main()
