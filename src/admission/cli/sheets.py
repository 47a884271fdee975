"""`admission import xlsx …` and `admission export xlsx|csv|html …`.  Exit codes: 0 ok, 1
problems (nothing written), 2 usage errors.  openpyxl is imported only when a command runs."""

from __future__ import annotations

import datetime as dt
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from .common import HELP_SETTINGS, Policies, fail
from .output import emit_json, progress

import_app = typer.Typer(**HELP_SETTINGS, help="从电子表格导入清单 — import published lists from spreadsheets.",
                         no_args_is_help=True)
export_app = typer.Typer(**HELP_SETTINGS, help="按公示格式导出清单 — export lists in the layout counties publish.",
                         no_args_is_help=True)


class KindChoice(str, Enum):
    basic = "basic"
    cooperative = "cooperative"
    returned = "returned"
    delegated = "delegated"
    village_duties = "village-duties"
    village_assisting = "village-assisting"
    village_negative = "village-negative"
    may_certify = "may-certify"
    must_not_certify = "must-not-certify"


class ModeChoice(str, Enum):
    grant = "grant"
    entrust = "entrust"


class OutFormat(str, Enum):
    text = "text"
    json = "json"


class Grouping(str, Enum):
    sections = "sections"
    column = "column"


Unit = Annotated[str, typer.Option("--unit", "-u", help="单位标识或名称 unit id or name")]


def _date(value: Optional[str], name: str) -> Optional[dt.date]:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"日期应为 YYYY-MM-DD：{value!r}", param_hint=name) from None


def _today() -> dt.date:
    from zoneinfo import ZoneInfo

    return dt.datetime.now(ZoneInfo("Asia/Shanghai")).date()


def _load(directory: Path, json: bool = False, with_result: bool = False):
    from .common import load_or_exit

    return load_or_exit(directory, json=json, with_result=with_result)


def _usage(exc: Exception) -> None:
    fail(f"用法错误 usage: {exc}", 2)


@import_app.command("xlsx")
def import_xlsx(
    workbook: Annotated[Path, typer.Argument(help="工作簿 .xlsx workbook")],
    kind: Annotated[KindChoice, typer.Option("--kind", "-k", help="清单类型 list kind")],
    unit: Unit,
    output: Annotated[Path, typer.Option("--output", "-o", help="输出目录 output directory")],
    directory: Policies = Path("policies"),
    sheet: Annotated[Optional[str], typer.Option("--sheet", help="工作表名称（默认按清单类型识别）sheet")] = None,
    columns: Annotated[Optional[Path], typer.Option(
        "--columns", help="列映射 YAML/JSON：columns {标题: 字段}，departments/matters {名称: 标识}")] = None,
    new_matters: Annotated[bool, typer.Option(
        "--new-matters", help="目录中没有的事项作为新事项写入（自动编码）add unknown matters")] = False,
    since: Annotated[Optional[str], typer.Option("--since", help="无日期列时各条目的施行日期 YYYY-MM-DD")] = None,
    mode: Annotated[ModeChoice, typer.Option("--mode", help="赋权清单无“赋权方式”列时的方式")] = ModeChoice.grant,
    basis: Annotated[Optional[str], typer.Option("--basis", help="赋权清单无“赋权依据”列时的依据标识")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="只检查，不写文件 check only")] = False,
    format: Annotated[OutFormat, typer.Option("--format", "-f")] = OutFormat.text,
) -> None:
    """导入一张清单工作表，写成策略 YAML — import one sheet as policy YAML (exit 0 ok, 1 problems, 2 usage)."""
    from ..language.enums import DelegationMode
    from ..sheets.importer import ImportOptions, UsageError, import_workbook, load_columns
    from ..sheets.problems import unresolved

    day = _date(since, "--since")
    try:
        mapping = load_columns(columns) if columns else None
    except UsageError as exc:
        _usage(exc)
    loaded = _load(directory, json=format == OutFormat.json, with_result=True)
    policy = loaded.policy
    opts = ImportOptions(kind=kind.value, unit=unit, out_dir=output, sheet=sheet, columns=mapping,
                         new_matters=new_matters, since=day, mode=DelegationMode(mode.value), basis=basis,
                         write=not dry_run)
    try:
        with progress(f"导入 importing {workbook} …"):
            result = import_workbook(workbook, policy, opts)
    except UsageError as exc:
        _usage(exc)
    errors = [p for p in result.problems if p.severity == "error"]
    if format == OutFormat.json:
        emit_json(result.ok, policy.revision, loaded.diagnostics,
                  written=str(result.path) if result.written else None, sheet=result.sheet,
                  entries=len(result.entries), new_matters=[m.id for m in result.new_matters],
                  problems=[p.to_dict() for p in result.problems])
    else:
        for p in result.problems:
            typer.echo(p.format())
        names = unresolved(result.problems)
        if names:
            typer.echo(f"未能识别的名称 unresolved names（{len(names)} 个）：")
            for line in names:
                typer.echo(f"  {line}")
        if result.ok:
            what = "检查通过（未写入）checked" if dry_run else f"已写入 written {result.path}"
            extra = f"，新增事项 {len(result.new_matters)} 个" if result.new_matters else ""
            typer.echo(f"{result.sheet}：{len(result.entries)} 项{extra}；{what}")
        else:
            typer.echo(f"导入失败 failed: {len(errors)} 个问题 problem(s)，未写入任何文件 nothing written", err=True)
    raise typer.Exit(0 if result.ok else 1)


