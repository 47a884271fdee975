"""The application factory.  `create_app()` builds nothing heavy: the policy, the store and the
decision logger are opened in the lifespan, i.e. in each uvicorn worker after it started, so
every worker has its own runtime and its own rules engine (durable-rules is per process)."""

from __future__ import annotations

from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import Depends, FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from .. import __version__
from . import problems, reading
from .problems import MEDIA_TYPE, TITLES, Problem, problem_body, unknown_parameter
from .settings import ApiSettings

DESCRIPTION = """乡镇履职事项清单、事项准入与赋权的合规接口（示例策略，非官方清单）。

- 认证：`Authorization: Bearer <token>`（`admission token create --unit U --role R`）。
- 角色：reader、department、township、reviewer、approver、admin（限本单位及下级）、operator（运维：重载策略、决策日志、审计校验、tick）。
- 错误：RFC 9457 `application/problem+json`，`title`/`detail` 为中文，`code` 为稳定的英文代码。
- 改动申请（步骤、意见、答复）：必须带 `If-Match`，值为申请的 ETag（`GET /v1/applications/{id}` 的响应头
  `ETag` 或响应体 `etag`）；过期返回 412，缺少返回 428，`If-Match: *` 表示本次请求不论版本。需要“最后写入为准”的
  集成方可在启动 `admission serve` 前设环境变量 `ADMISSION_REQUIRE_IF_MATCH=false`，此时不带 If-Match 的请求
  不做版本检查。重试请带同一 `Idempotency-Key`（与同一 If-Match），不会重复办理。
- 经办人：请求体 `person` 或 `X-Acting-Person` 头（UTF-8 百分号编码）。
"""


def create_app(settings: ApiSettings | None = None) -> AdmissionApp:
    """The app; uvicorn calls this in each worker (`--factory`)."""
    settings = settings or ApiSettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        from .sharded import ShardedState
        from .state import AppState

        kind = ShardedState if settings.sharded else AppState
        state = await run_in_threadpool(kind.open, settings)
        app.state.admission = state
        await state.start()
        try:
            yield
        finally:
            await state.close()

    app = FastAPI(title="admission compliance API 准入合规接口", version=__version__, description=DESCRIPTION,
                  lifespan=lifespan, openapi_url="/v1/openapi.json", docs_url=None, redoc_url=None,
                  separate_input_output_schemas=False, dependencies=[Depends(known_query)])
    problems.install(app)
    reading.install(app)
    _install_docs(app)
    from .routes import decide
    from .routes import graphs
    from .routes import logs
    from .routes import policy
    from .routes import registers
    from .routes import workflow

    if settings.sharded:  # a decisions-only replica: the fast path answers, the rest is elsewhere
        from . import sharded

        sharded.install(app)
    else:
        for module in (decide, workflow, policy, logs, graphs, registers):
            app.include_router(module.router)
        from .web import install as install_workbench

        install_workbench(app)
    app.openapi = lambda: _openapi(app)
    return AdmissionApp(app, settings.max_body_bytes)


DOCS_URL = "/v1/docs"
STATIC_URL = "/v1/static"
STATIC_DIR = Path(__file__).parent / "static"


def _install_docs(app: FastAPI) -> None:
    """Swagger UI from the vendored files in `static/swagger/` (README there), so the docs page
    works offline; `/` and `/docs` redirect to it."""
    app.mount(STATIC_URL, StaticFiles(directory=STATIC_DIR), name="static")

    @app.get(DOCS_URL, include_in_schema=False)
    async def docs() -> HTMLResponse:
        return get_swagger_ui_html(openapi_url=app.openapi_url, title=app.title + " - docs",
                                   swagger_js_url=f"{STATIC_URL}/swagger/swagger-ui-bundle.js",
                                   swagger_css_url=f"{STATIC_URL}/swagger/swagger-ui.css",
                                   swagger_favicon_url="data:,")

    @app.get("/", include_in_schema=False)
    @app.get("/docs", include_in_schema=False)
    async def to_docs() -> RedirectResponse:
        return RedirectResponse(DOCS_URL, status_code=307)


