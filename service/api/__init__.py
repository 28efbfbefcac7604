"""The HTTP service: the versioned API (`/v1`), the review pages, health and OpenAPI.

`create_app(settings)` builds everything from one Settings object (no module
globals), so tests and `ftr serve` make apps the same way.
"""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Sequence
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy import text
from starlette.middleware.sessions import SessionMiddleware
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service import indexes, pipeline
from service.adhoc import MatcherCache
from service.api import admin, matches, records, schemas
from service.api.deps import Services
from service.background import BackgroundRescorer
from service.settings import Settings

log = logging.getLogger("ftr.service")

DESCRIPTION = """
Review service of **ftr-match**: tracing officers work through proposed matches
between *traces* (children sought by their families) and *cases* (registered
separated children).

* Every endpoint under `/v1` needs `Authorization: Bearer TOKEN` (401 without). Tokens
  come from `ftr users create NAME --role ROLE` (printed as its last line) or from an
  admin through `POST /v1/users`.
* Roles: `tracing_officer` reads and decides; `supervisor` also undoes decisions, marks
  reunifications and reads the audit log of their agency; `admin` manages users,
  agencies and sharing, and sees everything.
* A user sees the records of their agency, of agencies sharing with it, and records
  without an agency (visible to all). A pair is shown only when both sides are
  visible. A record you may not see answers 404, like one that does not exist.
* Reads of personal data and every decision are written to the audit log.
"""

TAGS = [
    {"name": "cases", "description": "Registered separated or unaccompanied children."},
    {"name": "traces", "description": "Children sought, one trace per child of a request."},
    {"name": "tracing requests", "description": "Inquirers and the traces they hold."},
    {"name": "matches", "description": "Ranked, explained potential matches; ad-hoc matching."},
    {"name": "decisions", "description": "Confirm, reject, mark unsure, undo, reunify."},
    {"name": "users", "description": "Users, roles and API tokens (admin)."},
    {"name": "agencies", "description": "Agencies and record sharing between them."},
    {"name": "audit", "description": "Who read or changed what (supervisor, admin)."},
    {"name": "service", "description": "Health."},
    {"name": "review pages", "description": "Server-rendered pages for officers (HTML)."},
]


class ConfigurationError(RuntimeError):
    """The service must not start with these settings (one line for the operator)."""


def session_secret(settings: Settings) -> str:
    """The key that signs session cookies: required outside development."""
    given = settings.secret_key.get_secret_value() if settings.secret_key else ""
    if given:
        if len(given) < 32 and not settings.is_development:
            raise ConfigurationError("FTR_SECRET_KEY must be at least 32 characters")
        return given
    if settings.is_development:
        log.warning("FTR_SECRET_KEY not set: using a random key; logins end at restart")
        return secrets.token_urlsafe(32)
    raise ConfigurationError(
        "FTR_SECRET_KEY is not set: it is required unless FTR_ENVIRONMENT=development "
        "(make one with: python -c 'import secrets; print(secrets.token_urlsafe(48))')"
    )


def _package_version() -> str:
    try:
        return version("ftr-match")
    except PackageNotFoundError:  # pragma: no cover - running from a bare checkout
        return "0"


