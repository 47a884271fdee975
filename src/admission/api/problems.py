"""Every error is an RFC 9457 problem (`application/problem+json`): a `type` URI and a stable
`code`, a Chinese `title` with the English beside it, a Chinese `detail`, the `status`, the
`instance` (the request path) and, where there are several, `errors`.

`ApiProblem` is raised by routes and dependencies; workflow errors (`WorkflowError`),
validation errors, store failures (by their kind, `store.failures`) and Starlette's own HTTP
errors are mapped here; anything else is logged and answered with a 500 problem as a last
resort (the tests assert that none happens).
"""

from __future__ import annotations

import logging
import re
from typing import Any

import orjson
from fastapi import Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from ..flow.service import WorkflowError
from ..language.base import DATE_RANGE_MESSAGE
from ..store.failures import failure_kind

log = logging.getLogger("admission.api")

PROBLEM_TYPE = "urn:admission:problem:"
MEDIA_TYPE = "application/problem+json"

TITLES: dict[int, str] = {
    400: "请求有误 Bad Request",
    401: "未认证 Unauthorized",
    403: "无权访问 Forbidden",
    404: "不存在 Not Found",
    405: "方法不允许 Method Not Allowed",
    406: "无法提供该格式 Not Acceptable",
    408: "请求超时 Request Timeout",
    409: "冲突 Conflict",
    412: "版本已过期 Precondition Failed",
    413: "请求体过大 Content Too Large",
    415: "不支持的内容类型 Unsupported Media Type",
    422: "内容有误 Unprocessable Content",
    428: "需要前置条件 Precondition Required",
    500: "服务器内部错误 Internal Server Error",
    501: "本副本不提供 Not Implemented",
    503: "暂不可用 Service Unavailable",
}


class Problem(BaseModel):
    """RFC 9457 problem details."""

    model_config = ConfigDict(extra="allow")

    type: str = Field(description="问题类型 URI（urn:admission:problem:<code>）")
    title: str = Field(description="标题（中文，英文在旁）")
    status: int = Field(description="HTTP 状态码")
    detail: str = Field(description="说明（中文）")
    code: str = Field(description="稳定的英文代码")
    instance: str | None = Field(default=None, description="请求路径")
    errors: list[dict[str, Any]] | None = Field(default=None, description="逐项的错误")


class ApiProblem(Exception):
    def __init__(self, status: int, code: str, detail: str, *, errors: list[dict] | None = None,
                 headers: dict[str, str] | None = None, title: str | None = None, **extra: Any):
        super().__init__(detail)
        self.status, self.code, self.detail = status, code, detail
        self.errors, self.headers, self.title, self.extra = errors, headers, title, extra


def problem_body(status: int, code: str, detail: str, instance: str | None = None, *,
                 errors: list[dict] | None = None, title: str | None = None, **extra: Any) -> dict:
    body: dict[str, Any] = {"type": PROBLEM_TYPE + code, "title": title or TITLES.get(status, str(status)),
                            "status": status, "detail": detail, "code": code}
    if instance is not None:
        body["instance"] = instance
    if errors:
        body["errors"] = errors
    body.update(extra)
    return body


def problem_response(status: int, code: str, detail: str, instance: str | None = None, *,
                     headers: dict[str, str] | None = None, **kw: Any) -> Response:
    body = problem_body(status, code, detail, instance, **kw)
    return Response(orjson.dumps(body, default=str), status_code=status, media_type=MEDIA_TYPE, headers=headers)


def from_workflow(exc: WorkflowError) -> ApiProblem:
    errors = [_jsonable(d) for d in exc.details] if exc.details else None
    return ApiProblem(exc.status, exc.code, exc.message, errors=errors)


def _jsonable(d: Any) -> dict:
    if isinstance(d, dict):
        return {str(k): (v if isinstance(v, (str, int, float, bool, type(None), list, dict)) else str(v))
                for k, v in d.items()}
    return {"message": str(d)}


