"""Example-based tests of `decide` / `may_exercise` / `who` and of the `decide` and `who`
commands, on tests/fixtures/mini (the documented example) and tests/fixtures/edges (dated
entries, revocation, exit, certification lists, a unit that starts on a day).

Every rule id of docs/semantics.md's decision steps has a denying case, and where meaningful an
allowing neighbour that differs in one thing.  Regression tests for the implementation bugs the
property test found are at the end, marked xfail(strict).
"""

from __future__ import annotations

import datetime as dt
import json
from functools import cache
from pathlib import Path

import pytest
from typer.testing import CliRunner

from admission.cli.main import app
from admission.evaluate.decide import Decider, Outcome
from admission.compile.index import build_index
from admission.loader import LoadOptions, load_policy, validate_tree
from admission.evaluate.who import who

FIXTURES = Path(__file__).resolve().parent / "fixtures"
MINI = FIXTURES / "mini"
EDGES = FIXTURES / "edges"
D = dt.date
ON = D(2025, 3, 1)

# mini
YONGAN = "370402101"  # 永安镇
GUANGMING = "370402002"  # 光明路街道, until 2025-06-30
VILLAGE = "370402101201"  # 永安村
COUNTY = "370402"  # 市中区
# edges
NEW_STREET = "440101001"  # 新设街道, since 2025-01-01
COMMUNITY = "440101001001"  # 东社区 (certify_only_listed)
OLD_TOWN = "440101002"  # 老镇


@cache
def decider(root: Path) -> Decider:
    return Decider(build_index(load_policy(root, LoadOptions(workers=1))))


def decide(actor, matter, target, on=ON, kind="task", role="execute", basis=None, root=MINI):
    return decider(root).decide(actor, matter, target, on, kind, role, basis)


def edges(actor, matter, target, on=ON, kind="task", role="execute", basis=None):
    return decide(actor, matter, target, on, kind, role, basis, root=EDGES)


def answer(dec) -> tuple[str, str | None]:
    return dec.outcome.value, (dec.reasons[0].code if dec.outcome is not Outcome.allow else None)


def allowed(dec, via: str | None = None) -> bool:
    assert dec.outcome is Outcome.allow, dec.to_dict()
    if via is not None:
        assert dec.authority is not None and dec.authority.kind == via, dec.to_dict()
    return True


def denied(dec, code: str) -> bool:
    assert (dec.outcome, dec.reasons[0].code if dec.reasons else None) == (Outcome.deny, code), dec.to_dict()
    return True


def line_of(root: Path, needle: str) -> int:
    """1-based line of the only line of the fixture containing `needle`."""
    lines = [n for n, text in enumerate((root / "county.yaml").read_text(encoding="utf-8").splitlines(), 1)
             if needle in text]
    assert len(lines) == 1, (needle, lines)
    return lines[0]


# --------------------------------------------------------------------------- errors, never denials
@pytest.mark.parametrize("actor,matter,target", [
    ("NOPE", "M-WXZJ", YONGAN),
    ("D-ZJ", "NOPE", YONGAN),
    ("D-ZJ", "M-WXZJ", "NOPE"),
    ("D-ZJ", "M-WXZJ", "D-MZ"),  # a department is not a township or village
    ("D-ZJ", "M-WXZJ", COUNTY),  # nor is a government
    ("D-CITY", "M-WXZJ", "NOPE"),  # an unknown target is an error even for a level-skipping actor
])
def test_unknown_ids_and_bad_targets_are_errors(actor, matter, target):
    dec = decide(actor, matter, target)
    assert dec.outcome is Outcome.error and not dec.allowed
    assert dec.authority is None


def test_may_exercise_unknown_ids_are_errors():
    assert decider(MINI).may_exercise("NOPE", "M-CQ", ON).outcome is Outcome.error
    assert decider(MINI).may_exercise("D-ZJ", "NOPE", ON).outcome is Outcome.error


def test_unknown_basis_is_no_basis():
    """Not an error (only actor, matter and target are): the request simply carries no basis."""
    assert denied(decide("D-MZ", "M-DB", VILLAGE, basis="NOPE"), "village-bypass")


