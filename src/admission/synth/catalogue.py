"""The matter catalogue and the legal bases: the core township duties, a few thousand department
matters drawn from each department type's objects and the matter name templates, the village
matters (duties, assisting, negative, certifications), and the national and provincial bases."""

from __future__ import annotations

from .draws import D
from .names import normalise
from .records import Matter
from .vocabulary import (BASIC_CORE, DEPT_TYPES, MATTER_TEMPLATES, PT_CODE, VILLAGE_ASSISTING, VILLAGE_DUTIES,
                         VILLAGE_MAY_CERTIFY, VILLAGE_MUST_NOT, VILLAGE_NEGATIVE)

#: The power types whose matters cite their department type's national law.
BASIS_TYPES = ("penalty", "license", "inspection", "coercion")


class Catalogue:
    """Mixed into `Generator` (generator.py), which holds the state these methods fill."""

    def _add_matter(self, m: Matter) -> Matter:
        """Catalogue `m`; names are unique after normalising, as the loader requires."""
        key = normalise(m.name)
        if key in self.names:
            raise ValueError(f"duplicate matter name {m.name}")
        self.names.add(key)
        self.matters[m.id] = m
        return m

    def _catalogue(self) -> None:
        self._basic_matters()
        self.by_dtype: dict[str, list[str]] = {}
        for ti, dept_type in enumerate(DEPT_TYPES, 1):
            self.by_dtype[dept_type[0]] = self._department_matters(ti, dept_type)
        self._village_matters()

    def _basic_matters(self) -> None:
        for di, (domain, names) in enumerate(BASIC_CORE, 1):
            for i, name in enumerate(names.split(), 1):
                self._add_matter(Matter(f"JB{di}{i:02d}", name, domain, "other", levels=("township",),
                                        kind="basic", core=True))
        self.basic_core = [m.id for m in self.matters.values() if m.kind == "basic"]

    def _department_matters(self, ti: int, dept_type: tuple) -> list[str]:
        """The matters of department type number `ti`: each template drawn per object with its probability."""
        key, _n, short, domain, core, objects, law, _lk = dept_type
        ids = []
        seq: dict[str, int] = {}
        for obj in objects.split():
            for p, tpl, ptype, flag in MATTER_TEMPLATES:
                if p < 1.0 and self.rng.random() >= p:
                    continue
                name = tpl.format(o=obj)
                if normalise(name) in self.names:
                    name = f"{short}领域{name}"
                seq[ptype] = seq.get(ptype, 0) + 1
                mid = f"{PT_CODE[ptype]}{ti:02d}{seq[ptype]:03d}"
                basis = f"B-CN-{key.upper()}" if law and ptype in BASIS_TYPES else None
                self._add_matter(Matter(
                    mid, name, domain, ptype, basis=basis, levels=("county", "township") if core else ("county",),
                    major=flag == "major", specialist=flag == "specialist", tags=matter_tags(key, obj, ptype),
                    dtype=key, obj=obj, core=core))
                ids.append(mid)
        return ids

    def _village_matters(self) -> None:
        self.v_duties = [self._add_matter(Matter(f"VY{i:02d}", n, "村(社区)自治", "other", basis="B-CN-CWH",
                                                 levels=("village",), kind="vduty")).id
                         for i, n in enumerate(VILLAGE_DUTIES, 1)]
        self.v_assisting = []
        self.v_assist_info: dict[str, tuple[str, str]] = {}
        for i, (n, dtype, cat, tags) in enumerate(VILLAGE_ASSISTING, 1):
            m = self._add_matter(Matter(f"VX{i:02d}", n, cat, "service", levels=("village",), tags=tags,
                                        kind="vassist", dtype=dtype))
            self.v_assisting.append(m.id)
            self.v_assist_info[m.id] = (dtype, cat)
        self.v_negative = [self._add_matter(Matter(f"VF{i:02d}", n, "基层减负", "other", levels=("county",), tags=tags,
                                                   kind="vneg")).id for i, (n, tags) in enumerate(VILLAGE_NEGATIVE, 1)]
        self.v_may = [self._add_matter(Matter(f"VZ{i:02d}", n, "证明事项", "certification", basis="B-CN-ZMQL",
                                              levels=("village",), kind="vmay")).id
                      for i, n in enumerate(VILLAGE_MAY_CERTIFY, 1)]
        self.v_must = [self._add_matter(Matter(f"VB{i:02d}", n, "证明事项", "certification", levels=("village",),
                                               kind="vmust")).id for i, n in enumerate(VILLAGE_MUST_NOT, 1)]

    def _bases(self) -> None:
        """Each department type's national law, then the fixed central and provincial documents."""
        p, a = self.province_name, self.pabbr
        self.bases += [national_basis(i, t) for i, t in enumerate(DEPT_TYPES) if t[6]]
        self.bases += [
            {"id": "B-CN-CWH", "number": "主席令第37号", "title": "中华人民共和国村民委员会组织法",
             "issuer": "全国人民代表大会常务委员会", "level": "central", "kind": "law", "issued": D(2018, 12, 29)},
            {"id": "B-CN-ZMQL", "number": "国办发〔2018〕47号", "title": "国务院办公厅关于做好证明事项清理工作的通知",
             "issuer": "国务院办公厅", "level": "central", "kind": "notice", "issued": D(2018, 6, 15)},
            {"id": "B-CN-XZCF", "number": "主席令第70号", "title": "中华人民共和国行政处罚法",
             "issuer": "全国人民代表大会常务委员会", "level": "central", "kind": "law", "issued": D(2021, 1, 22)},
            {"id": f"B-{self.pid}-FQJD", "number": f"{a}政字〔2024〕12号",
             "title": f"{p}人民政府关于赋予乡镇（街道）部分县级行政执法权限的决定", "issuer": f"{p}人民政府",
             "level": "province", "kind": "decision", "issued": D(2024, 3, 15)},
            {"id": f"B-{self.pid}-BS", "number": f"{a}办发〔2024〕21号",
             "title": f"中共{p}委办公厅 {p}人民政府办公厅关于建立乡镇（街道）履行职责事项清单和事项准入制度的通知",
             "issuer": f"中共{p}委办公厅", "level": "province", "kind": "deployment", "issued": D(2024, 6, 20)},
        ]
        self.decision = f"B-{self.pid}-FQJD"
        self.deployment = f"B-{self.pid}-BS"


def matter_tags(key: str, obj: str, ptype: str) -> tuple[str, ...]:
    """A department matter's tags (enforcement, demolition, work safety, investment promotion)."""
    tags = []
    if ptype in ("penalty", "coercion"):
        tags.append("enforcement")
    if "违法建设" in obj:
        tags.append("demolition")
    if key == "yjj" or "安全生产" in obj:
        tags.append("work_safety")
    if key == "tcj":
        tags.append("investment_promotion")
    return tuple(tags)


def national_basis(i: int, dept_type: tuple) -> dict:
    """The national law, regulation or rule of department type number `i` (counted from 0)."""
    key, law, lkind = dept_type[0], dept_type[6], dept_type[7]
    if lkind == "law":
        number, issuer = f"主席令第{20 + i * 3}号", "全国人民代表大会常务委员会"
    elif lkind == "regulation":
        number, issuer = f"国务院令第{600 + i * 7}号", "国务院"
    else:
        number, issuer = f"商务部令{2019 + i % 5}年第{i % 9 + 1}号", "商务部"
    return {"id": f"B-CN-{key.upper()}", "number": number, "title": law, "issuer": issuer,
            "level": "central", "kind": lkind, "issued": D(2010 + i % 12, 1 + i % 12, 1 + i % 27)}
