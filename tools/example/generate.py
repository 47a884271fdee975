"""Generate the bundled example policy tree under policies/ (示例，非官方清单).

    .venv/bin/python tools/example/generate.py [--out policies]

Deterministic: the same name lists always give byte-identical YAML.  The lists live in
catalogue.py (matters), units.py (places, departments) and bases.py (legal bases); this module
assigns ids, decides who holds what, builds the duty lists, delegations and admissions so that
`admission check` finds nothing, and writes readable YAML (flow style for short entries, the
matter name as a trailing comment).
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter, defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import bases as B  # noqa: E402
import catalogue as C  # noqa: E402
import units as U  # noqa: E402

MARK = "示例，非官方清单"
HEADER = ("# {title}\n"
          "# 本文件由 tools/example/generate.py 生成：请修改该目录下的名录后重新生成，不要手工编辑。\n"
          "# 行政区划代码、统一社会信用代码、文号和村(社区)名称均为示意，不对应真实单位或文件。\n")

DOMAIN_CODE = {
    "党的建设": "DJ", "经济发展": "JJ", "民生服务": "MS", "平安法治": "PA", "城乡建设": "CJ",
    "综合保障": "BZ", "市场监管": "SC", "生态环境": "ST", "自然资源": "ZY", "应急管理": "YJ",
    "综合执法": "ZF", "农业农村": "NY", "卫生健康": "WS", "交通运输": "JT", "水利": "SL",
    "文化旅游": "WL", "教育体育": "JY",
}
PT_CODE = {
    "penalty": "CF", "license": "XK", "inspection": "JC", "coercion": "QZ", "confirmation": "QR",
    "levy": "ZS", "payment": "JF", "reward": "JL", "adjudication": "CJ", "certification": "ZM",
    "service": "FW", "other": "QT",
}
TAG_FLAGS = {"enf": "enforcement", "demo": "demolition", "inv": "investment_promotion", "ws": "work_safety"}
ASSIST_DOMAIN = {
    "社会救助": "民生服务", "养老和儿童关爱": "民生服务", "社会保障": "民生服务", "就业服务": "民生服务",
    "卫生健康": "卫生健康", "退役军人和残疾人服务": "民生服务", "平安建设": "平安法治",
    "应急和消防": "应急管理", "农业农村": "农业农村", "生态环境和自然资源": "生态环境",
    "城乡建设": "城乡建设", "文化教育": "民生服务", "统计和基础信息": "综合保障",
}
CN_NUM = "一二三四五六七八九十"

YONGAN = "370402101"
SHIZHONG, XUECHENG = "370402", "370403"
ZAOZHUANG = "3704"
POWER_SINCE = "2024-02-01"
GRANT_SINCE = "2024-07-01"


def cn(n: int) -> str:
    if n <= 10:
        return CN_NUM[n - 1]
    return ("十" if n < 20 else CN_NUM[n // 10 - 1] + "十") + (CN_NUM[n % 10 - 1] if n % 10 else "")


# =========================================================================== the catalogue
class Catalogue:
    def __init__(self):
        self.matters: dict[str, dict] = {}
        self.by_name: dict[str, str] = {}
        self.holder: dict[str, str] = {}  # matter -> county department key (or city key)
        self._seq: Counter = Counter()

    def add(self, name, domain, ptype="other", *, levels, basis=None, flags=(), prefix=None, holder=None):
        if name in self.by_name:
            raise ValueError(f"duplicate matter name {name}")
        if prefix is None:
            prefix = f"{DOMAIN_CODE[domain]}-{PT_CODE[ptype]}"
        self._seq[prefix] += 1
        mid = f"{prefix}-{self._seq[prefix]:03d}"
        rec = {"id": mid, "name": name, "domain": domain}
        if ptype != "other":
            rec["power_type"] = ptype
        if basis:
            rec["basis"] = basis
        rec["levels"] = list(levels)
        if "major" in flags:
            rec["major_penalty"] = True
        if "spec" in flags:
            rec["needs_specialist"] = True
        tags = [TAG_FLAGS[f] for f in flags if f in TAG_FLAGS]
        if tags:
            rec["tags"] = tags
        self.matters[mid] = rec
        self.by_name[name] = mid
        if holder:
            self.holder[mid] = holder
        return mid

    def id(self, name: str) -> str:
        return self.by_name[name]


def flags_of(text: str | None) -> list[str]:
    return [f for f in (text or "").split(",") if f]


def field(fields: list[str], i: int) -> str | None:
    return fields[i] if len(fields) > i and fields[i] else None


def build_catalogue():
    cat = Catalogue()
    basic, coop, urban, returned, delegated = [], [], [], [], []
    TW, CT = ("township",), ("county", "township")

    for dom, _, f in C.parse(C.BASIC):
        fl = flags_of(field(f, 2))
        basic.append((dom, cat.add(f[0], dom, field(f, 1) or "other", levels=TW, basis=field(f, 3), flags=fl)))

    for dom, opts, f in C.parse(C.COOPERATIVE):
        fl = flags_of(field(f, 4))
        mid = cat.add(f[0], dom, field(f, 6) or "other", levels=CT, basis=field(f, 5), flags=fl, holder=f[1])
        entry = {"domain": dom, "matter": mid, "lead": f[1], "lead_duties": f[2], "township_duties": f[3],
                 "rural": "rural" in fl}
        (urban if "urban" in opts["flags"] else coop).append(entry)

    for dom, _, f in C.parse(C.RETURNED):
        fl = flags_of(field(f, 3))
        mid = cat.add(f[0], dom, f[2], levels=CT, basis=field(f, 4), flags=fl, holder=f[1])
        returned.append({"domain": dom, "matter": mid, "taken_by": f[1], "ptype": f[2], "flags": fl})

    for dom, opts, f in C.parse(C.DELEGATED):
        ptype = field(f, 1) or "penalty"
        fl = flags_of(field(f, 2))
        tags = fl + ([] if "enf" in fl else ["enf"])
        mid = cat.add(f[0], dom, ptype, levels=CT, basis=field(f, 3) or opts["basis"], flags=tags, holder=opts["dept"])
        delegated.append({"domain": dom, "matter": mid, "dept": opts["dept"], "every": int(opts["every"]),
                          "last": opts["last"], "template_returned": "T" in fl, "ptype": ptype})

    name, dept, basis, _, _ = C.REVOKED
    revoked = cat.add(name, "卫生健康", "penalty", levels=CT, basis=basis, flags=["enf"], holder=dept)
    entrusted = []
    for name, dept, basis, wt in C.ENTRUSTED:
        dom = "交通运输" if dept == "jtysj" else "水利"
        entrusted.append((cat.add(name, dom, "penalty", levels=CT, basis=basis, flags=["enf"], holder=dept), dept, wt))

    for _, _, f in C.parse(C.COUNTY_ONLY):
        cat.add(f[0], f[3], f[2], levels=("county",), holder=f[1])
    admitted = [(cat.add(n, dom, "other", levels=CT, holder=d), d) for n, d, dom in C.ADMITTED]

    city, centralised = [], []
    for _, _, f in C.parse(C.CITY):
        lv = ("city", "county") if field(f, 4) else ("city",)
        mid = cat.add(f[0], f[3], f[2], levels=lv, holder=f[1])
        city.append((mid, f[1]))
        if field(f, 4):
            centralised.append((mid, f[4], f[1]))

    duties = [cat.add(f[0], "基层自治", "other", levels=("village",), prefix="CZ")
              for _, _, f in C.parse(C.VILLAGE_DUTIES)]
    assisting = []
    for cat_name, _, f in C.parse(C.ASSISTING):
        mid = cat.add(f[0], ASSIST_DOMAIN[cat_name], "other", levels=("county", "village"), prefix="XZ", holder=f[1])
        assisting.append((mid, cat_name, f[1]))
    may = []
    for _, _, f in C.parse(C.MAY_CERTIFY):
        mid = cat.add(f[0], "基层自治", "certification", levels=("village",), basis=f[1], prefix="ZM")
        may.append({"matter": mid, "basis": f[1], "purpose": f[2], "procedure": f[3]})
    must_not = []
    for _, _, f in C.parse(C.MUST_NOT):
        mid = cat.add(f[0], "民生服务", "certification", levels=("county",), prefix="ZM", holder=f[1])
        must_not.append((mid, f[2]))
    negative = [cat.id(n) for n in C.NEGATIVE]
    # 市中区 rewords one duty of the city's common list (a derived list: parent, rewords)
    reworded = (cat.add(REWORDED[1], "基层自治", "other", levels=("village",), prefix="CZ"), cat.id(REWORDED[0]))

    return dict(reworded=reworded, cat=cat, basic=basic, coop=coop, urban=urban, returned=returned, delegated=delegated,
                revoked=revoked, entrusted=entrusted, admitted=admitted, city=city, centralised=centralised,
                duties=duties, assisting=assisting, may=may, must_not=must_not, negative=negative)


# =========================================================================== units
class County:
    def __init__(self, code: str):
        info = U.COUNTIES[code]
        self.code, self.name, self.c, self.s = code, info["name"], info["c"], info["s"]
        self.merged = info["merged"]
        self.depts: dict[str, dict] = {}  # key -> unit
        for key, (full, short, category) in U.COUNTY_DEPTS.items():
            if key in self.merged:
                continue
            name = full.format(c=self.c, s=self.s)
            self.depts[key] = {"id": U.credit_code(category, code, name), "name": name,
                               "short": short.format(c=self.c, s=self.s)}
        self.townships = U.TOWNSHIPS[code]

    def dept(self, key: str) -> dict:
        return self.depts[self.merged.get(key, key)]

    def did(self, key: str) -> str:
        return self.dept(key)["id"]


CITY_DEPTS = {k: {"id": U.credit_code("1", "370400", n), "name": n} for k, n in U.CITY_DEPTS.items()}


# =========================================================================== YAML writing
_SPECIAL = set(":,[]{}#&*!|>'\"%@`?")


def q(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    s = str(v)
    if _is_date(s):
        return s
    plain = (s and not s[0].isdigit() and not any(c in _SPECIAL for c in s) and s[0] not in "-"
             and s.lower() not in ("true", "false", "null", "yes", "no", "on", "off", "~") and s == s.strip())
    if plain:
        return s
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _is_date(s: str) -> bool:
    return len(s) == 10 and s[4] == "-" and s[7] == "-" and s[:4].isdigit() and s[5:7].isdigit() and s[8:].isdigit()


def flow(value) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {flow(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(flow(v) for v in value) + "]"
    return q(value)


class Doc:
    def __init__(self, title: str):
        assert MARK in title
        self.lines = [HEADER.format(title=title).rstrip("\n"), "version: 1", f"title: {q(title)}"]

    def section(self, name: str, comment: str | None = None):
        self.lines.append("")
        if comment:
            self.lines.append(f"# {comment}")
        self.lines.append(f"{name}:")

    def comment(self, text: str, indent: int = 2):
        self.lines.append(" " * indent + f"# {text}")

    def item(self, value, comment: str | None = None, indent: int = 2):
        line = " " * indent + "- " + flow(value)
        self.lines.append(line + (f"  # {comment}" if comment else ""))

    def block(self, mapping: dict, indent: int = 2, comments: dict | None = None):
        """A block mapping as a list item; values that are dicts/lists are written in flow style."""
        comments = comments or {}
        first = True
        for k, v in mapping.items():
            prefix = " " * indent + ("- " if first else "  ")
            c = comments.get(k)
            self.lines.append(f"{prefix}{k}: {flow(v)}" + (f"  # {c}" if c else ""))
            first = False

    def raw(self, text: str):
        self.lines.append(text)

    def write(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("\n".join(self.lines) + "\n", encoding="utf-8")


def grouped(entries, key="domain"):
    """[(domain, [entries])] keeping first-seen order."""
    out: dict[str, list] = {}
    for e in entries:
        out.setdefault(e[key] if isinstance(e, dict) else e[0], []).append(e)
    return list(out.items())


# =========================================================================== method texts
def method(entry, county: County) -> str:
    dept = county.dept(entry["taken_by"])["short"]
    pt, fl = entry["ptype"], entry["flags"]
    if pt == "license":
        return f"由{dept}直接受理审批，镇(街道)不再承担受理初审，便民服务中心仅提供帮办代办"
    if pt in ("penalty", "coercion"):
        return f"由{dept}依法立案查处，镇(街道)发现违法线索及时移送"
    if pt == "inspection" and "spec" in fl:
        return f"由{dept}组织专业力量按计划实施，镇(街道)不再承担"
    if pt == "inspection":
        return f"由{dept}按年度检查计划实施，镇(街道)日常发现问题及时报告"
    if "spec" in fl:
        return f"由{dept}组织专业机构实施，镇(街道)不再承担"
    return f"由{dept}直接办理，镇(街道)做好政策宣传和引导"


# =========================================================================== files
def write_shandong(out: Path, data):
    cat = data["cat"]
    d = Doc(f"山东省、枣庄市：单位、依据与市级权责清单（{MARK}）")
    d.section("units")
    d.item({"id": "37", "name": "山东省", "kind": "government", "level": "province"})
    d.item({"id": "3704", "name": "枣庄市", "kind": "government", "level": "city", "parent": "37"})
    d.comment("市直部门（部分）")
    for v in CITY_DEPTS.values():
        d.item({"id": v["id"], "name": v["name"], "kind": "department", "level": "city", "parent": "3704"})

    d.section("bases", "法律法规（中央）、省级决定与部署、市级文件；县级文件见各区文件")
    d.comment("法律、行政法规、部门规章")
    for bid, (num, title, issuer, kind, issued) in B.CENTRAL.items():
        if issued is None:
            d.comment(f"公布的清单只写“{num}”，未写施行日期：照实写 undated，不编造日期（只作事项的法律依据，检查不提示）")
        d.item({"id": bid, "number": num, "title": title, "issuer": issuer, "level": "central", "kind": kind,
                **({"issued": issued} if issued else {"undated": True})})
    d.comment("山东省：地方性法规、赋权决定（行政处罚法第二十四条）、省委省政府部署")
    for bid, (num, title, issuer, kind, issued) in B.PROVINCE.items():
        d.item({"id": bid, "number": num, "title": title, "issuer": issuer, "level": "province", "kind": kind,
                "issued": issued, "published": True})
    d.comment("枣庄市")
    for bid, (num, title, issuer, kind, issued) in B.CITY.items():
        d.item({"id": bid, "number": num, "title": title, "issuer": issuer, "level": "city", "kind": kind,
                "issued": issued, "scope": ["3704"]})

    d.section("power_lists", "市级部门权责清单（节选：与本示例有关的事项）")
    held = defaultdict(list)
    for mid, key in data["city"]:
        held[key].append(mid)
    for key, v in CITY_DEPTS.items():
        if not held[key]:
            continue
        d.raw(f"  - holder: {q(v['id'])}  # {v['name']}")
        d.raw(f"    since: {POWER_SINCE}")
        d.raw("    items:")
        for mid in held[key]:
            d.raw(f"      - {mid}  # {cat.matters[mid]['name']}")
    d.section("burden_rules", "减负规则（示例，依据鲁办发〔2024〕9号的做法）：这几类下派无论由部门还是乡镇(街道)发出，都须附达到层级的依据")
    for rid, name, kinds, level in (
            ("BR-VILLAGE-FORMS", "向村(社区)要表格材料须有县级以上统一部署", ["forms_request"], "county"),
            ("BR-VILLAGE-MECHANISM", "在村(社区)新设工作机制、专人专岗或挂牌须经省级同意",
             ["mechanism_or_post", "office_or_signboard"], "province")):
        d.block({"id": rid, "name": name, "kinds": kinds, "to": ["village"], "min_basis_level": level,
                 "basis": "SD-BS-2024", "since": "2024-05-15"})
    d.write(out / "shandong.yaml")


#: matter name → its legal basis, where the catalogue's name lists give none
MATTER_BASIS = {"向人民政府反映村(居)民意见、要求和建议": "LAW-JWH-A3"}
#: assisting matter name → the village's role on it, as the list publishes it
VILLAGE_ROLES = {"协助开展消防安全宣传和火灾隐患提示": ("assist", "村只协助，责任主体是部门")}


def write_catalogue(out: Path, data):
    cat = data["cat"]
    d = Doc(f"山东省镇(街道)履职事项指导目录及相关权力事项（{MARK}）")
    groups = [
        ("基本履职事项（乡镇层级）", [m for _, m in data["basic"]]),
        ("配合履职事项（县级部门牵头，乡镇配合）", [e["matter"] for e in data["coop"] + data["urban"]]),
        ("上级部门收回事项", [e["matter"] for e in data["returned"]]),
        ("可赋予乡镇的县级行政执法事项（含委托事项、已收回事项）",
         [e["matter"] for e in data["delegated"]] + [data["revoked"]] + [m for m, _, _ in data["entrusted"]]),
        ("县级部门其他事项（含准入事项）", [m for m, r in cat.matters.items()
                                  if r["levels"] == ["county"] and m not in {x for x, _ in data["must_not"]}]
         + [m for m, _ in data["admitted"]]),
        ("市级事项", [m for m, _ in data["city"]]),
        ("村(社区)依法履职事项", data["duties"]),
        ("村(社区)依法履职事项：区级改写的表述", [data["reworded"][0]]),
        ("村(社区)协助政府工作事项（13类）", [m for m, _, _ in data["assisting"]]),
        ("证明事项：村(社区)可出具", [e["matter"] for e in data["may"]]),
        ("证明事项：不应由村(社区)出具（由部门出具或核查）", [m for m, _ in data["must_not"]]),
    ]
    seen = set()
    d.section("matters")
    for title, mids in groups:
        d.raw("")
        d.comment(f"{title}（{len(mids)}项）")
        last_domain = None
        for mid in mids:
            rec = cat.matters[mid]
            if rec["name"] in MATTER_BASIS:  # a basis the name lists do not carry, before the levels
                rec = {**{k: v for k, v in rec.items() if k != "levels"}, "basis": MATTER_BASIS[rec["name"]],
                       "levels": rec["levels"]}
            if rec["domain"] != last_domain and len(mids) > 20 and "协助" not in title:
                d.comment(rec["domain"])
                last_domain = rec["domain"]
            d.item(rec)
            seen.add(mid)
    missing = set(cat.matters) - seen
    assert not missing, missing
    d.write(out / "shandong-catalogue.yaml")


def dispatched_units(county: County):
    """Dispatched offices (派出机构) and task forces (工作专班) of a county."""
    ts = {name: code for code, name, _ in county.townships}
    out = []
    if county.code == SHIZHONG:
        specs = [("scj", "永安市场监督管理所", "永安镇"), ("scj", "中心街市场监督管理所", "中心街街道"),
                 ("gaj", "永安派出所", "永安镇"), ("zrj", "永安自然资源所", "永安镇"), ("sfj", "永安司法所", "永安镇")]
        forces = [("370402-ZB-01", "市中区自建房安全专项整治工作专班", "zjj", "2024-01-10", None),
                  ("370402-ZB-02", "市中区城市管理“拆违治乱”攻坚工作专班", "zfj", "2024-02-01", "2024-10-31")]
    else:
        specs = [("scj", "新城市场监督管理所", "新城街道"), ("gaj", "陶庄派出所", "陶庄镇")]
        forces = [("370403-ZB-01", "薛城区城镇燃气安全专项整治工作专班", "zjj", "2024-04-01", None)]
    for key, suffix, town in specs:
        parent = county.dept(key)
        name = parent["name"] + suffix
        out.append(({"id": U.credit_code("1", county.code, name), "name": name, "kind": "dispatched",
                     "parent": parent["id"], "seat": ts[town]}, None))
    for fid, name, key, since, until in forces:
        rec = {"id": fid, "name": name, "kind": "task_force", "parent": county.did(key), "since": since}
        if until:
            rec["until"] = until
        out.append((rec, "2024年议事协调机构清理中撤销" if until else None))
    return out


def county_power(county: County, data) -> dict[str, list]:
    """department key (after merges) -> matters it holds."""
    held = defaultdict(list)
    for mid, key in data["cat"].holder.items():
        if key.startswith("c_"):
            continue
        held[county.merged.get(key, key)].append(mid)
    return held


def flow_offices(county: County, key: str) -> dict:
    """The flow roles a county department plays (issue 14): the 编办 reviews admission applications
    (审核机构); the county government approves and enters without a declaration, and the target
    townships are consulted by being targets.  Where the 编办 sits inside another department, that
    department holds the role."""
    return {"flow_roles": ["reviewer"]} if key == county.merged.get("bb", "bb") else {}


def write_county(data, county: County, docs: dict) -> "Doc":
    cat = data["cat"]
    d = Doc(f"{county.name}：单位、文件与区级部门权责清单（{MARK}）")
    d.section("units")
    d.item({"id": county.code, "name": county.name, "kind": "government", "level": "county", "parent": "3704"})
    d.comment(f"区直部门（{len(county.depts)}个）" + ("；区委编办设在区委组织部，区委网信办设在区委宣传部，区信访局由区委社会工作部管理"
                                                if county.merged else ""))
    for key, v in county.depts.items():
        d.item({"id": v["id"], "name": v["name"], "kind": "department", "level": "county", "parent": county.code,
                **flow_offices(county, key)})
    d.comment("镇(街道)")
    for code, name, form in county.townships:
        d.item({"id": code, "name": name, "kind": "township", "form": form, "parent": county.code})
    d.comment("派出机构和工作专班（归属其所属部门）")
    for rec, note in dispatched_units(county):
        d.item(rec, note)

    d.section("bases", "区级文件")
    for bid, (num, title, issuer, kind, issued, scope, expires) in docs.items():
        rec = {"id": bid, "number": num, "title": title, "issuer": issuer, "level": "county", "kind": kind,
               "issued": issued, "published": True}
        if scope:
            rec["scope"] = scope
        if expires:
            rec["expires"] = expires
        d.item(rec)

    d.section("power_lists", f"区级部门权责清单（{next(iter(docs.values()))[0]}；节选：与镇(街道)清单、赋权和准入有关的事项）")
    held = county_power(county, data)
    central = {frm: (mid, ck) for mid, frm, ck in data["centralised"]}
    for key, v in county.depts.items():
        mids = held.get(key, [])
        if not mids and key not in central:
            continue
        d.raw(f"  - holder: {q(v['id'])}  # {v['name']}")
        d.raw(f"    since: {POWER_SINCE}")
        d.raw("    items:")
        for mid in mids:
            d.raw(f"      - {mid}  # {cat.matters[mid]['name']}")
        if key in central:
            mid, ck = central[key]
            d.raw(f"      - {flow({'matter': mid, 'centralised_to': CITY_DEPTS[ck]['id']})}"
                  f"  # {cat.matters[mid]['name']}：主城区已集中由{CITY_DEPTS[ck]['name']}行使")
    d.comment("镇(街道)法定职权（节选）")
    relief = cat.id("临时救助申请受理和审批")
    for code, name, _ in county.townships:
        d.raw(f"  - {flow({'holder': code, 'since': POWER_SINCE, 'items': [relief]})}  # {name}：临时救助审批（社会救助暂行办法）")
    return d


def template_entries(data):
    cat = data["cat"]
    basic = [{"matter": m, "seq": i + 1, "_d": dom} for i, (dom, m) in enumerate(data["basic"])]
    coop = [dict(e, seq=i + 1) for i, e in enumerate(data["coop"])]
    # 综合执法 returned: the template still lists the delegable city-management penalties
    ret = list(data["returned"])
    tmpl_delegated = [e for e in data["delegated"] if e["template_returned"]]
    pos = max(i for i, e in enumerate(ret) if e["domain"] == "综合执法") + 1
    extra = [{"domain": "综合执法", "matter": e["matter"], "taken_by": e["dept"], "ptype": e["ptype"], "flags": []}
             for e in tmpl_delegated]
    ret = ret[:pos] + extra + ret[pos:]
    ret = [dict(e, seq=i + 1) for i, e in enumerate(ret)]
    return basic, coop, ret


def write_lists(d: Doc, data, county: County, template_id: str, template_name: str, basis_doc: str):
    cat = data["cat"]
    basic, coop, ret = template_entries(data)
    d.section("township_templates", f"区级标准清单（依据 {basis_doc}），各镇(街道)套用后按实际增删")
    d.raw(f"  - id: {template_id}")
    d.raw(f"    name: {q(template_name)}")
    d.raw(f"    county: {q(county.code)}")
    d.raw(f"    basic:  # 基本履职事项清单：镇(街道)必须为、负全责（{len(basic)}项）")
    for i, (dom, items) in enumerate(grouped([dict(e, domain=e['_d']) for e in basic])):
        d.comment(f"{cn(i + 1)}、{dom}（{len(items)}项）", 6)
        for e in items:
            d.item({"matter": e["matter"], "seq": e["seq"]}, cat.matters[e["matter"]]["name"], 6)
    d.raw(f"    cooperative:  # 配合履职事项清单：上级部门牵头负主体责任，镇(街道)配合（{len(coop)}项）")
    for i, (dom, items) in enumerate(grouped(coop)):
        d.comment(f"{cn(i + 1)}、{dom}（{len(items)}项）", 6)
        for e in items:
            write_coop(d, e, county, cat)
    d.raw(f"    returned:  # 上级部门收回事项清单：由承接部门履职（{len(ret)}项）")
    for i, (dom, items) in enumerate(grouped(ret)):
        d.comment(f"{cn(i + 1)}、{dom}（{len(items)}项）", 6)
        for e in items:
            dept = county.dept(e["taken_by"])
            d.item({"matter": e["matter"], "seq": e["seq"], "taken_by": dept["id"], "method": method(e, county)},
                   cat.matters[e["matter"]]["name"], 6)
    return basic, coop, ret


def write_coop(d: Doc, e, county: County, cat, seq=None):
    dept = county.dept(e["lead"])
    d.block({"matter": e["matter"], "seq": seq or e["seq"], "lead": dept["id"], "lead_duties": e["lead_duties"],
             "township_duties": e["township_duties"]}, 6,
            {"matter": cat.matters[e["matter"]]["name"], "lead": dept["short"]})


def write_township_lists(d: Doc, data, county: County, template_id: str, coop_len: int):
    cat = data["cat"]
    rural = [e["matter"] for e in data["coop"] if e["rural"]]
    names = {code: (name, form) for code, name, form in county.townships}
    with_villages = {code for code, vs in U.VILLAGES.items() if any(v[2] == "village" for v in vs)}
    delegated_here = [e["matter"] for e in data["delegated"] if e["template_returned"]]
    d.section("township_lists", "各镇(街道)清单：套用区级模板，按实际删减和增补")
    counts = {}
    for code, name, form in county.townships:
        d.raw(f"  - township: {q(code)}  # {name}")
        d.raw(f"    template: {template_id}")
        adds = []
        if code == YONGAN:
            removal(d, delegated_here, cat, f"永安镇为省级赋权试点：以下{len(delegated_here)}项已赋予永安镇以镇政府名义行使（见赋权清单），不再列入收回事项")
            adds = data["urban"][1:]
            note = "人口快速增长，增补物业和新建小区相关配合事项"
        elif form == "street" and code not in with_villages:
            removal(d, rural, cat, "街道辖区无农村和耕地，删去涉农配合事项")
            adds = data["urban"]
            note = "城市街道增补城市管理和物业相关配合事项"
        elif form == "street":
            adds = data["urban"]
            note = "城市街道增补城市管理和物业相关配合事项（辖区仍有村，保留涉农事项）"
        if adds:
            d.raw(f"    cooperative:  # {note}")
            for i, e in enumerate(adds):
                write_coop(d, e, county, cat, seq=coop_len + i + 1)
        if code == YONGAN:
            published_counts(d, data, coop_len + len(adds), delegated_here)
        counts[code] = adds
    return counts


def published_counts(d: Doc, data, coop_total: int, removed):
    """永安镇's lists as the county published their totals (the check compares them with the entries)."""
    basic, _, ret = template_entries(data)
    ret = [e for e in ret if e["matter"] not in set(removed)]
    by = Counter(e["domain"] for e in ret)
    shown = {dom: by[dom] for dom in ("综合执法", "市场监管", "应急管理")}
    src = "basis: SZ-QD-2025, as_of: 2025-04-01"
    d.raw("    published:  # 区级公布的永安镇清单数量（市中办字〔2025〕8号），check 与条目逐项核对")
    d.raw(f"      basic: {{total: {len(basic)}, {src}}}")
    d.raw(f"      cooperative: {{total: {coop_total}, {src}}}")
    by_text = ", ".join(f"{k}: {v}" for k, v in shown.items())
    d.raw(f"      returned: {{total: {len(ret)}, by_domain: {{{by_text}}}, {src}}}")


