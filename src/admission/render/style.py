"""Shared look and helpers of every view: the CJK font, the colours of the list kinds, safe
labels and tooltips, deterministic node names.

DOT node names are the responsibility graph's node ids with `/` for `:` (`unit/370402101`,
`matter/M-1`): Graphviz reads `a:b` in an edge as node `a`, port `b`.
"""

from __future__ import annotations

import hashlib
import html

import graphviz

#: A font with CJK coverage (Debian package fonts-noto-cjk); set on graph, nodes and edges so
#: Chinese labels render as glyphs in PNG and PDF and are named in SVG.
FONT = "Noto Sans CJK SC"

FINDING = "#d62728"  # findings: red
FINDING_FILL = "#fde0e0"
MUTED = "#8a8a8a"

#: list kind -> (label, line colour, fill colour)
KINDS: dict[str, tuple[str, str, str]] = {
    "basic": ("基本履职事项", "#1f5fa8", "#e7f0fb"),
    "cooperative": ("配合履职事项", "#6a3d9a", "#f0e9f7"),
    "returned": ("上级部门收回事项", "#8c6d31", "#f6f0e1"),
    "delegated": ("赋权事项", "#2b8a3e", "#e6f4e8"),
    "statutory": ("法定职权", "#2f4f4f", "#eef2f2"),
    "admitted": ("准入事项", "#0b7285", "#e0f4f7"),
    "assigned": ("下派记录", "#495057", "#f1f3f5"),
    "holds": ("持有职权", "#2f4f4f", "#eef2f2"),
}

ADDED = "#2b8a3e"  # diff: green
REMOVED = "#d62728"  # diff: red
MOVED = "#f08c00"  # diff: orange


def node_id(element: str) -> str:
    """DOT node name of a graph element id (`unit:X` -> `unit/X`)."""
    return element.replace(":", "/", 1)


def new_graph(name: str, label: str | None = None, rankdir: str = "LR", **graph_attr: str) -> graphviz.Digraph:
    """A digraph with the CJK font on graph, nodes and edges and a stable, timestamp-free header."""
    attrs = {"rankdir": rankdir, "fontname": FONT, "fontsize": "12", "charset": "UTF-8",
             "labelloc": "t", "labeljust": "l", "newrank": "true", "nodesep": "0.18", "ranksep": "0.6"}
    if label:
        attrs["label"] = text(label)
        attrs["fontsize"] = "16"
    attrs.update(graph_attr)
    return graphviz.Digraph(
        name, graph_attr=attrs,
        node_attr={"fontname": FONT, "fontsize": "11", "shape": "box", "style": "rounded,filled",
                   "fillcolor": "white", "color": "#555555", "margin": "0.08,0.04"},
        # arrowhead/arrowtail declared for every edge: Graphviz 2.43 otherwise may read another
        # attribute as the arrow of a reversed edge ("Arrow type … unknown")
        edge_attr={"fontname": FONT, "fontsize": "9", "color": "#777777", "arrowsize": "0.6",
                   "arrowhead": "normal", "arrowtail": "none"})


def text(value: object) -> graphviz.quoting.NoHtml:
    """A plain (non-HTML) label or attribute: backslashes kept literal, newlines as `\\n`."""
    s = str(value).replace("\\", "\\\\").replace("\r", "").replace("\n", "\\n")
    return graphviz.nohtml(s)


def tip(lines) -> graphviz.quoting.NoHtml:
    """A tooltip from lines of text (deduplicated, order kept)."""
    if isinstance(lines, str):
        lines = [lines]
    return text("\n".join(dict.fromkeys(str(x) for x in lines if x)))


def h(value: object) -> str:
    """Text escaped for an HTML-like label."""
    return html.escape(str(value), quote=True)


def h_attr(lines) -> str:
    """An HTML-like label attribute (TOOLTIP, HREF) from lines of text."""
    if isinstance(lines, str):
        lines = [lines]
    return "&#10;".join(h(x) for x in dict.fromkeys(str(x) for x in lines if x))


def slug(*parts: str) -> str:
    """A short ASCII anchor for Chinese names (stable: a hash of the parts)."""
    digest = hashlib.sha1("\0".join(parts).encode("utf-8")).hexdigest()[:8]
    return f"{parts[0]}-{digest}" if parts and parts[0].isascii() else digest


def where(span) -> str:
    """`file:line` of a span; spans name files relative to the policy root, so a render does not
    depend on where the policy lives on disk."""
    return f"{span.file}:{span.line}" if span is not None else ""


def wrap(s: str, width: int = 14) -> str:
    """Break a long Chinese name into lines of `width` characters (for node labels)."""
    if len(s) <= width:
        return s
    return "\n".join(s[i:i + width] for i in range(0, len(s), width))


def html_table(title: str, rows: list[str], color: str, fill: str, *, border_color: str | None = None,
               title_href: str | None = None, title_tooltip: str | None = None, columns: int = 1) -> str:
    """An HTML-like label: a coloured title row and the given `<TR>` rows."""
    attrs = f' HREF="{h(title_href)}"' if title_href else ""
    if title_tooltip:
        attrs += f' TOOLTIP="{title_tooltip}"'
    head = (f'<TR><TD COLSPAN="{columns}" BGCOLOR="{fill}" ALIGN="LEFT"{attrs}>'
            f'<B>{title}</B></TD></TR>')
    return (f'<<TABLE BORDER="1" CELLBORDER="0" CELLSPACING="0" CELLPADDING="3" COLOR="{border_color or color}" '
            f'BGCOLOR="white">{head}{"".join(rows)}</TABLE>>')


def font(content: str, *, color: str | None = None, size: str | None = None, bold: bool = False) -> str:
    """`content` (already escaped) in a FONT element; nothing for empty content (Graphviz
    rejects an empty FONT)."""
    if not content:
        return ""
    if bold:
        content = f"<B>{content}</B>"
    attrs = (f' COLOR="{color}"' if color else "") + (f' POINT-SIZE="{size}"' if size else "")
    return f"<FONT{attrs}>{content}</FONT>" if attrs else content


def unit_link(spec, unit: str) -> str | None:
    """Where a unit links to: `spec` is None (nowhere), a format string with `{unit}`, or a
    function of the unit id returning a URL or None."""
    if spec is None:
        return None
    if callable(spec):
        return spec(unit)
    return spec.format(unit=unit)
