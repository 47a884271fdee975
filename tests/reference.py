"""A deliberately naive reference evaluator, written straight from docs/semantics.md.

It shares no code with `admission.evaluate.decide`, `admission.compile.index`, `admission.evaluate.checks` or
`admission.compile.expand`: it reads the loaded `Policy` (its dicts and pydantic records) and answers by
linear scans, so that the property tests in `test_agreement.py` compare two independent
readings of the same contract.  Speed is irrelevant here; clarity is everything.

Where the contract leaves a choice open, the choice made here is marked "READING:".
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from admission.language.policy import Policy

# --------------------------------------------------------------------------- constants
RANK = {"central": 0, "province": 1, "city": 2, "county": 3, "township": 4, "village": 5}
VILLAGE_FORBIDDEN = {"enforcement", "demolition", "investment_promotion", "work_safety"}
AUTHORITY_ORDER = ("basic", "cooperative", "delegation", "duty", "assisting", "may_certify", "admission")


def _v(x) -> str | None:
    """The plain string value of an enum member (or of a str)."""
    if x is None:
        return None
    return getattr(x, "value", x)


# --------------------------------------------------------------------------- dates
def in_force(rec, d: dt.date) -> bool:
    """`since <= d <= until`, a missing bound open (Dates)."""
    since = getattr(rec, "since", None)
    until = getattr(rec, "until", None)
    if since is not None and d < since:
        return False
    if until is not None and d > until:
        return False
    return True


def unit_active(policy: Policy, uid: str, d: dt.date) -> bool:
    return in_force(policy.units[uid], d)


def delegation_active(dl, d: dt.date) -> bool:
    """In force and not revoked on or before d."""
    if not in_force(dl, d):
        return False
    if dl.revoked is not None and dl.revoked.date <= d:
        return False
    return True


def admission_active(rec, d: dt.date) -> bool:
    """In force and, if exited, d <= exit.date."""
    if not (rec.since <= d):
        return False
    if rec.until is not None and d > rec.until:
        return False
    if rec.exit is not None and d > rec.exit.date:
        return False
    return True


def basis_in_force(b, d: dt.date) -> bool:
    if d < b.issued:
        return False
    if b.expires is not None and d > b.expires:
        return False
    return True


def holds(policy: Policy, holder: str, matter: str, d: dt.date) -> bool:
    """A power list with this holder in force on d has an item for the matter in force on d
    without centralised_to."""
    for pl in policy.power_lists:
        if pl.holder != holder or not in_force(pl, d):
            continue
        for item in pl.items:
            if item.matter == matter and in_force(item, d) and item.centralised_to is None:
                return True
    return False


# --------------------------------------------------------------------------- units
def kind(policy: Policy, uid: str) -> str:
    return _v(policy.units[uid].kind)


def attributed(policy: Policy, uid: str) -> str:
    """A department is itself; dispatched office / task force follow `parent` until a
    department; anything else (government, township, village) is itself."""
    seen = set()
    cur = uid
    while kind(policy, cur) in ("dispatched", "task_force"):
        if cur in seen:  # pragma: no cover - a cycle; the loader would not stop it, be safe
            return cur
        seen.add(cur)
        parent = policy.units[cur].parent
        if parent is None or parent not in policy.units:
            return cur
        cur = parent
    return cur


def level(policy: Policy, uid: str) -> str | None:
    k = kind(policy, uid)
    if k == "township":
        return "township"
    if k == "village":
        return "village"
    if k in ("dispatched", "task_force"):
        a = attributed(policy, uid)
        if a == uid:
            return None
        return level(policy, a)
    return _v(policy.units[uid].level)


def county(policy: Policy, uid: str) -> str | None:
    """Nearest ancestor (starting with the unit itself) that is a county-level government."""
    cur = uid
    seen = set()
    while cur is not None and cur in policy.units and cur not in seen:
        seen.add(cur)
        u = policy.units[cur]
        if _v(u.kind) == "government" and _v(u.level) == "county":
            return cur
        cur = u.parent
    return None


# --------------------------------------------------------------------------- lists (template expansion)
def township_entries(policy: Policy, tid: str, section: str) -> list:
    """READING: the template applies to all three township lists (basic, cooperative,
    returned), `remove` drops every template entry of those matters, own entries are added."""
    tl = policy.township_lists.get(tid)
    if tl is None:
        return []
    out = []
    if tl.template is not None:
        tpl = policy.township_templates[tl.template]
        for e in getattr(tpl, section):
            if e.matter not in tl.remove:
                out.append(e)
    out.extend(getattr(tl, section))
    return out


def village_entries(policy: Policy, vid: str, section: str) -> list:
    """Village lists expand like township lists: template minus remove plus own."""
    vl = policy.village_lists.get(vid)
    if vl is None:
        return []
    out = []
    if vl.template is not None:
        tpl = policy.village_templates[vl.template]
        for e in getattr(tpl, section):
            if e.matter not in vl.remove:
                out.append(e)
    out.extend(getattr(vl, section))
    return out


def certify_only_listed(policy: Policy, vid: str) -> bool:
    """READING: the village list's own flag, else its template's, else false."""
    vl = policy.village_lists.get(vid)
    if vl is None:
        return False
    if vl.certify_only_listed is not None:
        return bool(vl.certify_only_listed)
    if vl.template is not None:
        tpl = policy.village_templates[vl.template]
        if tpl.certify_only_listed is not None:
            return bool(tpl.certify_only_listed)
    return False


def _matching(entries, matter: str, d: dt.date) -> list:
    return [e for e in entries if e.matter == matter and in_force(e, d)]


# --------------------------------------------------------------------------- assignable entries
@dataclass
class Assignable:
    kind: str  # basic | cooperative | delegation | duty | assisting | may_certify | admission
    record: object


def assignable(policy: Policy, target: str, matter: str, d: dt.date, akind: str) -> list[Assignable]:
    out: list[Assignable] = []
    tk = kind(policy, target)
    if tk == "township":
        for e in _matching(township_entries(policy, target, "basic"), matter, d):
            out.append(Assignable("basic", e))
        for e in _matching(township_entries(policy, target, "cooperative"), matter, d):
            out.append(Assignable("cooperative", e))
        for dl in policy.delegations.values():
            if dl.matter == matter and target in dl.townships and delegation_active(dl, d):
                out.append(Assignable("delegation", dl))
    elif tk == "village":
        for e in _matching(village_entries(policy, target, "duties"), matter, d):
            out.append(Assignable("duty", e))
        for e in _matching(village_entries(policy, target, "assisting"), matter, d):
            out.append(Assignable("assisting", e))
        if akind == "certification_request":
            for e in _matching(village_entries(policy, target, "may_certify"), matter, d):
                out.append(Assignable("may_certify", e))
    for rec in policy.admissions.values():
        if rec.matter == matter and target in rec.targets and admission_active(rec, d):
            out.append(Assignable("admission", rec))
    return out


def county_departments_holding(policy: Policy, cty: str | None, matter: str, d: dt.date) -> list[str]:
    if cty is None:
        return []
    return [uid for uid, u in policy.units.items()
            if _v(u.kind) == "department" and county(policy, uid) == cty and holds(policy, uid, matter, d)]


def has_standing(policy: Policy, entry: Assignable, actor_dept: str, target: str, matter: str, d: dt.date) -> bool:
    tk = kind(policy, target)
    if tk == "village" and policy.units[target].parent == actor_dept:
        return True  # a village's own township has standing for every assignable entry
    k = entry.kind
    rec = entry.record

    def named(uid: str | None) -> bool:
        # The unit an entry names (lead, supervisor, delegating unit, applicant) is attributed
        # like the actor: an office or task force named there gives standing to its department
        # (and so to every unit attributed to that department).
        return uid is not None and attributed(policy, uid) == actor_dept

    if k == "basic":
        cty = county(policy, target)
        return actor_dept in county_departments_holding(policy, cty, matter, d) or actor_dept == cty
    if k == "cooperative":
        return any(named(x) for x in rec.lead)
    if k == "delegation":
        return named(rec.department)
    if k == "assisting":
        return named(rec.supervisor)
    if k in ("duty", "may_certify"):
        return actor_dept in county_departments_holding(policy, county(policy, target), matter, d)
    if k == "admission":
        return named(rec.applicant)
    raise AssertionError(k)


# --------------------------------------------------------------------------- decide
@dataclass
class RefDecision:
    outcome: str  # allow | deny | error
    code: str | None
    authority: str | None = None  # entry kind that allowed
    record: object = None


def ref_decide_full(policy: Policy, actor: str, matter: str, target: str, on: dt.date,
                    kind_: str = "task", role: str = "execute", basis: str | None = None) -> RefDecision:
    akind = _v(kind_)
    role = _v(role)
    units = policy.units
    if actor not in units or matter not in policy.matters or target not in units:
        return RefDecision("error", None)
    tk = kind(policy, target)
    if tk not in ("township", "village"):
        return RefDecision("error", None)
    d = on

    def deny(code):
        return RefDecision("deny", code)

    # 1
    if not unit_active(policy, actor, d) or not unit_active(policy, target, d):
        return deny("unit-inactive")
    a = attributed(policy, actor)
    # 2
    lv = level(policy, a)
    if lv is not None and RANK[lv] < RANK["county"]:
        return deny("level-skipping")
    # 3
    if county(policy, actor) != county(policy, target):
        return deny("other-county")
    # 4
    if tk == "village" and actor != units[target].parent:
        b = policy.bases.get(basis) if basis is not None else None
        ok = b is not None and RANK[_v(b.level)] <= RANK["county"] and basis_in_force(b, d)
        if not ok:
            return deny("village-bypass")
    # 5
    if tk == "township" and _matching(township_entries(policy, target, "returned"), matter, d):
        return deny("pushdown-returned")
    # 6
    if tk == "village" and _matching(village_entries(policy, target, "negative"), matter, d):
        return deny("pushdown-negative")
    # 7  READING: only must_not_certify entries in force count, like every list entry
    if (akind == "certification_request" and tk == "village"
            and _matching(village_entries(policy, target, "must_not_certify"), matter, d)):
        return deny("certification-forbidden")
    # 8
    if tk == "village" and role == "responsible":
        tags = {_v(t) for t in policy.matters[matter].tags}
        if tags & VILLAGE_FORBIDDEN:
            return deny("village-responsible")
    # 9
    entries = assignable(policy, target, matter, d, akind)
    if not entries:
        if akind == "certification_request" and tk == "village" and certify_only_listed(policy, target):
            return deny("certification-unlisted")
        # the sub-cases in the contract's order: exit first, then revocation
        for rec in policy.admissions.values():
            # "was in force at some time and its last day is before d"
            if rec.matter == matter and target in rec.targets and rec.since <= d and not admission_active(rec, d):
                return deny("lapse-after-exit")
        for dl in policy.delegations.values():
            # revoked on or before d (a delegation that merely ran past its `until` is unlisted);
            # villages never receive delegations, so a revoked one means nothing there
            if (dl.matter == matter and target in dl.townships and tk == "township"
                    and dl.revoked is not None and dl.revoked.date <= d):
                return deny("lapse-after-revocation")
        return deny("pushdown-unlisted")
    # 10
    standing = [e for e in entries if has_standing(policy, e, a, target, matter, d)]
    if not standing:
        return deny("pushdown-no-standing")
    # 11
    best = min(standing, key=lambda e: AUTHORITY_ORDER.index(e.kind))
    return RefDecision("allow", None, best.kind, best.record)


def ref_decide(policy: Policy, actor: str, matter: str, target: str, on: dt.date,
               kind: str = "task", role: str = "execute", basis: str | None = None) -> tuple[str, str | None]:
    r = ref_decide_full(policy, actor, matter, target, on, kind, role, basis)
    return r.outcome, r.code


# --------------------------------------------------------------------------- may_exercise
def ref_may_exercise(policy: Policy, unit: str, matter: str, on: dt.date) -> tuple[str, str | None]:
    if unit not in policy.units or matter not in policy.matters:
        return "error", None
    d = on
    if not unit_active(policy, unit, d):
        return "deny", "unit-inactive"
    k = kind(policy, unit)
    if k == "village":
        return "deny", "exercise-village"
    if k == "township":
        # READING: a returned matter is denied even if held or delegated (deny wins)
        if _matching(township_entries(policy, unit, "returned"), matter, d):
            return "deny", "exercise-returned"
        if holds(policy, unit, matter, d):
            return "allow", None
        for dl in policy.delegations.values():
            if dl.matter == matter and unit in dl.townships and delegation_active(dl, d):
                return "allow", None
        return "deny", "exercise-not-held"
    a = attributed(policy, unit)
    if kind(policy, a) == "department" and holds(policy, a, matter, d):
        return "allow", None
    return "deny", "exercise-not-held"
