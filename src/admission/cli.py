"""Command line: `admission validate|schema|synth|…`.  The library never prints or exits; this
module owns output formats and exit codes (0 ok, 1 findings or errors, 2 usage errors)."""

from __future__ import annotations

import json
import sys
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from .loader import LoadOptions, default_cache_dir, validate_tree
from .loader.yamlread import Limits

app = typer.Typer(
    name="admission",
    help="乡镇履职事项清单、事项准入与赋权的策略引擎 — policy as code for duty lists, admission and delegated powers.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


class Format(str, Enum):
    text = "text"
    json = "json"


PolicyDir = Annotated[Path, typer.Argument(help="策略目录 policy directory", show_default=True)]


def _options(no_cache: bool, max_file_bytes: int | None) -> LoadOptions:
    limits = Limits(max_bytes=max_file_bytes) if max_file_bytes else Limits()
    return LoadOptions(limits=limits, cache_dir=None if no_cache else default_cache_dir())


@app.command()
def validate(
    directory: PolicyDir = Path("policies"),
    format: Annotated[Format, typer.Option("--format", "-f", help="输出格式 output format")] = Format.text,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="不使用解析缓存 do not use the parse cache")] = False,
    max_file_bytes: Annotated[Optional[int], typer.Option(help="单个文件大小上限 per-file size limit")] = None,
) -> None:
    """校验策略文件：语法、字段、类型、日期、重复标识与引用 — validate policy files."""
    result = validate_tree(directory, _options(no_cache, max_file_bytes))
    stats = result.policy.stats if result.policy else {}
    if format == Format.json:
        typer.echo(json.dumps({"ok": result.ok, "revision": result.policy.revision if result.policy else None,
                               "stats": stats, "diagnostics": [d.to_dict() for d in result.diagnostics]},
                              ensure_ascii=False, indent=2))
    else:
        for d in result.diagnostics:
            typer.echo(d.format())
        if result.ok:
            p = result.policy
            typer.echo(f"校验通过 valid: {stats['files']} 个文件，{len(p.units)} 个单位，{len(p.matters)} 个事项，"
                       f"{len(p.township_lists)} 个乡镇清单，{len(p.village_lists)} 个村(社区)清单，"
                       f"修订 revision {p.revision}")
        else:
            n = sum(1 for d in result.diagnostics if d.severity.value == "error")
            typer.echo(f"校验失败 invalid: {n} 个错误 error(s)", err=True)
    raise typer.Exit(_exit_code(result))


def _exit_code(result) -> int:
    if result.ok:
        return 0
    return 2 if any(d.code == "no-such-path" for d in result.diagnostics) else 1


@app.command()
def run(
    directory: PolicyDir = Path("policies"),
    no_cache: Annotated[bool, typer.Option("--no-cache", help="不使用解析缓存 do not use the parse cache")] = False,
) -> None:
    """主流程：校验、检查、渲染并汇总 — the main job: validate, check, render, summarise."""
    from .expand import expanded_count

    result = validate_tree(directory, _options(no_cache, None))
    for d in result.diagnostics:
        typer.echo(d.format())
    if not result.ok:
        typer.echo("校验失败 invalid", err=True)
        raise typer.Exit(_exit_code(result))
    p = result.policy
    typer.echo(f"策略 policy {directory}  修订 revision {p.revision}")
    typer.echo(f"  文件 files {p.stats['files']}  单位 units {len(p.units)}  事项 matters {len(p.matters)}")
    typer.echo(f"  乡镇清单 township lists {len(p.township_lists)}  村(社区)清单 village lists {len(p.village_lists)}"
               f"  展开后条目 expanded entries {expanded_count(p)}")
    typer.echo(f"  赋权 delegations {len(p.delegations)}  准入 admissions {len(p.admissions)}"
               f"  下派 assignments {len(p.assignments)}")


@app.command()
def schema(
    output: Annotated[Optional[Path], typer.Option("-o", "--output", help="写入文件 write to file")] = None,
) -> None:
    """输出策略语言的 JSON Schema — print the JSON Schema of the policy language."""
    from .schema import policy_schema

    text = json.dumps(policy_schema(), ensure_ascii=False, indent=2)
    if output:
        output.write_text(text + "\n", encoding="utf-8")
    else:
        typer.echo(text)


def main() -> None:  # console script entry
    try:
        app()
    except BrokenPipeError:  # `admission … | head`
        sys.stderr.close()
        sys.exit(0)
