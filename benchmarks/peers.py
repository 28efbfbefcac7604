"""Peer benchmark: Splink (DuckDB) beside ftr-match on the same generated dev data.

    python -m benchmarks.peers --cases 20000 --seed 1234

A figure means little without a reference. This runs our pipeline exactly as the CLI
does (import, full re-score, export of the contract's matches file) and Splink, the
best-known open probabilistic linker, on the same cases and traces and the same
fields, then scores both with `benchmarks.evaluate` (recall@1/@10, MRR, precision and
recall of `likely`, false `likely` on traces with no true case), overall and per
difficulty, with wall time and peak memory of each.

Splink gets the setup a careful user would give it, not a strawman: text folded to
Latin with the same `anyascii` we use (Splink compares strings as given, so Cyrillic or
Arabic script against a Latin spelling would otherwise never agree); Jaro-Winkler name
levels with phonetic codes and term-frequency adjustment; an alias-aware comparison of
all name tokens; birth as a date or as an age-derived estimate; both parents' names in
one comparison; places; shared identifiers. u comes from random sampling, m from EM on
two blocking rules, and predictions from fifteen blocking rules (names, phonetic keys,
prefixes, name tokens, birth, parents, places, identifiers). Of six configurations
tried, this one ranked best; the choice used the labels, which only favours Splink.
Each trace's candidates are ranked by match probability (top 10); `likely` is a
probability of at least 0.9 (a second row: 0.5; a third: 0.9 and rank 1 only, the
one-to-one reading), the rest of the top 10 `possible`.

Each system runs in a fresh process, so its peak RSS (`getrusage`) is its own.
The helpers here (process isolation, the machine header, Splink's linker across its
4.x and 5.x APIs, ranking Splink's predictions) are shared with `benchmarks.febrl`.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import inspect
import logging
import multiprocessing
import os
import platform
import re
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.evaluate import Report, evaluate, format_table, read_ids, read_pairs

RESULTS = Path(__file__).parent / "results"
TOP_K = 10  # the contract's "at most the best 10 cases for each trace"

# --- running a system in its own process ----------------------------------------------


@dataclass
class Ranked:
    """What one system proposed: per trace its best cases, ranked, with a score.

    `likelihood` is the system's own decision when it has one (ours); for a peer it
    is empty and `labelled` derives it from the score at a chosen threshold.
    """

    system: str
    rows: list[tuple[str, str, int, float, str]]  # trace_id, case_id, rank, score, likelihood
    seconds: float
    peak_rss_mib: float = float("nan")
    stages: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def _peak_rss_mib() -> float:
    # ru_maxrss is KiB on Linux
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _in_child(fn: Callable[..., Ranked], args: tuple[Any, ...]) -> Ranked:
    result = fn(*args)
    result.peak_rss_mib = _peak_rss_mib()
    return result


def isolated(fn: Callable[..., Ranked], *args: Any) -> Ranked:
    """Run `fn(*args)` in a fresh spawned process and return its result and peak RSS.

    ru_maxrss only ever grows, so measuring two systems in one process would charge
    the second with the first's peak; a spawned child starts from a bare interpreter.
    """
    context = multiprocessing.get_context("spawn")
    with context.Pool(1, maxtasksperchild=1) as pool:
        return pool.apply(_in_child, (fn, args))


def labelled(
    ranked: Ranked, likely_at: float | None = None, *, rank_one_only: bool = False
) -> list[dict[str, str]]:
    """Rows for `benchmarks.evaluate`: the system's own likelihood, or `likely` from a
    score threshold; `rank_one_only` keeps `likely` for each trace's best case only
    (the one-to-one reading: a trace seeks one child)."""
    out = []
    for trace_id, case_id, rank, score, own in ranked.rows:
        if likely_at is None:
            likelihood = own
        else:
            likelihood = "likely" if score >= likely_at else "possible"
        if rank_one_only and rank != 1 and likelihood == "likely":
            likelihood = "possible"
        out.append(
            {"trace_id": trace_id, "case_id": case_id, "rank": str(rank), "likelihood": likelihood}
        )
    return out


def read_matches(path: Path) -> list[tuple[str, str, int, float, str]]:
    """The contract's matches file as rows of `Ranked`."""
    with open(path, newline="", encoding="utf-8") as handle:
        return [
            (r["trace_id"], r["case_id"], int(r["rank"]), float(r["score"]), r["likelihood"])
            for r in csv.DictReader(handle)
        ]


