"""The graph routes through HTTP, and how the browser tests start Debian's Chromium (the workbench
in a real browser is tests/test_workbench_browser.py)."""

from __future__ import annotations

from pathlib import Path

from test_api_kit import TOWN, is_problem, running_api

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def test_graph_routes_serve_svg_and_refuse_cleanly(tmp_path):
    with running_api(tmp_path, "sqlite") as api:
        for path in (f"/v1/graphs/unit/{TOWN}", "/v1/graphs/county/370402", "/v1/graphs/department/D-ZJ",
                     "/v1/graphs/matter/M-WXZJ", "/v1/graphs/flow/admission", f"/v1/graphs/unit/{TOWN}?expanded=true"):
            r = api.get(path, who="reader")
            assert r.status_code == 200, (path, r.text)
            assert r.headers["content-type"].startswith("image/svg+xml") and b"<svg" in r.content
        assert "永安镇".encode() in api.get(f"/v1/graphs/unit/{TOWN}", who="reader").content
        is_problem(api.client.get(f"/v1/graphs/unit/{TOWN}"), 401)
        is_problem(api.get("/v1/graphs/unit/NOPE", who="reader"), 404)
        is_problem(api.get("/v1/graphs/county/" + TOWN, who="reader"), 404)  # a township is not a county
        assert api.get("/v1/graphs/galaxy/x", who="reader").status_code == 422
        # a browser signed in to the workbench reaches the SVG routes with its cookie alone
        api.client.cookies.set("admission_token", api.tokens["reader"])
        r = api.client.get(f"/v1/graphs/unit/{TOWN}")
        assert r.status_code == 200 and b"<svg" in r.content
