"""Who may do what: the role x action table, checked inside the library functions.

The pages hide what a role cannot use, but the rule lives here: every library function
that changes the study or hands out participants' words calls `require` first, so a
page, the CLI or a script gets the same answer.
"""

from __future__ import annotations

from enum import StrEnum

from analysis.errors import PermissionDeniedError
from analysis.models import User
from analysis.storage import Store

RESEARCHER = "student researcher"
LEAD = "project lead"
EVALUATOR = "evaluator"
ROLES = (RESEARCHER, LEAD, EVALUATOR)


class Action(StrEnum):
    """Everything a role may or may not do; the value reads as 'may not <value>'."""

    IMPORT = "import transcripts"
    RESOLVE_PII = "resolve identifiers in transcripts"
    CODE = "code transcripts"
    PROPOSE_CODE = "propose new codes"
    RUN_TOPICS = "run topic models"
    EDIT_CODEBOOK = "edit the codebook"
    ACCEPT_PROPOSED_CODES = "accept proposed codes"
    OPEN_ROUND = "open or close a reliability round"
    RESOLVE_DISAGREEMENTS = "resolve coders' disagreements"
    DRAFT_OUTPUTS = "draft themes, findings and recommendations"
    SEE_DRAFTS = "see draft themes, findings and recommendations"
    AGREE_OUTPUTS = "agree themes, findings and recommendations"
    SEE_TRANSCRIPTS = "see whole transcripts"
    SEE_CODINGS = "see codings and retrieve coded segments"
    SEE_SMALL_CELLS = "see intersectional counts below the suppression threshold"
    MANAGE_PARTICIPANTS = "record participants, their attributes and consent"
    WITHDRAW_PARTICIPANT = "withdraw a participant"
    EXPORT_SUMMARY = "export evidence summaries"
    EXPORT_PROJECT = "export project data (transcripts, coded segments, REFI-QDA)"
    MANAGE_USERS = "manage accounts"
    READ_AUDIT = "read the audit log"
    BACKUP = "back up or restore the study database"


_EVERYONE = frozenset(ROLES)
_CODERS = frozenset({RESEARCHER, LEAD})
_LEADS = frozenset({LEAD})

PERMISSIONS: dict[Action, frozenset[str]] = {
    Action.IMPORT: _CODERS,
    Action.RESOLVE_PII: _CODERS,
    Action.CODE: _CODERS,
    Action.PROPOSE_CODE: _CODERS,
    Action.RUN_TOPICS: _CODERS,
    Action.EDIT_CODEBOOK: _LEADS,
    Action.ACCEPT_PROPOSED_CODES: _LEADS,
    Action.OPEN_ROUND: _LEADS,
    # A researcher may settle a disagreement only in a round they coded (checked there).
    Action.RESOLVE_DISAGREEMENTS: _CODERS,
    Action.DRAFT_OUTPUTS: _CODERS,
    Action.SEE_DRAFTS: _CODERS,
    Action.AGREE_OUTPUTS: _LEADS,
    Action.SEE_TRANSCRIPTS: _CODERS,
    Action.SEE_CODINGS: _CODERS,
    Action.SEE_SMALL_CELLS: _LEADS,
    Action.MANAGE_PARTICIPANTS: _CODERS,
    Action.WITHDRAW_PARTICIPANT: _LEADS,
    Action.EXPORT_SUMMARY: _EVERYONE,
    Action.EXPORT_PROJECT: _LEADS,
    Action.MANAGE_USERS: _LEADS,
    Action.READ_AUDIT: _LEADS,
    Action.BACKUP: _LEADS,
}


def allowed(role: str, action: Action) -> bool:
    """Whether `role` may do `action` (the table alone, no database)."""
    return role in PERMISSIONS[action]


def user_named(store: Store, name: str) -> User:
    """The active account called `name`.

    Raises:
        PermissionDeniedError: no such account, or it has been deactivated.
    """
    user = store.get_user(name)
    if user is None:
        raise PermissionDeniedError(f"'{name}' is not an account in this study")
    if not user.active:
        raise PermissionDeniedError(f"the account '{name}' has been deactivated")
    return user


def require(store: Store, actor: str, action: Action) -> User:
    """The acting user, if their role allows `action`.

    Raises:
        PermissionDeniedError: unknown or inactive account, or a role without the right.
    """
    user = user_named(store, actor)
    if not allowed(user.role, action):
        raise PermissionDeniedError(f"{user.name} ({user.role}) may not {action.value}")
    return user


def permissions_table() -> list[dict[str, str | bool]]:
    """The table as rows (action, then one column per role), for the README and the app."""
    return [
        {"action": action.value, **{role: allowed(role, action) for role in ROLES}}
        for action in Action
    ]
