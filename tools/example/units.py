"""Places and departments of the example tree (示例，非官方): 山东省 → 枣庄市 → 市中区、薛城区.

Township and village codes follow the shape of the statistical division codes (9 and 12 digits);
names of villages are illustrative.  Departments get 18-character unified social credit codes
with correct GB 32100 / GB 11714 check characters, derived deterministically from their names.
"""

from __future__ import annotations

import hashlib

# ------------------------------------------------------------------ credit codes
_USCC = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_W = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
_ORG_W = [3, 7, 9, 10, 5, 8, 4, 2]


def _org_check(body: str) -> str:
    total = sum((int(c) if c.isdigit() else ord(c) - 55) * w for c, w in zip(body, _ORG_W))
    c = 11 - total % 11
    return "X" if c == 10 else "0" if c == 11 else str(c)


def credit_code(category: str, area: str, name: str) -> str:
    """Registration authority 1 (机构编制) + category + area code + organisation code + check."""
    h = int(hashlib.sha256(name.encode("utf-8")).hexdigest(), 16)
    body = "MB" + f"{h % 10**6:06d}"  # newer organs carry MB-prefixed organisation codes
    org = body + _org_check(body)
    head = "1" + category + area + org
    total = sum(_USCC.index(c) * w for c, w in zip(head, _USCC_W))
    return head + _USCC[(31 - total % 31) % 31]


# ------------------------------------------------------------------ departments
#: key -> (full name pattern, short name pattern, category).  {c}: 市中区/薛城区, {s}: 市中/薛城.
COUNTY_DEPTS: dict[str, tuple[str, str, str]] = {
    "zzb": ("中共枣庄市{c}委组织部", "区委组织部", "1"),
    "xcb": ("中共枣庄市{c}委宣传部", "区委宣传部", "1"),
    "tzb": ("中共枣庄市{c}委统战部", "区委统战部", "1"),
    "zfw": ("中共枣庄市{c}委政法委员会", "区委政法委", "1"),
    "shgzb": ("中共枣庄市{c}委社会工作部", "区委社会工作部", "1"),
    "bb": ("中共枣庄市{c}委机构编制委员会办公室", "区委编办", "1"),
    "wxb": ("中共枣庄市{c}委网络安全和信息化委员会办公室", "区委网信办", "1"),
    "fgj": ("枣庄市{c}发展和改革局", "区发展改革局", "1"),
    "jtj": ("枣庄市{c}教育和体育局", "区教体局", "1"),
    "gxj": ("枣庄市{c}工业和信息化局", "区工业和信息化局", "1"),
    "gaj": ("枣庄市公安局{s}分局", "公安{s}分局", "1"),
    "mzj": ("枣庄市{c}民政局", "区民政局", "1"),
    "sfj": ("枣庄市{c}司法局", "区司法局", "1"),
    "czj": ("枣庄市{c}财政局", "区财政局", "1"),
    "rsj": ("枣庄市{c}人力资源和社会保障局", "区人力资源社会保障局", "1"),
    "zrj": ("枣庄市自然资源和规划局{s}分局", "自然资源{s}分局", "1"),
    "sthj": ("枣庄市生态环境局{s}分局", "生态环境{s}分局", "1"),
    "zjj": ("枣庄市{c}住房和城乡建设局", "区住房城乡建设局", "1"),
    "jtysj": ("枣庄市{c}交通运输局", "区交通运输局", "1"),
    "slj": ("枣庄市{c}水务局", "区水务局", "1"),
    "nyj": ("枣庄市{c}农业农村局", "区农业农村局", "1"),
    "swj": ("枣庄市{c}商务局", "区商务局", "1"),
    "wlj": ("枣庄市{c}文化和旅游局", "区文化和旅游局", "1"),
    "wjj": ("枣庄市{c}卫生健康局", "区卫生健康局", "1"),
    "tyj": ("枣庄市{c}退役军人事务局", "区退役军人事务局", "1"),
    "yjj": ("枣庄市{c}应急管理局", "区应急管理局", "1"),
    "sjj": ("枣庄市{c}审计局", "区审计局", "1"),
    "scj": ("枣庄市{c}市场监督管理局", "区市场监管局", "1"),
    "tjj": ("枣庄市{c}统计局", "区统计局", "1"),
    "ybj": ("枣庄市{c}医疗保障局", "区医保局", "1"),
    "spj": ("枣庄市{c}行政审批服务局", "区行政审批服务局", "1"),
    "zfj": ("枣庄市{c}综合行政执法局", "区综合行政执法局", "1"),
    "xfj": ("枣庄市{c}信访局", "区信访局", "1"),
    "xfdd": ("枣庄市{c}消防救援大队", "区消防救援大队", "1"),
    "swuj": ("国家税务总局枣庄市{c}税务局", "区税务局", "1"),
    "cl": ("枣庄市{c}残疾人联合会", "区残联", "3"),
}

