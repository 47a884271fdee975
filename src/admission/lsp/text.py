"""Where the cursor is in a policy file's text: the id under it, the key of the field it is in,
the top-level section, and the unit the record is about.  Plain text reading, so that it works
in a buffer that does not parse yet (the author is still typing)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from lsprotocol import types as lsp

from ..diagnostics import Span

WORD = re.compile(r"[^\s:,\[\]{}\"'#]+")
KEY = re.compile(r"(?:^|[\s{,\-])([A-Za-z_][A-Za-z0-9_]*)\s*:(?:\s|$)")
SECTION = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)\s*:")
OWNER = re.compile(r"^\s*-?\s*\{?\s*(township|village|county|owner|holder)\s*:\s*[\"']?([^\s\"',}#]+)")


def to_range(span: Span) -> lsp.Range:
    """A loader span (1-based, end column inclusive) as an LSP range (0-based, end exclusive)."""
    return lsp.Range(start=lsp.Position(line=span.line - 1, character=max(span.column - 1, 0)),
                     end=lsp.Position(line=max(span.end_line - 1, 0), character=max(span.end_column, 0)))


def word_at(line: str, char: int) -> tuple[str, int, int] | None:
    """The id-like token that covers column `char` of `line`, with its start and end."""
    for m in WORD.finditer(line):
        if m.start() <= char <= m.end():
            return m.group(), m.start(), m.end()
    return None


def indent(line: str) -> int:
    return len(line) - len(line.lstrip(" -"))


@dataclass(frozen=True)
class Context:
    section: str | None  # top-level key the cursor is under
    key: str | None  # field whose value the cursor is in (a list item: the list's key)
    owner: dict[str, str]  # nearest township/village/county/owner/holder above, by field


def context_at(lines: list[str], line: int, char: int) -> Context:
    """The section, the field and the unit the record is about, read upwards from the cursor."""
    here = lines[line][:char] if line < len(lines) else ""
    key = None
    keys = list(KEY.finditer(here))
    if keys:
        key = keys[-1].group(1)
    start_indent = indent(lines[line]) if line < len(lines) else 0
    section = None
    owner: dict[str, str] = {}
    for n in range(line, -1, -1):
        text = lines[n]
        if not text.strip() or text.lstrip().startswith("#"):
            continue
        if m := SECTION.match(text):
            section = m.group(1)
            if key is None and n != line:
                key = section
            break
        if key is None and n != line and indent(text) < start_indent and (m := KEY.search(text)) \
                and text.split(" #", 1)[0].rstrip().endswith(":"):
            key = m.group(1)
        if (m := OWNER.match(text)) and m.group(1) not in owner:
            owner[m.group(1)] = m.group(2)
    if key is None and here.lstrip().startswith("-"):
        key = section
    return Context(section, key, owner)
