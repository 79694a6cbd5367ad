"""The `fuse` command: serve, deploy, database upgrades, users and tokens."""
from __future__ import annotations

import logging
import sys
from contextlib import contextmanager
from pathlib import Path

import click
from prometheus_client import start_http_server
from waitress import serve as waitress_serve

from api.app import create_app
from api.logs import configure_logging
from engine.deployment.deploy import deploy as deploy_files, validate_files
from engine.errors import FuseError
from engine.history.verify import verify_all_histories, verify_history
from engine.identity.users import add_user, create_token
from engine.store.db import open_database
from engine.store.schema import upgrade_database
from engine.worker.worker import Worker

log = logging.getLogger("fuse.cli")


@contextmanager
def reported_errors():
    """Engine errors become a clean message and exit status 1, never a traceback."""
    try:
        yield
    except FuseError as err:
        click.echo(f"error: {err.detail}", err=True)
        for item in err.extra.get("errors", []):
            where = f"{item.get('file') or ''}:{item.get('line') or '?'} {item.get('element_id') or ''}"
            click.echo(f"  {where.strip()}: {item['message']}", err=True)
        sys.exit(1)


@contextmanager
def unit_of_work():
    """A session that commits on success and rolls back on any error."""
    session = open_database()()
    try:
        with reported_errors():
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise
    finally:
        session.close()


@click.group()
def main():
    """Fuse, a BPMN process engine. Every command reads FUSE_DATABASE_URL (default: sqlite fuse.db)."""


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8080, show_default=True, type=int)
@click.option("--threads", default=8, show_default=True, type=int)
@click.option("--no-worker", is_flag=True, help="Do not run due jobs in this process (run `fuse worker`).")
def serve(host, port, threads, no_worker):
    """Serve the REST API and web pages, with an embedded worker for jobs."""
    _configure_logging()
    worker = None if no_worker else Worker(open_database()).start()
    log.info(f"Fuse listening on http://{host}:{port}/ (API docs: http://{host}:{port}/api/docs, metrics: "
             f"http://{host}:{port}/metrics)" + ("" if worker else "; no embedded worker"))
    try:
        waitress_serve(create_app(), host=host, port=port, threads=threads, ident="fuse")
    finally:
        if worker:
            worker.stop()


@main.command()
@click.option("--poll", default=0.5, show_default=True, type=float, help="Seconds between polls when idle.")
@click.option("--metrics-port", type=int, help="Serve this worker's own metrics (activity and handler "
              "durations, handler errors) for Prometheus on this port.")
@click.option("--metrics-host", default="127.0.0.1", show_default=True, help="Address of --metrics-port.")
def worker(poll, metrics_port, metrics_host):
    """Run due jobs (async continuations) until interrupted; several may run at once."""
    _configure_logging()
    if metrics_port is not None:
        start_http_server(metrics_port, addr=metrics_host)
        log.info(f"worker metrics on http://{metrics_host}:{metrics_port}/metrics")
    log.info("Fuse worker running; Ctrl-C stops it")
    try:
        Worker(open_database(), poll_interval=poll).run_forever()
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
    """Create or upgrade the database schema."""
    upgrade_database()
    click.echo("database is up to date")


@main.group()
def user():
    """Users and their groups."""


@user.command("add")
@click.argument("name")
@click.option("--group", "groups", multiple=True, help="A group of the user (repeatable).")
def user_add(name, groups):
    """Create a user, or add groups to an existing one."""
    with unit_of_work() as session:
        created = add_user(session, name, list(groups))
        click.echo(f"user {created.name}: groups {', '.join(sorted(g.group for g in created.groups)) or '-'}")


@main.group()
def token():
    """API tokens."""


@token.command("create")
@click.argument("name")
def token_create(name):
    """Create an API token for user NAME; the token is the last word printed."""
    with unit_of_work() as session:
        click.echo(f"token for {name}: {create_token(session, name)}")


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
