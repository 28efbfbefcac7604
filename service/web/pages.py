"""The review pages: login, the queue, a trace's proposals, the side-by-side comparison.

Server-rendered (Jinja2) with one small script for keyboard shortcuts; everything is
served from this origin, so the pages work offline and under a strict CSP. Pages
authenticate with a signed session cookie; every form carries the session's CSRF
token. They share the API's access rule, decision logic and audit trail.
"""

from __future__ import annotations

import hmac
import re
import secrets
import unicodedata
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, BackgroundTasks, Depends, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from sqlalchemy import select

from case_store import decisions
from case_store.models import Agency, Case, PotentialMatch, Trace, User
from matching.normalize import fold, parse_sex
from service import audit, auth
from service.api import matches, schemas, views
from service.api.deps import Services, get_services, remote_addr
from service.auth import Principal, readable

HERE = Path(__file__).parent
STATIC = HERE / "static"
templates = Jinja2Templates(directory=str(HERE / "templates"))

router = APIRouter(tags=["review pages"], include_in_schema=True)
PAGE_SIZE = 50
HTML = {"content": {"text/html": {}}, "description": "The page."}
TO_LOGIN = {303: {"description": "Not logged in: to the login page."}}

# Fields shown side by side on the comparison page: (label, trace column, case column).
COMPARED: tuple[tuple[str, str | None, str | None], ...] = (
    ("Given name", "given_name", "given_name"),
    ("Family name", "family_name", "family_name"),
    ("Other names", "other_names", "other_names"),
    ("Sex", "sex", "sex"),
    ("Date of birth", "date_of_birth", "date_of_birth"),
    ("Age", "age", "age"),
    ("Age estimated", "age_estimated", "age_estimated"),
    ("Father", "father_name", "father_name"),
    ("Mother", "mother_name", "mother_name"),
    ("Inquirer / caregiver", "inquirer_name", "caregiver_name"),
    ("Inquirer relation", "inquirer_relation", None),
    ("Language", "language", "language"),
    ("Nationality", "nationality", "nationality"),
    ("Ethnicity", "ethnicity", "ethnicity"),
    ("Place of origin", "place_of_origin", "place_of_origin"),
    ("Separation place", "separation_place", "separation_place"),
    ("Separation date", "separation_date", "separation_date"),
    ("Current location", None, "current_location"),
    ("Identifiers", "identifiers", "identifiers"),
    ("Inquiry / registration date", "inquiry_date", "registration_date"),
    ("Status", "status", "status"),
)


class LoginRequired(Exception):
    """Raised by page dependencies; the app answers with a redirect to /login."""


_WORDS = re.compile(r"(\w+)")


def latin(value: str | None) -> str:
    """The Latin transliteration shown beside a value written in another script.

    Word by word (`matching.normalize.fold`), keeping the separators of place paths
    and lists, capitalised unless the original word was lowercase (Arabic script has
    no case; names read better capitalised). Empty when nothing is in another script.
    """
    if not value or value.isascii():
        return ""
    parts, foreign = [], False
    for piece in _WORDS.split(value):
        if piece and _WORDS.fullmatch(piece) and _other_script(piece):
            foreign = True
            folded = fold(piece)
            parts.append(folded if piece[0].islower() else folded.title())
        else:
            parts.append(piece)
    return "".join(parts) if foreign else ""


def _other_script(word: str) -> bool:
    """Letters outside the Latin script (María needs no transliteration; Марія does)."""
    return any(c.isalpha() and not unicodedata.name(c, "").startswith("LATIN") for c in word)


def _same(a: str | None, b: str | None, label: str = "") -> bool:
    """Whether two recorded values agree once transliterated (sex: f = female)."""
    if not (a and b):
        return False
    if label == "Sex":
        return parse_sex(a) == parse_sex(b)
    return fold(a) == fold(b)


templates.env.filters["latin"] = latin
templates.env.globals["urlencode"] = urlencode


