"""What an import is asked to do and what it hands back: the options, the result, and the checks
of the arguments (the unit, its kind, a `--columns` file) that fail with `UsageError` before any
row is read.  The exporter finds its unit the same way."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path

from ..language import Policy
from ..language.entities import Matter
from ..language.enums import DelegationMode, Level, UnitKind
from .kinds import ALL_FIELDS, Kind
from .problems import Problem
from .text import key


class UsageError(Exception):
    """A wrong argument: unknown unit, wrong kind of unit, unreadable workbook, no such sheet."""


@dataclass
class ImportOptions:
    kind: str
    unit: str
    out_dir: Path
    sheet: str | None = None
    columns: dict | None = None       # {"columns": {heading: field|None}, "departments": {...}, "matters": {...}}
    new_matters: bool = False
    since: dt.date | None = None      # for rows without a date column
    mode: DelegationMode = DelegationMode.grant
    basis: str | None = None          # delegation decision for rows without a 赋权依据 column
    write: bool = True


@dataclass
class ImportResult:
    problems: list[Problem] = field(default_factory=list)
    path: Path | None = None
    sheet: str | None = None
    entries: list = field(default_factory=list)
    new_matters: list[Matter] = field(default_factory=list)
    text: str | None = None
    written: bool = False

    @property
    def ok(self) -> bool:
        return not any(p.severity == "error" for p in self.problems)


def find_unit(policy: Policy, text: str) -> str:
    """A unit by id, or by its exact name (NFKC) when that is unique."""
    if text in policy.units:
        return text
    k = key(text)
    hits = [uid for uid, u in policy.units.items() if key(u.name) == k or k in map(key, u.former_names)]
    if len(hits) == 1:
        return hits[0]
    if hits:
        raise UsageError(f"单位名称“{text}”不唯一：{'、'.join(hits)}，请写单位标识")
    raise UsageError(f"找不到单位“{text}”（应为单位标识或名称）")


def check_unit(policy: Policy, unit: str, kind: Kind) -> None:
    """A list kind belongs to one kind of unit: township lists to a township, village lists to a
    village, a delegation list to the receiving township or to its county."""
    u = policy.units[unit]
    if kind.target == "township" and u.kind != UnitKind.township:
        raise UsageError(f"{kind.label}属于乡镇(街道)，而 {u.name}（{unit}）是{u.kind.label}")
    if kind.target == "village" and u.kind != UnitKind.village:
        raise UsageError(f"{kind.label}属于村(社区)，而 {u.name}（{unit}）是{u.kind.label}")
    if kind.target == "delegations" and not (
            u.kind == UnitKind.township or (u.kind == UnitKind.government and u.level == Level.county)):
        raise UsageError(f"赋权清单按承接乡镇或按县导入，而 {u.name}（{unit}）是{u.kind.label}")


def load_columns(path: Path) -> dict:
    """A `--columns` file (YAML or JSON): `columns: {heading: field}` (null ignores the column),
    optionally `departments: {name: id}` and `matters: {name: id}`; a flat mapping is `columns`."""
    data = _read_mapping(path)
    if not ({"columns", "departments", "matters"} & set(data)):
        data = {"columns": data}
    cols = data.get("columns") or {}
    if not isinstance(cols, dict):
        raise UsageError("列映射文件中的 columns 应为映射（标题: 字段）")
    bad = [f"{h}: {f}" for h, f in cols.items() if f is not None and f not in ALL_FIELDS]
    if bad:
        raise UsageError(f"列映射中有未知字段：{'；'.join(map(str, bad))}；可用字段：{'、'.join(sorted(ALL_FIELDS))}")
    for part in ("departments", "matters"):
        if not isinstance(data.get(part) or {}, dict):
            raise UsageError(f"列映射文件中的 {part} 应为映射（名称: 标识）")
    return {"columns": {str(h): f for h, f in cols.items()},
            "departments": {str(k): str(v) for k, v in (data.get("departments") or {}).items()},
            "matters": {str(k): str(v) for k, v in (data.get("matters") or {}).items()}}


def _read_mapping(path: Path) -> dict:
    """The `--columns` file as a mapping; JSON by its suffix, YAML otherwise."""
    import yaml

    try:
        text = path.read_text(encoding="utf-8-sig")
        data = json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
    except (OSError, ValueError, yaml.YAMLError) as exc:
        raise UsageError(f"无法读取列映射文件 {path}：{exc}") from None
    if not isinstance(data, dict):
        raise UsageError(f"列映射文件 {path} 应为映射（标题: 字段）")
    return data