def removal(d: Doc, mids, cat, note: str):
    d.raw(f"    remove:  # {note}")
    for mid in mids:
        d.raw(f"      - {mid}  # {cat.matters[mid]['name']}")


def write_shizhong(out: Path, data):
    county = County(SHIZHONG)
    d = write_county(data, county, B.COUNTY[SHIZHONG])
    d.write(out / "zaozhuang" / "shizhong.yaml")

    d = Doc(f"枣庄市市中区镇(街道)履行职责事项清单（2025年版，{MARK}）")
    _, coop, _ = write_lists(d, data, county, "SZ-ZZQD-2025", "市中区镇(街道)履行职责事项清单（2025年版）标准模板",
                                   "市中办字〔2025〕8号")
    write_township_lists(d, data, county, "SZ-ZZQD-2025", len(coop))
    d.write(out / "zaozhuang" / "shizhong-lists.yaml")

    write_delegations(out, data, county)
    write_villages(out, data, county, "SZ-CJQD-2025", "市中区村(社区)工作事项清单（2025年版）", "SZ-CJ-2025",
                   "shizhong-villages.yaml")
    write_admissions(out, data, county)
    write_registers(out, county)
    return county


def write_xuecheng(out: Path, data):
    county = County(XUECHENG)
    d = write_county(data, county, B.COUNTY[XUECHENG])
    d.write(out / "zaozhuang" / "xuecheng.yaml")
    d = Doc(f"枣庄市薛城区镇(街道)履行职责事项清单（2025年版，{MARK}）")
    _, coop, _ = write_lists(d, data, county, "XC-ZZQD-2025", "薛城区镇(街道)履行职责事项清单（2025年版）标准模板",
                             "薛办字〔2025〕6号")
    write_township_lists(d, data, county, "XC-ZZQD-2025", len(coop))
    d.write(out / "zaozhuang" / "xuecheng-lists.yaml")
    write_villages(out, data, county, "XC-CJQD-2025", "薛城区村(社区)工作事项清单（2025年版）", "XC-CJ-2025",
                   "xuecheng-villages.yaml")
    return county