def redirect_to_login(request: Request) -> RedirectResponse:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/login?next={quote(target)}", status_code=303)


def csrf_token(request: Request) -> str:
    token: str | None = request.session.get("csrf")
    if not token:
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


def check_csrf(request: Request, given: str) -> None:
    expected = request.session.get("csrf") or ""
    if not expected or not hmac.compare_digest(expected, given):
        raise HTTPException(403, detail="the form expired or did not come from this site")


def page_principal(request: Request) -> Principal:
    """The logged-in officer, checked against the store on every request (a deactivated
    user is logged out at once)."""
    user_id = request.session.get("user_id")
    if not isinstance(user_id, int):
        raise LoginRequired()
    services = get_services(request)
    with services.transaction() as session:
        user = session.get(User, user_id)
        if user is None or not user.active or user.is_service:
            request.session.clear()
            raise LoginRequired()
        return auth.principal_of(user, "session")


def _safe_next(target: str | None) -> str:
    """Only a path on this site (no scheme, no //host): no open redirect."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/queue"


def render(
    request: Request, name: str, context: dict[str, Any], status_code: int = 200
) -> HTMLResponse:
    context = {"csrf": csrf_token(request), "flash": request.session.pop("flash", None), **context}
    return templates.TemplateResponse(request, name, context, status_code=status_code)


# --- login ------------------------------------------------------------------------


@router.get("/login", response_class=HTMLResponse, summary="Login page (public)")
def login_page(request: Request, next: Annotated[str | None, Query(max_length=2000)] = None) -> Any:
    return render(request, "login.html", {"next": _safe_next(next), "error": None, "user": None})


@router.post("/login", response_class=HTMLResponse, summary="Log in", responses=TO_LOGIN)
def login(
    request: Request,
    username: Annotated[str, Form(max_length=128)],
    password: Annotated[str, Form(max_length=1000)],
    csrf_token: Annotated[str, Form(max_length=200)],
    next: Annotated[str | None, Form(max_length=2000)] = None,
    services: Services = Depends(get_services),
) -> Any:
    check_csrf(request, csrf_token)
    with services.transaction() as session:
        user = auth.user_for_password(session, username, password)
        if user is not None and user.is_service:
            user = None
        audit.record(
            session,
            username[:128],
            "login.success" if user else "login.failure",
            object_type="user",
            object_id=username[:128],
            remote_addr=remote_addr(request),
        )
        user_id = user.id if user else None
    if user_id is None:
        return render(
            request,
            "login.html",
            {"next": _safe_next(next), "error": "Wrong username or password.", "user": None},
            status_code=401,
        )
    request.session.clear()  # a fresh session (and CSRF token) at each login
    request.session["user_id"] = user_id
    return RedirectResponse(_safe_next(next), status_code=303)


@router.post("/logout", summary="Log out", responses=TO_LOGIN)
def logout(request: Request, csrf_token: Annotated[str, Form(max_length=200)]) -> Response:
    check_csrf(request, csrf_token)
    request.session.clear()
    return RedirectResponse("/login", status_code=303)


@router.get("/", summary="Home: the queue", responses=TO_LOGIN)
def home() -> Response:
    return RedirectResponse("/queue", status_code=303)


# --- the queue --------------------------------------------------------------------


@router.get("/queue", response_class=HTMLResponse, summary="Review queue", responses=TO_LOGIN)
def queue_page(
    request: Request,
    agency: Annotated[str | None, Query(max_length=128)] = None,
    location: Annotated[str | None, Query(max_length=200)] = None,
    likelihood: Annotated[str | None, Query(pattern=r"^(likely|possible)?$")] = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    principal: Principal = Depends(page_principal),
    services: Services = Depends(get_services),
) -> Any:
    """Traces with open likely/possible proposals, best first, with their best case."""
    agency = (agency or "").replace("\x00", "") or None
    location = (location or "").replace("\x00", "").strip() or None
    stmt = matches.queue_statement(
        principal, likelihood=likelihood or None, agency_id=agency, location=location
    )
    offset = (page - 1) * PAGE_SIZE
    with services.transaction() as session:
        rows = session.execute(stmt.limit(PAGE_SIZE + 1).offset(offset)).all()
        more = len(rows) > PAGE_SIZE
        rows = rows[:PAGE_SIZE]
        ids = [r[0] for r in rows]
        traces = {
            t.trace_id: t
            for t in session.scalars(
                readable(select(Trace).where(Trace.trace_id.in_(ids)), principal)
            )
        }
        best: dict[str, tuple[PotentialMatch, Case]] = {}
        open_stmt = readable(
            matches.open_proposals(
                likelihood=likelihood or None, agency_id=agency, location=location
            )
            .add_columns(Case)
            .where(PotentialMatch.trace_id.in_(ids))
            .order_by(PotentialMatch.trace_id, PotentialMatch.score.desc()),
            principal,
        )
        for match, case in session.execute(open_stmt):
            best.setdefault(match.trace_id, (match, case))
        agencies = list(session.scalars(readable(select(Agency).order_by(Agency.name), principal)))
        items = [
            {
                "trace": traces[trace_id],
                "best": best_score,
                "count": count,
                "likely": likely or 0,
                "match": best[trace_id][0],
                "case": best[trace_id][1],
            }
            for trace_id, best_score, count, likely in rows
            if trace_id in traces and trace_id in best
        ]
        audit.record(
            session,
            principal,
            "page.queue",
            object_type="trace",
            remote_addr=remote_addr(request),
            detail={"ids": audit.ids(ids)},
        )
    return render(
        request,
        "queue.html",
        {
            "user": principal,
            "items": items,
            "agencies": agencies,
            "filters": {
                "agency": agency or "",
                "location": location or "",
                "likelihood": likelihood or "",
            },
            "page": page,
            "more": more,
        },
    )


# --- a trace's proposals ----------------------------------------------------------


@router.get(
    "/traces/{trace_id}",
    response_class=HTMLResponse,
    summary="A trace and its proposals",
    responses={**TO_LOGIN, 404: {"description": "No such trace, or not visible."}},
)
def trace_page(
    request: Request,
    trace_id: str,
    principal: Principal = Depends(page_principal),
    services: Services = Depends(get_services),
) -> Any:
    with services.transaction() as session:
        trace = views.get_trace(session, principal, trace_id)
        if trace is None:
            return render(
                request, "error.html", {"user": principal, "message": "No such trace."}, 404
            )
        proposals = _proposals(session, principal, trace_id)
        audit.record(
            session,
            principal,
            "page.trace",
            object_type="trace",
            object_id=trace_id,
            remote_addr=remote_addr(request),
        )
        return render(
            request,
            "trace.html",
            {"user": principal, "trace": trace, "proposals": proposals, "compared": COMPARED},
        )


def _proposals(session: Any, principal: Principal, trace_id: str) -> list[dict[str, Any]]:
    """The trace's current proposals (rejected-and-unchanged ones hidden), rank order."""
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
    states = views.pair_states(session, principal, [(m.trace_id, m.case_id) for m, _ in rows])
    out = []
    for match, case in rows:
        state = states.get((match.trace_id, match.case_id))
        out.append({"match": match, "case": case, "state": state.state if state else "open"})
    return out


