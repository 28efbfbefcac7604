"""The synthetic data generator: its files keep the contract and its truth is consistent.

Accuracy benchmarks and the demo stand on this data, so a silent drift here (a renamed
column, a truth row for a case that can never be proposed, a label that vanishes) would
corrupt every number measured downstream.
"""

from __future__ import annotations

import csv
import hashlib
import itertools
import json
import re
import time
from collections import Counter
from datetime import date
from pathlib import Path

import pytest
from contract_columns import CONTRACT_CASE_COLUMNS, CONTRACT_TRACE_COLUMNS, LABELS

from benchmarks import synth

RELATIONS = {"mother", "father", "sibling", "grandparent", "aunt_uncle", "other"}
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
N_CASES = 3000


def read_csv(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with path.open(encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        rows = list(reader)
        return list(reader.fieldnames or []), rows


def digest(paths: synth.SynthPaths) -> dict[str, str]:
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in (paths.cases, paths.traces, paths.truth, paths.difficulty)
    }


@pytest.fixture(scope="module")
def csv_set(tmp_path_factory: pytest.TempPathFactory) -> synth.SynthPaths:
    return synth.generate(tmp_path_factory.mktemp("csv"), N_CASES, seed=11)


@pytest.fixture(scope="module")
def loaded(csv_set: synth.SynthPaths) -> dict[str, object]:
    case_header, cases = read_csv(csv_set.cases)
    trace_header, traces = read_csv(csv_set.traces)
    truth_header, truth = read_csv(csv_set.truth)
    diff_header, difficulty = read_csv(csv_set.difficulty)
    return {
        "case_header": case_header,
        "cases": cases,
        "trace_header": trace_header,
        "traces": traces,
        "truth_header": truth_header,
        "truth": truth,
        "diff_header": diff_header,
        "difficulty": difficulty,
    }


def test_same_seed_gives_byte_identical_files(tmp_path: Path, csv_set: synth.SynthPaths) -> None:
    again = synth.generate(tmp_path / "again", N_CASES, seed=11)
    assert digest(again) == digest(csv_set)


def test_another_seed_gives_other_data(tmp_path: Path, csv_set: synth.SynthPaths) -> None:
    other = digest(synth.generate(tmp_path / "other", N_CASES, seed=12))
    mine = digest(csv_set)
    assert all(other[name] != mine[name] for name in mine)


def test_headers_are_the_contract(loaded: dict) -> None:
    assert loaded["case_header"] == CONTRACT_CASE_COLUMNS
    assert loaded["trace_header"] == CONTRACT_TRACE_COLUMNS
    assert list(synth.CASE_COLUMNS) == CONTRACT_CASE_COLUMNS
    assert list(synth.TRACE_COLUMNS) == CONTRACT_TRACE_COLUMNS
    assert loaded["diff_header"] == ["trace_id", "difficulty"]


def test_truth_header_is_exact(csv_set: synth.SynthPaths) -> None:
    assert csv_set.truth.read_text(encoding="utf-8").splitlines()[0] == "trace_id,case_id"


def test_exactly_n_cases_and_about_half_as_many_traces(loaded: dict) -> None:
    assert len(loaded["cases"]) == N_CASES
    assert 0.4 * N_CASES < len(loaded["traces"]) < 0.6 * N_CASES


def test_ids_are_unique_and_truth_refers_to_them(loaded: dict) -> None:
    case_ids = [r["case_id"] for r in loaded["cases"]]
    trace_ids = [r["trace_id"] for r in loaded["traces"]]
    assert len(set(case_ids)) == len(case_ids)
    assert len(set(trace_ids)) == len(trace_ids)
    pairs = [(r["trace_id"], r["case_id"]) for r in loaded["truth"]]
    assert len(set(pairs)) == len(pairs)
    assert {t for t, _ in pairs} <= set(trace_ids)
    assert {c for _, c in pairs} <= set(case_ids)


def test_every_trace_has_exactly_one_known_difficulty(loaded: dict) -> None:
    labels = [r["trace_id"] for r in loaded["difficulty"]]
    assert sorted(labels) == sorted(r["trace_id"] for r in loaded["traces"])
    assert {r["difficulty"] for r in loaded["difficulty"]} <= LABELS
    assert set(synth.DIFFICULTIES) == LABELS


def test_truth_agrees_with_difficulty(loaded: dict) -> None:
    label = {r["trace_id"]: r["difficulty"] for r in loaded["difficulty"]}
    true_cases = Counter(r["trace_id"] for r in loaded["truth"])
    for trace_id, lab in label.items():
        if lab == "unmatched":
            assert true_cases[trace_id] == 0, trace_id
        elif lab == "duplicate":
            assert true_cases[trace_id] == 2, trace_id  # one child, registered twice
        else:
            assert true_cases[trace_id] == 1, (trace_id, lab)


def test_truth_only_holds_pairs_that_can_be_proposed(loaded: dict) -> None:
    cases = {r["case_id"]: r for r in loaded["cases"]}
    traces = {r["trace_id"]: r for r in loaded["traces"]}
    for pair in loaded["truth"]:
        case, trace = cases[pair["case_id"]], traces[pair["trace_id"]]
        assert case["status"] in ("", "open")
        assert case["consent_for_tracing"] != "false"
        assert trace["status"] in ("", "open")
    # the not-proposable records exist, they are just never in the truth
    assert any(r["status"] in ("closed", "reunified") for r in loaded["cases"])
    assert any(r["consent_for_tracing"] == "false" for r in loaded["cases"])


def test_unmatched_records_exist_on_both_sides(loaded: dict) -> None:
    matched_cases = {r["case_id"] for r in loaded["truth"]}
    unmatched_cases = sum(r["case_id"] not in matched_cases for r in loaded["cases"])
    assert unmatched_cases > 0.2 * len(loaded["cases"])
    unmatched_traces = sum(r["difficulty"] == "unmatched" for r in loaded["difficulty"])
    assert 0.08 * len(loaded["traces"]) < unmatched_traces < 0.25 * len(loaded["traces"])


def test_other_scripts_appear(loaded: dict) -> None:
    text = " ".join(
        r["given_name"] + " " + r["family_name"] for r in loaded["cases"] + loaded["traces"]
    )
    assert re.search("[\u0400-\u04ff]", text), "no Cyrillic"
    assert re.search("[\u0600-\u06ff]", text), "no Arabic script"


def test_field_values_keep_the_contract(loaded: dict) -> None:
    for r in loaded["cases"]:
        assert r["given_name"] or r["family_name"]
        assert ISO_DATE.match(r["registration_date"])
        for key in ("date_of_birth", "separation_date"):
            assert not r[key] or ISO_DATE.match(r[key])
        assert r["age"] == "" or 0 <= int(r["age"]) <= 17
        assert r["sex"].lower() in ("", "male", "female", "unknown", "m", "f", "u")
        assert r["age_estimated"] in ("", "true", "false")
        assert r["consent_for_tracing"] in ("", "true", "false")
        assert r["status"] in ("", "open", "closed", "reunified")
        if r["date_of_birth"]:
            assert r["date_of_birth"] <= r["registration_date"]
        if r["separation_date"]:
            assert r["separation_date"] <= r["registration_date"]
        for ident in filter(None, r["identifiers"].split("|")):
            assert ":" in ident
    for r in loaded["traces"]:
        assert ISO_DATE.match(r["inquiry_date"])
        assert r["inquirer_relation"] in RELATIONS
        assert r["request_id"]
        assert r["age"] == "" or int(r["age"]) >= 0


def test_ages_are_whole_years_at_each_records_date(loaded: dict) -> None:
    def years(born: str, at: str) -> int:
        b, a = date.fromisoformat(born), date.fromisoformat(at)
        return a.year - b.year - ((a.month, a.day) < (b.month, b.day))

    for r in loaded["cases"]:
        if r["date_of_birth"] and r["age"] and r["age_estimated"] != "true":
            assert int(r["age"]) == years(r["date_of_birth"], r["registration_date"])
    for r in loaded["traces"]:
        if r["date_of_birth"] and r["age"] and r["age_estimated"] != "true":
            assert int(r["age"]) == years(r["date_of_birth"], r["inquiry_date"])


def test_a_parent_inquirer_is_named_as_that_parent(loaded: dict) -> None:
    parent_traces = [r for r in loaded["traces"] if r["inquirer_relation"] in ("mother", "father")]
    same = sum(r["inquirer_name"] == r[f"{r['inquirer_relation']}_name"] for r in parent_traces)
    assert same > 0.6 * len(parent_traces)


def test_siblings_share_a_request(loaded: dict) -> None:
    per_request = Counter(r["request_id"] for r in loaded["traces"])
    assert max(per_request.values()) >= 3
    inquirers: dict[str, set[str]] = {}
    for r in loaded["traces"]:
        inquirers.setdefault(r["request_id"], set()).add(r["inquirer_name"])
    assert all(len(names) == 1 for names in inquirers.values())


def test_file_order_does_not_group_families(loaded: dict) -> None:
    traces = loaded["traces"]
    adjacent = sum(a["request_id"] == b["request_id"] for a, b in itertools.pairwise(traces))
    assert adjacent < 0.05 * len(traces)


def test_jsonl_parses_with_the_same_keys(tmp_path: Path) -> None:
    paths = synth.generate(tmp_path, 800, seed=5, fmt="jsonl")
    assert paths.cases.suffix == paths.traces.suffix == ".jsonl"
    cases = [json.loads(line) for line in paths.cases.read_text(encoding="utf-8").splitlines()]
    traces = [json.loads(line) for line in paths.traces.read_text(encoding="utf-8").splitlines()]
    assert len(cases) == 800
    assert all(set(r) <= set(CONTRACT_CASE_COLUMNS) for r in cases)
    assert all(set(r) <= set(CONTRACT_TRACE_COLUMNS) for r in traces)
    assert all(r["case_id"] and r["registration_date"] for r in cases)
    assert all(r["trace_id"] and r["inquiry_date"] for r in traces)
    assert all(v != "" for r in cases + traces for v in r.values())
    assert all(isinstance(r["age"], int) for r in cases if "age" in r)
    assert all(
        isinstance(r["consent_for_tracing"], bool) for r in cases if "consent_for_tracing" in r
    )
    _, truth = read_csv(paths.truth)
    case_ids, trace_ids = {r["case_id"] for r in cases}, {r["trace_id"] for r in traces}
    assert all(t["case_id"] in case_ids and t["trace_id"] in trace_ids for t in truth)


def test_csv_and_jsonl_hold_the_same_records(tmp_path: Path) -> None:
    as_csv = synth.generate(tmp_path / "c", 500, seed=9)
    as_jsonl = synth.generate(tmp_path / "j", 500, seed=9, fmt="jsonl")
    _, rows = read_csv(as_csv.cases)
    from_jsonl = {
        (r := json.loads(line))["case_id"]: r
        for line in as_jsonl.cases.read_text(encoding="utf-8").splitlines()
    }
    for row in rows:
        other = from_jsonl[row["case_id"]]
        for key, value in row.items():
            expected = other.get(key, "")
            if isinstance(expected, bool):
                expected = "true" if expected else "false"
            assert value == str(expected), (key, value, expected)
    assert as_csv.truth.read_bytes() == as_jsonl.truth.read_bytes()


def test_every_difficulty_is_well_represented(tmp_path: Path) -> None:
    _, stats = synth.generate_with_stats(tmp_path, 20_000, seed=3)
    for label in LABELS:
        assert stats.difficulty[label] >= 0.05 * stats.traces, (label, stats.difficulty)


def test_cli_writes_the_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "cli"
    code = synth.main(["--cases", "200", "--seed", "4", "--out", str(out), "--format", "csv"])
    assert code == 0
    assert {p.name for p in out.iterdir()} == {
        "cases.csv",
        "traces.csv",
        "truth.csv",
        "difficulty.csv",
    }
    assert "transliteration" in capsys.readouterr().out


def test_bad_arguments_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        synth.generate(tmp_path, 0, seed=1)
    with pytest.raises(ValueError):
        synth.generate(tmp_path, 10, seed=1, fmt="xml")  # type: ignore[arg-type]


def test_name_tables_keep_scripts_apart() -> None:
    """A Latin form with a stray Cyrillic letter would look like a match nobody can explain."""
    latin_letter = re.compile("[A-Za-z]")
    for culture in synth._load_cultures():
        pools = [culture.male, culture.female, culture.family]
        for pool in filter(None, pools):
            for name in pool.items:
                assert name.latin, culture.key
                for form in name.latin:
                    assert not synth._is_script(form), (culture.key, form)
                for form in name.script:
                    assert not latin_letter.search(form), (culture.key, form)


@pytest.mark.benchmark
def test_speed_100k(tmp_path: Path) -> None:
    """Generation speed: run with ``pytest -m benchmark``."""
    started = time.perf_counter()
    _, stats = synth.generate_with_stats(tmp_path, 100_000, seed=1)
    seconds = time.perf_counter() - started
    print(f"100k cases, {stats.traces:,} traces in {seconds:.1f} s")
    assert seconds < 60
