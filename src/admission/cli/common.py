"""What every command group shares: loading a policy tree (or exiting with its diagnostics),
dates in Beijing time, exit codes.  Public, so command modules import it instead of each other."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, NoReturn, Optional

import typer
import typer.core

from ..loader import LoadOptions, default_cache_dir, root_base, validate_tree
from ..loader.yamlread import Limits


def fail(message: str, code: int) -> NoReturn:
    """Say what went wrong on stderr and end the command with `code` (no traceback)."""
    typer.echo(message, err=True)
    raise typer.Exit(code)


def _help_width() -> int:
    import shutil

    return max(shutil.get_terminal_size((80, 24)).columns, 40)


class WrappingGroup(typer.core.TyperGroup):
    """A command group whose list of commands wraps each one's summary instead of cutting it
    to the line with "…" (click's `get_short_help_str(limit)`)."""

    def format_commands(self, ctx, formatter) -> None:
        rows = [(name, cmd.get_short_help_str(10_000)) for name in self.list_commands(ctx)
                if (cmd := self.get_command(ctx, name)) is not None and not cmd.hidden]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


#: every command group's help: click's formatter at the terminal's full width, which wraps
#: (also long runs of Chinese) and never cuts a line with "…" as rich's help tables do
HELP_SETTINGS = {"rich_markup_mode": None, "cls": WrappingGroup,
                 "context_settings": {"max_content_width": _help_width()}}

_COLOURS = {"error": "red", "warning": "yellow"}


def say_diagnostic(d, base: str | None = None, err: bool = False) -> None:
    """One diagnostic, its first line red (error) or yellow (warning) on a terminal; plain text
    when the output is a file or a pipe (click drops the colour there)."""
    text = d.format(base or "")
    head, sep, rest = text.partition("\n")
    colour = _COLOURS.get(getattr(d.severity, "value", ""))
    if colour:
        head = typer.style(head, fg=colour, bold=colour == "red")
    typer.echo(head + sep + rest, err=err)


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


#: every command that reads a policy tree takes it as `-p/--policies` (issue 17), with this help
#: and this default; tests/test_cli_envelope.py checks every command of the app for it
POLICIES_HELP = "策略目录 policy directory"
DEFAULT_POLICIES = Path("policies")
Policies = Annotated[Path, typer.Option("--policies", "-p", help=POLICIES_HELP, show_default=True)]
#: the commands that took the tree as an argument still do (`admission validate policies`)
PolicyArg = Annotated[Optional[Path], typer.Argument(
    help="策略目录，同 -p/--policies policy directory, same as -p/--policies", show_default=False)]


def policy_dir(ctx: typer.Context, directory: Optional[Path], policies: Path) -> Path:
    """The tree of a command that takes it as an argument or as `-p`: the argument if given
    (a different, non-default `-p` beside it is a usage error), else `-p` (default `policies`)."""
    if directory is None:
        return policies
    if policies != DEFAULT_POLICIES and directory != policies:
        raise typer.BadParameter(f"策略目录给了两次且不同 two policy directories: {directory} 与 -p {policies}")
    return directory


def load_tree(directory: Path, no_cache: bool = False, max_file_bytes: int | None = None):
    """validate_tree with a progress line on a terminal."""
    from .output import progress

    with progress(f"加载策略 loading {directory} …"):
        return validate_tree(directory, load_options(no_cache, max_file_bytes))


def load_or_exit(directory: Path, no_cache: bool = False, json: bool = False, with_result: bool = False):
    """The policy, or exit with its diagnostics (text on stderr; with `json`, the envelope on
    stdout: ok false, revision null).  `with_result` returns the whole LoadResult (its
    diagnostics include the warnings of a tree that loads)."""
    result = load_tree(directory, no_cache)
    if not result.ok:
        if json:
            from .output import emit_json

            emit_json(False, None, result.diagnostics)
        else:
            for d in result.diagnostics:
                say_diagnostic(d, root_base(directory), err=True)
            typer.echo("策略无法加载 policy does not load", err=True)
        raise typer.Exit(max(exit_code(result.ok, result.diagnostics), 1))
    return result if with_result else result.policy
