"""`admission import xlsx`: a published list in a workbook → YAML in the policy language.

Names are resolved to ids against the loaded policy (see `resolve`); every problem is reported
at its cell (配合清单!C17) with a Chinese message; the YAML is checked with the loader (the
same model validation and reference resolution `admission validate` runs) and written by
renaming a temporary file, only when nothing is wrong.

Output: one file per unit in the output directory — `<unit>-lists.yaml` (township_lists),
`<unit>-village.yaml` (village_lists) or `<unit>-delegations.yaml` (delegations), plus new
`matters` when `new_matters` is set.  Importing another kind for the same unit updates that
file (its other lists are kept); a file not written by the importer is never overwritten.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from ..compile.expand import township_entries, village_entries
from ..loader import parse_file
from ..loader.resolve import references
from ..loader.yamlread import Limits
from ..language import Policy
from ..language.entities import (
    AssistingEntry, BasicEntry, CertificationEntry, CooperativeEntry, Delegation, Matter,
    NegativeEntry, ReturnedEntry, VillageDuty,
)
from ..language.enums import DelegationMode, Level, PowerType, UnitKind
from ..language.policy import ID_SECTIONS, PolicyFile
from .kinds import ALL_FIELDS, KINDS, Kind
from .problems import Problem
from .reader import HeadingMap, Row, read_table
from .resolve import Found, Resolver, describe
from .text import key, parse_date, parse_int, ref, split_names
from .yamlout import comment, dump, flow

MARKER = "# 由 admission import xlsx 生成"
TEXT_MAX, NAME_MAX = 2000, 200

ENTRY_MODEL = {
    "basic": BasicEntry, "cooperative": CooperativeEntry, "returned": ReturnedEntry,
    "duties": VillageDuty, "assisting": AssistingEntry, "negative": NegativeEntry,
    "may_certify": CertificationEntry, "must_not_certify": CertificationEntry,
}
SUFFIX = {"township": "lists", "village": "village", "delegations": "delegations"}


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


# --------------------------------------------------------------------------- arguments
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


def load_columns(path: Path) -> dict:
    """A `--columns` file (YAML or JSON): `columns: {heading: field}` (null ignores the column),
    optionally `departments: {name: id}` and `matters: {name: id}`; a flat mapping is `columns`."""
    import yaml

    try:
        text = path.read_text(encoding="utf-8-sig")
        data = json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
    except (OSError, ValueError, yaml.YAMLError) as exc:
        raise UsageError(f"无法读取列映射文件 {path}：{exc}") from None
    if not isinstance(data, dict):
        raise UsageError(f"列映射文件 {path} 应为映射（标题: 字段）")
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


def check_unit(policy: Policy, unit: str, kind: Kind) -> None:
    u = policy.units[unit]
    if kind.target == "township" and u.kind != UnitKind.township:
        raise UsageError(f"{kind.label}属于乡镇(街道)，而 {u.name}（{unit}）是{u.kind.label}")
    if kind.target == "village" and u.kind != UnitKind.village:
        raise UsageError(f"{kind.label}属于村(社区)，而 {u.name}（{unit}）是{u.kind.label}")
    if kind.target == "delegations" and not (
            u.kind == UnitKind.township or (u.kind == UnitKind.government and u.level == Level.county)):
        raise UsageError(f"赋权清单按承接乡镇或按县导入，而 {u.name}（{unit}）是{u.kind.label}")


def open_workbook(path: Path):
    from zipfile import BadZipFile

    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    if not path.is_file():
        raise UsageError(f"工作簿 {path} 不存在")
    try:
        return openpyxl.load_workbook(path, data_only=True, read_only=True)
    except (InvalidFileException, BadZipFile, KeyError, OSError, ValueError) as exc:
        raise UsageError(f"无法读取工作簿 {path}（应为 .xlsx）：{exc}") from None


def pick_sheet(wb, kind: Kind, unit_name: str, wanted: str | None):
    names = wb.sheetnames
    if wanted is not None:
        if wanted in names:
            return wb[wanted]
        k = key(wanted)
        hits = [n for n in names if key(n) == k]
        if len(hits) == 1:
            return wb[hits[0]]
        raise UsageError(f"工作簿中没有工作表“{wanted}”；现有：{'、'.join(names)}")
    if len(names) == 1:
        return wb[names[0]]
    cands = [n for n in names if any(w in key(n) for w in kind.keywords)]
    if len(cands) > 1:
        mine = [n for n in cands if key(unit_name) in key(n)]
        cands = mine or cands
    if len(cands) == 1:
        return wb[cands[0]]
    listed = "、".join(names[:12]) + (f" 等 {len(names)} 个" if len(names) > 12 else "")
    raise UsageError(f"无法确定读取哪个工作表（{kind.label}）：现有 {listed}；请用 --sheet 指定")


def parse_power_type(text: str) -> PowerType | None:
    """行政处罚 / 处罚 / penalty → PowerType.penalty."""
    k = key(text)
    for pt in PowerType:
        if k in (pt.value, key(pt.label), key(pt.label).removeprefix("行政")):
            return pt
    if k in ("其他行政权力", "其他权力", "其他职权"):
        return PowerType.other
    return None


# --------------------------------------------------------------------------- rows → entries
class _Builder:
    def __init__(self, policy: Policy, kind: Kind, unit: str, opts: ImportOptions, sheet: str,
                 columns: dict[int, str], resolver: Resolver, out_matters: dict[str, Matter]):
        self.p, self.kind, self.unit, self.opts, self.sheet = policy, kind, unit, opts, sheet
        self.col_of = {f: c for c, f in columns.items()}
        self.r = resolver
        self.problems: list[Problem] = []
        self.entries: list = []
        self.new: dict[str, Matter] = {}       # key(name) -> new matter
        self.out_matters = out_matters         # matters of the existing output file
        self.used_ids: set[str] = set(policy.matters) | set(out_matters)
        self.prefer = self._current()
        self.seen: dict[tuple, str] = {}
        self.deleg_ids: set[str] = set()
        self.reused: set[str] = set()
        self.n_new = 0
        self.n_matters = 0
        self.written_attrs: list[str] = []

    def _current(self) -> frozenset[str]:
        if self.kind.target == "township":
            return frozenset(e.matter for e in getattr(township_entries(self.p, self.unit), self.kind.attr))
        if self.kind.target == "village":
            return frozenset(e.matter for e in getattr(village_entries(self.p, self.unit), self.kind.attr))
        return frozenset(d.matter for d in self.p.delegations.values() if self.unit in d.townships)

    # -- helpers
    def err(self, code: str, msg: str, where: str, help: str | None = None, severity: str = "error",
            subject: str | None = None) -> None:
        self.problems.append(Problem(code, msg, self.sheet, where, help, severity, subject))

    def where(self, row: Row, fld: str) -> str:
        c = row.cells.get(fld)
        if c is not None:
            return c.ref
        return ref(self.sheet, row.row, self.col_of.get(fld, 1))

    def text(self, row: Row, fld: str, limit: int = TEXT_MAX) -> str | None:
        t = row.get(fld)
        if not t:
            return None
        if len(t) > limit:
            self.err("too-long", f"内容过长（{len(t)} 字，上限 {limit} 字）", self.where(row, fld))
            return None
        return t

    def department(self, row: Row, fld: str, many: bool = True) -> list[str] | None:
        t = row.get(fld)
        if not t:
            return []
        whole = self.r.department(t)
        parts = [t] if whole.ok else split_names(t)
        if not many and len(parts) > 1:
            self.err("bad-value", f"“{t}”写了 {len(parts)} 个部门，这一列只能写一个", self.where(row, fld))
            return None
        out, bad = [], False
        for part in parts:
            f = whole if part == t and whole.ok else self.r.department(part)
            if f.ok:
                out.append(f.ids[0])
            elif f.ids:
                bad = True
                self.err("ambiguous-department", f"部门名称“{part}”对应多个单位：{'、'.join(f.ids)}",
                         self.where(row, fld), help="写部门全称，或在 --columns 文件的 departments 中指定标识",
                         subject=part)
            else:
                bad = True
                self.err("unknown-department", f"找不到部门“{part}”", self.where(row, fld),
                         help=(f"最接近的是：{describe(f.near)}" if f.near else "没有相近的部门名称")
                         + "；可在 --columns 文件的 departments 中写明 名称: 标识", subject=part)
        return None if bad else list(dict.fromkeys(out))

    def basis(self, row: Row, fld: str) -> tuple[bool, str | None]:
        t = row.get(fld)
        if not t:
            return True, None
        f = self.r.basis(t)
        if f.ok:
            return True, f.ids[0]
        if f.ids:
            self.err("ambiguous-basis", f"依据“{t}”对应多个文件：{'、'.join(f.ids)}", self.where(row, fld),
                     help="写文件全称或“文件名称（文号）”", subject=t)
        else:
            self.err("unknown-basis", f"找不到依据“{t}”", self.where(row, fld),
                     help=(f"最接近的是：{describe(f.near)}" if f.near else "先在 bases 中登记该文件"), subject=t)
        return False, None

    def power_type(self, row: Row) -> tuple[bool, PowerType | None]:
        t = row.get("power_type")
        if not t:
            return True, None
        pt = parse_power_type(t)
        if pt is not None:
            return True, pt
        self.err("bad-power-type", f"权力类型“{t}”无效", self.where(row, "power_type"),
                 help="可选：" + "、".join(pt.label for pt in PowerType))
        return False, None

    def matter(self, row: Row) -> str | None:
        name = row.get("name")
        mid_text = row.get("matter_id")
        if mid_text:
            mid = key(mid_text)
            if mid in self.p.matters or mid in self.out_matters:
                return mid
            self.err("unknown-matter", f"事项编码“{mid_text}”不在事项目录中", self.where(row, "matter_id"),
                     subject=mid_text)
            return None
        found: Found = self.r.matter(name, row.group, self.prefer, self.kind.level.value)
        if found.ok:
            return found.ids[0]
        if found.ids:
            cands = "、".join(f"{i}（{self.p.matters[i].domain if i in self.p.matters else ''}）" for i in found.ids)
            self.err("ambiguous-matter", f"事项名称“{name}”对应多个事项：{cands}", self.where(row, "name"),
                     help="加“事项编码”列写明编码，或把事项放到正确的领域下", subject=name)
            return None
        k = key(name)
        if k in self.new:
            return self.new[k].id
        if not self.opts.new_matters:
            self.err("unknown-matter", f"事项目录中没有“{name}”", self.where(row, "name"),
                     help=(f"最接近的是：{describe(found.near)}；" if found.near else "")
                     + "若确为新事项，加 --new-matters 写入事项目录", subject=name)
            return None
        return self._new_matter(row, name)

    def _new_matter(self, row: Row, name: str) -> str | None:
        if len(name) > NAME_MAX:
            self.err("too-long", f"事项名称过长（{len(name)} 字，上限 {NAME_MAX} 字）", self.where(row, "name"))
            return None
        domain = row.group if self.kind.group_field == "domain" and row.group else None
        if domain is None:
            domain = "其他"
        pt = parse_power_type(row.get("power_type")) if row.get("power_type") else None
        basis = None
        if row.get("legal_basis"):  # informational for known matters; the new matter's basis if registered
            found = self.r.basis(row.get("legal_basis"))
            if found.ok:
                basis = found.ids[0]
            else:
                self.err("unknown-basis", f"新事项“{name}”的依据“{row.get('legal_basis')}”未在 bases 中登记，事项写入时不带依据",
                         self.where(row, "legal_basis"), severity="warning", subject=row.get("legal_basis"))
        while True:
            self.n_matters += 1
            mid = f"NEW-{self.unit}-{self.kind.code}{self.n_matters:03d}"
            if mid not in self.used_ids:
                break
        self.used_ids.add(mid)
        data = {"id": mid, "name": name, "domain": domain[:NAME_MAX], "levels": [self.kind.level.value]}
        if pt is not None:
            data["power_type"] = pt.value
        if basis is not None:
            data["basis"] = basis
        m = Matter.model_validate(data)
        self.new[key(name)] = m
        self.r.add_matter(name, mid)
        return mid

    def since(self, row: Row) -> tuple[bool, dt.date | None]:
        t = row.get("since")
        if not t:
            return True, self.opts.since
        d = parse_date(t)
        if d is None:
            self.err("bad-value", f"日期“{t}”无法识别，应写 YYYY-MM-DD", self.where(row, "since"))
            return False, None
        return True, d

    # -- one row
    def row(self, row: Row) -> None:
        name = row.get("name")
        if not name:
            self.err("empty-cell", f"“{self.kind.headings()['name'][0]}”为空（该行其他列有内容）", self.where(row, "name"))
            return
        before = len([p for p in self.problems if p.severity == "error"])
        for fld in self.kind.required_cells:
            if fld != "name" and not row.get(fld):
                self.err("empty-cell", f"“{self.kind.headings()[fld][0]}”为空：{self.kind.label}必须写明", self.where(row, fld))
        seq_text = row.get("seq")
        seq = parse_int(seq_text) if seq_text else None
        if seq_text and seq is None:
            self.err("bad-value", f"序号“{seq_text}”不是整数", self.where(row, "seq"))
        _, since = self.since(row)
        mid = self.matter(row)
        data: dict = {"matter": mid}
        if seq is not None:
            data["seq"] = seq
        if since is not None:
            data["since"] = since
        scope = self.text(row, "scope", NAME_MAX)
        if scope:
            data["scope"] = scope
        if self.kind.target != "delegations":
            note = self.text(row, "note")
            if note:
                data["note"] = note
        k = self.kind.key
        if k == "cooperative":
            data["lead"] = self.department(row, "lead")
            data["lead_duties"] = self.text(row, "lead_duties")
            data["township_duties"] = self.text(row, "township_duties")
        elif k == "returned":
            data["taken_by"] = self.department(row, "taken_by")
            data["method"] = self.text(row, "method")
        elif k == "village-assisting":
            sup = self.department(row, "supervisor", many=False)
            data["supervisor"] = sup[0] if sup else None
            if row.group:
                data["category"] = row.group[:NAME_MAX]
        elif k in ("may-certify", "must-not-certify"):
            data["basis"] = self.basis(row, "basis")[1]
            data["purpose"] = self.text(row, "purpose")
            data["procedure"] = self.text(row, "procedure")
        elif k == "delegated":
            self._delegation(row, data)
            return
        errors = len([p for p in self.problems if p.severity == "error"])
        if errors > before or mid is None:
            return
        dup = (mid, scope)
        if dup in self.seen:
            self.err("duplicate-row", f"事项“{name}”{'（' + scope + '）' if scope else ''}重复，与 {self.seen[dup]} 相同",
                     self.where(row, "name"), help="删去重复的一行；同一事项按环节拆分时写明“范围”")
            return
        self.seen[dup] = self.where(row, "name")
        model = ENTRY_MODEL[self.kind.attr]
        clean = {f: v for f, v in data.items() if v is not None and v != []}
        self.entries.append((model.model_validate(clean), name))

    def _delegation(self, row: Row, data: dict) -> None:
        before = len([p for p in self.problems if p.severity == "error"])
        name = row.get("name")
        mid = data["matter"]
        dept = self.department(row, "department", many=False)
        ok_pt, pt = self.power_type(row)
        if ok_pt and pt is not None and mid in self.p.matters and self.p.matters[mid].power_type != pt:
            self.err("power-type-differs",
                     f"权力类型写作“{row.get('power_type')}”，事项目录中为“{self.p.matters[mid].power_type.label}”",
                     self.where(row, "power_type"), severity="warning")
        towns: list[str] | None = []
        t = row.get("townships")
        if t:
            for part in split_names(t):
                f = self.r.township(part)
                if f.ok:
                    towns.append(f.ids[0])
                else:
                    towns = None if towns is None else towns
                    self.err("unknown-township", f"找不到承接乡镇(街道)“{part}”", self.where(row, "townships"),
                             help=f"最接近的是：{describe(f.near)}" if f.near else "承接主体应为本县的乡镇(街道)",
                             subject=part)
                    towns = None
                    break
        unit = self.p.units[self.unit]
        if towns == [] and unit.kind == UnitKind.township:
            towns = [self.unit]
        elif towns == []:
            self.err("empty-cell", "“承接主体”为空：按县导入时必须写明承接的乡镇(街道)", self.where(row, "townships"))
        elif towns is not None and unit.kind == UnitKind.township and self.unit not in towns:
            self.err("other-township", f"承接主体“{t}”不含 {unit.name}", self.where(row, "townships"),
                     help="按乡镇导入时每行都应由本乡镇承接；整县的赋权清单请用县的标识导入")
        mode = self.opts.mode
        mt = row.get("mode")
        if mt:
            mk = key(mt)
            mode = next((m for m in DelegationMode if mk in (m.value, m.label) or mk.startswith(m.label)), None)
            if mode is None:
                self.err("bad-value", f"赋权方式“{mt}”无效，应为“赋权”或“委托”", self.where(row, "mode"))
        basis = self.opts.basis
        if row.get("decision"):
            basis = self.basis(row, "decision")[1]
        if len([p for p in self.problems if p.severity == "error"]) > before or mid is None or dept is None \
                or towns is None or mode is None:
            return
        if not dept:
            return
        dup = (mid, dept[0], data.get("scope"))
        if dup in self.seen:
            self.err("duplicate-row", f"赋权事项“{name}”（原实施主体相同）重复，与 {self.seen[dup]} 相同",
                     self.where(row, "name"), help="删去重复的一行")
            return
        self.seen[dup] = self.where(row, "name")
        d: dict = {"matter": mid, "department": dept[0], "townships": towns, "mode": mode.value}
        for f in ("scope", "since"):
            if f in data:
                d[f] = data[f]
        if basis:
            d["basis"] = basis
        old = self._existing(mid, dept[0], towns)
        if old is not None:
            d["id"] = old.id
            self.reused.add(old.id)
            if old.evaluation is not None:
                d["evaluation"] = old.evaluation.model_dump(exclude_none=True)
            if old.until is not None and (d.get("since") is None or old.until >= d["since"]):
                d["until"] = old.until
        else:
            while True:
                self.n_new += 1
                cand = f"FQ-{self.unit}-{self.n_new:03d}"
                if cand not in self.p.delegations and cand not in self.deleg_ids:
                    break
            d["id"] = cand
        self.deleg_ids.add(d["id"])
        self.entries.append((Delegation.model_validate(d), name))

    def _existing(self, mid: str, dept: str, towns: list[str]) -> Delegation | None:
        for d in self.p.delegations.values():
            if d.id in self.reused or d.matter != mid or d.department != dept or d.revoked is not None:
                continue
            if set(d.townships) == set(towns):
                return d
        return None


# --------------------------------------------------------------------------- the import
def import_workbook(workbook: Path, policy: Policy, opts: ImportOptions) -> ImportResult:
    """Read one sheet of `workbook` as list kind `opts.kind` of unit `opts.unit`; raises
    `UsageError` for wrong arguments, reports every problem of the content in the result."""
    kind = KINDS.get(opts.kind)
    if kind is None:
        raise UsageError(f"未知的清单类型 {opts.kind}；可选：{'、'.join(KINDS)}")
    unit = find_unit(policy, opts.unit)
    check_unit(policy, unit, kind)
    if opts.basis is not None and opts.basis not in policy.bases:
        raise UsageError(f"--basis 引用的依据“{opts.basis}”不存在")
    columns = opts.columns or {}
    out_path = Path(opts.out_dir) / f"{unit}-{SUFFIX[kind.target]}.yaml"
    existing = _read_existing(out_path)
    out_matters = {m.id: m for m in existing.matters} if existing else {}
    wb = open_workbook(Path(workbook))
    try:
        ws = pick_sheet(wb, kind, policy.units[unit].name, opts.sheet)
        result = ImportResult(sheet=ws.title, path=out_path)
        table = read_table(ws, kind, HeadingMap(kind, columns.get("columns")), result.problems)
    finally:
        wb.close()
    if table is None or not result.ok:
        return result
    resolver = Resolver(policy, unit, columns.get("departments"), columns.get("matters"))
    for m in out_matters.values():
        if m.id not in policy.matters:
            resolver.add_matter(m.name, m.id)
    b = _Builder(policy, kind, unit, opts, ws.title, table.columns, resolver, out_matters)
    for row in table.rows:
        b.row(row)
    result.problems.extend(b.problems)
    if not table.rows:
        result.problems.append(Problem("no-rows", "表头以下没有读到任何事项", ws.title, table.first_cell))
    result.entries = [e for e, _ in b.entries]
    result.new_matters = list(b.new.values())
    if not result.ok:
        return result

    text, pf_problems = _render(policy, kind, unit, b, existing, out_path, Path(workbook).name, ws.title)
    result.text = text
    result.problems.extend(pf_problems)
    if not result.ok or not opts.write:
        return result
    out_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = out_path.with_name(f".{out_path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, out_path)
    finally:
        if tmp.exists():
            tmp.unlink()
    result.written = True
    return result


def _read_existing(path: Path) -> PolicyFile | None:
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


class _Own:
    """Which records were read from the output file itself (when it lies inside the policy)."""

    def __init__(self, path: Path):
        self.path = path.resolve()
        self.cache: dict[str, bool] = {}

    def __call__(self, rec) -> bool:
        span = getattr(rec, "span", None)
        if span is None:
            return False
        hit = self.cache.get(span.file)
        if hit is None:
            try:
                hit = Path(span.file).resolve() == self.path
            except OSError:
                hit = False
            self.cache[span.file] = hit
        return hit


def _render(policy: Policy, kind: Kind, unit: str, b: _Builder, existing: PolicyFile | None,
            path: Path, workbook: str, sheet: str) -> tuple[str, list[Problem]]:
    u = policy.units[unit]
    entries = b.entries
    # matters: the file's own, less those generated earlier for this kind and no longer used
    used = {getattr(e, "matter") for e, _ in entries}
    prefix = f"NEW-{unit}-{kind.code}"
    matters = [m for m in (existing.matters if existing else [])
               if not m.id.startswith(prefix) or m.id in used]
    have = {m.id for m in matters}
    matters += [m for m in b.new.values() if m.id not in have]
    lines = [f"{MARKER}（{u.name}）",
             f"# 最近一次导入：{workbook}（工作表 {sheet}），{kind.label} {len(entries)} 项。"
             "再次导入会更新本文件；手工修改前请删去第一行。",
             "version: 1"]
    if matters:
        lines.append("matters:  # 新增事项（--new-matters），编码为自动生成")
        lines += [f"  - {flow(dump(m))}" for m in matters]
    if kind.target == "delegations":
        lines.append("delegations:")
        for e, name in entries:
            lines.append(f"  - {flow(dump(e))}{comment(name)}")
    else:
        section, id_field = ("township_lists", "township") if kind.target == "township" else ("village_lists", "village")
        lists = {}
        rec = None
        if existing is not None:
            rec = next((r for r in getattr(existing, section) if getattr(r, id_field) == unit), None)
        attrs = ("basic", "cooperative", "returned") if kind.target == "township" else \
            ("duties", "assisting", "negative", "may_certify", "must_not_certify")
        names = {**{m.id: m.name for m in policy.matters.values()}, **{m.id: m.name for m in matters}}
        for attr in attrs:
            if attr == kind.attr:
                lists[attr] = [(e, name) for e, name in entries]
            elif rec is not None and getattr(rec, attr):
                lists[attr] = [(e, names.get(e.matter, "")) for e in getattr(rec, attr)]
        lines.append(f"{section}:")
        lines.append(f"  - {id_field}: {flow(unit)}{comment(u.name)}")
        if kind.target == "village":
            only = rec.certify_only_listed if rec is not None else village_entries(policy, unit).certify_only_listed
            if only:
                lines.append(f"    certify_only_listed: true  # 证明事项实行正面清单（沿用原清单）")
        b.written_attrs = [a for a, items in lists.items() if items]
        labels = {k.attr: k.label for k in KINDS.values()}
        for attr, items in lists.items():
            lines.append(f"    {attr}:{comment(f'{labels[attr]}（{len(items)}项）')}")
            lines += [f"      - {flow(dump(e))}{comment(name)}" for e, name in items]
    text = "\n".join(lines) + "\n"
    return text, _validate(policy, kind, unit, text, path, b)


def _validate(policy: Policy, kind: Kind, unit: str, text: str, path: Path, b: _Builder) -> list[Problem]:
    """The written YAML, checked by the loader: model validation, ids not defined twice with the
    rest of the policy, references resolved (the unit's own list record being replaced)."""
    display = str(path)
    _from_file = _Own(path)
    pf, diags = parse_file(display, text.encode("utf-8"), Limits())
    out = [Problem("output-invalid", d.message, None, str(d.span) if d.span else display, d.help)
           for d in diags if d.severity.value == "error"]
    if pf is None:
        return out or [Problem("output-invalid", "生成的 YAML 无法读取", None, display)]
    index: dict[str, dict] = {}
    for section in ID_SECTIONS:
        table = dict(getattr(policy, section, {}) or {})
        index[section] = {k: v for k, v in table.items() if not _from_file(v)}
    replaced = None
    section = {"township": "township_lists", "village": "village_lists"}.get(kind.target)
    if section:
        replaced = index[section].pop(unit, None)
    for rid in b.reused:
        index["delegations"].pop(rid, None)
    for sec, attr in ID_SECTIONS.items():
        for rec in getattr(pf, sec):
            rid = getattr(rec, attr)
            if rid in index[sec]:
                other = index[sec][rid]
                out.append(Problem("output-duplicate-id", f"标识 '{rid}' 已在 {other.span or '策略中'} 定义", None, display))
            index[sec][rid] = rec
    for d, _fname in references([pf], index):
        out.append(Problem("output-invalid", d.message, None, str(d.span) if d.span else display, d.help))
    if replaced is not None and not _from_file(replaced):
        current = township_entries(policy, unit) if kind.target == "township" else village_entries(policy, unit)
        labels = {k.attr: k.label for k in KINDS.values()}
        missing = [labels[a] for a in labels if hasattr(current, a) and getattr(current, a)
                   and a not in b.written_attrs]
        out.append(Problem(
            "replaces-list", f"{policy.units[unit].name} 在 {replaced.span or '策略中'} 已有清单记录，导入结果应替换该记录"
            + (f"；替换前还需导入：{'、'.join(missing)}" if missing else ""), None, display, severity="info"))
    if b.reused:
        out.append(Problem("replaces-delegations", f"沿用了 {len(b.reused)} 条已有赋权的标识（导入结果应替换它们）",
                           None, display, severity="info"))
    return out
