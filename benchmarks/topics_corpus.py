"""A synthetic study of any size for the topics benchmark, grown from the demo interviews.

The participant sentences of the demo study's cleared transcripts are varied (a spoken
opener, a closing tag, a few word swaps) so that every segment's text is unique: the
embedding cache must not get an unfair head start from repeated sentences. The variants
are grouped into interview transcripts (question, answer of several sentences) of about
one demo interview's length and imported through the ordinary import path, then cleared.
Deterministic for a seed.
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from analysis.demo import load_demo_study
from analysis.embed import participant_segments
from analysis.models import Project
from analysis.review import PENDING, mark_not_personal
from analysis.storage import Store
from analysis.study import open_study
from analysis.transcripts import UploadedFile, import_transcripts

SEGMENTS_PER_TRANSCRIPT = 120
ACTOR = "bench"
OPENERS = (
    "", "", "", "Honestly, ", "I guess ", "To be fair, ", "Looking back, ", "At the time, ",
    "I remember that ", "For me, ", "I suppose ", "If I'm honest, ", "Thinking about it, ",
    "In a way, ", "The thing is, ", "I'd say ", "Basically, ", "Funnily enough, ",
    "Back then, ", "Even now, ", "I think ", "Mostly, ",
)  # fmt: skip
CLOSERS = (
    "", "", "", " to be honest", " at the time", " in first year", " back then",
    " if that makes sense", " I think", " looking back", " in second year", " really",
    " for a while", " most of the time", " I suppose", " more or less", " in the end",
    " that term", " last year", " every week",
)  # fmt: skip
SWAPS = {
    "really": "so", "university": "uni", "uni": "university", "weeks": "months",
    "counsellor": "therapist", "anxious": "stressed", "GP": "doctor", "friends": "mates",
    "housemates": "flatmates", "lecture": "seminar", "email": "message", "mum": "mother",
    "nice": "kind", "waiting": "queueing", "appointment": "session", "phone": "call",
    "worse": "harder", "good": "helpful", "bad": "rough", "tutor": "supervisor",
}  # fmt: skip
QUESTIONS = (
    "Could you tell me more about that?", "How did that feel?", "What happened next?",
    "Who did you talk to about it?", "What would have helped?", "How long did that take?",
)  # fmt: skip


def demo_sentences() -> list[str]:
    """Participant segments of the demo study's cleared transcripts (about 700)."""
    store, project = open_study(":memory:")
    try:
        load_demo_study(store, project)
        return [s.text for s in participant_segments(store, project.id)]
    finally:
        store.close()


def _vary(sentence: str, rng: random.Random) -> str:
    words = sentence.split()
    for position, word in enumerate(words):
        bare = word.strip(".,?!")
        if bare in SWAPS and rng.random() < 0.5:
            words[position] = word.replace(bare, SWAPS[bare])
    text = " ".join(words)
    opener = rng.choice(OPENERS)
    if opener and text[:1].isupper() and not text.startswith(("I ", "I'", "GP")):
        text = text[0].lower() + text[1:]
    closer = rng.choice(CLOSERS)
    if closer and text[-1:] in ".?!":
        text = text[:-1] + closer + text[-1]
    return opener + text


def synthetic_segments(n: int, *, seed: int = 7, base: list[str] | None = None) -> list[str]:
    """`n` unique varied participant sentences."""
    rng = random.Random(seed)
    source = base if base is not None else demo_sentences()
    seen: set[str] = set()
    out: list[str] = []
    while len(out) < n:
        text = _vary(rng.choice(source), rng)
        if text not in seen and len(text.split()) >= 3:
            seen.add(text)
            out.append(text)
    return out


def transcript_text(sentences: list[str], rng: random.Random) -> str:
    """An interview: a question, then an answer of 3 to 8 of the sentences, repeated."""
    parts: list[str] = []
    position = 0
    while position < len(sentences):
        take = rng.randint(3, 8)
        parts.append(f"Interviewer: {rng.choice(QUESTIONS)}")
        parts.append("Participant: " + " ".join(sentences[position : position + take]))
        position += take
    return "\n\n".join(parts) + "\n"


def add_transcripts(
    store: Store, project: Project, sentences: list[str], *, seed: int, prefix: str
) -> int:
    """Import the sentences as interviews and clear their review; returns transcripts added."""
    rng = random.Random(seed)
    uploads = []
    for number, start in enumerate(range(0, len(sentences), SEGMENTS_PER_TRANSCRIPT)):
        chunk = sentences[start : start + SEGMENTS_PER_TRANSCRIPT]
        text = transcript_text(chunk, rng)
        uploads.append(UploadedFile(f"{prefix}{number:04d}.txt", text.encode("utf-8")))
    for offset in range(0, len(uploads), 20):
        imported = import_transcripts(store, project.id, uploads[offset : offset + 20], actor=ACTOR)
        for item in imported:
            for finding in store.list_findings(transcript_id=item.transcript_id, status=PENDING):
                mark_not_personal(store, finding.id, actor=ACTOR)
    return len(uploads)


def build_study(path: Path, n: int, *, seed: int = 7) -> int:
    """A study database at `path` with about `n` cleared participant segments and the
    starter codebook; returns the number of participant segments."""
    from analysis.codebook import read_codebook_file, save_codebook_version
    from analysis.demo import STARTER_CODEBOOK

    store, project = open_study(path)
    try:
        save_codebook_version(
            store, project.id, read_codebook_file(STARTER_CODEBOOK), actor=ACTOR, note="starter"
        )
        add_transcripts(store, project, synthetic_segments(n, seed=seed), seed=seed, prefix="S")
        return len(participant_segments(store, project.id))
    finally:
        store.close()