def run_ours(cases: Path, traces: Path, work: Path) -> Ranked:
    """Our pipeline exactly as `ftr import cases/traces`, `ftr rescore`, `ftr export matches`."""
    from service import pipeline

    started = time.perf_counter()
    store = pipeline.Store.open(f"sqlite:///{work / 'ftr.db'}")
    pipeline.import_file(store, "cases", cases)
    pipeline.import_file(store, "traces", traces)
    imported = time.perf_counter()
    summary = pipeline.rescore(store, full=True)
    scored = time.perf_counter()
    matches = work / "matches.csv"
    pipeline.export_matches(store, matches)
    done = time.perf_counter()
    store.engine.dispose()
    return Ranked(
        "ftr-match",
        read_matches(matches),
        done - started,
        stages={
            "import": imported - started,
            "rescore": scored - imported,
            "export": done - scored,
        },
        notes=[f"model prior {summary.model.get('prior', 0):.5f}, {summary.likely} likely pairs"],
    )


# --- Splink, across its 4.x and 5.x APIs ----------------------------------------------


def splink_linker(frames: Mapping[str, Any], settings: Any) -> Any:
    """A DuckDB-backed Linker over named input tables (the name becomes `source_dataset`).

    Splink 5 registers each table with the backend first; Splink 4 takes the tables
    and the backend together. Both are supported so the bench extra need not pin one.
    """
    from splink import DuckDBAPI, Linker

    logging.getLogger("splink").setLevel(logging.WARNING)
    db_api = DuckDBAPI()
    if "db_api" in inspect.signature(Linker).parameters:  # Splink 4
        return Linker(
            list(frames.values()), settings, db_api=db_api, input_table_aliases=list(frames)
        )
    tables = [db_api.register(table, dataset_display_name=name) for name, table in frames.items()]
    return Linker(tables, settings, log_level=logging.WARNING)


def splink_top_k(predictions: Any, k: int = TOP_K) -> list[tuple[str, str, int, float, str]]:
    """Each trace's k most probable cases from Splink's pairwise predictions.

    The input tables are named `cases` and `traces`; which one Splink puts on the left
    of a pair is its business, so both orientations are read. (Ranked in pandas, not
    SQL: Splink 4's result tables cannot be queried in place as Splink 5's can.)
    """
    table = predictions.as_pandas_dataframe()
    left_is_trace = table["source_dataset_l"] == "traces"
    table = table.assign(
        trace_id=table["unique_id_l"].where(left_is_trace, table["unique_id_r"]).astype(str),
        case_id=table["unique_id_r"].where(left_is_trace, table["unique_id_l"]).astype(str),
    )
    table = table.sort_values(
        ["trace_id", "match_probability", "case_id"], ascending=[True, False, True]
    )
    table["rank"] = table.groupby("trace_id").cumcount() + 1
    table = table[table["rank"] <= k]
    return [
        (t, c, int(r), float(p), "")
        for t, c, r, p in zip(
            table["trace_id"],
            table["case_id"],
            table["rank"],
            table["match_probability"],
            strict=True,
        )
    ]


# --- the contract's records prepared for Splink -----------------------------------------

_NOT_WORD = re.compile(r"[^a-z0-9]+")
_DIGITS = re.compile(r"\D+")


def clean(text: str | None) -> str | None:
    """Latin, lowercase, words separated by one space: what Splink's string levels need."""
    from anyascii import anyascii

    if not text:
        return None
    folded = _NOT_WORD.sub(" ", anyascii(text).lower()).strip()
    return folded or None


def _split(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split("|") if part.strip()]


def _phonetic(name: str | None) -> list[str] | None:
    """Metaphone and NYSIIS of a name's words, for Splink's phonetic name level.

    Particles (al, el, de, ...) are skipped: every "al ..." family would share them."""
    import jellyfish

    words = [w for w in (name or "").split() if len(w) > 2] or (name or "").split()
    codes = {code for w in words for code in (jellyfish.metaphone(w), jellyfish.nysiis(w))}
    return sorted(code for code in codes if code) or None


