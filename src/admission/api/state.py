"""What one server worker holds: its settings, its runtime (policy, decision index, workflow
service — built in the worker, after fork), its decision logger and token cache; and how it keeps
the runtime current.

Concurrency inside a worker: decisions run on the event loop and read the index directly; code
that reads the index from a worker thread (workflow steps, checks) holds `guard.read()`; the
index is changed only on the event loop under `guard.write()` (`sync`).  A reload builds a new
runtime beside the old one and swaps the reference; requests in flight finish on the old one.

Across workers: every workflow change and every reload is a row of the change feed; after its
own steps a worker syncs at once, and every `refresh_seconds` it looks for rows written by the
others (admissions entering or exiting → refresh the index; a decided adjustment → rebuild the
runtime; a reload → load the policy directory again).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import gc
import logging
from contextlib import asynccontextmanager
from zoneinfo import ZoneInfo

from sqlalchemy import func, insert, select
from starlette.concurrency import run_in_threadpool

from ..evaluate.decide import Decider
from ..flow.runtime import Runtime, open_runtime
from ..flow.service import WorkflowError
from ..diagnostics import Diagnostic
from ..loader import LoadOptions, LoadResult, validate_tree
from ..store.db import database_url, make_engine, migrate
from ..store.tables import Change
from .auth import Caller, TokenCache, lookup, token_hash
from .decisionlog import DecisionLogger
from .idempotency import IdempotencyStore
from .problems import ApiProblem
from .settings import ApiSettings

log = logging.getLogger("admission.api")
CHINA = ZoneInfo("Asia/Shanghai")
_CHANGE = Change.__table__


class IndexGuard:
    """Readers in worker threads and a writer on the event loop (asyncio side only)."""

    def __init__(self):
        self._readers = 0
        self._writer = False
        self._cond = asyncio.Condition()

    @asynccontextmanager
    async def read(self):
        async with self._cond:
            await self._cond.wait_for(lambda: not self._writer)
            self._readers += 1
        try:
            yield
        finally:
            async with self._cond:
                self._readers -= 1
                self._cond.notify_all()

    @asynccontextmanager
    async def write(self):
        async with self._cond:
            await self._cond.wait_for(lambda: not self._writer and self._readers == 0)
            self._writer = True
        try:
            yield
        finally:
            async with self._cond:
                self._writer = False
                self._cond.notify_all()


def counts(policy) -> dict[str, int]:
    return {"files": len(policy.files), "units": len(policy.units), "matters": len(policy.matters),
            "bases": len(policy.bases), "power_lists": len(policy.power_lists),
            "township_lists": len(policy.township_lists), "village_lists": len(policy.village_lists),
            "delegations": len(policy.delegations), "admissions": len(policy.admissions),
            "assignments": len(policy.assignments), "flows": len(policy.flows)}


class AppState:
    def __init__(self, settings: ApiSettings, runtime: Runtime | None, engine):
        self.settings = settings
        self.engine = engine  # the API's own pool: tokens, idempotency, decision log, change polling
        self.rt = runtime
        self.decider = Decider(runtime.index) if runtime is not None else None  # None: a subclass sets it
        self.loaded_at = dt.datetime.now(dt.timezone.utc)
        self.tokens = TokenCache(settings.token_cache_seconds)
        self.log = DecisionLogger(engine, mode=settings.decision_log, sample=settings.decision_log_sample,
                                  capacity=settings.decision_log_buffer,
                                  capacity_bytes=settings.decision_log_buffer_bytes,
                                  flush_seconds=settings.decision_log_flush_seconds,
                                  flush_rows=settings.decision_log_flush_rows)
        self.idem = IdempotencyStore(engine, settings.idempotency_ttl_hours, settings.idempotency_lease_seconds)
        self.guard = IndexGuard()
        self._sync_lock = asyncio.Lock()
        self._reload_lock = asyncio.Lock()
        self._poller: asyncio.Task | None = None
        self._findings_cache: dict = {}
        self._lookups: dict[str, asyncio.Future] = {}

    # ------------------------------------------------------------------ life
    @classmethod
    def open(cls, settings: ApiSettings) -> AppState:
        """Load and validate the policy, open the store (migrating it) — in the worker."""
        policy = load_valid(settings)
        runtime = open_runtime(policy, settings.database_url)
        engine = api_engine(settings.database_url)
        migrate(engine)
        return cls(settings, runtime, engine)

    async def start(self) -> None:
        _freeze()
        self.log.start()
        self._poller = asyncio.create_task(self._poll())

    async def close(self) -> None:
        if self._poller is not None:
            self._poller.cancel()
            try:
                await self._poller
            except (asyncio.CancelledError, Exception):
                pass
        await run_in_threadpool(self.log.stop)
        if self.rt is not None:
            self.rt.workflow.db.dispose()
        self.engine.dispose()

    # ------------------------------------------------------------------ time
    def today(self) -> dt.date:
        return self.settings.today or dt.datetime.now(CHINA).date()

    # ------------------------------------------------------------------ auth
    async def authenticate(self, token: str) -> Caller | None:
        if len(token) > 200:
            return None
        digest = token_hash(token)
        hit, caller = self.tokens.get(digest)
        if hit:
            return caller
        pending = self._lookups.get(digest)
        if pending is None:  # one lookup per token at a time, however many requests wait for it
            pending = self._lookups[digest] = asyncio.ensure_future(run_in_threadpool(lookup, self.engine, digest))
            pending.add_done_callback(lambda _f: self._lookups.pop(digest, None))
        caller = await asyncio.shield(pending)
        self.tokens.put(digest, caller)
        return caller

    # ------------------------------------------------------------------ reading from threads
    async def reading(self, fn, *args, **kw):
        """Run `fn` in a worker thread while the index cannot change."""
        async with self.guard.read():
            return await run_in_threadpool(lambda: fn(*args, **kw))

    # ------------------------------------------------------------------ keeping current
    def _max_seq(self) -> int:
        with self.engine.begin() as c:
            return c.execute(select(func.max(_CHANGE.c.seq))).scalar() or 0

    async def _poll(self) -> None:
        while True:
            await asyncio.sleep(self.settings.refresh_seconds)
            try:
                await self.sync()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("could not sync with the change feed")

    async def sync(self) -> None:
        """Bring this worker's runtime up to the change feed."""
        async with self._sync_lock:
            rt = self.rt
            latest = await run_in_threadpool(self._max_seq)
            if latest <= rt.index.admission_seq:
                return
            changes = await run_in_threadpool(rt.workflow.changes, rt.index.admission_seq, 1_000_000)
            kinds = {c.kind for c in changes}
            if "policy-reloaded" in kinds and await self._reload_from_disk():
                return
            if "adjustment-decided" in kinds:
                await self._swap(await run_in_threadpool(open_runtime, rt.base_policy, self.settings.database_url))
                return
            records, seq = await self.reading(rt.workflow.admission_records)
            async with self.guard.write():  # the same steps as flow.runtime.refresh_admissions
                for rec in records:
                    rt.index.apply_admission(rec)
                rt.index.admission_seq = seq
            self._findings_cache.clear()

    async def _swap(self, new: Runtime) -> None:
        old = self.rt
        self.rt = new
        self.decider = Decider(new.index)
        self.loaded_at = dt.datetime.now(dt.timezone.utc)
        self._findings_cache.clear()
        if old.workflow.db is not new.workflow.db:
            old.workflow.db.dispose()  # connections still checked out close when returned
        del old
        _freeze()

    async def _reload_from_disk(self) -> bool:
        """Another worker reloaded: load the directory too, if it is valid and new here."""
        result = await run_in_threadpool(read_policy, self.settings, self._serving())
        if not result.ok:
            log.warning("policy reload announced but %s does not load; keeping %s",
                        self.settings.bundle or self.settings.policies, self.rt.base_policy.revision)
            return False
        if result.policy.revision == self.rt.base_policy.revision:
            return False
        await self._swap(await run_in_threadpool(open_runtime, result.policy, self.settings.database_url))
        return True

    def _serving(self) -> tuple[str, int]:
        """The revision in service and its bundle sequence (0 when not from a bundle)."""
        policy = self.rt.base_policy
        return policy.revision, policy.stats.get("sequence", 0)

    async def reload(self) -> dict:
        """Validate the policy directory (or read the bundle's current revision); only a valid
        policy replaces the one in service."""
        async with self._reload_lock:
            result = await run_in_threadpool(read_policy, self.settings, self._serving())
            if not result.ok:
                errors = [d.to_dict() for d in result.diagnostics if d.severity.value == "error"][:200]
                first = result.diagnostics[0]
                if first.code in TRUST_CODES:
                    raise ApiProblem(422, first.code, f"{first.message}；仍使用修订 {self.rt.base_policy.revision}",
                                     errors=errors)
                raise ApiProblem(422, "policy-invalid",
                                 f"新策略未通过校验（{len(errors)} 个错误），仍使用修订 {self.rt.base_policy.revision}",
                                 errors=errors)
            previous = self.rt.base_policy.revision
            if result.policy.revision == previous:
                return {"changed": False, "previous_revision": previous, "revision": previous,
                        "loaded_at": self.loaded_at, "counts": counts(self.rt.policy)}
            try:
                new = await run_in_threadpool(open_runtime, result.policy, self.settings.database_url)
            except WorkflowError as exc:
                raise ApiProblem(409, exc.code, f"新策略不能启用：{exc.message}；仍使用修订 {previous}") from None
            async with self._sync_lock:
                await run_in_threadpool(self._announce_reload, previous, result.policy.revision)
                records, seq = await run_in_threadpool(new.workflow.admission_records)
                for rec in records:
                    new.index.apply_admission(rec)
                new.index.admission_seq = seq
                await self._swap(new)
            return {"changed": True, "previous_revision": previous, "revision": result.policy.revision,
                    "loaded_at": self.loaded_at, "counts": counts(new.policy)}

    def _announce_reload(self, previous: str, revision: str) -> None:
        with self.engine.begin() as c:
            c.execute(insert(_CHANGE).values(kind="policy-reloaded", application_id=None,
                                             at=dt.datetime.now(dt.timezone.utc),
                                             payload={"revision": revision, "previous_revision": previous}))


