"""Potential matches: the review queue, a pair's evidence, decisions, ad-hoc matching.

Decisions use optimistic concurrency: the client sends the pair's `version` as it saw
it; the first of two concurrent decisions wins and the other gets 409 with the
current state, and nothing of either is lost (the loser's note is in its request).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Depends, Path, Query, Request
from fastapi.responses import JSONResponse
from sqlalchemy import Select, case, func, or_, select

from case_store import decisions, repository
from case_store.models import Case, PotentialMatch, Trace
from scoring.engine import ScoredMatch
from service import adhoc, audit, pipeline
from service.api import schemas, views
from service.api.deps import (
    Services,
    get_services,
    not_found,
    remote_addr,
    require,
    unprocessable,
)
from service.auth import Principal, readable

router = APIRouter(prefix="/v1")

RecordId = Annotated[str, Path(min_length=1, max_length=128, pattern=r"^[^\x00]+$")]
READ = require("records:read")


# --- the queue --------------------------------------------------------------------


def open_proposals(
    *,
    likelihood: str | None = None,
    agency_id: str | None = None,
    location: str | None = None,
) -> Select[Any]:
    """Current proposals awaiting a decision (none yet, all undone, or a rejection that
    lapsed when a record changed), on traces still being traced.

    Shared by the API queue and the review page's queue; the caller applies `readable`.
    """
    undecided = ~decisions.decided_clause(PotentialMatch.trace_id, PotentialMatch.case_id)
    stmt = (
        select(PotentialMatch)
        .join(Trace, Trace.trace_id == PotentialMatch.trace_id)
        .join(Case, Case.case_id == PotentialMatch.case_id)
        .where(
            PotentialMatch.stale.is_(False),
            Trace.proposable.is_(True),
            Case.proposable.is_(True),
            Trace.workflow == decisions.OPEN,
            undecided,
        )
    )
    if likelihood:
        stmt = stmt.where(PotentialMatch.likelihood == likelihood)
    if agency_id:
        stmt = stmt.where(or_(Trace.agency_id == agency_id, Case.agency_id == agency_id))
    if location:
        stmt = stmt.where(
            or_(
                *(
                    column.icontains(location, autoescape=True)
                    for column in (
                        Trace.place_of_origin,
                        Trace.separation_place,
                        Case.place_of_origin,
                        Case.separation_place,
                        Case.current_location,
                    )
                )
            )
        )
    return stmt


def queue_statement(
    principal: Principal,
    *,
    likelihood: str | None = None,
    agency_id: str | None = None,
    location: str | None = None,
) -> Select[Any]:
    """Traces with open proposals, best first: (trace_id, best score, open proposals)."""
    inner = readable(
        open_proposals(likelihood=likelihood, agency_id=agency_id, location=location),
        principal,
    )
    stmt = (
        inner.with_only_columns(
            PotentialMatch.trace_id,
            func.max(PotentialMatch.score).label("best"),
            func.count().label("proposals"),
            func.sum(case((PotentialMatch.likelihood == "likely", 1), else_=0)).label("likely"),
        )
        .group_by(PotentialMatch.trace_id)
        .order_by(func.max(PotentialMatch.score).desc(), PotentialMatch.trace_id)
    )
    return stmt


Likelihood = Annotated[str | None, Query(pattern=r"^(likely|possible)$")]
Text = Annotated[str | None, Query(max_length=200, pattern=r"^[^\x00]+$")]


@router.get(
    "/queue",
    response_model=schemas.Page[schemas.QueueItem],
    tags=["matches"],
    summary="Traces with open proposals, best first",
    responses=schemas.errors(401, 403),
)
def queue(
    request: Request,
    likelihood: Likelihood = None,
    agency_id: Text = None,
    location: Text = None,
    limit: int = Query(50, ge=1, le=200),
    offset: int = Query(0, ge=0, le=10_000_000),
    principal: Principal = Depends(READ),
    services: Services = Depends(get_services),
) -> Any:
    """The review queue: each trace that has likely or possible proposals nobody has
    decided, ordered by its best score. Filter by agency (of either side), location
    (part of a place on either side) and likelihood."""
    stmt = queue_statement(principal, likelihood=likelihood, agency_id=agency_id, location=location)
    with services.transaction() as session:
        total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
        rows = session.execute(stmt.limit(limit).offset(offset)).all()
        traces = {
            t.trace_id: t
            for t in session.scalars(
                readable(select(Trace).where(Trace.trace_id.in_([r[0] for r in rows])), principal)
            )
        }
        items = [
            schemas.QueueItem(
                trace=views.brief(traces[trace_id]),
                best_score=best,
                likelihood="likely" if likely else "possible",
                open_proposals=count,
                likely_proposals=likely or 0,
            )
            for trace_id, best, count, likely in rows
            if trace_id in traces
        ]
        audit.record(
            session,
            principal,
            "queue.read",
            object_type="trace",
            remote_addr=remote_addr(request),
            detail={"ids": audit.ids(traces)},
        )
    return schemas.Page[schemas.QueueItem](items=items, total=total, limit=limit, offset=offset)


# --- one pair ---------------------------------------------------------------------


def pair_detail(
    services: Services, principal: Principal, trace_id: str, case_id: str
) -> schemas.PairOut | None:
    """A pair as an officer reviews it, or None when either side is not visible."""
    with services.transaction() as session:
        trace = views.get_trace(session, principal, trace_id)
        case = views.get_case(session, principal, case_id)
        if trace is None or case is None:
            return None
        stored = session.scalar(
            readable(
                select(PotentialMatch).where(
                    PotentialMatch.trace_id == trace_id, PotentialMatch.case_id == case_id
                ),
                principal,
            )
        )
        state = decisions.current(session, trace_id, case_id)
        history = decisions.history(
            session, trace_id, case_id, narrow=lambda s: readable(s, principal)
        )
        trace_body = views.trace_out(trace)
        case_body = views.cases_out(session, [case])[0]
    if stored is not None and not stored.stale:
        scored = ScoredMatch(
            trace_id, case_id, stored.score, stored.rank, stored.likelihood, stored.evidence
        )
    else:
        scored = pipeline.explain_pair(services.store, trace_id, case_id)
    return schemas.PairOut(
        trace=trace_body,
        case=case_body,
        proposed=stored is not None,
        score=scored.score,
        rank=scored.rank or None,
        likelihood=scored.likelihood,
        model_version=stored.model_version if stored is not None else None,
        stale=bool(stored.stale) if stored is not None else False,
        state=state.state if state else decisions.OPEN,
        version=state.version if state else 0,
        evidence=[schemas.Evidence(**e) for e in scored.evidence],
        history=[views.decision_out(trace_id, case_id, e) for e in history],
    )


@router.get(
    "/matches/{trace_id}/{case_id}",
    response_model=schemas.PairOut,
    tags=["matches"],
    summary="A pair, side by side, with its evidence and decisions",
    responses=schemas.errors(401, 403, 404),
)
def read_pair(
    trace_id: RecordId,
    case_id: RecordId,
    request: Request,
    principal: Principal = Depends(READ),
    services: Services = Depends(get_services),
) -> Any:
    """Both records, the evidence field by field (stored with the proposal, or computed
    now for a pair that was never proposed), the pair's state, its `version` (send it
    with the next decision) and its full decision history."""
    detail = pair_detail(services, principal, trace_id, case_id)
    if detail is None:
        not_found(f"pair {trace_id!r}/{case_id!r}")
    with services.transaction() as session:
        audit.record(
            session,
            principal,
            "pair.read",
            object_type="pair",
            object_id=f"{trace_id}/{case_id}",
            remote_addr=remote_addr(request),
        )
    return detail


@router.get(
    "/matches/{trace_id}/{case_id}/decisions",
    response_model=list[schemas.DecisionOut],
    tags=["decisions"],
    summary="The decision history of a pair",
    responses=schemas.errors(401, 403, 404),
)
def pair_history(
    trace_id: RecordId,
    case_id: RecordId,
    request: Request,
    principal: Principal = Depends(READ),
    services: Services = Depends(get_services),
) -> Any:
    """Every decision on the pair, oldest first, undone ones included."""
    with services.transaction() as session:
        if (
            views.get_trace(session, principal, trace_id) is None
            or views.get_case(session, principal, case_id) is None
        ):
            not_found(f"pair {trace_id!r}/{case_id!r}")
        entries = decisions.history(
            session, trace_id, case_id, narrow=lambda s: readable(s, principal)
        )
        audit.record(
            session,
            principal,
            "pair.history",
            object_type="pair",
            object_id=f"{trace_id}/{case_id}",
            remote_addr=remote_addr(request),
        )
    return [views.decision_out(trace_id, case_id, e) for e in entries]


def _conflict(services: Services, trace_id: str, case_id: str, reason: str) -> schemas.Conflict:
    """The pair's state as it is now (read after the failed transaction), for a 409."""
    with services.transaction() as session:
        state = decisions.current(session, trace_id, case_id)
        version, current = (state.version, state.state) if state else (0, decisions.OPEN)
    return schemas.Conflict(detail=reason, current_version=version, current_state=current)


