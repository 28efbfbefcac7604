"""Cases, traces and tracing requests: create, update, read, list, and their matches.

Creating or changing a record marks it for matching and asks for a background
re-score, so its proposals appear without a batch run. Every read of personal data
leaves an audit entry.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Depends, HTTPException, Path, Query, Request
from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from case_store import decisions, editing
from case_store.models import Agency, Case, PotentialMatch, Trace, TracingRequest
from case_store.records import CaseRecord, TraceRecord
from service import audit
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

CaseId = Annotated[str, Path(min_length=1, max_length=128, pattern=r"^[^\x00]+$")]
TraceId = CaseId
RequestId = CaseId
Limit = Annotated[int, Query(ge=1, le=200, description="Page size.")]
Offset = Annotated[int, Query(ge=0, le=10_000_000, description="Rows to skip.")]
Search = Annotated[
    str | None,
    Query(max_length=200, pattern=r"^[^\x00]*$", description="Part of a name (any field)."),
]
Status = Annotated[
    str | None, Query(pattern=r"^(open|closed|reunified)$", description="Contract status.")
]
AgencyFilter = Annotated[str | None, Query(max_length=128, pattern=r"^[^\x00]+$")]

READ = require("records:read")
WRITE = require("records:write")


def owning_agency(
    session: Session, principal: Principal, asked: str | None, current: str | None
) -> str | None:
    """The agency a created or updated record belongs to.

    New records belong to the creator's agency; an update keeps the record's agency.
    Only an admin may name another agency (or none), and it must exist.
    """
    if asked is None or asked == current:
        return current
    if not principal.is_admin:
        raise HTTPException(403, detail="only an admin may assign a record to another agency")
    if session.get(Agency, asked) is None:
        unprocessable(["body", "agency_id"], f"no agency {asked!r}")
    return asked


def _rescore_later(services: Services, background: BackgroundTasks) -> None:
    if services.settings.rescore_on_change:
        background.add_task(services.rescorer.request)


def _page(
    session: Session, stmt: Select[Any], principal: Principal, limit: int, offset: int
) -> tuple[list[Any], int]:
    stmt = readable(stmt, principal)
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    rows = list(session.scalars(stmt.limit(limit).offset(offset)))
    return rows, total


def _name_filter(model: type[Case] | type[Trace], q: str | None) -> Any:
    if not q:
        return None
    return or_(
        model.given_name.icontains(q, autoescape=True),
        model.family_name.icontains(q, autoescape=True),
        model.other_names.icontains(q, autoescape=True),
    )


# --- cases ------------------------------------------------------------------------


@router.get(
    "/cases",
    response_model=schemas.Page[schemas.CaseOut],
    tags=["cases"],
    summary="List cases",
    responses=schemas.errors(401, 403),
)
def list_cases(
    request: Request,
    limit: Limit = 50,
    offset: Offset = 0,
    q: Search = None,
    status: Status = None,
    agency_id: AgencyFilter = None,
    principal: Principal = Depends(READ),
    services: Services = Depends(get_services),
) -> Any:
    """Cases you may see, newest first; `q` searches the names."""
    stmt = select(Case).order_by(Case.created_at.desc(), Case.case_id)
    if (cond := _name_filter(Case, q)) is not None:
        stmt = stmt.where(cond)
    if status:
        stmt = stmt.where(func.coalesce(func.lower(Case.status), "open") == status)
    if agency_id:
        stmt = stmt.where(Case.agency_id == agency_id)
    with services.transaction() as session:
        rows, total = _page(session, stmt, principal, limit, offset)
        audit.record(
            session,
            principal,
            "case.list",
            object_type="case",
            remote_addr=remote_addr(request),
            detail={"ids": audit.ids(r.case_id for r in rows), "q": q},
        )
        items = views.cases_out(session, rows)
    return schemas.Page[schemas.CaseOut](items=items, total=total, limit=limit, offset=offset)


@router.post(
    "/cases",
    status_code=201,
    response_model=schemas.CaseOut,
    tags=["cases"],
    summary="Register a case",
    responses=schemas.errors(401, 403, 409),
)
def create_case(
    body: schemas.CaseIn,
    request: Request,
    background: BackgroundTasks,
    principal: Principal = Depends(WRITE),
    services: Services = Depends(get_services),
) -> Any:
    """Store a new case; it is matched against the traces in the background."""
    with services.transaction() as session:
        agency = owning_agency(session, principal, body.agency_id, principal.agency_id)
        try:
            saved = editing.save_record(session, body, agency_id=agency, create=True)
        except editing.RecordExists as exc:
            raise HTTPException(409, detail=str(exc)) from exc
        audit.record(
            session,
            principal,
            "case.create",
            object_type="case",
            object_id=body.case_id,
            remote_addr=remote_addr(request),
        )
        out = views.case_out(saved.row, decisions.OPEN)  # type: ignore[arg-type]
    _rescore_later(services, background)
    return out


@router.get(
    "/cases/{case_id}",
    response_model=schemas.CaseOut,
    tags=["cases"],
    summary="Read a case",
    responses=schemas.errors(401, 403, 404),
)
def read_case(
    case_id: CaseId,
    request: Request,
    principal: Principal = Depends(READ),
    services: Services = Depends(get_services),
) -> Any:
    with services.transaction() as session:
        row = views.get_case(session, principal, case_id)
        if row is None:
            not_found(f"case {case_id!r}")
        audit.record(
            session,
            principal,
            "case.read",
            object_type="case",
            object_id=case_id,
            remote_addr=remote_addr(request),
        )
        return views.cases_out(session, [row])[0]


@router.put(
    "/cases/{case_id}",
    response_model=schemas.CaseOut,
    tags=["cases"],
    summary="Update a case",
    responses=schemas.errors(401, 403, 404),
)
def update_case(
    case_id: CaseId,
    body: schemas.CaseUpdate,
    request: Request,
    background: BackgroundTasks,
    principal: Principal = Depends(WRITE),
    services: Services = Depends(get_services),
) -> Any:
    """Replace a case's columns. A change re-matches it; an unchanged resubmission does not."""
    if body.case_id is not None and body.case_id != case_id:
        unprocessable(["body", "case_id"], "case_id differs from the one in the path")
    values = {**body.values(), "case_id": case_id}
    record = CaseRecord.model_validate(values)
    with services.transaction() as session:
        row = views.get_case(session, principal, case_id)
        if row is None:
            not_found(f"case {case_id!r}")
        agency = owning_agency(session, principal, body.agency_id, row.agency_id)
        saved = editing.save_record(session, record, agency_id=agency, create=False)
        audit.record(
            session,
            principal,
            "case.update",
            object_type="case",
            object_id=case_id,
            remote_addr=remote_addr(request),
            detail={"changed": saved.changed},
        )
        out = views.cases_out(session, [saved.row])[0]  # type: ignore[list-item]
    if saved.changed:
        _rescore_later(services, background)
    return out


