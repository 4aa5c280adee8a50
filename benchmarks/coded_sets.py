"""Hand-coded passage sets for measuring code suggestions (analysis.suggest).

Two sets, each a list of `CodedPassage` and a codebook of (code, description) pairs:

- PDPilot user study: the human thematic coding of seven real interviews published with
  the PDPilot user study (MAXQDA exports, text extracted from PDF), read in place from the
  shared data folder and never copied into the project. See `load_pdpilot`.
- The demo study: the demo codings of `interviews/demo_codings.yaml` against the starter
  codebook, loaded through the library into a temporary database. See `load_demo_coded_set`.

How the PDPilot exports are read
--------------------------------
`code-system.extracted.txt` lists the code system depth first, one entry per line:
"Name [memo] frequency". Groups have frequency 0 (and, here, always a memo). The export
loses the indentation, so the order alone cannot say how deep a group sits (after the
last code of a subgroup, the next group may be its sibling or a new top-level group), and
the text does not mark where a name ends and its memo begins ("Residual analysis
Performing residual analysis, ..."). Entries without a memo keep two spaces before the
frequency, so their name is exact; for the others the name is the longest word prefix of
the line that the segment export uses as a code path element and that is followed by the
capitalised first word of the memo. The nesting comes from the `Group > Code` paths of the
segment export; an entry absent from it takes the parent of the entry before it.

`coded-segments.extracted.txt` has one row per coded segment: document (`P<n>`), code
path, then the coded text, which wraps over the following lines until the next row. The
code path is split from the text by the longest known code path that starts the row
(names contain spaces and punctuation). Wrapped lines are joined with single spaces.

Usage:
    python benchmarks/coded_sets.py OUT_DIR [--data SHARED_DATA_DIR]
"""

from __future__ import annotations

import argparse
import csv
import re
import sys
import tempfile
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from analysis.storage import Store
from analysis.suggest import CodedPassage

DEFAULT_DATA_DIR = Path(__file__).resolve().parents[2] / "shared" / "data"
PDPILOT_DIR = Path("coded") / "pdpilot_user_study"
CODE_SYSTEM_FILE = "code-system.extracted.txt"
SEGMENTS_FILE = "coded-segments.extracted.txt"
PATH_SEP = " > "
CODES_SEP = ";"
CODED_FIELDS = ("document", "text", "codes")
CODEBOOK_FIELDS = ("code", "description")

_ENTRY_LINE = re.compile(r"^(?P<body>.*?)(?P<gap>\s+)(?P<frequency>\d+)$")
_ROW_START = re.compile(r"^(?P<document>P\d+) (?P<rest>.*)$")
_HEADER_LINES = {"Code System", "Code System Memo Frequency"}
_TOTAL_LINE = re.compile(r"^Code System\s+(?P<total>\d+)$")

Codebook = list[tuple[str, str]]


@dataclass(frozen=True)
class CodeSystemEntry:
    """One line of the MAXQDA code system export."""

    name: str
    description: str
    frequency: int
    parent: str | None  # the enclosing group's name; None at the top level

    @property
    def is_group(self) -> bool:
        return self.frequency == 0


@dataclass(frozen=True)
class SegmentRow:
    """One coded segment of the MAXQDA export, its wrapped lines joined."""

    document: str
    path: tuple[str, ...]  # groups, then the code
    text: str
    line: int  # 1-based line of the row in the export
    glued: bool = False  # the export has no space between the code name and the text

    @property
    def code(self) -> str:
        return self.path[-1]


@dataclass(frozen=True)
class PdpilotExport:
    """Everything read from the two PDPilot export files, before passages are merged."""

    entries: tuple[CodeSystemEntry, ...]
    total_frequency: int | None  # the "Code System" line's total
    rows: tuple[SegmentRow, ...]
    page_break_duplicates: tuple[SegmentRow, ...] = ()

    def code_entries(self) -> list[CodeSystemEntry]:
        return [e for e in self.entries if not e.is_group]

    def unused_codes(self) -> list[CodeSystemEntry]:
        """Codes of the code system with no segment in the export."""
        used = {row.code for row in self.rows}
        return [e for e in self.code_entries() if e.name not in used]

    def frequency_mismatches(self) -> dict[str, tuple[int, int]]:
        """code -> (frequency in the code system, rows in the segment export), where they differ."""
        counts = Counter(row.code for row in self.rows)
        return {
            e.name: (e.frequency, counts[e.name])
            for e in self.code_entries()
            if counts[e.name] != e.frequency
        }


