"""`admission demo`: one token per role and a few applications in different states, so that a
reviewer can open the workbench (`admission serve`, then `/review`) on the bundled example and
find work waiting.  The defaults are the bundled 市中区: its 编办 reviews, the district
government approves and enters, 永安镇 is consulted, 区委宣传部 applies."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Optional

import typer

from .common import DEFAULT_POLICIES, Policies, fail, load_or_exit
from .output import emit_json
from .serve import Db, _engine

Opt = typer.Option


def demo_cmd(
    policies: Policies = DEFAULT_POLICIES,
    db: Db = None,
    county: Annotated[str, Opt(help="县级党委政府（审批、进入）county government")] = "370402",
    township: Annotated[str, Opt(help="征求意见的乡镇 consulted township")] = "370402101",
    applicant: Annotated[str, Opt(help="申请部门 applying department")] = "11370402MB3281872B",
    matter: Annotated[str, Opt(help="申请准入的事项 matter")] = "DJ-QT-025",
    basis: Annotated[str, Opt(help="依据 basis")] = "SD-BS-WM-2024",
    on: Annotated[Optional[str], Opt(help="办理日期 YYYY-MM-DD（默认北京时间今天；与 ADMISSION_TODAY 一致）")] = None,
    json: Annotated[bool, Opt("--json", help="JSON 输出（信封：ok、revision、diagnostics、demo）")] = False,
) -> None:
    """演示数据：每个角色一个令牌，几件处于不同状态的准入申请 — demo tokens and applications."""
    from zoneinfo import ZoneInfo

    from ..api.auth import check_unit_fits_role, create_token
    from ..flow.errors import WorkflowError
    from ..flow.runtime import open_runtime

    policy = load_or_exit(policies, json=json)
    day = dt.date.fromisoformat(on) if on else dt.datetime.now(ZoneInfo("Asia/Shanghai")).date()
    reviewer = next((uid for uid, u in policy.units.items() if u.parent == county and "reviewer" in u.flow_roles), None)
    if reviewer is None:
        fail(f"{county} 下没有登记 flow_roles: [reviewer] 的审核机构 no reviewing office under {county}", 1)
    roles = {"reviewer": reviewer, "approver": county, "township": township, "department": applicant,
             "admin": county, "operator": county, "reader": county}
    for role, unit in roles.items():
        why = check_unit_fits_role(policy, unit, role) if role in ("reviewer", "approver", "township", "department") else None
        if why:
            fail(f"{role}: {why}", 1)
    engine = _engine(db)
    tokens = {role: create_token(engine, unit=unit, role=role, name=f"演示{role}")[1] for role, unit in roles.items()}
    engine.dispose()
    rt = open_runtime(policy, db)
    wf = rt.workflow
    start = day + dt.timedelta(days=21)
    request = {"matter": matter, "targets": [township], "reason": "演示：文明城市复检入户问卷", "basis": basis,
               "term": "short", "start": start.isoformat(), "end": (start + dt.timedelta(days=90)).isoformat(),
               "resources": {"staff": 2, "funds": 20000}}
    made: list[dict] = []
    try:
        fresh = wf.apply(flow_id="admission", unit=applicant, person="李明", request=request, on=day)
        made.append({"id": fresh.id, "state": fresh.state, "what": "待征求意见 waiting for the township"})
        reviewed = wf.apply(flow_id="admission", unit=applicant, person="李明", request=request, on=day)
        wf.give_opinion(app_id=reviewed.id, unit=township, person="王镇长", stance="agree", text=None, on=day)
        reviewed = wf.step(app_id=reviewed.id, action="review", unit=reviewer, person="赵审核", on=day)
        made.append({"id": reviewed.id, "state": reviewed.state, "what": "待审批 waiting for the approver"})
        back = wf.apply(flow_id="admission", unit=applicant, person="李明", request=request, on=day)
        wf.give_opinion(app_id=back.id, unit=township, person="王镇长", stance="dissent", text="人手不足，需随事配置经费",
                        on=day)
        back = wf.step(app_id=back.id, action="send_back", unit=reviewer, person="赵审核", on=day,
                       reason="请补充经费安排")
        made.append({"id": back.id, "state": back.state, "what": "已退回修改 sent back"})
        gone = wf.apply(flow_id="admission", unit=applicant, person="李明", request=request, on=day)
        gone = wf.step(app_id=gone.id, action="withdraw", unit=applicant, person="李明", on=day, reason="演示撤回")
        made.append({"id": gone.id, "state": gone.state, "what": "已撤回 withdrawn"})
    except WorkflowError as exc:
        fail(f"演示申请未能办理 demo application refused: {exc.message}", 1)
    finally:
        wf.db.dispose()
    if json:
        emit_json(True, policy.revision, (), demo={"on": day.isoformat(), "applications": made,
                                                   "tokens": [{"role": r, "unit": roles[r], "token": t}
                                                              for r, t in tokens.items()]})
        return
    typer.echo(f"演示数据 demo data（办理日期 {day}；启动 admission serve 时设 ADMISSION_TODAY={day}）")
    for r, t in tokens.items():
        typer.echo(f"  {r:<10} {policy.units[roles[r]].name:<24} {t}")
    for a in made:
        typer.echo(f"  申请 {a['id']}  {a['state']:<10} {a['what']}")
    typer.echo("打开 http://127.0.0.1:8080/review 并用上面的令牌登录 sign in at /review with a token above")