#: 薛城区 keeps fewer separate units: its 编办 sits in the organisation department, its 网信办 in the
#: propaganda department and its 信访局 in the social work department (2023 reform).
XUECHENG_MERGED = {"bb": "zzb", "wxb": "xcb", "xfj": "shgzb"}

COUNTIES = {
    "370402": {"name": "枣庄市市中区", "c": "市中区", "s": "市中", "merged": {}},
    "370403": {"name": "枣庄市薛城区", "c": "薛城区", "s": "薛城", "merged": XUECHENG_MERGED},
}

#: city departments: key -> name
CITY_DEPTS: dict[str, str] = {
    "c_spj": "枣庄市行政审批服务局",
    "c_scj": "枣庄市市场监督管理局",
    "c_zjj": "枣庄市住房和城乡建设局",
    "c_zrj": "枣庄市自然资源和规划局",
    "c_sthj": "枣庄市生态环境局",
    "c_yjj": "枣庄市应急管理局",
    "c_zfj": "枣庄市综合行政执法局",
    "c_mzj": "枣庄市民政局",
    "c_nyj": "枣庄市农业农村局",
    "c_wjw": "枣庄市卫生健康委员会",
    "c_shgzb": "中共枣庄市委社会工作部",
    "c_bb": "中共枣庄市委机构编制委员会办公室",
}

# ------------------------------------------------------------------ townships and villages
#: county -> [(code, name, form)]
TOWNSHIPS = {
    "370402": [
        ("370402001", "中心街街道", "street"),
        ("370402002", "垎塔埠街道", "street"),
        ("370402003", "矿区街道", "street"),
        ("370402004", "文化路街道", "street"),
        ("370402005", "龙山路街道", "street"),
        ("370402006", "光明路街道", "street"),
        ("370402100", "税郭镇", "township"),
        ("370402101", "永安镇", "township"),
        ("370402102", "孟庄镇", "township"),
        ("370402103", "齐村镇", "township"),
        ("370402104", "西王庄镇", "township"),
    ],
    "370403": [
        ("370403001", "临城街道", "street"),
        ("370403002", "常庄街道", "street"),
        ("370403004", "新城街道", "street"),
        ("370403101", "陶庄镇", "township"),
    ],
}

#: township -> [(suffix, name, form, former names)]; communities 0xx, villages 2xx
VILLAGES = {
    "370402001": [("001", "中心街社区", "community", []), ("002", "青檀路社区", "community", []),
                  ("003", "解放路社区", "community", [])],
    "370402002": [("001", "垎塔埠社区", "community", []), ("002", "东湖社区", "community", []),
                  ("201", "王庄村", "village", [])],
    "370402003": [("001", "矿区社区", "community", []), ("002", "新中兴社区", "community", []),
                  ("003", "北安社区", "community", [])],
    "370402004": [("001", "文化路社区", "community", []), ("002", "建华社区", "community", []),
                  ("003", "民生社区", "community", [])],
    "370402005": [("001", "龙山路社区", "community", []), ("002", "振兴社区", "community", []),
                  ("201", "郭村", "village", [])],
    "370402006": [("001", "光明路社区", "community", []), ("002", "红旗社区", "community", []),
                  ("003", "金桥社区", "community", [])],
    "370402100": [("201", "税郭村", "village", []), ("202", "安城村", "village", []),
                  ("203", "刘庄村", "village", [])],
    "370402101": [("001", "和平社区", "community", ["和平村"]), ("201", "永安村", "village", []),
                  ("202", "东王庄村", "village", []), ("203", "二郎庙村", "village", [])],
    "370402102": [("201", "孟庄村", "village", []), ("202", "大刘庄村", "village", []),
                  ("203", "黄庄村", "village", [])],
    "370402103": [("201", "齐村", "village", []), ("202", "邵庄村", "village", []),
                  ("203", "卫湖村", "village", [])],
    "370402104": [("201", "西王庄村", "village", []), ("202", "柏山村", "village", []),
                  ("203", "杨庄村", "village", [])],
    "370403001": [("001", "临城社区", "community", [])],
    "370403004": [("001", "金水湾社区", "community", []), ("002", "黄河路社区", "community", [])],
    "370403101": [("201", "陶庄村", "village", []), ("202", "夏庄村", "village", [])],
}