class AdmissionApp:
    """What uvicorn serves: the body limit, then the decision fast path (`admission.api.decisions`)
    in front of the FastAPI app, outside its middleware stack (which costs ~25 µs a request);
    everything else goes to FastAPI.  Attributes (`state`, `openapi`, …) are FastAPI's."""

    def __init__(self, api: FastAPI, max_body_bytes: int):
        from .decisions import DecisionFastPath

        self.api = api
        self._asgi = BodyLimit(DecisionFastPath(api), max_bytes=max_body_bytes)

    async def __call__(self, scope, receive, send):
        await self._asgi(scope, receive, send)

    def __getattr__(self, name):
        return getattr(self.api, name)


def _openapi(app: FastAPI) -> dict:
    """The generated document, with every error response as problem+json."""
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes,
                         separate_input_output_schemas=False)
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components["Problem"] = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    for name in ("HTTPValidationError", "ValidationError"):
        components.pop(name, None)
    ref = {"$ref": "#/components/schemas/Problem"}
    for ops in schema.get("paths", {}).values():
        for method, op in ops.items():
            responses = op.setdefault("responses", {})
            responses.setdefault("400", {})  # malformed HTTP (Content-Length, framing): `protocol`, `BodyLimit`
            responses.setdefault("422", {})  # at least an unknown query parameter (`known_query`)
            if op.get("requestBody") or method == "post":
                responses.setdefault("408", {})  # a body that stops short (`read_timeout_seconds`)
                responses.setdefault("413", {})
                responses.setdefault("415", {})
            if op.get("security"):
                responses.setdefault("401", {})
            responses.setdefault("503", {})  # the store busy or unavailable (`problems.from_store`)
            if method in ("post", "put", "patch", "delete"):
                responses.setdefault("409", {})  # the store's constraints refused a write
            for code in list(responses):
                if code.isdigit() and int(code) >= 400:
                    responses[code] = {"description": TITLES.get(int(code), code),
                                       "content": {MEDIA_TYPE: {"schema": ref}}}
    app.openapi_schema = schema
    return schema


async def known_query(request: Request) -> None:
    """Refuse query parameters that the operation does not declare (422 `unknown-parameter`,
    naming the nearest declared one): a misspelt filter must not silently widen an answer to
    everything.  Declared names are the query parameters of the operation and of its
    dependencies, by their alias.  A dependency of the whole app, so every route has it; the
    decision fast path, which declares none, calls `unknown_parameter` itself."""
    if not request.scope.get("query_string"):
        return
    route = request.scope.get("route")
    dependant = getattr(route, "dependant", None)
    if dependant is None:
        return
    allowed = _DECLARED.get(id(dependant))
    if allowed is None:
        allowed = _DECLARED[id(dependant)] = frozenset(_query_names(dependant))
    unknown = [name for name in dict.fromkeys(request.query_params.keys()) if name not in allowed]
    if unknown:
        raise unknown_parameter(unknown, allowed)


_DECLARED: dict[int, frozenset[str]] = {}


def _query_names(dependant) -> set[str]:
    from pydantic import BaseModel

    names: set[str] = set()
    for field in dependant.query_params:
        annotation = getattr(field.field_info, "annotation", None)
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):  # a query parameter model
            names.update(f.alias or n for n, f in annotation.model_fields.items())
        else:
            names.add(field.alias)
    for sub in dependant.dependencies:
        names |= _query_names(sub)
    return names


class _TooLarge(StarletteHTTPException):
    def __init__(self, limit: int):
        super().__init__(413, f"请求体超过 {limit} 字节的上限")


