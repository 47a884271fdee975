"""The checks (`admission.evaluate.checks`): for every rule id, a small policy where it fires and a
near miss (the same policy with one thing fixed) where it must not, both as docs/semantics.md
describes; the demonstration tree `examples/violations`; and the `check` command's output formats.

Each case is the mini policy (a copy of tests/fixtures/mini/county.yaml, below) with text
replacements in `county.yaml` and an optional `extra.yaml` beside it.  The finding's span must
point at the file and line of the contributing YAML entry, found by a needle unique to that line.
"""

from __future__ import annotations

import datetime as dt
import json
from urllib.parse import urlparse
from urllib.request import url2pathname
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from admission.evaluate.checks import REGISTRY, all_rules, run_checks
from admission.cli.main import app
from admission.diagnostics import Severity
from admission.loader import LoadOptions, validate_tree

ROOT = Path(__file__).resolve().parent.parent
MINI_DIR = ROOT / "tests" / "fixtures" / "mini"
VIOLATIONS = ROOT / "examples" / "violations"
ON = dt.date(2026, 11, 23)

T = "370402101"  # 永安镇
V = "370402101201"  # 永安村
G = "370402002"  # 光明路街道 (until 2025-06-30)

# A copy of tests/fixtures/mini/county.yaml as of this module, so that the cases stay self-contained.
MINI = """\
title: 测试用最小策略（示例） minimal test policy
units:
  - {id: "37", name: 山东省, kind: government, level: province}
  - {id: "3704", name: 枣庄市, kind: government, level: city, parent: "37"}
  - {id: D-CITY, name: 枣庄市市场监管局, kind: department, level: city, parent: "3704"}
  - {id: "370402", name: 市中区, kind: government, level: county, parent: "3704"}
  - {id: "370403", name: 薛城区, kind: government, level: county, parent: "3704"}
  - {id: D-SCJG, name: 市中区市场监管局, kind: department, level: county, parent: "370402"}
  - {id: D-ZJ, name: 市中区住建局, kind: department, level: county, parent: "370402"}
  - {id: D-MZ, name: 市中区民政局, kind: department, level: county, parent: "370402"}
  - {id: D-XC-ZJ, name: 薛城区住建局, kind: department, level: county, parent: "370403"}
  - {id: D-SCJG-SUO, name: 永安市场监管所, kind: dispatched, parent: D-SCJG, seat: "370402101"}
  - {id: TF-CJ, name: 创城工作专班, kind: task_force, parent: D-ZJ}
  - {id: "370402101", name: 永安镇, kind: township, form: township, parent: "370402"}
  - {id: "370402002", name: 光明路街道, kind: township, form: street, parent: "370402", until: 2025-06-30}
  - {id: "370402101201", name: 永安村, kind: village, form: village, parent: "370402101"}
bases:
  - {id: B-PROV-DEC, number: 鲁政字〔2023〕1号, title: 关于赋予乡镇部分县级行政处罚权的决定, issuer: 山东省人民政府, level: province, kind: decision, issued: 2023-01-10}
  - {id: B-PROV-DEP, number: 鲁办发〔2024〕2号, title: 省委省政府部署, issuer: 中共山东省委办公厅, level: province, kind: deployment, issued: 2024-01-10}
  - {id: B-COUNTY, number: 市中政发〔2024〕3号, title: 区政府统一部署, issuer: 市中区人民政府, level: county, kind: deployment, issued: 2024-02-01}
matters:
  - {id: M-DJ, name: 基层党组织建设, domain: 党的建设, levels: [township]}
  - {id: M-WXZJ, name: 住宅专项维修资金使用申请受理初审, domain: 城乡建设, levels: [county, township]}
  - {id: M-TZSB, name: 特种设备安全监督检查, domain: 市场监管, power_type: inspection, needs_specialist: true}
  - {id: M-WZJY, name: 对无照经营的行政处罚, domain: 市场监管, power_type: penalty, tags: [enforcement]}
  - {id: M-CJ, name: 创建文明城市入户调查, domain: 综合保障}
  - {id: M-DB, name: 农村低保申请受理和初审, domain: 民生服务}
  - {id: M-ZM, name: 亲属关系证明, domain: 民生服务, power_type: certification}
  - {id: M-CQ, name: 违法建设拆除, domain: 城乡建设, tags: [demolition]}
power_lists:
  - holder: D-SCJG
    items: [M-TZSB, M-WZJY]
  - holder: D-ZJ
    items: [M-WXZJ, M-CJ, M-CQ]
  - holder: D-MZ
    items: [M-DB]
  - holder: D-XC-ZJ
    items: [M-WXZJ]
township_templates:
  - id: TPL-SZ
    name: 市中区乡镇(街道)履行职责事项清单（标准版）
    county: "370402"
    basic: [M-DJ]
    cooperative:
      - {matter: M-WXZJ, lead: D-ZJ, lead_duties: 政策指导和使用监管, township_duties: 受理和初审申请}
    returned:
      - {matter: M-TZSB, taken_by: D-SCJG, method: 由区市场监管局直接实施}
township_lists:
  - township: "370402101"
    template: TPL-SZ
    basic: [M-DB]
  - township: "370402002"
    template: TPL-SZ
village_lists:
  - village: "370402101201"
    duties: [M-DJ]
    assisting:
      - {matter: M-DB, supervisor: D-MZ, category: 民生保障}
    negative: [M-CJ]
    may_certify: [{matter: M-ZM, purpose: 办理户籍}]
delegations:
  - {id: G-WZJY, matter: M-WZJY, department: D-SCJG, townships: ["370402101"], mode: grant, basis: B-PROV-DEC, since: 2024-01-01, evaluation: {every_months: 24, last: 2025-06-01}}
admissions:
  - {id: ADM-1, matter: M-CJ, applicant: D-ZJ, targets: ["370402101"], term: short, since: 2025-01-01, until: 2025-12-31, basis: B-PROV-DEP}
assignments:
  - {id: A-OK, by: D-ZJ, to: "370402101", matter: M-WXZJ, date: 2025-03-01}
"""

# Frequently replaced lines of MINI
OWN_BASIC = '    template: TPL-SZ\n    basic: [M-DB]\n'  # 永安镇's own list (first occurrence only)
TPL_COOP = "- {matter: M-WXZJ, lead: D-ZJ, lead_duties: 政策指导和使用监管, township_duties: 受理和初审申请}"
TPL_RET = "- {matter: M-TZSB, taken_by: D-SCJG, method: 由区市场监管局直接实施}"
G_WZJY_EVAL = "since: 2024-01-01, evaluation: {every_months: 24, last: 2025-06-01}}"

B_ENT = ("bases:\n  - {id: B-ENT, number: 市中市监字〔2025〕8号, title: 行政执法委托书, issuer: 市中区市场监管局,"
         " level: county, kind: entrustment, issued: 2025-01-01}\n")


def own(*sections: str) -> tuple[str, str]:
    """An edit adding sections (already indented under the list item) to 永安镇's own list."""
    return (OWN_BASIC, OWN_BASIC + "".join(s if s.endswith("\n") else s + "\n" for s in sections))


