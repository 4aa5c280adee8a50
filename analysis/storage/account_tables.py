"""Accounts and their sign-in sessions."""

from __future__ import annotations

from typing import Any

from analysis.models import User
from analysis.storage.base import StoreBase
from analysis.storage.schema import now_utc

_USER_SQL = """SELECT id, name, role, active, password_hash IS NOT NULL AS has_password,
    created_at FROM users"""


def _user(row: dict[str, Any]) -> User:
    return User(
        row["id"],
        row["name"],
        row["role"],
        bool(row["active"]),
        bool(row["has_password"]),
        row["created_at"],
    )


class AccountTables(StoreBase):
    """Accounts (name, role, password hash) and sign-in sessions (token hashes only)."""

    def get_user(self, name: str) -> User | None:
        rows = list(self.db.query(f"{_USER_SQL} WHERE name = ?", [name]))
        return _user(rows[0]) if rows else None

    def list_accounts(self) -> list[User]:
        return [_user(row) for row in self.db.query(f"{_USER_SQL} ORDER BY name")]

    def insert_user(self, name: str, role: str, password_hash: str | None) -> int:
        return self._insert(
            "users",
            {"name": name, "role": role, "password_hash": password_hash, "created_at": now_utc()},
        )

    def update_user(self, user_id: int, values: dict[str, Any]) -> None:
        self._table("users").update(user_id, values)

    def password_hash(self, name: str) -> str | None:
        rows = list(self.db.query("SELECT password_hash FROM users WHERE name = ?", [name]))
        return rows[0]["password_hash"] if rows else None

    def insert_session(self, record: dict[str, Any]) -> None:
        self._table("sessions").insert(record)

    def get_session(self, token_hash: str) -> dict[str, Any] | None:
        rows = list(self.db.query("SELECT * FROM sessions WHERE token_hash = ?", [token_hash]))
        return rows[0] if rows else None

    def touch_session(self, token_hash: str, last_seen_at: str) -> None:
        self.db.execute(
            "UPDATE sessions SET last_seen_at = ? WHERE token_hash = ?", [last_seen_at, token_hash]
        )

    def delete_sessions(self, *, token_hash: str | None = None, user_id: int | None = None) -> None:
        if token_hash is not None:
            self.db.execute("DELETE FROM sessions WHERE token_hash = ?", [token_hash])
        if user_id is not None:
            self.db.execute("DELETE FROM sessions WHERE user_id = ?", [user_id])

    def delete_sessions_before(self, cutoff: str) -> None:
        self.db.execute("DELETE FROM sessions WHERE expires_at < ?", [cutoff])

    def set_demo_project(self, project_id: int, demo: bool) -> None:
        self._table("projects").update(project_id, {"demo": int(demo)})

    def is_demo_project(self, project_id: int) -> bool:
        row = self.db.execute("SELECT demo FROM projects WHERE id = ?", [project_id]).fetchone()
        return bool(row and row[0])
