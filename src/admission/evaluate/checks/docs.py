"""The "Checks" section of docs/semantics.md, generated from `REGISTRY`, so that what a rule
finds is written once, beside the rule, and the docs cannot drift from the code.

    admission rules --markdown                        # print the section
    admission rules --write-docs docs/semantics.md    # rewrite it between the markers

A test fails when docs/semantics.md differs from what the registry generates.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

from ...diagnostics import Severity
from . import REGISTRY
from .registry import Registry, Rule

BEGIN = "<!-- BEGIN GENERATED: checks — edit the rules in src/admission/evaluate/checks/, then run " \
        "`admission rules --write-docs docs/semantics.md` -->"
END = "<!-- END GENERATED: checks -->"
WIDTH = 100

PREAMBLE = ("Run for one date `on` (default: today).  Entries and delegations that are not in force on "
            "`on` take no part, except where a rule is about dates.")


def checks_markdown(registry: Registry = REGISTRY) -> str:
    """The section between the markers: the preamble, then each family's intro and its rules."""
    blocks = [_wrap(PREAMBLE)]
    for family in registry.families:
        blocks.append("\n".join([_wrap(family.intro), *(_item(rule) for rule in family.rules)]))
    return "\n\n".join(blocks) + "\n"


def _item(rule: Rule) -> str:
    """One list item; the anchor is the one `Rule.anchor` names."""
    warning = " (warning)" if rule.severity is Severity.warning else ""
    return _wrap(f'<a id="{rule.id}"></a>`{rule.id}`{warning} {rule.title} — {rule.doc}', "- ", "  ")


def _wrap(text: str, first: str = "", rest: str = "") -> str:
    return textwrap.fill(text, WIDTH, initial_indent=first, subsequent_indent=rest,
                         break_long_words=False, break_on_hyphens=False)


def splice(document: str, section: str) -> str:
    """`document` with the text between the markers replaced by `section`."""
    start, end = document.find(BEGIN), document.find(END)
    if start < 0 or end < start:
        raise ValueError(f"没有找到生成区段的标记 markers not found: {BEGIN} … {END}")
    return f"{document[:start + len(BEGIN)]}\n{section}{document[end:]}"


def write_docs(path: Path, registry: Registry = REGISTRY) -> bool:
    """Rewrite the generated section of `path`; whether the file changed."""
    old = path.read_text(encoding="utf-8")
    new = splice(old, checks_markdown(registry))
    if new != old:
        path.write_text(new, encoding="utf-8")
    return new != old
