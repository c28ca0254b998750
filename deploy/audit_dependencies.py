"""Audit the pinned dependencies (constraints.txt) with pip-audit, tolerating no internet.

Offline, pip-audit still exits 0: it reports every package as "not found on PyPI" and
audits nothing. So success is judged from its JSON, not its exit code: nothing audited
means the vulnerability database was unreachable (skipped, exit 0); any vulnerability
fails (exit 1); a pip-audit failure that is not a network failure fails too (exit 2).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NETWORK_MARKERS = (
    "connectionerror",
    "max retries exceeded",
    "name or service not known",
    "temporary failure in name resolution",
    "network is unreachable",
    "timed out",
    "connection refused",
)
SKIPPED = "skipped: vulnerability database unreachable / 漏洞库无法访问，已跳过依赖审计"


def decide(returncode: int, stdout: str, stderr: str) -> tuple[int, str]:
    """(exit code, message) from one pip-audit run with `-f json`."""
    try:
        dependencies = json.loads(stdout)["dependencies"]
    except (ValueError, KeyError, TypeError):
        if any(marker in stderr.lower() for marker in NETWORK_MARKERS):
            return 0, SKIPPED
        return 2, f"pip-audit failed / 依赖审计出错 (exit {returncode}):\n{stderr.strip()}"
    vulnerable = [d for d in dependencies if d.get("vulns")]
    if vulnerable:
        lines = [
            f"  {d['name']} {d.get('version', '')}: "
            + ", ".join(
                f"{v['id']} (fix: {', '.join(v.get('fix_versions') or ['-'])})" for v in d["vulns"]
            )
            for d in vulnerable
        ]
        return 1, "known vulnerabilities / 存在已知漏洞:\n" + "\n".join(lines)
    audited = [d for d in dependencies if "skip_reason" not in d]
    if dependencies and not audited:
        return 0, SKIPPED
    if returncode != 0:
        return 2, f"pip-audit failed / 依赖审计出错 (exit {returncode}):\n{stderr.strip()}"
    return 0, f"no known vulnerabilities / 未发现已知漏洞 ({len(audited)} packages audited)"


def main() -> int:
    command = [
        sys.executable, "-m", "pip_audit",
        "-r", str(ROOT / "constraints.txt"),
        "--no-deps", "--disable-pip",  # every version is pinned: audit exactly those
        "--progress-spinner", "off", "--timeout", "10", "-f", "json",
    ]  # fmt: skip
    run = subprocess.run(command, capture_output=True, text=True, check=False)
    code, message = decide(run.returncode, run.stdout, run.stderr)
    print(message)
    return code


if __name__ == "__main__":
    sys.exit(main())