def assign(line: str) -> str:
    return f"assignments:\n  - {{id: A-X, {line}}}\n"


# registers (issue 20): each clean as written; the cases edit them into a violation
PLAN = ('inspection_plans:\n  - {id: P-1, department: D-SCJG, year: 2026, approval: {by: "370402", date: 2026-01-10}, '
        'items: [{id: I-1, name: 食品安全检查}]}\n')
COUNT = ("document_counts:\n  - {id: DC-1, unit: D-ZJ, year: 2026, documents: 19, meetings: 10, substitutes: {}, "
         "baseline: {year: 2019, documents: 20, meetings: 10}}\n")
SECOND = ('secondments:\n  - {id: S-1, township: "370402101", organ: D-ZJ, count: 2, since: 2026-03-01, '
          'until: 2026-12-31, admission: {by: "370402", date: 2026-02-01}}\n')
BOARDS = ('board_registers:\n  - {unit: "370402101201", boards: [{id: BD-1, name: 村民委员会, kind: outer_sign}], '
          'present: [BD-1]}\n')
SEAL = ('seal_scopes:\n  - {community: "370402101201", purposes: [{id: SEAL-1, name: 居住证明}]}\n'
        'seal_uses:\n  - {id: U-1, community: "370402101201", purpose: SEAL-1, date: 2026-04-01}\n')
FORMS = ('forms:\n  - {id: F-1, name: 民政基础数据表, department: D-MZ, targets: ["370402101"], fields: [户数, 人口数]}\n'
         '  - {id: F-2, name: 养老机构统计表, department: D-ZJ, targets: ["370402101"], fields: [床位数]}\n')


@dataclass(frozen=True)
class Case:
    rule: str
    subject: str
    at: tuple[str, str]  # (file name, text unique to the line the finding's span starts on)
    edits: tuple[tuple[str, str], ...] = ()  # replacements in county.yaml, each old text exactly once
    extra: str = ""  # extra.yaml
    fix: tuple[str, str] | None = None  # the one replacement (in either file) that makes it a near miss
    related: tuple[tuple[str, str], ...] = ()  # (file, needle) of related locations that must be listed
    also: tuple[str, ...] = ()  # further subjects the rule fires on in this setup
    name: str = ""
    on: dt.date = ON
    xfail_fire: str | None = None  # reason: the documented finding is missing (implementation bug)
    xfail_miss: str | None = None  # reason: a finding the doc rules out is reported (implementation bug)

    @property
    def id(self) -> str:
        return self.rule + (f"[{self.name}]" if self.name else "")


