"""Transcript: read a transcript as speaker turns, code segments or exact words."""

import streamlit as st

from analysis.access import Action
from analysis.codebook import code_tree, current_codebook
from analysis.coding import apply_code, codings_for_transcript, remove_coding
from analysis.errors import StudyError
from analysis.highlight import render_turn_html
from analysis.models import SPEAKER_ROLES
from analysis.review import is_cleared
from analysis.rounds import list_rounds
from analysis.transcripts import attach_participant, set_speaker_role, transcript_view
from app_pages._cache import code_label, page_context
from app_pages._suggest_panel import render_suggestions

ctx = page_context(Action.SEE_TRANSCRIPTS)
st.title("Transcript")
transcripts = ctx.store.list_transcripts(ctx.project.id)
if not transcripts:
    st.info("No transcripts yet: import some on the Import page.")
    st.stop()

chosen = st.selectbox(
    "Transcript",
    transcripts,
    key="transcript_pick",
    format_func=lambda t: f"{t.source_name} ({t.participant or 'no participant'})",
)
transcript, turns, segments = transcript_view(ctx.store, chosen.id, actor=ctx.user)
needs_review = not is_cleared(transcript)
if needs_review:
    st.warning(
        f"{transcript.source_name} needs PII review before it can be coded: settle its "
        "possible identifiers on the Review page."
    )
blind_round = next(
    (
        r
        for r in list_rounds(ctx.store, ctx.project.id)
        if r.status == "open" and transcript.id in r.transcript_ids
    ),
    None,
)
if blind_round is not None:
    if ctx.user in blind_round.coders:
        st.info(
            f"Reliability round '{blind_round.name}' is open: you code this transcript blind "
            "and see only your own codings until the lead closes the round."
        )
    elif not ctx.may(Action.OPEN_ROUND):
        st.info(
            f"Reliability round '{blind_round.name}' is open on this transcript: only its "
            f"coders ({', '.join(blind_round.coders)}) code it until it closes."
        )
numbers = {segment.id: number for number, segment in enumerate(segments, start=1)}
texts = {segment.id: segment.text for segment in segments}

with st.expander("Speakers and participant"):
    for index, speaker in enumerate(ctx.store.list_speakers(transcript.id)):
        role = st.selectbox(
            f"Role of '{speaker.label}'",
            SPEAKER_ROLES,
            index=SPEAKER_ROLES.index(speaker.role),
            key=f"transcript_role_{transcript.id}_{index}",
        )
        if role != speaker.role:
            try:
                set_speaker_role(ctx.store, transcript.id, speaker.label, role, actor=ctx.user)
                st.rerun()
            except StudyError as exc:
                st.error(str(exc))
    pseudonym = st.text_input(
        "Participant", value=transcript.participant or "", key="transcript_participant"
    )
    if st.button("Save participant", key="transcript_save_participant"):
        try:
            attach_participant(ctx.store, transcript.id, pseudonym, actor=ctx.user)
            st.rerun()
        except StudyError as exc:
            st.error(str(exc))

all_codings = codings_for_transcript(ctx.store, transcript.id, actor=ctx.user)
coders = sorted({c.coder for c in all_codings} | {ctx.user})
shown = st.multiselect("Show codings by", coders, default=coders, key="transcript_coders")
codings = [c for c in all_codings if c.coder in shown]

reading, coding_panel = st.columns([3, 2])
# The transcript scrolls on its own, so the coding panel stays in view beside it.
with reading, st.container(height=720, key="transcript_reading"):
    st.markdown(
        "<style>.turn{margin-bottom:.8rem}.seg{color:#555;font-size:.7rem;margin-right:2px}"
        "mark{background:#fde68a;color:#111}.code-chip{background:#1e3a8a;color:#fff;"
        "border-radius:4px;padding:0 4px;font-size:.75rem}</style>",
        unsafe_allow_html=True,
    )
    for turn in turns:
        body = render_turn_html(transcript.text, turn, segments, codings, segment_numbers=numbers)
        stamp = f" <small>[{turn.timestamp}]</small>" if turn.timestamp else ""
        role = "" if turn.role == "participant" else " <small>(interviewer)</small>"
        st.markdown(
            f'<div class="turn"><b>{turn.speaker}</b>{role}{stamp}: {body}</div>',
            unsafe_allow_html=True,
        )

with coding_panel:
    version, codes = current_codebook(ctx.store, ctx.project.id)
    tree = code_tree(codes)
    st.subheader("Code")
    picked_segments = st.multiselect(
        "Segments",
        [s.id for s in segments],
        key="transcript_segments",
        format_func=lambda sid: f"{numbers[sid]}: {texts[sid][:70]}",
    )
    words = st.text_input("…or exact words from the transcript", key="transcript_words")
    code_key = st.selectbox(
        "Code (type to search)",
        [c.key for c, _ in tree],
        key="transcript_code",
        format_func=lambda key: next(code_label(c.name, d) for c, d in tree if c.key == key),
    )
    memo = st.text_area("Memo (optional)", key="transcript_memo", height=80)
    if st.button(
        "Apply code",
        type="primary",
        key="transcript_apply",
        disabled=not code_key or needs_review,
    ):
        try:
            for segment_id in picked_segments:
                apply_code(
                    ctx.store,
                    code_key=code_key,
                    coder=ctx.user,
                    segment_id=segment_id,
                    memo=memo or None,
                )
            if words.strip():
                start = transcript.text.find(words.strip())
                if start < 0:
                    raise StudyError("those exact words are not in this transcript")
                apply_code(
                    ctx.store,
                    code_key=code_key,
                    coder=ctx.user,
                    transcript_id=transcript.id,
                    start_char=start,
                    end_char=start + len(words.strip()),
                    memo=memo or None,
                )
            if not picked_segments and not words.strip():
                raise StudyError("pick segments or type the exact words to code")
            st.rerun()
        except StudyError as exc:
            st.error(str(exc))

    if not needs_review:
        render_suggestions(ctx, transcript, numbers, {c.key: c.name for c in codes})

    st.subheader("Codings")
    mine = [c for c in codings if c.coder == ctx.user]
    for coding in codings:
        left, right = st.columns([5, 1])
        left.markdown(f"**{coding.code_name}** · {coding.coder} — “{coding.text[:90]}”")
        if coding in mine and right.button("Remove", key=f"transcript_remove_{coding.id}"):
            remove_coding(ctx.store, coding.id, actor=ctx.user)
            st.rerun()
