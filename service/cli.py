"""The `ftr` command line: the contract's calls and the operator's tools.

A user error is one clear line on stderr and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from sqlalchemy.exc import SQLAlchemyError

from case_store.db import StoreError
from case_store.io import FileFormatError, ImportRejected
from service import indexes, pipeline
from service.settings import Settings, SettingsError, load_settings

app = typer.Typer(
    help=(
        "Family tracing and reunification matching: import cases (registered children) "
        "and traces (children sought), re-score potential matches, export and review them."
    ),
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
import_app = typer.Typer(help="Import cases or traces from CSV or JSON Lines (all or nothing).")
export_app = typer.Typer(help="Export matches (the contract's file), cases or traces.")
db_app = typer.Typer(help="Database schema management.")
app.add_typer(import_app, name="import")
app.add_typer(export_app, name="export")
app.add_typer(db_app, name="db")

err = Console(stderr=True)
out = Console()


class UserError(Exception):
    """Shown as one line; exit status 1."""


def _settings(ctx: typer.Context) -> Settings:
    settings: Settings = ctx.obj
    return settings


_OPENED: list[pipeline.Store] = []  # closed before a finished command exits (`_finish`)
_SERVED: list[bool] = []  # a server ran: its own engines close the usual way at exit


def _store(ctx: typer.Context) -> pipeline.Store:
    store = pipeline.Store.open(_settings(ctx).database_url)
    _OPENED.append(store)
    return store


def _finish() -> None:
    """End a command that succeeded without tearing down its heap object by object.

    A re-score leaves gigabytes of records, tokens and index keys behind, and freeing
    them one at a time at exit took 2.2 s at 100,000 cases; the operating system takes
    the memory back at once. What must happen at exit happens first: the stores'
    connections close (SQLite folds its write-ahead log into the database file on
    the last close, so the file alone holds the results), logs and output are flushed.
    After a server (whose engines this does not hold) the usual exit is kept.
    """
    if _SERVED:
        return
    for store in _OPENED:
        store.engine.dispose()
    _OPENED.clear()
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


@app.callback()
def main_options(
    ctx: typer.Context,
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            help="SQLAlchemy URL of the store (sqlite:///file.db, postgresql+psycopg://...). "
            "Default: $FTR_DATABASE_URL, else sqlite:///ftr.db in the current directory.",
        ),
    ] = None,
) -> None:
    """Options shared by every command."""
    try:
        settings = load_settings()
    except SettingsError as exc:
        raise UserError(f"configuration: {exc}") from exc
    if db:
        settings = settings.model_copy(update={"database_url": db})
    ctx.obj = settings


def _interactive() -> bool:
    return sys.stderr.isatty() and not os.environ.get("CI")


def _import(ctx: typer.Context, kind: str, file: Path, agency: str | None) -> None:
    store = _store(ctx)
    if _interactive() and file.is_file():
        with Progress(
            TextColumn(f"importing {kind}"),
            BarColumn(),
            DownloadColumn(),
            TimeRemainingColumn(),
            console=err,
            transient=True,
        ) as bar:
            task = bar.add_task(kind, total=file.stat().st_size)
            result = pipeline.import_file(
                store, kind, file, agency_id=agency, progress=lambda n: bar.advance(task, n)
            )  # type: ignore[arg-type]
    else:
        result = pipeline.import_file(store, kind, file, agency_id=agency)  # type: ignore[arg-type]
    out.print(
        f"imported {result.rows} {kind} from {file}: {result.inserted} new, "
        f"{result.updated} updated, {result.unchanged} unchanged"
    )


@import_app.command("cases")
def import_cases(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="A .csv or .jsonl file of cases.")],
    agency: Annotated[str | None, typer.Option(help="Agency that owns these records.")] = None,
) -> None:
    """Import cases (registered children); re-importing an id updates it."""
    _import(ctx, "cases", file, agency)


@import_app.command("traces")
def import_traces(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="A .csv or .jsonl file of traces.")],
    agency: Annotated[str | None, typer.Option(help="Agency that owns these records.")] = None,
) -> None:
    """Import traces (children sought by tracing requests); re-importing an id updates it."""
    _import(ctx, "traces", file, agency)


@export_app.command("matches")
def export_matches(
    ctx: typer.Context, file: Annotated[Path, typer.Argument(help="CSV file to write.")]
) -> None:
    """Write trace_id,case_id,rank,score,likelihood: up to 10 ranked cases a trace."""
    count = pipeline.export_matches(_store(ctx), file)
    out.print(f"wrote {count} potential matches to {file}")


@export_app.command("cases")
def export_cases(
    ctx: typer.Context, file: Annotated[Path, typer.Argument(help=".csv or .jsonl to write.")]
) -> None:
    """Write every stored case in the contract's format."""
    count = pipeline.export_records(_store(ctx), "cases", file)
    out.print(f"wrote {count} cases to {file}")


