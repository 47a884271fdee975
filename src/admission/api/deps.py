"""Dependencies as `Annotated` aliases; the only module that knows how callers authenticate."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import unquote

from fastapi import Depends, Header, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from .auth import Caller
from .problems import ApiProblem
from .state import AppState

_bearer = HTTPBearer(auto_error=False, description="`admission token create` 生成的令牌 (Bearer)")


async def get_state(request: Request) -> AppState:
    return request.app.state.admission


StateDep = Annotated[AppState, Depends(get_state)]


async def current_caller(request: Request,
                         creds: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> Caller:
    if creds is None or not creds.credentials:
        raise ApiProblem(401, "unauthenticated", "缺少令牌：请在 Authorization 头中带上 Bearer 令牌",
                         headers={"WWW-Authenticate": "Bearer"})
    caller = await request.app.state.admission.authenticate(creds.credentials)
    if caller is None:
        raise ApiProblem(401, "bad-token", "令牌无效或已撤销",
                         headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})
    return caller


CallerDep = Annotated[Caller, Depends(current_caller)]


def role_in(*roles: str):
    allowed = frozenset(roles)

    async def check(caller: CallerDep) -> Caller:
        if caller.role not in allowed:
            raise ApiProblem(403, "role-not-allowed",
                             f"令牌角色 {caller.role} 不能调用此接口（需要：{'、'.join(sorted(allowed))}）")
        return caller

    return check


AdminDep = Annotated[Caller, Depends(role_in("admin"))]
OperatorDep = Annotated[Caller, Depends(role_in("operator"))]
#: decision logs: an operator system-wide, an admin within its unit's subtree
LogReaderDep = Annotated[Caller, Depends(role_in("operator", "admin"))]
WorkflowCaller = Annotated[Caller, Depends(role_in("admin", "department", "township", "reviewer", "approver"))]

_ETAG = re.compile(r'^"(\d{1,12})"$')


@dataclass(frozen=True)
class Precondition:
    """What a request's `If-Match` says: absent (`given` false), `*` (any version: the caller
    chose last-writer-wins for this request) or one version; a weak or malformed tag asks for
    version -1, which never matches (strong comparison), so it is answered 412."""
    given: bool
    version: int | None


async def if_match(value: Annotated[str | None, Header(
        alias="If-Match", max_length=200,
        description='申请的 ETag，如 "3"（取自 GET 响应头 ETag 或响应体 etag）；不符返回 412，缺少返回 428；'
                    '"*" 表示不论版本（最后写入为准）')] = None) -> Precondition:
    if value is None:
        return Precondition(False, None)
    if value.strip() == "*":
        return Precondition(True, None)
    m = _ETAG.match(value.strip())
    return Precondition(True, int(m.group(1)) if m else -1)


IfMatchDep = Annotated[Precondition, Depends(if_match)]


async def idempotency_key(value: Annotated[str | None, Header(
        alias="Idempotency-Key", max_length=200,
        description="幂等键：同一键重试不会重复办理；同一键不同内容返回 422")] = None) -> str | None:
    if value is None:
        return None
    key = value.strip()
    if not key or not all(33 <= ord(ch) < 127 for ch in key):
        raise ApiProblem(422, "bad-idempotency-key", "Idempotency-Key 应为 1–200 个可见 ASCII 字符")
    return key


IdempotencyDep = Annotated[str | None, Depends(idempotency_key)]


async def acting_person_header(value: Annotated[str | None, Header(
        alias="X-Acting-Person", max_length=400,
        description="经办人（UTF-8 百分号编码，如 %E5%BC%A0%E4%B8%89）；也可写在请求体 person")] = None) -> str | None:
    if value is None:
        return None
    if not value.isascii():  # raw bytes (read as latin-1 by the server): refuse rather than store garbled
        raise ApiProblem(422, "bad-person", "X-Acting-Person 须为 ASCII：请将姓名按 UTF-8 百分号编码（如 %E5%BC%A0%E4%B8%89）")
    try:
        person = unquote(value, errors="strict").strip()
    except UnicodeDecodeError:
        raise ApiProblem(422, "bad-person", "X-Acting-Person 应为 UTF-8 百分号编码的姓名") from None
    if not person or len(person) > 80 or any(ord(ch) < 32 or ord(ch) == 127 for ch in person):
        raise ApiProblem(422, "bad-person", "经办人应为 1–80 个字符的姓名")
    return person


ActingPersonDep = Annotated[str | None, Depends(acting_person_header)]


def the_person(header: str | None, body: str | None) -> str:
    """The person acting (经办人), from the header or the body; they must agree when both are given."""
    if header and body and header != body.strip():
        raise ApiProblem(422, "person-mismatch", "X-Acting-Person 与请求体 person 不一致")
    person = (body or "").strip() or header
    if not person:
        raise ApiProblem(422, "missing-person", "必须写明经办人：请求体 person 或 X-Acting-Person 头")
    return person
