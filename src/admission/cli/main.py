"""Command line: `admission validate|schema|synth|…`.  The library never prints or exits; this
module owns output formats and exit codes (0 ok, 1 findings or errors, 2 usage errors)."""

from __future__ import annotations

import json
import sys
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from ..loader import root_base
from .common import (HELP_SETTINGS, DEFAULT_POLICIES, PolicyArg, Policies, exit_code, load_options, load_or_exit,
                     load_tree, parse_date, policy_dir, say_diagnostic, today_in_china)
from .output import Format, check_summary, decision_exit as _decision_exit, emit_json, print_decision as _print_decision, progress

app = typer.Typer(
    **HELP_SETTINGS,
    name="admission",
    help="乡镇履职事项清单、事项准入与赋权的策略引擎 — policy as code for duty lists, admission and delegated powers.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.command()
def validate(
    ctx: typer.Context,
    directory: PolicyArg = None,
    policies: Policies = DEFAULT_POLICIES,
    format: Annotated[Format, typer.Option("--format", "-f", help="输出格式 output format")] = Format.text,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="不使用解析缓存 do not use the parse cache")] = False,
    max_file_bytes: Annotated[Optional[int], typer.Option(help="单个文件大小上限 per-file size limit")] = None,
) -> None:
    """校验策略文件：语法、字段、类型、日期、重复标识与引用 — validate policy files."""
    directory = policy_dir(ctx, directory, policies)
    options = load_options(no_cache, max_file_bytes)
    if options.cache_dir is not None:  # incremental: only changed files are parsed and checked again
        from ..scale.bundle import validate_incremental

        with progress(f"校验 validating {directory} …"):
            scan = validate_incremental(directory, options)
        ok, revision, diagnostics = scan.ok, scan.revision, scan.diagnostics
        stats = {"files": len(scan.paths), "bytes": scan.total_bytes, "parsed": scan.parsed}
        counts = scan.counts()
    else:
        result = load_tree(directory, no_cache, max_file_bytes)
        ok, diagnostics = result.ok, result.diagnostics
        p = result.policy
        revision = p.revision if p else None
        stats = p.stats if p else {}
        counts = {"units": len(p.units), "matters": len(p.matters), "township_lists": len(p.township_lists),
                  "village_lists": len(p.village_lists), "delegations": len(p.delegations),
                  "exercises": len(p.exercises)} if p else {}
    if format == Format.json:
        emit_json(ok, revision if ok else None, diagnostics, stats=stats if ok else {}, counts=counts if ok else {})
    else:
        for d in diagnostics:
            say_diagnostic(d, root_base(directory))
        if ok:
            typer.echo(f"校验通过 valid: {stats['files']} 个文件，{counts['units']} 个单位，{counts['matters']} 个事项，"
                       f"{counts['township_lists']} 个乡镇清单，{counts['village_lists']} 个村(社区)清单，"
                       f"{counts.get('delegations', 0)} 项赋权，{counts.get('exercises', 0)} 条职权行使记录，"
                       f"修订 revision {revision}")
        else:
            n = sum(1 for d in diagnostics if d.severity.value == "error")
            typer.echo(f"校验失败 invalid: {n} 个错误 error(s)", err=True)
    raise typer.Exit(exit_code(ok, diagnostics))


