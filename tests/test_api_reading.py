"""One paging scheme (`after`/`limit` → `next_after`), one name for rule ids (`rule`), the old
names kept for one release with Deprecation headers, and conditional GET (ETag, 304) on reads
that depend only on the policy revision, the admissions in force and the day."""

from __future__ import annotations

import pytest

from test_api_kit import TOWN, is_problem, running_api


@pytest.fixture()
def api(tmp_path):
    with running_api(tmp_path, "sqlite") as api:
        (api.root / "dispatch.yaml").write_text(  # two findings to page through
            "assignments:\n"
            "  - {id: A-STREET, by: D-MZ, to: \"370402002\", matter: M-WXZJ, date: 2025-03-01}\n"
            "  - {id: A-VILLAGE, by: D-ZJ, to: \"370402101201\", matter: M-CJ, date: 2025-03-01}\n", encoding="utf-8")
        assert api.post("/v1/policy/reload", who="operator").json()["changed"] is True
        yield api


def _all(api, path, who="reader", limit=1):
    seen, after, pages = [], 0, 0
    while after is not None:
        body = api.get(f"{path}{'&' if '?' in path else '?'}after={after}&limit={limit}", who=who).json()
        assert body["after"] == after and body["limit"] == limit and len(body["items"]) <= limit
        seen += body["items"]
        after, pages = body["next_after"], pages + 1
        assert pages < 1000
    return seen, body["total"]


@pytest.mark.parametrize("path", ["/v1/matters", "/v1/findings?on=2025-03-10"])
def test_snapshot_lists_page_with_after_and_next_after_until_null(api, path):
    seen, total = _all(api, path)
    assert len(seen) == total >= 2
    whole = api.get(f"{path}{'&' if '?' in path else '?'}limit=1000", who="reader").json()
    assert whole["next_after"] is None and whole["items"] == seen
    assert "deprecation" not in api.get(path, who="reader").headers


def test_applications_page_the_same_way(api):
    for _ in range(3):
        api.apply()
    seen, total = _all(api, "/v1/applications", who="tj")
    assert total == len(seen) == 3 and len({a["id"] for a in seen}) == 3


def test_offset_still_works_for_one_release_and_says_it_is_deprecated(api):
    new = api.get("/v1/matters?after=1&limit=2", who="reader")
    old = api.get("/v1/matters?offset=1&limit=2", who="reader")
    assert old.status_code == 200 and old.json()["items"] == new.json()["items"]
    assert old.headers["deprecation"].startswith("@") and "sunset" in old.headers
    assert 'rel="deprecation"' in old.headers["link"] and old.headers["x-deprecated"] == "offset -> after"
    is_problem(api.get("/v1/matters?offset=1&after=2", who="reader"), 422, "conflicting-parameters")


def test_findings_carry_rule_the_name_they_are_filtered_by(api):
    items = api.get("/v1/findings?on=2025-03-10&limit=1000", who="reader").json()["items"]
    assert items and all(f["rule"] == f["code"] for f in items)
    rule = items[0]["rule"]
    picked = api.get(f"/v1/findings?on=2025-03-10&rule={rule}&limit=1000", who="reader").json()["items"]
    assert picked and {f["rule"] for f in picked} == {rule}


def test_decision_logs_are_filtered_by_rule_and_the_old_code_is_an_alias(tmp_path):
    with running_api(tmp_path, "sqlite", decision_log="sync") as api:
        api.decide()  # pushdown-unlisted: the department has no admission yet
        api.decide(actor="D-ZJ", matter="M-WXZJ")
        by_rule = api.get("/v1/decision-logs?rule=pushdown-unlisted", who="operator")
        by_code = api.get("/v1/decision-logs?code=pushdown-unlisted", who="operator")
        assert by_rule.status_code == by_code.status_code == 200
        assert [e["seq"] for e in by_rule.json()["items"]] == [e["seq"] for e in by_code.json()["items"]]
        assert len(by_rule.json()["items"]) == 1
        assert "deprecation" not in by_rule.headers and by_code.headers["x-deprecated"] == "code -> rule"


def test_the_change_feed_takes_after_and_keeps_since_as_an_alias(api):
    aid = api.apply()["id"]
    api.enter(aid)
    feed = api.get("/v1/changes?after=0", who="reader").json()
    assert feed["items"] and feed["next_after"] == feed["next_since"] == feed["items"][-1]["seq"]
    old = api.get("/v1/changes?since=0", who="reader")
    assert old.json()["items"] == feed["items"] and old.headers["x-deprecated"] == "since -> after"
    assert api.get(f"/v1/changes?after={feed['next_after']}", who="reader").json()["items"] == []


@pytest.mark.parametrize("path", ["/v1/policy", "/v1/matters?q=人口", f"/v1/units/{TOWN}/duties?on=2025-03-10",
                                  f"/v1/owners?matter=M-RKPC&unit={TOWN}", "/v1/findings"])
def test_reads_that_depend_only_on_the_revision_answer_304(api, path):
    first = api.get(path, who="reader")
    tag = first.headers["etag"]
    assert first.status_code == 200 and tag.startswith('W/"')
    again = api.get(path, who="reader", headers={"If-None-Match": tag})
    assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == tag
    strong = api.get(path, who="reader", headers={"If-None-Match": f'"other", {tag[2:]}'})  # weak comparison
    assert strong.status_code == 304
    assert api.get(path, who="reader", headers={"If-None-Match": '"other"'}).status_code == 200
    # an admission entering changes what these reads may answer: the tag changes
    aid = api.apply()["id"]
    api.enter(aid)
    changed = api.get(path, who="reader", headers={"If-None-Match": tag})
    assert changed.status_code == 200 and changed.headers["etag"] != tag


def test_a_304_still_needs_a_token(api):
    tag = api.get("/v1/policy", who="reader").headers["etag"]
    is_problem(api.client.get("/v1/policy", headers={"If-None-Match": tag}), 401)
