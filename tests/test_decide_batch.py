"""`Decider.decide_many` answers exactly as `decide` does, question by question (issue 19): the
same outcome, reason code, explanation, authority and fields, over generated policies — with
unknown ids, repeated questions, every tuple length and either order of reading."""

from __future__ import annotations

import sys
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from admission.compile.index import build_index
from admission.evaluate.decide import Decider
from admission.language.enums import AssignmentKind, AssignmentRole

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_agreement import draw_decider, questions  # noqa: E402


def _tuple(q: dict, length: int) -> tuple:
    """The question as a tuple of `length` (4..7): trailing defaults left out."""
    full = (q["actor"], q["matter"], q["target"], q["on"], AssignmentKind(q["kind"]), AssignmentRole(q["role"]),
            q["basis"])
    return full[:length]


@settings(deadline=None)
@given(data=st.data())
def test_batch_answers_equal_single_answers(data):
    _, meta, decider = draw_decider(data)
    drawn = data.draw(questions(meta, n_min=1, n_max=60), label="questions")
    lengths = data.draw(st.lists(st.integers(4, 7), min_size=len(drawn), max_size=len(drawn)), label="lengths")
    asked = [_tuple(q, n) for q, n in zip(drawn, lengths)]
    asked += asked[: len(asked) // 2]  # repeated questions share a (target, matter)
    asked.append(("no-such-unit", meta["matters"][0], meta["targets"][0], drawn[0]["on"]))
    asked.append((meta["units"][0], "no-such-matter", meta["targets"][0], drawn[0]["on"]))
    read_batch_first = data.draw(st.booleans(), label="read the batch first")
    batch = decider.decide_many(asked)
    singles = [decider.decide(*q) for q in asked]
    assert len(batch) == len(singles)
    for q, b, s in zip(asked, batch, singles):
        first, second = (b, s) if read_batch_first else (s, b)
        assert first.to_dict() == second.to_dict(), q
        assert (b.outcome, b.code, b.reasons, b.authority, b.consequence) == \
            (s.outcome, s.code, s.reasons, s.authority, s.consequence), q
        assert b == s, q


def test_a_batch_formats_no_explanation_until_one_is_read():
    """A batch whose explanations nobody reads never formats them; reading one formats it, and
    serialising gives the text `decide` gives."""
    from admission.loader import LoadOptions, load_policy

    root = Path(__file__).resolve().parent.parent / "policies"
    policy = load_policy(root, LoadOptions(workers=1))
    index = build_index(policy)
    decider = Decider(index)
    on = __import__("datetime").date(2025, 3, 3)
    units = [u for u, i in index.units.items() if i.kind.value in ("department", "government")][:6]
    places = [u for u, i in index.units.items() if i.kind.value in ("township", "village")][:6]
    asked = [(a, m, t, on) for a in units for t in places for m in list(policy.matters)[:5]]
    batch = decider.decide_many(asked)
    assert batch and all(r._message is None for d in batch for r in d.reasons)
    assert {d.code for d in batch} - {"allow"}, "the sample must hold denials"
    for q, d in zip(asked, batch):
        assert d.to_dict() == decider.decide(*q).to_dict()
        assert all(r._message is not None for r in d.reasons)

