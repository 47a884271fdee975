"""API tokens and callers.

A token is 256 random bits (`adm_` + 43 base64url characters), shown once when it is created;
the store keeps only its SHA-256.  Each token names a unit and a role:

| role | may |
|---|---|
| reader | ask decisions and exercise checks, read duties, owners, matters, findings, the policy, the change feed |
| department | the reader's rights; apply for admission in its own name, read and act on its own applications |
| township | the reader's rights; give opinions for itself and its villages, apply for a dynamic adjustment for itself |
| reviewer | the reader's rights; review the applications of its county, answer dissents |
| approver | the reader's rights; approve, enter, exit the applications of its county (a city government: escalated ones) |
| admin | everything that reads, within its unit's subtree (the unit and all units under it): applications, dossiers, histories, opinions, decision logs whose caller, actor or target unit lies there |
| operator | the reader's rights; system-wide: reload the policy, decision logs, audit-chain verification, tick (its unit is only a label: any unit of the policy) |

An application outside an admin's subtree is answered exactly as one that does not exist.

Which applications a token may see and which flow roles its unit may play are decided here
(`visible`, `FLOW_ROLES`); the workflow service enforces the flow's roles and separation of
duties per person and unit on top.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import secrets
import threading
import time
from dataclasses import dataclass

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Engine

from ..language.enums import UnitKind
from ..store.api_tables import ApiToken

ROLES = ("reader", "department", "township", "reviewer", "approver", "admin", "operator")
TOKEN_PREFIX = "adm_"

#: the flow roles (docs/flows.md) a token role may play; the service checks the unit holds them
FLOW_ROLES: dict[str, frozenset[str]] = {
    "department": frozenset({"applicant", "department"}),
    "township": frozenset({"applicant", "township"}),
    "reviewer": frozenset({"reviewer"}),
    "approver": frozenset({"approver", "county", "higher_approver"}),
}

def role_refusal(role: str, wanted: set[str], what: str) -> str | None:
    """Why a token of `role` cannot take a step that needs one of the flow roles `wanted` (None: it may)."""
    if wanted & FLOW_ROLES.get(role, frozenset()):
        return None
    return f"令牌角色 {role} 不能办理 {what}（流程角色：{'、'.join(sorted(wanted)) or '无'}）"


_TOKENS = ApiToken.__table__


@dataclass(frozen=True, slots=True)
class Caller:
    token_id: str
    unit: str
    role: str
    name: str | None = None


def new_token() -> str:
    return TOKEN_PREFIX + base64.urlsafe_b64encode(secrets.token_bytes(32)).rstrip(b"=").decode()


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


# --------------------------------------------------------------------------- store
def create_token(engine: Engine, *, unit: str, role: str, name: str | None = None) -> tuple[str, str]:
    """Store a new token's hash; return (token id, the token itself — shown once)."""
    if role not in ROLES:
        raise ValueError(f"未知角色 unknown role {role!r}; 可选 {', '.join(ROLES)}")
    if not unit or not unit.strip():
        raise ValueError("必须写明单位 --unit")
    token = new_token()
    token_id = "tok_" + secrets.token_hex(6)
    with engine.begin() as c:
        c.execute(insert(_TOKENS).values(id=token_id, token_hash=token_hash(token), unit=unit.strip(), role=role,
                                         name=name, created_at=dt.datetime.now(dt.timezone.utc), revoked_at=None))
    return token_id, token


def revoke_token(engine: Engine, token_id: str) -> bool:
    with engine.begin() as c:
        n = c.execute(update(_TOKENS).where(_TOKENS.c.id == token_id, _TOKENS.c.revoked_at.is_(None))
                      .values(revoked_at=dt.datetime.now(dt.timezone.utc))).rowcount
    return n > 0


def list_tokens(engine: Engine) -> list[dict]:
    with engine.begin() as c:
        rows = c.execute(select(_TOKENS.c.id, _TOKENS.c.unit, _TOKENS.c.role, _TOKENS.c.name, _TOKENS.c.created_at,
                                _TOKENS.c.revoked_at).order_by(_TOKENS.c.created_at, _TOKENS.c.id)).mappings().all()
    return [dict(r) for r in rows]