# --------------------------------------------------------------------------- step 1 unit-inactive
def test_unit_inactive_target_until_is_inclusive():
    assert allowed(decide("D-ZJ", "M-WXZJ", GUANGMING, D(2025, 6, 30)), "cooperative")
    assert denied(decide("D-ZJ", "M-WXZJ", GUANGMING, D(2025, 7, 1)), "unit-inactive")


def test_unit_inactive_target_since_is_inclusive():
    assert denied(edges("E-WJ", "E-M6", NEW_STREET, D(2024, 12, 31)), "unit-inactive")
    assert denied(edges("E-WJ", "E-M6", NEW_STREET, D(2025, 1, 1)), "pushdown-unlisted")
    # the street's own township acts for its community only once it exists
    assert denied(edges(NEW_STREET, "E-M7", COMMUNITY, D(2024, 12, 31)), "unit-inactive")
    assert allowed(edges(NEW_STREET, "E-M7", COMMUNITY, D(2025, 1, 1)), "duty")


def test_unit_inactive_actor():
    # E-SJ exists from 2025-03-01 and holds nothing: before, it is inactive; after, it lacks standing
    assert denied(edges("E-SJ", "E-M6", OLD_TOWN, D(2025, 2, 28)), "unit-inactive")
    assert denied(edges("E-SJ", "E-M6", OLD_TOWN, D(2025, 3, 1)), "pushdown-no-standing")


def test_unit_inactive_comes_first():
    # an inactive target with a level-skipping actor: step 1 answers
    assert denied(decide("D-CITY", "M-WXZJ", GUANGMING, D(2025, 7, 1)), "unit-inactive")


# --------------------------------------------------------------------------- step 2 level-skipping
@pytest.mark.parametrize("actor", ["D-CITY", "3704", "37"])
def test_level_skipping(actor):
    assert denied(decide(actor, "M-WXZJ", YONGAN), "level-skipping")
    assert denied(decide(actor, "M-DJ", VILLAGE, basis="B-PROV-DEP"), "level-skipping")


def test_county_government_is_not_level_skipping():
    assert allowed(decide(COUNTY, "M-DJ", YONGAN), "basic")  # T's county government, basic entry


# --------------------------------------------------------------------------- step 3 other-county
def test_other_county():
    assert denied(decide("D-XC-ZJ", "M-WXZJ", YONGAN), "other-county")  # 薛城区 holds it too
    assert denied(decide("370403", "M-DJ", YONGAN), "other-county")
    assert denied(decide("D-XC-ZJ", "M-DJ", VILLAGE, basis="B-COUNTY"), "other-county")
    assert allowed(decide("D-ZJ", "M-WXZJ", YONGAN), "cooperative")


# --------------------------------------------------------------------------- step 4 village-bypass
def test_village_bypass_without_basis():
    assert denied(decide("D-MZ", "M-DB", VILLAGE), "village-bypass")
    assert allowed(decide("D-MZ", "M-DB", VILLAGE, basis="B-COUNTY"), "assisting")
    assert allowed(decide("D-MZ", "M-DB", VILLAGE, basis="B-PROV-DEP"), "assisting")


def test_village_bypass_basis_must_be_in_force():
    # B-COUNTY is issued 2024-02-01
    assert denied(decide("D-MZ", "M-DB", VILLAGE, D(2024, 1, 31), basis="B-COUNTY"), "village-bypass")
    assert allowed(decide("D-MZ", "M-DB", VILLAGE, D(2024, 2, 1), basis="B-COUNTY"), "assisting")
    # E-B-COUNTY expires 2025-12-31 (in force that day)
    assert allowed(edges("E-WJ", "E-M7", COMMUNITY, D(2025, 12, 31), basis="E-B-COUNTY"), "duty")
    assert denied(edges("E-WJ", "E-M7", COMMUNITY, D(2026, 1, 1), basis="E-B-COUNTY"), "village-bypass")
    assert allowed(edges("E-WJ", "E-M7", COMMUNITY, D(2026, 1, 1), basis="E-B-PROV"), "duty")


def test_village_through_its_township_needs_no_basis():
    assert allowed(decide(YONGAN, "M-DB", VILLAGE), "assisting")  # township has standing for all
    assert allowed(decide(YONGAN, "M-DJ", VILLAGE), "duty")
    # another township is not the village's township
    assert denied(decide(GUANGMING, "M-DJ", VILLAGE), "village-bypass")


