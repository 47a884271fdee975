"""The pygls wiring of `admission lsp`: each LSP request or notification calls one function of
the modules beside this one on the shared `Workspace`.  Keystrokes publish the edited file's
loader diagnostics; a save runs the full loader and the checks and republishes only the files
whose diagnostics changed; closing a buffer without saving reverts that file to the disk."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable
from pathlib import Path

from lsprotocol import types as lsp
from pygls.lsp.server import LanguageServer
from pygls.uris import to_fs_path

from .. import __version__
from ..diagnostics import Diagnostic
from ..loader import LoadOptions
from .actions import code_actions
from .complete import complete
from .hover import hover
from .navigate import definition, document_symbols, references, uri, workspace_symbols
from .publish import for_file
from .workspace import Workspace


class PolicyServer(LanguageServer):
    """A language server over one policy root (the workspace folder unless given)."""

    def __init__(self, root: Path | None, options: LoadOptions, today: Callable[[], dt.date]):
        super().__init__("admission-lsp", __version__)
        self.fixed_root = root
        self.options = options
        self.today = today
        self.ws: Workspace | None = None
        self.loader: dict[str, list[Diagnostic]] = {}  # the last loader diagnostics published per file
        self.sent: dict[str, list] = {}  # what each file was last sent, so a save sends only changes
        self.pending: set[str] = set()  # saves waiting for a check run ("" : the first run)
        self.running = False

    async def start(self) -> None:
        """Read the tree (before any buffer is shown: diagnostics need every file's ids), then
        the first check run."""
        root = self.fixed_root or Path(self.workspace.root_path or ".")
        self.ws = Workspace(root, self.options)
        self.ws.load()
        await self.check_all()

    def display(self, doc_uri: str) -> str | None:
        path = to_fs_path(doc_uri)
        return self.ws.display(path) if self.ws and path else None

    def send(self, display: str, force: bool = False) -> None:
        found = for_file(self.ws, display, self.loader.get(display, []))
        key = [(d.code, d.range.start.line, d.range.start.character, d.message) for d in found]
        if not force and self.sent.get(display, []) == key:
            return
        self.sent[display] = key
        self.text_document_publish_diagnostics(lsp.PublishDiagnosticsParams(uri=uri(self.ws, display), diagnostics=found))

    def typed(self, display: str) -> None:
        """A buffer changed: its loader diagnostics, now."""
        self.loader[display] = self.ws.loader_diagnostics(display)
        self.send(display, force=True)

    async def check_all(self, saved: str | None = None) -> None:
        """The full loader and the checks, in a worker thread so that typing goes on meanwhile
        (one run at a time; saves during a run are folded into one more run); then every file
        whose diagnostics changed is republished.  A buffer edited since keeps its own loader
        diagnostics: the run saw an older text."""
        self.pending.add(saved or "")
        if self.running:
            return
        self.running = True
        try:
            while self.pending:
                saves, self.pending = self.pending - {""}, set()
                overlay = dict(self.ws.overlay)
                result, findings = await asyncio.get_running_loop().run_in_executor(
                    None, self.ws.check, self.today(), overlay)
                self.ws.adopt(result, findings)
                by_file: dict[str, list[Diagnostic]] = {}
                for d in result.diagnostics:
                    if d.span:
                        by_file.setdefault(d.span.file, []).append(d)
                for display in set(self.loader) | set(by_file) | set(self.ws.findings) | saves:
                    if self.ws.overlay.get(display) != overlay.get(display):
                        continue
                    self.loader[display] = by_file.get(display, [])
                    self.send(display, force=display in saves)
                errors = sum(1 for d in result.diagnostics if d.severity.value == "error")
                found = sum(len(v) for v in (findings or {}).values())
                self.window_log_message(lsp.LogMessageParams(type=lsp.MessageType.Info, message=(
                    f"检查完成 checked: {errors} 个加载错误 loader error(s)，{found} 个问题 finding(s)"
                    if findings is not None else f"校验失败 invalid: {errors} 个错误 error(s)")))
        finally:
            self.running = False


def make_server(root: Path | None, options: LoadOptions, today: Callable[[], dt.date]) -> PolicyServer:
    server = PolicyServer(root, options, today)

    @server.feature(lsp.INITIALIZED)
    async def _initialized(ls: PolicyServer, _params: lsp.InitializedParams) -> None:
        await ls.start()

    @server.feature(lsp.TEXT_DOCUMENT_DID_OPEN)
    def _open(ls: PolicyServer, params: lsp.DidOpenTextDocumentParams) -> None:
        display = ls.display(params.text_document.uri)
        if display is not None:
            ls.ws.edit(display, params.text_document.text)
            ls.typed(display)

    @server.feature(lsp.TEXT_DOCUMENT_DID_CHANGE)
    def _change(ls: PolicyServer, params: lsp.DidChangeTextDocumentParams) -> None:
        display = ls.display(params.text_document.uri)
        if display is not None:
            ls.ws.edit(display, ls.workspace.get_text_document(params.text_document.uri).source)
            ls.typed(display)

    @server.feature(lsp.TEXT_DOCUMENT_DID_SAVE)
    async def _save(ls: PolicyServer, params: lsp.DidSaveTextDocumentParams) -> None:
        display = ls.display(params.text_document.uri)
        if display is not None:
            ls.ws.saved(display)
            ls.ws.edit(display, None)
            await ls.check_all(saved=display)

    @server.feature(lsp.TEXT_DOCUMENT_DID_CLOSE)
    def _close(ls: PolicyServer, params: lsp.DidCloseTextDocumentParams) -> None:
        display = ls.display(params.text_document.uri)
        if display is not None:
            ls.ws.edit(display, None)
            ls.typed(display)

    @server.feature(lsp.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    async def _watched(ls: PolicyServer, params: lsp.DidChangeWatchedFilesParams) -> None:
        """Files changed on disk behind the editor (a checkout, a generator): read them again."""
        changed = [d for d in (ls.display(c.uri) for c in params.changes) if d is not None]
        for display in changed:
            if display not in ls.ws.overlay:
                ls.ws.edit(display, None)
        if changed:
            await ls.check_all()

    @server.feature(lsp.TEXT_DOCUMENT_DEFINITION)
    def _definition(ls: PolicyServer, params: lsp.DefinitionParams):
        display = ls.display(params.text_document.uri)
        return definition(ls.ws, display, params.position) if display else None

    @server.feature(lsp.TEXT_DOCUMENT_REFERENCES)
    def _references(ls: PolicyServer, params: lsp.ReferenceParams):
        display = ls.display(params.text_document.uri)
        return references(ls.ws, display, params.position, params.context.include_declaration) if display else []

    @server.feature(lsp.TEXT_DOCUMENT_HOVER)
    def _hover(ls: PolicyServer, params: lsp.HoverParams):
        display = ls.display(params.text_document.uri)
        return hover(ls.ws, display, params.position, ls.today()) if display else None

    @server.feature(lsp.TEXT_DOCUMENT_COMPLETION, lsp.CompletionOptions(trigger_characters=[":", " ", "-"]))
    def _complete(ls: PolicyServer, params: lsp.CompletionParams):
        display = ls.display(params.text_document.uri)
        return complete(ls.ws, display, params.position, ls.today()) if display else None

    @server.feature(lsp.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
    def _symbols(ls: PolicyServer, params: lsp.DocumentSymbolParams):
        display = ls.display(params.text_document.uri)
        return document_symbols(ls.ws, display) if display else []

    @server.feature(lsp.WORKSPACE_SYMBOL)
    def _workspace_symbols(ls: PolicyServer, params: lsp.WorkspaceSymbolParams):
        return workspace_symbols(ls.ws, params.query)

    @server.feature(lsp.TEXT_DOCUMENT_CODE_ACTION,
                    lsp.CodeActionOptions(code_action_kinds=[lsp.CodeActionKind.QuickFix]))
    def _actions(ls: PolicyServer, params: lsp.CodeActionParams):
        display = ls.display(params.text_document.uri)
        return code_actions(ls.ws, display, params.text_document.uri, params.context.diagnostics) if display else []

    return server