# -- PDPilot: code system -------------------------------------------------------------------


def _segment_rows_raw(segments_text: str) -> list[str]:
    """The text after `P<n> ` of every line that starts like a segment row."""
    found = []
    for line in segments_text.splitlines():
        match = _ROW_START.match(line.strip())
        if match:
            found.append(match["rest"])
    return found


def _attested(name: str, as_group: bool, rows: Sequence[str]) -> bool:
    """Whether the segment export uses `name` as a group (followed by ` > `) or as a code
    (followed by the segment text) somewhere in a row's code path."""
    escaped = re.escape(name)
    if as_group:
        pattern = re.compile(rf"(?:^|{PATH_SEP}){escaped}{PATH_SEP}")
    else:
        # The export sometimes glues the text to the code name ("...overfittingI think").
        pattern = re.compile(rf"(?:^|{PATH_SEP}){escaped}(?!{PATH_SEP})")
    return any(pattern.search(row) for row in rows)


def _split_name(body: str, has_gap: bool, is_group: bool, rows: Sequence[str]) -> tuple[str, str]:
    """(name, description) of a code system line without its frequency."""
    if has_gap:  # two spaces before the frequency: an empty memo, so all of it is the name
        return body, ""
    words = body.split(" ")
    for cut in range(len(words), 0, -1):
        name = " ".join(words[:cut])
        rest = " ".join(words[cut:])
        if (not rest or rest[:1].isupper()) and _attested(name, is_group, rows):
            return name, rest
    # Not in the segment export: the memo starts at the first capitalised word after the
    # first word (right for this export's memo-carrying, unused codes).
    for cut in range(1, len(words)):
        if words[cut][:1].isupper():
            return " ".join(words[:cut]), " ".join(words[cut:])
    return body, ""


def parse_code_system(
    code_system_text: str, segments_text: str
) -> tuple[list[CodeSystemEntry], int | None]:
    """The code system's entries in export order (with parents) and its total frequency."""
    rows = _segment_rows_raw(segments_text)
    parsed: list[tuple[str, str, int]] = []
    total = None
    for number, raw in enumerate(code_system_text.splitlines(), start=1):
        line = raw.strip()
        if not line or line in _HEADER_LINES:
            continue
        total_match = _TOTAL_LINE.match(line)
        if total_match and total is None and not parsed:
            total = int(total_match["total"])
            continue
        match = _ENTRY_LINE.match(line)
        if not match:
            raise ValueError(f"{CODE_SYSTEM_FILE}:{number}: no frequency at the end: {line!r}")
        frequency = int(match["frequency"])
        name, description = _split_name(match["body"], len(match["gap"]) > 1, frequency == 0, rows)
        parsed.append((name, description, frequency))
    names = [name for name, _, _ in parsed]
    duplicates = [name for name, count in Counter(names).items() if count > 1]
    if duplicates:
        raise ValueError(f"{CODE_SYSTEM_FILE}: names used twice: {duplicates}")
    parents = _parents_from_paths(names, rows)
    entries: list[CodeSystemEntry] = []
    for name, description, frequency in parsed:
        if name in parents:
            parent = parents[name]
        elif not entries:
            parent = None
        else:  # not in the export: a sibling of the entry before, or a child if that is a group
            before = entries[-1]
            parent = before.name if before.is_group else before.parent
        entries.append(CodeSystemEntry(name, description, frequency, parent))
    return entries, total


