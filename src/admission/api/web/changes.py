"""Graphs in the page and what a change does.  The Graphviz views of `render` inline as SVG,
their nodes linking to the workbench's pages and findings marked (the expanded township view on
demand); and two revisions (the one in service, the YAML on disk, a bundle's revisions), as
`explain.diff` computes it
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


def revisions(state) -> list[tuple[str, str]]:
    """What the page may compare: the revision in service, the YAML on disk (when serving a
    directory), and every revision of the bundle (when serving one)."""
    out = [("service", f"在用修订 in service {state.rt.base_policy.revision[:12]}")]
    spec = state.settings.bundle
    if not spec:
        return out + [("disk", "磁盘上的 YAML on disk")]
    from ...scale.bundle import source_for

    src = source_for(spec)
    listed = src.revisions() if hasattr(src, "revisions") else src.store.revisions()
    return out + [(r, f"编译包修订 bundle revision {r[:12]}") for r in listed]


def _load(state, which: str):
    if which == "service":
        return state.rt.base_policy, []
    if which == "disk" and not state.settings.bundle:
        result = read_policy(state.settings)
        return result.policy, result.diagnostics
    from ...scale.bundle import open_bundle

    return open_bundle(state.settings.bundle, which).policy(), []


def _diff(state, old_id: str, new_id: str, on: dt.date):
    old, errors = _load(state, old_id)
    new, more = _load(state, new_id)
    if old is None or new is None:
        return None, [*errors, *more]
    d = diff_policies(old, new, on)
    svg = inline_svg(output.render_bytes(diff_view(old, new, on=on, diff=d), "svg"))
    return (d, svg, old, new), []


Choice = Annotated[str | None, Query(max_length=80, pattern=r"^[0-9A-Za-z_.\-]+$")]


@router.get("/diff")
async def diff(request: Request, s: SessionDep, on: ApiDate | None = None,
               show: Annotated[Literal["", "run"], Query()] = "", old: Choice = None,
               new: Choice = None) -> Response:
    state = request.app.state.admission
    day = on or state.today()
    choices = revisions(state)
    known = {k for k, _ in choices}
    old = old or "service"
    new = new or ("disk" if "disk" in known else choices[-1][0])
    if old not in known or new not in known:
        raise missing("修订")
    page = dict(on=day, choices=choices, old=old, new=new)
    if show != "run":
        return render(request, "diff.html", d=None, errors=[], ran=False, **page)
    got, errors = await state.reading(_diff, state, old, new, day)
    if got is None:
        return render(request, "diff.html", d=None, errors=errors[:50], ran=True, **page)
    d, svg, old_policy, new_policy = got
    changed = [uc for uc in d.units if uc.changed()]
    units = [uc for uc in changed if may_see(s.scope, uc.unit)]

    def seen(f):
        return f.span is None or any(file_visible(p, s, f.span.file) for p in (old_policy, new_policy))

    names = {mid: m.name for mid, m in {**old_policy.matters, **new_policy.matters}.items()}
    return render(request, "diff.html", d=d, errors=[], ran=True, units=units, names=names, **page,
                  added=[f for f in d.added if seen(f)], removed=[f for f in d.removed if seen(f)],
                  svg=svg if len(units) == len(changed) else None, labels=U.LIST_LABELS)  # the graph names every unit