# --------------------------------------------------------------------------- validation errors
_MESSAGES = {
    "missing": "缺少必填字段",
    "extra_forbidden": "不允许的字段（请检查拼写）",
    "string_type": "应为文本",
    "string_too_short": "文本过短",
    "string_too_long": "文本过长",
    "string_pattern_mismatch": "格式不符",
    "int_type": "应为整数",
    "int_parsing": "应为整数",
    "bool_type": "应为 true 或 false",
    "bool_parsing": "应为 true 或 false",
    "float_type": "应为数字",
    "list_type": "应为列表",
    "dict_type": "应为对象（映射）",
    "model_type": "应为对象（映射）",
    "model_attributes_type": "应为对象（映射）",
    "date_parsing": "应为日历日期 YYYY-MM-DD",
    "date_type": "应为日历日期 YYYY-MM-DD",
    "date_range": DATE_RANGE_MESSAGE,
    "datetime_parsing": "应为 ISO 8601 日期时间（如 2025-03-10T08:00:00+08:00），不接受数字",
    "literal_error": "取值不在可选范围内",
    "enum": "取值不在可选范围内",
    "too_short": "条目太少",
    "too_long": "条目太多",
    "greater_than_equal": "数值过小",
    "less_than_equal": "数值过大",
    "greater_than": "数值过小",
    "less_than": "数值过大",
    "json_invalid": "不是合法的 JSON",
    "json_type": "不是合法的 JSON",
    "value_error": "取值有误",
    "union_tag_invalid": "无法识别的请求形状",
    "union_tag_not_found": "无法识别的请求形状",
}


def validation_errors(errors: list[dict]) -> list[dict]:
    out = []
    for e in errors[:100]:
        loc = [str(p) for p in e.get("loc", ())]
        if len(loc) > 1 and loc[0] == "body" and loc[1] in ("single", "batch"):  # union tags, not fields
            loc = [loc[0], *loc[2:]]
        where = loc[0] if loc else ""
        field = ".".join(loc[1:]) if where in ("body", "query", "path", "header") else ".".join(loc)
        kind = e.get("type", "value_error")
        item = {"in": where, "field": field, "code": kind,
                "message": _MESSAGES.get(kind, "取值有误"), "message_en": str(e.get("msg", ""))[:300]}
        out.append(item)
    return out


def unknown_parameter(names: list[str], allowed: frozenset[str] | set[str] = frozenset()) -> ApiProblem:
    """422 `unknown-parameter` for query parameters an operation does not declare: the detail names
    the first and the nearest declared name (or the declared ones), `errors` each of them."""
    import difflib

    def near(name: str) -> str | None:
        found = difflib.get_close_matches(name, sorted(allowed), n=1, cutoff=0.5)
        return found[0] if found else None

    def shown(name: str) -> str:
        return name if len(name) <= 80 else name[:80] + "…"

    def message(name: str) -> str:
        text = f"未知的查询参数 {shown(name)}"
        if near(name):
            return text + f"；是否要写 {near(name)}？"
        if allowed:
            return text + f"；可用的参数：{'、'.join(sorted(allowed))}"
        return text + "；此接口不接受查询参数"

    errors = [{"in": "query", "field": shown(n), "code": "unknown-parameter", "message": message(n),
               **({"did_you_mean": near(n)} if near(n) else {})} for n in names[:100]]
    return ApiProblem(422, "unknown-parameter", message(names[0]), errors=errors)


def validation_detail(errors: list[dict]) -> str:
    """The `detail` of a 422 for validation errors: the fields, and the date range if one is out of it."""
    fields = "、".join(sorted({e["field"] or e["in"] for e in errors})[:10])
    detail = f"请求内容不符合接口定义：{fields}"
    if any(e["code"] == "date_range" for e in errors):
        detail += f"（{DATE_RANGE_MESSAGE}）"
    return detail


def allowed_methods(request: Request, given: str | None) -> str:
    """Every method the request's path serves: Starlette's `Allow` (`given`) names only the first
    route matching the path, so a path with GET and POST as two routes (as FastAPI makes them)
    advertised one of the two (issue 17).  The OpenAPI document's methods for the path are added."""
    methods = {m.strip().upper() for m in (given or "").split(",") if m.strip()}
    for template, ops in request.app.openapi().get("paths", {}).items():
        if re.fullmatch(re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(template)), request.url.path):
            methods |= {m.upper() for m in ops if m.upper() in _HTTP_METHODS}
    return ", ".join(sorted(methods))