# --------------------------------------------------------------------------- step 5 pushdown-returned
def test_pushdown_returned_via_template():
    assert denied(decide("D-SCJG", "M-TZSB", YONGAN), "pushdown-returned")
    assert denied(decide("D-SCJG", "M-TZSB", GUANGMING), "pushdown-returned")
    assert denied(decide("D-SCJG-SUO", "M-TZSB", YONGAN), "pushdown-returned")


# --------------------------------------------------------------------------- step 6 pushdown-negative
def test_pushdown_negative():
    assert denied(decide(YONGAN, "M-CJ", VILLAGE), "pushdown-negative")
    assert denied(decide("D-ZJ", "M-CJ", VILLAGE, basis="B-COUNTY"), "pushdown-negative")
    # the same matter may go to the township (admission ADM-1)
    assert allowed(decide("D-ZJ", "M-CJ", YONGAN), "admission")


# --------------------------------------------------------------------------- step 7 certification-forbidden
def test_certification_forbidden():
    dec = edges("E-GA", "E-M2", COMMUNITY, kind="certification_request", basis="E-B-COUNTY")
    assert denied(dec, "certification-forbidden")
    # only certification requests are judged against must_not_certify
    assert denied(edges("E-GA", "E-M2", COMMUNITY, kind="task", basis="E-B-COUNTY"), "pushdown-unlisted")


# --------------------------------------------------------------------------- step 8 village-responsible
@pytest.mark.parametrize("matter", ["M-CQ", "M-WZJY"])  # demolition, enforcement
def test_village_responsible(matter):
    assert denied(decide(YONGAN, matter, VILLAGE, role="responsible"), "village-responsible")
    assert denied(decide(YONGAN, matter, VILLAGE, role="execute"), "pushdown-unlisted")


def test_village_responsible_even_when_listed():
    # E-M7 (work_safety) is a duty by law of the community: executing is fine, being responsible not
    assert allowed(edges("E-WJ", "E-M7", COMMUNITY, basis="E-B-COUNTY", role="execute"), "duty")
    assert allowed(edges("E-WJ", "E-M7", COMMUNITY, basis="E-B-COUNTY", role="assist"), "duty")
    assert denied(edges("E-WJ", "E-M7", COMMUNITY, basis="E-B-COUNTY", role="responsible"), "village-responsible")
    # a township may be named responsible
    assert denied(decide("D-ZJ", "M-CQ", YONGAN, role="responsible"), "pushdown-unlisted")


# --------------------------------------------------------------------------- step 9 no assignable entry
def test_pushdown_unlisted_states_the_consequence():
    dec = decide("D-ZJ", "M-CQ", YONGAN)
    assert denied(dec, "pushdown-unlisted")
    assert dec.consequence and "部门担责、乡镇免责" in dec.consequence


def test_certification_unlisted_only_with_positive_list():
    assert denied(edges("E-WJ", "E-M3", COMMUNITY, kind="certification_request", basis="E-B-COUNTY"),
                  "certification-unlisted")
    assert denied(edges("E-WJ", "E-M3", COMMUNITY, kind="task", basis="E-B-COUNTY"), "pushdown-unlisted")
    # 永安村 has no positive-list flag: an unlisted certification is just unlisted
    assert denied(decide(YONGAN, "M-WXZJ", VILLAGE, kind="certification_request"), "pushdown-unlisted")


def test_may_certify_counts_only_for_certification_requests():
    assert allowed(decide(YONGAN, "M-ZM", VILLAGE, kind="certification_request"), "may_certify")
    assert denied(decide(YONGAN, "M-ZM", VILLAGE, kind="task"), "pushdown-unlisted")
    assert allowed(edges("E-WJ", "E-M1", COMMUNITY, kind="certification_request", basis="E-B-COUNTY"),
                   "may_certify")
    # standing on a may_certify entry: a department of the county holding the matter
    assert denied(edges("E-GA", "E-M1", COMMUNITY, kind="certification_request", basis="E-B-COUNTY"),
                  "pushdown-no-standing")


