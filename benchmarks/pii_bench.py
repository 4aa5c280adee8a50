"""Score analysis.pii and Microsoft Presidio side by side on the planted-identifier corpus.

The corpus comes from benchmarks/pii_corpus.py (deterministic for a seed). Each system
scans every transcript in its own subprocess, so that its peak memory can be read and one
system's imports cannot slow the other: setup (imports, engines, one warm-up call) is timed
separately from the scan of the whole corpus.

Scoring, per system: a gold span is found when a prediction with the same label overlaps
it; precision is the share of predictions that overlap a gold span of the same label
(predictions whose label maps to nothing are dropped first); F2 = 5PR / (4P + R).

Presidio runs offline with a blank spaCy English pipeline, so it has no NER model: its
PERSON and LOCATION results can only be empty, and its other results come from its
default pattern recognisers. It runs in its own virtual environment
(benchmarks/.presidio-venv, made on first use from benchmarks/requirements.txt, or the
Python named by $PRESIDIO_PYTHON): installed beside the project, presidio registers a
spaCy plugin that every `spacy.blank("en")` of the project would then import (with
torch), adding seconds to the app's start.

Usage:
    python benchmarks/pii_bench.py [--n 60] [--seed 7] [--no-allow-list]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import traceback
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.pii_corpus import DEFAULT_N, DEFAULT_SEED, LABELS, Doc, Gold, generate_corpus

RESULT_MARK = "BENCH_RESULT "
CONTEXT = 40
# Presidio entity type -> our label; None: ignored (not one of our labels).
PRESIDIO_MAP: dict[str, str | None] = {
    "PERSON": "PERSON",
    "EMAIL_ADDRESS": "EMAIL",
    "EMAIL": "EMAIL",
    "PHONE_NUMBER": "PHONE",
    "UK_NHS": "NHS_NUMBER",
    "URL": "URL",
    "DATE_TIME": "DATE",
    "LOCATION": "ADDRESS",
    "UK_POSTCODE": "POSTCODE",  # its recogniser is disabled in Presidio's default configuration
}
PRESIDIO_IGNORED_NOTE = (
    "ignored (no counterpart): CREDIT_CARD, CRYPTO, IBAN_CODE, IP_ADDRESS, MAC_ADDRESS, UUID, "
    "MEDICAL_LICENSE, NRP, ORGANIZATION, AGE, ID, US_* and other countries' identifiers"
)


@dataclass(frozen=True)
class Prediction:
    start: int
    end: int
    label: str
    text: str
    score: float


# ---------------------------------------------------------------------------------------
# Workers (run in a subprocess: python pii_bench.py --worker ours|presidio)
# ---------------------------------------------------------------------------------------


def _peak_rss_mib() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def _worker_ours(docs: Sequence[Doc], starter: bool) -> dict[str, Any]:
    started = time.perf_counter()
    try:
        from analysis.pii import find_personal_data, starter_allow_list

        allow = starter_allow_list() if starter else ()
        find_personal_data("Warm-up: I saw Dr Okafor at the GP on Monday.", allow_list=allow)
    except Exception:
        return {"status": "error", "where": "setup", "traceback": traceback.format_exc()}
    setup_s = time.perf_counter() - started
    rss_after_setup = _peak_rss_mib()
    predictions: list[list[list[Any]]] = []
    started = time.perf_counter()
    for doc in docs:
        try:
            found = find_personal_data(doc.text, allow_list=allow)
        except Exception:
            return {"status": "error", "where": doc.name, "traceback": traceback.format_exc()}
        predictions.append([[f.start, f.end, f.label, f.text, f.score] for f in found])
    scan_s = time.perf_counter() - started
    return {
        "status": "ok",
        "setup_s": setup_s,
        "scan_s": scan_s,
        "rss_after_setup_mib": rss_after_setup,
        "peak_rss_mib": _peak_rss_mib(),
        "predictions": predictions,
    }


def _worker_presidio(docs: Sequence[Doc], threshold: float) -> dict[str, Any]:
    # tldextract (used by the URL recogniser) must use its bundled suffix list: no network.
    os.environ["TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS"] = ""
    started = time.perf_counter()
    try:
        import logging

        import spacy
        from presidio_analyzer import AnalyzerEngine
        from presidio_analyzer.nlp_engine import NlpEngineProvider
    except ImportError as exc:
        return {"status": "missing", "error": str(exc)}
    logging.getLogger("presidio-analyzer").setLevel(logging.ERROR)
    with tempfile.TemporaryDirectory() as folder:
        model = Path(folder) / "blank_en"
        spacy.blank("en").to_disk(model)
        provider = NlpEngineProvider(
            nlp_configuration={
                "nlp_engine_name": "spacy",
                "models": [{"lang_code": "en", "model_name": str(model)}],
            }
        )
        analyzer = AnalyzerEngine(nlp_engine=provider.create_engine(), supported_languages=["en"])
    analyzer.analyze("Warm-up: call 07700 900123 on 12/03/2001.", language="en")
    setup_s = time.perf_counter() - started
    rss_after_setup = _peak_rss_mib()
    predictions = []
    started = time.perf_counter()
    for doc in docs:
        results = analyzer.analyze(doc.text, language="en", score_threshold=threshold)
        predictions.append(
            [[r.start, r.end, r.entity_type, doc.text[r.start : r.end], r.score] for r in results]
        )
    scan_s = time.perf_counter() - started
    return {
        "status": "ok",
        "setup_s": setup_s,
        "scan_s": scan_s,
        "rss_after_setup_mib": rss_after_setup,
        "peak_rss_mib": _peak_rss_mib(),
        "predictions": predictions,
        "version": _presidio_version(),
    }


def _presidio_version() -> str:
    from importlib.metadata import version

    return version("presidio-analyzer")


PRESIDIO_VENV = Path(__file__).resolve().parent / ".presidio-venv"


def _presidio_python() -> str:
    """A Python with presidio-analyzer, kept apart from the project's environment."""
    if os.environ.get("PRESIDIO_PYTHON"):
        return os.environ["PRESIDIO_PYTHON"]
    python = PRESIDIO_VENV / "bin" / "python"
    if not python.exists():
        print(f"making {PRESIDIO_VENV} for Presidio (once; about a minute)...", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(PRESIDIO_VENV)], check=True)
        requirements = Path(__file__).resolve().parent / "requirements.txt"
        subprocess.run(
            [str(python), "-m", "pip", "install", "--quiet", "-r", str(requirements)], check=True
        )
    return str(python)