def write_delegations(out: Path, data, county: County):
    cat = data["cat"]
    d = Doc(f"枣庄市市中区永安镇赋权清单（省级赋权试点，6个领域92项；{MARK}）")
    d.section("delegations",
              "赋权：以永安镇人民政府名义行使（镇综合行政执法中心承办），依据省政府赋权决定；委托：以部门名义行使")
    n = 0
    by_domain = grouped(data["delegated"])
    for i, (dom, items) in enumerate(by_domain):
        dept = county.dept(items[0]["dept"])
        d.raw("")
        d.comment(f"{cn(i + 1)}、{dom}领域（{len(items)}项）— 原实施主体：{dept['name']}")
        for e in items:
            n += 1
            d.item({"id": f"YA-FQ-{n:03d}", "matter": e["matter"], "department": dept["id"], "townships": YONGAN,
                    "mode": "grant", "basis": "SD-FQ-2024", "since": GRANT_SINCE,
                    "evaluation": {"every_months": e["every"], "last": e["last"]}},
                   cat.matters[e["matter"]]["name"])
    name, dkey, _, rdate, reason = C.REVOKED
    d.raw("")
    d.comment("已收回的赋权事项（不计入92项）")
    n += 1
    d.item({"id": f"YA-FQ-{n:03d}", "matter": data["revoked"], "department": county.did(dkey), "townships": YONGAN,
            "mode": "grant", "basis": "SD-FQ-2024", "since": GRANT_SINCE,
            "evaluation": {"every_months": 12, "last": "2025-12-15"},
            "revoked": {"date": rdate, "reason": reason}}, name)
    d.raw("")
    d.comment("委托事项：以区交通运输局、区水务局名义行使，委托期限至2026年12月31日，受委托的镇不得再委托")
    for j, (mid, dkey, wt) in enumerate(data["entrusted"]):
        d.item({"id": f"YA-WT-{j + 1:03d}", "matter": mid, "department": county.did(dkey), "townships": YONGAN,
                "mode": "entrust", "basis": wt, "since": "2025-01-01", "until": "2026-12-31",
                "evaluation": {"every_months": 12, "last": "2026-06-30"}}, cat.matters[mid]["name"])
    d.write(out / "zaozhuang" / "shizhong-delegations.yaml")