def test_admission_edges_and_lapse_after_exit():
    """ADM-1 runs 2025-01-01..2025-12-31: allowed on both ends, lapse-after-exit the day after."""
    assert denied(decide("D-ZJ", "M-CJ", YONGAN, D(2024, 12, 31)), "pushdown-unlisted")
    assert allowed(decide("D-ZJ", "M-CJ", YONGAN, D(2025, 1, 1)), "admission")
    assert allowed(decide("D-ZJ", "M-CJ", YONGAN, D(2025, 12, 31)), "admission")
    assert denied(decide("D-ZJ", "M-CJ", YONGAN, D(2026, 1, 1)), "lapse-after-exit")
    # only the applicant has standing on an admission
    assert denied(decide("D-MZ", "M-CJ", YONGAN, D(2025, 6, 1)), "pushdown-no-standing")


def test_exited_admission_authorizes_through_its_exit_date():
    """E-ADM (applicant: the task force E-ZB of E-WJ) exits 2025-03-31: that day still authorizes."""
    assert denied(edges("E-ZB", "E-M5", OLD_TOWN, D(2024, 2, 29)), "pushdown-unlisted")
    assert allowed(edges("E-ZB", "E-M5", OLD_TOWN, D(2024, 3, 1)), "admission")
    assert allowed(edges("E-ZB", "E-M5", OLD_TOWN, D(2025, 3, 31)), "admission")
    assert denied(edges("E-ZB", "E-M5", OLD_TOWN, D(2025, 4, 1)), "lapse-after-exit")
    assert denied(edges("E-GA", "E-M5", OLD_TOWN, D(2025, 3, 31)), "pushdown-no-standing")


def test_task_force_applicant_gives_standing_to_its_department():
    """A unit an entry names is attributed like the actor: the task force's department has
    standing on the task force's admission."""
    assert allowed(edges("E-WJ", "E-M5", OLD_TOWN, D(2025, 3, 31)), "admission")


def test_revoked_delegation_and_lapse_after_revocation():
    """E-G1 (entrust) from 2024-01-01, revoked 2025-07-01 (the first day it no longer authorizes)."""
    assert denied(edges("E-WJ", "E-M4", OLD_TOWN, D(2023, 12, 31)), "pushdown-unlisted")
    assert allowed(edges("E-WJ", "E-M4", OLD_TOWN, D(2024, 1, 1)), "delegation")
    assert allowed(edges("E-WJ", "E-M4", OLD_TOWN, D(2025, 6, 30)), "delegation")
    assert denied(edges("E-WJ", "E-M4", OLD_TOWN, D(2025, 7, 1)), "lapse-after-revocation")
    assert denied(edges("E-WJ", "E-M4", OLD_TOWN, D(2027, 1, 1)), "lapse-after-revocation")


def test_dated_list_entry_edges():
    """老镇's basic entry E-M6 is in force 2025-01-01..2025-06-30."""
    assert denied(edges("E-WJ", "E-M6", OLD_TOWN, D(2024, 12, 31)), "pushdown-unlisted")
    assert allowed(edges("E-WJ", "E-M6", OLD_TOWN, D(2025, 1, 1)), "basic")
    assert allowed(edges("E-WJ", "E-M6", OLD_TOWN, D(2025, 6, 30)), "basic")
    assert denied(edges("E-WJ", "E-M6", OLD_TOWN, D(2025, 7, 1)), "pushdown-unlisted")


def test_delegation_first_day():
    """G-WZJY (grant) from 2024-01-01."""
    assert denied(decide("D-SCJG", "M-WZJY", YONGAN, D(2023, 12, 31)), "pushdown-unlisted")
    assert allowed(decide("D-SCJG", "M-WZJY", YONGAN, D(2024, 1, 1)), "delegation")


# --------------------------------------------------------------------------- step 10 pushdown-no-standing
def test_no_standing_names_who_has():
    dec = decide("D-SCJG", "M-WXZJ", YONGAN)
    assert denied(dec, "pushdown-no-standing")
    assert "市中区住建局" in dec.reasons[0].message


