"""A transcript held in memory while findings in it are redacted, and stable placeholders.

Redacting one span moves every offset after it, may rename a speaker and changes the
sentence segments; `TranscriptDraft` does that in memory so the whole decision is written
back at once, inside the caller's transaction.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field
from typing import Any

from analysis.errors import InvalidRequestError
from analysis.models import NOT_PERSONAL, Transcript
from analysis.segment import TurnSpan, segment_rows
from analysis.storage import Store


def normalise(text: str) -> str:
    """The form placeholders are keyed on: casefolded, inner whitespace collapsed, stripped."""
    return " ".join(text.casefold().split())


def placeholder_key(secret: str, label: str, text: str) -> str:
    """HMAC-SHA256 (hex) of `label + NUL + normalised text` under the project's secret."""
    message = f"{label}\x00{normalise(text)}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


@dataclass
class TranscriptDraft:
    """A transcript's text, turns, speaker labels and findings, edited in memory and then
    written back at once with `save`."""

    transcript: Transcript
    text: str
    turns: list[dict[str, int]]
    labels: dict[int, str]
    roles: dict[int, str]
    findings: dict[int, dict[str, Any]]
    changed_labels: set[int] = field(default_factory=set)

    @classmethod
    def load(cls, store: Store, transcript_id: int) -> TranscriptDraft:
        transcript = store.get_transcript(transcript_id)
        speakers = store.list_speakers(transcript_id)
        ids = {s.label: s.id for s in speakers}
        turns = [
            {"id": t.id, "start": t.start_char, "end": t.end_char, "speaker": ids[t.speaker]}
            for t in store.list_turns(transcript_id)
        ]
        findings = {
            f.id: {"start": f.start_char, "end": f.end_char, "label": f.label, "status": f.status}
            for f in store.list_findings(transcript_id=transcript_id)
        }
        return cls(
            transcript,
            transcript.text,
            turns,
            {s.id: s.label for s in speakers},
            {s.id: s.role for s in speakers},
            findings,
        )

    def label_span(self, turn: dict[str, int]) -> tuple[int, int] | None:
        """Where the speaker label sits before a turn (`Label: ` then the speech)."""
        label = self.labels[turn["speaker"]]
        end = turn["start"] - 2
        start = end - len(label)
        if start >= 0 and self.text[start:end] == label and self.text[end : end + 2] == ": ":
            return start, end
        return None

    def regions(self, start: int, end: int) -> tuple[list[tuple[int, int]], tuple[int, int] | None]:
        """The spans a redaction of `[start, end)` rewrites, and (speaker id, offset in the
        label) when the span is inside a speaker label: then the same part of the label is
        rewritten before each of that speaker's turns.

        Raises:
            InvalidRequestError: the span crosses a turn or label boundary.
        """
        if any(t["start"] <= start and end <= t["end"] for t in self.turns):
            return [(start, end)], None
        for turn in self.turns:
            span = self.label_span(turn)
            if span and span[0] <= start and end <= span[1]:
                offset = (start - span[0], end - span[0])
                others = [self.label_span(t) for t in self.turns if t["speaker"] == turn["speaker"]]
                regions = [(s[0] + offset[0], s[0] + offset[1]) for s in others if s]
                return regions, (turn["speaker"], offset[0])
        for turn in self.turns:
            span = self.label_span(turn) or (turn["start"], turn["start"])
            if start < turn["end"] and end > span[0]:
                raise InvalidRequestError(
                    f"{self.transcript.source_name}: characters {start}-{end} cross a speaker "
                    "label or turn boundary; adjust the span to the identifying words alone"
                )
        return [(start, end)], None

    def replace(self, start: int, end: int, new: str) -> list[int]:
        """Put `new` in place of `[start, end)`, moving every offset; returns the findings
        that lay inside the span (they now cover exactly the placeholder)."""
        self.text = self.text[:start] + new + self.text[end:]
        delta = len(new) - (end - start)

        def move(a: int, b: int) -> tuple[int, int]:
            a = a if a < start else (start if a < end else a + delta)
            b = b if b <= start else (start + len(new) if b <= end else b + delta)
            return a, b

        inside = [i for i, f in self.findings.items() if start <= f["start"] and f["end"] <= end]
        for item in [*self.turns, *self.findings.values()]:
            item["start"], item["end"] = move(item["start"], item["end"])
        return inside

    def check_span(self, start: int, end: int, *, ignore: int | None = None) -> None:
        """Refuse a span for a new or moved finding: empty, outside the text, across a
        boundary, or overlapping a finding that is pending or redacted."""
        text = self.text
        if not 0 <= start < end <= len(text) or not text[start:end].strip():
            raise InvalidRequestError(
                f"{self.transcript.source_name}: characters {start}-{end} are outside the "
                f"transcript (0-{len(text)}), empty or only whitespace"
            )
        self.regions(start, end)
        for finding_id, other in self.findings.items():
            overlaps = start < other["end"] and other["start"] < end
            if finding_id != ignore and other["status"] != NOT_PERSONAL and overlaps:
                raise InvalidRequestError(
                    f"{self.transcript.source_name}: characters {start}-{end} overlap "
                    f"finding {finding_id} ({other['status']})"
                )

    def save(self, store: Store) -> None:
        """Write text, sha256, offsets, decisions and labels back, and re-segment."""
        transcript_id = self.transcript.id
        sha = hashlib.sha256(self.text.encode("utf-8")).hexdigest()
        store.update_transcript(transcript_id, {"text": self.text, "sha256": sha})
        store.update_rows(
            "turns", {t["id"]: {"start_char": t["start"], "end_char": t["end"]} for t in self.turns}
        )
        store.update_rows(
            "pii_findings",
            {
                i: {"start_char": f["start"], "end_char": f["end"]}
                | {k: f[k] for k in ("status", "placeholder", "decided_by", "decided_at") if k in f}
                for i, f in self.findings.items()
            },
        )
        store.update_rows("speakers", {i: {"label": self.labels[i]} for i in self.changed_labels})
        store.delete_transcript_segments(transcript_id)
        spans = [TurnSpan(t["start"], t["end"], self.roles[t["speaker"]]) for t in self.turns]
        store.insert_segments(
            segment_rows(
                transcript_id,
                self.text,
                spans,
                [t["id"] for t in self.turns],
                [self.labels[t["speaker"]] for t in self.turns],
            )
        )


def trim_span(text: str, start: int, end: int) -> tuple[int, int]:
    """`[start, end)` clamped to the text and trimmed of surrounding whitespace."""
    start, end = max(start, 0), min(end, len(text))
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end
