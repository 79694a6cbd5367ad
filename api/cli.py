"""The `fuse` command: serve, deploy, database upgrades, users, tokens and grants."""
from __future__ import annotations

import errno
import logging
import socket
import sys
from datetime import timedelta
from pathlib import Path
from typing import NoReturn

import click
from prometheus_client import start_http_server
from waitress.server import create_server

from api.app import create_app
from api.cli_context import fail, ready_database, reported_errors, unit_of_work
from api.cli_grants import grant
from api.cli_users import token, user
from api.database_state import DatabaseUnreachable, current_revision, describe
from api.logs import configure_logging
from api.serve_processes import become_gunicorn, listening_socket, serving_url, usable_cores
from engine.deployment.deploy import deploy as deploy_files, validate_files
from engine.history.verify import verify_all_histories, verify_history
from engine.identity.person import check_trust_score
from engine.store.schema import upgrade_database
from engine.worker.worker import Worker

log = logging.getLogger("fuse.cli")


@click.group()
@click.version_option(package_name="fuse-engine", prog_name="fuse")
def main():
    """Fuse, a BPMN process engine. Every command reads FUSE_DATABASE_URL (default: sqlite fuse.db)."""


main.add_command(user)
main.add_command(token)
main.add_command(grant)

JOB_LOCK = click.option(
    "--job-lock", "job_lock_s", envvar="FUSE_JOB_LOCK_SECONDS", default=30.0, show_default=True,
    type=click.FloatRange(min=1), help="Seconds a job stays locked without a heartbeat: a worker renews its "
    "jobs' locks every third of it, and a dead worker's jobs run elsewhere after it (env FUSE_JOB_LOCK_SECONDS).")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8080, show_default=True, type=int)
@click.option("--workers", default=usable_cores(), show_default="the number of cores", type=click.IntRange(min=1),
              help="Processes serving requests (gunicorn); 1 serves from this process (waitress).")
@click.option("--threads", default=8, show_default=True, type=click.IntRange(min=1), help="Threads per process.")
@click.option("--no-worker", is_flag=True, help="Do not run due jobs in the serving processes (run `fuse worker`).")
@JOB_LOCK
def serve(host, port, workers, threads, no_worker, job_lock_s):
    """Serve the REST API and web pages, with an embedded worker for jobs."""
    sessions = ready_database()  # before logging is set up: Alembic logs its checks at INFO
    _configure_logging()
    if workers > 1:
        _checked_app(threads)  # a setting Fuse does not understand is one line here, not a worker failing to boot
        listening = _bound_socket(host, port)
        become_gunicorn(listening, serving_url(host, port), workers=workers, threads=threads,
                        jobs=not no_worker, job_lock_s=job_lock_s)
    server = _bound_server(host, port, threads)
    worker = None if no_worker else Worker(sessions, lock=timedelta(seconds=job_lock_s)).start()
    url = serving_url(host, port)
    log.info(f"Fuse listening on {url}/ (API docs: {url}/api/docs, metrics: {url}/metrics)"
             + ("" if worker else "; no embedded worker"))
    try:
        server.run()
    finally:
        if worker:
            worker.stop()


def _checked_app(threads: int):
    try:
        return create_app({"SERVE_THREADS": threads})
    except ValueError as err:  # a configuration Fuse does not understand, e.g. FUSE_DEFAULT_START
        fail(str(err))


def _bound_server(host: str, port: int, threads: int):
    """A waitress server already bound to host:port, so we only say "listening" once it is true."""
    try:
        return create_server(_checked_app(threads), host=host, port=port, threads=threads, ident="fuse")
    except OSError as err:
        _cannot_listen(host, port, err, "--port")


def _bound_socket(host: str, port: int) -> socket.socket:
    try:
        return listening_socket(host, port)
    except OSError as err:
        _cannot_listen(host, port, err, "--port")


def _cannot_listen(host: str, port: int, err: OSError, option: str) -> NoReturn:
    if err.errno == errno.EADDRINUSE:
        fail(f"cannot serve on {host}:{port}: the port is already in use (stop what holds it, or pick "
             f"another with {option})")
    fail(f"cannot serve on {host}:{port}: {err.strerror or err}")


@main.command()
@click.option("--poll", default=0.5, show_default=True, type=float, help="Seconds between polls when idle.")
@click.option("--metrics-port", type=int, help="Serve this worker's own metrics (activity and handler "
              "durations, handler errors) for Prometheus on this port.")