def api_engine(url: str | None):
    """The API's own pool.  On SQLite its transactions begin DEFERRED, so token lookups and
    change polling read beside a writer (WAL) instead of queueing behind it for the write lock
    that the workflow's BEGIN IMMEDIATE takes; its writes (log flushes, idempotency records)
    start with the write, so they wait their turn.  PostgreSQL: the same engine as the store."""
    url = database_url(url)
    if not url.startswith("sqlite"):
        return make_engine(url)
    from sqlalchemy import event
    from sqlmodel import create_engine

    from ..store.db import JSON_COLUMNS

    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, **JSON_COLUMNS)

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_conn, _record):
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _begin(conn):
        conn.exec_driver_sql("BEGIN")

    return engine


def _freeze() -> None:
    """Keep the (large, long-lived) policy and index out of the garbage collector's full passes,
    which otherwise stall the event loop for tens of milliseconds now and then."""
    gc.unfreeze()
    gc.collect()
    gc.freeze()


#: The problems of a revision refused for trust (`admission.scale.signing`), answered as such.
TRUST_CODES = frozenset({"bundle-unsigned", "bundle-wrong-key", "bundle-bad-signature", "bundle-replayed"})


def open_served_bundle(settings: ApiSettings, serving: tuple[str, int] | None = None):
    """The bundle's current revision, as this replica may serve it: with `verify_key` set,
    signed by that key and, when a revision is in service (`serving`: its id and sequence),
    not older than it (a different revision must have a higher sequence)."""
    from ..scale.bundle import open_bundle
    from ..scale.signing import TrustError, load_public_key

    if settings.verify_key is None:
        return open_bundle(settings.bundle)
    key = load_public_key(settings.verify_key)
    bundle = open_bundle(settings.bundle, verify_key=key, min_sequence=serving[1] if serving else 0)
    if serving and bundle.revision != serving[0] and bundle.sequence <= serving[1]:
        raise TrustError("bundle-replayed", f"修订 {bundle.revision} 的序号 {bundle.sequence} 不高于在用修订的 {serving[1]}",
                         f"revision {bundle.revision} (sequence {bundle.sequence}) is not newer than the one in service")
    return bundle


def read_policy(settings: ApiSettings, serving: tuple[str, int] | None = None) -> LoadResult:
    """The policy to serve: the policy directory, validated; or, with `bundle` set, the bundle's
    current revision (validated when it was built; every replica reading the same database
    serves the same revision; see `open_served_bundle` for signed revisions)."""
    if not settings.bundle:
        return validate_tree(settings.policies, LoadOptions(workers=settings.load_workers))
    from ..scale.signing import TrustError

    try:
        return LoadResult(open_served_bundle(settings, serving).policy(), [])
    except TrustError as exc:
        return LoadResult(None, [Diagnostic(exc.code, exc.message, None, message_en=exc.message_en)])
    except Exception as exc:  # no bundle there, unreadable, a blob failing its hash, another format
        return LoadResult(None, [Diagnostic("bundle-unreadable", f"编译包无法读取：{exc}", None,
                                            message_en=f"cannot read the bundle {settings.bundle}")])


def load_valid(settings: ApiSettings):
    result = read_policy(settings)
    if not result.ok:
        lines = "\n".join(d.format() for d in result.diagnostics[:20])
        raise RuntimeError(f"policy {settings.bundle or settings.policies} does not load:\n{lines}")
    return result.policy
