"""SQLAlchemy 2.0 models of the case store.

Contract columns are stored verbatim as text: the store never rewrites what a
caseworker recorded. The few derived columns (`proposable`, `content_hash`,
`needs_matching`) exist so the matcher can select its work without parsing every
row again.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from case_store.fields import CASE_FIELDS, TRACE_FIELDS

ID = String(128)


def utcnow() -> dt.datetime:
    """Timestamps are stored in UTC; the pages convert for display."""
    return dt.datetime.now(dt.UTC)


class Base(DeclarativeBase):
    """Declarative base of every table of the store."""


class Agency(Base):
    """An organisation that registers cases or receives tracing requests."""

    __tablename__ = "agencies"

    agency_id: Mapped[str] = mapped_column(ID, primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class _RecordColumns:
    """Bookkeeping shared by cases and traces."""

    agency_id: Mapped[str | None] = mapped_column(ID, ForeignKey("agencies.agency_id"))
    proposable: Mapped[bool] = mapped_column(Boolean, default=True, index=True)
    content_hash: Mapped[str] = mapped_column(String(64))
    needs_matching: Mapped[bool] = mapped_column(Boolean, default=True, index=True)
    created_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, server_default=func.now()
    )
    updated_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, server_default=func.now()
    )


class Case(_RecordColumns, Base):
    """A registered separated or unaccompanied child."""

    __tablename__ = "cases"

    case_id: Mapped[str] = mapped_column(ID, primary_key=True)
    registration_date: Mapped[str] = mapped_column(Text)
    given_name: Mapped[str | None] = mapped_column(Text)
    family_name: Mapped[str | None] = mapped_column(Text)
    other_names: Mapped[str | None] = mapped_column(Text)
    sex: Mapped[str | None] = mapped_column(Text)
    date_of_birth: Mapped[str | None] = mapped_column(Text)
    age: Mapped[str | None] = mapped_column(Text)
    age_estimated: Mapped[str | None] = mapped_column(Text)
    father_name: Mapped[str | None] = mapped_column(Text)
    mother_name: Mapped[str | None] = mapped_column(Text)
    caregiver_name: Mapped[str | None] = mapped_column(Text)
    language: Mapped[str | None] = mapped_column(Text)
    nationality: Mapped[str | None] = mapped_column(Text)
    ethnicity: Mapped[str | None] = mapped_column(Text)
    place_of_origin: Mapped[str | None] = mapped_column(Text)
    separation_place: Mapped[str | None] = mapped_column(Text)
    separation_date: Mapped[str | None] = mapped_column(Text)
    current_location: Mapped[str | None] = mapped_column(Text)
    identifiers: Mapped[str | None] = mapped_column(Text)
    consent_for_tracing: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str | None] = mapped_column(Text)

    def values(self) -> dict[str, str | None]:
        """The contract's columns, verbatim."""
        return {name: getattr(self, name) for name in CASE_FIELDS}


class TracingRequest(Base):
    """An inquirer looking for one or more children (one trace per child)."""

    __tablename__ = "tracing_requests"

    request_id: Mapped[str] = mapped_column(ID, primary_key=True)
    inquirer_name: Mapped[str | None] = mapped_column(Text)
    inquirer_relation: Mapped[str | None] = mapped_column(Text)
    inquiry_date: Mapped[str | None] = mapped_column(Text)
    agency_id: Mapped[str | None] = mapped_column(ID, ForeignKey("agencies.agency_id"))
    created_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, server_default=func.now()
    )


class Trace(_RecordColumns, Base):
    """One child sought by a tracing request."""

    __tablename__ = "traces"

    trace_id: Mapped[str] = mapped_column(ID, primary_key=True)
    request_id: Mapped[str | None] = mapped_column(ID, index=True)
    inquiry_date: Mapped[str] = mapped_column(Text)
    inquirer_name: Mapped[str | None] = mapped_column(Text)
    inquirer_relation: Mapped[str | None] = mapped_column(Text)
    given_name: Mapped[str | None] = mapped_column(Text)
    family_name: Mapped[str | None] = mapped_column(Text)
    other_names: Mapped[str | None] = mapped_column(Text)
    sex: Mapped[str | None] = mapped_column(Text)
    date_of_birth: Mapped[str | None] = mapped_column(Text)
    age: Mapped[str | None] = mapped_column(Text)
    age_estimated: Mapped[str | None] = mapped_column(Text)
    father_name: Mapped[str | None] = mapped_column(Text)
    mother_name: Mapped[str | None] = mapped_column(Text)
    language: Mapped[str | None] = mapped_column(Text)
    nationality: Mapped[str | None] = mapped_column(Text)
    ethnicity: Mapped[str | None] = mapped_column(Text)
    place_of_origin: Mapped[str | None] = mapped_column(Text)
    separation_place: Mapped[str | None] = mapped_column(Text)
    separation_date: Mapped[str | None] = mapped_column(Text)
    identifiers: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str | None] = mapped_column(Text)
    workflow: Mapped[str] = mapped_column(String(32), default="open", server_default="open")

    def values(self) -> dict[str, str | None]:
        """The contract's columns, verbatim."""
        return {name: getattr(self, name) for name in TRACE_FIELDS}