@app.command()
def run(
    ctx: typer.Context,
    directory: PolicyArg = None,
    policies: Policies = DEFAULT_POLICIES,
    on: Annotated[Optional[str], typer.Option("--on", help="检查日期 date of the check")] = None,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="不使用解析缓存 do not use the parse cache")] = False,
    diagrams: Annotated[Optional[Path], typer.Option(
        "--diagrams", help="渲染图的目录（默认：目录名为 policies 时为 diagrams/）where to render the diagrams")] = None,
) -> None:
    """主流程：校验、检查、渲染并汇总 — the main job: validate, check, render, summarise."""
    from collections import Counter

    from ..evaluate.checks import run_checks
    from ..compile.expand import expanded_count

    directory = policy_dir(ctx, directory, policies)
    day = parse_date(on)
    result = load_tree(directory, no_cache)
    for d in result.diagnostics:
        say_diagnostic(d, root_base(directory))
    if not result.ok:
        typer.echo("校验失败 invalid", err=True)
        raise typer.Exit(exit_code(result.ok, result.diagnostics))
    p = result.policy
    typer.echo(f"策略 policy {directory}  修订 revision {p.revision}  校验通过 valid")
    typer.echo(f"  文件 files {p.stats['files']}  单位 units {len(p.units)}  事项 matters {len(p.matters)}")
    typer.echo(f"  乡镇清单 township lists {len(p.township_lists)}  村(社区)清单 village lists {len(p.village_lists)}"
               f"  展开后条目 expanded entries {expanded_count(p)}")
    typer.echo(f"  赋权 delegations {len(p.delegations)}  准入 admissions {len(p.admissions)}"
               f"  下派 assignments {len(p.assignments)}")
    with progress(f"检查 checking {day} …"):
        findings = run_checks(p, day)
    by_rule = Counter(f.code for f in findings)
    typer.echo(f"检查 check {day}: {len(findings)} 个问题 finding(s)")
    for code, n in sorted(by_rule.items()):
        typer.echo(f"  {code}: {n}")
    out = diagrams if diagrams is not None else (Path("diagrams") if directory.name == "policies" else None)
    if out is not None:
        from ..render.bundle import DIAGRAMS_ON, render_all

        with progress(f"渲染 rendering → {out}/ …"):
            written = render_all(p, out, DIAGRAMS_ON)
        typer.echo(f"渲染 rendered {len(written)} 个文件 files → {out}/（{DIAGRAMS_ON}）")
    if any(f.severity.value == "error" for f in findings):
        raise typer.Exit(1)


@app.command()
def schema(
    output: Annotated[Optional[Path], typer.Option("-o", "--output", help="写入文件 write to file")] = None,
) -> None:
    """输出策略语言的 JSON Schema — print the JSON Schema of the policy language."""
    from ..language.schema import policy_schema

    text = json.dumps(policy_schema(), ensure_ascii=False, indent=2)
    if output:
        output.write_text(text + "\n", encoding="utf-8")
    else:
        typer.echo(text)


# --------------------------------------------------------------------------- checks and decisions
class CheckFormat(str, Enum):
    text = "text"
    json = "json"
    sarif = "sarif"


class FailOn(str, Enum):
    error = "error"
    warning = "warning"
    never = "never"


OnOption = Annotated[Optional[str], typer.Option("--on", help="日期 YYYY-MM-DD（默认今天，北京时间） date")]


