"""The compiled form of a policy that `decide`, `may_exercise` and the checks read.

Built once from a loaded `Policy` (templates expanded, dates turned into day ordinals,
attribution and counties resolved) so a question costs a few dictionary lookups.  Admissions
from the workflow's store are added and removed with `apply_admission` / `drop_admission`;
`admission_seq` records the last workflow change the index has seen.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from ..language import Policy
from ..language.entities import AdmissionRecord, Delegation
from ..language.enums import LEVEL_RANK, Level, UnitKind
from ..language.registers import Secondment

OPEN_START = 0
OPEN_END = 10**8


def day(d: dt.date | None, default: int) -> int:
    return default if d is None else d.toordinal()


class UnitInfo:
    """What the rules need to know about a unit, resolved once."""

    __slots__ = ("id", "name", "kind", "rank", "county", "attributed", "township", "since", "until", "record", "span")

    def __init__(self, uid, name, kind, rank, county, attributed, township, since, until, record):
        self.span = record.span
        self.id = uid
        self.name = name
        self.kind = kind
        self.rank = rank  # LEVEL_RANK of the unit (attributed level for offices and task forces)
        self.county = county  # id of the county government, or None above county level
        self.attributed = attributed  # the acting department (or the unit itself)
        self.township = township  # a village's township
        self.since = since
        self.until = until
        self.record = record

    def active(self, d: int) -> bool:
        return self.since <= d <= self.until


# entry kinds, in the order a basis is preferred (docs/semantics.md step 11)
BASIC, COOPERATIVE, DELEGATION, DUTY, ASSISTING, MAY_CERTIFY, ADMISSION = range(7)
ENTRY_KIND_NAMES = ("basic", "cooperative", "delegation", "duty", "assisting", "may_certify", "admission")
ENTRY_KIND_LABELS = ("基本履职事项", "配合履职事项", "赋权事项", "依法履职事项", "协助政府工作事项", "可出具证明事项", "准入事项")

# standing markers
COUNTY_HOLDERS = "county-holders"  # any department of the target's county holding the matter


class Entry:
    """One assignable entry of a unit for a matter, with who has standing to use it."""

    __slots__ = ("kind", "since", "until", "standing", "record", "basis", "township_gov", "span", "record_id")

    def __init__(self, kind, since, until, standing, record, basis=None, township_gov=None):
        self.span = record.span  # read once: pydantic private attributes are slow to reach
        self.record_id = getattr(record, "id", None)
        self.kind = kind
        self.since = since
        self.until = until
        self.standing = standing  # frozenset of department ids, or COUNTY_HOLDERS
        self.record = record
        self.basis = basis
        self.township_gov = township_gov  # for basic entries: the county government may assign

    def in_force(self, d: int) -> bool:
        return self.since <= d <= self.until


class Block:
    """A list entry that forbids assignment: returned, negative, must-not-certify."""

    __slots__ = ("kind", "since", "until", "record", "span")

    def __init__(self, kind, since, until, record):
        self.span = record.span
        self.kind = kind
        self.since = since
        self.until = until
        self.record = record


@dataclass
class Index:
    policy: Policy
    units: dict[str, UnitInfo]
    holds: dict[tuple[str, str], list[tuple[int, int]]]
    holders: dict[str, list[tuple[str, int, int]]]  # matter -> (department, since, until)
    retained: dict[tuple[str, str], list[tuple[str, int, int, object]]]  # (township, since, until, span)
    entries: dict[tuple[str, str], list[Entry]]
    blocks: dict[tuple[str, str], list[Block]]
    lapsed: dict[tuple[str, str], list]  # records that once authorized (exited admissions, revoked delegations)
    certify_only_listed: set[str]
    statutory: dict[tuple[str, str], list[tuple[int, int]]]  # township's own power list
    admission_seq: int = 0
    workflow_admissions: dict[str, AdmissionRecord] = field(default_factory=dict)
    workflow_secondments: dict[str, Secondment] = field(default_factory=dict)  # entered through the flow
    catch_all: dict[str, tuple] = field(default_factory=dict)  # village → its certification catch-alls

    @property
    def revision(self) -> str:
        return self.policy.revision

    # ------------------------------------------------------------------ facts
    def holds_on(self, dept: str, matter: str, d: int) -> bool:
        for since, until in self.holds.get((dept, matter), ()):
            if since <= d <= until:
                return True
        return False

    def county_holders(self, county: str | None, matter: str, d: int) -> list[str]:
        out = []
        for dept, since, until in self.holders.get(matter, ()):
            if since <= d <= until and self.units[dept].county == county:
                out.append(dept)
        return out

    # ------------------------------------------------------------------ admissions
    def apply_admission(self, rec, seq: int | None = None) -> None:
        """Add an admission (from the workflow store) to the index: a matter admitted to units,
        or a secondment the county admitted (kept for the secondment question and check)."""
        self.drop_admission(rec.id)
        if isinstance(rec, Secondment):
            county = self.units[rec.township].county if rec.township in self.units else None
            approval = rec.admission.model_copy(update={"by": county or rec.admission.by})
            self.workflow_secondments[rec.id] = rec.model_copy(update={"admission": approval})
            if seq is not None:
                self.admission_seq = max(self.admission_seq, seq)
            return
        self.workflow_admissions[rec.id] = rec
        _add_admission(self, rec)
        if seq is not None:
            self.admission_seq = max(self.admission_seq, seq)

    def drop_admission(self, admission_id: str, seq: int | None = None) -> None:
        self.workflow_secondments.pop(admission_id, None)
        rec = self.workflow_admissions.pop(admission_id, None)
        if rec is not None:
            for target in rec.targets:
                key = (target, rec.matter)
                self.entries[key] = [e for e in self.entries.get(key, ()) if e.record is not rec]
                self.lapsed[key] = [r for r in self.lapsed.get(key, ()) if r is not rec]
        if seq is not None:
            self.admission_seq = max(self.admission_seq, seq)


def _interval(rec) -> tuple[int, int]:
    return day(rec.since, OPEN_START), day(rec.until, OPEN_END)


def _intersect(a: tuple[int, int], b: tuple[int, int]) -> tuple[int, int]:
    return max(a[0], b[0]), min(a[1], b[1])


def resolve_units(policy: Policy) -> dict[str, UnitInfo]:
    units = policy.units
    out: dict[str, UnitInfo] = {}

    def attributed(uid: str) -> str:
        seen = 0
        cur = uid
        while units[cur].kind in (UnitKind.dispatched, UnitKind.task_force) and seen < 16:
            parent = units[cur].parent
            if parent is None or parent not in units:
                break
            cur = parent
            seen += 1
        return cur

    def county(uid: str) -> str | None:
        cur: str | None = uid
        for _ in range(16):
            if cur is None or cur not in units:
                return None
            u = units[cur]
            if u.kind == UnitKind.government and u.level == Level.county:
                return cur
            if u.kind == UnitKind.government and u.level is not None and LEVEL_RANK[u.level] < LEVEL_RANK[Level.county]:
                return None
            if u.kind == UnitKind.department and u.level is not None and LEVEL_RANK[u.level] < LEVEL_RANK[Level.county]:
                return None
            cur = u.parent
        return None

    for uid, u in units.items():
        att = attributed(uid)
        level = units[att].own_level if u.kind in (UnitKind.dispatched, UnitKind.task_force) else u.own_level
        rank = LEVEL_RANK[level] if level is not None else LEVEL_RANK[Level.county]
        township = u.parent if u.kind == UnitKind.village else None
        since, until = _interval(u)
        out[uid] = UnitInfo(uid, u.name, u.kind, rank, county(att), att, township, since, until, u)
    return out


def build_index(policy: Policy) -> Index:
    """Compile `policy` into the lookup tables the decision functions use."""
    from .expand import township_entries, village_entries

    units = resolve_units(policy)
    holds: dict = defaultdict(list)
    holders: dict = defaultdict(list)
    retained: dict = defaultdict(list)
    statutory: dict = defaultdict(list)
    for pl in policy.power_lists:
        pl_iv = _interval(pl)
        holder = units.get(pl.holder)
        for item in pl.items:
            if not item.held:
                continue
            since, until = _intersect(pl_iv, _interval(item))
            if since > until:
                continue
            if holder is not None and holder.kind == UnitKind.township:
                statutory[(pl.holder, item.matter)].append((since, until))
                continue
            holds[(pl.holder, item.matter)].append((since, until))
            holders[item.matter].append((pl.holder, since, until))
            for t in item.retained_in:
                retained[(pl.holder, item.matter)].append((t, since, until, item.span))

    entries: dict = defaultdict(list)
    blocks: dict = defaultdict(list)
    lapsed: dict = defaultdict(list)
    certify_only: set[str] = set()
    catch_all: dict[str, tuple] = {}

    for tid in policy.township_lists:
        lists = township_entries(policy, tid)
        gov = units[tid].county if tid in units else None
        for e in lists.basic:
            s, u = _interval(e)
            entries[(tid, e.matter)].append(Entry(BASIC, s, u, COUNTY_HOLDERS, e, township_gov=gov))
        for e in lists.cooperative:
            s, u = _interval(e)
            entries[(tid, e.matter)].append(Entry(COOPERATIVE, s, u, _acting(units, e.lead), e))
        for e in lists.returned:
            s, u = _interval(e)
            blocks[(tid, e.matter)].append(Block("returned", s, u, e))

    for vid in policy.village_lists:
        lists = village_entries(policy, vid)
        if lists.certify_only_listed:
            certify_only.add(vid)
        if lists.catch_all:
            catch_all[vid] = lists.catch_all
        for e in lists.duties:
            s, u = _interval(e)
            entries[(vid, e.matter)].append(Entry(DUTY, s, u, COUNTY_HOLDERS, e))
        for e in lists.assisting:
            s, u = _interval(e)
            standing = _acting(units, (e.supervisor,) if e.supervisor else ())
            entries[(vid, e.matter)].append(Entry(ASSISTING, s, u, standing, e))
        for e in lists.may_certify:
            s, u = _interval(e)
            entries[(vid, e.matter)].append(Entry(MAY_CERTIFY, s, u, COUNTY_HOLDERS, e, basis=e.basis))
        for e in lists.negative:
            s, u = _interval(e)
            blocks[(vid, e.matter)].append(Block("negative", s, u, e))
        for e in lists.must_not_certify:
            s, u = _interval(e)
            blocks[(vid, e.matter)].append(Block("must_not_certify", s, u, e))

    index = Index(policy, units, dict(holds), dict(holders), dict(retained), entries, dict(blocks),
                  lapsed, certify_only, dict(statutory), catch_all=catch_all)
    for dl in policy.delegations.values():
        _add_delegation(index, dl)
    for adm in policy.admissions.values():
        _add_admission(index, adm)
    return index


def delegation_interval(dl: Delegation) -> tuple[int, int]:
    since, until = _interval(dl)
    if dl.revoked is not None:
        until = min(until, dl.revoked.date.toordinal() - 1)
    return since, until


def admission_interval(rec: AdmissionRecord) -> tuple[int, int]:
    since, until = _interval(rec)
    if rec.exit is not None:
        until = min(until, rec.exit.date.toordinal())
    return since, until


def _acting(units: dict[str, UnitInfo], ids) -> frozenset[str]:
    """Standing is held by departments: an office or task force named in a list acts for its own."""
    return frozenset(units[x].attributed if x in units else x for x in ids)


def _add_delegation(index: Index, dl: Delegation) -> None:
    since, until = delegation_interval(dl)
    standing = _acting(index.units, (dl.department,))
    for t in dl.townships:
        info = index.units.get(t)
        if info is None or info.kind != UnitKind.township:
            continue  # nothing is delegated to a village (the check delegation-to-village says so)
        key = (t, dl.matter)
        index.entries[key].append(Entry(DELEGATION, since, until, standing, dl, basis=dl.basis))
        if dl.revoked is not None:
            index.lapsed[key].append(dl)


def _add_admission(index: Index, rec: AdmissionRecord) -> None:
    since, until = admission_interval(rec)
    standing = _acting(index.units, (rec.applicant,))
    for t in rec.targets:
        key = (t, rec.matter)
        index.entries[key].append(Entry(ADMISSION, since, until, standing, rec, basis=rec.basis))
        index.lapsed[key].append(rec)