@router.get(
    "/cases/{case_id}/matches",
    response_model=list[schemas.PotentialMatchOut],
    tags=["cases", "matches"],
    summary="Ranked potential matches of a case",
    responses=schemas.errors(401, 403, 404),
)
def case_matches(
    case_id: CaseId,
    request: Request,
    include_decided: bool = Query(True, description="Also pairs already decided."),
    principal: Principal = Depends(READ),
    services: Services = Depends(get_services),
) -> Any:
    """Traces proposed for this case, best score first, with the evidence. Rejected
    pairs whose records are unchanged are never listed."""
    with services.transaction() as session:
        case = views.get_case(session, principal, case_id)
        if case is None:
            not_found(f"case {case_id!r}")
        stmt = (
            select(PotentialMatch, Trace)
            .join(Trace, Trace.trace_id == PotentialMatch.trace_id)
            .where(
                PotentialMatch.case_id == case_id,
                ~decisions.suppressed_clause(PotentialMatch.trace_id, PotentialMatch.case_id),
            )
            .order_by(PotentialMatch.score.desc(), PotentialMatch.trace_id)
        )
        rows = session.execute(readable(stmt, principal)).all()
        out = _with_states(session, principal, [(m, t, case) for m, t in rows], include_decided)
        audit.record(
            session,
            principal,
            "case.matches",
            object_type="case",
            object_id=case_id,
            remote_addr=remote_addr(request),
            detail={"trace_ids": audit.ids(m.trace_id for m in out)},
        )
    return out


