"""The sharded check and the sharded decider, both reading a compiled bundle (`admission.scale.bundle`).

`check_bundle` runs `run_checks` shard by shard in a pool of worker processes: each worker holds
the common part and one shard at a time, so memory is bounded by the largest shard, not the
nation; findings stream back as shards finish.  A shard reports only findings about subjects
it owns (its units, the delegations of its departments, the assignments to its units), so the
union over shards is exactly the findings of `run_checks` on the whole policy.

Per-shard findings are cached by (shard hash, common hash, check date, code): with
`changed_since` only shards whose content differs from that revision are checked again.

`ShardedDecider` answers `decide` / `may_exercise` like `admission.evaluate.decide.Decider`, routing each
question to the target unit's shard (the bundle's unit directory) and building that shard's
index on first use; an LRU bounds how many indexes stay in memory.
"""

from __future__ import annotations

import datetime as dt
import gc
import hashlib
import os
import sys
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace

from .. import code_digest
from .bundle import COMMON, NOCOUNTY, Bundle, BundleStore, Owner, collector, open_bundle, source_for
from ..diagnostics import Diagnostic
from ..language.enums import LEVEL_RANK, Level

__all__ = ["CheckRun", "ShardResult", "check_bundle", "check_shard", "ShardedDecider", "owned", "check_code"]


# =========================================================================== ownership
def _rule_families() -> tuple[frozenset[str], ...]:
    from ..evaluate.checks import REGISTRY

    def ids(*families: str) -> frozenset[str]:
        return frozenset(r.id for name in families for r in REGISTRY.family(name).rules)

    return (ids("delegations", "lapses"), ids("pushdown"), ids("bases"),
            ids("exercises"))  # by delegation, assignment, citing record, exercise


_FAMILIES: list = []


def owned(finding: Diagnostic, owner: Owner, shard: str, units: dict | None = None) -> bool:
    """Whether `finding` belongs to this shard (docs/semantics.md, "Finding subjects").  A finding
    keyed by a unit is that unit's shard's; one keyed by a unit above the counties (a city's
    template, a city department's inspection plan: `units` tells the level), which no county
    shard owns, is the no-county shard's."""
    if not _FAMILIES:
        _FAMILIES.extend(_rule_families())
    by_delegation, by_assignment, by_citation, by_exercise = _FAMILIES
    subject = finding.subject
    if not subject:
        return shard == NOCOUNTY
    if finding.code in by_citation:  # "<basis>/<record>": the citing record's shard
        kind, _, rid = finding.elements[1].partition(":") if len(finding.elements) > 1 else ("", "", "")
        return rid in {"delegation": owner.delegations, "assignment": owner.assignments}.get(kind, owner.units)
    if finding.code in by_delegation:
        return subject in owner.delegations
    if finding.code in by_assignment:
        return subject in owner.assignments
    if finding.code in by_exercise:
        return subject in owner.exercises
    unit = subject.split("/", 1)[0]
    if unit not in owner.units and units is not None and unit in units:  # a city's or province's
        return shard == NOCOUNTY and LEVEL_RANK.get(getattr(units[unit], "level", None), 9) < LEVEL_RANK[Level.county]
    return unit in owner.units


_CODE: list[str] = []


def check_code() -> str:
    """A hash of the code findings depend on (a cached finding from other code is never served)."""
    if not _CODE:
        h = code_digest("diagnostics.py", "language", "compile", "evaluate", "scale")
        _CODE.append(h.hexdigest()[:16])
    return _CODE[0]


# =========================================================================== one shard
def check_shard(bundle: Bundle, key: str, on: dt.date) -> list[Diagnostic]:
    """The findings of one shard (owned subjects only), sorted like `run_checks`."""
    from ..evaluate.checks import run_checks
    from ..compile.index import build_index

    policy, owner = bundle.shard_policy(key)
    enabled = gc.isenabled()
    gc.disable()  # the records are acyclic; a collection per shard (below) is enough
    try:
        index = build_index(policy)
        findings = run_checks(policy, on, index, wanted=owner.units)
    finally:
        if enabled:
            gc.enable()
    out = [f for f in findings if owned(f, owner, key, policy.units)]
    del policy, index, findings
    return out


_WORKER: dict = {}


#: Manifests the parent has opened (and verified, when a key was given), by (spec, revision):
#: a forked worker builds its bundle from the same manifest instead of reading it again.
_OPENED: dict = {}


_WORKER_LOCK = threading.Lock()  # a Dask worker runs jobs in threads: one opens the bundle


