"""How `make test` shares the test files between its two pytest processes (ADR 0065):
each file whole on one process, as `--dist loadfile`, except the browser tests, which go
together to one process. They share one running system (tests/browser/conftest.py's
package fixture); spread over both processes it was started again for every browser file
either process came back to, two at a time — a dozen starts of `rectify run` instead of
one, and on CI one of them did not come up in time (why was not logged then; a start
that fails now shows its log)."""

from __future__ import annotations

from xdist.scheduler import LoadFileScheduling

BROWSER = "tests/browser/"


class BrowserTestsTogether(LoadFileScheduling):
    def _split_scope(self, nodeid: str) -> str:
        if nodeid.startswith(BROWSER):
            return BROWSER
        return super()._split_scope(nodeid)