def _with_states(
    session: Session,
    principal: Principal,
    rows: list[tuple[PotentialMatch, Trace, Case]],
    include_decided: bool,
) -> list[schemas.PotentialMatchOut]:
    states = views.pair_states(session, principal, [(m.trace_id, m.case_id) for m, _, _ in rows])
    out = []
    for match, trace, case in rows:
        state = states.get((match.trace_id, match.case_id))
        if not include_decided and not decisions.awaits_decision(
            state, trace.content_hash, case.content_hash
        ):
            continue
        out.append(views.potential_match_out(match, trace, case, state))
    return out


# --- traces -----------------------------------------------------------------------


@router.get(
    "/traces",
    response_model=schemas.Page[schemas.TraceOut],
    tags=["traces"],
    summary="List traces",
    responses=schemas.errors(401, 403),
)
def list_traces(
    request: Request,
    limit: Limit = 50,
    offset: Offset = 0,
    q: Search = None,
    status: Status = None,
    agency_id: AgencyFilter = None,
    request_id: AgencyFilter = None,
    principal: Principal = Depends(READ),
    services: Services = Depends(get_services),
) -> Any:
    """Traces you may see, newest first; `q` searches the names of the children sought."""
    stmt = select(Trace).order_by(Trace.created_at.desc(), Trace.trace_id)
    if (cond := _name_filter(Trace, q)) is not None:
        stmt = stmt.where(cond)
    if status:
        stmt = stmt.where(func.coalesce(func.lower(Trace.status), "open") == status)
    if agency_id:
        stmt = stmt.where(Trace.agency_id == agency_id)
    if request_id:
        stmt = stmt.where(Trace.request_id == request_id)
    with services.transaction() as session:
        rows, total = _page(session, stmt, principal, limit, offset)
        audit.record(
            session,
            principal,
            "trace.list",
            object_type="trace",
            remote_addr=remote_addr(request),
            detail={"ids": audit.ids(r.trace_id for r in rows), "q": q},
        )
        items = [views.trace_out(r) for r in rows]
    return schemas.Page[schemas.TraceOut](items=items, total=total, limit=limit, offset=offset)


def _save_trace(
    session: Session, principal: Principal, record: TraceRecord, agency: str | None, create: bool
) -> editing.Saved:
    if record.request_id:
        request = session.get(TracingRequest, record.request_id)
        if (
            request is not None
            and views.get_request(session, principal, request.request_id) is None
        ):
            # A trace may not be attached to another agency's request it cannot see.
            not_found(f"tracing request {record.request_id!r}")
    try:
        return editing.save_record(session, record, agency_id=agency, create=create)
    except editing.RecordExists as exc:
        raise HTTPException(409, detail=str(exc)) from exc


@router.post(
    "/traces",
    status_code=201,
    response_model=schemas.TraceOut,
    tags=["traces"],
    summary="Register a trace",
    responses=schemas.errors(401, 403, 404, 409),
)
def create_trace(
    body: schemas.TraceIn,
    request: Request,
    background: BackgroundTasks,
    principal: Principal = Depends(WRITE),
    services: Services = Depends(get_services),
) -> Any:
    """Store a new trace (its tracing request is created when new); it is matched
    against the cases in the background."""
    with services.transaction() as session:
        agency = owning_agency(session, principal, body.agency_id, principal.agency_id)
        saved = _save_trace(session, principal, body, agency, create=True)
        audit.record(
            session,
            principal,
            "trace.create",
            object_type="trace",
            object_id=body.trace_id,
            remote_addr=remote_addr(request),
        )
        out = views.trace_out(saved.row)  # type: ignore[arg-type]
    _rescore_later(services, background)
    return out


@router.get(
    "/traces/{trace_id}",
    response_model=schemas.TraceOut,
    tags=["traces"],
    summary="Read a trace",
    responses=schemas.errors(401, 403, 404),
)
def read_trace(
    trace_id: TraceId,
    request: Request,
    principal: Principal = Depends(READ),
    services: Services = Depends(get_services),
) -> Any:
    with services.transaction() as session:
        row = views.get_trace(session, principal, trace_id)
        if row is None:
            not_found(f"trace {trace_id!r}")
        audit.record(
            session,
            principal,
            "trace.read",
            object_type="trace",
            object_id=trace_id,
            remote_addr=remote_addr(request),
        )
        return views.trace_out(row)


