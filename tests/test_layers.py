"""The layout rules: the library never imports Streamlit; only `analysis/storage/` speaks SQL."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ANALYSIS = Path(__file__).resolve().parent.parent / "analysis"
SQL = re.compile(
    r"\b(SELECT\s.+\sFROM|INSERT\s+INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM|CREATE\s+TABLE|PRAGMA)\b",
    re.I | re.S,
)


def _modules() -> list[Path]:
    return sorted(ANALYSIS.rglob("*.py"))


def test_library_never_imports_streamlit() -> None:
    for path in _modules():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            assert not any(n.split(".")[0] == "streamlit" for n in names), path


def test_only_storage_speaks_sql() -> None:
    for path in _modules():
        if path.parent.name == "storage":
            continue
        strings = [
            n.value
            for n in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
            if isinstance(n, ast.Constant) and isinstance(n.value, str)
        ]
        assert not any(SQL.search(s) for s in strings), path


def test_heavy_libraries_are_not_imported_at_module_level() -> None:
    heavy = {"torch", "sentence_transformers", "bertopic", "spacy", "umap", "hdbscan"}
    for path in _modules():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in tree.body:
            if isinstance(node, ast.Import):
                assert not {a.name.split(".")[0] for a in node.names} & heavy, path
            if isinstance(node, ast.ImportFrom):
                assert (node.module or "").split(".")[0] not in heavy, path
