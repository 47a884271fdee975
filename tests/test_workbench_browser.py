"""The reviewers' workbench (issue 14) in Debian's Chromium, driven by Playwright, against a live
`admission serve` on the bundled policies (plus one file of assignments that push returned
matters down, so that there are findings to open), on SQLite and on PostgreSQL: sign-in per
role, browsing to 永安镇's 340 entries, a finding's fix and YAML, a graph node that navigates,
the five-step admission flow through the dossier with the audit chain verified, refusals with
their reasons, cross-county 404s like missing ones, CSRF, and axe-core."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from flowkit import make_db_url
from test_api_serve import ADMISSION, serving
from test_review_browser import CHROMIUM, FLAGS, ROOT
TODAY = "2026-11-23"
YONGAN, SHIZHONG, XUECHENG = "370402101", "370402", "370403"


def push_returned_matters(root: Path) -> dict[str, str]:
    """Write assignments that push a returned matter back down to 永安镇 and to a 薛城区 township;
    return township -> matter."""
    from admission.compile.expand import township_entries
    from admission.loader import LoadOptions, validate_tree

    policy = validate_tree(root, LoadOptions()).policy
    other = next(u for u, x in policy.units.items() if x.parent == XUECHENG and x.kind.value == "township")
    pushed, lines = {}, ["assignments:"]
    for i, town in enumerate((YONGAN, other)):
        e = township_entries(policy, town).returned[0]
        pushed[town] = e.matter
        lines.append(f'  - {{id: A-WEB-{i}, by: "{e.taken_by[0]}", to: "{town}", matter: {e.matter}, date: 2026-11-02}}')
    (root / "zaozhuang" / "web-dispatch.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return pushed


def serious(axe_results) -> list[str]:
    return [f"{v['id']}: {v['help']} at {[n['target'] for n in v['nodes']][:3]}" for v in axe_results.response["violations"]
            if v.get("impact") in ("serious", "critical")]


@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium is installed by scripts/setup")
@pytest.mark.parametrize("db", ["sqlite", "postgresql"])
def test_the_workbench_in_a_real_browser(tmp_path, db):
    from axe_playwright_python.sync_playwright import Axe
    from playwright.sync_api import sync_playwright

    root = tmp_path / "policies"
    shutil.copytree(ROOT / "policies", root)
    pushed = push_returned_matters(root)
    url = make_db_url(db, tmp_path)
    made = subprocess.run([ADMISSION, "demo", "-p", str(root), "--db", url, "--on", TODAY, "--json"],
                          capture_output=True, text=True, check=True, cwd=tmp_path)
    demo = json.loads(made.stdout)["demo"]
    tokens = {t["role"]: t["token"] for t in demo["tokens"]}
    fresh = demo["applications"][0]["id"]
    assert demo["applications"][0]["state"] == "consulting"
    axe = Axe()
    env = {**os.environ, "ADMISSION_TODAY": TODAY}
    with serving(root, url, tmp_path, env) as base, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        external: list[str] = []

        def signed_in(role: str):
            ctx = browser.new_context(viewport={"width": 1366, "height": 768})
            page = ctx.new_page()
            page.on("request", lambda req: external.append(req.url) if not req.url.startswith(base) else None)
            page.goto(f"{base}/review")
            assert "/review/login" in page.url
            if role == "reviewer":
                assert serious(axe.run(page)) == []
            page.fill("#token", tokens[role])
            page.click("form.login button[type=submit]")
            assert "/review/login" not in page.url, page.content()[:500]
            return page

        # --- the reviewer browses from the county to 永安镇
        rv = signed_in("reviewer")
        assert rv.url.endswith(f"/review/unit/{SHIZHONG}")
        assert serious(axe.run(rv)) == []
        rv.click(f"a[href='/review/unit/{YONGAN}']")
        assert rv.url.endswith(f"/review/unit/{YONGAN}")
        counts = {k: rv.text_content(f"#count-{k}") for k in ("total", "basic", "cooperative", "returned")}
        assert counts == {"total": "340", "basic": "117", "cooperative": "99", "returned": "124"}
        assert serious(axe.run(rv)) == []
        rv.emulate_media(media="print")  # printed: the lists without the page's navigation and forms
        assert not rv.is_visible("header.top") and rv.is_visible("#table-returned")
        rv.emulate_media(media="screen")
        # an entry's YAML lines, relative to the policy root, with the span highlighted
        with rv.expect_navigation():
            rv.locator("#table-basic a.src").first.click()
        assert "/review/source?file=zaozhuang/" in rv.url and rv.locator(".ln.hit").count() >= 1
        assert str(root) not in rv.content()

        # --- a graph node navigates: the county's graph, then its 永安镇 node
        rv.goto(f"{base}/review/graph/county/{SHIZHONG}")
        node = rv.locator(f"svg a[*|href*='/review/unit/{YONGAN}']").first
        with rv.expect_navigation():
            node.click()
        assert f"/review/unit/{YONGAN}" in rv.url and rv.text_content("#count-total") == "340"

        # --- findings in context: only this county's, each with its fix and YAML
        rv.goto(f"{base}/review/findings")
        rows = rv.locator("#findings tr.finding")
        assert rows.count() >= 1
        assert pushed[YONGAN] in rv.content() or "永安镇" in rv.text_content("#findings")
        assert all("薛城" not in rows.nth(i).text_content() for i in range(rows.count()))
        assert serious(axe.run(rv)) == []
        with rv.expect_navigation():
            rows.first.locator("td:nth-child(2) a").click()
        fix = rv.text_content("p.fix")
        assert fix and fix.strip() not in ("", "—")
        assert "web-dispatch.yaml" in rv.content() and rv.locator("figure.yaml .ln.hit").count() >= 1
        assert serious(axe.run(rv)) == []
        # cross-county pages answer exactly as missing ones
        missing = rv.request.get(f"{base}/review/unit/NOPE")
        hidden = rv.request.get(f"{base}/review/unit/{XUECHENG}")
        assert missing.status == hidden.status == 404
        assert hidden.text() == missing.text() and "不在您的查看范围内" in missing.text()
        other_town = next(t for t in pushed if t != YONGAN)
        assert rv.request.get(f"{base}/review/unit/{other_town}").text() == missing.text()
        assert rv.request.get(f"{base}/review/applications/WF-NOPE").status == 404

        # --- the five steps, seen in the dossier: opinion, review, approve, enter
        town = signed_in("township")
        town.goto(f"{base}/review/tasks")
        assert fresh in town.text_content("#h-wait + table")
        assert serious(axe.run(town)) == []
        town.goto(f"{base}/review/applications/{fresh}")
        # the township cannot review: the form says why, and posting it is refused with the reason
        assert "不能办理" in town.text_content("#why-review")
        town.locator("form[data-action=review] input[name=person]").fill("王镇长")
        town.locator("form[data-action=review] button").click()
        assert "令牌角色 township 不能办理 review" in town.text_content("#refused")
        town.locator("form[aria-label^='给出意见'] #op-person").fill("王镇长")
        town.locator("form[aria-label^='给出意见'] button").click()
        assert "永安镇" in town.text_content("#opinions") and "同意" in town.text_content("#opinions")

        def act(page, action: str, person: str, **fields):
            page.goto(f"{base}/review/applications/{fresh}")
            form = page.locator(f"form[data-action={action}]")
            for name, value in fields.items():
                form.locator(f"[name={name}]").fill(value)
            form.locator("input[name=person]").fill(person)
            with page.expect_navigation():
                form.locator("button").click()
            assert page.locator("#refused").count() == 0, page.text_content("#refused")
            assert page.text_content("#done").strip().endswith(action)

        act(rv, "review", "赵审核")
        ap = signed_in("approver")
        act(ap, "approve", "钱书记", document="市中政字〔2026〕9号", meeting="区政府第12次常务会议")
        act(ap, "enter", "钱书记", effective=TODAY)
        assert ap.text_content("#state") == "entered"
        steps = [ap.locator("#history tr").nth(i).get_attribute("data-action")
                 for i in range(1, ap.locator("#history tr").count())]
        assert steps == ["apply", "opinion", "review", "approve", "enter"]
        assert ap.text_content("#chain").startswith("审计链完整")
        ap.emulate_media(media="print")
        assert not ap.is_visible("section.actions") and ap.is_visible("#history")
        ap.emulate_media(media="screen")
        assert serious(axe.run(ap)) == []
        # the admission entered shows on 永安镇's page
        ap.goto(f"{base}/review/unit/{YONGAN}")
        assert fresh in ap.text_content("#h-adm + table")

        # --- a form posted without its CSRF token is refused
        r = rv.request.post(f"{base}/review/applications/{fresh}/act",
                            form={"action": "exit", "person": "赵审核", "reason": "x", "version": "9"})
        assert r.status == 403 and "CSRF" in r.text()
        rv.goto(f"{base}/review/applications/{fresh}")
        assert rv.text_content("#state") == "entered"  # nothing happened
        browser.close()
    assert external == []  # nothing from the internet