def _worker_bundle(spec: str, revision: str) -> Bundle:
    with _WORKER_LOCK:
        return _open_worker_bundle(spec, revision)


def _open_worker_bundle(spec: str, revision: str) -> Bundle:
    b = _WORKER.get((spec, revision))
    if b is None:
        _WORKER.clear()
        manifest = _OPENED.get((spec, revision))
        b = Bundle(source_for(spec), manifest) if manifest is not None else open_bundle(spec, revision)
        b.common()
        gc.collect()
        gc.freeze()  # the common part lives as long as the worker: keep it out of collections
        _WORKER[(spec, revision)] = b
    return b


def _check_job(job: tuple) -> tuple[str, list[Diagnostic], float, int]:
    spec, revision, key, on = job
    t = time.perf_counter()
    bundle = _worker_bundle(spec, revision)
    findings = check_shard(bundle, key, on)
    gc.collect()
    return key, findings, time.perf_counter() - t, os.getpid()


# =========================================================================== the run
@dataclass
class ShardResult:
    key: str
    findings: list[Diagnostic]
    cached: bool
    seconds: float = 0.0


@dataclass
class CheckRun:
    """Summary of a sharded check (filled in while `check_bundle` runs)."""

    revision: str
    on: dt.date
    shards: int = 0
    checked: int = 0  # shards whose rules ran
    cached: int = 0  # shards served from the findings cache
    changed: list[str] = field(default_factory=list)  # shards differing from `changed_since`
    removed: list[str] = field(default_factory=list)  # shards of the old revision no longer present
    findings: int = 0
    seconds: float = 0.0


def _cache_key(shard_hash: str, common_hash: str, on: dt.date) -> str:
    return hashlib.sha256(f"{shard_hash}|{common_hash}|{on.isoformat()}|{check_code()}".encode()).hexdigest()


def check_bundle(bundle: Bundle, on: dt.date, workers: int | None = None, *,
                 changed_since: str | dict | None = None, cache: BundleStore | None = None,
                 progress: Callable[[int, int], None] | None = None, run: CheckRun | None = None,
                 executor: str | None = None) -> Iterator[ShardResult]:
    """Check every shard of `bundle` for `on`; yields each shard's findings as it finishes.
    The shards run in a local process pool of `workers`, or on the Dask cluster `executor`
    names (`dask://HOST:PORT`, `scale.cluster`), whose workers read the bundle from its spec.

    Without `changed_since` every shard is checked (and the cache is filled).  With it (an old
    revision of the same store, or its manifest) shards whose hash and common part are
    unchanged are served from the cache when it holds them; the others are checked again."""
    t0 = time.perf_counter()
    run = run if run is not None else CheckRun(bundle.revision, on)
    shards = bundle.shards
    common_hash = bundle.manifest["common"]["hash"]
    run.shards = len(shards)
    todo: list[str] = []
    ready: list[tuple[str, list]] = []
    if changed_since is not None:
        old = changed_since if isinstance(changed_since, dict) else bundle.source.manifest(changed_since)
        old_shards = old["shards"]
        same_common = old["common"]["hash"] == common_hash
        run.changed = sorted(k for k, s in shards.items()
                             if not same_common or old_shards.get(k, {}).get("hash") != s["hash"])
        run.removed = sorted(set(old_shards) - set(shards))
        for key, s in shards.items():
            hit = cache.cache_get("checks", _cache_key(s["hash"], common_hash, on)) if cache else None
            if hit is None or not _findings_shape(hit):
                todo.append(key)
            else:
                ready.append((key, hit))
    else:
        todo = list(shards)
    done = 0
    total = len(shards)
    for key, findings in ready:
        run.cached += 1
        run.findings += len(findings)
        done += 1
        yield ShardResult(key, findings, True)
    if progress and ready:
        progress(done, total)
    todo.sort(key=lambda k: -shards[k]["bytes"])  # largest first keeps the pool busy to the end
    workers = max(1, workers or os.cpu_count() or 1)
    spec = bundle.spec()

    def finish(key: str, findings: list, seconds: float) -> ShardResult:
        nonlocal done
        if cache is not None:
            cache.cache_put("checks", _cache_key(shards[key]["hash"], common_hash, on), findings)
        run.checked += 1
        run.findings += len(findings)
        done += 1
        if progress:
            progress(done, total)
        return ShardResult(key, findings, False, seconds)

    if executor is not None:
        from .cluster import run_on_dask

        for key, findings, seconds, _pid in run_on_dask(executor, _check_job,
                                                        ((spec, bundle.revision, k, on) for k in todo)):
            yield finish(key, findings, seconds)
    elif workers == 1 or len(todo) <= 1:
        for key in todo:
            t = time.perf_counter()
            findings = check_shard(bundle, key, on)
            yield finish(key, findings, time.perf_counter() - t)
    else:
        import multiprocessing

        ctx = multiprocessing.get_context("fork")
        _OPENED[(spec, bundle.revision)] = bundle.manifest
        with ProcessPoolExecutor(max_workers=min(workers, len(todo)), mp_context=ctx) as pool:
            # a bounded number in flight: results stream out, the parent never queues the nation
            it = iter(todo)
            pending = set()
            for key in it:
                pending.add(pool.submit(_check_job, (spec, bundle.revision, key, on)))
                if len(pending) >= 4 * workers:
                    break
            while pending:
                finished, pending = wait(pending, return_when=FIRST_COMPLETED)
                for fut in finished:
                    key, findings, seconds, _pid = fut.result()
                    yield finish(key, findings, seconds)
                    nxt = next(it, None)
                    if nxt is not None:
                        pending.add(pool.submit(_check_job, (spec, bundle.revision, nxt, on)))
    run.seconds = time.perf_counter() - t0


