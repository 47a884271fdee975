"""The project beside its peers: decisions against Cedar (cedarpy), the admission workflow against
SpiffWorkflow.  Both peers are in the optional `bench` extra (requirements-bench.lock).

Decisions: the same generated tree and the same realistic question mix as bench/decide.py, asked
of `Decider.decide`, `Decider.decide_many` and Cedar's `is_authorized_batch`.  The bench translates
the compiled policy into Cedar entities and policies itself (`cedar_entities`, `cedar_policies`),
counts the questions whose allow/deny differ (must be 0) and prints each throughput and the ratios.

Workflow: the bundled admission flow driven as bench/flow.py drives it (SQLite), against a
SpiffWorkflow BPMN process of the same five user tasks whose state is serialized to SQLite after
every task, reloaded for each step (stateless) or kept in memory (resident).  Then the project on
the local PostgreSQL with `--clients` concurrent clients on one runtime's connection pool: steps/s
and the p50 and p99 step latency.

Rounds alternate project, peer, project, peer…; the best round of each counts.

    /tmp/peers-venv/bin/python bench/peers.py [--townships 50,1000] [--questions 100000]
        [--rounds 3] [--apps 300] [--pg URL] [--clients 8] [--pg-apps 40] [--quick] [--json PATH]
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import importlib.util
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "tests"))  # flowkit: the workflow tests' policy and request

from admission.compile.index import (  # noqa: E402
    COUNTY_HOLDERS, ENTRY_KIND_NAMES, MAY_CERTIFY, Index, build_index,
)
from admission.evaluate.decide import Decider  # noqa: E402
from admission.language.enums import LEVEL_RANK, VILLAGE_FORBIDDEN_TAGS, Level, UnitKind  # noqa: E402
from admission.loader import LoadOptions, load_policy  # noqa: E402
from admission.synth import CHECK_DATE, generate  # noqa: E402

COUNTY_RANK = LEVEL_RANK[Level.county]
NO_UNIT = "-"  # the county of a unit above county level: a Cedar entity id no unit has
CERTIFICATION = "certification_request"

# What the Cedar translation leaves out, printed with the figures.
CEDAR_LIMITS = (
    "allow/deny only: Cedar returns no reason codes, explanations or legal basis (not compared)",
    "'could not decide' (unknown ids, a target that is not a township or village) is an error in "
    "the project and a denial in Cedar: the mix asks about known townships and villages only",
    "'there is an entry in force with standing' has no quantifier in Cedar: it is unrolled to as "
    "many slots as the data's busiest (unit, matter) has entries, blocks and holdings",
    "a snapshot: admissions the workflow enters later are not in the entities",
)


# ---------------------------------------------------------------------------- Cedar: entities
def _uid(kind: str, ident: str) -> dict:
    return {"__entity": {"type": kind, "id": ident}}


def _unit_attrs(info, units) -> dict:
    """A unit's facts the rules read; attribution and county are resolved once, as the index does."""
    attrs = {"kind": info.kind.value, "since": info.since, "until": info.until,
             "rank": units[info.attributed].rank, "attributed": _uid("Unit", info.attributed),
             "county": _uid("Unit", info.county or NO_UNIT)}
    if info.township:
        attrs["township"] = _uid("Unit", info.township)
    return attrs


def _entry_slot(e) -> dict:
    """One assignable entry: its kind, dates, and who has standing (`who`, or `any` county holder)."""
    holders = e.standing is COUNTY_HOLDERS
    who = [] if holders else [_uid("Unit", x) for x in sorted(e.standing)]
    return {"k": ENTRY_KIND_NAMES[e.kind], "s": e.since, "u": e.until, "any": holders, "who": who,
            "cert": e.kind == MAY_CERTIFY}


