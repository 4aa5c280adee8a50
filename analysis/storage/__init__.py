"""The only module that speaks SQL: schema, migrations, transactions, reads and writes.

Every other module asks this one for records and hands it records to write. A change
and its audit row are written inside one `Store.transaction()`, so they commit together
or not at all.
"""

from __future__ import annotations

from analysis.storage.account_tables import AccountTables
from analysis.storage.analysis_tables import AnalysisTables
from analysis.storage.audit_tables import AuditTables
from analysis.storage.coding_tables import CodingTables
from analysis.storage.consent_tables import ConsentTables
from analysis.storage.intersect_tables import IntersectTables
from analysis.storage.review_tables import ReviewTables
from analysis.storage.round_tables import RoundTables
from analysis.storage.schema import (
    BUSY_TIMEOUT_MS,
    DEFAULT_DB_PATH,
    DEFAULT_PROJECT_SLUG,
    latest_schema_version,
    migrations,
    now_utc,
    resolve_db_path,
    schema_version,
)
from analysis.storage.study_tables import StudyTables
from analysis.storage.theme_tables import ThemeTables

__all__ = [
    "BUSY_TIMEOUT_MS",
    "DEFAULT_DB_PATH",
    "DEFAULT_PROJECT_SLUG",
    "Store",
    "latest_schema_version",
    "migrations",
    "now_utc",
    "resolve_db_path",
    "schema_version",
]


class Store(
    StudyTables,
    AccountTables,
    ReviewTables,
    CodingTables,
    RoundTables,
    ConsentTables,
    AnalysisTables,
    AuditTables,
    IntersectTables,
    ThemeTables,
):
    """One open study database. Open one per request or rerun; never share it.

    The table groups live in their own modules; this class puts them together.
    """