@app.command()
def check(
    ctx: typer.Context,
    directory: PolicyArg = None,
    policies: Policies = DEFAULT_POLICIES,
    on: OnOption = None,
    format: Annotated[CheckFormat, typer.Option("--format", "-f", help="text|json|sarif")] = CheckFormat.text,
    fail_on: Annotated[FailOn, typer.Option("--fail-on", help="达到该级别即返回 1 exit 1 at this severity")] = FailOn.error,
    no_cache: Annotated[bool, typer.Option("--no-cache")] = False,
    bundle: Annotated[Optional[str], typer.Option("--bundle", help="检查编译包（目录或数据库 URL），按县分片并行 check a compiled bundle, shard by shard")] = None,
    changed_since: Annotated[Optional[str], typer.Option("--changed-since", help="只重新检查自该修订以来变化的分片 re-check only shards changed since this bundle revision")] = None,
    workers: Annotated[Optional[int], typer.Option("--workers", min=1, help="分片检查的进程数（默认 CPU 数）worker processes")] = None,
    verify_key: Annotated[Optional[Path], typer.Option("--verify-key", help="只检查用该公钥对应私钥签名的编译包修订 accept only revisions signed for this Ed25519 public key (PEM)")] = None,
    executor: Annotated[Optional[str], typer.Option("--executor", help="在 Dask 集群上运行分片检查 run the sharded check on a Dask cluster: dask://HOST:PORT（默认本机进程池 default: the local process pool）")] = None,
) -> None:
    """检查交叉、缺位与违规下派 — check for overlaps, missing owners and unauthorized pushdown."""
    from ..evaluate.checks import all_rules, run_checks
    from ..explain.report import to_sarif, to_text

    day = parse_date(on)
    if bundle is not None or changed_since is not None or executor is not None:
        from .scale import check_bundle_cmd

        raise typer.Exit(check_bundle_cmd(bundle, day, format.value, fail_on.value, changed_since, workers, verify_key,
                                          executor))
    directory = policy_dir(ctx, directory, policies)
    loaded = load_or_exit(directory, no_cache, json=format == CheckFormat.json, with_result=True)
    policy = loaded.policy
    with progress(f"检查 checking {day} …"):
        findings = run_checks(policy, day)
    if format == CheckFormat.sarif:
        typer.echo(to_sarif(findings, {r.id: f"{r.title} ({r.title_en})" for r in all_rules().values()},
                            root_uri=Path(root_base(directory)).resolve().as_uri() + "/"))
    elif format == CheckFormat.json:
        emit_json(not any(d.severity.value == "error" for d in findings), policy.revision,
                  [*loaded.diagnostics, *findings], summary=check_summary(findings, day))
    else:
        if findings:
            typer.echo(to_text(findings, root_base(directory)))
        errors = sum(1 for f in findings if f.severity.value == "error")
        typer.echo(f"{day} 检查完成 checked: {errors} 个错误 error(s)，{len(findings) - errors} 个警告 warning(s)"
                   f"（修订 revision {policy.revision}）")
    levels = {"error": ("error",), "warning": ("error", "warning"), "never": ()}[fail_on.value]
    raise typer.Exit(1 if any(f.severity.value in levels for f in findings) else 0)


def _batch(lines, fn) -> int:
    worst = 0
    for no, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            q = json.loads(line)
            if not isinstance(q, dict):
                raise ValueError("每行应为一个 JSON 对象")
            out = fn(q).to_dict()
        except (ValueError, TypeError, KeyError) as exc:
            out = {"outcome": "error", "line": no, "reasons": [{"code": "bad-request", "message": str(exc)}]}
        worst = max(worst, _decision_exit(out["outcome"]))
        typer.echo(json.dumps(out, ensure_ascii=False))
    return worst


@app.command()
def decide(
    directory: Policies = DEFAULT_POLICIES,
    actor: Annotated[Optional[str], typer.Option(help="下派单位 assigning unit")] = None,
    matter: Annotated[Optional[str], typer.Option(help="事项 matter")] = None,
    target: Annotated[Optional[str], typer.Option(help="接收单位 receiving unit")] = None,
    on: OnOption = None,
    kind: Annotated[str, typer.Option(help="task|responsibility_letter|certification_request|office_or_signboard|assessment")] = "task",
    role: Annotated[str, typer.Option(help="responsible|execute|assist")] = "execute",
    basis: Annotated[Optional[str], typer.Option(help="依据标识 basis id")] = None,
    batch: Annotated[Optional[Path], typer.Option(help="JSON Lines 批量问题文件（- 为标准输入）batch file")] = None,
    format: Annotated[Format, typer.Option("--format", "-f")] = Format.text,
) -> None:
    """部门 D 可否在某日把事项 M 交给单位 U — may actor assign matter to target on a date? (exit 0 allow, 1 deny, 2 error)"""
    from ..evaluate.decide import Decider
    from ..compile.index import build_index
    from ..language.enums import AssignmentKind, AssignmentRole

    loaded = load_or_exit(directory, json=format == Format.json and batch is None, with_result=True)
    policy = loaded.policy
    with progress("建立索引 indexing …"):
        decider = Decider(build_index(policy))

    def ask(q: dict):
        return decider.decide(str(q["actor"]), str(q["matter"]), str(q["target"]),
                              parse_date(q.get("on")), AssignmentKind(q.get("kind", "task")),
                              AssignmentRole(q.get("role", "execute")), q.get("basis"))

    if batch is not None:
        lines = sys.stdin if str(batch) == "-" else batch.open(encoding="utf-8")
        raise typer.Exit(_batch(lines, ask))
    if not (actor and matter and target):
        raise typer.BadParameter("需要 --actor、--matter、--target（或 --batch）")
    try:
        dec = ask({"actor": actor, "matter": matter, "target": target, "on": on, "kind": kind, "role": role, "basis": basis})
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
    _print_decision(dec, format, root_base(directory), loaded.diagnostics)
    raise typer.Exit(_decision_exit(dec.outcome.value))


