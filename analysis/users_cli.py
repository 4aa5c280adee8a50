"""`python -m analysis users ...`: accounts from the command line."""

from __future__ import annotations

import sys
from dataclasses import asdict

import click

from analysis.access import ROLES
from analysis.accounts import add_user, list_users, set_active, set_password, set_role
from analysis.cli_common import Context, emit


def _read_password() -> str:
    """Ask twice at a terminal; otherwise read the first line of stdin."""
    if sys.stdin.isatty():
        return str(click.prompt("Password", hide_input=True, confirmation_prompt=True))
    line = sys.stdin.readline()
    return line.rstrip("\r\n")


@click.group("users")
def users_group() -> None:
    """Accounts and their roles (a lead's job; the command line acts as a lead)."""


@users_group.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice(ROLES), required=True, help="The account's role.")
@click.option("--no-password", is_flag=True, help="Create it without a password (no sign-in).")
@click.pass_obj
def users_add_command(obj: Context, name: str, role: str, no_password: bool) -> None:
    """Add an account; asks for its password, or reads it from stdin."""
    password = None if no_password else _read_password()
    with obj.study() as (store, _):
        user = add_user(store, name, role, password, actor=obj.user)
    click.echo(f"added {user.name} ({user.role})")


@users_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@click.pass_obj
def users_list_command(obj: Context, as_json: bool) -> None:
    """Every account with its role and whether it can sign in."""
    with obj.study() as (store, _):
        users = list_users(store, actor=obj.user)
    rows = [asdict(u) for u in users]
    lines = [
        f"{u.name:<20} {u.role:<20} "
        f"{'active' if u.active else 'deactivated'}{'' if u.has_password else ', no password'}"
        for u in users
    ]
    emit(rows, as_json, "\n".join(lines) or "no accounts")


@users_group.command("set-password")
@click.argument("name")
@click.pass_obj
def users_password_command(obj: Context, name: str) -> None:
    """Set or reset an account's password (asks for it, or reads it from stdin)."""
    password = _read_password()
    with obj.study() as (store, _):
        set_password(store, name, password, actor=obj.user)
    click.echo(f"password set for {name}; its sessions have ended")


@users_group.command("set-role")
@click.argument("name")
@click.argument("role", type=click.Choice(ROLES))
@click.pass_obj
def users_role_command(obj: Context, name: str, role: str) -> None:
    """Change an account's role."""
    with obj.study() as (store, _):
        user = set_role(store, name, role, actor=obj.user)
    click.echo(f"{user.name} is now {user.role}")


@users_group.command("deactivate")
@click.argument("name")
@click.pass_obj
def users_deactivate_command(obj: Context, name: str) -> None:
    """Stop an account signing in; its work stays attributed to it."""
    with obj.study() as (store, _):
        set_active(store, name, False, actor=obj.user)
    click.echo(f"{name} deactivated")
