"""Property test: on random small policies, `Decider.decide`, the naive reference evaluator
(`tests/reference.py`, written from docs/semantics.md) and the pushdown checks agree.

Policies are drawn as plain data, written as YAML into a temporary tree and loaded through
`validate_tree`, so every drawn policy is a real one (a load error is a generator bug).
"""

from __future__ import annotations

import datetime as dt
import sys
import tempfile
from pathlib import Path

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from admission.evaluate.checks import run_checks
from admission.evaluate.decide import Decider, Outcome
from admission.compile.index import build_index
from admission.loader import LoadOptions, validate_tree
from admission.language.enums import AssignmentKind, AssignmentRole

sys.path.insert(0, str(Path(__file__).resolve().parent))
from reference import ref_decide_full, ref_may_exercise  # noqa: E402

OPTS = LoadOptions(workers=1)  # no cache, no pool

PUSHDOWN_FAMILY = frozenset({
    "pushdown-unlisted", "pushdown-no-standing", "pushdown-returned", "pushdown-negative",
    "village-responsible", "certification-forbidden", "certification-unlisted", "level-skipping",
    "other-county", "village-bypass", "unit-inactive", "lapse-after-exit", "lapse-after-revocation",
})

KINDS = [k.value for k in AssignmentKind]
ROLES = [r.value for r in AssignmentRole]
POWER_TYPES = ["penalty", "license", "inspection", "coercion", "confirmation", "levy", "payment",
               "reward", "adjudication", "certification", "service", "other"]
TAGS = ["enforcement", "demolition", "investment_promotion", "work_safety"]
LEVELS = ["central", "province", "city", "county", "township", "village"]
BASIS_KINDS = ["law", "regulation", "rule", "decision", "deployment", "entrustment", "notice", "other"]

LO, HI = dt.date(2023, 1, 1), dt.date(2027, 12, 31)


# --------------------------------------------------------------------------- generator
_ACTOR_ORDER = {("department", "county"): 0, ("dispatched", None): 1, ("task_force", None): 2,
                ("township", None): 3, ("government", "county"): 4, ("village", None): 5,
                ("department", "city"): 6, ("government", "city"): 7, ("government", "province"): 8}

