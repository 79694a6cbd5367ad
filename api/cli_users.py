"""`fuse user` and `fuse token`: users, their groups, passwords and TOTP second factor; API tokens with an
optional expiry, listed and revoked."""
from __future__ import annotations

import re
from datetime import datetime, timedelta

import sys

import click

from api.cli_context import unit_of_work
from engine.identity.one_time_codes import disable_totp, enable_totp
from engine.identity.passwords import set_password
from engine.identity.users import add_user, create_token, list_tokens, list_users, revoke_token, token_state
from engine.store.models import utcnow

DURATION = re.compile(r"^\s*(\d+)\s*([dh])\s*$")
UNITS = {"d": "days", "h": "hours"}
NEVER = "never"


@click.group()
def user():
    """Users and their groups."""


@user.command("add")
@click.argument("name")
@click.option("--group", "groups", multiple=True, help="A group of the user (repeatable).")
def user_add(name, groups):
    """Create a user, or add groups to an existing one."""
    with unit_of_work() as session:
        created = add_user(session, name, list(groups))
        click.echo(f"user {created.name}: groups {_groups(created)}")


@user.command("list")
def user_list():
    """Every user with its groups."""
    with unit_of_work() as session:
        for row in list_users(session):
            click.echo(f"{row.name}: groups {_groups(row)}")


@user.command("passwd")
@click.argument("name")
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of standard input.")
def user_passwd(name, password_stdin):
    """Set user NAME's password for the web pages (stored as an Argon2 hash)."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    with unit_of_work() as session:
        set_password(session, name, password)
        click.echo(f"password of {name} set")


@user.command("totp")
@click.argument("name")
@click.option("--disable", is_flag=True, help="Remove NAME's second factor instead.")
def user_totp(name, disable):
    """Give user NAME a new TOTP second factor: the pages then ask for a code after the password."""
    with unit_of_work() as session:
        if disable:
            disable_totp(session, name)
            click.echo(f"second factor of {name} removed")
            return
        secret, uri = enable_totp(session, name)
        click.echo(f"second factor of {name} enabled; add it to an authenticator app (QR code of the URI, "
                   "or the secret by hand):")
        click.echo(f"secret: {secret}")
        click.echo(uri)


def _groups(row) -> str:
    return ", ".join(sorted(g.group for g in row.groups)) or "-"


class Duration(click.ParamType):
    """A span such as 30d or 12h."""

    name = "duration"

    def convert(self, value, param, ctx):
        if isinstance(value, timedelta):
            return value
        match = DURATION.match(value)
        if not match or int(match[1]) == 0:
            self.fail(f"{value!r} is not a duration such as 30d or 12h", param, ctx)
        return timedelta(**{UNITS[match[2]]: int(match[1])})


@click.group()
def token():
    """API tokens: create (optionally expiring), list, revoke."""


@token.command("create")
@click.argument("name")
@click.option("--expires-in", type=Duration(), help="End the token after this long, e.g. 30d or 12h.")
@click.option("--expires", type=click.DateTime(["%Y-%m-%d", "%Y-%m-%dT%H:%M"]),
              help="End the token at this date (or date and time), UTC.")
@click.option("--note", help="What the token is for (shown by `fuse token list`).")
@click.option("--replace", is_flag=True, help="First revoke NAME's valid tokens that have the same --note.")
def token_create(name, expires_in, expires, note, replace):
    """Create an API token for user NAME; the token is the last word printed."""
    if expires_in and expires:
        raise click.UsageError("give --expires-in or --expires, not both")
    expires_at = utcnow() + expires_in if expires_in else expires
    with unit_of_work() as session:
        secret = create_token(session, name, expires_at=expires_at, note=note, replace=replace)
        click.echo(f"token for {name} (expires {_when(expires_at)}): {secret}")


@token.command("list")
@click.argument("name")
def token_list(name):
    """User NAME's tokens: id, when made, when they end, and whether they still work (never the secret)."""
    with unit_of_work() as session:
        click.echo(f"{'id':>5}  {'created (UTC)':16}  {'expires (UTC)':16}  {'state':24}  note")
        for row in list_tokens(session, name):
            state = token_state(row).value
            if row.revoked_at:
                state += f" {_when(row.revoked_at)}"
            click.echo(f"{row.id:>5}  {_when(row.created_at):16}  {_when(row.expires_at):16}  {state:24}  "
                       f"{row.note or ''}".rstrip())


@token.command("revoke")
@click.argument("token_id", type=int)
def token_revoke(token_id):
    """Revoke token TOKEN_ID (see `fuse token list`): the API refuses it from now on."""
    with unit_of_work() as session:
        row = revoke_token(session, token_id)
        click.echo(f"token {row.id} of {row.user.name} revoked at {_when(row.revoked_at)} UTC")


def _when(moment: datetime | None) -> str:
    return f"{moment:%Y-%m-%d %H:%M}" if moment else NEVER
