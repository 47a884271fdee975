"""The generator: one object holding a tree under construction, its methods mixed in from one
module per part of the tree (geography, catalogue, departments, township, village, delegations,
assignments, and the injections); `build` makes a valid tree, `inject` and `assignments` finish it."""

from __future__ import annotations

import random

from .assignments import Assignments
from .catalogue import Catalogue
from .delegations import Delegations
from .exercises import Exercises
from .departments import Departments
from .geography import Geography
from .inject import Injection
from .inject_pushdowns import PushdownInjections
from .inject_structure import StructuralInjections
from .registers import Registers
from .records import City, County, Matter, Town, Village
from .township import TownshipLists
from .village import VillageLists


class Generator(Geography, Catalogue, Departments, TownshipLists, VillageLists, Delegations, Assignments,
                Exercises, Registers, Injection, StructuralInjections, PushdownInjections):
    """Three random streams: `rng` for the tree, `rng_inj` for the injections and `rng_asg` for
    the assignments, each seeded from `seed`."""

    def __init__(self, townships: int, seed: int, templates: bool):
        if townships < 1:
            raise ValueError("townships must be at least 1")
        self.n = townships
        self.seed = seed
        self.templates = templates
        self.rng = random.Random(seed)
        self.rng_inj = random.Random(f"{seed}/inject")
        self.rng_asg = random.Random(f"{seed}/assign")
        self.matters: dict[str, Matter] = {}
        self.names: set[str] = set()
        self.cities: list[City] = []
        self.counties: list[County] = []
        self.towns: list[Town] = []
        self.village_index: dict[str, Village] = {}
        self.town_index: dict[str, Town] = {}
        self.bases: list[dict] = []
        self.manifest: list[dict] = []
        self.taint: set[tuple[str, str]] = set()
        self.pending: list[tuple[str, object]] = []  # assignment injections, run after the structure
        self.seq = {"asg": 0}
        self._norm_cache: dict[str, tuple[str, dict]] = {}
        self._vest_memo: dict[tuple[str, str], bool] = {}
        self.reg_villages: set[str] = set()  # villages an injected register names
        self.reg_over: set[str] = set()  # departments given an over-limit plan

    def build(self) -> None:
        """A valid tree: places, catalogue, departments, lists, then delegations and admissions."""
        self._places()
        self._catalogue()
        self._bases()
        self._city_departments()
        for county in self.counties:
            self._departments(county)
        for county in self.counties:
            self._township_lists(county)
            self._village_lists(county)
        for county in self.counties:
            self._delegations(county)
            self._admissions(county)