@pytest.mark.parametrize("actor,matter,target,kw", [
    ("D-ZJ", "M-DJ", YONGAN, {}),  # basic: nobody holds M-DJ, only the county government may
    ("D-MZ", "M-WZJY", YONGAN, {}),  # delegation: only its department
    ("D-ZJ", "M-DB", VILLAGE, {"basis": "B-COUNTY"}),  # assisting: only its supervisor
    ("D-MZ", "M-DJ", VILLAGE, {"basis": "B-COUNTY"}),  # duty: a county department holding it
    (GUANGMING, "M-DB", YONGAN, {}),  # a township is no department
])
def test_no_standing(actor, matter, target, kw):
    assert denied(decide(actor, matter, target, **kw), "pushdown-no-standing")


# --------------------------------------------------------------------------- step 11 allowed, with the basis
def test_allowed_basic_by_holding_department():
    dec = decide("D-MZ", "M-DB", YONGAN)
    assert allowed(dec, "basic")
    assert dec.authority.span.line == line_of(MINI, "basic: [M-DB]")


def test_allowed_cooperative_points_at_the_template_entry():
    dec = decide("D-ZJ", "M-WXZJ", YONGAN)
    assert allowed(dec, "cooperative")
    assert dec.authority.span.file == "county.yaml"
    assert dec.authority.span.line == line_of(MINI, "{matter: M-WXZJ, lead: D-ZJ")
    assert dec.to_dict()["authority"]["source"].endswith(f"county.yaml:{dec.authority.span.line}:{dec.authority.span.column}")


def test_allowed_delegation_with_legal_basis():
    dec = decide("D-SCJG", "M-WZJY", YONGAN)
    assert allowed(dec, "delegation")
    assert dec.authority.record_id == "G-WZJY"
    assert dec.authority.span.line == line_of(MINI, "id: G-WZJY")
    assert dec.authority.legal_basis and "B-PROV-DEC" in dec.authority.legal_basis


def test_allowed_admission_points_at_the_record():
    dec = decide("D-ZJ", "M-CJ", YONGAN)
    assert allowed(dec, "admission")
    assert dec.authority.record_id == "ADM-1"
    assert dec.authority.span.line == line_of(MINI, "id: ADM-1")


def test_allowed_village_entries_point_at_their_lines():
    dec = decide("D-MZ", "M-DB", VILLAGE, basis="B-COUNTY")
    assert allowed(dec, "assisting") and dec.authority.span.line == line_of(MINI, "{matter: M-DB, supervisor: D-MZ")
    dec = decide(YONGAN, "M-DJ", VILLAGE)
    assert allowed(dec, "duty") and dec.authority.span.line == line_of(MINI, "duties: [M-DJ]")
    dec = decide(YONGAN, "M-ZM", VILLAGE, kind="certification_request")
    assert allowed(dec, "may_certify") and dec.authority.span.line == line_of(MINI, "may_certify: [{matter: M-ZM")
    dec = edges("E-WJ", "E-M6", OLD_TOWN, D(2025, 1, 1))
    assert allowed(dec, "basic") and dec.authority.span.line == line_of(EDGES, "{matter: E-M6, since: 2025-01-01")


def test_dispatched_office_and_task_force_act_for_their_department():
    assert allowed(decide("D-SCJG-SUO", "M-WZJY", YONGAN), "delegation")  # 派出所 → 市场监管局
    assert allowed(decide("TF-CJ", "M-WXZJ", YONGAN), "cooperative")  # 专班 → 住建局
    assert allowed(decide("TF-CJ", "M-CJ", YONGAN), "admission")
    assert denied(decide("TF-CJ", "M-WZJY", YONGAN), "pushdown-no-standing")


def test_order_of_authorities_basic_before_admission(write_tree):
    root = write_tree({"p.yaml": ORDER})
    dec = Decider(build_index(load_policy(root, LoadOptions(workers=1)))).decide("C-D", "M1", "C-T", ON)
    assert allowed(dec, "basic")