def _place(path: str | None) -> tuple[str | None, list[str] | None]:
    """A location path as (finest level, every level), each cleaned."""
    levels = [c for c in (clean(level) for level in (path or "").split(">")) if c]
    return (levels[-1], levels) if levels else (None, None)


def _identifiers(value: str | None) -> list[str] | None:
    """Identifier values without kind or punctuation: a phone written two ways agrees."""
    out = set()
    for part in _split(value):
        _, _, raw = part.partition(":")
        raw = raw or part
        digits = _DIGITS.sub("", raw)
        token = digits[-9:] if len(digits) >= 5 else (clean(raw) or "").replace(" ", "")
        if len(token) >= 4:
            out.add(token)
    return sorted(out) or None


def _birth(dob: str | None, age: str | None, on: str | None) -> tuple[str | None, str | None]:
    """(date of birth, birth estimate): the date itself, or mid-year of the age at `on`."""
    try:
        born = dt.date.fromisoformat(dob) if dob else None
    except ValueError:
        born = None
    if born is not None:
        return born.isoformat(), born.isoformat()
    try:
        years = float(age) if age else None
        ref = dt.date.fromisoformat(on) if on else None
    except ValueError:
        return None, None
    if years is None or ref is None:
        return None, None
    estimate = ref - dt.timedelta(days=round((years + 0.5) * 365.25))
    return None, estimate.isoformat()


def _open(record: Mapping[str, str], is_case: bool) -> bool:
    status = (record.get("status") or "open").strip().lower()
    consent = (record.get("consent_for_tracing") or "").strip().lower() if is_case else ""
    return status == "open" and consent not in ("false", "f", "no", "n", "0")


def synth_frame(path: Path, is_case: bool) -> Any:
    """Contract records (CSV) as a pyarrow table in the columns the Splink model compares.

    Records that can never be proposed (closed, or without consent) are left out, as
    our pipeline leaves them out. The caregiver and a non-parent inquirer are not
    compared: as a third name comparison they only added weight that siblings share.
    """
    import jellyfish
    import pyarrow as pa

    schema = synth_schema()
    rows: dict[str, list[Any]] = {name: [] for name in schema.names}
    with open(path, newline="", encoding="utf-8") as handle:
        for record in csv.DictReader(handle):
            if not _open(record, is_case):
                continue
            given, family = clean(record.get("given_name")), clean(record.get("family_name"))
            tokens = []
            for text in [record.get("given_name"), record.get("family_name")] + _split(
                record.get("other_names")
            ):
                tokens.extend((clean(text) or "").split())
            mother, father = clean(record.get("mother_name")), clean(record.get("father_name"))
            if not is_case:
                # a parent who asks is the child's mother or father, as our encoder reads it
                relation = (record.get("inquirer_relation") or "").strip().lower()
                inquirer = clean(record.get("inquirer_name"))
                if relation == "mother":
                    mother = mother or inquirer
                elif relation == "father":
                    father = father or inquirer
            date_key = "registration_date" if is_case else "inquiry_date"
            dob, estimate = _birth(
                record.get("date_of_birth"), record.get("age"), record.get(date_key)
            )
            origin_town, origin_levels = _place(record.get("place_of_origin"))
            sep_town, sep_levels = _place(record.get("separation_place"))
            sex = (record.get("sex") or "").strip().lower()[:1]
            background = sorted(
                {
                    c
                    for v in _split(record.get("language"))
                    + _split(record.get("nationality"))
                    + _split(record.get("ethnicity"))
                    if (c := clean(v))
                }
            )
            values = {
                "unique_id": record["case_id" if is_case else "trace_id"],
                "given_name": given,
                "family_name": family,
                "given_phonetic": _phonetic(given),
                "family_phonetic": _phonetic(family),
                "given_key": jellyfish.metaphone(given.split()[0]) if given else None,
                "family_key": jellyfish.metaphone(family.split()[-1]) if family else None,
                "name_tokens": sorted(set(tokens)) or None,
                "sex": sex if sex in ("f", "m") else None,
                "dob": dob,
                "birth_estimate": estimate,
                "birth_year": estimate[:4] if estimate else None,
                "mother_name": mother,
                "father_name": father,
                "origin_town": origin_town,
                "origin_levels": origin_levels,
                "separation_town": sep_town,
                "separation_levels": sep_levels,
                "identifiers": _identifiers(record.get("identifiers")),
                "background": background or None,
            }
            for name, value in values.items():
                rows[name].append(value)
    return pa.table(rows, schema=schema)