class PotentialMatch(Base):
    """A proposed (trace, case) pair with its calibrated score and evidence."""

    __tablename__ = "potential_matches"
    __table_args__ = (
        UniqueConstraint("trace_id", "case_id", name="uq_potential_match_pair"),
        Index("ix_potential_match_trace_rank", "trace_id", "rank"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    trace_id: Mapped[str] = mapped_column(ID, ForeignKey("traces.trace_id", ondelete="CASCADE"))
    case_id: Mapped[str] = mapped_column(
        ID, ForeignKey("cases.case_id", ondelete="CASCADE"), index=True
    )
    score: Mapped[float] = mapped_column(Float)
    rank: Mapped[int] = mapped_column(Integer)
    likelihood: Mapped[str] = mapped_column(String(16), index=True)
    model_version: Mapped[str] = mapped_column(String(64))
    evidence: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    computed_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    stale: Mapped[bool] = mapped_column(Boolean, default=False)


class Decision(Base):
    """One caseworker decision on a pair: the log is append-only."""

    __tablename__ = "decisions"
    __table_args__ = (Index("ix_decision_pair", "trace_id", "case_id", "decided_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    trace_id: Mapped[str] = mapped_column(ID, ForeignKey("traces.trace_id"))
    case_id: Mapped[str] = mapped_column(ID, ForeignKey("cases.case_id"))
    verdict: Mapped[str] = mapped_column(String(16))
    decided_by: Mapped[str] = mapped_column(Text)
    decided_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    note: Mapped[str | None] = mapped_column(Text)
    score: Mapped[float | None] = mapped_column(Float)
    model_version: Mapped[str | None] = mapped_column(String(64))


class AuditEvent(Base):
    """Who read or changed what, when and from where. Never edited or deleted."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(Text)
    action: Mapped[str] = mapped_column(String(64))
    object_type: Mapped[str | None] = mapped_column(String(32))
    object_id: Mapped[str | None] = mapped_column(Text)
    remote_addr: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class MatchRun(Base):
    """One run of the matcher: what it did and with which model."""

    __tablename__ = "match_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    mode: Mapped[str] = mapped_column(String(16))
    model_version: Mapped[str] = mapped_column(String(64))
    started_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    traces_scored: Mapped[int] = mapped_column(Integer, default=0)
    pairs_written: Mapped[int] = mapped_column(Integer, default=0)
    state: Mapped[str] = mapped_column(String(16), default="running")
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON)


# --- Review service: users, tokens, agency sharing, the decision state of pairs --------
# Appended for the review service (issue #4); migration 0002_review_service.
# Passwords and tokens are stored only as hashes (service/auth.py makes them).

ROLES: tuple[str, ...] = ("tracing_officer", "supervisor", "admin")


class User(Base):
    """A person (or an integration) who may use the service, with one role and agency.

    `password_hash` is empty for integrations, which only hold API tokens and never
    log in to the review pages.
    """

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(128), unique=True)
    role: Mapped[str] = mapped_column(String(32))
    agency_id: Mapped[str | None] = mapped_column(ID, ForeignKey("agencies.agency_id"))
    password_hash: Mapped[str | None] = mapped_column(Text)
    is_service: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ApiToken(Base):
    """A bearer token of a user: only its SHA-256 digest is kept, so a leak of the
    table does not leak a credential."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(Integer, ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class AgencyShare(Base):
    """`owner_agency_id` lets the users of `viewer_agency_id` see its records."""

    __tablename__ = "agency_shares"

    owner_agency_id: Mapped[str] = mapped_column(
        ID, ForeignKey("agencies.agency_id"), primary_key=True
    )
    viewer_agency_id: Mapped[str] = mapped_column(
        ID, ForeignKey("agencies.agency_id"), primary_key=True, index=True
    )
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    created_by: Mapped[str | None] = mapped_column(Text)


class DecisionEntry(Base):
    """What a `Decision` did to its pair, kept beside it in the append-only log.

    `version` numbers the entries of one pair 1, 2, 3...; the unique constraint is the
    optimistic-concurrency guard: two officers deciding the same pair from the same
    version both try to write the same number, and only one insert can succeed.
    `state` is the pair's state after the entry (an undo re-exposes an earlier one);
    `trace_hash`/`case_hash` are the records' content hashes that state was decided on,
    so a rejection lapses as soon as either record changes.
    """

    __tablename__ = "decision_entries"
    __table_args__ = (
        UniqueConstraint("trace_id", "case_id", "version", name="uq_decision_entry_version"),
    )

    decision_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("decisions.id"), primary_key=True, autoincrement=False
    )
    trace_id: Mapped[str] = mapped_column(ID)
    case_id: Mapped[str] = mapped_column(ID)
    version: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(16))
    undoes_decision_id: Mapped[int | None] = mapped_column(Integer, ForeignKey("decisions.id"))
    trace_hash: Mapped[str | None] = mapped_column(String(64))
    case_hash: Mapped[str | None] = mapped_column(String(64))
    user_id: Mapped[int | None] = mapped_column(Integer, ForeignKey("users.id"))
    remote_addr: Mapped[str | None] = mapped_column(String(64))


class PairState(Base):
    """The current state of a decided pair: a projection of its newest `DecisionEntry`,
    written in the same transaction, so queues and the re-score filter need no
    replay of the log. A pair with no row has never been decided (`open`)."""

    __tablename__ = "pair_states"

    trace_id: Mapped[str] = mapped_column(
        ID, ForeignKey("traces.trace_id", ondelete="CASCADE"), primary_key=True
    )
    case_id: Mapped[str] = mapped_column(
        ID, ForeignKey("cases.case_id", ondelete="CASCADE"), primary_key=True, index=True
    )
    version: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(16), index=True)
    decision_id: Mapped[int] = mapped_column(Integer, ForeignKey("decisions.id"))
    trace_hash: Mapped[str | None] = mapped_column(String(64))
    case_hash: Mapped[str | None] = mapped_column(String(64))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
