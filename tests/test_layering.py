"""The package layering of src/admission, read from the source with `ast` (every import, lazy
ones inside functions included): each package imports only from packages in lower layers, and no
module imports itself through a circle.  CONTRIBUTING.md explains the layers."""

from __future__ import annotations

import ast
import shutil
from pathlib import Path

import networkx as nx
import pytest

SRC = Path(__file__).resolve().parent.parent / "src" / "admission"

# Highest first.  A package may import from any package in a lower row; packages in one row are
# siblings and import nothing from each other.  `admission` itself (the version) is below all.
LAYERS: list[tuple[str, ...]] = [
    ("cli",),
    ("api", "lsp"),
    ("render", "sheets", "synth"),
    ("flow", "scale"),
    ("explain",),
    ("evaluate",),
    ("compile",),
    ("loader",),
    ("language", "store"),
    ("diagnostics",),
]
RANK = {pkg: len(LAYERS) - i for i, row in enumerate(LAYERS) for pkg in row}


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path, root: Path) -> set[str]:
    """Every admission module `path` imports, resolved to absolute names."""
    me = module_name(path, root)
    package = me if path.name == "__init__.py" else me.rsplit(".", 1)[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.split(".")[0] == "admission"}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.split(".")[0] != "admission":
                continue
            for alias in node.names:  # `from . import x` imports the submodule x
                sub = f"{target}.{alias.name}"
                found.add(sub if module_file(sub, root) else target)
    return found


def module_file(name: str, root: Path) -> Path | None:
    rel = Path(*name.split(".")[1:])
    for candidate in (root / rel.with_suffix(".py"), root / rel / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def import_graph(root: Path) -> nx.DiGraph:
    graph = nx.DiGraph()
    for path in root.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        me = module_name(path, root)
        graph.add_node(me)
        for target in imports_of(path, root):
            if target != me:
                graph.add_edge(me, target)
    return graph


def top_package(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else None


def layer_violations(graph: nx.DiGraph) -> list[str]:
    out = []
    for src, dst in graph.edges:
        a, b = top_package(src), top_package(dst)
        if a is None or b is None or a == b:
            continue  # the root package, or inside one package
        if a not in RANK or b not in RANK:
            out.append(f"{src} -> {dst}: package not in LAYERS")
        elif RANK[b] >= RANK[a]:
            out.append(f"{src} -> {dst}: {a} may not import {b} ({'sibling' if RANK[a] == RANK[b] else 'upward'})")
    return sorted(out)


def circles(graph: nx.DiGraph) -> list[list[str]]:
    return sorted(sorted(c) for c in nx.strongly_connected_components(graph) if len(c) > 1)


def test_every_package_has_a_layer():
    packages = {p.name for p in SRC.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    modules = {p.stem for p in SRC.glob("*.py") if p.name != "__init__.py"}
    assert packages | modules == set(RANK)


def test_layers_point_down():
    assert layer_violations(import_graph(SRC)) == []


def test_no_import_circles():
    assert circles(import_graph(SRC)) == []


def test_each_package_says_what_it_owns():
    for pkg in SRC.iterdir():
        init = pkg / "__init__.py"
        if init.exists():
            doc = ast.get_docstring(ast.parse(init.read_text(encoding="utf-8"))) or ""
            assert "May import" in doc, f"{pkg.name}/__init__.py: say what it owns and what it may import"


@pytest.fixture()
def tree_copy(tmp_path) -> Path:
    root = tmp_path / "admission"
    shutil.copytree(SRC, root, ignore=shutil.ignore_patterns("__pycache__"))
    return root


def test_an_upward_import_is_caught(tree_copy):
    enums = tree_copy / "language" / "enums.py"
    enums.write_text(enums.read_text(encoding="utf-8") + "\n\ndef _late():\n    from ..cli import main\n",
                     encoding="utf-8")
    assert layer_violations(import_graph(tree_copy)) == [
        "admission.language.enums -> admission.cli.main: language may not import cli (upward)"]


def test_a_circle_is_caught(tree_copy):
    expand = tree_copy / "compile" / "expand.py"
    expand.write_text(expand.read_text(encoding="utf-8") + "\nfrom . import graph  # noqa\n", encoding="utf-8")
    found = circles(import_graph(tree_copy))
    assert any({"admission.compile.expand", "admission.compile.graph"} <= set(c) for c in found), found
