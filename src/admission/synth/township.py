"""Township lists: per county a template of the core basic duties and a draw of ≈100 cooperative
and ≈124 returned department matters (each led or taken back by the matter's holder), and per
township a few removals from and additions to it; `effective` is what a township ends up with."""

from __future__ import annotations

from .records import TPARTS, County, Town
from .vocabulary import COOP_TYPES, LEAD_DUTIES, RETURN_METHODS, RETURN_TYPES, TOWNSHIP_DUTIES


class TownshipLists:
    """Mixed into `Generator` (generator.py), which holds the state these methods fill."""

    def _coop(self, matter: str, leads, county: County) -> tuple:
        """A cooperative entry: (matter, leads, lead duties, township duties)."""
        m = self.matters[matter]
        o = m.obj or m.name
        return (matter, tuple(leads), self.rng.choice(LEAD_DUTIES).format(o=o),
                self.rng.choice(TOWNSHIP_DUTIES).format(o=o))

    def _ret(self, matter: str, takers, county: County) -> tuple:
        """A returned entry: (matter, takers, method)."""
        name = county.by_type[self.matters[matter].dtype].name if self.matters[matter].dtype in county.by_type else "县级部门"
        return (matter, tuple(takers), self.rng.choice(RETURN_METHODS).format(d=name))

    def _entry(self, county: County, part: str, matter: str) -> tuple:
        """An entry of `part` owned by the matter's holder."""
        if part == "basic":
            return (matter,)
        if part == "cooperative":
            return self._coop(matter, (self.holder(county, matter).id,), county)
        return self._ret(matter, (self.holder(county, matter).id,), county)

    def _pools(self, county: County) -> dict[str, list[str]]:
        """The county's core matters each part may list without a finding."""
        pools: dict[str, list[str]] = {"basic": [], "cooperative": [], "returned": []}
        for dept in county.depts:
            for mid in self.by_dtype[dept.dtype]:
                m = self.matters[mid]
                if not m.core:
                    continue
                if m.ptype in ("service", "other"):
                    pools["basic"].append(mid)
                if m.ptype in COOP_TYPES and m.plain:
                    pools["cooperative"].append(mid)
                if m.ptype in RETURN_TYPES and (m.ptype != "inspection" or m.specialist):
                    pools["returned"].append(mid)
        return pools

    def _township_lists(self, county: County) -> None:
        pools = self._pools(county)
        taken = self._township_template(county, pools)
        reserve = {part: [m for m in pools[part] if m not in taken] for part in TPARTS}
        for m in taken:
            county.used.add(m)
        for t in county.towns:
            self._town_changes(county, t, reserve)
        county.towns[0].published = 0  # one township per county publishes its returned counts, correctly

    def _township_template(self, county: County, pools: dict[str, list[str]]) -> set[str]:
        """Fill the county template from `pools`, no matter twice; returns the matters it took."""
        rng = self.rng
        taken: set[str] = set()

        def draw(pool: list[str], k: int) -> list[str]:
            out = []
            for mid in rng.sample(pool, min(len(pool), k * 2 + 10)):
                if mid not in taken:
                    taken.add(mid)
                    out.append(mid)
                    if len(out) == k:
                        break
            return out

        extras = draw(pools["basic"], rng.randint(2, 5))
        county.tpl["basic"] = [(m,) for m in self.basic_core] + [(m,) for m in extras]
        county.tpl["cooperative"] = [self._entry(county, "cooperative", m)
                                     for m in draw(pools["cooperative"], rng.randint(95, 103))]
        county.tpl["returned"] = [self._entry(county, "returned", m)
                                  for m in draw(pools["returned"], rng.randint(120, 128))]
        return taken

    def _town_changes(self, county: County, t: Town, reserve: dict[str, list[str]]) -> None:
        """A township's removals from the template (never a core duty) and additions from `reserve`."""
        rng = self.rng
        mine: set[str] = set()
        plan = {"basic": (rng.randint(0, 1), rng.randint(0, 2)), "cooperative": (rng.randint(0, 4), rng.randint(0, 4)),
                "returned": (rng.randint(0, 4), rng.randint(0, 4))}
        for part in TPARTS:
            n_remove, n_add = plan[part]
            removable = [e[0] for e in county.tpl[part] if e[0] not in self._core_set]
            t.removes.extend(rng.sample(removable, min(n_remove, len(removable))))
            for mid in rng.sample(reserve[part], min(len(reserve[part]), n_add * 3 + 3)):
                if n_add == 0:
                    break
                if mid in mine:
                    continue
                mine.add(mid)
                county.used.add(mid)
                n_add -= 1
                t.own[part].append(self._entry(county, part, mid))

    @property
    def _core_set(self) -> frozenset:
        cs = getattr(self, "_core_cache", None)
        if cs is None:
            cs = self._core_cache = frozenset(self.basic_core)
        return cs

    def effective(self, t: Town) -> dict[str, list]:
        """The township's lists: the county template less its removals, plus its own entries."""
        county = t.county
        removed = set(t.removes)
        return {part: [e for e in county.tpl[part] if e[0] not in removed] + t.own[part] for part in TPARTS}
