"""What a unit's page shows, as plain data: its three lists (or a village's five, a department's
powers) with counts, where each entry comes from (template or own), removals, delegations,
admissions in force and recorded assignments; search over matters and units (name, code,
pinyin initials); the YAML lines behind a span."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from ...compile.expand import TOWNSHIP_KINDS, VILLAGE_KINDS, township_entries, village_entries
from ...language.enums import UnitKind
from ...render.data import KIND_LABELS
from ..views import _norm, duties, search_matters

LIST_LABELS = {**KIND_LABELS, "duties": "依法履职事项", "assisting": "协助政府工作事项", "negative": "负面清单",
               "may_certify": "可出具证明事项", "must_not_certify": "不应出具证明事项"}
KIND_NAMES = {"government": "党委政府", "department": "部门", "dispatched": "派出机构", "task_force": "工作专班",
              "township": "乡镇(街道)", "village": "村(社区)"}
PAGE = 100


@dataclass
class Row:
    matter: str
    name: str
    seq: int | None
    scope: str | None
    party: str  # lead department / taker / supervisor, named
    own: bool  # the unit's own entry (an addition), not the template's
    span: object
    since: dt.date | None = None
    until: dt.date | None = None


@dataclass
class UnitPage:
    uid: str
    name: str
    kind: str
    trail: list[tuple[str, str, bool]]  # (id, name, visible) from the top down
    lists: dict[str, list[Row]] = field(default_factory=dict)
    published: dict[str, int] = field(default_factory=dict)
    template: list[tuple[str, str]] = field(default_factory=list)  # the chain, nearest first
    removed: list[tuple[str, str]] = field(default_factory=list)
    delegations: list[dict] = field(default_factory=list)
    admissions: list[dict] = field(default_factory=list)
    assignments: list[dict] = field(default_factory=list)
    powers: list[dict] = field(default_factory=list)
    children: list[tuple[str, str, str]] = field(default_factory=list)  # (id, name, kind label)
    children_total: int = 0
    span: object = None


_CHILDREN: dict[int, dict[str, list[str]]] = {}


def children_of(policy) -> dict[str, list[str]]:
    """unit -> the units whose parent it is, once per policy."""
    got = _CHILDREN.get(id(policy))
    if got is None:
        got = {}
        for c, x in policy.units.items():
            if x.parent:
                got.setdefault(x.parent, []).append(c)
        _CHILDREN.clear()
        _CHILDREN[id(policy)] = got
    return got


_BY_UNIT: dict[int, dict[tuple[str, str], list]] = {}


def by_unit(policy) -> dict[tuple[str, str], list]:
    """("delegation", township or department) and ("assignment", receiver) / ("assigned-by",
    sender) -> the records, once per policy, so a unit's page does not scan every record."""
    got = _BY_UNIT.get(id(policy))
    if got is None:
        got = {}
        for dl in policy.delegations.values():
            for key in {*(("delegation", t) for t in dl.townships), ("delegation", dl.department)}:
                got.setdefault(key, []).append(dl)
        for a in policy.assignments.values():
            got.setdefault(("assignment", a.to), []).append(a)
            got.setdefault(("assigned-by", a.by), []).append(a)
        _BY_UNIT.clear()
        _BY_UNIT[id(policy)] = got
    return got


def name_of(policy, uid: str | None) -> str:
    u = policy.units.get(uid) if uid else None
    return u.name if u else (uid or "")


def _in_force(e, on: dt.date) -> bool:
    return (e.since is None or e.since <= on) and (e.until is None or on <= e.until)


def _rows(policy, entries, own_ids: set[int], on: dt.date) -> list[Row]:
    out = []
    for e in entries:
        if not _in_force(e, on):
            continue
        m = policy.matters.get(e.matter)
        party = [*getattr(e, "lead", ()), *getattr(e, "taken_by", ())]
        if getattr(e, "supervisor", None):
            party.append(e.supervisor)
        out.append(Row(e.matter, m.name if m else e.matter, e.seq, e.scope, "、".join(name_of(policy, p) for p in party),
                       id(e) in own_ids, e.span, e.since, e.until))
    return out


