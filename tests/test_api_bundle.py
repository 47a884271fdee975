"""The API serving a compiled bundle (`admission serve --bundle`, `ADMISSION_BUNDLE`) answers
exactly as the API serving the YAML directory it was built from: decisions, owners, duties,
findings, the policy revision; the bundle is read from the database it was published to (so
every replica serves the same revision), the workflow runs on it, and a newly published
revision is picked up by a reload."""

from __future__ import annotations

import itertools
import shutil

import pytest
from test_api_kit import COUNTY, D_TJ, STREET, TOWN, VILLAGE, running_api

from admission.scale.bundle import build_bundle, publish
from admission.loader import LoadOptions

ACTORS = [D_TJ, "D-ZJ", "D-SCJG", "D-MZ", COUNTY, TOWN, "370403"]
MATTERS = ["M-WXZJ", "M-DJ", "M-DB", "M-TZSB", "M-WZJY", "M-CJ", "M-RKPC"]
TARGETS = [TOWN, STREET, VILLAGE]
DAYS = ["2025-01-01", "2025-03-03", "2025-03-10", "2026-11-23"]


def _without_ids(body: dict) -> dict:
    body = dict(body)
    body.pop("batch_id", None)
    body["results"] = [{k: v for k, v in r.items() if k != "decision_id"} for r in body["results"]]
    return body


def _answers(api) -> dict:
    questions = [{"actor": a, "matter": m, "target": t, "on": d}
                 for a, m, t, d in itertools.product(ACTORS, MATTERS, TARGETS, DAYS)]
    exercise = [{"unit": u, "matter": m, "on": d} for u, m, d in itertools.product(TARGETS, MATTERS, DAYS)]
    out = {
        "decisions": _without_ids(api.post("/v1/decisions", {"questions": questions}, who="reader").json()),
        "exercise": _without_ids(api.post("/v1/exercise-checks", {"questions": exercise}, who="reader").json()),
        "findings": api.get("/v1/findings?on=2025-03-03", who="reader").json(),
        "duties": [api.get(f"/v1/units/{u}/duties?on=2025-03-03", who="reader").json() for u in TARGETS],
        "owners": [api.get(f"/v1/owners?matter={m}&unit={TOWN}", who="reader").json() for m in MATTERS],
    }
    policy = api.get("/v1/policy", who="reader").json()
    out["policy"] = {k: policy[k] for k in ("revision", "effective_revision", "counts")}
    return out


@pytest.fixture(params=["sqlite", "postgresql"])
def store_kind(request):
    return request.param


def test_the_api_answers_the_same_from_the_bundle_as_from_yaml(tmp_path, store_kind):
    with running_api(tmp_path / "yaml", store_kind) as yaml_api:
        expected = _answers(yaml_api)
        root = yaml_api.root
        built = build_bundle(root, tmp_path / "store", LoadOptions(workers=1))
        assert built.ok
        bundle_db = f"sqlite:///{tmp_path / 'bundle.db'}" if store_kind == "sqlite" else yaml_api.url
        publish(tmp_path / "store", bundle_db)
    assert expected["decisions"]["count"] == len(ACTORS) * len(MATTERS) * len(TARGETS) * len(DAYS)
    assert {r["outcome"] for r in expected["decisions"]["results"]} == {"allow", "deny"}

    moved = tmp_path / "elsewhere"  # the bundle carries the policy: the directory is not read
    shutil.move(str(root), moved)
    with running_api(tmp_path / "served", store_kind, bundle=bundle_db) as bundle_api:
        assert _answers(bundle_api) == expected

        # the workflow runs on the bundle's policy, and what it enters reaches the decisions
        assert bundle_api.decide()["reasons"][0]["code"] == "pushdown-unlisted"
        app = bundle_api.apply()
        bundle_api.enter(app["id"])
        assert bundle_api.decide()["outcome"] == "allow"


def _published(tmp_path):
    """The API tests' policy directory, built into a bundle and published to a SQLite file."""
    with running_api(tmp_path / "yaml", "sqlite") as yaml_api:
        root = yaml_api.root
    bundle_db = f"sqlite:///{tmp_path / 'bundle.db'}"
    assert build_bundle(root, tmp_path / "store", LoadOptions(workers=1)).ok
    return root, bundle_db, publish(tmp_path / "store", bundle_db)


