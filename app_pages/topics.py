"""Topics: find topics in the participant segments, see which codes they match, and propose
emergent topics as codes."""

from collections.abc import Callable

import streamlit as st

from analysis.access import Action
from analysis.embed import count_participant_segments
from analysis.errors import StudyError
from analysis.topics import (
    MIN_SEGMENTS,
    TopicRunResult,
    TopicSummary,
    fit_topics,
    list_topic_runs,
    propose_topic_as_code,
    topic_map,
    topic_overview,
    topic_participant_matrix,
    update_topics,
)
from app_pages._cache import page_context, shared_embedder

ctx = page_context(Action.RUN_TOPICS)
st.title("Topics")
st.caption(
    "Topics group what participants say across the cleared interviews (interviewer turns "
    "left out). Each topic is matched to the closest code of the codebook; a topic that "
    "matches none is emergent: a candidate code you can propose."
)
eligible = count_participant_segments(ctx.store, ctx.project.id)
runs = list_topic_runs(ctx.store, ctx.project.id)


def _progress_bar() -> Callable[[str, float], None]:
    bar = st.progress(0.0, text="Starting…")

    def update(stage: str, done: float) -> None:
        bar.progress(done, text=stage)

    return update


def _run(new: bool, seed: int) -> None:
    label = "Finding topics" if new else "Placing new segments in the latest run"
    with st.status(f"{label}…", expanded=True) as status:
        try:
            st.write("Loading the sentence model (cached after the first time)…")
            embedder = shared_embedder()
            progress = _progress_bar()
            if new:
                run = fit_topics(
                    ctx.store,
                    ctx.project.id,
                    embedder=embedder,
                    actor=ctx.user,
                    seed=seed,
                    progress=progress,
                )
                done = f"Run {run.run_id}: {len(run.topics)} topics"
            else:
                run = update_topics(
                    ctx.store,
                    ctx.project.id,
                    runs[0]["id"],
                    embedder=embedder,
                    actor=ctx.user,
                    progress=progress,
                )
                done = f"Run {run.run_id}: placed {run.placed} new segments"
        except StudyError as exc:
            status.update(label=str(exc), state="error")
            return
        status.update(label=done, state="complete", expanded=False)
    st.session_state["topics_run_pick"] = run.run_id


left, middle, right = st.columns([1, 1, 2])
seed = int(left.number_input("Seed", value=42, min_value=0, step=1, key="topics_seed"))
too_few = eligible < MIN_SEGMENTS
if middle.button("Run topics", key="topics_run", type="primary", disabled=too_few):
    _run(True, seed)
    runs = list_topic_runs(ctx.store, ctx.project.id)
if runs and right.button(
    "Place new segments in the latest run", key="topics_update", disabled=too_few
):
    _run(False, seed)
if too_few:
    st.info(
        f"Topics need at least {MIN_SEGMENTS} participant segments from interviews that "
        f"passed the PII review; the study has {eligible}."
    )
if not runs:
    st.info("No topic runs yet: press **Run topics** to find them (about a minute at most).")
    st.stop()

run_labels = {
    r["id"]: f"Run {r['id']} · {r['created_at']} · by {r['created_by']} · seed {r['seed']} · "
    f"{r['segment_count']} segments · {r['pipeline']}"
    for r in runs
}
run_id = st.selectbox(
    "Topic run", list(run_labels), format_func=run_labels.__getitem__, key="topics_run_pick"
)
result: TopicRunResult = topic_overview(ctx.store, run_id)
matched = [t for t in result.topics if not t.is_emergent]
a, b, c, d = st.columns(4)
a.metric("Topics", len(result.topics))
b.metric("Matched to codes", len(matched))
c.metric("Emergent", len(result.emergent))
d.metric("Unassigned segments", result.outliers)


def _match(topic: TopicSummary) -> str:
    if topic.is_emergent:
        return "emergent" + (f" (proposed as {topic.proposed_as})" if topic.proposed_as else "")
    return f"{topic.code_name or topic.code_key} ({topic.code_key})"


st.subheader("Topics")
st.dataframe(
    [
        {
            "topic": t.topic_num,
            "size": t.size,
            "keywords": ", ".join(t.keywords[:8]),
            "code": _match(t),
            "score": t.score,
        }
        for t in result.topics
    ],
    hide_index=True,
    key="topics_table",
    column_config={
        "topic": st.column_config.NumberColumn(width="small"),
        "size": st.column_config.NumberColumn(width="small"),
        "keywords": st.column_config.TextColumn(width="large"),
        "code": st.column_config.TextColumn("matched code", width="medium"),
        "score": st.column_config.NumberColumn("similarity", format="%.2f", width="small"),
    },
)

