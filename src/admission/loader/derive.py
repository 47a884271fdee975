"""Lists derived from other lists: a template's `parent` chain must end; a cycle is an error at
each template on it (the expansion stops where the cycle closes, so nothing loops).  What a
derived list takes away must be in the list it derives from: an entry that `rewords` a matter
the parent lacks has lost its link to the earlier wording (an error), and a `remove` of such a
matter does nothing (a warning, so a typo does not pass silently)."""

from __future__ import annotations

from ..diagnostics import Diagnostic, Severity

#: (template section, list section, the list kinds of both)
SECTIONS = (
    ("township_templates", "township_lists", ("basic", "cooperative", "returned")),
    ("village_templates", "village_lists", ("duties", "assisting", "negative", "may_certify", "must_not_certify")),
)


def derivation(rec, kinds, template: bool) -> tuple:
    """What the derivation checks need of a template or a unit's list, as plain data (the
    incremental validation keeps it in each file's summary): (key, parent or template, remove,
    span, matters of its entries (templates only), its rewording entries (matter, rewords, span))."""
    entries = [e for kind in kinds for e in getattr(rec, kind)]
    key = rec.id if template else (getattr(rec, "township", None) or rec.village)
    return (key, rec.parent if template else rec.template, tuple(rec.remove), rec.span,
            tuple(e.matter for e in entries) if template else (),
            tuple((e.matter, e.rewords, e.span) for e in entries if e.rewords))


def derived_lists(index: dict[str, dict]) -> list[Diagnostic]:
    """The derivation errors of a loaded tree's templates and lists."""
    rows = {}
    for tsection, lsection, kinds in SECTIONS:
        rows[tsection] = [derivation(t, kinds, True) for t in (index.get(tsection) or {}).values()]
        rows[lsection] = [derivation(x, kinds, False) for x in (index.get(lsection) or {}).values() if x.template]
    return derivation_errors(rows)


def derivation_errors(rows: dict[str, list[tuple]]) -> list[Diagnostic]:
    """`rows`: per section, the `derivation` tuples of its templates or (template-using) lists."""
    diags: list[Diagnostic] = []
    for tsection, lsection, _ in SECTIONS:
        templates = {r[0]: r for r in rows.get(tsection, ())}
        diags += _cycles(templates)
        memo: dict[str, frozenset[str]] = {}
        for tid, (_, parent, *_rest) in templates.items():
            if parent and parent in templates:
                diags += _takes_away(templates[tid], f"模板 {tid}", f"上级清单 {parent}",
                                     _matters(templates, parent, memo))
        for row in rows.get(lsection, ()):
            if row[1] in templates:
                diags += _takes_away(row, f"{row[0]} 的清单", f"所套用的模板 {row[1]}", _matters(templates, row[1], memo))
    return diags


def _cycles(templates: dict) -> list[Diagnostic]:
    diags = []
    for tid, (_, parent, _r, span, *_rest) in templates.items():
        seen, at = [tid], parent
        while at and at in templates and at not in seen:
            seen.append(at)
            at = templates[at][1]
        if at == tid:
            diags.append(Diagnostic(
                "template-cycle", f"模板 {tid} 的上级清单绕回自身：{' → '.join([*seen, tid])}", span,
                subject=tid, help="去掉其中一个 parent，让派生链止于一个不派生的清单",
                message_en="template parent chain is a cycle"))
    return diags


def _matters(templates: dict, tid: str, memo: dict, seen: tuple = ()) -> frozenset[str]:
    """The matters of template `tid` after its parent chain (the same arithmetic as
    compile/expand.py, on matter ids only); a cycle contributes nothing."""
    if tid in memo:
        return memo[tid]
    row = templates.get(tid)
    if row is None or tid in seen:
        return frozenset()
    _, parent, remove, _span, matters, rewording = row
    base = _matters(templates, parent, memo, (*seen, tid)) if parent else frozenset()
    memo[tid] = out = (base - set(remove) - {old for _, old, _ in rewording}) | set(matters)
    return out


def _takes_away(row: tuple, who: str, parent: str, base: frozenset[str]) -> list[Diagnostic]:
    _, _, remove, span, _, rewording = row
    diags = [Diagnostic("rewords-not-in-parent", f"{who}的条目 {new} 改写的事项 {old} 不在{parent}中", at,
                        help=f"把 rewords 改为{parent}中被改写的事项编码，或去掉 rewords",
                        message_en="the entry rewords a matter its parent list does not have")
             for new, old, at in rewording if old not in base]
    diags += [Diagnostic("remove-not-in-parent", f"{who}删减的事项 {mid} 不在{parent}中，删减不起作用", span,
                         severity=Severity.warning, help=f"核对事项编码，或从 remove 中去掉 {mid}",
                         message_en="remove names a matter its parent list does not have")
              for mid in remove if mid not in base]
    return diags
