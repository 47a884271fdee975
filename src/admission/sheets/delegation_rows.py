"""Delegation lists (赋权事项清单): a row is one delegation of a matter from its department
(原实施主体) to townships (承接主体), by grant or entrustment, on a decision (赋权依据).  Imported
by the receiving township or by the county; a delegation already in the policy for the same
matter, department and townships keeps its id, evaluation and end date."""

from __future__ import annotations

from ..language.entities import Delegation, Matter
from ..language.enums import DelegationMode, UnitKind
from .problems import Problem
from .reader import Row
from .resolve import describe
from .rows import RowReader
from .text import key, split_names
from .yamlout import comment, dump, flow


class DelegationRows(RowReader):
    def __init__(self, *args, **kw):
        super().__init__(*args, **kw)
        self.ids: set[str] = set()             # ids given to this import's delegations
        self.reused: set[str] = set()          # ids kept from delegations already in the policy
        self.n_new = 0

    def current_matters(self) -> frozenset[str]:
        return frozenset(d.matter for d in self.policy.delegations.values() if self.unit in d.townships)

    def finish(self, row: Row, name: str, data: dict, before: int) -> None:
        """A delegation row is kept out only by errors in its own columns (those counted from
        here), an unknown matter or department, townships or mode."""
        own_errors = self.error_count()
        mid = data["matter"]
        dept = self.department(row, "department", many=False)
        self._check_power_type(row, mid)
        towns = self._townships(row)
        mode = self._mode(row)
        basis = self.opts.basis
        if row.get("decision"):
            basis = self.basis(row, "decision")[1]
        if self.error_count() > own_errors or mid is None or dept is None or towns is None or mode is None:
            return
        if not dept or not self.first_time(row, (mid, dept[0], data.get("scope")),
                                           f"赋权事项“{name}”（原实施主体相同）", "删去重复的一行"):
            return
        d: dict = {"matter": mid, "department": dept[0], "townships": towns, "mode": mode.value}
        for f in ("scope", "since"):
            if f in data:
                d[f] = data[f]
        if basis:
            d["basis"] = basis
        self._give_id(d)
        self.ids.add(d["id"])
        self.entries.append((Delegation.model_validate(d), name))

    def _check_power_type(self, row: Row, mid: str | None) -> None:
        """A 权力类型 other than the catalogue's is only a warning: the catalogue's stands."""
        ok, pt = self.power_type(row)
        matters = self.policy.matters
        if ok and pt is not None and mid in matters and matters[mid].power_type != pt:
            self.err("power-type-differs",
                     f"权力类型写作“{row.get('power_type')}”，事项目录中为“{matters[mid].power_type.label}”",
                     self.where(row, "power_type"), severity="warning")

    def _townships(self, row: Row) -> list[str] | None:
        """The receiving townships; none written means the importing township itself (a county
        import must name them), and a township import takes only rows that include it."""
        towns = self._named_townships(row)
        unit = self.policy.units[self.unit]
        if towns == [] and unit.kind == UnitKind.township:
            towns = [self.unit]
        elif towns == []:
            self.err("empty-cell", "“承接主体”为空：按县导入时必须写明承接的乡镇(街道)", self.where(row, "townships"))
        elif towns is not None and unit.kind == UnitKind.township and self.unit not in towns:
            self.err("other-township", f"承接主体“{row.get('townships')}”不含 {unit.name}", self.where(row, "townships"),
                     help="按乡镇导入时每行都应由本乡镇承接；整县的赋权清单请用县的标识导入")
        return towns

    def _named_townships(self, row: Row) -> list[str] | None:
        """The townships the 承接主体 cell names; None at the first one not found."""
        text = row.get("townships")
        towns: list[str] = []
        for part in split_names(text) if text else ():
            f = self.resolver.township(part)
            if not f.ok:
                self.err("unknown-township", f"找不到承接乡镇(街道)“{part}”", self.where(row, "townships"),
                         help=f"最接近的是：{describe(f.near)}" if f.near else "承接主体应为本县的乡镇(街道)",
                         subject=part)
                return None
            towns.append(f.ids[0])
        return towns

    def _mode(self, row: Row) -> DelegationMode | None:
        """赋权 or 委托 from the 赋权方式 cell, else `--mode`."""
        text = row.get("mode")
        if not text:
            return self.opts.mode
        k = key(text)
        mode = next((m for m in DelegationMode if k in (m.value, m.label) or k.startswith(m.label)), None)
        if mode is None:
            self.err("bad-value", f"赋权方式“{text}”无效，应为“赋权”或“委托”", self.where(row, "mode"))
        return mode

    def _give_id(self, d: dict) -> None:
        """The id of the delegation it repeats (with its evaluation, and its end date unless that
        lies before the new start), else the next FQ-<unit>-<n> free."""
        old = self._existing(d["matter"], d["department"], d["townships"])
        if old is None:
            d["id"] = self._next_id()
            return
        d["id"] = old.id
        self.reused.add(old.id)
        if old.evaluation is not None:
            d["evaluation"] = old.evaluation.model_dump(exclude_none=True)
        if old.until is not None and (d.get("since") is None or old.until >= d["since"]):
            d["until"] = old.until

    def _next_id(self) -> str:
        while True:
            self.n_new += 1
            cand = f"FQ-{self.unit}-{self.n_new:03d}"
            if cand not in self.policy.delegations and cand not in self.ids:
                return cand

    def _existing(self, mid: str, dept: str, towns: list[str]) -> Delegation | None:
        for d in self.policy.delegations.values():
            if d.id in self.reused or d.matter != mid or d.department != dept or d.revoked is not None:
                continue
            if set(d.townships) == set(towns):
                return d
        return None

    # -- the output
    def body_lines(self, existing, matters: list[Matter]) -> list[str]:
        return ["delegations:", *(f"  - {flow(dump(e))}{comment(name)}" for e, name in self.entries)]

    def release(self, index: dict[str, dict]):
        for rid in self.reused:
            index["delegations"].pop(rid, None)

    def replacement_notes(self, released, display: str) -> list[Problem]:
        if not self.reused:
            return []
        return [Problem("replaces-delegations", f"沿用了 {len(self.reused)} 条已有赋权的标识（导入结果应替换它们）",
                        None, display, severity="info")]
