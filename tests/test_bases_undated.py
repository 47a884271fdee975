"""A basis cited without an issue date (issue 16, item 5, the bases part): written as
`undated: true` rather than an invented date; the loader insists on one of the two, the basis
counts as in force until it expires, and `basis-undated` says what is missing only where a dated
record relies on it."""

from __future__ import annotations

import datetime as dt

import pytest
from pydantic import ValidationError

from admission.language.entities import Basis

LAW = dict(id="B-LAW", number="《中华人民共和国城乡规划法》第六十五条", title="城乡规划法", issuer="全国人民代表大会常务委员会",
           level="central", kind="law")


def test_an_undated_basis_is_in_force_until_it_expires():
    b = Basis.model_validate({**LAW, "undated": True, "expires": "2030-12-31"})
    assert b.issued is None and b.in_force(dt.date(1990, 1, 1)) and not b.in_force(dt.date(2031, 1, 1))


@pytest.mark.parametrize("extra, says", [({}, "undated: true"), ({"undated": True, "issued": "2019-04-23"}, "不要再写")])
def test_issued_or_undated_exactly_one(extra, says):
    with pytest.raises(ValidationError, match=says):
        Basis.model_validate({**LAW, **extra})


def test_cited_only_as_a_matters_legal_basis_is_no_finding(tmp_path):
    import shutil

    from admission.evaluate.checks import run_checks
    from admission.loader import LoadOptions, load_policy
    from flowkit import FIXTURES

    root = tmp_path / "p"
    shutil.copytree(FIXTURES / "mini", root)
    (root / "law.yaml").write_text(
        "bases:\n  - {id: B-LAW, number: 《城乡规划法》第六十五条, title: 城乡规划法, issuer: 全国人大常委会, level: central,"
        " kind: law, undated: true}\nmatters:\n  - {id: M-NEW, name: 新事项, domain: 城乡建设, basis: B-LAW}\n",
        encoding="utf-8")
    policy = load_policy(root, LoadOptions(workers=1))
    assert [f for f in run_checks(policy, dt.date(2026, 3, 1)) if f.code == "basis-undated"] == []
