"""The decision functions: may this actor assign this matter to this unit on this day, and may
this unit exercise this power?  Each answer carries its reasons and the basis behind it.

The steps, their order and the rule ids are those of docs/semantics.md; deny wins and the
default is deny.  "Could not decide" (unknown ids) is an `Outcome.error`, never a denial.
"""

from __future__ import annotations

import datetime as dt
import gc
from dataclasses import dataclass
from enum import Enum

from ..diagnostics import Span
from ..compile.index import (
    ADMISSION, BASIC, COUNTY_HOLDERS, DELEGATION, ENTRY_KIND_LABELS, ENTRY_KIND_NAMES, MAY_CERTIFY, Entry, Index,
    admission_interval,
)
from ..language.enums import LEVEL_RANK, VILLAGE_FORBIDDEN_TAGS, AssignmentKind, AssignmentRole, Level, UnitKind

COUNTY_RANK = LEVEL_RANK[Level.county]
CONSEQUENCE_UNLISTED = "部门担责、乡镇免责：该事项不在清单内，仍由部门负责，基层单位不承担责任"


class Outcome(str, Enum):
    allow = "allow"
    deny = "deny"
    error = "error"


# Reason, Authority and Decision are slotted but not frozen: a frozen dataclass costs a
# setattr call per field, and `decide` builds one explanation per question on its hot path.
# Treat them as immutable.
class Reason:
    """A rule id, its explanation and the entry it rests on.  `decide` gives the explanation as
    a template and the records it names (`later`); the text is formatted on first read, so a
    batch whose explanations nobody reads or serialises never builds them."""

    __slots__ = ("code", "_message", "span", "_later")

    def __init__(self, code: str, message: str | None = None, span: Span | None = None, later: tuple | None = None):
        self.code, self._message, self.span, self._later = code, message, span, later

    @property
    def message(self) -> str:
        text = self._message
        if text is None:  # (template, args): a str.format template, or a function of args
            template, args = self._later
            text = self._message = template.format(*args) if type(template) is str else template(*args)
            self._later = None
        return text

    def __eq__(self, other) -> bool:
        if not isinstance(other, Reason):
            return NotImplemented
        return (self.code, self.message, self.span) == (other.code, other.message, other.span)

    __hash__ = None  # mutable-looking, as the dataclass it replaces

    def __repr__(self) -> str:
        return f"Reason(code={self.code!r}, message={self.message!r}, span={self.span!r})"

    def to_dict(self) -> dict:
        out = {"code": self.code, "message": self.message}
        if self.span:
            out["source"] = str(self.span)
        return out


@dataclass(slots=True)
class Authority:
    """The list entry, delegation or admission that allows an assignment."""

    kind: str  # basic | cooperative | delegation | duty | assisting | may_certify | admission
    label: str
    record_id: str | None
    span: Span | None
    legal_basis: str | None

    def to_dict(self) -> dict:
        return {"kind": self.kind, "label": self.label, "record": self.record_id,
                "source": str(self.span) if self.span else None, "legal_basis": self.legal_basis}


@dataclass(slots=True)
class Decision:
    outcome: Outcome
    actor: str
    matter: str
    target: str
    on: dt.date
    reasons: tuple[Reason, ...]
    authority: Authority | None
    revision: str
    admission_seq: int
    consequence: str | None = None

    @property
    def allowed(self) -> bool:
        return self.outcome is Outcome.allow

    @property
    def code(self) -> str:
        return self.reasons[0].code if self.reasons else "allow"

    def to_dict(self) -> dict:
        return {
            "outcome": self.outcome.value, "allowed": self.allowed,
            "actor": self.actor, "matter": self.matter, "target": self.target, "on": self.on.isoformat(),
            "reasons": [r.to_dict() for r in self.reasons],
            "authority": self.authority.to_dict() if self.authority else None,
            "consequence": self.consequence,
            "revision": self.revision, "admission_seq": self.admission_seq,
        }


def _authority(entry: Entry) -> Authority:
    return Authority(ENTRY_KIND_NAMES[entry.kind], ENTRY_KIND_LABELS[entry.kind], entry.record_id, entry.span,
                     entry.basis)