ORDER = """\
units:
  - {id: C, name: 县, kind: government, level: county}
  - {id: C-D, name: 部门, kind: department, level: county, parent: C}
  - {id: C-T, name: 镇, kind: township, parent: C}
bases:
  - {id: B, number: n, title: t, issuer: i, level: county, kind: deployment, issued: 2020-01-01}
matters:
  - {id: M1, name: 事项, domain: d}
power_lists:
  - {holder: C-D, items: [M1]}
township_lists:
  - {township: C-T, basic: [M1], cooperative: [{matter: M1, lead: C-D}]}
delegations:
  - {id: G, matter: M1, department: C-D, townships: [C-T], mode: entrust}
admissions:
  - {id: AD, matter: M1, applicant: C-D, targets: [C-T], term: long, basis: B, since: 2020-01-01}
"""


# --------------------------------------------------------------------------- may_exercise
@pytest.mark.parametrize("unit,matter,on,want", [
    (VILLAGE, "M-WZJY", ON, ("deny", "exercise-village")),
    (YONGAN, "M-WZJY", ON, ("allow", None)),  # grant delegation
    (YONGAN, "M-WZJY", D(2023, 12, 31), ("deny", "exercise-not-held")),
    (YONGAN, "M-TZSB", ON, ("deny", "exercise-returned")),
    (YONGAN, "M-CQ", ON, ("deny", "exercise-not-held")),
    ("D-ZJ", "M-CQ", ON, ("allow", None)),
    ("D-ZJ", "M-TZSB", ON, ("deny", "exercise-not-held")),
    ("D-SCJG-SUO", "M-TZSB", ON, ("allow", None)),  # attributed to 市场监管局
    ("TF-CJ", "M-CQ", ON, ("allow", None)),
    (GUANGMING, "M-DJ", D(2025, 7, 1), ("deny", "unit-inactive")),
    (OLD_TOWN, "E-M4", D(2025, 6, 30), ("allow", None)),  # entrust, until revoked
    (OLD_TOWN, "E-M4", D(2025, 7, 1), ("deny", "exercise-not-held")),
    ("E-SJ", "E-M4", D(2025, 2, 28), ("deny", "unit-inactive")),
])
def test_may_exercise(unit, matter, on, want):
    root = EDGES if unit in (OLD_TOWN, "E-SJ") else MINI
    assert answer(decider(root).may_exercise(unit, matter, on)) == want


# --------------------------------------------------------------------------- who
def test_who_names_legal_party_and_cooperating_township():
    roles = who(build_index(load_policy(MINI, LoadOptions(workers=1))), "M-WXZJ", YONGAN, ON)
    got = {(r.role, r.unit, r.via) for r in roles}
    assert ("legal_party", "D-ZJ", "cooperative") in got
    assert ("cooperates", YONGAN, "cooperative") in got
    coop = [r for r in roles if r.via == "cooperative"]
    assert all(r.source and r.source.line == line_of(MINI, "{matter: M-WXZJ, lead: D-ZJ") for r in coop)


# --------------------------------------------------------------------------- CLI
@pytest.fixture
def cli(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))  # keep the parse cache out of ~
    runner = CliRunner()

    def run(*args: str, input: str | None = None):
        return runner.invoke(app, list(args), input=input)

    return run


def test_cli_decide_exit_codes(cli):
    base = ("decide", "-p", str(MINI), "--on", "2025-03-01")
    ok = cli(*base, "--actor", "D-ZJ", "--matter", "M-WXZJ", "--target", YONGAN)
    assert ok.exit_code == 0, ok.output
    assert "ALLOW" in ok.output and f"{MINI}/county.yaml:" in ok.output
    no = cli(*base, "--actor", "D-SCJG", "--matter", "M-WXZJ", "--target", YONGAN)
    assert no.exit_code == 1, no.output
    assert "pushdown-no-standing" in no.output
    err = cli(*base, "--actor", "NOPE", "--matter", "M-WXZJ", "--target", YONGAN)
    assert err.exit_code == 2, err.output
    bad_target = cli(*base, "--actor", "D-ZJ", "--matter", "M-WXZJ", "--target", "D-MZ")
    assert bad_target.exit_code == 2, bad_target.output


