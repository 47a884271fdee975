"""Spreadsheets in and out: import published lists from workbooks into the policy language,
export a township's, a county's or a village's lists in the layout counties publish (公示).

    from admission.sheets import ImportOptions, import_workbook, export

May import: flow, scale, explain, evaluate, compile, loader, language, store, diagnostics
(not render, synth, review, api or cli).
"""

from .exporter import FORMATS, Section, export, render_csv, render_html, sections, write_csv, write_html, write_xlsx
from .importer import ImportOptions, ImportResult, UsageError, find_unit, import_workbook, load_columns
from .kinds import KINDS, Kind
from .problems import Problem

__all__ = [
    "FORMATS", "KINDS", "ImportOptions", "ImportResult", "Kind", "Problem", "Section", "UsageError", "export",
    "find_unit", "import_workbook", "load_columns", "render_csv", "render_html", "sections", "write_csv",
    "write_html", "write_xlsx",
]
