"""Synthetic policy trees at national proportions, for benchmarks and for testing the checks.

`generate(out_dir, townships, seed)` writes a *valid* tree that has no finding under any rule
of docs/semantics.md on `CHECK_DATE`: one province, cities of 10–15 counties, counties of
10–20 townships and 25–40 departments (ids shaped like unified social credit codes), each
department's power list, a matter catalogue of a few thousand items, per township ≈340 list
entries (≈117 basic / 99 cooperative / 124 returned), ≈13 villages per township with ≈40
items each, delegations for about a fifth of the townships, admissions and assignments.

With `templates=True` each county has one township template and one village template that its
units use with a few removals and additions; with `templates=False` every unit writes out all
of its entries.  The content is the same either way (the random draws do not depend on it).

`violations={rule_id: count}` injects findings: each injection triggers exactly that rule on
exactly one subject (docs/semantics.md, "Finding subjects") and nothing else.  The injected
(rule, subject) pairs are returned in the `Manifest` and written to `manifest.json`.

Generation is deterministic: the same arguments give byte-identical files.
"""

from __future__ import annotations

import datetime as dt
import difflib
import json
import random
import re
import shutil
import time
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from .evaluate.checks.lapses import add_months  # the evaluation schedule's own arithmetic

__all__ = ["CHECK_DATE", "RULES", "Manifest", "generate", "inject_all"]

CHECK_DATE = dt.date(2026, 11, 23)
D = dt.date

#: Every rule id of docs/semantics.md "Checks"; each can be injected.
RULES: tuple[str, ...] = (
    "overlap-basic-cooperative", "overlap-basic-returned", "overlap-cooperative-returned",
    "overlap-returned-two-departments", "overlap-two-leads", "overlap-grant-returned",
    "overlap-grant-cooperative", "overlap-grant-exercised", "overlap-negative-assisting",
    "missing-lead", "lead-outside-county", "lead-without-power", "missing-taker", "taker-without-power",
    "missing-owner",
    "pushdown-unlisted", "pushdown-no-standing", "pushdown-returned", "pushdown-negative",
    "village-responsible", "certification-forbidden", "certification-unlisted", "level-skipping",
    "other-county", "village-bypass", "unit-inactive", "lapse-after-exit", "lapse-after-revocation",
    "pushdown-new-vest",
    "delegation-not-held", "delegation-other-county", "delegation-grant-basis", "delegation-entrust-basis",
    "delegation-major-penalty", "delegation-specialist", "delegation-to-village", "entrust-onward",
    "evaluation-overdue", "evaluation-missing",
    "template-other-county",
)

# =========================================================================== word lists
PLACE_CHARS = (
    "安平宁阳河山城清兴丰永长和华泰庆昌德胜福源江湖林泉石桥湾岭峰台集店庄屯营坊堡寨岗坪沟塘溪滩川原"
    "明光远嘉瑞祥乐康宝金玉云龙凤鹤松柏桂兰梅竹荷杨柳槐桑青白红黄文武仁义广大高上中前后双三五七九新东"
    "西南北古望崇善怀顺通达利淮汉湘洛潭津济沂蒙临沭郯莒费峄滕薛邹曲睦鸣盛泽沙洪陵亭桃李杏枣榆"
)
COMMUNITY_SUFFIX = ("路社区", "苑社区", "园社区", "里社区", "街社区", "湾社区")

# (key, name, short, domain, core, objects, national basis title, basis kind, number)
DEPT_TYPES: tuple = (
    ("fgj", "发展和改革局", "发改", "经济发展", True,
     "固定资产投资项目 政府定价行为 粮食收购 节能审查 以工代赈项目 社会信用体系建设 招标投标活动 电力设施保护 重点建设项目 价格监测 粮油仓储 成品油价格 新能源项目 能源消费",
     "中华人民共和国价格法", "law"),
    ("jyj", "教育和体育局", "教体", "教育体育", True,
     "民办学校 校外培训机构 幼儿园办园行为 义务教育入学 学生资助 校园安全 体育场馆 体育赛事活动 控辍保学 教师资格 学校食堂 校车安全 社会体育指导 全民健身设施",
     "中华人民共和国教育法", "law"),
    ("gxj", "工业和信息化局", "工信", "经济发展", True,
     "工业企业运行 中小企业服务 民用爆炸物品 无线电台站 信息化项目 清洁生产审核 工业园区 企业技术改造 节能监察 通信基础设施 电动自行车生产 工业固定资产投资",
     "中华人民共和国中小企业促进法", "law"),
    ("gaj", "公安局", "公安", "平安法治", True,
     "户籍管理 居住登记 流动人口 旅馆业治安 娱乐场所治安 犬只管理 烟花爆竹燃放 道路交通安全 大型群众性活动 剧毒化学品购买 寄递物流安全 出租房屋治安 电动自行车登记 枪支管理",
     "中华人民共和国治安管理处罚法", "law"),
    ("mzj", "民政局", "民政", "民生服务", True,
     "最低生活保障 特困人员供养 临时救助 殡葬管理 社会组织 养老机构 婚姻登记 地名管理 残疾人两项补贴 留守儿童关爱 居家养老服务 慈善募捐 流浪乞讨人员救助 孤儿基本生活保障",
     "社会救助暂行办法", "regulation"),
    ("sfj", "司法局", "司法", "平安法治", True,
     "人民调解 法律援助 社区矫正 安置帮教 普法宣传 公证服务 基层法律服务 法律顾问 行政复议 人民陪审员选任 律师执业 司法鉴定",
     "中华人民共和国人民调解法", "law"),
    ("czj", "财政局", "财政", "综合保障", True,
     "惠农补贴资金 政府采购 村级财务 国有资产 会计行为 财政票据 预算执行 专项资金 政府债务 财政投资评审",
     "中华人民共和国预算法", "law"),
    ("rsj", "人力资源和社会保障局", "人社", "民生服务", True,
     "城乡居民养老保险 劳动保障监察 就业援助 农民工工资支付 劳动人事争议 职业技能培训 社会保障卡 失业保险 工伤保险 人力资源市场 劳务派遣 创业担保贷款 公益性岗位 职业介绍机构",
     "中华人民共和国劳动法", "law"),
    ("zrzyj", "自然资源局", "自然资源", "自然资源", True,
     "耕地保护 土地卫片执法 农村宅基地 矿产资源开采 地质灾害防治 不动产登记 测量标志 国土空间规划 土地征收 临时用地 设施农业用地 土地复垦 乡村建设规划许可 永久基本农田",
     "中华人民共和国土地管理法", "law"),
    ("sthjj", "生态环境分局", "生态环境", "生态环境", True,
     "大气污染防治 水污染防治 一般工业固体废物 建设项目环境影响评价 排污许可 噪声污染 秸秆焚烧 畜禽养殖污染 危险废物 辐射安全 饮用水水源地 机动车排气 农村生活污水 土壤污染",
     "中华人民共和国环境保护法", "law"),
    ("zjj", "住房和城乡建设局", "住建", "城乡建设", True,
     "建筑施工安全 物业管理 住宅专项维修资金 农村危房改造 城镇燃气 建筑市场 房地产开发 农村自建房 老旧小区改造 历史建筑 房屋租赁 建设工程质量 预拌混凝土 白蚁防治",
     "中华人民共和国建筑法", "law"),
    ("jtj", "交通运输局", "交通", "交通运输", True,
     "农村公路 道路运输 出租汽车 公路路政 水路运输 汽车客运站 超限运输 驾驶员培训 公路养护 城乡公交 渡口渡船 网络预约出租车 机动车维修 交通建设工程",
     "中华人民共和国公路法", "law"),
    ("slj", "水利局", "水利", "水利", True,
     "河道管理 水土保持 取水 农村饮水安全 水库安全 防汛抗旱 河湖采砂 小型水利工程 节约用水 灌区管理 山洪灾害防治 堤防 地下水 河长制",
     "中华人民共和国水法", "law"),
    ("nyj", "农业农村局", "农业农村", "农业农村", True,
     "农药经营 种子生产经营 兽药经营 动物防疫 农产品质量安全 农业机械安全 高标准农田 农村土地承包 渔业生产 农村集体资产 肥料经营 耕地地力保护补贴 宅基地审批 农作物病虫害",
     "中华人民共和国农业法", "law"),
    ("swj", "商务局", "商务", "经济发展", True,
     "成品油零售 再生资源回收 单用途商业预付卡 报废机动车回收 外贸企业 商贸流通 家政服务 电子商务 生猪屠宰 二手车交易 拍卖企业 商业网点",
     "商务领域经营者使用、报送个人信息规定", "rule"),
    ("wlj", "文化和旅游局", "文旅", "文化旅游", True,
     "营业性演出 互联网上网服务场所 娱乐场所经营 旅行社 文物保护单位 出版物发行 广播电视设施 公共文化服务 旅游景区 非物质文化遗产 卫星电视接收设施 艺术品经营 印刷企业 民宿",
     "中华人民共和国文物保护法", "law"),
    ("wjj", "卫生健康局", "卫健", "卫生健康", True,
     "医疗机构执业 公共场所卫生 生活饮用水卫生 传染病防治 计划生育 职业卫生 母婴保健 控制吸烟 家庭医生签约 爱国卫生 放射诊疗 消毒产品 学校卫生 医疗废物",
     "中华人民共和国传染病防治法", "law"),
    ("tyjr", "退役军人事务局", "退役军人", "民生服务", True,
     "优待抚恤 退役军人就业创业 烈士纪念设施 双拥工作 退役军人信息采集 军休服务 退役士兵安置 光荣牌悬挂",
     "中华人民共和国退役军人保障法", "law"),
    ("yjj", "应急管理局", "应急", "应急管理", True,
     "危险化学品经营 非煤矿山 工贸企业安全生产 烟花爆竹经营 自然灾害救助 应急避难场所 森林防火 安全生产培训 有限空间作业 粉尘涉爆企业 应急预案 灾害信息员 救灾物资储备 生产安全事故",
     "中华人民共和国安全生产法", "law"),
    ("sjj", "审计局", "审计", "综合保障", True,
     "经济责任审计 财政资金审计 政府投资项目审计 村级财务审计 专项资金审计 审计整改",
     "中华人民共和国审计法", "law"),
    ("scjgj", "市场监督管理局", "市场监管", "市场监管", True,
     "食品生产经营 特种设备 计量器具 药品经营 医疗器械经营 化妆品经营 广告发布 价格行为 产品质量 网络交易 集贸市场 个体工商户 商标使用 检验检测机构 食品小作坊 食品摊贩",
     "中华人民共和国食品安全法", "law"),
    ("tjj", "统计局", "统计", "综合保障", True,
     "统计调查 统计违法 经济普查 人口普查 农业普查 统计数据质量 名录库维护 统计联网直报",
     "中华人民共和国统计法", "law"),
    ("ybj", "医疗保障局", "医保", "民生服务", True,
     "城乡居民医疗保险 医疗救助 定点医药机构 医保基金使用 长期护理保险 异地就医 医保待遇 药品集中采购",
     "医疗保障基金使用监督管理条例", "regulation"),
    ("zfj", "综合行政执法局", "综合执法", "城市管理", True,
     "市容环境卫生 违法建设 户外广告设施 城市道路 园林绿化 占道经营 建筑垃圾 餐饮油烟 生活垃圾分类 城市照明 市政设施 渣土运输 流动摊贩 违规设置摊点",
     "城市市容和环境卫生管理条例", "regulation"),
    ("lyj", "林业局", "林业", "林业", True,
     "林木采伐 野生动物保护 林地占用 森林病虫害防治 古树名木 木材经营加工 林业有害生物 湿地保护 林草种苗 自然保护地 公益林管护 退耕还林",
     "中华人民共和国森林法", "law"),
    # optional departments: a county has 0–15 of them
    ("xfj", "信访局", "信访", "平安法治", False, "信访事项办理 信访秩序 信访积案化解 网上信访", None, None),
    ("spj", "行政审批服务局", "审批服务", "政务服务", False, "政务服务事项 一网通办 帮办代办 政务服务中心窗口 投资项目并联审批", None, None),
    ("rfb", "人民防空办公室", "人防", "国防动员", False, "人防工程 防空警报设施 人防宣传教育 人防疏散基地", None, None),
    ("jrj", "地方金融服务中心", "金融", "经济发展", False, "非法集资 小额贷款公司 融资担保公司 典当行", None, None),
    ("sjzj", "大数据局", "大数据", "政务服务", False, "政务数据共享 电子政务外网 公共数据开放 信息系统整合", None, None),
    ("xczx", "乡村振兴局", "乡村振兴", "农业农村", False, "防返贫动态监测 衔接资金项目 驻村帮扶 扶贫资产管理 消费帮扶", None, None),
    ("xmsy", "畜牧兽医局", "畜牧", "农业农村", False, "畜禽屠宰 饲料经营 动物诊疗 畜禽养殖场 种畜禽生产", None, None),
    ("tcj", "投资促进局", "投促", "经济发展", False, "招商引资项目 外来投资企业服务 招商考核", None, None),
    ("mzzj", "民族宗教事务局", "民宗", "社会事务", False, "宗教活动场所 民族团结进步创建 宗教教职人员 清真食品", None, None),
    ("jgsw", "机关事务服务中心", "机关事务", "综合保障", False, "公务用车 公共机构节能 办公用房", None, None),
    ("gfdy", "国防动员办公室", "国防动员", "国防动员", False, "民兵组织 征兵工作 国防教育", None, None),
    ("dag", "档案馆", "档案", "综合保障", False, "档案管理 档案执法检查 档案接收 村级档案", None, None),
    ("ljj", "粮食和物资储备中心", "粮储", "经济发展", False, "粮食流通 储备粮 粮食库存检查 应急物资储备", None, None),
    ("kjj", "科学技术局", "科技", "经济发展", False, "科技计划项目 科学普及 高新技术企业 科技特派员", None, None),
    ("dzj", "防震减灾服务中心", "防震减灾", "应急管理", False, "防震减灾 地震监测设施 建设工程抗震设防", None, None),
)