def _parents_from_paths(names: Sequence[str], rows: Sequence[str]) -> dict[str, str | None]:
    """name -> parent, from the code paths of the segment rows."""
    known = sorted(names, key=len, reverse=True)
    parents: dict[str, str | None] = {}
    for row in rows:
        path = _leading_path(row, known)
        for depth, name in enumerate(path):
            parent = path[depth - 1] if depth else None
            if parents.setdefault(name, parent) != parent:
                raise ValueError(f"{SEGMENTS_FILE}: {name!r} has two parents")
    return parents


def _leading_path(row: str, known_longest_first: Sequence[str]) -> list[str]:
    """The names a row's code path is made of, matched element by element."""
    path: list[str] = []
    rest = row
    while True:
        for name in known_longest_first:
            if rest.startswith(name + PATH_SEP):
                path.append(name)
                rest = rest[len(name) + len(PATH_SEP) :]
                break
        else:
            break
    code = _longest_prefix(rest, known_longest_first)
    if code is not None:
        path.append(code[0])
    return path


def _longest_prefix(text: str, known_longest_first: Sequence[str]) -> tuple[str, bool] | None:
    """The longest of `known_longest_first` that starts `text` and ends there or before a
    space; failing that, the longest that starts it glued to a word that does not start
    in lower case. Returns it and whether it was glued."""
    for name in known_longest_first:
        if text == name or text.startswith(name + " "):
            return name, False
    for name in known_longest_first:
        # Glued text starts a new word: "overfittingI think", never "Interactions ...".
        if text.startswith(name) and not text[len(name) : len(name) + 1].islower():
            return name, True
    return None


def code_paths(entries: Sequence[CodeSystemEntry]) -> dict[str, tuple[str, ...]]:
    """Code name -> full path (groups, then the code), for the codes (not the groups)."""
    by_name = {e.name: e for e in entries}
    paths: dict[str, tuple[str, ...]] = {}
    for entry in entries:
        if entry.is_group:
            continue
        path = [entry.name]
        parent = entry.parent
        while parent is not None:
            path.insert(0, parent)
            parent = by_name[parent].parent
        paths[entry.name] = tuple(path)
    return paths


# -- PDPilot: coded segments ----------------------------------------------------------------


def parse_segments(
    segments_text: str, paths: dict[str, tuple[str, ...]]
) -> tuple[list[SegmentRow], list[SegmentRow]]:
    """Segment rows, and the page-break duplicates left out of them.

    The code path is split from the text by the longest known path that starts the row.
    A line starting with `P<n> ` that does not continue with a known code path is wrapped
    text of the row before. Where a segment crosses a page of the PDF, the export repeats
    its first line as a row of its own at the foot of the page: a row whose whole text
    starts the next row, with the same document and code, is such a duplicate.
    """
    by_joined = {PATH_SEP.join(path): path for path in paths.values()}
    known = sorted(by_joined, key=len, reverse=True)
    starts: list[tuple[str, tuple[str, ...], bool, int, list[str]]] = []
    for number, raw in enumerate(segments_text.splitlines(), start=1):
        line = raw.strip()
        match = _ROW_START.match(line)
        found = _longest_prefix(match["rest"], known) if match else None
        if match and found:
            joined, glued = found
            text = match["rest"][len(joined) :].strip()
            starts.append((match["document"], by_joined[joined], glued, number, [text]))
        elif starts:
            starts[-1][4].append(line)
        elif match:
            raise ValueError(f"{SEGMENTS_FILE}:{number}: unknown code path: {line[:80]!r}")
        # else: the export's title and column headers before the first row
    rows = [
        SegmentRow(document, path, " ".join(p for p in parts if p), number, glued)
        for document, path, glued, number, parts in starts
    ]
    kept: list[SegmentRow] = []
    duplicates: list[SegmentRow] = []
    for row, after in zip(rows, [*rows[1:], None], strict=True):
        if (
            after is not None
            and (row.document, row.path) == (after.document, after.path)
            and after.text.startswith(row.text)
            and len(after.text) > len(row.text)
        ):
            duplicates.append(row)
        else:
            kept.append(row)
    return kept, duplicates


