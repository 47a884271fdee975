"""What the commands print besides their text: one JSON envelope for every `--format json`
(and `--json`), and one transient progress line for the commands that can take a while.

The envelope (issue 17) — the same three keys first on every command, then its own payload
under named keys::

    {"ok": true, "revision": "a1b2c3d4e5f60718", "diagnostics": [...], "decision": {...}}

* `ok`: the command found no error (a policy that loads, no error-level finding, a question
  that could be answered); the exit codes stay what each command documents.
* `revision`: the revision of the policy (or bundle) the command read; null when it read none
  or the tree does not load.
* `diagnostics`: every loader diagnostic and check finding, each a dict with `code`,
  `severity`, `message`, `file` (relative to the policy root), `line`, `column` (null when the
  diagnostic has no place) and `help` (the hint, null when there is none), plus the optional
  keys of `Diagnostic.to_dict` (`end_line`, `subject`, `related`, …).

The progress line goes to stderr, and only when stderr is a terminal: pipes, files, CI logs and
the JSON on stdout never see it.  `ADMISSION_PROGRESS=always|never` overrides the detection
(tests force it with `always`, or pass their own rich `Console`).
"""

from __future__ import annotations

import json
import os
import sys
from contextlib import contextmanager
from enum import Enum
from typing import Any, Iterable, Iterator

import typer

ENVELOPE_KEYS = ("ok", "revision", "diagnostics")


class Format(str, Enum):
    text = "text"
    json = "json"


def diagnostic_dict(d) -> dict:
    """A diagnostic for tools: `Diagnostic.to_dict()` with its place and hint always present."""
    out = d.to_dict()
    for key in ("file", "line", "column", "help"):
        out.setdefault(key, None)
    return out


def envelope(ok: bool, revision: str | None = None, diagnostics: Iterable = (), **payload: Any) -> dict:
    """The JSON document of a command: `ok`, `revision`, `diagnostics`, then its own keys."""
    clash = set(payload) & set(ENVELOPE_KEYS)
    if clash:
        raise ValueError(f"payload keys clash with the envelope: {sorted(clash)}")
    return {"ok": bool(ok), "revision": revision,
            "diagnostics": [d if isinstance(d, dict) else diagnostic_dict(d) for d in diagnostics], **payload}


def emit_json(ok: bool, revision: str | None = None, diagnostics: Iterable = (), **payload: Any) -> None:
    """Print the envelope on stdout (UTF-8 as is, keys in a stable order, indented)."""
    typer.echo(json.dumps(envelope(ok, revision, diagnostics, **payload), ensure_ascii=False, indent=2,
                          default=str))


def check_summary(findings, day) -> dict:
    """The `summary` of `check --format json`: the date, how many findings, of which errors."""
    errors = sum(1 for f in findings if f.severity.value == "error")
    return {"on": day.isoformat(), "count": len(findings), "errors": errors, "warnings": len(findings) - errors}


# --------------------------------------------------------------------------- the progress line
class _Line:
    """What `progress()` yields: `update(text)` changes the message, `count(done, total)` adds
    "done/total"; both do nothing when the line is not shown."""

    shown = False

    def __init__(self, message: str, status=None):
        self.message = message
        self._status = status

    def update(self, text: str) -> None:
        if self._status is not None:
            self._status.update(text)

    def count(self, done: int, total: int, unit: str = "") -> None:
        self.update(f"{self.message} {done}/{total}{' ' + unit if unit else ''}")

    __call__ = update


_active: list[_Line] = []


def progress_enabled(stream=None) -> bool:
    """Show progress?  `ADMISSION_PROGRESS=always|never`, else: is stderr a terminal."""
    forced = os.environ.get("ADMISSION_PROGRESS", "").strip().lower()
    if forced in ("always", "1", "yes", "true"):
        return True
    if forced in ("never", "0", "no", "false"):
        return False
    stream = stream if stream is not None else sys.stderr
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):  # closed or not a real stream
        return False


@contextmanager
def progress(message: str, console=None) -> Iterator[_Line]:
    """`with progress("加载策略 loading…") as line:` — a spinner and `message` on stderr while the
    block runs, erased when it ends.  Nothing at all unless stderr is a terminal (or `console`,
    a rich Console, says it is one).  Nested calls reuse the outer line for their message."""
    if _active:  # one line at a time: an inner step shows its message on the outer line
        outer = _active[-1]
        previous = outer.message
        outer.update(message)
        try:
            yield _Line(message, outer._status)
        finally:
            outer.update(previous)
        return
    if console is None:
        if not progress_enabled():
            yield _Line(message)
            return
        from rich.console import Console

        console = Console(stderr=True, force_terminal=True)
    elif not console.is_terminal:
        yield _Line(message)
        return
    from rich.live import Live
    from rich.spinner import Spinner

    spinner = Spinner("dots", text=message)

    class _Status:
        def update(self, text: str) -> None:
            spinner.update(text=text)

    # never redirect stdout: the command's output (JSON too) must stay on stdout
    live = Live(spinner, console=console, transient=True, refresh_per_second=12.5,
                redirect_stdout=False, redirect_stderr=False)
    line = _Line(message, _Status())
    line.shown = True
    _active.append(line)
    try:
        with live:
            yield line
    finally:
        _active.remove(line)


# --------------------------------------------------------------------------- decisions
def decision_exit(outcome: str) -> int:
    return {"allow": 0, "deny": 1}.get(outcome, 2)


def print_decision(dec, format: Format, base: str = "", diagnostics=()) -> None:
    """A decision for the terminal; `base` (the policy root as given) prefixes its sources.
    As JSON: the envelope with the decision under `decision` (`ok`: the question could be
    answered — a denial is an answer)."""
    if format == Format.json:
        emit_json(dec.outcome.value != "error", dec.revision, diagnostics, decision=dec.to_dict())
        return
    word = {"allow": "允许 ALLOW", "deny": "不允许 DENY", "error": "无法判定 ERROR"}[dec.outcome.value]
    typer.echo(f"{word}  {dec.actor} → {dec.target}  事项 {dec.matter}  {dec.on}")
    for r in dec.reasons:
        typer.echo(f"  [{r.code}] {r.message}" + (f"  ({r.span.shown(base)})" if r.span else ""))
    if dec.authority:
        a = dec.authority
        typer.echo(f"  依据 basis: {a.label} {a.record_id or ''} {a.span.shown(base) if a.span else ''} 法律依据 {a.legal_basis or '-'}")
    if dec.consequence:
        typer.echo(f"  后果 consequence: {dec.consequence}")
    typer.echo(f"  修订 revision {dec.revision}  准入序号 admission seq {dec.admission_seq}")