@st.composite
def policies(draw):
    """A random small policy as {section: [records]} plus the ids and dates a question needs."""
    pool = sorted(set(draw(st.lists(st.dates(LO, HI), min_size=3, max_size=6))))

    def a_date():
        return draw(st.sampled_from(pool))

    def span(p_since=0.5, p_until=0.4) -> dict:
        out = {}
        since = a_date() if draw(st.floats(0, 1)) < p_since else None
        until = a_date() if draw(st.floats(0, 1)) < p_until else None
        if since and until and until < since:
            since, until = until, since
        if since:
            out["since"] = since
        if until:
            out["until"] = until
        return out

    def maybe(p: float) -> bool:
        return draw(st.floats(0, 1)) < p

    units: list[dict] = [
        {"id": "P", "name": "省", "kind": "government", "level": "province"},
        {"id": "CITY", "name": "市", "kind": "government", "level": "city", "parent": "P"},
        {"id": "CD", "name": "市局", "kind": "department", "level": "city", "parent": "CITY"},
    ]
    n_counties = draw(st.integers(1, 2))
    counties = [f"C{i}" for i in range(1, n_counties + 1)]
    depts: dict[str, list[str]] = {}
    for c in counties:
        units.append({"id": c, "name": f"县{c}", "kind": "government", "level": "county", "parent": "CITY"})
        depts[c] = []
        for j in range(1, draw(st.integers(2, 4)) + 1):
            did = f"{c}-D{j}"
            rec = {"id": did, "name": f"{c}部门{j}", "kind": "department", "level": "county", "parent": c}
            if maybe(0.1):
                rec.update(span())
            units.append(rec)
            depts[c].append(did)
    all_county_depts = [d for c in counties for d in depts[c]]
    all_depts = all_county_depts + ["CD"]

    n_town = draw(st.integers(1, 3))
    townships = [f"T{i}" for i in range(1, n_town + 1)]
    town_county = {}
    for i, t in enumerate(townships):
        c = counties[0] if i == 0 else draw(st.sampled_from(counties))
        town_county[t] = c
        rec = {"id": t, "name": f"乡镇{t}", "kind": "township", "parent": c}
        units.append(rec)
    if maybe(0.35):  # one township sometimes ends (or starts) on a day
        chosen = draw(st.sampled_from(townships))
        rec = next(u for u in units if u["id"] == chosen)
        rec["until"] = a_date()
        if maybe(0.3):
            rec["since"] = pool[0]
            if rec["until"] < rec["since"]:
                rec["until"] = rec["since"]

    disp_parent = draw(st.sampled_from(depts[counties[0]]))
    disp = {"id": "DISP", "name": "派出所", "kind": "dispatched", "parent": disp_parent}
    if maybe(0.5):
        disp["seat"] = draw(st.sampled_from(townships))
    units.append(disp)
    tf_parent = draw(st.sampled_from(all_county_depts))
    units.append({"id": "TF", "name": "专班", "kind": "task_force", "parent": tf_parent})

    villages = [f"V{i}" for i in range(1, draw(st.integers(0, 2)) + 1)]
    for v in villages:
        rec = {"id": v, "name": f"村{v}", "kind": "village", "parent": draw(st.sampled_from(townships))}
        if maybe(0.15):
            rec.update(span())
        units.append(rec)

    # bases
    bases = []
    for i in range(1, draw(st.integers(1, 3)) + 1):
        b = {"id": f"B{i}", "number": f"文{i}号", "title": f"依据{i}", "issuer": "机关",
             "level": draw(st.sampled_from(LEVELS[:4])), "kind": draw(st.sampled_from(BASIS_KINDS)),
             "issued": a_date()}
        if maybe(0.3):
            later = [d for d in pool if d >= b["issued"]]
            b["expires"] = draw(st.sampled_from(later))
        if maybe(0.2):
            b["published"] = False
        bases.append(b)
    basis_ids = [b["id"] for b in bases]

    # matters
    matters = []
    for i in range(1, draw(st.integers(3, 6)) + 1):
        m = {"id": f"M{i}", "name": f"事项{i}", "domain": "领域",
             "power_type": draw(st.sampled_from(POWER_TYPES))}
        tags = draw(st.lists(st.sampled_from(TAGS), max_size=2, unique=True))
        if tags:
            m["tags"] = tags
        lv = draw(st.lists(st.sampled_from(["county", "township", "village"]), max_size=2, unique=True))
        if lv:
            m["levels"] = lv
        if maybe(0.2):
            m["major_penalty"] = True
        if maybe(0.2):
            m["needs_specialist"] = True
        matters.append(m)
    mids = [m["id"] for m in matters]

    def a_matter():
        return draw(st.sampled_from(mids))

    # power lists: departments (all counties and the city) and sometimes townships
    power_lists = []
    for holder in all_depts + townships:
        if holder in townships and not maybe(0.3):
            continue
        for _ in range(draw(st.integers(0, 2) if holder not in townships else st.just(1))):
            items = []
            for m in draw(st.lists(st.sampled_from(mids), max_size=4, unique=True)):
                it: dict = {"matter": m}
                if maybe(0.3):
                    it.update(span())
                if maybe(0.15):
                    it["centralised_to"] = "CD"
                if maybe(0.1):
                    it["retained_in"] = [draw(st.sampled_from(townships))]
                items.append(it if len(it) > 1 or maybe(0.5) else m)
            pl = {"holder": holder, "items": items}
            if maybe(0.3):
                pl.update(span())
            power_lists.append(pl)

    def entry(extra: dict | None = None, shorthand_ok: bool = True):
        e: dict = {"matter": a_matter()}
        if maybe(0.3):
            e.update(span())
        if maybe(0.15):
            e["scope"] = draw(st.sampled_from(["日常巡查", "受理"]))
        if extra:
            e.update(extra)
        if shorthand_ok and len(e) == 1 and maybe(0.5):
            return e["matter"]
        return e

    lead_pool = all_depts + ["DISP"]  # includes other-county and city departments, a dispatched office

    def cooperative():
        return entry({"lead": draw(st.lists(st.sampled_from(lead_pool), max_size=2, unique=True))}, False)

    def returned():
        return entry({"taken_by": draw(st.lists(st.sampled_from(lead_pool), max_size=1))}, False)

    def township_sections() -> dict:
        out = {}
        basic = [entry() for _ in range(draw(st.integers(0, 2)))]
        coop = [cooperative() for _ in range(draw(st.integers(0, 2)))]
        ret = [returned() for _ in range(draw(st.integers(0, 1)))]
        if basic:
            out["basic"] = basic
        if coop:
            out["cooperative"] = coop
        if ret:
            out["returned"] = ret
        return out

    templates = []
    if maybe(0.7):
        tpl = {"id": "TPL", "name": "模板", "county": draw(st.sampled_from(counties))}
        tpl.update(township_sections())
        templates.append(tpl)
    township_lists = []
    for t in townships:
        if not maybe(0.85):
            continue
        tl: dict = {"township": t}
        if templates and maybe(0.7):
            tl["template"] = "TPL"
            if maybe(0.3):
                tl["remove"] = draw(st.lists(st.sampled_from(mids), min_size=1, max_size=2, unique=True))
        tl.update(township_sections())
        township_lists.append(tl)

    # village lists (and sometimes a village template)
    def village_sections() -> dict:
        out: dict = {}
        for key, make in (
            ("duties", lambda: entry()),
            ("assisting", lambda: entry(
                {"supervisor": draw(st.sampled_from(lead_pool))} if maybe(0.8) else {"category": "类别"}, False)),
            ("negative", lambda: entry()),
            ("may_certify", lambda: entry({"purpose": "用途"} if maybe(0.3) else None)),
            ("must_not_certify", lambda: entry()),
        ):
            items = [make() for _ in range(draw(st.integers(0, 2)))]
            if items:
                out[key] = items
        flag = draw(st.sampled_from([None, True, False]))
        if flag is not None:
            out["certify_only_listed"] = flag
        return out

    village_templates = []
    if villages and maybe(0.4):
        vt = {"id": "VTPL", "name": "村模板", "owner": draw(st.sampled_from(counties + townships))}
        vt.update(village_sections())
        village_templates.append(vt)
    village_lists = []
    for v in villages:
        if not maybe(0.85):
            continue
        vl: dict = {"village": v}
        if village_templates and maybe(0.7):
            vl["template"] = "VTPL"
            if maybe(0.3):
                vl["remove"] = draw(st.lists(st.sampled_from(mids), min_size=1, max_size=2, unique=True))
        vl.update(village_sections())
        village_lists.append(vl)

    # delegations
    delegations = []
    for i in range(1, draw(st.integers(0, 3)) + 1):
        dep_pool = all_county_depts + ["CD", "DISP"] + townships
        dl: dict = {"id": f"G{i}", "matter": a_matter(),
                    "department": draw(st.sampled_from(dep_pool)),
                    # villages too: a delegation naming one authorizes nothing there (the check
                    # delegation-to-village reports it)
                    "townships": draw(st.lists(st.sampled_from(townships + villages), min_size=1, max_size=2,
                                               unique=True)),
                    "mode": draw(st.sampled_from(["grant", "entrust"]))}
        if maybe(0.6):
            dl["basis"] = draw(st.sampled_from(basis_ids))
        dl.update(span(0.7, 0.4))
        if maybe(0.4):
            # any day, also before `since` or after `until` (an expired delegation whose
            # revocation is still to come is unlisted, not lapsed by revocation)
            dl["revoked"] = {"date": a_date(), "reason": "收回"}
        if maybe(0.3):
            dl["evaluation"] = {"every_months": draw(st.integers(1, 24))}
        delegations.append(dl)

    # admissions
    admissions = []
    for i in range(1, draw(st.integers(0, 3)) + 1):
        term = draw(st.sampled_from(["short", "long"]))
        since = a_date()
        rec: dict = {"id": f"ADM{i}", "matter": a_matter(),
                     "applicant": draw(st.sampled_from(all_county_depts + ["CD", "DISP", "TF"])),
                     "targets": draw(st.lists(st.sampled_from(townships + villages), min_size=1, max_size=2,
                                              unique=True)),
                     "term": term, "basis": draw(st.sampled_from(basis_ids)), "since": since}
        later = [d for d in pool if d >= since]
        if term == "short" or maybe(0.4):
            rec["until"] = draw(st.sampled_from(later))
        if maybe(0.4):
            rec["state"] = "exited"
            # an exit on or after entry (the loader refuses one dated before `since`)
            rec["exit"] = {"date": draw(st.sampled_from(later)), "reason": "退出"}
        admissions.append(rec)

    doc = {"version": 1, "title": "随机策略", "units": units, "bases": bases, "matters": matters}
    for key, val in (("power_lists", power_lists), ("township_templates", templates),
                     ("township_lists", township_lists), ("village_templates", village_templates),
                     ("village_lists", village_lists), ("delegations", delegations),
                     ("admissions", admissions)):
        if val:
            doc[key] = val
    parent = {u["id"]: u.get("parent") for u in units}
    kinds = {u["id"]: (u["kind"], u.get("level")) for u in units}

    def county_of(uid):
        while uid is not None and uid not in counties:
            uid = parent[uid]
        return uid

    meta = {
        # departments first: hypothesis favours the first elements of a sampled list
        "pool": pool, "units": sorted((u["id"] for u in units), key=lambda x: _ACTOR_ORDER[kinds[x]]),
        "matters": mids, "bases": basis_ids,
        "parent": parent, "county": {u["id"]: county_of(u["id"]) for u in units},
        "kind": {u["id"]: u["kind"] for u in units},
        "targets": townships + villages,
        "actors_assignable": sorted((u["id"] for u in units if u["kind"] != "village"),
                                    key=lambda x: _ACTOR_ORDER[kinds[x]]),
    }
    return doc, meta


