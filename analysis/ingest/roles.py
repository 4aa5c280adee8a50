"""A first guess at who interviewed and who was interviewed; users can change it."""

from __future__ import annotations

import re

from analysis.ingest.layout import PREAMBLE_SPEAKER
from analysis.models import INTERVIEWER, PARTICIPANT, ParsedTranscript

_INTERVIEWER = re.compile(
    r"^(?:int|iv|ivr|i|q|interviewer|researcher|peer researcher|moderator|facilitator|host)"
    r"\s*[-#]?\s*\d{0,3}$|\binterviewer\b|\bresearcher\b|\bmoderator\b|\bfacilitator\b",
    re.IGNORECASE,
)
_PARTICIPANT = re.compile(
    r"^(?:p|r|a|s|resp|respondent|interviewee|participant|student|guest)\s*[-#]?\s*\d{0,3}$"
    r"|\bparticipant\b|\binterviewee\b|\brespondent\b",
    re.IGNORECASE,
)


def guess_speaker_roles(parsed: ParsedTranscript) -> dict[str, str]:
    """Map each speaker label to `interviewer` or `participant`.

    Role words decide first (`INT`, `Interviewer`, `P3`, `Respondent`). Speakers left
    over take the other role when one side is already known; with no role words at
    all, the speaker who asks the largest share of questions is the interviewer.

    Example:
        >>> guess_speaker_roles(parsed)  # `INT:` / `P3:` labels
        {'INT': 'interviewer', 'P3': 'participant'}
    """
    roles: dict[str, str] = {}
    unknown = []
    for speaker in parsed.speakers:
        if speaker == PREAMBLE_SPEAKER or _INTERVIEWER.search(speaker):
            roles[speaker] = INTERVIEWER
        elif _PARTICIPANT.search(speaker):
            roles[speaker] = PARTICIPANT
        else:
            unknown.append(speaker)
    if not unknown:
        return roles
    known = {role for speaker, role in roles.items() if speaker != PREAMBLE_SPEAKER}
    if known == {PARTICIPANT}:
        return roles | dict.fromkeys(unknown, INTERVIEWER)
    if INTERVIEWER in known or len(unknown) == 1:
        return roles | dict.fromkeys(unknown, PARTICIPANT)
    questioner = max(
        unknown, key=lambda speaker: (_question_share(parsed, speaker), -unknown.index(speaker))
    )
    return roles | {s: INTERVIEWER if s == questioner else PARTICIPANT for s in unknown}


def _question_share(parsed: ParsedTranscript, speaker: str) -> float:
    spoken = [parsed.text[t.start : t.end] for t in parsed.turns if t.speaker == speaker]
    return sum("?" in words for words in spoken) / max(1, len(spoken))
