"""Shared setup for the workflow tests: a policy (the mini county, the bundled flows and a few
additions) and a store on SQLite or on the local PostgreSQL, each test in its own schema."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa

from admission.loader import LoadOptions, load_policy

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
PG_URL = os.environ.get("ADMISSION_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")

TOWN = "370402101"  # 永安镇
STREET = "370402002"  # 光明路街道 (until 2025-06-30)
VILLAGE = "370402101201"  # 永安村
D_TJ = "D-TJ"  # 统计局 (applicant)
D_BB = "D-BB"  # 编办 (reviewer)
COUNTY = "370402"  # 市中区 (approver)
CITY = "3704"


def build_policy_dir(tmp: Path, flows_dir: Path | None = None) -> Path:
    root = tmp / "policy"
    root.mkdir()
    shutil.copy(FIXTURES / "mini" / "county.yaml", root / "county.yaml")
    shutil.copy(FIXTURES / "flow_extra" / "extra.yaml", root / "extra.yaml")
    flows = root / "flows"
    shutil.copytree(flows_dir or ROOT / "policies" / "flows", flows)
    return root


def load(root: Path):
    return load_policy(root, LoadOptions(workers=1))


def pg_available() -> bool:
    try:
        eng = sa.create_engine(PG_URL)
        with eng.connect() as c:
            c.exec_driver_sql("select 1")
        eng.dispose()
        return True
    except Exception:
        return False


def make_db_url(kind: str, tmp: Path) -> str:
    """A fresh, empty database: a SQLite file, or a new PostgreSQL schema."""
    if kind == "sqlite":
        return f"sqlite:///{tmp / 'wf.db'}"
    if not pg_available():
        pytest.fail(f"PostgreSQL is required for these tests and is not reachable at {PG_URL}")
    schema = "t_" + uuid.uuid4().hex[:12]
    eng = sa.create_engine(PG_URL)
    with eng.begin() as c:
        c.exec_driver_sql(f"CREATE SCHEMA {schema}")
    eng.dispose()
    sep = "&" if "?" in PG_URL else "?"
    return f"{PG_URL}{sep}options=-csearch_path%3D{schema}"


def admission_request(**over) -> dict:
    req = {"matter": "M-RKPC", "targets": [TOWN], "reason": "第八次全国人口普查入户登记需乡镇组织普查员",
           "basis": "B-PROV-DEP", "term": "short", "start": "2025-03-10", "end": "2025-12-31",
           "resources": {"staff": 2, "funds": 50000}}
    req.update(over)
    return req


D0 = dt.date(2025, 3, 3)  # a Monday
