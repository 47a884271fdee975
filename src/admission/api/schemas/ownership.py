"""What a unit holds and who owns a matter: a unit's lists, powers and admitted matters on a
day (`DutiesOut`), the roles units play for one matter (`OwnersOut`)."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import Field

from .common import Out


class UnitOut(Out):
    id: str
    name: str
    kind: str
    county: str | None


class EntryOut(Out):
    matter: str
    matter_name: str | None
    scope: str | None = None
    since: dt.date | None = None
    until: dt.date | None = None
    source: str | None = None
    lead: list[str] | None = None
    taken_by: list[str] | None = None
    supervisor: str | None = None
    category: str | None = None
    basis: str | None = None
    role: str | None = Field(default=None, description="村(社区)清单条目：村在该事项中的角色（responsible / executes / assists）")
    rewords: str | None = Field(default=None, description="本条改写的上级清单事项编码（原表述）")


class ExerciseOut(Out):
    """A record of the unit actually exercising a power (a penalty decided, an inspection made)."""

    id: str
    matter: str
    matter_name: str | None
    date: dt.date
    kind: str | None = None
    document: str | None = None
    source: str | None = None


class PowerOut(Out):
    matter: str
    matter_name: str | None
    via: Literal["statutory", "power_list", "grant", "entrust", "delegated_out"]
    record: str | None = None
    department: str | None = None
    townships: list[str] | None = None
    since: dt.date | None = None
    until: dt.date | None = None
    source: str | None = None


class AdmissionOut(Out):
    id: str
    matter: str
    matter_name: str | None
    applicant: str
    targets: list[str]
    term: str
    since: dt.date | None
    until: dt.date | None
    basis: str
    workflow: bool = Field(description="由准入流程产生（否则为导入的历史记录）")
    source: str | None = None


class DutiesOut(Out):
    unit: UnitOut
    on: dt.date
    revision: str
    admission_seq: int
    lists: dict[str, list[EntryOut]] = Field(description="乡镇：basic / cooperative / returned；村：duties / assisting / negative / may_certify / must_not_certify")
    powers: list[PowerOut]
    admissions: list[AdmissionOut]
    exercises: list[ExerciseOut] = Field(default_factory=list, description="本单位截至当日的职权行使记录，日期从近到远")


class OwnerRoleOut(Out):
    role: Literal["legal_party", "executes", "cooperates", "supervises"]
    role_label: str
    unit: str
    unit_name: str
    via: str
    since: dt.date | None
    until: dt.date | None
    source: str | None
    rewords: str | None = Field(default=None, description="本条改写的上级清单事项编码（原表述）；未改写为 null")


class OwnersOut(Out):
    matter: str
    matter_name: str
    unit: str
    unit_name: str
    on: dt.date
    revision: str
    admission_seq: int
    roles: list[OwnerRoleOut]
