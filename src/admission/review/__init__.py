"""The reviewers' HTML pages served by the API: findings and applications for a county office.

May import: render, sheets, flow, scale, explain, evaluate, compile, loader, language, store,
diagnostics (not api or cli).
"""
