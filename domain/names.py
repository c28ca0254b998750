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


# Chinese characters, their punctuation and full-width forms: a space between two of them
# is a stray one ("县 卫健局"), a space between Latin words is part of the name.
_WIDE = "\u2e80-\u9fff\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef"
_STRAY_SPACE = re.compile(f"(?<=[{_WIDE}]) (?=[{_WIDE}])")


def display_name(name: str) -> str:
    """A name as written, for showing: trimmed, each run of whitespace one space (none
    between two Chinese characters), width and brackets kept. Compare with normalise_name."""
    text = re.sub(r"\s+", " ", name).strip().strip(_TRAILING)
    return _STRAY_SPACE.sub("", text)


def agency_id(name: str) -> UUID:
    return uuid5(NAMESPACE, "agency:" + normalise_name(name))


def alias_id(alias: str) -> UUID:
    return uuid5(NAMESPACE, "agency-alias:" + normalise_name(alias))


def campaign_id(title: str) -> UUID:
    return uuid5(NAMESPACE, "campaign:" + normalise_name(title))


def issue_id(campaign: UUID, number: str) -> UUID:
    return uuid5(NAMESPACE, f"issue:{campaign}:{normalise_name(number)}")
