"""The embedded match API: in memory and over a store, changes, persisted indexes."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import numpy as np
import pytest
from factories import case, trace, write_records

from benchmarks.synth import generate
from case_store.db import transaction
from case_store.records import CaseRecord
from case_store.repository import matches_for_trace
from matching import persist
from scoring.engine import Matcher, Thresholds
from service import pipeline
from service.embedded import EmbeddedMatcher, InvalidRecord

README = Path(__file__).resolve().parents[2] / "README.md"


def _read(path: Path) -> list[dict[str, str | None]]:
    with open(path, newline="", encoding="utf-8") as handle:
        return [{k: (v or None) for k, v in row.items()} for row in csv.DictReader(handle)]


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    paths = generate(tmp_path_factory.mktemp("embedded"), n_cases=300, seed=43)
    return paths, _read(paths.cases), _read(paths.traces)


def test_the_readme_example_runs():
    text = README.read_text(encoding="utf-8")
    section = text.split("## Embedded matching", 1)[1]
    block = re.search(r"```python\n(.*?)```", section, re.S)
    assert block, "README has no python block under '## Embedded matching'"
    namespace: dict = {}
    exec(compile(block.group(1), "README.md", "exec"), namespace)  # noqa: S102
    best = namespace["best"]
    assert (best.case_id, best.rank) == ("C1", 1)
    assert best.evidence


def test_in_memory_results_are_the_matchers_own(data):
    _, cases, traces = data
    embedded = EmbeddedMatcher(cases=cases, traces=traces)
    # closed, reunified and no-consent cases stay out of the index, as in `ftr rescore`
    direct = Matcher([c for c in cases if CaseRecord.model_validate(c).proposable])
    direct.fit(traces)
    sample = traces[:40]
    expected = {}
    # a query is matched with its request's other traces (`EmbeddedMatcher.match_many`)
    for m in direct.match(traces):
        expected.setdefault(m.trace_id, []).append((m.case_id, m.rank, m.score, m.likelihood))
    for t in sample:
        got = [(m.case_id, m.rank, m.score, m.likelihood) for m in embedded.match(t)]
        assert got == expected.get(t["trace_id"], [])
    assert embedded.builds == 1


def test_changes_reach_the_next_query_and_reuse_the_model():
    olena = case(given_name="Olena", family_name="Kovalenko", sex="f", age="9")
    others = [
        case(given_name="Petro", family_name="Bondar", sex="m", age="6"),
        case(given_name="Iryna", family_name="Melnyk", sex="f", age="11"),
    ]
    query = trace(given_name="Олена", family_name="Коваленко", sex="f", age="9")
    embedded = EmbeddedMatcher(cases=others)
    assert embedded.match(query) == []
    model = embedded.model
    embedded.add_cases([olena])
    assert [m.case_id for m in embedded.match(query)][:1] == [olena["case_id"]]
    # the built indexes took the case in place: nothing was built again
    assert embedded.builds == 1 and embedded.model is model
    embedded.update_case({**olena, "status": "reunified"})
    assert olena["case_id"] not in {m.case_id for m in embedded.match(query)}
    assert len(embedded) == 2
    embedded.update_case({**olena, "status": "open"})
    assert olena["case_id"] in {m.case_id for m in embedded.match(query)}
    embedded.remove_case(olena["case_id"])
    assert olena["case_id"] not in {m.case_id for m in embedded.match(query)}
    with pytest.raises(KeyError):
        embedded.remove_case(olena["case_id"])
    with pytest.raises(InvalidRecord, match="age"):
        embedded.add_cases([case(given_name="Taras"), case(age="seven")])
    assert len(embedded) == 2  # one bad case in a batch: none of it was taken
    with pytest.raises(InvalidRecord, match="registration_date"):
        embedded.add_cases([{"case_id": "X1"}])


def _store_with(tmp_path: Path, paths) -> tuple[str, pipeline.Store]:
    url = f"sqlite:///{tmp_path / 'ftr.db'}"
    store = pipeline.Store.open(url)
    pipeline.import_file(store, "cases", paths.cases)
    pipeline.import_file(store, "traces", paths.traces)
    pipeline.rescore(store, full=True)
    return url, store


def test_from_store_loads_fresh_indexes_and_rebuilds_stale_ones(data, tmp_path, monkeypatch):
    paths, cases, traces = data
    url, store = _store_with(tmp_path, paths)
    assert (tmp_path / "ftr.db.index" / "current.json").exists()
    embedded = EmbeddedMatcher.from_store(url)
    assert embedded.loaded_from == tmp_path / "ftr.db.index" and embedded.builds == 0
    # it answers as the stored proposals say
    with transaction(store.sessions) as session:
        for t in traces[:25]:
            stored = [
                (m.case_id, m.rank, round(m.score, 9))
                for m in matches_for_trace(session, t["trace_id"])
            ]
            got = [(m.case_id, m.rank, round(m.score, 9)) for m in embedded.match(t)]
            assert got == stored
    # a case changed in the store: the stale snapshot is brought up to date in place
    # (the changed case indexed alone), saved, then loaded as it is
    edited = dict(cases[3], given_name="Changed Name")
    pipeline.import_file(store, "cases", write_records(tmp_path / "edit.csv", [edited], "cases"))
    extended = EmbeddedMatcher.from_store(url)
    assert extended.loaded_from is not None and extended.builds == 0
    matcher = extended.matcher
    assert not matcher.live.all()  # the case's older row, retired
    row = matcher.cases.row_of[edited["case_id"]]
    assert matcher.case_records[row]["given_name"] == "Changed Name"
    assert extended._cases[edited["case_id"]]["given_name"] == "Changed Name"
    query = {**edited, "trace_id": "q", "inquiry_date": edited["registration_date"]}
    assert extended.match(query)[0].case_id == edited["case_id"]
    again = EmbeddedMatcher.from_store(url)
    assert again.loaded_from is not None and again.builds == 0
    assert np.array_equal(again.matcher.live, matcher.live)
    # a case removed from the store (closed): retired from the snapshot the same way
    open_case = next(c for c in cases[4:] if c["case_id"] in again._cases)
    closing = dict(open_case, status="closed")
    pipeline.import_file(store, "cases", write_records(tmp_path / "close.csv", [closing], "cases"))
    fewer = EmbeddedMatcher.from_store(url)
    assert fewer.builds == 0 and closing["case_id"] not in fewer._cases
    assert closing["case_id"] not in {
        m.case_id
        for m in fewer.match(
            dict(query, **{k: open_case[k] for k in ("given_name", "family_name")})
        )
    }
    # another index format (a new release): rebuilt, never trusted
    monkeypatch.setattr(persist, "FORMAT_VERSION", persist.FORMAT_VERSION + 1)
    newer = EmbeddedMatcher.from_store(url)
    assert newer.loaded_from is None and newer.builds == 1
    store.engine.dispose()


def test_save_and_load_in_memory(data, tmp_path):
    _, cases, traces = data
    embedded = EmbeddedMatcher(cases=cases[:120], traces=traces[:60])
    embedded.save(tmp_path / "idx")
    loaded = EmbeddedMatcher.load(tmp_path / "idx", cases[:120], traces[:60])
    assert loaded is not None and loaded.builds == 0
    query = traces[0]
    assert loaded.match(query) == embedded.match(query)
    assert EmbeddedMatcher.load(tmp_path / "idx", cases[:119]) is None


def test_from_store_labels_with_the_thresholds_of_the_stored_proposals(data, tmp_path):
    paths, _, traces = data
    url = f"sqlite:///{tmp_path / 'ftr.db'}"
    store = pipeline.Store.open(url)
    pipeline.import_file(store, "cases", paths.cases)
    pipeline.import_file(store, "traces", paths.traces)
    looser = Thresholds(likely=0.4, possible=0.05, alone=0.4)
    pipeline.rescore(store, full=True, thresholds=looser)
    embedded = EmbeddedMatcher.from_store(url)
    assert embedded.matcher.thresholds == looser
    with transaction(store.sessions) as session:
        for t in traces[:25]:
            stored = [
                (m.case_id, m.rank, m.likelihood) for m in matches_for_trace(session, t["trace_id"])
            ]
            assert [(m.case_id, m.rank, m.likelihood) for m in embedded.match(t)] == stored
    # asked for, other thresholds win
    strict = EmbeddedMatcher.from_store(url, thresholds=Thresholds())
    assert strict.matcher.thresholds == Thresholds()
    store.engine.dispose()
