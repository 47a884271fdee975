"""The decision endpoints: answer one question or a batch on the event loop, serialise each
answer once, log the request and the response by the configured rule.

`DecisionFastPath` serves `POST /v1/decisions` and `POST /v1/exercise-checks` at the ASGI
level, in front of the FastAPI app (`AdmissionApp`).  They are most of the traffic, and
FastAPI's per-request machinery (middleware, dependency solving, body parsing, response
handling) costs about 450 µs here against some 30 µs for the decision itself; the fast path
does the same steps — the body limit (outside it), bearer authentication
(`AppState.authenticate`, as the `CallerDep` dependency), strict validation of the same models,
the same problem+json errors — in about a tenth of the time.  The FastAPI routes of the same
paths stay registered: they are what the OpenAPI document describes and what the schemathesis
test checks the fast path's answers against.
"""

from __future__ import annotations

import logging
import time

import orjson
from pydantic import TypeAdapter, ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from ..evaluate.decide import Outcome
from ..language.enums import AssignmentKind, AssignmentRole
from .auth import Caller
from .problems import MEDIA_TYPE, ApiProblem, from_store, problem_body, unknown_parameter, validation_detail, validation_errors
from .schemas import DecisionRequest, ExerciseQuestion, ExerciseRequest, Question
from .state import AppState

log = logging.getLogger("admission.api")
KINDS = {k.value: k for k in AssignmentKind}
ROLES = {r.value: r for r in AssignmentRole}
JSON = b"application/json"


async def answer(state: AppState, body, raw: bytes, caller: Caller, path: str) -> bytes:
    """The response body for a validated request; raises `ApiProblem` for a single question that
    cannot be decided (unknown ids: 422 naming them) and when a sync log cannot be written (503).
    In a batch each question is answered on its own: one that cannot be decided gets
    `outcome: error` and its own `problem`, and the batch is still 200."""
    decider = state.decider  # one runtime for the whole request, even if a reload swaps it meanwhile
    today = state.today()
    single = isinstance(body, (Question, ExerciseQuestion))
    if single:
        questions, default_on = (body,), today
    else:
        questions, default_on = body.questions, body.on or today
        if len(questions) > state.settings.max_batch:
            raise ApiProblem(422, "batch-too-large",
                             f"一批最多 {state.settings.max_batch} 个问题，本批 {len(questions)} 个")
    decisions = []
    errors: dict[int, dict] = {}
    if path == "decisions":  # a batch as one: `decide_many` shares the work its questions have in common
        asked = [(q.actor, q.matter, q.target, q.on or default_on, KINDS[q.kind], ROLES[q.role], q.basis)
                 for q in questions]
        decisions = [decider.decide(*asked[0])] if single else decider.decide_many(asked)
        for i, (q, dec) in enumerate(zip(questions, decisions)):
            if dec.outcome is Outcome.error:
                errors[i] = _error(decider, i, dec, q.actor, q.matter, q.target)
    else:
        fn = decider.may_exercise
        for i, q in enumerate(questions):
            dec = fn(q.unit, q.matter, q.on or default_on)
            if dec.outcome is Outcome.error:
                errors[i] = _error(decider, i, dec, q.unit, q.matter, None)
            decisions.append(dec)
    if errors and single:
        _refuse(errors[0])

    log = state.log
    index = decider.index
    if single:
        dec = decisions[0]
        d = dec.to_dict()
        d["decision_id"] = did = log.new_id()
        if body.correlation_id is not None:
            d["correlation_id"] = body.correlation_id
        content = orjson.dumps(d)
        outcome, code, actor, matter, target = dec.outcome.value, dec.code, dec.actor, dec.matter, dec.target
    else:
        did = log.new_id()
        parts = []
        for i, (q, dec) in enumerate(zip(questions, decisions)):
            d = dec.to_dict()
            d["decision_id"] = f"{did}-{i}"
            d["index"] = i
            if q.correlation_id is not None:
                d["correlation_id"] = q.correlation_id
            if i in errors:
                d["problem"] = _problem(errors[i], path)
            parts.append(orjson.dumps(d))
        content = b"".join((b'{"batch_id":"', did.encode(), b'","count":', str(len(parts)).encode(),
                            b',"errors":', str(len(errors)).encode(),
                            b',"revision":', orjson.dumps(index.revision), b',"admission_seq":',
                            str(index.admission_seq).encode(), b',"results":[', b",".join(parts), b"]}"))
        denied = any(dec.outcome is not Outcome.allow for dec in decisions)
        outcome, code, actor, matter, target = ("deny" if denied else "allow"), "batch", None, None, None
    if log.enabled and log.sampled():
        entry = (did, time.time(), path, caller.token_id, caller.unit, caller.role, len(decisions), actor, matter,
                 target if path == "decisions" else None, outcome, code, index.revision, index.admission_seq,
                 raw, content)
        if log.mode == "sync":
            try:
                await run_in_threadpool(log.write_now, [entry])
            except Exception:
                raise ApiProblem(503, "decision-log-unavailable",
                                 "决策日志暂时无法写入；按配置（sync）不在无日志时作答，请稍后重试") from None
        else:
            log.record([entry])
    return content