def _place_tags(index: Index) -> dict[str, dict[str, dict]]:
    """Per township or village, per matter: entry slots e0…, block slots b0…, and `tagged` (step 8)."""
    tags: dict[str, dict[str, dict]] = {}
    for (unit, matter), entries in index.entries.items():
        rec = tags.setdefault(unit, {}).setdefault(matter, {})
        for i, e in enumerate(entries):
            rec[f"e{i}"] = _entry_slot(e)
    for (unit, matter), blocks in index.blocks.items():
        rec = tags.setdefault(unit, {}).setdefault(matter, {})
        for i, b in enumerate(blocks):
            rec[f"b{i}"] = {"k": b.kind, "s": b.since, "u": b.until}
    for unit, by_matter in tags.items():
        for matter, rec in by_matter.items():
            m = index.policy.matters.get(matter)
            rec["tagged"] = bool(m and any(t in VILLAGE_FORBIDDEN_TAGS for t in m.tags))
    return tags


def _holding_tags(index: Index) -> dict[str, dict[str, dict]]:
    """Per department, per matter: the intervals it holds the matter in, slots h0…"""
    tags: dict[str, dict[str, dict]] = {}
    for (dept, matter), spans in index.holds.items():
        tags.setdefault(dept, {})[matter] = {f"h{i}": {"s": s, "u": u} for i, (s, u) in enumerate(spans)}
    return tags


def cedar_entities(index: Index) -> list[dict]:
    """Every unit (its list entries as tags keyed by matter id) and every basis, as Cedar JSON."""
    units = index.units
    places, holdings = _place_tags(index), _holding_tags(index)
    out = [{"uid": {"type": "Unit", "id": NO_UNIT}, "attrs": {}, "parents": []}]
    for uid, info in units.items():
        ent = {"uid": {"type": "Unit", "id": uid}, "attrs": _unit_attrs(info, units), "parents": []}
        tags = places.get(uid) or holdings.get(uid)
        if tags:
            ent["tags"] = tags
        out.append(ent)
    for bid, b in index.policy.bases.items():
        out.append({"uid": {"type": "Basis", "id": bid}, "parents": [], "attrs": {
            "rank": LEVEL_RANK[b.level], "issued": b.issued.toordinal(),
            "expires": b.expires.toordinal() if b.expires else 10**8}})
    return out


def slot_counts(index: Index) -> tuple[int, int, int]:
    """How many entry, block and holding slots the policies must test (the data's maximum)."""
    entries = max((len(v) for v in index.entries.values()), default=0)
    blocks = max((len(v) for v in index.blocks.values()), default=0)
    holds = max((len(v) for v in index.holds.values()), default=0)
    return entries, blocks, holds


# ---------------------------------------------------------------------------- Cedar: policies
TAG = "resource.getTag(context.matter)"
HELD = "principal.attributed.getTag(context.matter)"
DAY = "context.day"


def _in_force(rec: str) -> str:
    return f"{rec}.s <= {DAY} && {DAY} <= {rec}.u"


def _holds(slots: int) -> str:
    tests = [f"({HELD} has h{j} && {_in_force(f'{HELD}.h{j}')})" for j in range(slots)] or ["false"]
    return f"(principal.attributed.hasTag(context.matter) && ({' || '.join(tests)}))"


def _standing(e: str, holding_slots: int) -> str:
    """docs/semantics.md, Standing: the village's township; a named unit; or a county holder."""
    township = '(resource.kind == "village" && principal.attributed == resource.township)'
    holder = (f'({e}.any && (({e}.k == "basic" && principal.attributed == resource.county) || '
              f'(principal.attributed.county == resource.county && {_holds(holding_slots)})))')
    return f"({township} || {e}.who.contains(principal.attributed) || {holder})"


def _permit_entry(i: int, holding_slots: int) -> str:
    e = f"{TAG}.e{i}"
    return (f'@id("entry-{i}")\npermit(principal, action == Action::"assign", resource)\n'
            f"when {{ resource.hasTag(context.matter) && {TAG} has e{i} && {_in_force(e)}\n"
            f'  && (!{e}.cert || context.kind == "{CERTIFICATION}")\n  && {_standing(e, holding_slots)} }};')


