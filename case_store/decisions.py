"""The decision log of pairs: record, undo, read, and what it means for proposals.

A decision is appended, never changed: each is a `Decision` row with a
`DecisionEntry` beside it (the pair's version number, the state it leads to, the
records' content hashes). `PairState` is the pair's current state, rewritten in the
same transaction. Functions receive a session and never commit.

States of a pair: `open` (never decided, or every decision undone), `confirmed`,
`rejected`, `unsure`, `reunified` (after confirmed). An undo pops the newest decision
still in force, so a pair's state is always that of a real decision or `open`.

A rejected pair is suppressed, never proposed again, while both records keep the
content hashes they had when it was rejected; any change to a contract field of
either record lifts the suppression (the store cannot tell which field mattered to
the officer, so every recorded field counts).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from sqlalchemy import ColumnElement, Select, and_, exists, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from case_store.fields import CASE_FIELDS, TRACE_FIELDS
from case_store.fields import VERDICTS as FIELD_VERDICTS
from case_store.models import Case, Decision, DecisionEntry, PairState, Trace, utcnow

VERDICTS = FIELD_VERDICTS  # confirmed, rejected, unsure
REUNIFIED = "reunified"
UNDONE = "undone"
OPEN = "open"
LINKED_STATES: frozenset[str] = frozenset({"confirmed", REUNIFIED})


class DecisionConflict(Exception):
    """The pair moved on since the caller looked (another officer decided it).

    `current_version` is None when the race was lost at the insert: the winner's
    version is only readable in a new transaction.
    """

    def __init__(self, reason: str, current_version: int | None, current_state: str | None):
        super().__init__(reason)
        self.reason = reason
        self.current_version = current_version
        self.current_state = current_state


class DecisionRefused(Exception):
    """The decision is not possible from the pair's state (e.g. undo with nothing to undo)."""


@dataclass(frozen=True)
class LogEntry:
    """One decision of a pair's history, as the API and the pages show it."""

    decision_id: int
    version: int
    verdict: str
    state: str
    decided_by: str
    decided_at: Any
    note: str | None
    score: float | None
    model_version: str | None
    undoes_decision_id: int | None


def linked_records(
    session: Session,
) -> list[tuple[dict[str, str | None], dict[str, str | None]]]:
    """The trace and case of every pair in force as confirmed or reunified, whatever
    the records' status now: what the model learns m from (`Matcher.learn_from_confirmed`)."""
    trace_columns = [Trace.__table__.c[name] for name in TRACE_FIELDS]
    case_columns = [Case.__table__.c[name] for name in CASE_FIELDS]
    stmt = (
        select(*trace_columns, *case_columns)
        .select_from(PairState)
        .join(Trace, Trace.trace_id == PairState.trace_id)
        .join(Case, Case.case_id == PairState.case_id)
        .where(PairState.state.in_(LINKED_STATES))
        .order_by(PairState.trace_id, PairState.case_id)
    )
    width = len(TRACE_FIELDS)
    return [
        (
            dict(zip(TRACE_FIELDS, row[:width], strict=True)),
            dict(zip(CASE_FIELDS, row[width:], strict=True)),
        )
        for row in session.execute(stmt)
    ]


def current(session: Session, trace_id: str, case_id: str) -> PairState | None:
    """The pair's current state row, or None when it was never decided."""
    return session.get(PairState, (trace_id, case_id))


def history(
    session: Session,
    trace_id: str,
    case_id: str,
    narrow: Callable[[Select[Any]], Select[Any]] | None = None,
) -> list[LogEntry]:
    """Every decision on the pair, oldest first.

    `narrow` lets the service apply its access rule to the query (the store knows
    nothing of users).
    """
    stmt = (
        select(Decision, DecisionEntry)
        .join(DecisionEntry, DecisionEntry.decision_id == Decision.id)
        .where(DecisionEntry.trace_id == trace_id, DecisionEntry.case_id == case_id)
        .order_by(DecisionEntry.version)
    )
    rows = session.execute(narrow(stmt) if narrow else stmt).all()
    return [
        LogEntry(
            decision_id=d.id,
            version=e.version,
            verdict=d.verdict,
            state=e.state,
            decided_by=d.decided_by,
            decided_at=d.decided_at,
            note=d.note,
            score=d.score,
            model_version=d.model_version,
            undoes_decision_id=e.undoes_decision_id,
        )
        for d, e in rows
    ]


