"""Measure code suggestions (analysis.suggest) on two hand-coded sets with the real model.

The sets come from benchmarks/coded_sets.py: the PDPilot user study (real interviews,
coded by their authors; read from the shared data folder) and the demo study's codings.
`evaluate_suggestions` scores them leave-one-document-out with the offline
all-MiniLM-L6-v2 model: hit@k is the share of passages for which one of the top k
suggestions is among the passage's human codes; the baseline always suggests the k codes
most frequent in the other documents. The margins over the baseline are set against the
targets (+0.20 at 1, +0.15 at 3).

When `analysis.cli` has the `evaluate-suggestions` command, the same sets are written as
CSV files and the command is run on them in a subprocess; its JSON must equal the
in-process numbers (OK / DIFF).

Usage:
    python benchmarks/suggest_bench.py [--data SHARED_DATA_DIR] [--csv-dir DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from analysis.suggest import CodedPassage, SuggestionQuality, evaluate_suggestions
from benchmarks.coded_sets import (
    DEFAULT_DATA_DIR,
    Codebook,
    load_demo_coded_set,
    load_pdpilot,
    write_codebook_csv,
    write_coded_csv,
)

REPO_ROOT = Path(__file__).resolve().parent.parent
TARGET_MARGIN_AT_1 = 0.20
TARGET_MARGIN_AT_3 = 0.15
CLI_COMMAND = "evaluate-suggestions"
CLI_TIMEOUT_S = 600


def cli_has_command(name: str = CLI_COMMAND) -> bool:
    """Whether `python -m analysis` has the command `name`."""
    from analysis.cli import cli

    return name in getattr(cli, "commands", {})


def run_cli(coded: Path, codebook: Path, db: Path) -> dict[str, Any]:
    """The JSON printed by `python -m analysis evaluate-suggestions ... --json`."""
    command = [
        sys.executable,
        "-m",
        "analysis",
        "--db",
        str(db),  # a throwaway study, so no default database appears in the checkout
        CLI_COMMAND,
        str(coded),
        "--codebook",
        str(codebook),
        "--json",
    ]
    done = subprocess.run(
        command,
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=CLI_TIMEOUT_S,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(
            f"{' '.join(command[2:])} exited {done.returncode}: {done.stderr.strip()[-800:]}"
        )
    return dict(json.loads(done.stdout))


def compare(expected: dict[str, float | int], found: dict[str, Any]) -> list[str]:
    """Differences between the in-process result and the CLI's JSON (empty: equal)."""
    problems = []
    for key, value in expected.items():
        if key not in found:
            problems.append(f"{key} missing")
        elif not isinstance(found[key], int | float) or abs(float(found[key]) - value) > 1e-9:
            problems.append(f"{key}: in process {value}, CLI {found[key]!r}")
    return problems


def _row(name: str, quality: SuggestionQuality, seconds: float) -> str:
    margin_1 = quality.hit_at_1 - quality.frequency_baseline_hit_at_1
    margin_3 = quality.hit_at_3 - quality.frequency_baseline_hit_at_3
    verdict = (
        "meets"
        if margin_1 >= TARGET_MARGIN_AT_1 - 1e-9 and margin_3 >= TARGET_MARGIN_AT_3 - 1e-9
        else "below"
    )
    return (
        f"{name:<8} {quality.passages:>8} {quality.codes:>5} {quality.hit_at_1:>6.3f} "
        f"{quality.hit_at_3:>6.3f} {quality.frequency_baseline_hit_at_1:>7.3f} "
        f"{quality.frequency_baseline_hit_at_3:>7.3f} {margin_1:>+9.3f} {margin_3:>+9.3f} "
        f"{verdict:>7} {seconds:>7.1f}"
    )


HEADER = (
    f"{'set':<8} {'passages':>8} {'codes':>5} {'hit@1':>6} {'hit@3':>6} {'base@1':>7} "
    f"{'base@3':>7} {'margin@1':>9} {'margin@3':>9} {'targets':>7} {'time s':>7}"
)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--data",
        type=Path,
        default=DEFAULT_DATA_DIR,
        help=f"shared data folder (default: {DEFAULT_DATA_DIR})",
    )
    parser.add_argument(
        "--csv-dir",
        type=Path,
        help="keep the CSV files for the CLI check here (default: a temporary folder)",
    )
    args = parser.parse_args(argv)
    # Offline: the model is loaded by path; the CLI subprocess inherits these too.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    started = time.perf_counter()

    sets: dict[str, tuple[list[CodedPassage], Codebook]] = {
        "pdpilot": load_pdpilot(args.data),
        "demo": load_demo_coded_set(),
    }
    loaded = time.perf_counter()
    from analysis.embed import load_embedder

    embedder = load_embedder()
    model_s = time.perf_counter() - loaded
    print(
        f"sets loaded in {loaded - started:.1f} s; model {embedder.name} loaded in {model_s:.1f} s"
    )

    results: dict[str, SuggestionQuality] = {}
    lines = [HEADER]
    for name, (passages, codebook) in sets.items():
        begun = time.perf_counter()
        results[name] = evaluate_suggestions(passages, codebook, embedder=embedder)
        lines.append(_row(name, results[name], time.perf_counter() - begun))
    print()
    print("\n".join(lines))
    print(
        f"targets: margin@1 >= {TARGET_MARGIN_AT_1:+.2f}, margin@3 >= {TARGET_MARGIN_AT_3:+.2f} "
        "(margin = hit@k - frequency baseline hit@k; leave one document out)"
    )
    print(f"in-process wall time: {time.perf_counter() - started:.1f} s")

    status = 0
    print()
    if not cli_has_command():
        print(f"CLI check skipped: analysis.cli has no {CLI_COMMAND!r} command yet")
    else:
        with tempfile.TemporaryDirectory(prefix="suggest-bench-") as scratch:
            folder = args.csv_dir or Path(scratch)
            folder.mkdir(parents=True, exist_ok=True)
            for name, (passages, codebook) in sets.items():
                coded_csv = folder / f"{name}_coded.csv"
                codebook_csv = folder / f"{name}_codebook.csv"
                write_coded_csv(coded_csv, passages)
                write_codebook_csv(codebook_csv, codebook)
                begun = time.perf_counter()
                try:
                    found = run_cli(coded_csv, codebook_csv, Path(scratch) / f"{name}.db")
                except (RuntimeError, ValueError, subprocess.TimeoutExpired) as exc:
                    print(f"CLI {name}: DIFF (command failed: {exc})")
                    status = 1
                    continue
                problems = compare(results[name].as_dict(), found)
                seconds = time.perf_counter() - begun
                if problems:
                    status = 1
                    print(f"CLI {name}: DIFF ({'; '.join(problems)}) [{seconds:.1f} s]")
                else:
                    print(f"CLI {name}: OK (JSON equals the in-process result) [{seconds:.1f} s]")
    print(f"total wall time: {time.perf_counter() - started:.1f} s")
    return status


if __name__ == "__main__":
    raise SystemExit(main())
