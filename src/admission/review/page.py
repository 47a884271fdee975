"""The reviewers' page: findings with filters by county, township and rule, each linking to the
graph that shows it, and admission applications with their position in the flow.

One self-contained HTML document in Chinese — inline CSS and script, no fonts, scripts or
styles from the internet (county intranets are air-gapped).  A pure function of its inputs.
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Callable, Sequence

from ..diagnostics import Diagnostic
from ..compile.index import Index
from ..language import Policy
from ..language.enums import UnitKind

PHASES = (("apply", "申请"), ("review", "审核"), ("approve", "审批"), ("enter", "进入"), ("exit", "退出"))
SEVERITY = {"error": "错误", "warning": "警告", "info": "提示"}

GraphUrl = Callable[[str, str], str]  # (view, id) -> URL of the SVG


def finding_place(f: Diagnostic, policy: Policy, index: Index) -> tuple[str | None, str | None]:
    """(township or village, county) a finding is about, for filtering and for its graph."""
    subject = f.subject or ""
    unit = None
    if "/" in subject:
        unit = subject.split("/", 1)[0]
    elif subject in policy.assignments:
        unit = policy.assignments[subject].to
    elif subject in policy.delegations:
        unit = policy.delegations[subject].townships[0]
    elif subject in policy.exercises:
        unit = policy.exercises[subject].unit
    elif subject in policy.units:
        unit = subject
    info = index.units.get(unit) if unit else None
    if info is not None and info.kind == UnitKind.village:
        unit = info.township or unit
        info = index.units.get(unit)
    return unit, (info.county if info else None)


def _e(text) -> str:
    return html.escape("" if text is None else str(text))


def review_page(*, policy: Policy, index: Index, findings: Sequence[Diagnostic], applications: Sequence,
                on: dt.date, graph_url: GraphUrl, flow_states: dict[str, dict[str, tuple[str, str]]] | None = None,
                revision: str | None = None) -> str:
    """The page.  `applications` are rows with id, flow_id, state, phase, matter, applicant_unit,
    targets, overdue; `flow_states` maps flow id → state id → (name, phase)."""
    units = index.units
    counties = sorted({c for f in findings for c in [finding_place(f, policy, index)[1]] if c})
    rules = sorted({f.code for f in findings})
    rows = []
    townships: dict[str, str] = {}
    for i, f in enumerate(findings):
        unit, county = finding_place(f, policy, index)
        if unit:
            townships[unit] = units[unit].name if unit in units else unit
        link = graph_url("unit", unit) if unit else ""
        where = f"{f.span.file}:{f.span.line}" if f.span else ""
        rows.append(
            f'<tr class="finding {_e(f.severity.value)}" data-county="{_e(county or "")}" '
            f'data-township="{_e(unit or "")}" data-rule="{_e(f.code)}" id="f{i}">'
            f'<td>{_e(SEVERITY.get(f.severity.value, f.severity.value))}</td>'
            f'<td><code>{_e(f.code)}</code></td>'
            f'<td>{_e(units[unit].name if unit in units else "")}</td>'
            f'<td>{_e(f.message)}</td>'
            f'<td class="src">{_e(where)}</td>'
            f'<td>{f"<a class=graph href={_q(link)}>查看图</a>" if link else ""}</td></tr>')
    county_opts = "".join(f'<option value="{_e(c)}">{_e(units[c].name if c in units else c)}</option>' for c in counties)
    town_opts = "".join(
        f'<option value="{_e(t)}" data-county="{_e(units[t].county if t in units else "")}">{_e(n)}</option>'
        for t, n in sorted(townships.items(), key=lambda kv: kv[0]))
    rule_opts = "".join(f'<option value="{_e(r)}">{_e(r)}</option>' for r in rules)
    apps = "".join(_application_row(a, policy, flow_states or {}) for a in applications)
    errors = sum(1 for f in findings if f.severity.value == "error")
    return PAGE.format(
        on=_e(on.isoformat()), revision=_e(revision or policy.revision), total=len(findings), errors=errors,
        warnings=len(findings) - errors, county_opts=county_opts, town_opts=town_opts, rule_opts=rule_opts,
        rows="".join(rows) or '<tr><td colspan="6">没有发现问题</td></tr>', apps=apps or
        '<tr><td colspan="5">暂无准入申请</td></tr>', napps=len(applications),
        flow_link=_q(graph_url("flow", "admission")))


def _q(url: str) -> str:
    return '"' + html.escape(url, quote=True) + '"'


def _application_row(a, policy: Policy, flow_states: dict) -> str:
    names = flow_states.get(a.flow_id, {})
    state_name, phase = names.get(a.state, (a.state, a.phase))
    steps = []
    reached = True
    for key, label in PHASES:
        cls = "now" if key == phase else ("done" if reached and phase != "closed" else "todo")
        if key == phase:
            reached = False
        steps.append(f'<span class="ph {cls}">{label}</span>')
    if phase == "closed":
        steps.append('<span class="ph now closed">办结</span>')
    matter = policy.matters.get(a.matter)
    targets = "、".join(policy.units[t].name if t in policy.units else t for t in a.targets)
    return (f'<tr class="app" data-state="{_e(a.state)}"><td><code>{_e(a.id)}</code></td>'
            f'<td>{_e(matter.name if matter else a.matter)}</td><td>{_e(targets)}</td>'
            f'<td>{_e(state_name)}{" <b class=overdue>逾期</b>" if getattr(a, "overdue", False) else ""}</td>'
            f'<td class="flowpos">{"".join(steps)}</td></tr>')


PAGE = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>清单与准入审查 · {on}</title>
<style>
body{{font-family:"Noto Sans CJK SC","Noto Sans SC","Microsoft YaHei",sans-serif;margin:1.5rem;color:#222}}
h1{{font-size:1.4rem;margin:0 0 .3rem}} h2{{font-size:1.1rem;margin:1.6rem 0 .5rem}}
.meta{{color:#666;font-size:.9rem}} .filters{{margin:.8rem 0;display:flex;gap:1rem;flex-wrap:wrap}}
label{{font-size:.9rem}} select{{font:inherit;padding:.15rem}}
table{{border-collapse:collapse;width:100%;font-size:.9rem}} th,td{{border:1px solid #ccc;padding:.3rem .45rem;text-align:left;vertical-align:top}}
th{{background:#f3f3f3}} tr.error td:first-child{{color:#b00020;font-weight:bold}} tr.warning td:first-child{{color:#a15c00}}
td:first-child,td:nth-child(2){{white-space:nowrap}} td.src{{color:#666;font-family:monospace;font-size:.8rem}} .ph{{display:inline-block;padding:.05rem .4rem;margin-right:.15rem;border-radius:3px;background:#eee;color:#888}}
.ph.done{{background:#d7ecd9;color:#245c2c}} .ph.now{{background:#1f5fa8;color:#fff}} .ph.closed{{background:#777}}
.overdue{{color:#b00020}} #count{{font-weight:bold}}
@media print{{.filters{{display:none}}}}
</style></head>
<body>
<h1>乡镇(街道)履职事项清单与事项准入审查</h1>
<div class="meta">检查日期 {on} · 策略修订 <code>{revision}</code> · 问题 {total} 个（错误 {errors}，警告 {warnings}）</div>
<h2>检查发现的问题</h2>
<div class="filters">
<label>县（区）<select id="county"><option value="">全部</option>{county_opts}</select></label>
<label>乡镇(街道)<select id="township"><option value="">全部</option>{town_opts}</select></label>
<label>规则<select id="rule"><option value="">全部</option>{rule_opts}</select></label>
<span>显示 <span id="count">{total}</span> 个</span>
</div>
<table id="findings"><thead><tr><th>级别</th><th>规则</th><th>单位</th><th>说明</th><th>位置</th><th>图</th></tr></thead>
<tbody>{rows}</tbody></table>
<h2>准入申请（{napps} 件） <a href={flow_link} style="font-size:.85rem">流程图</a></h2>
<table id="applications"><thead><tr><th>编号</th><th>事项</th><th>准入单位</th><th>状态</th><th>流程位置</th></tr></thead>
<tbody>{apps}</tbody></table>
<script>
(function(){{
  var c=document.getElementById('county'), t=document.getElementById('township'), r=document.getElementById('rule');
  function apply(){{
    var n=0;
    document.querySelectorAll('#findings tr.finding').forEach(function(tr){{
      var ok=(!c.value||tr.dataset.county===c.value)&&(!t.value||tr.dataset.township===t.value)&&(!r.value||tr.dataset.rule===r.value);
      tr.style.display=ok?'':'none'; if(ok) n++;
    }});
    document.getElementById('count').textContent=n;
    Array.prototype.forEach.call(t.options,function(o){{ if(o.value) o.hidden=!!c.value&&o.dataset.county!==c.value; }});
  }}
  [c,t,r].forEach(function(s){{ s.addEventListener('change',apply); }});
}})();
</script>
</body></html>
"""
