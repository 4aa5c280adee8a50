"""The evidence summary: what the study agreed, as a document that leaves the project.

`build_summary` gathers a plain data model through the same permission-checked
functions the app uses (so an evaluator's summary holds what an evaluator may read);
`analysis.summary_docx` and `analysis.summary_markdown` render it, and `write_summary`
writes one file. Two rules hold whoever exports:

- only agreed themes, findings and recommendations, unless a project lead asks for a
  draft, which then holds items of every status, each labelled, and is marked DRAFT;
- no quote from a participant who did not agree to be quoted (they are counted as
  withheld), and intersectional cells below the project's k read "suppressed".
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from analysis.access import Action, allowed, require
from analysis.charts import Figure, summary_figures
from analysis.codebook import current_codebook
from analysis.consent import quotable_participants
from analysis.errors import InvalidRequestError, NotFoundError, PermissionDeniedError
from analysis.findings import Finding, list_findings
from analysis.intersect import Matrix, intersection_matrix
from analysis.outputs import AGREED
from analysis.recommendations import PARTNERS, SPEQS_DOMAINS, list_recommendations, traceability
from analysis.review import is_cleared
from analysis.rounds import CLOSED, list_rounds
from analysis.spreadsheets import write_bytes
from analysis.storage import Store, now_utc
from analysis.themes import list_themes, theme_overview
from analysis.topic_views import latest_topic_run

FORMATS = ("docx", "md", "html")
DRAFT_MARK = "DRAFT: not agreed, not for circulation"
MAX_DEFAULT_ATTRIBUTES = 1  # as the Intersections page opens: the first attribute by name

_Filter = Callable[[str], bool]  # status -> whether an item goes in


@dataclass(frozen=True)
class StudyDetails:
    name: str
    description: str
    exported_at: str
    exported_by: str
    exporter_role: str


@dataclass(frozen=True)
class RoundFigures:
    """A closed reliability round's overall figures, as stored when it closed."""

    name: str
    closed_at: str | None
    coders: tuple[str, ...]
    transcripts: int | None
    segments: int | None
    percent_agreement: float | None  # share in [0, 1]
    cohen_kappa: float | None
    krippendorff_alpha: float | None
    disagreements: int | None


@dataclass(frozen=True)
class TopicRunNote:
    id: int
    created_at: str
    topics: int
    segments: int
    pipeline: str


@dataclass(frozen=True)
class Methods:
    transcripts: int
    transcripts_cleared: int
    participants: int  # active: withdrawn participants' data are deleted
    withdrawn: int
    coders: tuple[str, ...]  # accounts that made codings
    codebook_version: int | None
    codebook_name: str
    codes: int
    topic_run: TopicRunNote | None
    rounds: tuple[RoundFigures, ...]
    min_cell_size: int


@dataclass(frozen=True)
class SummaryQuote:
    text: str
    participant: str | None
    transcript: str
    start: int
    end: int

    @property
    def attribution(self) -> str:
        """`— Amber, P01.txt, characters 120–245` (1-based, inclusive)."""
        who = self.participant or "participant not recorded"
        return f"— {who}, {self.transcript}, characters {self.start + 1}–{self.end}"


@dataclass(frozen=True)
class SummaryFinding:
    ref: str  # F1, F2, ... in document order
    id: int
    statement: str
    status: str
    lived_experience: tuple[str, ...]
    intersectional_note: str
    participants: int
    transcripts: int
    segments: int
    quotes: tuple[SummaryQuote, ...]
    withheld: int  # quotes left out: their participant did not agree to be quoted


@dataclass(frozen=True)
class SummaryTheme:
    id: int
    name: str
    narrative: str
    status: str
    codes: tuple[str, ...]
    participants: int
    transcripts: int
    segments: int
    findings: tuple[SummaryFinding, ...]


@dataclass(frozen=True)
class TraceLink:
    """A finding a recommendation rests on; `ref` is None when it is not in the summary
    (its theme is not included)."""

    ref: str | None
    statement: str
    status: str


@dataclass(frozen=True)
class SummaryRecommendation:
    ref: str  # R1, R2, ...
    id: int
    text: str
    priority: str
    status: str
    rests_on: tuple[TraceLink, ...]
    not_shown: int  # findings it rests on that this summary may not show (not agreed)


@dataclass(frozen=True)
class RecommendationGroup:
    domain: str
    partner: str
    recommendations: tuple[SummaryRecommendation, ...]


@dataclass(frozen=True)
class EvidenceSummary:
    study: StudyDetails
    methods: Methods
    themes: tuple[SummaryTheme, ...]
    matrix: Matrix | None  # themes x attribute groups, suppression applied
    matrix_note: str  # why there is no matrix, when there is none
    recommendations: tuple[RecommendationGroup, ...]
    draft: bool

    @property
    def title(self) -> str:
        return f"Evidence summary: {self.study.name}"

    @property
    def findings(self) -> tuple[SummaryFinding, ...]:
        return tuple(f for theme in self.themes for f in theme.findings)