CASES: list[Case] = [
    # ------------------------------------------------------------------ overlap
    Case("overlap-basic-cooperative", f"{T}/M-WXZJ", ("county.yaml", "basic: [M-DB, {matter: M-WXZJ"),
         edits=((TPL_COOP, TPL_COOP.replace("M-WXZJ,", "M-WXZJ, scope: 受理初审,")),
                ("basic: [M-DB]", "basic: [M-DB, {matter: M-WXZJ, scope: 受理初审}]")),
         related=(("county.yaml", "{matter: M-WXZJ, scope: 受理初审, lead: D-ZJ"),),
         # different scopes split the matter
         fix=("{matter: M-WXZJ, scope: 受理初审}", "{matter: M-WXZJ, scope: 使用监管}")),
    Case("overlap-basic-cooperative", f"{T}/M-WXZJ", ("county.yaml", "basic: [M-DB, {matter: M-WXZJ"),
         name="empty-scope-overlaps-any",
         edits=(("basic: [M-DB]", "basic: [M-DB, {matter: M-WXZJ, scope: 受理初审}]"),),
         fix=("basic: [M-DB, {matter: M-WXZJ, scope: 受理初审}]", "basic: [M-DB, {matter: M-WXZJ, scope: 受理初审, until: 2026-11-22}]")),
    Case("overlap-basic-returned", f"{T}/M-TZSB", ("county.yaml", "basic: [M-DB, M-TZSB]"),
         edits=(("basic: [M-DB]", "basic: [M-DB, M-TZSB]"),),
         related=(("county.yaml", TPL_RET),),
         # the basic entry is no longer in force on the day of the check
         fix=("basic: [M-DB, M-TZSB]", "basic: [M-DB, {matter: M-TZSB, until: 2025-12-31}]")),
    Case("overlap-cooperative-returned", f"{T}/M-TZSB", ("county.yaml", "{matter: M-TZSB, lead: D-SCJG"),
         edits=(own("    cooperative:\n      - {matter: M-TZSB, lead: D-SCJG, township_duties: 配合巡查}"),),
         related=(("county.yaml", TPL_RET),),
         # the township removes the template's returned item
         fix=("    template: TPL-SZ\n    basic: [M-DB]\n", "    template: TPL-SZ\n    remove: [M-TZSB]\n    basic: [M-DB]\n")),
    Case("overlap-returned-two-departments", f"{T}/M-TZSB", ("county.yaml", TPL_RET),
         edits=(own("    returned:\n      - {matter: M-TZSB, taken_by: D-ZJ, method: 现场检查}"),),
         related=(("county.yaml", "{matter: M-TZSB, taken_by: D-ZJ"),),
         # the same department named twice is one department
         fix=("taken_by: D-ZJ, method: 现场检查", "taken_by: D-SCJG, method: 现场检查")),
    Case("overlap-returned-two-departments", f"{T}/M-TZSB", ("county.yaml", "taken_by: [D-SCJG, D-ZJ]"),
         name="one-entry-two-takers", also=(f"{G}/M-TZSB",),
         edits=((TPL_RET, TPL_RET.replace("taken_by: D-SCJG", "taken_by: [D-SCJG, D-ZJ]")),),
         fix=("taken_by: [D-SCJG, D-ZJ]", "taken_by: [D-SCJG, D-SCJG]")),
    Case("overlap-two-leads", f"{T}/M-WXZJ", ("county.yaml", TPL_COOP),
         edits=(own("    cooperative:\n      - {matter: M-WXZJ, lead: D-MZ, township_duties: 协助}"),),
         related=(("county.yaml", "{matter: M-WXZJ, lead: D-MZ"),),
         fix=("lead: D-MZ, township_duties: 协助", "lead: D-ZJ, township_duties: 协助")),
    Case("overlap-two-leads", f"{T}/M-CJ", ("county.yaml", "{matter: M-CJ, lead: [D-ZJ, D-MZ]"),
         name="one-entry-two-leads",
         edits=(own("    cooperative:\n      - {matter: M-CJ, lead: [D-ZJ, D-MZ], township_duties: 协助}"),),
         fix=("lead: [D-ZJ, D-MZ]", "lead: [D-ZJ]")),
    Case("overlap-grant-returned", f"{T}/M-WZJY", ("county.yaml", "{id: G-WZJY"),
         edits=(own("    returned:\n      - {matter: M-WZJY, taken_by: D-SCJG, method: 收回区局}"),),
         related=(("county.yaml", "{matter: M-WZJY, taken_by: D-SCJG"),),
         # a revoked grant is not active
         fix=(G_WZJY_EVAL, "since: 2024-01-01, revoked: {date: 2026-01-01, reason: 收回区局}, "
                           "evaluation: {every_months: 24, last: 2025-06-01}}")),
    Case("overlap-grant-cooperative", f"{T}/M-WZJY", ("county.yaml", "{id: G-WZJY"),
         edits=(own("    cooperative:\n      - {matter: M-WZJY, lead: D-SCJG, township_duties: 配合执法}"),),
         related=(("county.yaml", "{matter: M-WZJY, lead: D-SCJG"),),
         fix=("lead: D-SCJG, township_duties: 配合执法}", "lead: D-SCJG, township_duties: 配合执法, until: 2025-12-31}")),
    Case("overlap-grant-exercised", f"{T}/M-WZJY", ("county.yaml", "{id: G-WZJY"),
         edits=(("items: [M-TZSB, M-WZJY]", 'items: [M-TZSB, {matter: M-WZJY, retained_in: ["370402101"]}]'),),
         fix=('retained_in: ["370402101"]', 'retained_in: ["370402002"]')),
    Case("overlap-grant-exercised", f"{T}/M-WZJY", ("county.yaml", "{id: G-WZJY"),
         name="retained-item-is-related",
         edits=(("items: [M-TZSB, M-WZJY]", 'items: [M-TZSB, {matter: M-WZJY, retained_in: ["370402101"]}]'),),
         related=(("county.yaml", 'retained_in: ["370402101"]'),),
         fix=('retained_in: ["370402101"]', 'retained_in: ["370402002"]'),),
    Case("overlap-grant-exercised", f"{T}/M-WZJY", ("county.yaml", "{id: G-WZJY"),
         name="two-granting-departments",
         extra=('delegations:\n  - {id: G-WZJY-2, matter: M-WZJY, department: D-ZJ, townships: ["370402101"], mode: grant,'
                ' basis: B-PROV-DEC, since: 2025-01-01, evaluation: {every_months: 24}}\n'),
         related=(("extra.yaml", "{id: G-WZJY-2"),),
         fix=('department: D-ZJ, townships: ["370402101"]', 'department: D-ZJ, townships: ["370402002"]')),
    Case("overlap-grant-exercised", f"{T}/M-WZJY", ("county.yaml", "{id: G-WZJY"),
         name="retained-item-expired",
         edits=(("items: [M-TZSB, M-WZJY]",
                 'items: [M-TZSB, {matter: M-WZJY, since: 2026-01-01}, '
                 '{matter: M-WZJY, until: 2026-12-31, retained_in: ["370402101"]}]'),),
         # the power item that kept the matter in 永安镇 ended before the day of the check;
         # the department still holds the matter through the other item
         fix=("until: 2026-12-31, retained_in", "until: 2025-12-31, retained_in"),),
    Case("overlap-negative-assisting", f"{V}/M-CJ", ("county.yaml", "{matter: M-CJ, scope: 入户调查, supervisor: D-ZJ"),
         edits=(("negative: [M-CJ]", "negative: [{matter: M-CJ, scope: 入户调查}]"),
                ("      - {matter: M-DB, supervisor: D-MZ, category: 民生保障}\n",
                 "      - {matter: M-DB, supervisor: D-MZ, category: 民生保障}\n"
                 "      - {matter: M-CJ, scope: 入户调查, supervisor: D-ZJ, category: 创城}\n")),
         related=(("county.yaml", "negative: [{matter: M-CJ"),),
         fix=("scope: 入户调查, supervisor: D-ZJ", "scope: 宣传动员, supervisor: D-ZJ")),
    # ------------------------------------------------------------------ missing owner
    Case("missing-lead", f"{T}/M-CJ", ("county.yaml", "{matter: M-CJ, township_duties: 配合入户}"),
         edits=(own("    cooperative:\n      - {matter: M-CJ, township_duties: 配合入户}"),),
         fix=("{matter: M-CJ, township_duties: 配合入户}", "{matter: M-CJ, lead: D-ZJ, township_duties: 配合入户}")),
    Case("lead-outside-county", f"{T}/M-CJ", ("county.yaml", "{matter: M-CJ, lead: D-XC-ZJ"),
         edits=(own("    cooperative:\n      - {matter: M-CJ, lead: D-XC-ZJ, township_duties: 配合入户}"),),
         fix=("lead: D-XC-ZJ", "lead: D-ZJ")),
    Case("lead-outside-county", f"{T}/M-WZJY", ("county.yaml", "{matter: M-WZJY, lead: D-CITY"),
         name="city-department",
         edits=(("items: [M-TZSB, M-WZJY]\n", "items: [M-TZSB, M-WZJY]\n  - holder: D-CITY\n    items: [M-WZJY]\n"),
                own("    cooperative:\n      - {matter: M-WZJY, lead: D-CITY, township_duties: 配合执法}")),
         # a dispatched office is attributed to its county department
         fix=("lead: D-CITY", "lead: D-SCJG-SUO")),
    Case("lead-without-power", f"{T}/M-CJ", ("county.yaml", "{matter: M-CJ, lead: D-MZ"),
         edits=(own("    cooperative:\n      - {matter: M-CJ, lead: D-MZ, township_duties: 配合入户}"),),
         fix=("lead: D-MZ", "lead: D-ZJ")),
    Case("lead-without-power", f"{T}/M-CJ", ("county.yaml", "{matter: M-CJ, lead: D-ZJ"),
         name="power-ended",
         edits=(("items: [M-WXZJ, M-CJ, M-CQ]", "items: [M-WXZJ, {matter: M-CJ, until: 2026-11-22}, M-CQ]"),
                own("    cooperative:\n      - {matter: M-CJ, lead: D-ZJ, township_duties: 配合入户}")),
         fix=("{matter: M-CJ, until: 2026-11-22}", "{matter: M-CJ, until: 2026-11-23}")),
    Case("missing-taker", f"{T}/M-CJ", ("county.yaml", "{matter: M-CJ, method: 收回}"),
         edits=(own("    returned:\n      - {matter: M-CJ, method: 收回}"),),
         fix=("{matter: M-CJ, method: 收回}", "{matter: M-CJ, taken_by: D-ZJ, method: 收回}")),
    Case("taker-without-power", f"{T}/M-CJ", ("county.yaml", "{matter: M-CJ, taken_by: D-MZ"),
         edits=(own("    returned:\n      - {matter: M-CJ, taken_by: D-MZ}"),),
         fix=("taken_by: D-MZ", "taken_by: D-ZJ")),
    Case("taker-without-power", f"{T}/M-CJ", ("county.yaml", "{matter: M-CJ, taken_by: D-ZJ"),
         name="centralised-to-city",
         edits=(("items: [M-WXZJ, M-CJ, M-CQ]", "items: [M-WXZJ, {matter: M-CJ, centralised_to: D-CITY}, M-CQ]"),
                own("    returned:\n      - {matter: M-CJ, taken_by: D-ZJ}")),
         fix=("{matter: M-CJ, centralised_to: D-CITY}", "M-CJ")),
    Case("missing-owner", f"{T}/M-YJ", ("extra.yaml", "{id: M-YJ"),
         extra="matters:\n  - {id: M-YJ, name: 基层应急队伍建设, domain: 应急管理, levels: [township]}\n",
         related=(("county.yaml", '{id: "370402101", name: 永安镇'),),
         fix=("basic: [M-DB]", "basic: [M-DB, M-YJ]")),
    Case("missing-owner", f"{T}/M-YJ", ("extra.yaml", "{id: M-YJ"),
         name="held-in-another-county",
         extra=("matters:\n  - {id: M-YJ, name: 基层应急队伍建设, domain: 应急管理, levels: [township]}\n"
                "power_lists:\n  - holder: D-XC-ZJ\n    items: [M-YJ]\n"),
         fix=("holder: D-XC-ZJ\n    items: [M-YJ]", "holder: D-MZ\n    items: [M-YJ]")),
    Case("missing-owner", f"{T}/M-YJ", ("extra.yaml", "{id: M-YJ"),
         name="list-entry-expired",
         extra="matters:\n  - {id: M-YJ, name: 基层应急队伍建设, domain: 应急管理, levels: [township]}\n",
         edits=(("basic: [M-DB]", "basic: [M-DB, {matter: M-YJ, until: 2025-12-31}]"),),
         fix=("{matter: M-YJ, until: 2025-12-31}", "{matter: M-YJ, until: 2026-12-31}"),),
    Case("missing-owner", f"{T}/M-YJ", ("extra.yaml", "{id: M-YJ"),
         name="delegation-revoked",
         extra=("matters:\n  - {id: M-YJ, name: 基层应急队伍建设, domain: 应急管理, levels: [township]}\n" + B_ENT +
                'delegations:\n  - {id: W-YJ, matter: M-YJ, department: D-MZ, townships: ["370402101"], mode: entrust,'
                ' basis: B-ENT, since: 2024-01-01, revoked: {date: 2025-01-01, reason: 收回}}\n'),
         fix=("revoked: {date: 2025-01-01", "revoked: {date: 2027-01-01"),),
    # ------------------------------------------------------------------ unauthorized pushdown
    Case("pushdown-unlisted", "A-X", ("extra.yaml", "{id: A-X"),
         extra=('admissions:\n  - {id: ADM-CQ, matter: M-CQ, applicant: D-ZJ, targets: ["370402002"], term: long,'
                ' since: 2026-01-01, basis: B-PROV-DEP}\n'
                + assign('by: D-ZJ, to: "370402101", matter: M-CQ, date: 2026-03-01')),
         # the admission names the right township
         fix=('targets: ["370402002"]', 'targets: ["370402101"]')),
    Case("pushdown-no-standing", "A-X", ("extra.yaml", "{id: A-X"),
         extra=assign('by: D-SCJG, to: "370402101", matter: M-WXZJ, date: 2026-03-01'),
         related=(("county.yaml", TPL_COOP),),
         # the lead department's task force acts for it
         fix=("{id: A-X, by: D-SCJG", "{id: A-X, by: TF-CJ")),
    Case("pushdown-returned", "A-X", ("extra.yaml", "{id: A-X"),
         edits=((TPL_RET, TPL_RET.replace("method:", "since: 2026-06-01, method:")),),
         extra=assign('by: D-SCJG, to: "370402101", matter: M-TZSB, date: 2026-07-01'),
         related=(("county.yaml", "{matter: M-TZSB, taken_by: D-SCJG, since: 2026-06-01"),),
         # an assignment is judged on its own date: before the item was returned
         fix=("date: 2026-07-01", "date: 2026-05-31")),
    Case("pushdown-negative", "A-X", ("extra.yaml", "{id: A-X"),
         extra=assign('by: D-ZJ, to: "370402101201", matter: M-CJ, date: 2026-03-01, basis: B-COUNTY'),
         related=(("county.yaml", "negative: [M-CJ]"),),
         fix=("negative: [M-CJ]", "negative: [{matter: M-CJ, since: 2026-06-01}]")),
    Case("village-responsible", "A-X", ("extra.yaml", "{id: A-X"),
         extra=assign('by: "370402101", to: "370402101201", matter: M-CQ, date: 2026-03-01, role: responsible'),
         fix=("role: responsible", "role: assist")),
    Case("certification-forbidden", "A-X", ("extra.yaml", "{id: A-X"),
         edits=(("    may_certify: [{matter: M-ZM, purpose: 办理户籍}]\n",
                 "    may_certify: [{matter: M-ZM, purpose: 办理户籍}]\n    must_not_certify: [M-WFZ]\n"),),
         extra=("matters:\n  - {id: M-WFZ, name: 无犯罪记录证明, domain: 平安法治, power_type: certification}\n"
                + assign('by: "370402101", to: "370402101201", matter: M-WFZ, date: 2026-03-01, kind: certification_request')),
         related=(("county.yaml", "must_not_certify: [M-WFZ]"),),
         fix=("kind: certification_request", "kind: task")),
    Case("certification-unlisted", "A-X", ("extra.yaml", "{id: A-X"),
         edits=(("    may_certify: [{matter: M-ZM, purpose: 办理户籍}]\n",
                 "    may_certify: [{matter: M-ZM, purpose: 办理户籍}]\n    certify_only_listed: true\n"),),
         extra=("matters:\n  - {id: M-JZ, name: 居住证明, domain: 民生服务, power_type: certification}\n"
                + assign('by: "370402101", to: "370402101201", matter: M-JZ, date: 2026-03-01, kind: certification_request')),
         fix=("may_certify: [{matter: M-ZM, purpose: 办理户籍}]", "may_certify: [{matter: M-ZM, purpose: 办理户籍}, {matter: M-JZ, purpose: 入学}]")),
    Case("level-skipping", "A-X", ("extra.yaml", "{id: A-X"),
         extra=assign('by: D-CITY, to: "370402101", matter: M-WXZJ, date: 2026-03-01'),
         fix=("by: D-CITY", "by: D-ZJ")),
    Case("other-county", "A-X", ("extra.yaml", "{id: A-X"),
         extra=assign('by: D-XC-ZJ, to: "370402101", matter: M-WXZJ, date: 2026-03-01'),
         fix=("by: D-XC-ZJ", "by: D-ZJ")),
    Case("village-bypass", "A-X", ("extra.yaml", "{id: A-X"),
         extra=assign('by: D-MZ, to: "370402101201", matter: M-DB, date: 2026-03-01'),
         fix=("date: 2026-03-01", "date: 2026-03-01, basis: B-COUNTY")),
    Case("village-bypass", "A-X", ("extra.yaml", "{id: A-X"),
         name="basis-expired",
         extra=("bases:\n  - {id: B-OLD, number: 市中政发〔2025〕1号, title: 区政府统一部署, issuer: 市中区人民政府,"
                " level: county, kind: deployment, issued: 2025-01-01, expires: 2026-02-28}\n"
                + assign('by: D-MZ, to: "370402101201", matter: M-DB, date: 2026-03-01, basis: B-OLD')),
         fix=("expires: 2026-02-28", "expires: 2026-03-01")),
    # a township is bound by a burden rule as a department is (永安镇 → 永安村, an assisting matter)
    Case("burden-basis-level", "A-X", ("extra.yaml", "{id: A-X"),
         extra=("burden_rules:\n  - {id: BR-F, name: 向村(社区)要表格材料须有县级以上统一部署, kinds: [forms_request],"
                " to: [village], min_basis_level: county, since: 2025-01-01}\n"
                + assign('by: "370402101", to: "370402101201", matter: M-DB, date: 2026-03-01, kind: forms_request')),
         related=(("extra.yaml", "{id: BR-F"),),
         fix=("kind: forms_request", "kind: forms_request, basis: B-COUNTY")),
    Case("burden-basis-level", "A-X", ("extra.yaml", "{id: A-X"),
         name="basis-below-the-level",
         extra=("burden_rules:\n  - {id: BR-M, name: 在村(社区)新设机制须经省级同意, kinds: [mechanism_or_post],"
                " to: [village], min_basis_level: province}\n"
                + assign('by: D-MZ, to: "370402101201", matter: M-DB, date: 2026-03-01, kind: mechanism_or_post,'
                         ' basis: B-COUNTY')),
         fix=("min_basis_level: province}", "min_basis_level: province, until: 2026-02-28}")),
    Case("unit-inactive", "A-X", ("extra.yaml", "{id: A-X"),
         extra=assign('by: D-ZJ, to: "370402002", matter: M-WXZJ, date: 2025-07-01'),
         related=(("county.yaml", '{id: "370402002", name: 光明路街道'),),
         fix=("date: 2025-07-01", "date: 2025-06-30")),
    Case("lapse-after-exit", "A-X", ("extra.yaml", "{id: A-X"),
         extra=assign('by: D-ZJ, to: "370402101", matter: M-CJ, date: 2026-01-01'),
         related=(("county.yaml", "{id: ADM-1"),),
         fix=("date: 2026-01-01", "date: 2025-12-31")),
    Case("lapse-after-exit", "A-X", ("extra.yaml", "{id: A-X"),
         name="exited",
         edits=(("basis: B-PROV-DEP}\nassignments", "basis: B-PROV-DEP, state: exited, exit: {date: 2025-06-30, reason: 群众普遍反对}}\nassignments"),),
         extra=assign('by: D-ZJ, to: "370402101", matter: M-CJ, date: 2025-07-01'),
         fix=("date: 2025-07-01", "date: 2025-06-30")),
    Case("lapse-after-revocation", "A-X", ("extra.yaml", "{id: A-X"),
         edits=((G_WZJY_EVAL, "since: 2024-01-01, revoked: {date: 2026-06-01, reason: 长期不用}, "
                              "evaluation: {every_months: 24, last: 2025-06-01}}"),),
         extra=assign('by: D-SCJG, to: "370402101", matter: M-WZJY, date: 2026-06-01'),
         related=(("county.yaml", "{id: G-WZJY"),),
         fix=("date: 2026-06-01}", "date: 2026-05-31}")),
    Case("lapse-after-revocation", "A-X", ("extra.yaml", "{id: A-X"),
         name="expired-then-revoked",
         edits=((G_WZJY_EVAL, "since: 2024-01-01, until: 2026-06-01, revoked: {date: 2026-12-01, reason: 长期不用}, "
                              "evaluation: {every_months: 24, last: 2025-06-01}}"),),
         extra=assign('by: D-SCJG, to: "370402101", matter: M-WZJY, date: 2026-12-02'),
         # on 2026-08-01 the delegation has run out (until) but was not yet revoked: the documented
         # denial is pushdown-unlisted, not a lapse after revocation
         fix=("date: 2026-12-02}", "date: 2026-08-01}"),),
    Case("pushdown-new-vest", "A-X", ("extra.yaml", "{id: A-X"),
         extra=("matters:\n  - {id: M-TZXC, name: 特种设备安全监督巡查, domain: 市场监管, power_type: inspection}\n"
                'admissions:\n  - {id: ADM-TZ, matter: M-TZXC, applicant: D-SCJG, targets: ["370402101"], term: long,'
                ' since: 2026-01-01, basis: B-PROV-DEP}\n'
                + assign('by: D-SCJG, to: "370402101", matter: M-TZXC, date: 2026-03-01')),
         related=(("county.yaml", TPL_RET),),
         fix=("name: 特种设备安全监督巡查", "name: 特种设备安全宣传")),
    Case("pushdown-new-vest", "A-X", ("extra.yaml", "{id: A-X"),
         name="punctuation",
         extra=("matters:\n  - {id: M-TZXC, name: 特种设备 安全监督（检查）, domain: 市场监管, power_type: inspection}\n"
                + assign('by: D-SCJG, to: "370402101", matter: M-TZXC, date: 2026-03-01')),
         fix=("name: 特种设备 安全监督（检查）", "name: 特种设备安全监督抽查工作")),
    # ------------------------------------------------------------------ delegations
    Case("delegation-not-held", "W-X", ("extra.yaml", "{id: W-X"),
         extra=B_ENT + ('delegations:\n  - {id: W-X, matter: M-CQ, department: D-SCJG, townships: ["370402101"],'
                        ' mode: entrust, basis: B-ENT, since: 2025-01-01}\n'),
         fix=("matter: M-CQ, department: D-SCJG", "matter: M-CQ, department: D-ZJ")),
    Case("delegation-not-held", "W-X", ("extra.yaml", "{id: W-X"),
         name="future-delegation-held-on-since",
         edits=(("items: [M-WXZJ, M-CJ, M-CQ]", "items: [M-WXZJ, M-CJ, {matter: M-CQ, until: 2026-12-31}]"),),
         extra=B_ENT + ('delegations:\n  - {id: W-X, matter: M-CQ, department: D-ZJ, townships: ["370402101"],'
                        ' mode: entrust, basis: B-ENT, since: 2027-01-01}\n'),
         fix=("{matter: M-CQ, until: 2026-12-31}", "{matter: M-CQ, until: 2027-12-31}")),
    Case("delegation-other-county", "W-X", ("extra.yaml", "{id: W-X"),
         extra=B_ENT + ('delegations:\n  - {id: W-X, matter: M-WXZJ, department: D-XC-ZJ, townships: ["370402101"],'
                        ' mode: entrust, basis: B-ENT, since: 2025-01-01}\n'),
         fix=("department: D-XC-ZJ", "department: D-ZJ")),
    Case("delegation-grant-basis", "G-WZJY", ("county.yaml", "{id: G-WZJY"),
         edits=(("basis: B-PROV-DEC, since: 2024-01-01", "basis: B-DEC-X, since: 2024-01-01"),),
         extra=("bases:\n  - {id: B-DEC-X, number: 鲁政字〔2023〕9号, title: 关于赋予乡镇行政处罚权的决定, issuer: 山东省人民政府,"
                " level: province, kind: decision, issued: 2023-01-10, published: false}\n"),
         fix=("published: false", "published: true")),
    Case("delegation-grant-basis", "G-WZJY", ("county.yaml", "{id: G-WZJY"),
         name="county-deployment",
         edits=(("basis: B-PROV-DEC, since: 2024-01-01", "basis: B-COUNTY, since: 2024-01-01"),),
         # an entrustment (in the department's name) needs no provincial decision
         fix=("mode: grant, basis: B-COUNTY", "mode: entrust, basis: B-ENT"),
         extra=B_ENT),
    Case("delegation-entrust-basis", "W-X", ("extra.yaml", "{id: W-X"),
         extra=B_ENT + ('delegations:\n  - {id: W-X, matter: M-CQ, department: D-ZJ, townships: ["370402101"],'
                        ' mode: entrust, basis: B-COUNTY, since: 2025-01-01}\n'),
         fix=("basis: B-COUNTY, since", "basis: B-ENT, since")),
    Case("delegation-major-penalty", "G-X", ("extra.yaml", "{id: G-X"),
         extra=("matters:\n  - {id: M-DX, name: 吊销营业执照, domain: 市场监管, power_type: penalty, major_penalty: true}\n"
                "power_lists:\n  - holder: D-SCJG\n    items: [M-DX]\n"
                'delegations:\n  - {id: G-X, matter: M-DX, department: D-SCJG, townships: ["370402101"], mode: grant,'
                ' basis: B-PROV-DEC, since: 2025-01-01, evaluation: {every_months: 24}}\n'),
         fix=("major_penalty: true", "major_penalty: false")),
    Case("delegation-specialist", "W-X", ("extra.yaml", "{id: W-X"),
         extra=B_ENT + ('delegations:\n  - {id: W-X, matter: M-TZSB, department: D-SCJG, townships: ["370402101"],'
                        ' mode: entrust, basis: B-ENT, since: 2025-01-01}\n'),
         # a delegation that ended before the day of the check takes no part
         fix=("since: 2025-01-01}", "since: 2025-01-01, until: 2025-12-31}")),
    Case("delegation-specialist", "W-X", ("extra.yaml", "{id: W-X"),
         name="starting-after-on",
         extra=B_ENT + ('delegations:\n  - {id: W-X, matter: M-TZSB, department: D-SCJG, townships: ["370402101"],'
                        ' mode: entrust, basis: B-ENT, since: 2027-01-01}\n'),
         fix=("needs_specialist: true", "needs_specialist: false")),
    Case("delegation-to-village", "W-X", ("extra.yaml", "{id: W-X"),
         extra=B_ENT + ('delegations:\n  - {id: W-X, matter: M-CQ, department: D-ZJ, townships: ["370402101201"],'
                        ' mode: entrust, basis: B-ENT, since: 2025-01-01}\n'),
         fix=('townships: ["370402101201"]', 'townships: ["370402101"]')),
    Case("entrust-onward", "W-X", ("extra.yaml", "{id: W-X"),
         extra=B_ENT + ('delegations:\n  - {id: W-X, matter: M-WZJY, department: "370402101", townships: ["370402002"],'
                        ' mode: entrust, basis: B-ENT, since: 2025-01-01}\n'),
         fix=('department: "370402101"', "department: D-SCJG")),
    # ------------------------------------------------------------------ lapses
    Case("evaluation-overdue", "G-WZJY", ("county.yaml", "{id: G-WZJY"),
         edits=(("evaluation: {every_months: 24, last: 2025-06-01}", "evaluation: {every_months: 12, last: 2025-06-01}"),),
         # due exactly on the day of the check is not yet overdue
         fix=("last: 2025-06-01", "last: 2025-11-23")),
    Case("evaluation-overdue", "G-WZJY", ("county.yaml", "{id: G-WZJY"),
         name="never-evaluated-counts-from-since",
         edits=(("evaluation: {every_months: 24, last: 2025-06-01}", "evaluation: {every_months: 24}"),),
         fix=("since: 2024-01-01, evaluation", "since: 2024-11-23, evaluation")),
    Case("evaluation-missing", "G-WZJY", ("county.yaml", "{id: G-WZJY"),
         edits=((", evaluation: {every_months: 24, last: 2025-06-01}}", "}"),),
         # an entrustment needs no evaluation schedule
         fix=("mode: grant, basis: B-PROV-DEC", "mode: entrust, basis: B-ENT"),
         extra=B_ENT),
    # ------------------------------------------------------------------ templates
    Case("template-other-county", T, ("county.yaml", '- township: "370402101"'),
         edits=(("    template: TPL-SZ\n    basic: [M-DB]", "    template: TPL-XC\n    basic: [M-DB]"),),
         extra=('township_templates:\n  - id: TPL-XC\n    name: 薛城区乡镇(街道)履行职责事项清单（标准版）\n'
                '    county: "370403"\n    basic: [M-DJ]\n'),
         related=(("extra.yaml", "- id: TPL-XC"),),
         fix=('county: "370403"', 'county: "370402"')),
    # ------------------------------------------------------------------ bases
    Case("basis-undated", "B-LAW/A-X", ("extra.yaml", "{id: A-X"),
         extra=("bases:\n  - {id: B-LAW, number: 《中华人民共和国城乡规划法》第六十五条, title: 城乡规划法,"
                " issuer: 全国人民代表大会常务委员会, level: central, kind: law, undated: true}\n"
                + assign('by: "370402101", to: "370402101201", matter: M-DB, date: 2026-03-01, basis: B-LAW')),
         related=(("extra.yaml", "{id: B-LAW"),),
         fix=("undated: true", "issued: 2019-04-23")),
    # ------------------------------------------------------------------ village lists
    Case("village-list-responsible", "370402101201/M-CQ", ("county.yaml", "{matter: M-CQ, supervisor: D-ZJ"),
         edits=(("      - {matter: M-DB, supervisor: D-MZ, category: 民生保障}\n",
                 "      - {matter: M-DB, supervisor: D-MZ, category: 民生保障}\n"
                 "      - {matter: M-CQ, supervisor: D-ZJ, category: 城乡建设, role: responsible}\n"),),
         fix=("category: 城乡建设, role: responsible", "category: 城乡建设, role: assist")),
    # 永安镇's returned list is the template's one entry (M-TZSB, 市场监管)
    Case("published-count-mismatch", f"{T}/returned", ("county.yaml", "published: {returned:"),
         edits=(own("    published: {returned: {total: 2, by_domain: {市场监管: 1}}}"),),
         fix=("{total: 2,", "{total: 1,")),
    # exercises (issue 16): a penalty decided by the township after its grant was revoked
    Case("exercise-without-power", "X-X", ("extra.yaml", "{id: X-X"),
         edits=((G_WZJY_EVAL, "since: 2024-01-01, revoked: {date: 2026-06-01, reason: 长期不用}, "
                              "evaluation: {every_months: 24, last: 2025-06-01}}"),),
         extra='exercises:\n  - {id: X-X, unit: "370402101", matter: M-WZJY, date: 2026-06-01, kind: penalty}\n',
         related=(("county.yaml", "{id: G-WZJY"),),
         fix=("date: 2026-06-01, kind", "date: 2026-05-31, kind")),
    # registers (issue 20)
    Case("inspection-outside-plan", f"{T}/X-I", ("extra.yaml", "{id: X-I"),
         extra=PLAN + f'inspections:\n  - {{id: X-I, department: D-SCJG, target: "{T}", date: 2026-05-01, item: I-XX}}\n',
         related=(("extra.yaml", "{id: P-1"),),
         fix=("item: I-XX}", "item: I-1}")),
    Case("inspection-plan-over-limit", "D-SCJG/P-1", ("extra.yaml", "{id: P-1"),
         extra=PLAN.replace("items: [{id: I-1, name: 食品安全检查}]",
                            "items: [{id: I-1, name: 食品安全检查}, {id: I-2, name: 价格检查}]"),
         fix=("year: 2026,", "year: 2026, limit: 2,")),
    Case("evaluation-not-listed", f"{V}/X-E", ("extra.yaml", "{id: X-E"),
         extra=PLAN.replace("{id: I-1, name: 食品安全检查}", "{id: I-1, name: 食品安全检查, kind: evaluation}")
         + f'evaluation_items:\n  - {{community: "{V}", items: [{{id: I-9, name: 平安社区评比}}]}}\n'
         + f'inspections:\n  - {{id: X-E, department: D-SCJG, target: "{V}", date: 2026-05-01, item: I-1, kind: evaluation}}\n',
         fix=("items: [{id: I-9, name: 平安社区评比}]", "items: [{id: I-1, name: 食品安全评比}]")),
    Case("documents-above-baseline", "D-ZJ/DC-1", ("extra.yaml", "{id: DC-1"),
         extra=COUNT.replace("substitutes: {}", "substitutes: {notes: 2}"),
         fix=("substitutes: {notes: 2}", "substitutes: {notes: 1}")),
    Case("meetings-above-baseline", "D-ZJ/DC-1", ("extra.yaml", "{id: DC-1"),
         extra=COUNT.replace("meetings: 10,", "meetings: 11,"), fix=("meetings: 11,", "meetings: 10,")),
    Case("secondment-without-admission", f"{T}/S-1", ("extra.yaml", "{id: S-1"),
         extra=SECOND.replace(', admission: {by: "370402", date: 2026-02-01}', ""),
         fix=("until: 2026-12-31}", 'until: 2026-12-31, admission: {by: "370402", date: 2026-02-01}}')),
    Case("secondment-overdue", f"{T}/S-1", ("extra.yaml", "{id: S-1"),
         extra=SECOND.replace("until: 2026-12-31", "until: 2026-10-31"),
         fix=("until: 2026-10-31", "until: 2026-10-31, returned: 2026-10-30")),
    Case("board-outside-register", f"{V}/党建示范点", ("extra.yaml", f'unit: "{V}"'),
         extra=BOARDS.replace("present: [BD-1]", "present: [BD-1, 党建示范点]"),
         fix=("present: [BD-1, 党建示范点]", "present: [BD-1, 村民委员会]")),
    Case("board-without-consent", f"{V}/BD-2", ("extra.yaml", "{id: BD-2"),
         extra=BOARDS.replace("kind: outer_sign}]", 'kind: outer_sign}, {id: BD-2, name: 专职网格员, kind: post, '
                              'consent: {by: "370402", date: 2026-01-01}}]'),
         fix=('consent: {by: "370402"', 'consent: {by: "37"')),
    Case("seal-use-outside-scope", f"{V}/U-1", ("extra.yaml", "{id: U-1"),
         extra=SEAL.replace("purpose: SEAL-1", "purpose: 企业经营证明"),
         fix=("purpose: 企业经营证明", "purpose: 居住证明")),
    Case("form-duplicate-fields", f"{T}/F-1+F-2", ("extra.yaml", "{id: F-1"),
         extra=FORMS.replace("fields: [床位数]", "fields: [户数, 床位数]"),
         related=(("extra.yaml", "{id: F-2"),),
         fix=("fields: [户数, 床位数]", "fields: [床位数]")),
    Case("form-not-registered", f"{T}/R-1", ("extra.yaml", "{id: R-1"),
         extra=FORMS + f'data_requests:\n  - {{id: R-1, department: D-ZJ, unit: "{T}", form: F-1, date: 2026-05-01}}\n',
         fix=("department: D-ZJ, unit", "department: D-MZ, unit")),
]


