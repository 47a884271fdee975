"""Hover: what an id is (a matter's name, domain, power type and basis; a unit's kind, level,
parent and dates; a basis's 文号, issuer, level and validity) and, for a matter in a township's
or village's record, where it stands there on the day: `admission who` in a tooltip."""

from __future__ import annotations

import datetime as dt

from lsprotocol import types as lsp

from ..evaluate.who import ROLE_LABELS, who
from .fields import record_name
from .navigate import id_at
from .text import context_at
from .workspace import Workspace

_VIA = {"basic": "基本履职事项", "cooperative": "配合履职事项", "returned": "上级部门收回事项",
        "grant": "赋权", "entrust": "委托", "admission": "准入", "duty": "村(社区)履职事项",
        "assisting": "协助事项", "power_list": "权责清单"}


def _label(value) -> str:
    return f"{getattr(value, 'label', value)}（{getattr(value, 'value', value)}）" if value is not None else "—"


def _unit_name(ws: Workspace, uid: str | None) -> str:
    u = ws.index["units"].get(uid) if uid else None
    return f"{u.name}（{uid}）" if u else (uid or "—")


def matter_text(ws: Workspace, mid: str, unit: str | None, on: dt.date) -> list[str]:
    m = ws.index["matters"][mid]
    basis = ws.index["bases"].get(m.basis) if m.basis else None
    out = [f"**事项 matter {mid}** {m.name}", "",
           f"- 领域 domain: {m.domain}", f"- 权力类型 power type: {_label(m.power_type)}",
           f"- 设定依据 basis: {basis.number + ' ' + basis.title if basis else (m.basis or '—')}"]
    if m.levels:
        out.append(f"- 适用层级 levels: {'、'.join(lv.label for lv in m.levels)}")
    index = ws.compiled()
    if unit and index is not None and unit in ws.policy.units and mid in ws.policy.matters:
        roles = who(index, mid, unit, on)
        out += ["", f"**在 {_unit_name(ws, unit)} {on}** who:"]
        if not roles:
            out.append("- 无人负责 nobody is named")
        for r in roles:
            period = f"{r.since or '…'} 至 {r.until or '…'}"
            out.append(f"- {ROLE_LABELS.get(r.role, r.role)} {r.unit_name}（{r.unit}） 经由 {_VIA.get(r.via, r.via)}"
                       f"（{r.via}） {period}")
    return out


def unit_text(ws: Workspace, uid: str) -> list[str]:
    u = ws.index["units"][uid]
    return [f"**单位 unit {uid}** {u.name}", "",
            f"- 类型 kind: {_label(u.kind)}", f"- 层级 level: {_label(u.own_level)}",
            f"- 上级 parent: {_unit_name(ws, u.parent)}",
            f"- 施行 since: {u.since or '—'}  废止 until: {u.until or '—'}"]


def basis_text(ws: Workspace, bid: str, on: dt.date) -> list[str]:
    b = ws.index["bases"][bid]
    state = "有效 in force" if b.in_force(on) else "未生效或已失效 not in force"
    return [f"**依据 basis {bid}** {b.title}", "",
            f"- 文号 number: {b.number}", f"- 制发机关 issuer: {b.issuer}", f"- 层级 level: {_label(b.level)}",
            f"- 发布 issued: {b.issued or '不详 undated'}  失效 expires: {b.expires or '—'}",
            f"- {on}: {state}"]


def hover(ws: Workspace, display: str, pos: lsp.Position, on: dt.date) -> lsp.Hover | None:
    hit = id_at(ws, display, pos)
    if hit is None:
        return None
    section, ident = hit
    if section == "matters":
        lines = ws.text(display).splitlines()
        owner = context_at(lines, pos.line, pos.character).owner
        text = matter_text(ws, ident, owner.get("township") or owner.get("village"), on)
    elif section == "units":
        text = unit_text(ws, ident)
    elif section == "bases":
        text = basis_text(ws, ident, on)
    else:
        rec = ws.index[section][ident]
        text = [f"**{section} {ident}** {record_name(rec)}"]
    return lsp.Hover(contents=lsp.MarkupContent(kind=lsp.MarkupKind.Markdown, value="\n".join(text)))
