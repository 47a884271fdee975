"""The rule registry (`admission.evaluate.checks.REGISTRY`): every finding the checks emit names a
registered rule; every registered rule is documented and is emitted somewhere, or is a denial of
`decide` that pushdown reports under decide's id; docs/semantics.md's "Checks" section is what the
registry generates; and `admission rules` prints the rule table.
"""

from __future__ import annotations

import ast
import datetime as dt
import json
import re
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from admission.cli.main import app
from admission.diagnostics import Diagnostic, Severity
from admission.evaluate.checks import REGISTRY, all_rules, pushdown, run_checks
from admission.evaluate.checks.docs import (BEGIN, END, SUBJECTS_BEGIN, SUBJECTS_END, checks_markdown, splice,
                                            subjects_markdown)
from admission.evaluate.checks.registry import SUBJECTS, Family, Registry, Rule, finding
from admission.language import Policy
from admission.language.enums import UnitKind
from admission.loader import LoadOptions, validate_tree
from test_checks import CASES, case_files

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
SEMANTICS = ROOT / "docs" / "semantics.md"
DECIDE = ROOT / "src" / "admission" / "evaluate" / "decide.py"
DATES = (dt.date(2024, 6, 1), dt.date(2025, 3, 1), dt.date(2026, 11, 23))


def load(root: Path):
    result = validate_tree(root, LoadOptions(workers=1))
    assert result.ok, "\n".join(d.format() for d in result.diagnostics)
    return result.policy


def flow_tree(tmp: Path) -> Path:
    """The workflow tests' tree: the mini county, its flow additions and the bundled flows."""
    root = tmp / "flow"
    root.mkdir()
    shutil.copy(FIXTURES / "mini" / "county.yaml", root / "county.yaml")
    shutil.copy(FIXTURES / "flow_extra" / "extra.yaml", root / "extra.yaml")
    shutil.copytree(ROOT / "policies" / "flows", root / "flows")
    return root


def case_trees(tmp: Path):
    """Every per-rule case of tests/test_checks.py, firing and fixed, with its date."""
    for n, case in enumerate(CASES):
        for fixed in (False, True):
            root = tmp / f"case{n}-{'fixed' if fixed else 'fires'}"
            root.mkdir()
            for name, text in case_files(case, fixed).items():
                (root / name).write_text(text, encoding="utf-8")
            yield root, (case.on,)


def emitted(tmp: Path) -> list[tuple[Policy, Diagnostic]]:
    """Every finding over the bundled trees, the fixtures and the per-rule cases, with its policy."""
    trees = [(ROOT / "policies", DATES), (ROOT / "examples" / "violations", DATES), (FIXTURES / "mini", DATES),
             (FIXTURES / "edges", DATES), (flow_tree(tmp), DATES), *case_trees(tmp)]
    found = []
    for root, dates in trees:
        policy = load(root)
        for on in dates:
            found += [(policy, f) for f in run_checks(policy, on)]
    return found


@pytest.fixture(scope="module")
def findings(tmp_path_factory) -> list[tuple[Policy, Diagnostic]]:
    return emitted(tmp_path_factory.mktemp("trees"))


@pytest.fixture(scope="module")
def codes(findings) -> set[str]:
    return {f.code for _, f in findings}


