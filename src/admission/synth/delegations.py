"""Delegations and admissions: about a fifth of a county's townships (the pilots) are granted or
entrusted 20–90 plain enforcement matters, each evaluated on schedule, and a
county admits 2–4 service matters to a few townships for a short or a long term."""

from __future__ import annotations

import datetime as dt

from ..evaluate.checks.lapses import add_months  # the evaluation schedule's own arithmetic
from .draws import D, rand_date
from .records import County
from .rules import CHECK_DATE
from .vocabulary import ADMIT_TYPES, DELEGABLE_TYPES


class Delegations:
    """Mixed into `Generator` (generator.py), which holds the state these methods fill."""

    def _evaluation(self, since: dt.date) -> tuple[int, dt.date | None]:
        """(every months, last) not overdue on `CHECK_DATE`; sometimes no last one while the first is not due."""
        rng = self.rng
        every = rng.choice((12, 12, 24, 36))
        if add_months(since, every) > CHECK_DATE + dt.timedelta(days=30) and rng.random() < 0.5:
            return every, None
        lo = max(since, add_months(CHECK_DATE, -every) + dt.timedelta(days=30))
        return every, rand_date(rng, lo, D(2026, 11, 1))

    def _delegations(self, county: County) -> None:
        rng = self.rng
        pool = [m for d in county.depts for m in self.by_dtype[d.dtype]
                if self.matters[m].core and self.matters[m].ptype in DELEGABLE_TYPES and self.matters[m].plain
                and m not in county.used]
        k = max(1, round(0.2 * len(county.towns)))
        pilots = rng.sample(county.towns, min(k, len(county.towns)))
        pilots.sort(key=lambda t: t.id)
        per_matter: dict[str, list[str]] = {}
        for t in pilots:
            for mid in rng.sample(pool, min(len(pool), rng.randint(20, 90))):
                per_matter.setdefault(mid, []).append(t.id)
        for mid in sorted(per_matter):
            county.used.add(mid)
            self._delegation(county, mid, self.holder(county, mid).id, per_matter[mid],
                             mode="grant" if rng.random() < 0.85 else "entrust")

    def _delegation(self, county: County, mid: str, dept: str, towns: list[str], *, mode: str = "grant",
                    basis: str | None = "", since: dt.date | None = None, evaluation=True, revoked=None) -> dict:
        """Record a delegation: the defaults make a valid one, the injections override them."""
        rng = self.rng
        since = since or rand_date(rng, D(2024, 4, 1), D(2026, 6, 30))
        if basis == "":
            basis = self.decision if mode == "grant" else county.entrustment
        ev = self._evaluation(since) if evaluation is True else evaluation
        rec = {"id": f"FQ{county.id}{len(county.delegations) + 1:03d}", "matter": mid, "department": dept,
               "townships": list(towns), "mode": mode, "basis": basis, "since": since,
               "scope": "本乡镇(街道)行政区域" if rng.random() < 0.3 else None, "evaluation": ev, "revoked": revoked}
        county.delegations.append(rec)
        return rec

    def _admissions(self, county: County) -> None:
        rng = self.rng
        pool = [m for d in county.depts for m in self.by_dtype[d.dtype]
                if self.matters[m].core and self.matters[m].ptype in ADMIT_TYPES and m not in county.used]
        for mid in rng.sample(pool, min(len(pool), rng.randint(2, 4))):
            county.used.add(mid)
            targets = sorted(t.id for t in rng.sample(county.towns, min(len(county.towns), rng.randint(1, 4))))
            if rng.random() < 0.5:
                since, until, term = rand_date(rng, D(2026, 2, 1), D(2026, 9, 1)), D(2027, 6, 30), "short"
            else:
                since, until, term = rand_date(rng, D(2025, 6, 1), D(2026, 6, 1)), None, "long"
            self._admission(county, mid, self.holder(county, mid).id, targets, term, since, until)

    def _admission(self, county, mid, applicant, targets, term, since, until) -> dict:
        """Record an admission under the provincial deployment."""
        n = len(county.admissions) + 1
        rec = {"id": f"ZR{county.id}{n:02d}", "matter": mid, "applicant": applicant, "targets": list(targets),
               "term": term, "since": since, "until": until, "basis": self.deployment,
               "document": f"{county.abbr}准〔{since.year}〕{n}号"}
        county.admissions.append(rec)
        return rec
