"""Persisted matcher indexes: a loaded snapshot matches exactly as the one saved, and
a snapshot for other cases, another format or other code is never used."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from benchmarks.synth import generate
from matching import persist
from scoring import snapshot
from scoring.engine import Matcher


def _read(path: Path) -> list[dict[str, str | None]]:
    with open(path, newline="", encoding="utf-8") as handle:
        return [{k: (v or None) for k, v in row.items()} for row in csv.DictReader(handle)]


@pytest.fixture(scope="module")
def fitted(tmp_path_factory) -> tuple[Matcher, list[dict], list[dict]]:
    paths = generate(tmp_path_factory.mktemp("snap"), n_cases=300, seed=41)
    cases, traces = _read(paths.cases), _read(paths.traces)
    matcher = Matcher(cases)
    matcher.fit(traces)
    return matcher, cases, traces


def _rows(matcher: Matcher, traces: list[dict]) -> list[tuple]:
    return [
        (m.trace_id, m.case_id, m.rank, m.score, m.likelihood, json.dumps(m.evidence))
        for m in matcher.match(traces)
    ]


def test_a_loaded_snapshot_matches_exactly_as_the_saved_matcher(fitted, tmp_path):
    matcher, cases, traces = fitted
    print_ = snapshot.fingerprint(snapshot.data_digest(cases), matcher.model.to_json())
    snapshot.save(matcher, tmp_path, print_)
    loaded = snapshot.load(tmp_path, print_)
    assert loaded is not None
    assert loaded.cases.ids == matcher.cases.ids
    expected = _rows(matcher, traces)
    assert expected and _rows(loaded, traces) == expected
    shipped = snapshot.from_bytes(snapshot.to_bytes(matcher, print_), print_)
    assert _rows(shipped, traces) == expected


def test_a_snapshot_is_rebuilt_when_a_case_or_the_model_changed(fitted, tmp_path):
    matcher, cases, _ = fitted
    model_json = matcher.model.to_json()
    print_ = snapshot.fingerprint(snapshot.data_digest(cases), model_json)
    snapshot.save(matcher, tmp_path, print_)
    edited = [dict(c) for c in cases]
    edited[7]["given_name"] = "Someone Else"
    assert (
        snapshot.load(tmp_path, snapshot.fingerprint(snapshot.data_digest(edited), model_json))
        is None
    )
    other_model = json.loads(model_json)
    other_model["prior"] = 0.5
    changed = snapshot.fingerprint(snapshot.data_digest(cases), json.dumps(other_model))
    assert snapshot.load(tmp_path, changed) is None
    assert snapshot.load(tmp_path, print_) is not None  # the order of cases does not matter
    assert snapshot.data_digest(list(reversed(cases))) == snapshot.data_digest(cases)


def test_a_snapshot_of_another_format_or_code_is_never_trusted(fitted, tmp_path, monkeypatch):
    matcher, cases, _ = fitted
    print_ = snapshot.fingerprint(snapshot.data_digest(cases), matcher.model.to_json())
    snapshot.save(matcher, tmp_path, print_)
    blob = snapshot.to_bytes(matcher, print_)
    monkeypatch.setattr(persist, "FORMAT_VERSION", persist.FORMAT_VERSION + 1)
    assert snapshot.load(tmp_path, print_) is None  # the manifest's version differs
    # ...and the fingerprint itself holds the version, so a new one never matches
    assert snapshot.fingerprint(snapshot.data_digest(cases), matcher.model.to_json()) != print_
    monkeypatch.undo()
    monkeypatch.setattr(persist, "code_fingerprint", lambda: "other code")
    with pytest.raises(ValueError, match="other code"):
        snapshot.from_bytes(blob, print_)


def test_a_damaged_or_missing_snapshot_means_rebuild(fitted, tmp_path):
    matcher, cases, _ = fitted
    assert snapshot.load(tmp_path / "nothing-here", "x") is None
    print_ = snapshot.fingerprint(snapshot.data_digest(cases), matcher.model.to_json())
    folder = snapshot.save(matcher, tmp_path, print_)
    (folder / "keys_matrix.npz").write_bytes(b"not an array")
    assert snapshot.load(tmp_path, print_) is None
    # a second save replaces the first: one snapshot directory, the pointer on it
    snapshot.save(matcher, tmp_path, print_)
    assert len(list(tmp_path.glob("snap-*"))) == 1
    assert snapshot.load(tmp_path, print_) is not None
