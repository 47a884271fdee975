"""Role × state × action for the bundled admission flow, generated from the flow itself: for
every state, every acting unit and every step, the engine allows exactly what the flow's
transitions grant (`flow.matrix.who_acts`), refuses everything else and changes nothing when it
refuses.  The units' roles are written here by hand, from docs/flows.md, so that a unit gaining
a role it should not have fails too."""

from __future__ import annotations

import datetime as dt
import tempfile
from collections import deque
from pathlib import Path

import pytest

from admission.flow.matrix import BEGIN, END, roles_markdown, who_acts
from admission.flow.runtime import open_runtime
from admission.flow.service import Conflict, Forbidden

from flowkit import CITY, COUNTY, D0, D_BB, D_TJ, ROOT, TOWN, admission_request, build_policy_dir, load, make_db_url

#: acting unit → the flow roles it plays on an application of 统计局 to 永安镇 (docs/flows.md)
ACTORS = {
    D_TJ: {"applicant"},                 # 统计局, the applying department
    D_BB: {"reviewer"},                  # 编办
    COUNTY: {"approver", "county"},      # 市中区 (the county government)
    CITY: {"higher_approver"},           # 枣庄市 (the city government)
    TOWN: {"township"},                  # 永安镇 (the target)
    "D-ZJ": set(),                       # 住建局: another department of the county
    "370403": set(),                     # 薛城区: another county
    "system": {"system"},
}
INPUTS = dict(reason="核对后办理", document="市中委〔2025〕8号", meeting="区委常委会", effective=dt.date(2025, 3, 10),
              passed=True)


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("roles")
    rt = open_runtime(load(build_policy_dir(tmp)), make_db_url("sqlite", tmp))
    return rt, rt.policy.flows["admission"]


def paths(flow) -> dict[str, list]:
    """The shortest sequence of transitions from the initial state to each reachable state."""
    out, queue = {flow.initial: []}, deque([flow.initial])
    while queue:
        here = queue.popleft()
        for t in flow.transitions:
            if here in t.source and t.action != "apply" and t.to not in out:
                out[t.to] = [*out[here], t]
                queue.append(t.to)
    return out


def actor_for(roles) -> str:
    return next(unit for unit, played in ACTORS.items() if played & set(roles))


def drive(rt, path):
    app = rt.workflow.apply(flow_id="admission", unit=D_TJ, person="统计局-张三", request=admission_request(), on=D0)
    rt.workflow.give_opinion(app_id=app.id, unit=TOWN, person="永安镇-李四", stance="agree", text=None, on=D0)
    app = rt.workflow.get(app.id)
    for t in path:
        unit = actor_for(t.roles)
        app = rt.workflow.step(app_id=app.id, action=t.action, unit=unit, person=f"{unit}-经办人", on=D0, **INPUTS)
    return app


def cases():
    with tempfile.TemporaryDirectory() as tmp:
        flow = load(build_policy_dir(Path(tmp))).flows["admission"]
    actions = sorted({t.action for t in flow.transitions} - {"apply"})
    return [(s.id, unit, a) for s in flow.states for unit in ACTORS for a in actions]


@pytest.mark.parametrize("state, unit, action", cases())
def test_each_role_may_act_exactly_where_the_flow_says(world, state, unit, action):
    rt, flow = world
    route = paths(flow)
    if state not in route:
        pytest.fail(f"state {state} is unreachable in the bundled flow")
    app = drive(rt, route[state])
    assert app.state == state
    allowed = any(action in who_acts(flow)[state].get(role, ()) for role in ACTORS[unit])
    if allowed:
        done = rt.workflow.step(app_id=app.id, action=action, unit=unit, person=f"{unit}-经办人", on=D0, **INPUTS)
        target = next(t.to for t in flow.transitions if t.action == action and state in t.source)
        assert done.state == target and done.version == app.version + 1
        return
    expected = Forbidden if any(t.action == action and state in t.source for t in flow.transitions) else Conflict
    with pytest.raises(expected):
        rt.workflow.step(app_id=app.id, action=action, unit=unit, person=f"{unit}-经办人", on=D0, **INPUTS)
    after = rt.workflow.get(app.id)
    assert (after.state, after.version) == (app.state, app.version)  # the refusal changed nothing


def test_the_city_acts_only_on_what_was_escalated_to_it(world):
    _, flow = world
    acting = {s for s, roles in who_acts(flow).items() if "higher_approver" in roles}
    assert acting == {"higher_approving"}
    entered_by = {t.action for t in flow.transitions if t.to == "higher_approving"}
    assert entered_by == {"escalate"}


def test_the_roles_table_in_the_docs_is_generated_from_the_bundled_flows():
    from admission.loader import LoadOptions, load_policy

    flows = load_policy(ROOT / "policies", LoadOptions(workers=1)).flows.values()
    text = (ROOT / "docs" / "flows.md").read_text(encoding="utf-8")
    start, stop = text.index(BEGIN) + len(BEGIN), text.index(END)
    assert text[start:stop].strip() == roles_markdown(flows).strip(), \
        "docs/flows.md is stale: run `admission flow roles --write-docs docs/flows.md`"


def test_a_flow_that_grants_one_step_twice_is_refused_at_load():
    from pydantic import ValidationError

    from admission.language.flow import Flow

    raw = {"id": "f", "name": "流程", "kind": "adjustment", "initial": "a",
           "states": [{"id": "a", "name": "甲", "phase": "review"}, {"id": "b", "name": "乙", "phase": "closed", "final": True}],
           "transitions": [{"action": "reject", "from": ["a"], "to": "b", "role": ["reviewer"]},
                           {"action": "reject", "from": ["a"], "to": "b", "role": ["reviewer", "approver"]}]}
    with pytest.raises(ValidationError, match="定义了两次"):
        Flow.model_validate(raw)
