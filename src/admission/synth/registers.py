"""The registers of a synthetic county (issue 20): a clean inspection plan per core department
with one inspection of each township, the documents and meetings of two departments under their
2019 baseline, one admitted secondment, a board register, seal scope and evaluation items for the
first village of each township, one merged form for every township; and the injection of each
register rule on one subject.  Clean records draw from their own random stream, so that adding
them changes no other part of a tree.  Each record is written as one YAML line."""

from __future__ import annotations

import random

from .draws import D, rand_date
from .records import County, Town
from .yaml_lines import q, qid, qids

APPROVED = "2026-01-20"
#: fields of the clean county form; injected forms ask for others, so only they repeat fields
CLEAN_FIELDS = ("常住人口", "户籍人口", "网格数", "低保户数")


def _flow(rec: dict) -> str:
    """One record as a flow mapping line (values already YAML text)."""
    return "  - {" + ", ".join(f"{k}: {v}" for k, v in rec.items()) + "}\n"


class Registers:
    """Mixed into `Generator` (generator.py), which holds the state these methods fill."""

    def _reg(self, c: County, section: str, rec: dict) -> None:
        c.registers.setdefault(section, []).append(_flow(rec))

    def _reg_id(self, prefix: str) -> str:
        self.seq[prefix] = self.seq.get(prefix, 0) + 1
        return f"{prefix}{self.seq[prefix]:06d}"

    def registers(self) -> None:
        """The clean registers of every county."""
        rng = random.Random(f"{self.seed}/registers")
        for c in self.counties:
            approval = f"{{by: {qid(c.id)}, date: {APPROVED}}}"
            planned = c.depts[:3]
            for d in planned:
                item = f"JH-{d.id}-1"
                self._reg(c, "inspection_plans", {"id": f"JH-{d.id}-2026", "department": qid(d.id), "year": "2026",
                                                  "approval": approval, "baseline": "{year: 2025, count: 3}",
                                                  "items": f"[{{id: {item}, name: {q(d.name + '年度综合督查')}}}]"})
            for t in c.towns:
                d = rng.choice(planned)
                self._reg(c, "inspections", {"id": self._reg_id("DC"), "department": qid(d.id), "target": qid(t.id),
                                             "date": rand_date(rng, D(2026, 2, 1), D(2026, 11, 1)).isoformat(),
                                             "item": f"JH-{d.id}-1"})
                if t.villages:
                    v = t.villages[0]
                    self._reg(c, "board_registers", {"unit": qid(v.id), "boards": (
                        f"[{{id: PZ-{v.id}-1, name: {q(v.name + '村民委员会')}, kind: outer_sign}}, "
                        f"{{id: PZ-{v.id}-2, name: 便民服务台, kind: service_desk}}]"),
                        "present": f"[PZ-{v.id}-1, 便民服务台]"})
                    self._reg(c, "seal_scopes", {"community": qid(v.id),
                                                 "purposes": "[{id: YZ-1, name: 居住证明}, {id: YZ-2, name: 低保申请初审意见}]"})
            for d in c.depts[:2]:
                self._reg(c, "document_counts", {"id": f"WH-{d.id}-2026", "unit": qid(d.id), "year": "2026",
                                                 "documents": str(rng.randint(20, 39)), "meetings": str(rng.randint(8, 14)),
                                                 "baseline": "{year: 2019, documents: 40, meetings: 15}"})
            t = rng.choice(c.towns)
            self._reg(c, "secondments", {"id": self._reg_id("JD"), "township": qid(t.id), "organ": qid(c.depts[0].id),
                                         "count": "1", "since": "2026-03-01", "until": "2027-06-30",
                                         "admission": approval})
            self._reg(c, "forms", {"id": f"BB-{c.id}-YBT", "name": q(c.name + "基层基础数据一表通"),
                                   "department": qid(c.depts[0].id), "targets": qids(x.id for x in c.towns),
                                   "fields": "[" + ", ".join(CLEAN_FIELDS) + "]", "merged_from": "245"})

    # ------------------------------------------------------------------ injections
    def _free_village(self, t: Town):
        """A village of `t` that no register names yet (not its first, which the clean registers use)."""
        for v in t.villages[1:]:
            if v.id not in self.reg_villages:
                self.reg_villages.add(v.id)
                return v
        return None

    def _inj_inspection_outside_plan(self, t: Town):
        c, rid = t.county, self._reg_id("DC")
        self._reg(c, "inspections", {"id": rid, "department": qid(c.depts[-1].id), "target": qid(t.id),
                                     "date": "2026-06-15", "item": "未列入计划的专项检查"})
        return f"{t.id}/{rid}"

    def _inj_inspection_plan_over_limit(self, t: Town):
        c = t.county
        d = c.depts[-1]
        if d.id in self.reg_over:
            return None
        self.reg_over.add(d.id)
        pid = f"JH-{d.id}-2026"
        self._reg(c, "inspection_plans", {"id": pid, "department": qid(d.id), "year": "2026",
                                          "approval": f"{{by: {qid(c.id)}, date: {APPROVED}}}",
                                          "items": f"[{{id: {pid}-1, name: 专项督查}}, {{id: {pid}-2, name: 专项检查}}]"})
        return f"{d.id}/{pid}"

    def _count(self, t: Town, documents: int, meetings: int, substitutes: str = "{}"):
        c = t.county
        d = c.depts[-1]
        rid = self._reg_id("WH")
        self._reg(c, "document_counts", {"id": rid, "unit": qid(d.id), "year": "2026", "documents": str(documents),
                                         "meetings": str(meetings), "substitutes": substitutes,
                                         "baseline": "{year: 2019, documents: 40, meetings: 15}"})
        return f"{d.id}/{rid}"

    def _inj_documents_above_baseline(self, t: Town):
        return self._count(t, 36, 10, "{unheaded: 3, telegrams: 2}")  # 41 with the substitutes

    def _inj_meetings_above_baseline(self, t: Town):
        return self._count(t, 30, 16)

    def _secondment(self, t: Town, **extra: str):
        c, rid = t.county, self._reg_id("JD")
        self._reg(c, "secondments", {"id": rid, "township": qid(t.id), "organ": qid(c.depts[-1].id), "count": "2",
                                     **extra})
        return f"{t.id}/{rid}"

    def _inj_secondment_without_admission(self, t: Town):
        return self._secondment(t, since="2026-04-01", until="2027-03-31")

    def _inj_secondment_overdue(self, t: Town):
        return self._secondment(t, since="2026-01-01", until="2026-06-30",
                                admission=f"{{by: {qid(t.county.id)}, date: 2025-12-20}}")

    def _board_register(self, t: Town, boards: str, present: str):
        v = self._free_village(t)
        if v is None:
            return None
        self._reg(t.county, "board_registers", {"unit": qid(v.id), "boards": boards, "present": present})
        return v

    def _inj_board_outside_register(self, t: Town):
        v = self._board_register(t, "[{id: PZ-X-1, name: 村民委员会, kind: outer_sign}]", "[PZ-X-1, 平安建设工作站]")
        return None if v is None else f"{v.id}/平安建设工作站"

    def _inj_board_without_consent(self, t: Town):
        v = self._board_register(t, "[{id: PZ-X-2, name: 网格化工作机制, kind: mechanism}]", "[PZ-X-2]")
        return None if v is None else f"{v.id}/PZ-X-2"

    def _inj_seal_use_outside_scope(self, t: Town):
        v = self._free_village(t)
        if v is None:
            return None
        c, rid = t.county, self._reg_id("YY")
        self._reg(c, "seal_scopes", {"community": qid(v.id), "purposes": "[{id: YZ-1, name: 居住证明}]"})
        self._reg(c, "seal_uses", {"id": rid, "community": qid(v.id), "purpose": "企业经营状况证明", "date": "2026-05-06"})
        return f"{v.id}/{rid}"

    def _inj_evaluation_not_listed(self, t: Town):
        v = self._free_village(t)
        if v is None:
            return None
        c, rid = t.county, self._reg_id("DC")
        self._reg(c, "inspections", {"id": rid, "department": qid(c.depts[0].id), "target": qid(v.id),
                                     "date": "2026-07-08", "item": "文明社区评比", "kind": "evaluation"})
        return f"{v.id}/{rid}"

    def _inj_form_duplicate_fields(self, t: Town):
        c = t.county
        a, b = self._reg_id("BB"), self._reg_id("BB")
        for fid, dept, fields in ((a, c.depts[1], "[户数, 人口数, 残疾人数]"), (b, c.depts[2], "[人口数, 户数, 床位数]")):
            self._reg(c, "forms", {"id": fid, "name": q(f"{dept.name}统计表{fid}"), "department": qid(dept.id),
                                   "targets": qids([t.id]), "fields": fields})
        return f"{t.id}/{a}+{b}"

    def _inj_form_not_registered(self, t: Town):
        c, rid = t.county, self._reg_id("TB")
        self._reg(c, "data_requests", {"id": rid, "department": qid(c.depts[-1].id), "unit": qid(t.id),
                                       "form": "商贸企业调查表", "date": "2026-06-06"})
        return f"{t.id}/{rid}"
