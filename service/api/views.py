"""Reading records as the caller may see them, and turning rows into API bodies.

Shared by the API routers and the review pages, so both apply the same access rule
(`auth.readable`) and show the same fields.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from case_store import decisions
from case_store.models import Case, PairState, PotentialMatch, Trace, TracingRequest
from service.api import schemas
from service.auth import Principal, readable


def get_case(session: Session, principal: Principal, case_id: str) -> Case | None:
    return session.scalar(readable(select(Case).where(Case.case_id == case_id), principal))


def get_trace(session: Session, principal: Principal, trace_id: str) -> Trace | None:
    return session.scalar(readable(select(Trace).where(Trace.trace_id == trace_id), principal))


def get_request(session: Session, principal: Principal, request_id: str) -> TracingRequest | None:
    stmt = select(TracingRequest).where(TracingRequest.request_id == request_id)
    return session.scalar(readable(stmt, principal))


def _meta(row: Case | Trace, workflow: str) -> dict[str, Any]:
    return {
        "agency_id": row.agency_id,
        "workflow": workflow,
        "proposable": row.proposable,
        "content_hash": row.content_hash,
        "created_at": row.created_at,
        "updated_at": row.updated_at,
    }


def case_out(row: Case, workflow: str) -> schemas.CaseOut:
    return schemas.CaseOut(**row.values(), **_meta(row, workflow))


def cases_out(session: Session, rows: Sequence[Case]) -> list[schemas.CaseOut]:
    """Cases with their workflow (derived from confirmed links)."""
    flow = decisions.case_workflow(session, [r.case_id for r in rows])
    return [case_out(r, flow[r.case_id]) for r in rows]


def trace_out(row: Trace) -> schemas.TraceOut:
    return schemas.TraceOut(**row.values(), **_meta(row, row.workflow))


def brief(row: Case | Trace) -> schemas.Brief:
    return schemas.Brief(
        id=row.case_id if isinstance(row, Case) else row.trace_id,
        given_name=row.given_name,
        family_name=row.family_name,
        other_names=row.other_names,
        sex=row.sex,
        age=row.age,
        date_of_birth=row.date_of_birth,
        agency_id=row.agency_id,
    )


def request_out(session: Session, principal: Principal, row: TracingRequest) -> Any:
    trace_ids = session.scalars(
        readable(
            select(Trace.trace_id)
            .where(Trace.request_id == row.request_id)
            .order_by(Trace.trace_id),
            principal,
        )
    )
    return schemas.TracingRequestOut(
        request_id=row.request_id,
        inquirer_name=row.inquirer_name,
        inquirer_relation=row.inquirer_relation,
        inquiry_date=row.inquiry_date,
        agency_id=row.agency_id,
        created_at=row.created_at,
        trace_ids=list(trace_ids),
    )


def pair_states(
    session: Session, principal: Principal, pairs: Sequence[tuple[str, str]]
) -> dict[tuple[str, str], PairState]:
    """The decision state of each visible pair among `pairs` (missing: never decided)."""
    if not pairs:
        return {}
    trace_ids = sorted({t for t, _ in pairs})
    stmt = readable(select(PairState).where(PairState.trace_id.in_(trace_ids)), principal)
    wanted = set(pairs)
    return {
        (s.trace_id, s.case_id): s
        for s in session.scalars(stmt)
        if (s.trace_id, s.case_id) in wanted
    }


def potential_match_out(
    match: PotentialMatch, trace: Trace, case: Case, state: PairState | None
) -> schemas.PotentialMatchOut:
    return schemas.PotentialMatchOut(
        trace_id=match.trace_id,
        case_id=match.case_id,
        score=match.score,
        rank=match.rank,
        likelihood=match.likelihood,
        model_version=match.model_version,
        computed_at=match.computed_at,
        stale=match.stale,
        state=state.state if state else decisions.OPEN,
        version=state.version if state else 0,
        trace=brief(trace),
        case=brief(case),
        evidence=[schemas.Evidence(**e) for e in match.evidence or []],
    )


def decision_out(trace_id: str, case_id: str, entry: decisions.LogEntry) -> schemas.DecisionOut:
    return schemas.DecisionOut(
        decision_id=entry.decision_id,
        trace_id=trace_id,
        case_id=case_id,
        version=entry.version,
        verdict=entry.verdict,
        state=entry.state,
        decided_by=entry.decided_by,
        decided_at=entry.decided_at,
        note=entry.note,
        score=entry.score,
        model_version=entry.model_version,
        undoes_decision_id=entry.undoes_decision_id,
    )
