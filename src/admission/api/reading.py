"""What every read shares: one paging scheme, deprecated aliases that say so, and conditional
GET.

- **Paging**: every list takes `limit` and `after` and answers `next_after`, the `after` of the
  next page (`null` on the last page of a snapshot list; feeds, which grow, always give one).
  For a snapshot list (matters, findings, applications) `after` counts the items already seen;
  for a feed (decision logs, changes) it is the last `seq` seen.
- **Deprecated names** (`offset`, the change feed's `since`, the decision logs' `code`) still work
  for one release; an answer that used one carries `Deprecation` (RFC 9745), `Sunset`
  (RFC 8594) and a `Link` to the documentation.
- **Conditional GET**: reads that depend only on the policy revision, the admissions in force and
  the day carry a weak `ETag`; `If-None-Match` with it gets 304 and no body.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Query, Request, Response

from .deps import CallerDep, StateDep
from .problems import ApiProblem

#: when the old names were deprecated (2026-12-07) and when they go (2027-06-30)
DEPRECATED_AT = 1796601600
SUNSET = "Wed, 30 Jun 2027 00:00:00 GMT"


def deprecate(response: Response, old: str, new: str) -> None:
    response.headers["Deprecation"] = f"@{DEPRECATED_AT}"
    response.headers["Sunset"] = SUNSET
    response.headers["Link"] = '</v1/docs>; rel="deprecation"; type="text/html"'
    response.headers["X-Deprecated"] = f"{old} -> {new}"


@dataclass(frozen=True)
class Page:
    after: int
    limit: int

    def next_after(self, seen: int, total: int) -> int | None:
        """The `after` of the next page of a snapshot list, or None after its last page."""
        end = self.after + seen
        return end if end < total else None


_AFTER_DOC = "已看过的条数：首页为 0，下一页用上一页的 next_after"


async def snapshot_page(response: Response,
                        after: Annotated[int | None, Query(ge=0, le=1_000_000_000, description=_AFTER_DOC)] = None,
                        limit: Annotated[int, Query(ge=1, le=1000, description="每页条数")] = 50,
                        offset: Annotated[int | None, Query(ge=0, le=1_000_000_000, deprecated=True,
                                                            description="已弃用（同 after），请改用 after")] = None) -> Page:
    if offset is not None:
        if after is not None and after != offset:
            raise ApiProblem(422, "conflicting-parameters", "after 与已弃用的 offset 不一致：只写 after")
        deprecate(response, "offset", "after")
    return Page(after if after is not None else (offset or 0), limit)


PageDep = Annotated[Page, Depends(snapshot_page)]


def page_body(page: Page, items: list, total: int) -> dict:
    """The paging fields of a snapshot list's answer (`offset` kept, deprecated, for one release)."""
    return {"total": total, "after": page.after, "offset": page.after, "limit": page.limit,
            "next_after": page.next_after(len(items), total), "items": items}


class NotModified(Exception):
    def __init__(self, tag: str):
        self.tag = tag


def _opaque(tag: str) -> str:
    tag = tag.strip()
    return tag[2:] if tag.startswith("W/") else tag


async def conditional(request: Request, response: Response, state: StateDep, caller: CallerDep) -> None:
    """Tag the answer with what it depends on; answer 304 if the client holds that already
    (weak comparison, RFC 9110 §13.1.2) — after authentication, never instead of it."""
    index = state.rt.index
    tag = f'W/"{index.revision[:20]}.{index.admission_seq}.{state.today().isoformat()}"'
    response.headers["ETag"] = tag
    response.headers["Cache-Control"] = "private, no-cache"
    held = request.headers.get("if-none-match")
    if held is not None and (held.strip() == "*" or _opaque(tag) in {_opaque(t) for t in held.split(",")}):
        raise NotModified(tag)


CONDITIONAL = [Depends(conditional)]
NOT_MODIFIED = {304: {"description": "未变化：If-None-Match 与当前 ETag 相符（无响应体）",
                      "headers": {"ETag": {"schema": {"type": "string"}}}}}
ETAG_HEADER = {"ETag": {"description": "弱 ETag：策略修订、准入序号与日期；可用于 If-None-Match",
                        "schema": {"type": "string"}}}


def install(app) -> None:
    @app.exception_handler(NotModified)
    async def _not_modified(request: Request, exc: NotModified):
        return Response(status_code=304, headers={"ETag": exc.tag, "Cache-Control": "private, no-cache"})
