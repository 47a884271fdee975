"""The workbench's pages through the ASGI app (the browser walk is tests/test_workbench_browser.py):
sign-in and its CSRF, sign-out, the scope of each role, exports of the filtered findings, search
by pinyin initials, the diff of the YAML on disk against the revision in service, and a post that
the API's body rules would have refused as not JSON."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest

from test_api_kit import TOWN, running_api

DAY = "2025-03-03"


@pytest.fixture
def api(tmp_path):
    with running_api(tmp_path, "sqlite") as a:
        yield a


def sign_in(client, token: str):
    page = client.get("/review/login")
    nonce = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    return client.post("/review/login", data={"csrf": nonce, "token": token, "next": "/review"}, follow_redirects=False)


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf" value="([0-9a-f]+)"', html).group(1)


def push_down(api) -> None:
    (api.root / "dispatch.yaml").write_text(
        "assignments:\n  - {id: A-STREET, by: D-MZ, to: \"370402002\", matter: M-WXZJ, date: 2025-03-01}\n",
        encoding="utf-8")
    assert api.post("/v1/policy/reload", who="operator").json()["changed"] is True


def test_sign_in_sets_a_strict_http_only_cookie_and_refuses_what_it_should(api):
    c = api.client
    assert c.get("/review", follow_redirects=False).headers["location"].startswith("/review/login")
    page = c.get("/review/login")
    nonce = csrf_of_login = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    bad = c.post("/review/login", data={"csrf": nonce, "token": "adm_nope"})
    assert bad.status_code == 401 and "令牌无效" in bad.text
    forged = c.post("/review/login", data={"csrf": "x" + csrf_of_login, "token": api.tokens["bb"]})
    assert forged.status_code == 403 and "CSRF" in forged.text
    ok = sign_in(c, api.tokens["bb"])
    cookie = ok.headers["set-cookie"].lower()
    assert ok.status_code == 303 and "httponly" in cookie and "samesite=strict" in cookie
    home = c.get("/review")
    assert home.status_code == 200 and "编办" in home.text or "市中区" in home.text
    # an open redirect is not followed: `next` must stay inside the workbench
    assert sign_in(c, api.tokens["bb"]).headers["location"] == "/review"
    # sign-out needs the form's token too
    assert c.post("/review/logout", data={}).status_code == 403
    out = c.post("/review/logout", data={"csrf": csrf_of(home.text)}, follow_redirects=False)
    assert out.status_code == 303 and c.get("/review", follow_redirects=False).status_code == 303


def test_each_role_sees_its_county_and_nothing_else(api):
    c = api.client
    sign_in(c, api.tokens["other_admin"])  # 薛城区's admin
    for path, nope in ((f"/review/unit/{TOWN}", "/review/unit/NOPE"), ("/review/unit/370402", "/review/unit/NOPE"),
                       (f"/review/graph/unit/{TOWN}", "/review/graph/unit/NOPE")):
        r, missing = c.get(path), c.get(nope)
        assert (r.status_code, r.text) == (404, missing.text), path
    sign_in(c, api.tokens["town"])  # 永安镇 sees its county
    assert c.get(f"/review/unit/{TOWN}").status_code == 200
    assert c.get("/review/unit/370403").text == c.get("/review/unit/NOPE").text
    sign_in(c, api.tokens["operator"])  # everything
    assert c.get("/review/unit/370403").status_code == 200


def test_findings_filter_and_export_as_csv_excel_and_sarif(api):
    push_down(api)
    c = api.client
    sign_in(c, api.tokens["bb"])
    page = c.get(f"/review/findings?on={DAY}&county=370402")
    assert page.status_code == 200 and "dispatch.yaml" in page.text
    n = int(re.search(r'id="count">(\d+)<', page.text).group(1))
    assert n >= 1
    assert int(re.search(r'id="count">(\d+)<', c.get(f"/review/findings?on={DAY}&severity=info").text).group(1)) <= n
    rows = list(csv.reader(io.StringIO(c.get(f"/review/findings.csv?on={DAY}&county=370402").text.lstrip("\ufeff"))))
    assert rows[0][1].startswith("规则") and len(rows) == n + 1 and rows[1][6].startswith("dispatch.yaml:")
    sarif = json.loads(c.get(f"/review/findings.sarif?on={DAY}&county=370402").text)
    assert len(sarif["runs"][0]["results"]) == n
    xlsx = c.get(f"/review/findings.xlsx?on={DAY}&county=370402")
    from openpyxl import load_workbook

    ws = load_workbook(io.BytesIO(xlsx.content)).active
    assert ws.max_row == n + 1
    # the finding's page: its title, fix and YAML
    link = re.search(r'href="(/review/findings/[0-9a-f]{12}\?on=[0-9-]+)"', page.text).group(1)
    one = c.get(link)
    assert one.status_code == 200 and "修改建议" in one.text and 'class="ln hit"' in one.text
    basis = one.text.split("依据 legal basis", 1)[1].split("</dd>", 1)[0]
    assert "/review/matter/M-WXZJ" in basis  # the assignment's matter and the basis that sets it
    assert str(api.root) not in one.text
    sign_in(c, api.tokens["other_admin"])
    assert c.get(link).status_code == 404  # another county's finding is missing there


def test_search_by_name_code_and_pinyin_initials(api):
    c = api.client
    sign_in(c, api.tokens["bb"])
    by_name = c.get("/review/search?q=永安").text
    assert f"/review/unit/{TOWN}" in by_name
    assert f"/review/unit/{TOWN}" in c.get("/review/search?q=yaz").text  # 永安镇 → y a z
    assert "/review/matter/M-WXZJ" in c.get("/review/search?q=M-WXZJ").text


def test_the_diff_page_shows_what_the_yaml_on_disk_changes(api):
    c = api.client
    sign_in(c, api.tokens["admin"])
    (api.root / "dispatch.yaml").write_text(
        "assignments:\n  - {id: A-STREET, by: D-MZ, to: \"370402002\", matter: M-WXZJ, date: 2025-03-01}\n",
        encoding="utf-8")
    page = c.get(f"/review/diff?on={DAY}&show=run")
    assert page.status_code == 200 and 'id="summary"' in page.text
    assert re.search(r"新增问题 findings added（[1-9]", page.text)
    back = c.get(f"/review/diff?on={DAY}&show=run&old=disk&new=service")  # the other way round
    assert re.search(r"消除问题 findings removed（[1-9]", back.text) and re.search(r"新增问题 findings added（0", back.text)
    assert c.get("/review/diff?old=no-such-revision").status_code == 404


def test_a_form_post_without_json_reaches_the_workbench_and_csrf_refuses_it(api):
    c = api.client
    sign_in(c, api.tokens["bb"])
    r = c.post("/review/applications/WF-1/act", data={"action": "review", "version": "1", "person": "x"})
    assert r.status_code == 403 and "CSRF" in r.text
    # the API keeps refusing forms
    assert c.post("/v1/decisions", data={"a": "b"}, headers=api.h("reader")).status_code == 415


def test_demo_needs_a_reviewing_office_and_says_so(tmp_path):
    """Without the bundled 编办's `flow_roles: [reviewer]` the example cannot show the review
    workflow: `admission demo` refuses, naming what is missing (issue 14)."""
    import shutil

    from typer.testing import CliRunner

    from admission.cli.main import app
    from flowkit import ROOT

    root = tmp_path / "policies"
    shutil.copytree(ROOT / "policies", root)
    units = root / "zaozhuang" / "shizhong.yaml"
    units.write_text(units.read_text(encoding="utf-8").replace(", flow_roles: [reviewer]", ""), encoding="utf-8")
    res = CliRunner().invoke(app, ["demo", "-p", str(root), "--db", f"sqlite:///{tmp_path / 'd.db'}", "--on", DAY])
    assert res.exit_code == 1 and "flow_roles: [reviewer]" in res.output


def test_actions_go_through_the_service_with_the_pages_version_and_say_why_they_are_refused(api):
    aid = api.apply()["id"]
    c = api.client
    sign_in(c, api.tokens["town"])
    page = c.get(f"/review/applications/{aid}")
    version = re.search(r'name="version" value="(\d+)"', page.text).group(1)
    token = csrf_of(page.text)
    wrong = c.post(f"/review/applications/{aid}/act",
                   data={"csrf": token, "version": version, "action": "review", "person": "王镇长"})
    assert wrong.status_code == 403 and "令牌角色 township 不能办理 review" in wrong.text
    stale = c.post(f"/review/applications/{aid}/act", data={"csrf": token, "version": str(int(version) + 5),
                                                             "action": "opinion", "stance": "agree", "person": "王镇长"})
    assert stale.status_code == 412 and "未能办理" in stale.text  # If-Match: the page was drawn from an older version
    done = c.post(f"/review/applications/{aid}/act", data={"csrf": token, "version": version, "action": "opinion",
                                                            "stance": "agree", "person": "王镇长"},
                  follow_redirects=False)
    assert done.status_code == 303
    opinions = api.get(f"/v1/applications/{aid}/opinions", who="admin").json()
    assert [(o["unit"], o["stance"], o["person"]) for o in opinions] == [(TOWN, "agree", "王镇长")]
    # the same application is missing for another county's admin, exactly as a missing one is
    sign_in(c, api.tokens["other_admin"])
    assert c.get(f"/review/applications/{aid}").text == c.get("/review/applications/WF-NOPE").text


def test_the_reviewer_answers_a_dissent_from_the_dossier(api):
    aid = api.apply()["id"]
    r = api.post(f"/v1/applications/{aid}/opinions", {"stance": "dissent", "text": "人手不足"}, who="town", person="王镇长")
    assert r.status_code == 201, r.text
    c = api.client
    sign_in(c, api.tokens["bb"])
    page = c.get(f"/review/applications/{aid}")
    assert '<form method="post" action="/review/applications/' + aid + '/act" aria-label="答复不同意见 answer"' in page.text
    version = re.search(r'name="version" value="(\d+)"', page.text).group(1)
    done = c.post(f"/review/applications/{aid}/act", follow_redirects=False,
                  data={"csrf": csrf_of(page.text), "version": version, "action": "answer", "township": TOWN,
                        "text": "已协调区财政局随事拨付经费", "person": "编办-王五"})
    assert done.status_code == 303
    answered = api.get(f"/v1/applications/{aid}/opinions", who="admin").json()
    assert [(o["answer"], o["answered_by"]) for o in answered] == [("已协调区财政局随事拨付经费", "编办-王五")]
    assert 'aria-label="答复不同意见 answer"' not in c.get(f"/review/applications/{aid}").text  # answered once


def test_a_villages_page_shows_its_published_counts_beside_its_lists(api):
    """Township and village pages are built alike: a village list's `published` totals show too."""
    (api.root / "published.yaml").write_text(
        "units:\n  - {id: \"370402101202\", name: 东村, kind: village, form: village, parent: \"370402101\"}\n"
        "village_lists:\n  - {village: \"370402101202\", duties: [M-DJ], published: {duties: {total: 2}}}\n",
        encoding="utf-8")
    assert api.post("/v1/policy/reload", who="operator").json()["changed"] is True
    sign_in(api.client, api.tokens["operator"])
    page = api.client.get("/review/unit/370402101202")
    assert page.status_code == 200, page.text[:300]
    assert "（公布 2）" in page.text