def synth_schema() -> Any:
    """Column types of `synth_frame`'s table (lists stay lists for array levels)."""
    import pyarrow as pa

    text, texts = pa.string(), pa.list_(pa.string())
    lists = {
        "given_phonetic",
        "family_phonetic",
        "name_tokens",
        "origin_levels",
        "separation_levels",
        "identifiers",
        "background",
    }
    names = (
        "unique_id given_name family_name given_phonetic family_phonetic given_key family_key "
        "name_tokens sex dob birth_estimate birth_year mother_name father_name "
        "origin_town origin_levels separation_town separation_levels identifiers background"
    ).split()
    return pa.schema([(n, texts if n in lists else text) for n in names])


def synth_settings() -> Any:
    """The Splink model for FTR records (see the module docstring for why each part)."""
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl
    from splink import SettingsCreator

    def place(prefix: str) -> Any:
        return cl.CustomComparison(
            output_column_name=prefix,
            comparison_levels=[
                cll.NullLevel(f"{prefix}_town"),
                cll.JaroWinklerLevel(f"{prefix}_town", 0.9).configure(label_for_charts="same town"),
                cll.ArrayIntersectLevel(f"{prefix}_levels", 1).configure(
                    label_for_charts="a coarser level in common"
                ),
                cll.ElseLevel(),
            ],
        )

    def within(years: int) -> Any:
        return cll.AbsoluteDateDifferenceLevel(
            "birth_estimate", input_is_string=True, threshold=years, metric="year"
        ).configure(label_for_charts=f"birth within {years} years")

    birth = cl.CustomComparison(
        output_column_name="birth",
        comparison_levels=[
            cll.NullLevel("birth_estimate"),
            cll.ExactMatchLevel("dob").configure(label_for_charts="same date of birth"),
            within(1),
            within(2),
            within(4),
            cll.ElseLevel(),
        ],
    )

    def jw(column: str, threshold: float) -> Any:
        return cll.JaroWinklerLevel(column, threshold)

    # One comparison for both parents: as two, a brother's shared mother and father
    # would count twice (tried both ways; one comparison ranks better).
    parents = cl.CustomComparison(
        output_column_name="parents",
        comparison_levels=[
            cll.And(cll.NullLevel("mother_name"), cll.NullLevel("father_name")),
            cll.And(jw("mother_name", 0.92), jw("father_name", 0.92)).configure(
                label_for_charts="both parents"
            ),
            cll.Or(jw("mother_name", 0.92), jw("father_name", 0.92)).configure(
                label_for_charts="one parent"
            ),
            cll.Or(jw("mother_name", 0.7), jw("father_name", 0.7)).configure(
                label_for_charts="a parent, loosely"
            ),
            cll.ElseLevel(),
        ],
    )
    return SettingsCreator(
        link_type="link_only",
        unique_id_column_name="unique_id",
        comparisons=[
            cl.NameComparison("given_name", dmeta_col_name="given_phonetic").configure(
                term_frequency_adjustments=True
            ),
            cl.NameComparison("family_name", dmeta_col_name="family_phonetic").configure(
                term_frequency_adjustments=True
            ),
            # aliases, other scripts, swapped or partial name fields
            cl.ArrayIntersectAtSizes("name_tokens", [2, 1]),
            birth,
            cl.ExactMatch("sex"),
            parents,
            place("origin"),
            place("separation"),
            cl.ArrayIntersectAtSizes("identifiers", [1]),
            cl.ArrayIntersectAtSizes("background", [1]),
        ],
        blocking_rules_to_generate_predictions=synth_blocking(),
        retain_intermediate_calculation_columns=False,
        retain_matching_columns=False,
    )


