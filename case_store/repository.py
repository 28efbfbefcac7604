"""Queries the rest of the system runs against the store.

Functions receive a session and never commit: the service layer owns the
transaction, so a re-score publishes all of its results or none of them.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from case_store.fields import CASE_FIELDS, TRACE_FIELDS
from case_store.models import Case, MatchRun, PotentialMatch, Trace, utcnow

CHUNK = 2000


@dataclass(frozen=True)
class StoredMatch:
    """A potential match as the scorer hands it to the store."""

    trace_id: str
    case_id: str
    score: float
    rank: int
    likelihood: str
    evidence: list[dict[str, Any]]


def iter_records(
    session: Session, kind: str, *, proposable_only: bool = True
) -> Iterator[dict[str, str | None]]:
    """Stream stored cases or traces as contract dicts (verbatim values)."""
    model: type[Case] | type[Trace] = Case if kind == "cases" else Trace
    fields = CASE_FIELDS if kind == "cases" else TRACE_FIELDS
    columns = [model.__table__.c[name] for name in fields]  # type: ignore[attr-defined]
    stmt = select(*columns)
    if proposable_only:
        stmt = stmt.where(model.proposable.is_(True))
    for row in session.execute(stmt.execution_options(yield_per=10000)):
        yield dict(zip(fields, row, strict=True))


def ids_needing_matching(session: Session, kind: str) -> list[str]:
    """Records added or changed since they were last matched."""
    model: type[Case] | type[Trace] = Case if kind == "cases" else Trace
    pk = model.__table__.c["case_id" if kind == "cases" else "trace_id"]  # type: ignore[attr-defined]
    return list(session.scalars(select(pk).where(model.needs_matching.is_(True))))


def mark_matched(session: Session, kind: str, ids: Sequence[str] | None = None) -> None:
    """Clear the needs-matching flag (of all records when `ids` is None)."""
    model: type[Case] | type[Trace] = Case if kind == "cases" else Trace
    pk = model.__table__.c["case_id" if kind == "cases" else "trace_id"]  # type: ignore[attr-defined]
    if ids is None:
        session.execute(
            update(model).where(model.needs_matching.is_(True)).values(needs_matching=False)
        )
        return
    for start in range(0, len(ids), CHUNK):
        chunk = list(ids[start : start + CHUNK])
        session.execute(update(model).where(pk.in_(chunk)).values(needs_matching=False))


def replace_matches(
    session: Session,
    trace_ids: Iterable[str] | None,
    matches: Iterable[StoredMatch],
    model_version: str,
) -> int:
    """Replace the proposals of `trace_ids` (all traces when None) with `matches`."""
    if trace_ids is None:
        session.execute(delete(PotentialMatch))
    else:
        ids = list(trace_ids)
        for start in range(0, len(ids), CHUNK):
            chunk = ids[start : start + CHUNK]
            session.execute(delete(PotentialMatch).where(PotentialMatch.trace_id.in_(chunk)))
    now = utcnow()
    written = 0
    buffer: list[dict[str, Any]] = []
    for match in matches:
        buffer.append(
            {
                "trace_id": match.trace_id,
                "case_id": match.case_id,
                "score": match.score,
                "rank": match.rank,
                "likelihood": match.likelihood,
                "evidence": match.evidence,
                "model_version": model_version,
                "computed_at": now,
                "stale": False,
            }
        )
        if len(buffer) >= CHUNK:
            session.execute(PotentialMatch.__table__.insert(), buffer)
            written += len(buffer)
            buffer.clear()
    if buffer:
        session.execute(PotentialMatch.__table__.insert(), buffer)
        written += len(buffer)
    return written


def start_run(session: Session, mode: str, model_version: str) -> MatchRun:
    """Record that a re-score began (kept even when it fails, for the operator)."""
    run = MatchRun(mode=mode, model_version=model_version, state="running")
    session.add(run)
    session.flush()
    return run


def finish_run(
    session: Session, run_id: int, traces: int, pairs: int, detail: dict[str, Any]
) -> None:
    """Mark a run complete with its counts."""
    session.execute(
        update(MatchRun)
        .where(MatchRun.id == run_id)
        .values(
            state="done",
            finished_at=utcnow(),
            traces_scored=traces,
            pairs_written=pairs,
            detail=detail,
        )
    )


def matches_for_trace(session: Session, trace_id: str) -> list[PotentialMatch]:
    """The current proposals for one trace, best first."""
    return list(
        session.scalars(
            select(PotentialMatch)
            .where(PotentialMatch.trace_id == trace_id, PotentialMatch.stale.is_(False))
            .order_by(PotentialMatch.rank)
        )
    )


def match_for_pair(session: Session, trace_id: str, case_id: str) -> PotentialMatch | None:
    """The stored proposal of one pair, if any."""
    return session.scalar(
        select(PotentialMatch).where(
            PotentialMatch.trace_id == trace_id, PotentialMatch.case_id == case_id
        )
    )


def latest_run_detail(session: Session) -> dict[str, Any]:
    """What the newest completed run recorded (its model, thresholds, timing), or {}."""
    detail = session.scalar(
        select(MatchRun.detail)
        .where(MatchRun.state == "done")
        .order_by(MatchRun.id.desc())
        .limit(1)
    )
    return detail or {}


def latest_model(session: Session) -> str | None:
    """The model JSON of the newest completed run, if any."""
    return latest_run_detail(session).get("model")
