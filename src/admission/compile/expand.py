"""Effective lists of each township and village: the county template, minus the matters the
unit removes, plus the unit's own entries.  Every entry keeps its own span (template or unit)."""

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

    def count(self) -> int:
        return (len(self.duties) + len(self.assisting) + len(self.negative)
                + len(self.may_certify) + len(self.must_not_certify))


def _merge(template, own, kinds, removed: frozenset[str]) -> dict[str, tuple]:
    out = {}
    for kind in kinds:
        base = [e for e in getattr(template, kind)] if template is not None else []
        if removed:
            base = [e for e in base if e.matter not in removed]
        out[kind] = tuple(base) + tuple(getattr(own, kind))
    return out


def township_entries(policy: Policy, township: str) -> TownshipEntries:
    own = policy.township_lists.get(township)
    if own is None:
        return TownshipEntries(township, (), (), ())
    template = policy.township_templates.get(own.template) if own.template else None
    return TownshipEntries(township, **_merge(template, own, TOWNSHIP_KINDS, frozenset(own.remove)))


def village_entries(policy: Policy, village: str) -> VillageEntries:
    own = policy.village_lists.get(village)
    if own is None:
        return VillageEntries(village, (), (), (), (), (), False)
    template = policy.village_templates.get(own.template) if own.template else None
    merged = _merge(template, own, VILLAGE_KINDS, frozenset(own.remove))
    only = own.certify_only_listed
    if only is None:
        only = bool(template.certify_only_listed) if template is not None else False
    return VillageEntries(village, certify_only_listed=only, **merged)


def expanded_count(policy: Policy) -> int:
    """Entries after templates are applied, townships and villages together."""
    return (sum(township_entries(policy, t).count() for t in policy.township_lists)
            + sum(village_entries(policy, v).count() for v in policy.village_lists))
