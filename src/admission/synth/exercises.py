"""Exercise records (职权行使记录): the penalties decided and inspections carried out by townships
under a delegation in force, as a county's enforcement ledger records them, and the injection of
`exercise-without-power` (an exercise after the grant was revoked).  Clean records draw from their
own random stream, so that adding them changes no other part of a tree."""

from __future__ import annotations

import datetime as dt
import random

from .draws import D, rand_date
from .records import County, Town
from .rules import CHECK_DATE
from .vocabulary import DELEGABLE_TYPES
from .yaml_lines import q, qid

#: the share of townships holding a live grant that record one exercise of it
SHARE = 0.5
#: the kind of act recorded, by the matter's power type (other types: no kind)
KIND_OF = {"penalty": "penalty", "inspection": "inspection", "coercion": "enforcement_measure", "license": "license"}


class Exercises:
    """Mixed into `Generator` (generator.py), which holds the state these methods fill."""

    def _exr(self, county: County, unit: str, matter: str, date: dt.date) -> dict:
        """Record an exercise, its kind after the matter's power type; ids are numbered across the tree."""
        kind = KIND_OF.get(self.matters[matter].ptype)
        self.seq["exr"] = self.seq.get("exr", 0) + 1
        n = self.seq["exr"]
        rec = {"id": f"XS{county.id}{n:06d}", "unit": unit, "matter": matter, "date": date, "kind": kind,
               "document": f"{county.abbr}综执罚决字〔{date.year}〕第{n}号" if kind == "penalty" else None}
        county.exercises.append(rec)
        return rec

    def exercises(self) -> None:
        """Clean exercises: for about half the townships with a live grant, one act under it, on a
        day between the grant's start and the check date; each county's sorted by id."""
        rng = random.Random(f"{self.seed}/exercise")
        grants, _ = self._live_grants_and_admissions()
        for t in self.towns:
            mine = [dl for dl in grants.get(t.id, ()) if (t.id, dl["matter"]) not in self.taint]
            if not mine or t.other_tpl is not None or rng.random() >= SHARE:
                continue
            returned = {e[0] for e in self.effective(t)["returned"]}
            dl = rng.choice(mine)
            if dl["matter"] in returned:
                continue
            lo = max(dl["since"], D(2025, 1, 1))
            self._exr(t.county, t.id, dl["matter"], rand_date(rng, lo, CHECK_DATE - dt.timedelta(days=3)))
        for c in self.counties:
            c.exercises.sort(key=lambda x: x["id"])

    def _inj_exercise_without_power(self, t: Town):
        """A grant revoked on 2026-01-15, and the township still deciding a penalty under it after."""
        x = self._free(t, DELEGABLE_TYPES, vest_safe=True)
        if x is None:
            return None
        self._grant(t, x, since=D(2024, 9, 1), revoked=(D(2026, 1, 15), "评估后收回，由原部门行使"))
        self._mark(t.id, x)
        return self._exr(t.county, t.id, x, rand_date(self.rng_inj, D(2026, 2, 1), D(2026, 11, 20)))["id"]


def exercise_line(x: dict) -> str:
    """An exercise record, its kind and document only where present."""
    p = [f"id: {x['id']}", f"unit: {qid(x['unit'])}", f"matter: {q(x['matter'])}", f"date: {x['date'].isoformat()}"]
    if x["kind"]:
        p.append(f"kind: {x['kind']}")
    if x["document"]:
        p.append(f"document: {q(x['document'])}")
    return "  - {" + ", ".join(p) + "}\n"
