"""The API's request and response bodies (pydantic), separate from the ORM models.

Incoming records reuse the contract's validation (`case_store.records`): `CaseIn` and
`TraceIn` are `CaseRecord` and `TraceRecord` with documentation, examples and the API's
limits added, so a record the API accepts is one `ftr import` would accept.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from case_store.records import CaseRecord, TraceRecord

T = TypeVar("T")


def _utc(value: dt.datetime) -> dt.datetime:
    """SQLite hands back naive timestamps; the store writes UTC, so say so (RFC 3339)."""
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value


UtcDateTime = Annotated[dt.datetime, AfterValidator(_utc)]
Id = Annotated[str, Field(min_length=1, max_length=128, pattern=r"^[^\x00/]+$")]
Note = Annotated[str | None, Field(None, max_length=4000, description="Free text, kept.")]
Role = Literal["tracing_officer", "supervisor", "admin"]  # = case_store.models.ROLES


def _clean(value: Any) -> Any:
    """Refuse NUL characters and lone surrogates: no database can store them."""
    if isinstance(value, str):
        if "\x00" in value:
            raise ValueError("text must not contain NUL characters")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise ValueError("text must be valid Unicode (no lone surrogates)") from exc
    elif isinstance(value, dict):
        for key, item in value.items():
            _clean(key)
            _clean(item)
    elif isinstance(value, list | tuple):
        for item in value:
            _clean(item)
    return value


class _Clean(BaseModel):
    @model_validator(mode="before")
    @classmethod
    def _clean_text(cls, data: Any) -> Any:
        return _clean(data)


CASE_EXAMPLE: dict[str, Any] = {
    "case_id": "C-2024-0193",
    "registration_date": "2024-05-02",
    "given_name": "Олександр",
    "family_name": "Шевченко",
    "other_names": "Sasha|Oleksandr Shevchenko",
    "sex": "m",
    "age": "7",
    "age_estimated": "true",
    "mother_name": "Natalia Shevchenko",
    "language": "uk|ru",
    "nationality": "UA",
    "place_of_origin": "Ukraine > Kharkiv Oblast > Izium",
    "separation_place": "Ukraine > Kharkiv Oblast > Kharkiv",
    "separation_date": "2024-03-10",
    "current_location": "Poland > Lublin",
    "identifiers": "birth_cert:I-ХК 123456",
    "consent_for_tracing": "true",
    "status": "open",
}

TRACE_EXAMPLE: dict[str, Any] = {
    "trace_id": "T-2024-0871",
    "request_id": "R-2024-0412",
    "inquiry_date": "2024-03-20",
    "inquirer_name": "Natalia Shevchenko",
    "inquirer_relation": "mother",
    "given_name": "Oleksandr",
    "family_name": "Shevchenko",
    "sex": "male",
    "date_of_birth": "2016-11-04",
    "place_of_origin": "Ukraine > Kharkiv > Izium",
    "separation_place": "Kharkiv",
    "separation_date": "2024-03-10",
}


class CaseIn(_Clean, CaseRecord):
    """A case as the contract's columns (any value may be a JSON string, number, bool
    or list; lists are joined with `|`). `agency_id` is the owning agency: only an
    admin may name another than their own."""

    model_config = ConfigDict(json_schema_extra={"examples": [CASE_EXAMPLE]})

    case_id: Id
    agency_id: Id | None = None


class CaseUpdate(CaseIn):
    """The whole case (a PUT replaces every column); `case_id` may be left out."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{k: v for k, v in CASE_EXAMPLE.items() if k != "case_id"}]}
    )

    case_id: Id | None = None  # type: ignore[assignment]


class TraceIn(_Clean, TraceRecord):
    """A trace (one child sought) as the contract's columns; `agency_id` as for cases."""

    model_config = ConfigDict(json_schema_extra={"examples": [TRACE_EXAMPLE]})

    trace_id: Id
    request_id: Id | None = None
    agency_id: Id | None = None


