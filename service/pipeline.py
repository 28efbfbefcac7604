"""The jobs the CLI and the API run: import, re-score, export, explain.

This is the one place that drives `case_store -> matching -> scoring -> case_store`
and owns the transactions: a failed import leaves the store as it was, and a
re-score publishes all of its results in one commit or none of them.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from case_store import decisions, repository
from case_store import io as store_io
from case_store.db import make_engine, session_factory, transaction, upgrade
from case_store.models import Case, Trace
from scoring import snapshot
from scoring.engine import Matcher, ScoredMatch, Thresholds  # noqa: F401  (ScoredMatch: the CLI's)
from scoring.model import MatchModel, ModelMismatch
from service import distributed, indexes, rescoring
from service.collector import bulk_work
from service.distributed import ClusterSpec

ProgressCallback = Callable[[int], None]
MATCHES_PER_TRACE = 10  # the contract's "at most the best 10 cases for each trace"
MATCH_CHUNK = 2000  # traces matched together; Dask partitions are multiples of it


@dataclass
class Store:
    """An upgraded database and its session factory."""

    engine: Engine
    sessions: sessionmaker[Session]

    @classmethod
    def open(cls, url: str) -> Store:
        engine = make_engine(url)
        upgrade(engine)
        return cls(engine, session_factory(engine))


def import_file(
    store: Store,
    kind: store_io.RecordKind,
    path: Path,
    *,
    agency_id: str | None = None,
    progress: ProgressCallback | None = None,
) -> store_io.ImportResult:
    """Import one file, all or nothing."""
    with bulk_work(), transaction(store.sessions) as session:
        return store_io.import_records(session, kind, path, agency_id=agency_id, progress=progress)


@dataclass
class RescoreSummary:
    """What a re-score did, for the CLI's summary and the run log."""

    mode: str
    cases: int
    traces_scored: int
    pairs_written: int
    likely: int
    seconds: float
    model: dict[str, Any] = field(default_factory=dict)
    index: str = "not persisted"  # matcher indexes: loaded, built, saved (issue #5)
    cluster: str | None = None  # where a distributed full run ran
    why_full: str | None = None  # a full run nobody asked for: what made it one


def rescore(
    store: Store,
    *,
    full: bool = False,
    progress: ProgressCallback | None = None,
    planned: ProgressCallback | None = None,
    index_dir: Path | None = None,
    persist: bool = True,
    cluster: ClusterSpec | None = None,
    chunk: int = MATCH_CHUNK,
    thresholds: Thresholds | None = None,
) -> RescoreSummary:
    """Bring every stored potential match up to date.

    Incremental unless `full`, or no fitted model is stored yet, or nothing was ever
    proposed: the stored model is reused (no re-fit) and only the traces a change
    can affect are matched again, against every case (`service.rescoring` says
    which and why). `full` re-fits the model and matches every trace; with a
    `cluster` it does so on Dask workers, with identical results.

    Results are published in one transaction: until it commits, readers see the
    previous complete results, and a crash leaves the needs-matching flags set, so
    the next run does the work again. `progress` is told how many of the traces to
    score are done, `planned` how many there are once that is known. The matcher's
    indexes are loaded from, and saved to, `index_dir` (default: beside an SQLite
    file) when `persist`. Full garbage collections are held off meanwhile
    (`service.collector`).

    `thresholds` (default `Thresholds()`; the service passes the configured ones) are
    recorded with the run. When they differ from the last run's, the run is a full
    one: an incremental run would leave the traces it does not touch labelled under
    the old thresholds.
    """
    with bulk_work():
        return _rescore(
            store,
            full,
            progress,
            planned,
            index_dir,
            persist,
            cluster,
            chunk,
            thresholds or Thresholds(),
        )


