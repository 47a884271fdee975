"""Graph renderings (SVG), for the API and, with links into its pages, for the workbench.

Browsers cannot send bearer tokens on links, so these read-only routes also accept the token
from the HttpOnly cookie the workbench's sign-in sets (`/review/login`).  Everything else in `/v1`
takes bearer tokens only.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Request
from fastapi.responses import Response

from ..problems import ApiProblem
from ..schemas import ApiDate
from ..web.session import COOKIE

router = APIRouter(tags=["graphs 图"])
SVG = "image/svg+xml"


async def _caller(request: Request):
    header = request.headers.get("authorization", "")
    token = header[7:].strip() if header.lower().startswith("bearer ") else request.cookies.get(COOKIE)
    if not token:
        raise ApiProblem(401, "unauthenticated", "缺少令牌：请带 Bearer 令牌，或先在 /review/login 登录",
                         headers={"WWW-Authenticate": "Bearer"})
    caller = await request.app.state.admission.authenticate(token)
    if caller is None:
        raise ApiProblem(401, "bad-token", "令牌无效或已撤销", headers={"WWW-Authenticate": "Bearer"})
    return caller


def render_graph(state, view: str, ident: str, on: dt.date, expanded: bool, *, web: bool = False, findings=None,
                 county: str | None = None) -> bytes:
    """The SVG of one view; `web` links its nodes to the workbench's pages instead of to more SVG;
    `county` limits a matter's view to one county."""
    from ...evaluate.checks import run_checks
    from ...render import output
    from ...render.county import county_view
    from ...render.department import department_view
    from ...render.flow import flow_view
    from ...render.matter import matter_view
    from ...render.unit import unit_view
    from ...language.enums import UnitKind

    rt = state.rt
    policy, index = rt.policy, rt.index
    if view == "flow":
        if ident not in policy.flows:
            raise ApiProblem(404, "not-found", f"流程 {ident} 不存在")
        return output.render_bytes(flow_view(policy, ident), "svg")
    kinds = {"unit": (UnitKind.township,), "county": (UnitKind.government,),
             "department": (UnitKind.department,)}
    if view == "matter":
        if ident not in policy.matters:
            raise ApiProblem(404, "not-found", f"事项 {ident} 不存在")
    elif ident not in policy.units or policy.units[ident].kind not in kinds[view]:
        raise ApiProblem(404, "not-found", f"单位 {ident} 不存在或不能画成 {view} 图")
    if findings is None:
        findings = run_checks(policy, on, index)
    if web:
        unit_href = lambda uid: f"/review/unit/{uid}?on={on}"  # noqa: E731
        links = {"detail_href": f"/review/graph/unit/{{unit}}?on={on}&expanded=1#{{anchor}}",
                 "matter_href": "/review/matter/{matter}"}
    else:
        unit_href = lambda uid: f"/v1/graphs/unit/{uid}?on={on}"  # noqa: E731
        links = {}
    if view == "unit":
        g = unit_view(policy, index, ident, on=on, findings=findings, expanded=expanded, **links)
    elif view == "county":
        g = county_view(policy, index, ident, on=on, findings=findings, unit_href=unit_href)
    elif view == "department":
        g = department_view(policy, index, ident, on=on, findings=findings, unit_href=unit_href)
    else:
        g = matter_view(policy, index, ident, on=on, findings=findings, unit_href=unit_href, county=county)
    return output.render_bytes(g, "svg")


@router.get("/v1/graphs/{view}/{ident}", response_class=Response, summary="责任图（SVG） responsibility graph",
            responses={200: {"content": {SVG: {}}}, 404: {}})
async def graph(request: Request, view: Literal["unit", "department", "matter", "county", "flow"],
                ident: Annotated[str, Path(max_length=80, pattern=r"^[0-9A-Za-z\u4e00-\u9fff_.\-]+$")],
                on: ApiDate | None = None, expanded: bool = False) -> Response:
    await _caller(request)
    state = request.app.state.admission
    day = on or state.today()
    data = await state.reading(render_graph, state, view, ident, day, expanded)  # the index cannot change meanwhile
    return Response(data, media_type=SVG)