class TraceUpdate(TraceIn):
    """The whole trace (a PUT replaces every column); `trace_id` may be left out."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{k: v for k, v in TRACE_EXAMPLE.items() if k != "trace_id"}]
        }
    )

    trace_id: Id | None = None  # type: ignore[assignment]


class _RecordMeta(BaseModel):
    agency_id: str | None = Field(description="Owning agency; null: visible to all agencies.")
    workflow: str = Field(description="open, matched (a confirmed match) or reunified.")
    proposable: bool = Field(description="Whether the record takes part in proposals.")
    content_hash: str = Field(description="Digest of the contract values; changes on edit.")
    created_at: UtcDateTime
    updated_at: UtcDateTime


class CaseOut(_RecordMeta):
    """A stored case: the contract's columns verbatim, and the store's bookkeeping."""

    case_id: str
    registration_date: str
    given_name: str | None = None
    family_name: str | None = None
    other_names: str | None = None
    sex: str | None = None
    date_of_birth: str | None = None
    age: str | None = None
    age_estimated: str | None = None
    father_name: str | None = None
    mother_name: str | None = None
    caregiver_name: str | None = None
    language: str | None = None
    nationality: str | None = None
    ethnicity: str | None = None
    place_of_origin: str | None = None
    separation_place: str | None = None
    separation_date: str | None = None
    current_location: str | None = None
    identifiers: str | None = None
    consent_for_tracing: str | None = None
    status: str | None = None


class TraceOut(_RecordMeta):
    """A stored trace: the contract's columns verbatim, and the store's bookkeeping."""

    trace_id: str
    request_id: str | None = None
    inquiry_date: str
    inquirer_name: str | None = None
    inquirer_relation: str | None = None
    given_name: str | None = None
    family_name: str | None = None
    other_names: str | None = None
    sex: str | None = None
    date_of_birth: str | None = None
    age: str | None = None
    age_estimated: str | None = None
    father_name: str | None = None
    mother_name: str | None = None
    language: str | None = None
    nationality: str | None = None
    ethnicity: str | None = None
    place_of_origin: str | None = None
    separation_place: str | None = None
    separation_date: str | None = None
    identifiers: str | None = None
    status: str | None = None


class RequestTraceIn(TraceIn):
    """A trace inside a tracing request: the request gives its id, inquirer and date."""

    @model_validator(mode="after")
    def _required(self) -> RequestTraceIn:  # type: ignore[override]
        """Overrides TraceRecord's: the inquiry date comes from the request."""
        return self


