"""What every API request is given: the app's services, the caller, their permission.

The API authenticates with `Authorization: Bearer TOKEN` only. The review pages use
a signed session cookie instead (service/web); the API never accepts the cookie, so a
page cannot be made to call the API on a logged-in officer's behalf (no CSRF there).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import NoReturn

from fastapi import Depends, HTTPException, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from case_store.db import transaction
from service import auth, pipeline
from service.adhoc import MatcherCache
from service.auth import Principal
from service.background import BackgroundRescorer
from service.settings import Settings


@dataclass
class Services:
    """The long-lived parts of one app: settings, store, background re-scorer, caches."""

    settings: Settings
    store: pipeline.Store
    rescorer: BackgroundRescorer
    matchers: MatcherCache

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One unit of work: the handler's reads, writes and audit entries commit together."""
        with transaction(self.store.sessions) as session:
            yield session


def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


def remote_addr(request: Request) -> str | None:
    """The client's address, for the audit trail (uvicorn applies X-Forwarded-For only
    from trusted proxies)."""
    return request.client.host if request.client else None


bearer = HTTPBearer(
    auto_error=False,
    scheme_name="bearer",
    description="An API token: printed by `ftr users create`, or issued by an admin "
    "through POST /v1/users or POST /v1/users/{user_id}/tokens.",
)


def unauthorized(reason: str) -> NoReturn:
    raise HTTPException(401, detail=reason, headers={"WWW-Authenticate": "Bearer"})


def api_principal(
    request: Request,
    credentials: HTTPAuthorizationCredentials | None = Security(bearer),
) -> Principal:
    """The caller, from their bearer token; 401 without a valid one."""
    if credentials is None or not credentials.credentials:
        unauthorized("missing bearer token (Authorization: Bearer TOKEN)")
    services = get_services(request)
    with services.transaction() as session:
        user = auth.user_for_token(session, credentials.credentials)
        if user is None:
            unauthorized("invalid or revoked token")
        return auth.principal_of(user, "token")


def require(permission: str) -> Callable[..., Principal]:
    """A dependency: the caller, who must hold `permission` (403 otherwise)."""

    def dependency(principal: Principal = Depends(api_principal)) -> Principal:
        if not principal.can(permission):
            raise HTTPException(403, detail=f"your role ({principal.role}) may not {permission}")
        return principal

    dependency.__name__ = f"require_{permission.replace(':', '_')}"
    return dependency


def not_found(what: str) -> NoReturn:
    """The same answer for a record that does not exist and one the caller may not see."""
    raise HTTPException(404, detail=f"no {what} (or not visible to you)")


def unprocessable(loc: list[str | int], message: str) -> NoReturn:
    """A 422 shaped like FastAPI's own validation errors, as the OpenAPI document says."""
    raise HTTPException(422, detail=[{"loc": loc, "msg": message, "type": "value_error"}])