@app.command("may-exercise")
def may_exercise(
    directory: Policies = DEFAULT_POLICIES,
    unit: Annotated[Optional[str], typer.Option(help="行使单位 unit")] = None,
    matter: Annotated[Optional[str], typer.Option(help="职权事项 power")] = None,
    on: OnOption = None,
    batch: Annotated[Optional[Path], typer.Option(help="JSON Lines 批量文件 batch file")] = None,
    format: Annotated[Format, typer.Option("--format", "-f")] = Format.text,
) -> None:
    """单位可否在某日行使某项职权 — may this unit exercise this power on a date? (exit 0 allow, 1 deny, 2 error)"""
    from ..evaluate.decide import Decider
    from ..compile.index import build_index

    loaded = load_or_exit(directory, json=format == Format.json and batch is None, with_result=True)
    policy = loaded.policy
    with progress("建立索引 indexing …"):
        decider = Decider(build_index(policy))

    def ask(q: dict):
        return decider.may_exercise(str(q["unit"]), str(q["matter"]), parse_date(q.get("on")))

    if batch is not None:
        lines = sys.stdin if str(batch) == "-" else batch.open(encoding="utf-8")
        raise typer.Exit(_batch(lines, ask))
    if not (unit and matter):
        raise typer.BadParameter("需要 --unit 和 --matter（或 --batch）")
    dec = ask({"unit": unit, "matter": matter, "on": on})
    _print_decision(dec, format, root_base(directory), loaded.diagnostics)
    raise typer.Exit(_decision_exit(dec.outcome.value))


@app.command()
def who(
    directory: Policies = DEFAULT_POLICIES,
    matter: Annotated[str, typer.Option(help="事项 matter")] = ...,
    unit: Annotated[str, typer.Option(help="乡镇或村 unit")] = ...,
    on: OnOption = None,
    format: Annotated[Format, typer.Option("--format", "-f")] = Format.text,
) -> None:
    """某事项在某单位由谁负责、谁承办、谁配合 — who owns a matter in a unit."""
    from ..compile.index import build_index
    from ..evaluate.who import ROLE_LABELS, who as who_fn

    as_json = format == Format.json
    loaded = load_or_exit(directory, json=as_json, with_result=True)
    policy = loaded.policy
    with progress("建立索引 indexing …"):
        index = build_index(policy)
    missing = [x for x, table in ((matter, policy.matters), (unit, policy.units)) if x not in table]
    day = parse_date(on)
    if missing:
        message = f"未知标识 unknown id: {'、'.join(missing)}"
        if as_json:
            from ..diagnostics import Diagnostic

            emit_json(False, policy.revision, [*loaded.diagnostics, Diagnostic("unknown-id", message)],
                      matter=matter, unit=unit, on=day.isoformat(), roles=[])
        else:
            typer.echo(message, err=True)
        raise typer.Exit(2)
    roles = who_fn(index, matter, unit, day)
    if as_json:
        emit_json(True, policy.revision, loaded.diagnostics, matter=matter, unit=unit, on=day.isoformat(),
                  roles=[r.to_dict() for r in roles])
        return
    typer.echo(f"{policy.units[unit].name} · {policy.matters[matter].name} · {day}")
    if not roles:
        typer.echo("  无人负责 nobody is named")
    for r in roles:
        period = f"{r.since or '…'} 至 {r.until or '…'}"
        earlier = policy.matters.get(r.rewords) if r.rewords else None
        typer.echo(f"  {ROLE_LABELS[r.role]:<4} {r.unit_name}（{r.unit}） 经由 {r.via}  {period}"
                   + (f"  {r.source.shown(root_base(directory))}" if r.source else "")
                   + (f"  改写自 rewords {r.rewords} {earlier.name if earlier else ''}" if r.rewords else ""))


