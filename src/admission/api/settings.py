"""Settings of the API server, validated by pydantic-settings from `ADMISSION_*` environment
variables (the `admission serve` options set the same variables for its workers)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class ApiSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ADMISSION_", extra="ignore", frozen=True)

    policies: Path = Field(default=Path("policies"), description="策略目录 policy directory")
    bundle: str | None = Field(default=None, description=(
        "编译包（`admission build` 的目录，或 `admission publish` 发布到的数据库 URL）；设置后从编译包的当前修订"
        "加载策略，不读策略目录，各副本因此提供同一修订"))
    verify_key: Path | None = Field(default=None, description=(
        "Ed25519 公钥（PEM）：设置后只提供用对应私钥签名、序号不低于在用修订的编译包修订 "
        "(serve only bundle revisions signed by this key, never an older one)"))
    sharded: bool = Field(default=False, description=(
        "只回答决策问题的副本：从编译包按分片懒加载（首次问到某县时才建其索引），全国规模也能数秒启动；须设置 bundle"))
    database_url: str | None = Field(default=None, description="数据库 URL（默认 sqlite:///admission.db）")

    max_batch: int = Field(default=10_000, ge=1, le=100_000, description="一次批量问题的上限")
    max_body_bytes: int = Field(default=4 * 1024 * 1024, ge=1024, description="请求体大小上限（字节）")
    read_timeout_seconds: float = Field(default=10.0, gt=0, le=3600, description=(
        "读取超时（秒）：请求开始后，客户端须在此时间内送来下一段数据，直到请求收完；否则答 408 并关闭连接 "
        "(a request whose body stops short of its Content-Length is answered 408)"))
    page_limit_max: int = Field(default=1000, ge=1)

    decision_log: Literal["buffered", "sync", "off"] = Field(
        default="buffered", description="buffered: 有界缓冲、后台批量写入、满则丢弃并计数; sync: 同一请求内写入，写不进则不作答; off: 不记")
    decision_log_sample: float = Field(default=1.0, ge=0.0, le=1.0, description="抽样比例")
    decision_log_buffer: int = Field(default=100_000, ge=1, description="每个进程缓冲的条数上限（一次请求一条）")
    decision_log_buffer_bytes: int = Field(default=256 * 1024 * 1024, ge=1024, description="每个进程缓冲的字节上限")
    decision_log_flush_seconds: float = Field(default=0.2, gt=0, description="后台写入间隔")
    decision_log_flush_rows: int = Field(default=5_000, ge=1, description="攒够这么多条即写入")

    token_cache_seconds: float = Field(default=2.0, ge=0, description="令牌查验结果的缓存时间（撤销最迟在此后生效）")
    refresh_seconds: float = Field(default=1.0, gt=0, description="其他进程的准入变化与策略重载多久同步一次")
    idempotency_ttl_hours: float = Field(default=24.0, gt=0)
    idempotency_lease_seconds: float = Field(default=60.0, gt=0, description="首个请求仍在处理的最长时间")
    require_if_match: bool = Field(default=True, description=(
        "改动申请的请求（步骤、意见、答复）必须带 If-Match，缺少返回 428；设为 false 则不带 If-Match 的请求以最后写入为准 "
        "(false: requests without If-Match are last-writer-wins)"))
    today: dt.date | None = Field(default=None, description="固定“今天”（测试与演示用）；默认北京时间今天")
    load_workers: int = Field(default=1, ge=1, description="加载策略的进程数（服务进程内默认 1）")
