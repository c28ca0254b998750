"""`python -m rectify.pg_guard DATA_DIR`: stops the embedded PostgreSQL when `rectify run`
stops or dies.

`pg_ctl` starts PostgreSQL as a daemon, so it would outlive a `rectify run` killed with
-9. This small process is a direct child of the run that gets SIGTERM when the run dies
(prctl PDEATHSIG, rectify.embedded.die_with_parent) and then stops the server. Ctrl-C
(SIGINT, sent to the whole process group) is ignored: the run stops the roles first and
PostgreSQL last.
"""

from __future__ import annotations

import signal
import sys
from pathlib import Path
from types import FrameType

from rectify.embedded import stop_embedded_postgres


def main(data_dir: Path) -> None:
    def stop(signum: int, frame: FrameType | None) -> None:
        stop_embedded_postgres(data_dir)
        sys.exit(0)

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, stop)
    while True:
        signal.pause()


if __name__ == "__main__":
    main(Path(sys.argv[1]))
