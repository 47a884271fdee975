"""The graph routes through HTTP, and the reviewers' page in a real headless Chromium (Debian's
/usr/bin/chromium driven by Playwright) against a live `admission serve`: load, filter, click
through to a graph, save a screenshot."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from test_api_kit import TOWN, is_problem, running_api
from test_api_serve import serving

from admission.store.db import make_engine, migrate

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
        # the page: a token in the query becomes an HttpOnly cookie, then the page is served
        r = api.client.get(f"/review?token={api.tokens['reader']}", follow_redirects=False)
        assert r.status_code == 303 and "httponly" in r.headers["set-cookie"].lower()
        api.client.cookies.set("admission_token", api.tokens["reader"])
        page = api.client.get("/review")
        assert page.status_code == 200 and "审查" in page.text and "http" not in page.text.split("<body>")[0]


@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium is installed by scripts/setup")
def test_review_page_in_a_real_browser(tmp_path):
    from playwright.sync_api import sync_playwright

    from admission.api.auth import create_token

    root = tmp_path / "policy"
    shutil.copytree(ROOT / "examples" / "violations", root)
    shutil.copytree(ROOT / "policies" / "flows", root / "flows")
    url = f"sqlite:///{tmp_path / 'wf.db'}"
    engine = make_engine(url)
    migrate(engine)
    token = create_token(engine, unit="370405", role="reader")[1]
    engine.dispose()
    env = {**os.environ, "ADMISSION_TODAY": "2026-11-23"}
    with serving(root, url, tmp_path, env) as base:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
            page = browser.new_page()
            external = []
            page.on("request", lambda req: external.append(req.url) if not req.url.startswith(base) else None)
            page.goto(f"{base}/review?token={token}")
            assert page.url == f"{base}/review"  # the token left the address bar
            total = int(page.text_content("#count"))
            assert total == 41  # every rule fires once in examples/violations
            page.select_option("#rule", "pushdown-unlisted")
            assert page.text_content("#count") == "1"
            visible = page.locator("#findings tr.finding:visible")
            assert visible.count() == 1 and "A-UNLISTED" in visible.first.text_content()
            page.select_option("#rule", "")
            page.select_option("#county", "370405")
            assert 0 < int(page.text_content("#count")) <= total
            first_town = page.locator("#township option").nth(1).get_attribute("value")
            page.select_option("#township", first_town)
            assert 0 < int(page.text_content("#count")) < total
            page.select_option("#township", "")
            page.screenshot(path=str(tmp_path / "review.png"), full_page=True)
            page.select_option("#county", "")
            page.select_option("#rule", "pushdown-unlisted")
            with page.expect_navigation():
                visible.first.locator("a.graph").click()
            assert "/v1/graphs/unit/" in page.url
            content = page.content()
            assert "<svg" in content and "pushdown-unlisted" in content  # the finding is marked in the graph
            page.screenshot(path=str(tmp_path / "graph.png"))
            browser.close()
        assert external == []  # nothing from the internet
        assert (tmp_path / "review.png").stat().st_size > 10_000
