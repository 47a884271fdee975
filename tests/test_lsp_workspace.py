"""The language server's workspace without a client: the loader hook it reads buffers through,
and where the cursor is in a policy file's text."""

from __future__ import annotations

import shutil
from pathlib import Path

from admission.loader import LoadOptions, validate_tree
from admission.lsp.text import context_at
from admission.lsp.workspace import Workspace

ROOT = Path(__file__).resolve().parent.parent
LISTS = "zaozhuang/shizhong-lists.yaml"


def test_the_loader_reads_an_overlaid_text_in_place_of_the_file(tmp_path):
    """The hook the server's save runs through: a buffer's text stands in for the file on disk."""
    tree = tmp_path / "policies"
    shutil.copytree(ROOT / "policies", tree)
    disk = (tree / LISTS).read_bytes()
    broken = disk.replace(b"template: SZ-ZZQD-2025", b"template: SZ-ZZQD-2052", 1)
    result = validate_tree(tree, LoadOptions(), {LISTS: broken})
    assert not result.ok and [(d.code, d.span.file) for d in result.diagnostics] == [("unknown-reference", LISTS)]
    assert (tree / LISTS).read_bytes() == disk and validate_tree(tree, LoadOptions()).ok


def test_a_keystroke_reparses_one_file_and_checks_it_against_the_whole_tree(tmp_path):
    tree = tmp_path / "policies"
    shutil.copytree(ROOT / "policies", tree)
    ws = Workspace(tree)
    ws.load()
    assert ws.loader_diagnostics(LISTS) == []
    text = ws.text(LISTS)
    # a matter defined in this buffer only is known to the tree's index at once
    ws.edit("shandong-catalogue.yaml", ws.text("shandong-catalogue.yaml").replace("id: SC-JC-001,", "id: SC-JC-00X,", 1))
    (d,) = ws.loader_diagnostics(LISTS)
    assert d.code == "unknown-reference" and d.subject == "SC-JC-001"
    assert ws.text(LISTS).splitlines()[d.span.line - 1][d.span.column - 1:d.span.end_column] == "SC-JC-001"
    ws.edit("shandong-catalogue.yaml", None)  # closed without saving: the disk again
    assert ws.loader_diagnostics(LISTS) == [] and ws.text(LISTS) == text and not ws.overlay
    flow = "flows/admission.yaml"
    ws.edit(flow, ws.text(flow).replace("when: not resources_declared", "when: not resources_declard", 1))
    (d,) = ws.loader_diagnostics(flow)  # a guard reading a fact that does not exist
    assert d.code == "bad-condition" and "resources_declard" in ws.text(flow).splitlines()[d.span.line - 1]


def test_the_cursor_context_names_the_field_section_and_unit():
    lines = [
        "township_lists:",
        '  - township: "370402101"  # 永安镇',
        "    remove:  # 试点",
        "      - ZF-CF-009",
        "    cooperative:",
        "      - matter: CJ-QT-034",
        "        lead: ",
    ]
    at_remove = context_at(lines, 3, len("      - ZF"))
    assert (at_remove.section, at_remove.key, at_remove.owner) == ("township_lists", "remove", {"township": "370402101"})
    at_lead = context_at(lines, 6, len("        lead: "))
    assert (at_lead.section, at_lead.key) == ("township_lists", "lead")
