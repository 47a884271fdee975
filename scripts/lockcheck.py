"""Compare the running environment with the lock files: print every difference, exit 1 if any.

Run with the venv's own Python (it reads that venv's installed distributions).  Markers in the
lock are evaluated for this interpreter, so one universal lock serves Python 3.11 and 3.12.
"""

from __future__ import annotations

import re
import sys
from importlib import metadata
from pathlib import Path

from packaging.markers import Marker
from packaging.utils import canonicalize_name

PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)\s*(?:;\s*([^\\]+?))?\s*\\?$")
OWN = {"admission"}  # the project itself, installed editable from the work tree


def wanted(lock_files: list[Path]) -> dict[str, str]:
    pins: dict[str, str] = {}
    for lock in lock_files:
        for line in lock.read_text(encoding="utf-8").splitlines():
            m = PIN.match(line)
            if m and (m.group(3) is None or Marker(m.group(3)).evaluate()):
                pins[canonicalize_name(m.group(1))] = m.group(2)
    return pins


def installed() -> dict[str, str]:
    have = {canonicalize_name(d.metadata["Name"]): d.version for d in metadata.distributions()}
    for name in OWN | {"pip"}:  # pip comes with the venv; it installs, it is not installed from the lock
        have.pop(name, None)
    return have


def main(argv: list[str]) -> int:
    want, have = wanted([Path(a) for a in argv]), installed()
    diffs = [f"missing {n}=={v}" for n, v in sorted(want.items()) if n not in have]
    diffs += [f"extra {n}=={v}" for n, v in sorted(have.items()) if n not in want]
    diffs += [f"{n}: {have[n]} installed, {v} locked" for n, v in sorted(want.items())
              if n in have and have[n] != v]
    for d in diffs:
        print(d)
    return 1 if diffs else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
