"""The field-habits generator keeps the contract and its truth stays consistent.

It is a check of generalisation, so a silent drift (a truth row naming a case that does not
exist, a closed case counted as a correct answer, a trace without a label) would make its
accuracy numbers meaningless.
"""

from __future__ import annotations

import csv
import hashlib
from pathlib import Path

import pytest
from contract_columns import CONTRACT_CASE_COLUMNS, CONTRACT_TRACE_COLUMNS, LABELS

from benchmarks import synth_field

N_CASES = 300


def read_csv(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with path.open(encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        rows = list(reader)
        return list(reader.fieldnames or []), rows


@pytest.fixture(scope="module")
def paths(tmp_path_factory: pytest.TempPathFactory) -> synth_field.SynthPaths:
    return synth_field.generate(tmp_path_factory.mktemp("field"), N_CASES, seed=11)


def test_files_and_headers(paths: synth_field.SynthPaths) -> None:
    cases_header, cases = read_csv(paths.cases)
    traces_header, traces = read_csv(paths.traces)
    assert cases_header == CONTRACT_CASE_COLUMNS
    assert traces_header == CONTRACT_TRACE_COLUMNS
    assert read_csv(paths.truth)[0] == ["trace_id", "case_id"]
    assert read_csv(paths.difficulty)[0] == ["trace_id", "difficulty"]
    assert N_CASES <= len(cases) < N_CASES * 1.1
    assert 0.35 * N_CASES < len(traces) < 0.65 * N_CASES


def test_deterministic_for_a_seed(tmp_path: Path) -> None:
    def digest(p: synth_field.SynthPaths) -> list[str]:
        files = (p.cases, p.traces, p.truth, p.difficulty)
        return [hashlib.sha256(f.read_bytes()).hexdigest() for f in files]

    first = synth_field.generate(tmp_path / "a", N_CASES, seed=3)
    second = synth_field.generate(tmp_path / "b", N_CASES, seed=3)
    other = synth_field.generate(tmp_path / "c", N_CASES, seed=4)
    assert digest(first) == digest(second)
    assert digest(first) != digest(other)


def test_truth_ids_exist_and_are_proposable(paths: synth_field.SynthPaths) -> None:
    cases = {r["case_id"]: r for r in read_csv(paths.cases)[1]}
    trace_ids = {r["trace_id"] for r in read_csv(paths.traces)[1]}
    truth = read_csv(paths.truth)[1]
    assert truth
    for row in truth:
        assert row["trace_id"] in trace_ids
        case = cases[row["case_id"]]
        assert case["status"] in ("", "open")
        assert case["consent_for_tracing"] != "false"
    assert len(cases) == len(read_csv(paths.cases)[1])  # case ids are unique


def test_every_trace_has_one_known_label(paths: synth_field.SynthPaths) -> None:
    traces = [r["trace_id"] for r in read_csv(paths.traces)[1]]
    labels = {r["trace_id"]: r["difficulty"] for r in read_csv(paths.difficulty)[1]}
    assert sorted(labels) == sorted(traces)
    assert set(labels.values()) <= LABELS
    truth_traces = {r["trace_id"] for r in read_csv(paths.truth)[1]}
    for trace_id, label in labels.items():
        assert (label == "unmatched") == (trace_id not in truth_traces)
    unmatched = sum(v == "unmatched" for v in labels.values()) / len(labels)
    assert 0.1 < unmatched < 0.25


def test_jsonl_has_the_same_records(tmp_path: Path) -> None:
    as_csv = synth_field.generate(tmp_path / "csv", 100, seed=2)
    as_jsonl = synth_field.generate(tmp_path / "jsonl", 100, seed=2, fmt="jsonl")
    assert as_jsonl.cases.suffix == ".jsonl"
    n_lines = len(as_jsonl.cases.read_text(encoding="utf-8").splitlines())
    assert n_lines == len(read_csv(as_csv.cases)[1])
    assert as_csv.truth.read_bytes() == as_jsonl.truth.read_bytes()
