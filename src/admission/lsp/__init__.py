"""The language server for policy trees (`admission lsp`): an editor's unsaved buffers laid over
the tree on disk and read by the project's own loader, so an author sees the loader's errors as
they type and the checks' findings on save, and can navigate, hover, complete and fix ids that
live in other files.  Built on pygls; `server` wires the features, the other modules are plain
functions of a `Workspace` and a position, testable without a client.

May import: evaluate, compile, loader, language, diagnostics.
"""
