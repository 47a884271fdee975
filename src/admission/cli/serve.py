"""`admission serve`, `admission token create|revoke|list`, `admission decisions export`.
Only typer is imported here; FastAPI and uvicorn are imported when `serve` runs."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from .common import HELP_SETTINGS, DEFAULT_POLICIES, POLICIES_HELP, Policies, fail

Db = Annotated[Optional[str], typer.Option("--db", help="数据库 URL（默认 ADMISSION_DATABASE_URL 或 sqlite:///admission.db）")]

token_app = typer.Typer(**HELP_SETTINGS, help="接口令牌 — API tokens (stored as SHA-256 hashes; shown once).", no_args_is_help=True)
decisions_app = typer.Typer(**HELP_SETTINGS, help="决策日志 — the decision log.", no_args_is_help=True)


def _engine(db: str | None):
    from ..store.db import make_engine, migrate

    engine = make_engine(db)
    migrate(engine)
    return engine


def serve_cmd(
    policies: Policies = DEFAULT_POLICIES,
    db: Db = None,
    host: Annotated[str, typer.Option(help="监听地址 listen address")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="端口 port", min=1, max=65535)] = 8080,
    workers: Annotated[int, typer.Option(help="工作进程数 worker processes", min=1, max=64)] = 1,
    log_level: Annotated[str, typer.Option(help="uvicorn 日志级别")] = "warning",
    access_log: Annotated[bool, typer.Option("--access-log/--no-access-log", help="访问日志")] = False,
    bundle: Annotated[Optional[str], typer.Option(
        "--bundle", help="从编译包（目录或数据库 URL）的当前修订加载，不读策略目录 serve a bundle's current revision "
                         "(a store directory or the database URL it was published to)")] = None,
    sharded: Annotated[bool, typer.Option(
        "--sharded", help="只回答决策问题，按县分片懒加载（须 --bundle；全国规模数秒启动）decisions only, shards "
                          "loaded on their first question")] = False,
    verify_key: Annotated[Optional[Path], typer.Option(
        "--verify-key", help="只提供用该公钥对应私钥签名的修订（须 --bundle）serve only revisions signed for this "
                             "Ed25519 public key (PEM)")] = None,
) -> None:
    """启动合规接口（uvicorn；每个工作进程各自加载策略）— serve the compliance API."""
    from .common import load_or_exit
    from ..store.db import database_url

    if sharded and not bundle:
        fail("--sharded 须与 --bundle 同用 --sharded needs --bundle", 2)
    os.environ["ADMISSION_SHARDED"] = "1" if sharded else "0"
    if verify_key and not bundle:
        fail("--verify-key 须与 --bundle 同用 --verify-key needs --bundle", 2)
    if verify_key:
        os.environ["ADMISSION_VERIFY_KEY"] = str(verify_key.resolve())
    else:
        os.environ.pop("ADMISSION_VERIFY_KEY", None)
    if bundle:
        revision = _bundle_revision_or_exit(bundle)  # fail fast, before any worker starts
        os.environ["ADMISSION_BUNDLE"] = bundle
    else:
        revision = load_or_exit(policies).revision  # fail fast, with every diagnostic, before any worker starts
        os.environ.pop("ADMISSION_BUNDLE", None)
    url = database_url(db)
    _engine(url).dispose()  # migrate once here, so the workers never race to create tables
    os.environ["ADMISSION_POLICIES"] = str(policies)  # as given: spans and the revision read as in the CLI
    os.environ["ADMISSION_DATABASE_URL"] = url
    try:
        from ..api.settings import ApiSettings

        ApiSettings()
    except Exception as exc:  # a bad ADMISSION_* variable
        fail(f"配置有误 bad settings: {exc}", 2)
    from ..api.server import serve

    typer.echo(f"admission API: http://{host}:{port}/v1  修订 revision {revision}  工作进程 workers {workers}",
               err=True)
    try:
        code = serve(host=host, port=port, workers=workers, log_level=log_level, access_log=access_log)
    except OSError as exc:
        fail(f"无法监听 cannot listen on {host}:{port}: {exc}", 1)
    raise typer.Exit(code)


def _bundle_revision_or_exit(spec: str) -> str:
    from ..api.settings import ApiSettings
    from ..api.state import open_served_bundle

    try:
        return open_served_bundle(ApiSettings(bundle=spec)).revision
    except Exception as exc:  # no bundle there, not reachable, another format
        fail(f"编译包无法读取 cannot read the bundle {spec}: {exc}", 2)


@token_app.command("create")
def token_create(
    unit: Annotated[str, typer.Option("--unit", "-u", help="令牌所属单位 unit")],
    role: Annotated[str, typer.Option("--role", "-r", help="reader|department|township|reviewer|approver|admin|operator")],
    name: Annotated[Optional[str], typer.Option(help="说明（哪个系统在用）label")] = None,
    db: Db = None,
    policies: Annotated[Optional[Path], typer.Option(
        "--policies", "-p", help=POLICIES_HELP + "（给出时核对单位与角色是否相符 if given, the unit must fit the role）")] = None,
) -> None:
    """生成令牌（只显示这一次，库中只存其 SHA-256）— create a token (printed once)."""
    from ..api.auth import ROLES, check_unit_fits_role, create_token

    if role not in ROLES:
        fail(f"未知角色 unknown role '{role}'；可选 {', '.join(ROLES)}", 2)
    if policies is not None:
        from .common import load_or_exit

        why = check_unit_fits_role(load_or_exit(policies), unit, role)
        if why:
            fail(f"不能创建 refused: {why}", 1)
    engine = _engine(db)
    token_id, token = create_token(engine, unit=unit, role=role, name=name)
    engine.dispose()
    typer.echo(f"令牌 id {token_id}  单位 unit {unit}  角色 role {role}", err=True)
    typer.echo("请立即保存，令牌不会再次显示 — store it now, it is not shown again:", err=True)
    typer.echo(token)


@token_app.command("revoke")
def token_revoke(token_id: Annotated[str, typer.Argument(help="令牌 id（tok_…）")], db: Db = None) -> None:
    """撤销令牌 — revoke a token (takes effect within the servers' token cache time, default 2 s)."""
    from ..api.auth import revoke_token

    engine = _engine(db)
    ok = revoke_token(engine, token_id)
    engine.dispose()
    if not ok:
        fail(f"没有这个有效令牌 no active token {token_id}", 1)
    typer.echo(f"已撤销 revoked {token_id}")


@token_app.command("list")
def token_list(db: Db = None, format: Annotated[str, typer.Option("--format", "-f", help="text|json")] = "text") -> None:
    """列出令牌（不含令牌本身）— list tokens (never the secrets)."""
    from ..api.auth import list_tokens

    engine = _engine(db)
    rows = list_tokens(engine)
    engine.dispose()
    if format == "json":
        from .output import emit_json

        emit_json(True, None, (), tokens=rows)
        return
    for r in rows:
        state = f"已撤销 revoked {r['revoked_at']:%Y-%m-%d %H:%M}" if r["revoked_at"] else "有效 active"
        typer.echo(f"{r['id']}  {r['role']:<10} {r['unit']:<20} {state}  {r['name'] or ''}")


@decisions_app.command("export")
def decisions_export(
    db: Db = None,
    out: Annotated[Optional[Path], typer.Option("--out", "-o", help="输出文件（默认标准输出）")] = None,
    after: Annotated[int, typer.Option(help="从该序号之后 after this seq")] = 0,
    since: Annotated[Optional[str], typer.Option(help="不早于 ISO 时间 not before")] = None,
    until: Annotated[Optional[str], typer.Option(help="早于 ISO 时间 before")] = None,
    matter: Annotated[Optional[str], typer.Option(help="事项")] = None,
    outcome: Annotated[Optional[str], typer.Option(help="allow|deny")] = None,
) -> None:
    """导出决策日志为 JSON Lines — export the decision log as JSON Lines."""
    import datetime as dt

    from ..api.decisionlog import export_from_db

    def when(text):
        if text is None:
            return None
        try:
            t = dt.datetime.fromisoformat(text)
        except ValueError:
            raise typer.BadParameter(f"时间应为 ISO 8601：{text!r}") from None
        return t.astimezone(dt.timezone.utc) if t.tzinfo else t.replace(tzinfo=dt.timezone.utc)

    engine = _engine(db)
    n = 0
    stream = out.open("wb") if out else sys.stdout.buffer
    try:
        for chunk in export_from_db(engine, after=after, since=when(since), until=when(until), matter=matter,
                                    outcome=outcome):
            stream.write(chunk)
            n += chunk.count(b"\n")
    finally:
        if out:
            stream.close()
        else:
            stream.flush()
        engine.dispose()
    typer.echo(f"导出 exported {n} 条决策", err=True)