def read_pdpilot_export(data_dir: Path) -> PdpilotExport:
    """Parse both PDPilot export files under `data_dir` (the shared data folder)."""
    folder = Path(data_dir) / PDPILOT_DIR
    code_system_text = (folder / CODE_SYSTEM_FILE).read_text(encoding="utf-8")
    segments_text = (folder / SEGMENTS_FILE).read_text(encoding="utf-8")
    entries, total = parse_code_system(code_system_text, segments_text)
    rows, duplicates = parse_segments(segments_text, code_paths(entries))
    return PdpilotExport(tuple(entries), total, tuple(rows), tuple(duplicates))


def merge_passages(items: Iterable[tuple[str, str, str]]) -> list[CodedPassage]:
    """One passage per (document, text), with every code applied to it, in first-seen order."""
    merged: dict[tuple[str, str], list[str]] = {}
    for document, text, code in items:
        codes = merged.setdefault((document, text), [])
        if code not in codes:
            codes.append(code)
    return [CodedPassage(doc, text, tuple(codes)) for (doc, text), codes in merged.items()]


def pdpilot_codebook(export: PdpilotExport) -> Codebook:
    """(code, "Name. description") for every code with segments, in code system order.

    The description is the code's own memo, else the nearest enclosing group's memo.
    """
    by_name = {e.name: e for e in export.entries}
    used = {row.code for row in export.rows}
    codebook: Codebook = []
    for entry in export.code_entries():
        if entry.name not in used:
            continue
        description = entry.description
        parent = entry.parent
        while not description and parent is not None:
            description = by_name[parent].description
            parent = by_name[parent].parent
        codebook.append((entry.name, f"{entry.name}. {description}" if description else entry.name))
    return codebook


def load_pdpilot(data_dir: Path) -> tuple[list[CodedPassage], Codebook]:
    """The PDPilot user study's coded passages (codes are leaf code names) and codebook.

    Rows with the same document and text are one passage with all their codes. Codes of
    the code system that have no segment in the export (its `Anonymize` code) are left
    out of the codebook.
    """
    export = read_pdpilot_export(data_dir)
    passages = merge_passages((r.document, r.text, r.code) for r in export.rows)
    return passages, pdpilot_codebook(export)


# -- the demo study -------------------------------------------------------------------------


def _demo_description(name: str, definition: str, include: str, example: str) -> str:
    parts = [f"{name}.", definition, include]
    if example:
        parts.append(f"Example: {example}")
    return " ".join(p.strip() for p in parts if p and p.strip())


def study_coded_set(store: Store, project_id: int) -> tuple[list[CodedPassage], Codebook]:
    """A study's codings as passages, one per coded span (codes from any coder), and its
    current codebook's active codes. Documents are transcript source names."""
    from analysis.codebook import current_codebook

    names = {t.id: t.source_name for t in store.list_transcripts(project_id)}
    spans: dict[tuple[int, int, int], list[str]] = {}
    texts: dict[tuple[int, int, int], str] = {}
    for coding in store.list_codings(project_id=project_id):
        span = (coding.transcript_id, coding.start_char, coding.end_char)
        texts.setdefault(span, coding.text)
        keys = spans.setdefault(span, [])
        if coding.code_key not in keys:
            keys.append(coding.code_key)
    _, codes = current_codebook(store, project_id)
    passages = [
        CodedPassage(names[span[0]], texts[span], tuple(keys)) for span, keys in spans.items()
    ]
    codebook = [
        (c.key, _demo_description(c.name, c.definition, c.include_rule, c.example))
        for c in codes
        if c.status == "active"
    ]
    return passages, codebook


def load_demo_coded_set(db_path: Path | None = None) -> tuple[list[CodedPassage], Codebook]:
    """The demo study's codings as passages (see `study_coded_set`).

    The demo study is loaded into `db_path` (which must not hold a study yet), or into a
    temporary database removed afterwards.
    """
    from analysis.demo import load_demo_study
    from analysis.study import open_study

    with tempfile.TemporaryDirectory(prefix="demo-coded-") as folder:
        store, project = open_study(db_path or Path(folder) / "demo.db")
        try:
            load_demo_study(store, project)
            return study_coded_set(store, project.id)
        finally:
            store.close()