PT_CODE = {"penalty": "CF", "license": "XK", "inspection": "JC", "coercion": "QZ", "confirmation": "QR",
           "levy": "ZS", "payment": "JF", "reward": "JL", "adjudication": "CJ", "certification": "ZM",
           "service": "FW", "other": "QT"}

# (probability, template, power type, flag) drawn per object; flag: "" | "major" | "specialist"
MATTER_TEMPLATES: tuple = (
    (1.0, "对{o}违法行为的行政处罚", "penalty", ""),
    (0.4, "对{o}未按规定报告备案的处罚", "penalty", ""),
    (0.15, "对{o}严重违法行为吊销许可证件", "penalty", "major"),
    (0.12, "对{o}重大违法行为责令停产停业", "penalty", "major"),
    (1.0, "{o}监督检查", "inspection", ""),
    (0.5, "{o}日常巡查", "inspection", ""),
    (0.3, "{o}抽样检验和技术鉴定", "inspection", "specialist"),
    (0.45, "{o}行政许可", "license", ""),
    (0.3, "查封扣押{o}涉案物品", "coercion", ""),
    (0.7, "{o}政策宣传", "service", ""),
    (0.6, "{o}信息采集报送", "service", ""),
    (0.4, "{o}申请受理和初审", "service", ""),
    (0.5, "{o}隐患排查整治", "other", ""),
    (0.3, "{o}统计监测", "other", ""),
    (0.15, "{o}登记确认", "confirmation", ""),
    (0.15, "{o}补助发放", "payment", ""),
    (0.1, "{o}先进表彰奖励", "reward", ""),
    (0.1, "{o}相关费用征收", "levy", ""),
    (0.1, "{o}权属纠纷裁决", "adjudication", ""),
)

BASIC_CORE: tuple = (
    ("党的建设", "基层党组织建设 党员发展和教育管理 意识形态工作 党风廉政建设 党建引领基层治理 村(社区)党组织换届 "
             "党员活动阵地建设 流动党员管理 软弱涣散党组织整顿 党务公开 统一战线工作 群团工作 干部队伍建设 人才工作 "
             "机构编制管理 精神文明建设 新时代文明实践 宣传思想工作 网络舆情引导 巡视巡察整改"),
    ("经济发展", "辖区经济运行分析 营商环境优化 项目建设服务保障 村级集体经济发展 农业产业发展 乡村产业培育 "
             "农民合作社指导 企业服务 财源建设 特色小镇建设 乡村旅游发展 农村电商发展 统计基础工作 粮食生产 "
             "重要农产品稳产保供 招商服务协调"),
    ("民生服务", "便民服务中心运行 社会救助申请受理 养老服务 就业创业服务 社会保障经办 残疾人服务 未成年人保护 "
             "妇女儿童权益保障 退役军人服务站运行 卫生健康服务 老龄工作 教育协调保障 文化体育活动组织 公共文化服务 "
             "红十字工作 慈善工作 殡葬改革 移风易俗 关心下一代工作 新就业群体服务 医疗保障经办服务 住房保障"),
    ("平安法治", "矛盾纠纷排查化解 信访工作 综治中心运行 网格化服务管理 社会治安防控 平安建设 法治宣传教育 "
             "法律顾问服务 反邪教工作 禁毒工作 国家安全人民防线 安全生产属地管理 防汛抗旱组织 森林防火组织 应急管理 "
             "消防安全网格管理 食品安全协管 道路交通安全劝导 民族宗教工作 扫黑除恶常态化"),
    ("城乡建设", "人居环境整治 村庄规划实施 农村公路管护 农村饮水工程管护 垃圾分类和治理 厕所革命 河湖长制落实 "
             "林长制落实 田长制落实 耕地保护巡查 违法建设巡查报告 农村自建房安全巡查 美丽乡村建设 生态环境保护 "
             "秸秆禁烧 大气污染防治网格 集镇管理 绿化美化"),
    ("综合保障", "财务管理 预算管理 国有资产管理 政务公开 档案管理 保密工作 机关后勤保障 政务服务 数字乡村建设 "
             "人大工作 政协联络 武装工作 征兵工作 人口普查配合 统计工作 审计整改 内部控制 督查督办"),
)

VILLAGE_DUTIES = (
    "村(居)民会议组织 村(居)民代表会议组织 村(居)务公开 村规民约制定和执行 居民公约制定和执行 村(居)务监督 "
    "村级集体经济组织管理 村(居)人民调解 村(居)治安保卫 村(居)公共卫生 村(居)环境卫生维护 村(居)移风易俗宣传 "
    "困难群众走访 村(居)矛盾纠纷排查 村(居)网格服务 村(社区)选举组织 村级财务公开 村(居)公益事业兴办 邻里互助 "
    "志愿服务组织 村(居)文化体育活动 村(居)民主评议 村(居)民自治章程制定 村(居)精神文明创建"
).split()

# (name, supervising department type, category, tags)
VILLAGE_ASSISTING: tuple = (
    ("协助开展最低生活保障入户调查", "mzj", "民生保障", ()), ("协助开展特困人员供养申请初核", "mzj", "民生保障", ()),
    ("协助开展临时救助申请受理", "mzj", "民生保障", ()), ("协助开展高龄津贴申请", "mzj", "民生保障", ()),
    ("协助开展残疾人两项补贴申请", "mzj", "民生保障", ()), ("协助开展留守儿童关爱", "mzj", "民生保障", ()),
    ("协助开展城乡居民养老保险参保登记", "rsj", "社会保障", ()), ("协助开展就业失业登记", "rsj", "社会保障", ()),
    ("协助开展城乡居民医疗保险参保", "ybj", "社会保障", ()), ("协助开展医疗救助申请", "ybj", "社会保障", ()),
    ("协助开展退役军人信息采集", "tyjr", "优抚服务", ()), ("协助开展光荣牌悬挂", "tyjr", "优抚服务", ()),
    ("协助开展优抚对象走访慰问", "tyjr", "优抚服务", ()), ("协助开展人口普查入户登记", "tjj", "统计调查", ()),
    ("协助开展农业普查", "tjj", "统计调查", ()), ("协助开展经济普查清查", "tjj", "统计调查", ()),
    ("协助开展耕地保护巡查", "zrzyj", "自然资源", ()), ("协助开展地质灾害隐患点巡查", "zrzyj", "自然资源", ()),
    ("协助开展农村宅基地申请审核", "nyj", "农业农村", ()), ("协助开展农作物病虫害防治宣传", "nyj", "农业农村", ()),
    ("协助开展动物防疫", "nyj", "农业农村", ()), ("协助开展耕地地力保护补贴核实", "nyj", "农业农村", ()),
    ("协助开展农村土地承包经营权确权", "nyj", "农业农村", ()), ("协助开展秸秆禁烧巡查", "sthjj", "生态环境", ()),
    ("协助开展河道巡查", "slj", "水利", ()), ("协助开展防汛抗旱", "slj", "水利", ()),
    ("协助开展农村饮水工程管护", "slj", "水利", ()), ("协助开展森林防火宣传", "lyj", "林业", ()),
    ("协助开展古树名木保护", "lyj", "林业", ()), ("协助开展安全生产隐患排查", "yjj", "安全生产", ("work_safety",)),
    ("协助开展自然灾害信息报送", "yjj", "应急管理", ()), ("协助开展消防安全宣传", "yjj", "安全生产", ("work_safety",)),
    ("协助开展农村危房排查", "zjj", "住房城乡建设", ()), ("协助开展农村自建房安全排查", "zjj", "住房城乡建设", ("work_safety",)),
    ("协助开展违法建设巡查报告", "zfj", "城市管理", ("demolition",)), ("协助开展环境卫生整治", "zfj", "城市管理", ()),
    ("协助开展生活垃圾分类宣传", "zfj", "城市管理", ()), ("协助开展食品安全宣传", "scjgj", "市场监管", ()),
    ("协助开展传染病防控", "wjj", "卫生健康", ()), ("协助开展爱国卫生运动", "wjj", "卫生健康", ()),
    ("协助开展家庭医生签约服务", "wjj", "卫生健康", ()), ("协助开展计划生育服务", "wjj", "卫生健康", ()),
    ("协助开展法治宣传", "sfj", "法治建设", ()), ("协助开展社区矫正对象帮扶", "sfj", "法治建设", ()),
    ("协助开展流动人口登记", "gaj", "社会治安", ()), ("协助开展出租房屋信息采集", "gaj", "社会治安", ()),
    ("协助开展禁毒宣传", "gaj", "社会治安", ()), ("协助开展适龄儿童入学动员", "jyj", "教育", ()),
    ("协助开展学生资助信息核实", "jyj", "教育", ()), ("协助开展公共文化活动", "wlj", "文化旅游", ()),
    ("协助开展文物安全巡查", "wlj", "文化旅游", ()),
)

