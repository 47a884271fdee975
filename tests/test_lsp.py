"""`admission lsp` driven as an editor drives it: a real server subprocess over stdio, spoken to
through the LSP protocol with pytest-lsp, on a copy of the bundled policies (永安镇 is 370402101)."""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types as lsp
from pytest_lsp import ClientServerConfig, LanguageClient

ROOT = Path(__file__).resolve().parent.parent
LISTS = "zaozhuang/shizhong-lists.yaml"
DAY = "2025-06-01"

pytestmark = pytest.mark.asyncio(loop_scope="function")


@pytest_lsp.fixture(config=ClientServerConfig(
    server_command=[sys.executable, "-c", "from admission.cli.main import main; main()", "lsp", "--no-cache", "--on", DAY],
    server_env={**os.environ, "PYTHONPATH": str(ROOT / "src")}))
async def client(lsp_client: LanguageClient, tmp_path):
    tree = tmp_path / "policies"
    shutil.copytree(ROOT / "policies", tree)
    lsp_client.tree = tree
    await lsp_client.initialize_session(lsp.InitializeParams(
        capabilities=lsp.ClientCapabilities(), root_uri=tree.as_uri(),
        workspace_folders=[lsp.WorkspaceFolder(uri=tree.as_uri(), name="policies")]))
    yield
    await lsp_client.shutdown_session()


def doc(client, rel: str = LISTS) -> tuple[str, str]:
    path = client.tree / rel
    return path.resolve().as_uri(), path.read_text(encoding="utf-8")


async def diagnostics_after(client, uri: str, action) -> list[lsp.Diagnostic]:
    """Run `action`, then wait for the server's next diagnostics of `uri`."""
    client.diagnostics.pop(uri, None)
    action()
    for _ in range(600):
        if uri in client.diagnostics:
            return list(client.diagnostics[uri])
        await asyncio.sleep(0.05)
    raise AssertionError(f"no diagnostics published for {uri}")


async def open_doc(client, rel: str = LISTS) -> tuple[str, str]:
    uri, text = doc(client, rel)
    found = await diagnostics_after(client, uri, lambda: client.text_document_did_open(
        lsp.DidOpenTextDocumentParams(lsp.TextDocumentItem(uri=uri, language_id="yaml", version=1, text=text))))
    assert found == []
    return uri, text


def change(client, uri: str, text: str, version: int = 2) -> None:
    client.text_document_did_change(lsp.DidChangeTextDocumentParams(
        text_document=lsp.VersionedTextDocumentIdentifier(uri=uri, version=version),
        content_changes=[lsp.TextDocumentContentChangeWholeDocument(text=text)]))


def line_of(text: str, needle: str, after: int = 0) -> int:
    lines = text.splitlines()
    return next(n for n in range(after, len(lines)) if needle in lines[n])


def yongan(text: str) -> int:
    return line_of(text, 'township: "370402101"')


def at(text: str, needle: str, after: int = 0, offset: int = 0) -> lsp.Position:
    n = line_of(text, needle, after)
    return lsp.Position(n, text.splitlines()[n].index(needle) + offset)


async def test_typing_publishes_the_loaders_errors_at_their_ranges(client):
    uri, text = await open_doc(client)
    lines = text.splitlines()
    y = yongan(text)
    lines.insert(y + 2, "    cooperativ: []")  # an unknown key, after `template:`
    found = await diagnostics_after(client, uri, lambda: change(client, uri, "\n".join(lines) + "\n"))
    (key,) = found
    assert key.code == "unknown-key" and key.range.start == lsp.Position(line=y + 2, character=4)
    assert "cooperativ" in key.message and "'cooperative'" in key.message  # the nearest valid key
    lines = text.splitlines()
    bad_lead = line_of(text, 'lead: "11370402MB4668964R"', y)
    lines[bad_lead] = lines[bad_lead].replace("4668964R", "4668964X")  # a dangling reference
    edited = "\n".join(lines) + "\n"
    found = await diagnostics_after(client, uri, lambda: change(client, uri, edited, 3))
    (ref,) = found
    assert ref.code == "unknown-reference"
    col = lines[bad_lead].index('"11370402MB4668964X"')
    assert ref.range.start.line == bad_lead and ref.range.start.character in (col, col + 1)
    assert "11370402MB4668964R" in ref.message  # the suggestion, nearest existing id
    assert ref.severity == lsp.DiagnosticSeverity.Error and ref.source == "admission"

    # the quick fix from the suggestion, applied, makes the error go away
    actions = await client.text_document_code_action_async(lsp.CodeActionParams(
        lsp.TextDocumentIdentifier(uri), ref.range, lsp.CodeActionContext(diagnostics=[ref])))
    fix = next(a for a in actions if "11370402MB4668964R" in a.title)
    (edit,) = fix.edit.changes[uri]
    fixed_lines = edited.splitlines()
    row = fixed_lines[edit.range.start.line]
    fixed_lines[edit.range.start.line] = row[:edit.range.start.character] + edit.new_text + row[edit.range.end.character:]
    fixed = "\n".join(fixed_lines) + "\n"
    assert fixed == text
    found = await diagnostics_after(client, uri, lambda: change(client, uri, fixed, 4))
    assert found == []