def _findings_shape(value) -> bool:
    """A cached findings entry is a list of diagnostics (anything else is checked afresh)."""
    return type(value) is list and all(type(f) is Diagnostic for f in value)


def sorted_findings(results: Iterator[ShardResult] | list[ShardResult]) -> list[Diagnostic]:
    """All findings of a run in `run_checks` order."""
    out = [f for r in results for f in r.findings]
    out.sort(key=lambda f: (*f.sort_key(), f.subject or ""))
    return out


class Progress:
    """A one-line progress bar on stderr when it is a terminal (nothing otherwise)."""

    def __init__(self, label: str = "检查 check", stream=None, enabled: bool | None = None):
        self.stream = stream or sys.stderr
        self.enabled = self.stream.isatty() if enabled is None else enabled
        self.label = label
        self.t0 = time.perf_counter()
        self._last = 0.0
        self._lock = threading.Lock()

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled:
            return
        now = time.perf_counter()
        if done < total and now - self._last < 0.1:
            return
        self._last = now
        width = 30
        frac = done / total if total else 1.0
        bar = "█" * int(frac * width) + "·" * (width - int(frac * width))
        elapsed = now - self.t0
        eta = elapsed / frac - elapsed if frac > 0 else 0.0
        with self._lock:
            self.stream.write(f"\r{self.label} [{bar}] {done}/{total} 分片 shards  {elapsed:5.1f}s  剩余 eta {eta:5.1f}s ")
            if done >= total:
                self.stream.write("\n")
            self.stream.flush()