@app.command()
def diff(
    old: Annotated[Path, typer.Argument(help="旧策略目录 old policy directory")],
    new: Annotated[Path, typer.Argument(help="新策略目录 new policy directory")],
    on: OnOption = None,
    format: Annotated[Format, typer.Option("--format", "-f")] = Format.text,
) -> None:
    """比较两个策略版本：问题增减、各单位事项的增减与移动 — what a policy change does."""
    from ..explain.diff import diff_policies, format_text

    day = parse_date(on)
    as_json = format == Format.json
    old_loaded = load_or_exit(old, json=as_json, with_result=True)
    new_loaded = load_or_exit(new, json=as_json, with_result=True)
    before, after = old_loaded.policy, new_loaded.policy
    with progress("比较 comparing …"):
        result = diff_policies(before, after, day)
    if as_json:  # the revision is the new tree's; the diff names both
        emit_json(True, after.revision, [*old_loaded.diagnostics, *new_loaded.diagnostics], diff=result.to_dict())
    else:
        names = {mid: m.name for mid, m in {**before.matters, **after.matters}.items()}
        typer.echo(format_text(result, names))


@app.command("test")
def test_cmd(
    ctx: typer.Context,
    directory: PolicyArg = None,
    policies: Policies = DEFAULT_POLICIES,
    format: Annotated[Format, typer.Option("--format", "-f")] = Format.text,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="列出通过的用例 list passing cases")] = False,
) -> None:
    """运行策略测试（*_test.yaml）并报告覆盖率 — run policy tests and report coverage."""
    from ..evaluate.policytest import run_tests

    directory = policy_dir(ctx, directory, policies)
    loaded = load_or_exit(directory, json=format == Format.json, with_result=True)
    policy = loaded.policy
    with progress("运行策略测试 running policy tests …"):
        report = run_tests(policy, directory)
    cov = report.coverage()
    if format == Format.json:
        emit_json(report.ok and not report.diagnostics, policy.revision, [*loaded.diagnostics, *report.diagnostics],
                  results=[{"name": r.name, "passed": r.passed, "source": str(r.span) if r.span else None,
                            "detail": r.detail} for r in report.results],
                  coverage=cov)
    else:
        for d in report.diagnostics:
            say_diagnostic(d, root_base(directory))
        for r in report.results:
            if not r.passed or verbose:
                typer.echo(f"{'PASS' if r.passed else 'FAIL'} {r.span.shown(root_base(directory)) if r.span else ''} {r.name}")
                for line in r.detail.splitlines():
                    typer.echo(f"    {line}")
        passed = sum(r.passed for r in report.results)
        typer.echo(f"{passed}/{len(report.results)} 个用例通过 passed")
        typer.echo(f"覆盖 coverage: 条目 entries {cov['entries_used']}/{cov['entries_total']}，"
                   f"规则 rules {len(cov['rules_exercised'])}/{len(cov['rules_exercised']) + len(cov['rules_not_exercised'])}")
    if report.diagnostics:
        raise typer.Exit(2)
    raise typer.Exit(0 if report.ok else 1)


def _register_workflow() -> None:
    from .flow import flow_app, tick_cmd

    app.add_typer(flow_app, name="flow")
    app.command("tick")(tick_cmd)


_register_workflow()


def _register_sheets() -> None:
    from .sheets import export_app, import_app  # openpyxl is imported only when a command runs

    app.add_typer(import_app, name="import")
    app.add_typer(export_app, name="export")


_register_sheets()


def _register_render() -> None:
    from .render import render_app  # graphviz is imported only when this group is used

    app.add_typer(render_app, name="render")


_register_render()


def _register_scale() -> None:
    from .scale import build_cmd, keygen_cmd, publish_cmd

    app.command("build")(build_cmd)
    app.command("publish")(publish_cmd)
    app.command("keygen")(keygen_cmd)


