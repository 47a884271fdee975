"""`admission rules`: the check rules as the registry holds them — the rule table for people
(`admission rules`), for tools (`--json`) and the generated section of docs/semantics.md.

    admission rules                                  # id, severity, Chinese title — English title
    admission rules --json
    admission rules --markdown                       # the "Checks" section of docs/semantics.md
    admission rules --write-docs docs/semantics.md   # rewrite that section between its markers

Exit 0; 2 when the file given to --write-docs has no markers.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer


def rules_cmd(
    as_json: Annotated[bool, typer.Option("--json", help="JSON 输出 print JSON")] = False,
    markdown: Annotated[bool, typer.Option(
        "--markdown", help="输出 docs/semantics.md 中生成的“Checks”一节 print the generated Checks section")] = False,
    write_docs: Annotated[Optional[Path], typer.Option(
        "--write-docs", help="重写该文件中生成的一节 rewrite the generated section of this file")] = None,
) -> None:
    """列出检查规则：标识、级别、中文标题、英文标题 — list the check rules."""
    from ..evaluate.checks import REGISTRY

    if write_docs is not None:
        raise typer.Exit(_write_docs(write_docs))
    if markdown:
        from ..evaluate.checks.docs import checks_markdown

        typer.echo(checks_markdown(), nl=False)
    elif as_json:
        from .output import emit_json

        emit_json(True, None, (), rules=[r.to_dict() for r in REGISTRY.rules.values()])
    else:
        _table(REGISTRY)


def _table(registry) -> None:
    width = max(len(rid) for rid in registry.rules)
    for family in registry.families:
        typer.echo(f"[{family.name}]")
        for r in family.rules:
            typer.echo(f"  {r.id:<{width}}  {r.severity.value:<7}  {r.title} — {r.title_en}")
    warnings = sum(r.severity.value == "warning" for r in registry.rules.values())
    typer.echo(f"共 {len(registry.rules)} 条规则 rules（{warnings} 条警告 warnings）；"
               f"说明见 docs/semantics.md explained in docs/semantics.md")


def _write_docs(path: Path) -> int:
    from ..evaluate.checks.docs import write_docs

    try:
        changed = write_docs(path)
    except (OSError, ValueError) as exc:
        typer.echo(f"无法更新 cannot update {path}: {exc}", err=True)
        return 2
    typer.echo(f"{'已更新 updated' if changed else '无变化 unchanged'} {path}")
    return 0
