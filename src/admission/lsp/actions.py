"""Quick fixes from the diagnostics' suggestions: the nearest valid key or existing id the
loader proposes, the id for a name written where an id belongs, deleting a duplicate entry, and
a lead department for a cooperative entry without one, chosen from the power lists of the
township's county that hold the matter."""

from __future__ import annotations

import re

from lsprotocol import types as lsp

from .complete import county_of
from .workspace import Workspace

SUGGESTED = re.compile(r"(?:是否想写|是否指|写成) '([^']+)'")


def _edit(uri: str, title: str, edits: list[lsp.TextEdit], diag: lsp.Diagnostic) -> lsp.CodeAction:
    return lsp.CodeAction(title=title, kind=lsp.CodeActionKind.QuickFix, diagnostics=[diag],
                          edit=lsp.WorkspaceEdit(changes={uri: edits}), is_preferred=True)


def _at(line: int, char: int) -> lsp.Range:
    return lsp.Range(start=lsp.Position(line=line, character=char), end=lsp.Position(line=line, character=char))


def lead_candidates(ws: Workspace, township: str, matter: str) -> list[str]:
    """Departments of the township's county whose power lists hold the matter."""
    p = ws.current_policy()
    if p is None:
        return []
    county = county_of(ws.index["units"], township)
    out = []
    for pl in p.power_lists:
        if county_of(ws.index["units"], pl.holder) == county and pl.holder not in out \
                and any(item.matter == matter for item in pl.items) and pl.holder != township:
            out.append(pl.holder)
    return out


def _add_lead(uri: str, lines: list[str], diag: lsp.Diagnostic, dept: str, name: str) -> lsp.CodeAction:
    n = diag.range.start.line
    line = lines[n] if n < len(lines) else ""
    code = line.split(" #", 1)[0]
    if "}" in code:  # a flow mapping `- {matter: X, seq: 3}`
        col = code.rindex("}")
        edit = lsp.TextEdit(_at(n, col), f", lead: \"{dept}\"")
    else:
        pad = " " * (len(line) - len(line.lstrip(" -")))
        edit = lsp.TextEdit(_at(n + 1, 0), f"{pad}lead: \"{dept}\"\n")
    return _edit(uri, f"牵头部门写为 {name}（{dept}） add lead {dept}", [edit], diag)


def code_actions(ws: Workspace, display: str, uri: str, diags: list[lsp.Diagnostic]) -> list[lsp.CodeAction]:
    out = []
    lines = ws.text(display).splitlines()
    for diag in diags:
        data = diag.data if isinstance(diag.data, dict) else {}
        code, help_ = data.get("code") or diag.code, data.get("help") or ""
        if code == "duplicate-entry":
            r = diag.range
            whole = lsp.Range(lsp.Position(r.start.line, 0), lsp.Position(r.end.line + 1, 0))
            out.append(_edit(uri, "删去重复的一项 remove the duplicate entry", [lsp.TextEdit(whole, "")], diag))
        elif code == "missing-lead" and "/" in (data.get("subject") or ""):
            township, matter = data["subject"].split("/", 1)
            for dept in lead_candidates(ws, township, matter)[:5]:
                out.append(_add_lead(uri, lines, diag, dept, ws.index["units"][dept].name))
        elif m := SUGGESTED.search(help_):
            r, new = diag.range, m.group(1)
            old = lines[r.start.line][r.start.character:r.start.character + 1] if r.start.line < len(lines) else ""
            if old in ("'", '"'):  # a quoted value stays quoted
                new = f"{old}{new}{old}"
            out.append(_edit(uri, f"改为 '{m.group(1)}' replace with '{m.group(1)}'", [lsp.TextEdit(r, new)], diag))
    return out