_register_scale()


@app.command()
def synth(
    townships: Annotated[int, typer.Option("--townships", "-n", min=1, help="乡镇(街道)数 number of townships")],
    out: Annotated[Path, typer.Option("--out", "-o", help="输出目录 output directory (empty or a previous synth tree)")],
    seed: Annotated[int, typer.Option(help="随机种子 random seed")] = 0,
    no_templates: Annotated[bool, typer.Option("--no-templates", help="不用模板，每个单位写出全部条目 write every entry out")] = False,
    violations: Annotated[Optional[list[str]], typer.Option(
        "--violations", help="注入违规 inject findings: RULE=COUNT (repeatable)")] = None,
    all_violations: Annotated[bool, typer.Option("--all-violations", help="每条规则注入一处 inject one of every rule")] = False,
) -> None:
    """生成全国比例的合成策略树（可注入违规）— generate a synthetic policy tree at national proportions."""
    from ..synth import CHECK_DATE, RULES, generate

    wanted: dict[str, int] = {r: 1 for r in RULES} if all_violations else {}
    for item in violations or []:
        rule, sep, count = item.partition("=")
        rule = rule.strip()
        if rule not in RULES:
            typer.echo(f"未知规则 unknown rule '{rule}'；可选 known: {', '.join(RULES)}", err=True)
            raise typer.Exit(2)
        try:
            wanted[rule] = int(count) if sep else 1
        except ValueError:
            typer.echo(f"'{item}' 应写成 RULE=COUNT", err=True)
            raise typer.Exit(2)
    try:
        with progress(f"生成 generating {townships} 个乡镇 townships → {out} …"):
            m = generate(out, townships, seed=seed, templates=not no_templates, violations=wanted)
    except (ValueError, FileExistsError) as exc:
        typer.echo(f"生成失败 failed: {exc}", err=True)
        raise typer.Exit(2)
    c = m.counts
    typer.echo(f"合成策略 synthetic tree {out}  seed {seed}  {'模板 templates' if m.templates else '无模板 no templates'}")
    typer.echo(f"  文件 files {c['files']}  字节 bytes {c['bytes']:,}  ({c['bytes'] / 2**20:.1f} MiB)")
    typer.echo(f"  县 counties {c['counties']}  乡镇 townships {c['townships']}  村(社区) villages {c['villages']}"
               f"  部门 departments {c['departments']}  事项 matters {c['matters']}")
    typer.echo(f"  展开后条目 entries {c['entries']:,} (乡镇 township {c['township_entries']:,}"
               f" + 村 village {c['village_entries']:,})")
    typer.echo(f"  赋权 delegations {c['delegations']}  准入 admissions {c['admissions']}  下派 assignments {c['assignments']}")
    typer.echo(f"  注入 injected {len(m.violations)}  检查日 check date {CHECK_DATE}  用时 seconds {m.seconds:.2f}")
    typer.echo(f"  清单 manifest {Path(out) / 'manifest.json'}")


def _register_rules() -> None:
    from .rules import rules_cmd

    app.command("rules")(rules_cmd)


_register_rules()


def _register_registers() -> None:
    from .burden import burden_cmd
    from .registers import ask_app

    app.command("burden")(burden_cmd)
    app.add_typer(ask_app, name="ask")


_register_registers()


def _register_api() -> None:
    from .serve import decisions_app, serve_cmd, token_app  # FastAPI and uvicorn load only when `serve` runs

    app.command("serve")(serve_cmd)
    app.add_typer(token_app, name="token")
    app.add_typer(decisions_app, name="decisions")


_register_api()


from .lsp import lsp_cmd  # noqa: E402  (pygls loads only when `lsp` runs)
app.command("lsp")(lsp_cmd)


def _register_demo() -> None:
    from .demo import demo_cmd  # tokens and applications for the workbench (issue 14)

    app.command("demo")(demo_cmd)


_register_demo()


def main() -> None:  # console script entry
    try:
        app()
    except BrokenPipeError:  # `admission … | head`
        sys.stderr.close()
        sys.exit(0)
