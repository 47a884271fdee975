"""Applications as work: the task list of the signed-in role (what waits for me, what is overdue
by its working-day deadline), each application's dossier (facts, the consulted townships'
opinions, the audit trail and whether the hash chain verifies, the flow with the current state
marked), and the actions the role may take — each through the workflow service with the version
the page was drawn from (If-Match), each refusal shown with its reason."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from ...flow.errors import NotFound, WorkflowError
from ...render import output
from ...render.flow import flow_view
from ..auth import role_refusal, visible
from ..auth import townships_of
from . import units as U
from .pages import SessionDep
from .session import PREFIX, Session, check_csrf, missing, render, signed_in, session

router = APIRouter(prefix=PREFIX, include_in_schema=False)
INPUTS = {"reason": "理由 reason", "document": "文号 document", "meeting": "会议 meeting",
          "effective": "进入/生效日期 effective", "passed": "评估通过 passed"}


@dataclass
class Action:
    action: str
    name: str
    requires: list[str]
    why_not: str | None  # None: the caller may take it


def actions_for(rt, s: Session, app) -> list[Action]:
    """The steps out of the application's state, each with why this caller cannot take it."""
    flow = rt.policy.flows.get(app.flow_id)
    if flow is None:
        return []
    held = rt.workflow.roles_of(app, s.caller.unit, app.payload)
    out = []
    for t in flow.transitions:
        if app.state not in t.source or t.action == "apply":
            continue
        wanted = set(t.roles) - {"system"}
        why = role_refusal(s.caller.role, wanted, t.action)
        if why is None and not wanted & held:
            why = f"{s.unit_name} 在此申请中不担任 {'、'.join(sorted(wanted))}（the unit does not play this role here）"
        out.append(Action(t.action, t.name or t.action, list(t.requires), why))
    return out


def opinion_open(rt, s: Session, app, opinions) -> bool:
    """Is this caller's opinion still awaited: a target township, or (an adjustment) a concerned department?"""
    if app.phase != "review" or any(o.unit == s.caller.unit for o in opinions):
        return False
    if s.caller.role == "township":
        return s.caller.unit in townships_of(rt.index, app.targets)
    me = rt.index.units.get(s.caller.unit)
    return (s.caller.role == "department" and app.kind == "adjustment" and me is not None
            and me.attributed in (app.payload or {}).get("departments", []))


def _mine(rt, s: Session, today: dt.date):
    rows, _ = rt.workflow.list(offset=0, limit=10**6)
    waiting, overdue, others = [], [], []
    for app in rows:
        if not visible(s.caller, app, rt.index):
            continue
        acts = [a for a in actions_for(rt, s, app) if a.why_not is None]
        opinions = rt.workflow.opinions(app.id) if s.caller.role in ("township", "department") else []
        late = app.overdue or bool(app.due and app.due < today)
        entry = (app, acts, opinion_open(rt, s, app, opinions), late)
        if acts or entry[2]:
            waiting.append(entry)
        else:
            others.append(entry)
        if late:
            overdue.append(entry)
    return waiting, overdue, others


@router.get("/tasks")
async def tasks(request: Request, s: SessionDep) -> Response:
    state = request.app.state.admission
    rt = state.rt
    today = state.today()
    waiting, overdue, others = await state.reading(_mine, rt, s, today)
    return render(request, "tasks.html", waiting=waiting, overdue=overdue, others=others, today=today,
                  names=_names(rt), states=_states(rt), matter=lambda mid: U.name_of_matter(rt.policy, mid))


def _names(rt):
    return lambda uid: U.name_of(rt.policy, uid)


def _states(rt):
    flows = rt.policy.flows
    return lambda app: next((st.name for st in flows[app.flow_id].states if st.id == app.state), app.state) \
        if app.flow_id in flows else app.state


