"""The audit trail: who read or changed which record, when, and from where.

Entries are written in the same transaction as the read or change they describe, so
a request that fails leaves no entry and one that succeeds always leaves one. Nothing
in the service updates or deletes an entry; the API only lists them.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy.orm import Session

from case_store.models import AuditEvent, utcnow
from service.auth import Principal

MAX_IDS = 500


def record(
    session: Session,
    actor: Principal | str,
    action: str,
    *,
    object_type: str | None = None,
    object_id: str | None = None,
    remote_addr: str | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    """Append one audit entry (the caller's transaction commits it)."""
    name = actor if isinstance(actor, str) else actor.username
    payload = dict(detail or {})
    if not isinstance(actor, str):
        payload.setdefault("role", actor.role)
        payload.setdefault("via", actor.via)
    session.add(
        AuditEvent(
            at=utcnow(),
            actor=name,
            action=action,
            object_type=object_type,
            object_id=object_id,
            remote_addr=(remote_addr or "")[:64] or None,
            detail=payload,
        )
    )


def ids(values: Iterable[str]) -> list[str]:
    """The ids a listing showed, capped: the page size already bounds them."""
    return list(values)[:MAX_IDS]
