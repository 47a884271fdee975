"""A decisions-only replica over a bundle (`admission serve --bundle URL --sharded`).

The whole national policy does not fit one process (≈13 GB), but a decision reads one county's
shard.  This replica starts from the bundle's manifest, unit directory and common part, builds a
shard's index on the first question about it (`shard.ShardedDecider`, an LRU of shards), and
answers `POST /v1/decisions` and `POST /v1/exercise-checks` exactly as a replica holding the
whole policy does (a test compares them).  Admissions the workflow enters reach it from the
shared store through the change feed.  Everything else — the workflow, findings, views — is
served by replicas that hold the whole policy (of a province, say); here it answers 501 with a
problem+json body saying so.
"""

from __future__ import annotations

import datetime as dt
import os

from fastapi import APIRouter, FastAPI, Request
from starlette.concurrency import run_in_threadpool

from ..flow.service import stored_admissions
from ..scale.shard import ShardedDecider
from ..scale.signing import TrustError
from ..store.db import migrate
from .deps import CallerDep, OperatorDep, StateDep
from .problems import ApiProblem
from .settings import ApiSettings
from .state import AppState, api_engine, open_served_bundle

router = APIRouter(prefix="/v1", tags=["sharded 分片决策副本"])


class ShardedState(AppState):
    """What a decisions-only worker holds: the sharded decider, the token cache, the decision
    log; no runtime (`rt` is None)."""

    def __init__(self, settings: ApiSettings, decider: ShardedDecider, engine):
        super().__init__(settings, None, engine)
        self.decider = decider

    @classmethod
    def open(cls, settings: ApiSettings) -> ShardedState:
        if not settings.bundle:
            raise RuntimeError("sharded mode serves a bundle: set ADMISSION_BUNDLE (admission serve --bundle)")
        engine = api_engine(settings.database_url)
        migrate(engine)
        state = cls(settings, ShardedDecider(open_served_bundle(settings)), engine)
        state._apply_admissions(state.decider)
        return state

    def _apply_admissions(self, decider: ShardedDecider) -> None:
        records, seq = stored_admissions(self.engine)  # the workflow store (its tables, read only)
        for rec in records:
            decider.apply_admission(rec, seq)
        decider.admission_seq = max(decider.admission_seq, seq)

    async def sync(self) -> None:
        """Admissions entering or exiting, and newly published revisions, from the change feed."""
        async with self._sync_lock:
            decider = self.decider
            latest = await run_in_threadpool(self._max_seq)
            if latest <= decider.admission_seq:
                return
            if await self._newer_revision():
                return
            await run_in_threadpool(self._apply_admissions, decider)

    async def _newer_revision(self) -> bool:
        try:
            bundle = await run_in_threadpool(open_served_bundle, self.settings, self._serving())
        except Exception:  # unreadable or untrusted now: keep serving what is loaded
            return False
        if bundle.revision == self.decider.revision:
            return False
        fresh = ShardedDecider(bundle)
        await run_in_threadpool(self._apply_admissions, fresh)
        self.decider = fresh
        self.loaded_at = dt.datetime.now(dt.timezone.utc)
        return True

    def _serving(self) -> tuple[str, int]:
        return self.decider.revision, self.decider.bundle.sequence

    async def reload(self) -> dict:
        async with self._reload_lock:
            previous = self.decider.revision
            try:
                await run_in_threadpool(open_served_bundle, self.settings, self._serving())
            except TrustError as exc:
                raise ApiProblem(422, exc.code, f"{exc.message}；仍使用修订 {previous}") from None
            except Exception as exc:
                raise ApiProblem(422, "policy-invalid", f"编译包无法读取：{exc}；仍使用修订 {previous}") from None
            async with self._sync_lock:
                changed = await self._newer_revision()
                if changed:
                    await run_in_threadpool(self._announce_reload, previous, self.decider.revision)
            return {"changed": changed, "previous_revision": previous, "revision": self.decider.revision,
                    "loaded_at": self.loaded_at, "counts": self.counts()}

    def counts(self) -> dict[str, int]:
        d = self.decider
        return {"units": len(d.directory), "matters": len(d.matters), "shards": len(d.bundle.shards),
                "loaded_shards": len(d.loaded())}


@router.get("/health", summary="存活检查（无需令牌）")
async def health():
    return {"status": "ok", "pid": os.getpid(), "mode": "sharded"}


@router.get("/policy", summary="当前编译包修订与已加载的分片")
async def policy(caller: CallerDep, state: StateDep):
    d = state.decider
    return {"revision": d.revision, "effective_revision": d.revision, "mode": "sharded", "loaded_at": state.loaded_at,
            "admission_seq": d.admission_seq, "counts": state.counts(), "loaded_shards": d.loaded()}


@router.post("/policy/reload", summary="（运维）读取编译包的当前修订")
async def reload(caller: OperatorDep, state: StateDep):
    return await state.reload()


def install(app: FastAPI) -> None:
    """The routes of a decisions-only replica; every other path answers 501 problem+json."""
    app.include_router(router)

    @app.api_route("/{path:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE"], include_in_schema=False)
    async def not_here(path: str, request: Request):
        raise ApiProblem(501, "not-served-by-sharded-replica",
                         f"本副本只回答决策问题（POST /v1/decisions、/v1/exercise-checks），/{path} 由持有完整策略的副本提供")
