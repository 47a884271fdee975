"""Evaluate a compiled policy: `decide` (the indexed decision function and its explanation),
`who` (who owns a matter in a unit), `checks/` (one module per family of findings, each rule a
registered `Rule`), `policytest` (authors' policy tests with coverage).

May import: compile, loader, language, diagnostics.
"""