def synth_blocking() -> list[Any]:
    """Prediction blocking: a true pair need satisfy only one rule, so each rule covers
    a way names go wrong (spelling, order, script) with something else that holds."""
    from splink import block_on

    return [
        block_on("given_name", "family_name"),
        "l.given_name = r.family_name and l.family_name = r.given_name",
        block_on("given_key", "family_key"),
        block_on("given_key", "birth_year"),
        block_on("family_key", "birth_year"),
        block_on("substr(given_name, 1, 3)", "substr(family_name, 1, 3)"),
        block_on("dob"),
        block_on("mother_name"),
        block_on("father_name"),
        block_on("family_key", "substr(mother_name, 1, 3)"),
        block_on("origin_town", "given_key"),
        block_on("origin_town", "birth_year"),
        block_on("identifiers", arrays_to_explode=["identifiers"]),
        # any one name token (an alias, a name in another script, a swapped field)
        block_on("name_tokens", "birth_year", arrays_to_explode=["name_tokens"]),
        block_on("name_tokens", "origin_town", arrays_to_explode=["name_tokens"]),
    ]


def run_splink_synth(cases: Path, traces: Path) -> Ranked:
    """Splink trained without labels on the generated data, then each trace's top 10."""
    from splink import block_on

    started = time.perf_counter()
    frames = {"cases": synth_frame(cases, True), "traces": synth_frame(traces, False)}
    prepared = time.perf_counter()
    linker = splink_linker(frames, synth_settings())
    linker.training.estimate_probability_two_random_records_match(
        [
            block_on("given_name", "family_name", "dob"),
            block_on("given_name", "family_name", "mother_name"),
        ],
        recall=0.6,
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=1e7, seed=1)
    # EM blocked on the same mother and a like-sounding given name trains birth, sex,
    # places and names-other-than-given; blocked on date of birth, the names. (Blocked
    # on given and family name instead, EM learns siblings as matches: r@1 0.816.)
    for rule in (block_on("given_key", "mother_name"), block_on("dob")):
        linker.training.estimate_parameters_using_expectation_maximisation(
            rule, estimate_without_term_frequencies=True
        )
    trained = time.perf_counter()
    predictions = linker.inference.predict(threshold_match_probability=0.001)
    rows = splink_top_k(predictions)
    done = time.perf_counter()
    return Ranked(
        "splink",
        rows,
        done - started,
        stages={
            "prepare": prepared - started,
            "train": trained - prepared,
            "predict": done - trained,
        },
    )


# --- reporting ---------------------------------------------------------------------------


def machine_header(command: str) -> str:
    """Command, date and machine, so a figure can be reproduced and compared."""
    uname = subprocess.run(["uname", "-a"], capture_output=True, text=True).stdout.strip()
    versions = []
    for package in ("splink", "duckdb", "recordlinkage", "pandas", "numpy"):
        try:
            from importlib.metadata import version

            versions.append(f"{package} {version(package)}")
        except Exception:  # not installed: say so rather than fail the report
            versions.append(f"{package} -")
    return "\n".join(
        [
            f"command: {command}",
            f"date: {dt.datetime.now(dt.UTC).strftime('%Y-%m-%d %H:%M UTC')}",
            f"machine: {uname}",
            f"nproc: {len(os.sched_getaffinity(0))}  python {platform.python_version()}  "
            # other work on the machine slows every system; say how much there was
            f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}",
            f"versions: {', '.join(versions)}",
            f"matcher source sha256 (matching/, scoring/): {matcher_fingerprint()}",
        ]
    )


