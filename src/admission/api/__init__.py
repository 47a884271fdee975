"""The compliance API (FastAPI): decisions, duties, owners, matters, findings, the admission
workflow, the change feed, the loaded policy, decision logs; bearer tokens and roles; every
error as RFC 9457 problem+json; and the reviewers' workbench (`api/web/`, server-rendered pages
under `/review`).  `create_app` is the factory uvicorn calls in each worker.

May import: render, sheets, synth, flow, scale and everything below them (not cli).
"""

from __future__ import annotations


def create_app(settings=None):
    from .app import create_app as _create

    return _create(settings)


__all__ = ["create_app"]