async def test_a_returned_matter_added_to_the_basic_list_is_flagged_on_save(client):
    uri, text = await open_doc(client)
    lines = text.splitlines()
    y = yongan(text)
    lines[y + 2:y + 2] = ["    basic:", "      - SC-JC-001  # 特种设备安全监督检查：区市场监管局已收回"]
    edited = "\n".join(lines) + "\n"
    found = await diagnostics_after(client, uri, lambda: change(client, uri, edited))
    assert found == []  # the loader is content: the overlap is the checks' to find
    (client.tree / LISTS).write_text(edited, encoding="utf-8")
    found = await diagnostics_after(client, uri, lambda: client.text_document_did_save(
        lsp.DidSaveTextDocumentParams(lsp.TextDocumentIdentifier(uri))))
    overlap = [d for d in found if d.code == "overlap-basic-returned"]
    assert overlap and overlap[0].range.start.line == y + 3
    assert overlap[0].related_information  # the returned entry of the template
    returned_at = overlap[0].related_information[0].location
    assert returned_at.uri == uri and "SC-JC-001" in text.splitlines()[returned_at.range.start.line]


async def test_closing_without_saving_reverts_to_disk(client):
    uri, text = await open_doc(client)
    broken = text.replace('template: SZ-ZZQD-2025', 'template: SZ-ZZQD-2052', 1)
    found = await diagnostics_after(client, uri, lambda: change(client, uri, broken))
    assert [d.code for d in found] == ["unknown-reference"]
    found = await diagnostics_after(client, uri, lambda: client.text_document_did_close(
        lsp.DidCloseTextDocumentParams(lsp.TextDocumentIdentifier(uri))))
    assert found == []


async def test_definition_and_references(client):
    uri, text = await open_doc(client)
    y = yongan(text)
    pos = at(text, "11370402MB4668964R", y, 3)
    (target,) = [await client.text_document_definition_async(lsp.DefinitionParams(lsp.TextDocumentIdentifier(uri), pos))]
    units_uri, units = doc(client, "zaozhuang/shizhong.yaml")
    assert target.uri == units_uri
    assert "11370402MB4668964R" in units.splitlines()[target.range.start.line]
    refs = await client.text_document_references_async(lsp.ReferenceParams(
        text_document=lsp.TextDocumentIdentifier(uri=uri), position=pos,
        context=lsp.ReferenceContext(include_declaration=False)))
    lines = text.splitlines()
    expected = sum(1 for line in lines if "11370402MB4668964R" in line.split("#")[0])
    in_lists = [r for r in refs if r.uri == uri]
    assert len(in_lists) == expected
    assert all("11370402MB4668964R" in lines[r.range.start.line][r.range.start.character:r.range.end.character]
               for r in in_lists)
    symbols = await client.text_document_document_symbol_async(lsp.DocumentSymbolParams(lsp.TextDocumentIdentifier(uri)))
    assert [s.name for s in symbols] == ["township_templates", "township_lists"]
    assert "370402101" in [c.name for c in symbols[1].children]
    found = await client.workspace_symbol_async(lsp.WorkspaceSymbolParams(query="永安镇"))
    assert any(s.name.startswith("370402101") for s in found)
    found = await client.workspace_symbol_async(lsp.WorkspaceSymbolParams(query="yaz"))  # pinyin initials
    assert any(s.name.startswith("370402101 永安镇") for s in found)


async def test_hover_shows_the_matter_and_who_in_this_township(client):
    uri, text = await open_doc(client)
    y = yongan(text)
    pos = at(text, "CJ-QT-034", y, 2)
    hover = await client.text_document_hover_async(lsp.HoverParams(lsp.TextDocumentIdentifier(uri), pos))
    body = hover.contents.value
    assert "新建住宅小区交付使用联合查验" in body and "领域 domain" in body and "权力类型 power type" in body
    assert "永安镇" in body and "经由 配合履职事项" in body and "区住房" in body  # who: cooperative, with its lead
    hover = await client.text_document_hover_async(lsp.HoverParams(lsp.TextDocumentIdentifier(uri), at(text, '"370402101"', 0, 2)))
    assert "乡镇" in hover.contents.value and "上级 parent" in hover.contents.value


