"""`admission flow …` and `admission tick`: the admission workflow from the command line.
Every refused step prints why and changes nothing (exit 1); bad input exits 2."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Annotated, Optional

import typer

from .common import HELP_SETTINGS, Policies, fail

flow_app = typer.Typer(**HELP_SETTINGS, help="事项准入与动态调整流程 — the admission and dynamic-adjustment workflow.",
                       no_args_is_help=True)

Db = Annotated[Optional[str], typer.Option("--db", help="数据库 URL（默认 ADMISSION_DATABASE_URL 或 sqlite:///admission.db）")]
Unit = Annotated[str, typer.Option("--unit", "-u", help="办理单位 acting unit")]
Person = Annotated[str, typer.Option("--person", help="经办人 person acting")]
On = Annotated[Optional[str], typer.Option("--on", help="办理日期 YYYY-MM-DD（默认今天）")]
IfMatch = Annotated[Optional[int], typer.Option("--if-match", help="申请版本（ETag），不符则拒绝")]
AppId = Annotated[str, typer.Argument(help="申请编号 application id")]


def _runtime(policies: Path, db: str | None):
    from .common import load_or_exit
    from ..flow.runtime import open_runtime
    from ..flow.service import WorkflowError
    from .output import progress

    policy = load_or_exit(policies)
    try:
        with progress("打开数据库 opening the database …"):
            return open_runtime(policy, db)
    except WorkflowError as exc:
        fail(f"错误 error[{exc.code}] {exc.message}", 1)


def _day(on: str | None) -> dt.date:
    from .common import parse_date

    return parse_date(on)


def _fail(exc) -> None:
    typer.echo(f"拒绝 refused[{exc.code}] {exc.message}", err=True)
    for d in exc.details:
        if d.get("fired", True) and d.get("message"):
            typer.echo(f"  - {d.get('guard', d.get('field', ''))} {d['message']}", err=True)
    raise typer.Exit(1 if exc.status in (403, 404, 409, 412) else 2)


def _show(app) -> None:
    typer.echo(f"{app.id}  {app.flow_id}  状态 {app.state}（{app.phase}）  版本 etag {app.version}"
               + (f"  期限 due {app.due}" if app.due else "") + ("  逾期 OVERDUE" if app.overdue else ""))
    typer.echo(f"  申请 {app.applicant_unit}/{app.applicant_person}  事项 {app.matter}  单位 {'、'.join(app.targets)}")
    if app.effective_from:
        typer.echo(f"  生效 {app.effective_from} 至 {app.effective_until or '长期'}"
                   + (f"  退出 {app.exited_on}" if app.exited_on else ""))


@flow_app.command("apply")
def apply_cmd(
    policies: Policies = Path("policies"), db: Db = None, unit: Unit = ..., person: Person = ..., on: On = None,
    flow: Annotated[str, typer.Option(help="流程标识 flow id")] = "admission",
    request: Annotated[Optional[Path], typer.Option(help="申请内容 JSON 文件 request file")] = None,
    matter: Annotated[Optional[str], typer.Option(help="事项")] = None,
    target: Annotated[Optional[list[str]], typer.Option(help="准入单位（可重复）")] = None,
    reason: Annotated[Optional[str], typer.Option(help="理由")] = None,
    basis: Annotated[Optional[str], typer.Option(help="依据标识")] = None,
    term: Annotated[str, typer.Option(help="short|long")] = "short",
    start: Annotated[Optional[str], typer.Option(help="拟进入日期")] = None,
    end: Annotated[Optional[str], typer.Option(help="结束日期（短期）")] = None,
    staff: Annotated[int, typer.Option(help="随事项下沉人员")] = 0,
    funds: Annotated[int, typer.Option(help="随事项下沉经费（元）")] = 0,
    none_needed: Annotated[bool, typer.Option("--none-needed", help="声明无需资源")] = False,
) -> None:
    """申请（提交）— submit an application (a department in its own name; a township for an adjustment)."""
    from ..flow.service import WorkflowError

    if request is not None:
        try:
            body = json.loads(request.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise typer.BadParameter(f"无法读取申请文件：{exc}") from None
    else:
        body = {"matter": matter, "targets": target or [], "reason": reason, "basis": basis, "term": term,
                "resources": {"staff": staff, "funds": funds, "none_needed": none_needed}}
        if start:
            body["start"] = start
        if end:
            body["end"] = end
        body = {k: v for k, v in body.items() if v is not None}
    rt = _runtime(policies, db)
    try:
        app = rt.workflow.apply(flow_id=flow, unit=unit, person=person, request=body, on=_day(on))
    except WorkflowError as exc:
        _fail(exc)
    _show(app)


def _step(action: str):
    def command(
        app_id: AppId, policies: Policies = Path("policies"), db: Db = None, unit: Unit = ..., person: Person = ...,
        on: On = None, reason: Annotated[Optional[str], typer.Option(help="理由")] = None,
        document: Annotated[Optional[str], typer.Option(help="文号")] = None,
        meeting: Annotated[Optional[str], typer.Option(help="会议")] = None,
        effective: Annotated[Optional[str], typer.Option(help="进入/生效日期")] = None,
        passed: Annotated[Optional[bool], typer.Option("--passed/--failed", help="评估结论")] = None,
        if_match: IfMatch = None,
    ) -> None:
        from ..flow.service import WorkflowError

        rt = _runtime(policies, db)
        try:
            app = rt.workflow.step(app_id=app_id, action=action, unit=unit, person=person, on=_day(on),
                                   reason=reason, document=document, meeting=meeting,
                                   effective=_day(effective) if effective else None, passed=passed,
                                   if_match=if_match)
        except WorkflowError as exc:
            _fail(exc)
        _show(app)

    command.__doc__ = f"办理步骤 {action} — take the '{action}' step."
    return command


for _action in ("review", "approve", "escalate", "approve_higher", "enter", "exit", "send_back", "resubmit",
                "withdraw", "evaluate", "reject", "decide"):
    flow_app.command(_action.replace("_", "-"))(_step(_action))


@flow_app.command("opinion")
def opinion_cmd(
    app_id: AppId, policies: Policies = Path("policies"), db: Db = None, unit: Unit = ..., person: Person = ...,
    on: On = None, stance: Annotated[str, typer.Option(help="agree|dissent")] = "agree",
    text: Annotated[Optional[str], typer.Option(help="意见")] = None, if_match: IfMatch = None,
) -> None:
    """乡镇(街道)（或会商部门）给出意见 — a consulted unit gives its opinion."""
    from ..flow.service import WorkflowError

    rt = _runtime(policies, db)
    try:
        op = rt.workflow.give_opinion(app_id=app_id, unit=unit, person=person, stance=stance, text=text,
                                      on=_day(on), if_match=if_match)
    except WorkflowError as exc:
        _fail(exc)
    typer.echo(f"{app_id} 意见已记录 opinion recorded: {op.unit} {op.stance}")


@flow_app.command("answer")
def answer_cmd(
    app_id: AppId, policies: Policies = Path("policies"), db: Db = None, unit: Unit = ..., person: Person = ...,
    on: On = None, township: Annotated[str, typer.Option(help="提出不同意见的乡镇")] = ...,
    text: Annotated[str, typer.Option(help="书面答复")] = ...,
) -> None:
    """审核机构书面答复不同意见 — the reviewer answers a dissent in writing."""
    from ..flow.service import WorkflowError

    rt = _runtime(policies, db)
    try:
        rt.workflow.answer_dissent(app_id=app_id, township=township, unit=unit, person=person, text=text, on=_day(on))
    except WorkflowError as exc:
        _fail(exc)
    typer.echo(f"{app_id} 已答复 answered: {township}")


@flow_app.command("show")
def show_cmd(app_id: AppId, policies: Policies = Path("policies"), db: Db = None) -> None:
    """显示申请 — show an application."""
    from ..flow.service import WorkflowError

    rt = _runtime(policies, db)
    try:
        _show(rt.workflow.get(app_id))
    except WorkflowError as exc:
        _fail(exc)


@flow_app.command("history")
def history_cmd(app_id: AppId, policies: Policies = Path("policies"), db: Db = None) -> None:
    """办理记录 — every step with who, when, guards and documents."""
    from ..flow.service import WorkflowError

    rt = _runtime(policies, db)
    try:
        rows = rt.workflow.history(app_id)
    except WorkflowError as exc:
        _fail(exc)
    for e in rows:
        fired = [g["guard"] for g in e.guards if g.get("fired")]
        typer.echo(f"#{e.seq} {e.on_date} {e.action:<10} {e.from_state or '-'} → {e.to_state}  "
                   f"{e.unit}/{e.person}（{e.role}）" + (f"  理由 {e.reason}" if e.reason else "")
                   + (f"  规则 {','.join(fired)}" if fired else "")
                   + (f"  {json.dumps(e.documents, ensure_ascii=False)}" if e.documents else ""))


@flow_app.command("list")
def list_cmd(
    policies: Policies = Path("policies"), db: Db = None,
    state: Annotated[Optional[str], typer.Option()] = None, phase: Annotated[Optional[str], typer.Option()] = None,
    applicant: Annotated[Optional[str], typer.Option()] = None, overdue: Annotated[Optional[bool], typer.Option()] = None,
    offset: int = 0, limit: int = 50,
) -> None:
    """列出申请 — list applications with filters and pagination."""
    rt = _runtime(policies, db)
    rows, total = rt.workflow.list(state=state, phase=phase, applicant=applicant, overdue=overdue,
                                   offset=offset, limit=limit)
    for app in rows:
        typer.echo(f"{app.id}  {app.state:<16} {app.matter:<20} {app.applicant_unit}  {'、'.join(app.targets)}"
                   + ("  逾期" if app.overdue else ""))
    typer.echo(f"共 {total} 件 total（显示 {offset + 1}–{offset + len(rows)}）")


@flow_app.command("dossier")
def dossier_cmd(app_id: AppId, policies: Policies = Path("policies"), db: Db = None,
                output: Annotated[Optional[Path], typer.Option("-o", help="写入文件")] = None) -> None:
    """导出案卷（完整办理记录，JSON）— export the complete record of an application."""
    from ..flow.service import WorkflowError

    rt = _runtime(policies, db)
    try:
        doc = rt.workflow.dossier(app_id)
    except WorkflowError as exc:
        _fail(exc)
    text = json.dumps(doc, ensure_ascii=False, indent=2, default=str)
    if output:
        output.write_text(text + "\n", encoding="utf-8")
    else:
        typer.echo(text)


@flow_app.command("verify")
def verify_cmd(policies: Policies = Path("policies"), db: Db = None) -> None:
    """校验审计日志哈希链 — verify the hash chain of the transition log."""
    rt = _runtime(policies, db)
    problems = rt.workflow.verify_chain()
    for p in problems:
        typer.echo(p)
    if problems:
        fail(f"审计链被破坏 chain broken: {len(problems)} 处", 1)
    typer.echo("审计链完整 chain intact")


@flow_app.command("facts")
def facts_cmd(
    as_json: Annotated[bool, typer.Option("--json", help="JSON 输出 print JSON")] = False,
    markdown: Annotated[bool, typer.Option("--markdown", help="输出 docs/flows.md 中生成的表 print the generated table")] = False,
    write_docs: Annotated[Optional[Path], typer.Option(
        "--write-docs", help="重写该文件中生成的表 rewrite the generated table of this file")] = None,
) -> None:
    """守卫条件可用的事实 — the facts a guard condition may read, with types and meanings."""
    from ..evaluate.checks.docs import splice
    from ..language.facts import BEGIN, END, FACTS, facts_markdown

    if write_docs is not None:
        try:
            old = write_docs.read_text(encoding="utf-8")
            new = splice(old, facts_markdown(), BEGIN, END)
        except (OSError, ValueError) as exc:
            fail(f"错误 error: {exc}", 2)
        if new != old:
            write_docs.write_text(new, encoding="utf-8")
        typer.echo(f"{write_docs}: {'已更新 updated' if new != old else '无变化 unchanged'}")
    elif as_json:
        from .output import emit_json

        emit_json(True, None, (), facts={n: {"type": f.type, "description": f.description} for n, f in FACTS.items()})
    elif markdown:
        typer.echo(facts_markdown(), nl=False)
    else:
        width = max(map(len, FACTS))
        for name, spec in FACTS.items():
            typer.echo(f"{name:<{width}}  {spec.type:<4}  {spec.description}")


def tick_cmd(policies: Policies = Path("policies"), db: Db = None, on: On = None) -> None:
    """定时任务：短期准入期满退出、逾期未反馈记为无意见、标记逾期 — exit due admissions, flag overdue steps."""
    from .output import progress

    rt = _runtime(policies, db)
    with progress("定时任务 tick …"):
        result = rt.workflow.tick(on=_day(on))
    typer.echo(f"退出 exited {len(result['exited'])} {' '.join(result['exited'])}；"
               f"无意见 no opinion {result['no_opinion']}；逾期 overdue {result['overdue']}")


@flow_app.command("roles")
def roles_cmd(
    policies: Policies = Path("policies"),
    write_docs: Annotated[Optional[Path], typer.Option(
        "--write-docs", help="重写该文件中生成的表 rewrite the generated table of this file")] = None,
) -> None:
    """谁在哪个状态可以办理哪些步骤 — the role × state matrix of every flow, read from the flows."""
    from ..evaluate.checks.docs import splice
    from ..flow.matrix import BEGIN, END, roles_markdown
    from .common import load_or_exit

    flows = load_or_exit(policies).flows.values()
    table = roles_markdown(flows)
    if write_docs is not None:
        try:
            old = write_docs.read_text(encoding="utf-8")
            new = splice(old, table, BEGIN, END)
        except (OSError, ValueError) as exc:
            fail(f"错误 error: {exc}", 2)
        if new != old:
            write_docs.write_text(new, encoding="utf-8")
        typer.echo(f"{write_docs}: {'已更新 updated' if new != old else '无变化 unchanged'}")
    else:
        typer.echo(table, nl=False)
