"""`fuse grant`: who may read or start what beyond the built-in rules (add, list, remove, log)."""
from __future__ import annotations

import click

from api.cli_context import unit_of_work
from engine.identity.authorizations import (
    Permission, ResourceType, add_authorization, authorization_log, list_authorizations, remove_authorization,
)

CLI_ACTOR = "cli"


@click.group()
def grant():
    """Grants after Camunda 7's authorizations: READ or CREATE_INSTANCE on a process (by key, or '*')."""


@grant.command("add")
@click.option("--user", "user_id", help="The user granted (give --user or --group).")
@click.option("--group", "group_id", help="The group granted.")
@click.option("--read", "read_key", metavar="KEY", help="Read the instances of process KEY ('*': of every process).")
@click.option("--start", "start_key", metavar="KEY", help="Start process KEY ('*': every process).")
@click.option("--instance", "instance_id", metavar="ID", help="Read the one instance ID.")
def grant_add(user_id, group_id, read_key, start_key, instance_id):
    """Grant a user or group read or start rights; prints the grant's id."""
    chosen = [(ResourceType.PROCESS_DEFINITION, read_key, Permission.READ),
              (ResourceType.PROCESS_DEFINITION, start_key, Permission.CREATE_INSTANCE),
              (ResourceType.PROCESS_INSTANCE, instance_id, Permission.READ)]
    chosen = [c for c in chosen if c[1]]
    if len(chosen) != 1:
        raise click.UsageError("give exactly one of --read KEY, --start KEY and --instance ID")
    if bool(user_id) == bool(group_id):
        raise click.UsageError("give exactly one of --user and --group")
    [(kind, resource_id, permission)] = chosen
    with unit_of_work() as session:
        row = add_authorization(session, CLI_ACTOR, resource_type=kind.value, resource_id=resource_id,
                                permissions=[permission.value], user_id=user_id, group_id=group_id)
        click.echo(f"grant {row.id}: {_line(row)}")


@grant.command("list")
def grant_list():
    """Every grant: id, who, what, on which resource."""
    with unit_of_work() as session:
        for row in list_authorizations(session):
            click.echo(f"{row.id:>5}  {_line(row)}")


@grant.command("remove")
@click.argument("grant_id", type=int)
def grant_remove(grant_id):
    """Withdraw grant GRANT_ID (see `fuse grant list`)."""
    with unit_of_work() as session:
        row = remove_authorization(session, grant_id, CLI_ACTOR)
        click.echo(f"grant {grant_id} removed: {_line(row)}")


@grant.command("log")
def grant_log():
    """The grants' audit log: when, who, granted or removed what."""
    with unit_of_work() as session:
        for event in authorization_log(session):
            record = event.authorization
            click.echo(f"{event.at:%Y-%m-%d %H:%M:%S}  {event.actor or '-'}  {event.action} {record['id']}: "
                       f"{_describe(record)}")


def _line(row) -> str:
    return _describe({"user_id": row.user_id, "group_id": row.group_id, "permissions": row.permissions,
                      "resource_type": row.resource_type, "resource_id": row.resource_id})


def _describe(record: dict) -> str:
    who = f"user {record['user_id']}" if record.get("user_id") else f"group {record['group_id']}"
    return f"{who} {'+'.join(record['permissions'])} on {record['resource_type']} {record['resource_id']}"
