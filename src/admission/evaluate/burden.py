"""The burden at a glance (issue 20): for one township or village, what the lists and the
registers put on it — items on its lists, work pushed down to it this year, inspections that
touch it, its seconded staff, its boards, the forms it fills (with the fields asked twice) — each
against its limit and beside the same count in the baseline year.  Every number is counted from
the policy's records; nothing is typed in.  `county_burden` ranks a county's townships.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from ..compile.expand import township_entries, village_entries
from ..compile.index import Index
from ..language.enums import UnitKind
from .checks.registers import duplicate_fields
from .decide import Decider, Outcome
from .registers import RegisterDecider


@dataclass(frozen=True)
class Row:
    key: str
    label: str  # Chinese, English beside it
    count: int
    limit: int | None  # the most the rules allow (None: no limit)
    baseline: int | None  # the same count in the baseline year (None: not recorded then)
    details: tuple[str, ...] = ()
    baseline_year: int | None = None  # when the register names its own baseline year (a plan's, a board register's)

    @property
    def over(self) -> bool:
        return self.limit is not None and self.count > self.limit

    @property
    def change(self) -> int | None:
        return None if self.baseline is None else self.count - self.baseline

    def to_dict(self) -> dict:
        return {"key": self.key, "label": self.label, "count": self.count, "limit": self.limit,
                "baseline": self.baseline, "baseline_year": self.baseline_year, "change": self.change, "over": self.over, "details": list(self.details)}


@dataclass(frozen=True)
class Burden:
    unit: str
    name: str
    kind: str
    on: dt.date
    baseline_year: int
    rows: tuple[Row, ...] = field(default_factory=tuple)

    @property
    def over(self) -> int:
        return sum(r.over for r in self.rows)

    @property
    def load(self) -> int:
        """What the ranking sorts by after the rows over their limit: the acts that land on the
        unit this year (pushed-down work, inspections, seconded staff, forms and their repeated fields)."""
        return sum(r.count for r in self.rows if r.key in ("assignments", "inspections", "seconded", "forms",
                                                           "duplicate_fields"))

    def to_dict(self) -> dict:
        return {"unit": self.unit, "name": self.name, "kind": self.kind, "on": self.on.isoformat(),
                "baseline_year": self.baseline_year, "over": self.over, "load": self.load,
                "rows": [r.to_dict() for r in self.rows]}


def _same_day(on: dt.date, year: int) -> dt.date:
    return on.replace(year=year) if not (on.month == 2 and on.day == 29) else dt.date(year, 2, 28)


def _list_items(index: Index, unit: str, on: dt.date) -> int:
    policy = index.policy
    kind = index.units[unit].kind
    if kind is UnitKind.township:
        e = township_entries(policy, unit)
        parts = (e.basic, e.cooperative)
    else:
        e = village_entries(policy, unit)
        parts = (e.duties, e.assisting)
    return len({x.matter for part in parts for x in part if x.in_force(on)})


def unit_burden(index: Index, unit: str, on: dt.date, baseline_year: int | None = None) -> Burden:
    """The burden view of one township or village (`KeyError` for an unknown unit)."""
    policy = index.policy
    info = index.units[unit]
    base_year = baseline_year or on.year - 1
    base_day = _same_day(on, base_year)
    rows = [Row("items", "清单事项 items on its lists", _list_items(index, unit, on), None,
                _list_items(index, unit, base_day))]

    decider = Decider(index)
    pushed = [a for a in policy.assignments.values() if a.to == unit and a.date.year == on.year]
    base_pushed = sum(1 for a in policy.assignments.values() if a.to == unit and a.date.year == base_year)
    denied = [a for a in pushed if decider.decide(a.by, a.matter, a.to, a.date, a.kind, a.role, a.basis).outcome
              is Outcome.deny]
    rows.append(Row("assignments", "本年下派 work pushed down this year", len(pushed), len(pushed) - len(denied),
                    base_pushed, tuple(f"清单外 unlisted: {a.id} {a.matter}" for a in denied)))

    regs = RegisterDecider(index)
    touching = [x for x in policy.inspections.values() if x.target == unit and x.date.year == on.year]
    outside = [x for x in touching if regs.may_inspect(x.department, x.item or x.name or x.id, unit, x.date,
                                                       x.kind).outcome is Outcome.deny]
    planned, planned_year = _inspection_baseline(policy, unit, on.year, base_year)
    rows.append(Row("inspections", "本年督查检查考核 inspections this year", len(touching), len(touching) - len(outside),
                    planned, tuple(f"计划外 outside the plan: {x.id}" for x in outside), planned_year))

    if info.kind is UnitKind.township:
        now = [s for s in policy.secondments.values() if s.township == unit and _away(s, on)]
        then = sum(s.count for s in policy.secondments.values() if s.township == unit and _away(s, base_day))
        rows.append(Row("seconded", "借调人员 staff seconded away", sum(s.count for s in now),
                        sum(s.count for s in now if s.admission is not None and s.in_force(on)), then,
                        tuple(f"{s.id}: {regs.name(s.organ)} {s.count} 人 至 {s.until}" for s in now)))

    register = policy.board_registers.get(unit)
    if register is not None:
        allowed = [b for b in register.boards if b.in_force(on)] if register.in_force(on) else []
        rows.append(Row("boards", "悬挂牌子 boards present", len(register.present), len(allowed),
                        register.baseline.count if register.baseline else None,
                        tuple(f"目录外 outside the register: {n}" for n in register.present if regs.board(unit, n, on) is None),
                        register.baseline.year if register.baseline else None))
    if info.kind is UnitKind.village:
        items = policy.evaluation_items.get(unit)
        if items is not None:
            rows.append(Row("evaluations", "考核评比项目 evaluation items", len(items.items), None, None))
        scope = policy.seal_scopes.get(unit)
        if scope is not None:
            uses = [u for u in policy.seal_uses.values() if u.community == unit and u.date.year == on.year]
            bad = [u for u in uses if regs.may_seal(unit, u.purpose, u.date).outcome is Outcome.deny]
            rows.append(Row("seal_uses", "本年用印 seal uses this year", len(uses), len(uses) - len(bad), None,
                            tuple(f"范围外 outside the scope: {u.id} {u.purpose}" for u in bad)))

    forms = [f for f in policy.forms.values() if unit in f.targets and f.in_force(on)]
    base_forms = sum(1 for f in policy.forms.values() if unit in f.targets and f.in_force(base_day))
    rows.append(Row("forms", "填报表格 forms it fills", len(forms), None, base_forms,
                    tuple(f"{f.id} {f.name}（{len(f.fields)} 个字段）" for f in sorted(forms, key=lambda f: f.id))))
    dups = [(pair, names) for pair, names, _ in duplicate_fields(forms, on)]
    rows.append(Row("duplicate_fields", "重复字段 fields asked twice", sum(len(n) for _, n in dups), 0, None,
                    tuple(f"{a.id}+{b.id}: {'、'.join(n)}" for (a, b), n in dups)))
    return Burden(unit, info.name, info.kind.value, on, base_year, tuple(rows))


def _inspection_baseline(policy, unit: str, year: int, base_year: int) -> tuple[int, int | None]:
    """The baseline of the inspections touching `unit`: what this year's plans that reach it say
    they replaced (their `baseline`), else the inspection records of the baseline year."""
    plans = [p for p in policy.inspection_plans.values() if p.year == year and p.baseline
             and any(not i.targets or unit in i.targets for i in (*p.items, *p.one_off))]
    if plans:
        return sum(p.baseline.count for p in plans), min(p.baseline.year for p in plans)
    return sum(1 for x in policy.inspections.values() if x.target == unit and x.date.year == base_year), None


def _away(s, day: dt.date) -> bool:
    """Staff of secondment `s` away from the township on `day` (past the term too, until returned)."""
    return s.since <= day and (s.returned is None or day < s.returned)


def county_burden(index: Index, county: str, on: dt.date, baseline_year: int | None = None) -> list[Burden]:
    """The townships of a county, ranked: most rows over their limit first, then the most load."""
    views = [unit_burden(index, uid, on, baseline_year) for uid, u in index.units.items()
             if u.kind is UnitKind.township and u.county == county and u.active(on.toordinal())]
    return sorted(views, key=lambda b: (-b.over, -b.load, b.unit))
