"""Shared setup of the API tests (no tests here): the mini policy with the bundled flows, a
SQLite file or a PostgreSQL schema, a token for each role, and the app under FastAPI's
TestClient (the real ASGI stack, lifespan included).  Any unhandled error fails the test that
caused it: the TestClient re-raises server exceptions."""

from __future__ import annotations

import datetime as dt
import re
import warnings
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

warnings.filterwarnings("ignore", message=".*httpx.*starlette.testclient.*")

from fastapi.testclient import TestClient  # noqa: E402

from admission.api.app import create_app  # noqa: E402
from admission.api.auth import create_token  # noqa: E402
from admission.api.settings import ApiSettings  # noqa: E402
from admission.store.db import make_engine, migrate  # noqa: E402

from flowkit import CITY, COUNTY, D0, D_BB, D_TJ, STREET, TOWN, VILLAGE, admission_request, build_policy_dir, make_db_url  # noqa: E402,F401

PROBLEM = "application/problem+json"
_APP_WRITE = re.compile(r"^/v1/applications/([^/]+)/(?:actions|opinions)(?:/|$)")

#: name → (unit, role)
WHO = {
    "reader": ("D-MZ", "reader"),
    "tj": (D_TJ, "department"),  # 统计局, the applicant
    "zj": ("D-ZJ", "department"),  # 住建局, another department
    "town": (TOWN, "township"),  # 永安镇
    "street": (STREET, "township"),  # 光明路街道 (not a target)
    "bb": (D_BB, "reviewer"),  # 编办
    "county": (COUNTY, "approver"),  # 市中区
    "other_county": ("370403", "approver"),  # 薛城区
    "city": (CITY, "approver"),  # 枣庄市
    "admin": (COUNTY, "admin"),
    "other_admin": ("370403", "admin"),  # 薛城区's admin: sees nothing of 市中区
    "operator": (CITY, "operator"),  # reload, tick, verify, system-wide decision logs
}


@dataclass
class Api:
    client: TestClient
    tokens: dict[str, str]
    token_ids: dict[str, str]
    root: Path
    url: str
    engine: object
    settings: ApiSettings
    extra: dict = field(default_factory=dict)

    @property
    def state(self):
        return self.client.app.state.admission

    def h(self, who: str | None, person: str | None = None, **headers) -> dict:
        out = {}
        if who:
            out["Authorization"] = f"Bearer {self.tokens[who]}"
        if person:
            out["X-Acting-Person"] = quote(person)
        out.update({k.replace("_", "-"): v for k, v in headers.items()})
        return out

    def get(self, path, who="admin", **kw):
        return self.client.get(path, headers=self.h(who, **kw.pop("headers", {})), **kw)

    def post(self, path, body=None, who="admin", person=None, headers=None, **kw):
        """POST as `who`; a write to an application carries its current ETag in `If-Match` unless
        the caller gave one (`{"If-Match": None}` sends none)."""
        m = _APP_WRITE.match(path)
        if m:
            headers = self.current(m.group(1), who, headers)
        sent = {k: v for k, v in {**self.h(who, person), **(headers or {})}.items() if v is not None}
        return self.client.post(path, json=body, headers=sent, **kw)

    # ------------------------------------------------------------------ workflow shortcuts
    def apply(self, **over):
        r = self.post("/v1/applications", {"request": admission_request(**over)}, who="tj", person="统计局-张三")
        assert r.status_code == 201, r.text
        return r.json()

    def current(self, app_id, who, headers=None) -> dict:
        """`headers` with `If-Match` set to the application's ETag as `who` sees it now (the API
        requires it on every write to an application), unless the caller set one."""
        out = dict(headers or {})
        if "If-Match" not in out:
            r = self.get(f"/v1/applications/{app_id}", who=who)
            if r.status_code == 200:
                out["If-Match"] = r.headers["ETag"]
        return out

    def opinion(self, app_id, who="town", stance="agree", text=None, person="永安镇-李四"):
        r = self.post(f"/v1/applications/{app_id}/opinions", {"stance": stance, "text": text}, who=who, person=person)
        assert r.status_code == 201, r.text
        return r.json()

    def step(self, app_id, action, who, person, expect=200, headers=None, **body):
        r = self.post(f"/v1/applications/{app_id}/actions/{action}", body, who=who, person=person, headers=headers)
        assert r.status_code == expect, r.text
        return r.json()

    def enter(self, app_id, effective="2025-03-10"):
        self.opinion(app_id)
        self.step(app_id, "review", "bb", "编办-王五")
        self.step(app_id, "approve", "county", "区政府-赵六", document="市中委〔2025〕8号", meeting="区委常委会")
        return self.step(app_id, "enter", "county", "区政府-赵六", effective=effective)

    def decide(self, actor=D_TJ, matter="M-RKPC", target=TOWN, on="2025-03-10", who="reader"):
        r = self.post("/v1/decisions", {"actor": actor, "matter": matter, "target": target, "on": on}, who=who)
        assert r.status_code == 200, r.text
        return r.json()


@contextmanager
def running_api(tmp_path: Path, db: str, **overrides):
    tmp_path.mkdir(parents=True, exist_ok=True)
    root = build_policy_dir(tmp_path)
    url = overrides.pop("database_url", None) or make_db_url(db, tmp_path)  # replicas may share one store
    engine = make_engine(url)
    migrate(engine)
    tokens, ids = {}, {}
    for name, (unit, role) in WHO.items():
        ids[name], tokens[name] = create_token(engine, unit=unit, role=role, name=name)
    values = dict(policies=root, database_url=url, today=D0, token_cache_seconds=0, refresh_seconds=0.2)
    values.update(overrides)
    settings = ApiSettings(**values)
    try:
        with TestClient(create_app(settings)) as client:
            yield Api(client, tokens, ids, root, url, engine, settings)
    finally:
        engine.dispose()


def is_problem(r, status: int, code: str | None = None) -> dict:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith(PROBLEM), r.headers["content-type"]
    body = r.json()
    assert body["status"] == status and body["type"].startswith("urn:admission:problem:")
    assert body["title"] and body["detail"]
    if code:
        assert body["code"] == code, body
    return body


def day(text: str) -> dt.date:
    return dt.date.fromisoformat(text)
