"""Policy tests in the manner of `opa test`: `*_test.yaml` cases stating expected decisions and
expected findings, run against a loaded policy, with coverage of entries and rules.

The format is documented in docs/policy-tests.md.  Test files are read with the same YAML
reader as policy files, so their errors are located the same way.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError, model_validator

from .checks import all_rules, run_checks
from .checks.counts import LABELS, actual_counts
from .decide import Decider
from ..diagnostics import Diagnostic, Span
from ..compile.index import Index, build_index
from ..loader import TEST_SUFFIXES, Limits
from ..loader.messages import Locator, translate
from ..loader.yamlread import read_yaml
from ..language import Policy
from ..compile.expand import TOWNSHIP_KINDS, VILLAGE_KINDS, township_entries, village_entries
from ..language.base import Date, Id, Name, StrictModel
from ..language.enums import AssignmentKind, AssignmentRole, InspectionKind
from .registers import RegisterDecider


class DecideQuestion(StrictModel):
    actor: Id
    matter: Id
    target: Id
    kind: AssignmentKind = AssignmentKind.task
    role: AssignmentRole = AssignmentRole.execute
    basis: Id | None = None


class ExerciseQuestion(StrictModel):
    unit: Id
    matter: Id


class RegisterQuestion(StrictModel):
    """A question of the registers (as `admission ask` puts it): `question` inspect (by a department, of
    plan item `what`, on `unit`), second (by an organ, `count` staff of township `unit`), hang
    (board `what` in `unit`), seal (purpose `what` of community `unit`), form (by a department,
    form `what`, of `unit`)."""

    question: Literal["inspect", "second", "hang", "seal", "form"]
    unit: Id
    by: Id | None = None
    what: Name | None = None
    count: int | None = Field(default=None, ge=1, strict=True)
    kind: InspectionKind | None = None

    @model_validator(mode="after")
    def _fields(self):
        need = {"inspect": ("by", "what"), "second": ("by", "count"), "hang": ("what",), "seal": ("what",),
                "form": ("by", "what")}[self.question]
        missing = [f for f in need if getattr(self, f) is None]
        if missing:
            raise ValueError(f"{self.question} 问题须写 {'、'.join(missing)}")
        return self

    def answer(self, decider: RegisterDecider, on: dt.date):
        if self.question == "inspect":
            return decider.may_inspect(self.by, self.what, self.unit, on, self.kind or InspectionKind.inspection)
        if self.question == "second":
            return decider.may_second(self.by, self.unit, self.count, on)
        if self.question == "hang":
            return decider.may_hang(self.unit, self.what, on)
        if self.question == "seal":
            return decider.may_seal(self.unit, self.what, on)
        return decider.may_request_form(self.by, self.unit, self.what, on)


class Expect(StrictModel):
    outcome: Literal["allow", "deny", "error"]
    code: str | None = None
    authority: Literal["basic", "cooperative", "delegation", "duty", "assisting", "may_certify", "admission"] | None = None


ListKind = Literal["basic", "cooperative", "returned", "duties", "assisting", "negative", "may_certify",
                   "must_not_certify"]


class CountQuestion(StrictModel):
    """How many entries a unit's effective list of one kind has on the case's day (of one domain)."""

    unit: Id
    list: ListKind
    domain: Name | None = None
    equals: int = Field(ge=0, strict=True)


class ExpectedFinding(StrictModel):
    rule: str
    subject: str


class Case(StrictModel):
    name: str = Field(min_length=1)
    on: Date = Field(title="日期")
    decide: DecideQuestion | None = None
    may_exercise: ExerciseQuestion | None = None
    findings: list[ExpectedFinding] | None = None
    count: CountQuestion | None = None
    ask: RegisterQuestion | None = None
    exact: bool = True
    expect: Expect | None = None

    @model_validator(mode="after")
    def _one_question(self):
        asked = [x for x in (self.decide, self.may_exercise, self.findings, self.count, self.ask) if x is not None]
        if len(asked) != 1:
            raise ValueError("每个用例只能有 decide、may_exercise、findings、count、ask 之一")
        if self.findings is None and self.count is None and self.expect is None:
            raise ValueError("decide、may_exercise 和 ask 用例必须写 expect")
        if self.count is not None and self.expect is not None:
            raise ValueError("count 用例的期望写在 count.equals 中，不要写 expect")
        return self


class TestFile(StrictModel):
    tests: list[Case] = Field(min_length=1)


@dataclass
class CaseResult:
    name: str
    span: Span | None
    passed: bool
    detail: str = ""


@dataclass
class TestReport:
    results: list[CaseResult] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    covered_records: set[Span] = field(default_factory=set)
    total_records: int = 0
    rules_fired: set[str] = field(default_factory=set)
    rules_total: int = 0

    def coverage(self) -> dict:
        rules = all_rules()
        fired = sorted(r for r in self.rules_fired if r in rules)
        return {
            "entries_used": len(self.covered_records), "entries_total": self.total_records,
            "rules_exercised": fired, "rules_not_exercised": sorted(set(rules) - set(fired)),
        }

    @property
    def ok(self) -> bool:
        return not self.diagnostics and all(r.passed for r in self.results)


def test_files(root: Path) -> list[Path]:
    if root.is_file():
        return [root] if root.name.endswith(TEST_SUFFIXES) else []
    return sorted(p for p in root.rglob("*") if p.name.endswith(TEST_SUFFIXES) and not
                  any(part.startswith(".") for part in p.parts))


def read_tests(path: Path, display: str, limits: Limits = Limits()) -> tuple[TestFile | None, list[Diagnostic]]:
    raw = path.read_bytes()
    read = read_yaml(display, raw, limits)
    if read.data is None:
        return None, read.diagnostics or [Diagnostic("empty-test-file", "测试文件为空", Span(display, 1, 1, 1, 1))]
    if read.diagnostics:
        return None, read.diagnostics
    try:
        return TestFile.model_validate(read.data), []
    except ValidationError as exc:
        return None, translate(exc, TestFile, Locator(read.data, read.maps, Span(display, 1, 1, 1, 1)))


def _assignable_records(index: Index) -> set[Span]:
    spans = set()
    for entries in index.entries.values():
        for e in entries:
            if e.record.span is not None:
                spans.add(e.record.span)
    return spans


def run_tests(policy: Policy, root: Path) -> TestReport:
    from ..loader import root_relative

    index = build_index(policy)
    decider = Decider(index)
    report = TestReport(total_records=len(_assignable_records(index)), rules_total=len(all_rules()))
    findings_cache: dict[dt.date, list[Diagnostic]] = {}
    for path in test_files(root):
        display = root_relative(path, Path(root))
        tf, diags = read_tests(path, display)
        report.diagnostics.extend(diags)
        if tf is None:
            continue
        for case in tf.tests:
            report.results.append(_run_case(case, policy, decider, findings_cache, report))
    return report


def _run_case(case: Case, policy: Policy, decider: Decider, cache: dict, report: TestReport) -> CaseResult:
    if case.count is not None:
        return _run_count(case, policy)
    if case.findings is not None:
        found = cache.get(case.on)
        if found is None:
            found = cache[case.on] = run_checks(policy, case.on, decider.index)
        got = {(f.code, f.subject) for f in found}
        report.rules_fired.update(code for code, _ in got)
        want = {(f.rule, f.subject) for f in case.findings}
        missing = sorted(want - got)
        extra = sorted(got - want) if case.exact else []
        if missing or extra:
            parts = []
            if missing:
                parts.append("缺少 missing: " + "; ".join(f"{r} {s}" for r, s in missing))
            if extra:
                parts.append("多出 unexpected: " + "; ".join(f"{r} {s}" for r, s in extra))
            return CaseResult(case.name, case.span, False, "\n".join(parts))
        return CaseResult(case.name, case.span, True)
    if case.decide is not None:
        q = case.decide
        dec = decider.decide(q.actor, q.matter, q.target, case.on, q.kind, q.role, q.basis)
    elif case.ask is not None:
        dec = case.ask.answer(RegisterDecider(decider.index), case.on)
    else:
        q2 = case.may_exercise
        dec = decider.may_exercise(q2.unit, q2.matter, case.on)
    if dec.authority is not None and dec.authority.span is not None:
        report.covered_records.add(dec.authority.span)
    if dec.outcome.value == "deny":
        report.rules_fired.add(dec.code)
    exp = case.expect
    problems = []
    if dec.outcome.value != exp.outcome:
        problems.append(f"结果 outcome: 期望 expected {exp.outcome}，实际 got {dec.outcome.value}")
    if exp.code is not None and dec.code != exp.code:
        problems.append(f"规则 code: 期望 expected {exp.code}，实际 got {dec.code}")
    if exp.authority is not None and (dec.authority is None or dec.authority.kind != exp.authority):
        got = dec.authority.kind if dec.authority else None
        problems.append(f"依据 authority: 期望 expected {exp.authority}，实际 got {got}")
    if problems and dec.reasons:
        problems.append("理由 reason: " + dec.reasons[0].message)
    return CaseResult(case.name, case.span, not problems, "\n".join(problems))


def _run_count(case: Case, policy: Policy) -> CaseResult:
    """A count case: the entries of the unit's effective list of that kind in force on `on`."""
    q = case.count
    unit = policy.units.get(q.unit)
    if q.unit in policy.township_lists or (unit is not None and unit.kind.value == "township"):
        kinds, effective = TOWNSHIP_KINDS, township_entries(policy, q.unit)
    elif q.unit in policy.village_lists or (unit is not None and unit.kind.value == "village"):
        kinds, effective = VILLAGE_KINDS, village_entries(policy, q.unit)
    else:
        return CaseResult(case.name, case.span, False, f"数量 count: {q.unit} 不是乡镇(街道)或村(社区) "
                                                        "is not a township or village")
    if q.list not in kinds:
        return CaseResult(case.name, case.span, False, f"数量 count: {q.unit} 没有 {q.list} 清单 has no such list "
                                                        f"(可选 choose: {', '.join(kinds)})")
    total, by_domain = actual_counts(policy, getattr(effective, q.list), case.on)
    got = total if q.domain is None else by_domain.get(q.domain, 0)
    if got == q.equals:
        return CaseResult(case.name, case.span, True)
    what = f"{q.unit} 的{LABELS[q.list]}（{q.list}）" + (f"中“{q.domain}”领域" if q.domain else "")
    return CaseResult(case.name, case.span, False,
                      f"数量 count: {what}期望 expected {q.equals} 项，实际 got {got} 项（{case.on.isoformat()}）")
