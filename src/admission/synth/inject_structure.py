"""Injections that change the structure of a tree (run as they come, before any assignment): in
the township and village lists, a matter on two parts of one list or with two owners, an entry
whose owner is missing, outside the county or without the power, a core duty left off; in the
delegations, a power granted by a department that does not hold it or by another county's, on
the wrong basis, a major penalty or a specialist inspection, to a village, entrusted onward by a
township, an evaluation overdue or missing; and a township list on another county's template."""

from __future__ import annotations

from .draws import D, rand_date
from .vocabulary import COOP_TYPES, DELEGABLE_TYPES, RETURN_TYPES


class StructuralInjections:
    """Mixed into `Generator` (generator.py); `_inj_<rule>` methods, see inject.py."""

    # ----- overlap
    def _inj_overlap_basic_cooperative(self, t):
        x = self._free(t, COOP_TYPES)
        if x is None:
            return None
        c = t.county
        t.own["basic"].append((x,))
        t.own["cooperative"].append(self._coop(x, (self.holder(c, x).id,), c))
        self._mark(t.id, x)
        return f"{t.id}/{x}"

    def _inj_overlap_basic_returned(self, t):
        x = self._free(t, COOP_TYPES)
        if x is None:
            return None
        c = t.county
        t.own["basic"].append((x,))
        t.own["returned"].append(self._ret(x, (self.holder(c, x).id,), c))
        self._mark(t.id, x)
        return f"{t.id}/{x}"

    def _inj_overlap_cooperative_returned(self, t):
        x = self._free(t, COOP_TYPES)
        if x is None:
            return None
        c = t.county
        t.own["cooperative"].append(self._coop(x, (self.holder(c, x).id,), c))
        t.own["returned"].append(self._ret(x, (self.holder(c, x).id,), c))
        self._mark(t.id, x)
        return f"{t.id}/{x}"

    def _inj_overlap_returned_two_departments(self, t):
        x = self._free(t, RETURN_TYPES - {"inspection"})
        if x is None:
            return None
        c = t.county
        d2 = self._second_holder(c, x)
        t.own["returned"].append(self._ret(x, (self.holder(c, x).id, d2.id), c))
        self._mark(t.id, x)
        return f"{t.id}/{x}"

    def _inj_overlap_two_leads(self, t):
        x = self._free(t, COOP_TYPES)
        if x is None:
            return None
        c = t.county
        d2 = self._second_holder(c, x)
        t.own["cooperative"].append(self._coop(x, (self.holder(c, x).id, d2.id), c))
        self._mark(t.id, x)
        return f"{t.id}/{x}"

    def _inj_overlap_grant_returned(self, t):
        x = self._free(t, DELEGABLE_TYPES)
        if x is None:
            return None
        c = t.county
        t.own["returned"].append(self._ret(x, (self.holder(c, x).id,), c))
        self._grant(t, x)
        self._mark(t.id, x)
        return f"{t.id}/{x}"

    def _inj_overlap_grant_cooperative(self, t):
        x = self._free(t, DELEGABLE_TYPES & COOP_TYPES)
        if x is None:
            return None
        c = t.county
        t.own["cooperative"].append(self._coop(x, (self.holder(c, x).id,), c))
        self._grant(t, x)
        self._mark(t.id, x)
        return f"{t.id}/{x}"

    def _inj_overlap_grant_exercised(self, t):
        x = self._free(t, DELEGABLE_TYPES)
        if x is None:
            return None
        c = t.county
        self._grant(t, x)
        self.holder(c, x).retained.setdefault(x, []).append(t.id)
        self._mark(t.id, x)
        return f"{t.id}/{x}"

    def _inj_overlap_negative_assisting(self, t):
        for v in self.rng_inj.sample(t.villages, len(t.villages)):
            eff = self.v_effective(v)
            if v.own["negative"] or any((v.id, e[0]) in self.taint for e in eff["negative"]):
                continue
            n = self.rng_inj.choice(eff["negative"])[0]
            dept = self._other_dept(t.county, "")
            v.own["assisting"].append((n, dept.id, "其他"))
            self._mark(v.id, n)
            return f"{v.id}/{n}"
        return None

    def _inj_village_list_responsible(self, t):
        """A village puts itself down as responsible for a tagged matter it only assists with."""
        for v in self.rng_inj.sample(t.villages, len(t.villages)):
            for e in self.v_effective(v)["assisting"]:
                if not self.matters[e[0]].tags or (v.id, e[0]) in self.taint:
                    continue
                own = v.own["assisting"]
                if e in own:
                    own[own.index(e)] = (*e[:3], "responsible")
                else:  # the template's entry: the village takes it off and writes its own
                    v.removes.append(e[0])
                    own.append((*e[:3], "responsible"))
                self._mark(v.id, e[0])
                return f"{v.id}/{e[0]}"
        return None

    # ----- missing owner
    def _inj_missing_lead(self, t):
        x = self._free(t, COOP_TYPES)
        if x is None:
            return None
        t.own["cooperative"].append(self._coop(x, (), t.county))
        self._mark(t.id, x)
        return f"{t.id}/{x}"

    def _inj_lead_outside_county(self, t):
        other = self._other_county(t.county)
        if other is None:
            return None
        x = self._free(t, COOP_TYPES)
        if x is None:
            return None
        t.own["cooperative"].append(self._coop(x, (self.holder(other, x).id,), t.county))
        self._mark(t.id, x)
        return f"{t.id}/{x}"

    def _inj_lead_without_power(self, t):
        x = self._free(t, COOP_TYPES)
        if x is None:
            return None
        d2 = self._other_dept(t.county, self.matters[x].dtype)
        t.own["cooperative"].append(self._coop(x, (d2.id,), t.county))
        self._mark(t.id, x)
        return f"{t.id}/{x}"

    def _inj_missing_taker(self, t):
        x = self._free(t, RETURN_TYPES - {"inspection"})
        if x is None:
            return None
        t.own["returned"].append(self._ret(x, (), t.county))
        self._mark(t.id, x)
        return f"{t.id}/{x}"

    def _inj_taker_without_power(self, t):
        x = self._free(t, RETURN_TYPES - {"inspection"})
        if x is None:
            return None
        d2 = self._other_dept(t.county, self.matters[x].dtype)
        t.own["returned"].append(self._ret(x, (d2.id,), t.county))
        self._mark(t.id, x)
        return f"{t.id}/{x}"

    def _inj_missing_owner(self, t):
        cands = [b for b in self.basic_core if (t.id, b) not in self.taint]
        if not cands:
            return None
        b = self.rng_inj.choice(cands)
        if any(e[0] == b for e in t.own["basic"]):
            t.own["basic"] = [e for e in t.own["basic"] if e[0] != b]
        else:
            t.removes.append(b)
        self._mark(t.id, b)
        return f"{t.id}/{b}"

    # ----- delegations
    def _inj_delegation_not_held(self, t):
        x = self._free(t, DELEGABLE_TYPES)
        if x is None:
            return None
        d2 = self._other_dept(t.county, self.matters[x].dtype)
        self._mark(t.id, x)
        return self._grant(t, x, dept=d2.id)["id"]

    def _inj_delegation_other_county(self, t):
        other = self._other_county(t.county)
        if other is None:
            return None
        x = self._free(t, DELEGABLE_TYPES)
        if x is None:
            return None
        self._mark(t.id, x)
        return self._grant(t, x, dept=self.holder(other, x).id)["id"]

    def _inj_delegation_grant_basis(self, t):
        x = self._free(t, {"penalty"})
        if x is None:
            return None
        self._mark(t.id, x)
        return self._grant(t, x, basis=t.county.notice)["id"]

    def _inj_delegation_entrust_basis(self, t):
        x = self._free(t, DELEGABLE_TYPES)
        if x is None:
            return None
        self._mark(t.id, x)
        return self._grant(t, x, mode="entrust", basis=self.decision)["id"]

    def _inj_delegation_major_penalty(self, t):
        x = self._free(t, {"penalty"}, plain=None, major=True, specialist=False)
        if x is None:
            return None
        self._mark(t.id, x)
        return self._grant(t, x)["id"]

    def _inj_delegation_specialist(self, t):
        x = self._free(t, {"inspection"}, plain=None, major=False, specialist=True)
        if x is None:
            return None
        self._mark(t.id, x)
        return self._grant(t, x)["id"]

    def _inj_delegation_to_village(self, t):
        x = self._free(t, DELEGABLE_TYPES)
        if x is None:
            return None
        v = self.rng_inj.choice(t.villages)
        self._mark(v.id, x)
        return self._grant(t, x, towns=[v.id])["id"]

    def _inj_entrust_onward(self, t):
        x = self._free(t, DELEGABLE_TYPES)
        if x is None:
            return None
        others = [o for o in t.county.towns if o is not t]
        giver = self.rng_inj.choice(others) if others else t
        self._mark(t.id, x)
        return self._grant(t, x, dept=giver.id, mode="entrust")["id"]

    def _inj_evaluation_overdue(self, t):
        x = self._free(t, DELEGABLE_TYPES)
        if x is None:
            return None
        self._mark(t.id, x)
        last = rand_date(self.rng_inj, D(2024, 6, 1), D(2025, 10, 31))
        return self._grant(t, x, since=D(2024, 5, 1), evaluation=(12, last))["id"]

    def _inj_evaluation_missing(self, t):
        x = self._free(t, DELEGABLE_TYPES)
        if x is None:
            return None
        self._mark(t.id, x)
        return self._grant(t, x, evaluation=None)["id"]

    # ----- templates

    def _inj_template_other_county(self, t):
        if t.other_tpl is not None:
            return None
        other = self._other_county(t.county)
        if other is None:
            return None
        tid = f"TPL-{other.id}-JB"
        if not any(x[0] == tid for x in other.extra_templates):
            other.extra_templates.append((tid, f"{other.name}乡镇(街道)基本履职事项清单（共性部分）", list(self.basic_core)))
        t.other_tpl = tid
        return t.id

    # ----- published counts
    def _inj_published_count_mismatch(self, t):
        """The township publishes one returned item more than its list has."""
        if t.other_tpl is not None or t.published:
            return None
        t.published = 1
        return f"{t.id}/returned"

