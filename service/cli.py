"""The `ftr` command line: the contract's calls and the operator's tools.

A user error is one clear line on stderr and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

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
from service import pipeline
from service.settings import Settings

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


def _store(ctx: typer.Context) -> pipeline.Store:
    return pipeline.Store.open(_settings(ctx).database_url)


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
    settings = Settings()
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
        bool, typer.Option("--full", help="Recompute everything (after a model change).")
    ] = False,
) -> None:
    """Bring every stored potential match up to date (incremental by default)."""
    store = _store(ctx)
    if _interactive():
        with Progress(
            TextColumn("scoring traces"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=err,
            transient=True,
        ) as bar:
            task = bar.add_task("rescore", total=None)
            summary = pipeline.rescore(
                store, full=full, progress=lambda n: bar.update(task, completed=n)
            )
    else:
        summary = pipeline.rescore(store, full=full)
    out.print(
        f"{summary.mode} re-score: {summary.traces_scored} traces against {summary.cases} "
        f"cases, {summary.pairs_written} potential matches ({summary.likely} likely) "
        f"in {summary.seconds:.1f} s"
    )


@app.command()
def explain(
    ctx: typer.Context,
    trace_id: Annotated[str, typer.Argument(help="The trace.")],
    case_id: Annotated[str, typer.Argument(help="The case.")],
) -> None:
    """Show the evidence for one trace/case pair, field by field."""
    try:
        match = pipeline.explain_pair(_store(ctx), trace_id, case_id)
    except pipeline.NotFound as exc:
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
) -> None:
    """Generate synthetic data, import it, match, and print ranked explained matches."""
    from benchmarks.synth import generate

    paths = generate(data_dir, n_cases=cases, seed=seed)
    store = _store(ctx)
    for kind, path in (("cases", paths.cases), ("traces", paths.traces)):
        result = pipeline.import_file(store, kind, path)  # type: ignore[arg-type]
        out.print(f"imported {result.rows} {kind} from {path}")
    summary = pipeline.rescore(store, full=True)
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
    except Exception as exc:  # click usage errors arrive as ClickException
        import click

        if isinstance(exc, click.exceptions.ClickException):
            exc.show()
            sys.exit(exc.exit_code)
        if isinstance(exc, click.exceptions.Exit):
            sys.exit(exc.exit_code)
        raise


if __name__ == "__main__":
    main()
