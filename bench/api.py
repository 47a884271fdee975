"""The compliance API under load, on loopback, with `admission serve --workers 2` (auth and the
decision log on at their defaults: bearer token, buffered log, sampling 1.0), driven from
outside the server's processes:

1. maximum single-decision throughput, closed loop: wrk, 32 connections;
2. latency at a fixed 1,500 requests/s, open loop: wrk cannot hold a fixed rate (wrk2 is not in
   Debian), so a small asyncio client in its own process sends on a fixed schedule over
   keep-alive connections and measures each latency from the *intended* send time (no
   coordinated omission);
3. batch throughput: wrk posting batches of 1,000 questions, 8 connections;
4. the cost of the decision log: 1 and 3 again with `ADMISSION_DECISION_LOG=off`;
5. the same cost without the noise of a shared machine: CPU time per request through the whole
   ASGI stack in one process (no sockets), log on (its flush included) and off.

Questions are a realistic mix from the bundled policy (half asked about matters on the target's
lists, half anything), all with valid ids.  The load tool shares the 2 cores with the server.

    .venv/bin/python bench/api.py [--policies policies] [--db URL] [--seconds 10] [--rate 1500]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
ADMISSION = str(Path(sys.executable).with_name("admission"))
ON = "2026-11-23"


# --------------------------------------------------------------------------- questions
def questions(policies: Path, n: int, seed: int = 5) -> list[dict]:
    from admission.evaluate.decide import Decider
    from admission.compile.index import build_index
    from admission.loader import LoadOptions, load_policy
    from admission.language.enums import UnitKind

    index = build_index(load_policy(policies, LoadOptions(workers=1)))
    decider = Decider(index)
    rng = random.Random(seed)
    units = index.units
    places = [u for u, i in units.items() if i.kind in (UnitKind.township, UnitKind.village)]
    actors = [u for u, i in units.items() if i.kind in (UnitKind.department, UnitKind.government)]
    listed = sorted({key for key, entries in index.entries.items() if entries})
    out = []
    day = __import__("datetime").date.fromisoformat(ON)
    while len(out) < n:
        if rng.random() < 0.5 and listed:
            # a dispatch system asking about a matter on the target's lists, usually with standing
            target, matter = rng.choice(listed)
            county = units[target].county
            local = [a for a in actors if units[a].county == county] or actors
            tries = [rng.choice(local) for _ in range(12)]
            actor = next((a for a in tries if decider.decide(a, matter, target, day).allowed), tries[0])
        else:
            actor, matter, target = rng.choice(actors), rng.choice(list(index.policy.matters)), rng.choice(places)
        if decider.decide(actor, matter, target, day).outcome.value == "error":
            continue
        out.append({"actor": actor, "matter": matter, "target": target, "on": ON})
    return out


# --------------------------------------------------------------------------- the server
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, policies: Path, db: str, workers: int, env: dict):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen(
            [ADMISSION, "serve", "--policies", str(policies), "--db", db, "--port", str(self.port),
             "--workers", str(workers)], env={**os.environ, **env}, stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE)
        import httpx

        end = time.monotonic() + 60
        while time.monotonic() < end:
            if self.proc.poll() is not None:
                raise SystemExit(f"server exited: {self.proc.stderr.read().decode(errors='replace')}")
            try:
                if httpx.get(f"{self.base}/v1/ready", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise SystemExit("server did not become ready")

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()


# --------------------------------------------------------------------------- wrk
LUA = """
local bodies = {}
for line in io.lines("%(bodies)s") do bodies[#bodies + 1] = line end
local headers = {["Content-Type"] = "application/json", ["Authorization"] = "Bearer %(token)s"}
local i = 0
request = function()
  i = i %% #bodies + 1
  return wrk.format("POST", "%(path)s", headers, bodies[i])
end
"""


def _seconds(text: str) -> float:
    m = re.match(r"([\d.]+)(us|ms|s|m)", text)
    value, unit = float(m.group(1)), m.group(2)
    return value * {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0}[unit]


def wrk(base: str, token: str, bodies: list[bytes], seconds: int, connections: int, work: Path,
        path: str = "/v1/decisions") -> dict:
    body_file = work / f"bodies-{len(bodies)}-{len(bodies[0])}.txt"
    body_file.write_bytes(b"\n".join(bodies) + b"\n")
    script = work / "post.lua"
    script.write_text(LUA % {"bodies": body_file, "token": token, "path": path}, encoding="utf-8")
    out = subprocess.run(["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", str(script),
                          base + path], capture_output=True, text=True, check=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    lat = {p: _seconds(v) for p, v in re.findall(r"^\s+(50|90|99)%\s+(\S+)", out, re.M)}
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    return {"rate": rate, "p50_ms": lat.get("50", 0) * 1e3, "p99_ms": lat.get("99", 0) * 1e3,
            "non_2xx": int(bad.group(1)) if bad else 0, "socket_errors": errors.group(1) if errors else ""}


# --------------------------------------------------------------------------- the open-loop client
async def _open_loop(host: str, port: int, token: str, bodies: list[bytes], rate: float, seconds: float,
                     connections: int) -> dict:
    loop = asyncio.get_running_loop()
    idle: asyncio.Queue = asyncio.Queue()
    opened = 0

    async def connect():
        nonlocal opened
        opened += 1
        return await asyncio.open_connection(host, port)

    for _ in range(connections):
        idle.put_nowait(await connect())
    head = (f"POST /v1/decisions HTTP/1.1\r\nHost: {host}:{port}\r\nAuthorization: Bearer {token}\r\n"
            f"Content-Type: application/json\r\n").encode()
    latencies: list[float] = []
    errors = 0

    async def one(intended: float, body: bytes) -> None:
        nonlocal errors
        conn = idle.get_nowait() if not idle.empty() else await connect()
        reader, writer = conn
        try:
            writer.write(head + b"Content-Length: %d\r\n\r\n" % len(body) + body)
            status_line = await reader.readline()
            length = 0
            while True:
                line = await reader.readline()
                if line in (b"\r\n", b""):
                    break
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            await reader.readexactly(length)
            latencies.append(loop.time() - intended)
            if b" 200 " not in status_line:
                errors += 1
            idle.put_nowait(conn)
        except (OSError, asyncio.IncompleteReadError):
            errors += 1
            writer.close()

    total = int(rate * seconds)
    start = loop.time() + 0.2
    tasks = []
    for i in range(total):
        intended = start + i / rate
        delay = intended - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.ensure_future(one(intended, bodies[i % len(bodies)])))
    await asyncio.gather(*tasks)
    elapsed = loop.time() - start
    latencies.sort()

    def pct(p):
        return latencies[min(len(latencies) - 1, int(p / 100 * len(latencies)))] * 1e3 if latencies else 0.0

    return {"sent": total, "answered": len(latencies), "errors": errors, "achieved": len(latencies) / elapsed,
            "p50_ms": pct(50), "p90_ms": pct(90), "p99_ms": pct(99), "max_ms": latencies[-1] * 1e3 if latencies else 0,
            "connections_opened": opened}


def open_loop_main(argv: list[str]) -> None:
    host, port, token, body_file, rate, seconds, connections = argv
    bodies = Path(body_file).read_bytes().splitlines()
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    result = asyncio.run(_open_loop(host, int(port), token, bodies, float(rate), float(seconds), int(connections)))
    print(json.dumps(result))


def open_loop(server: Server, token: str, bodies: list[bytes], rate: float, seconds: float, work: Path) -> dict:
    body_file = work / "open-loop-bodies.txt"
    body_file.write_bytes(b"\n".join(bodies))
    out = subprocess.run([sys.executable, __file__, "--open-loop", "127.0.0.1", str(server.port), token,
                          str(body_file), str(rate), str(seconds), "64"], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


# --------------------------------------------------------------------------- in process
def in_process(args, singles: list[bytes], batches: list[bytes], work: Path) -> dict:
    """Seconds of CPU per request through the app (fast path, auth, validation, decision, log)."""
    from admission.api.app import create_app
    from admission.api.settings import ApiSettings

    out = {}
    for n, mode in enumerate(("buffered", "off")):
        db, token, _ = fresh_db(args, work, 100 + n)
        settings = ApiSettings(policies=args.policies, database_url=db, decision_log=mode,
                               decision_log_flush_seconds=3600)
        app = create_app(settings)
        auth = b"Bearer " + token.encode()

        async def call(body: bytes) -> int:
            scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
                     "scheme": "http", "path": "/v1/decisions", "raw_path": b"/v1/decisions", "query_string": b"",
                     "root_path": "", "client": ("127.0.0.1", 1), "server": ("127.0.0.1", 80), "state": {},
                     "headers": [(b"content-type", b"application/json"), (b"authorization", auth),
                                 (b"content-length", str(len(body)).encode())]}
            sent = []

            async def receive():
                return {"type": "http.request", "body": body, "more_body": False}

            async def send(message):
                sent.append(message)

            await app(scope, receive, send)
            return sent[0]["status"]

        async def run() -> dict:
            inbox: asyncio.Queue = asyncio.Queue()
            outbox: asyncio.Queue = asyncio.Queue()
            await inbox.put({"type": "lifespan.startup"})
            life = asyncio.ensure_future(app({"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}},
                                             inbox.get, outbox.put))
            assert (await outbox.get())["type"] == "lifespan.startup.complete"
            state = app.state.admission
            result = {}
            for label, bodies, count in (("single", singles, 20_000), ("batch", batches, 60)):
                for body in bodies[:50]:
                    await call(body)
                state.log.flush()
                t = time.process_time()
                for i in range(count):
                    assert await call(bodies[i % len(bodies)]) == 200
                state.log.flush()  # the log's cost includes writing it
                result[label] = (time.process_time() - t) / count
            await inbox.put({"type": "lifespan.shutdown"})
            await life
            return result

        out[mode] = asyncio.run(run())
    return out


# --------------------------------------------------------------------------- main
def fresh_db(args, work: Path, n: int) -> tuple[str, str, str]:
    """A database for one run (a new SQLite file, or the given URL) and a reader and an admin token."""
    from admission.api.auth import create_token
    from admission.store.db import make_engine, migrate

    db = args.db or f"sqlite:///{work / f'api-{n}.db'}"
    engine = make_engine(db)
    migrate(engine)
    reader = create_token(engine, unit="bench", role="reader", name="bench/api.py")[1]
    admin = create_token(engine, unit="bench", role="admin", name="bench/api.py")[1]
    engine.dispose()
    return db, reader, admin


def measure(args, n: int, singles: list[bytes], batches: list[bytes], env: dict, work: Path) -> dict:
    import httpx

    db, token, admin = fresh_db(args, work, n)
    server = Server(args.policies, db, args.workers, env)
    try:
        wrk(server.base, token, singles, 2, 16, work)  # warm up both workers
        single = wrk(server.base, token, singles, args.seconds, 32, work)
        fixed = open_loop(server, token, singles, args.rate, args.seconds, work)
        # 8 connections: uvicorn's workers share one listening socket and the kernel may hand one
        # worker most of a handful of connections; with 8 the split is rarely worse than 5:3
        batch = wrk(server.base, token, batches, args.seconds, 8, work)
        stats = httpx.get(f"{server.base}/v1/decision-logs/stats", headers={"Authorization": f"Bearer {admin}"},
                          timeout=30).json()["totals"]
    finally:
        server.stop()
    return {"single": single, "fixed": fixed, "batch": batch, "log": stats}


def report(label: str, r: dict, args) -> None:
    single, fixed, batch, stats = r["single"], r["fixed"], r["batch"], r["log"]
    print(f"\n[{label}]")
    print(f"  single, closed loop (wrk, 32 conns): {single['rate']:8.0f} decisions/s   "
          f"p50 {single['p50_ms']:.2f} ms  p99 {single['p99_ms']:.2f} ms  non-2xx {single['non_2xx']}")
    print(f"  single, open loop at {args.rate:.0f}/s:       achieved {fixed['achieved']:7.0f}/s   "
          f"p50 {fixed['p50_ms']:.2f} ms  p90 {fixed['p90_ms']:.2f} ms  p99 {fixed['p99_ms']:.2f} ms  "
          f"max {fixed['max_ms']:.1f} ms  errors {fixed['errors']}")
    print(f"  batches of {args.batch} (wrk, 8 conns):     {batch['rate'] * args.batch:8.0f} decisions/s   "
          f"({batch['rate']:.1f} requests/s, p50 {batch['p50_ms']:.1f} ms, p99 {batch['p99_ms']:.1f} ms)  "
          f"non-2xx {batch['non_2xx']}")
    print(f"  decision log: written {stats['written']} entries, dropped {stats['dropped']}, "
          f"failed flushes {stats['failed_flushes']}")


def _median(rs: list[dict]) -> dict:
    def pick(part, key):
        values = sorted(r[part][key] for r in rs)
        return values[len(values) // 2]

    return {part: {key: pick(part, key) for key in rs[0][part]
                   if isinstance(rs[0][part][key], (int, float))} for part in ("single", "fixed", "batch")}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--policies", type=Path, default=ROOT / "policies")
    ap.add_argument("--db", default=None, help="database URL (default: a fresh SQLite file)")
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--rate", type=float, default=1500)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--batch", type=int, default=1000)
    ap.add_argument("--repeat", type=int, default=3, help="runs of each configuration, alternating (median)")
    args = ap.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is needed: apt-get install -y wrk (scripts/setup installs it)")
    work = Path(tempfile.mkdtemp(prefix="admission-bench-api-"))
    qs = questions(args.policies, 4000)
    singles = [json.dumps(q, ensure_ascii=False, separators=(",", ":")).encode() for q in qs]
    batches = [json.dumps({"questions": qs[i:i + args.batch] if i + args.batch <= len(qs) else
                           (qs + qs)[i:i + args.batch]}, ensure_ascii=False, separators=(",", ":")).encode()
               for i in range(0, len(qs), args.batch)]
    print(f"API bench: {os.cpu_count()} cores, {args.workers} workers, {(args.db or 'sqlite').split(':')[0]}, "
          f"{len(singles)} distinct questions, batches of {args.batch} ({len(batches[0]) / 1024:.0f} KiB)")
    configs = (("log on (buffered, default)", {}), ("log off", {"ADMISSION_DECISION_LOG": "off"}))
    runs: dict[str, list[dict]] = {label: [] for label, _ in configs}
    n = 0
    for round_ in range(args.repeat):  # alternate, so drift on a shared machine hits both alike
        for label, env in (configs if round_ % 2 == 0 else configs[::-1]):
            n += 1
            runs[label].append(measure(args, n, singles, batches, env, work))
    for label, _ in configs:
        for i, r in enumerate(runs[label], 1):
            report(f"{label}, run {i}", r, args)
    median = {label: _median(rs) for label, rs in runs.items()}
    on, off = median["log on (buffered, default)"], median["log off"]
    print(f"\nmedian of {args.repeat} run(s):")
    print(f"  single decisions/s (closed loop):  log on {on['single']['rate']:.0f}   log off {off['single']['rate']:.0f}"
          f"   cost of the log {(1 - on['single']['rate'] / off['single']['rate']) * 100:+.0f}%")
    print(f"  latency at {args.rate:.0f}/s (open loop, log on): p50 {on['fixed']['p50_ms']:.2f} ms  "
          f"p99 {on['fixed']['p99_ms']:.2f} ms")
    print(f"  batch decisions/s (1,000 a batch): log on {on['batch']['rate'] * args.batch:.0f}   "
          f"log off {off['batch']['rate'] * args.batch:.0f}"
          f"   cost of the log {(1 - on['batch']['rate'] / off['batch']['rate']) * 100:+.0f}%")
    cpu = in_process(args, singles, batches, work)
    on_cpu, off_cpu = cpu["buffered"], cpu["off"]
    print("\nCPU per request in one process (ASGI stack, no sockets):")
    print(f"  single: log on {on_cpu['single'] * 1e6:.0f} µs, off {off_cpu['single'] * 1e6:.0f} µs "
          f"(the log costs {(on_cpu['single'] - off_cpu['single']) * 1e6:.0f} µs a decision)")
    print(f"  batch of {args.batch}: log on {on_cpu['batch'] * 1e3:.1f} ms, off {off_cpu['batch'] * 1e3:.1f} ms "
          f"(the log costs {(on_cpu['batch'] - off_cpu['batch']) / args.batch * 1e6:.1f} µs a decision; "
          f"{args.batch / off_cpu['batch']:.0f} decisions per CPU-second without it)")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--open-loop":
        open_loop_main(sys.argv[2:])
    else:
        main()