@export_app.command("traces")
def export_traces(
    ctx: typer.Context, file: Annotated[Path, typer.Argument(help=".csv or .jsonl to write.")]
) -> None:
    """Write every stored trace in the contract's format."""
    count = pipeline.export_records(_store(ctx), "traces", file)
    out.print(f"wrote {count} traces to {file}")


@app.command()
def rescore(
    ctx: typer.Context,
    full: Annotated[
        bool,
        typer.Option(
            "--full", help="Re-fit the model and match every trace (after a model change)."
        ),
    ] = False,
    scheduler: Annotated[
        str | None,
        typer.Option(
            help="Run a --full re-score on this Dask scheduler (tcp://HOST:8786); its "
            "workers need this package, at this version, installed."
        ),
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(min=1, help="Run a --full re-score on a local Dask cluster of N processes."),
    ] = None,
    index_dir: Annotated[
        Path | None,
        typer.Option(
            help="Where the matcher's indexes are persisted. Default: $FTR_INDEX_DIR, "
            "else beside an SQLite file (ftr.db.index/), else a temporary folder."
        ),
    ] = None,
) -> None:
    """Bring every stored potential match up to date (incremental by default)."""
    if (scheduler or workers) and not full:
        raise UserError("--scheduler and --workers run a --full re-score; add --full")
    if scheduler and workers:
        raise UserError("give either --scheduler (a running cluster) or --workers (a local one)")
    cluster = pipeline.ClusterSpec(scheduler, workers) if (scheduler or workers) else None
    settings = _settings(ctx)
    folder = indexes.default_index_dir(settings.database_url, index_dir or settings.index_dir)
    store = _store(ctx)
    options: dict[str, Any] = {
        "full": full,
        "index_dir": folder,
        "cluster": cluster,
        "thresholds": settings.thresholds,
    }
    if _interactive():
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=err,
            transient=True,
        ) as bar:
            task = bar.add_task("reading, indexing, fitting", total=None)
            summary = pipeline.rescore(
                store,
                progress=lambda n: bar.update(task, completed=n),
                planned=lambda n: bar.update(task, total=n, description="scoring traces"),
                **options,
            )
    else:
        summary = pipeline.rescore(store, **options)
    where = f" on {summary.cluster}" if summary.cluster else ""
    out.print(
        f"{summary.mode} re-score{where}: {summary.traces_scored} traces against "
        f"{summary.cases} cases, {summary.pairs_written} potential matches "
        f"({summary.likely} likely) in {summary.seconds:.1f} s; indexes {summary.index}"
    )
    if summary.why_full:
        err.print(f"full, not incremental: {summary.why_full}")


@app.command()
def explain(
    ctx: typer.Context,
    trace_id: Annotated[str, typer.Argument(help="The trace.")],
    case_id: Annotated[str, typer.Argument(help="The case.")],
) -> None:
    """Show the evidence for one trace/case pair, field by field."""
    try:
        match = pipeline.explain_pair(_store(ctx), trace_id, case_id)
    except (pipeline.NotFound, pipeline.ModelOutdated) as exc:
        raise UserError(str(exc)) from exc
    print_explanation(match)


def print_explanation(match: pipeline.ScoredMatch) -> None:
    """A table of the evidence: values on both sides, verdict, weight."""
    table = Table(
        title=f"trace {match.trace_id} vs case {match.case_id}: score {match.score:.4f} "
        f"({match.likelihood}, rank {match.rank or '-'})"
    )
    for column in ("field", "trace", "case", "verdict", "weight (bits)"):
        table.add_column(column, overflow="fold")
    for item in match.evidence:
        weight = float(item["weight"])
        style = "green" if weight > 0.5 else "red" if weight < -0.5 else ""
        table.add_row(
            item["label"],
            item["trace"],
            item["case"],
            item["verdict"],
            f"[{style}]{weight:+.2f}[/]" if style else f"{weight:+.2f}",
        )
    out.print(table)


@db_app.command("upgrade")
def db_upgrade(ctx: typer.Context) -> None:
    """Create or migrate the schema to the newest revision."""
    _store(ctx)
    out.print(f"database at the newest revision: {_settings(ctx).database_url}")