def _error(decider, i: int, dec, a: str, matter: str, target: str | None) -> dict:
    reason = dec.reasons[0]
    ids = decider.unknown(a, matter, target)
    out = {"index": i, "code": "unknown-id" if ids else "cannot-decide", "message": reason.message}
    if ids:
        out["ids"] = ids
    return out


def _refuse(error: dict) -> None:
    """A single question that cannot be decided: the whole request is that question, so 422."""
    ids = error.get("ids", [])
    raise ApiProblem(422, error["code"], error["message"], errors=[error], unknown_ids=ids)


def _problem(error: dict, path: str) -> dict:
    """The RFC 9457 problem of one question of a batch, inside the batch's 200 answer (as OpenFGA's
    batch check answers each check on its own): the others are answered all the same."""
    body = problem_body(422, error["code"], f"第 {error['index'] + 1} 题无法判定：{error['message']}", f"/v1/{path}")
    if error.get("ids"):
        body["unknown_ids"] = error["ids"]
    return body


# --------------------------------------------------------------------------- the fast path
class DecisionFastPath:
    """ASGI app answering the two decision endpoints; everything else goes to `app` (FastAPI),
    whose `state.admission` it reads."""

    def __init__(self, app):
        self.app = app
        self.routes = {
            "/v1/decisions": ("decisions", TypeAdapter(DecisionRequest)),
            "/v1/exercise-checks": ("exercise-checks", TypeAdapter(ExerciseRequest)),
        }

    async def __call__(self, scope, receive, send):
        route = self.routes.get(scope["path"]) if scope["type"] == "http" and scope["method"] == "POST" else None
        if route is None:
            await self.app(scope, receive, send)
            return
        path, adapter = route
        if scope.get("query_string"):  # it declares no query parameters (as `app.known_query` checks elsewhere)
            from urllib.parse import parse_qsl

            names = [k for k, _ in parse_qsl(scope["query_string"].decode("latin-1"), keep_blank_values=True)]
            if names:
                await _send(send, scope, unknown_parameter(names))
                return
        auth = None
        for name, value in scope["headers"]:
            if name == b"authorization":
                auth = value
        try:
            state: AppState = self.app.state.admission
            caller = await _authenticate(state, auth)
            raw = await _read_body(receive)
            try:
                body = adapter.validate_json(raw)
            except ValidationError as exc:
                errors = validation_errors([{**e, "loc": ("body", *e["loc"])} for e in exc.errors()])
                raise ApiProblem(422, "invalid-request", validation_detail(errors), errors=errors) from None
            content = await answer(state, body, raw, caller, path)
        except HTTPException:  # the body limit's 413, answered by BodyLimit
            raise
        except ApiProblem as p:
            problem = p
        except Exception as exc:  # outside FastAPI's error middleware: a store failure, or the last resort
            problem = from_store(exc)
            if problem is not None:
                log.warning("store failure on POST %s: %s", scope["path"], type(exc).__name__)
            else:
                log.exception("unhandled error on POST %s", scope["path"])
                problem = ApiProblem(500, "internal-error", "服务器内部错误，已记录；请稍后重试或联系管理员")
        else:
            await send({"type": "http.response.start", "status": 200,
                        "headers": [(b"content-type", JSON), (b"content-length", str(len(content)).encode())]})
            await send({"type": "http.response.body", "body": content})
            return
        await _send(send, scope, problem)


async def _send(send, scope, p: ApiProblem) -> None:
    body = orjson.dumps(problem_body(p.status, p.code, p.detail, scope["path"], errors=p.errors, title=p.title,
                                     **p.extra), default=str)
    headers = [(b"content-type", MEDIA_TYPE.encode()), (b"content-length", str(len(body)).encode())]
    headers += [(k.lower().encode(), v.encode()) for k, v in (p.headers or {}).items()]
    await send({"type": "http.response.start", "status": p.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _authenticate(state: AppState, header: bytes | None) -> Caller:
    scheme, _, token = (header or b"").decode("latin-1").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiProblem(401, "unauthenticated", "缺少令牌：请在 Authorization 头中带上 Bearer 令牌",
                         headers={"WWW-Authenticate": "Bearer"})
    caller = await state.authenticate(token.strip())
    if caller is None:
        raise ApiProblem(401, "bad-token", "令牌无效或已撤销", headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})
    return caller


async def _read_body(receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)
