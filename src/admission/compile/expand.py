"""Effective lists of each township and village: the template (itself derived from its parent
template, and so on), minus the matters the unit removes or rewords, plus the unit's own
entries.  Every entry keeps its own span (template or unit)."""

from __future__ import annotations

from dataclasses import dataclass

from ..language import Policy
from ..language.entities import (
    AssistingEntry, BasicEntry, CertificationEntry, CooperativeEntry, NegativeEntry, ReturnedEntry,
    VillageDuty,
)

TOWNSHIP_KINDS = ("basic", "cooperative", "returned")
VILLAGE_KINDS = ("duties", "assisting", "negative", "may_certify", "must_not_certify")


@dataclass(frozen=True, slots=True)
class TownshipEntries:
    township: str
    basic: tuple[BasicEntry, ...]
    cooperative: tuple[CooperativeEntry, ...]
    returned: tuple[ReturnedEntry, ...]

    def count(self) -> int:
        return len(self.basic) + len(self.cooperative) + len(self.returned)


@dataclass(frozen=True, slots=True)
class VillageEntries:
    village: str
    duties: tuple[VillageDuty, ...]
    assisting: tuple[AssistingEntry, ...]
    negative: tuple[NegativeEntry, ...]
    may_certify: tuple[CertificationEntry, ...]
    must_not_certify: tuple[CertificationEntry, ...]
    certify_only_listed: bool
    catch_all: tuple = ()  # CatchAllCertification: the template chain's, then the village's own

    def count(self) -> int:
        return (len(self.duties) + len(self.assisting) + len(self.negative)
                + len(self.may_certify) + len(self.must_not_certify))


def _dropped(own, kinds) -> frozenset[str]:
    """What `own` takes away from the list it derives from: its `remove`, and every matter one of
    its entries rewords (the new wording replaces the old entries)."""
    return frozenset(own.remove) | {e.rewords for kind in kinds for e in getattr(own, kind) if e.rewords}


def _merge(base: dict[str, tuple] | None, own, kinds) -> dict[str, tuple]:
    removed = _dropped(own, kinds)
    out = {}
    for kind in kinds:
        inherited = base[kind] if base is not None else ()
        if removed:
            inherited = tuple(e for e in inherited if e.matter not in removed)
        out[kind] = tuple(inherited) + tuple(getattr(own, kind))
    return out


def _template(templates: dict, tid: str | None, kinds, seen: tuple = ()) -> dict[str, tuple] | None:
    """A template's entries with its `parent` chain applied (the national list, minus, plus,
    reworded); a cycle (reported by the loader) stops where it closes."""
    t = templates.get(tid) if tid else None
    if t is None or tid in seen:
        return None
    return _merge(_template(templates, t.parent, kinds, (*seen, tid)), t, kinds)


def template_entries(templates: dict, tid: str, kinds) -> dict[str, tuple]:
    """A template's own effective entries per kind (its `parent` chain applied)."""
    return _template(templates, tid, kinds) or {kind: () for kind in kinds}


def township_entries(policy: Policy, township: str) -> TownshipEntries:
    own = policy.township_lists.get(township)
    if own is None:
        return TownshipEntries(township, (), (), ())
    base = _template(policy.township_templates, own.template, TOWNSHIP_KINDS)
    return TownshipEntries(township, **_merge(base, own, TOWNSHIP_KINDS))


def village_entries(policy: Policy, village: str) -> VillageEntries:
    own = policy.village_lists.get(village)
    if own is None:
        return VillageEntries(village, (), (), (), (), (), False)
    base = _template(policy.village_templates, own.template, VILLAGE_KINDS)
    merged = _merge(base, own, VILLAGE_KINDS)
    only = own.certify_only_listed
    tid, seen = own.template, set()
    while only is None and tid and tid not in seen:  # the nearest list that says
        seen.add(tid)
        t = policy.village_templates.get(tid)
        only, tid = (t.certify_only_listed, t.parent) if t is not None else (None, None)
    return VillageEntries(village, certify_only_listed=bool(only),
                          catch_all=_catch_all(policy.village_templates, own), **merged)


def _catch_all(templates: dict, own) -> tuple:
    out, tid, seen = list(own.certify_catch_all), own.template, set()
    while tid and tid not in seen and tid in templates:
        seen.add(tid)
        out = [*templates[tid].certify_catch_all, *out]
        tid = templates[tid].parent
    return tuple(out)


def expanded_count(policy: Policy) -> int:
    """Entries after templates are applied, townships and villages together."""
    return (sum(township_entries(policy, t).count() for t in policy.township_lists)
            + sum(village_entries(policy, v).count() for v in policy.village_lists))
