"""The row and cell machinery every list kind shares: reading a cell as text, departments, a basis,
a power type or a date, each problem reported at its cell; finding the matter a row names (or
making a new one with `--new-matters`); the columns every kind has (序号, date, 范围).

`RowReader` reads one sheet's rows; a subclass per target (`township_rows`, `village_rows`,
`delegation_rows`) adds the kind's own columns and writes the entries' YAML."""

from __future__ import annotations

import datetime as dt

from ..language import Policy
from ..language.entities import Matter
from ..language.enums import PowerType
from .kinds import Kind
from .options import ImportOptions
from .problems import Problem
from .reader import Row
from .resolve import Found, Resolver, describe
from .text import key, parse_date, parse_int, ref, split_names

TEXT_MAX, NAME_MAX = 2000, 200


def parse_power_type(text: str) -> PowerType | None:
    """行政处罚 / 处罚 / penalty → PowerType.penalty."""
    k = key(text)
    for pt in PowerType:
        if k in (pt.value, key(pt.label), key(pt.label).removeprefix("行政")):
            return pt
    if k in ("其他行政权力", "其他权力", "其他职权"):
        return PowerType.other
    return None


class RowReader:
    """Reads the rows of one sheet into `entries` (entry, name) of one kind.  Subclasses say which
    matters the unit has already (preferred when a name is ambiguous), finish a row with the
    kind's own columns, and write the entries' YAML and what the output replaces."""

    def __init__(self, policy: Policy, kind: Kind, unit: str, opts: ImportOptions, sheet: str,
                 columns: dict[int, str], resolver: Resolver, out_matters: dict[str, Matter]):
        self.policy, self.kind, self.unit, self.opts, self.sheet = policy, kind, unit, opts, sheet
        self.col_of = {f: c for c, f in columns.items()}
        self.resolver = resolver
        self.problems: list[Problem] = []
        self.entries: list = []
        self.new: dict[str, Matter] = {}       # key(name) -> new matter
        self.out_matters = out_matters         # matters of the existing output file
        self.used_ids: set[str] = set(policy.matters) | set(out_matters)
        self.prefer = self.current_matters()
        self.seen: dict[tuple, str] = {}       # duplicate key -> cell of its first row
        self.n_matters = 0

    # -- what a target adds
    def current_matters(self) -> frozenset[str]:
        raise NotImplementedError

    def finish(self, row: Row, name: str, data: dict, before: int) -> None:
        """The kind's own columns; append the entry unless the row had errors (`before`: the
        error count when the row began)."""
        raise NotImplementedError

    def body_lines(self, existing, matters: list[Matter]) -> list[str]:
        """The YAML of the entries, after the file's header and matters."""
        raise NotImplementedError

    def release(self, index: dict[str, dict]):
        """Take out of the policy's `index` (section -> id -> record) what the output replaces;
        returns what `replacement_notes` needs to say so."""
        raise NotImplementedError

    def replacement_notes(self, released, display: str) -> list[Problem]:
        raise NotImplementedError

    # -- one row
    def row(self, row: Row) -> None:
        name = row.get("name")
        if not name:
            self.err("empty-cell", f"“{self.kind.headings()['name'][0]}”为空（该行其他列有内容）", self.where(row, "name"))
            return
        before = self.error_count()
        data = self.common_fields(row)
        self.finish(row, name, data, before)

    def common_fields(self, row: Row) -> dict:
        """The required cells, 序号, the date, the matter and 范围: every kind has them."""
        for fld in self.kind.required_cells:
            if fld != "name" and not row.get(fld):
                self.err("empty-cell", f"“{self.kind.headings()[fld][0]}”为空：{self.kind.label}必须写明", self.where(row, fld))
        seq = self.seq(row)
        _, since = self.since(row)
        data: dict = {"matter": self.matter(row)}
        if seq is not None:
            data["seq"] = seq
        if since is not None:
            data["since"] = since
        scope = self.text(row, "scope", NAME_MAX)
        if scope:
            data["scope"] = scope
        return data

    def first_time(self, row: Row, dup: tuple, what: str, help: str) -> bool:
        """False, with a problem, when `dup` was read in an earlier row."""
        if dup in self.seen:
            self.err("duplicate-row", f"{what}重复，与 {self.seen[dup]} 相同", self.where(row, "name"), help=help)
            return False
        self.seen[dup] = self.where(row, "name")
        return True

    # -- problems
    def err(self, code: str, msg: str, where: str, help: str | None = None, severity: str = "error",
            subject: str | None = None) -> None:
        self.problems.append(Problem(code, msg, self.sheet, where, help, severity, subject))

    def error_count(self) -> int:
        return len([p for p in self.problems if p.severity == "error"])

    def where(self, row: Row, fld: str) -> str:
        c = row.cells.get(fld)
        if c is not None:
            return c.ref
        return ref(self.sheet, row.row, self.col_of.get(fld, 1))

    # -- cells
    def text(self, row: Row, fld: str, limit: int = TEXT_MAX) -> str | None:
        t = row.get(fld)
        if not t:
            return None
        if len(t) > limit:
            self.err("too-long", f"内容过长（{len(t)} 字，上限 {limit} 字）", self.where(row, fld))
            return None
        return t

    def seq(self, row: Row) -> int | None:
        seq_text = row.get("seq")
        seq = parse_int(seq_text) if seq_text else None
        if seq_text and seq is None:
            self.err("bad-value", f"序号“{seq_text}”不是整数", self.where(row, "seq"))
        return seq

    def since(self, row: Row) -> tuple[bool, dt.date | None]:
        t = row.get("since")
        if not t:
            return True, self.opts.since
        d = parse_date(t)
        if d is None:
            self.err("bad-value", f"日期“{t}”无法识别，应写 YYYY-MM-DD", self.where(row, "since"))
            return False, None
        return True, d

    def department(self, row: Row, fld: str, many: bool = True) -> list[str] | None:
        """The department ids a cell names (the whole text first, else split at 、，; etc.);
        None when any is unknown or ambiguous, or several stand where one is allowed."""
        t = row.get(fld)
        if not t:
            return []
        whole = self.resolver.department(t)
        parts = [t] if whole.ok else split_names(t)
        if not many and len(parts) > 1:
            self.err("bad-value", f"“{t}”写了 {len(parts)} 个部门，这一列只能写一个", self.where(row, fld))
            return None
        out, bad = [], False
        for part in parts:
            f = whole if part == t and whole.ok else self.resolver.department(part)
            if f.ok:
                out.append(f.ids[0])
            else:
                bad = True
                self._department_problem(part, f, self.where(row, fld))
        return None if bad else list(dict.fromkeys(out))

    def _department_problem(self, part: str, found: Found, where: str) -> None:
        if found.ids:
            self.err("ambiguous-department", f"部门名称“{part}”对应多个单位：{'、'.join(found.ids)}", where,
                     help="写部门全称，或在 --columns 文件的 departments 中指定标识", subject=part)
        else:
            self.err("unknown-department", f"找不到部门“{part}”", where,
                     help=(f"最接近的是：{describe(found.near)}" if found.near else "没有相近的部门名称")
                     + "；可在 --columns 文件的 departments 中写明 名称: 标识", subject=part)

    def basis(self, row: Row, fld: str) -> tuple[bool, str | None]:
        t = row.get(fld)
        if not t:
            return True, None
        f = self.resolver.basis(t)
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

    # -- the matter
    def matter(self, row: Row) -> str | None:
        """The matter a row names: by its 事项编码, else by name (within its 领域), else a new one
        with `--new-matters`; None, with a problem, when none fits."""
        name = row.get("name")
        mid_text = row.get("matter_id")
        if mid_text:
            return self._matter_by_id(row, mid_text)
        found = self.resolver.matter(name, row.group, self.prefer, self.kind.level.value)
        if found.ok:
            return found.ids[0]
        if found.ids:
            self._ambiguous_matter(row, name, found)
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

    def _matter_by_id(self, row: Row, mid_text: str) -> str | None:
        mid = key(mid_text)
        if mid in self.policy.matters or mid in self.out_matters:
            return mid
        self.err("unknown-matter", f"事项编码“{mid_text}”不在事项目录中", self.where(row, "matter_id"),
                 subject=mid_text)
        return None

    def _ambiguous_matter(self, row: Row, name: str, found: Found) -> None:
        matters = self.policy.matters
        cands = "、".join(f"{i}（{matters[i].domain if i in matters else ''}）" for i in found.ids)
        self.err("ambiguous-matter", f"事项名称“{name}”对应多个事项：{cands}", self.where(row, "name"),
                 help="加“事项编码”列写明编码，或把事项放到正确的领域下", subject=name)

    def _new_matter(self, row: Row, name: str) -> str | None:
        if len(name) > NAME_MAX:
            self.err("too-long", f"事项名称过长（{len(name)} 字，上限 {NAME_MAX} 字）", self.where(row, "name"))
            return None
        domain = row.group if self.kind.group_field == "domain" and row.group else None
        if domain is None:
            domain = "其他"
        pt = parse_power_type(row.get("power_type")) if row.get("power_type") else None
        basis = self._new_matter_basis(row, name)
        mid = self._next_matter_id()
        data = {"id": mid, "name": name, "domain": domain[:NAME_MAX], "levels": [self.kind.level.value]}
        if pt is not None:
            data["power_type"] = pt.value
        if basis is not None:
            data["basis"] = basis
        m = Matter.model_validate(data)
        self.new[key(name)] = m
        self.resolver.add_matter(name, mid)
        return mid

    def _new_matter_basis(self, row: Row, name: str) -> str | None:
        """The 法律法规依据 of a new matter when it is registered in bases (only a warning if not:
        for known matters the column is informational)."""
        text = row.get("legal_basis")
        if not text:
            return None
        found = self.resolver.basis(text)
        if found.ok:
            return found.ids[0]
        self.err("unknown-basis", f"新事项“{name}”的依据“{text}”未在 bases 中登记，事项写入时不带依据",
                 self.where(row, "legal_basis"), severity="warning", subject=text)
        return None

    def _next_matter_id(self) -> str:
        """NEW-<unit>-<code><n>: the next such id not used by the policy or the output file."""
        while True:
            self.n_matters += 1
            mid = f"NEW-{self.unit}-{self.kind.code}{self.n_matters:03d}"
            if mid not in self.used_ids:
                break
        self.used_ids.add(mid)
        return mid