# (name, tags)
VILLAGE_NEGATIVE: tuple = (
    ("行政执法检查", ("enforcement",)), ("违法建设拆除", ("demolition",)), ("招商引资任务", ("investment_promotion",)),
    ("安全生产监管执法", ("work_safety", "enforcement")), ("征地拆迁实施", ("demolition",)), ("环境执法检查", ("enforcement",)),
    ("市场监管执法", ("enforcement",)), ("税费征收", ()), ("经济指标考核", ()), ("部门创建达标评比", ()),
    ("部门工作台账填报", ()), ("信息系统重复录入", ()), ("政务应用程序推广下载", ()), ("部门证明材料核查", ()),
    ("部门专项工作人员派驻", ()), ("挂牌设立部门机构", ()), ("部门工作责任状签订", ()), ("工作群打卡留痕", ()),
    ("社会保险费催缴", ()), ("非法集资处置", ()),
)
VILLAGE_MAY_CERTIFY = (
    "居住情况证明 家庭经济困难情况证明 土地承包经营情况证明 宅基地使用情况证明 居家死亡情况证明 务农情况证明 "
    "房屋坐落情况证明 集体经济组织成员身份证明 村民自建房情况证明 家庭成员情况证明"
).split()
VILLAGE_MUST_NOT = (
    "出生证明 健在证明 户籍登记信息证明 无犯罪记录证明 婚姻状况证明 纳税证明 房屋产权证明 收入证明 民族成分证明 "
    "遗失证明 道路交通事故证明 企业注册地证明 个人信用证明 火灾事故证明 参保缴费证明 学历证明 疾病证明 "
    "子女抚养证明 亲属关系证明 失业证明"
).split()
CERT_PURPOSES = ("办理社会救助", "办理医疗保险报销", "办理不动产登记", "办理户籍事项", "办理殡葬事宜", "办理涉农补贴")

LEAD_DUTIES = ("负责{o}的政策制定、业务指导和监督管理", "牵头组织{o}工作，统筹协调并承担主体责任",
               "制定{o}工作方案，组织实施、督促检查和考核", "负责{o}的审核把关和业务培训")
TOWNSHIP_DUTIES = ("配合做好辖区内{o}的宣传引导和信息报送", "协助开展{o}的日常巡查，发现问题及时报告",
                   "配合受理辖区{o}相关申请并初审", "配合做好{o}的摸底排查和台账建立")
RETURN_METHODS = ("由{d}直接实施", "由{d}组织专业力量实施，乡镇(街道)发现问题及时报告", "由{d}依法履行，乡镇(街道)不再承担",
                  "由{d}统一受理和办理")

COOP_TYPES = frozenset({"service", "other", "inspection", "confirmation", "payment", "reward"})
RETURN_TYPES = frozenset({"penalty", "license", "coercion", "adjudication", "levy", "inspection"})
DELEGABLE_TYPES = frozenset({"penalty", "inspection", "coercion"})
ADMIT_TYPES = frozenset({"service", "other"})


# =========================================================================== records
class _Matter:
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


class _Dept:
    __slots__ = ("id", "name", "dtype", "county", "items", "retained")

    def __init__(self, did, name, dtype, county):
        self.id, self.name, self.dtype, self.county = did, name, dtype, county
        self.items: list[str] = []
        self.retained: dict[str, list[str]] = {}


class _Village:
    __slots__ = ("id", "name", "form", "town", "removes", "own", "certify_only")

    def __init__(self, vid, name, form, town):
        self.id, self.name, self.form, self.town = vid, name, form, town
        self.removes: list[str] = []
        self.own: dict[str, list] = {k: [] for k in VPARTS}
        self.certify_only: bool | None = None


class _Town:
    __slots__ = ("id", "name", "form", "county", "villages", "removes", "own", "other_tpl", "offices")

    def __init__(self, tid, name, form, county):
        self.id, self.name, self.form, self.county = tid, name, form, county
        self.villages: list[_Village] = []
        self.removes: list[str] = []
        self.own: dict[str, list] = {k: [] for k in TPARTS}
        self.other_tpl: str | None = None
        self.offices: dict[str, str] = {}  # department type -> dispatched office id


class _County:
    def __init__(self, cid, name, city):
        self.id, self.name, self.city = cid, name, city
        self.abbr = name[:2]
        self.depts: list[_Dept] = []
        self.by_type: dict[str, _Dept] = {}
        self.towns: list[_Town] = []
        self.tpl: dict[str, list] = {k: [] for k in TPARTS}
        self.vtpl: dict[str, list] = {k: [] for k in VPARTS}
        self.vtpl_certify_only = False
        self.offices: list[tuple] = []
        self.task_force: tuple | None = None
        self.delegations: list[dict] = []
        self.admissions: list[dict] = []
        self.assignments: list[dict] = []
        self.matters: list[_Matter] = []  # matters defined in this county's file (injections)
        self.extra_templates: list[tuple] = []  # (id, name, basic matters) core-only templates
        self.used: set[str] = set()  # matters listed, delegated or admitted anywhere in the county
        self.inactive: tuple | None = None

    @property
    def tpl_id(self) -> str:
        return f"TPL-{self.id}"

    @property
    def vtpl_id(self) -> str:
        return f"VTPL-{self.id}"

    @property
    def notice(self) -> str:
        return f"B-{self.id}-BS"

    @property
    def entrustment(self) -> str:
        return f"B-{self.id}-WT"


class _City:
    def __init__(self, cid, name):
        self.id, self.name = cid, name
        self.counties: list[_County] = []
        self.depts: list[tuple[str, str]] = []


TPARTS = ("basic", "cooperative", "returned")
VPARTS = ("duties", "assisting", "negative", "may_certify", "must_not_certify")


@dataclass
class Manifest:
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


# =========================================================================== helpers
_PLAIN = re.compile(r"[A-Za-z\u4e00-\u9fff][0-9A-Za-z\u4e00-\u9fff\u3001-\u303f\uff01-\uff5e()·_.\-]*\Z")
_RESERVED = {"true", "false", "null", "yes", "no", "on", "off", "y", "n", "nan", "inf"}
_QCACHE: dict[str, str] = {}


def q(s: str) -> str:
    """`s` as a YAML flow scalar: plain when safe, else double-quoted (JSON strings are YAML)."""
    out = _QCACHE.get(s)
    if out is None:
        if _PLAIN.match(s) and s.lower() not in _RESERVED:
            out = s
        else:
            out = json.dumps(s, ensure_ascii=False)
        if len(_QCACHE) < 500_000:
            _QCACHE[s] = out
    return out


def qid(s: str) -> str:
    """An id, always quoted when it starts with a digit (division and credit codes)."""
    return f'"{s}"' if s[:1].isdigit() else q(s)


def _ids(xs) -> str:
    xs = list(xs)
    return qid(xs[0]) if len(xs) == 1 else "[" + ", ".join(qid(x) for x in xs) + "]"


CREDIT_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def credit_code(kind: str, region: str, org: str) -> str:
    """An 18-character unified social credit code (GB 32100) with a valid check character."""
    body = kind + region + org
    total = sum(CREDIT_CHARS.index(c) * w for c, w in zip(body, CREDIT_WEIGHTS))
    return body + CREDIT_CHARS[(31 - total % 31) % 31]


def normalise(name: str) -> str:
    text = unicodedata.normalize("NFKC", name)
    return "".join(ch for ch in text if not (ch.isspace() or unicodedata.category(ch)[0] in "PSZ"))


def _chars(s: str) -> dict[str, int]:
    out: dict[str, int] = {}
    for ch in s:
        out[ch] = out.get(ch, 0) + 1
    return out


def close_names(a: str, b: str, threshold: float = 0.78, ca: dict | None = None, cb: dict | None = None) -> bool:
    """Whether two normalised names are alike (a margin below the check's 85 %, same measure)."""
    if a == b:
        return True
    la, lb = len(a), len(b)
    if not la or not lb or 2 * min(la, lb) / (la + lb) < threshold:
        return False
    ca = ca or _chars(a)
    cb = cb or _chars(b)
    common = sum(min(n, cb.get(ch, 0)) for ch, n in ca.items())  # bounds the matched characters
    if 2 * common / (la + lb) < threshold:
        return False
    return difflib.SequenceMatcher(None, a, b, autojunk=False).ratio() >= threshold


def _rand_date(rng: random.Random, lo: dt.date, hi: dt.date) -> dt.date:
    if hi <= lo:
        return lo
    return lo + dt.timedelta(days=rng.randrange((hi - lo).days + 1))