def _in_force(session: Session, trace_id: str, case_id: str) -> list[DecisionEntry]:
    """The stack of decisions still in force: the log replayed, each undo popping one."""
    stack: list[DecisionEntry] = []
    entries = session.scalars(
        select(DecisionEntry)
        .where(DecisionEntry.trace_id == trace_id, DecisionEntry.case_id == case_id)
        .order_by(DecisionEntry.version)
    )
    for entry in entries:
        if entry.undoes_decision_id is not None:
            if stack:
                stack.pop()
        else:
            stack.append(entry)
    return stack


def decide(
    session: Session,
    trace: Trace,
    case: Case,
    verdict: str,
    *,
    expected_version: int,
    decided_by: str,
    user_id: int | None = None,
    note: str | None = None,
    score: float | None = None,
    model_version: str | None = None,
    remote_addr: str | None = None,
) -> LogEntry:
    """Append a decision (confirmed, rejected, unsure, reunified or undone) to the log.

    `expected_version` is the pair's version the caller saw (0 for a pair never
    decided). Raises DecisionConflict when the pair moved on, including when another
    transaction wins the race to the same version (the unique constraint), and
    DecisionRefused when the pair's state does not allow the step. The caller must
    roll back after either.
    """
    if verdict not in (*VERDICTS, REUNIFIED, UNDONE):
        raise DecisionRefused(f"unknown verdict {verdict!r}")
    head = current(session, trace.trace_id, case.case_id)
    version = head.version if head is not None else 0
    state = head.state if head is not None else OPEN
    if expected_version != version:
        raise DecisionConflict(
            f"the pair is at version {version} ({state}), not {expected_version}: "
            "someone decided it meanwhile",
            version,
            state,
        )
    undoes: DecisionEntry | None = None
    trace_hash: str | None = trace.content_hash
    case_hash: str | None = case.content_hash
    if verdict == UNDONE:
        stack = _in_force(session, trace.trace_id, case.case_id)
        if not stack:
            raise DecisionRefused("there is no decision in force to undo")
        undoes = stack.pop()
        if stack:
            exposed = stack[-1]
            new_state, trace_hash, case_hash = exposed.state, exposed.trace_hash, exposed.case_hash
        else:
            new_state, trace_hash, case_hash = OPEN, None, None
    elif verdict == REUNIFIED:
        if state != "confirmed":
            raise DecisionRefused("only a confirmed match can be marked reunified")
        new_state = REUNIFIED
    else:
        if state == REUNIFIED:
            raise DecisionRefused("the pair is reunified; undo that before deciding again")
        if verdict == "confirmed":
            other = session.scalar(
                select(PairState.case_id).where(
                    PairState.trace_id == trace.trace_id,
                    PairState.case_id != case.case_id,
                    PairState.state.in_(LINKED_STATES),
                )
            )
            if other is not None:
                raise DecisionRefused(
                    f"trace {trace.trace_id} is already matched to case {other}; "
                    "undo that confirmation first"
                )
        new_state = verdict
    decision = Decision(
        trace_id=trace.trace_id,
        case_id=case.case_id,
        verdict=verdict,
        decided_by=decided_by,
        decided_at=utcnow(),
        note=note,
        score=score,
        model_version=model_version,
    )
    session.add(decision)
    try:
        session.flush()
        entry = DecisionEntry(
            decision_id=decision.id,
            trace_id=trace.trace_id,
            case_id=case.case_id,
            version=version + 1,
            state=new_state,
            undoes_decision_id=undoes.decision_id if undoes is not None else None,
            trace_hash=trace_hash,
            case_hash=case_hash,
            user_id=user_id,
            remote_addr=remote_addr,
        )
        session.add(entry)
        session.flush()
    except IntegrityError as exc:
        # Another transaction committed this version first: optimistic concurrency lost.
        raise DecisionConflict(
            f"the pair was decided by someone else at version {version + 1}", None, None
        ) from exc
    values = {
        "version": version + 1,
        "state": new_state,
        "decision_id": decision.id,
        "trace_hash": trace_hash,
        "case_hash": case_hash,
        "updated_at": decision.decided_at,
    }
    if head is None:
        session.add(PairState(trace_id=trace.trace_id, case_id=case.case_id, **values))
    else:
        for key, value in values.items():
            setattr(head, key, value)
    session.flush()
    _move_workflow(session, trace, rejection="rejected" in (state, new_state))
    return LogEntry(
        decision_id=decision.id,
        version=version + 1,
        verdict=verdict,
        state=new_state,
        decided_by=decided_by,
        decided_at=decision.decided_at,
        note=note,
        score=score,
        model_version=model_version,
        undoes_decision_id=entry.undoes_decision_id,
    )