def trail(policy, uid: str, visible) -> list[tuple[str, str, bool]]:
    chain, seen = [], set()
    cur = uid
    while cur in policy.units and cur not in seen:
        seen.add(cur)
        chain.append((cur, policy.units[cur].name, visible(cur)))
        cur = policy.units[cur].parent
    return chain[::-1]


def _months_after(day: dt.date, months: int) -> dt.date:
    y, m = divmod(day.month - 1 + months, 12)
    year, month = day.year + y, m + 1
    for d in (day.day, 30, 29, 28):
        try:
            return dt.date(year, month, d)
        except ValueError:
            continue
    return day


def unit_page(rt, uid: str, on: dt.date, visible, page: int = 1) -> UnitPage:
    policy, index = rt.policy, rt.index
    u = policy.units[uid]
    info = index.units[uid]
    out = UnitPage(uid, u.name, KIND_NAMES.get(u.kind.value, u.kind.value), trail(policy, uid, visible), span=u.span)
    kids = sorted((c for c in children_of(policy).get(uid, ()) if visible(c)),
                  key=lambda c: (policy.units[c].kind.value != "township", c))
    out.children_total = len(kids)
    out.children = [(c, policy.units[c].name, KIND_NAMES.get(policy.units[c].kind.value, ""))
                    for c in kids[(page - 1) * PAGE:page * PAGE]]
    if info.kind == UnitKind.township:
        _lists(out, policy, uid, on, township_entries(policy, uid), policy.township_lists.get(uid),
               policy.township_templates, TOWNSHIP_KINDS)
    elif info.kind == UnitKind.village:
        _lists(out, policy, uid, on, village_entries(policy, uid), policy.village_lists.get(uid),
               policy.village_templates, VILLAGE_KINDS)
    if info.kind != UnitKind.government:  # a government's page lists its units, not its own duties
        d = duties(rt, uid, on)
        out.powers = d["powers"]
        out.admissions = d["admissions"]
    else:
        return out
    places = {uid} | (set(children_of(policy).get(uid, ())) if info.kind == UnitKind.township else set())
    by = by_unit(policy)
    keys = [uid] if info.kind == UnitKind.township else list(dict.fromkeys((uid, info.attributed)))
    for dl in {id(d): d for k in keys for d in by.get(("delegation", k), [])}.values():
        due = _months_after(dl.evaluation.last or dl.since or on, dl.evaluation.every_months) if dl.evaluation else None
        out.delegations.append({"id": dl.id, "matter": dl.matter, "matter_name": name_of_matter(policy, dl.matter),
                                "mode": dl.mode.label, "department": name_of(policy, dl.department),
                                "basis": dl.basis, "basis_name": _basis(policy, dl.basis), "since": dl.since,
                                "until": dl.until, "due": due, "overdue": bool(due and due < on),
                                "revoked": dl.revoked, "span": dl.span})
    mine = [a for p in places for a in by.get(("assignment", p), [])]
    if info.kind not in (UnitKind.township, UnitKind.village):
        mine += by.get(("assigned-by", uid), [])
    for a in mine:
        out.assignments.append({"id": a.id, "matter": a.matter, "matter_name": name_of_matter(policy, a.matter),
                                "by": name_of(policy, a.by), "to": name_of(policy, a.to), "date": a.date,
                                "document": a.document, "kind": a.kind.label, "span": a.span})
    out.assignments.sort(key=lambda a: (a["date"], a["id"]))
    return out


def name_of_matter(policy, mid: str) -> str:
    m = policy.matters.get(mid)
    return m.name if m else mid


def _basis(policy, bid: str | None) -> str:
    b = policy.bases.get(bid) if bid else None
    return f"{b.number}《{b.title}》" if b else (bid or "")


def _template_chain(templates: dict, tid: str | None) -> list[tuple[str, str]]:
    chain, seen = [], set()
    while tid and tid in templates and tid not in seen:
        seen.add(tid)
        chain.append((tid, templates[tid].name))
        tid = templates[tid].parent
    return chain