def _forbid_block(i: int) -> str:
    b = f"{TAG}.b{i}"
    return (f'@id("block-{i}")\nforbid(principal, action == Action::"assign", resource)\n'
            f"when {{ resource.hasTag(context.matter) && {TAG} has b{i} && {_in_force(b)}\n"
            f'  && ({b}.k != "must_not_certify" || context.kind == "{CERTIFICATION}") }};')


FIXED_FORBIDS = f"""
@id("unit-inactive")
forbid(principal, action == Action::"assign", resource)
unless {{ principal.since <= {DAY} && {DAY} <= principal.until
          && resource.since <= {DAY} && {DAY} <= resource.until }};

@id("level-skipping")
forbid(principal, action == Action::"assign", resource)
when {{ principal.attributed.rank < {COUNTY_RANK} }};

@id("other-county")
forbid(principal, action == Action::"assign", resource)
when {{ principal.attributed.county != resource.county }};

@id("village-bypass")
forbid(principal, action == Action::"assign", resource)
when {{ resource.kind == "village" && principal.attributed != resource.township }}
unless {{ context has basis && context.basis has rank && context.basis.rank <= {COUNTY_RANK}
          && context.basis.issued <= {DAY} && {DAY} <= context.basis.expires }};

@id("village-responsible")
forbid(principal, action == Action::"assign", resource)
when {{ resource.kind == "village" && context.role == "responsible"
        && resource.hasTag(context.matter) && {TAG}.tagged }};
"""


def cedar_policies(index: Index) -> str:
    """Deny wins and the default is deny, as in docs/semantics.md: steps 1–8 are forbids, 9–11 permits."""
    entries, blocks, holds = slot_counts(index)
    parts = [FIXED_FORBIDS.strip()]
    parts += [_forbid_block(i) for i in range(blocks)]
    parts += [_permit_entry(i, holds) for i in range(entries)]
    return "\n\n".join(parts) + "\n"


def cedar_request(actor: str, matter: str, target: str, on: dt.date, kind: str = "task",
                  role: str = "execute", basis: str | None = None) -> dict:
    """The question itself: who, to whom, and the matter, day, kind, role and basis as context."""
    context = {"matter": matter, "day": on.toordinal(), "kind": kind, "role": role}
    if basis:
        context["basis"] = _uid("Basis", basis)
    return {"principal": {"type": "Unit", "id": actor}, "action": {"type": "Action", "id": "assign"},
            "resource": {"type": "Unit", "id": target}, "context": context}


class CedarPeer:
    """The translated policy, parsed once into cedarpy's reusable handles."""

    def __init__(self, index: Index):
        import cedarpy

        self.cedarpy = cedarpy
        t = time.perf_counter()
        self.policy_text = cedar_policies(index)
        self.entities = cedarpy.Entities.from_json_str(json.dumps(cedar_entities(index)))
        self.policies = cedarpy.PolicySet.from_str(self.policy_text)
        self.parse_seconds = time.perf_counter() - t
        self.floor = cedarpy.PolicySet.from_str("permit(principal, action, resource);")

    def allowed(self, requests: list[dict]) -> list[bool]:
        return [r.allowed for r in self.cedarpy.is_authorized_batch(requests, self.policies, self.entities)]

    def floor_run(self, requests: list[dict]) -> int:
        """The same requests against one unconditional permit: what the binding costs by itself."""
        return len(self.cedarpy.is_authorized_batch(requests, self.floor, self.entities))


def disagreements(index: Index, questions: list[tuple]) -> list[tuple]:
    """The questions whose allow/deny differ between `Decider.decide` and Cedar."""
    ours = [d.allowed for d in Decider(index).decide_many(questions)]
    theirs = CedarPeer(index).allowed([cedar_request(*q) for q in questions])
    return [q for q, a, b in zip(questions, ours, theirs) if a != b]