# =========================================================================== generator
class _Gen:
    def __init__(self, townships: int, seed: int, templates: bool):
        if townships < 1:
            raise ValueError("townships must be at least 1")
        self.n = townships
        self.seed = seed
        self.templates = templates
        self.rng = random.Random(seed)
        self.rng_inj = random.Random(f"{seed}/inject")
        self.rng_asg = random.Random(f"{seed}/assign")
        self.matters: dict[str, _Matter] = {}
        self.names: set[str] = set()
        self.cities: list[_City] = []
        self.counties: list[_County] = []
        self.towns: list[_Town] = []
        self.village_index: dict[str, _Village] = {}
        self.town_index: dict[str, _Town] = {}
        self.bases: list[dict] = []
        self.manifest: list[dict] = []
        self.taint: set[tuple[str, str]] = set()
        self.pending: list[tuple[str, object]] = []  # assignment injections, run after the structure
        self.seq = {"asg": 0}
        self._norm_cache: dict[str, tuple[str, dict]] = {}
        self._vest_memo: dict[tuple[str, str], bool] = {}

    # ------------------------------------------------------------------ names
    def _place(self, suffix: str, used: set[str], n: int = 2) -> str:
        for _ in range(1000):
            name = "".join(self.rng.sample(PLACE_CHARS, n)) + suffix
            if name not in used:
                used.add(name)
                return name
        raise RuntimeError("ran out of place names")

    # ------------------------------------------------------------------ places
    def build(self) -> None:
        rng = self.rng
        self.province_name = self._place("省", set())
        self.pabbr = self.province_name[0]
        self.pid = "99"
        n_counties = max(min(2, self.n), round(self.n / 15))
        sizes = self._split(self.n, n_counties, 10, 20)
        n_cities = max(1, round(n_counties / 12.5))
        city_sizes = self._split(n_counties, n_cities, 10, 15)
        city_names: set[str] = set()
        county_names: set[str] = set()
        k = 0
        for ci, csize in enumerate(city_sizes):
            city = _City(f"{self.pid}{ci + 1:02d}", self._place("市", city_names))
            self.cities.append(city)
            for cj in range(csize):
                suffix = "区" if cj < 2 else "县"
                county = _County(f"{city.id}{cj + 2:02d}", self._place(suffix, county_names), city)
                city.counties.append(county)
                self.counties.append(county)
                self._towns(county, sizes[k])
                k += 1
        self._catalogue()
        self._bases()
        for city in self.cities:
            for i, (key, tname) in enumerate((("scjgj", "市场监督管理局"), ("sthjj", "生态环境局"),
                                              ("zrzyj", "自然资源和规划局"), ("zjj", "住房和城乡建设局"))):
                did = credit_code("11", city.id + "00", f"0{i + 1:02d}{rng.randrange(10**6):06d}")
                city.depts.append((did, f"{city.name}{tname}"))
        for county in self.counties:
            self._departments(county)
        for county in self.counties:
            self._township_lists(county)
            self._village_lists(county)
        for county in self.counties:
            self._delegations(county)
            self._admissions(county)

    def _split(self, total: int, parts: int, lo: int, hi: int) -> list[int]:
        raw = [self.rng.randint(lo, hi) for _ in range(parts)]
        scale = total / sum(raw)
        sizes = [max(1, round(r * scale)) for r in raw]
        diff = total - sum(sizes)
        i = 0
        while diff:
            j = i % parts
            if diff > 0:
                sizes[j] += 1
                diff -= 1
            elif sizes[j] > 1:
                sizes[j] -= 1
                diff += 1
            i += 1
        return sizes

    def _towns(self, county: _County, n: int) -> None:
        rng = self.rng
        used: set[str] = set()
        n_streets = round(n * rng.uniform(0.1, 0.35))
        for i in range(n):
            street = i < n_streets
            code = f"{county.id}{(i + 1) if street else (100 + i):03d}"
            name = self._place("街道" if street else rng.choice(("镇", "镇", "镇", "乡")), used)
            t = _Town(code, name, "street" if street else "township", county)
            county.towns.append(t)
            self.towns.append(t)
            self.town_index[t.id] = t
            vused: set[str] = set()
            nv = rng.randint(8, 18)
            n_comm = nv if street else round(nv * rng.uniform(0.0, 0.2))
            for j in range(nv):
                comm = j < n_comm
                vcode = f"{code}{(j + 1) if comm else (200 + j):03d}"
                vname = self._place(rng.choice(COMMUNITY_SUFFIX) if comm else "村", vused)
                v = _Village(vcode, vname, "community" if comm else "village", t)
                t.villages.append(v)
                self.village_index[v.id] = v

    # ------------------------------------------------------------------ catalogue
    def _add_matter(self, m: _Matter) -> _Matter:
        key = normalise(m.name)
        if key in self.names:
            raise ValueError(f"duplicate matter name {m.name}")
        self.names.add(key)
        self.matters[m.id] = m
        return m

    def _catalogue(self) -> None:
        rng = self.rng
        for di, (domain, names) in enumerate(BASIC_CORE, 1):
            for i, name in enumerate(names.split(), 1):
                self._add_matter(_Matter(f"JB{di}{i:02d}", name, domain, "other", levels=("township",),
                                         kind="basic", core=True))
        self.basic_core = [m.id for m in self.matters.values() if m.kind == "basic"]
        self.by_dtype: dict[str, list[str]] = {}
        for ti, (key, _n, short, domain, core, objects, law, _lk) in enumerate(DEPT_TYPES, 1):
            ids = []
            seq: dict[str, int] = {}
            for obj in objects.split():
                for p, tpl, ptype, flag in MATTER_TEMPLATES:
                    if p < 1.0 and rng.random() >= p:
                        continue
                    name = tpl.format(o=obj)
                    if normalise(name) in self.names:
                        name = f"{short}领域{name}"
                    seq[ptype] = seq.get(ptype, 0) + 1
                    mid = f"{PT_CODE[ptype]}{ti:02d}{seq[ptype]:03d}"
                    tags = []
                    if ptype in ("penalty", "coercion"):
                        tags.append("enforcement")
                    if "违法建设" in obj:
                        tags.append("demolition")
                    if key == "yjj" or "安全生产" in obj:
                        tags.append("work_safety")
                    if key == "tcj":
                        tags.append("investment_promotion")
                    basis = f"B-CN-{key.upper()}" if law and ptype in ("penalty", "license", "inspection", "coercion") else None
                    self._add_matter(_Matter(
                        mid, name, domain, ptype, basis=basis, levels=("county", "township") if core else ("county",),
                        major=flag == "major", specialist=flag == "specialist", tags=tuple(tags), dtype=key,
                        obj=obj, core=core))
                    ids.append(mid)
            self.by_dtype[key] = ids
        self.v_duties = [self._add_matter(_Matter(f"VY{i:02d}", n, "村(社区)自治", "other", basis="B-CN-CWH",
                                                  levels=("village",), kind="vduty")).id
                         for i, n in enumerate(VILLAGE_DUTIES, 1)]
        self.v_assisting = []
        self.v_assist_info: dict[str, tuple[str, str]] = {}
        for i, (n, dtype, cat, tags) in enumerate(VILLAGE_ASSISTING, 1):
            m = self._add_matter(_Matter(f"VX{i:02d}", n, cat, "service", levels=("village",), tags=tags,
                                         kind="vassist", dtype=dtype))
            self.v_assisting.append(m.id)
            self.v_assist_info[m.id] = (dtype, cat)
        self.v_negative = [self._add_matter(_Matter(f"VF{i:02d}", n, "基层减负", "other", levels=("county",), tags=tags,
                                                    kind="vneg")).id for i, (n, tags) in enumerate(VILLAGE_NEGATIVE, 1)]
        self.v_may = [self._add_matter(_Matter(f"VZ{i:02d}", n, "证明事项", "certification", basis="B-CN-ZMQL",
                                               levels=("village",), kind="vmay")).id
                      for i, n in enumerate(VILLAGE_MAY_CERTIFY, 1)]
        self.v_must = [self._add_matter(_Matter(f"VB{i:02d}", n, "证明事项", "certification", levels=("village",),
                                                kind="vmust")).id for i, n in enumerate(VILLAGE_MUST_NOT, 1)]

    def _bases(self) -> None:
        p, a = self.province_name, self.pabbr
        for i, (key, _n, _s, _d, _c, _o, law, lkind) in enumerate(DEPT_TYPES):
            if not law:
                continue
            number = f"主席令第{20 + i * 3}号" if lkind == "law" else (f"国务院令第{600 + i * 7}号" if lkind == "regulation"
                                                                  else f"商务部令{2019 + i % 5}年第{i % 9 + 1}号")
            self.bases.append({"id": f"B-CN-{key.upper()}", "number": number, "title": law,
                               "issuer": "全国人民代表大会常务委员会" if lkind == "law" else "国务院" if lkind == "regulation" else "商务部",
                               "level": "central", "kind": lkind, "issued": D(2010 + i % 12, 1 + i % 12, 1 + i % 27)})
        self.bases += [
            {"id": "B-CN-CWH", "number": "主席令第37号", "title": "中华人民共和国村民委员会组织法",
             "issuer": "全国人民代表大会常务委员会", "level": "central", "kind": "law", "issued": D(2018, 12, 29)},
            {"id": "B-CN-ZMQL", "number": "国办发〔2018〕47号", "title": "国务院办公厅关于做好证明事项清理工作的通知",
             "issuer": "国务院办公厅", "level": "central", "kind": "notice", "issued": D(2018, 6, 15)},
            {"id": "B-CN-XZCF", "number": "主席令第70号", "title": "中华人民共和国行政处罚法",
             "issuer": "全国人民代表大会常务委员会", "level": "central", "kind": "law", "issued": D(2021, 1, 22)},
            {"id": f"B-{self.pid}-FQJD", "number": f"{a}政字〔2024〕12号",
             "title": f"{p}人民政府关于赋予乡镇（街道）部分县级行政执法权限的决定", "issuer": f"{p}人民政府",
             "level": "province", "kind": "decision", "issued": D(2024, 3, 15)},
            {"id": f"B-{self.pid}-BS", "number": f"{a}办发〔2024〕21号",
             "title": f"中共{p}委办公厅 {p}人民政府办公厅关于建立乡镇（街道）履行职责事项清单和事项准入制度的通知",
             "issuer": f"中共{p}委办公厅", "level": "province", "kind": "deployment", "issued": D(2024, 6, 20)},
        ]
        self.decision = f"B-{self.pid}-FQJD"
        self.deployment = f"B-{self.pid}-BS"

    # ------------------------------------------------------------------ departments
    def _departments(self, county: _County) -> None:
        rng = self.rng
        optional = [t for t in DEPT_TYPES if not t[4]]
        chosen = [t for t in DEPT_TYPES if t[4]] + rng.sample(optional, rng.randint(0, len(optional)))
        org = rng.sample(range(10**5, 10**6), len(chosen) + 4 * len(county.towns) + 4)
        for i, (key, tname, *_rest) in enumerate(chosen):
            did = credit_code("11", county.id, f"0{i + 1:02d}{org[i]:06d}")
            dept = _Dept(did, f"{county.name}{tname}", key, county)
            dept.items = list(self.by_dtype[key])
            county.depts.append(dept)
            county.by_type[key] = dept
        k = len(chosen)
        for t in county.towns:
            place = t.name[:2]
            for key, oname in (("scjgj", "市场监管所"), ("zrzyj", "自然资源所"), ("sfj", "司法所")):
                if key == "zrzyj" and t.form == "street" and rng.random() < 0.5:
                    continue
                oid = credit_code("11", county.id, f"{k % 100:02d}{org[k] % 10**6:06d}D")
                k += 1
                parent = county.by_type[key]
                county.offices.append((oid, f"{parent.name}{place}{oname}", parent.id, t.id))
                t.offices[key] = oid
        tf_parent = county.by_type["zjj"]
        county.task_force = (f"ZB{county.id}01", f"{county.name}城乡人居环境提升工作专班", tf_parent.id)

    def holder(self, county: _County, matter: str) -> _Dept:
        return county.by_type[self.matters[matter].dtype]

    # ------------------------------------------------------------------ township lists
    def _coop(self, matter: str, leads, county: _County) -> tuple:
        m = self.matters[matter]
        o = m.obj or m.name
        return (matter, tuple(leads), self.rng.choice(LEAD_DUTIES).format(o=o),
                self.rng.choice(TOWNSHIP_DUTIES).format(o=o))

    def _ret(self, matter: str, takers, county: _County) -> tuple:
        name = county.by_type[self.matters[matter].dtype].name if self.matters[matter].dtype in county.by_type else "县级部门"
        return (matter, tuple(takers), self.rng.choice(RETURN_METHODS).format(d=name))

    def _pools(self, county: _County) -> dict[str, list[str]]:
        pools: dict[str, list[str]] = {"basic": [], "cooperative": [], "returned": []}
        for dept in county.depts:
            for mid in self.by_dtype[dept.dtype]:
                m = self.matters[mid]
                if not m.core:
                    continue
                if m.ptype in ("service", "other"):
                    pools["basic"].append(mid)
                if m.ptype in COOP_TYPES and m.plain:
                    pools["cooperative"].append(mid)
                if m.ptype in RETURN_TYPES and (m.ptype != "inspection" or m.specialist):
                    pools["returned"].append(mid)
        return pools

    def _township_lists(self, county: _County) -> None:
        rng = self.rng
        pools = self._pools(county)
        taken: set[str] = set()

        def draw(pool: list[str], k: int) -> list[str]:
            out = []
            for mid in rng.sample(pool, min(len(pool), k * 2 + 10)):
                if mid not in taken:
                    taken.add(mid)
                    out.append(mid)
                    if len(out) == k:
                        break
            return out

        extras = draw(pools["basic"], rng.randint(2, 5))
        county.tpl["basic"] = [(m,) for m in self.basic_core] + [(m,) for m in extras]
        county.tpl["cooperative"] = [self._coop(m, (self.holder(county, m).id,), county)
                                     for m in draw(pools["cooperative"], rng.randint(95, 103))]
        county.tpl["returned"] = [self._ret(m, (self.holder(county, m).id,), county)
                                  for m in draw(pools["returned"], rng.randint(120, 128))]
        reserve = {part: [m for m in pools[part] if m not in taken] for part in TPARTS}
        for m in taken:
            county.used.add(m)
        for t in county.towns:
            mine: set[str] = set()
            plan = {"basic": (rng.randint(0, 1), rng.randint(0, 2)), "cooperative": (rng.randint(0, 4), rng.randint(0, 4)),
                    "returned": (rng.randint(0, 4), rng.randint(0, 4))}
            for part in TPARTS:
                n_remove, n_add = plan[part]
                removable = [e[0] for e in county.tpl[part] if e[0] not in self._core_set]
                for mid in rng.sample(removable, min(n_remove, len(removable))):
                    t.removes.append(mid)
                for mid in rng.sample(reserve[part], min(len(reserve[part]), n_add * 3 + 3)):
                    if n_add == 0:
                        break
                    if mid in mine:
                        continue
                    mine.add(mid)
                    county.used.add(mid)
                    n_add -= 1
                    if part == "basic":
                        t.own["basic"].append((mid,))
                    elif part == "cooperative":
                        t.own["cooperative"].append(self._coop(mid, (self.holder(county, mid).id,), county))
                    else:
                        t.own["returned"].append(self._ret(mid, (self.holder(county, mid).id,), county))

    @property
    def _core_set(self) -> frozenset:
        cs = getattr(self, "_core_cache", None)
        if cs is None:
            cs = self._core_cache = frozenset(self.basic_core)
        return cs

    def effective(self, t: _Town) -> dict[str, list]:
        county = t.county
        removed = set(t.removes)
        return {part: [e for e in county.tpl[part] if e[0] not in removed] + t.own[part] for part in TPARTS}

    def listed(self, t: _Town) -> set[str]:
        eff = self.effective(t)
        return {e[0] for part in TPARTS for e in eff[part]}

    # ------------------------------------------------------------------ village lists
    def _assist(self, mid: str, county: _County) -> tuple:
        dtype, cat = self.v_assist_info[mid]
        return (mid, county.by_type[dtype].id, cat)

    def _may(self, mid: str) -> tuple:
        return (mid, "B-CN-ZMQL", self.rng.choice(CERT_PURPOSES))

    def _village_lists(self, county: _County) -> None:
        rng = self.rng
        vt = county.vtpl
        vt["duties"] = [(m,) for m in rng.sample(self.v_duties, 12)]
        tagged = [m for m in self.v_assisting if self.matters[m].tags]
        first = rng.choice(tagged)
        rest = rng.sample([m for m in self.v_assisting if m != first], 13)
        vt["assisting"] = [self._assist(m, county) for m in [first, *rest]]
        vt["negative"] = [(m,) for m in rng.sample(self.v_negative, 6)]
        vt["may_certify"] = [self._may(m) for m in rng.sample(self.v_may, 3)]
        vt["must_not_certify"] = [(m,) for m in rng.sample(self.v_must, 5)]
        county.vtpl_certify_only = rng.random() < 0.3
        in_tpl = {e[0] for e in vt["assisting"]}
        spare = [m for m in self.v_assisting if m not in in_tpl]
        for t in county.towns:
            for v in t.villages:
                if rng.random() < 0.1:
                    drop = rng.choice(vt["assisting"])[0]
                    if drop != first:
                        v.removes.append(drop)
                    v.own["assisting"].append(self._assist(rng.choice(spare), county))

    def v_effective(self, v: _Village) -> dict[str, list]:
        vt = v.town.county.vtpl
        removed = set(v.removes)
        return {part: [e for e in vt[part] if e[0] not in removed] + v.own[part] for part in VPARTS}

    # ------------------------------------------------------------------ delegations and admissions
    def _evaluation(self, since: dt.date) -> tuple[int, dt.date | None]:
        rng = self.rng
        every = rng.choice((12, 12, 24, 36))
        if add_months(since, every) > CHECK_DATE + dt.timedelta(days=30) and rng.random() < 0.5:
            return every, None
        lo = max(since, add_months(CHECK_DATE, -every) + dt.timedelta(days=30))
        return every, _rand_date(rng, lo, D(2026, 11, 1))

    def _delegations(self, county: _County) -> None:
        rng = self.rng
        pool = [m for d in county.depts for m in self.by_dtype[d.dtype]
                if self.matters[m].core and self.matters[m].ptype in DELEGABLE_TYPES and self.matters[m].plain
                and m not in county.used]
        k = max(1, round(0.2 * len(county.towns)))
        pilots = rng.sample(county.towns, min(k, len(county.towns)))
        pilots.sort(key=lambda t: t.id)
        per_matter: dict[str, list[str]] = {}
        for t in pilots:
            for mid in rng.sample(pool, min(len(pool), rng.randint(20, 90))):
                per_matter.setdefault(mid, []).append(t.id)
        for mid in sorted(per_matter):
            county.used.add(mid)
            self._delegation(county, mid, self.holder(county, mid).id, per_matter[mid],
                             mode="grant" if rng.random() < 0.85 else "entrust")

    def _delegation(self, county: _County, mid: str, dept: str, towns: list[str], *, mode: str = "grant",
                    basis: str | None = "", since: dt.date | None = None, evaluation=True, revoked=None) -> dict:
        rng = self.rng
        since = since or _rand_date(rng, D(2024, 4, 1), D(2026, 6, 30))
        if basis == "":
            basis = self.decision if mode == "grant" else county.entrustment
        ev = self._evaluation(since) if evaluation is True else evaluation
        rec = {"id": f"FQ{county.id}{len(county.delegations) + 1:03d}", "matter": mid, "department": dept,
               "townships": list(towns), "mode": mode, "basis": basis, "since": since,
               "scope": "本乡镇(街道)行政区域" if rng.random() < 0.3 else None, "evaluation": ev, "revoked": revoked}
        county.delegations.append(rec)
        return rec

    def _admissions(self, county: _County) -> None:
        rng = self.rng
        pool = [m for d in county.depts for m in self.by_dtype[d.dtype]
                if self.matters[m].core and self.matters[m].ptype in ADMIT_TYPES and m not in county.used]
        for mid in rng.sample(pool, min(len(pool), rng.randint(2, 4))):
            county.used.add(mid)
            targets = sorted(t.id for t in rng.sample(county.towns, min(len(county.towns), rng.randint(1, 4))))
            if rng.random() < 0.5:
                since, until, term = _rand_date(rng, D(2026, 2, 1), D(2026, 9, 1)), D(2027, 6, 30), "short"
            else:
                since, until, term = _rand_date(rng, D(2025, 6, 1), D(2026, 6, 1)), None, "long"
            self._admission(county, mid, self.holder(county, mid).id, targets, term, since, until)

    def _admission(self, county, mid, applicant, targets, term, since, until) -> dict:
        n = len(county.admissions) + 1
        rec = {"id": f"ZR{county.id}{n:02d}", "matter": mid, "applicant": applicant, "targets": list(targets),
               "term": term, "since": since, "until": until, "basis": self.deployment,
               "document": f"{county.abbr}准〔{since.year}〕{n}号"}
        county.admissions.append(rec)
        return rec

    # ------------------------------------------------------------------ injections
    def inject(self, violations: dict[str, int]) -> None:
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
        for _ in range(len(self._inj_order)):
            t = self._inj_order[self._inj_pos % len(self._inj_order)]
            self._inj_pos += 1
            subject = fn(t)
            if subject is not None:
                return subject
        raise ValueError(f"cannot inject {rule} into this tree: it needs more townships "
                         f"(rules naming another county need at least 2 counties, i.e. --townships 2 or more)")

    def _other_county(self, county: _County) -> _County | None:
        others = [c for c in self.counties if c is not county]
        return others[self._inj_pos % len(others)] if others else None

    def _free(self, t: _Town, types=None, *, plain: bool | None = True, major=None, specialist=None,
              vest_safe: bool = False) -> str | None:
        county = t.county
        rng = self.rng_inj
        cands = []
        for dept in county.depts:
            for mid in self.by_dtype[dept.dtype]:
                m = self.matters[mid]
                if not m.core or mid in county.used:
                    continue
                if types is not None and m.ptype not in types:
                    continue
                if plain is not None and m.plain != plain:
                    continue
                if major is not None and m.major != major:
                    continue
                if specialist is not None and m.specialist != specialist:
                    continue
                cands.append(mid)
        rng.shuffle(cands)
        for mid in cands:
            if vest_safe and not self._vest_safe(t, mid):
                continue
            county.used.add(mid)
            return mid
        return None

    def _other_dept(self, county: _County, not_type: str, core: bool = True) -> _Dept:
        cands = [d for d in county.depts if d.dtype != not_type and (not core or self._is_core(d.dtype))]
        return self.rng_inj.choice(cands)

    @staticmethod
    def _is_core(dtype: str) -> bool:
        return dtype in CORE_TYPES

    def _mark(self, unit: str, matter: str) -> None:
        self.taint.add((unit, matter))

    # ----- overlap
    def _inj_overlap_basic_cooperative(self, t):
        x = self._free(t, COOP_TYPES)
        if x is None:
            return None
        c = t.county
        t.own["basic"].append((x,))
        t.own["cooperative"].append(self._coop(x, (self.holder(c, x).id,), c))
        self._mark(t.id, x)
        return f"{t.id}/{x}"

    def _inj_overlap_basic_returned(self, t):
        x = self._free(t, COOP_TYPES)
        if x is None:
            return None
        c = t.county
        t.own["basic"].append((x,))
        t.own["returned"].append(self._ret(x, (self.holder(c, x).id,), c))
        self._mark(t.id, x)
        return f"{t.id}/{x}"

    def _inj_overlap_cooperative_returned(self, t):
        x = self._free(t, COOP_TYPES)
        if x is None:
            return None
        c = t.county
        t.own["cooperative"].append(self._coop(x, (self.holder(c, x).id,), c))
        t.own["returned"].append(self._ret(x, (self.holder(c, x).id,), c))
        self._mark(t.id, x)
        return f"{t.id}/{x}"

    def _second_holder(self, c: _County, x: str) -> _Dept:
        d2 = self._other_dept(c, self.matters[x].dtype)
        d2.items.append(x)
        return d2

    def _inj_overlap_returned_two_departments(self, t):
        x = self._free(t, RETURN_TYPES - {"inspection"})
        if x is None:
            return None
        c = t.county
        d2 = self._second_holder(c, x)
        t.own["returned"].append(self._ret(x, (self.holder(c, x).id, d2.id), c))
        self._mark(t.id, x)
        return f"{t.id}/{x}"

    def _inj_overlap_two_leads(self, t):
        x = self._free(t, COOP_TYPES)
        if x is None:
            return None
        c = t.county
        d2 = self._second_holder(c, x)
        t.own["cooperative"].append(self._coop(x, (self.holder(c, x).id, d2.id), c))
        self._mark(t.id, x)
        return f"{t.id}/{x}"

    def _grant(self, t: _Town, x: str, **kw) -> dict:
        c = t.county
        kw.setdefault("since", _rand_date(self.rng_inj, D(2025, 1, 1), D(2026, 6, 30)))
        dept = kw.pop("dept", None) or self.holder(c, x).id
        return self._delegation(c, x, dept, kw.pop("towns", [t.id]), **kw)

    def _inj_overlap_grant_returned(self, t):
        x = self._free(t, DELEGABLE_TYPES)
        if x is None:
            return None
        c = t.county
        t.own["returned"].append(self._ret(x, (self.holder(c, x).id,), c))
        self._grant(t, x)
        self._mark(t.id, x)
        return f"{t.id}/{x}"

    def _inj_overlap_grant_cooperative(self, t):
        x = self._free(t, DELEGABLE_TYPES & COOP_TYPES)
        if x is None:
            return None
        c = t.county
        t.own["cooperative"].append(self._coop(x, (self.holder(c, x).id,), c))
        self._grant(t, x)
        self._mark(t.id, x)
        return f"{t.id}/{x}"

    def _inj_overlap_grant_exercised(self, t):
        x = self._free(t, DELEGABLE_TYPES)
        if x is None:
            return None
        c = t.county
        self._grant(t, x)
        self.holder(c, x).retained.setdefault(x, []).append(t.id)
        self._mark(t.id, x)
        return f"{t.id}/{x}"

    def _inj_overlap_negative_assisting(self, t):
        for v in self.rng_inj.sample(t.villages, len(t.villages)):
            eff = self.v_effective(v)
            if v.own["negative"] or any((v.id, e[0]) in self.taint for e in eff["negative"]):
                continue
            n = self.rng_inj.choice(eff["negative"])[0]
            dept = self._other_dept(t.county, "")
            v.own["assisting"].append((n, dept.id, "其他"))
            self._mark(v.id, n)
            return f"{v.id}/{n}"
        return None

    # ----- missing owner
    def _inj_missing_lead(self, t):
        x = self._free(t, COOP_TYPES)
        if x is None:
            return None
        t.own["cooperative"].append(self._coop(x, (), t.county))
        self._mark(t.id, x)
        return f"{t.id}/{x}"

    def _inj_lead_outside_county(self, t):
        other = self._other_county(t.county)
        if other is None:
            return None
        x = self._free(t, COOP_TYPES)
        if x is None:
            return None
        t.own["cooperative"].append(self._coop(x, (self.holder(other, x).id,), t.county))
        self._mark(t.id, x)
        return f"{t.id}/{x}"

    def _inj_lead_without_power(self, t):
        x = self._free(t, COOP_TYPES)
        if x is None:
            return None
        d2 = self._other_dept(t.county, self.matters[x].dtype)
        t.own["cooperative"].append(self._coop(x, (d2.id,), t.county))
        self._mark(t.id, x)
        return f"{t.id}/{x}"

    def _inj_missing_taker(self, t):
        x = self._free(t, RETURN_TYPES - {"inspection"})
        if x is None:
            return None
        t.own["returned"].append(self._ret(x, (), t.county))
        self._mark(t.id, x)
        return f"{t.id}/{x}"

    def _inj_taker_without_power(self, t):
        x = self._free(t, RETURN_TYPES - {"inspection"})
        if x is None:
            return None
        d2 = self._other_dept(t.county, self.matters[x].dtype)
        t.own["returned"].append(self._ret(x, (d2.id,), t.county))
        self._mark(t.id, x)
        return f"{t.id}/{x}"

    def _inj_missing_owner(self, t):
        cands = [b for b in self.basic_core if (t.id, b) not in self.taint]
        if not cands:
            return None
        b = self.rng_inj.choice(cands)
        if any(e[0] == b for e in t.own["basic"]):
            t.own["basic"] = [e for e in t.own["basic"] if e[0] != b]
        else:
            t.removes.append(b)
        self._mark(t.id, b)
        return f"{t.id}/{b}"

    # ----- delegations
    def _inj_delegation_not_held(self, t):
        x = self._free(t, DELEGABLE_TYPES)
        if x is None:
            return None
        d2 = self._other_dept(t.county, self.matters[x].dtype)
        self._mark(t.id, x)
        return self._grant(t, x, dept=d2.id)["id"]

    def _inj_delegation_other_county(self, t):
        other = self._other_county(t.county)
        if other is None:
            return None
        x = self._free(t, DELEGABLE_TYPES)
        if x is None:
            return None
        self._mark(t.id, x)
        return self._grant(t, x, dept=self.holder(other, x).id)["id"]

    def _inj_delegation_grant_basis(self, t):
        x = self._free(t, {"penalty"})
        if x is None:
            return None
        self._mark(t.id, x)
        return self._grant(t, x, basis=t.county.notice)["id"]

    def _inj_delegation_entrust_basis(self, t):
        x = self._free(t, DELEGABLE_TYPES)
        if x is None:
            return None
        self._mark(t.id, x)
        return self._grant(t, x, mode="entrust", basis=self.decision)["id"]

    def _inj_delegation_major_penalty(self, t):
        x = self._free(t, {"penalty"}, plain=None, major=True, specialist=False)
        if x is None:
            return None
        self._mark(t.id, x)
        return self._grant(t, x)["id"]

    def _inj_delegation_specialist(self, t):
        x = self._free(t, {"inspection"}, plain=None, major=False, specialist=True)
        if x is None:
            return None
        self._mark(t.id, x)
        return self._grant(t, x)["id"]

    def _inj_delegation_to_village(self, t):
        x = self._free(t, DELEGABLE_TYPES)
        if x is None:
            return None
        v = self.rng_inj.choice(t.villages)
        self._mark(v.id, x)
        return self._grant(t, x, towns=[v.id])["id"]

    def _inj_entrust_onward(self, t):
        x = self._free(t, DELEGABLE_TYPES)
        if x is None:
            return None
        others = [o for o in t.county.towns if o is not t]
        giver = self.rng_inj.choice(others) if others else t
        self._mark(t.id, x)
        return self._grant(t, x, dept=giver.id, mode="entrust")["id"]

    def _inj_evaluation_overdue(self, t):
        x = self._free(t, DELEGABLE_TYPES)
        if x is None:
            return None
        self._mark(t.id, x)
        last = _rand_date(self.rng_inj, D(2024, 6, 1), D(2025, 10, 31))
        return self._grant(t, x, since=D(2024, 5, 1), evaluation=(12, last))["id"]

    def _inj_evaluation_missing(self, t):
        x = self._free(t, DELEGABLE_TYPES)
        if x is None:
            return None
        self._mark(t.id, x)
        return self._grant(t, x, evaluation=None)["id"]

    # ----- templates
    def _inj_template_other_county(self, t):
        if t.other_tpl is not None:
            return None
        other = self._other_county(t.county)
        if other is None:
            return None
        tid = f"TPL-{other.id}-JB"
        if not any(x[0] == tid for x in other.extra_templates):
            other.extra_templates.append((tid, f"{other.name}乡镇(街道)基本履职事项清单（共性部分）", list(self.basic_core)))
        t.other_tpl = tid
        return t.id

    # ----- assignments (run after every structural change)
    def _asg(self, county: _County, by: str, to: str, matter: str, date: dt.date, *, kind: str = "task",
             role: str = "execute", basis: str | None = None, document: str | None = None) -> dict:
        self.seq["asg"] += 1
        rec = {"id": f"PD{county.id}{self.seq['asg']:06d}", "by": by, "to": to, "matter": matter, "date": date,
               "kind": kind, "role": role, "basis": basis, "document": document}
        county.assignments.append(rec)
        return rec

    def _asg_date(self, lo: dt.date = D(2026, 1, 5)) -> dt.date:
        return _rand_date(self.rng_asg, max(lo, D(2026, 1, 5)), D(2026, 11, 20))

    def _norm(self, matter: str) -> tuple[str, dict]:
        out = self._norm_cache.get(matter)
        if out is None:
            text = normalise(self.matters[matter].name)
            out = self._norm_cache[matter] = (text, _chars(text))
        return out

    def _unsafe_with(self, matter: str, returned) -> bool:
        a, ca = self._norm(matter)
        for e in returned:
            b, cb = self._norm(e[0])
            if close_names(a, b, ca=ca, cb=cb):
                return True
        return False

    def _vest_safe(self, t: _Town, matter: str) -> bool:
        """Whether assigning `matter` to `t` stays clear of pushdown-new-vest (vs t's returned items)."""
        c = t.county
        key = (c.id, matter)
        tpl_unsafe = self._vest_memo.get(key)
        if tpl_unsafe is None:
            tpl_unsafe = self._vest_memo[key] = self._unsafe_with(matter, c.tpl["returned"])
        if tpl_unsafe:  # maybe only because of a template item this township removed
            return not self._unsafe_with(matter, self.effective(t)["returned"])
        return not self._unsafe_with(matter, t.own["returned"])

    def _pick(self, t: _Town, entries, *, vest: bool = True, unit: str | None = None):
        unit = unit or t.id
        cands = [e for e in entries if (unit, e[0]) not in self.taint]
        self.rng_asg.shuffle(cands)
        for e in cands:
            if not vest or self._vest_safe(t, e[0]):
                return e
        return None

    def _inj_pushdown_unlisted(self, t):
        x = self._free(t, None, plain=None, vest_safe=True)
        if x is None:
            return None
        self._mark(t.id, x)
        return self._asg(t.county, self.holder(t.county, x).id, t.id, x, self._asg_date())["id"]

    def _inj_pushdown_no_standing(self, t):
        e = self._pick(t, self.effective(t)["cooperative"])
        if e is None:
            return None
        actor = self._other_dept(t.county, self.matters[e[0]].dtype)
        self._mark(t.id, e[0])
        return self._asg(t.county, actor.id, t.id, e[0], self._asg_date())["id"]

    def _inj_pushdown_returned(self, t):
        e = self._pick(t, [e for e in self.effective(t)["returned"] if e[1]], vest=False)
        if e is None:
            return None
        self._mark(t.id, e[0])
        return self._asg(t.county, e[1][0], t.id, e[0], self._asg_date(), kind="responsibility_letter")["id"]

    def _village_entry(self, t: _Town, part: str, pred=None):
        for v in self.rng_inj.sample(t.villages, len(t.villages)):
            eff = self.v_effective(v)
            cands = [e for e in eff[part] if (v.id, e[0]) not in self.taint and (pred is None or pred(e))]
            if cands:
                e = self.rng_inj.choice(cands)
                self._mark(v.id, e[0])
                return v, e
        return None, None

    def _inj_pushdown_negative(self, t):
        v, e = self._village_entry(t, "negative")
        if v is None:
            return None
        return self._asg(t.county, t.id, v.id, e[0], self._asg_date())["id"]

    def _inj_village_responsible(self, t):
        v, e = self._village_entry(t, "assisting", lambda e: bool(self.matters[e[0]].tags))
        if v is None:
            return None
        return self._asg(t.county, t.id, v.id, e[0], self._asg_date(), role="responsible")["id"]

    def _inj_certification_forbidden(self, t):
        v, e = self._village_entry(t, "must_not_certify")
        if v is None:
            return None
        return self._asg(t.county, t.id, v.id, e[0], self._asg_date(), kind="certification_request")["id"]

    def _inj_certification_unlisted(self, t):
        for v in self.rng_inj.sample(t.villages, len(t.villages)):
            eff = self.v_effective(v)
            on_lists = {e[0] for part in VPARTS for e in eff[part]}
            cands = [m for m in self.v_may + self.v_must if m not in on_lists and (v.id, m) not in self.taint]
            if not cands:
                continue
            m = self.rng_inj.choice(cands)
            v.certify_only = True
            self._mark(v.id, m)
            return self._asg(t.county, t.id, v.id, m, self._asg_date(), kind="certification_request")["id"]
        return None

    def _inj_level_skipping(self, t):
        e = self._pick(t, [e for e in self.effective(t)["basic"] if e[0] in self._core_set])
        if e is None:
            return None
        self._mark(t.id, e[0])
        city_dept = self.rng_inj.choice(t.county.city.depts)[0]
        return self._asg(t.county, city_dept, t.id, e[0], self._asg_date())["id"]

    def _inj_other_county(self, t):
        other = self._other_county(t.county)
        if other is None:
            return None
        e = self._pick(t, [e for e in self.effective(t)["cooperative"] if len(e[1]) == 1])
        if e is None:
            return None
        self._mark(t.id, e[0])
        return self._asg(t.county, self.holder(other, e[0]).id, t.id, e[0], self._asg_date())["id"]

    def _inj_village_bypass(self, t):
        v, e = self._village_entry(t, "duties")
        if v is None:
            return None
        actor = self._other_dept(t.county, "")
        return self._asg(t.county, actor.id, v.id, e[0], self._asg_date())["id"]

    def _inj_unit_inactive(self, t):
        c = t.county
        e = self._pick(t, [e for e in self.effective(t)["basic"] if e[0] in self._core_set])
        if e is None:
            return None
        if c.inactive is None:
            did = credit_code("11", c.id, f"099{self.rng_inj.randrange(10**6):06d}")
            c.inactive = (did, f"{c.name}城市管理局（已并入综合行政执法局）", D(2025, 6, 30))
        self._mark(t.id, e[0])
        return self._asg(c, c.inactive[0], t.id, e[0], self._asg_date())["id"]

    def _inj_lapse_after_exit(self, t):
        x = self._free(t, ADMIT_TYPES, vest_safe=True)
        if x is None:
            return None
        c = t.county
        dept = self.holder(c, x).id
        self._admission(c, x, dept, [t.id], "short", D(2025, 3, 1), D(2025, 12, 31))
        self._mark(t.id, x)
        return self._asg(c, dept, t.id, x, self._asg_date())["id"]

    def _inj_lapse_after_revocation(self, t):
        x = self._free(t, DELEGABLE_TYPES, vest_safe=True)
        if x is None:
            return None
        c = t.county
        revoked = (D(2026, 1, 15), "承接乡镇长期未行使，评估后收回")
        self._grant(t, x, since=D(2024, 9, 1), revoked=revoked)
        self._mark(t.id, x)
        return self._asg(c, self.holder(c, x).id, t.id, x, self._asg_date(D(2026, 2, 1)))["id"]

    def _inj_pushdown_new_vest(self, t):
        e = self._pick(t, [e for e in self.effective(t)["returned"] if e[1]], vest=False)
        if e is None:
            return None
        c = t.county
        r = self.matters[e[0]]
        name = r.name + "工作" if len(normalise(r.name)) >= 8 else r.name[:2] + " " + r.name[2:]
        if normalise(name) in self.names:
            return None
        mid = f"{r.id}-{len(c.matters) + 1}"
        m = _Matter(mid, name, r.domain, "other", levels=("county",), dtype=r.dtype, obj=r.obj, core=False,
                    kind="injected")
        self.names.add(normalise(name))
        self.matters[mid] = m
        c.matters.append(m)
        dept = self.holder(c, r.id)
        dept.items.append(mid)
        t.own["cooperative"].append(self._coop(mid, (dept.id,), c))
        self._mark(t.id, e[0])
        self._mark(t.id, mid)
        return self._asg(c, dept.id, t.id, mid, self._asg_date())["id"]

    # ------------------------------------------------------------------ assignments
    def assignments(self) -> None:
        # injected pushdowns first (they see the final lists), then the clean ones
        for rule, fn in self.pending:
            self.manifest.append({"rule": rule, "subject": self._try(rule, fn)})
        rng = self.rng_asg
        grants: dict[str, list[dict]] = {}
        admitted: dict[str, list[dict]] = {}
        for c in self.counties:
            for dl in c.delegations:
                dtype = self.matters[dl["matter"]].dtype
                if dl["revoked"] is None and dtype in c.by_type and dl["department"] == c.by_type[dtype].id:
                    for tid in dl["townships"]:
                        grants.setdefault(tid, []).append(dl)
            for ad in c.admissions:
                if ad["until"] is None or ad["until"] >= CHECK_DATE:
                    for tid in ad["targets"]:
                        admitted.setdefault(tid, []).append(ad)
        kinds = ("task",) * 17 + ("responsibility_letter", "assessment", "office_or_signboard")
        for t in self.towns:
            c = t.county
            eff = self.effective(t)
            want = rng.choice((4, 5, 5, 5, 6))
            made = 0
            plan = ["gov", "coop", "grant", "admit", "village", "supervisor", "cert", "coop", "village"]
            for step in plan:
                if made >= want:
                    break
                made += self._clean_one(step, t, c, eff, grants.get(t.id, ()), admitted.get(t.id, ()), kinds)
        for c in self.counties:
            c.assignments.sort(key=lambda a: a["id"])

    def _clean_one(self, step, t, c, eff, grants, admitted, kinds) -> int:
        rng = self.rng_asg
        doc = f"{c.abbr}{rng.choice(('政办', '发', '函'))}〔2026〕{rng.randint(1, 199)}号" if rng.random() < 0.4 else None
        if step == "gov":
            e = self._pick(t, [e for e in eff["basic"] if e[0] in self._core_set])
            if e:
                self._asg(c, c.id, t.id, e[0], self._asg_date(), kind=rng.choice(kinds), document=doc)
                return 1
        elif step == "coop":
            e = self._pick(t, [e for e in eff["cooperative"] if len(e[1]) == 1])
            if e:
                lead = e[1][0]
                dtype = self.matters[e[0]].dtype
                actor = lead
                if dtype in t.offices and rng.random() < 0.5:
                    actor = t.offices[dtype]
                elif dtype == "zjj" and rng.random() < 0.3:
                    actor = c.task_force[0]
                self._asg(c, actor, t.id, e[0], self._asg_date(), kind=rng.choice(kinds),
                          role=rng.choice(("execute", "assist")), document=doc)
                return 1
        elif step == "grant" and grants:
            for dl in rng.sample(list(grants), min(len(grants), 6)):
                if (t.id, dl["matter"]) in self.taint or not self._vest_safe(t, dl["matter"]):
                    continue
                self._asg(c, dl["department"], t.id, dl["matter"], self._asg_date(dl["since"]), document=doc)
                return 1
        elif step == "admit" and admitted:
            ad = rng.choice(list(admitted))
            if (t.id, ad["matter"]) not in self.taint and self._vest_safe(t, ad["matter"]):
                self._asg(c, ad["applicant"], t.id, ad["matter"], self._asg_date(ad["since"]), document=doc)
                return 1
        elif step in ("village", "supervisor", "cert") and t.villages:
            v = rng.choice(t.villages)
            veff = self.v_effective(v)
            if step == "village":
                part = rng.choice(("duties", "assisting"))
                e = self._pick(t, veff[part], vest=False, unit=v.id)
                if e:
                    self._asg(c, t.id, v.id, e[0], self._asg_date(), role=rng.choice(("execute", "assist")))
                    return 1
            elif step == "supervisor":
                e = self._pick(t, [e for e in veff["assisting"] if e[1]], vest=False, unit=v.id)
                if e:
                    self._asg(c, e[1], v.id, e[0], self._asg_date(D(2025, 1, 10)), basis=c.notice,
                              role="assist", document=doc)
                    return 1
            else:
                e = self._pick(t, veff["may_certify"], vest=False, unit=v.id)
                if e:
                    self._asg(c, t.id, v.id, e[0], self._asg_date(), kind="certification_request")
                    return 1
        return 0