def changes_proposals(decision: schemas.DecisionOut) -> bool:
    """Whether a decision made or lifted a rejection, so the trace must be re-ranked."""
    return decision.verdict in ("rejected", decisions.UNDONE) or decision.state == "rejected"


def record_decision(
    services: Services,
    principal: Principal,
    trace_id: str,
    case_id: str,
    verdict: str,
    *,
    expected_version: int,
    note: str | None,
    addr: str | None,
) -> schemas.DecisionOut | schemas.Conflict | None:
    """Append a decision as `principal`; None when the pair is not visible, a Conflict
    when the pair moved on or the step is not allowed from its state."""
    try:
        with services.transaction() as session:
            trace = views.get_trace(session, principal, trace_id)
            case = views.get_case(session, principal, case_id)
            if trace is None or case is None:
                return None
            stored = repository.match_for_pair(session, trace_id, case_id)
            entry = decisions.decide(
                session,
                trace,
                case,
                verdict,
                expected_version=expected_version,
                decided_by=principal.username,
                user_id=principal.user_id,
                note=note,
                score=stored.score if stored is not None else None,
                model_version=stored.model_version if stored is not None else None,
                remote_addr=addr,
            )
            audit.record(
                session,
                principal,
                f"decision.{verdict}",
                object_type="pair",
                object_id=f"{trace_id}/{case_id}",
                remote_addr=addr,
                detail={"decision_id": entry.decision_id, "version": entry.version},
            )
    except (decisions.DecisionConflict, decisions.DecisionRefused) as exc:
        return _conflict(services, trace_id, case_id, str(exc))
    return views.decision_out(trace_id, case_id, entry)


