"""The register questions and the burden view (issue 20) — anyone authenticated.  Unknown ids
are a 422 naming each; a question the registers refuse is an answer (200, `outcome: deny`)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query

from .. import views
from ..deps import CallerDep, StateDep
from ..schemas import NO_CONTROL, ApiId
from ..schemas.registers import BurdenOut, BurdenRankingOut, RegisterDecisionOut
from ...language.base import ID_PATTERN
from . import AUTH, errors
from .decide import DayQuery, IdQuery

router = APIRouter(prefix="/v1", tags=["registers 登记册与负担"])

TextQuery = Annotated[str, Query(min_length=1, max_length=200, pattern=NO_CONTROL)]
_ERRORS = errors(*AUTH, 422)


@router.get("/registers/inspect", response_model=RegisterDecisionOut, responses=_ERRORS,
            summary="部门可否在某日对乡镇或村开展某项督查检查考核（计划管理）")
async def inspect(department: IdQuery, item: TextQuery, target: IdQuery, caller: CallerDep, state: StateDep,
                  kind: Annotated[Literal["inspection", "check", "evaluation"], Query()] = "inspection",
                  on: DayQuery = None):
    return views.register_question(state.rt, "inspect", department, item, target, on or state.today(), kind=kind)


@router.get("/registers/second", response_model=RegisterDecisionOut, responses=_ERRORS,
            summary="机关可否借调乡镇(街道) N 名工作人员（县级借调准入）")
async def second(organ: IdQuery, township: IdQuery, caller: CallerDep, state: StateDep,
                 count: Annotated[int, Query(ge=1, le=10000)] = 1, on: DayQuery = None):
    return views.register_question(state.rt, "second", organ, count, township, on or state.today())


@router.get("/registers/hang", response_model=RegisterDecisionOut, responses=_ERRORS,
            summary="村(社区)可否悬挂某块牌子（机制牌子目录）")
async def hang(unit: IdQuery, board: TextQuery, caller: CallerDep, state: StateDep, on: DayQuery = None):
    return views.register_question(state.rt, "hang", None, board, unit, on or state.today())


@router.get("/registers/seal", response_model=RegisterDecisionOut, responses=_ERRORS,
            summary="社区印章可否用于某一用途（社区印章使用范围）")
async def seal(community: IdQuery, purpose: TextQuery, caller: CallerDep, state: StateDep, on: DayQuery = None):
    return views.register_question(state.rt, "seal", None, purpose, community, on or state.today())


@router.get("/registers/form", response_model=RegisterDecisionOut, responses=_ERRORS,
            summary="部门可否要求乡镇或村填报某张表格（报表目录）")
async def form(department: IdQuery, unit: IdQuery, form: Annotated[str, Query(min_length=1, max_length=80,
                                                                                 pattern=ID_PATTERN)],
               caller: CallerDep, state: StateDep, on: DayQuery = None):
    return views.register_question(state.rt, "form", department, form, unit, on or state.today())


BaselineQuery = Annotated[int | None, Query(ge=1949, le=2199, description="基准年（默认取登记册写明的基准年）")]


@router.get("/units/{unit_id}/burden", response_model=BurdenOut, responses=_ERRORS,
            summary="乡镇或村的负担一览：清单事项、下派、督查检查、借调、牌子、表格，各对上限与基准年")
async def burden(unit_id: Annotated[ApiId, Path()], caller: CallerDep, state: StateDep, on: DayQuery = None,
                 baseline: BaselineQuery = None):
    return views.burden(state.rt, unit_id, on or state.today(), baseline)


@router.get("/counties/{county_id}/burden", response_model=BurdenRankingOut, responses=_ERRORS,
            summary="一县的乡镇(街道)按负担排列")
async def county_burden(county_id: Annotated[ApiId, Path()], caller: CallerDep, state: StateDep,
                        on: DayQuery = None, baseline: BaselineQuery = None):
    return views.county_burden(state.rt, county_id, on or state.today(), baseline)