def test_cli_decide_kind_role_basis_and_json(cli):
    res = cli("decide", "-p", str(MINI), "--on", "2025-03-01", "--actor", "D-MZ", "--matter", "M-DB",
              "--target", VILLAGE, "--basis", "B-COUNTY", "--role", "assist", "-f", "json")
    assert res.exit_code == 0, res.output
    doc = json.loads(res.output)
    assert doc["ok"] is True and doc["revision"] and doc["diagnostics"] == []
    out = doc["decision"]
    assert out["outcome"] == "allow" and out["authority"]["kind"] == "assisting"
    res = cli("decide", "-p", str(MINI), "--on", "2025-03-01", "--actor", YONGAN, "--matter", "M-CQ",
              "--target", VILLAGE, "--role", "responsible", "-f", "json")
    assert res.exit_code == 1 and json.loads(res.output)["decision"]["reasons"][0]["code"] == "village-responsible"
    res = cli("decide", "-p", str(MINI), "--on", "2025-03-01", "--actor", YONGAN, "--matter", "M-ZM",
              "--target", VILLAGE, "--kind", "certification_request", "-f", "json")
    assert res.exit_code == 0 and json.loads(res.output)["decision"]["authority"]["kind"] == "may_certify"


def test_cli_decide_dates(cli):
    base = ("decide", "-p", str(MINI), "--actor", "D-ZJ", "--matter", "M-CJ", "--target", YONGAN)
    assert cli(*base, "--on", "2025-12-31").exit_code == 0
    res = cli(*base, "--on", "2026-01-01")
    assert res.exit_code == 1 and "lapse-after-exit" in res.output


def test_cli_decide_batch_worst_exit_code(cli):
    lines = [
        {"actor": "D-ZJ", "matter": "M-WXZJ", "target": YONGAN, "on": "2025-03-01"},
        {"actor": "D-SCJG", "matter": "M-WXZJ", "target": YONGAN, "on": "2025-03-01"},
    ]
    res = cli("decide", "-p", str(MINI), "--batch", "-", input="\n".join(json.dumps(x) for x in lines) + "\n")
    assert res.exit_code == 1, res.output
    outs = [json.loads(x) for x in res.output.splitlines() if x.strip()]
    assert [o["outcome"] for o in outs] == ["allow", "deny"]
    lines.append({"actor": "NOPE", "matter": "M-WXZJ", "target": YONGAN, "on": "2025-03-01"})
    res = cli("decide", "-p", str(MINI), "--batch", "-", input="\n".join(json.dumps(x) for x in lines) + "\n")
    assert res.exit_code == 2, res.output


def test_cli_decide_usage_errors(cli):
    assert cli("decide", "-p", str(MINI), "--actor", "D-ZJ").exit_code == 2  # matter/target missing
    res = cli("decide", "-p", str(MINI), "--actor", "D-ZJ", "--matter", "M-WXZJ", "--target", YONGAN,
              "--on", "2025-13-01")
    assert res.exit_code == 2


def test_cli_who(cli):
    res = cli("who", "-p", str(MINI), "--matter", "M-WXZJ", "--unit", YONGAN, "--on", "2025-03-01", "-f", "json")
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    got = {(r["role"], r["unit"], r["via"]) for r in out["roles"]}
    assert ("legal_party", "D-ZJ", "cooperative") in got and ("cooperates", YONGAN, "cooperative") in got
    text = cli("who", "-p", str(MINI), "--matter", "M-WXZJ", "--unit", YONGAN, "--on", "2025-03-01")
    assert text.exit_code == 0 and "市中区住建局" in text.output and "永安镇" in text.output
    assert f"{MINI}/county.yaml:" in text.output  # a terminal path: the root as given, then the file
    # the admission's days only
    res = cli("who", "-p", str(MINI), "--matter", "M-CJ", "--unit", YONGAN, "--on", "2025-06-01", "-f", "json")
    assert any(r["via"] == "admission" and r["since"] == "2025-01-01" and r["until"] == "2025-12-31"
               for r in json.loads(res.output)["roles"])
    res = cli("who", "-p", str(MINI), "--matter", "M-CJ", "--unit", YONGAN, "--on", "2026-01-01", "-f", "json")
    assert not any(r["via"] == "admission" for r in json.loads(res.output)["roles"])
    assert cli("who", "-p", str(MINI), "--matter", "NOPE", "--unit", YONGAN).exit_code == 2


