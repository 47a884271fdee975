"""Schemathesis with every check it has, against the BUNDLED policies (policies/), on SQLite and
on PostgreSQL (issue 17): a whole engine run (examples, coverage, fuzzing and stateful phases) in
both positive and negative generation modes, with a bounded example count so that CI stays short
and deterministic.  It must report no failure; the figures (operations, requests, failures, run
time) are printed (`pytest -s`).

Every check but `max_response_time` runs: timing is measured by the benchmarks (bench/), on a
quiet machine; a limit here would only make CI flaky on a busy runner.

`positive_data_acceptance` expects, besides 2xx/3xx and the credential refusals, the client
errors by which the API legitimately refuses schema-valid input for reasons no JSON Schema can
say, each documented in the operation's `responses`:

* 404 — an application (path `app_id`) that does not exist;
* 409 — the workflow's state does not allow the step (already answered, wrong phase, …);
* 412 — `If-Match` names a version that is no longer current;
* 422 — an id that matches the id pattern but names no unit or matter of the policy
  (`unknown-id`), the acting person missing from both the `X-Acting-Person` header and the body
  (`missing-person`) or the two disagreeing (`person-mismatch`), a deprecated parameter beside its
  successor with another value (`conflicting-parameters`) — cross-field rules OpenAPI cannot write;
  an `Idempotency-Key` already used for another request (`idempotency-key-reused`), an action
  the application's flow does not have (`no-such-action`) or an input the step requires
  (`missing-input`, on the actions only): the flows are policy, not schema;
* 428 — a write to an application without `If-Match` (the header is optional in the document
  only because a server may run with `require_if_match` off).

Unlike schemathesis' default, 5xx is not expected (`not_a_server_error` and the API's own
contract: no 5xx at all).  So that 422 does not become a hiding place, `state_refusals_only`
(below) fails any 422 to a positive case whose problem code is not one of those, above all
`invalid-request`: the server's validation disagreeing with the published schema.  One narrow
exception: the content of POST /v1/applications' `request`, which the flow named by `flow`
judges (`_flow_content_refusal`).
"""

from __future__ import annotations

import re
import time
from collections import Counter, defaultdict
from pathlib import Path

import pytest
import schemathesis
from schemathesis.config import SchemathesisConfig
from schemathesis.engine import events, from_schema

from admission.api.auth import create_token
from test_api_kit import is_problem, running_api

ROOT = Path(__file__).resolve().parents[1]
MAX_EXAMPLES = 4  # per operation, phase and token (the coverage phase makes most of the requests)

#: name → (unit, role) of the bundled policy (policies/zaozhuang): 枣庄市, 市中区, 区委宣传部, 永安镇
TOKENS = {
    "operator": ("3704", "operator"),
    "admin": ("370402", "admin"),
    "department": ("11370402MB3281872B", "department"),
    "township": ("370402101", "township"),
    "reader": ("370402", "reader"),
}
#: an admission request the bundled policy accepts (市中区委宣传部 holds DJ-QT-025; 市中办字〔2025〕11号)
SEED = {"matter": "DJ-QT-025", "targets": ["370402101"], "reason": "文明城市创建测评入户问卷调查需乡镇协助",
        "basis": "SZ-ZR-2025", "term": "short", "start": "2026-03-10", "end": "2026-12-31", "resources": {"staff": 2}}
#: the workflow, where the department's and the township's views differ; the rest as admin, operator, reader
WORKFLOW = r"^/v1/applications"

#: problem codes of a 422 that schema-valid input may legitimately get (module docstring)
STATE_REFUSALS = {"unknown-id", "missing-person", "person-mismatch", "conflicting-parameters",
                  "idempotency-key-reused", "no-such-action"}
#: per operation: a step's inputs (approve: document, meeting, …) are the flow's, not the schema's
FLOW_REFUSALS = {"POST /v1/applications/{app_id}/actions/{action}": {"missing-input"}}
POSITIVE_EXPECTED = ["2xx", "3xx", "401", "403", "404", "409", "412", "422", "428", "429"]


@schemathesis.check
def state_refusals_only(ctx, response, case):
    """A 422 to schema-valid data names a reason of state or of a cross-field rule, never a schema
    disagreement (`invalid-request`)."""
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive or response.status_code != 422:
        return None
    try:
        body = response.json()
        code = body.get("code")
    except Exception:  # noqa: BLE001 - not JSON: content_type_conformance says so
        return None
    if code in STATE_REFUSALS or code in FLOW_REFUSALS.get(case.operation.label, ()):
        return None
    if not _flow_content_refusal(case, body):
        raise AssertionError(f"schema-valid request refused with 422 {code}: {response.text[:300]}")
    return None


