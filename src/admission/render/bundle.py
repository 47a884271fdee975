"""`admission render all`: the renders of the bundled policies kept in `diagrams/` — a county
overview per county, one township in summary and expanded form, one department, one matter and
every flow — as DOT sources and SVGs.

The date is fixed (`DIAGRAMS_ON`) so the files change only when the policies or the renderers
do; `tests/test_render.py` regenerates the DOT sources and fails when the committed ones are
stale (SVGs carry Graphviz's version, so only DOT is compared).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import graphviz

from ..evaluate.checks import run_checks
from ..compile.index import Index, build_index
from ..language import Policy
from ..language.enums import UnitKind
from .burden import burden_view
from .county import county_view
from .data import counties_of, township_items, townships_of
from .department import department_view
from .flow import flow_view
from .matter import matter_view
from .output import dot_source, render_bytes
from .unit import unit_view

#: the date the committed diagrams are drawn for
DIAGRAMS_ON = dt.date(2026, 11, 23)
#: the showcase township (永安镇, the 340-item list), department (区住房和城乡建设局: leads,
#: takes back, applied for an admission, recorded assignments) and matter (户外广告处罚: returned
#: in ten townships, delegated to one)
TOWNSHIP = "370402101"
DEPARTMENT = "11370402MB4668964R"
MATTER = "ZF-CF-013"
PREFIXES = ("county-", "unit-", "department-", "matter-", "flow-", "burden-")


def unit_file(uid: str, form: str = "summary") -> str:
    return f"unit-{uid}-{form}"


def diagram_set(policy: Policy, index: Index | None = None, on: dt.date = DIAGRAMS_ON, *,
                township: str = TOWNSHIP, department: str = DEPARTMENT,
                matter: str = MATTER) -> dict[str, graphviz.Digraph]:
    """File stem -> view, for every diagram of `diagrams/`.  A showcase id missing from the
    policy falls back to the largest township, the department leading most, the first matter."""
    index = index or build_index(policy)
    findings = run_checks(policy, on, index)
    counties = counties_of(policy, index)
    if township not in policy.units or policy.units[township].kind != UnitKind.township:
        sizes = [(-sum(len(v) for v in township_items(policy, index, t, on).values()), t)
                 for c in counties for t in townships_of(policy, index, c, on)]
        township = min(sizes)[1] if sizes else ""
    if department not in policy.units or policy.units[department].kind != UnitKind.department:
        depts = sorted(uid for uid, info in index.units.items()
                       if info.kind == UnitKind.department and info.county in counties)
        department = depts[0] if depts else ""
    if matter not in policy.matters:
        matter = min(policy.matters) if policy.matters else ""

    linked = {township} if township else set()

    def unit_href(uid: str) -> str | None:
        return f"{unit_file(uid)}.svg" if uid in linked else None

    out: dict[str, graphviz.Digraph] = {}
    for c in counties:
        out[f"county-{c}"] = county_view(policy, index, c, on=on, findings=findings, unit_href=unit_href)
    if township:
        out[unit_file(township, "summary")] = unit_view(
            policy, index, township, on=on, findings=findings, expanded=False,
            detail_href=f"{unit_file(township, 'expanded')}.svg#{{anchor}}")
        out[unit_file(township, "expanded")] = unit_view(policy, index, township, on=on, findings=findings,
                                                         expanded=True)
    if department:
        out[f"department-{department}"] = department_view(policy, index, department, on=on, findings=findings,
                                                          unit_href=unit_href)
    if matter:
        county = index.units[township].county if township else None
        out[f"matter-{matter}"] = matter_view(policy, index, matter, on=on, findings=findings, county=county,
                                              unit_href=unit_href)
    for fid in sorted(policy.flows):
        out[f"flow-{fid}"] = flow_view(policy, fid)
    if township:
        out[f"burden-{township}"] = burden_view(index, township, on)
    return out


def render_all(policy: Policy, out_dir: Path, on: dt.date = DIAGRAMS_ON, formats: tuple[str, ...] = ("dot", "svg"),
               index: Index | None = None) -> list[Path]:
    """Write every diagram of `diagram_set` to `out_dir` in each format, remove the renders of
    an earlier run that are no longer produced, and write an index (README.md)."""
    graphs = diagram_set(policy, index, on)
    out_dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for stem, g in graphs.items():
        for fmt in formats:
            path = out_dir / f"{stem}.{fmt}"
            data = dot_source(g).encode("utf-8") if fmt == "dot" else render_bytes(g, fmt)
            if not path.exists() or path.read_bytes() != data:
                path.write_bytes(data)
            written.append(path)
    keep = {p.name for p in written}
    for old in sorted(out_dir.iterdir()):
        if (old.is_file() and old.name.startswith(PREFIXES) and old.suffix.lstrip(".") in ("dot", "svg", "png", "pdf")
                and old.name not in keep):
            old.unlink()
    readme = out_dir / "README.md"
    readme.write_text(_readme(graphs, on), encoding="utf-8")
    written.append(readme)
    return written


def _readme(graphs: dict[str, graphviz.Digraph], on: dt.date) -> str:
    what = {"county-": "县(区)总览：乡镇 × 清单类别计数，各乡镇问题数",
            "unit-": "乡镇视图", "department-": "部门视图：牵头、承接收回、赋权、准入、下派（逐乡镇）",
            "matter-": "事项视图：各乡镇的责任主体", "flow-": "流程定义（状态按阶段分组）",
            "burden-": "负担一览：清单事项、下派、督查检查、借调、牌子、表格，各对上限与基准年"}
    lines = ["# diagrams/ — 由 `admission render all` 生成，请勿手改 (generated; do not edit)", "",
             f"Renders of `policies/` on {on} (DOT sources and SVGs).  Regenerate with:", "",
             "```sh", ".venv/bin/admission render all --policies policies --out diagrams", "```", "",
             "`tests/test_render.py` fails when the DOT sources here are stale.", "",
             "| file | view |", "|---|---|"]
    for stem in graphs:
        kind = next((v for k, v in what.items() if stem.startswith(k)), "")
        if stem.startswith("unit-"):
            kind += "（概览：按领域计数，链接到明细）" if stem.endswith("-summary") else "（明细：每一条目）"
        lines.append(f"| [{stem}.svg]({stem}.svg) ([dot]({stem}.dot)) | {kind} |")
    return "\n".join(lines) + "\n"