class TracingRequestIn(_Clean):
    """An inquirer looking for one or more children, optionally with its traces.

    The traces take the request's id and inquirer (the contract: traces of one request
    share the inquirer)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "request_id": "R-2024-0412",
                    "inquirer_name": "Natalia Shevchenko",
                    "inquirer_relation": "mother",
                    "inquiry_date": "2024-03-20",
                    "traces": [{k: v for k, v in TRACE_EXAMPLE.items() if not k.startswith("inq")}],
                }
            ]
        }
    )

    request_id: Id
    inquirer_name: Annotated[str | None, Field(max_length=1000)] = None
    inquirer_relation: Annotated[str | None, Field(max_length=64)] = None
    inquiry_date: dt.date = Field(description="ISO 8601 date the request was made.")
    agency_id: Id | None = None
    traces: list[RequestTraceIn] = Field(default_factory=list, max_length=50)


class TracingRequestUpdate(_Clean):
    """The inquirer of a request; every trace of the request is updated with it."""

    inquirer_name: Annotated[str | None, Field(max_length=1000)] = None
    inquirer_relation: Annotated[str | None, Field(max_length=64)] = None
    inquiry_date: dt.date
    agency_id: Id | None = None


class TracingRequestOut(BaseModel):
    request_id: str
    inquirer_name: str | None
    inquirer_relation: str | None
    inquiry_date: str | None
    agency_id: str | None
    created_at: UtcDateTime
    trace_ids: list[str]


class Page(BaseModel, Generic[T]):
    """One page of a listing, with the total the filters select."""

    items: list[T]
    total: int
    limit: int
    offset: int


class Evidence(BaseModel):
    """One feature's contribution: values compared, the comparator's verdict, its weight
    in bits (the weights and the prior add up to the score's log-odds)."""

    feature: str
    label: str
    trace: str
    case: str
    level: int | None
    verdict: str
    weight: float


class Brief(BaseModel):
    """Who a record is, in a line (for lists of proposals)."""

    id: str
    given_name: str | None = None
    family_name: str | None = None
    other_names: str | None = None
    sex: str | None = None
    age: str | None = None
    date_of_birth: str | None = None
    agency_id: str | None = None


class PotentialMatchOut(BaseModel):
    """A proposal: its score, rank for the trace, likelihood and evidence, and where the
    officers' decisions left it (`state`, `version` for the next decision)."""

    trace_id: str
    case_id: str
    score: float
    rank: int
    likelihood: str
    model_version: str
    computed_at: UtcDateTime
    stale: bool = Field(description="A record changed since; the next re-score replaces it.")
    state: str = Field(description="open, confirmed, rejected, unsure or reunified.")
    version: int = Field(description="Send as expected_version with the next decision.")
    trace: Brief
    case: Brief
    evidence: list[Evidence]


class QueueItem(BaseModel):
    """A trace waiting for review: its best open proposal and how many there are."""

    trace: Brief
    best_score: float
    likelihood: str = Field(description="likely when any open proposal is likely.")
    open_proposals: int
    likely_proposals: int


class DecisionOut(BaseModel):
    """One entry of a pair's decision log."""

    decision_id: int
    trace_id: str
    case_id: str
    version: int
    verdict: str = Field(description="confirmed, rejected, unsure, reunified or undone.")
    state: str = Field(description="The pair's state after this entry.")
    decided_by: str
    decided_at: UtcDateTime
    note: str | None
    score: float | None
    model_version: str | None
    undoes_decision_id: int | None


class PairOut(BaseModel):
    """Everything an officer needs to decide on a pair: both records, the evidence
    (stored with the proposal, or computed now for a pair never proposed), the state
    and the full decision history."""

    trace: TraceOut
    case: CaseOut
    proposed: bool
    score: float
    rank: int | None
    likelihood: str
    model_version: str | None
    stale: bool
    state: str
    version: int
    evidence: list[Evidence]
    history: list[DecisionOut]


class DecisionIn(_Clean):
    """A verdict on a pair. `expected_version` is the pair's `version` as the client
    last saw it (0 for a pair never decided): if another decision came first the
    answer is 409 and nothing is written."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "verdict": "confirmed",
                    "note": "Mother recognised the photo; birth certificate matches.",
                    "expected_version": 0,
                }
            ]
        }
    )

    verdict: Literal["confirmed", "rejected", "unsure"]
    note: Note = None
    expected_version: int = Field(ge=0, le=1_000_000)


class StepIn(_Clean):
    """Undo the newest decision in force, or mark a confirmed match reunified."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"note": "Confirmed by mistake.", "expected_version": 1}]}
    )

    note: Note = None
    expected_version: int = Field(ge=0, le=1_000_000)


class Conflict(BaseModel):
    """409: the pair changed since the client looked; nothing was written. The client
    shows the current state and lets the officer decide again."""

    detail: str
    current_version: int | None = Field(None, description="The pair's version now.")
    current_state: str | None = Field(None, description="The pair's state now.")


class Error(BaseModel):
    detail: str


class TraceQuery(_Clean, TraceRecord):
    """A trace-shaped query: the contract's trace columns, none required (`trace_id`
    defaults to the query's id, `inquiry_date` to today)."""

    trace_id: Id | None = None  # type: ignore[assignment]
    inquiry_date: str | None = None

    @model_validator(mode="after")
    def _required(self) -> TraceQuery:  # type: ignore[override]
        """Overrides TraceRecord's: a query needs no inquiry date."""
        return self


class MatchQuery(_Clean):
    """One ad-hoc query: scored against the stored cases the caller may see, not stored."""

    id: Id | None = Field(None, description="Echoed in the result; default q1, q2, ...")
    limit: int = Field(10, ge=1, le=100, description="At most this many cases.")
    threshold: float = Field(
        0.0,
        ge=0.0,
        le=1.0,
        description="Minimum score; results are also never below the `possible` threshold.",
    )
    trace: TraceQuery


