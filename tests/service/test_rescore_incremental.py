"""`ftr rescore` is incremental by default: what it re-matches, what it drops, and
that a failed run leaves the previous results and lets the next run finish the job."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

import pytest
from factories import write_records
from sqlalchemy import select

from benchmarks.synth import generate
from case_store import repository
from case_store.db import transaction
from case_store.models import MatchRun, PotentialMatch
from scoring import snapshot
from scoring.engine import Matcher, Thresholds
from service import pipeline


def _read(path: Path) -> list[dict[str, str | None]]:
    with open(path, newline="", encoding="utf-8") as handle:
        return [{k: (v or None) for k, v in row.items()} for row in csv.DictReader(handle)]


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    paths = generate(tmp_path_factory.mktemp("incremental"), n_cases=300, seed=53)
    truth = {r["trace_id"]: r["case_id"] for r in _read(paths.truth)}
    return paths, _read(paths.cases), _read(paths.traces), truth


@pytest.fixture
def scored(data, tmp_path) -> pipeline.Store:
    paths = data[0]
    store = pipeline.Store.open(f"sqlite:///{tmp_path / 'ftr.db'}")
    pipeline.import_file(store, "cases", paths.cases)
    pipeline.import_file(store, "traces", paths.traces)
    assert pipeline.rescore(store).mode == "full"  # no model yet: the first run is full
    yield store
    store.engine.dispose()


def _proposals(store: pipeline.Store) -> dict[str, list[tuple[str, int, float, str]]]:
    with transaction(store.sessions) as session:
        rows = session.execute(
            select(
                PotentialMatch.trace_id,
                PotentialMatch.case_id,
                PotentialMatch.rank,
                PotentialMatch.score,
                PotentialMatch.likelihood,
            ).order_by(PotentialMatch.trace_id, PotentialMatch.rank)
        )
        found: dict[str, list[tuple[str, int, float, str]]] = {}
        for trace_id, case_id, rank, score, likelihood in rows:
            found.setdefault(trace_id, []).append((case_id, rank, score, likelihood))
        return found


def _models(store: pipeline.Store) -> list[str]:
    with transaction(store.sessions) as session:
        runs = session.scalars(select(MatchRun).order_by(MatchRun.id))
        return [run.detail["model"] for run in runs]


def _flags(store: pipeline.Store) -> tuple[list[str], list[str]]:
    with transaction(store.sessions) as session:
        return (
            repository.ids_needing_matching(session, "cases"),
            repository.ids_needing_matching(session, "traces"),
        )


def test_new_traces_alone_are_matched_with_the_stored_model(data, scored, tmp_path):
    _, _, traces, _ = data
    before = _proposals(scored)
    copies = [dict(t, trace_id=f"{t['trace_id']}-again") for t in traces[:3]]
    path = write_records(tmp_path / "more.csv", copies, "traces")
    pipeline.import_file(scored, "traces", path)
    summary = pipeline.rescore(scored)
    # the copies, and every trace of their requests (scored together: `_sought_together`)
    requests = {c["request_id"] for c in copies}
    together = len(copies) + sum(t["request_id"] in requests for t in traces)
    assert (summary.mode, summary.traces_scored, summary.index) == (
        "incremental",
        together,
        "loaded",
    )
    models = _models(scored)
    assert models[-1] == models[-2]  # not re-fitted
    after = _proposals(scored)
    for original, copy in zip(traces[:3], copies, strict=True):
        # the same record under another id gets the same proposals
        # (to rounding: the copy and its original both sit in the request's sums)
        again, first = after.get(copy["trace_id"]), before.get(original["trace_id"])
        assert [(c, r, pytest.approx(s, abs=1e-12), lk) for c, r, s, lk in again] == first
    assert {k: v for k, v in after.items() if not k.endswith("-again")} == before
    assert _flags(scored) == ([], [])


def test_changed_and_closed_cases_rematch_the_traces_that_may_see_them(data, scored, tmp_path):
    _, cases, traces, truth = data
    by_id = {c["case_id"]: c for c in cases}
    sought = next(t for t in traces if truth.get(t["trace_id"]) in by_id)
    true_case = by_id[truth[sought["trace_id"]]]
    proposed = {c for rows in _proposals(scored).values() for c, *_ in rows}
    closing = by_id[sorted(proposed - {true_case["case_id"]})[0]]
    with transaction(scored.sessions) as session:
        had_closing = set(
            session.scalars(
                select(PotentialMatch.trace_id).where(PotentialMatch.case_id == closing["case_id"])
            )
        )
    assert had_closing
    twin = dict(true_case, case_id="C-registered-twice")  # the child registered again
    changes = [twin, dict(closing, status="reunified")]
    pipeline.import_file(scored, "cases", write_records(tmp_path / "c.csv", changes, "cases"))
    summary = pipeline.rescore(scored)
    # the stored index took the two changed cases in place, not rebuilt
    assert summary.mode == "incremental"
    assert summary.index == "extended (2 changed cases)"
    assert 0 < summary.traces_scored < len(traces)
    after = _proposals(scored)
    assert "C-registered-twice" in {c for c, *_ in after[sought["trace_id"]]}
    with transaction(scored.sessions) as session:
        left = session.scalar(
            select(PotentialMatch.id).where(PotentialMatch.case_id == closing["case_id"])
        )
    assert left is None  # the stored rows go, not only the export's
    assert _flags(scored) == ([], [])
    # two changes in 300 are too few to save the index again for: the next run takes
    # them into the saved one again (a snapshot costs more to save than that)
    assert pipeline.rescore(scored).index == "extended (2 changed cases)"


def test_a_new_case_that_could_be_no_ones_match_rematches_no_trace(data, scored, tmp_path):
    """A stranger still lands among some traces' candidates (the name vectors always
    return their nearest), but where it could not reach `possible` nothing is redone."""
    _, cases, _, _ = data
    stranger = dict(
        cases[0],
        case_id="C-stranger",
        given_name="Xochitl",
        family_name="Quispe Huaman",
        other_names=None,
        father_name="Wayra Quispe",
        mother_name="Killa Huaman",
        caregiver_name=None,
        identifiers=None,
        place_of_origin="Peru > Cusco > Ollantaytambo",
        separation_place="Peru > Cusco > Ollantaytambo",
    )
    before = _proposals(scored)
    path = write_records(tmp_path / "stranger.csv", [stranger], "cases")
    pipeline.import_file(scored, "cases", path)
    summary = pipeline.rescore(scored)
    assert (summary.mode, summary.traces_scored) == ("incremental", 0)
    assert _proposals(scored) == before
    assert _flags(scored) == ([], [])


def test_a_failed_run_leaves_the_previous_results_and_the_next_run_completes(
    data, scored, tmp_path, monkeypatch
):
    _, _, traces, _ = data
    before = _proposals(scored)
    path = write_records(tmp_path / "new.csv", [dict(traces[0], trace_id="T-new-1")], "traces")
    pipeline.import_file(scored, "traces", path)
    real = repository.replace_matches

    def dies_halfway(session, trace_ids, matches, model_version):  # noqa: ANN001
        real(session, trace_ids, iter([next(iter(matches))]), model_version)
        raise KeyboardInterrupt  # as a kill would, after part of the results was written

    monkeypatch.setattr(repository, "replace_matches", dies_halfway)
    with pytest.raises(KeyboardInterrupt):
        pipeline.rescore(scored)
    monkeypatch.undo()
    assert _proposals(scored) == before
    assert _flags(scored) == ([], ["T-new-1"])
    assert pipeline.rescore(scored).traces_scored == 1 + sum(
        t["request_id"] == traces[0]["request_id"] for t in traces
    )
    assert "T-new-1" in _proposals(scored)
    assert _flags(scored) == ([], [])


def test_matching_that_fails_while_results_are_written_leaves_the_previous_ones(
    scored, monkeypatch
):
    """The writer thread has written part of a full run when matching fails: the
    transaction is rolled back, the error is the matcher's, and nothing is half new."""
    before = _proposals(scored)
    halfway = sum(len(v) for v in before.values()) // 2
    real = Matcher.match
    handed: list[int] = []

    def fails_later(self, traces, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003
        for n, match in enumerate(real(self, traces, *args, **kwargs)):
            if n == halfway:  # past the first batches handed to the writer
                raise RuntimeError("matcher broke")
            yield match

    def small_batches(sessions, write, items):  # noqa: ANN001
        def counted(session, matches):  # noqa: ANN001
            def each():  # noqa: ANN202
                for match in matches:
                    handed.append(1)
                    yield match

            return write(session, each())

        return write_behind(sessions, counted, items, batch=8)

    write_behind = pipeline._write_behind
    monkeypatch.setattr(pipeline, "_write_behind", small_batches)
    monkeypatch.setattr(Matcher, "match", fails_later)
    with pytest.raises(RuntimeError, match="matcher broke"):
        pipeline.rescore(scored, full=True)
    monkeypatch.undo()
    assert len(handed) >= 8  # the writer had written some of the new results
    assert _proposals(scored) == before
    with transaction(scored.sessions) as session:
        states = [r.state for r in session.scalars(select(MatchRun))]
    assert states and set(states) == {"done"}  # the failed run's record went with its writes


def test_cli_full_with_workers_and_the_usage_errors(data, scored, tmp_path):
    url = str(scored.engine.url)
    cli = [sys.executable, "-m", "service.cli", "--db", url, "rescore"]
    done = subprocess.run([*cli, "--workers", "2"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 1 and "--full" in done.stderr
    done = subprocess.run(
        [*cli, "--full", "--workers", "1", "--scheduler", "tcp://127.0.0.1:1"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1 and "either" in done.stderr
    done = subprocess.run([*cli, "--bogus"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and "No such option: --bogus" in done.stderr
    assert "Traceback" not in done.stderr


def test_an_extended_index_proposes_what_a_rebuilt_one_does(data, scored, tmp_path):
    """New cases taken into the stored index in place: the incremental run proposes
    what it would with indexes built afresh (the same best case for every trace)."""
    paths, cases, _, _ = data
    moved = [dict(c, case_id=f"{c['case_id']}-new") for c in cases[:20]]
    pipeline.import_file(scored, "cases", write_records(tmp_path / "n.csv", moved, "cases"))
    database = Path(scored.engine.url.database)
    copy = tmp_path / "rebuilt.db"
    scored.engine.dispose()  # everything written is in the file now
    copy.write_bytes(database.read_bytes())
    extended = pipeline.rescore(scored)
    open_ = [c for c in moved if (c.get("status") or "open") == "open"]
    open_ = [c for c in open_ if (c.get("consent_for_tracing") or "").lower() != "false"]
    assert extended.index == f"extended ({len(open_)} changed cases)"
    rebuilt_store = pipeline.Store.open(f"sqlite:///{copy}")
    try:
        rebuilt = pipeline.rescore(rebuilt_store, index_dir=tmp_path / "fresh-index")
        assert rebuilt.index == "built" and rebuilt.traces_scored == extended.traces_scored
        first = {t: rows[0][0] for t, rows in _proposals(scored).items()}
        again = {t: rows[0][0] for t, rows in _proposals(rebuilt_store).items()}
    finally:
        rebuilt_store.engine.dispose()
    assert first.keys() == again.keys()
    assert sum(first[t] == again[t] for t in first) >= 0.99 * len(first)


def test_an_index_is_built_afresh_when_too_much_changed(data, scored, tmp_path):
    _, cases, _, _ = data
    many = [dict(c, case_id=f"{c['case_id']}-copy") for c in cases[:40]]  # over a tenth
    pipeline.import_file(scored, "cases", write_records(tmp_path / "m.csv", many, "cases"))
    assert pipeline.rescore(scored).index == "built"


def test_configured_thresholds_label_the_proposals_and_a_change_makes_the_run_full(
    data, scored, tmp_path
):
    """A deployment's thresholds decide `likely` and `possible`; the run records them,
    and the next run after they change relabels every trace, not only the changed."""
    before = _proposals(scored)
    likely_before = sum(lk == "likely" for rows in before.values() for *_, lk in rows)
    assert pipeline.rescore(scored).mode == "incremental"  # nothing changed: same thresholds

    looser = Thresholds(likely=0.6, possible=0.01, alone=0.6, uncorroborated=0.6)
    summary = pipeline.rescore(scored, thresholds=looser)
    assert summary.mode == "full" and "thresholds changed" in (summary.why_full or "")
    assert str(looser.as_dict()) in (summary.why_full or "")
    after = _proposals(scored)
    rows = [row for found in after.values() for row in found]
    assert all(score >= 0.01 for _, _, score, _ in rows)
    assert all((lk == "likely") <= (score >= 0.6) for _, _, score, lk in rows)
    assert sum(lk == "likely" for *_, lk in rows) > likely_before
    with transaction(scored.sessions) as session:
        assert repository.latest_run_detail(session)["thresholds"] == looser.as_dict()
    # the same again: incremental, under the thresholds recorded
    assert pipeline.rescore(scored, thresholds=looser).mode == "incremental"
    # back to the defaults: full again, and the labels are the first run's
    assert pipeline.rescore(scored).why_full
    assert {t: [(c, r, lk) for c, r, _, lk in v] for t, v in _proposals(scored).items()} == {
        t: [(c, r, lk) for c, r, _, lk in v] for t, v in before.items()
    }


def test_a_store_labelled_before_the_corroboration_bar_is_relabelled_in_full(scored) -> None:
    """A run before stop 25 recorded three thresholds, not the `uncorroborated` bar its
    labels were made without: the first run after the upgrade relabels every trace,
    and says why; the next is incremental again."""
    with transaction(scored.sessions) as session:
        run = session.scalars(select(MatchRun).order_by(MatchRun.id.desc()).limit(1)).one()
        old = dict(run.detail or {})
        old["thresholds"] = {k: v for k, v in old["thresholds"].items() if k != "uncorroborated"}
        run.detail = old
    summary = pipeline.rescore(scored)
    assert summary.mode == "full" and "uncorroborated" in (summary.why_full or "")
    assert pipeline.rescore(scored).mode == "incremental"


@pytest.mark.parametrize("recorded", ["0" * 64, None])
def test_other_matching_code_makes_the_next_run_full(scored, recorded) -> None:
    """Proposals another version's rules made are not kept beside this one's: a run
    whose last run recorded other matching code (or none, as before stop 26) is full,
    and says why; the next is incremental again."""
    with transaction(scored.sessions) as session:
        run = session.scalars(select(MatchRun).order_by(MatchRun.id.desc()).limit(1)).one()
        assert run.detail["code"] == snapshot.code_fingerprint()
        run.detail = {**run.detail, "code": recorded}
    summary = pipeline.rescore(scored)
    assert summary.mode == "full" and "matching code changed" in (summary.why_full or "")
    assert pipeline.rescore(scored).mode == "incremental"


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("FTR_LIKELY_THRESHOLD", "high", "FTR_LIKELY_THRESHOLD: Input should be a valid number"),
        ("FTR_ALONE_THRESHOLD", "1.5", "FTR_ALONE_THRESHOLD: Input should be less than or equal"),
        ("FTR_LIKELY_THRESHOLD", "0.0005", "FTR_POSSIBLE_THRESHOLD (0.001) must be below"),
    ],
)
def test_cli_names_a_bad_threshold_setting_and_changes_nothing(
    scored, tmp_path, variable, value, message
):
    before = _proposals(scored)
    url = str(scored.engine.url)
    env = {**os.environ, variable: value}
    run = subprocess.run(
        [sys.executable, "-m", "service.cli", "--db", url, "rescore", "--full"],
        capture_output=True,
        text=True,
        env=env,
    )
    assert run.returncode == 1
    assert run.stderr.startswith("error: configuration: ") and message in run.stderr
    assert "Traceback" not in run.stderr
    assert _proposals(scored) == before