@app.command()
def demo(
    ctx: typer.Context,
    cases: Annotated[int, typer.Option(help="How many synthetic cases to generate.")] = 2000,
    seed: Annotated[int, typer.Option(help="Generator seed.")] = 7,
    data_dir: Annotated[Path, typer.Option(help="Where to write the data.")] = Path("demo-data"),
    show: Annotated[int, typer.Option(help="How many traces to show.")] = 5,
    serve_after: Annotated[
        bool,
        typer.Option(
            "--serve/--no-serve",
            help="Then start the review service on the demo data with a demo login.",
        ),
    ] = False,
    port: Annotated[int, typer.Option(help="Port of the review service (--serve).")] = 8000,
) -> None:
    """Generate synthetic data, import it, match, and print ranked explained matches."""
    from benchmarks.synth import generate

    paths = generate(data_dir, n_cases=cases, seed=seed)
    store = _store(ctx)
    for kind, path in (("cases", paths.cases), ("traces", paths.traces)):
        result = pipeline.import_file(store, kind, path)  # type: ignore[arg-type]
        out.print(f"imported {result.rows} {kind} from {path}")
    summary = pipeline.rescore(store, full=True, thresholds=_settings(ctx).thresholds)
    out.print(
        f"matched {summary.traces_scored} traces against {summary.cases} cases in "
        f"{summary.seconds:.1f} s: {summary.pairs_written} proposals, {summary.likely} likely"
    )
    matches_file = data_dir / "matches.csv"
    pipeline.export_matches(store, matches_file)
    from benchmarks.evaluate import evaluate_files

    report = evaluate_files(matches_file, paths.truth, paths.traces, paths.difficulty)
    out.print(report.summary_line())
    shown = 0
    for trace_id, case_id in report.examples(show):
        print_explanation(pipeline.explain_pair(store, trace_id, case_id))
        shown += 1
    out.print(f"matches written to {matches_file}; explain any pair with `ftr explain`")
    if serve_after:
        _serve_demo(ctx, store, port)


def _serve_demo(ctx: typer.Context, store: pipeline.Store, port: int) -> None:
    """A throw-away supervisor login on the demo store, then the service (development)."""
    import secrets

    from case_store.db import transaction
    from service import auth

    password = secrets.token_urlsafe(12)
    with transaction(store.sessions) as session:
        _, token = auth.create_user(session, "demo", "supervisor", password=password)
    # plain print: a token must never be wrapped across lines
    print(f"\nreview service: http://127.0.0.1:{port}/queue  (API: /openapi.json)")
    print(f"log in as demo with password {password}")
    print(f"or send the header: Authorization: Bearer {token}")
    print("these demo credentials exist only in this demo database; Ctrl-C stops the service")
    ctx.obj = _settings(ctx).model_copy(update={"environment": "development"})
    serve(ctx, host="127.0.0.1", port=port, log_level="warning")


users_app = typer.Typer(help="Users of the review service and their API tokens.")
agencies_app = typer.Typer(help="Agencies and the sharing of records between them.")
app.add_typer(users_app, name="users")
app.add_typer(agencies_app, name="agencies")


def _read_password() -> str:
    """The first line of standard input: keeps the password out of argv and history."""
    line = sys.stdin.readline().rstrip("\r\n")
    if len(line) < 12:
        raise UserError("the password (first line of standard input) needs 12 characters or more")
    return line


@users_app.command("create")
def users_create(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Login name (no spaces).")],
    role: Annotated[str, typer.Option(help="tracing_officer, supervisor or admin.")],
    agency: Annotated[
        str | None,
        typer.Option(
            help="The user's agency (created when new). Without one, a "
            "non-admin sees only records that have no agency."
        ),
    ] = None,
    password_stdin: Annotated[
        bool,
        typer.Option(
            "--password-stdin",
            help="Read a password (for the review pages) from the first line of standard input.",
        ),
    ] = False,
    service: Annotated[
        bool, typer.Option("--service", help="An integration: API tokens only, no login.")
    ] = False,
) -> None:
    """Create a user and print their first API token as the last line (shown once)."""
    from sqlalchemy import select

    from case_store.db import transaction
    from case_store.models import ROLES, Agency, User
    from service import audit, auth

    if role not in ROLES:
        raise UserError(f"--role must be one of {', '.join(ROLES)}, not {role!r}")
    if not name or any(c.isspace() for c in name) or len(name) > 128:
        raise UserError("NAME must be 1 to 128 characters without spaces")
    if service and password_stdin:
        raise UserError("an integration (--service) has no password")
    password = _read_password() if password_stdin else None
    store = _store(ctx)
    with transaction(store.sessions) as session:
        if session.scalar(select(User.id).where(User.username == name)) is not None:
            raise UserError(f"user {name!r} exists; issue a new token with `ftr users token`")
        if agency and session.get(Agency, agency) is None:
            session.add(Agency(agency_id=agency, name=agency))
            session.flush()
            print(f"created agency {agency}")
        _, token = auth.create_user(
            session, name, role, agency_id=agency, password=password, is_service=service
        )
        audit.record(
            session,
            "cli",
            "user.create",
            object_type="user",
            object_id=name,
            detail={"new_role": role, "agency_id": agency},
        )
    print(
        f"created user {name} (role {role}, agency {agency or 'none'})"
        + ("; password set for the review pages" if password else "")
    )
    print("API token (shown once, store it safely):")
    print(token)


