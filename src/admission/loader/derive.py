"""Lists derived from other lists: a template's `parent` chain must end; a cycle is an error at
each template on it (the expansion stops where the cycle closes, so nothing loops)."""

from __future__ import annotations

from ..diagnostics import Diagnostic, Severity

_SECTIONS = ("township_templates", "village_templates")


def derived_lists(index: dict[str, dict]) -> list[Diagnostic]:
    diags: list[Diagnostic] = []
    for section in _SECTIONS:
        templates = index.get(section) or {}
        for tid, t in templates.items():
            seen, at = [tid], t.parent
            while at and at in templates and at not in seen:
                seen.append(at)
                at = templates[at].parent
            if at == tid:
                diags.append(Diagnostic(
                    "template-cycle", f"模板 {tid} 的上级清单绕回自身：{' → '.join([*seen, tid])}", t.span,
                    subject=tid, help="去掉其中一个 parent，让派生链止于一个不派生的清单",
                    message_en="template parent chain is a cycle"))
    return diags