def _rescore(
    store: Store,
    full: bool,
    progress: ProgressCallback | None,
    planned: ProgressCallback | None,
    index_dir: Path | None,
    persist: bool,
    cluster: ClusterSpec | None,
    chunk: int,
    thresholds: Thresholds,
) -> RescoreSummary:
    started = time.perf_counter()
    code = snapshot.code_fingerprint()
    with transaction(store.sessions) as session:
        cases = list(repository.iter_records(session, "cases"))
        traces = list(repository.iter_records(session, "traces"))
        changed_cases = rescoring.needing_matching(session, "cases")
        changed_traces = rescoring.needing_matching(session, "traces")
        has_matches = session.query(repository.PotentialMatch.id).first() is not None
        # Rejected pairs whose records are unchanged since the rejection: never re-proposed.
        suppressed = decisions.suppressed_pairs(session)
        stored = None if full else indexes.stored_model(session)
        # runs before stop 21 recorded no thresholds: theirs were the defaults
        last_run = repository.latest_run_detail(session)
        recorded = last_run.get("thresholds") or Thresholds().as_dict()
        why_full = None
        if not full and has_matches and recorded != thresholds.as_dict():
            # an upgrade that adds a threshold changes them too (stop 25: uncorroborated)
            why_full = (
                f"the thresholds changed since the last run (were {recorded}, "
                f"now {thresholds.as_dict()})"
            )
            stored = None
        elif not full and has_matches and last_run.get("code") != code:
            # other matching code made the stored proposals (runs before stop 26 recorded
            # none): matched incrementally, the store would hold two versions' verdicts
            why_full = (
                "the matching code changed since the last run (another version's "
                "normalisation, comparators or tables made the stored proposals)"
            )
            stored = None
        # a full run re-fits the model, and refines it with the officers' confirmations
        refit = full or stored is None or not has_matches
        confirmed = decisions.linked_records(session) if refit else []
        digest = indexes.cases_digest(session) if persist else ""
        # what only an incremental run asks (`stored` is None for every full one)
        incremental = stored is not None and has_matches
        proposed_with_changed = (
            rescoring.traces_proposed_with(session, list(changed_cases)) if incremental else set()
        )
        top_scores = rescoring.top_scores(session) if changed_cases and incremental else {}
    mode = "incremental" if incremental else "full"
    if index_dir is None and persist:
        index_dir = indexes.default_index_dir(store.engine.url.render_as_string(False))
    index_note = "not persisted"
    if mode == "full":
        matcher = Matcher(cases, thresholds=thresholds)
        matcher.fit(traces)
        matcher.learn_from_confirmed(confirmed)
        to_score = traces
        model_json = matcher.model.to_json()
    else:
        assert stored is not None
        model, model_json = stored
        indexed = indexes.matcher_for(
            cases,
            digest,
            model,
            model_json,
            index_dir if persist else None,
            save=persist,
            thresholds=thresholds,
        )
        matcher = indexed.matcher
        index_note = indexed.how
        to_score = rescoring.affected_traces(
            matcher,
            traces,
            changed_traces,
            changed_cases,
            proposed_with_changed,
            top_scores=top_scores,
            chunk=chunk,
        )
    if planned is not None:
        planned(len(to_score))
    print_ = snapshot.fingerprint(digest, model_json)
    counts = {"pairs": 0, "likely": 0}
    position = {t["trace_id"]: i for i, t in enumerate(to_score)}

    def produced() -> Any:
        wanted = MATCHES_PER_TRACE + decisions.extra_candidates(suppressed)
        if mode == "full" and cluster is not None:
            ranked = distributed.match_on_cluster(
                matcher, print_, to_score, wanted, cluster, chunk=chunk
            )
        else:
            ranked = matcher.match(to_score, k=wanted, chunk=chunk)
        for match in decisions.without_suppressed(ranked, suppressed, MATCHES_PER_TRACE):
            counts["pairs"] += 1
            counts["likely"] += match.likelihood == "likely"
            if match.rank == 1 and progress is not None:
                progress(position.get(match.trace_id, 0) + 1)
            yield repository.StoredMatch(
                match.trace_id,
                match.case_id,
                match.score,
                match.rank,
                match.likelihood,
                match.evidence,
            )

    def publish(session: Session, matches: Iterable[repository.StoredMatch]) -> RescoreSummary:
        run = repository.start_run(session, mode, matcher.model.version)
        if mode == "full":
            repository.replace_matches(session, None, matches, matcher.model.version)
        else:
            # the re-matched traces, and closed ones (whose proposals simply go)
            scope = sorted(set(position) | set(changed_traces))
            gone = [c for c in changed_cases if c not in matcher.cases.row_of]
            rescoring.drop_case_proposals(session, gone)
            repository.replace_matches(session, scope, matches, matcher.model.version)
        rescoring.clear_flags(session, "cases", changed_cases)
        rescoring.clear_flags(session, "traces", changed_traces)
        if progress is not None:
            progress(len(to_score))
        summary = RescoreSummary(
            mode=mode,
            cases=len(cases),
            traces_scored=len(to_score),
            pairs_written=counts["pairs"],
            likely=counts["likely"],
            seconds=time.perf_counter() - started,
            model={"prior": matcher.model.prior, **matcher.model.fitted_on},
            index=index_note,
            cluster=cluster.describe() if cluster is not None and mode == "full" else None,
            why_full=why_full,
        )
        repository.finish_run(
            session,
            run.id,
            len(to_score),
            counts["pairs"],
            {
                "seconds": summary.seconds,
                "model": model_json,
                "index": index_note,
                "cluster": summary.cluster,
                "thresholds": thresholds.as_dict(),
                "code": code,
                **({"why_full": why_full} if why_full else {}),
            },
        )
        return summary

    if _one_connection_per_thread(store.engine):
        with transaction(store.sessions) as session:
            summary = publish(session, produced())
    else:
        summary = _write_behind(store.sessions, publish, produced())
    if persist and index_dir is not None and mode == "full":
        # for the next incremental run and embedded use: the indexes this run matched with
        if indexes.save_snapshot(matcher, index_dir, print_):
            summary.index = "saved"
    return summary


