"""Assignments (下派): after every structural change, the injected pushdowns first (they see the
final lists), then 4–6 clean ones per township, each by an actor with standing on an entry the
target lists: the county government on a core duty, a lead (or its dispatched office or task
force) on a cooperative entry, a delegating department, an admitted matter's applicant, and the
township or a supervisor to its villages.  Nothing clean goes where an injection marked, nor
where a returned item's name is close enough to make pushdown-new-vest fire."""

from __future__ import annotations

import datetime as dt

from .draws import D, rand_date
from .names import char_counts, close_names, normalise
from .records import County, Town
from .rules import CHECK_DATE

#: The kinds of a clean assignment, drawn with these weights.
CLEAN_KINDS = ("task",) * 17 + ("responsibility_letter", "assessment", "office_or_signboard")
#: The steps tried in turn for each township until it has as many assignments as it wants.
CLEAN_STEPS = ("gov", "coop", "grant", "admit", "village", "supervisor", "cert", "coop", "village")


class Assignments:
    """Mixed into `Generator` (generator.py), which holds the state these methods fill."""

    def _asg(self, county: County, by: str, to: str, matter: str, date: dt.date, *, kind: str = "task",
             role: str = "execute", basis: str | None = None, document: str | None = None) -> dict:
        """Record an assignment; ids are numbered across the whole tree."""
        self.seq["asg"] += 1
        rec = {"id": f"PD{county.id}{self.seq['asg']:06d}", "by": by, "to": to, "matter": matter, "date": date,
               "kind": kind, "role": role, "basis": basis, "document": document}
        county.assignments.append(rec)
        return rec

    def _asg_date(self, lo: dt.date = D(2026, 1, 5)) -> dt.date:
        """A date in 2026 before the check, not before `lo` (when a grant or an admission began)."""
        return rand_date(self.rng_asg, max(lo, D(2026, 1, 5)), D(2026, 11, 20))

    def _norm(self, matter: str) -> tuple[str, dict]:
        """A matter's normalised name and its character counts, cached."""
        out = self._norm_cache.get(matter)
        if out is None:
            text = normalise(self.matters[matter].name)
            out = self._norm_cache[matter] = (text, char_counts(text))
        return out

    def _unsafe_with(self, matter: str, returned) -> bool:
        """Whether `matter`'s name is close to the name of one of the `returned` entries."""
        a, ca = self._norm(matter)
        for e in returned:
            b, cb = self._norm(e[0])
            if close_names(a, b, ca=ca, cb=cb):
                return True
        return False

    def _vest_safe(self, t: Town, matter: str) -> bool:
        """Whether assigning `matter` to `t` stays clear of pushdown-new-vest (vs t's returned items)."""
        c = t.county
        key = (c.id, matter)
        tpl_unsafe = self._vest_memo.get(key)
        if tpl_unsafe is None:
            tpl_unsafe = self._vest_memo[key] = self._unsafe_with(matter, c.tpl["returned"])
        if tpl_unsafe:  # maybe only because of a template item this township removed
            return not self._unsafe_with(matter, self.effective(t)["returned"])
        return not self._unsafe_with(matter, t.own["returned"])

    def _pick(self, t: Town, entries, *, vest: bool = True, unit: str | None = None):
        """A random entry not marked for `unit` (default `t`); with `vest`, one safe to assign to `t`."""
        unit = unit or t.id
        cands = [e for e in entries if (unit, e[0]) not in self.taint]
        self.rng_asg.shuffle(cands)
        for e in cands:
            if not vest or self._vest_safe(t, e[0]):
                return e
        return None

    def assignments(self) -> None:
        """The pending injections, then the clean assignments; each county's sorted by id."""
        for rule, fn in self.pending:
            self.manifest.append({"rule": rule, "subject": self._try(rule, fn)})
        grants, admitted = self._live_grants_and_admissions()
        for t in self.towns:
            self._clean_assignments(t, grants.get(t.id, ()), admitted.get(t.id, ()))
        for c in self.counties:
            c.assignments.sort(key=lambda a: a["id"])

    def _live_grants_and_admissions(self) -> tuple[dict[str, list[dict]], dict[str, list[dict]]]:
        """Per township, the unrevoked grants by the matter's holder and the admissions not yet lapsed."""
        grants: dict[str, list[dict]] = {}
        admitted: dict[str, list[dict]] = {}
        for c in self.counties:
            for dl in c.delegations:
                dtype = self.matters[dl["matter"]].dtype
                if dl["revoked"] is None and dtype in c.by_type and dl["department"] == c.by_type[dtype].id:
                    for tid in dl["townships"]:
                        grants.setdefault(tid, []).append(dl)
            for ad in c.admissions:
                if ad["until"] is None or ad["until"] >= CHECK_DATE:
                    for tid in ad["targets"]:
                        admitted.setdefault(tid, []).append(ad)
        return grants, admitted

    def _clean_assignments(self, t: Town, grants, admitted) -> None:
        """4–6 clean assignments to `t` and its villages, fewer where the steps find nothing."""
        eff = self.effective(t)
        want = self.rng_asg.choice((4, 5, 5, 5, 6))
        made = 0
        for step in CLEAN_STEPS:
            if made >= want:
                break
            made += self._clean_one(step, t, t.county, eff, grants, admitted)

    def _clean_one(self, step: str, t: Town, c: County, eff: dict, grants, admitted) -> int:
        """One clean assignment of `step` to `t` or one of its villages; 1 if one was made, else 0."""
        rng = self.rng_asg
        doc = f"{c.abbr}{rng.choice(('政办', '发', '函'))}〔2026〕{rng.randint(1, 199)}号" if rng.random() < 0.4 else None
        if step == "gov":
            return self._clean_gov(t, c, eff, doc)
        if step == "coop":
            return self._clean_coop(t, c, eff, doc)
        if step == "grant" and grants:
            return self._clean_grant(t, c, grants, doc)
        if step == "admit" and admitted:
            return self._clean_admit(t, c, admitted, doc)
        if step in ("village", "supervisor", "cert") and t.villages:
            return self._clean_village(step, t, c, doc)
        return 0

    def _clean_gov(self, t: Town, c: County, eff: dict, doc: str | None) -> int:
        """By the county government, on a core basic duty."""
        e = self._pick(t, [e for e in eff["basic"] if e[0] in self._core_set])
        if e:
            self._asg(c, c.id, t.id, e[0], self._asg_date(), kind=self.rng_asg.choice(CLEAN_KINDS), document=doc)
            return 1
        return 0

    def _clean_coop(self, t: Town, c: County, eff: dict, doc: str | None) -> int:
        """By the lead, or half the time its office in the township, or the task force for housing matters."""
        rng = self.rng_asg
        e = self._pick(t, [e for e in eff["cooperative"] if len(e[1]) == 1])
        if not e:
            return 0
        lead = e[1][0]
        dtype = self.matters[e[0]].dtype
        actor = lead
        if dtype in t.offices and rng.random() < 0.5:
            actor = t.offices[dtype]
        elif dtype == "zjj" and rng.random() < 0.3:
            actor = c.task_force[0]
        self._asg(c, actor, t.id, e[0], self._asg_date(), kind=rng.choice(CLEAN_KINDS),
                  role=rng.choice(("execute", "assist")), document=doc)
        return 1

    def _clean_grant(self, t: Town, c: County, grants, doc: str | None) -> int:
        """By a delegating department, on the granted matter, after the grant began."""
        for dl in self.rng_asg.sample(list(grants), min(len(grants), 6)):
            if (t.id, dl["matter"]) in self.taint or not self._vest_safe(t, dl["matter"]):
                continue
            self._asg(c, dl["department"], t.id, dl["matter"], self._asg_date(dl["since"]), document=doc)
            return 1
        return 0

    def _clean_admit(self, t: Town, c: County, admitted, doc: str | None) -> int:
        """By an admission's applicant, on the admitted matter, after the admission began."""
        ad = self.rng_asg.choice(list(admitted))
        if (t.id, ad["matter"]) not in self.taint and self._vest_safe(t, ad["matter"]):
            self._asg(c, ad["applicant"], t.id, ad["matter"], self._asg_date(ad["since"]), document=doc)
            return 1
        return 0

    def _clean_village(self, step: str, t: Town, c: County, doc: str | None) -> int:
        """To a village: by the township on a duty or assisting matter, by an assisting matter's
        supervisor under the county notice, or a certification it may issue."""
        rng = self.rng_asg
        v = rng.choice(t.villages)
        veff = self.v_effective(v)
        if step == "village":
            part = rng.choice(("duties", "assisting"))
            e = self._pick(t, veff[part], vest=False, unit=v.id)
            if e:
                self._asg(c, t.id, v.id, e[0], self._asg_date(), role=rng.choice(("execute", "assist")))
                return 1
        elif step == "supervisor":
            e = self._pick(t, [e for e in veff["assisting"] if e[1]], vest=False, unit=v.id)
            if e:
                self._asg(c, e[1], v.id, e[0], self._asg_date(D(2025, 1, 10)), basis=c.notice,
                          role="assist", document=doc)
                return 1
        else:
            e = self._pick(t, veff["may_certify"], vest=False, unit=v.id)
            if e:
                self._asg(c, t.id, v.id, e[0], self._asg_date(), kind="certification_request")
                return 1
        return 0
