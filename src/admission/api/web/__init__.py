"""The reviewers' workbench under `/review`: server-rendered pages (Jinja2 templates in
`templates/`, one stylesheet and one small script in `static/`, nothing from the internet) on the
API app.  It signs in with a token kept in a cookie, shows only what the API would show the same
token, and acts on applications through the same workflow service the API calls.

Part of `api` (it needs the API's tokens, visibility and state); may import what api may.
"""

from __future__ import annotations

from pathlib import Path


def install(app) -> None:
    from fastapi.staticfiles import StaticFiles

    from . import changes, findings, pages, tasks
    from .session import PREFIX, install_handlers

    install_handlers(app)
    app.mount(f"{PREFIX}/static", StaticFiles(directory=Path(__file__).parent / "static"), name="web-static")
    for module in (pages, findings, tasks, changes):
        app.include_router(module.router)