CORE_TYPES = frozenset(t[0] for t in DEPT_TYPES if t[4])
ASSIGNMENT_RULES = frozenset({
    "pushdown-unlisted", "pushdown-no-standing", "pushdown-returned", "pushdown-negative", "village-responsible",
    "certification-forbidden", "certification-unlisted", "level-skipping", "other-county", "village-bypass",
    "unit-inactive", "lapse-after-exit", "lapse-after-revocation", "pushdown-new-vest",
})


# =========================================================================== emission
class _Writer:
    def __init__(self, gen: _Gen, out: Path):
        self.g = gen
        self.out = out
        self.files = 0
        self.bytes = 0
        self.township_entries = 0
        self.village_entries = 0
        self.counts: dict[str, int] = {}

    def write(self, rel: str, text: str) -> None:
        path = self.out / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        data = text.encode("utf-8")
        path.write_bytes(data)
        self.files += 1
        self.bytes += len(data)

    # ------------------------------------------------------------------ records
    @staticmethod
    def unit(uid, name, kind, *, level=None, form=None, parent=None, seat=None, until=None) -> str:
        parts = [f"id: {qid(uid)}", f"name: {q(name)}", f"kind: {kind}"]
        if level:
            parts.append(f"level: {level}")
        if form:
            parts.append(f"form: {form}")
        if parent:
            parts.append(f"parent: {qid(parent)}")
        if seat:
            parts.append(f"seat: {qid(seat)}")
        if until:
            parts.append(f"until: {until.isoformat()}")
        return "  - {" + ", ".join(parts) + "}\n"

    @staticmethod
    def basis(b: dict) -> str:
        parts = [f"id: {q(b['id'])}", f"number: {q(b['number'])}", f"title: {q(b['title'])}", f"issuer: {q(b['issuer'])}",
                 f"level: {b['level']}", f"kind: {b['kind']}", f"issued: {b['issued'].isoformat()}"]
        if b.get("scope"):
            parts.append(f"scope: {_ids(b['scope'])}")
        return "  - {" + ", ".join(parts) + "}\n"

    @staticmethod
    def matter(m: _Matter) -> str:
        parts = [f"id: {q(m.id)}", f"name: {q(m.name)}", f"domain: {q(m.domain)}"]
        if m.ptype != "other":
            parts.append(f"power_type: {m.ptype}")
        if m.basis:
            parts.append(f"basis: {q(m.basis)}")
        if m.levels:
            parts.append(f"levels: [{', '.join(m.levels)}]")
        if m.major:
            parts.append("major_penalty: true")
        if m.specialist:
            parts.append("needs_specialist: true")
        if m.tags:
            parts.append(f"tags: [{', '.join(m.tags)}]")
        return "  - {" + ", ".join(parts) + "}\n"

    # township entries, cached per entry tuple (the same template entry is written many times)
    def entry_lines(self, part: str, entries, ind: str, cache: dict) -> str:
        out = []
        for e in entries:
            line = cache.get(e)
            if line is None:
                if part in ("basic", "duties", "negative", "must_not_certify"):
                    line = f"{ind}- {q(e[0])}\n"
                elif part == "cooperative":
                    p = [f"matter: {q(e[0])}"]
                    if e[1]:
                        p.append(f"lead: {_ids(e[1])}")
                    p += [f"lead_duties: {q(e[2])}", f"township_duties: {q(e[3])}"]
                    line = f"{ind}- {{{', '.join(p)}}}\n"
                elif part == "returned":
                    p = [f"matter: {q(e[0])}"]
                    if e[1]:
                        p.append(f"taken_by: {_ids(e[1])}")
                    p.append(f"method: {q(e[2])}")
                    line = f"{ind}- {{{', '.join(p)}}}\n"
                elif part == "assisting":
                    p = [f"matter: {q(e[0])}"]
                    if e[1]:
                        p.append(f"supervisor: {qid(e[1])}")
                    p.append(f"category: {q(e[2])}")
                    line = f"{ind}- {{{', '.join(p)}}}\n"
                else:  # may_certify
                    line = f"{ind}- {{matter: {q(e[0])}, basis: {q(e[1])}, purpose: {q(e[2])}}}\n"
                cache[e] = line
            out.append(line)
        return "".join(out)

    def lists_block(self, parts, lists: dict, ind: str, cache: dict) -> str:
        out = []
        for part in parts:
            if lists[part]:
                out.append(f"{ind}{part}:\n")
                out.append(self.entry_lines(part, lists[part], ind + "  ", cache))
        return "".join(out)

    # ------------------------------------------------------------------ files
    def province(self) -> None:
        g = self.g
        out = [f"# 合成数据 synthetic policy (admission.synth, seed {g.seed})\n",
               f"title: {g.province_name} 省级单位与依据\n", "units:\n",
               self.unit(g.pid, g.province_name, "government", level="province"), "bases:\n"]
        out += [self.basis(b) for b in g.bases]
        self.write(f"{g.province_name}/省级.yaml", "".join(out))
        out = [f"# 合成数据 synthetic policy (admission.synth, seed {g.seed})\n",
               f"title: {g.province_name} 事项目录\n", "matters:\n"]
        out += [self.matter(m) for m in g.matters.values() if m.kind != "injected"]
        self.write(f"{g.province_name}/事项目录.yaml", "".join(out))

    def city(self, city: _City) -> None:
        g = self.g
        out = [f"# 合成数据 synthetic policy (admission.synth, seed {g.seed})\n", f"title: {city.name} 市本级\n", "units:\n",
               self.unit(city.id, city.name, "government", level="city", parent=g.pid)]
        out += [self.unit(did, name, "department", level="city", parent=city.id) for did, name in city.depts]
        self.write(f"{g.province_name}/{city.name}/市本级.yaml", "".join(out))

    def county(self, c: _County) -> None:
        g = self.g
        w = []
        w.append(f"# 合成数据 synthetic policy (admission.synth, seed {g.seed})\n")
        w.append(f"title: {q(c.name + ' 乡镇(街道)履职事项清单、村(社区)清单、赋权与准入')}\n")
        w.append("units:\n")
        w.append(self.unit(c.id, c.name, "government", level="county", parent=c.city.id))
        for d in c.depts:
            w.append(self.unit(d.id, d.name, "department", level="county", parent=c.id))
        if c.inactive:
            w.append(self.unit(c.inactive[0], c.inactive[1], "department", level="county", parent=c.id,
                               until=c.inactive[2]))
        tf = c.task_force
        w.append(self.unit(tf[0], tf[1], "task_force", parent=tf[2]))
        for t in c.towns:
            w.append(self.unit(t.id, t.name, "township", form=t.form, parent=c.id))
        for oid, name, parent, seat in c.offices:
            w.append(self.unit(oid, name, "dispatched", parent=parent, seat=seat))
        for t in c.towns:
            for v in t.villages:
                w.append(self.unit(v.id, v.name, "village", form=v.form, parent=t.id))
        self.counts["villages"] = self.counts.get("villages", 0) + sum(len(t.villages) for t in c.towns)
        w.append("bases:\n")
        w.append(self.basis({"id": c.notice, "number": f"{c.abbr}政发〔2025〕3号",
                             "title": f"{c.name}人民政府关于印发乡镇（街道）履行职责事项清单的通知",
                             "issuer": f"{c.name}人民政府", "level": "county", "kind": "deployment",
                             "issued": D(2025, 1, 10), "scope": [c.id]}))
        w.append(self.basis({"id": c.entrustment, "number": f"{c.abbr}委托〔2024〕1号",
                             "title": f"{c.name}有关部门委托乡镇（街道）实施部分行政执法事项的委托书",
                             "issuer": f"{c.name}人民政府", "level": "county", "kind": "entrustment",
                             "issued": D(2024, 9, 1), "scope": [c.id]}))
        if c.matters:
            w.append("matters:\n")
            w += [self.matter(m) for m in c.matters]
        w.append("power_lists:\n")
        for d in c.depts:
            items = []
            for mid in d.items:
                if mid in d.retained:
                    items.append(f"{{matter: {q(mid)}, retained_in: {_ids(d.retained[mid])}}}")
                else:
                    items.append(q(mid))
            w.append(f"  - holder: {qid(d.id)}\n    since: 2023-01-01\n    items: [{', '.join(items)}]\n")
        cache: dict = {}
        tpls = list(c.extra_templates)
        if g.templates or tpls:
            w.append("township_templates:\n")
            if g.templates:
                w.append(f"  - id: {c.tpl_id}\n    name: {q(c.name + '乡镇(街道)履行职责事项清单（标准版）')}\n"
                         f"    county: {qid(c.id)}\n")
                w.append(self.lists_block(TPARTS, c.tpl, "    ", cache))
            for tid, name, basics in tpls:
                w.append(f"  - id: {tid}\n    name: {q(name)}\n    county: {qid(c.id)}\n    basic:\n")
                w.append(self.entry_lines("basic", [(b,) for b in basics], "      ", cache))
        w.append("township_lists:\n")
        for t in c.towns:
            eff = g.effective(t)
            self.township_entries += sum(len(eff[p]) for p in TPARTS)
            w.append(f"  - township: {qid(t.id)}\n")
            if t.other_tpl:
                core = g._core_set
                own = {p: [e for e in eff[p] if not (p == "basic" and e[0] in core)] for p in TPARTS}
                have = {e[0] for e in eff["basic"]}
                w.append(f"    template: {t.other_tpl}\n")
                missing = [b for b in g.basic_core if b not in have]
                if missing:
                    w.append(f"    remove: [{', '.join(q(m) for m in missing)}]\n")
                w.append(self.lists_block(TPARTS, own, "    ", cache))
            elif g.templates:
                w.append(f"    template: {c.tpl_id}\n")
                if t.removes:
                    w.append(f"    remove: [{', '.join(q(m) for m in t.removes)}]\n")
                w.append(self.lists_block(TPARTS, t.own, "    ", cache))
            else:
                w.append(self.lists_block(TPARTS, eff, "    ", cache))
        vcache: dict = {}
        if g.templates:
            w.append("village_templates:\n")
            w.append(f"  - id: {c.vtpl_id}\n    name: {q(c.name + '村(社区)工作事项清单（标准版）')}\n    owner: {qid(c.id)}\n")
            if c.vtpl_certify_only:
                w.append("    certify_only_listed: true\n")
            w.append(self.lists_block(VPARTS, c.vtpl, "    ", vcache))
        w.append("village_lists:\n")
        full_block = None
        for t in c.towns:
            for v in t.villages:
                veff = g.v_effective(v)
                self.village_entries += sum(len(veff[p]) for p in VPARTS)
                only = v.certify_only
                if g.templates:
                    if not v.removes and not any(v.own.values()) and only is None:
                        w.append(f"  - {{village: {qid(v.id)}, template: {c.vtpl_id}}}\n")
                        continue
                    w.append(f"  - village: {qid(v.id)}\n    template: {c.vtpl_id}\n")
                    if v.removes:
                        w.append(f"    remove: [{', '.join(q(m) for m in v.removes)}]\n")
                    if only is not None:
                        w.append(f"    certify_only_listed: {'true' if only else 'false'}\n")
                    w.append(self.lists_block(VPARTS, v.own, "    ", vcache))
                else:
                    w.append(f"  - village: {qid(v.id)}\n")
                    if only is None:
                        only = c.vtpl_certify_only or None
                    if only:
                        w.append("    certify_only_listed: true\n")
                    if not v.removes and not any(v.own.values()):
                        if full_block is None:
                            full_block = self.lists_block(VPARTS, veff, "    ", vcache)
                        w.append(full_block)
                    else:
                        w.append(self.lists_block(VPARTS, veff, "    ", vcache))
        if c.delegations:
            w.append("delegations:\n")
            for dl in c.delegations:
                p = [f"id: {dl['id']}", f"matter: {q(dl['matter'])}", f"department: {qid(dl['department'])}",
                     f"townships: [{', '.join(qid(x) for x in dl['townships'])}]", f"mode: {dl['mode']}"]
                if dl["basis"]:
                    p.append(f"basis: {q(dl['basis'])}")
                if dl["scope"]:
                    p.append(f"scope: {q(dl['scope'])}")
                p.append(f"since: {dl['since'].isoformat()}")
                if dl["evaluation"]:
                    every, last = dl["evaluation"]
                    p.append(f"evaluation: {{every_months: {every}" + (f", last: {last.isoformat()}}}" if last else "}"))
                if dl["revoked"]:
                    p.append(f"revoked: {{date: {dl['revoked'][0].isoformat()}, reason: {q(dl['revoked'][1])}}}")
                w.append("  - {" + ", ".join(p) + "}\n")
        if c.admissions:
            w.append("admissions:\n")
            for ad in c.admissions:
                p = [f"id: {ad['id']}", f"matter: {q(ad['matter'])}", f"applicant: {qid(ad['applicant'])}",
                     f"targets: [{', '.join(qid(x) for x in ad['targets'])}]", f"term: {ad['term']}",
                     f"since: {ad['since'].isoformat()}"]
                if ad["until"]:
                    p.append(f"until: {ad['until'].isoformat()}")
                p += [f"basis: {q(ad['basis'])}", f"document: {q(ad['document'])}"]
                w.append("  - {" + ", ".join(p) + "}\n")
        if c.assignments:
            w.append("assignments:\n")
            for a in c.assignments:
                p = [f"id: {a['id']}", f"by: {qid(a['by'])}", f"to: {qid(a['to'])}", f"matter: {q(a['matter'])}",
                     f"date: {a['date'].isoformat()}"]
                if a["kind"] != "task":
                    p.append(f"kind: {a['kind']}")
                if a["role"] != "execute":
                    p.append(f"role: {a['role']}")
                if a["basis"]:
                    p.append(f"basis: {q(a['basis'])}")
                if a["document"]:
                    p.append(f"document: {q(a['document'])}")
                w.append("  - {" + ", ".join(p) + "}\n")
        self.write(f"{g.province_name}/{c.city.name}/{c.name}.yaml", "".join(w))