class MatchRequest(_Clean):
    """A batch of ad-hoc queries."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "queries": [
                        {
                            "id": "q1",
                            "limit": 5,
                            "threshold": 0.5,
                            "trace": {
                                "given_name": "Aleksandr",
                                "family_name": "Shevchenko",
                                "sex": "m",
                                "age": "7",
                                "inquiry_date": "2024-03-20",
                            },
                        }
                    ]
                }
            ]
        }
    )

    queries: list[MatchQuery] = Field(min_length=1, max_length=100)


class AdhocMatch(BaseModel):
    case_id: str
    score: float
    rank: int
    likelihood: str
    case: Brief
    evidence: list[Evidence]


class MatchResult(BaseModel):
    id: str
    matches: list[AdhocMatch]


class MatchResponse(BaseModel):
    model_version: str
    cases: int = Field(description="How many stored cases the queries were matched against.")
    results: list[MatchResult]


class UserIn(_Clean):
    """A new user. People get a password (for the review pages); integrations
    (`is_service`) only tokens. The answer holds the first API token, shown once."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "username": "o.kovalenko",
                    "role": "tracing_officer",
                    "agency_id": "unhcr-pl",
                    "password": "correct horse battery staple",
                }
            ]
        }
    )

    username: Annotated[str, Field(min_length=1, max_length=128, pattern=r"^[^\s\x00]+$")]
    role: Role
    agency_id: Id | None = None
    password: Annotated[str | None, Field(min_length=12, max_length=1000)] = None
    is_service: bool = False


class UserPatch(_Clean):
    """Change a user's role, agency, active flag or password (only what is given)."""

    role: Role | None = None
    agency_id: Id | None = None
    active: bool | None = None
    password: Annotated[str | None, Field(min_length=12, max_length=1000)] = None


class UserOut(BaseModel):
    id: int
    username: str
    role: str
    agency_id: str | None
    is_service: bool
    active: bool
    created_at: UtcDateTime


class TokenIn(_Clean):
    label: Annotated[str | None, Field(max_length=200)] = None


class TokenOut(BaseModel):
    id: int
    label: str | None
    created_at: UtcDateTime
    revoked_at: UtcDateTime | None


class TokenCreated(BaseModel):
    """The token is shown once: only its SHA-256 is stored."""

    token: str
    info: TokenOut


class UserCreated(BaseModel):
    user: UserOut
    token: str = Field(description="The first API token; shown once.")


class Me(BaseModel):
    user_id: int
    username: str
    role: str
    agency_id: str | None
    permissions: list[str]
    visible_agencies: list[str] | None = Field(
        description="Agencies whose records you see (records without agency too); "
        "null: all (admin)."
    )


class AgencyIn(_Clean):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"agency_id": "unhcr-pl", "name": "UNHCR Poland"}]}
    )

    agency_id: Id
    name: Annotated[str, Field(min_length=1, max_length=500)]


class AgencyOut(BaseModel):
    agency_id: str
    name: str
    created_at: UtcDateTime


class ShareIn(_Clean):
    """`owner_agency_id` lets the users of `viewer_agency_id` see its records."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"owner_agency_id": "unhcr-pl", "viewer_agency_id": "icrc-ua"}]
        }
    )

    owner_agency_id: Id
    viewer_agency_id: Id


class ShareOut(BaseModel):
    owner_agency_id: str
    viewer_agency_id: str
    created_at: UtcDateTime
    created_by: str | None


class AuditOut(BaseModel):
    id: int
    at: UtcDateTime
    actor: str
    action: str
    object_type: str | None
    object_id: str | None
    remote_addr: str | None
    detail: dict[str, Any] | None


class Health(BaseModel):
    status: Literal["ok"]
    database: Literal["ok"]


_ERROR_TEXT: dict[int, str] = {
    401: "No valid bearer token.",
    403: "Your role does not allow this.",
    404: "No such record, or not visible to you (the same answer for both).",
    409: "Conflict with the stored state; nothing was written.",
}


def errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` for the error answers an operation can give."""
    return {
        code: {"model": Conflict if code == 409 else Error, "description": _ERROR_TEXT[code]}
        for code in codes
    }
