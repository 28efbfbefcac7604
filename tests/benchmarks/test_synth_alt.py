"""The independent generator: its files keep the contract and its truth is consistent.

It is the second opinion on the matcher's accuracy, so a silent drift here (a column out of
order, a truth row naming a case that does not exist, a difficulty that never appears, a row
the importer refuses) would make that opinion worthless.
"""

from __future__ import annotations

import csv
import hashlib
import itertools
import json
import re
from collections import Counter
from pathlib import Path

import pytest
from contract_columns import CONTRACT_CASE_COLUMNS, CONTRACT_TRACE_COLUMNS

from benchmarks import synth_alt
from service import pipeline

LABELS = {
    "transliteration", "other_script", "nickname", "name_order", "estimated_age",
    "place_variant", "sibling_twin", "common_name", "duplicate", "unmatched",
}  # fmt: skip
N_CASES = 2000


def read_csv(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with path.open(encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        rows = list(reader)
        return list(reader.fieldnames or []), rows


def digest(paths: synth_alt.SynthPaths) -> dict[str, str]:
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in (paths.cases, paths.traces, paths.truth, paths.difficulty)
    }


@pytest.fixture(scope="module")
def csv_set(tmp_path_factory: pytest.TempPathFactory) -> synth_alt.SynthPaths:
    return synth_alt.generate(tmp_path_factory.mktemp("alt"), N_CASES, seed=5)


@pytest.fixture(scope="module")
def loaded(csv_set: synth_alt.SynthPaths) -> dict[str, object]:
    case_header, cases = read_csv(csv_set.cases)
    trace_header, traces = read_csv(csv_set.traces)
    _, truth = read_csv(csv_set.truth)
    diff_header, difficulty = read_csv(csv_set.difficulty)
    return {
        "case_header": case_header,
        "cases": cases,
        "trace_header": trace_header,
        "traces": traces,
        "truth": truth,
        "diff_header": diff_header,
        "difficulty": difficulty,
    }


def test_same_seed_same_bytes_other_seed_other_data(
    tmp_path: Path, csv_set: synth_alt.SynthPaths
) -> None:
    assert digest(synth_alt.generate(tmp_path / "again", N_CASES, seed=5)) == digest(csv_set)
    other = digest(synth_alt.generate(tmp_path / "other", N_CASES, seed=6))
    assert all(other[name] != mine for name, mine in digest(csv_set).items())


def test_headers_are_the_contract(loaded: dict, csv_set: synth_alt.SynthPaths) -> None:
    assert loaded["case_header"] == CONTRACT_CASE_COLUMNS
    assert loaded["trace_header"] == CONTRACT_TRACE_COLUMNS
    assert loaded["diff_header"] == ["trace_id", "difficulty"]
    assert csv_set.truth.read_text(encoding="utf-8").splitlines()[0] == "trace_id,case_id"


def test_sizes_and_unmatched_share(loaded: dict) -> None:
    traces = loaded["traces"]
    assert len(loaded["cases"]) == N_CASES
    assert 0.4 * N_CASES < len(traces) < 0.6 * N_CASES
    unmatched = sum(r["difficulty"] == "unmatched" for r in loaded["difficulty"])
    assert 0.12 * len(traces) < unmatched < 0.25 * len(traces)


def test_every_truth_id_exists_and_ids_are_unique(loaded: dict) -> None:
    case_ids = [r["case_id"] for r in loaded["cases"]]
    trace_ids = [r["trace_id"] for r in loaded["traces"]]
    assert len(set(case_ids)) == len(case_ids)
    assert len(set(trace_ids)) == len(trace_ids)
    pairs = [(r["trace_id"], r["case_id"]) for r in loaded["truth"]]
    assert len(set(pairs)) == len(pairs)
    assert {t for t, _ in pairs} <= set(trace_ids)
    assert {c for _, c in pairs} <= set(case_ids)


def test_truth_agrees_with_labels_and_is_proposable(loaded: dict) -> None:
    cases = {r["case_id"]: r for r in loaded["cases"]}
    traces = {r["trace_id"]: r for r in loaded["traces"]}
    true_cases = Counter(r["trace_id"] for r in loaded["truth"])
    for row in loaded["difficulty"]:
        n = true_cases[row["trace_id"]]
        expected = {"unmatched": 0, "duplicate": 2}.get(row["difficulty"], 1)
        assert n == expected, row
    for pair in loaded["truth"]:
        case, trace = cases[pair["case_id"]], traces[pair["trace_id"]]
        assert case["status"] in ("", "open") and case["consent_for_tracing"] != "false"
        assert trace["status"] in ("", "open")


def test_every_difficulty_label_is_present(loaded: dict) -> None:
    labels = Counter(r["difficulty"] for r in loaded["difficulty"])
    assert set(labels) == LABELS == set(synth_alt.DIFFICULTIES)
    assert sorted(r["trace_id"] for r in loaded["difficulty"]) == sorted(
        r["trace_id"] for r in loaded["traces"]
    )
    assert min(labels.values()) >= 20, labels


def test_ids_reveal_nothing(loaded: dict) -> None:
    """Opaque ids in shuffled files: neither the id nor the row order points at the truth."""
    traces = loaded["traces"]
    same_request = sum(a["request_id"] == b["request_id"] for a, b in itertools.pairwise(traces))
    assert same_request < 0.05 * len(traces)
    for pair in loaded["truth"]:
        assert pair["trace_id"][2:] != pair["case_id"][2:]


def test_scripts_and_cultures_are_mixed(loaded: dict) -> None:
    text = " ".join(r["given_name"] for r in loaded["cases"] + loaded["traces"])
    for script, block in [
        ("Cyrillic", "[\u0400-\u04ff]"),
        ("Arabic", "[\u0600-\u06ff]"),
        ("Ge'ez", "[\u1200-\u137f]"),
        ("Bengali", "[\u0980-\u09ff]"),
    ]:
        assert re.search(block, text), f"no {script} names"


def test_name_tables_keep_scripts_apart() -> None:
    """A Latin spelling with a stray Arabic letter would be a match nobody could explain."""
    world = synth_alt._world()
    tokens = [t for c in world.cultures for p in c.pools.values() for t in p.tokens]
    for tok in tokens + list(world.places.values()):
        for tag, forms in tok.forms.items():
            for form in forms:
                if tag in synth_alt.NATIVE_TAGS or tag in ("pmu", "pfu", "pmr", "pfr"):
                    assert synth_alt._is_native(form), (tok.key, tag, form)
                elif tag != "nick":
                    assert not synth_alt._is_native(form), (tok.key, tag, form)


def test_imports_cleanly(tmp_path: Path, csv_set: synth_alt.SynthPaths) -> None:
    store = pipeline.Store.open(f"sqlite:///{tmp_path / 'alt.db'}")
    cases = pipeline.import_file(store, "cases", csv_set.cases)
    traces = pipeline.import_file(store, "traces", csv_set.traces)
    assert cases.inserted == N_CASES
    assert traces.inserted == len(read_csv(csv_set.traces)[1])


def test_jsonl_imports_cleanly_too(tmp_path: Path) -> None:
    paths = synth_alt.generate(tmp_path / "j", 300, seed=2, fmt="jsonl")
    rows = [json.loads(x) for x in paths.cases.read_text(encoding="utf-8").splitlines()]
    assert len(rows) == 300 and all(set(r) <= set(CONTRACT_CASE_COLUMNS) for r in rows)
    store = pipeline.Store.open(f"sqlite:///{tmp_path / 'j.db'}")
    assert pipeline.import_file(store, "cases", paths.cases).inserted == 300
    pipeline.import_file(store, "traces", paths.traces)


def test_bad_arguments_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        synth_alt.generate(tmp_path, 0, seed=1)
    with pytest.raises(ValueError):
        synth_alt.generate(tmp_path, 10, seed=1, fmt="xml")  # type: ignore[arg-type]


def test_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "cli"
    assert synth_alt.main(["--cases", "200", "--seed", "4", "--out", str(out)]) == 0
    names = {p.name for p in out.iterdir()}
    assert names == {"cases.csv", "traces.csv", "truth.csv", "difficulty.csv"}
    assert "transliteration" in capsys.readouterr().out
