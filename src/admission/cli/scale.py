"""`admission build`, `admission publish` and `admission check --bundle`: the compiled bundle
from the command line (see `admission.scale.bundle` and `admission.scale.shard`)."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from .common import DEFAULT_POLICIES, PolicyArg, Policies, fail, policy_dir, say_diagnostic
from .output import progress as progress_line


def build_cmd(
    ctx: typer.Context,
    directory: PolicyArg = None,
    policies: Policies = DEFAULT_POLICIES,
    out: Annotated[Path, typer.Option("--out", "-o", help="编译包目录（可多次构建，按内容去重）bundle store directory")] = Path("bundle"),
    workers: Annotated[Optional[int], typer.Option("--workers", min=1, help="进程数（默认 CPU 数）worker processes")] = None,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="不用共享解析缓存（改用编译包内的缓存）")] = False,
    max_file_bytes: Annotated[Optional[int], typer.Option(help="单个文件大小上限 per-file size limit")] = None,
    sign_key: Annotated[Optional[Path], typer.Option("--sign-key", help="用该 Ed25519 私钥（PEM）签名修订清单 sign the revision manifest")] = None,
) -> None:
    """编译策略：校验一次，按县分片写成内容寻址的编译包 — validate once and compile a sharded, content-addressed bundle."""
    from ..scale.bundle import build_bundle
    from .common import load_options

    directory = policy_dir(ctx, directory, policies)
    options = load_options(no_cache, max_file_bytes)
    key = _key_or_exit(sign_key, private=True) if sign_key else None
    if workers:
        from dataclasses import replace

        options = replace(options, workers=workers)
    with progress_line(f"编译 building {directory} → {out} …") as line:
        result = build_bundle(directory, out, options, progress=line.update, sign_key=key)
    for d in result.diagnostics:
        say_diagnostic(d, err=not result.ok)
    if not result.ok:
        n = sum(1 for d in result.diagnostics if d.severity.value == "error")
        typer.echo(f"校验失败 invalid: {n} 个错误 error(s)，未写入编译包 no bundle written", err=True)
        raise typer.Exit(2 if any(d.code == "no-such-path" for d in result.diagnostics) else 1)
    m, st = result.manifest, result.stats
    c = m["counts"]
    size = sum(s["bytes"] for s in m["shards"].values()) + m["common"]["bytes"] + m["directory"]["bytes"]
    signed = f"  已签名 signed {m['signature']['key']}" if "signature" in m else ""
    typer.echo(f"编译包 bundle {out}  修订 revision {m['revision']}  序号 sequence {m['sequence']}{signed}")
    typer.echo(f"  文件 files {m['files']}（解析 parsed {st['parsed']}，重新分片 routed {st['routed']}）"
               f"  分片 shards {c['shards']}  单位 units {c['units']}  事项 matters {c['matters']}")
    typer.echo(f"  大小 size {size / 2**20:.1f} MiB（YAML {m['bytes'] / 2**20:.1f} MiB）  用时 seconds {st['seconds']:.1f}")


def _key_or_exit(path: Path, private: bool):
    from ..scale.signing import load_private_key, load_public_key

    try:
        return load_private_key(path) if private else load_public_key(path)
    except ValueError as exc:
        fail(f"错误 error: {exc}", 2)


def keygen_cmd(
    out: Annotated[Path, typer.Argument(help="私钥文件（公钥写到 同名.pub）private key file (public key: FILE.pub)")],
) -> None:
    """生成签名编译包用的 Ed25519 密钥对 — generate an Ed25519 key pair for signing bundles."""
    from ..scale.signing import generate_key

    try:
        private, public = generate_key(out)
    except FileExistsError:
        fail(f"错误 error: {out} 已存在，不覆盖 exists, not overwritten", 2)
    except OSError as exc:
        fail(f"错误 error: 无法写入 cannot write {out}: {exc.strerror}", 2)
    typer.echo(f"私钥 private key {private}（仅构建机保存 keep on the build machine）\n公钥 public key {public}"
               f"（发给各副本：--verify-key for replicas）")


def publish_cmd(
    bundle: Annotated[Path, typer.Argument(help="编译包目录 bundle store directory")] = Path("bundle"),
    db: Annotated[Optional[str], typer.Option("--db", help="数据库 URL（默认 ADMISSION_DATABASE_URL 或 sqlite:///admission.db）")] = None,
    revision: Annotated[Optional[str], typer.Option("--revision", help="修订（默认当前）revision (default: current)")] = None,
) -> None:
    """把编译包发布到数据库，各 API 副本提供同一修订 — publish a bundle revision to PostgreSQL/SQLite."""
    from ..scale.bundle import publish
    from ..store.db import database_url

    url = database_url(db)
    try:
        with progress_line(f"发布 publishing {bundle} …"):
            out = publish(bundle, url, revision)
    except KeyError as exc:
        fail(f"错误 error: {exc.args[0]}", 2)
    typer.echo(f"已发布 published revision {out['revision']}: {out['blobs']} 个数据块 blobs"
               f"（新写入 written {out['written']}，{out['bytes_written'] / 2**20:.1f} MiB）")


def check_bundle_cmd(spec: str | None, day: dt.date, format: str, fail_on: str, changed_since: str | None,
                     workers: int | None, verify_key: Path | None = None, executor: str | None = None) -> int:
    """`admission check --bundle …`: the sharded check; returns the exit code."""
    from ..scale.bundle import BundleStore, open_bundle
    from ..evaluate.checks import all_rules
    from ..loader import default_cache_dir
    from ..explain.report import to_sarif
    from ..scale.shard import CheckRun, Progress, check_bundle

    if spec is None:
        typer.echo(f"{'--executor' if executor else '--changed-since'} 需要 --bundle（编译包）requires --bundle", err=True)
        return 2
    if executor is not None:
        from ..scale.cluster import dask_address

        try:
            dask_address(executor)
        except ValueError as exc:
            typer.echo(str(exc), err=True)
            return 2
    key = _key_or_exit(verify_key, private=False) if verify_key else None
    try:
        with progress_line(f"打开编译包 opening {spec} …"):
            bundle = open_bundle(spec, verify_key=key)
    except (KeyError, ValueError, OSError) as exc:
        return _bundle_error(format, "bundle-unreadable", f"无法打开编译包 cannot open bundle {spec}: {exc}")
    is_dir = "://" not in spec
    cache = BundleStore(spec) if is_dir else BundleStore(default_cache_dir() / "bundle-checks")
    old = None
    if changed_since is not None:
        try:
            old = _old_manifest(bundle, changed_since)
        except (KeyError, ValueError, OSError) as exc:
            return _bundle_error(format, "unknown-revision", f"找不到修订 unknown revision {changed_since}: {exc}",
                                 bundle.revision)
    run = CheckRun(bundle.revision, day)
    progress = Progress()
    findings = []
    for result in check_bundle(bundle, day, workers, changed_since=old, cache=cache, progress=progress, run=run,
                               executor=executor):
        if format == "text" and result.findings:
            if progress.enabled:
                sys.stderr.write("\r\033[K")
            typer.echo("\n".join(f.format() for f in result.findings))
        findings.extend(result.findings)
    findings.sort(key=lambda f: (*f.sort_key(), f.subject or ""))
    shards = {"total": run.shards, "checked": run.checked, "cached": run.cached}
    if old is not None:
        shards.update(changed_since=old["revision"], changed=run.changed, removed=run.removed)
    if format == "sarif":
        typer.echo(to_sarif(findings, {r.id: f"{r.title} ({r.title_en})" for r in all_rules().values()}))
    elif format == "json":
        from .output import check_summary, emit_json

        emit_json(not any(f.severity.value == "error" for f in findings), bundle.revision, findings,
                  summary=check_summary(findings, day), shards=shards)
    else:
        errors = sum(1 for f in findings if f.severity.value == "error")
        since = ""
        if old is not None:
            since = f"；自 since {old['revision']} 变化 changed {len(run.changed)} 个分片"
        typer.echo(f"{day} 检查完成 checked: {errors} 个错误 error(s)，{len(findings) - errors} 个警告 warning(s)"
                   f"（修订 revision {bundle.revision}；分片 shards {run.shards}：重新检查 checked {run.checked}，"
                   f"缓存 cached {run.cached}{since}；{run.seconds:.1f}s）")
    levels = {"error": ("error",), "warning": ("error", "warning"), "never": ()}[fail_on]
    return 1 if any(f.severity.value in levels for f in findings) else 0


def _bundle_error(format: str, code: str, message: str, revision: str | None = None) -> int:
    """A bundle that cannot be checked: the message on stderr, and with `--format json` also the
    envelope (ok false) on stdout; exit 2."""
    typer.echo(message, err=True)
    if format == "json":
        from ..diagnostics import Diagnostic
        from .output import emit_json

        emit_json(False, revision, [Diagnostic(code, message)])
    return 2


def _old_manifest(bundle, changed_since: str) -> dict:
    """An old revision: in the same store (or database), or a bundle directory / manifest file."""
    import json

    try:
        return bundle.source.manifest(changed_since)
    except KeyError:
        path = Path(changed_since)
        if path.is_dir():
            path = path / "manifest.json"
        if path.is_file():
            return json.loads(path.read_text(encoding="utf-8"))
        raise
