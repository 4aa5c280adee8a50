"""Who is in a REFI-QDA project, in this platform's terms: its users as accounts, and
its cases (and the sources they hold) as participants with attributes and consent."""

from __future__ import annotations

import re
from collections.abc import Sequence

from analysis.consent import is_calendar_day
from analysis.models import Consent
from analysis.participants import CONSENT_COLUMNS, ParticipantRecord, attribute_name
from analysis.refi_records import RefiCase, RefiProject, RefiSource
from analysis.storage import Store
from analysis.transcripts import default_pseudonym

_YES, _NO = {"yes", "y", "true", "1"}, {"no", "n", "false", "0"}


def account_name(name: str, guid: str) -> str:
    """An account name for a REFI user: no spaces, at most 64 characters."""
    cleaned = re.sub(r"\s+", ".", name.strip())[:64].strip(".")
    return cleaned or f"user-{guid[:8] or 'unknown'}"


def plan_accounts(store: Store, refi: RefiProject) -> tuple[dict[str, str], list[str]]:
    """REFI user GUID -> account name, and the accounts that do not exist yet. An
    existing account of that name is taken to be the same person."""
    accounts: dict[str, str] = {}
    new: list[str] = []
    taken: dict[str, str] = {}
    for guid, name in refi.users:
        if guid in accounts:
            continue
        candidate = base = account_name(name, guid)
        number = 2
        while taken.get(candidate.casefold(), guid) != guid:
            candidate, number = f"{base[:60]}-{number}", number + 1
        taken[candidate.casefold()] = guid
        accounts[guid] = candidate
        if store.get_user(candidate) is None:
            new.append(candidate)
    return accounts, new


def _flag(value: str) -> bool | None:
    lowered = value.strip().lower()
    return True if lowered in _YES else False if lowered in _NO else None


def split_variables(values: dict[str, str]) -> tuple[dict[str, str], Consent | None]:
    """Variables as participant attributes, and the consent record among them.

    Example:
        >>> split_variables({"Age band": "18-20", "consent_quotes": "true"})
        ({'age_band': '18-20'}, Consent(date=None, quotes=True, share=None))
    """
    attributes: dict[str, str] = {}
    consent: dict[str, object] = {}
    for raw, value in values.items():
        name = attribute_name(raw)
        if name == "consent_date" and is_calendar_day(value[:10]):
            consent[name] = value[:10]
        elif name in CONSENT_COLUMNS and name != "consent_date" and _flag(value) is not None:
            consent[name] = _flag(value)
        elif name:
            attributes[name] = value
    if not consent:
        return attributes, None
    date, quotes, share = (consent.get(c) for c in CONSENT_COLUMNS)
    return attributes, Consent(
        date if isinstance(date, str) else None,
        quotes if isinstance(quotes, bool) else None,
        share if isinstance(share, bool) else None,
    )


def case_pseudonym(case: RefiCase) -> str:
    return case.name or f"case-{case.guid[:8]}"


def plan_participants(
    refi: RefiProject, sources: Sequence[RefiSource], warnings: list[str]
) -> tuple[list[ParticipantRecord], dict[str, str]]:
    """Participant records (from cases, and from sources' own variables) and source
    GUID -> pseudonym for the sources imported.

    A source's participant is the first case that refers to it, or (NVivo) whose case
    code codes it, or else one named after the file, as for an uploaded transcript.
    """
    people: dict[str, tuple[dict[str, str], Consent | None]] = {}
    case_of: dict[str, str] = {}
    for case in refi.cases:
        pseudonym = case_pseudonym(case)
        attributes, consent = split_variables(case.variables)
        known, known_consent = people.get(pseudonym, ({}, None))
        people[pseudonym] = ({**known, **attributes}, consent or known_consent)
        for guid in case.sources:
            if guid in case_of and case_of[guid] != pseudonym:
                warnings.append(
                    f"source {guid} is in cases {case_of[guid]} and {pseudonym}; "
                    f"it belongs to {case_of[guid]}"
                )
            case_of.setdefault(guid, pseudonym)
    case_codes = {case.guid: case_pseudonym(case) for case in refi.cases}
    pseudonyms: dict[str, str] = {}
    for source in sources:
        coded = (
            case_codes.get(c.code)
            for s in source.selections
            for c in s.codings
            if c.code in case_codes
        )
        pseudonym = case_of.get(source.guid) or next(coded, None) or default_pseudonym(source.name)
        pseudonyms[source.guid] = pseudonym
        attributes, consent = split_variables(source.variables)
        if attributes or consent:
            known, known_consent = people.get(pseudonym, ({}, None))
            people[pseudonym] = ({**attributes, **known}, known_consent or consent)
    records = [
        ParticipantRecord(pseudonym, (), attributes, consent)
        for pseudonym, (attributes, consent) in people.items()
    ]
    return records, pseudonyms
