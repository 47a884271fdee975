"""The catch-all at the end of a positive certification list (issue 16, item 4): "其他法律、法规规定
需要村(社区)出具的证明" allows a certification request outside the listed ones when it cites a basis
of a stated kind in force that day — and nothing else."""

from __future__ import annotations

import datetime as dt

import pytest

from admission.compile.index import build_index
from admission.evaluate.decide import Decider
from admission.language.enums import AssignmentKind as K
from admission.loader import LoadOptions, load_policy

from flowkit import FIXTURES, ROOT

ON = dt.date(2026, 3, 2)
VILLAGE, TOWN = "370402101201", "370402101"  # 永安村: a positive list ending with a catch-all
EXTRA = """\
matters:
  - {id: M-QT, name: 居住情况说明, domain: 证明事项, power_type: certification}
bases:
  - {id: LAW-CWH, number: 主席令第十号, title: 中华人民共和国村民委员会组织法, issuer: 全国人民代表大会常务委员会, level: central, kind: law, issued: 2018-12-29}
  - {id: B-NOTICE, number: 市中办字〔2025〕15号, title: 区委办公室通知, issuer: 区委办公室, level: county, kind: notice, issued: 2025-05-20}
"""


@pytest.fixture(scope="module")
def decider(tmp_path_factory):
    import shutil

    root = tmp_path_factory.mktemp("catchall") / "p"
    shutil.copytree(FIXTURES / "mini", root)
    county = (root / "county.yaml").read_text(encoding="utf-8")
    old = "    may_certify: [{matter: M-ZM, purpose: 办理户籍}]\n"
    assert old in county
    (root / "county.yaml").write_text(county.replace(old, old + (
        "    certify_only_listed: true\n"
        "    certify_catch_all: [{name: 其他法律、法规规定需要村(社区)出具的证明, basis_kinds: [law, regulation]}]\n")),
        encoding="utf-8")
    (root / "extra.yaml").write_text(EXTRA, encoding="utf-8")
    return Decider(build_index(load_policy(root, LoadOptions(workers=1))))


def ask(decider, basis, actor=TOWN, matter="M-QT"):
    return decider.decide(actor, matter, VILLAGE, ON, K.certification_request, basis=basis)


def test_the_list_is_positive_and_the_matter_is_not_on_it(decider):
    assert not decider.index.entries.get((VILLAGE, "M-QT")) and VILLAGE in decider.index.certify_only_listed
    assert decider.index.catch_all[VILLAGE]


def test_the_bundled_village_template_ends_with_the_catch_all():
    from admission.compile.expand import village_entries

    policy = load_policy(ROOT / "policies", LoadOptions(workers=1))
    assert village_entries(policy, VILLAGE).catch_all  # 永安村 on 市中区's template


def test_a_request_citing_a_law_falls_under_the_catch_all(decider):
    dec = ask(decider, "LAW-CWH")
    assert dec.outcome.value == "allow", dec
    assert dec.authority.kind == "may_certify" and "兜底条款" in dec.authority.label
    assert dec.authority.legal_basis == "LAW-CWH" and dec.authority.span.file.endswith("county.yaml")
    assert "兜底条款" in dec.reasons[0].message and "法律" in dec.reasons[0].message


@pytest.mark.parametrize("basis", [None, "B-NOTICE", "NO-SUCH-BASIS"])
def test_without_a_basis_of_that_kind_it_stays_outside_the_list(decider, basis):
    assert ask(decider, basis).code == "certification-unlisted"


def test_other_kinds_of_work_are_not_widened(decider):
    dec = decider.decide(TOWN, "M-QT", VILLAGE, ON, K.task, basis="LAW-CWH")
    assert dec.code != "allowed" and dec.outcome.value == "deny"
