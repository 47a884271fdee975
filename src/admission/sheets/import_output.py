"""The file an import writes: one per unit and target (`<unit>-lists.yaml`, `<unit>-village.yaml`,
`<unit>-delegations.yaml`), marked as generated so that a file the importer did not write is
never overwritten; its YAML checked by the loader as `admission validate` would, beside the rest
of the policy; written by renaming a temporary file."""

from __future__ import annotations

import os
from pathlib import Path

from ..loader import parse_file
from ..loader.resolve import references
from ..loader.yamlread import Limits
from ..language import Policy
from ..language.entities import Matter
from ..language.policy import ID_SECTIONS, PolicyFile
from .options import UsageError
from .problems import Problem
from .rows import RowReader
from .yamlout import dump, flow

MARKER = "# 由 admission import xlsx 生成"
SUFFIX = {"township": "lists", "village": "village", "delegations": "delegations"}


def read_existing(path: Path) -> PolicyFile | None:
    """The output file of an earlier import (its other lists and new matters are kept)."""
    if not path.exists():
        return None
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise UsageError(f"无法读取已有的输出文件 {path}：{exc}") from None
    if not raw.decode("utf-8", "replace").startswith(MARKER):
        raise UsageError(f"输出文件 {path} 已存在且不是导入生成的文件，不会覆盖；请换一个输出目录")
    pf, diags = parse_file(str(path), raw, Limits())
    if pf is None:
        raise UsageError(f"已有的输出文件 {path} 无法读取：{diags[0].format() if diags else ''}")
    return pf


def render(rows: RowReader, existing: PolicyFile | None, workbook: str, sheet: str) -> str:
    """The output's YAML: the marker, where it came from, the new matters, the entries."""
    matters = _kept_matters(rows, existing)
    lines = [f"{MARKER}（{rows.policy.units[rows.unit].name}）",
             f"# 最近一次导入：{workbook}（工作表 {sheet}），{rows.kind.label} {len(rows.entries)} 项。"
             "再次导入会更新本文件；手工修改前请删去第一行。",
             "version: 1"]
    if matters:
        lines.append("matters:  # 新增事项（--new-matters），编码为自动生成")
        lines += [f"  - {flow(dump(m))}" for m in matters]
    lines += rows.body_lines(existing, matters)
    return "\n".join(lines) + "\n"


def _kept_matters(rows: RowReader, existing: PolicyFile | None) -> list[Matter]:
    """The file's own matters, less those generated earlier for this kind and no longer used,
    and the new ones of this import."""
    used = {getattr(e, "matter") for e, _ in rows.entries}
    prefix = f"NEW-{rows.unit}-{rows.kind.code}"
    matters = [m for m in (existing.matters if existing else [])
               if not m.id.startswith(prefix) or m.id in used]
    have = {m.id for m in matters}
    return matters + [m for m in rows.new.values() if m.id not in have]


def validate(rows: RowReader, text: str, path: Path) -> list[Problem]:
    """The written YAML, checked by the loader: model validation, ids not defined twice with the
    rest of the policy, references resolved (the unit's own list record being replaced)."""
    display = str(path)
    pf, diags = parse_file(display, text.encode("utf-8"), Limits())
    out = [_invalid(d, display) for d in diags if d.severity.value == "error"]
    if pf is None:
        return out or [Problem("output-invalid", "生成的 YAML 无法读取", None, display)]
    index = _index_without(rows.policy, _Own(path, Path(rows.policy.root)))
    released = rows.release(index)
    out += _add_output(pf, index, display)
    out += [_invalid(d, display) for d, _fname in references([pf], index)]
    return out + rows.replacement_notes(released, display)


def _invalid(diag, display: str) -> Problem:
    return Problem("output-invalid", diag.message, None, str(diag.span) if diag.span else display, diag.help)


def _index_without(policy: Policy, from_file: _Own) -> dict[str, dict]:
    """section -> id -> record of the policy, less the records read from the output file itself."""
    index: dict[str, dict] = {}
    for section in ID_SECTIONS:
        table = dict(getattr(policy, section, {}) or {})
        index[section] = {k: v for k, v in table.items() if not from_file(v)}
    return index


def _add_output(pf: PolicyFile, index: dict[str, dict], display: str) -> list[Problem]:
    """Put the output's records into `index`; a problem for each id the policy has already."""
    out = []
    for sec, attr in ID_SECTIONS.items():
        for rec in getattr(pf, sec):
            rid = getattr(rec, attr)
            if rid in index[sec]:
                other = index[sec][rid]
                out.append(Problem("output-duplicate-id", f"标识 '{rid}' 已在 {other.span or '策略中'} 定义", None, display))
            index[sec][rid] = rec
    return out


class _Own:
    """Which records were read from the output file itself (when it lies inside the policy)."""

    def __init__(self, path: Path, root: Path):
        self.path = path.resolve()
        self.root = root.parent if root.is_file() else root  # spans are relative to the policy root
        self.cache: dict[str, bool] = {}

    def __call__(self, rec) -> bool:
        span = getattr(rec, "span", None)
        if span is None:
            return False
        hit = self.cache.get(span.file)
        if hit is None:
            try:
                hit = (self.root / span.file).resolve() == self.path
            except OSError:
                hit = False
            self.cache[span.file] = hit
        return hit


def write_atomically(path: Path, text: str) -> None:
    """Write by renaming a temporary file beside it: readers see the old file or the new one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
