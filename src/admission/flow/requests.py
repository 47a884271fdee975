"""What an applicant submits: an admission request (a department asking to hand a matter
outside the lists to townships or villages) or a dynamic-adjustment request (a township asking
to add or remove a list entry).  Strict models: unknown fields are refused."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, ClassVar, Literal

from pydantic import BeforeValidator, Field, model_validator
from pydantic_core import PydanticCustomError

from ..language.base import BoundedDate, Id, StrictModel, Text
from ..language.enums import Term


def _a_list(value):
    """A request names its ids as a JSON array: a lone string is not read as a list of one (the
    policy loader's shorthand is not offered to requests)."""
    if not isinstance(value, list):
        raise PydanticCustomError("list_type", "Input should be a valid list")
    return value


IdList = Annotated[list[Id], BeforeValidator(_a_list)]


class Resources(StrictModel):
    """随事项下沉的资源（权随责走、费随事转），或明确声明无需资源。"""

    staff: int = Field(default=0, ge=0, le=100_000, title="人员编制/人数")
    funds: int = Field(default=0, ge=0, title="经费（元）")
    equipment: Text | None = Field(default=None, title="装备")
    none_needed: bool = Field(default=False, title="声明无需资源")
    note: Text | None = Field(default=None, title="说明")

    @property
    def declared(self) -> bool:
        return self.none_needed or self.staff > 0 or self.funds > 0 or bool(self.equipment)


class AdmissionRequest(StrictModel):
    """事项准入申请。"""

    matter: Id = Field(title="事项")
    targets: IdList = Field(min_length=1, max_length=5000, title="准入单位（乡镇或村）")
    reason: Text = Field(title="申请理由")
    basis: Id = Field(title="依据（已登记的依据标识）")
    term: Term = Field(title="期限类型")
    start: BoundedDate | None = Field(default=None, title="拟进入日期")
    end: BoundedDate | None = Field(default=None, title="结束日期（短期准入必填，含当日）")
    resources: Resources = Field(default_factory=Resources, title="随事项下沉的资源")

    @model_validator(mode="after")
    def _term(self):
        if self.term == Term.short and self.end is None:
            raise ValueError("短期准入必须写结束日期 end")
        if self.term == Term.long and self.end is not None:
            raise ValueError("长期准入不写结束日期；它在下次动态调整时并入清单")
        if self.start and self.end and self.end < self.start:
            raise ValueError("结束日期早于拟进入日期")
        return self


class SecondmentRequest(StrictModel):
    """借调准入申请（issue 20）：上级机关申请借调乡镇(街道)工作人员，以县为单位准入；期满人员返回乡镇。"""

    township: Id = Field(title="借出乡镇(街道)")
    count: int = Field(ge=1, le=1000, strict=True, title="人数")
    start: BoundedDate = Field(title="借调起始日期")
    end: BoundedDate = Field(title="借调结束日期（含当日；期满人员返回乡镇）")
    reason: Text = Field(title="借调理由")
    basis: Text | None = Field(default=None, title="依据（文号）")

    #: what the application row records as its matter
    matter: ClassVar[str] = "secondment"

    @model_validator(mode="after")
    def _term(self):
        if self.end < self.start:
            raise ValueError("结束日期早于起始日期")
        return self


class AdjustmentRequest(StrictModel):
    """动态调整申请：乡镇提出增加或减少一项清单条目。"""

    township: Id = Field(title="乡镇(街道)")
    change: Literal["add", "remove"] = Field(title="增加 add / 减少 remove")
    list: Literal["basic", "cooperative", "returned"] = Field(title="清单")
    matter: Id = Field(title="事项")
    lead: Id | None = Field(default=None, title="牵头部门（配合事项）")
    taken_by: Id | None = Field(default=None, title="承接部门（收回事项）")
    reason: Text = Field(title="理由")
    departments: IdList = Field(default_factory=list, title="需会商的部门")
