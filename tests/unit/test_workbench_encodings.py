"""Which compressed copy of a workbench asset a browser may be sent (api/workbench.py)."""

from __future__ import annotations

import pytest

from api.workbench import accepted_encodings


@pytest.mark.parametrize(
    ("header", "accepted"),
    [
        ("gzip, deflate, br, zstd", {"gzip", "deflate", "br", "zstd"}),
        ("gzip;q=1.0, br;q=0", {"gzip"}),
        ("BR ; q=0.5", {"br"}),
        ("br;q=0.000", set()),
        ("br;q=oops", set()),
        ("", set()),
        (None, set()),
    ],
)
def test_a_coding_is_accepted_when_named_and_not_refused(
    header: str | None, accepted: set[str]
) -> None:
    assert accepted_encodings(header) == accepted