async def test_completion_by_field_kind(client):
    uri, text = await open_doc(client)
    lines = text.splitlines()
    y = yongan(text)
    lead = line_of(text, 'lead: "11370402MB4668964R"', y)
    lines[lead] = "        lead: "
    edited = "\n".join(lines) + "\n"
    await diagnostics_after(client, uri, lambda: change(client, uri, edited))

    async def complete(line: int, char: int):
        got = await client.text_document_completion_async(lsp.CompletionParams(
            lsp.TextDocumentIdentifier(uri), lsp.Position(line, char)))
        return {i.label: i for i in got.items}

    leads = await complete(lead, len("        lead: "))
    assert "11370402MB4668964R" in leads and leads["11370402MB4668964R"].detail.endswith("住房和城乡建设局")
    assert all("市中" in i.detail for i in leads.values())  # departments of this county only
    assert "zfhcxjsj" in leads["11370402MB4668964R"].filter_text  # pinyin initials of the name
    matters = await complete(line_of(text, "- ZF-CF-009", y), len("      - "))
    assert "ZF-CF-009" in matters and matters["ZF-CF-009"].detail
    units_uri, units = doc(client, "zaozhuang/shizhong.yaml")
    await diagnostics_after(client, units_uri, lambda: client.text_document_did_open(
        lsp.DidOpenTextDocumentParams(lsp.TextDocumentItem(uri=units_uri, language_id="yaml", version=1, text=units))))
    n = line_of(units, "kind: department")
    col = units.splitlines()[n].index("kind: department") + len("kind: ")
    got = await client.text_document_completion_async(lsp.CompletionParams(
        lsp.TextDocumentIdentifier(units_uri), lsp.Position(n, col)))
    kinds = {i.label for i in got.items}
    assert {"department", "township", "village"} <= kinds and not any(k.startswith("11") for k in kinds)


def apply(text: str, edits: list[lsp.TextEdit]) -> str:
    """`edits` applied to `text` (one edit, or several on distinct places, last first)."""
    lines = text.splitlines(keepends=True)
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line))

    def offset(p: lsp.Position) -> int:
        return offsets[p.line] + p.character if p.line < len(lines) else offsets[-1]

    for e in sorted(edits, key=lambda e: offset(e.range.start), reverse=True):
        text = text[:offset(e.range.start)] + e.new_text + text[offset(e.range.end):]
    return text


async def test_quick_fixes_remove_a_duplicate_and_add_a_lead_from_the_power_lists(client):
    uri, text = await open_doc(client)
    y = yongan(text)
    lines = text.splitlines()
    n = line_of(text, "- ZF-CF-010", y)
    lines.insert(n + 1, lines[n])  # the same matter twice in `remove`
    doubled = "\n".join(lines) + "\n"
    (dup,) = await diagnostics_after(client, uri, lambda: change(client, uri, doubled))
    assert dup.code == "duplicate-entry" and dup.range.start.line == n + 1
    assert dup.related_information[0].location.range.start.line == n
    actions = await client.text_document_code_action_async(lsp.CodeActionParams(
        text_document=lsp.TextDocumentIdentifier(uri=uri), range=dup.range,
        context=lsp.CodeActionContext(diagnostics=[dup])))
    (fix,) = actions
    assert apply(doubled, fix.edit.changes[uri]) == text

    lines = text.splitlines()
    lead = line_of(text, 'lead: "11370402MB4668964R"', y)
    del lines[lead]  # CJ-QT-034 of 永安镇 without its lead
    leadless = "\n".join(lines) + "\n"
    assert await diagnostics_after(client, uri, lambda: change(client, uri, leadless, 3)) == []
    (client.tree / LISTS).write_text(leadless, encoding="utf-8")
    found = await diagnostics_after(client, uri, lambda: client.text_document_did_save(
        lsp.DidSaveTextDocumentParams(text_document=lsp.TextDocumentIdentifier(uri=uri))))
    (missing,) = [d for d in found if d.code == "missing-lead"]
    assert missing.range.start.line == lead - 2  # the entry `- matter: CJ-QT-034`
    actions = await client.text_document_code_action_async(lsp.CodeActionParams(
        text_document=lsp.TextDocumentIdentifier(uri=uri), range=missing.range,
        context=lsp.CodeActionContext(diagnostics=[missing])))
    (fix,) = actions
    assert "11370402MB4668964R" in fix.title  # the one department of 市中区 holding the matter
    fixed = apply(leadless, fix.edit.changes[uri])
    assert 'lead: "11370402MB4668964R"' in fixed.splitlines()[lead - 1]
    typed = await diagnostics_after(client, uri, lambda: change(client, uri, fixed, 4))
    assert [d.code for d in typed] == ["missing-lead"]  # the loader is content; findings wait for a save
    (client.tree / LISTS).write_text(fixed, encoding="utf-8")
    assert await diagnostics_after(client, uri, lambda: client.text_document_did_save(
        lsp.DidSaveTextDocumentParams(text_document=lsp.TextDocumentIdentifier(uri=uri)))) == []
