"""`dfd`: analyse files, run batches, read history and reports from the shell.

Exit codes of analyze and show: 0 real, 1 fake, 2 uncertain or not assessed, 3 error
(several files: the most alarming one). batch: 0 when every file has a final row, 3 when
some hit an error (run it again to retry them).
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from dd_contracts import Analysis
from dfd import __version__
from dfd.async_client import AsyncClient
from dfd.batch import BatchRun, discover, row_line
from dfd.client import Client
from dfd.errors import ApiError, DfdError
from dfd.outcome import ExitCode, combined, describe, exit_code
from dfd.plugins import GROUP, PluginGroup
from dfd.progress import StatusLine
from dfd.results import ResultsFile, Row
from dfd.settings import Settings

F = TypeVar("F", bound=Callable[..., Any])


def connection_options(command: F) -> F:
    """--url / --api-key / --timeout on a command; unset ones come from DFD_URL,
    DFD_API_KEY, DFD_TIMEOUT or the config file (see dfd.settings)."""
    for option in reversed(
        [
            click.option("--url", help="Gateway base URL [env DFD_URL; default 127.0.0.1:8000]"),
            click.option("--api-key", help="API key [env DFD_API_KEY]"),
            click.option("--timeout", "timeout_s", type=float, help="Per-request timeout, s"),
            click.option(
                "--retries", type=click.IntRange(0), help="Retries on 429/503/connect errors"
            ),
        ]
    ):
        command = option(command)
    return command


class SettingsError(click.ClickException):
    exit_code = ExitCode.error


def _settings(
    url: str | None, api_key: str | None, timeout_s: float | None, retries: int | None
) -> Settings:
    try:
        return Settings.resolve(url, api_key, timeout_s, retries)
    except ValueError as exc:
        raise SettingsError(str(exc)) from exc


def _client(settings: Settings) -> Client:
    return Client(
        settings.url,
        settings.api_key,
        timeout_s=settings.timeout_s,
        retry=settings.retry_policy(),
    )


def _fail(exc: DfdError, name: str | None = None) -> None:
    prefix = f"{name}: " if name else ""
    click.echo(f"{prefix}error: {exc}", err=True)


def handle_errors(command: F) -> F:
    """A client error becomes a one-line message and exit code 3, never a traceback;
    Ctrl-C exits 130 (click's own Abort would exit 1, which reads as "fake")."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except DfdError as exc:
            _fail(exc)
            sys.exit(ExitCode.error)
        except KeyboardInterrupt:
            click.echo("\ninterrupted", err=True)
            sys.exit(130)

    return wrapper  # type: ignore[return-value]


@click.group(
    cls=PluginGroup,
    help="DeepfakeDetective client: analyse photos, voice clips and videos through a "
    f"gateway. Installed packages may add commands (entry-point group '{GROUP}').",
)
@click.version_option(__version__, prog_name="dfd")
@click.option("-v", "--verbose", is_flag=True, help="Log retries and requests to stderr.")
def main(verbose: bool) -> None:
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="dfd: %(message)s",
        stream=sys.stderr,
    )
    if not verbose:
        logging.getLogger("httpx").setLevel(logging.WARNING)


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--wait/--no-wait", default=True, help="Follow each analysis to its verdict.")
@click.option("--json", "as_json", is_flag=True, help="Print each document as one JSON line.")
@click.option("--force", is_flag=True, help="Analyse again even if a stored result exists.")
@click.option("-q", "--quiet", is_flag=True, help="No progress line.")
@connection_options
def analyze(
    files: tuple[str, ...],
    wait: bool,
    as_json: bool,
    force: bool,
    quiet: bool,
    url: str | None,
    api_key: str | None,
    timeout_s: float | None,
    retries: int | None,
) -> None:
    """Upload FILES, follow each analysis live and print the verdict.

    Exit code: 0 real, 1 fake, 2 uncertain / not assessed, 3 error. With --no-wait, a
    file whose analysis was accepted counts as 0 (its id is printed)."""
    settings = _settings(url, api_key, timeout_s, retries)
    codes: list[ExitCode] = []
    try:
        with _client(settings) as client:
            for name in files:
                codes.append(_analyze_one(client, Path(name), wait, as_json, force, quiet))
    except KeyboardInterrupt:
        # Not click's Abort (exit 1 would read as "fake").
        click.echo("\ninterrupted", err=True)
        sys.exit(130)
    sys.exit(combined(codes))