@click.option("--metrics-host", default="127.0.0.1", show_default=True, help="Address of --metrics-port.")
@JOB_LOCK
def worker(poll, metrics_port, metrics_host, job_lock_s):
    """Run due jobs (async continuations) until interrupted; several may run at once."""
    sessions = ready_database()  # before logging is set up: Alembic logs its checks at INFO
    _configure_logging()
    try:
        check_trust_score()  # the worker's policies judge nobody, but a broken expression still fails them
    except ValueError as err:
        fail(str(err))
    if metrics_port is not None:
        try:
            start_http_server(metrics_port, addr=metrics_host)
        except OSError as err:
            _cannot_listen(metrics_host, metrics_port, err, "--metrics-port")
        log.info(f"worker metrics on http://{metrics_host}:{metrics_port}/metrics")
    log.info("Fuse worker running; Ctrl-C stops it")
    try:
        Worker(sessions, poll_interval=poll, lock=timedelta(seconds=job_lock_s)).run_forever()
    except KeyboardInterrupt:
        pass


def _configure_logging() -> None:
    """JSON log lines on stderr (FUSE_LOG_FORMAT=text for plain text), at FUSE_LOG_LEVEL."""
    try:
        configure_logging()
    except ValueError as err:
        raise click.UsageError(str(err)) from None


FILES = click.argument("files", nargs=-1, required=True,
                       type=click.Path(exists=True, dir_okay=False, path_type=Path))


def _where(item) -> str:
    return f"{item.file or ''}:{item.line or '?'} {item.element_id or ''}".strip()


@main.command()
@FILES
@click.option("--name", help="A name for the deployment.")
@click.option("--allow-non-executable", is_flag=True, help="Keep non-executable processes for viewing.")
def deploy(files, name, allow_non_executable):
    """Deploy BPMN (and form) files as one deployment."""
    with unit_of_work() as session:
        result = deploy_files(session, {f.name: f.read_bytes() for f in files}, name, "cli", allow_non_executable)
        verb = "deployed" if result.created else "unchanged, already deployed as"
        click.echo(f"{verb} {result.deployment.id}")
        for definition in result.deployment.definitions:
            note = "" if definition.executable else " [not executable: for viewing]"
            click.echo(f"  {definition.key} version {definition.version} ({definition.id}){note}")
        for warning in result.warnings:
            click.echo(f"  warning {_where(warning)}: {warning.message}")


@main.command()
@FILES
def validate(files):
    """Check BPMN (and form) files as a deployment would, without deploying; exit 1 if invalid."""
    with reported_errors():
        report = validate_files({f.name: f.read_bytes() for f in files})
    for process in report.processes:
        click.echo(f"process {process['key']}: {'executable' if process['executable'] else 'not executable'}")
    for kind, items in (("error", report.errors), ("warning", report.warnings)):
        for item in items:
            click.echo(f"{kind} {_where(item)}: {item.message}")
    click.echo("valid" if report.valid else f"invalid: {len(report.errors)} error(s)")
    sys.exit(0 if report.valid else 1)


@main.group()
def db():
    """Database schema."""


@db.command()
def upgrade():
    """Create or upgrade the database schema (creates a SQLite file that does not exist yet)."""
    try:
        before = current_revision()
    except DatabaseUnreachable as err:
        fail(str(err))
    upgrade_database()
    after = current_revision()
    if before is None:
        click.echo(f"created the database schema (revision {after}) in {describe()}")
    elif before != after:
        click.echo(f"upgraded the database schema of {describe()} from revision {before} to {after}")
    else:
        click.echo(f"database {describe()} is up to date (revision {after})")


@main.group()
def audit():
    """The audit trail: check histories against their hash chains."""


def _chain_line(report) -> str:
    if report.valid:
        return f"instance {report.instance_id}: intact ({report.events} events)"
    broken = report.first_broken
    return f"instance {report.instance_id}: BROKEN at event {broken['seq']}: {broken['reason']}"


@audit.command("verify")
@click.argument("instance_id", required=False)
@click.option("--all", "every", is_flag=True, help="Check every instance (prints the broken ones).")
def audit_verify(instance_id, every):
    """Check INSTANCE_ID's history (or every instance's) against its hash chain; exit 1 if broken."""
    if bool(instance_id) == every:
        raise click.UsageError("give an INSTANCE_ID or --all")
    with unit_of_work() as session:
        if instance_id:
            report = verify_history(session, instance_id)
            click.echo(_chain_line(report))
            broken = 0 if report.valid else 1
        else:
            checked = broken = 0
            for report in verify_all_histories(session):
                checked += 1
                if not report.valid:
                    broken += 1
                    click.echo(_chain_line(report))
            click.echo(f"{checked} instance(s) checked, {broken} broken")
    sys.exit(1 if broken else 0)
