"""Village lists: per county a template of 12 duties, 14 assisting matters (the first one tagged,
so village-responsible can be injected), 6 negative ones and a few certifications; a tenth of
the villages swap one assisting matter; `v_effective` is what a village ends up with."""

from __future__ import annotations

from .records import VPARTS, County, Village
from .vocabulary import CERT_PURPOSES


class VillageLists:
    """Mixed into `Generator` (generator.py), which holds the state these methods fill."""

    def _assist(self, mid: str, county: County) -> tuple:
        """An assisting entry: (matter, supervising department, category)."""
        dtype, cat = self.v_assist_info[mid]
        return (mid, county.by_type[dtype].id, cat)

    def _may(self, mid: str) -> tuple:
        """A may-certify entry: (matter, basis, purpose)."""
        return (mid, "B-CN-ZMQL", self.rng.choice(CERT_PURPOSES))

    def _village_lists(self, county: County) -> None:
        first = self._village_template(county)
        self._village_changes(county, first)

    def _village_template(self, county: County) -> str:
        """Fill the county's village template; returns its first (tagged) assisting matter."""
        rng = self.rng
        vt = county.vtpl
        vt["duties"] = [(m,) for m in rng.sample(self.v_duties, 12)]
        tagged = [m for m in self.v_assisting if self.matters[m].tags]
        first = rng.choice(tagged)
        rest = rng.sample([m for m in self.v_assisting if m != first], 13)
        vt["assisting"] = [self._assist(m, county) for m in [first, *rest]]
        chosen = set(rng.sample(self.v_negative, 6))  # in the province list's order: the county's derives from it
        vt["negative"] = [(m,) for m in self.v_negative if m in chosen]
        vt["may_certify"] = [self._may(m) for m in rng.sample(self.v_may, 3)]
        vt["must_not_certify"] = [(m,) for m in rng.sample(self.v_must, 5)]
        # the first county always keeps a positive list (with its catch-all), so every tree has one
        county.vtpl_certify_only = rng.random() < 0.3 or county is self.counties[0]
        return first

    def _village_changes(self, county: County, first: str) -> None:
        """A tenth of the villages add a spare assisting matter, most of them dropping one (never `first`)."""
        rng = self.rng
        vt = county.vtpl
        in_tpl = {e[0] for e in vt["assisting"]}
        spare = [m for m in self.v_assisting if m not in in_tpl]
        for t in county.towns:
            for v in t.villages:
                if rng.random() < 0.1:
                    drop = rng.choice(vt["assisting"])[0]
                    if drop != first:
                        v.removes.append(drop)
                    v.own["assisting"].append(self._assist(rng.choice(spare), county))

    def v_effective(self, v: Village) -> dict[str, list]:
        """The village's lists: the county template less its removals, plus its own entries."""
        vt = v.town.county.vtpl
        removed = set(v.removes)
        return {part: [e for e in vt[part] if e[0] not in removed] + v.own[part] for part in VPARTS}
