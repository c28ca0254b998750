"""`python -m chaos [--minutes M] [--seed S] [--kills K] [--settle S] [--targets a,b]`:
exit 0 when every check held, 1 when one failed (the report says which, and the seed to
replay)."""

from __future__ import annotations

import argparse
import random
import sys

from chaos.run import run
from chaos.system import TARGETS


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m chaos", description=__doc__)
    parser.add_argument("--minutes", type=float, default=3.0, help="length of the load")
    parser.add_argument("--seed", type=int, default=None, help="replay a run (default: random)")
    parser.add_argument("--kills", type=int, default=None, help="default: 4 per minute")
    parser.add_argument(
        "--settle", type=float, default=90.0, help="seconds the system gets to recover alone"
    )
    parser.add_argument(
        "--targets", default=",".join(TARGETS), help=f"comma-separated, of: {', '.join(TARGETS)}"
    )
    args = parser.parse_args(argv)
    targets = [t.strip() for t in args.targets.split(",") if t.strip()]
    unknown = [t for t in targets if t not in TARGETS]
    if unknown or not targets:
        parser.error(f"--targets: unknown {', '.join(unknown)}; known: {', '.join(TARGETS)}")
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(1, 10**6)
    kills = args.kills if args.kills is not None else max(len(targets), round(4 * args.minutes))
    report = run(seed, args.minutes * 60, kills, targets, settle=args.settle)
    print(report.text())
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