#: (the city's wording, 市中区's rewording) of one duty of the village list
REWORDED = ("村(居)务公开和民主管理", "落实村(居)务公开和“四议两公开”民主决策制度")
CITY_VILLAGE_TEMPLATE = "ZZ-CJQD-2025"


def write_city_village_template(out: Path, data):
    """The city's common village list (duties and the negative list, the parts no county changes),
    from which each district's list derives with `parent` and states only its differences."""
    cat = data["cat"]
    d = Doc(f"枣庄市村(社区)工作事项清单（市级通用部分；{MARK}）")
    d.section("village_templates", "市级通用清单：依法履职事项与负面清单，各区在此基础上增删、改写")
    d.raw(f"  - id: {CITY_VILLAGE_TEMPLATE}")
    d.raw("    name: 枣庄市村(社区)工作事项清单（市级通用部分）")
    d.raw(f"    owner: {q(ZAOZHUANG)}")
    d.raw(f"    duties:  # 依法履职事项（{len(data['duties'])}项）")
    for i, mid in enumerate(data["duties"]):
        d.item({"matter": mid, "seq": i + 1}, cat.matters[mid]["name"], 6)
    d.raw(f"    negative:  # 负面清单：不得交由村(社区)承担（{len(data['negative'])}项）")
    for mid in data["negative"]:
        d.raw(f"      - {mid}  # {cat.matters[mid]['name']}")
    d.raw("    published:  # 市级公布的数量，check 与派生后的条目核对")
    d.raw(f"      duties: {{total: {len(data['duties'])}, by_domain: {{基层自治: {len(data['duties'])}}}}}")
    d.raw(f"      negative: {{total: {len(data['negative'])}}}")
    d.write(out / "zaozhuang" / "villages-common.yaml")


