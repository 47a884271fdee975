"""Writing a built tree: the province's units and bases, the matter catalogue, one file per city
and one per county (its units, bases, power lists, township and village templates and lists,
delegations, admissions and assignments), counting files, bytes and list entries as it goes."""

from __future__ import annotations

from pathlib import Path

from ..language.policy import REGISTER_SECTIONS
from .draws import D
from .exercises import exercise_line
from .generator import Generator
from .records import TPARTS, VPARTS, City, County, Town, Village
from .yaml_lines import (admission_line, assignment_line, basis_line, delegation_line, entry_lines, lists_block,
                         matter_line, published_lines, q, qid, qids, unit_line)

#: the province's burden rules (减负规则); clean assignments never ask villages for forms, set up
#: mechanisms or hang signboards there
BURDEN_RULES = ("burden_rules:\n  - {id: BR-VILLAGE-FORMS, name: 向村(社区)要表格材料须有县级以上统一部署, "
                "kinds: [forms_request], to: [village], min_basis_level: county}\n"
                "  - {id: BR-VILLAGE-MECHANISM, name: 在村(社区)新设工作机制、专人专岗或挂牌须经省级同意, "
                "kinds: [mechanism_or_post, office_or_signboard], to: [village], min_basis_level: province}\n")
#: the last item of a positive certification list (the county's, where it keeps one)
CATCH_ALL = ("    certify_catch_all:\n"
             "      - {name: 其他法律、法规规定需要村(社区)出具的证明, basis_kinds: [law, regulation]}\n")
#: an admission naming this many townships names them as a group, as published ("永安镇等3个乡镇")
GROUP_FROM = 3


