"""The admission workflow: create, each step, opinions, answers to dissent, history, dossier,
list.  Writes on an application require `If-Match` (its ETag; 428 without) and accept
`Idempotency-Key`; the acting unit is the token's unit and
the person acting (经办人) comes from the body or `X-Acting-Person`.  An application the caller
may not see is answered exactly as one that does not exist (404)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Request

from ...flow.service import NotFound
from ...language.base import ID_PATTERN
from ..auth import Caller, role_refusal, visible
from ..deps import (
    ActingPersonDep, IdempotencyDep, IfMatchDep, OperatorDep, Precondition, StateDep, WorkflowCaller, the_person,
)
from ..idempotency import fingerprint, idempotent
from ..problems import ApiProblem
from ..reading import PageDep, page_body
from ..schemas import (
    AnswerBody, ApplicationOut, ApplicationPage, ApplyBody, DossierOut, LogEntryOut, OpinionBody, OpinionOut,
    StepBody, TickOut, VerifyOut,
)
from ..state import AppState
from . import AUTH, errors, json_response

router = APIRouter(prefix="/v1", tags=["workflow 准入流程"])

_ETAG_HEADER = {"ETag": {"description": '申请的版本，如 "3"（用于 If-Match）', "schema": {"type": "string"}}}
_CREATED_HEADERS = {**_ETAG_HEADER, "Location": {"description": "新申请的地址", "schema": {"type": "string"}}}


def _with(status: int, headers: dict, *codes: int) -> dict:
    return {status: {"headers": headers}, **errors(*codes)}

AppId = Annotated[str, Path(min_length=1, max_length=40, pattern=r"^[0-9A-Za-z_.\-]+$", description="申请编号")]
Action = Annotated[str, Path(min_length=1, max_length=40, pattern=r"^[a-z][a-z0-9_]*$",
                             description="流程中的步骤，如 review、send_back、resubmit、approve、escalate、"
                                         "approve_higher、enter、evaluate、exit、reject、withdraw、decide")]
TownshipId = Annotated[str, Path(min_length=1, max_length=80, pattern=ID_PATTERN)]


def app_out(app) -> dict:
    payload = app.payload or {}
    return {
        "id": app.id, "flow_id": app.flow_id, "flow_revision": app.flow_revision, "kind": app.kind,
        "state": app.state, "phase": app.phase, "applicant_unit": app.applicant_unit,
        "applicant_person": app.applicant_person, "matter": app.matter, "targets": list(app.targets),
        "payload": {k: v for k, v in payload.items() if not k.startswith("_")}, "version": app.version,
        "etag": etag(app), "state_since": app.state_since, "due": app.due, "overdue": app.overdue,
        "effective_from": app.effective_from, "effective_until": app.effective_until, "exited_on": app.exited_on,
        "opinion_due": payload.get("_opinion_due"), "created_at": app.created_at, "updated_at": app.updated_at,
    }


def etag(app) -> str:
    return f'"{app.version}"'


def opinion_out(op) -> dict:
    return {"id": op.id, "application_id": op.application_id, "unit": op.unit, "person": op.person,
            "stance": op.stance, "text": op.text, "given_on": op.given_on, "answer": op.answer,
            "answered_by": op.answered_by, "answered_on": op.answered_on}


def log_out(e) -> dict:
    return e.model_dump(mode="json")


def _gone(app_id: str) -> ApiProblem:
    return ApiProblem(404, "no-such-application", f"申请 {app_id} 不存在")


async def visible_app(state: AppState, caller: Caller, app_id: str):
    rt = state.rt
    try:
        app = await state.reading(rt.workflow.get, app_id)
    except NotFound:
        raise _gone(app_id) from None
    if not visible(caller, app, rt.index):
        raise _gone(app_id)
    return app


def _may_play(caller: Caller, wanted: set[str], what: str) -> None:
    why = role_refusal(caller.role, wanted, what)
    if why:
        raise ApiProblem(403, "role-not-allowed", why)


def _precondition(state: AppState, pre: Precondition, app_id: str) -> int | None:
    """The version the write is conditional on; without `If-Match` the write is refused (428)
    unless the server allows last-writer-wins (`require_if_match` off)."""
    if not pre.given and state.settings.require_if_match:
        raise ApiProblem(428, "if-match-required",
                         f"此操作必须带 If-Match：先 GET /v1/applications/{app_id}，把响应头 ETag（或响应体 etag）"
                         f"原样放进 If-Match；写 If-Match: * 表示不论版本")
    return pre.version


# --------------------------------------------------------------------------- create
@router.post("/applications", status_code=201, response_model=ApplicationOut,
             responses=_with(201, _CREATED_HEADERS, *AUTH, 404, 409, 413, 422), summary="申请：部门以自己的名义申请准入；乡镇为自己申请动态调整")
async def create_application(body: ApplyBody, request: Request, caller: WorkflowCaller, state: StateDep,
                             key: IdempotencyDep, person_header: ActingPersonDep):
    person = the_person(person_header, body.person)
    rt = state.rt
    flow = rt.policy.flows.get(body.flow)
    if flow is not None:
        wanted = {"department"} if flow.kind.value == "admission" else {"township"}
        if caller.role not in wanted:
            raise ApiProblem(403, "role-not-allowed",
                             f"令牌角色 {caller.role} 不能提交{flow.name}申请（需要：{'、'.join(wanted)}）")

    async def run():
        app = await state.reading(rt.workflow.apply, flow_id=body.flow, unit=caller.unit, person=person,
                                  request=body.request, on=state.today())
        return json_response(app_out(app), 201, {"ETag": etag(app), "Location": f"/v1/applications/{app.id}"})

    fp = fingerprint("POST", request.url.path, body.model_dump(mode="json"), person)
    return await idempotent(state.idem, request, caller.token_id, key, fp, run)


# --------------------------------------------------------------------------- steps
@router.post("/applications/{app_id}/actions/{action}", response_model=ApplicationOut,
             responses=_with(200, _ETAG_HEADER, *AUTH, 404, 409, 412, 413, 422, 428),
             summary="办理一个步骤（审核、退回、审批、进入、退出……），须带 If-Match，可带 Idempotency-Key")
async def take_step(app_id: AppId, action: Action, body: StepBody, request: Request, caller: WorkflowCaller,
                    state: StateDep, key: IdempotencyDep, pre: IfMatchDep, person_header: ActingPersonDep):
    person = the_person(person_header, body.person)
    app = await visible_app(state, caller, app_id)
    version = _precondition(state, pre, app_id)
    rt = state.rt
    flow = rt.policy.flows.get(app.flow_id)
    if flow is not None:
        named = [t for t in flow.transitions if t.action == action]
        if named:
            _may_play(caller, {r for t in named for r in t.roles}, action)

    async def run():
        new = await state.reading(rt.workflow.step, app_id=app_id, action=action, unit=caller.unit, person=person,
                                  on=state.today(), reason=body.reason, document=body.document,
                                  meeting=body.meeting, effective=body.effective, passed=body.passed,
                                  if_match=version)
        await state.sync()  # an admission entering or leaving reaches decisions at once
        return json_response(app_out(new), 200, {"ETag": etag(new)})

    fp = fingerprint("POST", request.url.path, body.model_dump(mode="json"), person, version)
    return await idempotent(state.idem, request, caller.token_id, key, fp, run)


@router.post("/applications/{app_id}/opinions", status_code=201, response_model=OpinionOut,
             responses=_with(201, _ETAG_HEADER, *AUTH, 404, 409, 412, 413, 422, 428),
             summary="征求意见：目标乡镇为自己和所辖村给出意见（动态调整：会商部门）")
async def give_opinion(app_id: AppId, body: OpinionBody, request: Request, caller: WorkflowCaller, state: StateDep,
                       key: IdempotencyDep, pre: IfMatchDep, person_header: ActingPersonDep):
    person = the_person(person_header, body.person)
    _may_play(caller, {"township", "department"}, "意见")
    app = await visible_app(state, caller, app_id)
    version = _precondition(state, pre, app_id)
    rt = state.rt

    async def run():
        op = await state.reading(rt.workflow.give_opinion, app_id=app_id, unit=caller.unit, person=person,
                                 stance=body.stance, text=body.text, on=state.today(), if_match=version)
        now = await state.reading(rt.workflow.get, app_id)
        stored = await state.reading(rt.workflow.opinions, app_id)
        op_id = next((o.id for o in stored if o.unit == op.unit), None)
        return json_response(opinion_out(op) | {"id": op_id}, 201, {"ETag": etag(now)})

    fp = fingerprint("POST", request.url.path, body.model_dump(mode="json"), person, version, app.id)
    return await idempotent(state.idem, request, caller.token_id, key, fp, run)


@router.post("/applications/{app_id}/opinions/{township}/answer", response_model=OpinionOut,
             responses=_with(200, _ETAG_HEADER, *AUTH, 404, 409, 412, 413, 422, 428),
             summary="审核机构书面答复乡镇的不同意见")
async def answer_dissent(app_id: AppId, township: TownshipId, body: AnswerBody, request: Request,
                         caller: WorkflowCaller, state: StateDep, key: IdempotencyDep, pre: IfMatchDep,
                         person_header: ActingPersonDep):
    person = the_person(person_header, body.person)
    _may_play(caller, {"reviewer"}, "答复")
    await visible_app(state, caller, app_id)
    version = _precondition(state, pre, app_id)
    rt = state.rt

    async def run():
        op = await state.reading(rt.workflow.answer_dissent, app_id=app_id, township=township, unit=caller.unit,
                                 person=person, text=body.text, on=state.today(), if_match=version)
        now = await state.reading(rt.workflow.get, app_id)
        return json_response(opinion_out(op), 200, {"ETag": etag(now)})

    fp = fingerprint("POST", request.url.path, body.model_dump(mode="json"), person, version)
    return await idempotent(state.idem, request, caller.token_id, key, fp, run)


# --------------------------------------------------------------------------- reading
@router.get("/applications", response_model=ApplicationPage, responses=errors(*AUTH, 422),
            summary="申请列表（只列出本令牌可见的申请），可筛选、分页")
async def list_applications(caller: WorkflowCaller, state: StateDep,
                            state_: Annotated[str | None, Query(alias="state", max_length=80, pattern=ID_PATTERN)] = None,
                            phase: Annotated[Literal["apply", "review", "approve", "enter", "exit", "closed"] | None,
                                             Query()] = None,
                            matter: Annotated[str | None, Query(max_length=80, pattern=ID_PATTERN)] = None,
                            flow: Annotated[str | None, Query(max_length=80, pattern=ID_PATTERN)] = None,
                            applicant: Annotated[str | None, Query(max_length=80, pattern=ID_PATTERN)] = None,
                            overdue: Annotated[bool | None, Query()] = None,
                            page: PageDep = None):
    rt = state.rt
    offset, limit = page.after, page.limit
    filters = dict(state=state_, phase=phase, matter=matter, flow_id=flow, overdue=overdue)
    if caller.role == "department":
        me = rt.index.units.get(caller.unit)
        mine = me.attributed if me else caller.unit
        if applicant is not None and applicant != mine:
            rows, total = [], 0
        else:
            rows, total = await state.reading(rt.workflow.list, applicant=mine, offset=offset, limit=limit, **filters)
    else:
        every, _ = await state.reading(rt.workflow.list, applicant=applicant, offset=0, limit=10**9, **filters)
        seen = [a for a in every if visible(caller, a, rt.index)]
        total, rows = len(seen), seen[offset:offset + limit]
    return page_body(page, [app_out(a) for a in rows], total)


@router.get("/applications/{app_id}", response_model=ApplicationOut,
            responses=_with(200, _ETAG_HEADER, *AUTH, 404, 422),
            summary="一件申请（响应头 ETag 为其版本）")
async def get_application(app_id: AppId, caller: WorkflowCaller, state: StateDep):
    app = await visible_app(state, caller, app_id)
    return json_response(app_out(app), 200, {"ETag": etag(app)})


@router.get("/applications/{app_id}/history", response_model=list[LogEntryOut], responses=errors(*AUTH, 404, 422),
            summary="办理记录（审计链上的条目）")
async def history(app_id: AppId, caller: WorkflowCaller, state: StateDep):
    await visible_app(state, caller, app_id)
    return [log_out(e) for e in await state.reading(state.rt.workflow.history, app_id)]


@router.get("/applications/{app_id}/opinions", response_model=list[OpinionOut], responses=errors(*AUTH, 404, 422),
            summary="各乡镇的意见与答复")
async def opinions(app_id: AppId, caller: WorkflowCaller, state: StateDep):
    await visible_app(state, caller, app_id)
    return [opinion_out(o) for o in await state.reading(state.rt.workflow.opinions, app_id)]


@router.get("/applications/{app_id}/dossier", response_model=DossierOut, responses=errors(*AUTH, 404, 422),
            summary="案卷：申请、办理记录、意见、被拒绝的尝试")
async def dossier(app_id: AppId, caller: WorkflowCaller, state: StateDep):
    await visible_app(state, caller, app_id)
    d = await state.reading(state.rt.workflow.dossier, app_id)
    app = await state.reading(state.rt.workflow.get, app_id)
    d["application"] = app_out(app)
    return d


# --------------------------------------------------------------------------- operator
@router.post("/workflow/tick", response_model=TickOut, responses=errors(*AUTH),
             summary="（运维）到期短期准入退出、逾期未反馈记为无意见、标记逾期")
async def tick(caller: OperatorDep, state: StateDep):
    out = await state.reading(state.rt.workflow.tick, on=state.today())
    await state.sync()
    return out


@router.get("/audit/verify", response_model=VerifyOut, responses=errors(*AUTH),
            summary="（运维）校验审计链：逐条重算哈希与前后链接")
async def verify(caller: OperatorDep, state: StateDep):
    import datetime as dt

    problems = await state.reading(state.rt.workflow.verify_chain)
    return {"intact": not problems, "problems": problems, "checked_at": dt.datetime.now(dt.timezone.utc)}
