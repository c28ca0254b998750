"""Normalisation and natural-key ids, so that a retried command finds the same item."""

from __future__ import annotations

import re
import unicodedata
from uuid import UUID, uuid5

NAMESPACE = UUID("6f0c8a4e-3b7d-5c1a-9e2f-2d4b8a6c1e30")

_TRAILING = "。.;；,，、 "


def normalise_name(name: str) -> str:
    """Agency and campaign names compare without spaces, width or trailing punctuation."""
    text = unicodedata.normalize("NFKC", name)
    text = re.sub(r"\s+", "", text)
    return text.strip(_TRAILING)


def agency_id(name: str) -> UUID:
    return uuid5(NAMESPACE, "agency:" + normalise_name(name))


def alias_id(alias: str) -> UUID:
    return uuid5(NAMESPACE, "agency-alias:" + normalise_name(alias))


def campaign_id(title: str) -> UUID:
    return uuid5(NAMESPACE, "campaign:" + normalise_name(title))


def issue_id(campaign: UUID, number: str) -> UUID:
    return uuid5(NAMESPACE, f"issue:{campaign}:{normalise_name(number)}")