# --- the comparison ---------------------------------------------------------------


def _compare_context(
    services: Services, principal: Principal, trace_id: str, case_id: str
) -> dict[str, Any] | None:
    detail = matches.pair_detail(services, principal, trace_id, case_id)
    if detail is None:
        return None
    with services.transaction() as session:
        siblings = _proposals(session, principal, trace_id)
    ids = [p["case"].case_id for p in siblings]
    position = ids.index(case_id) if case_id in ids else -1
    previous = ids[position - 1] if position > 0 else None
    following = ids[position + 1] if 0 <= position < len(ids) - 1 else None
    trace = detail.trace.model_dump()
    case = detail.case.model_dump()
    fields = [
        {
            "label": label,
            "trace": trace.get(t) if t else None,
            "case": case.get(c) if c else None,
            "same": _same(trace.get(t) if t else None, case.get(c) if c else None, label),
        }
        for label, t, c in COMPARED
    ]
    scale = max([abs(e.weight) for e in detail.evidence] + [1.0])
    return {
        "detail": detail,
        "fields": fields,
        "evidence": detail.evidence,
        "scale": scale,
        "total": sum(e.weight for e in detail.evidence),
        "previous": previous,
        "next": following,
        "position": position + 1,
        "count": len(ids),
    }


@router.get(
    "/compare/{trace_id}/{case_id}",
    response_class=HTMLResponse,
    summary="Side-by-side comparison of a pair",
    responses={**TO_LOGIN, 404: {"description": "No such pair, or not visible."}},
)
def compare_page(
    request: Request,
    trace_id: str,
    case_id: str,
    principal: Principal = Depends(page_principal),
    services: Services = Depends(get_services),
) -> Any:
    context = _compare_context(services, principal, trace_id, case_id)
    if context is None:
        return render(request, "error.html", {"user": principal, "message": "No such pair."}, 404)
    with services.transaction() as session:
        audit.record(
            session,
            principal,
            "page.compare",
            object_type="pair",
            object_id=f"{trace_id}/{case_id}",
            remote_addr=remote_addr(request),
        )
    return render(
        request,
        "compare.html",
        {"user": principal, **context, "conflict": None, "note": "", "verdict": ""},
    )