# --------------------------------------------------------------------------- reported implementation bugs
def _decide_in(write_tree, text: str, *args, **kw):
    root = write_tree({"p.yaml": text})
    result = validate_tree(root, LoadOptions(workers=1))
    assert result.ok, result.diagnostics
    return Decider(build_index(result.policy)).decide(*args, **kw)


BUG_BASE = """\
units:
  - {id: P, name: 省, kind: government, level: province}
  - {id: C1, name: 县, kind: government, level: county, parent: P}
  - {id: D1, name: 部门, kind: department, level: county, parent: C1}
  - {id: T1, name: 镇, kind: township, parent: C1}
  - {id: V1, name: 村, kind: village, parent: T1}
bases:
  - {id: B1, number: n, title: t, issuer: i, level: county, kind: deployment, issued: 2020-01-01}
matters:
  - {id: M1, name: 事项, domain: d}
power_lists:
  - {holder: D1, items: [M1]}
"""


def test_bug_delegation_to_village(write_tree):
    text = BUG_BASE + "delegations:\n  - {id: G1, matter: M1, department: D1, townships: [V1], mode: entrust}\n"
    dec = _decide_in(write_tree, text, "D1", "M1", "V1", ON, basis="B1")
    # expected per docs/semantics.md: no assignable entry for M1 at V1 → pushdown-unlisted
    assert answer(dec) == ("deny", "pushdown-unlisted")  # was: allow, authority delegation G1 (fixed)


def test_revocation_after_expiry_is_unlisted(write_tree):
    """Found by the property test against the first implementation (it answered
    lapse-after-revocation here); fixed upstream in d03fddd, now spelled out in the contract."""
    text = BUG_BASE + ("delegations:\n  - {id: G1, matter: M1, department: D1, townships: [T1], mode: entrust, "
                       "since: 2024-01-01, until: 2024-12-31, revoked: {date: 2025-06-01, reason: r}}\n")
    dec = _decide_in(write_tree, text, "D1", "M1", "T1", D(2025, 3, 1))
    # the delegation had expired, its revocation (2025-06-01) was still to come → pushdown-unlisted
    assert answer(dec) == ("deny", "pushdown-unlisted")
    assert answer(_decide_in(write_tree, text, "D1", "M1", "T1", D(2025, 6, 1))) == ("deny", "lapse-after-revocation")


def test_bug_exit_before_entry(write_tree):
    """Was: lapse-after-exit for an admission that had not yet entered.  Now the loader refuses an
    exit dated before `since`, and decide only reports a lapse for an admission that was in force."""
    from admission.loader import LoadOptions, validate_tree

    text = BUG_BASE + ("admissions:\n  - {id: AD1, matter: M1, applicant: D1, targets: [T1], term: long, basis: B1, "
                       "since: 2025-01-01, state: exited, exit: {date: 2024-06-30, reason: r}}\n")
    result = validate_tree(write_tree({"p.yaml": text}), LoadOptions(workers=1))
    assert [d.code for d in result.diagnostics] == ["invalid-record"]
    later = text.replace("since: 2025-01-01", "since: 2024-01-01").replace("2024-06-30", "2024-03-31")
    assert answer(_decide_in(write_tree, later, "D1", "M1", "T1", D(2023, 7, 1))) == ("deny", "pushdown-unlisted")
    assert answer(_decide_in(write_tree, later, "D1", "M1", "T1", D(2024, 4, 1))) == ("deny", "lapse-after-exit")


def test_exit_reported_before_revocation(write_tree):
    """With both a lapsed admission and a revoked delegation, lapse-after-exit is reported: the
    contract now says the sub-cases of step 9 are taken in order."""
    text = BUG_BASE + (
        "delegations:\n  - {id: G1, matter: M1, department: D1, townships: [T1], mode: entrust, "
        "since: 2024-01-01, revoked: {date: 2024-06-01, reason: r}}\n"
        "admissions:\n  - {id: AD1, matter: M1, applicant: D1, targets: [T1], term: short, basis: B1, "
        "since: 2024-01-01, until: 2024-12-31}\n")
    dec = _decide_in(write_tree, text, "D1", "M1", "T1", D(2025, 3, 1))
    assert answer(dec) == ("deny", "lapse-after-exit")
