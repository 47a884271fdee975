"""Graphviz renderings of a policy (issue 6).

Each view is a pure function of a loaded `Policy`, its `Index` and the findings of
`run_checks`, returning a `graphviz.Digraph` (deterministic: everything sorted, no random ids,
no timestamps; the CJK font set on graph, nodes and edges):

- `unit_view` — a township: its three lists, delegated powers, admitted matters (summary by
  domain with counts linking to the expanded form, or every entry);
- `department_view` — what a department leads, takes back, delegates, had admitted and
  assigned, township by township;
- `matter_view` — who owns a matter across a county's townships;
- `county_view` — townships × list kinds as counts, findings per township;
- `flow_view` — an admission or adjustment flow definition, with applications per state;
- `diff_view` — two policy revisions in one graph.

`write` / `render_bytes` turn a view into SVG, PNG, PDF or DOT; `render_all` regenerates
`diagrams/`.

May import: flow, scale, explain, evaluate, compile, loader, language, store, diagnostics
(not sheets, synth, review, api or cli).
"""

from .bundle import DIAGRAMS_ON, diagram_set, render_all
from .county import county_view
from .department import department_view
from .diff import diff_view
from .flow import flow_view
from .matter import matter_view
from .output import FORMATS, RenderError, dot_source, format_for, render_bytes, write
from .style import FONT
from .unit import unit_view

__all__ = [
    "DIAGRAMS_ON", "FONT", "FORMATS", "RenderError", "county_view", "department_view", "diagram_set", "diff_view",
    "dot_source", "flow_view", "format_for", "matter_view", "render_all", "render_bytes", "unit_view", "write",
]
