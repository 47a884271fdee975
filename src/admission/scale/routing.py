"""Routing: which shards each record goes to, and the copies of other counties' records a
shard's rules read (foreign records), gathered until no copy needs another.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path

from ..language import entities as e
from ..language.policy import PolicyFile
from ..loader import read_parse_cache
from ..loader.resolve import REFERENCES, records
from .blobs import encode
from .chunks import COMMON, COMMON_SECTIONS, NOCOUNTY, PLACE_KINDS, SECTIONS
from .store import BundleStore


UNIT_REF_FIELDS: dict[type, tuple[str, ...]] = {
    model: tuple(f for f, (section, _) in spec.items() if section == "units") for model, spec in REFERENCES.items()
}


def unit_refs(rec) -> tuple[list[str], list[str]]:
    """Every unit id `rec` (with its nested records) names, and the departments named as
    `taken_by` (whose power lists a check reads)."""
    refs: list[str] = []
    takers: list[str] = []
    for r in records(rec):
        names = UNIT_REF_FIELDS.get(type(r))
        if not names:
            continue
        for f in names:
            v = getattr(r, f)
            if v is None:
                continue
            if type(v) is list:
                refs.extend(v)
            else:
                refs.append(v)
        if type(r) is e.ReturnedEntry:
            takers.extend(r.taken_by)
    return refs, takers



#: The register sections (issue 20): the units whose shards hold a record.  A register's findings
#: are keyed "<unit>/<record>" by the first of these (a form: by the units it asks), so one shard
#: owns each.
REGISTER_HOME = {
    "inspection_plans": lambda r: (r.department,), "inspections": lambda r: (r.target,),
    "document_counts": lambda r: (r.unit,), "secondments": lambda r: (r.township,),
    "board_registers": lambda r: (r.unit,), "seal_scopes": lambda r: (r.community,),
    "seal_uses": lambda r: (r.community,), "evaluation_items": lambda r: (r.community,),
    "forms": lambda r: r.targets, "data_requests": lambda r: (r.unit,),
}


class Routing:
    """Global facts a file's routing depends on: each unit's shard, attribution, ancestry."""

    def __init__(self, units: dict, infos: dict):
        self.units = units
        self.infos = infos
        home: dict[str, str] = {}
        for uid, info in infos.items():
            if info.county is not None:
                home[uid] = info.county
            elif info.kind in PLACE_KINDS:
                home[uid] = NOCOUNTY
            else:
                home[uid] = COMMON
        self.home = home
        self._anc: dict[str, tuple[str, ...]] = {}

    def ancestors(self, uid: str) -> tuple[str, ...]:
        """`uid` and every unit above it (by `parent`), as far as they exist."""
        out = self._anc.get(uid)
        if out is None:
            chain = []
            cur = uid
            seen = set()
            while cur is not None and cur in self.units and cur not in seen and len(chain) < 64:
                chain.append(cur)
                seen.add(cur)
                cur = self.units[cur].parent
            out = self._anc[uid] = tuple(chain)
        return out

    def attributed(self, uid: str) -> str:
        info = self.infos.get(uid)
        return info.attributed if info is not None else uid

    def context(self, ids: Iterable[str]) -> str:
        """A hash of every routing fact about `ids` (their shards, attribution and ancestry)."""
        h = hashlib.sha256()
        home = self.home
        for uid in sorted(set(ids)):
            if uid not in home:
                h.update(f"{uid}?\n".encode())
                continue
            att = self.attributed(uid)
            anc = ",".join(f"{a}={home[a]}" for a in self.ancestors(uid))
            h.update(f"{uid}|{att}={home.get(att)}|{anc}\n".encode())
        return h.hexdigest()



def route_policy_file(pf: PolicyFile, okey: str, routing: Routing, store: BundleStore) -> dict:
    home = routing.home
    buckets: dict[str, dict[str, list]] = {}
    own: dict[str, dict[str, list]] = {}
    demands: set[tuple[str, str, str]] = set()

    def put(target: str, section: str, seq: tuple, rec, owned: str | None) -> None:
        buckets.setdefault(target, {}).setdefault(section, []).append([list(seq), rec])
        if owned:
            own.setdefault(target, {}).setdefault(owned, []).append(
                rec.id)

    for section in SECTIONS:
        for pos, rec in enumerate(getattr(pf, section)):
            seq = (okey, pos)
            targets: list[str]
            owned_kind: dict[str, str] = {}
            if section in COMMON_SECTIONS:
                targets = [COMMON]
            elif section == "units":
                targets = [home[rec.id]]
                owned_kind[targets[0]] = "units"
            elif section == "power_lists":
                targets = [home[rec.holder]]
            elif section == "township_templates":
                targets = [home[rec.county]]
            elif section == "village_templates":
                targets = [home[rec.owner]]
            elif section == "township_lists":
                targets = [home[rec.township]]
                if rec.template:
                    demands.add((targets[0], "township_templates", rec.template))
            elif section == "village_lists":
                targets = [home[rec.village]]
                if rec.template:
                    demands.add((targets[0], "village_templates", rec.template))
            elif section == "delegations":
                places = [home[t] for t in rec.townships]
                owner = home[rec.department]
                if owner == COMMON:
                    owner = next((p for p in places if p != COMMON), NOCOUNTY)
                targets = list(dict.fromkeys([owner, *(p for p in places if p != COMMON)]))
                owned_kind[owner] = "delegations"
                dept = routing.attributed(rec.department)
                for t in targets:
                    if home.get(dept, COMMON) not in (t, COMMON):
                        demands.add((t, "power", dept))
            elif section == "admissions":
                targets = list(dict.fromkeys(home[t] for t in rec.targets))
            elif section == "assignments":
                targets = [home[rec.to]]
                owned_kind[targets[0]] = "assignments"
            elif section == "exercises":
                targets = [home[rec.unit]]
                owned_kind[targets[0]] = "exercises"
            elif section in REGISTER_HOME:
                targets = list(dict.fromkeys(home[u] for u in REGISTER_HOME[section](rec)))
            else:  # pragma: no cover - every section is routed above
                raise AssertionError(section)
            refs, takers = unit_refs(rec)
            for t in targets:
                put(t, section, seq, rec, owned_kind.get(t))
                demand_refs(routing, t, refs, takers, demands)
    chunks = {}
    for target, sections in buckets.items():
        payload = {"sections": sections, "own": own.get(target, {})}
        h, data = encode(payload)
        store.put(h, data)
        chunks[target] = h
    return {"chunks": chunks, "demands": sorted(demands)}


def demand_refs(routing: Routing, target: str, refs, takers, demands: set) -> None:
    """Units (with their ancestors) and power lists of departments that `target` must copy."""
    home = routing.home
    for ref in refs:
        for a in routing.ancestors(ref):
            if home[a] not in (target, COMMON):
                demands.add((target, "unit", a))
    for taker in takers:
        dept = routing.attributed(taker)
        if home.get(dept, COMMON) not in (target, COMMON):
            demands.add((target, "power", dept))


def load_parsed(parse_cache: Path, key: str, display: str) -> PolicyFile:
    parsed = read_parse_cache(parse_cache, key)
    if parsed is None:
        raise RuntimeError(f"parse cache lost {display}; build again")
    return parsed[0]


def fulfil(pending, routing: Routing, useq, holders_at, templates_at, summaries, displays, okeys, parse_cache
            ) -> dict[str, dict[str, list]]:
    """Copies of records other shards' rules read, until no copy needs another."""
    home = routing.home
    done: set = set()
    out: dict[str, dict[str, list]] = {}
    files: dict[int, PolicyFile] = {}

    def pf_of(i: int) -> PolicyFile:
        if i not in files:
            if len(files) > 64:
                files.clear()
            files[i] = load_parsed(parse_cache, summaries[i]["key"], displays[i])
        return files[i]

    queue = list(pending)
    while queue:
        d = queue.pop()
        if d in done:
            continue
        done.add(d)
        target, kind, ident = d
        new: list[tuple[str, tuple, object]] = []
        if kind == "unit":
            if home.get(ident, target) in (target, COMMON) or ident not in useq:
                continue
            new.append(("units", useq[ident], routing.units[ident]))
        elif kind == "power":
            if home.get(ident, target) in (target, COMMON):
                continue
            for i in holders_at.get(ident, ()):
                for pos, pl in enumerate(pf_of(i).power_lists):
                    if pl.holder == ident:
                        new.append(("power_lists", (okeys[i], pos), pl))
        else:  # a template
            where = templates_at.get((kind, ident))
            if where is None:
                continue
            i, anchor = where
            if anchor is not None and home.get(anchor, target) in (target, COMMON):
                continue
            for pos, tpl in enumerate(getattr(pf_of(i), kind)):
                if tpl.id == ident:
                    new.append((kind, (okeys[i], pos), tpl))
                    break
        more: set = set()
        for section, seq, rec in new:
            out.setdefault(target, {}).setdefault(section, []).append([list(seq), rec])
            refs, takers = unit_refs(rec)
            demand_refs(routing, target, refs, takers, more)
            if section == "units":
                continue
        queue.extend(x for x in more if x not in done)
    for sections in out.values():
        for rows in sections.values():
            rows.sort(key=lambda r: r[0])
    return out