def _move_workflow(session: Session, trace: Trace, *, rejection: bool) -> None:
    """A trace is `matched` while a confirmation is in force, `reunified` after that."""
    states = set(
        session.scalars(select(PairState.state).where(PairState.trace_id == trace.trace_id))
    )
    if REUNIFIED in states:
        trace.workflow = REUNIFIED
    elif "confirmed" in states:
        trace.workflow = "matched"
    else:
        trace.workflow = OPEN
    if rejection:
        # A rejection made or lifted changes what may be proposed: re-rank the trace at
        # the next re-score (the listings hide a rejected pair at once).
        trace.needs_matching = True


def case_workflow(session: Session, case_ids: Iterable[str]) -> dict[str, str]:
    """Cases have no workflow column: it follows from the links (confirmed pairs)."""
    ids = list(case_ids)
    result = dict.fromkeys(ids, OPEN)
    if not ids:
        return result
    rows = session.execute(
        select(PairState.case_id, PairState.state).where(
            PairState.case_id.in_(ids), PairState.state.in_(LINKED_STATES)
        )
    )
    for case_id, state in rows:
        if state == REUNIFIED or result[case_id] == OPEN:
            result[case_id] = REUNIFIED if state == REUNIFIED else "matched"
    return result


def awaits_decision(state: PairState | None, trace_hash: str, case_hash: str) -> bool:
    """Whether a proposal is for the officers to decide: never decided, every decision
    undone, or rejected before either record changed (the rejection has lapsed)."""
    if state is None or state.state == OPEN:
        return True
    return state.state == "rejected" and (
        state.trace_hash != trace_hash or state.case_hash != case_hash
    )


def decided_clause(trace_id: Any, case_id: Any) -> ColumnElement[bool]:
    """SQL twin of `not awaits_decision`, for a query that joins `traces` and `cases`
    (whose content hashes it correlates to)."""
    return exists(
        select(PairState.trace_id).where(
            PairState.trace_id == trace_id,
            PairState.case_id == case_id,
            PairState.state != OPEN,
            ~and_(
                PairState.state == "rejected",
                (PairState.trace_hash != Trace.content_hash)
                | (PairState.case_hash != Case.content_hash),
            ),
        )
    )


def suppressed_clause(trace_id: Any, case_id: Any) -> ColumnElement[bool]:
    """SQL: the pair (given as columns) is rejected and neither record changed since.

    Used by listings (`~suppressed_clause(...)`) so that a rejection hides a proposal
    at once, before the next re-score removes it.
    """
    return exists(
        select(PairState.trace_id)
        .join(Trace, Trace.trace_id == PairState.trace_id)
        .join(Case, Case.case_id == PairState.case_id)
        .where(
            and_(
                PairState.trace_id == trace_id,
                PairState.case_id == case_id,
                PairState.state == "rejected",
                PairState.trace_hash == Trace.content_hash,
                PairState.case_hash == Case.content_hash,
            )
        )
    )


def suppressed_pairs(session: Session) -> set[tuple[str, str]]:
    """Every (trace_id, case_id) a re-score must not propose: rejected, records unchanged."""
    rows = session.execute(
        select(PairState.trace_id, PairState.case_id)
        .join(Trace, Trace.trace_id == PairState.trace_id)
        .join(Case, Case.case_id == PairState.case_id)
        .where(
            PairState.state == "rejected",
            PairState.trace_hash == Trace.content_hash,
            PairState.case_hash == Case.content_hash,
        )
    )
    return {(t, c) for t, c in rows}


def extra_candidates(suppressed: set[tuple[str, str]]) -> int:
    """How many more matches a trace must be asked for so that, after its suppressed
    pairs are dropped, it still has its full list."""
    per_trace: dict[str, int] = {}
    for trace_id, _ in suppressed:
        per_trace[trace_id] = per_trace.get(trace_id, 0) + 1
    return max(per_trace.values(), default=0)


class _Ranked(Protocol):
    trace_id: str
    case_id: str
    rank: int


R = TypeVar("R", bound=_Ranked)


def without_suppressed(
    matches: Iterable[R], suppressed: set[tuple[str, str]], per_trace: int = 10
) -> Iterator[R]:
    """Drop suppressed pairs from ranked matches and renumber the ranks 1, 2, ...

    `matches` must come grouped by trace, best first (as `Matcher.match` yields
    them); at most `per_trace` are kept for each trace. Items are dataclasses
    (`ScoredMatch`, `StoredMatch`), replaced rather than mutated.
    """
    trace_id: str | None = None
    rank = 0
    for match in matches:
        if match.trace_id != trace_id:
            trace_id, rank = match.trace_id, 0
        if (match.trace_id, match.case_id) in suppressed or rank >= per_trace:
            continue
        rank += 1
        yield match if match.rank == rank else dataclasses.replace(match, rank=rank)  # type: ignore[type-var]
