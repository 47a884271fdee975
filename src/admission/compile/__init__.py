"""Compile a loaded policy for evaluation: `expand` (templates applied, entries with their day
numbers), `index` (attribution, counties, assignable entries and standing per unit and matter),
`graph` (the networkx responsibility graph with typed edges and spans).

May import: language, diagnostics.
"""