def _one_connection_per_thread(engine: Engine) -> bool:
    """An SQLite database in memory is one per connection, and SQLAlchemy gives each
    thread its own: a writer thread would see an empty database."""
    return engine.dialect.name == "sqlite" and engine.url.database in (None, "", ":memory:")


_END = object()  # the producer is done
_FAILED = object()  # the producer failed: roll back


class _ProducerFailed(RuntimeError):
    """Raised in the writer when the producer of what it writes has failed."""


def _write_behind(
    sessions: sessionmaker[Session],
    write: Callable[[Session, Iterable[Any]], Any],
    items: Iterable[Any],
    batch: int = 512,
    depth: int = 16,
) -> Any:
    """`write(session, items)` in one transaction on a writer thread, while this
    thread produces the items: a re-score's writing (deleting the old proposals,
    inserting the new) waits on the database, which releases the GIL, so it overlaps
    with matching the next traces instead of following it.

    Everything is written in one transaction or nothing is: an error on either side
    rolls it back and is raised here (the writer's own error as it was).
    """
    handoff: queue.Queue[Any] = queue.Queue(maxsize=depth)
    outcome: dict[str, Any] = {}

    def stream() -> Iterator[Any]:
        while True:
            got = handoff.get()
            if got is _END:
                return
            if got is _FAILED:
                raise _ProducerFailed("the matches to write could not be produced")
            yield from got

    def run() -> None:
        try:
            with transaction(sessions) as session:
                outcome["value"] = write(session, stream())
        except BaseException as exc:  # handed to the producer's thread
            outcome["error"] = exc

    def hand(item: Any) -> None:
        while writer.is_alive():
            try:
                handoff.put(item, timeout=0.2)
                return
            except queue.Full:
                continue

    writer = threading.Thread(target=run, name="ftr-writer", daemon=True)
    writer.start()
    try:
        pending: list[Any] = []
        for item in items:
            if not writer.is_alive():
                break  # it failed: its error is raised below
            pending.append(item)
            if len(pending) >= batch:
                hand(pending)
                pending = []
        hand(pending)
        hand(_END)
    except BaseException:
        hand(_FAILED)
        writer.join()
        raise
    writer.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


def export_matches(store: Store, path: Path) -> int:
    """The contract's matches file."""
    with transaction(store.sessions) as session:
        return store_io.export_matches(session, path)


def export_records(store: Store, kind: store_io.RecordKind, path: Path) -> int:
    """Cases or traces back to CSV/JSONL."""
    with transaction(store.sessions) as session:
        return store_io.export_records(session, kind, path)


class NotFound(LookupError):
    """A record the caller named is not stored."""


class ModelOutdated(RuntimeError):
    """The newest re-score's model was fitted by an older version of the matcher (it
    compares other features or levels): a pair never proposed cannot be explained
    with it until `ftr rescore --full` fits a model this version can read."""


def explain_pair(store: Store, trace_id: str, case_id: str) -> ScoredMatch:
    """The stored explanation of a pair, or a fresh one when it was never proposed."""
    with transaction(store.sessions) as session:
        trace = session.get(Trace, trace_id)
        case = session.get(Case, case_id)
        if trace is None:
            raise NotFound(f"no trace {trace_id!r}")
        if case is None:
            raise NotFound(f"no case {case_id!r}")
        stored = repository.match_for_pair(session, trace_id, case_id)
        if stored is not None and not stored.stale:
            return ScoredMatch(
                trace_id, case_id, stored.score, stored.rank, stored.likelihood, stored.evidence
            )
        trace_values, case_values = trace.values(), case.values()
        model = repository.latest_model(session)
    try:
        fitted = MatchModel.from_json(model) if model else MatchModel()
    except ModelMismatch as exc:
        raise ModelOutdated(
            f"the newest re-score's model was made by an older version of ftr-match ({exc});"
            " run `ftr rescore --full` to fit one before explaining pairs never proposed"
        ) from exc
    matcher = Matcher(
        [case_values],
        model=fitted,
        index=False,  # one pair to score: no candidate generation needed
    )
    return matcher.score_pair(trace_values, case_values)
