"""Injection: how a violation of one rule is placed on exactly one subject and nothing else.
Each rule `r` has a method `_inj_<r>` (inject_structure.py, inject_pushdowns.py) that, given a
township, changes the tree and returns the finding's subject, or None when that township cannot
take it; townships are tried in turn, in a shuffled order.  Injections that add an assignment
wait until every structural change is made (`pending`)."""

from __future__ import annotations

from .draws import D, rand_date
from .records import County, Dept, Matter, Town
from .rules import ASSIGNMENT_RULES, RULES
from .vocabulary import CORE_TYPES


class Injection:
    """Mixed into `Generator` (generator.py), which holds the state these methods fill."""

    def inject(self, violations: dict[str, int]) -> None:
        """Inject `violations` ({rule id: count}) in the order of `RULES`, recording each subject."""
        unknown = sorted(set(violations) - set(RULES))
        if unknown:
            raise ValueError(f"unknown rule id(s): {', '.join(unknown)}; known: {', '.join(RULES)}")
        order = list(self.towns)
        self.rng_inj.shuffle(order)
        self._inj_order = order
        self._inj_pos = 0
        for rule in RULES:
            for _ in range(violations.get(rule, 0)):
                fn = getattr(self, "_inj_" + rule.replace("-", "_"))
                if rule in ASSIGNMENT_RULES:
                    self.pending.append((rule, fn))
                    continue
                subject = self._try(rule, fn)
                self.manifest.append({"rule": rule, "subject": subject})

    def _try(self, rule: str, fn) -> str:
        """The subject of `fn` on the next township that can take it."""
        for _ in range(len(self._inj_order)):
            t = self._inj_order[self._inj_pos % len(self._inj_order)]
            self._inj_pos += 1
            subject = fn(t)
            if subject is not None:
                return subject
        raise ValueError(f"cannot inject {rule} into this tree: it needs more townships "
                         f"(rules naming another county need at least 2 counties, i.e. --townships 2 or more)")

    def _other_county(self, county: County) -> County | None:
        """Another county, turning with the injection position; None in a tree of one county."""
        others = [c for c in self.counties if c is not county]
        return others[self._inj_pos % len(others)] if others else None

    def _free(self, t: Town, types=None, *, plain: bool | None = True, major=None, specialist=None,
              vest_safe: bool = False) -> str | None:
        """A core matter of `t`'s county used nowhere yet, of one of `types` and the given flags
        (None: either), now marked used; with `vest_safe`, one that may be assigned to `t`."""
        county = t.county
        cands = [mid for dept in county.depts for mid in self.by_dtype[dept.dtype]
                 if mid not in county.used and fits(self.matters[mid], types, plain, major, specialist)]
        self.rng_inj.shuffle(cands)
        for mid in cands:
            if vest_safe and not self._vest_safe(t, mid):
                continue
            county.used.add(mid)
            return mid
        return None

    def _other_dept(self, county: County, not_type: str, core: bool = True) -> Dept:
        """A department of the county not of type `not_type` (so it holds none of its matters), of a core
        type unless `core` is false."""
        cands = [d for d in county.depts if d.dtype != not_type and (not core or self._is_core(d.dtype))]
        return self.rng_inj.choice(cands)

    @staticmethod
    def _is_core(dtype: str) -> bool:
        return dtype in CORE_TYPES

    def _mark(self, unit: str, matter: str) -> None:
        """Keep later injections and clean assignments off (unit, matter): it carries a finding."""
        self.taint.add((unit, matter))

    def _second_holder(self, c: County, x: str) -> Dept:
        """Put `x` on the power list of a second department as well."""
        d2 = self._other_dept(c, self.matters[x].dtype)
        d2.items.append(x)
        return d2

    def _grant(self, t: Town, x: str, **kw) -> dict:
        """A delegation of `x` to `t` by its holder, valid unless `kw` says otherwise."""
        c = t.county
        kw.setdefault("since", rand_date(self.rng_inj, D(2025, 1, 1), D(2026, 6, 30)))
        dept = kw.pop("dept", None) or self.holder(c, x).id
        return self._delegation(c, x, dept, kw.pop("towns", [t.id]), **kw)


def fits(m: Matter, types, plain: bool | None, major: bool | None, specialist: bool | None) -> bool:
    """Whether `m` is a core matter of one of `types` (None: any) with the flags asked for (None: either)."""
    return (m.core and (types is None or m.ptype in types) and (plain is None or m.plain == plain)
            and (major is None or m.major == major) and (specialist is None or m.specialist == specialist))