def question_dates(pool: list[dt.date]) -> list[dt.date]:
    """Every generated date and its neighbours (the edges of every range), plus the bounds."""
    out = {LO, HI}
    for d in pool:
        for delta in (-1, 0, 1):
            x = d + dt.timedelta(days=delta)
            if LO <= x <= HI:
                out.add(x)
    return sorted(out)


@st.composite
def questions(draw, meta, n_min=1, n_max=40, assignable_only=False):
    dates = question_dates(meta["pool"])
    actors = meta["actors_assignable"] if assignable_only else meta["units"]
    out = []
    for _ in range(draw(st.integers(n_min, n_max))):
        target = draw(st.sampled_from(meta["targets"]))
        # mostly an actor that can get past the early steps: a unit of the target's county
        near = [u for u in actors if meta["county"][u] == meta["county"][target]
                and meta["kind"][u] != "village"] + [meta["parent"][target]]
        pool = near if draw(st.booleans()) else actors
        out.append({
            "actor": draw(st.sampled_from([u for u in pool if u in actors])),
            "matter": draw(st.sampled_from(meta["matters"])),
            "target": target,
            "on": draw(st.sampled_from(dates)),
            "kind": draw(st.sampled_from(KINDS)),
            "role": draw(st.sampled_from(ROLES)),
            "basis": draw(st.one_of(st.none(), st.sampled_from(meta["bases"]))),
        })
    return out


