"""The "Checks" and "Finding subjects" sections of docs/semantics.md, generated from `REGISTRY`,
so that what a rule finds and what its findings are keyed by are written once, beside the rule,
and the docs cannot drift from the code.

    admission rules --markdown                        # print the Checks section
    admission rules --write-docs docs/semantics.md    # rewrite both sections between their markers

A test fails when docs/semantics.md differs from what the registry generates.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

from ...diagnostics import Severity
from . import REGISTRY
from .registry import SUBJECTS, Registry, Rule

BEGIN = "<!-- BEGIN GENERATED: checks — edit the rules in src/admission/evaluate/checks/, then run " \
        "`admission rules --write-docs docs/semantics.md` -->"
END = "<!-- END GENERATED: checks -->"
SUBJECTS_BEGIN = "<!-- BEGIN GENERATED: subjects — set by each rule's subject kind in " \
                 "src/admission/evaluate/checks/, then run `admission rules --write-docs docs/semantics.md` -->"
SUBJECTS_END = "<!-- END GENERATED: subjects -->"
WIDTH = 100

PREAMBLE = ("Run for one date `on` (default: today).  Entries and delegations that are not in force on "
            "`on` take no part, except where a rule is about dates.")


def checks_markdown(registry: Registry = REGISTRY) -> str:
    """The section between the markers: the preamble, then each family's intro and its rules."""
    blocks = [_wrap(PREAMBLE)]
    for family in registry.families:
        blocks.append("\n".join([_wrap(family.intro), *(_item(rule) for rule in family.rules)]))
    return "\n\n".join(blocks) + "\n"


def subjects_markdown(registry: Registry = REGISTRY) -> str:
    """The list of subject kinds, each with the rules whose findings it keys."""
    by_kind: dict[str, list[str]] = {}
    for family in registry.families:
        for rule in family.rules:
            by_kind.setdefault(rule.subject, []).append(f"`{rule.id}`")
    items = [_wrap(f"{SUBJECTS[kind]}: {', '.join(ids)};", "- ", "  ")
             for kind, ids in sorted(by_kind.items(), key=lambda kv: list(SUBJECTS).index(kv[0]))]
    return "\n".join(items) + "\n"


def _item(rule: Rule) -> str:
    """One list item; the anchor is the one `Rule.anchor` names."""
    warning = " (warning)" if rule.severity is Severity.warning else ""
    return _wrap(f'<a id="{rule.id}"></a>`{rule.id}`{warning} {rule.title} — {rule.doc}', "- ", "  ")


def _wrap(text: str, first: str = "", rest: str = "") -> str:
    return textwrap.fill(text, WIDTH, initial_indent=first, subsequent_indent=rest,
                         break_long_words=False, break_on_hyphens=False)


def splice(document: str, section: str, begin: str = BEGIN, end: str = END) -> str:
    """`document` with the text between the markers `begin` and `end` replaced by `section`."""
    start, stop = document.find(begin), document.find(end)
    if start < 0 or stop < start:
        raise ValueError(f"没有找到生成区段的标记 markers not found: {begin} … {end}")
    return f"{document[:start + len(begin)]}\n{section}{document[stop:]}"


def write_docs(path: Path, registry: Registry = REGISTRY) -> bool:
    """Rewrite the generated section of `path`; whether the file changed."""
    old = path.read_text(encoding="utf-8")
    new = splice(splice(old, checks_markdown(registry)), subjects_markdown(registry),
                 SUBJECTS_BEGIN, SUBJECTS_END)
    if new != old:
        path.write_text(new, encoding="utf-8")
    return new != old
