"""Load a directory tree of YAML policy files: read, validate, resolve, report every error.

Pipeline per file: bytes → `read_yaml` (spans kept) → `PolicyFile` (pydantic) → errors mapped
back to file:line:column.  Files are cached by content hash, so after a change to one county's
file only that file is parsed again; a cold load of many files uses a process pool.
Then across files: duplicate ids, references.  The result is a `Policy` or a `PolicyError`
carrying every diagnostic of the run.

May import: language, diagnostics.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path

from pydantic import ValidationError

from .. import __version__, code_digest
from ..diagnostics import Diagnostic, PolicyError, Severity, Span
from ..language import codec
from ..language.policy import ID_SECTIONS, LANGUAGE_VERSION, REGISTER_SECTIONS, Policy, PolicyFile
from .messages import Locator, translate
from .derive import derived_lists
from .groups import expand_groups
from .resolve import duplicates, references
from .yamlread import Limits, MapMeta, SpannedList, read_yaml

__all__ = ["LoadOptions", "LoadResult", "load_policy", "validate_tree", "policy_files", "parse_texts", "Limits"]

TEST_SUFFIXES = ("_test.yaml", "_test.yml")


@dataclass(frozen=True)
class LoadOptions:
    limits: Limits = field(default_factory=Limits)
    cache_dir: Path | None = None  # None: no cache; see default_cache_dir()
    workers: int | None = None  # None: os.cpu_count(); 1: no pool
    parallel_min_bytes: int = 4 * 1024 * 1024


@dataclass
class LoadResult:
    policy: Policy | None
    diagnostics: list[Diagnostic]
    parsed: int = 0  # files parsed in this run (not served from the cache)

    @property
    def ok(self) -> bool:
        return self.policy is not None


def default_cache_dir() -> Path:
    base = os.environ.get("ADMISSION_CACHE_DIR")
    if base:
        return Path(base)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "admission" / f"v{LANGUAGE_VERSION}-{__version__}"


_FINGERPRINT: list[bytes] = []


def code_fingerprint() -> bytes:
    """A hash of the code that turns bytes into records, so a cached parse is never served
    by a different model or reader than the one that made it."""
    if not _FINGERPRINT:
        h = code_digest("diagnostics.py", "language", "loader")
        _FINGERPRINT.append(h.digest())
    return _FINGERPRINT[0]


def policy_files(root: Path) -> list[Path]:
    """YAML files under `root` in a stable order; hidden folders and `*_test.yaml` are skipped."""
    if root.is_file():
        return [root]
    out = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if name.endswith((".yaml", ".yml")) and not name.endswith(TEST_SUFFIXES) and not name.startswith("."):
                out.append(Path(dirpath) / name)
    return out


# --------------------------------------------------------------------------- one file
def parse_file(display: str, raw: bytes, limits: Limits) -> tuple[PolicyFile | None, list[Diagnostic]]:
    """Read and validate one file; never raises for bad content."""
    pf, diags, _ = parse_file_ex(display, raw, limits)
    return pf, diags


def harvest_ids(data) -> dict[str, set[str]]:
    """The ids a file that failed validation still declares, so that other files' references to
    them are not reported as missing (that would be a false error)."""
    out: dict[str, set[str]] = {}
    if not isinstance(data, dict):
        return out
    for section, attr in ID_SECTIONS.items():
        items = data.get(section)
        if isinstance(items, list):
            ids = {str(item[attr]).strip() for item in items
                   if isinstance(item, dict) and isinstance(item.get(attr), (str, int)) and not isinstance(item.get(attr), bool)}
            if ids:
                out[section] = ids
    return out


def parse_file_ex(display: str, raw: bytes, limits: Limits
                  ) -> tuple[PolicyFile | None, list[Diagnostic], dict[str, set[str]]]:
    """`parse_file`, plus the ids harvested from a file that failed validation."""
    read = read_yaml(display, raw, limits)
    if read.diagnostics and read.data is None:
        return None, read.diagnostics, {}
    diags = list(read.diagnostics)
    data = read.data
    file_span = Span(display, 1, 1, 1, 1)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        hint = None
        if isinstance(data, str) and "：" in data:
            hint = "文件里有全角冒号“：”，键和值之间要用半角冒号加空格“: ”"
        return None, diags + [Diagnostic(
            "wrong-type", "文件顶层应为映射，由 units:、matters:、township_lists: 等小节组成", file_span,
            help=hint, message_en="the top level must be a mapping of sections")], {}
    locator = Locator(data, read.maps, file_span)
    try:
        pf = PolicyFile.model_validate(data)
    except ValidationError as exc:
        return None, diags + translate(exc, PolicyFile, locator), _harvest(data, read.blanked)
    except RecursionError:  # pragma: no cover - depth is bounded by the reader
        return None, diags + [Diagnostic("yaml-too-deep", "嵌套过深", file_span)], {}
    _fill_shorthand_spans(pf, data)
    if diags:
        return None, diags, _harvest(data, read.blanked)
    return pf, duplicate_entries(pf, data), {}


def _harvest(data, blanked: dict[str, set[str]]) -> dict[str, set[str]]:
    """`harvest_ids`, plus the ids of parts the reader blanked out after a syntax error."""
    out = harvest_ids(data)
    for section, ids in blanked.items():
        if section in ID_SECTIONS:
            out.setdefault(section, set()).update(ids)
    return out


#: the list records whose entries name each matter once (per scope), and their entry lists
_ENTRY_LISTS = {
    "township_templates": ("basic", "cooperative", "returned"),
    "township_lists": ("basic", "cooperative", "returned", "remove"),
    "village_templates": ("duties", "assisting", "negative", "may_certify", "must_not_certify"),
    "village_lists": ("duties", "assisting", "negative", "may_certify", "must_not_certify", "remove"),
}


def duplicate_entries(pf: PolicyFile, data: dict) -> list[Diagnostic]:
    """The same matter twice in one list of one record (a township list's `basic`, a `remove`,
    a village list's `duties`…), naming both places; the same matter split by `scope` is fine.
    A warning (a policy may list a matter twice on purpose, e.g. under two supervisors): the
    file still loads, so every other mistake of the run is reported too."""
    out: list[Diagnostic] = []
    for section, fields in _ENTRY_LISTS.items():
        raw_records = data.get(section)
        if not isinstance(raw_records, SpannedList):
            continue
        for rec, raw in zip(getattr(pf, section), raw_records):
            rid = getattr(rec, ID_SECTIONS[section])
            for fname in fields:
                raw_list = raw.get(fname) if isinstance(raw, dict) else None
                if not isinstance(raw_list, SpannedList):
                    continue
                seen: dict[tuple, Span] = {}
                for item, span in zip(getattr(rec, fname), raw_list.spans):
                    matter, scope = (item, None) if isinstance(item, str) else (item.matter, item.scope)
                    first = seen.setdefault((matter, scope), span)
                    if first is span:
                        continue
                    what = f"事项 '{matter}'" + (f"（范围：{scope}）" if scope else "")
                    title = type(rec).model_fields[fname].title or fname
                    out.append(Diagnostic(
                        "duplicate-entry",
                        f"{section}[{rid}].{fname}（{title}）中{what}重复出现（另一处在 {first}）",
                        span, related=(first,), subject=f"{section}[{rid}].{fname}",
                        help="删去重复的一项" if fname == "remove" else
                        "删去重复的一项；同一事项按环节拆分时写明 scope（范围）",
                        message_en=f"matter '{matter}' listed twice in {section}[{rid}].{fname}",
                        severity=Severity.warning))
    return out


def _fill_shorthand_spans(model, data) -> None:
    """Entries written as a bare id (`- M001`) get the span of that list item."""
    stack = [(model, data)]
    while stack:
        obj, raw = stack.pop()
        if not isinstance(raw, dict):
            continue
        for name in type(obj).model_fields:
            value = getattr(obj, name)
            raw_value = raw.get(name)
            if isinstance(value, list) and isinstance(raw_value, SpannedList) and value and hasattr(value[0], "_span"):
                for item, raw_item, span in zip(value, raw_value, raw_value.spans):
                    if item._span is None:
                        item._span = span
                    else:
                        stack.append((item, raw_item))


def _parse_to_bytes(args: tuple[str, bytes, Limits]) -> bytes:
    """A file's parse result in the codec's data-only form (what the parse cache holds)."""
    return codec.encode(parse_file_ex(*args))


# --------------------------------------------------------------------------- cache
def _cache_key(display: str, raw: bytes) -> str:
    h = hashlib.sha256(raw)
    h.update(b"\0" + display.encode() + b"\0" + code_fingerprint())
    return h.hexdigest()


def _cache_path(cache_dir: Path, key: str) -> Path:
    return cache_dir / key[:2] / key


def read_parse_cache(cache_dir: Path | None, key: str):
    """A cached parse result, or None when absent or bad: a bad entry (damaged, of another
    version, or not a parse result) is deleted so it is parsed and written again."""
    if cache_dir is None:
        return None
    path = _cache_path(cache_dir, key)
    try:
        data = path.read_bytes()
    except OSError:
        return None
    try:
        value = codec.unframe(data)
        if type(value) is tuple and len(value) == 3 and (value[0] is None or type(value[0]) is PolicyFile):
            return value
    except codec.CodecError:
        pass
    try:
        path.unlink()
    except OSError:
        pass
    return None


def write_parse_cache(cache_dir: Path | None, key: str, raw: bytes) -> None:
    """Cache an encoded parse result (`_parse_to_bytes`); a read-only cache never fails a load."""
    if cache_dir is None:
        return
    path = _cache_path(cache_dir, key)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_bytes(codec.frame(raw))
        os.replace(tmp, path)
    except OSError:
        pass


# --------------------------------------------------------------------------- tree
def validate_tree(root: str | Path, options: LoadOptions = LoadOptions(),
                  overlay: Mapping[str, bytes] | None = None) -> LoadResult:
    """Load every policy file under `root`; returns the policy or all diagnostics.

    `overlay` maps root-relative names to texts that stand in for those files on disk (an
    editor's unsaved buffers), so an edit is validated by the same pipeline as a saved tree."""
    root = Path(root)
    if not root.exists():
        return LoadResult(None, [Diagnostic("no-such-path", f"策略目录 '{root}' 不存在", None,
                                            message_en=f"no such file or directory: {root}")])
    paths = policy_files(root)
    displays = [root_relative(p, root) for p in paths]
    raws: list[bytes] = []
    skipped: set[int] = set()
    diags: list[Diagnostic] = []
    digest = hashlib.sha256()
    limits = options.limits
    overlay = overlay or {}
    for path, display in zip(paths, displays):
        raw, problem = (overlay[display], None) if display in overlay else _read_bytes(path, display, limits)
        if problem:
            diags.append(problem)
            skipped.add(len(raws))
        raws.append(raw)
        digest.update(display.encode() + b"\0" + hashlib.sha256(raw).digest())

    results, parsed = parse_texts(displays, raws, options, skipped)

    files: list[PolicyFile] = []
    partial: dict[str, set[str]] = {}
    for res in results:
        pf, file_diags, harvested = res  # type: ignore[misc]
        diags.extend(file_diags)
        if pf is not None:
            files.append(pf)
        for section, ids in harvested.items():
            partial.setdefault(section, set()).update(ids)
    index, dup = duplicates(files)
    diags.extend(dup)
    files, grouped = expand_groups(files, index)
    diags.extend(grouped)
    diags.extend(derived_lists(index))
    raw_by_file = dict(zip(displays, raws))
    diags.extend(_pinpoint(references(files, index, partial), raw_by_file, limits))
    diags.extend(_flow_conditions(files, raw_by_file, limits))
    errors = [d for d in diags if d.severity.value == "error"]
    if errors:
        return LoadResult(None, sorted(diags, key=Diagnostic.sort_key), parsed=parsed)
    policy = Policy(
        root=str(root), revision=digest.hexdigest()[:16], files=tuple(displays),
        units=index["units"], bases=index["bases"], matters=index["matters"],
        power_lists=tuple(pl for pf in files for pl in pf.power_lists),
        township_templates=index["township_templates"], township_lists=index["township_lists"],
        village_templates=index["village_templates"], village_lists=index["village_lists"],
        delegations=index["delegations"], admissions=index["admissions"], assignments=index["assignments"],
        flows=index["flows"], calendars=index["calendars"], burden_rules=index["burden_rules"],
        unit_groups=index["unit_groups"],
        exercises=index["exercises"],
        **{section: index[section] for section in REGISTER_SECTIONS},
        stats={"files": len(paths), "bytes": sum(len(r) for r in raws), "parsed": parsed},
    )
    return LoadResult(policy, sorted(diags, key=Diagnostic.sort_key), parsed=parsed)


def parse_texts(displays: list[str], raws: list[bytes], options: LoadOptions,
                skipped: set[int] = frozenset()) -> tuple[list[tuple], int]:
    """Each file's `parse_file_ex` result, from the parse cache when its text was seen before
    (in a pool for a large cold batch), and how many were parsed afresh."""
    results: list[tuple | None] = [None] * len(displays)
    keys = [_cache_key(d, r) for d, r in zip(displays, raws)]
    todo = []
    for i, key in enumerate(keys):
        if i in skipped:
            results[i] = (None, [], {})
            continue
        cached = read_parse_cache(options.cache_dir, key)
        if cached is not None:
            results[i] = cached
            continue
        todo.append(i)
    blobs = _parse_many([(displays[i], raws[i], options.limits) for i in todo], options)
    for i, blob in zip(todo, blobs):
        results[i] = codec.decode(blob)
        write_parse_cache(options.cache_dir, keys[i], blob)
    return results, len(todo)  # type: ignore[return-value]


def load_policy(root: str | Path, options: LoadOptions = LoadOptions()) -> Policy:
    """Like `validate_tree` but raises `PolicyError` when the policy does not load."""
    result = validate_tree(root, options)
    if result.policy is None:
        raise PolicyError(result.diagnostics)
    return result.policy


def _read_bytes(path: Path, display: str, limits: Limits) -> tuple[bytes, Diagnostic | None]:
    where = Span(display, 1, 1, 1, 1)
    try:
        size = path.stat().st_size
        if size > limits.max_bytes:
            return b"", Diagnostic(
                "file-too-large", f"文件 {size} 字节，超过上限 {limits.max_bytes} 字节", where,
                help="把文件按县拆分，或调高 --max-file-bytes", message_en="file exceeds the size limit")
        return path.read_bytes(), None
    except OSError as exc:
        return b"", Diagnostic("file-unreadable", f"无法读取文件：{exc.strerror}", where,
                               message_en="cannot read file")


def root_relative(path: Path, root: Path) -> str:
    """How a file is named in spans, answers and caches: its POSIX path relative to the policy
    root (the file's own name when the root is that file), never where the tree lies on disk."""
    if path == root or root.is_file():
        return path.name
    return path.relative_to(root).as_posix()


def root_base(root: str | Path) -> str:
    """What the CLI prefixes to root-relative paths so a terminal can open them: the root as the
    user gave it (its folder when the root is one file)."""
    root = Path(root)
    return str(root.parent if root.is_file() else root)


def _parse_many(jobs: list[tuple[str, bytes, Limits]], options: LoadOptions) -> list[bytes]:
    total = sum(len(j[1]) for j in jobs)
    workers = options.workers or os.cpu_count() or 1
    if workers <= 1 or len(jobs) < 2 or total < options.parallel_min_bytes:
        return [_parse_to_bytes(j) for j in jobs]
    # largest first so the pool stays busy to the end
    order = sorted(range(len(jobs)), key=lambda i: -len(jobs[i][1]))
    with ProcessPoolExecutor(max_workers=min(workers, len(jobs))) as pool:
        out = dict(zip(order, pool.map(_parse_to_bytes, [jobs[i] for i in order], chunksize=1)))
    return [out[i] for i in range(len(jobs))]


# --------------------------------------------------------------------------- flows
def _flow_conditions(files: list[PolicyFile], raws: dict[str, bytes], limits: Limits) -> list[Diagnostic]:
    """Type-check every guard condition against the documented facts, located to the column."""
    if not any(pf.flows for pf in files):
        return []
    from ..language.expr import ExprError, check_condition
    from ..language.facts import FACTS

    out = []
    for pf in files:
        for flow in pf.flows:
            for t in flow.transitions:
                for g in t.guards:
                    try:
                        check_condition(g.when, FACTS)
                    except ExprError as exc:
                        d = Diagnostic("bad-condition", f"守卫规则 {g.id} 的条件有误：{exc.message}", g.span,
                                       subject=g.id, help="可用的事实见 docs/flows.md",
                                       message_en="invalid guard condition")
                        out.append(_condition_span(d, raws, limits, exc.offset))
    return out


def _condition_span(d: Diagnostic, raws: dict[str, bytes], limits: Limits, offset: int) -> Diagnostic:
    if d.span is None or d.span.file not in raws:
        return d
    read = read_yaml(d.span.file, raws[d.span.file], limits)
    for meta in read.maps.values():
        if (meta.span.line, meta.span.column) == (d.span.line, d.span.column) and "when" in meta.keys:
            vspan = meta.keys["when"][1]
            text = raws[d.span.file].decode("utf-8-sig").splitlines()[vspan.line - 1]
            quoted = text[vspan.column - 1: vspan.column] in ("'", '"')
            col = vspan.column + offset + (1 if quoted else 0)
            if vspan.line == vspan.end_line:
                return replace(d, span=Span(vspan.file, vspan.line, col, vspan.line, col))
            return replace(d, span=vspan)
    return d


# --------------------------------------------------------------------------- precise spans
def _pinpoint(found: list[tuple[Diagnostic, str]], raws: dict[str, bytes], limits: Limits) -> list[Diagnostic]:
    """Move reference diagnostics from their record to the exact value.

    Records keep only their own span (memory); on this rare error path the file is read again
    to find the field and, in a list, the item."""
    by_file: dict[str, dict[tuple[int, int], MapMeta]] = {}
    out = []
    for d, fname in found:
        if d.span is None or d.span.file not in raws:
            out.append(d)
            continue
        table = by_file.get(d.span.file)
        if table is None:
            read = read_yaml(d.span.file, raws[d.span.file], limits)
            table = {}
            for meta in read.maps.values():
                table[(meta.span.line, meta.span.column)] = meta
            by_file[d.span.file] = table
        meta = table.get((d.span.line, d.span.column))
        exact = _value_span(meta, fname, d.subject) if meta else None
        out.append(_with_span(d, exact) if exact else d)
    return out


def _value_span(meta: MapMeta, fname: str, ref: str | None) -> Span | None:
    if fname not in meta.keys:
        return None
    value = meta.node.get(fname)
    if isinstance(value, SpannedList):
        for item, span in zip(value, value.spans):
            if str(item).strip() == ref:
                return span
    return meta.keys[fname][1]


def _with_span(d: Diagnostic, span: Span) -> Diagnostic:
    return replace(d, span=span)