def lookup(engine: Engine, digest: str) -> Caller | None:
    with engine.begin() as c:
        row = c.execute(select(_TOKENS.c.id, _TOKENS.c.unit, _TOKENS.c.role, _TOKENS.c.name, _TOKENS.c.revoked_at)
                        .where(_TOKENS.c.token_hash == digest)).first()
    if row is None or row.revoked_at is not None or row.role not in ROLES:
        return None
    return Caller(row.id, row.unit, row.role, row.name)


class TokenCache:
    """Token hash → caller (or None for an unknown or revoked token) for `ttl` seconds, so a
    request costs one SHA-256 and a dictionary lookup; a revocation takes effect within `ttl`."""

    def __init__(self, ttl: float, max_entries: int = 10_000):
        self.ttl = ttl
        self.max_entries = max_entries
        self._entries: dict[str, tuple[Caller | None, float]] = {}
        self._lock = threading.Lock()

    def get(self, digest: str) -> tuple[bool, Caller | None]:
        hit = self._entries.get(digest)
        if hit is None or hit[1] < time.monotonic():
            return False, None
        return True, hit[0]

    def put(self, digest: str, caller: Caller | None) -> None:
        if self.ttl <= 0:
            return
        with self._lock:
            if len(self._entries) >= self.max_entries:
                now = time.monotonic()
                self._entries = {k: v for k, v in self._entries.items() if v[1] >= now}
                if len(self._entries) >= self.max_entries:
                    self._entries.clear()
            self._entries[digest] = (caller, time.monotonic() + self.ttl)


def check_unit_fits_role(policy, unit: str, role: str) -> str | None:
    """Why `unit` cannot hold a token of `role` in `policy` (None when it can)."""
    u = policy.units.get(unit)
    if u is None:
        return f"单位 {unit} 不在策略中"
    if role == "department" and u.kind not in (UnitKind.department, UnitKind.dispatched, UnitKind.task_force):
        return f"{u.name} 不是部门，不能持有 department 令牌"
    if role == "township" and u.kind != UnitKind.township:
        return f"{u.name} 不是乡镇(街道)，不能持有 township 令牌"
    if role == "reviewer" and "reviewer" not in u.flow_roles:
        return f"{u.name} 未登记为审核机构（flow_roles: [reviewer]）"
    if role == "approver" and u.kind != UnitKind.government and not {"approver", "county", "higher_approver"} & set(u.flow_roles):
        return f"{u.name} 不是党委政府，也未登记审批角色"
    return None


# --------------------------------------------------------------------------- visibility
def townships_of(index, targets) -> set[str]:
    units = index.units
    return {units[t].township if units[t].kind == UnitKind.village else t for t in targets if t in units}


def in_subtree(index, unit: str | None, root: str) -> bool:
    """Is `unit` the unit `root` or under it (following `parent`)?"""
    units = index.units
    seen: set[str] = set()
    while unit is not None and unit not in seen:
        if unit == root:
            return True
        seen.add(unit)
        u = units.get(unit)
        if u is None:
            return False
        unit = u.record.parent
    return False


def subtree(index, root: str) -> frozenset[str]:
    """The unit `root` and every unit under it (empty when `root` is not in the policy)."""
    if root not in index.units:
        return frozenset()
    return frozenset(u for u in index.units if in_subtree(index, u, root))


def visible(caller: Caller, app, index) -> bool:
    """May this caller see this application?  (If not, the API answers as if it did not exist.)"""
    role = caller.role
    units = index.units
    me = units.get(caller.unit)
    if me is None or role in ("reader", "operator"):
        return False
    if role == "admin":
        return (in_subtree(index, app.applicant_unit, caller.unit)
                or any(in_subtree(index, t, caller.unit) for t in app.targets))
    if role == "department":
        if me.attributed == app.applicant_unit:
            return True
        return app.kind == "adjustment" and me.attributed in (app.payload or {}).get("departments", [])
    if role == "township":
        return caller.unit == app.applicant_unit or caller.unit in townships_of(index, app.targets)
    applicant = units.get(app.applicant_unit)
    county = applicant.county if applicant else None
    if county is None:
        return False
    if me.county == county:
        return True
    return role == "approver" and units[county].record.parent == caller.unit