def matcher_fingerprint() -> str:
    """A digest of the matcher's source: the figures belong to this code, commit or not."""
    import hashlib

    root = Path(__file__).resolve().parent.parent
    digest = hashlib.sha256()
    for path in sorted([*root.glob("matching/*.py"), *root.glob("scoring/*.py")]):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def side_by_side(rows: Sequence[tuple[str, Report, Ranked]]) -> str:
    """One line per system and variant: rank metrics, `likely` metrics, time, memory."""
    header = (
        f"{'system':<34}{'r@1':>8}{'r@10':>8}{'MRR':>8}{'lk prec':>9}{'lk rec':>8}"
        f"{'lk F1':>8}{'false lk':>9}{'wall s':>8}{'peak MiB':>9}"
    )
    lines = [header, "-" * len(header)]
    for name, report, ranked in rows:
        o = report.overall
        p, r = o.likely_precision, o.likely_recall
        f1 = 2 * p * r / (p + r) if p + r > 0 else float("nan")
        lines.append(
            f"{name:<34}{o.recall1:>8.4f}{o.recall10:>8.4f}{o.mrr:>8.4f}{p:>9.4f}{r:>8.4f}"
            f"{f1:>8.4f}{o.false_likely_rate:>9.4f}{ranked.seconds:>8.1f}"
            f"{ranked.peak_rss_mib:>9.0f}"
        )
    return "\n".join(lines)


def stage_lines(results: Iterable[Ranked]) -> list[str]:
    lines = []
    for r in results:
        stages = ", ".join(f"{k} {v:.1f} s" for k, v in r.stages.items())
        lines.append(f"{r.system}: {r.seconds:.1f} s ({stages}); peak RSS {r.peak_rss_mib:.0f} MiB")
        lines.extend(f"  {note}" for note in r.notes)
    return lines


def run(cases: int, seed: int, work: Path, out: Path | None, command: str) -> str:
    from benchmarks.synth import generate

    paths = generate(work / "data", n_cases=cases, seed=seed)
    truth = read_pairs(paths.truth)
    trace_ids = read_ids(paths.traces, "trace_id")
    with open(paths.difficulty, newline="", encoding="utf-8") as handle:
        labels = {r["trace_id"]: r["difficulty"] for r in csv.DictReader(handle)}
    fingerprint = matcher_fingerprint()
    (work / "ours").mkdir()
    ours = isolated(run_ours, paths.cases, paths.traces, work / "ours")
    print(f"ftr-match done in {ours.seconds:.1f} s", flush=True)
    splink = isolated(run_splink_synth, paths.cases, paths.traces)
    print(f"splink done in {splink.seconds:.1f} s", flush=True)
    variants = [
        ("ftr-match (own likely)", evaluate(labelled(ours), truth, trace_ids, labels), ours),
        (
            "splink (likely = p >= 0.9)",
            evaluate(labelled(splink, 0.9), truth, trace_ids, labels),
            splink,
        ),
        (
            "splink (likely = p >= 0.5)",
            evaluate(labelled(splink, 0.5), truth, trace_ids, labels),
            splink,
        ),
        (
            "splink (p >= 0.9, rank 1 only)",
            evaluate(labelled(splink, 0.9, rank_one_only=True), truth, trace_ids, labels),
            splink,
        ),
    ]
    parts = [
        machine_header(command),
        "",
        f"data: benchmarks.synth {cases} cases, seed {seed}: {len(trace_ids)} traces, "
        f"{sum(len(v) for v in truth.values())} true pairs",
        "",
        side_by_side(variants),
        "",
        *stage_lines([ours, splink]),
    ]
    for name, report, _ in variants:
        parts += ["", format_table(report, title=f"{name}, per difficulty")]
    if matcher_fingerprint() != fingerprint:
        parts.insert(1, "WARNING: the matcher's source changed during this run; rerun it")
    text = "\n".join(parts)
    print(text)
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(
            f"# Peers on generated data ({cases} cases, seed {seed})\n\n```\n{text}\n```\n"
        )
    return text


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=20000)
    parser.add_argument("--seed", type=int, default=1234)
    parser.add_argument("--work", type=Path, default=None, help="keep files here")
    parser.add_argument(
        "--out", type=Path, default=None, help="results file (default results/peers-<N>k.md)"
    )
    args = parser.parse_args(argv)
    out = args.out or RESULTS / f"peers-{args.cases // 1000}k.md"
    command = "python -m benchmarks.peers " + " ".join(sys.argv[1:] if argv is None else argv)
    if args.work:
        args.work.mkdir(parents=True, exist_ok=True)
        run(args.cases, args.seed, args.work, out, command)
    else:
        with tempfile.TemporaryDirectory(prefix="ftr-peers-") as tmp:
            run(args.cases, args.seed, Path(tmp), out, command)


if __name__ == "__main__":
    main()
