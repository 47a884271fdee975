"""Names written in a sheet → ids of the loaded policy.

Exact matching only, on `text.key` (NFKC, no whitespace): a unit's name and former names, and
for departments of the importing unit's county also the name without the county's own name in
front ("枣庄市市中区民政局" → "民政局", "区民政局") when that is unique in the county.  What does
not resolve is reported with the nearest candidates (difflib), never guessed."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..language import Policy
from ..language.enums import UnitKind
from ..language.names import name_table, near_keys
from .text import key

DEPT_KINDS = frozenset({UnitKind.department, UnitKind.dispatched})


@dataclass
class Found:
    ids: list[str] = field(default_factory=list)      # one id: resolved; several: ambiguous
    near: list[tuple[str, str]] = field(default_factory=list)  # (name, id) nearest candidates

    @property
    def ok(self) -> bool:
        return len(self.ids) == 1


def county_of(policy: Policy, unit_id: str) -> str | None:
    """The county government above a unit (itself if it is one)."""
    seen = set()
    u = policy.units.get(unit_id)
    while u is not None and u.id not in seen:
        seen.add(u.id)
        if u.kind == UnitKind.government and u.level is not None and u.level.value == "county":
            return u.id
        u = policy.units.get(u.parent) if u.parent else None
    return None


def near(text: str, table: dict[str, list[str]], names: dict[str, str], n: int = 3) -> list[tuple[str, str]]:
    """Nearest keys of `table` to `text`, as (display name, id)."""
    out = []
    for k in near_keys(text, table, n=n):
        for i in table[k][:1]:
            out.append((names.get(i, k), i))
    return out


class Resolver:
    def __init__(self, policy: Policy, unit: str, extra_departments: dict[str, str] | None = None,
                 extra_matters: dict[str, str] | None = None):
        self.policy = policy
        self.unit = unit
        self.county = county_of(policy, unit)
        self.names = {uid: u.name for uid, u in policy.units.items()}
        self._departments()
        self._townships()
        self._matters()
        self._bases()
        for name, uid in (extra_departments or {}).items():
            self.dept_table[key(name)] = [str(uid)]
        for name, mid in (extra_matters or {}).items():
            self.matter_table[key(name)] = [str(mid)]

    # ------------------------------------------------------------------ units
    def _departments(self) -> None:
        p = self.policy
        table: dict[str, list[str]] = {}
        local: dict[str, list[str]] = {}
        for uid, u in p.units.items():
            if u.kind not in DEPT_KINDS:
                continue
            for name in (u.name, *u.former_names):
                table.setdefault(key(name), []).append(uid)
            if self.county and county_of(p, uid) == self.county:
                local.setdefault(key(u.name), []).append(uid)
        # a name found both in the county and elsewhere means the county's department
        for k, ids in table.items():
            if len(ids) > 1 and k in local and len(local[k]) == 1:
                table[k] = local[k]
        if self.county:
            gov = key(p.units[self.county].name)
            prefixes = {gov}
            city = p.units.get(p.units[self.county].parent or "")
            if city is not None:
                prefixes.add(key(city.name))
            short = gov
            while True:  # 山东省枣庄市市中区 → 市中区
                cut = re.sub(r"^.{2,}?(?:省|自治区|市|州|盟)(?=.{2,}$)", "", short, count=1)
                if cut == short:
                    break
                short = cut
            short_names = {short} if short != gov else set()
            m = re.search(r"(县|区|市|旗)$", gov)
            aliases: dict[str, set[str]] = {}
            for k, ids in local.items():
                for pre in sorted(prefixes | short_names, key=len, reverse=True):
                    if k.startswith(pre) and len(k) > len(pre) + 1:
                        rest = k[len(pre):]
                        for alias in (rest, (m[1] if m else "") + rest, *(s + rest for s in short_names)):
                            if alias:
                                aliases.setdefault(alias, set()).update(ids)
                        break
            for alias, ids in aliases.items():
                if alias not in table and len(ids) == 1:
                    table[alias] = sorted(ids)
        self.dept_table = table
        self.local_depts = local

    def _townships(self) -> None:
        table: dict[str, list[str]] = {}
        for uid, u in self.policy.units.items():
            if u.kind != UnitKind.township:
                continue
            if self.county and county_of(self.policy, uid) != self.county:
                continue
            for name in (u.name, *u.former_names):
                table.setdefault(key(name), []).append(uid)
            table.setdefault(key(uid), []).append(uid)
        self.town_table = table

    def department(self, text: str) -> Found:
        k = key(text)
        if k in self.policy.units and self.policy.units[k].kind in DEPT_KINDS:
            return Found([k])
        ids = self.dept_table.get(k)
        if ids:
            return Found(sorted(set(ids)))
        pool = {kk: v for kk, v in self.local_depts.items()} or self.dept_table
        found = near(text, pool, self.names)
        if not found and pool is not self.dept_table:
            found = near(text, self.dept_table, self.names)
        return Found([], found)

    def township(self, text: str) -> Found:
        k = key(text)
        ids = self.town_table.get(k)
        if ids:
            return Found(sorted(set(ids)))
        return Found([], near(text, self.town_table, self.names))

    # ------------------------------------------------------------------ matters
    def _matters(self) -> None:
        self.matter_table = name_table(self.policy.matters)
        self.matter_names = {mid: m.name for mid, m in self.policy.matters.items()}

    def matter(self, text: str, domain: str | None = None, prefer: frozenset[str] = frozenset(),
               level: str | None = None) -> Found:
        """By exact name (or an id written in the name cell); ties broken by the row's domain,
        then by the unit's current lists (`prefer`), then by the matter's levels."""
        k = key(text)
        ids = self.matter_table.get(k)
        if not ids and k in self.policy.matters:
            return Found([k])
        if not ids:
            return Found([], near(text, self.matter_table, self.matter_names))
        ids = sorted(set(ids))
        ms = self.policy.matters
        for narrow in (
            (lambda i: domain is not None and i in ms and key(ms[i].domain) == key(domain)),
            (lambda i: i in prefer),
            (lambda i: level is not None and i in ms and any(lv.value == level for lv in ms[i].levels)),
        ):
            if len(ids) <= 1:
                break
            kept = [i for i in ids if narrow(i)]
            if kept:
                ids = kept
        return Found(ids)

    def add_matter(self, name: str, mid: str) -> None:
        self.matter_table.setdefault(key(name), []).append(mid)
        self.matter_names[mid] = name

    # ------------------------------------------------------------------ bases
    def _bases(self) -> None:
        table = name_table(self.policy.bases)
        for bid in self.policy.bases:
            table.setdefault(key(bid), []).append(bid)
        self.basis_table = {k: sorted(set(v)) for k, v in table.items()}
        self.basis_names = {bid: f"{b.number} {b.title}" for bid, b in self.policy.bases.items()}

    def basis(self, text: str) -> Found:
        k = key(text)
        ids = self.basis_table.get(k)
        if ids:
            return Found(ids)
        # 《title》 followed by articles: 《中华人民共和国城乡规划法》第六十四条
        m = re.match(r"《([^》]+)》", k)
        if m:
            ids = self.basis_table.get(key(m[1]))
            if ids:
                return Found(ids)
        m = re.search(r"[\u4e00-\u9fff]+[〔\[(]\d{4}[〕\])]\d+号", k)
        if m:
            ids = self.basis_table.get(m[0])
            if ids:
                return Found(ids)
        return Found([], near(text, self.basis_table, self.basis_names))


def describe(found: list[tuple[str, str]]) -> str:
    return "、".join(f"“{name}”（{i}）" for name, i in found)