@router.put(
    "/traces/{trace_id}",
    response_model=schemas.TraceOut,
    tags=["traces"],
    summary="Update a trace",
    responses=schemas.errors(401, 403, 404),
)
def update_trace(
    trace_id: TraceId,
    body: schemas.TraceUpdate,
    request: Request,
    background: BackgroundTasks,
    principal: Principal = Depends(WRITE),
    services: Services = Depends(get_services),
) -> Any:
    """Replace a trace's columns. A change re-matches it; an unchanged resubmission does not."""
    if body.trace_id is not None and body.trace_id != trace_id:
        unprocessable(["body", "trace_id"], "trace_id differs from the one in the path")
    record = TraceRecord.model_validate({**body.values(), "trace_id": trace_id})
    with services.transaction() as session:
        row = views.get_trace(session, principal, trace_id)
        if row is None:
            not_found(f"trace {trace_id!r}")
        agency = owning_agency(session, principal, body.agency_id, row.agency_id)
        saved = _save_trace(session, principal, record, agency, create=False)
        audit.record(
            session,
            principal,
            "trace.update",
            object_type="trace",
            object_id=trace_id,
            remote_addr=remote_addr(request),
            detail={"changed": saved.changed},
        )
        out = views.trace_out(saved.row)  # type: ignore[arg-type]
    if saved.changed:
        _rescore_later(services, background)
    return out


@router.get(
    "/traces/{trace_id}/matches",
    response_model=list[schemas.PotentialMatchOut],
    tags=["traces", "matches"],
    summary="Ranked potential matches of a trace",
    responses=schemas.errors(401, 403, 404),
)
def trace_matches(
    trace_id: TraceId,
    request: Request,
    include_decided: bool = Query(True, description="Also pairs already decided."),
    principal: Principal = Depends(READ),
    services: Services = Depends(get_services),
) -> Any:
    """Cases proposed for this trace, rank 1 first, each with the per-field evidence that
    made its score. Rejected pairs whose records are unchanged are never listed."""
    with services.transaction() as session:
        trace = views.get_trace(session, principal, trace_id)
        if trace is None:
            not_found(f"trace {trace_id!r}")
        stmt = (
            select(PotentialMatch, Case)
            .join(Case, Case.case_id == PotentialMatch.case_id)
            .where(
                PotentialMatch.trace_id == trace_id,
                ~decisions.suppressed_clause(PotentialMatch.trace_id, PotentialMatch.case_id),
            )
            .order_by(PotentialMatch.rank, PotentialMatch.case_id)
        )
        rows = session.execute(readable(stmt, principal)).all()
        out = _with_states(session, principal, [(m, trace, c) for m, c in rows], include_decided)
        audit.record(
            session,
            principal,
            "trace.matches",
            object_type="trace",
            object_id=trace_id,
            remote_addr=remote_addr(request),
            detail={"case_ids": audit.ids(m.case_id for m in out)},
        )
    return out


# --- tracing requests -------------------------------------------------------------


@router.get(
    "/tracing-requests",
    response_model=schemas.Page[schemas.TracingRequestOut],
    tags=["tracing requests"],
    summary="List tracing requests",
    responses=schemas.errors(401, 403),
)
def list_requests(
    request: Request,
    limit: Limit = 50,
    offset: Offset = 0,
    q: Search = None,
    principal: Principal = Depends(READ),
    services: Services = Depends(get_services),
) -> Any:
    """Tracing requests you may see, newest first; `q` searches the inquirer's name."""
    stmt = select(TracingRequest).order_by(
        TracingRequest.created_at.desc(), TracingRequest.request_id
    )
    if q:
        stmt = stmt.where(TracingRequest.inquirer_name.icontains(q, autoescape=True))
    with services.transaction() as session:
        rows, total = _page(session, stmt, principal, limit, offset)
        audit.record(
            session,
            principal,
            "tracing_request.list",
            object_type="tracing_request",
            remote_addr=remote_addr(request),
            detail={"ids": audit.ids(r.request_id for r in rows), "q": q},
        )
        items = [views.request_out(session, principal, r) for r in rows]
    return schemas.Page[schemas.TracingRequestOut](
        items=items, total=total, limit=limit, offset=offset
    )


