"""Findings in context: the filtered list (county, township, rule family, severity, rule), each
finding's page (Chinese title beside the rule id, the entries involved with their YAML, the legal
basis, the suggested fix), and the filtered list as CSV, Excel or SARIF."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from ...evaluate.checks import all_rules, run_checks
from ...explain.report import to_sarif
from ...language.enums import UnitKind
from ..schemas import ApiDate
from ..views import finding_units
from . import units as U
from .pages import PageNo, SessionDep, file_visible
from .session import PREFIX, Session, missing, may_see, render

router = APIRouter(prefix=PREFIX, include_in_schema=False)
SEVERITY = {"error": "错误", "warning": "警告", "info": "提示"}
PER = 50
Opt = Annotated[str | None, Query(max_length=80)]


def finding_id(f) -> str:
    return hashlib.sha1(f"{f.code}|{f.subject}|{f.span}|{f.message}".encode()).hexdigest()[:12]


class Item:
    """A finding with what the pages need: its id, rule, units, township and county."""

    __slots__ = ("f", "id", "rule", "units", "townships", "counties")

    def __init__(self, f, rule, units, townships, counties):
        self.f, self.id, self.rule = f, finding_id(f), rule
        self.units, self.townships, self.counties = units, townships, counties


def _items(rt, day: dt.date) -> list[Item]:
    policy, index = rt.policy, rt.index
    rules = all_rules()
    out = []
    for f in run_checks(policy, day, index):
        us = finding_units(policy, index, f)
        towns = {index.units[u].township if index.units[u].kind == UnitKind.village else u for u in us}
        out.append(Item(f, rules.get(f.code), us, towns, {index.units[u].county for u in us} - {None}))
    return out


async def items_for(state, day: dt.date) -> list[Item]:
    """Every finding on `day`, computed once per index, admission state and day (as the API's)."""
    rt = state.rt
    key = ("web", id(rt.index), rt.index.admission_seq, day)
    got = state._findings_cache.get(key)
    if got is None:
        got = await state.reading(_items, rt, day)
        if len(state._findings_cache) > 16:
            state._findings_cache.clear()
        state._findings_cache[key] = got
    return got


def visible_item(policy, s: Session, it: Item) -> bool:
    if s.scope is None:
        return True
    if it.units:
        return any(may_see(s.scope, u) for u in it.units)
    return it.f.span is None or file_visible(policy, s, it.f.span.file)


def pick(items, *, county, township, family, severity, rule) -> list[Item]:
    return [it for it in items
            if (not county or county in it.counties) and (not township or township in it.townships)
            and (not family or (it.rule and it.rule.family == family)) and (not severity or it.f.severity.value == severity)
            and (not rule or it.f.code == rule)]


async def _filtered(request, s, on, county, township, family, severity, rule):
    state = request.app.state.admission
    day = on or state.today()
    policy = state.rt.policy
    mine = [it for it in await items_for(state, day) if visible_item(policy, s, it)]
    return day, mine, pick(mine, county=county, township=township, family=family, severity=severity, rule=rule)


@router.get("/findings")
async def findings(request: Request, s: SessionDep, on: ApiDate | None = None, county: Opt = None,
                   township: Opt = None, family: Opt = None,
                   severity: Literal["error", "warning", "info", ""] | None = None, rule: Opt = None,
                   page: PageNo = 1) -> Response:
    day, mine, shown = await _filtered(request, s, on, county, township, family, severity, rule)
    policy = request.app.state.admission.rt.policy
    counties = sorted({c for it in mine for c in it.counties})
    towns = sorted({t for it in mine for t in it.townships if not county or policy.units[t].parent == county})
    query = "&".join(f"{k}={v}" for k, v in (("on", on), ("county", county), ("township", township),
                                                ("family", family), ("severity", severity), ("rule", rule)) if v)
    return render(request, "findings.html", on=day, items=shown[(page - 1) * PER:page * PER], total=len(shown),
                  all_total=len(mine), page=page, per=PER, query=query, name=lambda u: U.name_of(policy, u),
                  counties=counties, towns=towns, families=sorted({r.family for r in all_rules().values()}),
                  rules=sorted({it.f.code for it in mine}), sev=SEVERITY,
                  chosen={"county": county, "township": township, "family": family, "severity": severity,
                          "rule": rule})


@router.get("/findings.{fmt}")
async def export(request: Request, fmt: Literal["csv", "xlsx", "sarif"], s: SessionDep, on: ApiDate | None = None,
                 county: Opt = None, township: Opt = None, family: Opt = None,
                 severity: Literal["error", "warning", "info", ""] | None = None, rule: Opt = None) -> Response:
    day, _, shown = await _filtered(request, s, on, county, township, family, severity, rule)
    policy = request.app.state.admission.rt.policy
    name = f"findings-{day}.{fmt}"
    head = {"Content-Disposition": f'attachment; filename="{name}"'}
    if fmt == "sarif":
        rules = {it.f.code: f"{it.rule.title} {it.rule.title_en}" for it in shown if it.rule}
        return Response(to_sarif([it.f for it in shown], rules), media_type="application/sarif+json", headers=head)
    header = ["级别 severity", "规则 rule", "规则名称 title", "单位 units", "说明 message", "修改建议 fix", "位置 location"]
    rows = [[SEVERITY.get(it.f.severity.value, it.f.severity.value), it.f.code, it.rule.title if it.rule else "",
             "、".join(U.name_of(policy, u) for u in it.units), it.f.message, it.rule.fix if it.rule else "",
             str(it.f.span) if it.f.span else ""] for it in shown]
    if fmt == "csv":
        buf = io.StringIO()
        w = csv.writer(buf)
        w.writerow(header)
        w.writerows([[_cell(c) for c in r] for r in rows])
        return Response("\ufeff" + buf.getvalue(), media_type="text/csv; charset=utf-8", headers=head)
    return Response(_xlsx(header, rows), headers=head,
                    media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


def _cell(value: str) -> str:
    """Text a spreadsheet must not run as a formula."""
    return "'" + value if value[:1] in ("=", "+", "-", "@") else value


def _xlsx(header: list[str], rows: list[list[str]]) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "检查发现的问题"
    ws.append(header)
    for r in rows:
        ws.append(r)
        for cell in ws[ws.max_row]:
            cell.data_type = "s"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def legal_bases(policy, subject: str) -> list[tuple]:
    """(matter, its record, the basis that sets it) for the matters a finding's subject names: an
    assignment, delegation or admission by id, or `unit/matter`."""
    rec = policy.assignments.get(subject) or policy.delegations.get(subject) or policy.admissions.get(subject)
    mids = [rec.matter] if rec is not None else [m for m in subject.replace("/", " ").split() if m in policy.matters]
    out = []
    for mid in dict.fromkeys(mids):
        m = policy.matters.get(mid)
        if m is not None:
            out.append((mid, m, policy.bases.get(m.basis) if m.basis else None))
    return out


@router.get("/findings/{fid}")
async def finding(request: Request, fid: str, s: SessionDep, on: ApiDate | None = None) -> Response:
    state = request.app.state.admission
    day = on or state.today()
    policy = state.rt.policy
    it = next((x for x in await items_for(state, day) if x.id == fid), None)
    if it is None or not visible_item(policy, s, it):
        raise missing("问题")
    f = it.f
    spans = [sp for sp in (f.span, *f.related) if sp is not None and file_visible(policy, s, sp.file)]
    shown = [(sp, U.excerpt(policy.root, sp.file, sp.line, sp.end_line)) for sp in dict.fromkeys(spans)]
    bases = legal_bases(policy, f.subject or "")
    return render(request, "finding.html", it=it, f=f, shown=shown, bases=bases, sev=SEVERITY, on=day,
                  name=lambda u: U.name_of(policy, u))
