"""Who may do what: credentials, roles, and the one access rule every query goes through.

* Passwords are stored as scrypt hashes (`hashlib.scrypt`, a memory-hard KDF in the
  standard library, so no native extension is needed); API tokens are 256-bit random
  strings from `secrets`, stored as their SHA-256 (a random token needs no slow hash).
* Roles: `tracing_officer` reads records and decides on matches; `supervisor` also
  undoes decisions, marks reunifications and reads the audit log of their agency;
  `admin` manages users, agencies and sharing and sees everything.
* Visibility: a user sees the records of their agency, of agencies that share with
  it (`agency_shares`), and records without an agency (imported with no `--agency`,
  which are visible to every agency). A pair is visible only when both sides are.
  `readable` applies this to any SELECT; every query of the API and the pages goes
  through it, and it refuses a table it has no rule for (fail closed).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, FromClause, Join, Select, Table, false, or_, select, true
from sqlalchemy.orm import Session

from case_store.models import ROLES, AgencyShare, ApiToken, Case, Trace, User, utcnow

PERMISSIONS: dict[str, frozenset[str]] = {
    "records:read": frozenset(ROLES),
    "records:write": frozenset(ROLES),
    "decisions:write": frozenset(ROLES),
    "match:query": frozenset(ROLES),
    "decisions:undo": frozenset({"supervisor", "admin"}),
    "reunification:write": frozenset({"supervisor", "admin"}),
    "audit:read": frozenset({"supervisor", "admin"}),
    "users:manage": frozenset({"admin"}),
    "agencies:manage": frozenset({"admin"}),
}

TOKEN_PREFIX = "ftr_"
_SCRYPT = {"n": 2**14, "r": 8, "p": 1}
# Verified against when a username is unknown, so that a login takes as long either way.
_DUMMY_HASH: str | None = None


@dataclass(frozen=True)
class Principal:
    """The authenticated caller of one request."""

    user_id: int
    username: str
    role: str
    agency_id: str | None
    via: str  # "token" or "session"

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    def can(self, permission: str) -> bool:
        """Whether the role grants `permission` (see PERMISSIONS)."""
        return self.role in PERMISSIONS.get(permission, frozenset())


def principal_of(user: User, via: str) -> Principal:
    return Principal(user.id, user.username, user.role, user.agency_id, via)


# --- credentials ------------------------------------------------------------------


def hash_password(password: str) -> str:
    """`scrypt$n$r$p$salt$hash`, parameters kept so they can be raised later."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, dklen=32, **_SCRYPT)
    b64 = base64.b64encode
    return "scrypt${n}${r}${p}${salt}${hash}".format(
        **_SCRYPT, salt=b64(salt).decode(), hash=b64(digest).decode()
    )


def verify_password(password: str, stored: str | None) -> bool:
    """Constant-time comparison against a stored scrypt hash; False for no hash."""
    if not stored:
        return False
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(digest)
        actual = hashlib.scrypt(
            password.encode(),
            salt=base64.b64decode(salt),
            n=int(n),
            r=int(r),
            p=int(p),
            dklen=len(expected),
        )
    except ValueError:
        return False
    return hmac.compare_digest(actual, expected)


