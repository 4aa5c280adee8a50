"""Codebook: browse the code tree, edit codes (each save is a new version), import/export."""

import itertools

import streamlit as st

from analysis.access import Action
from analysis.codebook import (
    CodeSpec,
    code_to_spec,
    code_tree,
    codebook_to_csv,
    codebook_to_yaml,
    current_codebook,
    diff_codebooks,
    parse_codebook,
    remove_code,
    save_code,
    save_codebook_version,
    slugify,
)
from analysis.errors import StudyError
from app_pages._cache import code_label, page_context

ctx = page_context(Action.SEE_CODINGS)
st.title("Codebook")
version, codes = current_codebook(ctx.store, ctx.project.id)
tree = code_tree(codes)

if version:
    st.caption(
        f"Version {version.version} · {version.name} · {version.note} · by {version.created_by}"
    )
search = st.text_input("Search codes", key="codebook_search").strip().lower()
for code, depth in tree:
    haystack = " ".join(
        [code.name, code.key, code.definition, code.include_rule, code.example]
    ).lower()
    if search and search not in haystack:
        continue
    proposed = " (proposed)" if code.status != "active" else ""
    title = f"{code_label(code.name, depth)} `{code.key}`{proposed}"
    with st.expander(title):
        st.markdown(
            f"**Definition:** {code.definition}\n\n**When to use:** {code.include_rule}\n\n"
            f"**When not to use:** {code.exclude_rule}\n\n**Example:** _{code.example}_"
        )

st.divider()
st.subheader("Add or edit a code")
keys = [c.key for c, _ in tree]
editing = st.selectbox("Code", ["(new code)", *keys], key="codebook_edit_pick")
current = next((code_to_spec(c) for c in codes if c.key == editing), None)
with st.form("codebook_form"):
    name = st.text_input("Name", value=current.name if current else "", key="codebook_name")
    parent_options = ["(top level)", *[k for k in keys if k != editing]]
    parent = st.selectbox(
        "Parent",
        parent_options,
        key="codebook_parent",
        index=parent_options.index(current.parent) if current and current.parent else 0,
    )
    definition = st.text_area(
        "Definition", value=current.definition if current else "", key="codebook_definition"
    )
    include = st.text_area(
        "When to use", value=current.include if current else "", key="codebook_include"
    )
    exclude = st.text_area(
        "When not to use", value=current.exclude if current else "", key="codebook_exclude"
    )
    example = st.text_input(
        "Example quote", value=current.example if current else "", key="codebook_example"
    )
    if st.form_submit_button("Save as new version", type="primary"):
        spec = CodeSpec(
            key=current.key if current else slugify(name),
            name=name.strip(),
            definition=definition,
            include=include,
            exclude=exclude,
            example=example,
            parent=None if parent == "(top level)" else parent,
        )
        try:
            saved = save_code(ctx.store, ctx.project.id, spec, actor=ctx.user)
            st.success(f"Saved: codebook version {saved.version}")
            st.rerun()
        except StudyError as exc:
            st.error(str(exc))
if current and st.button(f"Remove '{current.name}' from the next version", key="codebook_remove"):
    try:
        remove_code(ctx.store, ctx.project.id, current.key, actor=ctx.user)
        st.rerun()
    except StudyError as exc:
        st.error(str(exc))

st.divider()
st.subheader("Import and export")
specs = [code_to_spec(c) for c in codes]
left, right = st.columns(2)
left.download_button(
    "Download YAML",
    codebook_to_yaml(version.name if version else "Codebook", specs),
    file_name="codebook.yaml",
    key="codebook_download_yaml",
    disabled=not codes,
)
right.download_button(
    "Download CSV",
    codebook_to_csv(specs),
    file_name="codebook.csv",
    key="codebook_download_csv",
    disabled=not codes,
)
uploaded = st.file_uploader(
    "Import a codebook (.yaml or .csv) as a new version",
    type=["yaml", "yml", "csv"],
    key="codebook_upload",
)
if uploaded is not None and st.button("Import codebook", key="codebook_import"):
    try:
        draft = parse_codebook(uploaded.name, uploaded.getvalue())
        saved = save_codebook_version(
            ctx.store, ctx.project.id, draft, actor=ctx.user, note=f"imported {uploaded.name}"
        )
        st.success(f"Imported {len(draft.codes)} codes as version {saved.version}")
    except StudyError as exc:
        st.error(str(exc))

versions = ctx.store.list_codebook_versions(ctx.project.id)
if len(versions) > 1:
    st.subheader("History")
    for older, newer in itertools.pairwise(versions):
        change = diff_codebooks(ctx.store.list_codes(older.id), ctx.store.list_codes(newer.id))
        summary = "; ".join(f"{kind}: {', '.join(keys)}" for kind, keys in change.items() if keys)
        st.markdown(
            f"**v{newer.version}** by {newer.created_by} ({newer.created_at}): {summary or 'no change'}"
        )

st.divider()
st.subheader("How far to trust suggestions here")
st.caption(
    "Each transcript's codings are hidden in turn and suggestions are made from the codebook "
    "and the other transcripts' codings; hit@1 is how often the top suggestion is a code a "
    "person gave, hit@3 how often one of the top three is. The baseline always suggests the "
    "most used codes."
)
if st.button("Check suggestions against our codings", key="codebook_quality"):
    from analysis.suggestions import study_suggestion_quality
    from app_pages._cache import shared_embedder

    with st.spinner("Scoring suggestions…"):
        quality = study_suggestion_quality(ctx.store, ctx.project.id, embedder=shared_embedder())
    if quality.passages == 0:
        st.info("No codings yet: code some segments first.")
    else:
        cols = st.columns(4)
        cols[0].metric(
            "hit@1",
            f"{quality.hit_at_1:.2f}",
            f"{quality.hit_at_1 - quality.frequency_baseline_hit_at_1:+.2f} vs baseline",
        )
        cols[1].metric(
            "hit@3",
            f"{quality.hit_at_3:.2f}",
            f"{quality.hit_at_3 - quality.frequency_baseline_hit_at_3:+.2f} vs baseline",
        )
        cols[2].metric("Coded passages", quality.passages)
        cols[3].metric("Codes", quality.codes)
