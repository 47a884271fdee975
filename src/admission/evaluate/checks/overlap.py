"""Overlap (职责交叉、多头管理): one matter with two owners in one place on one day.

Fires, per township and matter (scopes overlap when either is empty or they are equal):

    basic: [M1]
    cooperative: [{matter: M1, lead: D1}]      # overlap-basic-cooperative

Does not fire when the scopes split the matter:

    basic: [{matter: M1, scope: 日常巡查}]
    cooperative: [{matter: M1, scope: 专业检查, lead: D1}]
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from itertools import combinations

from ...diagnostics import Severity
from ...compile.expand import township_entries, village_entries
from .registry import Context, Family, Rule, finding

E = Severity.error
INTRO = ("Overlap (per township, matter and overlapping scope; two scopes overlap when either is empty or "
         "they are equal):")
FAMILY = Family("overlap", INTRO, "township/matter")
BASIC_COOP = FAMILY.rule(
    "overlap-basic-cooperative", E, "同一事项既是基本履职事项又是配合履职事项",
    "matter is both a basic and a cooperative duty", "只保留一个清单中的条目，或用 scope 写明各自的环节",
    "a basic entry and a cooperative entry of one matter.")
BASIC_RET = FAMILY.rule(
    "overlap-basic-returned", E, "同一事项既是基本履职事项又是收回事项",
    "matter is both a basic duty and a returned item", "从基本履职事项中删去，或从收回事项中删去",
    "a basic entry and a returned entry of one matter.")
COOP_RET = FAMILY.rule(
    "overlap-cooperative-returned", E, "同一事项既是配合履职事项又是收回事项",
    "matter is both a cooperative duty and a returned item", "收回事项由承接部门履行，不应再要求乡镇配合",
    "a cooperative entry and a returned entry of one matter.")
RET_TWO = FAMILY.rule(
    "overlap-returned-two-departments", E, "同一收回事项有两个承接部门",
    "returned item taken back by two departments", "明确唯一的承接部门",
    "the returned entries of one matter name two or more distinct `taken_by` departments in total.")
TWO_LEADS = FAMILY.rule(
    "overlap-two-leads", E, "同一配合事项有两个牵头部门（推诿扯皮）",
    "cooperative duty with two lead departments", "明确唯一的牵头部门",
    "the cooperative entries of one matter name two or more distinct leads.")
GRANT_RET = FAMILY.rule(
    "overlap-grant-returned", E, "赋权事项同时在收回事项清单上",
    "granted power is also a returned item", "撤销赋权，或把该事项移出收回事项清单",
    "an active `grant` delegation of a matter that is also on the township's returned list (a "
    "delegation's `scope` is the free text 赋权范围 and does not split the matter).")
GRANT_COOP = FAMILY.rule(
    "overlap-grant-cooperative", E, "赋权事项同时是配合履职事项",
    "granted power is also a cooperative duty", "赋权后由乡镇以自己名义行使，不再作为配合事项",
    "an active `grant` delegation of a matter that is also on the township's cooperative list (the "
    "delegation's `scope` does not split the matter either).")
GRANT_EXERCISED = FAMILY.rule(
    "overlap-grant-exercised", E, "赋权后部门仍在该乡镇行使（多头执法）",
    "power granted to a township is still exercised there by a department",
    "部门在权责清单中去掉 retained_in，或收回赋权",
    "an active `grant` delegation while the department's power list item in force on `on` keeps the "
    "matter `retained_in` that township, or two active `grant` delegations of the matter to the "
    "township from different departments (多头执法).")
NEG_ASSIST = FAMILY.rule(
    "overlap-negative-assisting", E, "同一事项既在负面清单又在协助政府工作事项清单",
    "matter on both the negative list and the assisting list of a village",
    "负面清单事项不得交由村(社区)承担：从协助事项中删去",
    "a village has the matter on its negative and assisting lists.", subject="village/matter")


def scopes_overlap(a, b) -> bool:
    return a.scope is None or b.scope is None or a.scope == b.scope


def _group(entries, d: int) -> dict[str, list]:
    out: dict[str, list] = defaultdict(list)
    for e in entries:
        if _in_force(e, d):
            out[e.matter].append(e)
    return out


def _in_force(e, d: int) -> bool:
    return (e.since is None or e.since.toordinal() <= d) and (e.until is None or d <= e.until.toordinal())


@FAMILY.checker
def check(ctx: Context) -> Iterator:
    grants = active_grants(ctx)
    for tid in ctx.policy.township_lists.keys() | grants.keys():
        yield from _township(ctx, tid, grants.get(tid, {}))
    for vid in ctx.policy.village_lists:
        lists = village_entries(ctx.policy, vid)
        neg = _group(lists.negative, ctx.day)
        for matter, assists in _group(lists.assisting, ctx.day).items():
            for n in neg.get(matter, ()):
                for a in assists:
                    if scopes_overlap(n, a):
                        yield finding(NEG_ASSIST, f"{vid}/{matter}",
                                      f"{ctx.name(vid)}：“{ctx.matter_name(matter)}”同时在负面清单和协助政府工作事项清单上",
                                      (a.span, n.span), (f"unit:{vid}", f"matter:{matter}"))


def _pairs(rule: Rule, ctx: Context, tid: str, matter: str, xs, ys, text: str):
    for x in xs:
        for y in ys:
            if scopes_overlap(x, y):
                yield finding(rule, f"{tid}/{matter}", f"{ctx.name(tid)}：“{ctx.matter_name(matter)}”{text}",
                              (x.span, y.span), (f"unit:{tid}", f"matter:{matter}"))


def _distinct(rule: Rule, ctx: Context, tid: str, matter: str, entries, attr: str, text: str):
    for e in entries:
        if len(set(getattr(e, attr))) >= 2:
            names = "、".join(ctx.name(x) for x in getattr(e, attr))
            yield finding(rule, f"{tid}/{matter}", f"{ctx.name(tid)}：“{ctx.matter_name(matter)}”{text}：{names}",
                          (e.span,), (f"unit:{tid}", f"matter:{matter}", *(f"unit:{x}" for x in getattr(e, attr))))
    for a, b in combinations(entries, 2):
        sa, sb = set(getattr(a, attr)), set(getattr(b, attr))
        if sa and sb and sa != sb and scopes_overlap(a, b):
            names = "、".join(ctx.name(x) for x in sorted(sa | sb))
            yield finding(rule, f"{tid}/{matter}", f"{ctx.name(tid)}：“{ctx.matter_name(matter)}”{text}：{names}",
                          (a.span, b.span), (f"unit:{tid}", f"matter:{matter}"))


def active_grants(ctx: Context) -> dict[str, dict[str, list]]:
    """township -> matter -> grant delegations active on the check date."""
    out: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(list))
    for dl in ctx.policy.delegations.values():
        if dl.mode.value == "grant" and dl.active(ctx.on):
            for t in dl.townships:
                out[t][dl.matter].append(dl)
    return out


def _township(ctx: Context, tid: str, grants: dict[str, list]):
    lists = township_entries(ctx.policy, tid)
    d = ctx.day
    basic, coop, ret = _group(lists.basic, d), _group(lists.cooperative, d), _group(lists.returned, d)
    for matter in sorted(set(basic) | set(coop) | set(ret)):
        b, c, r = basic.get(matter, ()), coop.get(matter, ()), ret.get(matter, ())
        yield from _pairs(BASIC_COOP, ctx, tid, matter, b, c, "既是基本履职事项又是配合履职事项")
        yield from _pairs(BASIC_RET, ctx, tid, matter, b, r, "既是基本履职事项又是上级部门收回事项")
        yield from _pairs(COOP_RET, ctx, tid, matter, c, r, "既是配合履职事项又是上级部门收回事项")
        yield from _distinct(RET_TWO, ctx, tid, matter, r, "taken_by", "有多个承接部门")
        yield from _distinct(TWO_LEADS, ctx, tid, matter, c, "lead", "有多个牵头部门")
    yield from _grants(ctx, tid, grants, coop, ret)


def _grants(ctx: Context, tid: str, by_matter: dict[str, list], coop, ret):
    for matter, grants in sorted(by_matter.items()):
        subject = f"{tid}/{matter}"
        els = (f"unit:{tid}", f"matter:{matter}")
        mname = ctx.matter_name(matter)
        for r in ret.get(matter, ()):
            yield finding(GRANT_RET, subject, f"{ctx.name(tid)}：“{mname}”已赋权给乡镇，又在上级部门收回事项清单上",
                          (grants[0].span, r.span), els)
        for c in coop.get(matter, ()):
            yield finding(GRANT_COOP, subject, f"{ctx.name(tid)}：“{mname}”已赋权给乡镇，又是配合履职事项",
                          (grants[0].span, c.span), els)
        depts = {g.department for g in grants}
        if len(depts) >= 2:
            yield finding(GRANT_EXERCISED, subject,
                          f"{ctx.name(tid)}：“{mname}”由多个部门赋权（{'、'.join(ctx.name(x) for x in sorted(depts))}），多头执法",
                          [g.span for g in grants], els)
        for g in grants:
            dept = ctx.units[g.department].attributed if g.department in ctx.units else g.department
            for t, since, until, item_span in ctx.index.retained.get((dept, matter), ()):
                if t == tid and since <= ctx.day <= until:
                    yield finding(GRANT_EXERCISED, subject,
                                  f"{ctx.name(tid)}：“{mname}”已赋权给乡镇，{ctx.name(g.department)} 仍在该乡镇行使，多头执法",
                                  (g.span, item_span), (*els, f"unit:{g.department}"))