class BodyLimit:
    """Refuse request bodies over `max_bytes` (by Content-Length, or while streaming) with 413,
    and bodies that are not JSON with 415."""

    def __init__(self, app, max_bytes: int):
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.max_bytes
        size = None
        content_type = None
        chunked = False
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                try:
                    size = int(value)
                except ValueError:
                    await _send_problem(send, scope, 400, "bad-content-length", "Content-Length 无效")
                    return
                if size > limit:
                    await _send_problem(send, scope, 413, "too-large", f"请求体超过 {limit} 字节的上限")
                    return
            elif name == b"content-type":
                content_type = value
            elif name == b"transfer-encoding":
                chunked = True
        if (size or chunked) and not _is_json(content_type) and not _is_workbench_form(scope, content_type):
            await _send_problem(send, scope, 415, "unsupported-media-type",
                                "请求体须为 JSON（Content-Type: application/json）")
            return
        received = 0
        started = False
        if (size or chunked) and _is_json(content_type):  # read the whole body (within the limit), check its JSON, then replay it
            chunks: list[bytes] = []
            while True:
                message = await receive()
                if message["type"] != "http.request":
                    break
                chunks.append(message.get("body", b""))
                received += len(chunks[-1])
                if received > limit:
                    await _send_problem(send, scope, 413, "too-large", f"请求体超过 {limit} 字节的上限")
                    return
                if not message.get("more_body", False):
                    break
            raw = b"".join(chunks)
            bad = check_json(raw)
            if bad is not None:
                await _send_problem(send, scope, 422, *bad)
                return
            receive = _replay(raw, message, receive)

        async def limited_receive():
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise _TooLarge(limit)
            return message

        async def tracking_send(message):
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except _TooLarge:
            if not started:
                await _send_problem(send, scope, 413, "too-large", f"请求体超过 {limit} 字节的上限")


def _replay(raw: bytes, last: dict, receive):
    """A `receive` that gives the body read already, then a disconnect seen while reading it, then
    whatever the connection says."""
    queue = [{"type": "http.request", "body": raw, "more_body": False}]
    if last["type"] == "http.disconnect":
        queue.append(last)

    async def replay():
        return queue.pop(0) if queue else await receive()

    return replay


class _Duplicate(ValueError):
    def __init__(self, key: str):
        super().__init__(key)
        self.key = key


def _no_duplicates(pairs: list[tuple[str, object]]) -> dict:
    out: dict = {}
    for key, value in pairs:
        if key in out:
            raise _Duplicate(key)
        out[key] = value
    return out


def check_json(raw: bytes) -> tuple[str, str] | None:
    """(code, detail) of a 422 for a JSON body that is not valid Unicode or repeats a key within an
    object (as the YAML loader refuses); None if it is fine or not JSON at all (the route says so)."""
    import json

    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return "invalid-unicode", f"请求体不是合法的 UTF-8（第 {exc.start} 字节）"
    try:
        value = json.loads(text, object_pairs_hook=_no_duplicates)
    except _Duplicate as exc:
        return "duplicate-key", f"请求体中的键 {exc.key.encode('utf-8', 'backslashreplace').decode()!r} 重复出现"
    except (ValueError, RecursionError):
        return None
    if "\\u" in text:  # an escaped lone surrogate (\ud800) decodes to text that is not Unicode
        try:
            json.dumps(value, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError:
            return "invalid-unicode", "请求体含有不成对的代理项（如 \\ud800），不是合法的 Unicode 文本"
    return None


def _is_workbench_form(scope, content_type: bytes | None) -> bool:
    """The workbench's pages post HTML forms (their CSRF token is checked by the page)."""
    media = (content_type or b"").split(b";", 1)[0].strip().lower()
    return media == b"application/x-www-form-urlencoded" and scope.get("path", "").startswith("/review/")


def _is_json(content_type: bytes | None) -> bool:
    if not content_type:
        return False
    media = content_type.split(b";", 1)[0].strip().lower()
    return media == b"application/json" or (media.startswith(b"application/") and media.endswith(b"+json"))


async def _send_problem(send, scope, status: int, code: str, detail: str, **extra) -> None:
    import orjson

    body = orjson.dumps(problem_body(status, code, detail, scope.get("path"), **extra))
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", MEDIA_TYPE.encode()), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
