"""`admission diff`: what a policy change does, in domain terms — findings added and removed,
and per unit the matters gained, lost or moved between lists on a date."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from ..evaluate.checks import run_checks
from ..diagnostics import Diagnostic
from ..compile.index import Index, build_index
from ..language import Policy
from ..language.enums import UnitKind

KIND_LABELS = {"basic": "基本", "cooperative": "配合", "returned": "收回", "delegation": "赋权", "admission": "准入",
               "duty": "依法履职", "assisting": "协助", "may_certify": "可出具证明", "negative": "负面清单",
               "must_not_certify": "不应出具证明"}
# list kinds under which a unit does the work (a move into one of these is a pushdown)
WORKING = frozenset({"basic", "cooperative", "delegation", "admission", "duty", "assisting"})
OWNERLESS = frozenset({"missing-owner", "missing-lead", "missing-taker", "taker-without-power", "lead-without-power"})


def unit_matters(index: Index, d: int) -> dict[str, dict[str, frozenset[str]]]:
    """unit -> matter -> the list kinds it sits on, on day `d`."""
    from ..compile.index import ENTRY_KIND_NAMES

    out: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for (unit, matter), entries in index.entries.items():
        for e in entries:
            if e.in_force(d):
                out[unit][matter].add(ENTRY_KIND_NAMES[e.kind])
    for (unit, matter), blocks in index.blocks.items():
        for b in blocks:
            if b.since <= d <= b.until:
                out[unit][matter].add(b.kind)
    return {u: {m: frozenset(k) for m, k in ms.items()} for u, ms in out.items()}


@dataclass
class UnitChange:
    unit: str
    name: str
    gained: list[tuple[str, frozenset[str]]] = field(default_factory=list)
    lost: list[tuple[str, frozenset[str]]] = field(default_factory=list)
    moved: list[tuple[str, frozenset[str], frozenset[str]]] = field(default_factory=list)
    # exercise records (what the unit actually did) recorded or withdrawn by the change: (id, matter, date)
    exercised: list[tuple[str, str, dt.date]] = field(default_factory=list)
    unexercised: list[tuple[str, str, dt.date]] = field(default_factory=list)

    def changed(self) -> bool:
        return bool(self.gained or self.lost or self.moved or self.exercised or self.unexercised)


@dataclass
class PolicyDiff:
    old_revision: str
    new_revision: str
    on: dt.date
    added: list[Diagnostic]
    removed: list[Diagnostic]
    units: list[UnitChange]

    @property
    def pushed_down(self) -> int:
        """Matters that now sit on a working list of a township or village and did not before."""
        n = 0
        for uc in self.units:
            n += sum(1 for _, kinds in uc.gained if kinds & WORKING)
            n += sum(1 for _, old, new in uc.moved if (new & WORKING) and not (old & WORKING))
        return n

    @property
    def lost_owner(self) -> int:
        return sum(1 for f in self.added if f.code in OWNERLESS)

    def summary(self) -> str:
        touched = sum(1 for u in self.units if u.changed())
        return (f"本次修订向基层下沉 {self.pushed_down} 项事项，{self.lost_owner} 项失去责任主体；"
                f"涉及 {touched} 个单位；新增问题 {len(self.added)} 个，消除 {len(self.removed)} 个"
                f" (this revision pushes {self.pushed_down} matters down; {self.lost_owner} lose their owner)")

    def to_dict(self) -> dict:
        def kinds(k):
            return sorted(k)
        return {
            "old_revision": self.old_revision, "new_revision": self.new_revision, "on": self.on.isoformat(),
            "pushed_down": self.pushed_down, "lost_owner": self.lost_owner, "summary": self.summary(),
            "findings_added": [f.to_dict() for f in self.added],
            "findings_removed": [f.to_dict() for f in self.removed],
            "units": [{"unit": u.unit, "name": u.name,
                       "gained": [{"matter": m, "lists": kinds(k)} for m, k in u.gained],
                       "lost": [{"matter": m, "lists": kinds(k)} for m, k in u.lost],
                       "moved": [{"matter": m, "from": kinds(a), "to": kinds(b)} for m, a, b in u.moved],
                       "exercises_added": [{"id": i, "matter": m, "date": day.isoformat()} for i, m, day in u.exercised],
                       "exercises_removed": [{"id": i, "matter": m, "date": day.isoformat()}
                                             for i, m, day in u.unexercised]}
                      for u in self.units if u.changed()],
        }


def _key(f: Diagnostic) -> tuple[str, str]:
    return f.code, f.subject or ""


def diff_policies(old: Policy, new: Policy, on: dt.date) -> PolicyDiff:
    old_index, new_index = build_index(old), build_index(new)
    old_f = {_key(f): f for f in run_checks(old, on, old_index)}
    new_f = {_key(f): f for f in run_checks(new, on, new_index)}
    d = on.toordinal()
    before, after = unit_matters(old_index, d), unit_matters(new_index, d)
    done_before, done_after = _exercises(old), _exercises(new)
    changes = []
    for uid in sorted(before.keys() | after.keys() | done_before.keys() | done_after.keys()):
        info = new_index.units.get(uid) or old_index.units.get(uid)
        if info is None or info.kind not in (UnitKind.township, UnitKind.village):
            continue
        a, b = before.get(uid, {}), after.get(uid, {})
        uc = UnitChange(uid, info.name)
        for m in sorted(a.keys() | b.keys()):
            if m not in a:
                uc.gained.append((m, b[m]))
            elif m not in b:
                uc.lost.append((m, a[m]))
            elif a[m] != b[m]:
                uc.moved.append((m, a[m], b[m]))
        was, now = done_before.get(uid, {}), done_after.get(uid, {})
        uc.exercised = [now[i] for i in sorted(now.keys() - was.keys())]
        uc.unexercised = [was[i] for i in sorted(was.keys() - now.keys())]
        changes.append(uc)
    return PolicyDiff(old.revision, new.revision, on,
                      added=[new_f[k] for k in sorted(new_f.keys() - old_f.keys())],
                      removed=[old_f[k] for k in sorted(old_f.keys() - new_f.keys())],
                      units=changes)


def _exercises(policy: Policy) -> dict[str, dict[str, tuple[str, str, dt.date]]]:
    """unit -> exercise id -> (id, matter, date): the records of what each unit did."""
    out: dict[str, dict] = defaultdict(dict)
    for x in policy.exercises.values():
        out[x.unit][x.id] = (x.id, x.matter, x.date)
    return out


def format_text(diff: PolicyDiff, matter_names: dict[str, str]) -> str:
    lines = [diff.summary()]
    for uc in diff.units:
        if not uc.changed():
            continue
        lines.append(f"{uc.name}（{uc.unit}）")
        for m, k in uc.gained:
            lines.append(f"  + {matter_names.get(m, m)}  [{'、'.join(KIND_LABELS[x] for x in sorted(k))}]")
        for m, k in uc.lost:
            lines.append(f"  - {matter_names.get(m, m)}  [{'、'.join(KIND_LABELS[x] for x in sorted(k))}]")
        for m, a, b in uc.moved:
            lines.append(f"  ~ {matter_names.get(m, m)}  "
                         f"[{'、'.join(KIND_LABELS[x] for x in sorted(a))}] → [{'、'.join(KIND_LABELS[x] for x in sorted(b))}]")
        for sign, rows in (("+", uc.exercised), ("-", uc.unexercised)):
            lines.extend(f"  {sign} 行使记录 exercise {i}：{matter_names.get(m, m)}（{day}）" for i, m, day in rows)
    if diff.added:
        lines.append("新增问题 findings added:")
        lines.extend("  " + f.format().replace("\n", "\n  ") for f in diff.added)
    if diff.removed:
        lines.append("消除问题 findings removed:")
        lines.extend(f"  [{f.code}] {f.subject} {f.message}" for f in diff.removed)
    return "\n".join(lines)
