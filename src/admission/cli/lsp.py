"""`admission lsp`: the language server over stdio, for any editor with an LSP client."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from .common import POLICIES_HELP, load_options, parse_date, today_in_china


def lsp_cmd(
    root: Annotated[Optional[Path], typer.Option(
        "--policies", "-p", "--root",
        help=POLICIES_HELP + "（默认：编辑器打开的工作区 default: the editor's workspace folder）")] = None,
    on: Annotated[Optional[str], typer.Option("--on", help="检查日期（默认今天）date of the checks")] = None,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="不使用解析缓存 do not use the parse cache")] = False,
) -> None:
    """语言服务器（标准输入输出）：边写边校验、跳转、悬停、补全、快速修复 — the language server over stdio."""
    from ..lsp.server import make_server  # pygls loads only when the server runs

    fixed = parse_date(on) if on else None
    server = make_server(root, load_options(no_cache, None), lambda: fixed or today_in_china())
    server.start_io()
