"""The records a tree is built from before it is written: matters, departments, villages and
townships (slotted: a national tree has about half a million villages), counties and cities, the
parts of a township's and a village's lists, and the `Manifest` of a generation."""

from __future__ import annotations

from dataclasses import dataclass, field

from .rules import CHECK_DATE

TPARTS = ("basic", "cooperative", "returned")
VPARTS = ("duties", "assisting", "negative", "may_certify", "must_not_certify")


class Matter:
    __slots__ = ("id", "name", "domain", "ptype", "basis", "levels", "major", "specialist", "tags", "dtype", "obj",
                 "kind", "core")

    def __init__(self, mid, name, domain, ptype, *, basis=None, levels=(), major=False, specialist=False, tags=(),
                 dtype=None, obj="", kind="dept", core=False):
        self.id, self.name, self.domain, self.ptype, self.basis = mid, name, domain, ptype, basis
        self.levels, self.major, self.specialist, self.tags = levels, major, specialist, tags
        self.dtype, self.obj, self.kind, self.core = dtype, obj, kind, core

    @property
    def plain(self) -> bool:
        return not self.major and not self.specialist


class Dept:
    __slots__ = ("id", "name", "dtype", "county", "items", "retained")

    def __init__(self, did, name, dtype, county):
        self.id, self.name, self.dtype, self.county = did, name, dtype, county
        self.items: list[str] = []
        self.retained: dict[str, list[str]] = {}


class Village:
    __slots__ = ("id", "name", "form", "town", "removes", "own", "certify_only")

    def __init__(self, vid, name, form, town):
        self.id, self.name, self.form, self.town = vid, name, form, town
        self.removes: list[str] = []
        self.own: dict[str, list] = {k: [] for k in VPARTS}
        self.certify_only: bool | None = None


class Town:
    __slots__ = ("id", "name", "form", "county", "villages", "removes", "own", "other_tpl", "offices", "published")

    def __init__(self, tid, name, form, county):
        self.id, self.name, self.form, self.county = tid, name, form, county
        self.villages: list[Village] = []
        self.removes: list[str] = []
        self.own: dict[str, list] = {k: [] for k in TPARTS}
        self.other_tpl: str | None = None
        self.offices: dict[str, str] = {}  # department type -> dispatched office id
        self.published: int | None = None  # publishes its returned counts: how many too many it states


class County:
    def __init__(self, cid, name, city):
        self.id, self.name, self.city = cid, name, city
        self.abbr = name[:2]
        self.depts: list[Dept] = []
        self.by_type: dict[str, Dept] = {}
        self.towns: list[Town] = []
        self.tpl: dict[str, list] = {k: [] for k in TPARTS}
        self.vtpl: dict[str, list] = {k: [] for k in VPARTS}
        self.vtpl_certify_only = False
        self.offices: list[tuple] = []
        self.task_force: tuple | None = None
        self.delegations: list[dict] = []
        self.admissions: list[dict] = []
        self.assignments: list[dict] = []
        self.exercises: list[dict] = []
        self.registers: dict[str, list[str]] = {}  # register section -> its YAML lines (issue 20)
        self.matters: list[Matter] = []  # matters defined in this county's file (injections)
        self.extra_templates: list[tuple] = []  # (id, name, basic matters) core-only templates
        self.used: set[str] = set()  # matters listed, delegated or admitted anywhere in the county
        self.inactive: tuple | None = None
        self.undated: str | None = None  # the id of an injected basis without an issue date
        self.tpl_id = f"TPL-{cid}"  # the township template
        self.vtpl_id = f"VTPL-{cid}"  # the village template
        self.notice = f"B-{cid}-BS"  # the county's notice publishing the lists (a basis)
        self.entrustment = f"B-{cid}-WT"  # the county's entrustment of enforcement (a basis)


class City:
    def __init__(self, cid, name):
        self.id, self.name = cid, name
        self.counties: list[County] = []
        self.depts: list[tuple[str, str]] = []


@dataclass
class Manifest:
    """What a generation made: its arguments, the injected (rule, subject) pairs and the counts."""

    seed: int
    townships: int
    templates: bool
    violations: list[dict] = field(default_factory=list)
    counts: dict = field(default_factory=dict)
    check_date: str = CHECK_DATE.isoformat()
    seconds: float = 0.0  # wall time of the generation (not written to manifest.json)

    def to_dict(self) -> dict:
        return {"seed": self.seed, "townships": self.townships, "check_date": self.check_date,
                "templates": self.templates, "violations": self.violations, "counts": self.counts}

    @property
    def subjects(self) -> set[tuple[str, str]]:
        return {(v["rule"], v["subject"]) for v in self.violations}

