"""`admission burden UNIT`: the burden of one township or village at a glance (issue 20) — its
list items, the work pushed down and the inspections that touch it this year, its seconded
staff, boards and forms, each against its limit and beside the baseline year; a county's id
ranks its townships instead.  Exit 0; 1 when a row is over its limit; 2 for an unknown unit.
"""

from __future__ import annotations

from typing import Annotated

import typer

from .common import DEFAULT_POLICIES, Policies, fail, load_or_exit, parse_date
from .output import Format, emit_json, progress


def burden_cmd(
    unit: Annotated[str, typer.Argument(help="乡镇、村(社区)或县级党委政府的编号 township, village or county")],
    directory: Policies = DEFAULT_POLICIES,
    on: Annotated[str | None, typer.Option(help="日期 YYYY-MM-DD（默认今天）date")] = None,
    baseline: Annotated[int | None, typer.Option(help="基准年（默认取登记册写明的基准年）baseline year")] = None,
    format: Annotated[Format, typer.Option("--format", "-f")] = Format.text,
) -> None:
    """一个乡镇或村的负担一览；县的编号则按负担排列其乡镇 — the burden view of a unit."""
    from ..compile.index import build_index
    from ..evaluate.burden import county_burden, unit_burden
    from ..language.enums import UnitKind

    loaded = load_or_exit(directory, json=format == Format.json, with_result=True)
    day = parse_date(on)
    with progress("建立索引 indexing …"):
        index = build_index(loaded.policy)
    info = index.units.get(unit)
    if info is None or info.kind not in (UnitKind.township, UnitKind.village, UnitKind.government):
        fail(f"未知的乡镇、村或县 unknown unit: {unit}", 2)
    views = county_burden(index, unit, day, baseline) if info.kind is UnitKind.government else \
        [unit_burden(index, unit, day, baseline)]
    over = any(v.over for v in views)
    if format == Format.json:
        payload = {"ranking": [v.to_dict() for v in views]} if info.kind is UnitKind.government else \
            {"burden": views[0].to_dict()}
        emit_json(True, loaded.policy.revision, loaded.diagnostics, **payload)
        raise typer.Exit(1 if over else 0)
    if info.kind is UnitKind.government:
        typer.echo(f"{info.name} 乡镇(街道)负担排名 townships ranked by burden（{day}）")
        for rank, v in enumerate(views, 1):
            typer.echo(f"  {rank:>3}. {v.name} {v.unit}  超限 over {v.over}  负担 load {v.load}")
    else:
        say_burden(views[0])
    raise typer.Exit(1 if over else 0)


def say_burden(b) -> None:
    typer.echo(f"{b.name} {b.unit} 负担一览 burden（{b.on}，基准年 baseline {b.baseline_year}）")
    for r in b.rows:
        limit = "-" if r.limit is None else str(r.limit)
        change = "" if r.change is None else f"  较 {r.baseline_year or b.baseline_year} 年 vs baseline: {r.change:+d}"
        mark = "  超限 OVER" if r.over else ""
        typer.echo(f"  {r.label}: {r.count}（上限 limit {limit}）{change}{mark}")
        for d in r.details:
            typer.echo(f"      {d}")
