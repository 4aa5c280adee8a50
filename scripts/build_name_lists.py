"""Build the compact name lists in `analysis/pii/data/` from the `names-dataset` package.

The package (MIT licence, by Philippe Remy) holds first and last names of about 100
countries with their popularity rank; loaded whole it takes about 2 GB of memory, so the
detector uses this extract instead: every name that ranks in the top `--rank` of at
least one country, lower-cased, one per line with its best rank anywhere and in English-speaking countries
(`name<TAB>rank<TAB>english rank`). Rerun after upgrading names-dataset:

    python scripts/build_name_lists.py [--rank 2000]
"""

from __future__ import annotations

import argparse
import gzip
import os
import pickle
import re
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "analysis" / "pii" / "data"
# Where a name's popularity says most about its use as a name in British interviews.
ENGLISH_SPEAKING = {"GB", "IE", "US", "CA", "AU", "NZ"}
_NAME = re.compile(r"^[^\W\d_]+(?:['’-][^\W\d_]+)*$")


def fold(name: str) -> str:
    """The detector's lookup form: lower case without accents (as `analysis.pii.names.fold`)."""
    import sys

    sys.path.insert(0, str(OUT.parent.parent.parent))
    from analysis.pii.names import fold as detector_fold

    return detector_fold(name)


def extract(kind: str, max_rank: int) -> list[str]:
    """`name<TAB>best rank<TAB>best English-speaking rank` lines for one kind of name."""
    import names_dataset

    path = Path(os.path.dirname(names_dataset.__file__)) / "v3" / f"{kind}_names.pkl.gz"
    with gzip.open(path) as handle:
        table = pickle.load(handle)
    best: dict[str, tuple[int, int]] = {}
    none = 10**6
    for name, info in table.items():
        ranks = info.get("rank") or {}
        if ranks and min(ranks.values()) <= max_rank and _NAME.match(name) and len(name) >= 2:
            key = fold(name)
            anywhere = min(ranks.values())
            english = min((r for c, r in ranks.items() if c in ENGLISH_SPEAKING), default=none)
            old = best.get(key, (none, none))
            best[key] = (min(old[0], anywhere), min(old[1], english))
    return [f"{name}\t{a}\t{e if e < none else ''}" for name, (a, e) in sorted(best.items())]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rank", type=int, default=2000)
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    for kind, file_name in (("first", "first_names.txt.gz"), ("last", "surnames.txt.gz")):
        names = extract(kind, args.rank)
        with gzip.open(OUT / file_name, "wt", encoding="utf-8", compresslevel=9) as handle:
            handle.write("\n".join(names) + "\n")
        print(f"{file_name}: {len(names)} names")


if __name__ == "__main__":
    main()
