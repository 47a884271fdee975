"""The API's contract beyond the OpenAPI document: the docs page works offline."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from admission.api import app as app_module
from test_api_kit import running_api
from test_api_serve import serving
from test_review_browser import CHROMIUM, FLAGS, ROOT


def test_docs_page_uses_only_vendored_assets(tmp_path):
    assert app_module.STATIC_DIR.parent == Path(app_module.__file__).parent
    with running_api(tmp_path, "sqlite") as api:
        page = api.client.get("/v1/docs")
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        html = page.text
        assert not re.search(r"https?://", html), "the docs page must not load anything from another host"
        assets = re.findall(r'(?:src|href)="([^"]+)"', html)
        assert "/v1/static/swagger/swagger-ui-bundle.js" in assets
        assert "/v1/static/swagger/swagger-ui.css" in assets
        assert "'/v1/openapi.json'" in html or '"/v1/openapi.json"' in html
        for asset in assets:
            if asset.startswith("data:"):
                continue
            r = api.client.get(asset)
            assert r.status_code == 200 and len(r.content) > 1000, asset
        assert api.client.get("/v1/static/swagger/swagger-ui-bundle.js").headers["content-type"].startswith(
            ("application/javascript", "text/javascript"))
        for path in ("/", "/docs"):
            r = api.client.get(path, follow_redirects=False)
            assert r.status_code in (307, 308) and r.headers["location"] == "/v1/docs", path
        assert api.client.get("/v1/static/../app.py").status_code == 404
        assert api.client.get("/v1/static/swagger/missing.js").status_code == 404
        paths = api.client.get("/v1/openapi.json").json()["paths"]
        assert not any(p in paths for p in ("/", "/docs", "/v1/docs")) and not any(p.startswith("/v1/static") for p in paths)


@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium is installed by scripts/setup")
def test_docs_page_renders_offline_in_a_real_browser(tmp_path):
    from playwright.sync_api import sync_playwright

    with serving(ROOT / "policies", f"sqlite:///{tmp_path / 'docs.db'}", tmp_path) as base:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
            page = browser.new_page()
            blocked = []

            def route(r):
                if r.request.url.startswith(base) or r.request.url.startswith("data:"):
                    r.continue_()
                else:
                    blocked.append(r.request.url)
                    r.abort()

            page.route("**/*", route)
            page.goto(f"{base}/docs")
            assert page.url == f"{base}/v1/docs"
            page.wait_for_selector(".swagger-ui .opblock", timeout=20_000)
            assert "准入合规接口" in page.text_content(".swagger-ui .info .title")
            assert page.locator(".swagger-ui .opblock").count() >= 25
            browser.close()
        assert blocked == []  # nothing from the internet


def test_the_examples_of_the_openapi_document_name_ids_of_the_bundled_policies():
    """The examples say they come from the bundled policies/; they must exist there and answer."""
    from admission.api.schemas import ExerciseQuestion, Question
    from admission.evaluate.decide import Decider
    from admission.compile.index import build_index
    from admission.loader import LoadOptions, load_policy

    policy = load_policy(ROOT / "policies", LoadOptions(workers=1))
    decider = Decider(build_index(policy))
    for model in (Question, ExerciseQuestion):
        schema = model.model_json_schema()
        assert "policies/" in schema["description"]
        for example in schema["examples"]:
            ids = [example[k] for k in ("actor", "unit", "matter", "target") if k in example]
            assert all(i in policy.units or i in policy.matters for i in ids), (model.__name__, example)
            q = model.model_validate(example)
            on = dt.date.fromisoformat(example.get("on", "2026-11-23"))
            dec = (decider.decide(q.actor, q.matter, q.target, on) if model is Question
                   else decider.may_exercise(q.unit, q.matter, on))
            assert dec.outcome.value != "error", dec