# --------------------------------------------------------------------------- helpers
class _NoAliases(yaml.SafeDumper):
    def ignore_aliases(self, data):  # the policy reader rejects anchors and aliases
        return True


def dump(doc: dict) -> str:
    return yaml.dump(doc, Dumper=_NoAliases, allow_unicode=True, sort_keys=False, default_flow_style=None)


def load(root: Path, files: dict[str, dict]):
    for name, doc in files.items():
        (root / name).write_text(dump(doc), encoding="utf-8")
    result = validate_tree(root, OPTS)
    assert result.ok, "generator produced an invalid policy:\n" + "\n".join(
        d.format() for d in result.diagnostics if d.severity.value == "error") + "\n" + dump(files["policy.yaml"])
    return result.policy


def impl_answer(decider: Decider, q: dict):
    dec = decider.decide(q["actor"], q["matter"], q["target"], q["on"], AssignmentKind(q["kind"]),
                         AssignmentRole(q["role"]), q["basis"])
    if dec.outcome is Outcome.allow:
        return ("allow", None, dec.authority.kind if dec.authority else None)
    if dec.outcome is Outcome.deny:
        return ("deny", dec.reasons[0].code, None)
    return ("error", None, None)


def ref_answer(policy, q: dict):
    r = ref_decide_full(policy, q["actor"], q["matter"], q["target"], q["on"], q["kind"], q["role"], q["basis"])
    return (r.outcome, r.code, r.authority)