def decide_denials() -> set[str]:
    """The codes `Decider.decide` denies with (`_denial("code", …)` or `self._deny("code", …)`),
    read from its source; `may_exercise` answers another question and is left out."""
    tree = ast.parse(DECIDE.read_text(encoding="utf-8"))
    decider = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "Decider")
    found = set()
    for method in decider.body:
        if not isinstance(method, ast.FunctionDef) or method.name == "may_exercise":
            continue
        for node in ast.walk(method):
            called = (node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", None)) \
                if isinstance(node, ast.Call) else None
            if called in ("_deny", "_denial") and node.args and isinstance(node.args[0], ast.Constant):
                found.add(node.args[0].value)
    return found


# --------------------------------------------------------------------------- every code registered
def unregistered(codes: set[str]) -> set[str]:
    return codes - set(all_rules())


def test_every_emitted_code_is_registered(codes):
    assert unregistered(codes) == set()


def test_an_unregistered_rule_would_be_caught(monkeypatch):
    stray = Rule("stray-rule", Severity.error, "未登记的规则", "unregistered rule", "登记它", "templates", "-")
    family = REGISTRY.family("templates")
    real = family.check

    def with_stray(ctx):
        yield from real(ctx)
        yield finding(stray, "X", "一条没有登记的发现")

    monkeypatch.setattr(family, "check", with_stray)
    found = run_checks(load(ROOT / "examples" / "violations"), DATES[-1])
    assert unregistered({f.code for f in found}) == {"stray-rule"}


def test_every_rule_is_emitted_or_comes_from_decide(codes):
    rules = all_rules().values()
    assert {r.id for r in rules if not r.from_decide} - codes == set()
    assert {r.id for r in rules if r.from_decide} == decide_denials()


def test_pushdown_maps_every_denial_of_decide_to_its_rule():
    assert set(pushdown.DECISION_RULES) == decide_denials()
    assert all(r.from_decide and r.family == "pushdown" for r in pushdown.DECISION_RULES.values())


def test_synth_can_inject_every_registered_rule():
    from admission.synth import RULES

    assert list(RULES) == list(all_rules())


def test_every_rule_is_documented_at_its_anchor():
    text = SEMANTICS.read_text(encoding="utf-8")
    for family in REGISTRY.families:
        assert family.intro and family.check is not None, family.name
        for rule in family.rules:
            assert rule.family == family.name and rule.doc.strip(), rule.id
            page, anchor = rule.anchor.split("#")
            assert page == SEMANTICS.name and text.count(f'<a id="{anchor}"></a>') == 1, rule.id


# --------------------------------------------------------------------------- finding subjects
def subject_is(kind: str, subject: str, policy: Policy) -> bool:
    """Whether `subject` has the form its rule's subject kind documents, naming records of `policy`."""
    def unit_of(uid: str, unit_kind: UnitKind) -> bool:
        return uid in policy.units and policy.units[uid].kind is unit_kind

    if kind == "assignment":
        return subject in policy.assignments
    if kind == "delegation":
        return subject in policy.delegations
    if kind == "exercise":
        return subject in policy.exercises
    if kind == "township":
        return unit_of(subject, UnitKind.township)
    if kind == "basis":
        basis, _, record = subject.partition("/")
        return basis in policy.bases and (record in policy.delegations or record in policy.admissions
                                          or record in policy.assignments or record in policy.units)
    if kind == "list":
        unit, _, kind_ = subject.partition("/")
        if kind_.count("/") == 1:  # a template's: "<county or owner>/<template>/<kind>"
            tid, _, kind_ = kind_.partition("/")
            t = policy.township_templates.get(tid) or policy.village_templates.get(tid)
            return t is not None and unit == getattr(t, "county", None) or unit == getattr(t, "owner", None)
        return ((unit_of(unit, UnitKind.township) and kind_ in ("basic", "cooperative", "returned"))
                or (unit_of(unit, UnitKind.village)
                    and kind_ in ("duties", "assisting", "negative", "may_certify", "must_not_certify")))
    if kind == "unit/record":
        unit, _, record = subject.partition("/")
        return unit in policy.units and bool(record)
    unit, _, matter = subject.partition("/")
    return matter in policy.matters and unit_of(unit, UnitKind[kind.split("/")[0]])


def test_every_finding_subject_has_the_form_its_rule_documents(findings):
    wrong = {(f.code, f.subject) for policy, f in findings
             if not subject_is(all_rules()[f.code].subject, f.subject, policy)}
    assert wrong == set()


def test_subject_form_check_can_fail(findings):
    policy, f = next((p, f) for p, f in findings if f.code == "missing-owner")
    assert subject_is("township/matter", f.subject, policy)
    assert not subject_is("village/matter", f.subject, policy) and not subject_is("assignment", f.subject, policy)


def test_a_rule_with_an_unknown_subject_kind_is_refused():
    with pytest.raises(ValueError, match="unknown subject kind"):
        Family("one", "one:", "assignment").rule("a-rule", Severity.error, "标题", "title", "修改", "doc.",
                                                 subject="county")


def test_subjects_section_lists_every_rule_once_under_its_kind():
    text = subjects_markdown()
    listed = re.findall(r"`([a-z-]+)`", text)
    assert sorted(listed) == sorted(all_rules()) and len(listed) == len(set(listed))
    for line in text.split("\n- "):
        kind = next(k for k, form in SUBJECTS.items() if line.lstrip("- ").startswith(form))
        assert all(all_rules()[rid].subject == kind for rid in re.findall(r"`([a-z-]+)`", line.split(":", 1)[1]))


# --------------------------------------------------------------------------- the registry
def _family(name: str, *ids: str, check=True) -> Family:
    family = Family(name, f"{name}:", "assignment")
    for rid in ids:
        family.rule(rid, Severity.error, "标题", "title", "修改", f"{rid} doc.")
    if check:
        family.checker(lambda ctx: iter(()))
    return family


def test_registry_refuses_a_duplicate_id_and_a_family_without_check():
    with pytest.raises(ValueError, match="duplicate rule id a-rule"):
        Registry([_family("one", "a-rule"), _family("two", "a-rule")])
    with pytest.raises(ValueError, match="no check function"):
        Registry([_family("one", "a-rule", check=False)])
    with pytest.raises(KeyError):
        Registry([_family("one", "a-rule")]).family("two")


def test_rule_dict_and_anchor():
    rule = all_rules()["pushdown-new-vest"]
    assert rule.anchor == "semantics.md#pushdown-new-vest"
    assert rule.to_dict() == {"id": "pushdown-new-vest", "severity": "warning", "family": "pushdown",
                              "title": rule.title, "title_en": rule.title_en, "fix": rule.fix,
                              "anchor": rule.anchor, "doc": rule.doc, "from_decide": False,
                              "subject": "assignment"}


# --------------------------------------------------------------------------- the generated docs
def test_semantics_md_is_what_the_registry_generates():
    text = SEMANTICS.read_text(encoding="utf-8")
    assert splice(text, checks_markdown()) == text, "run `admission rules --write-docs docs/semantics.md`"
    assert splice(text, subjects_markdown(), SUBJECTS_BEGIN, SUBJECTS_END) == text, \
        "run `admission rules --write-docs docs/semantics.md`"


def test_generated_section_groups_rules_by_family_in_registry_order():
    preamble, *blocks = checks_markdown().split("\n\n")
    assert preamble.startswith("Run for one date") and len(blocks) == len(REGISTRY.families)
    for family, block in zip(REGISTRY.families, blocks):
        assert " ".join(block.split()).startswith(" ".join(family.intro.split())), family.name
        assert re.findall(r'<a id="([a-z-]+)"></a>', block) == [r.id for r in family.rules]
    assert "`pushdown-new-vest` (warning)" in blocks[2] and "`missing-lead` (warning)" not in blocks[1]


def test_splice_needs_both_markers():
    doc = f"# t\n\n{BEGIN}\nold\n{END}\n\nrest\n"
    assert splice(doc, "new\n") == f"# t\n\n{BEGIN}\nnew\n{END}\n\nrest\n"
    with pytest.raises(ValueError):
        splice("# no markers\n", "new\n")
    with pytest.raises(ValueError):
        splice(f"{END}\n{BEGIN}\n", "new\n")


# --------------------------------------------------------------------------- admission rules
runner = CliRunner()


def test_cli_rules_lists_id_severity_and_both_titles():
    out = runner.invoke(app, ["rules"])
    assert out.exit_code == 0, out.output
    lines = out.output.splitlines()
    for rule in all_rules().values():
        (line,) = [ln for ln in lines if ln.split()[:1] == [rule.id]]
        assert line.split()[1] == rule.severity.value
        assert line.endswith(f"{rule.title} — {rule.title_en}"), line
    assert f"共 {len(all_rules())} 条规则" in lines[-1]


def test_cli_rules_json():
    out = runner.invoke(app, ["rules", "--json"])
    assert out.exit_code == 0, out.output
    doc = json.loads(out.output)["rules"]
    assert [r["id"] for r in doc] == list(all_rules())
    assert doc == [r.to_dict() for r in all_rules().values()]


def test_cli_rules_markdown_and_write_docs(tmp_path):
    out = runner.invoke(app, ["rules", "--markdown"])
    assert out.exit_code == 0 and out.output == checks_markdown()
    stale = tmp_path / "semantics.md"
    stale.write_text(f"# s\n\n{BEGIN}\nhand-written\n{END}\n\n## next\n{SUBJECTS_BEGIN}\nold\n{SUBJECTS_END}\n",
                     encoding="utf-8")
    first = runner.invoke(app, ["rules", "--write-docs", str(stale)])
    assert first.exit_code == 0 and "已更新 updated" in first.output, first.output
    assert stale.read_text(encoding="utf-8") == (f"# s\n\n{BEGIN}\n{checks_markdown()}{END}\n\n## next\n"
                                                 f"{SUBJECTS_BEGIN}\n{subjects_markdown()}{SUBJECTS_END}\n")
    again = runner.invoke(app, ["rules", "--write-docs", str(stale)])
    assert again.exit_code == 0 and "无变化 unchanged" in again.output
    bare = tmp_path / "bare.md"
    bare.write_text("# no markers\n", encoding="utf-8")
    refused = runner.invoke(app, ["rules", "--write-docs", str(bare)])
    assert refused.exit_code == 2 and bare.read_text(encoding="utf-8") == "# no markers\n"
