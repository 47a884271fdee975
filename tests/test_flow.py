"""The admission workflow end to end on SQLite and on PostgreSQL: every step, guard, role,
refusal, deadline, and the effect of enter and exit on `decide` and the checks."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlmodel import select

from admission.evaluate.checks import run_checks
from admission.evaluate.decide import Decider
from admission.flow.runtime import open_runtime, refresh_admissions
from admission.flow.service import Conflict, Forbidden, Invalid, PreconditionFailed, Refused
from admission.store.tables import Application

from flowkit import (
    COUNTY, CITY, D0, D_BB, D_TJ, STREET, TOWN, VILLAGE, admission_request, build_policy_dir, load, make_db_url,
)


@pytest.fixture(params=["sqlite", "postgresql"])
def rt(request, tmp_path):
    root = build_policy_dir(tmp_path)
    return open_runtime(load(root), make_db_url(request.param, tmp_path))


def submit(rt, on=D0, **over):
    return rt.workflow.apply(flow_id="admission", unit=D_TJ, person="统计局-张三", request=admission_request(**over),
                             on=on)


def to_approving(rt, app, on=D0):
    townships = sorted({TOWN if t == VILLAGE else t for t in app.targets})
    for t in townships:
        rt.workflow.give_opinion(app_id=app.id, unit=t, person=f"{t}-李四", stance="agree", text=None, on=on)
    return rt.workflow.step(app_id=app.id, action="review", unit=D_BB, person="编办-王五", on=on)


def to_entered(rt, app, on=D0, effective=dt.date(2025, 3, 10)):
    to_approving(rt, app, on)
    rt.workflow.step(app_id=app.id, action="approve", unit=COUNTY, person="区政府-赵六", on=on,
                     document="市中委〔2025〕8号", meeting="区委常委会2025年第5次会议")
    return rt.workflow.step(app_id=app.id, action="enter", unit=COUNTY, person="区政府-赵六", on=on,
                            effective=effective)


def test_happy_path_enter_exit_and_decide(rt):
    app = submit(rt)
    assert app.id.startswith("WF-2025-") and app.state == "consulting" and app.phase == "review"
    app = to_entered(rt, app)
    assert app.state == "entered" and app.effective_from == dt.date(2025, 3, 10)
    assert app.effective_until == dt.date(2025, 12, 31)
    refresh_admissions(rt)
    decider = Decider(rt.index)
    ok = decider.decide(D_TJ, "M-RKPC", TOWN, dt.date(2025, 3, 10))
    assert ok.allowed and ok.authority.kind == "admission" and ok.authority.record_id == app.id
    assert ok.admission_seq >= 1
    assert decider.decide(D_TJ, "M-RKPC", TOWN, dt.date(2025, 3, 9)).code == "pushdown-unlisted"
    assert decider.decide(D_TJ, "M-RKPC", TOWN, dt.date(2025, 12, 31)).allowed  # last day
    # tick after the end date exits it; the first day after is a lapse
    assert rt.workflow.tick(on=dt.date(2026, 1, 1))["exited"] == [app.id]
    assert rt.workflow.tick(on=dt.date(2026, 1, 1))["exited"] == []  # idempotent
    refresh_admissions(rt)
    assert rt.workflow.get(app.id).state == "exited"
    assert decider.decide(D_TJ, "M-RKPC", TOWN, dt.date(2025, 12, 31)).allowed
    assert decider.decide(D_TJ, "M-RKPC", TOWN, dt.date(2026, 1, 1)).code == "lapse-after-exit"
    kinds = [c.kind for c in rt.workflow.changes()]
    assert kinds == ["admission-entered", "admission-exited"]
    assert rt.workflow.verify_chain() == []


def test_decide_is_right_even_if_tick_never_ran(rt):
    app = to_entered(rt, submit(rt))
    refresh_admissions(rt)
    decider = Decider(rt.index)
    assert rt.workflow.get(app.id).state == "entered"
    assert decider.decide(D_TJ, "M-RKPC", TOWN, dt.date(2026, 1, 1)).code == "lapse-after-exit"


def test_an_assignment_after_exit_is_a_finding(rt):
    app = to_entered(rt, submit(rt))
    rt.workflow.step(app_id=app.id, action="exit", unit=COUNTY, person="区政府-赵六", on=dt.date(2025, 6, 30),
                     reason="评估认为不宜继续由乡镇承担")
    refresh_admissions(rt)
    decider = Decider(rt.index)
    assert decider.decide(D_TJ, "M-RKPC", TOWN, dt.date(2025, 6, 30)).allowed
    assert decider.decide(D_TJ, "M-RKPC", TOWN, dt.date(2025, 7, 1)).code == "lapse-after-exit"
    findings = run_checks(rt.policy, dt.date(2025, 7, 1), rt.index)
    assert not [f for f in findings if f.code.startswith("lapse")]  # no recorded assignment yet


@pytest.mark.parametrize("over, guard", [
    ({"resources": {}}, "resources-declared"),
    ({"end": "2026-12-31"}, "short-term-too-long"),
    ({"basis": "B-NOPE"}, None),  # unknown id: refused before guards, as invalid input
])
def test_apply_guards_block_and_store_nothing(rt, over, guard):
    with pytest.raises((Refused, Invalid)) as err:
        submit(rt, **over)
    if guard:
        assert isinstance(err.value, Refused)
        assert [d["guard"] for d in err.value.details] == [guard]
    assert rt.workflow.list()[1] == 0


def test_apply_refuses_targets_of_another_county(rt):
    with pytest.raises(Refused) as err:
        rt.workflow.apply(flow_id="admission", unit="D-XC-ZJ", person="p", request=admission_request(), on=D0)
    assert [d["guard"] for d in err.value.details] == ["targets-other-county"]


@pytest.mark.parametrize("over, guard", [
    ({"matter": "M-TZSB"}, "on-returned-list"),
    ({"matter": "M-WZJY", "targets": [STREET]}, "delegation-not-admission"),
    ({"basis": "B-COUNTY"}, "township-basis"),
    ({"matter": "M-WXZJ"}, "already-listed"),
])
def test_review_guards_reject(rt, over, guard):
    app = submit(rt, **over)
    app = to_approving(rt, app)
    assert app.state == "rejected"
    (entry,) = [e for e in rt.workflow.history(app.id) if e.action == "review"]
    assert [g["guard"] for g in entry.guards if g["fired"]] == [guard]
    assert entry.reason and entry.to_state == "rejected"


def test_village_target_needs_county_deployment_and_not_negative(rt):
    app = submit(rt, matter="M-CJ", targets=[VILLAGE], basis="B-COUNTY")
    app = to_approving(rt, app)  # the village's opinion is given by its township
    assert app.state == "rejected"
    (entry,) = [e for e in rt.workflow.history(app.id) if e.action == "review"]
    assert [g["guard"] for g in entry.guards if g["fired"]] == ["on-negative-list"]
    app2 = submit(rt, matter="M-HJWS", targets=[VILLAGE], basis="B-COUNTY")
    assert to_approving(rt, app2).state == "approving"


def test_review_blocks_until_opinions_or_deadline(rt):
    app = submit(rt, targets=[TOWN, STREET])
    rt.workflow.give_opinion(app_id=app.id, unit=TOWN, person="p", stance="agree", text=None, on=D0)
    before = rt.workflow.get(app.id)
    with pytest.raises(Refused) as err:
        rt.workflow.step(app_id=app.id, action="review", unit=D_BB, person="编办-王五", on=D0)
    assert err.value.details[0]["guard"] == "opinions-pending"
    after = rt.workflow.get(app.id)
    assert (after.state, after.version) == (before.state, before.version)  # a refused step changes nothing
    assert [r.action for r in rt.workflow.refusals(app.id)] == ["review"]
    # 10 working days after 2025-03-03 is 2025-03-17; silence past it is "no opinion"
    assert rt.workflow.tick(on=dt.date(2025, 3, 17))["no_opinion"] == 0
    assert rt.workflow.tick(on=dt.date(2025, 3, 18))["no_opinion"] == 1
    assert rt.workflow.tick(on=dt.date(2025, 3, 18))["no_opinion"] == 0
    stances = {o.unit: o.stance for o in rt.workflow.opinions(app.id)}
    assert stances == {TOWN: "agree", STREET: "none"}
    app = rt.workflow.step(app_id=app.id, action="review", unit=D_BB, person="编办-王五", on=dt.date(2025, 3, 18))
    assert app.state == "approving"


def test_dissent_must_be_answered_in_writing(rt):
    app = submit(rt)
    rt.workflow.give_opinion(app_id=app.id, unit=TOWN, person="p", stance="dissent", text="无专职人员承担", on=D0)
    with pytest.raises(Refused) as err:
        rt.workflow.step(app_id=app.id, action="review", unit=D_BB, person="编办-王五", on=D0)
    assert err.value.details[0]["guard"] == "dissent-unanswered"
    rt.workflow.answer_dissent(app_id=app.id, township=TOWN, unit=D_BB, person="编办-王五",
                               text="统计局随事项下沉2名普查员和经费", on=D0)
    assert rt.workflow.step(app_id=app.id, action="review", unit=D_BB, person="编办-王五", on=D0).state == "approving"


def test_roles_and_separation_of_duties(rt):
    app = submit(rt)
    with pytest.raises(Forbidden):
        rt.workflow.step(app_id=app.id, action="review", unit="D-MZ", person="民政局-x", on=D0)
    with pytest.raises(Forbidden):
        rt.workflow.give_opinion(app_id=app.id, unit="D-MZ", person="x", stance="agree", text=None, on=D0)
    app = to_approving(rt, app)
    with pytest.raises(Forbidden):  # the applicant cannot approve
        rt.workflow.step(app_id=app.id, action="approve", unit=D_TJ, person="统计局-张三", on=D0, document="d",
                         meeting="m")
    with pytest.raises(Forbidden) as err:  # the reviewer in person cannot approve, even for the county
        rt.workflow.step(app_id=app.id, action="approve", unit=COUNTY, person="编办-王五", on=D0, document="d",
                         meeting="m")
    assert err.value.code == "separation-of-duties"
    with pytest.raises(Invalid):  # approval records its document number and meeting
        rt.workflow.step(app_id=app.id, action="approve", unit=COUNTY, person="区政府-赵六", on=D0)
    app = rt.workflow.step(app_id=app.id, action="approve", unit=COUNTY, person="区政府-赵六", on=D0,
                           document="市中委〔2025〕8号", meeting="常委会")
    assert app.state == "approved"
    assert {r.action for r in rt.workflow.refusals(app.id)} >= {"review", "approve"}


def test_enter_cannot_precede_approval(rt):
    app = submit(rt)
    to_approving(rt, app)
    rt.workflow.step(app_id=app.id, action="approve", unit=COUNTY, person="区政府-赵六", on=dt.date(2025, 3, 5),
                     document="d", meeting="m")
    with pytest.raises(Refused) as err:
        rt.workflow.step(app_id=app.id, action="enter", unit=COUNTY, person="区政府-赵六", on=dt.date(2025, 3, 5),
                         effective=dt.date(2025, 3, 4))
    assert err.value.details[0]["guard"] == "effective-before-approval"
    assert rt.workflow.get(app.id).state == "approved"


def test_send_back_resubmit_withdraw_reject(rt):
    app = submit(rt)
    app = rt.workflow.step(app_id=app.id, action="send_back", unit=D_BB, person="编办-王五", on=D0,
                           reason="请补充经费测算")
    assert app.state == "revising" and app.phase == "apply"
    with pytest.raises(Conflict):  # no review from revising
        rt.workflow.step(app_id=app.id, action="review", unit=D_BB, person="编办-王五", on=D0)
    app = rt.workflow.step(app_id=app.id, action="resubmit", unit=D_TJ, person="统计局-张三", on=D0)
    assert app.state == "consulting"
    app = rt.workflow.step(app_id=app.id, action="withdraw", unit=D_TJ, person="统计局-张三", on=D0)
    assert app.state == "withdrawn"
    with pytest.raises(Conflict):
        rt.workflow.step(app_id=app.id, action="resubmit", unit=D_TJ, person="统计局-张三", on=D0)
    other = submit(rt)
    with pytest.raises(Invalid):
        rt.workflow.step(app_id=other.id, action="reject", unit=D_BB, person="编办-王五", on=D0)  # needs a reason
    assert rt.workflow.step(app_id=other.id, action="reject", unit=D_BB, person="编办-王五", on=D0,
                            reason="不属于省级部署事项").state == "rejected"


def test_evaluate_and_failed_evaluation(rt):
    app = to_entered(rt, submit(rt))
    app = rt.workflow.step(app_id=app.id, action="evaluate", unit=COUNTY, person="区政府-赵六", on=dt.date(2025, 6, 1),
                           passed=True)
    assert app.state == "entered"
    with pytest.raises(Refused):
        rt.workflow.step(app_id=app.id, action="evaluate", unit=COUNTY, person="区政府-赵六",
                         on=dt.date(2025, 7, 1), passed=False)


def test_stale_etag_is_refused(rt):
    app = submit(rt)
    v = app.version
    rt.workflow.give_opinion(app_id=app.id, unit=TOWN, person="p", stance="agree", text=None, on=D0)
    with pytest.raises(PreconditionFailed):
        rt.workflow.step(app_id=app.id, action="review", unit=D_BB, person="编办-王五", on=D0, if_match=v)
    fresh = rt.workflow.get(app.id)
    assert rt.workflow.step(app_id=app.id, action="review", unit=D_BB, person="编办-王五", on=D0,
                            if_match=fresh.version).state == "approving"


def test_deadlines_count_working_days_and_flag_overdue(rt):
    app = submit(rt, on=dt.date(2025, 9, 29))  # before the National Day holiday
    # 10 working days after 2025-09-29: 09-30, 10-09, 10-10, 10-11 (make-up Saturday), 10-13 … 10-17, 10-20
    assert app.due == dt.date(2025, 10, 20)
    assert rt.workflow.tick(on=dt.date(2025, 10, 20))["overdue"] == 0
    assert rt.workflow.tick(on=dt.date(2025, 10, 21))["overdue"] == 1
    assert rt.workflow.get(app.id).overdue
    assert rt.workflow.tick(on=dt.date(2025, 10, 21))["overdue"] == 0


def test_unknown_application_and_action(rt):
    from admission.flow.service import NotFound

    with pytest.raises(NotFound):
        rt.workflow.step(app_id="WF-2025-999999", action="review", unit=D_BB, person="p", on=D0)
    app = submit(rt)
    with pytest.raises(Invalid):
        rt.workflow.step(app_id=app.id, action="fly", unit=D_BB, person="p", on=D0)
    with pytest.raises(Invalid):
        rt.workflow.step(app_id=app.id, action="review", unit=D_BB, person=" ", on=D0)


def test_applications_are_listed_with_filters_and_pagination(rt):
    ids = [submit(rt).id for _ in range(5)]
    rt.workflow.step(app_id=ids[0], action="withdraw", unit=D_TJ, person="统计局-张三", on=D0)
    rows, total = rt.workflow.list(state="consulting", offset=1, limit=2)
    assert total == 4 and [r.id for r in rows] == ids[2:4]
    doc = rt.workflow.dossier(ids[0])
    assert [h["action"] for h in doc["history"]] == ["apply", "withdraw"]
    assert doc["application"]["etag"] == f'"{rt.workflow.get(ids[0]).version}"'


def test_long_term_needs_higher_approval_when_the_policy_says_so(tmp_path):
    import shutil

    from flowkit import ROOT

    flows = tmp_path / "flows"
    shutil.copytree(ROOT / "policies" / "flows", flows)
    text = (flows / "admission.yaml").read_text(encoding="utf-8")
    (flows / "admission.yaml").write_text(text.replace("long_term_needs_higher_approval: 0",
                                                       "long_term_needs_higher_approval: 1"), encoding="utf-8")
    root = build_policy_dir(tmp_path, flows)
    rt = open_runtime(load(root), make_db_url("sqlite", tmp_path))
    app = submit(rt, term="long", end=None)
    to_approving(rt, app)
    with pytest.raises(Refused):
        rt.workflow.step(app_id=app.id, action="approve", unit=COUNTY, person="区政府-赵六", on=D0,
                         document="d", meeting="m")
    rt.workflow.step(app_id=app.id, action="escalate", unit=COUNTY, person="区政府-赵六", on=D0, document="d")
    app = rt.workflow.step(app_id=app.id, action="approve_higher", unit=CITY, person="市政府-钱七", on=D0,
                           document="枣政字〔2025〕3号")
    assert app.state == "approved"


def test_the_application_row_is_the_only_state(rt):
    app = submit(rt)
    with rt.workflow.tx() as s:
        row = s.exec(select(Application).where(Application.id == app.id)).one()
        assert row.state == "consulting" and row.flow_revision


def test_the_facts_a_step_reads_rows_for_are_declared(tmp_path):
    """A step reads the log and the opinions only when a guard reads a fact in `PAST_FACTS` or
    `OPINION_FACTS`; every fact computed from those rows must be in these sets."""
    from types import SimpleNamespace

    from admission.flow.facts import OPINION_FACTS, PAST_FACTS, StepInput, compute
    from admission.flow.service import _parse_request

    wf = open_runtime(load(build_policy_dir(tmp_path)), make_db_url("sqlite", tmp_path)).workflow
    opinions = [SimpleNamespace(unit=TOWN, stance="dissent", answer=None),
                SimpleNamespace(unit=D_TJ, stance="agree", answer=None)]
    adjustment = {"township": TOWN, "change": "add", "list": "cooperative", "matter": "M-RKPC", "lead": D_TJ,
                  "reason": "r", "departments": [D_TJ]}
    for flow_id, request, applicant in (("admission", admission_request(), D_TJ), ("adjustment", adjustment, TOWN)):
        flow = wf.flow(flow_id)
        payload = _parse_request(flow, request)
        targets = list(payload.targets) if flow_id == "admission" else [TOWN]
        step = StepInput("approve", COUNTY, "编办-王五", D0, effective=dt.date(2025, 3, 1))

        def facts(reviewers=(set(), set()), approved_on=None, opinions=()):
            return compute(index=wf.index, calendar=wf.calendar, flow_params=flow.params, kind=flow.kind.value,
                           request=payload, applicant_unit=applicant, applicant_person="p", reviewers=reviewers,
                           opinions=list(opinions), opinion_deadline=None, approved_on=approved_on, step=step,
                           targets=targets)

        base = facts()
        past = facts(reviewers=({COUNTY}, {"编办-王五"}), approved_on=dt.date(2025, 3, 5))
        said = facts(opinions=opinions)
        assert {k for k in base if base[k] != past[k]} == PAST_FACTS
        assert {k for k in base if base[k] != said[k]} <= OPINION_FACTS
        assert {k for k in base if base[k] != said[k]}  # the opinions do change some facts


def test_a_sqlite_without_returning_takes_the_two_statement_paths(tmp_path, monkeypatch):
    """SQLite before 3.35 has no RETURNING: application numbers and opinions still work."""
    from admission.flow import service

    monkeypatch.setattr(service, "_SQLITE_RETURNING", False)
    rt = open_runtime(load(build_policy_dir(tmp_path)), make_db_url("sqlite", tmp_path))
    first, second = submit(rt), submit(rt)
    assert (first.id, second.id) == ("WF-2025-000001", "WF-2025-000002")
    rt.workflow.give_opinion(app_id=first.id, unit=TOWN, person="永安镇-李四", stance="agree", text=None, on=D0)
    with pytest.raises(Conflict):
        rt.workflow.give_opinion(app_id=first.id, unit=TOWN, person="永安镇-李四", stance="agree", text=None, on=D0)
    app = to_entered(rt, second)
    assert app.state == "entered" and [o.unit for o in rt.workflow.opinions(first.id)] == [TOWN]
    assert rt.workflow.verify_chain() == []


@pytest.mark.parametrize("effective,guard", [(dt.date(2026, 1, 1), "effective-after-end"),
                                             (dt.date(9999, 12, 31), "effective-after-end")])
def test_enter_cannot_follow_the_approved_term(rt, effective, guard):
    """A short-term admission ends on 2025-12-31: entering after it would leave an `entered`
    application that authorizes nothing.  The refusal changes nothing."""
    app = submit(rt)
    with pytest.raises(Refused) as err:
        to_entered(rt, app, effective=effective)
    assert guard in [d["guard"] for d in err.value.details]
    assert "结束日期" in str(err.value)
    after = rt.workflow.get(app.id)
    assert after.state == "approved" and after.effective_from is None
    assert list(rt.workflow.changes()) == []
    app = rt.workflow.step(app_id=app.id, action="enter", unit=COUNTY, person="区政府-赵六", on=D0,
                           effective=dt.date(2025, 12, 31))  # the last day of the term is still inside it
    assert app.state == "entered"


def test_enter_cannot_be_absurdly_far_ahead(rt):
    app = submit(rt, term="long", end=None)
    with pytest.raises(Refused) as err:
        to_entered(rt, app, effective=dt.date(9999, 12, 31))
    assert [d["guard"] for d in err.value.details] == ["effective-too-far"]
    assert rt.workflow.get(app.id).state == "approved"