def _flow_content_refusal(case, body: dict) -> bool:
    """POST /v1/applications: the content of `request` is the flow's (admission or adjustment, as
    the flow named by `flow` says), with rules across its fields (a short term has an end, the end
    is not before the start); the document lists its fields in the description and keeps it an
    object.  Refusing that content is the flow's judgement, not the envelope's schema: every error
    must be about `request` (the envelope's own fields stay held to the schema)."""
    errors = body.get("errors") or []
    return (case.operation.label == "POST /v1/applications" and body.get("code") == "invalid-request"
            and bool(errors) and all(e.get("field") == "request" or "in" not in e for e in errors))


def _config(token: str) -> SchemathesisConfig:
    return SchemathesisConfig.from_dict({
        "headers": {"Authorization": f"Bearer {token}"},
        # "all": positive and negative modes; deterministic and without an example database, as in CI
        "generation": {"mode": "all", "max-examples": MAX_EXAMPLES, "deterministic": True, "database": "none"},
        "checks": {
            "enabled": True,  # every check; `max_response_time` stays off without a limit (docstring)
            "positive_data_acceptance": {"expected-statuses": POSITIVE_EXPECTED},
        },
    })


def _run(app, token: str, path_regex: str | None = None) -> dict:
    schema = schemathesis.openapi.from_asgi("/v1/openapi.json", app, config=_config(token))
    if path_regex:
        schema = schema.include(path_regex=path_regex)
    operations = [r.ok().label for r in schema.get_all_operations()]
    failures: dict[tuple[str, str], list[str]] = defaultdict(list)
    errors: list[str] = []
    statuses: Counter = Counter()
    requests = 0
    started = time.monotonic()
    for event in from_schema(schema).execute():
        if isinstance(event, (events.ScenarioFinished, events.FuzzScenarioFinished)):
            recorder = event.recorder
            for interaction in recorder.interactions.values():
                requests += 1
                if interaction.response is not None:
                    statuses[interaction.response.status_code] += 1
            for case_id, checks in recorder.checks.items():
                for check in checks:
                    if check.failure_info is None:
                        continue
                    interaction = recorder.interactions.get(case_id)
                    shown = ""
                    if interaction is not None:
                        req, resp = interaction.request, interaction.response
                        shown = f"{req.method} {req.uri} {(req.body or b'')[:200]!r} → "
                        if resp is not None:
                            shown += f"{resp.status_code} {resp.content[:300].decode('utf-8', 'replace')}"
                    failures[(check.name, recorder.label)].append(f"{check.failure_info.failure.title}: {shown}")
        elif isinstance(event, events.NonFatalError):
            errors.append(f"{event.label}: {event.value!r}")
        elif isinstance(event, events.FatalError):
            errors.append(f"fatal: {event.exception!r}")
    return {"operations": operations, "requests": requests, "failures": dict(failures), "errors": errors,
            "statuses": statuses, "seconds": time.monotonic() - started}


@pytest.mark.parametrize("db", ["sqlite", "postgresql"])
def test_all_checks_hold_on_the_bundled_policies(tmp_path, db):
    with running_api(tmp_path, db, policies=ROOT / "policies", token_cache_seconds=60) as api:
        app = api.client.app  # its lifespan is running: the same app object answers schemathesis
        tokens = {name: create_token(api.engine, unit=unit, role=role, name=name)[1]
                  for name, (unit, role) in TOKENS.items()}
        # something to find: an application of 区委宣传部 to 永安镇, in consultation
        r = api.client.post("/v1/applications", json={"request": SEED, "person": "宣传部-张三"},
                            headers={"Authorization": f"Bearer {tokens['department']}"})
        assert r.status_code == 201, r.text
        # every view on SQLite; on PostgreSQL the workflow's, whose writes take the dialect's own
        # paths (the readers' views run the same queries on both, and tests/test_api.py runs
        # its reads on PostgreSQL too)
        readers = ("operator", "admin", "reader") if db == "sqlite" else ()
        runs = {name: _run(app, tokens[name]) for name in readers}
        runs.update(department=_run(app, tokens["department"], WORKFLOW),
                    township=_run(app, tokens["township"], WORKFLOW))
    operations = {op for run in runs.values() for op in run["operations"]}
    requests = sum(run["requests"] for run in runs.values())
    seconds = sum(run["seconds"] for run in runs.values())
    failures = {(who, *key): found for who, run in runs.items() for key, found in run["failures"].items()}
    errors = [f"{who}: {e}" for who, run in runs.items() for e in run["errors"]]
    statuses = sum((run["statuses"] for run in runs.values()), Counter())
    print(f"\nschemathesis, all checks, bundled policies, {db}: {len(operations)} operations, "
          f"{requests} requests, {sum(len(v) for v in failures.values())} failures, {seconds:.1f} s; "
          f"statuses {dict(sorted(statuses.items()))}")
    for who, run in runs.items():
        print(f"  {who}: {len(run['operations'])} operations, {run['requests']} requests, {run['seconds']:.1f} s")
    shown = "\n".join(f"{key}:\n    " + "\n    ".join(sorted(set(found))[:3]) for key, found in sorted(failures.items()))
    assert not failures, shown
    assert not errors, "\n".join(errors)
    if db == "sqlite":
        assert len(operations) >= 25 and requests > 1000
    else:  # the workflow's operations
        assert len(operations) >= 9 and requests > 300
    assert not any(code >= 500 for code in statuses)


