"""The loaded policy, its reload, the change feed, health and readiness, who am I."""

from __future__ import annotations

import os
from typing import Annotated

from fastapi import APIRouter, Query, Response
from starlette.concurrency import run_in_threadpool

from ...flow.service import flow_revision
from ..deps import CallerDep, OperatorDep, StateDep
from ..problems import ApiProblem
from ..reading import CONDITIONAL, ETAG_HEADER, NOT_MODIFIED, deprecate
from ..schemas import ChangeFeed, HealthOut, MeOut, PolicyOut, ReadyOut, ReloadOut
from ..state import counts
from . import AUTH, errors

router = APIRouter(prefix="/v1", tags=["policy 策略与变化"])


@router.get("/health", response_model=HealthOut, summary="存活检查（无需令牌）")
async def health():
    return {"status": "ok", "pid": os.getpid()}


@router.get("/ready", response_model=ReadyOut, responses=errors(503), summary="就绪检查：策略已加载、数据库可用（无需令牌）")
async def ready(state: StateDep):
    try:
        await run_in_threadpool(state._max_seq)
    except Exception:
        raise ApiProblem(503, "database-unavailable", "数据库暂不可用") from None
    return {"status": "ready", "pid": os.getpid(), "revision": state.rt.base_policy.revision,
            "admission_seq": state.rt.index.admission_seq}


@router.get("/me", response_model=MeOut, responses=errors(*AUTH), summary="当前令牌的单位与角色")
async def me(caller: CallerDep, state: StateDep):
    u = state.rt.index.units.get(caller.unit)
    return {"token_id": caller.token_id, "unit": caller.unit, "unit_name": u.name if u else None, "role": caller.role}


@router.get("/policy", response_model=PolicyOut, responses={200: {"headers": ETAG_HEADER}, **NOT_MODIFIED, **errors(*AUTH)},
            dependencies=CONDITIONAL, summary="当前策略：修订、加载时间、数量")
async def policy(caller: CallerDep, state: StateDep):
    rt = state.rt
    return {"revision": rt.base_policy.revision, "effective_revision": rt.index.revision, "loaded_at": state.loaded_at,
            "admission_seq": rt.index.admission_seq, "counts": counts(rt.policy),
            "flows": [{"id": f.id, "name": f.name, "kind": f.kind.value, "revision": flow_revision(f)}
                      for f in rt.policy.flows.values()]}


@router.post("/policy/reload", response_model=ReloadOut, responses=errors(*AUTH, 409, 422),
             summary="（运维）重新加载策略目录：先校验，不合格的策略决不替换在用的策略")
async def reload(caller: OperatorDep, state: StateDep):
    return await state.reload()


@router.get("/changes", response_model=ChangeFeed, responses=errors(*AUTH, 422),
            summary="变化流：准入进入与退出、动态调整、策略重载（按序号，after 为上次看到的序号）")
async def changes(caller: CallerDep, state: StateDep, response: Response,
                  after: Annotated[int | None, Query(ge=0, le=2_147_483_647, description="上次看到的序号（首次为 0）")] = None,
                  limit: Annotated[int, Query(ge=1, le=1000)] = 100,
                  since: Annotated[int | None, Query(ge=0, le=2_147_483_647, deprecated=True,
                                                     description="已弃用（同 after），请改用 after")] = None):
    if since is not None:
        if after is not None and after != since:
            raise ApiProblem(422, "conflicting-parameters", "after 与已弃用的 since 不一致：只写 after")
        deprecate(response, "since", "after")
    start = after if after is not None else (since or 0)
    rows = await run_in_threadpool(state.rt.workflow.changes, start, limit)
    items = [{"seq": r.seq, "kind": r.kind, "application_id": r.application_id, "at": r.at, "payload": r.payload}
             for r in rows]
    nxt = items[-1]["seq"] if items else start
    return {"items": items, "next_after": nxt, "next_since": nxt, "admission_seq": state.rt.index.admission_seq}