def write_villages(out: Path, data, county: County, tid: str, tname: str, basis: str, fname: str):
    cat = data["cat"]
    d = Doc(f"{county.name}村(社区)清单：依法履职、协助政府工作（13类43项）、负面清单与证明事项（{MARK}）")
    d.section("units", "村(社区)（节选）")
    vids = []
    for code, tname_, _ in county.townships:
        for suffix, name, form, former in U.VILLAGES.get(code, []):
            vid = code + suffix
            rec = {"id": vid, "name": name, "kind": "village", "form": form, "parent": code}
            if former:
                rec["former_names"] = former
            d.item(rec, tname_)
            vids.append((vid, name))
    d.section("village_templates", f"区级村(社区)清单（依据 {B.COUNTY[county.code][basis][0]}）")
    d.raw(f"  - id: {tid}")
    d.raw(f"    name: {q(tname)}")
    d.raw(f"    owner: {q(county.code)}")
    d.raw("    certify_only_listed: true  # 证明事项实行正面清单：清单外、无依据的证明一律不出具")
    d.raw("    certify_catch_all:  # 正面清单末项“其他法律、法规规定的证明”：附法律、法规依据的证明请求可以出具")
    d.item({"name": "其他法律、法规规定需要村(社区)出具的证明", "basis_kinds": ["law", "regulation"]}, indent=6)
    d.raw(f"    parent: {CITY_VILLAGE_TEMPLATE}  # 市级通用部分：依法履职事项（{len(data['duties'])}项）与负面清单，本区只写差异")
    new, old = data["reworded"]
    if county.code == SHIZHONG:
        d.raw("    duties:  # 改写市级清单的一项表述（rewords 指向市级原表述，取代原条目）")
        seq = data["duties"].index(old) + 1
        d.item({"matter": new, "seq": seq, "rewords": old}, f"{cat.matters[new]['name']}（原表述：{cat.matters[old]['name']}）", 6)
    cats = grouped([(c, m, s) for m, c, s in data["assisting"]])
    d.raw(f"    assisting:  # 协助政府工作事项（{len(cats)}类{len(data['assisting'])}项），写明业务主管部门")
    seq = 0
    for i, (c, items) in enumerate(cats):
        d.comment(f"{cn(i + 1)}、{c}（{len(items)}项）", 6)
        for _, mid, s in items:
            seq += 1
            dept = county.dept(s)
            rec, note = {"matter": mid, "seq": seq, "category": c, "supervisor": dept["id"]}, ""
            role = VILLAGE_ROLES.get(cat.matters[mid]["name"])
            if role:
                rec["role"], note = role[0], f"（{role[1]}）"
            d.item(rec, f"{cat.matters[mid]['name']} — {dept['short']}{note}", 6)
    d.raw(f"    may_certify:  # 需要村(社区)开具的证明材料（{len(data['may'])}项）")
    for i, e in enumerate(data["may"]):
        d.block({"matter": e["matter"], "seq": i + 1, "basis": e["basis"], "purpose": e["purpose"],
                 "procedure": e["procedure"]}, 6, {"matter": cat.matters[e["matter"]]["name"]})
    d.raw(f"    must_not_certify:  # 不应由村(社区)出具的证明事项（{len(data['must_not'])}项）")
    for i, (mid, note) in enumerate(data["must_not"]):
        d.item({"matter": mid, "seq": i + 1, "basis": "ZZ-ZM-2024", "note": note}, cat.matters[mid]["name"], 6)
    d.section("village_lists", "各村(社区)套用区级清单")
    for vid, name in vids:
        d.item({"village": vid, "template": tid}, name)
    d.write(out / "zaozhuang" / fname)


