"""Synthetic policy trees at national proportions, for benchmarks and for testing the checks.

`generate(out_dir, townships, seed)` writes a *valid* tree that has no finding under any rule
of docs/semantics.md on `CHECK_DATE`: one province, cities of 10–15 counties, counties of
10–20 townships and 25–40 departments (ids shaped like unified social credit codes), each
department's power list, a matter catalogue of a few thousand items, per township ≈340 list
entries (≈117 basic / 99 cooperative / 124 returned), ≈13 villages per township with ≈40
items each, delegations for about a fifth of the townships, admissions and assignments.

With `templates=True` each county has one township template and one village template that its
units use with a few removals and additions; with `templates=False` every unit writes out all
of its entries.  The content is the same either way (the random draws do not depend on it).

`violations={rule_id: count}` injects findings: each injection triggers exactly that rule on
exactly one subject (docs/semantics.md, "Finding subjects") and nothing else.  The injected
(rule, subject) pairs are returned in the `Manifest` and written to `manifest.json`.

Generation is deterministic: the same arguments give byte-identical files.

The modules, by what they make: `rules` (the check date, the rule ids), `vocabulary` (the word
lists), `records` (what a tree is built from, the `Manifest`), `names` and `draws` (credit
codes, name similarity, random dates); the `generator.Generator` mixes in `geography` (province,
cities, counties, townships, villages), `catalogue` (matters and bases), `departments` (and their
power lists), `township` and `village` (the lists and their templates), `delegations` (and
admissions), `assignments`, and the injections (`inject`, `inject_structure`, `inject_pushdowns`);
`yaml_lines` and `writer` write the files; `tree` has the entry points.

May import: flow, scale, explain, evaluate, compile, loader, language, store, diagnostics
(not render, sheets, review, api or cli).
"""

from .records import Manifest
from .rules import CHECK_DATE, RULES
from .tree import generate, inject_all

__all__ = ["CHECK_DATE", "RULES", "Manifest", "generate", "inject_all"]