def build_summary(
    store: Store,
    project_id: int,
    *,
    actor: str,
    draft: bool = False,
    by: Sequence[str] | None = None,
) -> EvidenceSummary:
    """Everything the evidence summary shows, read with `actor`'s permissions.

    Args:
        store: the open study.
        project_id: the project.
        actor: the exporting account (every role may export a summary).
        draft: include items of every status, each labelled (project leads only).
        by: one to three participant attributes for the intersectional table; default
            the first attribute by name, as the Intersections page opens.

    Raises:
        PermissionDeniedError: unknown or inactive account; a draft asked for by
            someone who is not a project lead.
        InvalidRequestError: an unknown attribute in `by`.

    Example:
        >>> summary = build_summary(store, 1, actor="evaluator")
        >>> [f.statement for f in summary.findings]
    """
    user = require(store, actor, Action.EXPORT_SUMMARY)
    if draft:
        require(store, actor, Action.SEE_DRAFTS)
        # A draft carries items nobody has agreed yet; putting it in front of partners
        # is the call of the person who agrees them.
        if not allowed(user.role, Action.AGREE_OUTPUTS):
            raise PermissionDeniedError(
                f"{user.name} ({user.role}) may not export a draft evidence summary: "
                "only a project lead may"
            )
    project = next((p for p in store.list_projects() if p.id == project_id), None)
    if project is None:
        raise NotFoundError(f"project {project_id} does not exist")

    def included(status: str) -> bool:
        return draft or status == AGREED

    themes = _themes(store, project_id, actor=actor, included=included)
    theme_ids = {t.id for t in themes}
    refs = {f.id: f.ref for t in themes for f in t.findings}
    matrix, note = _matrix(store, project_id, actor=actor, by=by, theme_ids=theme_ids)
    return EvidenceSummary(
        StudyDetails(project.name, project.description, now_utc(), user.name, user.role),
        _methods(store, project_id),
        themes,
        matrix,
        note,
        _recommendations(store, project_id, actor=actor, included=included, refs=refs),
        draft,
    )


def _themes(
    store: Store, project_id: int, *, actor: str, included: _Filter
) -> tuple[SummaryTheme, ...]:
    findings: dict[int, list[Finding]] = {}
    for finding in list_findings(store, project_id, actor=actor):
        if included(finding.status):
            findings.setdefault(finding.theme_id, []).append(finding)
    owners = {t["id"]: t["participant_id"] for t in store.list_transcript_owners(project_id)}
    quotable = quotable_participants(store, project_id)
    themes, number = [], 0
    for theme in list_themes(store, project_id, actor=actor):
        if not included(theme.status):
            continue
        overview = theme_overview(store, theme.id, actor=actor)
        summarised = []
        for finding in findings.get(theme.id, []):
            number += 1
            summarised.append(_finding(finding, f"F{number}", owners, quotable))
        themes.append(
            SummaryTheme(
                theme.id,
                theme.name,
                theme.description,
                theme.status,
                tuple(name for _, name in overview.codes),
                overview.participants,
                overview.transcripts,
                overview.segments,
                tuple(summarised),
            )
        )
    return tuple(themes)


def _finding(
    finding: Finding, ref: str, owners: dict[int, int | None], quotable: set[int]
) -> SummaryFinding:
    # The finding a lead reads has every quote; a summary leaves the project, so the
    # consent rule applies here too, whoever exports.
    quotes = [e for e in finding.evidence if owners.get(e.transcript_id) in quotable]
    return SummaryFinding(
        ref,
        finding.id,
        finding.statement,
        finding.status,
        finding.lived_experience,
        finding.intersectional_note,
        finding.participants,
        finding.transcripts,
        finding.segments,
        tuple(
            SummaryQuote(e.quote, e.participant, e.source_name, e.start_char, e.end_char)
            for e in quotes
        ),
        finding.withheld + len(finding.evidence) - len(quotes),
    )


def _methods(store: Store, project_id: int) -> Methods:
    transcripts = store.list_transcripts(project_id)
    version, codes = current_codebook(store, project_id)
    run = latest_topic_run(store, project_id)
    codings = store.list_codings(project_id=project_id, include_superseded=True)
    rounds = []
    for round_ in list_rounds(store, project_id):
        if round_.status != CLOSED:
            continue
        results = round_.results or {}
        overall = results.get("overall") or {}
        rounds.append(
            RoundFigures(
                round_.name,
                round_.closed_at,
                round_.coders,
                results.get("transcripts"),
                results.get("segments"),
                overall.get("percent_agreement"),
                overall.get("cohen_kappa"),
                overall.get("krippendorff_alpha"),
                results.get("disagreements"),
            )
        )
    return Methods(
        len(transcripts),
        sum(1 for t in transcripts if is_cleared(t)),
        len(store.list_participants(project_id)),
        len(store.withdrawn_pseudonyms(project_id)),
        tuple(sorted({c.coder for c in codings})),
        version.version if version else None,
        version.name if version else "",
        len(codes),
        None
        if run is None
        else TopicRunNote(run.run_id, run.created_at, len(run.topics), run.segment_count,
                          run.pipeline),
        tuple(rounds),
        store.project_min_cell_size(project_id),
    )  # fmt: skip