def write_admissions(out: Path, data, county: County):
    cat = data["cat"]
    all_t = [c for c, _, _ in county.townships]
    streets = [c for c, _, f in county.townships if f == "street"]
    (np_m, np_d), (ddc_m, ddc_d), (wm_m, wm_d) = data["admitted"]
    d = Doc(f"枣庄市市中区职责准入记录与下派记录（{MARK}）")
    d.section("admissions", "按“省级党委、政府部署，县级党委、政府同意”准入的清单外事项（历史记录，导入）")
    every = {"targets": "公布的写法：“各镇人民政府、街道办事处”"}
    d.block({"id": "ADM-2026-001", "matter": np_m, "applicant": county.did(np_d), "targets": ["G-SZ-ZJ"], "term": "short",
             "since": "2026-06-01", "until": "2026-12-31", "basis": "SD-BS-NP-2026",
             "document": "市中办字〔2026〕21号"}, 2,
            {"matter": cat.matters[np_m]["name"] + "（短期准入，普查结束即退出）", "applicant": county.dept(np_d)["short"],
             **every})
    d.block({"id": "ADM-2025-002", "matter": ddc_m, "applicant": county.did(ddc_d), "targets": ["G-SZ-ZJ"], "term": "long",
             "since": "2025-04-01", "basis": "SD-BS-DDC-2024", "document": "市中办字〔2025〕17号"}, 2,
            {"matter": cat.matters[ddc_m]["name"] + "（长期准入，下次动态调整时纳入清单）",
             "applicant": county.dept(ddc_d)["short"], **every})
    assert len(all_t) == 11 and len(streets) == 6  # what the groups below stand for
    d.block({"id": "ADM-2024-003", "matter": wm_m, "applicant": county.did(wm_d), "targets": ["G-SZ-JD"], "term": "short",
             "since": "2024-06-01", "until": "2025-12-31", "basis": "SD-BS-WM-2024", "state": "exited",
             "document": "市中办字〔2024〕26号",
             "exit": {"date": "2025-03-31", "reason": "群众反映入户问卷频次过高、干扰正常生活，经评估提前退出"}}, 2,
            {"matter": cat.matters[wm_m]["name"], "applicant": county.dept(wm_d)["short"], "targets": "“各街道办事处”"})

    d.section("assignments", "派单系统导出的下派记录（均有清单、准入或业务主管依据）")
    coop_matters = {e["matter"] for e in data["coop"]}
    fund = cat.id("住宅专项维修资金使用申请受理初审")
    disaster = cat.id("自然灾害灾情统计报送")
    vaccine = cat.id("动物疫病强制免疫")
    pension = cat.id("协助开展城乡居民养老保险参保登记和待遇资格认证")
    rows = [
        ("ASG-2026-0001", "zjj", YONGAN, fund, "2026-04-15", "市中住建字〔2026〕15号", "assist", None),
        ("ASG-2026-0002", "yjj", "370402102", disaster, "2026-07-20", "市中应急字〔2026〕32号", "assist", None),
        ("ASG-2026-0003", "tjj", YONGAN, np_m, "2026-08-03", "市中统字〔2026〕9号", "execute", "SD-BS-NP-2026"),
        ("ASG-2026-0004", "rsj", YONGAN + "201", pension, "2026-03-10", "市中人社字〔2026〕6号", "assist", "SZ-CJ-2025"),
        ("ASG-2026-0007", "rsj", YONGAN + "201", pension, "2026-04-08", "市中人社字〔2026〕9号", "assist", "SZ-CJ-2025"),
        ("ASG-2025-0005", "nyj", "370402100", vaccine, "2025-10-20", "市中农字〔2025〕41号", "assist", None),
        ("ASG-2026-0006", "zjj", "370402002", ddc_m, "2026-05-12", "市中住建字〔2026〕22号", "execute", "SD-BS-DDC-2024"),
    ]
    assert all(m in coop_matters or m in (np_m, ddc_m, pension) for _, _, _, m, *_ in rows)
    forms = {"ASG-2026-0007": "永安村填报参保情况表（减负规则 BR-VILLAGE-FORMS：附县级统一部署）"}
    for aid, key, to, mid, date, doc, role, basis in rows:
        rec = {"id": aid, "by": county.did(key), "to": to, "matter": mid, "date": date, "document": doc,
               "kind": "forms_request" if aid in forms else "task", "role": role}
        if basis:
            rec["basis"] = basis
        d.item(rec, f"{county.dept(key)['short']} → {forms.get(aid, cat.matters[mid]['name'])}")
    d.section("unit_groups", "接收单位集合：照公布的写法引用，载入时展开为成员")
    d.item({"id": "G-SZ-ZJ", "name": "市中区各镇人民政府、街道办事处", "county": county.code, "forms": ["township", "street"]})
    d.item({"id": "G-SZ-JD", "name": "市中区各街道办事处", "county": county.code, "forms": ["street"]})
    d.write(out / "zaozhuang" / "shizhong-admissions.yaml")


