"""Issue 3's acceptance scenario across four agencies, through GraphQL with one token per
agency, against the whole system as `rectify run` starts it (the `system` fixture of
test_whole_system.py, one instance for this module). The steps are in
tests/e2e/four_agency.py, shared with the scale-out test (two API processes in turn).
"""

from __future__ import annotations

import pytest

from tests.e2e.four_agency import (
    World,
    four_agencies_refer_transfer_refuse_and_reconsider,
    make_world,
    real_name_reporter_phone_reaches_only_the_handling_agency,
)
from tests.e2e.test_whole_system import system  # noqa: F401  (module fixture)

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def world(system: dict[str, str]) -> World:  # noqa: F811
    return make_world(system, [system["BASE_URL"]])


def test_four_agencies_refer_transfer_refuse_and_reconsider(world: World) -> None:
    four_agencies_refer_transfer_refuse_and_reconsider(world)


def test_real_name_reporter_phone_reaches_only_the_handling_agency(world: World) -> None:
    real_name_reporter_phone_reaches_only_the_handling_agency(world)