st.subheader("Representative quotes")
for topic in result.topics:
    with st.expander(f"Topic {topic.topic_num}: {topic.label} · {topic.size} · {_match(topic)}"):
        st.caption("Keywords: " + ", ".join(topic.keywords))
        for quote in topic.quotes:
            st.markdown(f"> {quote.text}")
        if not topic.is_emergent or topic.proposed_as:
            continue
        name = st.text_input(
            "Name of the new code",
            value="Emergent: " + ", ".join(topic.keywords[:3]),
            key=f"topics_name_{run_id}_{topic.topic_num}",
        )
        if st.button("Propose as code", key=f"topics_propose_{run_id}_{topic.topic_num}"):
            try:
                spec = propose_topic_as_code(
                    ctx.store, ctx.project.id, run_id, topic.topic_num, actor=ctx.user, name=name
                )
                st.success(f"Proposed '{spec.name}' ({spec.key}) in a new codebook version.")
            except StudyError as exc:
                st.error(str(exc))

st.subheader("Map of segments")
points = topic_map(ctx.store, run_id)
if points.empty:
    st.info("No embeddings cached for this run's segments.")
else:
    import plotly.express as px

    names = {t.topic_num: f"{t.topic_num}: {t.label}" for t in result.topics}
    points["topic label"] = [names.get(t, "unassigned") for t in points["topic"]]
    order = [names[n] for n in sorted(names)] + ["unassigned"]
    palette = px.colors.qualitative.Dark24 + px.colors.qualitative.Light24
    colours = {name: palette[i % len(palette)] for i, name in enumerate(order[:-1])}
    figure = px.scatter(
        points,
        x="x",
        y="y",
        color="topic label",
        category_orders={"topic label": order},
        color_discrete_map={**colours, "unassigned": "#c8c8c8"},
        hover_data={"participant": True, "text": True, "x": False, "y": False},
        render_mode="webgl",
        height=560,
    )
    figure.update_traces(marker={"size": 6, "opacity": 0.8})
    figure.update_layout(xaxis_title=None, yaxis_title=None, legend_title_text="topic")
    largest = ", ".join(f"{t.label} ({t.size})" for t in result.topics[:5])
    how = (
        "a 2-D projection of the space the topics were found in"
        if points.attrs.get("projection") == "topic space"
        else "a 2-D projection (PCA) of their sentence embeddings"
    )
    shown = (
        f"{len(points)} segments"
        if len(points) >= points.attrs.get("assigned", 0)
        else f"A sample of {len(points)} of the {points.attrs['assigned']} assigned segments "
        "(each topic in its proportion)"
    )
    described = (
        f"{shown} placed by {how}, coloured by topic (grey: unassigned); "
        f"nearby points say similar things. {len(result.topics)} topics, "
        f"{result.outliers} segments unassigned. Largest topics: {largest}."
    )
    st.plotly_chart(figure, key="topics_map", alt=described)
    st.caption("Text alternative: " + described)

st.subheader("Topics by participant")
matrix = topic_participant_matrix(ctx.store, run_id)
if matrix.empty:
    st.info("No segments are assigned to topics in this run.")
else:
    import plotly.express as px

    labels = {t.topic_num: f"{t.topic_num}: {t.label}" for t in result.topics}
    matrix.index = [labels.get(n, str(n)) for n in matrix.index]
    heatmap = px.imshow(
        matrix,
        aspect="auto",
        color_continuous_scale="Blues",
        labels={"x": "participant", "y": "topic", "color": "segments"},
        height=max(320, 24 * len(matrix)),
    )
    spread = (matrix > 0).sum(axis=1)
    single = [name for name, count in spread.items() if count == 1]
    described = (
        f"Counts of segments for {len(matrix)} topics (rows) and {len(matrix.columns)} "
        "participants (columns). Topics voiced by the most participants: "
        + ", ".join(f"{name} ({count})" for name, count in spread.nlargest(3).items())
        + (f". Topics from one participant only: {', '.join(single)}." if single else ".")
    )
    st.plotly_chart(heatmap, key="topics_heatmap", alt=described)
    st.caption("Text alternative: " + described)