def _analyze_one(
    client: Client, path: Path, wait: bool, as_json: bool, force: bool, quiet: bool
) -> ExitCode:
    status = StatusLine(path.name, enabled=not quiet)
    try:
        answer = client.submit(path, force=force, progress=status.upload)
        if isinstance(answer, Analysis):
            analysis = answer
        elif wait:
            analysis = client.wait(answer.id, on_event=status.event)
        else:
            status.close()
            if as_json:
                click.echo(answer.model_dump_json())
            else:
                click.echo(f"{path.name}: accepted, id {answer.id} ({answer.location})")
            return ExitCode.real
    except DfdError as exc:
        status.close()
        if as_json:
            click.echo(json.dumps({"file": str(path), "error": _error_dict(exc)}))
        _fail(exc, path.name)
        return ExitCode.error
    finally:
        status.close()
    if as_json:
        click.echo(analysis.model_dump_json())
    else:
        click.echo(describe(analysis, path.name))
    return exit_code(analysis)


def _error_dict(exc: DfdError) -> dict[str, Any]:
    if isinstance(exc, ApiError):
        return {**exc.body.model_dump(), "status": exc.status}
    return {"type": exc.type, "detail": exc.detail, "request_id": None}


@main.command()
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option(
    "--out",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="results.csv or results.jsonl (appended to; a re-run resumes from it)",
)
@click.option("-c", "--concurrency", default=4, show_default=True, type=click.IntRange(1, 64))
@click.option("--all-files", is_flag=True, help="Send every file, not only media extensions.")
@click.option("--force", is_flag=True, help="Analyse again even files already in --out.")
@connection_options
def batch(
    directory: Path,
    out: Path,
    concurrency: int,
    all_files: bool,
    force: bool,
    url: str | None,
    api_key: str | None,
    timeout_s: float | None,
    retries: int | None,
) -> None:
    """Analyse every media file under DIRECTORY, CONCURRENCY at a time, one row per file
    in --out. Interrupted? Run the same command again: finished files are skipped (by
    content hash) and accepted ones are followed, not uploaded again."""
    settings = _settings(url, api_key, timeout_s, retries)
    try:
        results = ResultsFile(out)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--out") from exc
    files = discover(directory, all_files)
    total = len(files)
    done = 0

    def on_row(row: Row, skipped: bool) -> None:
        nonlocal done
        if row["status"] == "submitted":
            return
        done += 1
        note = "  (already done)" if skipped else ""
        click.echo(f"[{done}/{total}] {row_line(row)}{note}", err=True)

    async def run() -> Any:
        async with AsyncClient(
            settings.url,
            settings.api_key,
            timeout_s=settings.timeout_s,
            retry=settings.retry_policy(),
            max_connections=max(8, concurrency * 2),
        ) as client:
            return await BatchRun(client, directory, results, concurrency, force, on_row).run(files)

    click.echo(f"dfd batch: {total} files under {directory}, {concurrency} at a time", err=True)
    try:
        summary = asyncio.run(run())
    except KeyboardInterrupt:
        click.echo(f"interrupted: run the same command again to resume ({out})", err=True)
        sys.exit(130)
    counts = ", ".join(f"{n} {status}" for status, n in sorted(summary.counts.items()))
    click.echo(
        f"dfd batch: {total} files: {counts or 'nothing new'}; "
        f"{summary.skipped} already done; results in {out}",
        err=True,
    )
    sys.exit(ExitCode.error if summary.errors else ExitCode.real)


