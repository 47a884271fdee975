"""Independent consistency check of the example tree, written from the issue's wording rather than
from admission.evaluate.checks, plus the example's own promises (national proportions of 永安镇's list).

    .venv/bin/python tools/example/verify.py [policies] [--on 2026-11-23]

Prints the counts, lists every inconsistency found and exits 1 if there is any.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections import Counter, defaultdict
from pathlib import Path

from admission.compile.expand import township_entries, village_entries
from admission.loader import LoadOptions, validate_tree

YONGAN = "370402101"


def add_months(d: dt.date, n: int) -> dt.date:
    y, m = divmod(d.month - 1 + n, 12)
    for day in (d.day, 30, 29, 28):
        try:
            return dt.date(d.year + y, m + 1, min(d.day, day))
        except ValueError:
            pass
    raise AssertionError


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("root", nargs="?", default="policies", type=Path)
    ap.add_argument("--on", default="2026-11-23")
    args = ap.parse_args(argv)
    on = dt.date.fromisoformat(args.on)
    res = validate_tree(args.root, LoadOptions(workers=1))
    if not res.ok:
        for d in res.diagnostics:
            print(d.format())
        return 1
    p = res.policy
    units, matters = p.units, p.matters
    problems: list[str] = []

    def county_of(uid: str | None) -> str | None:
        while uid:
            u = units[uid]
            if u.kind.value == "government" and u.level and u.level.value == "county":
                return uid
            uid = u.parent
        return None

    def dept_of(uid: str) -> str:
        while units[uid].kind.value in ("dispatched", "task_force"):
            uid = units[uid].parent
        return uid

    # who holds what, on `on` (and on every date we look at: power lists are open-ended here)
    holds: dict[str, set[str]] = defaultdict(set)
    for pl in p.power_lists:
        if pl.in_force(on):
            for it in pl.items:
                if it.in_force(on) and it.centralised_to is None:
                    holds[pl.holder].add(it.matter)

    def held(dept: str, matter: str) -> bool:
        return matter in holds.get(dept_of(dept), set())

    # one holder per matter per county (no two primary owners), city matters held by the city only
    per_county: dict[tuple, list] = defaultdict(list)
    for holder, ms in holds.items():
        if units[holder].kind.value != "department":
            continue
        for m in ms:
            per_county[(county_of(holder) or "city", m)].append(holder)
    for (c, m), hs in per_county.items():
        if len(hs) > 1:
            problems.append(f"{c}: {m} held by {len(hs)} departments")

    counties = sorted(u.id for u in units.values() if u.kind.value == "government" and u.level.value == "county")
    depts_by_county = {c: [u.id for u in units.values() if u.kind.value == "department" and u.parent == c]
                       for c in counties}
    centralised = {it.matter for pl in p.power_lists for it in pl.items if it.centralised_to}
    for c in counties:
        held_here = set().union(*(holds.get(d, set()) for d in depts_by_county[c]))
        for mid, m in matters.items():
            lv = {x.value for x in m.levels}
            if "county" in lv and mid not in held_here and mid not in centralised:
                problems.append(f"{c}: county-level matter {mid} held by no department")
        for d in depts_by_county[c]:
            if not holds.get(d):
                problems.append(f"{c}: department {units[d].name} has no power list")

    townships = [u for u in units.values() if u.kind.value == "township"]
    grants = defaultdict(set)
    for dl in p.delegations.values():
        if dl.active(on):
            for t in dl.townships:
                grants[t].add(dl.matter)

    for t in townships:
        lists = township_entries(p, t.id)
        c = county_of(t.id)
        kinds = {"basic": lists.basic, "cooperative": lists.cooperative, "returned": lists.returned}
        where: dict[str, list[str]] = defaultdict(list)
        for k, es in kinds.items():
            for e in es:
                where[e.matter].append(k)
        for mid, ks in where.items():
            if len(ks) > 1:
                problems.append(f"{t.name}: {mid} appears in {ks}")
            if mid in grants[t.id]:
                problems.append(f"{t.name}: delegated {mid} also on {ks}")
            if "township" not in {x.value for x in matters[mid].levels}:
                problems.append(f"{t.name}: {mid} on a township list but its levels exclude township")
        for e in lists.basic:
            if any(e.matter in holds.get(d, set()) for d in depts_by_county[c]):
                problems.append(f"{t.name}: basic {e.matter} is also held by a county department")
        for e in lists.cooperative:
            if len(e.lead) != 1 or county_of(dept_of(e.lead[0])) != c or not held(e.lead[0], e.matter):
                problems.append(f"{t.name}: cooperative {e.matter} lead {e.lead}")
        for e in lists.returned:
            if len(e.taken_by) != 1 or county_of(dept_of(e.taken_by[0])) != c or not held(e.taken_by[0], e.matter):
                problems.append(f"{t.name}: returned {e.matter} taken_by {e.taken_by}")
        held_here = set().union(*(holds.get(d, set()) for d in depts_by_county[c]))
        for mid, m in matters.items():
            if "township" in {x.value for x in m.levels} and mid not in where and mid not in held_here \
                    and mid not in grants[t.id]:
                problems.append(f"{t.name}: township-level {mid} owned by nobody")

    for dl in p.delegations.values():
        m = matters[dl.matter]
        basis = p.bases.get(dl.basis) if dl.basis else None
        when = dl.since or on
        if not held(dl.department, dl.matter):
            problems.append(f"{dl.id}: department does not hold {dl.matter}")
        if m.major_penalty or m.needs_specialist:
            problems.append(f"{dl.id}: major or specialist matter delegated")
        if any(units[t].kind.value != "township" for t in dl.townships):
            problems.append(f"{dl.id}: delegated to a non-township")
        if any(county_of(t) != county_of(dl.department) for t in dl.townships):
            problems.append(f"{dl.id}: other county")
        if dl.mode.value == "grant" and m.power_type.value == "penalty" and not (
                basis and basis.level.value == "province" and basis.kind.value == "decision" and basis.published
                and basis.in_force(when)):
            problems.append(f"{dl.id}: grant of a penalty without a published provincial decision")
        if dl.mode.value == "entrust" and not (basis and basis.kind.value == "entrustment" and basis.published):
            problems.append(f"{dl.id}: entrust without a published entrustment")
        if dl.active(on) and (dl.evaluation is None or dl.evaluation.last is None
                              or add_months(dl.evaluation.last, dl.evaluation.every_months) < on):
            problems.append(f"{dl.id}: evaluation overdue or missing")

    for vid in p.village_lists:
        v = village_entries(p, vid)
        c = county_of(vid)
        if {e.matter for e in v.negative} & {e.matter for e in v.assisting}:
            problems.append(f"{vid}: negative and assisting overlap")
        for e in v.assisting:
            if not e.supervisor or county_of(dept_of(e.supervisor)) != c or not held(e.supervisor, e.matter):
                problems.append(f"{vid}: assisting {e.matter} supervisor {e.supervisor}")

    for a in p.assignments.values():
        actor = dept_of(a.by)
        target = units[a.to]
        standing = False
        if target.kind.value == "township":
            lists = township_entries(p, a.to)
            standing |= any(e.matter == a.matter and actor in e.lead for e in lists.cooperative)
            standing |= any(e.matter == a.matter for e in lists.basic) and held(actor, a.matter)
            standing |= any(e.matter == a.matter for e in lists.returned) and False
        else:
            v = village_entries(p, a.to)
            standing |= any(e.matter == a.matter and e.supervisor == actor for e in v.assisting)
            basis = p.bases.get(a.basis) if a.basis else None
            if not (basis and basis.level.value in ("central", "province", "city", "county") and basis.in_force(a.date)):
                problems.append(f"{a.id}: assignment to a village without a county-level basis")
        standing |= any(r.matter == a.matter and r.applicant == actor and a.to in r.targets and r.active(a.date)
                        for r in p.admissions.values())
        if not standing:
            problems.append(f"{a.id}: no standing or not assignable on {a.date}")

    yl = township_entries(p, YONGAN)
    doms = Counter(matters[dl.matter].domain for dl in p.delegations.values()
                   if dl.mode.value == "grant" and dl.active(on) and YONGAN in dl.townships)
    print(f"units {len(units)} ({Counter(u.kind.value for u in units.values())})")
    print(f"departments per county: { {c: len(v) for c, v in depts_by_county.items()} }")
    print(f"matters {len(matters)}")
    print(f"永安镇: basic {len(yl.basic)}, cooperative {len(yl.cooperative)}, returned {len(yl.returned)}, "
          f"total {yl.count()}; party building {sum(1 for e in yl.basic if matters[e.matter].domain == '党的建设')}")
    print(f"永安镇 grants active {sum(doms.values())} in {len(doms)} domains: {dict(doms)}")
    print(f"delegations by mode: {Counter(d.mode.value for d in p.delegations.values())}, "
          f"revoked {sum(1 for d in p.delegations.values() if d.revoked)}")
    print(f"villages {len(p.village_lists)}; assisting per village "
          f"{ {len(village_entries(p, v).assisting) for v in p.village_lists} }")
    for msg in problems:
        print("PROBLEM", msg)
    print(f"{len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
