"""The compiled bundle and the sharded check: identical answers from YAML and from the bundle,
deterministic content addresses, incremental re-check equal to a full check under random
edits (hypothesis), publishing to SQLite and PostgreSQL, the CLI."""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import shutil
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from admission.scale.bundle import NOCOUNTY, BundleStore, build_bundle, open_bundle, publish
from admission.evaluate.checks import run_checks
from admission.evaluate.decide import Decider
from admission.compile.index import build_index
from admission.loader import LoadOptions, validate_tree
from admission.language.entities import AdmissionRecord
from admission.language.enums import AdmissionState, AssignmentKind, AssignmentRole, Term, UnitKind
from admission.scale.shard import CheckRun, ShardedDecider, check_bundle, sorted_findings
from admission.synth import CHECK_DATE, inject_all

ROOT = Path(__file__).resolve().parent.parent
VIOLATIONS = ROOT / "examples" / "violations"
ON = dt.date(2026, 11, 23)


def _key(f):
    return (f.code, f.subject, f.message, f.span, f.related, f.help, f.elements, f.severity, f.message_en)


def _same_findings(a, b) -> None:
    ka, kb = sorted(map(_key, a), key=repr), sorted(map(_key, b), key=repr)
    assert ka == kb, (sorted(set(ka) - set(kb), key=repr)[:3], sorted(set(kb) - set(ka), key=repr)[:3])


def _load(root: Path, cache: Path | None = None):
    result = validate_tree(root, LoadOptions(workers=1, cache_dir=cache))
    assert result.ok, [d.format() for d in result.diagnostics[:5]]
    return result.policy


def _questions(policy, index, n: int, seed: int):
    """A mix: targets' own lists, cross-county actors, villages, unknown ids, other dates."""
    rng = random.Random(seed)
    units = list(policy.units)
    places = [u for u in units if policy.units[u].kind in (UnitKind.township, UnitKind.village)]
    matters = list(policy.matters)
    on_lists: dict[str, list[str]] = {}
    for target, matter in index.entries:
        on_lists.setdefault(target, []).append(matter)
    for target, matter in index.blocks:
        on_lists.setdefault(target, []).append(matter)
    bases = [None, *policy.bases]
    out = []
    for _ in range(n):
        target = rng.choice(places) if rng.random() < 0.95 else rng.choice([*units, "NO-SUCH-UNIT"])
        own = on_lists.get(target)
        matter = rng.choice(own) if own and rng.random() < 0.6 else rng.choice([*matters, "NO-SUCH-MATTER"])
        actor = rng.choice([*units, "NO-SUCH-UNIT"])
        on = ON + dt.timedelta(days=rng.randint(-500, 200))
        out.append((actor, matter, target, on, rng.choice(list(AssignmentKind)), rng.choice(list(AssignmentRole)),
                    rng.choice(bases)))
    return out