@main.command()
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 100))
@click.option("--offset", default=0, type=click.IntRange(0))
@click.option("--kind", type=click.Choice(["image", "audio", "video"]))
@click.option("--verdict", type=click.Choice(["fake", "real", "uncertain"]))
@click.option("-q", "--query", help="Part of the file name.")
@click.option("--json", "as_json", is_flag=True)
@connection_options
@handle_errors
def history(
    limit: int,
    offset: int,
    kind: str | None,
    verdict: str | None,
    query: str | None,
    as_json: bool,
    url: str | None,
    api_key: str | None,
    timeout_s: float | None,
    retries: int | None,
) -> None:
    """Past analyses, newest first."""
    with _client(_settings(url, api_key, timeout_s, retries)) as client:
        page = client.history(limit, offset, kind=kind, verdict=verdict, q=query)
    if as_json:
        click.echo(page.model_dump_json())
        return
    click.echo(f"{'id':<32}  {'created':<19}  {'kind':<5}  {'verdict':<9}  {'P(fake)':>7}  file")
    for item in page.items:
        created = str(item.created_at or "")[:19].replace("T", " ")
        probability = "" if item.fake_probability is None else f"{item.fake_probability:.3f}"
        label = item.verdict_label or item.status
        click.echo(
            f"{item.id:<32}  {created:<19}  {item.kind or ''!s:<5}  {label!s:<9}  "
            f"{probability:>7}  {item.filename or ''}"
        )
    shown = f"{offset + 1}-{offset + len(page.items)}" if page.items else "none"
    click.echo(f"({shown} of {page.total})", err=True)


@main.command()
@click.argument("analysis_id")
@click.option("--json", "as_json", is_flag=True)
@connection_options
@handle_errors
def show(
    analysis_id: str,
    as_json: bool,
    url: str | None,
    api_key: str | None,
    timeout_s: float | None,
    retries: int | None,
) -> None:
    """One analysis. Exit code as for analyze."""
    with _client(_settings(url, api_key, timeout_s, retries)) as client:
        analysis = client.get(analysis_id)
    click.echo(analysis.model_dump_json(indent=2) if as_json else describe(analysis))
    sys.exit(exit_code(analysis))


@main.command()
@click.argument("analysis_id")
@click.option("--format", "format_", type=click.Choice(["pdf", "html", "json"]), default="html")
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False, allow_dash=True), help="'-' for stdout"
)
@connection_options
@handle_errors
def report(
    analysis_id: str,
    format_: str,
    output: str | None,
    url: str | None,
    api_key: str | None,
    timeout_s: float | None,
    retries: int | None,
) -> None:
    """Download the report of a finished analysis (default file analysis-ID.FORMAT)."""
    with _client(_settings(url, api_key, timeout_s, retries)) as client:
        if output == "-":
            sys.stdout.buffer.write(client.report(analysis_id, format_))  # type: ignore[arg-type]
            return
        destination = Path(output or f"analysis-{analysis_id}.{format_}")
        try:
            written = client.save_report(analysis_id, destination, format_)  # type: ignore[arg-type]
        except DfdError:
            destination.unlink(missing_ok=True)
            raise
    click.echo(f"wrote {destination} ({written} bytes)", err=True)


def run(argv: list[str] | None = None) -> None:
    """The console script. Click's own exit codes are remapped so that a script can trust
    ours: a usage error (click: 2, which here means "uncertain") exits 3, Ctrl-C 130."""
    try:
        main.main(args=argv, prog_name="dfd", standalone_mode=False)
    except (click.exceptions.Abort, KeyboardInterrupt):
        click.echo("\ninterrupted", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(ExitCode.error)
    sys.exit(0)


if __name__ == "__main__":
    run()