@router.post(
    "/compare/{trace_id}/{case_id}/decision",
    response_class=HTMLResponse,
    summary="Decide on a pair (form)",
    responses={**TO_LOGIN, 403: {"description": "Bad CSRF token or role."}, 409: HTML},
)
def decide_form(
    request: Request,
    trace_id: str,
    case_id: str,
    verdict: Annotated[str, Form(pattern=r"^(confirmed|rejected|unsure|undone)$")],
    expected_version: Annotated[int, Form(ge=0, le=1_000_000)],
    csrf_token: Annotated[str, Form(max_length=200)],
    background: BackgroundTasks,
    note: Annotated[str, Form(max_length=4000)] = "",
    principal: Principal = Depends(page_principal),
    services: Services = Depends(get_services),
) -> Any:
    """The form behind confirm / reject / unsure (and undo, for supervisors)."""
    check_csrf(request, csrf_token)
    needed = "decisions:undo" if verdict == decisions.UNDONE else "decisions:write"
    if not principal.can(needed):
        raise HTTPException(403, detail=f"your role ({principal.role}) may not {needed}")
    result = matches.record_decision(
        services,
        principal,
        trace_id,
        case_id,
        verdict,
        expected_version=expected_version,
        note=note.replace("\x00", "").strip() or None,
        addr=remote_addr(request),
    )
    if result is None:
        return render(request, "error.html", {"user": principal, "message": "No such pair."}, 404)
    if not isinstance(result, schemas.DecisionOut):
        # 409: show the pair as it is now, keep what the officer typed.
        context = _compare_context(services, principal, trace_id, case_id) or {}
        return render(
            request,
            "compare.html",
            {
                "user": principal,
                **context,
                "conflict": result,
                "note": note,
                "verdict": verdict,
            },
            status_code=409,
        )
    if services.settings.rescore_on_change and matches.changes_proposals(result):
        background.add_task(services.rescorer.request)
    request.session["flash"] = f"Recorded: {result.verdict} (version {result.version})."
    return RedirectResponse(f"/compare/{quote(trace_id)}/{quote(case_id)}", status_code=303)
