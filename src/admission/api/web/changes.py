"""Graphs in the page and what a change does.  The Graphviz views of `render` inline as SVG,
their nodes linking to the workbench's pages and findings marked (the expanded township view on
demand); and the policy on disk against the revision in service, as `explain.diff` computes it
(matters gained, lost or moved per unit; findings added or removed) with `render.diff`'s graph."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from starlette.responses import HTMLResponse, Response

from ...explain.diff import diff_policies
from ...render import output
from ...render.diff import diff_view
from ..routes.graphs import render_graph
from ..schemas import ApiDate
from ..state import read_policy
from . import units as U
from .findings import items_for
from .pages import SessionDep, file_visible
from .session import PREFIX, missing, may_see, render
from .tasks import inline_svg

router = APIRouter(prefix=PREFIX, include_in_schema=False)
_SVG: dict[tuple, str] = {}
KINDS = {"unit": ("township",), "county": ("government",), "department": ("department",)}


@router.get("/graph/{view}/{ident}")
async def graph(request: Request, view: Literal["unit", "county", "department", "matter", "flow"], ident: str,
                s: SessionDep, on: ApiDate | None = None, expanded: bool = False, fragment: bool = False) -> Response:
    state = request.app.state.admission
    rt = state.rt
    policy = rt.policy
    if view in KINDS:
        u = policy.units.get(ident)
        if u is None or u.kind.value not in KINDS[view] or not may_see(s.scope, ident):
            raise missing("图")
    elif view == "matter" and ident not in policy.matters or view == "flow" and ident not in policy.flows:
        raise missing("图")
    day = on or state.today()
    me = rt.index.units.get(s.caller.unit)
    county = me.county if view == "matter" and s.scope is not None and me is not None else None
    key = (id(rt.index), rt.index.admission_seq, view, ident, day, expanded, county)
    svg = _SVG.get(key)
    if svg is None:
        found = [it.f for it in await items_for(state, day)]
        svg = inline_svg(await state.reading(render_graph, state, view, ident, day, expanded, web=True,
                                             findings=found, county=county))
        if len(_SVG) > 64:
            _SVG.clear()
        _SVG[key] = svg
    if fragment:
        return HTMLResponse(svg)
    title = U.name_of(policy, ident) if view in KINDS else (policy.matters[ident].name if view == "matter" else ident)
    return render(request, "graph.html", svg=svg, title=title, view=view, ident=ident, on=day, expanded=expanded)


def _diff(state, on: dt.date):
    result = read_policy(state.settings)
    if not result.ok:
        return None, result.diagnostics
    old = state.rt.base_policy
    d = diff_policies(old, result.policy, on)
    svg = inline_svg(output.render_bytes(diff_view(old, result.policy, on=on, diff=d), "svg"))
    return (d, svg, result.policy), []


@router.get("/diff")
async def diff(request: Request, s: SessionDep, on: ApiDate | None = None,
               show: Annotated[Literal["", "run"], Query()] = "") -> Response:
    state = request.app.state.admission
    day = on or state.today()
    if show != "run":
        return render(request, "diff.html", d=None, on=day, errors=[], ran=False)
    got, errors = await state.reading(_diff, state, day)
    if got is None:
        return render(request, "diff.html", d=None, on=day, errors=errors[:50], ran=True)
    d, svg, new = got
    policy = state.rt.policy
    units = [uc for uc in d.units if uc.changed() and may_see(s.scope, uc.unit)]

    def seen(f):
        return f.span is None or file_visible(policy, s, f.span.file) or file_visible(new, s, f.span.file)

    names = {mid: m.name for mid, m in {**policy.matters, **new.matters}.items()}
    return render(request, "diff.html", d=d, on=day, errors=[], ran=True, units=units, names=names,
                  added=[f for f in d.added if seen(f)], removed=[f for f in d.removed if seen(f)],
                  svg=svg if s.scope is None else None, labels=U.LIST_LABELS)
