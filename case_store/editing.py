"""Single-record writes: what the API does when an officer creates or edits a record.

The same rules as a file import (`case_store.io`): values are stored verbatim, the
content hash tells a real change from a resubmission, and a changed record's stored
proposals go stale until it is matched again. Functions receive a session and never
commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from case_store.io import content_hash, mark_matches_stale
from case_store.models import Case, Trace, TracingRequest, utcnow
from case_store.records import CaseRecord, TraceRecord

INQUIRER_FIELDS: tuple[str, ...] = ("inquirer_name", "inquirer_relation", "inquiry_date")


class RecordExists(Exception):
    """Creating a record whose id is already stored."""


class RecordMissing(LookupError):
    """Updating a record that is not stored."""


@dataclass(frozen=True)
class Saved:
    """What a write did: the stored row, whether it is new, whether its content changed."""

    row: Case | Trace
    created: bool
    changed: bool


def save_record(
    session: Session,
    record: CaseRecord | TraceRecord,
    *,
    agency_id: str | None,
    create: bool,
) -> Saved:
    """Insert (`create`) or update one validated case or trace.

    An update keeps the record's agency unless `agency_id` is given differently by the
    caller (the API lets only an admin move a record between agencies).
    """
    model: type[Case] | type[Trace] = Case if isinstance(record, CaseRecord) else Trace
    kind = "cases" if model is Case else "traces"
    values = record.values()
    digest = content_hash(values)
    row = session.get(model, record.record_id)
    if create and row is not None:
        raise RecordExists(f"{record.id_field} {record.record_id!r} is already stored")
    if not create and row is None:
        raise RecordMissing(f"no {kind[:-1]} {record.record_id!r}")
    now = utcnow()
    created = row is None
    if row is None:
        row = model(**values, created_at=now)  # type: ignore[arg-type]
        session.add(row)
        changed = True
    else:
        changed = row.content_hash != digest
        for name, value in values.items():
            setattr(row, name, value)
    # a record given to another agency is updated too, though its content is not:
    # who may see it changed, and matchers cached per visibility scope must notice
    moved = not created and row.agency_id != agency_id
    row.agency_id = agency_id
    row.proposable = record.proposable
    if changed:
        row.content_hash = digest
        row.needs_matching = True
    if changed or moved:
        row.updated_at = now
    session.flush()
    if changed and not created:
        mark_matches_stale(session, kind, [record.record_id])  # type: ignore[arg-type]
    if isinstance(record, TraceRecord) and record.request_id:
        _ensure_request(session, record, agency_id)
    return Saved(row, created, changed)


def _ensure_request(session: Session, trace: TraceRecord, agency_id: str | None) -> None:
    """Keep one tracing request per request_id, its inquirer taken from the trace."""
    request = session.get(TracingRequest, trace.request_id)
    if request is None:
        request = TracingRequest(request_id=trace.request_id, agency_id=agency_id)
        session.add(request)
    for name in INQUIRER_FIELDS:
        setattr(request, name, getattr(trace, name))
    session.flush()


def save_request(
    session: Session,
    request_id: str,
    inquirer: dict[str, Any],
    *,
    agency_id: str | None,
    create: bool,
) -> tuple[TracingRequest, list[str]]:
    """Insert or update a tracing request; its traces take the inquirer's new values.

    Returns the request and the ids of traces whose content changed as a result (they
    must be matched again: the inquirer is evidence for the mother/father features).
    """
    request = session.get(TracingRequest, request_id)
    if create and request is not None:
        raise RecordExists(f"request_id {request_id!r} is already stored")
    if not create and request is None:
        raise RecordMissing(f"no tracing request {request_id!r}")
    if request is None:
        request = TracingRequest(request_id=request_id, created_at=utcnow())
        session.add(request)
    request.agency_id = agency_id
    for name in INQUIRER_FIELDS:
        setattr(request, name, inquirer.get(name))
    session.flush()
    changed: list[str] = []
    for trace in list(session.scalars(select(Trace).where(Trace.request_id == request_id))):
        values = trace.values()
        values.update({name: inquirer.get(name) for name in INQUIRER_FIELDS})
        record = TraceRecord.model_validate(values)
        if save_record(session, record, agency_id=trace.agency_id, create=False).changed:
            changed.append(trace.trace_id)
    return request, changed