def _run_worker(system: str, args: argparse.Namespace) -> tuple[dict[str, Any], float]:
    """Run one system in a subprocess; its result and the children's peak RSS (MiB) after it."""
    python = _presidio_python() if system == "presidio" else sys.executable
    command = [
        python, __file__, "--worker", system, "--n", str(args.n), "--seed", str(args.seed),
        "--presidio-threshold", str(args.presidio_threshold),
    ]  # fmt: skip
    if args.starter_allow_list:
        command.append("--starter-allow-list")
    env = dict(os.environ, HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")
    proc = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    children_mib = children / (1024 * 1024) if sys.platform == "darwin" else children / 1024
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith(RESULT_MARK):
            return json.loads(line[len(RESULT_MARK) :]), children_mib
    tail = (proc.stdout + proc.stderr)[-3000:]
    return {"status": "error", "where": "subprocess", "traceback": tail}, children_mib


# ---------------------------------------------------------------------------------------
# Scoring
# ---------------------------------------------------------------------------------------


@dataclass
class Score:
    gold: Counter[str]
    found: Counter[str]
    predictions: int
    correct: int
    docs_missing: int
    clean_docs_flagged: int
    misses: list[tuple[Doc, Gold]]
    false_positives: list[tuple[Doc, Prediction, str | None]]
    speaker_gold: int
    speaker_found: int

    @property
    def recall(self) -> float:
        total = sum(self.gold.values())
        return sum(self.found.values()) / total if total else 0.0

    @property
    def precision(self) -> float:
        return self.correct / self.predictions if self.predictions else 0.0

    @property
    def f2(self) -> float:
        p, r = self.precision, self.recall
        return 5 * p * r / (4 * p + r) if p + r else 0.0


def _overlaps(a_start: int, a_end: int, b_start: int, b_end: int) -> bool:
    return a_start < b_end and b_start < a_end


def _is_speaker(doc: Doc, g: Gold) -> bool:
    """A subtitle cue's speaker name (`Name: ...` or `<v Name>`), rather than a name in speech."""
    return doc.name.endswith(".vtt") and (
        doc.text[g.start - 3 : g.start] == "<v " or doc.text[g.start - 1 : g.start] == "\n"
    )


def score(docs: Sequence[Doc], predictions: Sequence[Sequence[Prediction]]) -> Score:
    s = Score(Counter(), Counter(), 0, 0, 0, 0, [], [], 0, 0)
    for doc, preds in zip(docs, predictions, strict=True):
        missed_here = False
        for g in doc.gold:
            s.gold[g.label] += 1
            hit = any(
                p.label == g.label and _overlaps(p.start, p.end, g.start, g.end) for p in preds
            )
            speaker = g.label == "PERSON" and _is_speaker(doc, g)
            s.speaker_gold += speaker
            if hit:
                s.found[g.label] += 1
                s.speaker_found += speaker
            else:
                missed_here = True
                s.misses.append((doc, g))
        s.docs_missing += missed_here
        s.clean_docs_flagged += bool(not doc.gold and preds)
        for p in preds:
            s.predictions += 1
            if any(
                p.label == g.label and _overlaps(p.start, p.end, g.start, g.end) for g in doc.gold
            ):
                s.correct += 1
            else:
                other = next(
                    (g.label for g in doc.gold if _overlaps(p.start, p.end, g.start, g.end)), None
                )
                s.false_positives.append((doc, p, other))
    return s


def _predictions(
    raw: list[list[list[Any]]], mapping: dict[str, str | None] | None
) -> tuple[list[list[Prediction]], Counter[str]]:
    """Predictions with our labels; for Presidio, also the counts of ignored entity types."""
    ignored: Counter[str] = Counter()
    out = []
    for doc_preds in raw:
        kept = []
        for start, end, label, text, value in doc_preds:
            if mapping is not None:
                mapped = mapping.get(label)
                if mapped is None:
                    ignored[label] += 1
                    continue
                label = mapped
            kept.append(Prediction(start, end, label, text, float(value)))
        out.append(kept)
    return out, ignored


# ---------------------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------------------


def _context(doc: Doc, start: int, end: int) -> str:
    left = doc.text[max(0, start - CONTEXT) : start]
    right = doc.text[end : end + CONTEXT]
    shown = f"{left}[[{doc.text[start:end]}]]{right}"
    return shown.replace("\r", " ").replace("\n", "⏎")


T = TypeVar("T")


def _round_robin(items: Sequence[T], key: Callable[[T], str], limit: int) -> list[T]:
    """Up to `limit` items, taking turns between keys so that every kind shows up."""
    groups: dict[str, list[T]] = defaultdict(list)
    for item in items:
        groups[key(item)].append(item)
    out: list[T] = []
    while len(out) < limit and any(groups.values()):
        for k in list(groups):
            if groups[k] and len(out) < limit:
                out.append(groups[k].pop(0))
    return out


def _share(found: int, total: int) -> str:
    return f"{found} ({found / total:.0%})" if total else "-"


def _print_table(docs: Sequence[Doc], columns: list[tuple[str, Score | None]]) -> None:
    width = 20
    gold = Counter(g.label for d in docs for g in d.gold)
    speakers = sum(_is_speaker(d, g) for d in docs for g in d.gold if g.label == "PERSON")
    header = f"{'':26}{'gold':>6}" + "".join(f"{name:>{width}}" for name, _ in columns)
    print(header)
    print("-" * len(header))

    def row(title: str, count: object, fmt: Callable[[Score], str]) -> None:
        cells = "".join(f"{(fmt(s) if s is not None else 'n/a'):>{width}}" for _, s in columns)
        print(f"{title:26}{count!s:>6}{cells}")

    for label in LABELS:
        row(f"recall {label}", gold[label], lambda s, lab=label: _share(s.found[lab], gold[lab]))
    row("  PERSON as cue speaker", speakers, lambda s: _share(s.speaker_found, speakers))
    row(
        "  PERSON in speech",
        gold["PERSON"] - speakers,
        lambda s: _share(s.found["PERSON"] - s.speaker_found, gold["PERSON"] - speakers),
    )
    print("-" * len(header))
    total = sum(gold.values())
    clean = sum(not d.gold for d in docs)
    row("recall (all labels)", total, lambda s: f"{sum(s.found.values())} ({s.recall:.1%})")
    row("predictions", "", lambda s: str(s.predictions))
    row("precision", "", lambda s: f"{s.correct} ({s.precision:.1%})")
    row("F2", "", lambda s: f"{s.f2:.3f}")
    row("docs with any miss", len(docs), lambda s: str(s.docs_missing))
    row("clean docs with findings", clean, lambda s: str(s.clean_docs_flagged))


def _distinct(items: Sequence[T], key: Callable[[T], str]) -> list[tuple[T, int]]:
    """The first item for each key, with how many items share that key."""
    counts = Counter(key(item) for item in items)
    firsts: dict[str, T] = {}
    for item in items:
        firsts.setdefault(key(item), item)
    return [(item, counts[k]) for k, item in firsts.items()]


def _print_examples(docs: Sequence[Doc], s: Score, limit: int) -> None:
    """Misses and false positives with context; repeats of the same string are shown once."""
    misses = _distinct(
        s.misses, lambda m: f"{m[1].label}|{m[0].text[m[1].start : m[1].end].lower()}"
    )
    shown_misses = _round_robin(misses, lambda m: m[0][1].label, limit)
    print(
        f"\nOur misses ({len(s.misses)} in all, {len(misses)} distinct; up to {limit}, labels in turn):"
    )
    for (doc, g), count in shown_misses:
        times = f" x{count}" if count > 1 else ""
        print(f"  {doc.name:9} {g.label:11}{times:>4} {_context(doc, g.start, g.end)}")
    fps = _distinct(s.false_positives, lambda f: f"{f[1].label}|{f[1].text.lower()}")
    shown_fps = _round_robin(fps, lambda f: f[0][1].label, limit)
    print(
        f"\nOur false positives ({len(s.false_positives)} in all, {len(fps)} distinct; "
        f"up to {limit}, labels in turn):"
    )
    for (doc, p, other), count in shown_fps:
        note = f" (gold here: {other})" if other else ""
        times = f" x{count}" if count > 1 else ""
        print(
            f"  {doc.name:9} {p.label:11}{times:>4} {p.score:.2f} "
            f"{_context(doc, p.start, p.end)}{note}"
        )


def _timing_line(name: str, result: dict[str, Any]) -> str:
    return (
        f"  {name:9} setup {result['setup_s']:.2f} s, scan {result['scan_s']:.3f} s, "
        f"peak RSS {result['peak_rss_mib']:.0f} MiB (after setup {result['rss_after_setup_mib']:.0f} MiB)"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=DEFAULT_N, help="transcripts in the corpus")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="corpus seed")
    parser.add_argument(
        "--starter-allow-list",
        action="store_true",
        help=argparse.SUPPRESS,  # set for the worker from --no-allow-list
    )
    parser.add_argument(
        "--no-allow-list",
        action="store_true",
        help="scan without the starter allow-list (the product always uses it)",
    )
    parser.add_argument(
        "--presidio-threshold",
        type=float,
        default=0.0,
        help="Presidio score_threshold (its default, 0, keeps every result)",
    )
    parser.add_argument("--show", type=int, default=15, help="misses and false positives to print")
    parser.add_argument("--worker", choices=("ours", "presidio"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if not args.worker:
        args.starter_allow_list = not args.no_allow_list

    docs = generate_corpus(args.n, args.seed)
    if args.worker:
        if args.worker == "ours":
            result = _worker_ours(docs, args.starter_allow_list)
        else:
            result = _worker_presidio(docs, args.presidio_threshold)
        print(RESULT_MARK + json.dumps(result))
        return 0

    gold = Counter(g.label for d in docs for g in d.gold)
    words = sum(len(d.text.split()) for d in docs)
    print(
        f"Corpus: {len(docs)} transcripts (seed {args.seed}), {words} words, "
        f"{sum(gold.values())} gold spans, {sum(not d.gold for d in docs)} clean transcripts"
    )
    suffixes = Counter(Path(d.name).suffix for d in docs)
    print("Formats: " + ", ".join(f"{k} {v}" for k, v in sorted(suffixes.items())))

    ours, ours_children_mib = _run_worker("ours", args)
    presidio, _ = _run_worker("presidio", args)
    exit_code = 0

    columns: list[tuple[str, Score | None]] = []
    ours_score = None
    if ours["status"] == "ok":
        preds, _ = _predictions(ours["predictions"], None)
        ours_score = score(docs, preds)
        columns.append(("ours", ours_score))
        try:
            from analysis.pii import CONFIDENT
        except Exception:
            CONFIDENT = 0.8
        confident = [[p for p in doc_preds if p.score >= CONFIDENT] for doc_preds in preds]
        columns.append((f"ours (>= {CONFIDENT})", score(docs, confident)))
        unknown = Counter(
            p.label for doc_preds in preds for p in doc_preds if p.label not in LABELS
        )
        if unknown:
            print(f"Note: our detector used labels outside LABELS: {dict(unknown)}")
    else:
        print(f"\nOurs: find_personal_data failed ({ours.get('where')}):\n{ours.get('traceback')}")
        columns.append(("ours", None))
        exit_code = 1

    presidio_score = None
    if presidio["status"] == "ok":
        preds, ignored = _predictions(presidio["predictions"], PRESIDIO_MAP)
        presidio_score = score(docs, preds)
        columns.append((f"presidio {presidio['version']}", presidio_score))
    elif presidio["status"] == "missing":
        print(
            f"\nPresidio is not installed ({presidio['error']}); pip install -r benchmarks/requirements.txt"
        )
    else:
        print(f"\nPresidio failed:\n{presidio.get('traceback')}")

    print()
    _print_table(docs, columns)

    print("\nTimes (corpus scan only; setup = imports, engine build and one warm-up call):")
    if ours["status"] == "ok":
        print(_timing_line("ours", ours))
        print(
            f"  {'':9} peak RSS of our subprocess by RUSAGE_CHILDREN: {ours_children_mib:.0f} MiB"
        )
    if presidio["status"] == "ok":
        print(_timing_line("presidio", presidio))
    if ours["status"] == "ok" and presidio["status"] == "ok":
        ratio = presidio["scan_s"] / ours["scan_s"] if ours["scan_s"] else float("inf")
        print(f"  time ratio (presidio scan / our scan): {ratio:.2f}")

    if presidio["status"] == "ok":
        mapping = ", ".join(f"{k}->{v}" for k, v in PRESIDIO_MAP.items())
        print(f"\nPresidio mapping: {mapping}; {PRESIDIO_IGNORED_NOTE}.")
        if ignored:
            print(
                "  ignored Presidio results: "
                + ", ".join(f"{k} {v}" for k, v in ignored.most_common())
            )
        print(
            "  Presidio runs with a blank spaCy pipeline (no NER), its default recognisers and "
            f"score_threshold {args.presidio_threshold}; its UK postcode recogniser is off by default."
        )

    if ours_score is not None:
        _print_examples(docs, ours_score, args.show)
    return exit_code


if __name__ == "__main__":
    sys.exit(main())