# --------------------------------------------------------------------------- helpers
def apply(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, f"edit target must occur exactly once: {old!r}"
    return text.replace(old, new)


def line_of(text: str, needle: str) -> int:
    hits = [no for no, line in enumerate(text.splitlines(), 1) if needle in line]
    assert len(hits) == 1, f"needle {needle!r} must be on exactly one line, found {hits}"
    return hits[0]


def case_files(case: Case, fixed: bool) -> dict[str, str]:
    county = MINI
    for old, new in case.edits:
        county = apply(county, old, new)
    files = {"county.yaml": county}
    if case.extra:
        files["extra.yaml"] = case.extra
    if fixed:
        assert case.fix is not None
        old, new = case.fix
        owners = [name for name, text in files.items() if old in text]
        assert len(owners) == 1, f"fix target must be in exactly one file: {old!r} in {owners}"
        files[owners[0]] = apply(files[owners[0]], old, new)
    return files


def load(root: Path):
    result = validate_tree(root, LoadOptions(workers=1))
    assert result.ok, "\n".join(d.format() for d in result.diagnostics)
    return result.policy


def build(tmp_path: Path, case: Case, fixed: bool) -> tuple[Path, dict[str, str], list]:
    root = tmp_path / ("fixed" if fixed else "policy")
    root.mkdir()
    files = case_files(case, fixed)
    for name, text in files.items():
        (root / name).write_text(text, encoding="utf-8")
    return root, files, run_checks(load(root), case.on)


def same_file(span_file: str, root: Path, name: str) -> bool:
    """Spans name files relative to the policy root (POSIX), never where the tree lies."""
    return span_file == name


def _params(kind: str):
    out = []
    for c in CASES:
        reason = c.xfail_fire if kind == "fire" else c.xfail_miss
        marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
        out.append(pytest.param(c, id=c.id, marks=marks))
    return out


# --------------------------------------------------------------------------- per-rule cases
@pytest.mark.parametrize("case", _params("fire"))
def test_rule_fires(tmp_path, case: Case):
    root, files, findings = build(tmp_path, case, fixed=False)
    mine = [f for f in findings if f.code == case.rule]
    assert {f.subject for f in mine} == {case.subject, *case.also}, [f.format() for f in findings]
    f = next(f for f in mine if f.subject == case.subject)
    assert f.severity == all_rules()[case.rule].severity
    name, needle = case.at
    assert f.span is not None and same_file(f.span.file, root, name), f.span
    assert f.span.line == line_of(files[name], needle), f.format()
    for rname, rneedle in case.related:
        want = line_of(files[rname], rneedle)
        assert any(same_file(s.file, root, rname) and s.line == want for s in f.related), f.format()


@pytest.mark.parametrize("case", _params("miss"))
def test_near_miss_does_not_fire(tmp_path, case: Case):
    _, _, findings = build(tmp_path, case, fixed=True)
    assert [f.format() for f in findings if f.code == case.rule] == []


def test_every_rule_has_a_firing_case_and_a_near_miss():
    rules = set(all_rules())
    plain = [c for c in CASES if c.xfail_fire is None and c.xfail_miss is None and c.fix is not None]
    assert {c.rule for c in plain} == rules
    assert {c.rule for c in CASES} <= rules


def test_rule_ids_unique_and_kebab_case():
    ids = [rule.id for family in REGISTRY.families for rule in family.rules]
    assert len(ids) == len(set(ids)) == len(all_rules())
    for rid in ids:
        assert re.fullmatch(r"[a-z]+(-[a-z]+)*", rid), rid
    for rule in all_rules().values():
        assert rule.severity in (Severity.error, Severity.warning)
        assert rule.title and rule.title_en and rule.fix


# --------------------------------------------------------------------------- bundled trees
def test_mini_fixture_has_no_findings():
    assert run_checks(load(MINI_DIR), dt.date(2025, 3, 1)) == []


def _violation_findings():
    return run_checks(load(VIOLATIONS), ON)


def test_violations_fire_every_rule_once():
    findings = _violation_findings()
    codes = [f.code for f in findings]
    assert set(codes) == set(all_rules())
    assert len(codes) == len(set(codes)), "each rule is demonstrated on one subject"
    assert len({f.subject for f in findings}) == len(findings), "each on a distinct subject"


def test_violations_entries_are_commented_with_their_rule():
    """The contiguous comment block right above each finding's line names its rule (`# rule-id: …`)."""
    for f in _violation_findings():
        lines = (VIOLATIONS / f.span.file).read_text(encoding="utf-8").splitlines()
        block, i = [], f.span.line - 2
        while i >= 0 and lines[i].lstrip().startswith("#"):
            block.append(lines[i])
            i -= 1
        assert any(f"# {f.code}:" in b for b in block), f.format()


def test_violations_policy_test_lists_exactly_the_findings():
    cases = yaml.safe_load((VIOLATIONS / "violations_test.yaml").read_text(encoding="utf-8"))["tests"]
    # PyYAML reads the key `on` as the YAML 1.1 boolean True
    exact = [c for c in cases if "findings" in c and c.get("exact", True) and c.get("on", c.get(True)) == ON]
    assert len(exact) == 1
    want = {(x["rule"], x["subject"]) for x in exact[0]["findings"]}
    assert want == {(f.code, f.subject) for f in _violation_findings()}


# --------------------------------------------------------------------------- CLI
runner = CliRunner()


def cli(*args: str):
    return runner.invoke(app, [*args, "--no-cache"])


def test_cli_check_exit_codes():
    bad = cli("check", str(VIOLATIONS), "--on", "2026-11-23")
    assert bad.exit_code == 1, bad.output
    assert "pushdown-new-vest" in bad.output and "52 个错误" in bad.output
    good = cli("check", str(MINI_DIR), "--on", "2025-03-01")
    assert good.exit_code == 0, good.output
    assert cli("check", str(VIOLATIONS), "--on", "2026-11-23", "--fail-on", "never").exit_code == 0
    assert cli("check", str(VIOLATIONS), "--on", "2026-11-23", "--fail-on", "warning").exit_code == 1
    assert cli("check", str(VIOLATIONS), "--on", "2026-13-01").exit_code == 2


def test_cli_fail_on_warning(tmp_path):
    # only a warning: a grant without evaluation schedule
    (tmp_path / "county.yaml").write_text(
        apply(MINI, ", evaluation: {every_months: 24, last: 2025-06-01}}", "}"), encoding="utf-8")
    out = cli("check", str(tmp_path), "--on", "2026-11-23")
    assert out.exit_code == 0 and "evaluation-missing" in out.output, out.output
    assert cli("check", str(tmp_path), "--on", "2026-11-23", "--fail-on", "warning").exit_code == 1
    assert cli("check", str(tmp_path), "--on", "2026-11-23", "--fail-on", "error").exit_code == 0
    assert cli("check", str(tmp_path), "--on", "2026-11-23", "--fail-on", "never").exit_code == 0


def test_cli_check_json():
    out = cli("check", str(VIOLATIONS), "--on", "2026-11-23", "--format", "json")
    assert out.exit_code == 1
    doc = json.loads(out.output)
    assert doc["ok"] is False and doc["summary"]["on"] == "2026-11-23"
    assert doc["summary"]["count"] == len(doc["diagnostics"]) == len(all_rules())
    assert {d["code"] for d in doc["diagnostics"]} == set(all_rules())
    by_code = {d["code"]: d for d in doc["diagnostics"]}
    vest = by_code["pushdown-new-vest"]
    assert vest["severity"] == "warning" and vest["subject"] == "A-NEW-VEST"
    assert vest["file"].endswith("台儿庄区.yaml")
    text = (VIOLATIONS / "台儿庄区.yaml").read_text(encoding="utf-8")
    assert vest["line"] == line_of(text, "{id: A-NEW-VEST")


def test_cli_check_sarif():
    out = cli("check", str(VIOLATIONS), "--on", "2026-11-23", "--format", "sarif")
    assert out.exit_code == 1
    doc = json.loads(out.output)
    assert doc["version"] == "2.1.0" and "sarif-2.1.0" in doc["$schema"]
    (run,) = doc["runs"]
    assert {r["id"] for r in run["tool"]["driver"]["rules"]} >= set(all_rules())
    results = run["results"]
    assert {r["ruleId"] for r in results} == set(all_rules())
    levels = {r["ruleId"]: r["level"] for r in results}
    assert levels["evaluation-missing"] == "warning" and levels["missing-lead"] == "error"
    # paths are relative to the policy root (uriBaseId); only the CLI says where that root is
    base = run["originalUriBaseIds"]["POLICYROOT"]["uri"]
    assert base == VIOLATIONS.resolve().as_uri() + "/"
    for r in results:
        loc = r["locations"][0]["physicalLocation"]
        art = loc["artifactLocation"]
        assert art["uriBaseId"] == "POLICYROOT" and not art["uri"].startswith(("/", "file:"))
        path = Path(url2pathname(urlparse(base + art["uri"]).path))
        assert path.parent == VIOLATIONS.resolve()
        lines = path.read_text(encoding="utf-8").splitlines()
        start = loc["region"]["startLine"]
        # the line above (within the comment block) names the rule: the region is the violating entry
        above = []
        i = start - 2
        while i >= 0 and lines[i].lstrip().startswith("#"):
            above.append(lines[i])
            i -= 1
        assert any(f"# {r['ruleId']}:" in a for a in above), (r["ruleId"], start)
    text = (VIOLATIONS / "台儿庄区.yaml").read_text(encoding="utf-8")
    vest = next(r for r in results if r["ruleId"] == "pushdown-new-vest")
    assert vest["locations"][0]["physicalLocation"]["region"]["startLine"] == line_of(text, "{id: A-NEW-VEST")


def test_cli_policy_tests_of_violations_pass(tmp_path, monkeypatch):
    pytest.importorskip("admission.evaluate.policytest")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))  # `test` has no --no-cache
    out = runner.invoke(app, ["test", str(VIOLATIONS)])
    assert out.exit_code == 0, out.output
