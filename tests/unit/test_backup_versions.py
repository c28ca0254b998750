"""The version rule of `rectify restore` (rectify/backup.py): no archive of a newer server."""

from __future__ import annotations

import pytest

from rectify.backup import Refused, major, refuse_downgrade


def test_an_archive_of_a_newer_server_is_refused_an_older_one_restores() -> None:
    refuse_downgrade("15.20", "18.6")
    refuse_downgrade("18.1", "18.6")
    with pytest.raises(Refused) as refused:
        refuse_downgrade("18.6", "15.20")
    assert "cannot be restored into the older PostgreSQL 15.20" in str(refused.value)
    assert "不能恢复到较旧的" in str(refused.value)


def test_the_major_version_is_the_first_number() -> None:
    assert major("18.6") == 18 and major("15.20") == 15 and major("9.6.24") == 9
