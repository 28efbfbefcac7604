"""A small world for the review service: synthetic records, agencies, users, tokens."""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from case_store.db import transaction
from case_store.models import Agency, AgencyShare, Case, PotentialMatch, Trace, TracingRequest
from service import auth, pipeline
from service.api import create_app
from service.settings import Settings

PASSWORD = "correct horse battery staple"
SECRET = "test-secret-key-that-is-long-enough-0123456789"

# name: (role, agency, is_service, has password)
USERS: dict[str, tuple[str, str | None, bool, bool]] = {
    "admin": ("admin", None, False, True),
    "supervisor_a": ("supervisor", "a", False, True),
    "officer_a": ("tracing_officer", "a", False, True),
    "officer_b": ("tracing_officer", "b", False, True),
    "officer_c": ("tracing_officer", "c", False, True),
    "service_a": ("tracing_officer", "a", True, False),
}


@dataclass
class World:
    """A store with known records and callers, and an app with a client over it."""

    url: str
    store: pipeline.Store
    app: FastAPI
    client: TestClient
    data_dir: Path
    tokens: dict[str, str] = field(default_factory=dict)
    user_ids: dict[str, int] = field(default_factory=dict)
    # named records: trace_a/case_a (a proposed pair, agency a), case_b, trace_b (agency
    # b), case_n (no agency), request_a (the request of trace_a)
    ids: dict[str, str] = field(default_factory=dict)
    traces_a: list[str] = field(default_factory=list)  # more traces of agency a
    cases_n: list[str] = field(default_factory=list)  # more cases without agency

    def auth(self, caller: str | None) -> dict[str, str]:
        """Headers of a caller: a user name, None (no token) or 'bad' (a forged token)."""
        if caller is None:
            return {}
        if caller == "bad":
            return {"Authorization": "Bearer ftr_not-a-real-token"}
        return {"Authorization": f"Bearer {self.tokens[caller]}"}


def settings_for(url: str, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "database_url": url,
        "environment": "test",
        "secret_key": SECRET,
        "cookie_secure": False,
        "rescore_on_change": False,
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def _copy_db(template: Path, target: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        source = Path(str(template) + suffix)
        if source.exists():
            shutil.copyfile(source, Path(str(target) + suffix))


def build_world(template: Path, tmp: Path, url: str | None = None, **settings: object) -> World:
    """Copy the template (or, for another database at `url`, import and match the data
    it was made from), then add agencies, sharing, users and agency-owned records."""
    if url is None:
        db = tmp / "ftr.db"
        _copy_db(template, db)
        url = f"sqlite:///{db}"
        store = pipeline.Store.open(url)
    else:
        store = pipeline.Store.open(url)
        data = template.parent / "data"
        pipeline.import_file(store, "cases", data / "cases.csv")
        pipeline.import_file(store, "traces", data / "traces.csv")
        pipeline.rescore(store, full=True)
    tokens: dict[str, str] = {}
    user_ids: dict[str, int] = {}
    ids: dict[str, str] = {}
    with transaction(store.sessions) as session:
        for agency_id in ("a", "b", "c"):
            session.add(Agency(agency_id=agency_id, name=f"Agency {agency_id.upper()}"))
        session.flush()
        session.add(AgencyShare(owner_agency_id="a", viewer_agency_id="c", created_by="test"))
        for name, (role, agency, is_service, has_password) in USERS.items():
            user, token = auth.create_user(
                session,
                name,
                role,
                agency_id=agency,
                password=PASSWORD if has_password else None,
                is_service=is_service,
            )
            tokens[name] = token
            user_ids[name] = user.id
        # The best likely proposal whose trace belongs to a request: agency a's pair.
        best = session.execute(
            select(PotentialMatch.trace_id, PotentialMatch.case_id)
            .join(Trace, Trace.trace_id == PotentialMatch.trace_id)
            .where(PotentialMatch.rank == 1, Trace.request_id.is_not(None))
            .order_by(PotentialMatch.score.desc(), PotentialMatch.trace_id)
        ).first()
        assert best is not None, "the synthetic data produced no proposals"
        trace_a, case_a = best
        request_a = session.scalar(select(Trace.request_id).where(Trace.trace_id == trace_a))
        other_traces = list(
            session.scalars(
                select(Trace.trace_id)
                .where(Trace.request_id != request_a, Trace.trace_id != trace_a)
                .order_by(Trace.trace_id)
            )
        )
        other_cases = list(
            session.scalars(
                select(Case.case_id).where(Case.case_id != case_a).order_by(Case.case_id)
            )
        )
        traces_a, trace_b = other_traces[:16], other_traces[16]
        case_b, cases_n = other_cases[0], other_cases[1:20]
        session.execute(
            update(Trace).where(Trace.trace_id.in_([trace_a, *traces_a])).values(agency_id="a")
        )
        session.execute(update(Case).where(Case.case_id == case_a).values(agency_id="a"))
        session.execute(
            update(TracingRequest)
            .where(TracingRequest.request_id == request_a)
            .values(agency_id="a")
        )
        session.execute(update(Trace).where(Trace.trace_id == trace_b).values(agency_id="b"))
        session.execute(update(Case).where(Case.case_id == case_b).values(agency_id="b"))
        ids.update(
            trace_a=trace_a,
            case_a=case_a,
            request_a=request_a or "",
            trace_b=trace_b,
            case_b=case_b,
            case_n=cases_n[0],
        )
    app = create_app(settings_for(url, **settings), store=store)
    client = TestClient(app, raise_server_exceptions=True)
    return World(
        url=url,
        store=store,
        app=app,
        client=client,
        data_dir=tmp,
        tokens=tokens,
        user_ids=user_ids,
        ids=ids,
        traces_a=traces_a,
        cases_n=cases_n[1:],
    )
