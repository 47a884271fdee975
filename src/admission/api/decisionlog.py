"""The decision log, in the manner of OPA's: every decision the API answers, with its input,
its result, the policy revision and admission sequence it was made under, the caller and the
time; queryable and exportable as JSON Lines.

Like OPA, which logs one entry per query, the log keeps one entry per answered request: the
request body as received and the response body as sent, so a batch of 1,000 questions is one
entry of `count` 1,000 (each answer in it has its own `decision_id`, `<batch id>-<n>`).  Bodies
over 4 KiB are stored zlib-compressed (by the flusher, off the request path).  The export
writes one line per decision, batches expanded.

Durability rule (`ADMISSION_DECISION_LOG`):

- `buffered` (default): each worker keeps a bounded in-memory buffer (`decision_log_buffer`
  entries, default 100,000).  A background thread writes it to `decision_log` in one
  transaction every `decision_log_flush_seconds` (0.2 s) or as soon as `decision_log_flush_rows`
  entries wait, and once more when the worker shuts down.  When the buffer is full, new entries
  are **dropped and counted** (`dropped`); the decision is still answered.  A failed write puts
  the entries back (as far as the bound allows) and counts a failed flush.  A worker that is
  killed loses what it had not yet written: at most one flush interval of decisions.
- `sync`: the entries of a request are written in the request, before the answer is sent; if
  they cannot be written the caller gets a 503 problem and no decision (no decision without a
  log entry).
- `off`: nothing is logged.

`decision_log_sample` (0–1) samples requests (a batch is logged whole or not at all); the
requests left out are counted as `sampled_out`.  Each worker's counters are written to
`decision_log_worker` with every flush, so `GET /v1/decision-logs/stats` reports all workers.
"""

from __future__ import annotations

import datetime as dt
import itertools
import logging
import os
import random
import secrets
import threading
import time
import zlib
from collections import deque
from collections.abc import Iterator

import orjson
from sqlalchemy import and_, insert, or_, select, update
from sqlalchemy.engine import Engine

from ..store.api_tables import DecisionLog, DecisionLogWorker

log = logging.getLogger("admission.api.decisionlog")

_LOG = DecisionLog.__table__
_WORKER = DecisionLogWorker.__table__

#: an entry: (decision_id, time, path, token_id, caller_unit, caller_role, count, actor, matter, target,
#: outcome, code, revision, admission_seq, input (JSON bytes), result (JSON bytes))
Entry = tuple
COLUMNS = ("decision_id", "at", "path", "token_id", "caller_unit", "caller_role", "count", "actor", "matter",
           "target", "outcome", "code", "revision", "admission_seq", "input", "result")

FILTERS = ("decision_id", "path", "token_id", "caller_unit", "actor", "matter", "target", "outcome", "code",
           "revision")


