"""Memory of a process tree, read from /proc: RSS, PSS, descendants, and a sampling thread.
Shared by the benchmarks (bench/load.py, bench/scale.py)."""

from __future__ import annotations

import os
import threading


def _kb(path: str, field: bytes) -> int:
    """A `Field:   N kB` line of a /proc file (0 when the process is gone)."""
    try:
        with open(path, "rb") as fh:
            for line in fh:
                if line.startswith(field):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def rss_kb(pid: int) -> int:
    return _kb(f"/proc/{pid}/status", b"VmRSS:")


def pss_kb(pid: int) -> int:
    """Proportional set size: shared pages divided among the processes sharing them."""
    return _kb(f"/proc/{pid}/smaps_rollup", b"Pss:")


def descendants(pid: int) -> list[int]:
    out, stack = [], [pid]
    while stack:
        p = stack.pop()
        try:
            tasks = os.listdir(f"/proc/{p}/task")
        except OSError:
            continue
        for tid in tasks:
            try:
                with open(f"/proc/{p}/task/{tid}/children") as fh:
                    kids = [int(x) for x in fh.read().split()]
            except OSError:
                continue
            out.extend(kids)
            stack.extend(kids)
    return out


class TreeSampler(threading.Thread):
    """Samples the summed RSS of a process and all its descendants."""

    def __init__(self, pid: int | None = None, interval: float = 0.02):
        super().__init__(daemon=True)
        self.pid = pid or os.getpid()
        self.interval = interval
        self.peak_kb = 0
        self.peak_pss_kb = 0
        self._halt = threading.Event()

    def run(self) -> None:
        n = 0
        while not self._halt.is_set():
            procs = [self.pid, *descendants(self.pid)]
            self.peak_kb = max(self.peak_kb, sum(rss_kb(p) for p in procs))
            if n % 5 == 0:  # smaps_rollup walks the page tables: every 100 ms is enough
                self.peak_pss_kb = max(self.peak_pss_kb, sum(pss_kb(p) for p in procs))
            n += 1
            self._halt.wait(self.interval)

    def stop(self) -> float:
        """Stop sampling; the peak summed RSS in MB."""
        self._halt.set()
        self.join()
        return self.peak_kb / 1024
