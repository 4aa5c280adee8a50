"""Shared fixtures: an in-memory study, the demo study, and third-party data from shared/."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from analysis.demo import load_demo_study
from analysis.models import Project
from analysis.storage import Store
from analysis.study import open_study

REPO_ROOT = Path(__file__).resolve().parent.parent
TEST_DATA = Path(__file__).resolve().parent / "data"


def _shared_dir() -> Path:
    """`shared/` sits beside the checkout (`../shared`); `SHARED_DIR` overrides it."""
    return Path(os.environ.get("SHARED_DIR", REPO_ROOT.parent / "shared"))


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """Third-party test data (read in place, never copied into the project)."""
    path = _shared_dir() / "data"
    if not path.is_dir():
        pytest.skip(f"shared data not found at {path}")
    return path


@pytest.fixture
def store() -> Iterator[Store]:
    """An empty study in memory with every migration applied."""
    opened = Store.in_memory()
    yield opened
    opened.close()


# Accounts every in-memory test study has (no passwords: they act through the library).
TEST_USERS = {
    "lead": "project lead",
    "sam": "student researcher",
    "alex": "student researcher",
    "lee": "student researcher",
    "tester": "student researcher",
    "eve": "evaluator",
}


@pytest.fixture
def project(store: Store) -> Project:
    for name, role in TEST_USERS.items():
        store.upsert_user(name, role)
    return store.get_or_create_project("test", "Test study")


@pytest.fixture(scope="session")
def demo_db_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo study loaded once per test session into a file."""
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    opened, demo_project = open_study(path)
    load_demo_study(opened, demo_project)
    opened.close()
    return path


@pytest.fixture
def demo_db(demo_db_template: Path, tmp_path: Path) -> Path:
    """A private copy of the demo study database for one test."""
    target = tmp_path / "study.db"
    source = Store.open(demo_db_template)
    source.copy_to(target)
    source.close()
    return target