def _inquirer(body: schemas.TracingRequestIn | schemas.TracingRequestUpdate) -> dict[str, Any]:
    return {
        "inquirer_name": body.inquirer_name,
        "inquirer_relation": body.inquirer_relation,
        "inquiry_date": body.inquiry_date.isoformat(),
    }


@router.post(
    "/tracing-requests",
    status_code=201,
    response_model=schemas.TracingRequestOut,
    tags=["tracing requests"],
    summary="Register a tracing request (with its traces)",
    responses=schemas.errors(401, 403, 409),
)
def create_request(
    body: schemas.TracingRequestIn,
    request: Request,
    background: BackgroundTasks,
    principal: Principal = Depends(WRITE),
    services: Services = Depends(get_services),
) -> Any:
    """Store a request and the traces it holds, all or nothing."""
    inquirer = _inquirer(body)
    records: list[TraceRecord] = []
    for i, trace in enumerate(body.traces):
        values = {**trace.values(), **inquirer, "request_id": body.request_id}
        records.append(TraceRecord.model_validate(values))
        if len({r.trace_id for r in records}) != len(records):
            unprocessable(["body", "traces", i, "trace_id"], "trace_id repeated in the request")
    with services.transaction() as session:
        agency = owning_agency(session, principal, body.agency_id, principal.agency_id)
        try:
            row, _ = editing.save_request(
                session, body.request_id, inquirer, agency_id=agency, create=True
            )
            for record in records:
                editing.save_record(session, record, agency_id=agency, create=True)
        except editing.RecordExists as exc:
            raise HTTPException(409, detail=str(exc)) from exc
        audit.record(
            session,
            principal,
            "tracing_request.create",
            object_type="tracing_request",
            object_id=body.request_id,
            remote_addr=remote_addr(request),
            detail={"trace_ids": [r.trace_id for r in records]},
        )
        out = views.request_out(session, principal, row)
    if records:
        _rescore_later(services, background)
    return out


@router.get(
    "/tracing-requests/{request_id}",
    response_model=schemas.TracingRequestOut,
    tags=["tracing requests"],
    summary="Read a tracing request",
    responses=schemas.errors(401, 403, 404),
)
def read_request(
    request_id: RequestId,
    request: Request,
    principal: Principal = Depends(READ),
    services: Services = Depends(get_services),
) -> Any:
    with services.transaction() as session:
        row = views.get_request(session, principal, request_id)
        if row is None:
            not_found(f"tracing request {request_id!r}")
        audit.record(
            session,
            principal,
            "tracing_request.read",
            object_type="tracing_request",
            object_id=request_id,
            remote_addr=remote_addr(request),
        )
        return views.request_out(session, principal, row)


@router.put(
    "/tracing-requests/{request_id}",
    response_model=schemas.TracingRequestOut,
    tags=["tracing requests"],
    summary="Update a tracing request's inquirer",
    responses=schemas.errors(401, 403, 404),
)
def update_request(
    request_id: RequestId,
    body: schemas.TracingRequestUpdate,
    request: Request,
    background: BackgroundTasks,
    principal: Principal = Depends(WRITE),
    services: Services = Depends(get_services),
) -> Any:
    """Change the inquirer; every trace of the request takes the new values."""
    with services.transaction() as session:
        row = views.get_request(session, principal, request_id)
        if row is None:
            not_found(f"tracing request {request_id!r}")
        agency = owning_agency(session, principal, body.agency_id, row.agency_id)
        row, changed = editing.save_request(
            session, request_id, _inquirer(body), agency_id=agency, create=False
        )
        audit.record(
            session,
            principal,
            "tracing_request.update",
            object_type="tracing_request",
            object_id=request_id,
            remote_addr=remote_addr(request),
            detail={"changed_traces": changed},
        )
        out = views.request_out(session, principal, row)
    if changed:
        _rescore_later(services, background)
    return out
