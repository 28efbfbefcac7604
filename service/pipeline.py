"""The jobs the CLI and the API run: import, re-score, export, explain.

This is the one place that drives `case_store -> matching -> scoring -> case_store`
and owns the transactions: a failed import leaves the store as it was, and a
re-score publishes all of its results in one commit or none of them.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from case_store import decisions, repository
from case_store import io as store_io
from case_store.db import make_engine, session_factory, transaction, upgrade
from case_store.models import Case, Trace
from scoring.engine import Matcher, ScoredMatch  # noqa: F401  (re-exported for the CLI)
from scoring.model import MatchModel

ProgressCallback = Callable[[int], None]
MATCHES_PER_TRACE = 10  # the contract's "at most the best 10 cases for each trace"


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
    with transaction(store.sessions) as session:
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


def rescore(
    store: Store,
    *,
    full: bool = False,
    progress: ProgressCallback | None = None,
) -> RescoreSummary:
    """Bring every stored potential match up to date.

    Incremental unless `full`: when no case changed, only new or changed traces are
    matched; a changed case can move any trace's ranking, so it triggers all traces.
    """
    started = time.perf_counter()
    with transaction(store.sessions) as session:
        cases = list(repository.iter_records(session, "cases"))
        traces = list(repository.iter_records(session, "traces"))
        changed_cases = repository.ids_needing_matching(session, "cases")
        changed_traces = set(repository.ids_needing_matching(session, "traces"))
        has_matches = session.query(repository.PotentialMatch.id).first() is not None
        # Rejected pairs whose records are unchanged since the rejection: never re-proposed.
        suppressed = decisions.suppressed_pairs(session)
    mode = "full" if full or changed_cases or not has_matches else "incremental"
    matcher = Matcher(cases)
    matcher.fit(traces)
    to_score = traces if mode == "full" else [t for t in traces if t["trace_id"] in changed_traces]
    counts = {"pairs": 0, "likely": 0}

    def produced() -> Any:
        done = 0
        wanted = MATCHES_PER_TRACE + decisions.extra_candidates(suppressed)
        ranked = matcher.match(to_score, k=wanted)
        for match in decisions.without_suppressed(ranked, suppressed, MATCHES_PER_TRACE):
            counts["pairs"] += 1
            counts["likely"] += match.likelihood == "likely"
            if match.rank == 1:
                done += 1
                if progress is not None:
                    progress(done)
            yield repository.StoredMatch(
                match.trace_id,
                match.case_id,
                match.score,
                match.rank,
                match.likelihood,
                match.evidence,
            )

    with transaction(store.sessions) as session:
        run = repository.start_run(session, mode, matcher.model.version)
        scope = None if mode == "full" else [t["trace_id"] for t in to_score]
        if mode == "full":
            repository.replace_matches(session, None, produced(), matcher.model.version)
        else:
            repository.replace_matches(session, scope, produced(), matcher.model.version)
        repository.mark_matched(session, "cases")
        repository.mark_matched(session, "traces")
        summary = RescoreSummary(
            mode=mode,
            cases=len(cases),
            traces_scored=len(to_score),
            pairs_written=counts["pairs"],
            likely=counts["likely"],
            seconds=time.perf_counter() - started,
            model={"prior": matcher.model.prior, **matcher.model.fitted_on},
        )
        repository.finish_run(
            session,
            run.id,
            len(to_score),
            counts["pairs"],
            {"seconds": summary.seconds, "model": matcher.model.to_json()},
        )
    return summary


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
    matcher = Matcher([case_values], model=MatchModel.from_json(model) if model else MatchModel())
    return matcher.score_pair(trace_values, case_values)
