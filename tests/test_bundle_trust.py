"""A bundle store is not trusted: whoever can write to it must not be able to run code, and a
replica holding the builder's public key serves only what the builder signed.

The tamper matrix: a planted pickle that would create a file (as a blob under its own hash, as
a build cache entry, as a parse cache entry, as a findings cache entry), a tampered blob, a
tampered manifest, an unsigned revision where a key is required, a revision signed with
another key and a replayed older revision.  Each is refused (or, for caches, discarded and
rebuilt), and the planted file never appears."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import pickle
import shutil
import zlib
from pathlib import Path

import pytest
from typer.testing import CliRunner

from admission.cli.main import app
from admission.loader import LoadOptions
from admission.scale.bundle import BlobError, BundleStore, TrustError, build_bundle, open_bundle
from admission.scale.shard import check_bundle, sorted_findings
from admission.scale.signing import generate_key, load_private_key, load_public_key

ROOT = Path(__file__).resolve().parent.parent
DAY = dt.date(2025, 3, 3)


class _Payload:
    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


@pytest.fixture
def keys(tmp_path):
    private, public = generate_key(tmp_path / "build.key")
    return load_private_key(private), load_public_key(public), public


@pytest.fixture
def tree(tmp_path):
    dst = tmp_path / "tree"
    shutil.copytree(ROOT / "examples" / "violations", dst)
    return dst


def _build(tree: Path, store: Path, key=None):
    result = build_bundle(tree, store, LoadOptions(workers=1, cache_dir=store.parent / "parse"), sign_key=key)
    assert result.ok, result.diagnostics[:3]
    return result.manifest


def _findings(bundle) -> list:
    return [(f.code, f.subject) for f in sorted_findings(check_bundle(bundle, DAY, workers=1))]


def _a_chunk(manifest: dict) -> str:
    return next(h for s in manifest["shards"].values() for h in s["chunks"])


def _planted(marker: Path) -> tuple[str, bytes]:
    """A pickle payload stored the way a blob is: zlib, named by the hash of its content."""
    raw = pickle.dumps(_Payload(marker))
    return hashlib.sha256(raw).hexdigest(), zlib.compress(raw)


def test_a_signed_revision_opens_with_the_key_and_answers_as_unsigned(tmp_path, tree, keys):
    private, public, _ = keys
    signed = _build(tree, tmp_path / "signed", private)
    unsigned = _build(tree, tmp_path / "plain")
    assert signed["signature"]["alg"] == "Ed25519" and "signature" not in unsigned
    assert signed["revision"] == unsigned["revision"]
    assert _findings(open_bundle(tmp_path / "signed", verify_key=public)) == _findings(open_bundle(tmp_path / "plain"))


def test_a_blob_replaced_under_its_name_is_refused(tmp_path, tree, keys):
    private, public, _ = keys
    store = tmp_path / "store"
    manifest = _build(tree, store, private)
    marker = tmp_path / "pwned"
    _name, data = _planted(marker)
    h = _a_chunk(manifest)
    BundleStore(store).blob_path(h).write_bytes(data)
    bundle = open_bundle(store, verify_key=public)  # the manifest is intact
    with pytest.raises(BlobError, match="hash mismatch"):
        _findings(bundle)
    assert not marker.exists()


def test_a_planted_blob_under_its_own_hash_cannot_run_even_unsigned(tmp_path, tree):
    """An attacker computes the hash too: pointing an unsigned manifest at the payload gets it
    read, and the codec refuses it."""
    store = tmp_path / "store"
    manifest = _build(tree, store)
    marker = tmp_path / "pwned"
    name, data = _planted(marker)
    BundleStore(store).put(name, data)
    old = _a_chunk(manifest)
    text = (store / "manifest.json").read_text(encoding="utf-8").replace(old, name)
    (store / "manifest.json").write_text(text, encoding="utf-8")
    with pytest.raises(BlobError, match="not a bundle value"):
        _findings(open_bundle(store))
    assert not marker.exists()


def test_a_tampered_manifest_fails_its_signature(tmp_path, tree, keys):
    private, public, _ = keys
    store = tmp_path / "store"
    manifest = _build(tree, store, private)
    marker = tmp_path / "pwned"
    name, data = _planted(marker)
    BundleStore(store).put(name, data)
    tampered = json.loads((store / "manifest.json").read_text(encoding="utf-8"))
    key = next(iter(tampered["shards"]))
    tampered["shards"][key]["chunks"][0] = name  # a chunk swapped for the payload
    (store / "manifest.json").write_text(json.dumps(tampered, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(TrustError) as exc:
        open_bundle(store, verify_key=public)
    assert exc.value.code == "bundle-bad-signature"
    assert manifest["revision"] in str(exc.value)
    assert not marker.exists()


def test_an_unsigned_revision_is_refused_where_a_key_is_required(tmp_path, tree, keys):
    _private, public, _ = keys
    _build(tree, tmp_path / "store")
    with pytest.raises(TrustError) as exc:
        open_bundle(tmp_path / "store", verify_key=public)
    assert exc.value.code == "bundle-unsigned"


def test_a_revision_signed_with_another_key_is_refused(tmp_path, tree, keys):
    _private, public, _ = keys
    other, _ = generate_key(tmp_path / "other.key")
    _build(tree, tmp_path / "store", load_private_key(other))
    with pytest.raises(TrustError) as exc:
        open_bundle(tmp_path / "store", verify_key=public)
    assert exc.value.code == "bundle-wrong-key"


def test_a_replayed_older_revision_is_refused(tmp_path, tree, keys):
    private, public, _ = keys
    store = tmp_path / "store"
    first = _build(tree, store, private)
    (tree / "extra.yaml").write_text("matters:\n  - {id: M-EXTRA, name: 新增事项, domain: 综合}\n", encoding="utf-8")
    second = _build(tree, store, private)
    assert (first["sequence"], second["sequence"]) == (1, 2) and first["revision"] != second["revision"]
    assert open_bundle(store, verify_key=public, min_sequence=2).revision == second["revision"]
    # the attacker puts the older, validly signed manifest back as the current one
    shutil.copy(store / "revisions" / f"{first['revision']}.json", store / "manifest.json")
    with pytest.raises(TrustError) as exc:
        open_bundle(store, verify_key=public, min_sequence=2)
    assert exc.value.code == "bundle-replayed"


@pytest.mark.parametrize("kind", ["cache/summaries", "cache/routes", "cache/refs", "cache/needs"])
def test_a_planted_build_cache_entry_is_discarded_and_rebuilt(tmp_path, tree, kind):
    store = tmp_path / "store"
    first = _build(tree, store)
    marker = tmp_path / "pwned"
    entries = [p for p in (store / kind).rglob("*") if p.is_file()]
    assert entries
    for p in entries:
        p.write_bytes(pickle.dumps(_Payload(marker)))
    (tree / "extra.yaml").write_text("matters:\n  - {id: M-EXTRA, name: 新增事项, domain: 综合}\n", encoding="utf-8")
    second = _build(tree, store)  # refs of every file are checked again; summaries, routes read
    (tree / "extra.yaml").unlink()
    third = _build(tree, store)
    assert third["revision"] == first["revision"] != second["revision"]
    assert _findings(open_bundle(store)) == _findings(open_bundle(_fresh(tree, tmp_path)))
    assert not marker.exists()
    assert not any(p.read_bytes().startswith(b"\x80") for p in (store / kind).rglob("*") if p.is_file())


def _fresh(tree: Path, tmp_path: Path) -> Path:
    store = tmp_path / "fresh"
    build_bundle(tree, store, LoadOptions(workers=1))
    return store


def test_a_planted_parse_cache_entry_is_discarded_and_parsed_again(tmp_path, tree):
    from admission.loader import load_policy

    cache = tmp_path / "parse"
    options = LoadOptions(workers=1, cache_dir=cache)
    expected = load_policy(tree, options)
    marker = tmp_path / "pwned"
    entries = [p for p in cache.rglob("*") if p.is_file()]
    assert entries
    for p in entries:
        p.write_bytes(pickle.dumps((_Payload(marker), [], {})))
    assert load_policy(tree, options).units == expected.units
    assert not marker.exists()
    assert all(not p.read_bytes().startswith(b"\x80") for p in cache.rglob("*") if p.is_file())


def test_a_planted_findings_cache_entry_is_checked_afresh(tmp_path, tree):
    store = tmp_path / "store"
    manifest = _build(tree, store)
    bundle = open_bundle(store)
    cache = BundleStore(store)
    expected = [(f.code, f.subject) for f in sorted_findings(check_bundle(bundle, DAY, workers=1, cache=cache))]
    marker = tmp_path / "pwned"
    entries = [p for p in (store / "checks").rglob("*") if p.is_file()]
    assert entries
    for p in entries:
        p.write_bytes(pickle.dumps(_Payload(marker)))
    again = check_bundle(bundle, DAY, workers=1, cache=cache, changed_since=manifest)
    assert [(f.code, f.subject) for f in sorted_findings(again)] == expected
    assert not marker.exists()


def test_the_cli_signs_verifies_and_refuses(tmp_path, tree):
    cli = CliRunner()
    key = tmp_path / "k"
    assert cli.invoke(app, ["keygen", str(key)]).exit_code == 0
    assert oct(key.stat().st_mode & 0o777) == "0o600"
    assert cli.invoke(app, ["keygen", str(key)]).exit_code == 2  # never overwritten
    store = tmp_path / "store"
    out = cli.invoke(app, ["build", str(tree), "-o", str(store), "--sign-key", str(key)])
    assert out.exit_code == 0 and "已签名 signed" in out.stdout
    ok = cli.invoke(app, ["check", "--bundle", str(store), "--verify-key", f"{key}.pub", "--on", "2025-03-03"])
    assert ok.exit_code == 1 and "检查完成" in ok.stdout  # the violations example has findings
    assert cli.invoke(app, ["build", str(tree), "-o", str(store)]).exit_code == 0  # now unsigned
    refused = cli.invoke(app, ["check", "--bundle", str(store), "--verify-key", f"{key}.pub"])
    assert refused.exit_code == 2 and "未签名" in refused.stderr
    bad = cli.invoke(app, ["check", "--bundle", str(store), "--verify-key", str(tmp_path / "missing.pub")])
    assert bad.exit_code == 2 and "无法读取密钥" in bad.stderr


def test_a_replica_with_a_key_refuses_unsigned_and_replayed_revisions_and_keeps_serving(tmp_path, keys):
    from test_api_kit import running_api

    from admission.scale.bundle import publish

    private, _public, public_path = keys
    with running_api(tmp_path / "yaml", "sqlite") as yaml_api:
        root = yaml_api.root
    store = tmp_path / "store"
    bundle_db = f"sqlite:///{tmp_path / 'bundle.db'}"
    first = _build(root, store, private)
    publish(store, bundle_db)
    with running_api(tmp_path / "served", "sqlite", bundle=bundle_db, verify_key=public_path) as api:
        assert api.get("/v1/policy", who="reader").json()["revision"] == first["revision"]
        (root / "dispatch.yaml").write_text(
            "assignments:\n  - {id: A-STREET, by: D-MZ, to: \"370402002\", matter: M-WXZJ, date: 2025-03-01}\n",
            encoding="utf-8")
        second = _build(root, store, private)
        publish(store, bundle_db)
        assert api.post("/v1/policy/reload", who="operator").json()["revision"] == second["revision"]

        publish(store, bundle_db, first["revision"])  # an older signed revision made current again
        r = api.post("/v1/policy/reload", who="operator")
        assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json")
        assert r.json()["code"] == "bundle-replayed"
        assert api.get("/v1/policy", who="reader").json()["revision"] == second["revision"]

        (root / "dispatch.yaml").unlink()
        (root / "more.yaml").write_text("matters:\n  - {id: M-EXTRA, name: 新增事项, domain: 综合}\n", encoding="utf-8")
        third = build_bundle(root, store, LoadOptions(workers=1)).manifest  # not signed
        publish(store, bundle_db)
        r = api.post("/v1/policy/reload", who="operator")
        assert r.status_code == 422 and r.json()["code"] == "bundle-unsigned"
        assert third["revision"] in r.json()["detail"]
        assert api.get("/v1/policy", who="reader").json()["revision"] == second["revision"]