def _answer(
    result: schemas.DecisionOut | schemas.Conflict | None,
    services: Services,
    background: BackgroundTasks,
    trace_id: str,
    case_id: str,
) -> Any:
    if result is None:
        not_found(f"pair {trace_id!r}/{case_id!r}")
    if isinstance(result, schemas.Conflict):
        return JSONResponse(status_code=409, content=result.model_dump())
    if services.settings.rescore_on_change and changes_proposals(result):
        background.add_task(services.rescorer.request)
    return result


DECISION_RESPONSES = schemas.errors(401, 403, 404, 409)


@router.post(
    "/matches/{trace_id}/{case_id}/decisions",
    status_code=201,
    response_model=schemas.DecisionOut,
    tags=["decisions"],
    summary="Decide on a pair: confirmed, rejected or unsure",
    responses=DECISION_RESPONSES,
)
def decide(
    trace_id: RecordId,
    case_id: RecordId,
    body: schemas.DecisionIn,
    request: Request,
    background: BackgroundTasks,
    principal: Principal = Depends(require("decisions:write")),
    services: Services = Depends(get_services),
) -> Any:
    """Record a verdict with a note. `confirmed` links the case and the trace (the trace
    moves to `matched`); `rejected` keeps the pair out of every proposal until one of
    its records changes. 409 when `expected_version` is not the pair's version (someone
    decided first), or when the trace is already matched to another case."""
    result = record_decision(
        services,
        principal,
        trace_id,
        case_id,
        body.verdict,
        expected_version=body.expected_version,
        note=body.note,
        addr=remote_addr(request),
    )
    return _answer(result, services, background, trace_id, case_id)