class DecisionLogger:
    def __init__(self, engine: Engine, *, mode: str = "buffered", sample: float = 1.0, capacity: int = 100_000,
                 capacity_bytes: int = 256 * 1024 * 1024, flush_seconds: float = 0.2, flush_rows: int = 5_000):
        self.engine = engine
        self.mode = mode
        self.sample_rate = sample
        self.capacity = capacity
        self.capacity_bytes = capacity_bytes
        self.buffered_bytes = 0
        self.flush_seconds = flush_seconds
        self.flush_rows = flush_rows
        self.worker = f"{os.getpid()}-{secrets.token_hex(4)}"
        self.pid = os.getpid()
        self.started_at = dt.datetime.now(dt.timezone.utc)
        self._ids = itertools.count(1)
        self._prefix = secrets.token_hex(6)
        self.buffer: deque[Entry] = deque()
        self.written = 0
        self.dropped = 0
        self.sampled_out = 0
        self.failed_flushes = 0
        self._lock = threading.Lock()  # serialises flushes (the thread, shutdown, queries)
        self._count_lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._reported: tuple | None = None
        self._last_report = 0.0

    # ------------------------------------------------------------------ ids and sampling
    def new_id(self) -> str:
        return f"{self._prefix}{next(self._ids):x}"

    @property
    def enabled(self) -> bool:
        return self.mode != "off"

    def sampled(self, n: int = 1) -> bool:
        """Should this request be logged?  Counts the ones left out."""
        if self.mode == "off":
            return False
        if self.sample_rate >= 1.0 or random.random() < self.sample_rate:
            return True
        self.sampled_out += n
        return False

    # ------------------------------------------------------------------ recording
    def record(self, entries: list[Entry]) -> None:
        """Buffered mode: keep the entries for the flusher, or drop and count them when full
        (more than `capacity` entries or `capacity_bytes` of request and response bodies)."""
        for e in entries:
            size = len(e[14]) + len(e[15])
            if len(self.buffer) >= self.capacity or self.buffered_bytes + size > self.capacity_bytes:
                self.dropped += 1
                continue
            with self._count_lock:
                self.buffered_bytes += size
            self.buffer.append(e)
        if len(self.buffer) >= self.flush_rows or self.buffered_bytes > self.capacity_bytes // 4:
            self._wake.set()

    def write_now(self, entries: list[Entry]) -> None:
        """Sync mode: write the entries in their own transaction (raises when that fails)."""
        with self.engine.begin() as c:
            self._insert(c, entries)
        with self._count_lock:
            self.written += len(entries)

    def _insert(self, c, entries: list[Entry]) -> None:
        """One executemany on the driver (SQLAlchemy's per-row processing costs 2× here)."""
        sqlite = c.dialect.name == "sqlite"
        mark = "?" if c.dialect.paramstyle == "qmark" else "%s"
        sql = f"INSERT INTO decision_log ({', '.join(COLUMNS)}) VALUES ({', '.join([mark] * len(COLUMNS))})"
        c.exec_driver_sql(sql, [_row(e, sqlite) for e in entries])

    # ------------------------------------------------------------------ flushing
    def start(self) -> None:
        if self.mode == "buffered" and self._thread is None:
            self._thread = threading.Thread(target=self._run, name="decision-log-flusher", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        """Flush what is buffered and stop the flusher (graceful shutdown)."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None
        self.flush(report=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self.flush_seconds)
            self._wake.clear()
            if self._stop.is_set():
                break
            try:
                self.flush()
            except Exception:  # never let the flusher die
                log.exception("decision log flush failed")

    def flush(self, report: bool = False) -> int:
        """Write everything buffered now; returns the number of entries written."""
        with self._lock:
            total = 0
            while True:
                batch = []
                buf = self.buffer
                size = 0
                while buf and len(batch) < 5_000 and size < 32 * 1024 * 1024:
                    e = buf.popleft()
                    size += len(e[14]) + len(e[15])
                    batch.append(e)
                with self._count_lock:
                    self.buffered_bytes -= size
                if not batch and total:
                    break
                try:
                    with self.engine.begin() as c:
                        if batch:
                            self._insert(c, batch)
                        self._report(c, pending=len(batch), force=report or bool(batch))
                except Exception:
                    self.failed_flushes += 1
                    room = self.capacity - len(self.buffer)
                    keep = batch[:max(room, 0)]
                    self.buffer.extendleft(reversed(keep))
                    with self._count_lock:
                        self.buffered_bytes += sum(len(e[14]) + len(e[15]) for e in keep)
                    self.dropped += len(batch) - len(keep)
                    log.warning("decision log: could not write %d entries", len(batch), exc_info=True)
                    return total
                with self._count_lock:
                    self.written += len(batch)
                total += len(batch)
                if not batch or not self.buffer:
                    break
            return total

    def _report(self, c, pending: int = 0, force: bool = False) -> None:
        counters = (self.written + pending, self.dropped, self.sampled_out, self.failed_flushes, len(self.buffer))
        now = time.monotonic()
        if not force and (counters == self._reported or now - self._last_report < 1.0):
            return
        values = dict(pid=self.pid, started_at=self.started_at, updated_at=dt.datetime.now(dt.timezone.utc),
                      written=counters[0], dropped=counters[1], sampled_out=counters[2],
                      failed_flushes=counters[3], buffered=counters[4])
        if c.execute(update(_WORKER).where(_WORKER.c.worker == self.worker).values(**values)).rowcount == 0:
            c.execute(insert(_WORKER).values(worker=self.worker, **values))
        self._reported = counters
        self._last_report = now

    # ------------------------------------------------------------------ reading
    def local_stats(self) -> dict:
        return {"worker": self.worker, "pid": self.pid, "written": self.written, "dropped": self.dropped,
                "sampled_out": self.sampled_out, "failed_flushes": self.failed_flushes,
                "buffered": len(self.buffer), "started_at": self.started_at, "updated_at": dt.datetime.now(dt.timezone.utc)}

    def stats(self) -> dict:
        """Counters of every worker that has reported (this one live), and their totals."""
        with self.engine.begin() as c:
            rows = [dict(r) for r in c.execute(select(_WORKER).order_by(_WORKER.c.started_at)).mappings()]
        workers = [r for r in rows if r["worker"] != self.worker] + [self.local_stats()]
        keys = ("written", "dropped", "sampled_out", "failed_flushes", "buffered")
        totals = {k: sum(int(w[k]) for w in workers) for k in keys}
        return {"mode": self.mode, "sample_rate": self.sample_rate, "buffer_capacity": self.capacity,
                "flush_seconds": self.flush_seconds, "totals": totals, "workers": workers}

    def query(self, *, after: int = 0, limit: int = 100, since: dt.datetime | None = None,
              until: dt.datetime | None = None, scope: frozenset[str] | None = None, **filters) -> list[dict]:
        """Stored entries after `after`, oldest first (this worker's buffer is written first).
        `scope` (a set of units) keeps only the entries whose caller, actor or target unit is in it."""
        if self.mode == "buffered":
            self.flush()
        stmt = select(_LOG).where(_LOG.c.seq > after)
        conds = []
        for k, v in filters.items():
            if v is None or k not in FILTERS:
                continue
            if k == "decision_id" and "-" in v:  # an answer inside a batch: <batch id>-<n>
                conds.append(_LOG.c.decision_id.in_([v, v.rsplit("-", 1)[0]]))
            else:
                conds.append(_LOG.c[k] == v)
        if since is not None:
            conds.append(_LOG.c.at >= since)
        if until is not None:
            conds.append(_LOG.c.at < until)
        if scope is not None:
            units = sorted(scope)
            conds.append(or_(_LOG.c.caller_unit.in_(units), _LOG.c.actor.in_(units), _LOG.c.target.in_(units)))
        if conds:
            stmt = stmt.where(and_(*conds))
        with self.engine.begin() as c:
            rows = c.execute(stmt.order_by(_LOG.c.seq).limit(limit)).mappings().all()
        return [public(r) for r in rows]

    def export(self, *, chunk: int = 200, **kw) -> Iterator[bytes]:
        """JSON Lines, one line per decision (batches expanded), oldest first."""
        after = kw.pop("after", 0)
        while True:
            rows = self.query(after=after, limit=chunk, **kw)
            if not rows:
                return
            yield b"".join(orjson.dumps(line) + b"\n" for r in rows for line in expand(r))
            after = rows[-1]["seq"]
            if len(rows) < chunk:
                return


def public(r) -> dict:
    """One stored entry as the API shows it (OPA's field names where they fit)."""
    at = r["at"]
    if at.tzinfo is None:
        at = at.replace(tzinfo=dt.timezone.utc)
    return {
        "seq": r["seq"], "decision_id": r["decision_id"], "path": r["path"], "timestamp": at.isoformat(),
        "caller": {"token_id": r["token_id"], "unit": r["caller_unit"], "role": r["caller_role"]},
        "count": r["count"], "input": unpack(r["input"]), "result": unpack(r["result"]),
        "revision": r["revision"], "admission_seq": r["admission_seq"],
    }


def expand(entry: dict) -> Iterator[dict]:
    """The decisions of one entry, one dict each (a batch's questions paired with its answers)."""
    base = {k: entry[k] for k in ("seq", "path", "timestamp", "caller", "revision", "admission_seq")}
    result = entry["result"]
    if "results" not in result:
        yield {"decision_id": entry["decision_id"], "batch_id": None, **base, "input": entry["input"],
               "result": result}
        return
    questions = entry["input"].get("questions", [])
    default_on = entry["input"].get("on")
    for i, res in enumerate(result["results"]):
        q = dict(questions[i]) if i < len(questions) else {}
        if default_on and "on" not in q:
            q["on"] = default_on
        yield {"decision_id": res.get("decision_id"), "batch_id": entry["decision_id"], **base, "input": q,
               "result": res}


COMPRESS_OVER = 4096


def pack(body: bytes) -> bytes:
    """JSON as stored: as is, or zlib-compressed over 4 KiB (a batch's answers shrink ~10×)."""
    return zlib.compress(body, 1) if len(body) > COMPRESS_OVER else body


def unpack(stored) -> object:
    data = bytes(stored)
    return orjson.loads(zlib.decompress(data) if data[:1] == b"x" else data)


def _row(e: Entry, sqlite: bool) -> tuple:
    at = dt.datetime.fromtimestamp(e[1], dt.timezone.utc)
    if sqlite:  # SQLAlchemy's storage format for SQLite DATETIME: "YYYY-MM-DD HH:MM:SS[.ffffff]", UTC
        at = str(at.replace(tzinfo=None))
    return (e[0], at, *e[2:14], pack(e[14]), pack(e[15]))


def export_from_db(engine: Engine, *, after: int = 0, since: dt.datetime | None = None,
                   until: dt.datetime | None = None, **filters) -> Iterator[bytes]:
    """The export for `admission decisions export` (no server needed)."""
    reader = DecisionLogger(engine, mode="off")
    yield from reader.export(after=after, since=since, until=until, **filters)