def _export(fmt: str, unit: str, directory: Path, on: Optional[str], output: Path,
            kind: Optional[list[KindChoice]], group: Optional[Grouping]) -> None:
    from ..sheets.importer import UsageError

    day = _date(on, "--on") or _today()
    policy = _load(directory)
    from ..sheets.exporter import export

    try:
        with progress(f"导出 exporting → {output} …"):
            secs = export(policy, unit, day, fmt, output, [k.value for k in kind] if kind else None,
                      group.value if group else None)
    except UsageError as exc:
        _usage(exc)
    rows = sum(s.count for s in secs)
    typer.echo(f"已导出 exported {len(secs)} 张清单 list(s)，{rows} 项 → {output}（{day}）")


OnOpt = Annotated[Optional[str], typer.Option("--on", help="有效日期 YYYY-MM-DD（默认今天，北京时间）")]
OutOpt = Annotated[Path, typer.Option("--output", "-o", help="输出文件 output file")]
KindOpt = Annotated[Optional[list[KindChoice]], typer.Option("--kind", "-k", help="只导出这些清单（可重复）")]
GroupOpt = Annotated[Optional[Grouping], typer.Option(
    "--group", help="sections：分节行“一、党的建设”；column：领域列（CSV 默认）")]


@export_app.command("xlsx")
def export_xlsx(unit: Unit, output: OutOpt, directory: Policies = Path("policies"), on: OnOpt = None,
                kind: KindOpt = None, group: GroupOpt = None) -> None:
    """导出为 Excel 工作簿（每张清单一个工作表）— export as an Excel workbook."""
    _export("xlsx", unit, directory, on, output, kind, group)


@export_app.command("csv")
def export_csv(unit: Unit, output: OutOpt, directory: Policies = Path("policies"), on: OnOpt = None,
               kind: KindOpt = None, group: GroupOpt = None) -> None:
    """导出为 CSV（UTF-8 BOM，每张清单一节）— export as CSV (UTF-8 with BOM)."""
    _export("csv", unit, directory, on, output, kind, group)


@export_app.command("html")
def export_html(unit: Unit, output: OutOpt, directory: Policies = Path("policies"), on: OnOpt = None,
                kind: KindOpt = None, group: GroupOpt = None) -> None:
    """导出为可打印的 HTML（打印为 PDF）— export as printable HTML."""
    _export("html", unit, directory, on, output, kind, group)


# --------------------------------------------------------------------------- registers (issue 20)
@export_app.command("registers")
def export_registers_cmd(county: Annotated[str, typer.Option("--county", "-c", help="县级党委政府标识 county id")],
                         output: OutOpt, directory: Policies = Path("policies")) -> None:
    """导出一县的登记册（督查检查考核计划、借调、机制牌子、印章、考核评比、报表）为 Excel — export a county's registers."""
    from ..compile.index import build_index
    from ..sheets.importer import UsageError
    from ..sheets.registers import export_registers

    index = build_index(_load(directory))
    if county not in index.units:
        fail(f"未知单位 unknown unit: {county}", 2)
    try:
        rows = export_registers(index, county, output)
    except UsageError as exc:
        _usage(exc)
    typer.echo(f"已导出 exported {rows} 行登记册 register row(s) → {output}")


@import_app.command("registers")
def import_registers_cmd(workbook: Annotated[Path, typer.Argument(help="登记册工作簿 .xlsx")], output: OutOpt,
                         title: Annotated[str, typer.Option(help="文件说明 file title")] = "导入的登记册（示例）") -> None:
    """把登记册工作簿导入为策略 YAML — import a registers workbook into policy YAML."""
    from ..sheets.importer import UsageError
    from ..sheets.registers import import_registers

    try:
        text, count = import_registers(workbook, title)
    except UsageError as exc:
        _usage(exc)
    output.write_text(text, encoding="utf-8")
    typer.echo(f"已导入 imported {count} 条登记册记录 record(s) → {output}")