# =========================================================================== registers (issue 20)
def write_registers(out: Path, county: County):
    """The other registers of 市中区 (illustrative, 示例): inspection plans, documents and meetings
    against 2019, secondments, the signboard register, seal scope, evaluation items and forms —
    the layout of Zaozhuang's "three catalogues" and "three community lists"; all clean."""
    cc, did = county.code, county.did
    towns = [c for c, _, _ in county.townships]
    hp, ya = YONGAN + "001", YONGAN + "201"  # 和平社区, 永安村
    approval = {"by": cc, "date": "2026-01-25", "document": "市中办字〔2026〕4号"}
    d = Doc(f"枣庄市市中区督查检查考核计划、发文会议、借调、机制牌子、印章与报表登记（{MARK}）")
    d.section("inspection_plans", "督查检查考核计划：年初报送、汇总初审、区委区政府审定，原则上每个部门每年一项")
    plans = [("scj", "食品安全综合检查", "check", 6), ("yjj", "安全生产综合督查", "inspection", 5),
             ("mzj", "基层民政服务考核", "evaluation", 4), ("zjj", "自建房安全排查整治督查", "inspection", 4)]
    for key, name, kind, base in plans:
        rec = {"id": f"JH-2026-{key.upper()}", "department": did(key), "year": 2026, "approval": approval,
               "baseline": {"year": 2025, "count": base}, "items": [{"id": f"JH-2026-{key.upper()}-1", "name": name,
                                                                    "kind": kind}]}
        if key == "scj":
            rec["one_off"] = [{"id": "LS-2026-SCJ-1", "name": "春节市场保供稳价专项检查", "kind": "check", "targets": [YONGAN],
                               "approval": {"by": cc, "date": "2026-01-30", "document": "市中办字〔2026〕6号（一事一议）"}}]
        d.block(rec, 2, {"department": county.dept(key)["short"]})
    d.section("inspections", "督查检查考核开展记录")
    runs = [("scj", YONGAN, "2026-04-14", "JH-2026-SCJ-1", "check"), ("scj", YONGAN, "2026-02-03", "LS-2026-SCJ-1", "check"),
            ("yjj", YONGAN, "2026-05-20", "JH-2026-YJJ-1", "inspection"), ("yjj", towns[0], "2026-05-21", "JH-2026-YJJ-1", "inspection"),
            ("mzj", hp, "2026-09-10", "JH-2026-MZJ-1", "evaluation")]
    for i, (key, target, date, item, kind) in enumerate(runs, 1):
        rec = {"id": f"DC-{date[:4]}-{i:03d}", "department": did(key), "target": target, "date": date, "kind": kind}
        d.item({**rec, "item": item})
    d.section("document_counts", "发文、会议与 2019 年比较（只减不增；白头文件、便签、发电计入发文）")
    for key, docs, meet, subs, b_docs, b_meet in [("scj", 41, 18, {"notes": 2}, 66, 31), ("mzj", 28, 12, {}, 40, 22),
                                                   ("zjj", 37, 20, {"telegrams": 1}, 52, 27)]:
        d.item({"id": f"WH-2026-{key.upper()}", "unit": did(key), "year": 2026, "documents": docs, "meetings": meet,
                "substitutes": subs, "baseline": {"year": 2019, "documents": b_docs, "meetings": b_meet}})
    d.section("secondments", "借调镇(街道)工作人员：以县为单位的借调准入")
    d.item({"id": "JD-2026-001", "township": YONGAN, "organ": did("tjj"), "count": 2, "since": "2026-06-01",
            "until": "2027-03-31", "basis": "市中统字〔2026〕9号", "admission": {"by": cc, "date": "2026-05-25",
                                                                              "document": "市中编借〔2026〕2号"}},
           "第五次全国经济普查")
    d.item({"id": "JD-2025-004", "township": YONGAN, "organ": did("zjj"), "count": 1, "since": "2025-03-01",
            "until": "2025-08-31", "returned": "2025-08-29", "admission": {"by": cc, "date": "2025-02-20"}})
    d.section("board_registers", "村(社区)机制牌子目录：外牌规范、内牌清理、制度牌撤除、荣誉牌集中、宣传牌精简、功能区规范、设服务台")
    d.block({"unit": ya, "baseline": {"year": 2023, "count": 23},
             "boards": [{"id": "PZ-1", "name": "永安村党支部委员会", "kind": "outer_sign"},
                        {"id": "PZ-2", "name": "永安村村民委员会", "kind": "outer_sign"},
                        {"id": "PZ-3", "name": "荣誉墙", "kind": "honour_board"},
                        {"id": "PZ-4", "name": "党群服务中心功能区标识", "kind": "functional_area"},
                        {"id": "PZ-5", "name": "便民服务台", "kind": "service_desk"}],
             "present": ["PZ-1", "PZ-2", "PZ-3", "PZ-4", "PZ-5"]}, 2)
    d.section("seal_scopes", "社区印章使用范围（治“万能章”）")
    d.block({"community": hp, "purposes": [{"id": "YZ-1", "name": "居住证明", "basis": "SZ-CJ-2025"},
                                            {"id": "YZ-2", "name": "低保申请初审意见"},
                                            {"id": "YZ-3", "name": "社区组织活动场地使用证明"}]}, 2)
    d.section("seal_uses", "用印记录")
    d.item({"id": "YY-2026-001", "community": hp, "purpose": "YZ-1", "date": "2026-03-03"})
    d.section("evaluation_items", "社区综合考核评比项目：对社区只能开展这些考核评比")
    d.block({"community": hp, "items": [{"id": "JH-2026-MZJ-1", "name": "基层民政服务考核", "department": did("mzj")}]}, 2)
    d.section("forms", "报表目录：一表通，一次填报、多方复用")
    d.item({"id": "BB-YBT-2026", "name": "村(社区)基础数据一表通", "department": did("mzj"), "targets": [YONGAN, ya, hp],
            "fields": ["户数", "户籍人口", "常住人口", "低保户数", "特困人员数", "残疾人数"], "merged_from": 245,
            "since": "2026-01-01"}, "245 张表合并为 1 张")
    d.item({"id": "BB-ZJ-FW", "name": "农村房屋安全台账", "department": did("zjj"), "targets": [YONGAN, ya],
            "fields": ["房屋栋数", "鉴定为危房的栋数"], "since": "2026-01-01"})
    d.section("data_requests", "填报要求记录")
    d.item({"id": "TB-2026-001", "department": did("zjj"), "unit": ya, "form": "BB-ZJ-FW", "date": "2026-04-01"})
    d.write(out / "zaozhuang" / "shizhong-registers.yaml")


