"""The list kinds a spreadsheet can hold: which YAML section and list each goes to, its columns
(with the Chinese headings counties use for them) and how it is titled when published (公示)."""

from __future__ import annotations

from dataclasses import dataclass

from ..language.enums import Level

#: field -> headings that name it in published sheets; the first is the one export writes.
#: Matching is on NFKC text with whitespace removed (see `text.heading_key`).
COMMON_HEADINGS: dict[str, tuple[str, ...]] = {
    "seq": ("序号", "编号", "序列号", "顺序号"),
    "matter_id": ("事项编码", "编码", "事项代码", "目录编码"),
    "scope": ("范围", "事项范围", "环节"),
    "note": ("备注", "说明", "备注说明"),
    "since": ("施行日期", "实施日期", "生效日期", "执行日期"),
    # a derived list's rewording: the code of the parent list's matter this row rewords
    "rewords": ("改写自", "原事项编码", "原表述编码", "对应上级清单事项编码"),
}

NAME_HEADINGS = ("事项名称", "事项", "名称", "履职事项", "事项内容", "职责事项", "工作事项", "履职事项名称")
DOMAIN_HEADINGS = ("领域", "分类", "类别", "所属领域", "事项类别", "工作领域")

#: kind-specific headings
KIND_HEADINGS: dict[str, tuple[str, ...]] = {
    "lead": ("对应上级部门", "牵头部门", "主管部门", "上级部门", "责任部门", "牵头单位", "主责部门",
             "县直部门", "区直部门", "对应部门", "县级部门", "区级部门", "上级主管部门"),
    "lead_duties": ("上级部门职责", "部门职责", "牵头部门职责", "县直部门职责", "区直部门职责",
                    "主管部门职责", "上级部门主要职责", "县级部门职责", "区级部门职责"),
    "township_duties": ("乡镇配合职责", "乡镇(街道)配合职责", "街道配合职责", "镇(街道)配合职责",
                        "镇街配合职责", "配合职责", "乡镇职责", "乡镇(街道)职责", "镇(街道)职责"),
    "taken_by": ("承接部门", "收回部门", "承接单位", "收回单位", "履职部门", "责任部门", "收回后承接部门"),
    "method": ("工作方式", "履职方式", "承接方式", "运行方式", "工作机制", "履职方式(工作方式)"),
    "power_type": ("权力类型", "事项类型", "职权类型", "权力类别", "职权类别"),
    "legal_basis": ("法律法规依据", "实施依据", "设定依据", "法律依据", "依据", "法定依据"),
    "decision": ("赋权依据", "赋权文件", "赋权决定", "委托书", "赋权文号", "下放依据"),
    "department": ("原实施主体", "原实施部门", "原行使主体", "原实施单位", "实施主体", "原主体"),
    "townships": ("承接主体", "赋权街镇", "承接乡镇", "承接乡镇(街道)", "赋权乡镇", "赋权乡镇(街道)",
                  "承接单位", "赋权对象"),
    "mode": ("赋权方式", "行使方式", "方式", "下放方式"),
    "delegation_scope": ("赋权范围", "范围", "行使范围"),
    "supervisor": ("业务主管部门", "主管部门", "责任部门", "业务指导部门", "主管单位"),
    "category": ("类别", "分类", "事项类别", "领域", "工作类别"),
    "role": ("角色", "村(社区)角色", "村级角色", "村(社区)责任", "承担方式", "责任类型"),
    "cert_basis": ("设定依据", "依据", "法律法规依据", "政策依据", "取消依据"),
    "purpose": ("办理用途", "用途", "证明用途"),
    "procedure": ("具体流程", "办理流程", "流程", "办理程序"),
    "ignore": ("证明式样", "式样", "样式", "联系电话"),
}


@dataclass(frozen=True)
class Kind:
    """One list kind.  `fields` are the columns it reads (the name first); `export` the columns
    it writes, in order; `optional_export` columns written only when some entry has a value."""

    key: str                    # CLI name
    target: str                 # "township" | "village" | "delegations"
    attr: str                   # list attribute of TownshipLists / VillageLists, or "delegations"
    label: str                  # 基本履职事项
    title: str                  # "{unit}履行职责事项清单（基本履职事项）"
    short: str                  # sheet-name suffix in county workbooks
    keywords: tuple[str, ...]   # words that identify its sheet by name
    level: Level                # level of new matters
    code: str                   # two letters used in generated ids
    fields: tuple[str, ...]
    required_cells: tuple[str, ...]
    export: tuple[str, ...]
    optional_export: tuple[str, ...]
    name_headings: tuple[str, ...] = NAME_HEADINGS
    group_field: str = "domain"  # where section rows / the 领域 column go

    @property
    def group_heading(self) -> str:
        return "类别" if self.group_field == "category" else "领域"

    def headings(self) -> dict[str, tuple[str, ...]]:
        """field -> headings for this kind (the group column included)."""
        out: dict[str, tuple[str, ...]] = {"name": self.name_headings}
        for f in self.fields:
            if f == "name":
                continue
            if f == "scope" and self.target == "delegations":
                out[f] = KIND_HEADINGS["delegation_scope"]
            elif f == "basis":
                out[f] = KIND_HEADINGS["cert_basis"]
            elif f in COMMON_HEADINGS:
                out[f] = COMMON_HEADINGS[f]
            else:
                out[f] = KIND_HEADINGS[f]
        out["group"] = KIND_HEADINGS["category"] if self.group_field == "category" else DOMAIN_HEADINGS
        return out

    def export_heading(self, field: str) -> str:
        if field == "group":
            return self.group_heading
        return self.headings()[field][0]


