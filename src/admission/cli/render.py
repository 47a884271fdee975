"""`admission render …`: draw a view of a policy with Graphviz.

    admission render unit 370402101 [--expanded] -o 永安镇.svg
    admission render department|matter|county ID -o FILE
    admission render flow admission [--counts counts.json] -o flow.svg
    admission render diff OLD NEW -o diff.svg
    admission render all [--policies policies] [--out diagrams]

The format follows `-o FILE`'s suffix (.svg .png .pdf .dot) or `--format`; without `-o` the
render goes to standard output.  Exit 0 written, 1 Graphviz failed, 2 bad input.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from .common import HELP_SETTINGS, Policies, fail
from .output import progress

render_app = typer.Typer(
    **HELP_SETTINGS,
    help="用 Graphviz 绘制责任关系图（SVG/PNG/PDF/DOT）— draw the responsibility graphs.",
    no_args_is_help=True)

On = Annotated[Optional[str], typer.Option("--on", help="日期 YYYY-MM-DD（默认今天，北京时间） date")]
Output = Annotated[Optional[Path], typer.Option("-o", "--output", help="输出文件，后缀决定格式 output file")]
Fmt = Annotated[Optional[str], typer.Option("--format", "-f", help="svg|png|pdf|dot（默认按后缀，否则 svg）")]
Expanded = Annotated[bool, typer.Option("--expanded", help="明细：列出每一条目 every entry")]


def _day(on: str | None) -> dt.date:
    from .common import parse_date

    return parse_date(on)


def _context(policies: Path, on: str | None):
    from ..evaluate.checks import run_checks
    from .common import load_or_exit
    from ..compile.index import build_index

    day = _day(on)
    policy = load_or_exit(policies)
    with progress(f"检查 checking {day} …"):
        index = build_index(policy)
        findings = run_checks(policy, day, index)
    return policy, index, findings, day


def _emit(graph, output: Path | None, fmt: str | None) -> None:
    from ..render.output import RenderError, format_for, render_bytes

    try:
        kind = format_for(output, fmt)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
    try:
        with progress(f"绘制 rendering {kind} …"):
            data = render_bytes(graph, kind)
    except RenderError as exc:
        fail(f"错误 error: {exc}", 1)
    if output is None:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_bytes(data)
    typer.echo(f"已写入 wrote {output}（{kind}）", err=True)


def _view(fn, *args, **kwargs):
    try:
        return fn(*args, **kwargs)
    except ValueError as exc:
        fail(f"错误 error: {exc}", 2)


@render_app.command("unit")
def unit_cmd(
    township: Annotated[str, typer.Argument(help="乡镇(街道)标识 township id")],
    policies: Policies = Path("policies"), on: On = None, expanded: Expanded = False,
    output: Output = None, format: Fmt = None,
    detail_href: Annotated[Optional[str], typer.Option(
        help="概览中计数的链接，{unit} {anchor} 会被替换（默认：-o 文件旁的 <名>-expanded.svg）"
             " link of each count")] = None,
) -> None:
    """乡镇视图：三张清单、赋权、准入与问题 — a township, summary or expanded."""
    from ..render.unit import DEFAULT_DETAIL_HREF, unit_view

    policy, index, findings, day = _context(policies, on)
    href = detail_href
    if href is None:
        # the summary links to the expanded form written beside it: X.svg / X-summary.svg -> X-expanded.svg
        href = (f"{output.stem.removesuffix('-summary')}-expanded.svg#{{anchor}}" if output is not None
                else DEFAULT_DETAIL_HREF)
    _emit(_view(unit_view, policy, index, township, on=day, findings=findings, expanded=expanded,
                detail_href=href), output, format)


@render_app.command("department")
def department_cmd(
    department: Annotated[str, typer.Argument(help="部门标识 department id")],
    policies: Policies = Path("policies"), on: On = None, expanded: Expanded = False,
    output: Output = None, format: Fmt = None,
) -> None:
    """部门视图：牵头、承接收回、赋权、准入、下派，逐乡镇 — a department, township by township."""
    from ..render.department import department_view

    policy, index, findings, day = _context(policies, on)
    _emit(_view(department_view, policy, index, department, on=day, findings=findings, expanded=expanded),
          output, format)


@render_app.command("matter")
def matter_cmd(
    matter: Annotated[str, typer.Argument(help="事项编码 matter id")],
    policies: Policies = Path("policies"), on: On = None,
    county: Annotated[Optional[str], typer.Option("--county", help="县级党委政府标识（默认：涉及该事项的所有县）")] = None,
    output: Output = None, format: Fmt = None,
) -> None:
    """事项视图：该事项在各乡镇由谁负责，交叉与缺位标红 — who owns a matter across townships."""
    from ..render.matter import matter_view

    policy, index, findings, day = _context(policies, on)
    _emit(_view(matter_view, policy, index, matter, on=day, findings=findings, county=county), output, format)


@render_app.command("county")
def county_cmd(
    county: Annotated[str, typer.Argument(help="县级党委政府标识 county id")],
    policies: Policies = Path("policies"), on: On = None, output: Output = None, format: Fmt = None,
) -> None:
    """县(区)总览：乡镇 × 清单类别计数与问题数 — townships × list kinds."""
    from ..render.county import county_view

    policy, index, findings, day = _context(policies, on)
    _emit(_view(county_view, policy, index, county, on=day, findings=findings), output, format)


@render_app.command("flow")
def flow_cmd(
    flow: Annotated[str, typer.Argument(help="流程标识 flow id（如 admission、adjustment）")],
    policies: Policies = Path("policies"),
    counts: Annotated[Optional[str], typer.Option(
        "--counts", help="各状态的申请数：JSON 对象或 JSON 文件路径 {state: n}")] = None,
    output: Output = None, format: Fmt = None,
) -> None:
    """流程图：状态按阶段分组，流转标注步骤与角色 — a flow definition."""
    from .common import load_or_exit
    from ..render.flow import flow_view

    policy = load_or_exit(policies)
    _emit(_view(flow_view, policy, flow, counts=_counts(counts)), output, format)


def _counts(value: str | None) -> dict[str, int] | None:
    if value is None:
        return None
    text = value
    if not value.lstrip().startswith("{"):
        try:
            text = Path(value).read_text(encoding="utf-8")
        except OSError as exc:
            raise typer.BadParameter(f"无法读取 {value}：{exc.strerror}") from None
    try:
        data = json.loads(text)
        if not isinstance(data, dict) or not all(isinstance(k, str) and isinstance(v, int) and not isinstance(v, bool)
                                                 for k, v in data.items()):
            raise ValueError
    except ValueError:
        raise typer.BadParameter("--counts 应为 JSON 对象 {状态: 整数}") from None
    return data


@render_app.command("diff")
def diff_cmd(
    old: Annotated[Path, typer.Argument(help="旧策略目录 old policy directory")],
    new: Annotated[Path, typer.Argument(help="新策略目录 new policy directory")],
    on: On = None, output: Output = None, format: Fmt = None,
) -> None:
    """两个策略版本的对比图：新增绿、减少红、移动橙 — two revisions in one graph."""
    from .common import load_or_exit
    from ..render.diff import diff_view

    day = _day(on)
    before, after = load_or_exit(old), load_or_exit(new)
    _emit(diff_view(before, after, on=day), output, format)


@render_app.command("all")
def all_cmd(
    policies: Policies = Path("policies"),
    out: Annotated[Path, typer.Option("--out", help="输出目录 output directory")] = Path("diagrams"),
    on: Annotated[Optional[str], typer.Option(
        "--on", help="日期（默认 2026-11-23，固定以便 diagrams/ 可复现）date")] = None,
) -> None:
    """重新生成 diagrams/：各县总览、永安镇概览与明细、一个部门、一个事项、全部流程（DOT 与 SVG）
    — regenerate diagrams/ from the bundled policies."""
    from .common import load_or_exit
    from ..render.bundle import DIAGRAMS_ON, render_all
    from ..render.output import RenderError

    day = _day(on) if on else DIAGRAMS_ON
    policy = load_or_exit(policies)
    try:
        with progress(f"渲染 rendering → {out}/ …"):
            written = render_all(policy, out, day)
    except RenderError as exc:
        fail(f"错误 error: {exc}", 1)
    for path in written:
        typer.echo(str(path))
    typer.echo(f"已生成 {len(written)} 个文件 wrote {len(written)} files ({day})", err=True)
