"""Themes and findings: group codes into themes, state findings with evidence quotes,
review and agree them. Evaluators see agreed themes and findings only."""

import streamlit as st

from analysis.access import Action
from analysis.codebook import code_tree, current_codebook
from analysis.errors import StudyError
from analysis.findings import (
    LIVED_EXPERIENCE,
    add_evidence,
    create_finding,
    list_findings,
    remove_evidence,
)
from analysis.outputs import add_comment, comments_on
from analysis.retrieve import retrieve_quotes
from analysis.themes import create_theme, list_themes, theme_overview, update_theme
from app_pages._cache import code_label, page_context
from app_pages._outputs import status_control

ctx = page_context(Action.EXPORT_SUMMARY)
st.title("Themes and findings")
_, codes = current_codebook(ctx.store, ctx.project.id)
tree = code_tree(codes)
names = {c.key: c.name for c in codes}
drafting = ctx.may(Action.DRAFT_OUTPUTS)


def _report(call: object) -> None:
    st.session_state["themes_notice"] = str(call)


if notice := st.session_state.pop("themes_notice", None):
    st.success(notice)

if drafting:
    with st.expander("New theme"), st.form("themes_new", clear_on_submit=True):
        name = st.text_input("Name", key="themes_new_name")
        narrative = st.text_area("Narrative", key="themes_new_description")
        keys = st.multiselect(
            "Codes (a code covers its sub-codes)",
            [c.key for c, _ in tree],
            format_func=lambda k: next(code_label(c.name, d) for c, d in tree if c.key == k),
            key="themes_new_codes",
        )
        if st.form_submit_button("Create theme", type="primary"):
            try:
                create_theme(ctx.store, ctx.project.id, name, narrative, keys, actor=ctx.user)
                _report(f"Theme '{name}' created")
                st.rerun()
            except StudyError as exc:
                st.error(str(exc))

themes = list_themes(ctx.store, ctx.project.id, actor=ctx.user)
if not themes:
    st.info("No themes yet." if drafting else "No agreed themes yet.")
    st.stop()

for theme in themes:
    overview = theme_overview(ctx.store, theme.id, actor=ctx.user)
    title = f"{theme.name} · {theme.status} · {overview.participants} participants"
    # Keyed, so a theme stays open while you work in it, even as its title changes.
    with st.expander(title, expanded=len(themes) == 1, key=f"themes_theme_{theme.id}"):
        st.write(theme.description or "_No narrative yet._")
        st.caption(
            f"Codes: {', '.join(n for _, n in overview.codes)} · {overview.transcripts} "
            f"transcripts · {overview.segments} segments"
        )
        for quote in overview.quotes:
            st.markdown(
                f"> {quote.coding.text}\n\n— {quote.participant or 'no participant'}, "
                f"{quote.source_name}"
            )
        if drafting:
            # A save is made on the revision this session last showed, not the one read on
            # the rerun the click starts: if someone saved the theme in between, the save
            # is refused ("changed since you opened it") instead of overwriting theirs.
            shown_key = f"themes_shown_revision_{theme.id}"
            shown = st.session_state.get(shown_key, theme.revision)
            with st.form(f"themes_edit_{theme.id}"):
                new_name = st.text_input("Name", theme.name, key=f"themes_name_{theme.id}")
                new_text = st.text_area(
                    "Narrative", theme.description, key=f"themes_text_{theme.id}"
                )
                new_keys = st.multiselect(
                    "Codes",
                    [c.key for c, _ in tree],
                    default=[k for k in theme.code_keys if k in names],
                    format_func=lambda k: names.get(k, k),
                    key=f"themes_codes_{theme.id}",
                )
                if st.form_submit_button("Save theme"):
                    try:
                        update_theme(
                            ctx.store, theme.id, name=new_name, description=new_text,
                            code_keys=new_keys, revision=shown, actor=ctx.user,
                        )  # fmt: skip
                        _report("Theme saved")
                        st.rerun()
                    except StudyError as exc:
                        st.error(str(exc))
            st.session_state[shown_key] = theme.revision
            status_control(ctx, "themes", theme.id, theme.status, key=f"themes_status_{theme.id}")
            for comment in comments_on(ctx.store, "themes", theme.id, actor=ctx.user):
                st.caption(f"{comment.author} ({comment.created_at}): {comment.body}")
            remark = st.text_input("Comment", key=f"themes_comment_{theme.id}")
            if st.button("Add comment", key=f"themes_comment_add_{theme.id}") and remark:
                add_comment(ctx.store, "themes", theme.id, remark, actor=ctx.user)
                st.rerun()

        st.markdown("#### Findings")
        if drafting:
            # The theme's coded quotes, read once for every finding's "add a quote" picker.
            labels = {
                q.coding.id: f"{q.participant}: {q.coding.text[:90]}"
                for q in retrieve_quotes(
                    ctx.store, ctx.project.id, list(theme.code_keys), actor=ctx.user
                )
            }
        for finding in list_findings(ctx.store, ctx.project.id, actor=ctx.user, theme_id=theme.id):
            with st.container(border=True, key=f"themes_finding_{finding.id}"):
                st.markdown(f"**{finding.statement}** · {finding.status}")
                st.caption(
                    f"{finding.participants} participants · {finding.transcripts} transcripts "
                    f"· {finding.segments} segments"
                    + (f" · lived experience: {', '.join(finding.lived_experience)}"
                       if finding.lived_experience else "")
                    + (f" · {finding.intersectional_note}" if finding.intersectional_note else "")
                )  # fmt: skip
                for item in finding.evidence:
                    st.markdown(f"> {item.quote}\n\n— {item.participant}, {item.source_name}")
                    if drafting and st.button(
                        "Remove quote", key=f"themes_unquote_{finding.id}_{item.coding_id}"
                    ):
                        remove_evidence(ctx.store, finding.id, item.coding_id, actor=ctx.user)
                        st.rerun()
                if finding.withheld:
                    st.caption(f"{finding.withheld} quote(s) withheld: no consent to quotation.")
                if drafting:
                    status_control(
                        ctx,
                        "findings",
                        finding.id,
                        finding.status,
                        key=f"themes_finding_status_{finding.id}",
                    )
                    pick = st.selectbox(
                        "Add an evidence quote",
                        [None, *labels],
                        format_func=lambda i, labels=labels: (
                            "(choose a coded quote)" if i is None else labels[i]
                        ),
                        key=f"themes_quote_{finding.id}",
                    )
                    if pick is not None and st.button(
                        "Add quote", key=f"themes_quote_add_{finding.id}"
                    ):
                        add_evidence(ctx.store, finding.id, pick, actor=ctx.user)
                        st.rerun()
        if drafting:
            with st.form(f"themes_new_finding_{theme.id}", clear_on_submit=True):
                statement = st.text_area("New finding", key=f"themes_statement_{theme.id}")
                tags = st.multiselect(
                    "Lived experience", LIVED_EXPERIENCE, key=f"themes_tags_{theme.id}"
                )
                note = st.text_input("Intersectional note", key=f"themes_note_{theme.id}")
                if st.form_submit_button("Add finding"):
                    try:
                        create_finding(
                            ctx.store, theme.id, statement, actor=ctx.user,
                            lived_experience=tags, intersectional_note=note,
                        )  # fmt: skip
                        _report("Finding added")
                        st.rerun()
                    except StudyError as exc:
                        st.error(str(exc))