def _same_decisions(policy, sharded: ShardedDecider, n: int, seed: int) -> None:
    index = build_index(policy)
    full = Decider(index)
    for q in _questions(policy, index, n, seed):
        assert sharded.decide(*q).to_dict() == full.decide(*q).to_dict(), q
    rng = random.Random(seed)
    units = [*policy.units, "NO-SUCH-UNIT"]
    for _ in range(n // 2):
        q = (rng.choice(units), rng.choice(list(policy.matters)), ON + dt.timedelta(days=rng.randint(-500, 200)))
        assert sharded.may_exercise(*q).to_dict() == full.may_exercise(*q).to_dict(), q


# --------------------------------------------------------------------------- trees
@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    """Three counties, one injected violation of every rule (cross-county ones included)."""
    base = tmp_path_factory.mktemp("scale")
    tree = base / "tree"
    manifest = inject_all(tree, 38, seed=5)
    store = base / "store"
    result = build_bundle(tree, store, LoadOptions(workers=1, cache_dir=base / "parse"))
    assert result.ok
    return tree, store, manifest, base


# --------------------------------------------------------------------------- identical answers
@pytest.mark.parametrize("workers", [1, 2])
def test_examples_identical_from_yaml_and_bundle(tmp_path, workers):
    store = tmp_path / "store"
    result = build_bundle(VIOLATIONS, store, LoadOptions(workers=1))
    assert result.ok, [d.format() for d in result.diagnostics]
    policy = _load(VIOLATIONS)
    bundle = open_bundle(store)
    assert bundle.revision == policy.revision == result.manifest["revision"]
    expected = run_checks(policy, ON)
    got = sorted_findings(list(check_bundle(bundle, ON, workers=workers)))
    _same_findings(got, expected)
    assert len(expected) >= 40  # every rule fires in examples/violations
    _same_decisions(policy, ShardedDecider(bundle, max_shards=2), 1500, seed=1)


def test_generated_tree_identical(generated):
    tree, store, manifest, base = generated
    policy = _load(tree, base / "parse")
    bundle = open_bundle(store)
    assert bundle.revision == policy.revision
    assert len(bundle.shards) == 4  # three counties and the (empty) no-county shard
    expected = run_checks(policy, CHECK_DATE)
    run = CheckRun(bundle.revision, CHECK_DATE)
    got = sorted_findings(list(check_bundle(bundle, CHECK_DATE, workers=2, run=run)))
    _same_findings(got, expected)
    assert {(f.code, f.subject) for f in got} == manifest.subjects
    assert run.checked == 4 and run.cached == 0
    # the order `run_checks` produces is kept too
    assert [_key(f) for f in got] == [_key(f) for f in sorted(expected, key=lambda f: (*f.sort_key(), f.subject))]
    _same_decisions(policy, ShardedDecider(bundle, max_shards=8), 3000, seed=2)


def test_bundle_records_equal_yaml_records(generated):
    tree, store, _, base = generated
    policy = _load(tree, base / "parse")
    merged = open_bundle(store).policy()
    for section in ("units", "bases", "matters", "township_templates", "township_lists", "village_templates",
                    "village_lists", "delegations", "admissions", "assignments"):
        a, b = getattr(policy, section), getattr(merged, section)
        assert list(a) == list(b), section
        for k in a:
            assert a[k] == b[k] and a[k].span == b[k].span, (section, k)
            assert a[k].model_fields_set == b[k].model_fields_set
    assert policy.power_lists == merged.power_lists
    assert [pl.span for pl in policy.power_lists] == [pl.span for pl in merged.power_lists]


def test_shard_is_self_contained_and_owns_its_subjects(generated):
    _, store, _, _ = generated
    bundle = open_bundle(store)
    directory = bundle.directory()
    for key in bundle.shards:
        policy, owner = bundle.shard_policy(key)
        assert all(directory[u] == key for u in owner.units)
        assert all(directory[a.to] == key for a in policy.assignments.values() if a.id in owner.assignments)
        # every unit a record of the shard names is there (foreign ones copied in)
        for dl in policy.delegations.values():
            assert dl.department in policy.units and all(t in policy.units for t in dl.townships)
        for a in policy.assignments.values():
            assert a.by in policy.units and a.to in policy.units
    assert bundle.shards[NOCOUNTY]["townships"] == 0


def test_content_addresses_are_deterministic(generated, tmp_path):
    tree, store, _, _ = generated
    first = BundleStore(store).manifest()
    # cold parse, a process pool, another store: the same bytes, the same names
    again = build_bundle(tree, tmp_path / "other", LoadOptions(workers=2, cache_dir=None, parallel_min_bytes=0))
    assert again.ok and again.stats["parsed"] == again.stats["files"]
    second = again.manifest
    assert second["revision"] == first["revision"]
    assert second["common"]["hash"] == first["common"]["hash"]
    assert second["directory"]["hash"] == first["directory"]["hash"]
    assert {k: s["hash"] for k, s in second["shards"].items()} == {k: s["hash"] for k, s in first["shards"].items()}
    # a rebuild with nothing changed parses and routes nothing
    same = build_bundle(tree, tmp_path / "other", LoadOptions(workers=1))
    assert same.stats["parsed"] == 0 and same.stats["routed"] == 0
    assert same.manifest["revision"] == first["revision"]


def test_build_reports_exactly_the_loader_diagnostics(tmp_path, write_tree):
    root = write_tree({
        "a.yaml": "units:\n  - {id: C1, name: 县, kind: government, level: county}\n"
                  "  - {id: T1, name: 镇, kind: township, parent: C1}\n"
                  "township_lists:\n  - {township: T1, basic: [M1, M9]}\n",
        "b.yaml": "units:\n  - {id: C1, name: 另一个县, kind: government, level: county}\n"
                  "matters:\n  - {id: M1, name: 事项, domain: 综合}\n"
                  "assignments:\n  - {id: A1, by: C1, to: C9, matter: M1, date: 2026-01-01}\n",
        "c.yaml": "matters:\n  - {id: M2, name: 事项二, domain: 综合, power_type: 行政处罚}\n",
    })
    expected = validate_tree(root, LoadOptions(workers=1))
    got = build_bundle(root, tmp_path / "store", LoadOptions(workers=1))
    assert not expected.ok and not got.ok
    assert [d.format() for d in got.diagnostics] == [d.format() for d in expected.diagnostics]
    assert not (tmp_path / "store" / "manifest.json").exists()


# --------------------------------------------------------------------------- incremental
def _counties(tree: Path) -> list[Path]:
    return sorted(p for p in tree.rglob("*.yaml") if p.parent.parent != tree and p.name != "市本级.yaml")


def _ids(tree: Path) -> dict:
    """Units by kind and county file, matters, bases: what random edits pick from."""
    out = {"files": {}, "matters": [], "bases": []}
    for p in sorted(tree.rglob("*.yaml")):
        data = yaml.safe_load(p.read_text(encoding="utf-8")) or {}
        out["matters"] += [m["id"] for m in data.get("matters", [])]
        out["bases"] += [b["id"] for b in data.get("bases", [])]
        if p in _counties(tree):
            units = data.get("units", [])
            out["files"][p] = {kind: [u["id"] for u in units if u["kind"] == kind]
                               for kind in ("department", "township", "village", "government")}
    return out


EDITS = ("drop-assignment", "add-assignment", "drop-cooperative", "add-admission-elsewhere",
         "add-delegation-elsewhere", "drop-power-item", "revoke-delegation", "rename-unit", "drop-delegation")


def _edit(tree: Path, ids: dict, op: str, rng: random.Random) -> None:
    """One random edit of one county's file (kept valid)."""
    files = sorted(ids["files"])
    path = rng.choice(files)
    mine = ids["files"][path]
    other = ids["files"][rng.choice(files)]
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    n = rng.randrange(10**6)
    if op == "drop-assignment" and data.get("assignments"):
        data["assignments"].pop(rng.randrange(len(data["assignments"])))
    elif op == "add-assignment":
        by = rng.choice(mine["department"] + other["department"] + mine["township"])
        to = rng.choice(mine["township"] + mine["village"] + other["township"])
        data.setdefault("assignments", []).append({
            "id": f"E-PD-{n}", "by": by, "to": to, "matter": rng.choice(ids["matters"]),
            "date": dt.date(2026, rng.randint(1, 11), rng.randint(1, 28)),
            "kind": rng.choice(["task", "certification_request", "responsibility_letter"]),
            "role": rng.choice(["execute", "responsible"])})
    elif op == "drop-cooperative":
        lists = [t for t in data.get("township_templates", []) + data.get("township_lists", []) if t.get("cooperative")]
        if lists:
            t = rng.choice(lists)
            t["cooperative"].pop(rng.randrange(len(t["cooperative"])))
    elif op == "add-admission-elsewhere":  # an admission entering, for townships of another county
        data.setdefault("admissions", []).append({
            "id": f"E-ZR-{n}", "matter": rng.choice(ids["matters"]), "applicant": rng.choice(mine["department"]),
            "targets": rng.sample(other["township"], 2), "term": "long", "since": dt.date(2026, 3, 1),
            "basis": rng.choice(ids["bases"])})
    elif op == "add-delegation-elsewhere":
        data.setdefault("delegations", []).append({
            "id": f"E-FQ-{n}", "matter": rng.choice(ids["matters"]), "department": rng.choice(mine["department"]),
            "townships": [rng.choice(other["township"])], "mode": rng.choice(["grant", "entrust"]),
            "since": dt.date(2025, 5, 1), "evaluation": {"every_months": 12}})
    elif op == "drop-power-item" and data.get("power_lists"):
        pl = rng.choice(data["power_lists"])
        if len(pl["items"]) > 1:
            pl["items"].pop(rng.randrange(len(pl["items"])))
    elif op == "revoke-delegation" and data.get("delegations"):
        dl = rng.choice(data["delegations"])
        dl["revoked"] = {"date": dt.date(2026, 2, 1), "reason": "评估后收回"}
    elif op == "drop-delegation" and data.get("delegations"):
        data["delegations"].pop(rng.randrange(len(data["delegations"])))
    elif op == "rename-unit":
        u = rng.choice([u for u in data["units"] if u["kind"] in ("department", "township")])
        u["name"] = u["name"] + "（新）"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


@pytest.fixture(scope="module")
def editable(tmp_path_factory):
    base = tmp_path_factory.mktemp("incremental")
    tree = base / "tree"
    inject_all(tree, 38, seed=9)
    original = {p: p.read_bytes() for p in tree.rglob("*.yaml")}
    store = BundleStore(base / "store")
    result = build_bundle(tree, store, LoadOptions(workers=1, cache_dir=base / "parse"))
    assert result.ok
    list(check_bundle(open_bundle(store.path), CHECK_DATE, workers=1, cache=store))  # fills the cache
    return tree, store, original, result.manifest["revision"], _ids(tree), base


@settings(max_examples=4, deadline=None, suppress_health_check=list(HealthCheck))
@given(ops=st.lists(st.sampled_from(EDITS), min_size=1, max_size=2), seed=st.integers(0, 2**32 - 1))
def test_incremental_recheck_equals_full_recheck(editable, ops, seed):
    tree, store, original, first, ids, base = editable
    for path, data in original.items():  # every example starts from the first revision
        if path.read_bytes() != data:
            path.write_bytes(data)
    rng = random.Random(seed)
    previous = first
    for op in ops:
        _edit(tree, ids, op, rng)
        result = build_bundle(tree, store, LoadOptions(workers=1, cache_dir=base / "parse"))
        assert result.ok, [d.format() for d in result.diagnostics[:3]]
        assert result.stats["parsed"] <= 1
        bundle = open_bundle(store.path)
        run = CheckRun(bundle.revision, CHECK_DATE)
        got = sorted_findings(list(check_bundle(bundle, CHECK_DATE, workers=1, changed_since=previous,
                                                cache=store, run=run)))
        expected = run_checks(_load(tree, base / "parse"), CHECK_DATE)
        _same_findings(got, expected)
        # only the shards whose content changed ran their rules again
        assert run.checked <= len(run.changed) < len(bundle.shards) or run.changed == sorted(bundle.shards)
        previous = bundle.revision


def test_one_county_edit_rechecks_one_shard(editable):
    tree, store, original, first, ids, base = editable
    for path, data in original.items():
        path.write_bytes(data)
    path = sorted(ids["files"])[0]
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    last = max(i for i, line in enumerate(lines) if line.startswith("  - {id: PD"))
    del lines[last]  # a text edit: the rest of the file keeps its lines and columns
    path.write_text("".join(lines) + f"# {os.urandom(8).hex()}\n", encoding="utf-8")
    result = build_bundle(tree, store, LoadOptions(workers=1, cache_dir=base / "parse"))
    assert result.stats["parsed"] == 1 and result.stats["routed"] == 1
    run = CheckRun(result.manifest["revision"], CHECK_DATE)
    list(check_bundle(open_bundle(store.path), CHECK_DATE, changed_since=first, cache=store, run=run))
    county = yaml.safe_load(path.read_text(encoding="utf-8"))["units"][0]["id"]
    # (the edited content may have been checked by an earlier example: then it is cached too)
    assert run.changed == [county] and run.checked <= 1
    assert run.checked + run.cached == len(result.manifest["shards"])
    # one admission entering, in a new file: only its targets' county is checked again
    policy = _load(tree, base / "parse")
    index = build_index(policy)
    target = next(u for u, x in index.units.items() if x.kind == UnitKind.township and x.county != county)
    applicant = next(u for u, x in index.units.items() if x.kind == UnitKind.department and x.county == county)
    extra = tree / "准入" / "新准入.yaml"
    extra.parent.mkdir(exist_ok=True)
    extra.write_text(f'admissions:\n  - {{id: ZR-NEW-{os.urandom(4).hex()}, matter: {next(iter(policy.matters))}, '
                     f'applicant: "{applicant}", targets: ["{target}"], term: long, since: 2026-05-01, '
                     f'basis: {next(iter(policy.bases))}}}\n', encoding="utf-8")
    try:
        second = build_bundle(tree, store, LoadOptions(workers=1, cache_dir=base / "parse"))
        assert second.ok and second.stats["parsed"] == 1
        run = CheckRun(second.manifest["revision"], CHECK_DATE)
        got = sorted_findings(list(check_bundle(open_bundle(store.path), CHECK_DATE, cache=store, run=run,
                                                changed_since=result.manifest["revision"])))
        assert run.changed == [index.units[target].county] and run.checked == 1
        _same_findings(got, run_checks(_load(tree, base / "parse"), CHECK_DATE))
    finally:
        shutil.rmtree(extra.parent)


# --------------------------------------------------------------------------- decider
def test_sharded_decider_lazy_lru_and_workflow_admissions(generated):
    tree, store, _, base = generated
    policy = _load(tree, base / "parse")
    sharded = ShardedDecider(store, max_shards=1)
    assert sharded.loaded() == []
    index = build_index(policy)
    full = Decider(index)
    township = next(u for u, x in policy.units.items() if x.kind == UnitKind.township)
    county = index.units[township].county
    dept = next(u for u, x in index.units.items() if x.kind == UnitKind.department and x.county == county)
    matter = next(m for m in policy.matters if (township, m) not in index.entries)
    rec = AdmissionRecord.model_construct(  # as the workflow service makes them
        id="WF-2026-0001", matter=matter, applicant=dept, targets=[township], term=Term.long,
        since=dt.date(2026, 1, 1), until=None, basis=next(iter(policy.bases)), state=AdmissionState.entered,
        document=None, exit=None)
    before = sharded.decide(dept, matter, township, CHECK_DATE)
    assert before.to_dict() == full.decide(dept, matter, township, CHECK_DATE).to_dict() and not before.allowed
    index.apply_admission(rec, seq=7)
    sharded.apply_admission(rec, seq=7)
    after = sharded.decide(dept, matter, township, CHECK_DATE)
    assert after.allowed and after.to_dict() == full.decide(dept, matter, township, CHECK_DATE).to_dict()
    assert after.admission_seq == 7
    assert len(sharded.loaded()) == 1
    # another shard evicts this one; the admission is applied again when it reloads
    other = next(u for u, x in index.units.items() if x.kind == UnitKind.township and x.county != county)
    sharded.decide(dept, matter, other, CHECK_DATE)
    assert sharded.loaded() == [index.units[other].county]
    assert sharded.decide(dept, matter, township, CHECK_DATE).to_dict() == after.to_dict()
    sharded.drop_admission(rec.id, seq=8)
    index.drop_admission(rec.id, seq=8)
    assert sharded.decide(dept, matter, township, CHECK_DATE).to_dict() == full.decide(
        dept, matter, township, CHECK_DATE).to_dict()


# --------------------------------------------------------------------------- database
def _pg_url() -> str | None:
    url = os.environ.get("ADMISSION_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
    try:
        import psycopg

        psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"), connect_timeout=2).close()
    except Exception:
        return None
    return url


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_publish_and_load_back_by_revision(generated, tmp_path, backend):
    tree, store, manifest, base = generated
    url = f"sqlite:///{tmp_path / 'bundles.db'}" if backend == "sqlite" else _pg_url()
    if url is None:
        pytest.skip("PostgreSQL not reachable")
    out = publish(store, url)
    assert out["revision"] == BundleStore(store).manifest()["revision"]
    again = publish(store, url)
    assert again["written"] == 0  # blobs are content-addressed: nothing twice
    from_db = open_bundle(url)
    assert from_db.revision == out["revision"]
    # A revision is published once: the database keeps the first build of it (PostgreSQL is shared
    # across runs), so when and by which code it was built may differ; what it holds may not.
    def content(m: dict) -> dict:
        return {k: v for k, v in m.items() if k not in ("built", "code")}
    assert content(open_bundle(url, revision=out["revision"]).manifest) == content(BundleStore(store).manifest())
    got = sorted_findings(list(check_bundle(from_db, CHECK_DATE, workers=2)))
    assert {(f.code, f.subject) for f in got} == manifest.subjects
    policy = _load(tree, base / "parse")
    _same_decisions(policy, ShardedDecider(from_db), 300, seed=4)


# --------------------------------------------------------------------------- CLI
def test_cli_build_check_changed_since_publish(tmp_path):
    from admission.cli.main import app

    runner = CliRunner()
    tree = tmp_path / "tree"
    shutil.copytree(VIOLATIONS, tree)
    store = tmp_path / "store"
    res = runner.invoke(app, ["build", str(tree), "-o", str(store)])
    assert res.exit_code == 0, res.output
    first = json.loads((store / "manifest.json").read_text(encoding="utf-8"))["revision"]
    res = runner.invoke(app, ["check", "--bundle", str(store), "--on", "2026-11-23", "-f", "json", "--workers", "2"])
    assert res.exit_code == 1
    doc = json.loads(res.output)
    yaml_doc = json.loads(runner.invoke(app, ["check", str(tree), "--on", "2026-11-23", "-f", "json"]).output)
    assert doc["revision"] == yaml_doc["revision"] and doc["summary"]["count"] == yaml_doc["summary"]["count"]
    assert sorted(map(json.dumps, doc["diagnostics"])) == sorted(map(json.dumps, yaml_doc["diagnostics"]))
    # one county edited: only its shard is checked again
    county = tree / "台儿庄区.yaml"  # an assignment's date, same length: only this county's shard changes
    text = county.read_text(encoding="utf-8")
    assert "matter: M-WXZJ, date: 2026-03-01}" in text
    county.write_text(text.replace("matter: M-WXZJ, date: 2026-03-01}", "matter: M-WXZJ, date: 2026-03-02}"), encoding="utf-8")
    assert runner.invoke(app, ["build", str(tree), "-o", str(store)]).exit_code == 0
    res = runner.invoke(app, ["check", "--bundle", str(store), "--on", "2026-11-23", "--changed-since", first,
                              "-f", "json"])
    shards = json.loads(res.output)["shards"]
    assert shards["changed_since"] == first and shards["checked"] == len(shards["changed"]) == 1
    assert json.loads(res.output)["summary"]["count"] == doc["summary"]["count"]
    res = runner.invoke(app, ["check", "--bundle", str(store), "--changed-since", "0000000000000000"])
    assert res.exit_code == 2
    res = runner.invoke(app, ["check", "--changed-since", first])
    assert res.exit_code == 2
    res = runner.invoke(app, ["publish", str(store), "--db", f"sqlite:///{tmp_path / 'b.db'}"])
    assert res.exit_code == 0 and "published" in res.output
    res = runner.invoke(app, ["check", "--bundle", f"sqlite:///{tmp_path / 'b.db'}", "--on", "2026-11-23"])
    assert res.exit_code == 1 and "checked" in res.output


def test_cli_build_invalid_tree(tmp_path, write_tree):
    from admission.cli.main import app

    root = write_tree({"a.yaml": "units:\n  - {id: T1, name: 镇, kind: township, parent: NOPE}\n"})
    res = CliRunner().invoke(app, ["build", str(root), "-o", str(tmp_path / "s")])
    assert res.exit_code == 1 and "unknown-reference" in res.output
    res = CliRunner().invoke(app, ["build", str(tmp_path / "missing"), "-o", str(tmp_path / "s")])
    assert res.exit_code == 2
