"""Residual identifiers in transcripts: find them (this package) before anyone codes.

`find_personal_data(text)` returns `Finding`s with character offsets into `text`.
Labels: PERSON, EMAIL, PHONE, POSTCODE, STUDENT_ID, NHS_NUMBER, DATE, ADDRESS, HANDLE, URL.
"""

from __future__ import annotations

from analysis.pii.detect import CONFIDENT, LABELS, Finding, find_personal_data, starter_allow_list

__all__ = ["CONFIDENT", "LABELS", "Finding", "find_personal_data", "starter_allow_list"]