def _lists(out: UnitPage, policy, uid: str, on: dt.date, effective, own, templates, kinds) -> None:
    """A township's or village's effective lists (own entries marked), its template chain, its
    removals and its published counts."""
    own_ids = {id(e) for k in kinds for e in (getattr(own, k) if own else ())}
    for kind in kinds:
        out.lists[kind] = _rows(policy, getattr(effective, kind), own_ids, on)
    if own is None:
        return
    out.template = _template_chain(templates, own.template)
    out.removed = [(m, name_of_matter(policy, m)) for m in own.remove]
    for kind in kinds:
        count = getattr(own.published, kind, None) if own.published else None
        if count is not None:
            out.published[kind] = count.total


# --------------------------------------------------------------------------- matters
def matter_places(rt, mid: str, on: dt.date, visible) -> list[tuple[str, str, list[str]]]:
    """Where a matter sits on `on`: (unit, name, list labels) for the units this caller may see."""
    d = on.toordinal()
    found = []
    for (unit, matter), entries in rt.index.entries.items():
        if matter == mid and visible(unit):
            kinds = sorted({LIST_LABELS.get(k, k) for k in unit_matters_kinds(entries, d)})
            if kinds:
                found.append((unit, name_of(rt.policy, unit), kinds))
    return sorted(found)


def unit_matters_kinds(entries, d: int) -> set[str]:
    from ...compile.index import ENTRY_KIND_NAMES

    return {ENTRY_KIND_NAMES[e.kind] for e in entries if e.in_force(d)}


# --------------------------------------------------------------------------- search
_INITIALS: dict[int, dict[str, str]] = {}


def initials(policy) -> dict[str, str]:
    """unit id → pinyin initials of its name (刘庄村 → lzc), once per policy."""
    key = id(policy)
    got = _INITIALS.get(key)
    if got is None:
        from pypinyin import Style, lazy_pinyin

        got = {uid: "".join(lazy_pinyin(u.name, style=Style.FIRST_LETTER)).lower() for uid, u in policy.units.items()}
        _INITIALS.clear()
        _INITIALS[key] = got
    return got


def search(rt, q: str, visible, page: int) -> dict:
    policy = rt.policy
    needle = _norm(q)
    letters = needle.isascii() and needle.isalpha()
    abbrev = initials(policy) if letters else {}
    units = []
    for uid, u in policy.units.items():
        if not visible(uid):
            continue
        if needle in _norm(u.name) or uid.startswith(q.strip()) or (letters and abbrev.get(uid, "").startswith(needle)):
            units.append((uid, u.name, KIND_NAMES.get(u.kind.value, "")))
    units.sort(key=lambda x: (len(x[1]), x[0]))
    matters = search_matters(rt, q, None, None, (page - 1) * PAGE, PAGE)
    return {"units": units[:PAGE], "units_total": len(units), "matters": matters["items"], "matters_total": matters["total"]}


# --------------------------------------------------------------------------- YAML
def file_owners(policy) -> dict[str, set[str]]:
    """file → the counties whose records it holds (empty: a shared file, e.g. the catalogue)."""
    owners: dict[str, set[str]] = {f: set() for f in policy.files}
    units = policy.units

    def county(uid):
        seen = set()
        while uid in units and uid not in seen:
            seen.add(uid)
            if units[uid].kind == UnitKind.government and units[uid].level and units[uid].level.value == "county":
                return uid
            uid = units[uid].parent
        return None

    def note(rec, uid):
        c = county(uid)
        if rec.span is not None and c:
            owners.setdefault(rec.span.file, set()).add(c)

    for uid, u in units.items():
        note(u, uid)
    for t, rec in policy.township_lists.items():
        note(rec, t)
    for v, rec in policy.village_lists.items():
        note(rec, v)
    for rec in policy.delegations.values():
        note(rec, rec.department)
    for rec in policy.assignments.values():
        note(rec, rec.to)
    return owners


def excerpt(root: str, file: str, line: int, end: int, context: int = 4) -> list[tuple[int, str, bool]] | None:
    """(number, text, inside the span) for the lines around `line`..`end` of `file` under `root`."""
    base = Path(root).resolve()
    path = (base / file).resolve()
    if base not in path.parents or not path.is_file():
        return None
    lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    lo, hi = max(1, line - context), min(len(lines), max(end, line) + context)
    return [(n, lines[n - 1], line <= n <= max(end, line)) for n in range(lo, hi + 1)]
