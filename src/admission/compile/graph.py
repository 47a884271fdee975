"""The responsibility graph: a networkx MultiDiGraph of units, departments and matters with
typed edges, each keeping the YAML span that made it.  Renderers and reviewers read it; the
checks and `decide` read the faster `Index` built from the same policy.

Node ids are `unit:<id>` and `matter:<id>`.  Edge types (the edge key):

| type | from → to | meaning |
|---|---|---|
| `parent` | unit → unit | hierarchy (and attribution of offices and task forces) |
| `holds` | department/township → matter | power list item |
| `basic` | township → matter | basic duty |
| `cooperative` | township → matter | cooperative duty (cooperating township) |
| `leads` | department → matter | lead department of a cooperative duty (`township` attribute) |
| `returned` | township → matter | returned item |
| `takes_back` | department → matter | department taking a returned item back (`township`) |
| `delegated` | township → matter | power delegated to the township (`mode`, `department`) |
| `delegates` | department → township | the delegating side (`matter`, `mode`) |
| `admitted` | township/village → matter | admitted matter (`admission`, `applicant`) |
| `duty`, `assisting`, `negative`, `may_certify`, `must_not_certify` | village → matter | village lists |
| `supervises` | department → matter | supervising department of an assisting item (`village`) |
| `assigns` | unit → unit | recorded assignment (`matter`, `date`, `assignment`) |
| `exercised` | township/village → matter | recorded exercise of a power (`exercise`, `date`, `kind`, `document`) |
"""

from __future__ import annotations

from collections.abc import Iterable

import networkx as nx

from .expand import township_entries, village_entries
from .index import resolve_units
from ..language import Policy


def unit_node(uid: str) -> str:
    return f"unit:{uid}"


def matter_node(mid: str) -> str:
    return f"matter:{mid}"


def _dates(rec) -> dict:
    return {"since": getattr(rec, "since", None), "until": getattr(rec, "until", None)}


def build_graph(policy: Policy, counties: Iterable[str] | None = None) -> nx.MultiDiGraph:
    """The graph of the whole policy, or of the given county governments' territories only
    (their townships and villages, plus every department, city and province unit)."""
    g = nx.MultiDiGraph(revision=policy.revision)
    infos = resolve_units(policy)
    wanted = set(counties) if counties is not None else None

    def in_scope(uid: str) -> bool:
        if wanted is None:
            return True
        info = infos.get(uid)
        return info is None or info.county is None or info.county in wanted

    for uid, u in policy.units.items():
        if not in_scope(uid):
            continue
        g.add_node(unit_node(uid), type="unit", kind=u.kind.value, level=u.own_level.value if u.own_level else None,
                   name=u.name, county=infos[uid].county, span=u.span, **_dates(u))
    for uid, u in policy.units.items():
        if u.parent and in_scope(uid) and unit_node(u.parent) in g:
            g.add_edge(unit_node(u.parent), unit_node(uid), key="parent", type="parent", span=u.span)

    def matter(mid: str) -> str:
        node = matter_node(mid)
        if node not in g:
            m = policy.matters[mid]
            g.add_node(node, type="matter", name=m.name, domain=m.domain, power_type=m.power_type.value, span=m.span)
        return node

    counter = iter(range(1 << 62))

    def edge(src: str, dst: str, etype: str, rec, **attrs) -> None:
        g.add_edge(src, dst, key=f"{etype}:{next(counter)}", type=etype, span=rec.span, **_dates(rec), **attrs)

    for pl in policy.power_lists:
        if not in_scope(pl.holder):
            continue
        for item in pl.items:
            if item.held:
                edge(unit_node(pl.holder), matter(item.matter), "holds", item)

    for tid in policy.township_lists:
        if not in_scope(tid):
            continue
        lists = township_entries(policy, tid)
        t = unit_node(tid)
        for e in lists.basic:
            edge(t, matter(e.matter), "basic", e, scope=e.scope)
        for e in lists.cooperative:
            edge(t, matter(e.matter), "cooperative", e, scope=e.scope, lead=tuple(e.lead))
            for lead in e.lead:
                edge(unit_node(lead), matter(e.matter), "leads", e, township=tid)
        for e in lists.returned:
            edge(t, matter(e.matter), "returned", e, scope=e.scope, taken_by=tuple(e.taken_by))
            for taker in e.taken_by:
                edge(unit_node(taker), matter(e.matter), "takes_back", e, township=tid)

    for vid in policy.village_lists:
        if not in_scope(vid):
            continue
        lists = village_entries(policy, vid)
        v = unit_node(vid)
        for kind in ("duties", "assisting", "negative", "may_certify", "must_not_certify"):
            etype = "duty" if kind == "duties" else kind
            for e in getattr(lists, kind):
                edge(v, matter(e.matter), etype, e)
                if kind == "assisting" and e.supervisor:
                    edge(unit_node(e.supervisor), matter(e.matter), "supervises", e, village=vid)

    for dl in policy.delegations.values():
        for tid in dl.townships:
            if not in_scope(tid):
                continue
            edge(unit_node(tid), matter(dl.matter), "delegated", dl, mode=dl.mode.value, department=dl.department,
                 delegation=dl.id, revoked=dl.revoked.date if dl.revoked else None)
            edge(unit_node(dl.department), unit_node(tid), "delegates", dl, mode=dl.mode.value, matter=dl.matter,
                 delegation=dl.id)

    for adm in policy.admissions.values():
        for target in adm.targets:
            if in_scope(target):
                edge(unit_node(target), matter(adm.matter), "admitted", adm, admission=adm.id,
                     applicant=adm.applicant, term=adm.term.value)

    for a in policy.assignments.values():
        if in_scope(a.to):
            g.add_edge(unit_node(a.by), unit_node(a.to), key=f"assigns:{a.id}", type="assigns", span=a.span,
                       matter=a.matter, date=a.date, assignment=a.id, kind=a.kind.value)

    for x in policy.exercises.values():
        if in_scope(x.unit):
            g.add_edge(unit_node(x.unit), matter(x.matter), key=f"exercised:{x.id}", type="exercised", span=x.span,
                       exercise=x.id, date=x.date, kind=x.kind.value if x.kind else None, document=x.document)
    return g


def edges_of(g: nx.MultiDiGraph, node: str, etype: str, out: bool = True) -> list[tuple[str, str, dict]]:
    """The edges of one type leaving (or entering) `node`."""
    view = g.out_edges(node, data=True) if out else g.in_edges(node, data=True)
    return [(u, v, d) for u, v, d in view if d["type"] == etype]