def unknown_ids(actor: str | None, matter: str | None, target: str | None, units, matters) -> list[str]:
    """`actor:`/`matter:`/`target:` ids of a question missing from `units` / `matters`."""
    missing = []
    if actor is not None and actor not in units:
        missing.append(f"actor:{actor}")
    if matter is not None and matter not in matters:
        missing.append(f"matter:{matter}")
    if target is not None and target not in units:
        missing.append(f"target:{target}")
    return missing


def _burden_index(rules) -> dict:
    """(target kind, assignment kind) → the burden rules that govern it, in policy order."""
    out: dict = {}
    for r in rules:
        for to in r.to:
            for k in r.kinds:
                out.setdefault((UnitKind(to), k), []).append(r)
    return {key: tuple(v) for key, v in out.items()}


class Decider:
    """Answers questions against one `Index`."""

    def __init__(self, index: Index):
        self.index = index
        self.units = index.units
        self.matters = index.policy.matters
        self.bases = index.policy.bases
        self.burden = _burden_index(index.policy.burden_rules.values())

    # ------------------------------------------------------------------ helpers
    def _result(self, outcome, actor, matter, target, on, reasons, authority=None, consequence=None) -> Decision:
        return Decision(outcome, actor, matter, target, on, tuple(reasons), authority,
                        self.index.revision, self.index.admission_seq, consequence)

    def _deny(self, code, message, actor, matter, target, on, span=None, consequence=None) -> Decision:
        """`message` is the text, or (template, args) for `Reason` to format when it is read."""
        v = _denial(code, message, span, consequence)
        return Decision(v[0], actor, matter, target, on, v[1], None, self.index.revision, self.index.admission_seq,
                        consequence)

    def unknown(self, actor: str | None, matter: str | None, target: str | None) -> list[str]:
        """The ids of a question that name nothing in the policy."""
        return unknown_ids(actor, matter, target, self.units, self.matters)

    def _burden(self, rules, ad, kind, basis, on, t) -> tuple | None:
        """The first burden rule in force for this assigning side that the basis does not meet."""
        side = "township" if ad.kind == UnitKind.township else "department"
        b = self.bases.get(basis) if basis else None
        for r in rules:
            if side not in r.by or not r.in_force(on):
                continue
            need = r.min_basis_level
            if b is not None and LEVEL_RANK[b.level] <= LEVEL_RANK[need] and b.in_force(on):
                continue
            have = (f"所附依据 {b.number}（{b.level.label}级{'' if b.in_force(on) else '，当日无效'}）不够"
                    if b is not None else "未附依据")
            return _denial("burden-basis-level",
                           f"{ad.name}向{t.name}{kind.label}，须有{need.label}级以上的依据（{r.name}），{have}", r.span)
        return None

    def _basis_ok(self, basis: str | None, d: dt.date) -> bool:
        b = self.bases.get(basis) if basis else None
        return b is not None and LEVEL_RANK[b.level] <= COUNTY_RANK and b.in_force(d)

    def has_standing(self, entry: Entry, actor_dept: str, target, matter: str, d: int) -> bool:
        if target.kind is _VILLAGE and actor_dept == target.township:
            return True
        standing = entry.standing
        if standing is COUNTY_HOLDERS:
            if entry.kind == BASIC and actor_dept == entry.township_gov:
                return True
            actor = self.units[actor_dept]
            return actor.county == target.county and self.index.holds_on(actor_dept, matter, d)
        return actor_dept in standing

    # ------------------------------------------------------------------ decide
    # An answer is a verdict, (outcome, reasons, authority, consequence), put in a `Decision` with
    # the question's fields.  It is found in three stages, each a function of less than the whole
    # question (what each reads is in its signature): `_gate` (steps
    # 1-4b: who asks whom, on what day and basis), `_listing` (5-9: what the target's lists say of
    # the matter) and `_standing` (10-11: whether the asking department may use the entry).
    def decide(self, actor: str, matter: str, target: str, on: dt.date,
               kind: AssignmentKind = AssignmentKind.task, role: AssignmentRole = AssignmentRole.execute,
               basis: str | None = None) -> Decision:
        v = self._verdict(actor, matter, target, on, kind, role, basis, self._place(matter, target))
        return Decision(v[0], actor, matter, target, on, v[1], v[2], self.index.revision, self.index.admission_seq,
                        v[3])

    def _place(self, matter: str, target: str) -> tuple | None:
        """What an answer reads about its (target, matter) whoever asks: the target, the matter,
        the pair's blocks and entries (None when either id is unknown)."""
        t = self.units.get(target)
        m = self.matters.get(matter)
        if t is None or m is None:
            return None
        key = (target, matter)
        return t, m, self.index.blocks.get(key, ()), self.index.entries.get(key, ())

    def _undecidable(self, actor, matter, target, place) -> tuple | None:
        """The error verdict of a question that names nothing, or asks about a unit that is not a
        township or village."""
        if place is None or actor not in self.units:
            return (Outcome.error, (Reason("unknown-id", "未知标识 unknown id: " + "、".join(
                self.unknown(actor, matter, target))),), None, None)
        t = place[0]
        if t.kind not in _PLACES:
            return (Outcome.error, (Reason("bad-target", f"接收单位 '{t.name}' 是{t.kind.label}，只能问乡镇(街道)或村(社区)"),),
                    None, None)
        return None

    def _verdict(self, actor, matter, target, on, kind, role, basis, place) -> tuple:
        bad = self._undecidable(actor, matter, target, place)
        if bad is not None:
            return bad
        t, m, blocks, entries = place
        d = on.toordinal()
        gate = self._gate(actor, t, on, d, kind, basis)
        if gate is not None:
            return gate
        listing = self._listing(matter, target, on, d, kind, role, t, m, blocks, entries)
        if type(listing) is list:
            return self._standing(self.units[actor].attributed, matter, t, m, d, listing)
        if listing is _ASKER:
            return self._unlisted_for(actor, matter, target, on, d, kind, t, m, basis)
        return listing

    def _gate(self, actor, t, on, d, kind, basis) -> tuple | None:
        """Steps 1-4b, the denial of the first that fails (None when all pass): a function of
        the asker, the target, the day, the kind of work and the basis, whatever the matter."""
        units = self.units
        a = units[actor]
        dept = a.attributed
        ad = units[dept]
        # 1 active units (`Unit.active`, inlined: every question passes here)
        if not (a.since <= d <= a.until and t.since <= d <= t.until):
            who = a if not a.active(d) else t
            return _denial("unit-inactive", ("{0.name} 在 {1} 不是有效单位（已撤并、更名或尚未设立）", (who, on)), who.span)
        # 2 level skipping
        if ad.rank < COUNTY_RANK:
            return _denial("level-skipping", ("{0.name}（{1}级）越过县级直接向{2.name}派任务",
                                              (ad, _level_name(ad.rank), t)))
        # 3 own county only
        if ad.county != t.county:
            return _denial("other-county", ("{0.name} 不属于{1.name}所在的县（区），不能向其派任务", (ad, t)))
        # 4 villages through their township or a county-level unified deployment
        if t.kind is _VILLAGE and dept != t.township and not self._basis_ok(basis, on):
            return _denial("village-bypass",
                           ("工作进村(社区)须经乡镇(街道)或有县级以上统一部署依据，{0.name} 直接向{1.name}派任务", (ad, t)))
        # 4b burden rules: some kinds of work need a basis of at least a level, whoever assigns
        rules = self.burden.get((t.kind, kind)) if self.burden else None
        if rules:
            return self._burden(rules, ad, kind, basis, on, t)
        return None

    def _listing(self, matter, target, on, d, kind, role, t, m, blocks, entries):
        """Steps 5-9: the denial of a list that forbids, else the entries in force that could
        allow (a list, in the order they are tried), else the unlisted denial; `_ASKER` when that
        depends on who asks (a certification the list's catch-all may cover).  A function of the
        target, the matter, the day, the kind of work and the role, whoever asks."""
        cert = kind == _CERT
        # 5-7 lists that forbid
        for block in blocks:
            if not (block.since <= d <= block.until):
                continue
            if block.kind == "returned":
                return _denial("pushdown-returned", (self._returned_text, (block, m, t)), block.span)
            if block.kind == "negative":
                return _denial("pushdown-negative", ("“{0.name}”在{1.name}的负面清单上，不得交由村(社区)承担", (m, t)),
                               block.span)
            if block.kind == "must_not_certify" and cert:
                return _denial("certification-forbidden", ("“{0.name}”属于不应由村(社区)出具的证明事项", (m,)), block.span)
        # 8 villages are never the responsible subject for enforcement and the like
        if t.kind is _VILLAGE and role == _RESPONSIBLE:
            bad = [tag for tag in m.tags if tag in VILLAGE_FORBIDDEN_TAGS]
            if bad:
                return _denial("village-responsible", f"不得把村(社区)列为“{bad[0].label}”类事项“{m.name}”的责任主体")
        # 9 assignable entries
        live = [e for e in entries if e.since <= d <= e.until and (e.kind != MAY_CERTIFY or cert)]
        if live:
            if len(live) > 1:
                live.sort(key=_entry_order)
            return live
        if cert and target in self.index.catch_all:
            return _ASKER
        return self._unlisted(matter, target, on, d, kind, t, m)

    def _standing(self, dept, matter, t, m, d, live) -> tuple:
        """Steps 10-11: the first live entry the asking department has standing for allows."""
        for e in live:
            if self.has_standing(e, dept, t, matter, d):
                return (_ALLOW, (Reason("allowed", None, e.span,
                                        (_ALLOWED, (m, t, ENTRY_KIND_LABELS[e.kind], self.units[dept]))),),
                        _authority(e), None)
        return _denial("pushdown-no-standing", (self._no_standing_text, (self.units[dept], t, m, matter, live, d)),
                       live[0].span)

    def _returned_text(self, block, m, t) -> str:
        taker = "、".join(self.units[x].name if x in self.units else x for x in block.record.taken_by) or "（未写明）"
        return f"“{m.name}”已列入{t.name}的上级部门收回事项清单（承接部门 {taker}），不得再下派"

    def _no_standing_text(self, ad, t, m, matter, live, d) -> str:
        who = sorted({w for e in live for w in self._standing_names(e, t, matter, d)})
        return f"{ad.name} 无权向{t.name}下派“{m.name}”；有权下派的是：{'、'.join(who) or '（无）'}"

    def decide_many(self, questions) -> list[Decision]:
        """Batch form: `questions` are (actor, matter, target, on[, kind, role, basis]) tuples.
        Answers equal `decide`'s one by one.  A batch saves per-call work (the bound methods and
        the index's fields are looked up once), explanations are formatted only when read, and
        the cycle collector waits until the batch is built (the answers hold no cycles, and
        collecting while a list of them grows costs as much as deciding).  Measured and taken
        out: looking each (target, matter) pair's records up once per batch (a dict of them cost
        more than it saved, 12-15 % at 50 and 1,000 townships, as few questions share a pair), and
        finding the gate, the listing or the standing once for the questions that share it."""
        place_of = self._place
        verdict = self._verdict
        revision, seq = self.index.revision, self.index.admission_seq
        task, execute = AssignmentKind.task, AssignmentRole.execute
        out = []
        add = out.append
        collecting = gc.isenabled()
        if collecting:
            gc.disable()
        try:
            for q in questions:
                if len(q) == 4:
                    actor, matter, target, on = q
                    kind, role, basis = task, execute, None
                else:
                    actor, matter, target, on, kind, role, basis = (*q, *_DEFAULTS[len(q) - 4:])
                v = verdict(actor, matter, target, on, kind, role, basis, place_of(matter, target))
                add(Decision(v[0], actor, matter, target, on, v[1], v[2], revision, seq, v[3]))
        finally:
            if collecting:
                gc.enable()
        return out

    def may_exercise_many(self, questions) -> list[Decision]:
        """Batch form of `may_exercise`: (unit, matter, on) tuples."""
        fn = self.may_exercise
        return [fn(*q) for q in questions]

    def _catch_all(self, actor, matter, target, on, t, m, basis) -> tuple | None:
        """A certification outside the listed ones, allowed by the list's catch-all ("其他法律、法规
        规定的证明") when the request cites a basis of a stated kind in force that day, from a
        department of the village's county or its township."""
        b = self.bases.get(basis) if basis else None
        if b is None or not b.in_force(on):
            return None
        dept = self.units[actor].attributed
        if dept != t.township and self.units[dept].county != t.county:
            return None
        for e in self.index.catch_all.get(target, ()):
            if e.in_force(on) and b.kind in e.basis_kinds:
                return (_ALLOW, (Reason(
                    "allowed", f"“{m.name}”不在{t.name}的证明清单上，但属于其兜底条款“{e.name}”：所附依据 {b.number}"
                               f"是{b.kind.label}", e.span),),
                    Authority("may_certify", f"证明兜底条款：{e.name}", None, e.span, b.id), None)
        return None

    def _unlisted_for(self, actor, matter, target, on, d, kind, t, m, basis) -> tuple:
        """Step 9 for a certification the target's catch-all may cover (it depends on the asker)."""
        allowed = self._catch_all(actor, matter, target, on, t, m, basis)
        return allowed if allowed is not None else self._unlisted(matter, target, on, d, kind, t, m)

    def _unlisted(self, matter, target, on, d, kind, t, m) -> tuple:
        """Nothing on the lists allows it: why (a certification outside a positive list, an
        admission or delegation that lapsed, or never listed)."""
        if kind == AssignmentKind.certification_request and target in self.index.certify_only_listed:
            return _denial("certification-unlisted", f"{t.name} 只能出具正面清单内的证明，“{m.name}”不在其中")
        lapsed = self.index.lapsed.get((target, matter), ())
        for rec in lapsed:  # the sub-cases in the documented order: exit first, then revocation
            if hasattr(rec, "applicant"):
                start, end = admission_interval(rec)
                if start <= end < d:  # it was in force once, and no longer is
                    return _denial("lapse-after-exit", f"“{m.name}”对{t.name}的准入已于 {dt.date.fromordinal(end)} 期满或退出",
                                   rec.span)
        for rec in lapsed:
            if not hasattr(rec, "applicant") and rec.revoked is not None and d >= rec.revoked.date.toordinal():
                return _denial("lapse-after-revocation", f"“{m.name}”对{t.name}的赋权已于 {rec.revoked.date} 收回", rec.span)
        return _denial("pushdown-unlisted", ("“{0.name}”不在{1.name}的清单内，也未赋权或准入", (m, t)),
                       consequence=CONSEQUENCE_UNLISTED)

    def _standing_names(self, e: Entry, t, matter: str, d: int) -> list[str]:
        if e.standing is COUNTY_HOLDERS:
            names = [self.units[x].name for x in self.index.county_holders(t.county, matter, d)]
            return names or ["本县持有该职权的部门"]
        return [self.units[x].name if x in self.units else x for x in e.standing]

    # ------------------------------------------------------------------ may_exercise
    def may_exercise(self, unit: str, matter: str, on: dt.date) -> Decision:
        missing = self.unknown(unit, matter, None)
        if missing:
            return self._result(Outcome.error, unit, matter, unit, on, [Reason(
                "unknown-id", "未知标识 unknown id: " + "、".join(missing))])
        d = on.toordinal()
        u = self.units[unit]
        m = self.matters[matter]
        if not u.active(d):
            return self._deny("unit-inactive", f"{u.name} 在 {on} 不是有效单位", unit, matter, unit, on, u.span)
        if u.kind == UnitKind.village:
            return self._deny("exercise-village", f"村(社区)是群众自治组织，不能行使“{m.name}”等行政职权",
                              unit, matter, unit, on)
        if u.kind == UnitKind.township:
            for block in self.index.blocks.get((unit, matter), ()):
                if block.kind == "returned" and block.since <= d <= block.until:
                    return self._deny("exercise-returned", f"“{m.name}”已由上级部门收回，{u.name} 不能行使",
                                      unit, matter, unit, on, block.span)
            for since, until in self.index.statutory.get((unit, matter), ()):
                if since <= d <= until:
                    return self._result(Outcome.allow, unit, matter, unit, on, [Reason(
                        "statutory", f"“{m.name}”是{u.name}的法定职权")])
            for e in self.index.entries.get((unit, matter), ()):
                if e.kind == DELEGATION and e.since <= d <= e.until:
                    dl = e.record
                    how = "以乡镇自己的名义行使（赋权）" if dl.mode.value == "grant" else f"以{self.units[dl.department].name}的名义行使，部门承担法律责任（委托）"
                    return self._result(Outcome.allow, unit, matter, unit, on, [Reason(
                        "delegated", f"“{m.name}”已交由{u.name}，{how}", dl.span)], authority=_authority(e))
            lapse = self._delegation_not_in_force(unit, matter, d)
            if lapse is not None:  # built only when denying: the allowed path above stays as fast
                why, span = lapse
                return self._deny("exercise-not-held", f"{u.name} 没有“{m.name}”的职权：{why}",
                                  unit, matter, unit, on, span)
            return self._deny("exercise-not-held", f"{u.name} 没有“{m.name}”的职权：既非法定，也未赋权或委托",
                              unit, matter, unit, on)
        dept = u.attributed
        if self.index.holds_on(dept, matter, d):
            return self._result(Outcome.allow, unit, matter, unit, on, [Reason(
                "held", f"“{m.name}”在{self.units[dept].name}的权责清单内")])
        return self._deny("exercise-not-held", f"{self.units[dept].name} 的权责清单中没有“{m.name}”（{on}）",
                          unit, matter, unit, on)


    def _delegation_not_in_force(self, unit: str, matter: str, d: int) -> tuple[str, Span | None] | None:
        """Why a delegation of `matter` to township `unit` does not authorize on day `d`: revoked
        (the latest revocation on or before `d` first), else expired, else not yet in force."""
        revoked, expired, pending = [], [], []
        for e in self.index.entries.get((unit, matter), ()):
            if e.kind != DELEGATION:
                continue
            dl = e.record
            if dl.revoked is not None and dl.revoked.date.toordinal() <= d:
                revoked.append(dl)
            elif dl.until is not None and dl.until.toordinal() < d:
                expired.append(dl)
            elif dl.since is not None and d < dl.since.toordinal():
                pending.append(dl)
        if revoked:
            dl = max(revoked, key=lambda x: (x.revoked.date, x.id))
            return f"{dl.mode.label} {dl.id} 已于 {dl.revoked.date} 收回", dl.span
        if expired:
            dl = max(expired, key=lambda x: (x.until, x.id))
            return f"{dl.mode.label} {dl.id} 已于 {dl.until} 期满", dl.span
        if pending:
            dl = min(pending, key=lambda x: (x.since, x.id))
            return f"{dl.mode.label} {dl.id} 自 {dl.since} 起才生效", dl.span
        return None


_ALLOWED = "“{0.name}”是{1.name}的{2}，{3.name} 有权下派"
_ALLOW, _DENY = Outcome.allow, Outcome.deny
_ASKER = object()  # a listing whose answer depends on who asks (`_listing`)
_PLACES = frozenset((UnitKind.township, UnitKind.village))
_VILLAGE, _CERT, _RESPONSIBLE = UnitKind.village, AssignmentKind.certification_request, AssignmentRole.responsible
_DEFAULTS = (AssignmentKind.task, AssignmentRole.execute, None)


def _entry_order(e: Entry) -> int:
    return e.kind


def _level_name(rank: int) -> str:
    for level, r in LEVEL_RANK.items():
        if r == rank:
            return level.label
    return "?"


def _denial(code: str, message, span: Span | None = None, consequence: str | None = None) -> tuple:
    """A deny verdict; `message` is the text, or (template, args) for `Reason` to format when read."""
    reason = Reason(code, None, span, message) if type(message) is tuple else Reason(code, message, span)
    return (_DENY, (reason,), None, consequence)