# =========================================================================== decisions
class ShardedDecider:
    """`decide` / `may_exercise` over a bundle, one shard index at a time.

    Start-up reads the manifest, the unit directory and the common part; a shard's index is
    built on its first question and kept in an LRU of `max_shards`.  Answers equal those of
    `Decider(build_index(policy))` on the whole policy (a test compares them)."""

    def __init__(self, bundle: Bundle | str | Path, max_shards: int = 64):
        self.bundle = bundle if isinstance(bundle, Bundle) else open_bundle(bundle)
        self.max_shards = max_shards
        self.directory = self.bundle.directory()
        common = self.bundle.common()
        self.matters = common["dicts"]["matters"]
        self._deciders: OrderedDict[str, object] = OrderedDict()
        self._lock = threading.RLock()
        self.workflow_admissions: dict[str, object] = {}
        self.admission_seq = 0
        self.loads = 0  # shard indexes built so far (cold questions)
        self._infos: dict[str, object] = {}  # units of shards not loaded, for cross-county actors

    @property
    def revision(self) -> str:
        return self.bundle.revision

    @property
    def index(self) -> SimpleNamespace:
        """What a caller reads of a decider's index without a shard at hand: the revision and
        the admission sequence."""
        return SimpleNamespace(revision=self.revision, admission_seq=self.admission_seq)

    # ------------------------------------------------------------------ shards
    def shard_of(self, unit: str) -> str:
        key = self.directory.get(unit, NOCOUNTY)
        return NOCOUNTY if key == COMMON else key

    def decider(self, key: str):
        """The `Decider` of one shard, built on first use."""
        from ..evaluate.decide import Decider
        from ..compile.index import build_index

        with self._lock:
            d = self._deciders.get(key)
            if d is not None:
                self._deciders.move_to_end(key)
                return d
            policy, _owner = self.bundle.shard_policy(key)
            with collector(False):
                index = build_index(policy)
            index.admission_seq = self.admission_seq
            for rec in self.workflow_admissions.values():
                if any(self.shard_of(t) == key for t in rec.targets):
                    index.apply_admission(rec)
            d = Decider(index)
            self._deciders[key] = d
            self.loads += 1
            while len(self._deciders) > self.max_shards:
                self._deciders.popitem(last=False)
            return d

    def loaded(self) -> list[str]:
        return list(self._deciders)

    def _with_unit(self, d, uid: str) -> None:
        """Make a unit of another shard (and its attributed department) known to `d`: the
        rules read only its own resolved facts (kind, level, county, dates, name)."""
        units = d.units
        if uid in units or uid not in self.directory:
            return
        info = self._foreign_info(uid)
        if info is None:
            return
        units[uid] = info
        att = info.attributed
        if att not in units:
            other = self._foreign_info(att)
            if other is not None:
                units[att] = other

    def _foreign_info(self, uid: str):
        """The resolved facts of a unit, from its own shard (its index if loaded; otherwise the
        shard's units alone are resolved, without building an index)."""
        info = self._infos.get(uid)
        if info is not None:
            return info
        key = self.shard_of(uid)
        d = self._deciders.get(key)
        if d is not None:
            return d.units.get(uid)
        from ..compile.index import resolve_units

        policy, _owner = self.bundle.shard_policy(key)
        infos = resolve_units(policy)
        if len(self._infos) > 200_000:
            self._infos.clear()
        self._infos.update(infos)
        return infos.get(uid)

    def unknown(self, actor, matter, target) -> list[str]:
        from ..evaluate.decide import unknown_ids

        return unknown_ids(actor, matter, target, self.directory, self.matters)

    def _error(self, actor, matter, target, on, missing):
        from ..evaluate.decide import Decision, Outcome, Reason

        return Decision(Outcome.error, actor, matter, target, on, (Reason(
            "unknown-id", "未知标识 unknown id: " + "、".join(missing)),), None, self.revision, self.admission_seq)

    # ------------------------------------------------------------------ questions
    def decide(self, actor: str, matter: str, target: str, on: dt.date, kind=None, role=None, basis=None):
        from ..language.enums import AssignmentKind, AssignmentRole

        missing = self.unknown(actor, matter, target)
        if missing:
            return self._error(actor, matter, target, on, missing)
        with self._lock:
            d = self.decider(self.shard_of(target))
            self._with_unit(d, actor)
        return d.decide(actor, matter, target, on, kind or AssignmentKind.task, role or AssignmentRole.execute, basis)

    def decide_many(self, questions):
        return [self.decide(*q) for q in questions]

    def may_exercise(self, unit: str, matter: str, on: dt.date):
        missing = self.unknown(unit, matter, None)
        if missing:
            from ..evaluate.decide import Decision, Outcome, Reason

            return Decision(Outcome.error, unit, matter, unit, on, (Reason(
                "unknown-id", "未知标识 unknown id: " + "、".join(missing)),), None, self.revision,
                self.admission_seq)
        return self.decider(self.shard_of(unit)).may_exercise(unit, matter, on)

    def may_exercise_many(self, questions):
        return [self.may_exercise(*q) for q in questions]

    # ------------------------------------------------------------------ workflow admissions
    def apply_admission(self, rec, seq: int | None = None) -> None:
        """An admission entered by the workflow: applied to its targets' loaded shards now and
        to the others when they load."""
        with self._lock:
            self.drop_admission(rec.id)
            self.workflow_admissions[rec.id] = rec
            if seq is not None:
                self.admission_seq = max(self.admission_seq, seq)
            keys = {self.shard_of(t) for t in rec.targets}
            for key, d in self._deciders.items():
                if key in keys:
                    d.index.apply_admission(rec)
                d.index.admission_seq = self.admission_seq

    def drop_admission(self, admission_id: str, seq: int | None = None) -> None:
        with self._lock:
            self.workflow_admissions.pop(admission_id, None)
            if seq is not None:
                self.admission_seq = max(self.admission_seq, seq)
            for d in self._deciders.values():
                d.index.drop_admission(admission_id)
                d.index.admission_seq = self.admission_seq
