"""Injections through assignments (run after every structural change, see assignments.py): a
pushdown of an unlisted, returned, negative or new-vest matter or by an actor without standing,
a village made responsible, asked for a certification it must not issue or that is not on its
list, a level skipped, another county's or a village-bypassing actor, an inactive unit, and a
pushdown after an admission ended or a grant was revoked."""

from __future__ import annotations

from .draws import D
from .names import credit_code, normalise
from .records import VPARTS, Matter, Town
from .vocabulary import ADMIT_TYPES, DELEGABLE_TYPES


class PushdownInjections:
    """Mixed into `Generator` (generator.py); `_inj_<rule>` methods, see inject.py."""

    def _inj_pushdown_unlisted(self, t):
        x = self._free(t, None, plain=None, vest_safe=True)
        if x is None:
            return None
        self._mark(t.id, x)
        return self._asg(t.county, self.holder(t.county, x).id, t.id, x, self._asg_date())["id"]

    def _inj_pushdown_no_standing(self, t):
        e = self._pick(t, self.effective(t)["cooperative"])
        if e is None:
            return None
        actor = self._other_dept(t.county, self.matters[e[0]].dtype)
        self._mark(t.id, e[0])
        return self._asg(t.county, actor.id, t.id, e[0], self._asg_date())["id"]

    def _inj_pushdown_returned(self, t):
        e = self._pick(t, [e for e in self.effective(t)["returned"] if e[1]], vest=False)
        if e is None:
            return None
        self._mark(t.id, e[0])
        return self._asg(t.county, e[1][0], t.id, e[0], self._asg_date(), kind="responsibility_letter")["id"]

    def _village_entry(self, t: Town, part: str, pred=None):
        """A village of `t` and an unmarked entry of its `part` (one `pred` accepts), now marked;
        (None, None) when no village has one."""
        for v in self.rng_inj.sample(t.villages, len(t.villages)):
            eff = self.v_effective(v)
            cands = [e for e in eff[part] if (v.id, e[0]) not in self.taint and (pred is None or pred(e))]
            if cands:
                e = self.rng_inj.choice(cands)
                self._mark(v.id, e[0])
                return v, e
        return None, None

    def _inj_pushdown_negative(self, t):
        v, e = self._village_entry(t, "negative")
        if v is None:
            return None
        return self._asg(t.county, t.id, v.id, e[0], self._asg_date())["id"]

    def _inj_village_responsible(self, t):
        v, e = self._village_entry(t, "assisting", lambda e: bool(self.matters[e[0]].tags))
        if v is None:
            return None
        return self._asg(t.county, t.id, v.id, e[0], self._asg_date(), role="responsible")["id"]

    def _inj_certification_forbidden(self, t):
        v, e = self._village_entry(t, "must_not_certify")
        if v is None:
            return None
        return self._asg(t.county, t.id, v.id, e[0], self._asg_date(), kind="certification_request")["id"]

    def _inj_certification_unlisted(self, t):
        for v in self.rng_inj.sample(t.villages, len(t.villages)):
            eff = self.v_effective(v)
            on_lists = {e[0] for part in VPARTS for e in eff[part]}
            cands = [m for m in self.v_may + self.v_must if m not in on_lists and (v.id, m) not in self.taint]
            if not cands:
                continue
            m = self.rng_inj.choice(cands)
            v.certify_only = True
            self._mark(v.id, m)
            return self._asg(t.county, t.id, v.id, m, self._asg_date(), kind="certification_request")["id"]
        return None

    def _inj_level_skipping(self, t):
        e = self._pick(t, [e for e in self.effective(t)["basic"] if e[0] in self._core_set])
        if e is None:
            return None
        self._mark(t.id, e[0])
        city_dept = self.rng_inj.choice(t.county.city.depts)[0]
        return self._asg(t.county, city_dept, t.id, e[0], self._asg_date())["id"]

    def _inj_other_county(self, t):
        other = self._other_county(t.county)
        if other is None:
            return None
        e = self._pick(t, [e for e in self.effective(t)["cooperative"] if len(e[1]) == 1])
        if e is None:
            return None
        self._mark(t.id, e[0])
        return self._asg(t.county, self.holder(other, e[0]).id, t.id, e[0], self._asg_date())["id"]

    def _inj_village_bypass(self, t):
        v, e = self._village_entry(t, "duties")
        if v is None:
            return None
        actor = self._other_dept(t.county, "")
        return self._asg(t.county, actor.id, v.id, e[0], self._asg_date())["id"]

    def _inj_burden_basis_level(self, t):
        """The township asks one of its villages for forms with no county deployment."""
        v, e = self._village_entry(t, "assisting")
        if v is None:
            return None
        return self._asg(t.county, t.id, v.id, e[0], self._asg_date(), kind="forms_request")["id"]

    def _inj_basis_undated(self, t):
        """A county cites a law article without its date, and a township's lawful assignment to one
        of its villages relies on it."""
        c = t.county
        if c.undated is not None:
            return None
        v, e = self._village_entry(t, "assisting")
        if v is None:
            return None
        c.undated = f"B-{c.id}-CWH"
        asg = self._asg(c, t.id, v.id, e[0], self._asg_date(), basis=c.undated)
        return f"{c.undated}/{asg['id']}"

    def _inj_unit_inactive(self, t):
        c = t.county
        e = self._pick(t, [e for e in self.effective(t)["basic"] if e[0] in self._core_set])
        if e is None:
            return None
        if c.inactive is None:
            did = credit_code("11", c.id, f"099{self.rng_inj.randrange(10**6):06d}")
            c.inactive = (did, f"{c.name}城市管理局（已并入综合行政执法局）", D(2025, 6, 30))
        self._mark(t.id, e[0])
        return self._asg(c, c.inactive[0], t.id, e[0], self._asg_date())["id"]

    def _inj_lapse_after_exit(self, t):
        x = self._free(t, ADMIT_TYPES, vest_safe=True)
        if x is None:
            return None
        c = t.county
        dept = self.holder(c, x).id
        self._admission(c, x, dept, [t.id], "short", D(2025, 3, 1), D(2025, 12, 31))
        self._mark(t.id, x)
        return self._asg(c, dept, t.id, x, self._asg_date())["id"]

    def _inj_lapse_after_revocation(self, t):
        x = self._free(t, DELEGABLE_TYPES, vest_safe=True)
        if x is None:
            return None
        c = t.county
        revoked = (D(2026, 1, 15), "承接乡镇长期未行使，评估后收回")
        self._grant(t, x, since=D(2024, 9, 1), revoked=revoked)
        self._mark(t.id, x)
        return self._asg(c, self.holder(c, x).id, t.id, x, self._asg_date(D(2026, 2, 1)))["id"]

    def _inj_pushdown_new_vest(self, t):
        e = self._pick(t, [e for e in self.effective(t)["returned"] if e[1]], vest=False)
        if e is None:
            return None
        c = t.county
        r = self.matters[e[0]]
        name = r.name + "工作" if len(normalise(r.name)) >= 8 else r.name[:2] + " " + r.name[2:]
        if normalise(name) in self.names:
            return None
        mid = f"{r.id}-{len(c.matters) + 1}"
        m = Matter(mid, name, r.domain, "other", levels=("county",), dtype=r.dtype, obj=r.obj, core=False,
                    kind="injected")
        self.names.add(normalise(name))
        self.matters[mid] = m
        c.matters.append(m)
        dept = self.holder(c, r.id)
        dept.items.append(mid)
        t.own["cooperative"].append(self._coop(mid, (dept.id,), c))
        self._mark(t.id, e[0])
        self._mark(t.id, mid)
        return self._asg(c, dept.id, t.id, mid, self._asg_date())["id"]
