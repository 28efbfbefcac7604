"""Users, tokens, agencies, sharing between agencies, and the audit log.

Managing users, agencies and sharing is for admins. Everyone may see who they are
(`/v1/me`) and the agencies whose records they see. The audit log is read-only here:
supervisors read their agency's entries, admins all.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request, Response
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from case_store.models import Agency, AgencyShare, ApiToken, AuditEvent, User
from service import audit, auth
from service.api import schemas
from service.api.deps import (
    Services,
    api_principal,
    get_services,
    not_found,
    remote_addr,
    require,
    unprocessable,
)
from service.auth import PERMISSIONS, Principal, readable

router = APIRouter(prefix="/v1")

USERS = require("users:manage")
AGENCIES = require("agencies:manage")
UserId = Annotated[int, Path(ge=1, le=2**31 - 1)]
AgencyId = Annotated[str, Path(min_length=1, max_length=128, pattern=r"^[^\x00]+$")]


def user_out(user: User) -> schemas.UserOut:
    return schemas.UserOut(
        id=user.id,
        username=user.username,
        role=user.role,
        agency_id=user.agency_id,
        is_service=user.is_service,
        active=user.active,
        created_at=user.created_at,
    )


def token_out(token: ApiToken) -> schemas.TokenOut:
    return schemas.TokenOut(
        id=token.id, label=token.label, created_at=token.created_at, revoked_at=token.revoked_at
    )


@router.get("/me", response_model=schemas.Me, tags=["users"], responses=schemas.errors(401))
def me(
    principal: Principal = Depends(api_principal), services: Services = Depends(get_services)
) -> Any:
    """Who the token belongs to, what the role allows, and whose records are visible."""
    with services.transaction() as session:
        visible = auth.visible_agencies(session, principal)
    return schemas.Me(
        user_id=principal.user_id,
        username=principal.username,
        role=principal.role,
        agency_id=principal.agency_id,
        permissions=sorted(p for p in PERMISSIONS if principal.can(p)),
        visible_agencies=sorted(visible) if visible is not None else None,
    )


# --- users and tokens -------------------------------------------------------------


@router.get(
    "/users",
    response_model=list[schemas.UserOut],
    tags=["users"],
    responses=schemas.errors(401, 403),
)
def list_users(
    principal: Principal = Depends(USERS), services: Services = Depends(get_services)
) -> Any:
    with services.transaction() as session:
        users = session.scalars(readable(select(User).order_by(User.username), principal))
        return [user_out(u) for u in users]


def _check_agency(session: Any, agency_id: str | None) -> None:
    if agency_id is not None and session.get(Agency, agency_id) is None:
        unprocessable(["body", "agency_id"], f"no agency {agency_id!r}")


@router.post(
    "/users",
    status_code=201,
    response_model=schemas.UserCreated,
    tags=["users"],
    responses=schemas.errors(401, 403, 409),
)
def create_user(
    body: schemas.UserIn,
    request: Request,
    principal: Principal = Depends(USERS),
    services: Services = Depends(get_services),
) -> Any:
    """A new user and their first API token (shown once)."""
    if body.is_service and body.password:
        unprocessable(["body", "password"], "an integration (is_service) has no password")
    try:
        with services.transaction() as session:
            _check_agency(session, body.agency_id)
            if session.scalar(select(User.id).where(User.username == body.username)):
                raise HTTPException(409, detail=f"username {body.username!r} is taken")
            user, token = auth.create_user(
                session,
                body.username,
                body.role,
                agency_id=body.agency_id,
                password=body.password,
                is_service=body.is_service,
            )
            audit.record(
                session,
                principal,
                "user.create",
                object_type="user",
                object_id=body.username,
                remote_addr=remote_addr(request),
                detail={"new_role": body.role, "agency_id": body.agency_id},
            )
            return schemas.UserCreated(user=user_out(user), token=token)
    except IntegrityError as exc:  # the same username created concurrently
        raise HTTPException(409, detail=f"username {body.username!r} is taken") from exc


def _user(session: Any, principal: Principal, user_id: int) -> User:
    user = session.scalar(readable(select(User).where(User.id == user_id), principal))
    if user is None:
        not_found(f"user {user_id}")
    return user  # type: ignore[no-any-return]


@router.get(
    "/users/{user_id}",
    response_model=schemas.UserOut,
    tags=["users"],
    responses=schemas.errors(401, 403, 404),
)
def read_user(
    user_id: UserId,
    principal: Principal = Depends(USERS),
    services: Services = Depends(get_services),
) -> Any:
    with services.transaction() as session:
        return user_out(_user(session, principal, user_id))


@router.patch(
    "/users/{user_id}",
    response_model=schemas.UserOut,
    tags=["users"],
    responses=schemas.errors(401, 403, 404),
)
def update_user(
    user_id: UserId,
    body: schemas.UserPatch,
    request: Request,
    principal: Principal = Depends(USERS),
    services: Services = Depends(get_services),
) -> Any:
    """Change role, agency, active flag or password; deactivating ends all access at once
    (tokens and sessions are checked against the active flag on every request)."""
    given = body.model_dump(exclude_unset=True)
    with services.transaction() as session:
        user = _user(session, principal, user_id)
        if "agency_id" in given:
            _check_agency(session, body.agency_id)
            user.agency_id = body.agency_id
        if body.role is not None:
            user.role = body.role
        if body.active is not None:
            user.active = body.active
        if body.password is not None:
            if user.is_service:
                unprocessable(["body", "password"], "an integration has no password")
            user.password_hash = auth.hash_password(body.password)
        audit.record(
            session,
            principal,
            "user.update",
            object_type="user",
            object_id=user.username,
            remote_addr=remote_addr(request),
            detail={"fields": sorted(given)},
        )
        return user_out(user)


@router.get(
    "/users/{user_id}/tokens",
    response_model=list[schemas.TokenOut],
    tags=["users"],
    responses=schemas.errors(401, 403, 404),
)
def list_tokens(
    user_id: UserId,
    principal: Principal = Depends(USERS),
    services: Services = Depends(get_services),
) -> Any:
    with services.transaction() as session:
        _user(session, principal, user_id)
        stmt = select(ApiToken).where(ApiToken.user_id == user_id).order_by(ApiToken.id)
        return [token_out(t) for t in session.scalars(readable(stmt, principal))]


@router.post(
    "/users/{user_id}/tokens",
    status_code=201,
    response_model=schemas.TokenCreated,
    tags=["users"],
    responses=schemas.errors(401, 403, 404),
)
def create_token(
    user_id: UserId,
    body: schemas.TokenIn,
    request: Request,
    principal: Principal = Depends(USERS),
    services: Services = Depends(get_services),
) -> Any:
    """A new token for the user (e.g. for an integration); shown once."""
    with services.transaction() as session:
        user = _user(session, principal, user_id)
        row, token = auth.issue_token(session, user, label=body.label)
        audit.record(
            session,
            principal,
            "token.create",
            object_type="user",
            object_id=user.username,
            remote_addr=remote_addr(request),
            detail={"token_id": row.id},
        )
        return schemas.TokenCreated(token=token, info=token_out(row))


@router.delete(
    "/users/{user_id}/tokens/{token_id}",
    status_code=204,
    response_class=Response,
    tags=["users"],
    responses=schemas.errors(401, 403, 404),
)
def revoke_token(
    user_id: UserId,
    token_id: UserId,
    request: Request,
    principal: Principal = Depends(USERS),
    services: Services = Depends(get_services),
) -> Response:
    """Revoke a token at once; the row stays (revoked) for the record."""
    with services.transaction() as session:
        stmt = select(ApiToken).where(ApiToken.id == token_id, ApiToken.user_id == user_id)
        token = session.scalar(readable(stmt, principal))
        if token is None:
            not_found(f"token {token_id} of user {user_id}")
        if token.revoked_at is None:
            auth.revoke_token(session, token)
        audit.record(
            session,
            principal,
            "token.revoke",
            object_type="token",
            object_id=str(token_id),
            remote_addr=remote_addr(request),
        )
    return Response(status_code=204)


# --- agencies and sharing ---------------------------------------------------------


def agency_out(agency: Agency) -> schemas.AgencyOut:
    return schemas.AgencyOut(
        agency_id=agency.agency_id, name=agency.name, created_at=agency.created_at
    )


@router.get(
    "/agencies",
    response_model=list[schemas.AgencyOut],
    tags=["agencies"],
    responses=schemas.errors(401),
)
def list_agencies(
    principal: Principal = Depends(api_principal), services: Services = Depends(get_services)
) -> Any:
    """The agencies whose records you see (all, for an admin)."""
    with services.transaction() as session:
        stmt = readable(select(Agency).order_by(Agency.agency_id), principal)
        return [agency_out(a) for a in session.scalars(stmt)]


@router.post(
    "/agencies",
    status_code=201,
    response_model=schemas.AgencyOut,
    tags=["agencies"],
    responses=schemas.errors(401, 403, 409),
)
def create_agency(
    body: schemas.AgencyIn,
    request: Request,
    principal: Principal = Depends(AGENCIES),
    services: Services = Depends(get_services),
) -> Any:
    try:
        with services.transaction() as session:
            if session.get(Agency, body.agency_id) is not None:
                raise HTTPException(409, detail=f"agency {body.agency_id!r} exists")
            agency = Agency(agency_id=body.agency_id, name=body.name)
            session.add(agency)
            session.flush()
            audit.record(
                session,
                principal,
                "agency.create",
                object_type="agency",
                object_id=body.agency_id,
                remote_addr=remote_addr(request),
            )
            return agency_out(agency)
    except IntegrityError as exc:
        raise HTTPException(409, detail=f"agency {body.agency_id!r} exists") from exc


def share_out(share: AgencyShare) -> schemas.ShareOut:
    return schemas.ShareOut(
        owner_agency_id=share.owner_agency_id,
        viewer_agency_id=share.viewer_agency_id,
        created_at=share.created_at,
        created_by=share.created_by,
    )


@router.get(
    "/agency-shares",
    response_model=list[schemas.ShareOut],
    tags=["agencies"],
    responses=schemas.errors(401, 403),
)
def list_shares(
    principal: Principal = Depends(AGENCIES), services: Services = Depends(get_services)
) -> Any:
    with services.transaction() as session:
        stmt = select(AgencyShare).order_by(
            AgencyShare.owner_agency_id, AgencyShare.viewer_agency_id
        )
        return [share_out(s) for s in session.scalars(readable(stmt, principal))]


@router.post(
    "/agency-shares",
    status_code=201,
    response_model=schemas.ShareOut,
    tags=["agencies"],
    responses=schemas.errors(401, 403, 409),
)
def create_share(
    body: schemas.ShareIn,
    request: Request,
    principal: Principal = Depends(AGENCIES),
    services: Services = Depends(get_services),
) -> Any:
    """Let the viewer agency's users see the owner agency's records (one direction)."""
    if body.owner_agency_id == body.viewer_agency_id:
        unprocessable(["body", "viewer_agency_id"], "an agency always sees its own records")
    try:
        with services.transaction() as session:
            for field, agency_id in (
                ("owner_agency_id", body.owner_agency_id),
                ("viewer_agency_id", body.viewer_agency_id),
            ):
                if session.get(Agency, agency_id) is None:
                    unprocessable(["body", field], f"no agency {agency_id!r}")
            key = (body.owner_agency_id, body.viewer_agency_id)
            if session.get(AgencyShare, key) is not None:
                raise HTTPException(409, detail="this share exists")
            share = AgencyShare(
                owner_agency_id=body.owner_agency_id,
                viewer_agency_id=body.viewer_agency_id,
                created_at=dt.datetime.now(dt.UTC),
                created_by=principal.username,
            )
            session.add(share)
            session.flush()
            audit.record(
                session,
                principal,
                "share.create",
                object_type="agency_share",
                object_id=f"{body.owner_agency_id}>{body.viewer_agency_id}",
                remote_addr=remote_addr(request),
            )
            return share_out(share)
    except IntegrityError as exc:
        raise HTTPException(409, detail="this share exists") from exc


@router.delete(
    "/agency-shares/{owner_agency_id}/{viewer_agency_id}",
    status_code=204,
    response_class=Response,
    tags=["agencies"],
    responses=schemas.errors(401, 403, 404),
)
def delete_share(
    owner_agency_id: AgencyId,
    viewer_agency_id: AgencyId,
    request: Request,
    principal: Principal = Depends(AGENCIES),
    services: Services = Depends(get_services),
) -> Response:
    """Stop sharing: the viewer agency's users no longer see the owner's records."""
    with services.transaction() as session:
        share = session.get(AgencyShare, (owner_agency_id, viewer_agency_id))
        if share is None:
            not_found("such share")
        session.delete(share)
        audit.record(
            session,
            principal,
            "share.delete",
            object_type="agency_share",
            object_id=f"{owner_agency_id}>{viewer_agency_id}",
            remote_addr=remote_addr(request),
        )
    return Response(status_code=204)


# --- audit ------------------------------------------------------------------------


@router.get(
    "/audit",
    response_model=schemas.Page[schemas.AuditOut],
    tags=["audit"],
    responses=schemas.errors(401, 403),
)
def list_audit(
    request: Request,
    actor: Annotated[str | None, Query(max_length=128, pattern=r"^[^\x00]+$")] = None,
    action: Annotated[str | None, Query(max_length=64, pattern=r"^[^\x00]+$")] = None,
    object_type: Annotated[str | None, Query(max_length=32, pattern=r"^[^\x00]+$")] = None,
    object_id: Annotated[str | None, Query(max_length=300, pattern=r"^[^\x00]+$")] = None,
    limit: int = Query(100, ge=1, le=500),
    offset: int = Query(0, ge=0, le=10_000_000),
    principal: Principal = Depends(require("audit:read")),
    services: Services = Depends(get_services),
) -> Any:
    """Audit entries, newest first. Supervisors see the entries of their agency's
    users; admins all. Entries cannot be changed or deleted through the service."""
    stmt = select(AuditEvent).order_by(AuditEvent.id.desc())
    for column, value in (
        (AuditEvent.actor, actor),
        (AuditEvent.action, action),
        (AuditEvent.object_type, object_type),
        (AuditEvent.object_id, object_id),
    ):
        if value is not None:
            stmt = stmt.where(column == value)
    with services.transaction() as session:
        stmt = readable(stmt, principal)
        total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
        rows = list(session.scalars(stmt.limit(limit).offset(offset)))
        items = [
            schemas.AuditOut(
                id=r.id,
                at=r.at,
                actor=r.actor,
                action=r.action,
                object_type=r.object_type,
                object_id=r.object_id,
                remote_addr=r.remote_addr,
                detail=r.detail,
            )
            for r in rows
        ]
        audit.record(
            session,
            principal,
            "audit.read",
            object_type="audit",
            remote_addr=remote_addr(request),
            detail={"count": len(items)},
        )
    return schemas.Page[schemas.AuditOut](items=items, total=total, limit=limit, offset=offset)