def explain(policy_doc: dict, q: dict, got, want) -> str:
    return (f"\nquestion: {q}\nimplementation: {got}\nreference: {want}\npolicy:\n{dump(policy_doc)}")


def draw_decider(data):
    """A generated policy document, what it holds (`meta`) and a `Decider` on it, loaded as a
    policy directory would be."""
    doc, meta = data.draw(policies(), label="policy")
    with tempfile.TemporaryDirectory() as tmp:
        policy = load(Path(tmp), {"policy.yaml": doc})
    return doc, meta, Decider(build_index(policy))


# --------------------------------------------------------------------------- the properties
@settings(deadline=None)
@given(data=st.data())
def test_decide_agrees_with_reference(data):
    doc, meta, decider = draw_decider(data)
    qs = data.draw(questions(meta), label="questions")
    # and every (actor, matter, target) on one edge date, with a random kind/role/basis each
    on = data.draw(st.sampled_from(question_dates(meta["pool"])), label="sweep date")
    kinds = data.draw(st.lists(st.sampled_from(KINDS), min_size=3, max_size=3), label="kinds")
    i = 0
    for actor in meta["units"]:
        for matter in meta["matters"]:
            for target in meta["targets"]:
                qs.append({"actor": actor, "matter": matter, "target": target, "on": on,
                           "kind": kinds[i % 3], "role": ROLES[i % 3],
                           "basis": (meta["bases"] + [None])[i % (len(meta["bases"]) + 1)]})
                i += 1
    for q in qs:
        got, want = impl_answer(decider, q), ref_answer(decider.index.policy, q)
        assert got == want, explain(doc, q, got, want)


@settings(deadline=None)
@given(data=st.data())
def test_may_exercise_agrees_with_reference(data):
    doc, meta, decider = draw_decider(data)
    for on in question_dates(meta["pool"]):
        for unit in meta["units"]:
            for matter in meta["matters"]:
                dec = decider.may_exercise(unit, matter, on)
                got = (dec.outcome.value, dec.reasons[0].code if dec.outcome is Outcome.deny else None)
                want = ref_may_exercise(decider.index.policy, unit, matter, on)
                assert got == want, explain(doc, {"unit": unit, "matter": matter, "on": on}, got, want)


@settings(deadline=None)
@given(data=st.data())
def test_pushdown_checks_agree_with_decide_and_reference(data):
    """Three-way: recorded assignments are judged by the checks as decide (and the reference)
    would judge them on their own date, kind, role and basis."""
    doc, meta = data.draw(policies(), label="policy")
    qs = data.draw(questions(meta, 1, 25, assignable_only=True), label="assignments")
    check_on = data.draw(st.sampled_from(question_dates(meta["pool"])), label="check date")
    records = []
    for n, q in enumerate(qs, 1):
        rec = {"id": f"A{n}", "by": q["actor"], "to": q["target"], "matter": q["matter"], "date": q["on"],
               "kind": q["kind"], "role": q["role"]}
        if q["basis"] is not None:
            rec["basis"] = q["basis"]
        records.append(rec)
    with tempfile.TemporaryDirectory() as tmp:
        policy = load(Path(tmp), {"policy.yaml": doc, "assignments.yaml": {"assignments": records}})
    decider = Decider(build_index(policy))
    findings = run_checks(policy, check_on)
    by_subject: dict[str, set[str]] = {}
    for f in findings:
        if f.code in PUSHDOWN_FAMILY:
            by_subject.setdefault(f.subject, set()).add(f.code)
    for n, q in enumerate(qs, 1):
        aid = f"A{n}"
        want = ref_answer(policy, q)
        got = impl_answer(decider, q)
        assert got == want, explain(doc, q, got, want)
        expected = {want[1]} if want[0] == "deny" else set()
        assert by_subject.get(aid, set()) == expected, (
            f"checks on {aid} found {by_subject.get(aid, set())}, expected {expected}" + explain(doc, q, got, want))
    stray = set(by_subject) - {f"A{n}" for n in range(1, len(qs) + 1)}
    assert not stray, f"pushdown findings on non-assignment subjects: {stray}"
