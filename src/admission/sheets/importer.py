"""`admission import xlsx`: a published list in a workbook → YAML in the policy language.

Names are resolved to ids against the loaded policy (see `resolve`); every problem is reported
at its cell (配合清单!C17) with a Chinese message; the YAML is checked with the loader (the
same model validation and reference resolution `admission validate` runs) and written by
renaming a temporary file, only when nothing is wrong.

Output: one file per unit in the output directory — `<unit>-lists.yaml` (township_lists),
`<unit>-village.yaml` (village_lists) or `<unit>-delegations.yaml` (delegations), plus new
`matters` when `new_matters` is set.  Importing another kind for the same unit updates that
file (its other lists are kept); a file not written by the importer is never overwritten.

This module runs an import; the parts live beside it: `options` (arguments and result),
`workbook` (the sheet), `rows` (cells and matters every kind shares), `township_rows`,
`village_rows` (over `list_rows`) and `delegation_rows` (each target's columns and YAML),
`import_output` (the file written and its check).
"""

from __future__ import annotations

from pathlib import Path

from ..language import Policy
from .delegation_rows import DelegationRows
from .import_output import MARKER, SUFFIX, read_existing, render, validate, write_atomically
from .kinds import KINDS, Kind
from .list_rows import ENTRY_MODEL
from .options import ImportOptions, ImportResult, UsageError, check_unit, find_unit, load_columns
from .problems import Problem
from .reader import HeadingMap, Table, read_table
from .resolve import Resolver
from .rows import NAME_MAX, TEXT_MAX, RowReader, parse_power_type
from .township_rows import TownshipRows
from .village_rows import VillageRows
from .workbook import open_workbook, pick_sheet

__all__ = [
    "ENTRY_MODEL", "MARKER", "NAME_MAX", "SUFFIX", "TEXT_MAX", "ImportOptions", "ImportResult", "UsageError",
    "check_unit", "find_unit", "import_workbook", "load_columns", "open_workbook", "parse_power_type", "pick_sheet",
]

#: kind.target -> the rows of its lists
READERS: dict[str, type[RowReader]] = {
    "township": TownshipRows, "village": VillageRows, "delegations": DelegationRows,
}


def import_workbook(workbook: Path, policy: Policy, opts: ImportOptions) -> ImportResult:
    """Read one sheet of `workbook` as list kind `opts.kind` of unit `opts.unit`; raises
    `UsageError` for wrong arguments, reports every problem of the content in the result."""
    kind, unit = _check_arguments(policy, opts)
    out_path = Path(opts.out_dir) / f"{unit}-{SUFFIX[kind.target]}.yaml"
    existing = read_existing(out_path)
    out_matters = {m.id: m for m in existing.matters} if existing else {}
    result, table = _read_sheet(Path(workbook), policy, kind, unit, opts, out_path)
    if table is None or not result.ok:
        return result
    rows = _read_rows(policy, kind, unit, opts, table, out_matters)
    result.problems.extend(rows.problems)
    if not table.rows:
        result.problems.append(Problem("no-rows", "表头以下没有读到任何事项", table.sheet, table.first_cell))
    result.entries = [e for e, _ in rows.entries]
    result.new_matters = list(rows.new.values())
    if not result.ok:
        return result
    result.text = render(rows, existing, Path(workbook).name, result.sheet)
    result.problems.extend(validate(rows, result.text, out_path))
    if not result.ok or not opts.write:
        return result
    write_atomically(out_path, result.text)
    result.written = True
    return result


def _check_arguments(policy: Policy, opts: ImportOptions) -> tuple[Kind, str]:
    """The kind and the unit's id, or `UsageError` before anything is read."""
    kind = KINDS.get(opts.kind)
    if kind is None:
        raise UsageError(f"未知的清单类型 {opts.kind}；可选：{'、'.join(KINDS)}")
    unit = find_unit(policy, opts.unit)
    check_unit(policy, unit, kind)
    if opts.basis is not None and opts.basis not in policy.bases:
        raise UsageError(f"--basis 引用的依据“{opts.basis}”不存在")
    return kind, unit


def _read_sheet(workbook: Path, policy: Policy, kind: Kind, unit: str, opts: ImportOptions,
                out_path: Path) -> tuple[ImportResult, Table | None]:
    """The result begun with the sheet's name and the problems of its header, and its table."""
    columns = opts.columns or {}
    wb = open_workbook(workbook)
    try:
        ws = pick_sheet(wb, kind, policy.units[unit].name, opts.sheet)
        result = ImportResult(sheet=ws.title, path=out_path)
        table = read_table(ws, kind, HeadingMap(kind, columns.get("columns")), result.problems)
    finally:
        wb.close()
    return result, table


def _read_rows(policy: Policy, kind: Kind, unit: str, opts: ImportOptions, table: Table,
               out_matters: dict) -> RowReader:
    """Every row of the table read; names resolve also to the matters of the existing output."""
    columns = opts.columns or {}
    resolver = Resolver(policy, unit, columns.get("departments"), columns.get("matters"))
    for m in out_matters.values():
        if m.id not in policy.matters:
            resolver.add_matter(m.name, m.id)
    rows = READERS[kind.target](policy, kind, unit, opts, table.sheet, table.columns, resolver, out_matters)
    for row in table.rows:
        rows.row(row)
    return rows
