"""Themes, findings with their evidence, recommendations, and review comments."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from analysis.storage.base import StoreBase

OUTPUT_TABLES = ("themes", "findings", "recommendations")


class ThemeTables(StoreBase):
    """Rows of the outputs a study builds from its codes; every read returns plain rows."""

    def insert_output(self, table: str, record: Mapping[str, Any]) -> int:
        assert table in OUTPUT_TABLES
        return self._insert(table, record)

    def get_output(self, table: str, row_id: int) -> dict[str, Any] | None:
        assert table in OUTPUT_TABLES
        rows = list(self.db.query(f"SELECT * FROM {table} WHERE id = ?", [row_id]))
        return rows[0] if rows else None

    def update_output(
        self, table: str, row_id: int, values: Mapping[str, Any], *, revision: int
    ) -> bool:
        """Write `values` only if the row is still at `revision`; bumps the revision.

        Returns False when someone else saved it in between (nothing written)."""
        assert table in OUTPUT_TABLES
        columns = ", ".join(f"{name} = ?" for name in values)
        cursor = self.db.execute(
            f"UPDATE {table} SET {columns}, revision = revision + 1 WHERE id = ? AND revision = ?",
            [*values.values(), row_id, revision],
        )
        return cursor.rowcount == 1

    def delete_output(self, table: str, row_id: int) -> None:
        assert table in OUTPUT_TABLES
        self.db.execute(f"DELETE FROM {table} WHERE id = ?", [row_id])

    def list_theme_rows(self, project_id: int) -> list[dict[str, Any]]:
        return list(
            self.db.query("SELECT * FROM themes WHERE project_id = ? ORDER BY name", [project_id])
        )

    def theme_code_keys(self, theme_id: int) -> list[str]:
        rows = self.db.query(
            "SELECT code_key FROM theme_codes WHERE theme_id = ? ORDER BY code_key", [theme_id]
        )
        return [row["code_key"] for row in rows]

    def set_theme_codes(self, theme_id: int, code_keys: Sequence[str]) -> None:
        self.db.execute("DELETE FROM theme_codes WHERE theme_id = ?", [theme_id])
        self._table("theme_codes").insert_all(
            [{"theme_id": theme_id, "code_key": key} for key in code_keys]
        )

    def list_finding_rows(
        self, project_id: int, *, theme_id: int | None = None
    ) -> list[dict[str, Any]]:
        where, params = "t.project_id = ?", [project_id]
        if theme_id is not None:
            where += " AND f.theme_id = ?"
            params.append(theme_id)
        return list(
            self.db.query(
                f"""SELECT f.* FROM findings f JOIN themes t ON t.id = f.theme_id
                    WHERE {where} ORDER BY t.name, f.id""",
                params,
            )
        )

    def evidence_coding_ids(self, finding_id: int) -> list[int]:
        rows = self.db.query(
            "SELECT coding_id FROM finding_evidence WHERE finding_id = ? ORDER BY added_at, "
            "coding_id",
            [finding_id],
        )
        return [row["coding_id"] for row in rows]

    def add_evidence_row(self, record: Mapping[str, Any]) -> None:
        self._table("finding_evidence").insert(dict(record), ignore=True)

    def remove_evidence_row(self, finding_id: int, coding_id: int) -> None:
        self.db.execute(
            "DELETE FROM finding_evidence WHERE finding_id = ? AND coding_id = ?",
            [finding_id, coding_id],
        )

    def list_recommendation_rows(self, project_id: int) -> list[dict[str, Any]]:
        return list(
            self.db.query(
                "SELECT * FROM recommendations WHERE project_id = ? ORDER BY id", [project_id]
            )
        )

    def recommendation_finding_ids(self, recommendation_id: int) -> list[int]:
        rows = self.db.query(
            "SELECT finding_id FROM recommendation_findings WHERE recommendation_id = ? "
            "ORDER BY finding_id",
            [recommendation_id],
        )
        return [row["finding_id"] for row in rows]

    def set_recommendation_findings(
        self, recommendation_id: int, finding_ids: Sequence[int]
    ) -> None:
        self.db.execute(
            "DELETE FROM recommendation_findings WHERE recommendation_id = ?", [recommendation_id]
        )
        self._table("recommendation_findings").insert_all(
            [{"recommendation_id": recommendation_id, "finding_id": f} for f in finding_ids]
        )

    def recommendations_resting_on(self, finding_id: int) -> list[int]:
        rows = self.db.query(
            "SELECT recommendation_id FROM recommendation_findings WHERE finding_id = ?",
            [finding_id],
        )
        return [row["recommendation_id"] for row in rows]

    def insert_comment(self, record: Mapping[str, Any]) -> int:
        return self._insert("review_comments", record)

    def list_comments(self, table: str, row_id: int) -> list[dict[str, Any]]:
        return list(
            self.db.query(
                "SELECT * FROM review_comments WHERE target_table = ? AND target_id = ? "
                "ORDER BY id",
                [table, row_id],
            )
        )
