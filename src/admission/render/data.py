"""What the views draw, read once from a policy and its index for one date: every list entry,
delegation and admission of a township as an `Item`, in a deterministic order."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from ..compile.expand import township_entries
from ..compile.index import Index
from ..language import Policy
from ..language.enums import UnitKind

#: the kinds of a township's items, in drawing order
KIND_ORDER = ("basic", "cooperative", "returned", "statutory", "delegated", "admitted", "ended")

KIND_LABELS = {
    "basic": "基本履职事项",
    "cooperative": "配合履职事项",
    "returned": "上级部门收回事项",
    "statutory": "法定职权",
    "delegated": "赋权（下放）事项",
    "admitted": "准入事项",
    "ended": "已收回赋权、已退出准入",
}
KIND_SHORT = {"basic": "基本", "cooperative": "配合", "returned": "收回", "statutory": "法定",
              "delegated": "赋权", "admitted": "准入", "ended": "已结束"}
#: who the `parties` of an item are
PARTY_LABELS = {"cooperative": "牵头部门", "returned": "承接部门", "delegated": "原实施主体",
                "admitted": "申请部门", "ended": "部门"}


@dataclass(frozen=True)
class Item:
    """One thing a township carries (or carried): a list entry, a delegation, an admission."""

    kind: str
    matter: str
    parties: tuple[str, ...] = ()  # lead / taker / delegating department / applicant
    mode: str | None = None  # delegated: grant|entrust; admitted: short|long
    seq: int | None = None
    scope: str | None = None
    ref: str | None = None  # "delegation:<id>" or "admission:<id>"
    since: dt.date | None = None
    until: dt.date | None = None
    note: str = ""
    record: object = None

    def sort_key(self) -> tuple:
        return (self.seq is None, self.seq or 0, self.matter, self.scope or "", self.ref or "")


def _admissions(policy: Policy, index: Index | None):
    recs = dict(policy.admissions)
    if index is not None:
        recs.update(index.workflow_admissions)
    return [recs[k] for k in sorted(recs)]


def mode_label(mode: str) -> str:
    return {"grant": "赋权", "entrust": "委托", "short": "短期准入", "long": "长期准入"}.get(mode, mode)


def township_items(policy: Policy, index: Index | None, tid: str, on: dt.date) -> dict[str, list[Item]]:
    """The township's items on `on`, by kind (see KIND_ORDER), each list sorted."""
    out: dict[str, list[Item]] = {k: [] for k in KIND_ORDER}
    lists = township_entries(policy, tid)
    for e in lists.basic:
        if e.in_force(on):
            out["basic"].append(Item("basic", e.matter, seq=e.seq, scope=e.scope, since=e.since, until=e.until,
                                     note=e.note or "", record=e))
    for e in lists.cooperative:
        if e.in_force(on):
            duties = "；".join(x for x in (f"部门职责：{e.lead_duties}" if e.lead_duties else "",
                                           f"乡镇配合职责：{e.township_duties}" if e.township_duties else "") if x)
            out["cooperative"].append(Item("cooperative", e.matter, tuple(e.lead), seq=e.seq, scope=e.scope,
                                           since=e.since, until=e.until, note=duties, record=e))
    for e in lists.returned:
        if e.in_force(on):
            out["returned"].append(Item("returned", e.matter, tuple(e.taken_by), seq=e.seq, scope=e.scope,
                                        since=e.since, until=e.until,
                                        note=f"工作方式：{e.method}" if e.method else "", record=e))
    for pl in policy.power_lists:
        if pl.holder != tid or not pl.in_force(on):
            continue
        for item in pl.items:
            if item.held and item.in_force(on):
                out["statutory"].append(Item("statutory", item.matter, since=item.since, until=item.until, record=item))
    for did in sorted(policy.delegations):
        dl = policy.delegations[did]
        if tid not in dl.townships:
            continue
        if dl.active(on):
            kind, note = "delegated", f"{mode_label(dl.mode.value)}" + (f"；范围：{dl.scope}" if dl.scope else "")
        elif (dl.revoked is not None and dl.revoked.date <= on) or (dl.until is not None and dl.until < on):
            kind = "ended"
            note = (f"赋权已于 {dl.revoked.date} 收回：{dl.revoked.reason}" if dl.revoked is not None and dl.revoked.date <= on
                    else f"赋权已于 {dl.until} 期满")
        else:
            continue
        out[kind].append(Item(kind, dl.matter, (dl.department,), dl.mode.value, scope=dl.scope, ref=f"delegation:{did}",
                              since=dl.since, until=dl.until, note=note, record=dl))
    for rec in _admissions(policy, index):
        if tid not in rec.targets:
            continue
        if rec.active(on):
            kind = "admitted"
            note = mode_label(rec.term.value) + (f" {rec.since} 至 {rec.until}" if rec.until else f" 自 {rec.since}")
        elif rec.since is not None and rec.since <= on:
            kind = "ended"
            note = (f"准入已于 {rec.exit.date} 退出：{rec.exit.reason}" if rec.exit is not None
                    else f"准入已于 {rec.until} 期满")
        else:
            continue
        out[kind].append(Item(kind, rec.matter, (rec.applicant,), rec.term.value, ref=f"admission:{rec.id}",
                              since=rec.since, until=rec.until, note=note, record=rec))
    for k in out:
        out[k].sort(key=Item.sort_key)
    return out


def townships_of(policy: Policy, index: Index, county: str, on: dt.date | None = None) -> list[str]:
    """Townships (and streets) of a county government, sorted by id; active on `on` when given."""
    d = on.toordinal() if on else None
    return sorted(uid for uid, info in index.units.items()
                  if info.kind == UnitKind.township and info.county == county and (d is None or info.active(d)))


def counties_of(policy: Policy, index: Index) -> list[str]:
    """County governments that have townships, sorted by id."""
    return sorted({info.county for info in index.units.values()
                   if info.kind == UnitKind.township and info.county is not None})


def unit_name(policy: Policy, uid: str) -> str:
    u = policy.units.get(uid)
    return u.name if u else uid


def matter_name(policy: Policy, mid: str) -> str:
    m = policy.matters.get(mid)
    return m.name if m else mid


def matter_domain(policy: Policy, mid: str) -> str:
    m = policy.matters.get(mid)
    return m.domain if m else "（未登记）"


def by_domain(policy: Policy, items: list[Item]) -> list[tuple[str, list[Item]]]:
    """Items grouped by their matter's domain: largest group first, then by name."""
    groups: dict[str, list[Item]] = {}
    for it in items:
        groups.setdefault(matter_domain(policy, it.matter), []).append(it)
    return sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0]))
