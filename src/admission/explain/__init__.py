"""Explain results to people and tools: `report` (text, JSON and SARIF writers for diagnostics and
findings), `diff` (what a policy change does: findings added or removed, matters gained, lost or
moved per unit).

May import: evaluate, compile, loader, language, diagnostics.
"""
