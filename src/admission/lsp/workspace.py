"""The open workspace: every policy file's text (an editor's buffer when it has one, else the
disk's) and parse, the ids the tree declares, and what one file's loader diagnostics are.

A keystroke re-parses the edited file alone (the loader's parse cache serves the others) and
re-checks its duplicate ids and references against the index of the whole tree, the way the
incremental `validate` checks one changed file; a save runs the full loader and the checks."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import replace
from pathlib import Path

from ..diagnostics import Diagnostic, Span
from ..compile.index import Index, build_index
from ..evaluate.checks import run_checks
from ..language.policy import ID_SECTIONS, Policy, PolicyFile
from ..loader import (LoadOptions, LoadResult, _flow_conditions, parse_file_ex, parse_texts, policy_files,
                      root_relative, validate_tree)
from ..loader.resolve import check_references, duplicates, reference_needs

TEST_SUFFIXES = ("_test.yaml", "_test.yml")


class Workspace:
    """One policy root as the editor sees it; `overlay` holds the buffers that differ from disk."""

    def __init__(self, root: Path, options: LoadOptions = LoadOptions()):
        self.root = Path(root)
        self.options = options
        self.disk: dict[str, bytes] = {}
        self.overlay: dict[str, bytes] = {}
        self.parsed: dict[str, tuple] = {}  # display -> (PolicyFile | None, diagnostics, harvested ids)
        self._needs: dict[str, list[tuple]] = {}
        self._recent: dict[tuple[str, bytes], tuple] = {}
        self.index: dict[str, dict] = {s: {} for s in ID_SECTIONS}
        self.partial: dict[str, set[str]] = {}
        self.duplicate_ids: list[Diagnostic] = []
        self.policy: Policy | None = None  # the last full load that succeeded (hover, who)
        self.findings: dict[str, list[Diagnostic]] = {}  # the checks' findings by file, from the last save
        self._compiled: dict[str, Index] = {}  # policy revision -> compiled index

    # ------------------------------------------------------------------ files
    def display(self, path: str | Path) -> str | None:
        """The root-relative name of a policy file under the root, or None (not ours)."""
        path = Path(path)
        try:
            rel = root_relative(path.resolve(), self.root.resolve())
        except ValueError:
            return None
        if not rel.endswith((".yaml", ".yml")) or rel.endswith(TEST_SUFFIXES) or any(
                part.startswith(".") for part in Path(rel).parts):
            return None
        return rel

    def path(self, display: str) -> Path:
        return self.root / display if self.root.is_dir() else self.root

    def text(self, display: str) -> str:
        raw = self.overlay.get(display, self.disk.get(display, b""))
        return raw.decode("utf-8-sig", errors="replace")

    def pf(self, display: str) -> PolicyFile | None:
        return self.parsed.get(display, (None,))[0]

    def load(self) -> None:
        """Read and parse every file (cached parses are reused) and index the tree."""
        displays, raws = [], []
        for p in policy_files(self.root):
            display = root_relative(p, self.root)
            try:
                self.disk[display] = p.read_bytes()
            except OSError:
                self.disk[display] = b""
            displays.append(display)
            raws.append(self.overlay.get(display, self.disk[display]))
        results, _ = parse_texts(displays, raws, self.options)
        self.parsed = dict(zip(displays, results))
        self._needs.clear()
        self._reindex()

    def edit(self, display: str, text: str | None) -> None:
        """The buffer of `display` is now `text`; None: closed, back to the file on disk."""
        if text is None:
            self.overlay.pop(display, None)
            try:
                self.disk[display] = self.path(display).read_bytes()
            except OSError:
                self.disk.pop(display, None)
                self.parsed.pop(display, None)
                self._needs.pop(display, None)
                self._reindex()
                return
            raw = self.disk[display]
        else:
            raw = text.encode("utf-8")
            if raw == self.disk.get(display):
                self.overlay.pop(display, None)
            else:
                self.overlay[display] = raw
        self.parsed[display] = self._parse(display, raw)
        self._needs.pop(display, None)
        self._reindex()

    def _parse(self, display: str, raw: bytes) -> tuple:
        """One buffer parsed in memory: a keystroke's text is new, so the disk cache (decoding
        costs more than parsing one file) is kept for whole-tree loads; the last few texts are
        remembered, as an editor's undo brings them back."""
        key = (display, hashlib.sha256(raw).digest())
        found = self._recent.pop(key, None)
        if found is None:
            found = parse_file_ex(display, raw, self.options.limits)
        self._recent[key] = found
        while len(self._recent) > 8:
            self._recent.pop(next(iter(self._recent)))
        return found

    def saved(self, display: str) -> None:
        """The buffer was written: disk and buffer agree again."""
        raw = self.overlay.pop(display, None)
        if raw is not None:
            self.disk[display] = raw

    def _reindex(self) -> None:
        files = [pf for pf, _d, _h in self.parsed.values() if pf is not None]
        self.index, self.duplicate_ids = duplicates(files)
        self.partial = {}
        for _pf, _d, harvested in self.parsed.values():
            for section, ids in harvested.items():
                self.partial.setdefault(section, set()).update(ids)

    def needs(self, display: str) -> list[tuple]:
        """The references `display` makes (see `reference_needs`), kept until it changes."""
        found = self._needs.get(display)
        if found is None:
            pf = self.pf(display)
            found = self._needs[display] = reference_needs([pf]) if pf is not None else []
        return found

    # ------------------------------------------------------------------ diagnostics
    def loader_diagnostics(self, display: str) -> list[Diagnostic]:
        """What the loader reports in `display`: its own parse errors, its guard conditions'
        type errors, ids it defines twice or that another file defines too, and its references
        to ids the tree does not have."""
        pf, own, _h = self.parsed.get(display, (None, [], {}))
        out = list(own)
        if pf is not None and pf.flows:
            out += _flow_conditions([pf], {display: self.overlay.get(display, self.disk.get(display, b""))},
                                    self.options.limits)
        out += [d for d in self.duplicate_ids if d.span and d.span.file == display]
        for d, _field in check_references(self.needs(display), self.index, self.partial):
            out.append(replace(d, span=self.token_span(d.span, d.subject)) if d.span and d.subject else d)
        return sorted(out, key=Diagnostic.sort_key)

    def token_span(self, span: Span, ident: str) -> Span:
        """Where `ident` is written inside a record's span (the record's span when it is not):
        a text search, cheaper on each keystroke than reading the YAML again as `validate` does."""
        lines = self.text(span.file).splitlines()
        pattern = re.compile(rf"(?<![\w\-.]){re.escape(ident)}(?![\w\-.])")
        for n in range(span.line - 1, min(span.end_line, len(lines))):
            text = lines[n].split(" #", 1)[0]
            for m in pattern.finditer(text):
                if n == span.line - 1 and m.start() < span.column - 1:
                    continue
                return Span(span.file, n + 1, m.start() + 1, n + 1, m.end())
        return span

    def check(self, on: dt.date, overlay: dict[str, bytes]) -> tuple[LoadResult, dict[str, list[Diagnostic]] | None]:
        """The whole loader over the tree with `overlay` (the buffers, copied: this runs beside
        the editing, in a worker thread) laid over it and, when the tree loads, the checks'
        findings by file; the compiled index comes along for the hovers.  Nothing of the
        workspace changes here but that index cache; `adopt` takes the result."""
        result = validate_tree(self.root, self.options, overlay)
        if result.policy is None:
            return result, None
        index = build_index(result.policy)
        by_file: dict[str, list[Diagnostic]] = {}
        for f in run_checks(result.policy, on, index):
            if f.span:
                by_file.setdefault(f.span.file, []).append(f)
        self._compiled[result.policy.revision] = index
        return result, by_file

    def current_policy(self) -> Policy | None:
        """The last check's policy; before the first check has finished, a load made now."""
        if self.policy is None:
            self.adopt(validate_tree(self.root, self.options, dict(self.overlay)), None)
        return self.policy

    def compiled(self) -> Index | None:
        """The compiled index of `current_policy` (who stands where), built once per revision."""
        p = self.current_policy()
        if p is None:
            return None
        if p.revision not in self._compiled:
            self._compiled[p.revision] = build_index(p)
        return self._compiled[p.revision]

    def adopt(self, result: LoadResult, findings: dict[str, list[Diagnostic]] | None) -> None:
        """Keep a check's policy (for hover) and findings; a tree that does not load keeps the
        last findings until it does."""
        if result.policy is not None:
            self.policy = result.policy
            self._compiled = {k: v for k, v in self._compiled.items() if k == result.policy.revision}
        if findings is not None:
            self.findings = findings

    def files(self) -> list[str]:
        return list(self.parsed)
