"""Templates: a township must use its own county's standard list.

Fires:   township_lists: [{township: T1-of-county-A, template: TPL-of-county-B}]
Passes:  township_lists: [{township: T1-of-county-A, template: TPL-of-county-A}]
"""

from __future__ import annotations

from collections.abc import Iterator

from ...diagnostics import Severity
from .registry import Context, Family, finding

FAMILY = Family("templates", "Templates:", "township")
OTHER = FAMILY.rule(
    "template-other-county", Severity.error, "乡镇套用了外县（区）的清单模板",
    "township uses another county's template", "改用本县（区）的标准清单模板",
    "a township uses a template of another county.")


@FAMILY.checker
def check(ctx: Context) -> Iterator:
    for tid, tl in sorted(ctx.policy.township_lists.items()):
        if tl.template is None or tid not in ctx.units:
            continue
        tpl = ctx.policy.township_templates[tl.template]
        if ctx.units[tid].county != tpl.county:
            yield finding(OTHER, tid, f"{ctx.name(tid)} 套用了{ctx.name(tpl.county)}的模板“{tpl.name}”",
                          (tl.span, tpl.span), (f"unit:{tid}",))