# ---------------------------------------------------------------------------- decisions bench
def bench_module(name: str):
    """Another bench as a module: decide.py for its question mix, flow.py for its workflow driver."""
    spec = importlib.util.spec_from_file_location(f"bench_{name}", ROOT / "bench" / f"{name}.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def tree(townships: int, seed: int) -> Path:
    out = ROOT / "bench" / "out" / f"peers-{townships}-{seed}"
    if not (out / "manifest.json").exists():
        t = time.perf_counter()
        generate(out, townships, seed=seed)
        print(f"generated {out} in {time.perf_counter() - t:.1f} s", flush=True)
    return out


def load_index(townships: int, seed: int) -> Index:
    root = tree(townships, seed)
    t = time.perf_counter()
    policy = load_policy(root, LoadOptions(workers=None, cache_dir=ROOT / "bench" / "out" / "cache"))
    index = build_index(policy)
    print(f"{townships} townships: loaded and indexed in {time.perf_counter() - t:.1f} s "
          f"({len(policy.units):,} units, {sum(map(len, index.entries.values())):,} entries)", flush=True)
    return index


def _rate(n: int, fn) -> tuple[float, object]:
    t = time.perf_counter()
    out = fn()
    return n / (time.perf_counter() - t), out


def decisions(townships: int, n: int, rounds: int, seed: int) -> dict:
    """One tree: agreement, then alternating rounds of project single, project batch and Cedar."""
    index = load_index(townships, seed)
    qs = [(a, m, x, CHECK_DATE) for a, m, x in bench_module("decide").questions(index, n, seed, "realistic")]
    peer = CedarPeer(index)
    requests = [cedar_request(*q) for q in qs]
    gc.collect()
    gc.freeze()
    decider = Decider(index)
    best = {"single": 0.0, "batch": 0.0, "cedar": 0.0, "floor": 0.0}
    ours = theirs = None
    for _ in range(rounds):
        # the answers of a run are dropped before the next, so no run pays for another's garbage
        best["single"] = max(best["single"], _rate(n, lambda: len([decider.decide(*q) for q in qs]))[0])
        rate, ours = _rate(n, lambda: [d.allowed for d in decider.decide_many(qs)])
        best["batch"] = max(best["batch"], rate)
        rate, theirs = _rate(n, lambda: peer.allowed(requests))
        best["cedar"] = max(best["cedar"], rate)
        best["floor"] = max(best["floor"], _rate(n, lambda: peer.floor_run(requests))[0])
    gc.unfreeze()
    slots = slot_counts(index)
    return {"townships": townships, "questions": n, "allowed": sum(ours) / n,
            "disagreements": sum(a != b for a, b in zip(ours, theirs)),
            "single_per_s": best["single"], "batch_per_s": best["batch"], "cedar_per_s": best["cedar"],
            "cedar_floor_per_s": best["floor"],
            "cedar_parse_s": peer.parse_seconds, "cedar_policies": peer.policy_text.count("@id("),
            "cedar_slots": {"entries": slots[0], "blocks": slots[1], "holdings": slots[2]}}


def print_decisions(r: dict) -> None:
    print(f"  questions {r['questions']:,}, allowed {r['allowed']:.0%}, disagreements {r['disagreements']}; "
          f"Cedar: {r['cedar_policies']} policies, entities and policies parsed once in {r['cedar_parse_s']:.1f} s")
    print(f"  {'decide (single)':<22} {r['single_per_s']:>12,.0f}/s")
    print(f"  {'decide_many (batch)':<22} {r['batch_per_s']:>12,.0f}/s")
    print(f"  {'cedarpy batch':<22} {r['cedar_per_s']:>12,.0f}/s")
    print(f"  {'cedarpy, one permit':<22} {r['cedar_floor_per_s']:>12,.0f}/s  (the binding's own cost: "
          "request and answer conversion)")
    print(f"  ratio: single/Cedar {r['single_per_s'] / r['cedar_per_s']:.2f}x, "
          f"batch/Cedar {r['batch_per_s'] / r['cedar_per_s']:.2f}x, "
          f"batch/single {r['batch_per_s'] / r['single_per_s']:.2f}x", flush=True)


# ---------------------------------------------------------------------------- workflow bench
USER_TASKS = ("apply", "review", "approve", "enter", "exit")  # the five user-facing steps


def admission_bpmn() -> str:
    """A BPMN process of the five user tasks in sequence, as the bundled flow's happy path."""
    ns = 'xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"'
    nodes = ("start", *USER_TASKS, "end")
    tasks = "".join(f'<bpmn:userTask id="{t}" name="{t}"/>' for t in USER_TASKS)
    flows = "".join(f'<bpmn:sequenceFlow id="f{i}" sourceRef="{a}" targetRef="{b}"/>'
                    for i, (a, b) in enumerate(zip(nodes, nodes[1:])))
    return (f'<?xml version="1.0" encoding="UTF-8"?><bpmn:definitions {ns} id="defs" targetNamespace="admission">'
            f'<bpmn:process id="admission" isExecutable="true"><bpmn:startEvent id="start"/>{tasks}'
            f'<bpmn:endEvent id="end"/>{flows}</bpmn:process></bpmn:definitions>')


class SpiffStore:
    """SpiffWorkflow instances serialized to JSON in SQLite (WAL, synchronous=NORMAL, as the
    project's store), one committed transaction per user task."""

    def __init__(self, url: str):
        import sqlalchemy as sa
        from SpiffWorkflow.bpmn import BpmnWorkflow
        from SpiffWorkflow.bpmn.parser import BpmnParser
        from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer

        parser = BpmnParser()
        parser.add_bpmn_str(admission_bpmn().encode(), "admission.bpmn")
        self.spec, self.new = parser.get_spec("admission"), BpmnWorkflow
        self.serializer = BpmnWorkflowSerializer()
        self.engine = sa.create_engine(url)
        sa.event.listen(self.engine, "connect", _sqlite_pragmas)
        self.table = sa.Table("instance", sa.MetaData(), sa.Column("id", sa.String, primary_key=True),
                              sa.Column("state", sa.Text, nullable=False))
        self.table.metadata.create_all(self.engine)
        self.sa = sa

    def start(self, app_id: str, data: dict):
        """Create an instance and complete its first task (apply), as `Workflow.apply` does."""
        wf = self.new(self.spec)
        wf.do_engine_steps()
        self._complete(wf, data)
        with self.engine.begin() as c:
            c.execute(self.table.insert().values(id=app_id, state=self.serializer.serialize_json(wf)))
        return wf

    def step(self, app_id: str, data: dict, wf=None):
        """Complete the next user task; `wf` None reloads the instance from the store (stateless)."""
        with self.engine.begin() as c:
            if wf is None:
                row = c.execute(self.sa.select(self.table.c.state).where(self.table.c.id == app_id)).one()
                wf = self.serializer.deserialize_json(row.state)
            self._complete(wf, data)
            c.execute(self.table.update().where(self.table.c.id == app_id)
                      .values(state=self.serializer.serialize_json(wf)))
        return wf

    @staticmethod
    def _complete(wf, data: dict) -> None:
        from SpiffWorkflow.util.task import TaskState

        task = wf.get_next_task(state=TaskState.READY, manual=True)
        task.data.update(data)
        task.run()
        wf.do_engine_steps()


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


def _task_data(i: int, request: dict) -> list[dict]:
    """What each of the five tasks carries: who, on which day, and the step's own inputs."""
    on = "2025-03-03"
    return [{"unit": "D-TJ", "person": f"统计局-{i % 5}", "on": on, "request": request},
            {"unit": "D-BB", "person": "编办-王五", "on": on},
            {"unit": "370402", "person": "区政府-赵六", "on": on, "document": "d", "meeting": "m"},
            {"unit": "370402", "person": "区政府-赵六", "on": on, "effective": on},
            {"unit": "370402", "person": "区政府-赵六", "on": on, "reason": "基准测试"}]


def spiff_run(url: str, apps: int, resident: bool, request: dict) -> tuple[int, float]:
    """`apps` instances through the five tasks; resident keeps each in memory between its steps."""
    store = SpiffStore(url)
    t = time.perf_counter()
    for i in range(apps):
        first, *rest = _task_data(i, request)
        wf = store.start(f"SP-{i}", first)
        for data in rest:
            wf = store.step(f"SP-{i}", data, wf if resident else None)
        assert wf.is_completed()
    return apps * len(USER_TASKS), time.perf_counter() - t


def workflow(apps: int, rounds: int) -> dict:
    """Alternating rounds: the project on SQLite, SpiffWorkflow stateless, SpiffWorkflow resident."""
    import tempfile

    flow = bench_module("flow")
    from flowkit import admission_request, build_policy_dir

    best = {"project": 0.0, "stateless": 0.0, "resident": 0.0}
    with tempfile.TemporaryDirectory() as tmp:
        root = build_policy_dir(Path(tmp))
        for r in range(rounds):
            steps, secs = flow.run(f"sqlite:///{tmp}/project-{r}.db", apps, root)
            best["project"] = max(best["project"], steps / secs)
            for mode in ("stateless", "resident"):
                steps, secs = spiff_run(f"sqlite:///{tmp}/spiff-{mode}-{r}.db", apps, mode == "resident",
                                        admission_request())
                best[mode] = max(best[mode], steps / secs)
    return {"apps": apps, "project_steps_per_s": best["project"],
            "spiff_stateless_steps_per_s": best["stateless"], "spiff_resident_steps_per_s": best["resident"]}


PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def _pg_schema(base: str):
    """A fresh schema on the local PostgreSQL: (url that uses it, drop function)."""
    import uuid

    import sqlalchemy as sa

    schema = "peers_" + uuid.uuid4().hex[:8]
    eng = sa.create_engine(base)
    with eng.begin() as c:
        c.exec_driver_sql(f"CREATE SCHEMA {schema}")

    def drop() -> None:
        with eng.begin() as c:
            c.exec_driver_sql(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        eng.dispose()

    return f"{base}?options=-csearch_path%3D{schema}", drop


PG_ON = dt.date(2025, 3, 3)


def _drive(wf, c: int, apps: int) -> tuple[list[float], list[str]]:
    """Client `c`: `apps` applications through bench/flow.py's six steps; each step's latency."""
    from flowkit import COUNTY, D_BB, D_TJ, TOWN, admission_request

    on, mine, failures = PG_ON, [], []
    try:
        for _ in range(apps):
            t = time.perf_counter()
            app = wf.apply(flow_id="admission", unit=D_TJ, person=f"统计局-{c}", request=admission_request(), on=on)
            mine.append(time.perf_counter() - t)
            for kw in ({"opinion": True}, {"action": "review", "unit": D_BB, "person": "编办-王五"},
                       {"action": "approve", "unit": COUNTY, "person": "区政府-赵六", "document": "d", "meeting": "m"},
                       {"action": "enter", "unit": COUNTY, "person": "区政府-赵六", "effective": on},
                       {"action": "exit", "unit": COUNTY, "person": "区政府-赵六", "reason": "基准测试"}):
                t = time.perf_counter()
                if kw.pop("opinion", False):
                    wf.give_opinion(app_id=app.id, unit=TOWN, person="永安镇-李四", stance="agree", text=None, on=on)
                else:
                    wf.step(app_id=app.id, on=on, **kw)
                mine.append(time.perf_counter() - t)
    except Exception as exc:  # counted and printed: a bench run must not hide one
        failures.append(f"{type(exc).__name__}: {exc}")
    return mine, failures


def _process_client(root: str, url: str, c: int, apps: int, barrier, results, done) -> None:
    """One client process: its own runtime and pool, started together with the others; it keeps
    its connections until the parent has read the server's CPU time (`done`)."""
    from flowkit import load

    from admission.flow.runtime import open_runtime

    wf = open_runtime(load(Path(root)), url).workflow
    barrier.wait()
    t, cpu = time.perf_counter(), time.process_time()
    mine, failures = _drive(wf, c, apps)
    results.put((mine, failures, time.perf_counter() - t, time.process_time() - cpu))
    done.wait()
    wf.db.dispose()


def _server_cpu_s() -> float | None:
    """CPU seconds used so far by the local PostgreSQL's processes (None when /proc shows none)."""
    total, seen = 0, False
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        name, _, rest = text.partition("(")[2].partition(")")
        if name.startswith("postgres"):
            fields = rest.split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
            seen = True
    return total / os.sysconf("SC_CLK_TCK") if seen else None


def pg_clients(base: str, clients: int, apps: int, processes: bool = False) -> dict:
    """`clients` concurrent clients taking `apps` applications each through bench/flow.py's six
    steps: threads on one runtime (its engine's connection pool), or with `processes` one process
    each (as API workers are); every step's latency is kept."""
    import multiprocessing as mp
    import tempfile
    import threading

    from flowkit import build_policy_dir, load

    from admission.flow.runtime import open_runtime

    latencies: list[float] = []
    failures: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        url, drop = _pg_schema(base)
        try:
            root = build_policy_dir(Path(tmp))
            wf = open_runtime(load(root), url).workflow  # the schema, migrated once
            children_cpu = 0.0
            if processes:
                ctx = mp.get_context("spawn")
                barrier, done, results = ctx.Barrier(clients + 1), ctx.Barrier(clients + 1), ctx.Queue()
                procs = [ctx.Process(target=_process_client, args=(str(root), url, c, apps, barrier, results, done))
                         for c in range(clients)]
                for p in procs:
                    p.start()
                barrier.wait()
                server0, mine0, t = _server_cpu_s(), time.process_time(), time.perf_counter()
                for _ in procs:
                    mine, failed, _secs, cpu = results.get()
                    latencies.extend(mine)
                    failures.extend(failed)
                    children_cpu += cpu
                wall = time.perf_counter() - t
                server = _server_cpu_s()  # while the clients' server processes are still there
                done.wait()
                for p in procs:
                    p.join()
            else:
                def client(c: int) -> None:
                    mine, failed = _drive(wf, c, apps)
                    latencies.extend(mine)
                    failures.extend(failed)

                threads = [threading.Thread(target=client, args=(c,)) for c in range(clients)]
                server0, mine0, t = _server_cpu_s(), time.process_time(), time.perf_counter()
                for th in threads:
                    th.start()
                for th in threads:
                    th.join()
                wall = time.perf_counter() - t
                server = _server_cpu_s()
            client_cpu = time.process_time() - mine0 + children_cpu
            server_cpu = server - server0 if server is not None and server0 is not None else None
            problems = wf.verify_chain()
            wf.db.dispose()
        finally:
            drop()
    latencies.sort()
    n = len(latencies)
    per_step = (client_cpu + (server_cpu or 0.0)) / n if n else None
    return {"clients": clients, "processes": processes, "apps_per_client": apps, "steps": n,
            "failures": failures[:3], "chain_problems": problems[:3],
            "client_cpu_ms_per_step": client_cpu / n * 1000 if n else None,
            "server_cpu_ms_per_step": server_cpu / n * 1000 if n and server_cpu is not None else None,
            "cpu_bound_steps_per_s": os.cpu_count() / per_step if per_step else None,
            "steps_per_s": n / wall if wall else 0.0,
            "p50_ms": latencies[n // 2] * 1000 if n else None, "p99_ms": latencies[min(n - 1, n * 99 // 100)] * 1000 if n else None}


def print_pg(r: dict) -> None:
    how = "client processes, a pool each" if r["processes"] else "concurrent clients (threads) on one pool"
    print(f"\nworkflow, PostgreSQL, {r['clients']} {how}, {r['apps_per_client']} applications each: "
          f"{r['steps_per_s']:,.0f} steps/s, step latency p50 {r['p50_ms']:.1f} ms, p99 {r['p99_ms']:.1f} ms; "
          f"audit chain {'intact' if not r['chain_problems'] else 'BROKEN ' + str(r['chain_problems'])}"
          + (f"; FAILURES {r['failures']}" if r["failures"] else ""))
    if r["server_cpu_ms_per_step"] is not None:
        print(f"  CPU per step: clients {r['client_cpu_ms_per_step']:.2f} ms, PostgreSQL "
              f"{r['server_cpu_ms_per_step']:.2f} ms; {os.cpu_count()} CPUs bound this machine at "
              f"{r['cpu_bound_steps_per_s']:,.0f} steps/s")


def print_workflow(r: dict) -> None:
    p = r["project_steps_per_s"]
    print(f"\nworkflow, SQLite, {r['apps']} applications a round (project: apply, opinion, review, approve, "
          "enter, exit = 6 steps; SpiffWorkflow: the 5 user tasks, serialized after each)")
    print(f"  {'project (durable-rules)':<28} {p:>9,.0f} steps/s")
    for mode in ("stateless", "resident"):
        v = r[f"spiff_{mode}_steps_per_s"]
        print(f"  {'SpiffWorkflow ' + mode:<28} {v:>9,.0f} steps/s  project/peer {p / v:.2f}x")


def load_line() -> str:
    return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())


def parse_args(argv=None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--townships", default="50,300,1000", help="comma-separated tree sizes")
    ap.add_argument("--questions", type=int, default=100_000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--apps", type=int, default=300, help="applications per workflow round")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--pg", default=PG_URL, help="PostgreSQL for the concurrent-clients run ('' skips it)")
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--pg-apps", type=int, default=40, help="applications per PostgreSQL client")
    ap.add_argument("--quick", action="store_true", help="50 townships, fewer questions and applications")
    ap.add_argument("--json", type=Path, help="write the figures here")
    args = ap.parse_args(argv)
    if args.quick:
        args.townships, args.questions, args.rounds, args.apps, args.pg_apps = "50", 20_000, 2, 60, 8
    return args


def main(argv=None) -> None:
    args = parse_args(argv)
    print(load_line())
    print("Cedar translation leaves out:\n" + "\n".join(f"  - {x}" for x in CEDAR_LIMITS))
    print("question mix: bench/decide.py's realistic mix, kind task, role execute, no basis, on "
          f"{CHECK_DATE}")
    figures: dict = {"load_before": os.getloadavg(), "decisions": []}
    for n in (int(x) for x in args.townships.split(",")):
        r = decisions(n, args.questions, args.rounds, args.seed)
        print_decisions(r)
        figures["decisions"].append(r)
    figures["workflow"] = workflow(args.apps, args.rounds)
    print_workflow(figures["workflow"])
    if args.pg:
        figures["postgresql"] = pg_clients(args.pg, args.clients, args.pg_apps)
        print_pg(figures["postgresql"])
        figures["postgresql_processes"] = pg_clients(args.pg, args.clients, args.pg_apps, processes=True)
        print_pg(figures["postgresql_processes"])
    figures["load_after"] = os.getloadavg()
    print(load_line())
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2, ensure_ascii=False), encoding="utf-8")
    if any(r["disagreements"] for r in figures["decisions"]):
        sys.exit(1)


if __name__ == "__main__":
    main()
