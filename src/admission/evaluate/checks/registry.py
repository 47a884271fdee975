"""What a check rule is (`Rule`), the family of rules one check module finds (`Family`), the
registry of every family (`Registry`), what a check reads (`Context`) and how a finding is made
(`finding`): the pieces every check module imports, apart from the package that runs them.

A rule is one unit: its id, severity, titles, fix and the text docs/semantics.md shows for it
all stand together where the rule is defined, and the docs are generated from them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from ..decide import Decider
from ...diagnostics import Diagnostic, Severity, Span
from ...compile.index import Index
from ...language import Policy

DOCS_PAGE = "semantics.md"

# What a finding's `subject` names, by kind: the key two runs, a synth manifest of injected
# violations and a policy test compare findings by.
SUBJECTS: dict[str, str] = {
    "assignment": "the assignment id 下派记录编号",
    "delegation": "the delegation id 赋权编号",
    "township/matter": '`"<township id>/<matter id>"` 乡镇编号/事项编号',
    "village/matter": '`"<village id>/<matter id>"` 村(社区)编号/事项编号',
    "township": "the township id 乡镇编号",
    "basis": '`"<basis id>/<record id>"` 依据标识/引用它的赋权、准入或下派编号（证明事项：所在村的编号）',
    "list": '`"<unit>/<kind>"` 乡镇或村(社区)编号/清单类别；模板 `"<owner>/<template>/<kind>"`',
    "exercise": "the exercise id 职权行使记录编号",
    "unit/record": '`"<unit id>/<record>"` 承受负担的单位编号/登记记录（督查检查、借调、用印、填报的记录编号，计划、发文记录编号，'
                   '牌子编号或名称，两张重复字段的报表 `<表>+<表>`）',
}


@dataclass(frozen=True)
class Rule:
    id: str
    severity: Severity
    title: str  # Chinese
    title_en: str
    fix: str  # suggested fix, Chinese
    family: str
    doc: str  # what the rule finds, as docs/semantics.md says it (Markdown, English)
    from_decide: bool = False  # the id is a denial of `decide`, reported as found by pushdown
    subject: str = "assignment"  # a key of SUBJECTS: what the finding's subject names

    def __post_init__(self):
        if self.subject not in SUBJECTS:
            raise ValueError(f"rule {self.id}: unknown subject kind {self.subject!r}")

    @property
    def anchor(self) -> str:
        """Where the rule is documented, e.g. `semantics.md#overlap-two-leads`."""
        return f"{DOCS_PAGE}#{self.id}"

    def to_dict(self) -> dict:
        return {"id": self.id, "severity": self.severity.value, "family": self.family, "title": self.title,
                "title_en": self.title_en, "fix": self.fix, "anchor": self.anchor, "doc": self.doc,
                "from_decide": self.from_decide, "subject": self.subject}


Check = Callable[["Context"], Iterable[Diagnostic]]


class Family:
    """One check module: its rules in the order the docs list them, the prose that introduces
    them there, and the function that finds them (set with `@FAMILY.checker`)."""

    def __init__(self, name: str, intro: str, subject: str):
        self.name = name
        self.intro = intro
        self.subject = subject
        self.rules: list[Rule] = []
        self.check: Check | None = None

    def rule(self, id: str, severity: Severity, title: str, title_en: str, fix: str, doc: str, *,
             from_decide: bool = False, subject: str | None = None) -> Rule:
        """Define a rule of this family; it is registered with the family. Its subject kind is
        the family's unless `subject` says otherwise."""
        made = Rule(id, severity, title, title_en, fix, self.name, doc, from_decide, subject or self.subject)
        self.rules.append(made)
        return made

    def checker(self, fn: Check) -> Check:
        """Decorator naming the family's check function."""
        self.check = fn
        return fn


class Registry:
    """Every family, in the order the checks run and the docs list them; rule ids are unique."""

    def __init__(self, families: Iterable[Family]):
        self.families = tuple(families)
        self.rules: dict[str, Rule] = {}
        for family in self.families:
            if family.check is None:
                raise ValueError(f"family {family.name} has no check function")
            for rule in family.rules:
                if rule.id in self.rules:
                    raise ValueError(f"duplicate rule id {rule.id}")
                self.rules[rule.id] = rule

    def family(self, name: str) -> Family:
        for family in self.families:
            if family.name == name:
                return family
        raise KeyError(name)


class Context:
    """What a check reads: the policy, its index, a decider and the date of the check; and, for a
    shard of a bundle, `wanted`: the units whose findings it reports (None: all).  A check that
    goes through every unit of the policy visits only those — a shard holds copies of other
    counties' units, whose findings are other shards' and would be thrown away."""

    def __init__(self, policy: Policy, index: Index, on: dt.date, wanted: frozenset[str] | None = None):
        self.wanted = wanted
        self.policy = policy
        self.index = index
        self.on = on
        self.day = on.toordinal()
        self.decider = Decider(index)
        self.units = index.units
        self.matters = policy.matters

    def name(self, uid: str) -> str:
        u = self.units.get(uid)
        return u.name if u else uid

    def matter_name(self, mid: str) -> str:
        m = self.matters.get(mid)
        return m.name if m else mid


def finding(rule: Rule, subject: str, message: str, spans: Iterable[Span | None] = (),
            elements: Iterable[str] = (), help: str | None = None) -> Diagnostic:
    located = [s for s in spans if s is not None]
    return Diagnostic(
        code=rule.id, message=message, span=located[0] if located else None, severity=rule.severity,
        subject=subject, help=help or rule.fix, related=tuple(dict.fromkeys(located[1:])),
        message_en=rule.title_en, elements=tuple(dict.fromkeys(elements)))
