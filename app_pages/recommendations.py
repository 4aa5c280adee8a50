"""Recommendations for university, NHS and students' union partners, each resting on
findings, with the chain back to participants' words."""

import streamlit as st

from analysis.access import Action
from analysis.errors import StudyError
from analysis.findings import list_findings
from analysis.recommendations import (
    PARTNERS,
    PRIORITIES,
    SPEQS_DOMAINS,
    create_recommendation,
    list_recommendations,
    traceability,
)
from app_pages._cache import page_context
from app_pages._outputs import status_control

ctx = page_context(Action.EXPORT_SUMMARY)
st.title("Recommendations")
findings = {f.id: f for f in list_findings(ctx.store, ctx.project.id, actor=ctx.user)}

if ctx.may(Action.DRAFT_OUTPUTS):
    with st.expander("New recommendation"), st.form("recommendations_new", clear_on_submit=True):
        text = st.text_area("Recommendation", key="recommendations_text")
        resting = st.multiselect(
            "Rests on findings (at least one)",
            list(findings),
            format_func=lambda i: f"{findings[i].theme}: {findings[i].statement}",
            key="recommendations_findings",
        )
        domain = st.selectbox("SPEQS domain", SPEQS_DOMAINS, key="recommendations_domain")
        partner = st.selectbox("For", PARTNERS, key="recommendations_partner")
        priority = st.selectbox("Priority", PRIORITIES, key="recommendations_priority")
        if st.form_submit_button("Add recommendation", type="primary"):
            try:
                create_recommendation(
                    ctx.store, ctx.project.id, text, resting, speqs_domain=domain,
                    partner=partner, priority=priority, actor=ctx.user,
                )  # fmt: skip
                st.rerun()
            except StudyError as exc:
                st.error(str(exc))

recommendations = list_recommendations(ctx.store, ctx.project.id, actor=ctx.user)
if not recommendations:
    st.info("No recommendations yet.")
for domain in SPEQS_DOMAINS:
    mine = [r for r in recommendations if r.speqs_domain == domain]
    if not mine:
        continue
    st.subheader(domain.capitalize())
    for rec in mine:
        with st.container(border=True, key=f"recommendation_{rec.id}"):
            st.markdown(f"**{rec.text}**")
            st.caption(f"For {rec.partner} · priority {rec.priority} · {rec.status}")
            _, chain = traceability(ctx.store, rec.id, actor=ctx.user)
            for finding in chain:
                st.markdown(f"Finding ({finding.theme}): {finding.statement}")
                for item in finding.evidence:
                    st.caption(
                        f"“{item.quote}” — {item.participant}, {item.source_name}, "
                        f"characters {item.start_char}-{item.end_char}"
                    )
            if ctx.may(Action.DRAFT_OUTPUTS):
                status_control(
                    ctx,
                    "recommendations",
                    rec.id,
                    rec.status,
                    key=f"recommendations_status_{rec.id}",
                )