# ---------------------------------------------------------------------------- regressions
def test_405_allow_names_every_method_of_the_path(tmp_path):
    """Starlette's `Allow` named only the first route of a path: OPTIONS /v1/applications said
    `Allow: POST` though GET lists applications (allow_header_conformance)."""
    with running_api(tmp_path, "sqlite") as api:
        for method, path, allow in [("OPTIONS", "/v1/applications", "GET, POST"),
                                    ("DELETE", "/v1/applications/x/opinions", "GET, POST"),
                                    ("PUT", "/v1/policy", "GET"), ("DELETE", "/v1/decisions", "POST")]:
            r = api.client.request(method, path, headers=api.h("admin"))
            is_problem(r, 405, "method-not-allowed")
            assert r.headers["Allow"] == allow, (method, path, r.headers.get("Allow"))


def test_date_range_is_in_the_openapi_document(tmp_path):
    """The request date range (1949-10-01 .. 2199-12-31) was only in `formatMinimum`/`formatMaximum`,
    which generators ignore: GET /v1/graphs/unit/x?on=0713-06-06 was schema-valid and refused
    (positive_data_acceptance).  Every date and date-time parameter now carries the pattern."""
    with running_api(tmp_path, "sqlite") as api:
        doc = api.get("/v1/openapi.json").json()
        text = str(doc)
        assert "formatMinimum" in text
        patterns = re.findall(r"'pattern': '(\^\(\?:1949[^']*)'", text)
        assert patterns and len(set(patterns)) == 1
        pattern = re.compile(patterns[0].encode().decode("unicode_escape"))
        for day, ok in [("1949-09-30", False), ("1949-10-01", True), ("2025-03-10", True), ("2199-12-31", True),
                        ("2200-01-01", False), ("0713-06-06", False), ("2025-03-10T08:00:00+08:00", True)]:
            assert bool(pattern.match(day)) is ok, day
        assert api.get("/v1/owners?on=0713-06-06&matter=M-RKPC").status_code == 422


def test_a_dissent_without_reasons_is_refused_by_the_document_too(tmp_path):
    """POST …/opinions with `stance: dissent` and no `text` was schema-valid and refused (422
    missing-input, positive_data_acceptance): the document now says a dissent requires `text`."""
    with running_api(tmp_path, "sqlite") as api:
        body = api.get("/v1/openapi.json").json()["components"]["schemas"]["OpinionBody"]
        assert body["if"]["properties"]["stance"] == {"const": "dissent"} and body["then"]["required"] == ["text"]
        aid = api.apply()["id"]
        is_problem(api.post(f"/v1/applications/{aid}/opinions", {"stance": "dissent"}, who="town", person="李四"),
                   422, "missing-input")


def test_idempotency_key_form_is_in_the_document(tmp_path):
    """A key with a non-ASCII character was schema-valid (the document said only maxLength 200)
    and refused with 422 bad-idempotency-key (positive_data_acceptance); the pattern is published."""
    with running_api(tmp_path, "sqlite") as api:
        doc = api.get("/v1/openapi.json").json()
        params = [p for op in doc["paths"]["/v1/applications/{app_id}/opinions"].values()
                  for p in op.get("parameters", []) if p["name"] == "Idempotency-Key"]
        assert params and all(p["schema"]["pattern"] == "^[!-~]{1,200}$" for p in params)
        aid = api.apply()["id"]
        r = api.post(f"/v1/applications/{aid}/opinions", {"stance": "agree"}, who="town", person="李四",
                     headers={"Idempotency-Key": "键".encode()})
        is_problem(r, 422, "bad-idempotency-key")