# =========================================================================== self-check
def self_check(data):
    """The proportions the example promises (the consistency itself is `admission check`'s job)."""
    basic = len(data["basic"])
    coop = len(data["coop"]) + 2  # 永安镇 adds two urban items
    ret = len(data["returned"])
    grants = Counter(e["domain"] for e in data["delegated"])
    assert basic == 117, basic
    assert coop == 99, coop
    assert ret == 124, ret
    assert sum(grants.values()) == 92 and len(grants) == 6, grants
    assert sum(1 for dom, _ in data["basic"] if dom == "党的建设") == 20
    assert len(data["assisting"]) == 43 and len({c for _, c, _ in data["assisting"]}) == 13
    assert len(data["must_not"]) == 20
    assert not set(data["negative"]) & {m for m, _, _ in data["assisting"]}
    ids = [v["id"] for v in CITY_DEPTS.values()]
    for code in U.COUNTIES:
        ids += [v["id"] for v in County(code).depts.values()]
    assert len(ids) == len(set(ids)), "credit codes collide"
    assert len(County(SHIZHONG).depts) >= 25


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=HERE.parent.parent / "policies")
    args = ap.parse_args(argv)
    data = build_catalogue()
    self_check(data)
    out = args.out
    for old in list(out.glob("*.yaml")) + list((out / "zaozhuang").glob("*.yaml")):
        if "tools/example/generate.py" in old.read_text(encoding="utf-8", errors="replace")[:400]:
            old.unlink()  # only files this script wrote
    write_shandong(out, data)
    write_catalogue(out, data)
    write_shizhong(out, data)
    write_xuecheng(out, data)
    write_city_village_template(out, data)
    print(f"wrote {out}: {len(data['cat'].matters)} matters")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
