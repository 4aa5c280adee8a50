"""Accounts, Argon2id passwords and sign-in sessions, from the library and the CLI."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from analysis.accounts import (
    IDLE_TIMEOUT,
    LOCAL_ADMIN,
    SESSION_LIFETIME,
    add_user,
    create_first_lead,
    ensure_local_admin,
    needs_first_lead,
    session_user,
    set_active,
    set_password,
    set_role,
    sign_in,
    sign_out,
)
from analysis.cli import cli
from analysis.errors import InvalidRequestError, PermissionDeniedError, SessionExpiredError
from analysis.models import Project
from analysis.storage import Store

START = datetime(2025, 3, 4, 9, 0, tzinfo=UTC)
PASSWORD = "correct horse battery"
WRONG = "wrong account name or password"


def session_hashes(store: Store) -> list[str]:
    return [row[0] for row in store.db.execute("SELECT token_hash FROM sessions").fetchall()]


def test_first_lead_of_an_empty_study(store: Store) -> None:
    assert store.list_accounts() == []
    assert needs_first_lead(store)
    with pytest.raises(InvalidRequestError, match="at least 8 characters"):
        create_first_lead(store, "morgan", "short")
    for bad in ("", "   ", "two words", "x" * 65):
        with pytest.raises(InvalidRequestError, match="without spaces"):
            create_first_lead(store, bad, PASSWORD)
    assert needs_first_lead(store) and store.list_accounts() == []

    lead = create_first_lead(store, " morgan ", PASSWORD)
    assert (lead.name, lead.role, lead.active, lead.has_password) == (
        "morgan",
        "project lead",
        True,
        True,
    )
    assert not needs_first_lead(store)
    with pytest.raises(PermissionDeniedError, match="already has a project lead"):
        create_first_lead(store, "robin", "another good password")
    assert [u.name for u in store.list_accounts()] == ["morgan"]
    [entry] = store.audit_entries(table="users")
    assert (entry.actor, entry.action, entry.row_id) == (
        "morgan",
        "create first lead account",
        lead.id,
    )


def test_leads_without_passwords_do_not_count_as_a_first_lead(
    store: Store, project: Project
) -> None:
    # The test accounts have no passwords, so nobody can sign in yet.
    assert needs_first_lead(store)
    with pytest.raises(InvalidRequestError, match="already exists"):
        create_first_lead(store, "lead", PASSWORD)
    create_first_lead(store, "morgan", PASSWORD)
    assert not needs_first_lead(store)
    # Nobody may deactivate or demote the only lead who can sign in: the app would then
    # offer any visitor the form for a first lead account.
    with pytest.raises(InvalidRequestError, match="at least one project lead"):
        set_active(store, "morgan", False, actor="lead")
    with pytest.raises(InvalidRequestError, match="at least one project lead"):
        set_role(store, "morgan", "evaluator", actor="lead")
    assert not needs_first_lead(store)
    # With a second lead who can sign in, the first may go.
    add_user(store, "kit", "project lead", PASSWORD, actor="lead")
    set_active(store, "morgan", False, actor="lead")
    assert not needs_first_lead(store)


def test_add_user_stores_only_an_argon2id_hash(store: Store, project: Project) -> None:
    user = add_user(store, "robin", "student researcher", "robin's own password", actor="lead")
    assert (user.name, user.role, user.active, user.has_password) == (
        "robin",
        "student researcher",
        True,
        True,
    )
    stored = store.password_hash("robin")
    assert stored is not None and stored.startswith("$argon2id$")
    assert "robin's own password" not in stored
    dump = "\n".join(store.db.iterdump())
    assert "robin's own password" not in dump

    no_password = add_user(store, "kit", "evaluator", None, actor="lead")
    assert not no_password.has_password and store.password_hash("kit") is None

    with pytest.raises(InvalidRequestError, match="already exists"):
        add_user(store, "robin", "evaluator", None, actor="lead")
    with pytest.raises(InvalidRequestError, match="unknown role 'admin'"):
        add_user(store, "ash", "admin", None, actor="lead")
    with pytest.raises(InvalidRequestError, match="at least 8"):
        add_user(store, "ash", "evaluator", "1234567", actor="lead")
    with pytest.raises(InvalidRequestError, match="without spaces"):
        add_user(store, "a b", "evaluator", None, actor="lead")
    for not_a_lead in ("sam", "eve", "nobody"):
        with pytest.raises(PermissionDeniedError):
            add_user(store, "ash", "evaluator", None, actor=not_a_lead)
    assert store.get_user("ash") is None
    assert [(e.actor, e.action) for e in store.audit_entries(table="users")] == [
        ("lead", "add account"),
        ("lead", "add account"),
    ]


@pytest.fixture
def robin(store: Store, project: Project) -> str:
    add_user(store, "robin", "student researcher", PASSWORD, actor="lead")
    return "robin"


def test_sign_in_and_the_session_token(store: Store, robin: str) -> None:
    signed = sign_in(store, robin, PASSWORD, now=START)
    assert signed.user == store.get_user(robin)
    assert signed.expires_at == (START + SESSION_LIFETIME).isoformat(timespec="seconds")
    assert len(signed.token) >= 32
    # Only the SHA-256 of the token is stored.
    hashes = session_hashes(store)
    assert hashes == [hashlib.sha256(signed.token.encode()).hexdigest()]
    assert signed.token not in hashes
    assert signed.token not in "\n".join(store.db.iterdump())

    assert session_user(store, signed.token, now=START + timedelta(minutes=5)) == signed.user
    with pytest.raises(SessionExpiredError):
        session_user(store, "not-a-token", now=START)
    # A token's hash is not itself a token.
    with pytest.raises(SessionExpiredError):
        session_user(store, hashes[0], now=START)

    # A wrong password, an unknown account and an account without a password all read
    # the same, so the message does not reveal which names exist.
    messages = set()
    for name, password in ((robin, "not the password"), ("nobody", PASSWORD), ("lead", PASSWORD)):
        with pytest.raises(PermissionDeniedError) as refused:
            sign_in(store, name, password, now=START)
        messages.add(str(refused.value))
    assert messages == {WRONG}
    assert len(session_hashes(store)) == 1

    sign_out(store, signed.token)
    assert session_hashes(store) == []
    with pytest.raises(SessionExpiredError):
        session_user(store, signed.token, now=START + timedelta(minutes=6))


def test_sessions_expire_when_idle_and_at_their_lifetime(store: Store, robin: str) -> None:
    idle = sign_in(store, robin, PASSWORD, now=START)
    just_in_time = START + IDLE_TIMEOUT
    assert session_user(store, idle.token, now=just_in_time).name == robin
    with pytest.raises(SessionExpiredError, match="expired"):
        session_user(store, idle.token, now=just_in_time + IDLE_TIMEOUT + timedelta(minutes=1))
    # The expired session is gone, even for an earlier moment.
    with pytest.raises(SessionExpiredError):
        session_user(store, idle.token, now=just_in_time)

    left_alone = sign_in(store, robin, PASSWORD, now=START)
    with pytest.raises(SessionExpiredError):
        session_user(store, left_alone.token, now=START + IDLE_TIMEOUT + timedelta(minutes=1))

    # Activity keeps a session alive: use at +1h, then +2h30 from the start is still fine
    # although that is more than IDLE_TIMEOUT after signing in.
    busy = sign_in(store, robin, PASSWORD, now=START)
    moment = START + timedelta(hours=1)
    session_user(store, busy.token, now=moment)
    moment = START + timedelta(hours=2, minutes=30)
    assert session_user(store, busy.token, now=moment).name == robin
    # ... but not past its lifetime, however busy.
    while moment + timedelta(hours=1) <= START + SESSION_LIFETIME:
        moment += timedelta(hours=1)
        session_user(store, busy.token, now=moment)
    assert session_user(store, busy.token, now=START + SESSION_LIFETIME).name == robin
    with pytest.raises(SessionExpiredError, match="expired"):
        session_user(store, busy.token, now=START + SESSION_LIFETIME + timedelta(minutes=1))
    assert session_hashes(store) == []


def test_account_changes_end_sessions(store: Store, robin: str) -> None:
    def signed_in() -> str:
        token = sign_in(store, robin, PASSWORD, now=START).token
        assert session_user(store, token, now=START).name == robin
        return token

    token = signed_in()
    other = sign_in(store, robin, PASSWORD, now=START).token  # a second browser
    assert set_role(store, robin, "evaluator", actor="lead").role == "evaluator"
    for ended in (token, other):
        with pytest.raises(SessionExpiredError):
            session_user(store, ended, now=START)
    token = signed_in()
    assert session_user(store, token, now=START).role == "evaluator"

    set_password(store, robin, PASSWORD, actor="lead")
    with pytest.raises(SessionExpiredError):
        session_user(store, token, now=START)
    token = signed_in()

    set_active(store, robin, False, actor="lead")
    with pytest.raises(SessionExpiredError):
        session_user(store, token, now=START)
    with pytest.raises(PermissionDeniedError, match="deactivated"):
        sign_in(store, robin, PASSWORD, now=START)
    assert session_hashes(store) == []
    assert not store.get_user(robin).active  # type: ignore[union-attr]

    # Only a lead manages accounts; a user may change only their own password.
    with pytest.raises(PermissionDeniedError):
        set_role(store, "alex", "project lead", actor="sam")
    with pytest.raises(PermissionDeniedError):
        set_password(store, "alex", "a new password", actor="sam")
    with pytest.raises(InvalidRequestError, match="your own account"):
        set_active(store, "lead", False, actor="lead")
    actions = [e.action for e in reversed(store.audit_entries(table="users"))]
    assert actions.count("sign in") == 4
    assert [a for a in actions if a != "sign in"] == [
        "add account",
        "change role",
        "set password",
        "deactivate account",
    ]


def test_local_admin_cannot_sign_in(store: Store) -> None:
    assert ensure_local_admin(store) == LOCAL_ADMIN == "cli"
    assert ensure_local_admin(store) == "cli"  # only made once
    [admin] = store.list_accounts()
    assert (admin.name, admin.role, admin.has_password) == ("cli", "project lead", False)
    assert store.password_hash("cli") is None
    with pytest.raises(PermissionDeniedError) as refused:
        sign_in(store, "cli", "", now=START)
    assert str(refused.value) == WRONG
    assert needs_first_lead(store)
    # The command line's lead can still manage accounts.
    add_user(store, "sam", "student researcher", None, actor="cli")
    create_first_lead(store, "morgan", PASSWORD)
    assert not needs_first_lead(store)


def test_users_cli(tmp_path: Path) -> None:
    db = str(tmp_path / "study.db")
    runner = CliRunner()

    def run(*args: str, stdin: str | None = None) -> tuple[int, str]:
        result = runner.invoke(cli, ["--db", db, *args], input=stdin)
        return result.exit_code, result.output

    code, output = run(
        "users", "add", "morgan", "--role", "project lead", stdin="secret-password\n"
    )
    assert code == 0, output
    assert "added morgan (project lead)" in output
    code, output = run("users", "add", "sam", "--role", "student researcher", "--no-password")
    assert code == 0, output

    code, output = run("users", "list", "--json")
    assert code == 0, output
    rows = {row["name"]: row for row in json.loads(output)}
    assert set(rows) == {"cli", "morgan", "sam"}
    assert rows["morgan"]["role"] == "project lead"
    assert rows["morgan"]["has_password"] is True and rows["morgan"]["active"] is True
    assert rows["sam"]["has_password"] is False
    assert rows["cli"]["has_password"] is False

    # The password came from stdin without its newline.
    store = Store.open(db)
    try:
        assert sign_in(store, "morgan", "secret-password", now=START).user.name == "morgan"
    finally:
        store.close()

    code, output = run(
        "--user", "sam", "users", "add", "x", "--role", "evaluator", stdin="secret-password\n"
    )
    assert code == 1
    assert "may not manage accounts" in output
    code, output = run("users", "list", "--json")
    assert "x" not in {row["name"] for row in json.loads(output)}
