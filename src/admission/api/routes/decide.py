"""Decisions, exercise checks, duties, owners, matters, findings — anyone authenticated."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Body, Path, Query, Request

from .. import views
from ..decisions import answer
from ..deps import CallerDep, StateDep
from ..reading import CONDITIONAL, ETAG_HEADER, NOT_MODIFIED, PageDep, page_body
from ...language.base import DATE_RANGE, ID_PATTERN
from ..schemas import (
    NO_CONTROL, ApiDate, ApiId, DecisionBatchOut, DecisionOut, DecisionRequest, DutiesOut, ExerciseRequest, FindingPage, MatterPage,
    OwnersOut,
)
from . import AUTH, errors, json_response

router = APIRouter(prefix="/v1", tags=["decisions 决定与查询"])

DayQuery = Annotated[ApiDate | None, Query(description=f"日期 YYYY-MM-DD（默认今天，北京时间），{DATE_RANGE}")]
IdQuery = Annotated[str, Query(min_length=1, max_length=80, pattern=ID_PATTERN)]
OptId = Annotated[str | None, Query(max_length=80, pattern=ID_PATTERN)]
OptText = Annotated[str | None, Query(max_length=200, pattern=NO_CONTROL)]


@router.post("/decisions", response_model=DecisionOut | DecisionBatchOut,
             responses=errors(*AUTH, 413, 415, 422, 503),
             summary="可否下派：部门 actor 可否在某日把事项交给乡镇或村 — one question or a batch")
async def decisions(body: Annotated[DecisionRequest, Body()], request: Request, caller: CallerDep, state: StateDep):
    """一个问题（`actor`、`matter`、`target`……）或一批（`{"questions": [...]}`）。每个回答带理由、依据、
    策略修订和准入序号；未知标识返回 422 并逐一列出；已知事项不能下派时是有理由的拒绝（200，`outcome: deny`）。"""
    return json_response(await answer(state, body, await request.body(), caller, "decisions"))


@router.post("/exercise-checks", response_model=DecisionOut | DecisionBatchOut,
             responses=errors(*AUTH, 413, 415, 422, 503),
             summary="可否行使：单位可否在某日行使某项职权 — one question or a batch")
async def exercise_checks(body: Annotated[ExerciseRequest, Body()], request: Request, caller: CallerDep,
                          state: StateDep):
    # served by `DecisionFastPath` (admission.api.decisions); this route is what OpenAPI describes
    return json_response(await answer(state, body, await request.body(), caller, "exercise-checks"))


def _read(*codes: int) -> dict:
    return {200: {"headers": ETAG_HEADER}, **NOT_MODIFIED, **errors(*codes)}


@router.get("/units/{unit_id}/duties", response_model=DutiesOut, responses=_read(*AUTH, 422), dependencies=CONDITIONAL,
            summary="单位某日的职责：三张清单、持有与赋权的职权、有效的准入")
async def duties(unit_id: Annotated[ApiId, Path()], caller: CallerDep, state: StateDep, on: DayQuery = None):
    return views.duties(state.rt, unit_id, on or state.today())


@router.get("/owners", response_model=OwnersOut, responses=_read(*AUTH, 422), dependencies=CONDITIONAL,
            summary="某事项在某单位由谁负责、谁承办、谁配合（who）")
async def owners(matter: IdQuery, unit: IdQuery, caller: CallerDep, state: StateDep, on: DayQuery = None):
    return views.owners(state.rt, matter, unit, on or state.today())


@router.get("/matters", response_model=MatterPage, responses=_read(*AUTH, 422), dependencies=CONDITIONAL,
            summary="按文字查找事项")
async def matters(caller: CallerDep, state: StateDep,
                  q: Annotated[str | None, Query(max_length=200, pattern=NO_CONTROL, description="名称、编码、领域或标签中的文字")] = None,
                  domain: OptText = None,
                  power_type: OptId = None, page: PageDep = None):
    found = views.search_matters(state.rt, q, domain, power_type, page.after, page.limit)
    return {"revision": found["revision"], **page_body(page, found["items"], found["total"])}


@router.get("/findings", response_model=FindingPage, responses=_read(*AUTH, 422), dependencies=CONDITIONAL,
            summary="检查发现的问题（交叉、缺位、违规下派、失效），可筛选、分页")
async def findings(caller: CallerDep, state: StateDep, on: DayQuery = None,
                   rule: Annotated[str | None, Query(max_length=80, pattern=ID_PATTERN, description="规则代码")] = None,
                   severity: Annotated[Literal["error", "warning", "info"] | None, Query()] = None,
                   county: Annotated[str | None, Query(max_length=80, pattern=ID_PATTERN, description="县级党委政府标识")] = None,
                   township: Annotated[str | None, Query(max_length=80, pattern=ID_PATTERN, description="乡镇(街道)标识")] = None,
                   subject: OptText = None, page: PageDep = None):
    day = on or state.today()
    rt = state.rt
    key = (id(rt.index), rt.index.admission_seq, day)
    items = state._findings_cache.get(key)
    if items is None:
        items = await state.reading(views.all_findings, rt, day)
        if len(state._findings_cache) > 16:
            state._findings_cache.clear()
        state._findings_cache[key] = items
    picked = views.filter_findings(items, rt.index, rule=rule, severity=severity, county=county, township=township,
                                   subject=subject)
    shown = [{**f, "rule": f["code"]} for f in picked[page.after:page.after + page.limit]]
    return {"on": day, "revision": rt.index.revision, "admission_seq": rt.index.admission_seq,
            **page_body(page, shown, len(picked))}
