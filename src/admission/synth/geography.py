"""The places of a tree: one province, its cities of 10–15 counties, counties of 10–20 townships
(streets first), townships of 8–18 villages and communities, with division codes and names."""

from __future__ import annotations

from .records import City, County, Town, Village
from .vocabulary import COMMUNITY_SUFFIX, PLACE_CHARS


class Geography:
    """Mixed into `Generator` (generator.py), which holds the state these methods fill."""

    def _place(self, suffix: str, used: set[str], n: int = 2) -> str:
        """A name of `n` place characters and `suffix`, not in `used` (and added to it)."""
        for _ in range(1000):
            name = "".join(self.rng.sample(PLACE_CHARS, n)) + suffix
            if name not in used:
                used.add(name)
                return name
        raise RuntimeError("ran out of place names")

    def _places(self) -> None:
        """Counties of about 15 townships, cities of about 12.5 counties (the first two are districts)."""
        self.province_name = self._place("省", set())
        self.pabbr = self.province_name[0]
        self.pid = "99"
        n_counties = max(min(2, self.n), round(self.n / 15))
        sizes = self._split(self.n, n_counties, 10, 20)
        n_cities = max(1, round(n_counties / 12.5))
        city_sizes = self._split(n_counties, n_cities, 10, 15)
        city_names: set[str] = set()
        county_names: set[str] = set()
        k = 0
        for ci, csize in enumerate(city_sizes):
            city = City(f"{self.pid}{ci + 1:02d}", self._place("市", city_names))
            self.cities.append(city)
            for cj in range(csize):
                suffix = "区" if cj < 2 else "县"
                county = County(f"{city.id}{cj + 2:02d}", self._place(suffix, county_names), city)
                city.counties.append(county)
                self.counties.append(county)
                self._towns(county, sizes[k])
                k += 1

    def _split(self, total: int, parts: int, lo: int, hi: int) -> list[int]:
        """`total` in `parts` sizes of at least 1, in the proportions of draws between `lo` and `hi`."""
        raw = [self.rng.randint(lo, hi) for _ in range(parts)]
        scale = total / sum(raw)
        sizes = [max(1, round(r * scale)) for r in raw]
        diff = total - sum(sizes)
        i = 0
        while diff:
            j = i % parts
            if diff > 0:
                sizes[j] += 1
                diff -= 1
            elif sizes[j] > 1:
                sizes[j] -= 1
                diff += 1
            i += 1
        return sizes

    def _towns(self, county: County, n: int) -> None:
        rng = self.rng
        used: set[str] = set()
        n_streets = round(n * rng.uniform(0.1, 0.35))
        for i in range(n):
            street = i < n_streets
            code = f"{county.id}{(i + 1) if street else (100 + i):03d}"
            name = self._place("街道" if street else rng.choice(("镇", "镇", "镇", "乡")), used)
            t = Town(code, name, "street" if street else "township", county)
            county.towns.append(t)
            self.towns.append(t)
            self.town_index[t.id] = t
            self._villages(t)

    def _villages(self, t: Town) -> None:
        """A street's villages are all communities, a township's mostly villages."""
        rng = self.rng
        vused: set[str] = set()
        nv = rng.randint(8, 18)
        n_comm = nv if t.form == "street" else round(nv * rng.uniform(0.0, 0.2))
        for j in range(nv):
            comm = j < n_comm
            vcode = f"{t.id}{(j + 1) if comm else (200 + j):03d}"
            vname = self._place(rng.choice(COMMUNITY_SUFFIX) if comm else "村", vused)
            v = Village(vcode, vname, "community" if comm else "village", t)
            t.villages.append(v)
            self.village_index[v.id] = v
