"""Published counts: the totals a township or village list states under `published` (per list
kind, optionally per domain) compared with its effective list (template − remove + own).

Fires:   published: {returned: {total: 3}}          # the effective returned list has 2 entries
Passes:  published: {returned: {total: 2, by_domain: {综合执法: 2}}}
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

from types import SimpleNamespace

from ...compile.expand import TOWNSHIP_KINDS, VILLAGE_KINDS, template_entries, township_entries, village_entries
from ...diagnostics import Severity
from .registry import Context, Family, finding

FAMILY = Family(
    "counts",
    "Published counts (per township or village list and list kind; the entries of the effective list "
    "— template minus `remove` plus own — in force on the count's `as_of`, or on `on` when it has none, "
    "counted by their matter's `domain`):",
    "list")
MISMATCH = FAMILY.rule(
    "published-count-mismatch", Severity.warning, "清单条目数与公布的数量不符",
    "list entries disagree with the published counts",
    "核对公布的数量（published）与清单条目：补上或删去条目，或更正公布的总数和分领域数量",
    "the `total` under `published.<kind>` differs from the number of entries of that kind, or a "
    "domain of `by_domain` from the number of those entries whose matter has that `domain`; "
    "domains not listed are not compared.")

#: the list kinds as a county office names them
LABELS = {"basic": "基本履职事项", "cooperative": "配合履职事项", "returned": "上级部门收回事项",
          "duties": "依法履职事项", "assisting": "协助政府工作事项", "negative": "负面清单",
          "may_certify": "可出具证明事项", "must_not_certify": "不应出具证明事项"}


def actual_counts(source, entries, on) -> tuple[int, Counter]:
    """The number of `entries` in force on `on`, and by their matter's domain."""
    matters = source.matters
    live = [e for e in entries if e.in_force(on)]
    by_domain = Counter(matters[e.matter].domain if e.matter in matters else "" for e in live)
    return len(live), by_domain


@FAMILY.checker
def check(ctx: Context) -> Iterator:
    for uid, own in sorted(ctx.policy.township_lists.items()):
        if own.published is not None:
            yield from _compare(ctx, uid, own, own.published, township_entries(ctx.policy, uid), TOWNSHIP_KINDS)
    for uid, own in sorted(ctx.policy.village_lists.items()):
        if own.published is not None:
            yield from _compare(ctx, uid, own, own.published, village_entries(ctx.policy, uid), VILLAGE_KINDS)
    for templates, kinds, owner in ((ctx.policy.township_templates, TOWNSHIP_KINDS, "county"),
                                    (ctx.policy.village_templates, VILLAGE_KINDS, "owner")):
        for tid, t in sorted(templates.items()):
            if t.published is not None:  # "<owner>/<template>/<kind>": the owner's shard reports it
                effective = SimpleNamespace(**template_entries(templates, tid, kinds))
                yield from _compare(ctx, f"{getattr(t, owner)}/{tid}", t, t.published, effective, kinds, t.name)


def _compare(ctx: Context, uid: str, own, published, effective, kinds, title: str | None = None) -> Iterator:
    """`uid`: the unit of a list, or "<owner>/<template>" of a template (`title` its name)."""
    unit = uid.split("/", 1)[0]
    for kind in kinds:
        stated = getattr(published, kind)
        if stated is None:
            continue
        on = stated.as_of or ctx.on
        total, by_domain = actual_counts(ctx, getattr(effective, kind), on)
        wrong = []
        if stated.total != total:
            wrong.append(f"总数公布 {stated.total} 项、实际 {total} 项")
        for domain, n in stated.by_domain.items():
            if by_domain.get(domain, 0) != n:
                wrong.append(f"{domain} 公布 {n} 项、实际 {by_domain.get(domain, 0)} 项")
        if wrong:
            where = f"（截至 {on.isoformat()}）"
            yield finding(MISMATCH, f"{uid}/{kind}",
                          f"{title or ctx.name(uid)}的{LABELS[kind]}清单与公布的数量不符{where}：" + "；".join(wrong),
                          (stated.span, published.span, own.span), (f"unit:{unit}",))
