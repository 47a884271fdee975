"""Decision logs: query, export as JSON Lines, counters.  An operator reads them system-wide; an
admin only the entries whose caller, actor or target unit lies in its unit's subtree (filtered in
the query, so paging is unaffected); the counters are the operator's."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response
from starlette.concurrency import iterate_in_threadpool, run_in_threadpool
from starlette.responses import StreamingResponse

from ...language.base import DATE_RANGE
from ..auth import Caller, subtree
from ..deps import LogReaderDep, OperatorDep, StateDep
from ..schemas import NO_CONTROL, ApiDateTime, DecisionLogPage, DecisionLogStats
from ..problems import ApiProblem
from ..reading import deprecate
from . import AUTH, errors

router = APIRouter(prefix="/v1/decision-logs", tags=["decision logs 决策日志"])

Text80 = Annotated[str | None, Query(max_length=80, pattern=NO_CONTROL)]


def _scope(caller: Caller, state) -> frozenset[str] | None:
    """The units whose entries the caller may read (None: all)."""
    return None if caller.role == "operator" else subtree(state.rt.index, caller.unit)


def _filters(decision_id, path, caller_unit, actor, matter, target, outcome, code, revision) -> dict:
    return dict(decision_id=decision_id, path=path, caller_unit=caller_unit, actor=actor, matter=matter,
                target=target, outcome=outcome, code=code, revision=revision)


@router.get("", response_model=DecisionLogPage, responses=errors(*AUTH, 422),
            summary="查询决策日志（运维：全部；管理员：本单位及下级；一次请求一条，按序号翻页；actor/matter/target 只筛单个问题）")
async def query(caller: LogReaderDep, state: StateDep, response: Response,
                after: Annotated[int, Query(ge=0, le=2_147_483_647, description="上一页最后一条的 seq")] = 0,
                limit: Annotated[int, Query(ge=1, le=1000)] = 100,
                since: Annotated[ApiDateTime | None, Query(description=f"不早于（ISO 8601，{DATE_RANGE}）")] = None,
                until: Annotated[ApiDateTime | None, Query(description=f"早于（ISO 8601，{DATE_RANGE}）")] = None,
                decision_id: Text80 = None,
                path: Annotated[Literal["decisions", "exercise-checks"] | None, Query()] = None,
                caller_unit: Text80 = None, actor: Text80 = None, matter: Text80 = None, target: Text80 = None,
                outcome: Annotated[Literal["allow", "deny", "error"] | None, Query()] = None,
                rule: Annotated[str | None, Query(max_length=80, pattern=NO_CONTROL, description="规则代码（如 pushdown-unlisted）")] = None,
                revision: Text80 = None,
                code: Annotated[str | None, Query(max_length=80, pattern=NO_CONTROL, deprecated=True,
                                                  description="已弃用（同 rule），请改用 rule")] = None):
    if code is not None:
        if rule is not None and rule != code:
            raise ApiProblem(422, "conflicting-parameters", "rule 与已弃用的 code 不一致：只写 rule")
        deprecate(response, "code", "rule")
        rule = code
    rows = await run_in_threadpool(state.log.query, after=after, limit=limit, since=_utc(since), until=_utc(until),
                                   scope=_scope(caller, state),
                                   **_filters(decision_id, path, caller_unit, actor, matter, target, outcome, rule,
                                              revision))
    return {"items": rows, "next_after": rows[-1]["seq"] if rows else after}


@router.get("/export", responses={**errors(*AUTH, 422), 200: {
    "description": "JSON Lines：每行一条决策", "content": {"application/x-ndjson": {"schema": {"type": "string"}}}}},
    response_class=StreamingResponse, summary="导出决策日志（JSON Lines；运维：全部；管理员：本单位及下级）")
async def export(caller: LogReaderDep, state: StateDep,
                 after: Annotated[int, Query(ge=0, le=2_147_483_647)] = 0,
                 since: Annotated[ApiDateTime | None, Query()] = None,
                 until: Annotated[ApiDateTime | None, Query()] = None,
                 matter: Text80 = None, actor: Text80 = None, target: Text80 = None,
                 outcome: Annotated[Literal["allow", "deny", "error"] | None, Query()] = None):
    if state.log.mode == "buffered":
        await run_in_threadpool(state.log.flush)
    chunks = state.log.export(after=after, since=_utc(since), until=_utc(until), matter=matter, actor=actor,
                              target=target, outcome=outcome, scope=_scope(caller, state))
    return StreamingResponse(iterate_in_threadpool(chunks), media_type="application/x-ndjson",
                             headers={"Content-Disposition": 'attachment; filename="decisions.jsonl"'})


@router.get("/stats", response_model=DecisionLogStats, responses=errors(*AUTH),
            summary="（运维）决策日志计数：已写入、丢弃（缓冲满）、抽样略去、写入失败，按进程与合计")
async def stats(caller: OperatorDep, state: StateDep):
    return await run_in_threadpool(state.log.stats)


def _utc(t: dt.datetime | None) -> dt.datetime | None:
    if t is None:
        return None
    return t.astimezone(dt.timezone.utc) if t.tzinfo else t.replace(tzinfo=dt.timezone.utc)