# =========================================================================== API
def generate(out_dir: Path, townships: int, seed: int = 0, templates: bool = True,
             violations: dict[str, int] | None = None) -> Manifest:
    """Write a synthetic policy tree of `townships` townships under `out_dir`; see the module doc.

    `out_dir` must be empty, absent, or a tree this function wrote before (it is replaced)."""
    start = time.perf_counter()
    out_dir = Path(out_dir)
    violations = {k: int(v) for k, v in (violations or {}).items() if int(v) > 0}
    unknown = sorted(set(violations) - set(RULES))
    if unknown:
        raise ValueError(f"unknown rule id(s): {', '.join(unknown)}; known: {', '.join(RULES)}")
    if townships < 1:
        raise ValueError("townships must be at least 1")
    if out_dir.exists() and any(out_dir.iterdir()):
        if not (out_dir / "manifest.json").exists():
            raise FileExistsError(f"{out_dir} is not empty and holds no synth manifest.json; refusing to overwrite")
        for child in out_dir.iterdir():
            if child.is_dir():
                shutil.rmtree(child)
            else:
                child.unlink()
    out_dir.mkdir(parents=True, exist_ok=True)
    gen = _Gen(townships, seed, templates)
    gen.build()
    gen.inject(violations)
    gen.assignments()
    w = _Writer(gen, out_dir)
    w.province()
    for city in gen.cities:
        w.city(city)
    for county in gen.counties:
        w.county(county)
    manifest = Manifest(seed=seed, townships=townships, templates=templates, violations=gen.manifest)
    manifest.counts = {
        "files": w.files, "bytes": w.bytes, "cities": len(gen.cities), "counties": len(gen.counties),
        "townships": len(gen.towns), "villages": w.counts.get("villages", 0),
        "departments": sum(len(c.depts) for c in gen.counties),
        "matters": len(gen.matters),
        "township_entries": w.township_entries, "village_entries": w.village_entries,
        "entries": w.township_entries + w.village_entries,
        "delegations": sum(len(c.delegations) for c in gen.counties),
        "admissions": sum(len(c.admissions) for c in gen.counties),
        "assignments": sum(len(c.assignments) for c in gen.counties),
        "injected": len(gen.manifest),
    }
    (out_dir / "manifest.json").write_text(json.dumps(manifest.to_dict(), ensure_ascii=False, indent=2) + "\n",
                                           encoding="utf-8")
    manifest.seconds = time.perf_counter() - start
    return manifest


def inject_all(out: Path, townships: int, seed: int = 0, templates: bool = True) -> Manifest:
    """A tree with one injected violation of every rule."""
    return generate(out, townships, seed, templates=templates, violations={r: 1 for r in RULES})
