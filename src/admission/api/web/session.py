"""Who is signed in to the workbench, what they may see, and how a page is answered.

The token is kept in an HttpOnly, SameSite=Strict cookie (the same one the SVG routes of
`/v1/graphs` read).  Every form carries a CSRF token: an HMAC of the session's token, keyed by the
server's secret (`ADMISSION_WEB_SECRET`, or one derived from the store's URL so that every worker
of one deployment agrees); a cross-site page cannot compute it without the token itself.

Visibility is the API's: an admin sees its unit's subtree, an operator everything, every other
role its county (or, above county level, its own subtree).  A unit, file, finding or application
outside that scope is answered with the very page a missing one gets.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from pathlib import Path
from urllib.parse import quote

from fastapi import Request
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.responses import HTMLResponse, RedirectResponse, Response

from ..auth import Caller
from ..auth import subtree

COOKIE = "admission_token"
PREFIX = "/review"
ROLE_LABELS = {"reader": "查阅", "department": "部门", "township": "乡镇(街道)", "reviewer": "审核机构",
               "approver": "审批机关", "admin": "管理员", "operator": "运维"}
TEMPLATES = Path(__file__).parent / "templates"
_env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(("html", "svg")),
                   trim_blocks=True, lstrip_blocks=True)


class WebError(Exception):
    """A page that is not there (404: also what an invisible one gets), refused (403) or wrong (400)."""

    def __init__(self, status: int, title: str, detail: str = ""):
        super().__init__(title)
        self.status, self.title, self.detail = status, title, detail


class SignIn(Exception):
    """No valid session: the browser goes to the sign-in page and comes back."""

    def __init__(self, back: str):
        super().__init__(back)
        self.back = back


def missing(what: str = "页面") -> WebError:
    return WebError(404, "未找到 not found", f"{what}不存在，或不在您的查看范围内")


def secret(state) -> bytes:
    given = os.environ.get("ADMISSION_WEB_SECRET")
    if given:
        return given.encode()
    return hashlib.sha256(b"admission-web:" + str(state.settings.database_url or "sqlite").encode()).digest()


def csrf_for(state, token: str) -> str:
    return hmac.new(secret(state), token.encode(), hashlib.sha256).hexdigest()[:40]


async def signed_in(request: Request) -> tuple[Caller, str]:
    token = request.cookies.get(COOKIE)
    caller = await request.app.state.admission.authenticate(token) if token else None
    if caller is None:
        raise SignIn(request.url.path + (f"?{request.url.query}" if request.url.query else ""))
    return caller, token


async def check_csrf(request: Request, token: str, form) -> None:
    given = str(form.get("csrf") or "")
    if not hmac.compare_digest(given, csrf_for(request.app.state.admission, token)):
        raise WebError(403, "请求被拒绝 CSRF check failed",
                       "表单缺少或带错了防跨站令牌（csrf）。请回到页面重新提交 (the form's CSRF token is missing or wrong)")


_SCOPES: dict[tuple, frozenset[str]] = {}


def scope(caller: Caller, index) -> frozenset[str] | None:
    """The units this caller may browse (None: all); computed once per index and root."""
    if caller.role == "operator":
        return None
    me = index.units.get(caller.unit)
    if me is None:
        return frozenset()
    root = caller.unit if caller.role == "admin" or me.county is None else me.county
    key = (id(index), root)
    got = _SCOPES.get(key)
    if got is None:
        if len(_SCOPES) > 256:
            _SCOPES.clear()
        got = _SCOPES[key] = subtree(index, root)
    return got


def may_see(scope_: frozenset[str] | None, uid: str | None) -> bool:
    return uid is not None and (scope_ is None or uid in scope_)


def home_unit(caller: Caller, index) -> str | None:
    me = index.units.get(caller.unit)
    if me is None:
        return None
    if caller.role == "operator":
        top = caller.unit
        while index.units.get(top) is not None and index.units[top].record.parent in index.units:
            top = index.units[top].record.parent
        return top
    return caller.unit if caller.role in ("admin", "township") or me.county is None else me.county


def render(request: Request, template: str, status: int = 200, **ctx) -> HTMLResponse:
    session = getattr(request.state, "web", None)
    body = _env.get_template(template).render(request=request, session=session, prefix=PREFIX, urlq=quote, **ctx)
    return HTMLResponse(body, status_code=status)


class Session:
    """What every page's frame needs: the caller, the CSRF token, the visible units."""

    def __init__(self, state, caller: Caller, token: str):
        self.caller = caller
        self.csrf = csrf_for(state, token)
        index = state.rt.index
        self.scope = scope(caller, index)
        u = index.units.get(caller.unit)
        self.unit_name = u.name if u else caller.unit
        self.role_label = ROLE_LABELS.get(caller.role, caller.role)
        self.home = home_unit(caller, index)


async def session(request: Request) -> Session:
    caller, token = await signed_in(request)
    s = Session(request.app.state.admission, caller, token)
    request.state.web = s
    return s


def install_handlers(app) -> None:
    async def on_error(request: Request, exc: WebError) -> Response:
        return render(request, "error.html", exc.status, error=exc)

    async def on_signin(request: Request, exc: SignIn) -> Response:
        return RedirectResponse(f"{PREFIX}/login?next={quote(exc.back, safe='')}", status_code=303)

    app.add_exception_handler(WebError, on_error)
    app.add_exception_handler(SignIn, on_signin)