def default_attributes(store: Store, project_id: int) -> list[str]:
    """The attributes the summary's table uses when none are chosen: the first by name
    that any participant has a value for (as the Intersections page opens)."""
    names = sorted({n for p in store.list_participants(project_id) for n in p.attributes})
    return names[:MAX_DEFAULT_ATTRIBUTES]


def _matrix(
    store: Store,
    project_id: int,
    *,
    actor: str,
    by: Sequence[str] | None,
    theme_ids: set[int],
) -> tuple[Matrix | None, str]:
    attributes = list(by) if by else default_attributes(store, project_id)
    if not attributes:
        return None, "No participant attributes are recorded, so there is no intersectional table."
    if not theme_ids:
        return None, "There are no themes in this summary to count by participant attributes."
    matrix = intersection_matrix(store, project_id, rows="themes", by=attributes, actor=actor)
    rows = tuple(row for row in matrix.rows if row.theme_id in theme_ids)
    return Matrix(matrix.rows_kind, matrix.attributes, matrix.k, matrix.columns, rows), ""


def _recommendations(
    store: Store, project_id: int, *, actor: str, included: _Filter, refs: dict[int, str]
) -> tuple[RecommendationGroup, ...]:
    chosen = [r for r in list_recommendations(store, project_id, actor=actor) if included(r.status)]
    priority = {"high": 0, "medium": 1, "low": 2}
    groups = []
    number = 0
    for domain in SPEQS_DOMAINS:
        for partner in PARTNERS:
            here = sorted(
                (r for r in chosen if r.speqs_domain == domain and r.partner == partner),
                key=lambda r: (priority.get(r.priority, 3), r.id),
            )
            items = []
            for recommendation in here:
                number += 1
                _, findings = traceability(store, recommendation.id, actor=actor)
                shown = [f for f in findings if included(f.status)]
                items.append(
                    SummaryRecommendation(
                        f"R{number}",
                        recommendation.id,
                        recommendation.text,
                        recommendation.priority,
                        recommendation.status,
                        tuple(TraceLink(refs.get(f.id), f.statement, f.status) for f in shown),
                        len(recommendation.finding_ids) - len(shown),
                    )
                )
            if items:
                groups.append(RecommendationGroup(domain, partner, tuple(items)))
    return tuple(groups)


# -- writing -----------------------------------------------------------------------------------


def summary_markdown(
    summary: EvidenceSummary,
    *,
    figures: Mapping[str, Figure] | None = None,
    image_links: Mapping[str, str] | None = None,
) -> str:
    """The summary as Markdown; see `analysis.summary_markdown.summary_markdown`."""
    from analysis.summary_markdown import summary_markdown as render

    return render(summary, figures=figures, image_links=image_links)


def summary_html(
    summary: EvidenceSummary,
    *,
    figures: Mapping[str, Figure] | None = None,
    fragment: bool = False,
) -> str:
    """The summary as HTML; see `analysis.summary_markdown.summary_html` (`fragment=True`
    for a styled element to embed in a page, such as the app's preview)."""
    from analysis.summary_markdown import summary_html as render

    return render(summary, figures=figures, fragment=fragment)


def summary_docx(summary: EvidenceSummary) -> bytes:
    """The summary as DOCX bytes; see `analysis.summary_docx.summary_docx`."""
    from analysis.summary_docx import summary_docx as render

    return render(summary)


def write_summary(
    store: Store,
    project_id: int,
    path: str | Path,
    *,
    fmt: str,
    actor: str,
    draft: bool = False,
    by: Sequence[str] | None = None,
) -> Path:
    """Build the summary and write it as DOCX, Markdown or HTML; nothing is written
    when the request is refused.

    Markdown gets its charts as PNG files beside it (`<name>-theme-sizes.png`,
    `<name>-intersections.png`); DOCX and HTML carry them inside.

    Raises:
        InvalidRequestError: an unknown format.
        PermissionDeniedError: as `build_summary`.

    Example:
        >>> write_summary(store, 1, "summary.docx", fmt="docx", actor="evaluator")
    """
    if fmt not in FORMATS:
        raise InvalidRequestError(f"unknown summary format '{fmt}' (use {', '.join(FORMATS)})")
    target = Path(path)
    summary = build_summary(store, project_id, actor=actor, draft=draft, by=by)
    if fmt == "docx":
        write_bytes(target, summary_docx(summary))
    elif fmt == "html":
        write_bytes(target, summary_html(summary).encode("utf-8"))
    else:
        figures = summary_figures(summary)
        links = {}
        for key, figure in figures.items():
            image = target.with_name(f"{target.stem}-{figure.name}.png")
            write_bytes(image, figure.png)
            links[key] = image.name
        text = summary_markdown(summary, figures=figures, image_links=links)
        write_bytes(target, text.encode("utf-8"))
    return target