# -- CSV files for `python -m analysis evaluate-suggestions` --------------------------------


def write_coded_csv(path: Path, passages: Sequence[CodedPassage]) -> None:
    """CODED.csv: columns document,text,codes with the codes joined by `;`."""
    with Path(path).open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=CODED_FIELDS)
        writer.writeheader()
        for passage in passages:
            bad = [c for c in passage.codes if CODES_SEP in c]
            if bad:
                raise ValueError(f"code names must not contain {CODES_SEP!r}: {bad}")
            writer.writerow(
                {
                    "document": passage.document,
                    "text": passage.text,
                    "codes": CODES_SEP.join(passage.codes),
                }
            )


def write_codebook_csv(path: Path, codebook: Sequence[tuple[str, str]]) -> None:
    """CODEBOOK.csv: columns code,description."""
    with Path(path).open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=CODEBOOK_FIELDS)
        writer.writeheader()
        for code, description in codebook:
            writer.writerow({"code": code, "description": description})


# -- command line ---------------------------------------------------------------------------


def describe(name: str, passages: Sequence[CodedPassage], codebook: Codebook) -> str:
    """One line of counts for a coded set."""
    pairs = sum(len(p.codes) for p in passages)
    documents = len({p.document for p in passages})
    multi = sum(1 for p in passages if len(p.codes) > 1)
    return (
        f"{name}: {len(passages)} passages ({multi} with several codes), {pairs} "
        f"passage-code pairs, {documents} documents, {len(codebook)} codes"
    )


def pdpilot_report(export: PdpilotExport) -> list[str]:
    """What was read from the PDPilot export and what in it needed handling."""
    groups = [e for e in export.entries if e.is_group]
    pairs = {(r.document, r.text, r.code) for r in export.rows}
    lines = [
        f"PDPilot code system: {len(export.code_entries())} codes in {len(groups)} groups, "
        f"total frequency {export.total_frequency} (sum of code frequencies "
        f"{sum(e.frequency for e in export.entries)})",
        f"PDPilot segment export: {len(export.rows)} segment rows, "
        f"{len(pairs)} distinct (document, text, code)",
    ]
    for entry in export.unused_codes():
        lines.append(
            f"  code without exported segments: {entry.name} (frequency {entry.frequency})"
        )
    for code, (expected, found) in export.frequency_mismatches().items():
        if found:
            lines.append(f"  frequency differs: {code}: code system {expected}, rows {found}")
    for row in export.page_break_duplicates:
        lines.append(
            f"  dropped page-break duplicate of a row's first line: line {row.line} "
            f"({row.document}, {row.code})"
        )
    for row in export.rows:
        if row.glued:
            lines.append(f"  no space between code and text: line {row.line} ({row.code})")
    return lines


def write_sets(out_dir: Path, data_dir: Path) -> dict[str, tuple[list[CodedPassage], Codebook]]:
    """Write the four CSV files into `out_dir` and return the sets by name."""
    out_dir.mkdir(parents=True, exist_ok=True)
    sets = {"pdpilot": load_pdpilot(data_dir), "demo": load_demo_coded_set()}
    for name, (passages, codebook) in sets.items():
        write_coded_csv(out_dir / f"{name}_coded.csv", passages)
        write_codebook_csv(out_dir / f"{name}_codebook.csv", codebook)
    return sets


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir", type=Path, help="folder for the CSV files (outside the repo)")
    parser.add_argument(
        "--data",
        type=Path,
        default=DEFAULT_DATA_DIR,
        help=f"shared data folder (default: {DEFAULT_DATA_DIR})",
    )
    args = parser.parse_args(argv)
    for line in pdpilot_report(read_pdpilot_export(args.data)):
        print(line)
    sets = write_sets(args.out_dir, args.data)
    for name, (passages, codebook) in sets.items():
        print(describe(name, passages, codebook))
    print(f"wrote {', '.join(f'{n}_coded.csv, {n}_codebook.csv' for n in sets)} to {args.out_dir}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
