"""The test processes' shares (tests/scheduling.py): browser tests together, the rest by file."""

from __future__ import annotations

from tests.scheduling import BrowserTestsTogether


def scope(nodeid: str) -> str:
    scheduler = object.__new__(BrowserTestsTogether)  # _split_scope reads no configuration
    return scheduler._split_scope(nodeid)


def test_every_browser_test_file_goes_to_the_same_process() -> None:
    assert scope("tests/browser/test_items.py::test_a[chromium]") == scope(
        "tests/browser/test_sign_in.py::test_b[chromium-liaison1]"
    )


def test_other_test_files_are_shared_out_file_by_file() -> None:
    assert scope("tests/e2e/test_whole_system.py::test_a") == "tests/e2e/test_whole_system.py"
    assert scope("tests/unit/test_x.py::test_a") != scope("tests/unit/test_y.py::test_a")
    assert scope("tests/unit/test_x.py::test_a") != scope("tests/browser/test_x.py::test_a")