@users_app.command("token")
def users_token(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="An existing user.")],
    label: Annotated[str | None, typer.Option(help="What the token is for.")] = None,
) -> None:
    """Issue another API token for a user; printed as the last line (shown once)."""
    from sqlalchemy import select

    from case_store.db import transaction
    from case_store.models import User
    from service import audit, auth

    store = _store(ctx)
    with transaction(store.sessions) as session:
        user = session.scalar(select(User).where(User.username == name))
        if user is None:
            raise UserError(f"no user {name!r}")
        _, token = auth.issue_token(session, user, label=label)
        audit.record(session, "cli", "token.create", object_type="user", object_id=name)
    print(token)


@users_app.command("list")
def users_list(ctx: typer.Context) -> None:
    """Every user with role, agency and whether active."""
    from sqlalchemy import select

    from case_store.db import transaction
    from case_store.models import User

    table = Table(title="users")
    for column in ("name", "role", "agency", "kind", "active"):
        table.add_column(column)
    with transaction(_store(ctx).sessions) as session:
        for user in session.scalars(select(User).order_by(User.username)):
            table.add_row(
                user.username,
                user.role,
                user.agency_id or "-",
                "service" if user.is_service else "person",
                "yes" if user.active else "no",
            )
    out.print(table)


@agencies_app.command("create")
def agencies_create(
    ctx: typer.Context,
    agency_id: Annotated[str, typer.Argument(help="Short id, as given to --agency.")],
    name: Annotated[str | None, typer.Option(help="Display name.")] = None,
) -> None:
    """Create an agency."""
    from case_store.db import transaction
    from case_store.models import Agency

    with transaction(_store(ctx).sessions) as session:
        if session.get(Agency, agency_id) is not None:
            raise UserError(f"agency {agency_id!r} exists")
        session.add(Agency(agency_id=agency_id, name=name or agency_id))
    out.print(f"created agency {agency_id}")


@agencies_app.command("share")
def agencies_share(
    ctx: typer.Context,
    owner: Annotated[str, typer.Argument(help="The agency whose records are shared.")],
    viewer: Annotated[str, typer.Argument(help="The agency whose users may see them.")],
) -> None:
    """Let VIEWER's users see OWNER's records (one direction; run twice for both)."""
    from case_store.db import transaction
    from case_store.models import Agency, AgencyShare

    with transaction(_store(ctx).sessions) as session:
        for agency_id in (owner, viewer):
            if session.get(Agency, agency_id) is None:
                raise UserError(f"no agency {agency_id!r}")
        if owner == viewer:
            raise UserError("an agency always sees its own records")
        if session.get(AgencyShare, (owner, viewer)) is None:
            session.add(
                AgencyShare(owner_agency_id=owner, viewer_agency_id=viewer, created_by="cli")
            )
    out.print(f"{viewer} now sees the records of {owner}")


@app.command()
def serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    log_level: Annotated[str, typer.Option(help="uvicorn log level.")] = "info",
) -> None:
    """Run the review service: the /v1 API, the review pages, /healthz and /openapi.json.

    Outside FTR_ENVIRONMENT=development it refuses to start without FTR_SECRET_KEY.
    """
    import uvicorn

    from service.api import ConfigurationError, create_app

    settings = _settings(ctx)
    try:
        application = create_app(settings)
    except ConfigurationError as exc:
        raise UserError(str(exc)) from exc
    _SERVED.append(True)
    uvicorn.run(application, host=host, port=port, log_level=log_level, proxy_headers=True)


def main() -> None:
    """Entry point: run the app and turn known failures into one line."""
    try:
        app(standalone_mode=False)
    except ImportRejected as exc:
        for line in exc.report():
            print(line, file=sys.stderr)
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(1)
    except (UserError, FileFormatError, StoreError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(1)
    except SQLAlchemyError as exc:
        reason = str(exc.orig) if getattr(exc, "orig", None) else str(exc)
        print(f"error: database: {reason.splitlines()[0]}", file=sys.stderr)
        sys.exit(1)
    except OSError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(1)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        print("error: aborted", file=sys.stderr)
        sys.exit(1)
    except Exception as exc:
        # usage errors (an unknown option, a missing argument) are click's exceptions,
        # which recent typer versions vendor (typer._click) rather than import: matched
        # by what they can do, so either kind is its message and exit code, not a traceback
        show, code = getattr(exc, "show", None), getattr(exc, "exit_code", None)
        if callable(show) and isinstance(code, int):
            show()
            sys.exit(code)
        raise
    _finish()


if __name__ == "__main__":
    main()
