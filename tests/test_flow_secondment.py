"""The secondment admission (issue 20) as a flow of policies/flows/secondment.yaml, end to end on
SQLite and PostgreSQL: an organ applies to borrow township staff, the township is consulted, the
reviewer and the county approve, the staff are seconded for the term, and `tick` returns them
after it; a process killed in the middle of the approval leaves the old state."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys

import pytest

from admission.flow.runtime import open_runtime
from admission.flow.service import Forbidden, Invalid, Refused

from flowkit import COUNTY, D0, D_BB, D_TJ, ROOT, TOWN, VILLAGE, build_policy_dir, load, make_db_url

REQUEST = {"township": TOWN, "count": 2, "start": "2025-03-10", "end": "2025-06-30",
           "reason": "经济普查数据处理", "basis": "市中统字〔2025〕3号"}


@pytest.fixture(params=["sqlite", "postgresql"])
def rt(request, tmp_path):
    return open_runtime(load(build_policy_dir(tmp_path)), make_db_url(request.param, tmp_path))


def _approving(rt, on=D0):
    app = rt.workflow.apply(flow_id="secondment", unit=D_TJ, person="统计局-张三", request=REQUEST, on=on)
    rt.workflow.give_opinion(app_id=app.id, unit=TOWN, person="永安镇-李四", stance="agree", text=None, on=on)
    return rt.workflow.step(app_id=app.id, action="review", unit=D_BB, person="编办-王五", on=on)


def test_secondment_end_to_end_and_tick_returns_the_staff(rt):
    app = rt.workflow.apply(flow_id="secondment", unit=D_TJ, person="统计局-张三", request=REQUEST, on=D0)
    assert (app.kind, app.state, app.targets, app.matter) == ("secondment", "consulting", [TOWN], "secondment")
    with pytest.raises(Refused, match="尚未反馈意见"):
        rt.workflow.step(app_id=app.id, action="review", unit=D_BB, person="编办-王五", on=D0)
    rt.workflow.give_opinion(app_id=app.id, unit=TOWN, person="永安镇-李四", stance="agree", text=None, on=D0)
    rt.workflow.step(app_id=app.id, action="review", unit=D_BB, person="编办-王五", on=D0)
    with pytest.raises(Forbidden):
        rt.workflow.step(app_id=app.id, action="approve", unit=D_TJ, person="统计局-张三", on=D0, document="x")
    done = rt.workflow.step(app_id=app.id, action="approve", unit=COUNTY, person="区政府-赵六", on=D0,
                            document="市中编借〔2025〕1号")
    assert (done.state, done.phase, done.effective_from, done.effective_until) == (
        "seconded", "enter", dt.date(2025, 3, 10), dt.date(2025, 6, 30))
    assert rt.workflow.tick(on=dt.date(2025, 6, 30))["exited"] == []  # the last day of the term
    ticked = rt.workflow.tick(on=dt.date(2025, 7, 1))
    assert ticked["exited"] == [app.id]
    back = rt.workflow.get(app.id)
    assert (back.state, back.exited_on) == ("returned", dt.date(2025, 6, 30))
    assert "返回乡镇" in rt.workflow.history(app.id)[-1].reason
    assert rt.workflow.tick(on=dt.date(2025, 7, 1))["exited"] == []  # idempotent
    assert rt.workflow.verify_chain() == []


def test_secondment_requests_are_checked(rt):
    with pytest.raises(Invalid, match="不是乡镇"):
        rt.workflow.apply(flow_id="secondment", unit=D_TJ, person="p", request={**REQUEST, "township": VILLAGE}, on=D0)
    with pytest.raises(Invalid, match="结束日期早于"):
        rt.workflow.apply(flow_id="secondment", unit=D_TJ, person="p", request={**REQUEST, "end": "2025-01-01"}, on=D0)
    with pytest.raises(Forbidden):
        rt.workflow.apply(flow_id="secondment", unit=TOWN, person="p", request=REQUEST, on=D0)


CRASH = """
import datetime as dt, sys
from admission.loader import LoadOptions, load_policy
from admission.flow.runtime import open_runtime
rt = open_runtime(load_policy({root!r}, LoadOptions(workers=1)), {url!r})
rt.workflow.step(app_id={app!r}, action="approve", unit="370402", person="区政府-赵六", on=dt.date(2025, 3, 3),
                 document="市中编借〔2025〕1号")
print("survived")
"""


@pytest.mark.parametrize("db", ["sqlite", "postgresql"])
def test_a_process_killed_mid_approval_leaves_the_secondment_unapproved(tmp_path, db):
    root = build_policy_dir(tmp_path)
    url = make_db_url(db, tmp_path)
    rt = open_runtime(load(root), url)
    app = _approving(rt)
    before = rt.workflow.get(app.id)
    env = {**os.environ, "ADMISSION_CRASH_AT": "after-app"}
    proc = subprocess.run([sys.executable, "-c", CRASH.format(root=str(root), url=url, app=app.id)], env=env,
                          capture_output=True, text=True, timeout=120, cwd=str(ROOT))
    assert proc.returncode == 137, proc.stderr
    after = rt.workflow.get(app.id)
    assert (after.state, after.version, after.effective_until) == (before.state, before.version, None)
    assert rt.workflow.verify_chain() == []
    done = rt.workflow.step(app_id=app.id, action="approve", unit=COUNTY, person="区政府-赵六", on=D0,
                            document="市中编借〔2025〕1号")
    assert done.state == "seconded"


def test_an_entered_secondment_answers_the_secondment_question(rt):
    """What the flow admitted is what `may_second` allows: within the term and the admitted count,
    named by the application; before it is entered, after the term or above the count, denied."""
    from admission.evaluate.registers import RegisterDecider
    from admission.flow.runtime import refresh_admissions

    day = dt.date(2025, 4, 1)
    assert not RegisterDecider(rt.index).may_second(D_TJ, TOWN, 2, day).allowed
    app = _approving(rt)
    rt.workflow.step(app_id=app.id, action="approve", unit=COUNTY, person="区政府-赵六", on=D0, document="市中编借〔2025〕1号")
    refresh_admissions(rt)
    decider = RegisterDecider(rt.index)
    yes = decider.may_second(D_TJ, TOWN, 2, day)
    assert yes.allowed and app.id in yes.reasons[0].message
    assert not decider.may_second(D_TJ, TOWN, 3, day).allowed  # only 2 admitted
    assert not decider.may_second(D_TJ, TOWN, 1, dt.date(2025, 7, 1)).allowed  # after the term
    assert not decider.may_second(D_BB, TOWN, 1, day).allowed  # another organ