_HTTP_METHODS = {"GET", "PUT", "POST", "DELETE", "OPTIONS", "HEAD", "PATCH", "TRACE"}


# --------------------------------------------------------------------------- store failures
# kind -> status, code, detail, Retry-After (seconds); a write that fails leaves nothing behind
# (a workflow step is one transaction), so the detail can say so
STORE_PROBLEMS: dict[str, tuple[int, str, str, str | None]] = {
    "busy": (503, "store-busy", "数据库繁忙（锁等待或并发冲突），本次请求未能完成，也未留下部分更改；请稍后重试", "1"),
    "unavailable": (503, "store-unavailable", "数据库暂不可用，本次请求未能完成，也未留下部分更改；请稍后重试或联系管理员",
                    "5"),
    "refused": (409, "store-refused", "数据库的约束拒绝了这次写入，未作任何更改；请查询当前状态后再办理", None),
    "bad-value": (422, "store-bad-value", "数据库无法保存请求中的某个值（例如文本中的 NUL 字符），未作任何更改", None),
}


def from_store(exc: BaseException) -> ApiProblem | None:
    """The problem for a store failure (any driver, wrapped or not), or None if it is not one."""
    kind = failure_kind(exc)
    if kind is None:
        return None
    status, code, detail, retry = STORE_PROBLEMS[kind]
    return ApiProblem(status, code, detail, headers={"Retry-After": retry} if retry else None)


# --------------------------------------------------------------------------- handlers
def install(app) -> None:
    @app.exception_handler(ApiProblem)
    async def _api_problem(request: Request, exc: ApiProblem):
        return problem_response(exc.status, exc.code, exc.detail, request.url.path, errors=exc.errors,
                                headers=exc.headers, title=exc.title, **exc.extra)

    @app.exception_handler(WorkflowError)
    async def _workflow(request: Request, exc: WorkflowError):
        p = from_workflow(exc)
        return problem_response(p.status, p.code, p.detail, request.url.path, errors=p.errors)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError):
        errors = validation_errors(list(exc.errors()))
        return problem_response(422, "invalid-request", validation_detail(errors), request.url.path, errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException):
        status = exc.status_code
        code, detail = {
            404: ("no-such-resource", "没有这个接口或资源"),
            405: ("method-not-allowed", "该接口不支持这种请求方法"),
            413: ("too-large", str(exc.detail)),
        }.get(status, ("http-error", str(exc.detail) if exc.detail else TITLES.get(status, "")))
        headers = getattr(exc, "headers", None)
        if status == 405:
            headers = {**(headers or {}), "Allow": allowed_methods(request, (headers or {}).get("Allow"))}
        return problem_response(status, code, detail, request.url.path, headers=headers)

    async def _store(request: Request, exc: Exception):
        store = from_store(exc)
        if store is None:
            return await _crash(request, exc)
        # logged for the operators: the driver's first line, not the statement or its parameters
        log.warning("store failure on %s %s: %s: %s", request.method, request.url.path, type(exc).__name__,
                    (str(getattr(exc, "orig", None) or exc).splitlines() or [""])[0][:300])
        return problem_response(store.status, store.code, store.detail, request.url.path, headers=store.headers)

    for error in _store_errors():  # handled inside the app, so no server error is raised behind them
        app.add_exception_handler(error, _store)

    @app.exception_handler(Exception)
    async def _crash(request: Request, exc: Exception):  # last resort; tests assert none happens
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return problem_response(500, "internal-error", "服务器内部错误，已记录；请稍后重试或联系管理员",
                                request.url.path)


def _store_errors() -> tuple[type[BaseException], ...]:
    """The exception classes of the store's layers: SQLAlchemy's, and each driver's own (the
    write path calls the driver directly)."""
    import sqlite3

    from sqlalchemy.exc import SQLAlchemyError

    found: list[type[BaseException]] = [SQLAlchemyError, sqlite3.Error]
    try:
        import psycopg

        found.append(psycopg.Error)
    except ImportError:  # pragma: no cover - psycopg is a runtime dependency
        pass
    return tuple(found)