_LIST = ("seq", "matter_id", "scope", "note", "since", "rewords")
_CERT_NAMES = ("证明事项名称", "证明事项", "证明名称", "事项名称", "名称", "事项", "证明内容", "事项内容")
_DELEG_NAMES = ("赋权事项", "事项名称", "赋权事项名称", "下放事项", "权力事项", "职权名称", "事项", "名称",
                "权力事项名称")
_VILLAGE_NAMES = ("事项内容", "事项名称", "工作事项", "事项", "名称", "履职事项", "工作内容")

KINDS: dict[str, Kind] = {k.key: k for k in (
    Kind("basic", "township", "basic", "基本履职事项", "{unit}履行职责事项清单（基本履职事项）", "基本",
         ("基本履职", "基本"), Level.township, "JB",
         ("name", *_LIST), ("name",), ("name",), ("scope", "note", "rewords")),
    Kind("cooperative", "township", "cooperative", "配合履职事项", "{unit}履行职责事项清单（配合履职事项）", "配合",
         ("配合履职", "配合"), Level.township, "PH",
         ("name", "lead", "lead_duties", "township_duties", *_LIST), ("name", "lead"),
         ("name", "lead", "lead_duties", "township_duties"), ("scope", "note", "rewords")),
    Kind("returned", "township", "returned", "上级部门收回事项", "{unit}履行职责事项清单（上级部门收回事项）", "收回",
         ("收回",), Level.township, "SH",
         ("name", "taken_by", "method", *_LIST), ("name", "taken_by"),
         ("name", "taken_by", "method"), ("scope", "note", "rewords")),
    Kind("delegated", "delegations", "delegations", "赋权事项", "{unit}赋权事项清单", "赋权",
         ("赋权", "下放", "委托"), Level.township, "FQ",
         ("name", "power_type", "legal_basis", "department", "townships", "mode", "decision", "seq",
          "matter_id", "scope", "since"),
         ("name", "department"),
         ("name", "power_type", "legal_basis", "department", "townships", "mode"),
         ("decision", "scope", "since"), name_headings=_DELEG_NAMES),
    Kind("village-duties", "village", "duties", "依法履职事项", "{unit}工作事项清单（依法履职事项）", "依法履职",
         ("依法履职", "履职"), Level.village, "YF",
         ("name", "role", *_LIST), ("name",), ("name",), ("role", "scope", "note", "rewords"), name_headings=_VILLAGE_NAMES),
    Kind("village-assisting", "village", "assisting", "协助政府工作事项", "{unit}工作事项清单（协助政府工作事项）",
         "协助", ("协助",), Level.village, "XZ",
         ("name", "supervisor", "role", *_LIST), ("name",), ("name", "supervisor"), ("role", "scope", "note", "rewords"),
         name_headings=_VILLAGE_NAMES, group_field="category"),
    Kind("village-negative", "village", "negative", "负面清单", "{unit}工作事项清单（负面清单）", "负面",
         ("负面",), Level.village, "FM",
         ("name", *_LIST), ("name",), ("name",), ("scope", "note", "rewords"), name_headings=_VILLAGE_NAMES),
    Kind("may-certify", "village", "may_certify", "可出具证明事项", "{unit}可出具证明事项清单", "可出具证明",
         ("可出具", "保留", "需要"), Level.village, "KZ",
         ("name", "basis", "purpose", "procedure", "ignore", *_LIST), ("name",),
         ("name", "basis", "purpose", "procedure"), ("scope", "note", "rewords"), name_headings=_CERT_NAMES),
    Kind("must-not-certify", "village", "must_not_certify", "不应出具证明事项", "{unit}不应出具证明事项清单",
         "不应出具证明", ("不应出具", "不得出具", "取消"), Level.village, "BZ",
         ("name", "basis", "ignore", *_LIST), ("name",), ("name",), ("basis", "scope", "note", "rewords"),
         name_headings=_CERT_NAMES),
)}

TOWNSHIP_KINDS = ("basic", "cooperative", "returned")
VILLAGE_KINDS = ("village-duties", "village-assisting", "village-negative", "may-certify", "must-not-certify")

#: every field a `--columns` file may name
ALL_FIELDS = frozenset({"name", "group", *COMMON_HEADINGS, *KIND_HEADINGS} - {"delegation_scope", "cert_basis"}
                       | {"basis"})