def test_a_reload_picks_up_a_newly_published_revision(tmp_path):
    root, bundle_db, first = _published(tmp_path)
    with running_api(tmp_path / "served", "sqlite", bundle=bundle_db) as api:
        assert api.get("/v1/policy", who="reader").json()["revision"] == first["revision"]
        assert api.post("/v1/policy/reload", who="operator").json()["changed"] is False
        (root / "dispatch.yaml").write_text(
            "assignments:\n  - {id: A-STREET, by: D-MZ, to: \"370402002\", matter: M-WXZJ, date: 2025-03-01}\n",
            encoding="utf-8")
        assert build_bundle(root, tmp_path / "store", LoadOptions(workers=1)).ok
        second = publish(tmp_path / "store", bundle_db)
        assert second["revision"] != first["revision"]
        reloaded = api.post("/v1/policy/reload", who="operator").json()
        assert reloaded["changed"] is True and reloaded["revision"] == second["revision"]
        assert api.get("/v1/findings?on=2025-03-03", who="reader").json()["total"] > 0


def test_an_unreadable_bundle_keeps_the_revision_in_service(tmp_path):
    _root, bundle_db, first = _published(tmp_path)
    with running_api(tmp_path / "served", "sqlite", bundle=bundle_db) as api:
        (tmp_path / "bundle.db").unlink()  # gone: a reload must refuse and keep serving
        r = api.post("/v1/policy/reload", who="operator")
        assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json")
        assert r.json()["code"] == "policy-invalid"
        assert api.get("/v1/policy", who="reader").json()["revision"] == first["revision"]


def test_a_sharded_replica_answers_decisions_as_the_whole_policy_does(tmp_path):
    """`--sharded`: no shard is loaded at start; answers equal the YAML replica's; an admission
    entered through a full replica sharing the store reaches it; other paths answer 501."""
    with running_api(tmp_path / "yaml", "sqlite") as yaml_api:
        expected = _answers(yaml_api)
        root, store_url = yaml_api.root, yaml_api.url
    bundle_db = f"sqlite:///{tmp_path / 'bundle.db'}"
    assert build_bundle(root, tmp_path / "store", LoadOptions(workers=1)).ok
    publish(tmp_path / "store", bundle_db)
    with running_api(tmp_path / "sharded", "sqlite", bundle=bundle_db, sharded=True) as api:
        before = api.get("/v1/policy", who="reader").json()
        assert before["loaded_shards"] == [] and before["revision"] == expected["policy"]["revision"]
        questions = [{"actor": a, "matter": m, "target": t, "on": d}
                     for a, m, t, d in itertools.product(ACTORS, MATTERS, TARGETS, DAYS)]
        got = _without_ids(api.post("/v1/decisions", {"questions": questions}, who="reader").json())
        assert got == expected["decisions"]
        exercise = [{"unit": u, "matter": m, "on": d} for u, m, d in itertools.product(TARGETS, MATTERS, DAYS)]
        got = _without_ids(api.post("/v1/exercise-checks", {"questions": exercise}, who="reader").json())
        assert got == expected["exercise"]
        assert api.get("/v1/policy", who="reader").json()["loaded_shards"]  # built on the first questions
        single = api.post("/v1/decisions", {"actor": "D-NOPE", "matter": "M-DJ", "target": TOWN}, who="reader")
        assert single.status_code == 422 and single.json()["code"] == "unknown-id"

        for path in ("/v1/findings", f"/v1/units/{TOWN}/duties", "/v1/applications"):
            r = api.get(path, who="reader")
            assert r.status_code == 501 and r.headers["content-type"].startswith("application/problem+json")
            assert r.json()["code"] == "not-served-by-sharded-replica"

    # a full replica over the same store enters an admission; a sharded replica already running
    # over that store answers with it once it has read the change feed
    with running_api(tmp_path / "full", "sqlite", database_url=store_url) as full:
        with running_api(tmp_path / "sharded2", "sqlite", bundle=bundle_db, sharded=True,
                         database_url=store_url) as api:
            assert api.decide()["reasons"][0]["code"] == "pushdown-unlisted"
            app = full.apply()
            full.enter(app["id"])
            assert full.decide()["outcome"] == "allow"
            api.client.portal.call(api.state.sync)  # what its poller does every refresh_seconds
            assert api.decide()["outcome"] == "allow"
