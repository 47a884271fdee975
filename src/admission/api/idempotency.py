"""`Idempotency-Key` for workflow steps (in the manner of the IETF draft and of Stripe).

The first request with a key claims it (a pending row), acts, and stores its response — success
or refusal alike.  A retry with the same key and the same request gets the stored response again
(`Idempotent-Replayed: true`) and does not act twice; the same key with a different request is a
422; a retry while the first is still running is a 409.  Keys are scoped to the token and kept
for `idempotency_ttl_hours`.

Limit: the step and the stored response are two transactions.  If a worker dies between them the
key stays pending; after `idempotency_lease_seconds` a retry gets 409 `idempotency-outcome-unknown`
(read the application to see whether the step was taken) rather than acting a second time.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from ..flow.service import WorkflowError
from ..store.api_tables import ApiIdempotency
from .problems import ApiProblem, from_workflow, problem_response

_T = ApiIdempotency.__table__
KEPT_HEADERS = ("content-type", "etag", "location")


@dataclass
class Stored:
    status: int
    body: bytes
    headers: dict[str, str]


def fingerprint(*parts) -> str:
    text = json.dumps(parts, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _aware(t: dt.datetime) -> dt.datetime:
    return t if t.tzinfo else t.replace(tzinfo=dt.timezone.utc)


class IdempotencyStore:
    def __init__(self, engine, ttl_hours: float, lease_seconds: float):
        self.engine = engine
        self.ttl = dt.timedelta(hours=ttl_hours)
        self.lease = dt.timedelta(seconds=lease_seconds)

    def claim(self, token_id: str, key: str, fp: str) -> Stored | None:
        """None: the key is ours, go ahead.  Otherwise the stored response to replay."""
        for _ in range(3):
            now = dt.datetime.now(dt.timezone.utc)
            try:
                with self.engine.begin() as c:
                    c.execute(insert(_T).values(token_id=token_id, key=key, fingerprint=fp, status=None, body=None,
                                                headers=None, created_at=now, completed_at=None))
                return None
            except IntegrityError:
                pass
            with self.engine.begin() as c:
                row = c.execute(select(_T).where(_T.c.token_id == token_id, _T.c.key == key)).first()
                if row is None:
                    continue
                if now - _aware(row.created_at) > self.ttl:  # expired: the key may be used afresh
                    c.execute(delete(_T).where(_T.c.token_id == token_id, _T.c.key == key))
                    continue
            if row.fingerprint != fp:
                raise ApiProblem(422, "idempotency-key-reused",
                                 "该 Idempotency-Key 已用于另一个不同的请求；请为新请求换一个键")
            if row.status is None:
                if now - _aware(row.created_at) < self.lease:
                    raise ApiProblem(409, "idempotency-in-progress", "使用同一 Idempotency-Key 的请求仍在办理，请稍后重试")
                raise ApiProblem(409, "idempotency-outcome-unknown",
                                 "使用该 Idempotency-Key 的首个请求未能记录结果；请先查询申请的当前状态再决定是否重办")
            return Stored(row.status, (row.body or "").encode(), json.loads(row.headers or "{}"))
        raise ApiProblem(409, "idempotency-in-progress", "Idempotency-Key 正被并发使用，请稍后重试")

    def finish(self, token_id: str, key: str, status: int, body: bytes, headers: dict[str, str]) -> None:
        with self.engine.begin() as c:
            c.execute(update(_T).where(_T.c.token_id == token_id, _T.c.key == key).values(
                status=status, body=body.decode(), headers=json.dumps(headers),
                completed_at=dt.datetime.now(dt.timezone.utc)))

    def abandon(self, token_id: str, key: str) -> None:
        with self.engine.begin() as c:
            c.execute(delete(_T).where(_T.c.token_id == token_id, _T.c.key == key, _T.c.status.is_(None)))


async def idempotent(store: IdempotencyStore, request: Request, token_id: str, key: str | None, fp: str,
                     run: Callable[[], Awaitable[Response]]) -> Response:
    """Run `run` at most once per (token, key); answer retries from the store."""
    if key is None:
        return await run()
    stored = await run_in_threadpool(store.claim, token_id, key, fp)
    if stored is not None:
        headers = {k: v for k, v in stored.headers.items() if k != "content-type"}
        headers["Idempotent-Replayed"] = "true"
        return Response(stored.body, status_code=stored.status, headers=headers,
                        media_type=stored.headers.get("content-type", "application/json"))
    try:
        response = await run()
    except (ApiProblem, WorkflowError) as exc:
        p = from_workflow(exc) if isinstance(exc, WorkflowError) else exc
        response = problem_response(p.status, p.code, p.detail, request.url.path, errors=p.errors,
                                    headers=p.headers, **p.extra)
    except BaseException:
        await run_in_threadpool(store.abandon, token_id, key)
        raise
    if response.status_code >= 500:
        await run_in_threadpool(store.abandon, token_id, key)
        return response
    kept = {k: v for k, v in response.headers.items() if k in KEPT_HEADERS}
    await run_in_threadpool(store.finish, token_id, key, response.status_code, bytes(response.body), kept)
    return response
