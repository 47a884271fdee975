"""Departments and their power lists: four departments of each city, a county's core department
types and a draw of the optional ones (ids shaped like unified social credit codes), each holding
every matter of its type, the dispatched offices in the townships, and the county's task force."""

from __future__ import annotations

from .names import credit_code
from .records import County, Dept
from .vocabulary import DEPT_TYPES

#: (department type, name) of the city departments a level-skipping assignment comes from.
CITY_DEPTS = (("scjgj", "市场监督管理局"), ("sthjj", "生态环境局"), ("zrzyj", "自然资源和规划局"), ("zjj", "住房和城乡建设局"))
#: (department type, name) of the offices a department dispatches to each township.
DISPATCHED = (("scjgj", "市场监管所"), ("zrzyj", "自然资源所"), ("sfj", "司法所"))


class Departments:
    """Mixed into `Generator` (generator.py), which holds the state these methods fill."""

    def _city_departments(self) -> None:
        for city in self.cities:
            for i, (_key, tname) in enumerate(CITY_DEPTS):
                did = credit_code("11", city.id + "00", f"0{i + 1:02d}{self.rng.randrange(10**6):06d}")
                city.depts.append((did, f"{city.name}{tname}"))

    def _departments(self, county: County) -> None:
        rng = self.rng
        optional = [t for t in DEPT_TYPES if not t[4]]
        chosen = [t for t in DEPT_TYPES if t[4]] + rng.sample(optional, rng.randint(0, len(optional)))
        org = rng.sample(range(10**5, 10**6), len(chosen) + 4 * len(county.towns) + 4)
        for i, (key, tname, *_rest) in enumerate(chosen):
            did = credit_code("11", county.id, f"0{i + 1:02d}{org[i]:06d}")
            dept = Dept(did, f"{county.name}{tname}", key, county)
            dept.items = list(self.by_dtype[key])
            county.depts.append(dept)
            county.by_type[key] = dept
        self._offices(county, org, len(chosen))
        tf_parent = county.by_type["zjj"]
        county.task_force = (f"ZB{county.id}01", f"{county.name}城乡人居环境提升工作专班", tf_parent.id)

    def _offices(self, county: County, org: list[int], k: int) -> None:
        """The dispatched offices, numbered on from `org[k]`; half the streets have no natural resources office."""
        for t in county.towns:
            place = t.name[:2]
            for key, oname in DISPATCHED:
                if key == "zrzyj" and t.form == "street" and self.rng.random() < 0.5:
                    continue
                oid = credit_code("11", county.id, f"{k % 100:02d}{org[k] % 10**6:06d}D")
                k += 1
                parent = county.by_type[key]
                county.offices.append((oid, f"{parent.name}{place}{oname}", parent.id, t.id))
                t.offices[key] = oid

    def holder(self, county: County, matter: str) -> Dept:
        """The county department whose type the matter belongs to (it holds it on its power list)."""
        return county.by_type[self.matters[matter].dtype]
