"""bench/peers.py's Cedar translation answers as `Decider.decide` does, on the bundled policies and
on a small generated tree.  Needs the optional `bench` extra (cedarpy); skipped without it."""

from __future__ import annotations

import datetime as dt
import importlib.util
import random
from pathlib import Path

import pytest

from admission.compile.index import build_index
from admission.language.enums import AssignmentKind, AssignmentRole, UnitKind
from admission.loader import LoadOptions, load_policy
from admission.synth import CHECK_DATE, generate, inject_all

pytest.importorskip("cedarpy")

ROOT = Path(__file__).resolve().parent.parent
DATES = [dt.date(2024, 1, 1), dt.date(2025, 3, 10), dt.date(2025, 7, 1), CHECK_DATE, dt.date(2030, 1, 1)]


def _peers():
    spec = importlib.util.spec_from_file_location("bench_peers", ROOT / "bench" / "peers.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


peers = _peers()


def likely_actors(index, target: str, matter: str) -> list[str]:
    """Units that may well have standing: named ones, holders of the matter, the county, the township."""
    info = index.units[target]
    out = [x for x in (info.county, info.township) if x]
    for e in index.entries.get((target, matter), ()):
        out += sorted(e.standing) if e.standing != "county-holders" else []
    out += [dept for dept, _, _ in index.holders.get(matter, ())]
    return [x for x in out if x in index.units]


def mixed_questions(index, n: int, seed: int) -> list[tuple]:
    """Any unit asking, every kind, role and basis, several dates: more than the bench's mix asks."""
    rng = random.Random(seed)
    units = index.units
    places = sorted(u for u, i in units.items() if i.kind in (UnitKind.township, UnitKind.village))
    actors = sorted(units)
    pairs = sorted(index.entries) + sorted(index.blocks)
    matters = sorted(index.policy.matters)
    bases = [None, None, *sorted(index.policy.bases)]
    out = []
    for _ in range(n):
        target, matter = rng.choice(pairs) if rng.random() < 0.8 else (rng.choice(places), rng.choice(matters))
        likely = likely_actors(index, target, matter)
        actor = rng.choice(likely) if likely and rng.random() < 0.7 else rng.choice(actors)
        out.append((actor, matter, target, rng.choice(DATES), rng.choice(list(AssignmentKind)).value,
                    rng.choice(list(AssignmentRole)).value, rng.choice(bases)))
    return out


def recorded_questions(index) -> list[tuple]:
    """The recorded assignments, each with its own date, kind, role and basis (as the checks ask)."""
    return [(a.by, a.matter, a.to, a.date, a.kind.value, a.role.value, a.basis)
            for a in index.policy.assignments.values()
            if a.to in index.units and index.units[a.to].kind in (UnitKind.township, UnitKind.village)
            and a.by in index.units and a.matter in index.policy.matters]


def named_questions(index) -> list[tuple]:
    """Every unit a list entry names, asking about that entry (a lead from another county, say)."""
    return [(who, matter, target, CHECK_DATE) for (target, matter), entries in sorted(index.entries.items())
            for e in entries if e.standing != "county-holders" for who in sorted(e.standing) if who in index.units]


def test_bundled_policies_agree():
    index = build_index(load_policy(ROOT / "policies", LoadOptions(workers=1)))
    qs = recorded_questions(index) + mixed_questions(index, 4000, seed=1)
    assert peers.disagreements(index, qs) == []


def test_generated_tree_agrees(tmp_path):
    generate(tmp_path / "tree", 3, seed=5)
    index = build_index(load_policy(tmp_path / "tree", LoadOptions(workers=1)))
    realistic = [(a, m, x, CHECK_DATE) for a, m, x in peers.bench_module("decide").questions(index, 2000, 5, "realistic")]
    assert peers.disagreements(index, realistic + mixed_questions(index, 2000, seed=2)) == []


def test_tree_with_every_violation_agrees(tmp_path):
    """Overlaps and lapses make the forbids that a valid tree never needs decide some answers."""
    inject_all(tmp_path / "tree", 12, seed=3)
    index = build_index(load_policy(tmp_path / "tree", LoadOptions(workers=1)))
    qs = recorded_questions(index) + named_questions(index) + mixed_questions(index, 3000, seed=4)
    assert peers.disagreements(index, qs) == []