class Writer:
    def __init__(self, gen: Generator, out: Path):
        self.g = gen
        self.out = out
        self.files = 0
        self.bytes = 0
        self.township_entries = 0
        self.village_entries = 0
        self.counts: dict[str, int] = {}

    def write(self, rel: str, text: str) -> None:
        path = self.out / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        data = text.encode("utf-8")
        path.write_bytes(data)
        self.files += 1
        self.bytes += len(data)

    def header(self) -> str:
        return f"# 合成数据 synthetic policy (admission.synth, seed {self.g.seed})\n"

    def province(self) -> None:
        g = self.g
        out = [self.header(), f"title: {g.province_name} 省级单位与依据\n", "units:\n",
               unit_line(g.pid, g.province_name, "government", level="province"), "bases:\n"]
        out += [basis_line(b) for b in g.bases]
        out.append(BURDEN_RULES)
        if g.templates:  # the province's negative list, from which every county's village list derives
            out.append(f"village_templates:\n  - id: {self.province_vtpl}\n"
                       f"    name: {q(g.province_name + '村(社区)工作负面清单（省级）')}\n    owner: {qid(g.pid)}\n")
            out.append(lists_block(("negative",), {"negative": [(m,) for m in g.v_negative]}, "    ", {}))
        self.write(f"{g.province_name}/省级.yaml", "".join(out))
        out = [self.header(), f"title: {g.province_name} 事项目录\n", "matters:\n"]
        out += [matter_line(m) for m in g.matters.values() if m.kind != "injected"]
        self.write(f"{g.province_name}/事项目录.yaml", "".join(out))

    def city(self, city: City) -> None:
        g = self.g
        out = [self.header(), f"title: {city.name} 市本级\n", "units:\n",
               unit_line(city.id, city.name, "government", level="city", parent=g.pid)]
        out += [unit_line(did, name, "department", level="city", parent=city.id) for did, name in city.depts]
        self.write(f"{g.province_name}/{city.name}/市本级.yaml", "".join(out))

    def county(self, c: County) -> None:
        w = [self.header(), f"title: {q(c.name + ' 乡镇(街道)履职事项清单、村(社区)清单、赋权与准入')}\n"]
        w += self.county_units(c)
        w += self.county_bases(c)
        w += self.power_lists(c)
        cache: dict = {}
        w += self.township_templates(c, cache)
        w += self.township_lists(c, cache)
        vcache: dict = {}
        w += self.village_templates(c, vcache)
        w += self.village_lists(c, vcache)
        admissions = self.grouped_admissions(c, w)
        for key, records, line in (("delegations", c.delegations, delegation_line),
                                   ("admissions", admissions, admission_line),
                                   ("assignments", c.assignments, assignment_line),
                                   ("exercises", c.exercises, exercise_line)):
            if records:
                w.append(f"{key}:\n")
                w += [line(r) for r in records]
        for key in REGISTER_SECTIONS:
            if c.registers.get(key):
                w.append(f"{key}:\n")
                w += c.registers[key]
        self.write(f"{self.g.province_name}/{c.city.name}/{c.name}.yaml", "".join(w))

    def county_units(self, c: County) -> list[str]:
        w = ["units:\n", unit_line(c.id, c.name, "government", level="county", parent=c.city.id)]
        w += [unit_line(d.id, d.name, "department", level="county", parent=c.id) for d in c.depts]
        if c.inactive:
            w.append(unit_line(c.inactive[0], c.inactive[1], "department", level="county", parent=c.id,
                               until=c.inactive[2]))
        tf = c.task_force
        w.append(unit_line(tf[0], tf[1], "task_force", parent=tf[2]))
        w += [unit_line(t.id, t.name, "township", form=t.form, parent=c.id) for t in c.towns]
        w += [unit_line(oid, name, "dispatched", parent=parent, seat=seat) for oid, name, parent, seat in c.offices]
        w += [unit_line(v.id, v.name, "village", form=v.form, parent=t.id) for t in c.towns for v in t.villages]
        self.counts["villages"] = self.counts.get("villages", 0) + sum(len(t.villages) for t in c.towns)
        return w

    @staticmethod
    def grouped_admissions(c: County, w: list[str]) -> list[dict]:
        """The admissions, those naming GROUP_FROM or more townships by a named group (whose
        `unit_groups` entries are appended to `w`)."""
        names = {t.id: t.name for t in c.towns}
        out, groups = [], []
        for ad in c.admissions:
            if len(ad["targets"]) >= GROUP_FROM:
                gid, targets = f"G-{ad['id']}", ad["targets"]
                name = f"{names.get(targets[0], targets[0])}等{len(targets)}个乡镇(街道)"
                groups.append(f"  - {{id: {gid}, name: {q(name)}, members: [{', '.join(qid(x) for x in targets)}]}}\n")
                ad = {**ad, "targets": [gid]}
            out.append(ad)
        if groups:
            w += ["unit_groups:\n", *groups]
        return out

    def county_bases(self, c: County) -> list[str]:
        """The county's notice and entrustment, and the matters injected into its own file."""
        w = ["bases:\n",
             basis_line({"id": c.notice, "number": f"{c.abbr}政发〔2025〕3号",
                         "title": f"{c.name}人民政府关于印发乡镇（街道）履行职责事项清单的通知",
                         "issuer": f"{c.name}人民政府", "level": "county", "kind": "deployment",
                         "issued": D(2025, 1, 10), "scope": [c.id]}),
             basis_line({"id": c.entrustment, "number": f"{c.abbr}委托〔2024〕1号",
                         "title": f"{c.name}有关部门委托乡镇（街道）实施部分行政执法事项的委托书",
                         "issuer": f"{c.name}人民政府", "level": "county", "kind": "entrustment",
                         "issued": D(2024, 9, 1), "scope": [c.id]})]
        if c.undated:
            w.append(basis_line({"id": c.undated, "number": "《中华人民共和国村民委员会组织法》第五条",
                                 "title": "中华人民共和国村民委员会组织法", "issuer": "全国人民代表大会常务委员会",
                                 "level": "central", "kind": "law", "undated": True}))
        if c.matters:
            w.append("matters:\n")
            w += [matter_line(m) for m in c.matters]
        return w

    @staticmethod
    def power_lists(c: County) -> list[str]:
        w = ["power_lists:\n"]
        for d in c.depts:
            items = []
            for mid in d.items:
                if mid in d.retained:
                    items.append(f"{{matter: {q(mid)}, retained_in: {qids(d.retained[mid])}}}")
                else:
                    items.append(q(mid))
            w.append(f"  - holder: {qid(d.id)}\n    since: 2023-01-01\n    items: [{', '.join(items)}]\n")
        return w

    def township_templates(self, c: County, cache: dict) -> list[str]:
        """The county's standard template (with `templates`) and the core-only ones injected into it."""
        w: list[str] = []
        tpls = list(c.extra_templates)
        if not (self.g.templates or tpls):
            return w
        w.append("township_templates:\n")
        if self.g.templates:
            w.append(f"  - id: {c.tpl_id}\n    name: {q(c.name + '乡镇(街道)履行职责事项清单（标准版）')}\n"
                     f"    county: {qid(c.id)}\n")
            w.append(lists_block(TPARTS, c.tpl, "    ", cache))
        for tid, name, basics in tpls:
            w.append(f"  - id: {tid}\n    name: {q(name)}\n    county: {qid(c.id)}\n    basic:\n")
            w.append(entry_lines("basic", [(b,) for b in basics], "      ", cache))
        return w

    def township_lists(self, c: County, cache: dict) -> list[str]:
        w = ["township_lists:\n"]
        for t in c.towns:
            eff = self.g.effective(t)
            self.township_entries += sum(len(eff[p]) for p in TPARTS)
            w.append(f"  - township: {qid(t.id)}\n")
            w += self.township_list(c, t, eff, cache)
            if t.published is not None and not t.other_tpl:
                w.append(published_lines(eff["returned"], self.g.matters, t.published))
        return w

    def township_list(self, c: County, t: Town, eff: dict, cache: dict) -> list[str]:
        """On another county's template: the core duties it lacks removed, the rest written out;
        on the county's: its removals and own entries; without templates: every entry."""
        g = self.g
        if t.other_tpl:
            core = g._core_set
            own = {p: [e for e in eff[p] if not (p == "basic" and e[0] in core)] for p in TPARTS}
            have = {e[0] for e in eff["basic"]}
            w = [f"    template: {t.other_tpl}\n"]
            missing = [b for b in g.basic_core if b not in have]
            if missing:
                w.append(f"    remove: [{', '.join(q(m) for m in missing)}]\n")
            return w + [lists_block(TPARTS, own, "    ", cache)]
        if g.templates:
            w = [f"    template: {c.tpl_id}\n"]
            if t.removes:
                w.append(f"    remove: [{', '.join(q(m) for m in t.removes)}]\n")
            return w + [lists_block(TPARTS, t.own, "    ", cache)]
        return [lists_block(TPARTS, eff, "    ", cache)]

    @property
    def province_vtpl(self) -> str:
        return f"VTPL-{self.g.pid}"

    def village_templates(self, c: County, vcache: dict) -> list[str]:
        """The county's village template, derived from the province's: its own negative list is
        the province's less what the county does not take up (`parent`, `remove`)."""
        if not self.g.templates:
            return []
        w = ["village_templates:\n",
             f"  - id: {c.vtpl_id}\n    name: {q(c.name + '村(社区)工作事项清单（标准版）')}\n    owner: {qid(c.id)}\n",
             f"    parent: {self.province_vtpl}\n"]
        taken = {e[0] for e in c.vtpl["negative"]}
        w.append(f"    remove: [{', '.join(q(m) for m in self.g.v_negative if m not in taken)}]\n")
        if c.vtpl_certify_only:
            w.append("    certify_only_listed: true\n" + CATCH_ALL)
        w.append(lists_block(VPARTS, {**c.vtpl, "negative": []}, "    ", vcache))
        return w

    def village_lists(self, c: County, vcache: dict) -> list[str]:
        """Each village: on the template, only what differs (one line when nothing does); without
        templates every entry, the unchanged villages sharing one block of text."""
        w = ["village_lists:\n"]
        full_block = None
        for t in c.towns:
            for v in t.villages:
                veff = self.g.v_effective(v)
                self.village_entries += sum(len(veff[p]) for p in VPARTS)
                only = v.certify_only
                if self.g.templates:
                    w += self.village_on_template(c, v, only, vcache)
                    continue
                w.append(f"  - village: {qid(v.id)}\n")
                if only is None:
                    only = c.vtpl_certify_only or None
                if only:
                    w.append("    certify_only_listed: true\n")
                    if c.vtpl_certify_only:
                        w.append(CATCH_ALL)
                if not v.removes and not any(v.own.values()):
                    if full_block is None:
                        full_block = lists_block(VPARTS, veff, "    ", vcache)
                    w.append(full_block)
                else:
                    w.append(lists_block(VPARTS, veff, "    ", vcache))
        return w

    @staticmethod
    def village_on_template(c: County, v: Village, only: bool | None, vcache: dict) -> list[str]:
        if not v.removes and not any(v.own.values()) and only is None:
            return [f"  - {{village: {qid(v.id)}, template: {c.vtpl_id}}}\n"]
        w = [f"  - village: {qid(v.id)}\n    template: {c.vtpl_id}\n"]
        if v.removes:
            w.append(f"    remove: [{', '.join(q(m) for m in v.removes)}]\n")
        if only is not None:
            w.append(f"    certify_only_listed: {'true' if only else 'false'}\n")
        w.append(lists_block(VPARTS, v.own, "    ", vcache))
        return w
