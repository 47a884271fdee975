"""Adversarial probe of a real `admission serve --workers 2` on the bundled policies, printing the
figures issue 17 asks for (these are counts, not timings; nothing here asserts):

1. **stale steps**: rounds of three conflicting steps (`send_back` and `reject` by the county,
   `withdraw` by the applicant) sent at once on the same ETag to both workers; a round with more
   than one success is a stale-step success.  The same without `If-Match` counts 428s.
2. **cross-unit admin reads**: an admin of 薛城区 (370403) asks for every application of 市中区
   (370402), its dossier, history and opinions, the application list and the decision logs; any
   answer that shows 370402's data is a cross-unit read.
3. **server errors**: every answer of the run, plus malformed bodies (invalid UTF-8, a lone
   surrogate, duplicate keys, a string for a list, out-of-range dates, unknown query
   parameters) — any 5xx is counted.

    .venv/bin/python bench/probe.py [--db URL] [--rounds 20]
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from api import ROOT, Server  # noqa: E402

DEPT = "11370402MB3281872B"  # 区委宣传部
PERSON = {"dept": "%E6%9D%8E%E6%98%8E", "county": "%E7%8E%8B%E8%8A%B3"}  # 李明, 王芳 (separation of duties)
COUNTY, OTHER = "370402", "370403"
REQUEST = {"matter": "DJ-QT-025", "targets": ["370402101"], "reason": "文明城市复检入户问卷", "basis": "SD-BS-WM-2024",
           "term": "short", "start": "2026-12-15", "end": "2027-03-31", "resources": {"staff": 2}}


def tokens(db: str) -> dict[str, str]:
    from admission.api.auth import create_token
    from admission.store.db import make_engine, migrate

    engine = make_engine(db)
    migrate(engine)
    out = {name: create_token(engine, unit=unit, role=role, name=name)[1]
           for name, unit, role in (("dept", DEPT, "department"), ("county", COUNTY, "approver"),
                                    ("admin", COUNTY, "admin"), ("other_admin", OTHER, "admin"),
                                    ("operator", COUNTY, "operator"))}
    engine.dispose()
    return out


class Probe:
    def __init__(self, base: str, tok: dict[str, str]):
        self.base, self.tok, self.status = base, tok, Counter()

    def h(self, who: str, **extra) -> dict:
        return {"Authorization": f"Bearer {self.tok[who]}", "X-Acting-Person": PERSON.get(who, "ops"), **extra}

    def call(self, method: str, path: str, who: str, **kw) -> httpx.Response:
        headers = self.h(who, **kw.pop("headers", {}))
        with httpx.Client(base_url=self.base, timeout=30) as c:  # a fresh connection: either worker
            r = c.request(method, path, headers=headers, **kw)
        self.status[r.status_code] += 1
        return r

    def apply(self) -> dict:
        r = self.call("POST", "/v1/applications", "dept", json={"request": REQUEST})
        assert r.status_code == 201, r.text
        return r.json()

    def race(self, rounds: int, with_etag: bool) -> Counter:
        out = Counter()
        steps = [("send_back", "county", {"reason": "补充材料"}), ("reject", "county", {"reason": "不符合条件"}),
                 ("withdraw", "dept", {})]
        for _ in range(rounds):
            app = self.apply()
            extra = {"If-Match": app["etag"]} if with_etag else {}
            with cf.ThreadPoolExecutor(len(steps)) as pool:
                codes = list(pool.map(lambda s: self.call("POST", f"/v1/applications/{app['id']}/actions/{s[0]}", s[1],
                                                          json=s[2], headers=extra).status_code, steps))
            wins = sum(200 <= c < 300 for c in codes)
            out["rounds"] += 1
            out["stale successes"] += max(0, wins - 1)
            out.update(f"answer {c}" for c in codes)
        return out

    def cross_reads(self, ids: list[str]) -> Counter:
        out = Counter()
        for aid in ids:
            for tail in ("", "/dossier", "/history", "/opinions"):
                r = self.call("GET", f"/v1/applications/{aid}{tail}", "other_admin")
                out["asked"] += 1
                out["cross-unit reads"] += r.status_code == 200
        listed = self.call("GET", "/v1/applications?limit=1000", "other_admin").json()
        out["asked"] += 1
        out["cross-unit reads"] += sum(a["id"] in ids for a in listed["items"])
        self.call("POST", "/v1/decisions", "dept", json={"actor": DEPT, "matter": "DJ-QT-025", "target": "370402101"})
        time.sleep(0.5)  # the buffered decision log flushes
        logs = self.call("GET", "/v1/decision-logs?limit=1000", "other_admin").json()
        out["asked"] += 1
        out["cross-unit reads"] += sum(e["caller"]["unit"] == DEPT for e in logs["items"])
        for path in ("/v1/policy/reload", "/v1/workflow/tick"):
            out["asked"] += 1
            out["cross-unit reads"] += self.call("POST", path, "other_admin").status_code < 300
        return out

    def malformed(self) -> Counter:
        out = Counter()
        bodies = [b'{"request": {"reason": "\xff"}}', b'{"request": {"reason": "\\ud800"}}',
                  b'{"flow": "admission", "flow": "adjustment", "request": {}}',
                  b'{"request": {"matter": "DJ-QT-025", "targets": "370402101"}}']
        for raw in bodies:
            r = self.call("POST", "/v1/applications", "dept", content=raw, headers={"Content-Type": "application/json"})
            out[f"malformed body {r.status_code}"] += 1
        for q in ("/v1/findings?code=x", "/v1/decision-logs?until=0.5", "/v1/matters?offset=-1"):
            out[f"bad query {self.call('GET', q, 'operator').status_code}"] += 1
        r = self.call("POST", "/v1/decisions", "dept", json={"actor": DEPT, "matter": "DJ-QT-025", "target": "370402101",
                                                            "on": "9999-12-31"})
        out[f"out-of-range date {r.status_code}"] += 1
        return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", default=None, help="database URL (default: a new SQLite file)")
    ap.add_argument("--rounds", type=int, default=20)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = args.db or f"sqlite:///{Path(tmp) / 'probe.db'}"
        tok = tokens(db)
        server = Server(ROOT / "policies", db, 2, {"ADMISSION_TODAY": "2026-11-23", "ADMISSION_TOKEN_CACHE_SECONDS": "0",
                                                   "ADMISSION_REFRESH_SECONDS": "0.2"})
        try:
            p = Probe(server.base, tok)
            started = time.perf_counter()
            with_etag = p.race(args.rounds, True)
            without = p.race(args.rounds, False)
            ids = [p.apply()["id"] for _ in range(3)]
            cross = p.cross_reads(ids)
            bad = p.malformed()
            took = time.perf_counter() - started
        finally:
            server.stop()
    print(f"probe on {db.split(':')[0]}, {sum(p.status.values())} requests in {took:.1f} s")
    print(f"  races with If-Match: {with_etag['rounds']} rounds, stale-step successes {with_etag['stale successes']}, "
          f"answers {dict(sorted((k, v) for k, v in with_etag.items() if k.startswith('answer')))}")
    print(f"  races without If-Match: answers {dict(sorted((k, v) for k, v in without.items() if k.startswith('answer')))}")
    print(f"  admin of {OTHER} on {COUNTY}'s data: {cross['asked']} asks, cross-unit reads {cross['cross-unit reads']}")
    print(f"  malformed input: {dict(sorted(bad.items()))}")
    print(f"  server errors (5xx): {sum(v for k, v in p.status.items() if k >= 500)}; all answers {dict(sorted(p.status.items()))}")


if __name__ == "__main__":
    main()