class SecurityHeaders:
    """Headers for pages and answers that carry children's personal data: not cached,
    not framed, no referrer, scripts and styles only from this origin."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = scope["path"].startswith("/static/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                extra = {
                    b"x-content-type-options": b"nosniff",
                    b"x-frame-options": b"DENY",
                    b"referrer-policy": b"no-referrer",
                    b"content-security-policy": b"default-src 'self'; img-src 'self' data:; "
                    b"frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
                }
                if not static:
                    extra[b"cache-control"] = b"no-store"
                present = {k.lower() for k, _ in headers}
                headers.extend((k, v) for k, v in extra.items() if k not in present)
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


_REQUIRED = re.compile(r"^(\w+) is required$")


def clear_errors(errors: Sequence[Any]) -> list[dict[str, Any]]:
    """Validation errors worded as the import reports them (`case_store.records`):
    no "Value error, " prefix, and a missing required column named in `loc`."""
    out: list[dict[str, Any]] = []
    for error in errors:
        loc = list(error.get("loc", ()))
        message = str(error.get("msg", "")).removeprefix("Value error, ")
        if error.get("type") == "missing":
            message = "required value is missing"
        required = _REQUIRED.match(message)
        if required and loc and loc[0] == "body" and loc[-1] != required.group(1):
            loc.append(required.group(1))
        out.append(
            {
                "type": error.get("type", "value_error"),
                "loc": loc,
                "msg": message,
                "input": jsonable_encoder(error.get("input")),
            }
        )
    return out


def describe_malformed_bodies(app: FastAPI) -> None:
    """Document the 400 FastAPI gives for a body that is not JSON at all (a body that
    is JSON but invalid gets 422), on every operation that takes a body."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            spec = build()
            for item in spec.get("paths", {}).values():
                for operation in item.values():
                    if isinstance(operation, dict) and "requestBody" in operation:
                        operation["responses"].setdefault(
                            "400",
                            {
                                "description": "The body is not JSON (or not a form).",
                                "content": {
                                    "application/json": {
                                        "schema": {"$ref": "#/components/schemas/Error"}
                                    }
                                },
                            },
                        )
            app.openapi_schema = spec
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def create_app(settings: Settings, *, store: pipeline.Store | None = None) -> FastAPI:
    """The whole service for `settings` (opens and migrates the store unless given)."""
    from service.web import pages  # the pages import the API's helpers

    secret = session_secret(settings)
    store = store or pipeline.Store.open(settings.database_url)
    services = Services(
        settings=settings,
        store=store,
        rescorer=BackgroundRescorer(
            store, enabled=settings.rescore_on_change, thresholds=settings.thresholds
        ),
        matchers=MatcherCache(
            index_dir=indexes.default_index_dir(settings.database_url, settings.index_dir),
            thresholds=settings.thresholds,
        ),
    )
    app = FastAPI(
        title="ftr-match review service",
        version=_package_version(),
        description=DESCRIPTION,
        openapi_tags=TAGS,
        docs_url=None,  # Swagger UI loads from a CDN; the service works offline
        redoc_url=None,
    )
    app.state.services = services
    secure = settings.cookie_secure
    if secure is None:
        secure = not settings.is_development
    app.add_middleware(
        SessionMiddleware,
        secret_key=secret,
        session_cookie="ftr_session",
        max_age=int(settings.session_hours * 3600),
        same_site="lax",
        https_only=secure,
    )
    app.add_middleware(SecurityHeaders)

    @app.get(
        "/healthz",
        response_model=schemas.Health,
        tags=["service"],
        summary="Liveness and database check (public)",
        responses={503: {"model": schemas.Error, "description": "The database does not answer."}},
    )
    def healthz() -> Any:
        try:
            with store.engine.connect() as connection:
                connection.execute(text("select 1"))
        except Exception as exc:  # any failure: not healthy, say why in one line
            return JSONResponse(
                status_code=503, content={"detail": f"database: {type(exc).__name__}"}
            )
        return schemas.Health(status="ok", database="ok")

    app.include_router(records.router)
    app.include_router(matches.router)
    app.include_router(admin.router)
    app.include_router(pages.router)
    app.mount("/static", StaticFiles(directory=pages.STATIC), name="static")

    describe_malformed_bodies(app)

    @app.exception_handler(RequestValidationError)
    def _invalid(request: Request, exc: RequestValidationError) -> Any:
        return JSONResponse(status_code=422, content={"detail": clear_errors(exc.errors())})

    @app.exception_handler(pipeline.ModelOutdated)
    def _model_outdated(request: Request, exc: pipeline.ModelOutdated) -> Any:
        return JSONResponse(status_code=409, content={"detail": str(exc)})

    @app.exception_handler(pages.LoginRequired)
    def _login_required(request: Request, exc: pages.LoginRequired) -> Any:
        return pages.redirect_to_login(request)

    return app
