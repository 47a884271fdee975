"""The workbench's sign-in and browsing pages: sign in and out, the home page, a unit (province
down to village) with its lists, a matter, search, and the YAML behind an entry."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from starlette.responses import RedirectResponse, Response

from ..schemas import ApiDate
from . import units as U
from .session import COOKIE, PREFIX, Session, WebError, check_csrf, missing, may_see, render, session, signed_in

router = APIRouter(prefix=PREFIX, include_in_schema=False)
LOGIN_COOKIE = "admission_login"
SessionDep = Annotated[Session, Depends(session)]
PageNo = Annotated[int, Query(ge=1, le=100_000)]


def _safe_next(value: str | None) -> str:
    return value if value and value.startswith(PREFIX) and not value.startswith("//") else PREFIX


@router.get("/login")
async def login_form(request: Request, next: Annotated[str | None, Query(max_length=500)] = None) -> Response:
    nonce = secrets.token_urlsafe(24)
    response = render(request, "login.html", nonce=nonce, next=_safe_next(next), error=None)
    response.set_cookie(LOGIN_COOKIE, nonce, httponly=True, samesite="strict", path=PREFIX)
    return response


@router.post("/login")
async def login(request: Request) -> Response:
    form = await request.form()
    nonce = request.cookies.get(LOGIN_COOKIE) or ""
    if not nonce or not secrets.compare_digest(str(form.get("csrf") or ""), nonce):
        raise WebError(403, "请求被拒绝 CSRF check failed", "登录表单已过期或不是从本站提交的，请重新打开登录页")
    token = str(form.get("token") or "").strip()
    caller = await request.app.state.admission.authenticate(token) if token else None
    if caller is None:
        response = render(request, "login.html", 401, nonce=nonce, next=_safe_next(str(form.get("next") or "")),
                          error="令牌无效或已撤销 invalid or revoked token")
        return response
    response = RedirectResponse(_safe_next(str(form.get("next") or "")), status_code=303)
    response.set_cookie(COOKIE, token, httponly=True, samesite="strict", path="/")
    response.delete_cookie(LOGIN_COOKIE, path=PREFIX)
    return response


@router.post("/logout")
async def logout(request: Request) -> Response:
    _, token = await signed_in(request)
    await check_csrf(request, token, await request.form())
    response = RedirectResponse(f"{PREFIX}/login", status_code=303)
    response.delete_cookie(COOKIE, path="/")
    return response


@router.get("")
async def home(request: Request, s: SessionDep) -> Response:
    if s.home is None:
        raise missing("您的单位")
    return RedirectResponse(f"{PREFIX}/unit/{s.home}", status_code=303)


@router.get("/unit/{uid}")
async def unit(request: Request, uid: str, s: SessionDep, on: ApiDate | None = None, page: PageNo = 1) -> Response:
    state = request.app.state.admission
    rt = state.rt
    if uid not in rt.policy.units or not may_see(s.scope, uid):
        raise missing("单位")
    day = on or state.today()
    data = await state.reading(U.unit_page, rt, uid, day, lambda x: may_see(s.scope, x), page)
    graph_view = {"township": "unit", "government": "county", "department": "department"}.get(
        rt.policy.units[uid].kind.value)
    if graph_view == "county" and not rt.index.units[uid].county:
        graph_view = None
    return render(request, "unit.html", u=data, on=day, labels=U.LIST_LABELS, page=page, per=U.PAGE,
                  graph_view=graph_view, revision=rt.policy.revision)


@router.get("/matter/{mid}")
async def matter(request: Request, mid: str, s: SessionDep, on: ApiDate | None = None) -> Response:
    state = request.app.state.admission
    rt = state.rt
    m = rt.policy.matters.get(mid)
    if m is None:
        raise missing("事项")
    day = on or state.today()
    places = await state.reading(U.matter_places, rt, mid, day, lambda x: may_see(s.scope, x))
    basis = rt.policy.bases.get(m.basis) if m.basis else None
    return render(request, "matter.html", m=m, basis=basis, places=places, on=day)


@router.get("/search")
async def search(request: Request, s: SessionDep, q: Annotated[str, Query(max_length=80)] = "",
                 page: PageNo = 1) -> Response:
    state = request.app.state.admission
    found = None
    if q.strip():
        found = await state.reading(U.search, state.rt, q, lambda x: may_see(s.scope, x), page)
    return render(request, "search.html", q=q, found=found, page=page, per=U.PAGE)


_OWNERS: dict[int, dict] = {}


def file_visible(policy, s: Session, file: str) -> bool:
    owners = _OWNERS.get(id(policy))
    if owners is None:
        _OWNERS.clear()
        owners = _OWNERS[id(policy)] = U.file_owners(policy)
    if file not in owners:
        return False
    return s.scope is None or not owners[file] or bool(owners[file] & s.scope)


@router.get("/source")
async def source(request: Request, s: SessionDep, file: Annotated[str, Query(max_length=300)],
                 line: Annotated[int, Query(ge=1, le=10_000_000)] = 1,
                 end: Annotated[int | None, Query(ge=1, le=10_000_000)] = None) -> Response:
    policy = request.app.state.admission.rt.policy
    if not file_visible(policy, s, file):
        raise missing("文件")
    lines = U.excerpt(policy.root, file, line, end or line, context=8)
    if lines is None:
        raise missing("文件")
    return render(request, "source.html", file=file, line=line, lines=lines)
