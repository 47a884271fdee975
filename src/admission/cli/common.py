"""What every command group shares: loading a policy tree (or exiting with its diagnostics),
dates in Beijing time, exit codes.  Public, so command modules import it instead of each other."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import NoReturn, Optional

import typer

from ..loader import LoadOptions, default_cache_dir, root_base, validate_tree
from ..loader.yamlread import Limits


def fail(message: str, code: int) -> NoReturn:
    """Say what went wrong on stderr and end the command with `code` (no traceback)."""
    typer.echo(message, err=True)
    raise typer.Exit(code)


def load_options(no_cache: bool, max_file_bytes: int | None) -> LoadOptions:
    limits = Limits(max_bytes=max_file_bytes) if max_file_bytes else Limits()
    return LoadOptions(limits=limits, cache_dir=None if no_cache else default_cache_dir())


def exit_code(ok: bool, diagnostics) -> int:
    if ok:
        return 0
    return 2 if any(d.code == "no-such-path" for d in diagnostics) else 1


def today_in_china():
    from zoneinfo import ZoneInfo

    return dt.datetime.now(ZoneInfo("Asia/Shanghai")).date()


def parse_date(value: Optional[str]):
    if value is None:
        return today_in_china()
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"日期应为 YYYY-MM-DD：{value!r}") from None


def load_or_exit(directory: Path, no_cache: bool = False):
    result = validate_tree(directory, load_options(no_cache, None))
    if not result.ok:
        for d in result.diagnostics:
            typer.echo(d.format(root_base(directory)), err=True)
        typer.echo("策略无法加载 policy does not load", err=True)
        raise typer.Exit(max(exit_code(result.ok, result.diagnostics), 1))
    return result.policy