@router.post(
    "/matches/{trace_id}/{case_id}/undo",
    status_code=201,
    response_model=schemas.DecisionOut,
    tags=["decisions"],
    summary="Undo the newest decision in force on a pair",
    responses=DECISION_RESPONSES,
)
def undo(
    trace_id: RecordId,
    case_id: RecordId,
    body: schemas.StepIn,
    request: Request,
    background: BackgroundTasks,
    principal: Principal = Depends(require("decisions:undo")),
    services: Services = Depends(get_services),
) -> Any:
    """Append an `undone` entry: the pair returns to its state before the newest
    decision still in force (an undone confirmation unlinks the pair). The history
    keeps both entries. Supervisors and admins only."""
    result = record_decision(
        services,
        principal,
        trace_id,
        case_id,
        decisions.UNDONE,
        expected_version=body.expected_version,
        note=body.note,
        addr=remote_addr(request),
    )
    return _answer(result, services, background, trace_id, case_id)


@router.post(
    "/matches/{trace_id}/{case_id}/reunification",
    status_code=201,
    response_model=schemas.DecisionOut,
    tags=["decisions"],
    summary="Mark a confirmed match reunified",
    responses=DECISION_RESPONSES,
)
def reunify(
    trace_id: RecordId,
    case_id: RecordId,
    body: schemas.StepIn,
    request: Request,
    background: BackgroundTasks,
    principal: Principal = Depends(require("reunification:write")),
    services: Services = Depends(get_services),
) -> Any:
    """The child is back with the family: the trace moves to `reunified`. Only a
    confirmed pair can be; an undo reverts it to confirmed. Supervisors and admins."""
    result = record_decision(
        services,
        principal,
        trace_id,
        case_id,
        decisions.REUNIFIED,
        expected_version=body.expected_version,
        note=body.note,
        addr=remote_addr(request),
    )
    return _answer(result, services, background, trace_id, case_id)


# --- ad-hoc matching --------------------------------------------------------------


@router.post(
    "/match",
    response_model=schemas.MatchResponse,
    tags=["matches"],
    summary="Score ad-hoc queries against the stored cases (nothing is stored)",
    responses=schemas.errors(401, 403),
)
def match(
    body: schemas.MatchRequest,
    request: Request,
    principal: Principal = Depends(require("match:query")),
    services: Services = Depends(get_services),
) -> Any:
    """Each query is a trace-shaped record; the answer ranks the stored cases you may
    see, with evidence, at most `limit` a query and none below `threshold` (nor below
    the `possible` threshold). Queries are not stored; the audit log notes which cases
    were returned."""
    queries: list[adhoc.Query] = []
    for i, item in enumerate(body.queries):
        query_id = item.id or f"q{i + 1}"
        if any(q.id == query_id for q in queries):
            unprocessable(["body", "queries", i, "id"], f"query id {query_id!r} repeated")
        record = adhoc.query_record(item.trace.values(), query_id)
        queries.append(adhoc.Query(query_id, record, item.limit, item.threshold))
    with services.transaction() as session:
        entry = services.matchers.get(session, principal)
        found = adhoc.run_queries(entry, queries)
        case_ids = sorted({m.case_id for ms in found.values() for m in ms})
        cases = {
            c.case_id: c
            for c in session.scalars(
                readable(select(Case).where(Case.case_id.in_(case_ids)), principal)
            )
        }
        audit.record(
            session,
            principal,
            "match.query",
            object_type="case",
            remote_addr=remote_addr(request),
            detail={"queries": len(queries), "case_ids": audit.ids(case_ids)},
        )
    results = [
        schemas.MatchResult(
            id=q.id,
            matches=[
                schemas.AdhocMatch(
                    case_id=m.case_id,
                    score=m.score,
                    rank=m.rank,
                    likelihood=m.likelihood,
                    case=views.brief(cases[m.case_id]),
                    evidence=[schemas.Evidence(**e) for e in m.evidence],
                )
                for m in found[q.id]
                if m.case_id in cases
            ],
        )
        for q in queries
    ]
    return schemas.MatchResponse(
        model_version=entry.matcher.model.version, cases=entry.cases, results=results
    )
