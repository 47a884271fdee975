"""Writing a view: SVG (default), PNG, PDF or the DOT source, by Graphviz's `dot`."""

from __future__ import annotations

from pathlib import Path

import graphviz

FORMATS = ("svg", "png", "pdf", "dot")


class RenderError(RuntimeError):
    """Graphviz is missing or failed."""


def format_for(path: Path | None, fmt: str | None) -> str:
    """The output format: `fmt` when given, else the file's suffix, else SVG."""
    if fmt:
        fmt = fmt.lower().lstrip(".")
        if fmt == "gv":
            fmt = "dot"
        if fmt not in FORMATS:
            raise ValueError(f"不支持的格式 unsupported format {fmt!r}；可选 {', '.join(FORMATS)}")
        return fmt
    if path is not None:
        suffix = path.suffix.lower().lstrip(".")
        if suffix == "gv":
            return "dot"
        if suffix in FORMATS:
            return suffix
    return "svg"


def render_bytes(graph: graphviz.Digraph, fmt: str = "svg") -> bytes:
    """The graph in `fmt` (DOT source as UTF-8 for `dot`)."""
    if fmt == "dot":
        return dot_source(graph).encode("utf-8")
    try:
        return graph.pipe(format=fmt, engine="dot", quiet=True)
    except graphviz.ExecutableNotFound as exc:
        raise RenderError("找不到 Graphviz 的 dot 命令：请安装 graphviz（scripts/setup）") from exc
    except graphviz.CalledProcessError as exc:
        raise RenderError(f"Graphviz 渲染失败：{exc.stderr.decode('utf-8', 'replace') if exc.stderr else exc}") from exc


def dot_source(graph: graphviz.Digraph) -> str:
    src = graph.source
    return src if src.endswith("\n") else src + "\n"


def write(graph: graphviz.Digraph, path: Path, fmt: str | None = None) -> str:
    """Write the graph to `path`; returns the format used."""
    fmt = format_for(path, fmt)
    data = render_bytes(graph, fmt)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return fmt
