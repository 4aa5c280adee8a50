"""Accounts, passwords and sign-in sessions.

Passwords are hashed with Argon2id (argon2-cffi); only the hash is stored. A session
is a random token held by the browser; the database keeps only its SHA-256, so a copy
of the database cannot be used to sign in. Sessions end after `IDLE_TIMEOUT` without
use, and in any case `SESSION_LIFETIME` after sign-in.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from analysis.access import LEAD, ROLES, Action, require, user_named
from analysis.errors import InvalidRequestError, PermissionDeniedError, SessionExpiredError
from analysis.models import User
from analysis.storage import Store

IDLE_TIMEOUT = timedelta(hours=2)
SESSION_LIFETIME = timedelta(hours=12)
MIN_PASSWORD_LENGTH = 8
# The command line is for whoever holds the database file. Without --user it acts as
# this lead account, which has no password and so can never sign in to the app.
LOCAL_ADMIN = "cli"

_hasher = PasswordHasher()


@dataclass(frozen=True)
class SignedIn:
    """A new session: give `token` to the browser; it is not stored anywhere else."""

    token: str
    user: User
    expires_at: str


def _check_name(name: str) -> str:
    cleaned = name.strip()
    if not cleaned or len(cleaned) > 64 or any(ch.isspace() for ch in cleaned):
        raise InvalidRequestError(
            f"account name '{name}' must be 1-64 characters without spaces (e.g. sam.coder)"
        )
    return cleaned


def _check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidRequestError(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")
    return _hasher.hash(password)


def hash_password(password: str) -> str:
    """The Argon2id hash of a password (checked for length first)."""
    return _check_password(password)


def _check_role(role: str) -> str:
    if role not in ROLES:
        raise InvalidRequestError(f"unknown role '{role}' (choose from {', '.join(ROLES)})")
    return role


def needs_first_lead(store: Store) -> bool:
    """True until some project lead can sign in: the app then asks for a lead account."""
    return not any(u.role == LEAD and u.has_password and u.active for u in store.list_accounts())


def create_first_lead(store: Store, name: str, password: str) -> User:
    """The first sign-in account of a new study; refused once a lead can sign in."""
    password_hash = _check_password(password)
    with store.transaction():
        if not needs_first_lead(store):
            raise PermissionDeniedError("this study already has a project lead; ask them")
        cleaned = _check_name(name)
        if store.get_user(cleaned) is not None:
            raise InvalidRequestError(f"an account called '{cleaned}' already exists")
        user_id = store.insert_user(cleaned, LEAD, password_hash)
        store.audit(
            actor=cleaned,
            action="create first lead account",
            table="users",
            row_id=user_id,
            payload={"role": LEAD},
        )
    return _get(store, cleaned)


def add_user(store: Store, name: str, role: str, password: str | None, *, actor: str) -> User:
    """A new account (a lead's job). Without a password it cannot sign in until one is set.

    Raises:
        PermissionDeniedError: `actor` may not manage accounts.
        InvalidRequestError: bad name, role or password, or the name is taken.
    """
    require(store, actor, Action.MANAGE_USERS)
    cleaned, role = _check_name(name), _check_role(role)
    password_hash = _check_password(password) if password is not None else None
    with store.transaction():
        if store.get_user(cleaned) is not None:
            raise InvalidRequestError(f"an account called '{cleaned}' already exists")
        user_id = store.insert_user(cleaned, role, password_hash)
        store.audit(
            actor=actor, action="add account", table="users", row_id=user_id, payload={"role": role}
        )
    return _get(store, cleaned)


def set_role(store: Store, name: str, role: str, *, actor: str) -> User:
    """Change an account's role; its open sessions end so the new role applies at once."""
    require(store, actor, Action.MANAGE_USERS)
    user = _get(store, name)
    _check_role(role)
    with store.transaction():
        had_lead = not needs_first_lead(store)
        store.update_user(user.id, {"role": role})
        _keep_a_lead(store, had_lead)
        store.delete_sessions(user_id=user.id)
        store.audit(
            actor=actor,
            action="change role",
            table="users",
            row_id=user.id,
            payload={"from": user.role, "to": role},
        )
    return _get(store, name)


def set_password(store: Store, name: str, password: str, *, actor: str) -> None:
    """Set or reset a password: a user for themselves, or a lead for anyone."""
    if actor != name:
        require(store, actor, Action.MANAGE_USERS)
    else:
        user_named(store, actor)
    user = _get(store, name)
    password_hash = _check_password(password)
    with store.transaction():
        store.update_user(user.id, {"password_hash": password_hash})
        store.delete_sessions(user_id=user.id)
        store.audit(actor=actor, action="set password", table="users", row_id=user.id)


def set_active(store: Store, name: str, active: bool, *, actor: str) -> None:
    """Deactivate (or reactivate) an account; its work stays attributed to it."""
    require(store, actor, Action.MANAGE_USERS)
    user = _get(store, name)
    if not active and user.name == actor:
        raise InvalidRequestError("you cannot deactivate your own account")
    with store.transaction():
        had_lead = not needs_first_lead(store)
        store.update_user(user.id, {"active": int(active)})
        _keep_a_lead(store, had_lead)
        store.delete_sessions(user_id=user.id)
        store.audit(
            actor=actor,
            action="reactivate account" if active else "deactivate account",
            table="users",
            row_id=user.id,
        )


def _keep_a_lead(store: Store, had_lead: bool) -> None:
    """Refuse a change that leaves no lead able to sign in where there was one: the app
    would then offer any visitor the form for a first lead account."""
    if had_lead and needs_first_lead(store):
        raise InvalidRequestError("the study needs at least one project lead who can sign in")


def list_users(store: Store, *, actor: str) -> list[User]:
    """Every account (a lead's view: who may do what)."""
    require(store, actor, Action.MANAGE_USERS)
    return store.list_accounts()


def demo_accounts(store: Store, project_id: int) -> list[User]:
    """The demo study's sign-in accounts, shown on the sign-in page in demo mode only."""
    if not store.is_demo_project(project_id):
        return []
    return [u for u in store.list_accounts() if u.has_password and u.active]


def ensure_local_admin(store: Store) -> str:
    """The command line's own lead account (no password), created the first time."""
    if store.get_user(LOCAL_ADMIN) is None:
        with store.transaction():
            store.insert_user(LOCAL_ADMIN, LEAD, None)
    return LOCAL_ADMIN


def sign_in(store: Store, name: str, password: str, *, now: datetime | None = None) -> SignedIn:
    """Check a password and open a session.

    Raises:
        PermissionDeniedError: wrong name or password (one message for both), or the
            account is inactive or has no password.
    """
    wrong = PermissionDeniedError("wrong account name or password")
    user = store.get_user(name.strip())
    stored = store.password_hash(name.strip())
    if user is None or stored is None:
        _hasher.hash(password)  # the same work as a real check, so timing says nothing
        raise wrong
    try:
        _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        raise wrong from None
    if not user.active:
        raise PermissionDeniedError(f"the account '{user.name}' has been deactivated")
    moment = _aware(now)
    token = secrets.token_urlsafe(32)
    expires = (moment + SESSION_LIFETIME).isoformat(timespec="seconds")
    with store.transaction():
        if _hasher.check_needs_rehash(stored):
            store.update_user(user.id, {"password_hash": _hasher.hash(password)})
        store.delete_sessions_before(moment.isoformat(timespec="seconds"))
        store.insert_session(
            {
                "token_hash": _token_hash(token),
                "user_id": user.id,
                "created_at": moment.isoformat(timespec="seconds"),
                "last_seen_at": moment.isoformat(timespec="seconds"),
                "expires_at": expires,
            }
        )
        store.audit(actor=user.name, action="sign in", table="users", row_id=user.id)
    return SignedIn(token, user, expires)


def session_user(store: Store, token: str, *, now: datetime | None = None) -> User:
    """The user behind a session token, refreshing its idle timer.

    Raises:
        SessionExpiredError: unknown token, idle too long, past its lifetime, or the
            account was deactivated.
    """
    moment = _aware(now)
    token_hash = _token_hash(token)
    session = store.get_session(token_hash)
    if session is None:
        raise SessionExpiredError("your session has ended; please sign in again")
    idle_since = datetime.fromisoformat(session["last_seen_at"])
    if moment > datetime.fromisoformat(session["expires_at"]) or moment - idle_since > IDLE_TIMEOUT:
        store.delete_sessions(token_hash=token_hash)
        raise SessionExpiredError("your session has expired; please sign in again")
    user = next((u for u in store.list_accounts() if u.id == session["user_id"]), None)
    if user is None or not user.active:
        store.delete_sessions(token_hash=token_hash)
        raise SessionExpiredError("this account can no longer sign in")
    store.touch_session(token_hash, moment.isoformat(timespec="seconds"))
    return user


def sign_out(store: Store, token: str) -> None:
    store.delete_sessions(token_hash=_token_hash(token))


def _aware(moment: datetime | None) -> datetime:
    """Now, or the given time read as UTC when it carries no zone."""
    if moment is None:
        return datetime.now(UTC)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _get(store: Store, name: str) -> User:
    user = store.get_user(name)
    if user is None:
        raise InvalidRequestError(f"there is no account called '{name}'")
    return user


__all__ = [
    "IDLE_TIMEOUT",
    "LOCAL_ADMIN",
    "SESSION_LIFETIME",
    "SignedIn",
    "add_user",
    "create_first_lead",
    "demo_accounts",
    "ensure_local_admin",
    "hash_password",
    "list_users",
    "needs_first_lead",
    "session_user",
    "set_active",
    "set_password",
    "set_role",
    "sign_in",
    "sign_out",
]