def _dossier(rt, s: Session, app_id: str):
    try:
        app = rt.workflow.get(app_id)
    except NotFound:
        return None
    if not visible(s.caller, app, rt.index):
        return None
    history = rt.workflow.history(app_id)
    opinions = rt.workflow.opinions(app_id)
    problems = rt.workflow.verify_application(app_id)
    svg = None
    if app.flow_id in rt.policy.flows:
        svg = inline_svg(output.render_bytes(flow_view(rt.policy, app.flow_id, counts={app.state: 1}), "svg"))
    return {"app": app, "history": history, "opinions": opinions, "chain": problems, "svg": svg,
            "refusals": rt.workflow.refusals(app_id), "actions": actions_for(rt, s, app),
            "opinion_open": opinion_open(rt, s, app, opinions),
            "to_answer": [o for o in opinions if o.stance == "dissent" and not o.answer]
            if role_refusal(s.caller.role, {"reviewer"}, "答复") is None else []}


def inline_svg(data: bytes) -> str:
    """Graphviz's SVG without its XML prolog and doctype, to sit inside a page."""
    text = data.decode("utf-8")
    at = text.find("<svg")
    return text[at:] if at >= 0 else text


async def _page(request: Request, s: Session, app_id: str, status: int = 200, refused: str | None = None,
                done: str | None = None) -> Response:
    state = request.app.state.admission
    rt = state.rt
    d = await state.reading(_dossier, rt, s, app_id)
    if d is None:
        raise missing("申请")
    m = rt.policy.matters.get(d["app"].matter)
    return render(request, "dossier.html", status, d=d, app=d["app"], matter=m, names=_names(rt), states=_states(rt),
                  inputs=INPUTS, refused=refused, done=done, today=state.today())


@router.get("/applications/{app_id}")
async def dossier(request: Request, app_id: str, s: SessionDep, done: str | None = None) -> Response:
    return await _page(request, s, app_id, done=done)


@router.post("/applications/{app_id}/act")
async def act(request: Request, app_id: str) -> Response:
    _, token = await signed_in(request)
    form = await request.form()
    await check_csrf(request, token, form)
    s = await session(request)
    state = request.app.state.admission
    rt = state.rt
    try:
        app = await state.reading(rt.workflow.get, app_id)
    except NotFound:
        raise missing("申请") from None
    if not visible(s.caller, app, rt.index):
        raise missing("申请")
    action = str(form.get("action") or "")
    person = str(form.get("person") or "").strip()
    try:
        version = int(str(form.get("version") or ""))
    except ValueError:
        return await _page(request, s, app_id, 428, refused="缺少页面版本（If-Match），请刷新后重试")
    try:
        if action == "answer":
            why = role_refusal(s.caller.role, {"reviewer"}, "答复")
            if why:
                return await _page(request, s, app_id, 403, refused=why)
            await state.reading(rt.workflow.answer_dissent, app_id=app_id, township=str(form.get("township") or ""),
                                unit=s.caller.unit, person=person, text=str(form.get("text") or ""),
                                on=state.today(), if_match=version)
        elif action == "opinion":
            why = role_refusal(s.caller.role, {"township", "department"}, "意见")
            if why:
                return await _page(request, s, app_id, 403, refused=why)
            await state.reading(rt.workflow.give_opinion, app_id=app_id, unit=s.caller.unit, person=person,
                                stance=str(form.get("stance") or ""), text=str(form.get("text") or "") or None,
                                on=state.today(), if_match=version)
        else:
            mine = {a.action: a for a in actions_for(rt, s, app)}
            if action in mine and mine[action].why_not:
                return await _page(request, s, app_id, 403, refused=mine[action].why_not)
            effective = str(form.get("effective") or "")
            passed = form.get("passed")
            await state.reading(rt.workflow.step, app_id=app_id, action=action, unit=s.caller.unit, person=person,
                                on=state.today(), reason=str(form.get("reason") or "") or None,
                                document=str(form.get("document") or "") or None,
                                meeting=str(form.get("meeting") or "") or None,
                                effective=dt.date.fromisoformat(effective) if effective else None,
                                passed=None if passed is None else passed == "yes", if_match=version)
            await state.sync()
    except WorkflowError as exc:
        detail = "；".join(str(x.get("message") or x) for x in (exc.details or []) if isinstance(x, dict))
        return await _page(request, s, app_id, exc.status, refused=exc.message + (f"：{detail}" if detail else ""))
    except ValueError:
        return await _page(request, s, app_id, 422, refused="日期格式应为 YYYY-MM-DD")
    return RedirectResponse(f"{PREFIX}/applications/{app_id}?done={action}", status_code=303)
