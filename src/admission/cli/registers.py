"""`admission ask …`: the five questions of the registers (issue 20), each answered like
`decide` — the outcome, its reasons and the register entry behind it (exit 0 allow, 1 deny,
2 error).

    admission ask inspect --department D --item I --target T [--kind check] [--on 2026-05-01]
    admission ask second  --organ O --township T --count 2
    admission ask hang    --unit V --board 便民服务台
    admission ask seal    --community C --purpose 居住证明
    admission ask form    --department D --unit V --form F
"""

from __future__ import annotations

from typing import Annotated

import typer

from ..loader import root_base
from .common import DEFAULT_POLICIES, HELP_SETTINGS, Policies, load_or_exit, parse_date
from .output import Format, decision_exit, print_decision, progress

ask_app = typer.Typer(**HELP_SETTINGS, help="登记册的问题：督查检查、借调、挂牌、用印、填报 — questions of the registers: inspect, second, hang, seal, form",
                      no_args_is_help=True)
OnOpt = Annotated[str | None, typer.Option(help="日期 YYYY-MM-DD（默认今天，北京时间）date")]
FormatOpt = Annotated[Format, typer.Option("--format", "-f")]


def _answer(directory, format: Format, question) -> None:
    from ..compile.index import build_index
    from ..evaluate.registers import RegisterDecider

    loaded = load_or_exit(directory, json=format == Format.json, with_result=True)
    with progress("建立索引 indexing …"):
        decider = RegisterDecider(build_index(loaded.policy))
    dec = question(decider)
    print_decision(dec, format, root_base(directory), loaded.diagnostics)
    raise typer.Exit(decision_exit(dec.outcome.value))


@ask_app.command("inspect")
def inspect_cmd(department: Annotated[str, typer.Option(help="开展部门 department")],
                item: Annotated[str, typer.Option(help="计划或临时申报项目编号 plan item")],
                target: Annotated[str, typer.Option(help="乡镇或村 township or village")],
                kind: Annotated[str, typer.Option(help="inspection|check|evaluation")] = "inspection",
                directory: Policies = DEFAULT_POLICIES, on: OnOpt = None, format: FormatOpt = Format.text) -> None:
    """部门 D 可否在某年对乡镇 T 开展督查检查考核 I — may D run inspection I on T?"""
    from ..language.enums import InspectionKind

    try:
        k = InspectionKind(kind)
    except ValueError:
        raise typer.BadParameter(f"kind 只能是 {InspectionKind.describe()}") from None
    _answer(directory, format, lambda d: d.may_inspect(department, item, target, parse_date(on), k))


@ask_app.command("second")
def second_cmd(organ: Annotated[str, typer.Option(help="借调机关 borrowing organ")],
               township: Annotated[str, typer.Option(help="借出乡镇 township")],
               count: Annotated[int, typer.Option(min=1, help="人数 staff")] = 1,
               directory: Policies = DEFAULT_POLICIES, on: OnOpt = None, format: FormatOpt = Format.text) -> None:
    """机关 O 可否借调乡镇 T 的 N 名工作人员 — may O second N staff from T?"""
    _answer(directory, format, lambda d: d.may_second(organ, township, count, parse_date(on)))


@ask_app.command("hang")
def hang_cmd(unit: Annotated[str, typer.Option(help="村(社区)或乡镇 village")],
             board: Annotated[str, typer.Option(help="牌子编号或名称 board")],
             directory: Policies = DEFAULT_POLICIES, on: OnOpt = None, format: FormatOpt = Format.text) -> None:
    """村 V 可否悬挂牌子 B — may village V hang board B?"""
    _answer(directory, format, lambda d: d.may_hang(unit, board, parse_date(on)))


@ask_app.command("seal")
def seal_cmd(community: Annotated[str, typer.Option(help="村(社区) community")],
             purpose: Annotated[str, typer.Option(help="用途编号或名称 purpose")],
             directory: Policies = DEFAULT_POLICIES, on: OnOpt = None, format: FormatOpt = Format.text) -> None:
    """社区印章可否用于 P — may the community seal be used for purpose P?"""
    _answer(directory, format, lambda d: d.may_seal(community, purpose, parse_date(on)))


@ask_app.command("form")
def form_cmd(department: Annotated[str, typer.Option(help="要求部门 department")],
             unit: Annotated[str, typer.Option(help="填报单位 village or township")],
             form: Annotated[str, typer.Option(help="表格编号 form")],
             directory: Policies = DEFAULT_POLICIES, on: OnOpt = None, format: FormatOpt = Format.text) -> None:
    """部门 D 可否要求村 V 填报表格 F — may D ask V to fill form F?"""
    _answer(directory, format, lambda d: d.may_request_form(department, unit, form, parse_date(on)))