def token_digest(token: str) -> str:
    """What the store keeps of a token."""
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(session: Session, user: User, label: str | None = None) -> tuple[ApiToken, str]:
    """A new bearer token for `user`: the row (with only the digest) and the token itself,
    which is shown once and never stored."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(user_id=user.id, token_hash=token_digest(token), label=label)
    session.add(row)
    session.flush()
    return row, token


def create_user(
    session: Session,
    username: str,
    role: str,
    *,
    agency_id: str | None = None,
    password: str | None = None,
    is_service: bool = False,
) -> tuple[User, str]:
    """A new user with a first API token (returned in clear, once)."""
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}, got {role!r}")
    user = User(
        username=username,
        role=role,
        agency_id=agency_id,
        password_hash=hash_password(password) if password else None,
        is_service=is_service,
        active=True,
    )
    session.add(user)
    session.flush()
    _, token = issue_token(session, user, label="initial")
    return user, token


def user_for_token(session: Session, token: str) -> User | None:
    """The active user holding an unrevoked token, or None."""
    if not token.startswith(TOKEN_PREFIX):
        return None
    return session.scalar(
        select(User)
        .join(ApiToken, ApiToken.user_id == User.id)
        .where(
            ApiToken.token_hash == token_digest(token),
            ApiToken.revoked_at.is_(None),
            User.active.is_(True),
        )
    )


def user_for_password(session: Session, username: str, password: str) -> User | None:
    """The active person with these credentials, or None (same cost either way)."""
    global _DUMMY_HASH
    user = session.scalar(select(User).where(User.username == username))
    if user is None or not user.password_hash:
        _DUMMY_HASH = _DUMMY_HASH or hash_password(secrets.token_urlsafe(16))
        verify_password(password, _DUMMY_HASH)
        return None
    if not verify_password(password, user.password_hash) or not user.active:
        return None
    return user


def revoke_token(session: Session, token: ApiToken) -> None:
    token.revoked_at = utcnow()


# --- the access rule --------------------------------------------------------------


def visible_agency_clause(column: Any, principal: Principal) -> ColumnElement[bool]:
    """SQL: a row whose agency is `column` is visible to `principal`."""
    if principal.is_admin:
        return true()
    if principal.agency_id is None:
        return column.is_(None)
    shared = select(AgencyShare.owner_agency_id).where(
        AgencyShare.viewer_agency_id == principal.agency_id
    )
    return or_(column.is_(None), column == principal.agency_id, column.in_(shared))


def _tables(clause: FromClause) -> Iterator[FromClause]:
    if isinstance(clause, Join):
        yield from _tables(clause.left)
        yield from _tables(clause.right)
    else:
        yield clause


def _pair_visible(table: FromClause, principal: Principal) -> ColumnElement[bool]:
    """Both sides of a pair-keyed row (proposal, decision, pair state) are visible."""
    if principal.is_admin:
        return true()
    # Aliases, so the subqueries never correlate with a cases/traces of the outer query.
    traces = Trace.__table__.alias()  # type: ignore[attr-defined]
    cases = Case.__table__.alias()  # type: ignore[attr-defined]
    trace_ok = (
        select(traces.c.trace_id)
        .where(
            traces.c.trace_id == table.c.trace_id,
            visible_agency_clause(traces.c.agency_id, principal),
        )
        .exists()
    )
    case_ok = (
        select(cases.c.case_id)
        .where(
            cases.c.case_id == table.c.case_id,
            visible_agency_clause(cases.c.agency_id, principal),
        )
        .exists()
    )
    return trace_ok & case_ok


def _rule(table: FromClause, principal: Principal) -> ColumnElement[bool]:
    name = table.name if isinstance(table, Table) else getattr(table, "element", table).name  # type: ignore[attr-defined]
    columns = table.c
    if name in ("cases", "traces", "tracing_requests"):
        return visible_agency_clause(columns.agency_id, principal)
    if name in ("potential_matches", "decisions", "decision_entries", "pair_states"):
        return _pair_visible(table, principal)
    if name == "agencies":
        return visible_agency_clause(columns.agency_id, principal)
    if name == "audit_events":
        if principal.is_admin:
            return true()
        if principal.role == "supervisor" and principal.agency_id is not None:
            colleagues = select(User.username).where(User.agency_id == principal.agency_id)
            return columns.actor.in_(colleagues)
        return false()
    if name in ("users", "api_tokens"):
        if principal.is_admin:
            return true()
        return (columns.id if name == "users" else columns.user_id) == principal.user_id
    if name == "agency_shares":
        if principal.is_admin:
            return true()
        return or_(
            columns.owner_agency_id == principal.agency_id,
            columns.viewer_agency_id == principal.agency_id,
        )
    if name == "match_runs":
        return true()  # counts and model parameters only, no personal data
    raise PermissionError(f"no access rule for table {name!r}: refusing the query")


S = TypeVar("S", bound=Select[Any])


def readable(statement: S, principal: Principal) -> S:
    """`statement` narrowed to the rows `principal` may read.

    Every table in the statement's FROM list (joins included) gets its rule; a table
    without a rule raises PermissionError rather than returning unfiltered rows.
    """
    for from_clause in statement.get_final_froms():
        for table in _tables(from_clause):
            statement = statement.where(_rule(table, principal))
    return statement


def visible_agencies(session: Session, principal: Principal) -> frozenset[str] | None:
    """The agency ids whose records `principal` sees (None: all, for an admin).

    Records without an agency are visible in addition to these.
    """
    if principal.is_admin:
        return None
    if principal.agency_id is None:
        return frozenset()
    shared = session.scalars(
        select(AgencyShare.owner_agency_id).where(
            AgencyShare.viewer_agency_id == principal.agency_id
        )
    )
    return frozenset({principal.agency_id, *shared})
