"""Reads behind the intersectional view: who has which attributes, who was coded with what."""

from __future__ import annotations

from analysis.storage.base import StoreBase


class IntersectTables(StoreBase):
    """Participant-level reads for the intersectional matrix and code co-occurrence."""
