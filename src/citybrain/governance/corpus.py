"""A synthetic, labelled corpus of Chinese city-management complaints.

No public, freely licensed Chinese complaint set covers the GB/T 30428 categories,
so the classifier is trained on text generated here from templates: for each
category, colloquial descriptions of the object and its problem (written by hand
for the events and for the common components, derived from the category name for
the rest), placed at demo-city roads and landmarks, in the voices of the 12345
hotline, the resident app and grid workers. It is honest training data for the
pipeline, not evidence of accuracy on real reports. ``generate`` is deterministic
for a seed; ``data/complaints_labelled.csv`` is its output, kept in the repository.
"""

from __future__ import annotations

import csv
import random
from collections.abc import Iterator
from importlib import resources
from pathlib import Path

from citybrain.governance import rules

ROADS = [
    "花园路",
    "农业路",
    "中原路",
    "建设路",
    "金水路",
    "大学路",
    "紫荆山路",
    "人民路",
    "二七路",
    "解放路",
    "德化街",
    "铭功路",
    "航海路",
    "陇海路",
    "京广路",
    "嵩山路",
    "长江路",
    "淮河路",
    "商都路",
    "郑汴路",
    "城东路",
    "未来路",
    "东风路",
    "黄河路",
    "文化路",
    "南阳路",
    "经三路",
    "经八路",
    "丰产路",
    "中州大道",
    "桐柏路",
    "秦岭路",
    "科学大道",
    "长椿路",
    "江山路",
    "开元路",
    "迎宾路",
    "平安大道",
    "心怡路",
    "商鼎路",
]
LANDMARKS = [
    "二七广场",
    "绿城广场",
    "郑州站",
    "郑州东站",
    "紫荆山公园",
    "人民公园",
    "碧沙岗公园",
    "河南博物院",
    "郑州动物园",
    "如意湖",
    "西流湖公园",
    "郑州植物园",
    "郑州大学第一附属医院",
    "河南省人民医院",
]
PLACE_SUFFIX = (
    "小区门口",
    "公交站旁边",
    "地铁口",
    "菜市场附近",
    "学校门口",
    "路口东南角",
    "辅道上",
)

# Event categories: how people describe the problem (name of the category rarely said).
EVENT_PHRASES: dict[str, list[str]] = {
    "私搭乱建": [
        "有人私自搭了个彩钢板房",
        "一楼住户在院子里违建了一间房",
        "楼顶加盖了一层",
        "店主私自搭建雨棚",
    ],
    "暴露垃圾": [
        "路边一堆垃圾没人清理",
        "垃圾袋扔得到处都是",
        "生活垃圾堆在路边好几天了",
        "垃圾散落在人行道上",
    ],
    "积存垃圾渣土": [
        "堆了好多建筑渣土",
        "积存的垃圾渣土越来越多",
        "拆迁剩下的渣土一直没清运",
        "渣土堆成小山",
    ],
    "道路不洁": [
        "路面很脏没人扫",
        "马路上全是泥和纸屑",
        "人行道上油污一片",
        "保洁没有到位路面脏乱",
    ],
    "水域不洁": [
        "河里漂着很多垃圾",
        "河道水面有大片漂浮物",
        "湖边水发黑发臭",
        "沟渠里塑料瓶漂满了",
    ],
    "绿地脏乱": ["绿化带里全是垃圾", "草坪上扔了很多塑料袋", "绿地里有人倒垃圾", "花坛里脏乱不堪"],
    "废弃车辆": [
        "一辆僵尸车停了半年没人动",
        "报废汽车长期停在路边",
        "废弃电动车堆在楼下",
        "落满灰的无牌车一直占着车位",
    ],
    "废弃家具设备": [
        "有人把旧沙发扔在路边",
        "废旧床垫丢在垃圾桶旁",
        "旧家具堆在楼道口",
        "废弃冰箱扔在人行道",
    ],
    "非装饰性树挂": [
        "树上挂满了塑料袋",
        "有人在行道树上拉绳子挂东西",
        "树枝上挂着破布条",
        "树上缠着横幅",
    ],
    "道路破损": ["路面坑坑洼洼", "马路上有个大坑", "人行道砖松动翘起来了", "路面开裂很严重"],
    "道路遗撒": [
        "货车漏了一路的沙子",
        "路上洒了一地的泥浆",
        "运输车遗撒了很多石子",
        "路面上一长条撒落物",
    ],
    "建筑物外立面不洁": [
        "楼的外墙又脏又旧",
        "外立面被乱涂乱画",
        "墙面脱落很难看",
        "临街楼外墙污渍斑斑",
    ],
    "焚烧垃圾、树叶": [
        "有人在烧垃圾浓烟滚滚",
        "环卫工在焚烧落叶",
        "空地上有人烧树叶呛得很",
        "晚上有人焚烧废品",
    ],
    "油烟污染": [
        "饭店油烟直排进小区",
        "餐馆排烟呛得开不了窗",
        "油烟机没装净化器",
        "楼下饭店油烟太大",
    ],
    "动物尸体": [
        "路中间有只死猫",
        "草丛里有死狗发臭了",
        "马路上一只死鸟没人处理",
        "河边有动物尸体",
    ],
    "擅自饲养家禽家畜": [
        "小区里有人养鸡",
        "楼下有人养了好几只鸭子",
        "居民在绿地里养羊",
        "有人在院里养鸽子扰民",
    ],
    "沿街晾挂": [
        "临街窗户外晾满衣服",
        "有人在护栏上晒被子",
        "沿街店铺门口拉绳晾衣服",
        "行道树之间拉线晒衣服",
    ],
    "乱堆物堆料": [
        "楼道口堆满杂物",
        "人行道上堆着建材",
        "店铺把货物堆到路边",
        "消防通道被杂物堵了",
    ],
    "违章接坡": [
        "门口私自用水泥砌了个坡",
        "商户在路沿石上接了斜坡",
        "有人在人行道铺钢板接坡",
        "车库门口违规修了个坡道",
    ],
    "乱倒乱排污水、废水": [
        "有人往雨水口倒污水",
        "洗车店废水直接排到马路上",
        "饭店往下水道倒泔水",
        "工厂偷排废水",
    ],
    "非法小广告": [
        "墙上贴满了办证小广告",
        "电线杆上全是牛皮癣",
        "楼道里喷涂了开锁电话",
        "小广告贴得到处都是",
    ],
    "街头散发广告": [
        "路口有人发传单",
        "地铁口有人塞小卡片",
        "有人在街上拦人发广告",
        "路边发健身卡传单的很多",
    ],
    "违规户外广告": [
        "楼顶立了个大广告牌没审批",
        "商场外面挂了巨幅广告",
        "户外广告牌摇摇欲坠",
        "路边大型广告违规设置",
    ],
    "广告语言文字不规范": [
        "招牌上有错别字",
        "广告牌用了繁体字",
        "店招上的字写错了",
        "广告用语不规范",
    ],
    "违章张贴悬挂广告牌匾": [
        "门头牌匾超出规定尺寸",
        "店铺私自挂了好几块招牌",
        "违规悬挂横幅",
        "招牌乱挂影响市容",
    ],
    "占道广告牌": [
        "人行道上摆着广告牌挡路",
        "店门口的落地广告牌占了盲道",
        "路中间放了个广告立牌",
        "展架摆在人行道上",
    ],
    "施工扰民": [
        "工地半夜还在施工吵得睡不着",
        "夜间打桩声音很大",
        "晚上十一点还在浇筑混凝土",
        "工地凌晨施工噪音扰民",
    ],
    "施工占道": [
        "施工围挡占了半条路",
        "工地材料堆到马路上",
        "施工把人行道封了",
        "施工车辆占道作业",
    ],
    "无证掘路": [
        "有人在路上私自挖沟",
        "马路被挖开了不知道谁挖的",
        "未经审批开挖路面",
        "有人在人行道挖坑埋管子",
    ],
    "工地扬尘": ["工地尘土飞扬", "工地没有洒水灰很大", "工地裸土没有覆盖", "刮风时工地扬尘严重"],
    "施工废弃料": [
        "施工废料堆在路边",
        "装修垃圾倒在绿化带",
        "建筑废料没有清运",
        "工地把废弃料扔在路旁",
    ],
    "渣土运输车辆未安装密闭装置": [
        "渣土车没盖篷布",
        "拉土车没有密闭一路掉土",
        "渣土车敞篷行驶",
        "运输车未封闭撒了一路",
    ],
    "无照经营游商": [
        "有流动摊贩推车卖水果",
        "游商小贩在路边叫卖",
        "三轮车卖菜的堵在路口",
        "无证摊贩到处摆",
    ],
    "流浪乞讨": [
        "有人在天桥上乞讨",
        "地下通道里有流浪人员",
        "路口有人跪地乞讨",
        "流浪汉睡在公交站",
    ],
    "占道废品收购": [
        "收废品的把废品堆在人行道",
        "废品收购站占道经营",
        "回收点废纸箱堆满路边",
        "收破烂的三轮车占道",
    ],
    "店外经营": [
        "饭店把桌子摆到门外",
        "商店把货架摆出店门",
        "理发店在门外营业",
        "超市在店外摆摊促销",
    ],
    "占道经营": ["路边摆满了小摊", "夜市占了整条马路", "早点摊占道经营", "摊贩占用人行道卖东西"],
    "机动车乱停放": [
        "汽车停在人行道上",
        "有车堵住了小区出口",
        "车辆乱停把消防通道堵了",
        "轿车违停在公交站台",
    ],
    "非机动车乱停放": [
        "共享单车乱停一大片",
        "电动车堆满了人行道",
        "自行车把盲道挡了",
        "地铁口共享单车堆成山",
    ],
    "商业噪音": [
        "商店门口音箱放得很响",
        "店铺用喇叭叫卖太吵",
        "广场上商户放音乐噪音大",
        "超市门口大喇叭循环播放",
    ],
    "黑车拉客": ["车站门口有黑车拉客", "摩的在路口揽客", "非法营运车辆拉人", "黑出租在出站口喊客"],
    "露天烧烤": [
        "路边露天烧烤烟很大",
        "晚上有人在人行道烧烤",
        "烧烤摊摆到了街上",
        "夜市露天烤串油烟呛人",
    ],
    "非法出版物销售": [
        "路边有人卖盗版书",
        "地摊上卖非法光盘",
        "报刊亭卖盗版杂志",
        "有人兜售非法出版物",
    ],
    "空调室外机低挂": [
        "空调外机挂得太低碰头",
        "空调外机滴水在行人头上",
        "临街空调室外机装得太低",
        "空调外机离地不到两米",
    ],
    "路面塌陷": ["路面突然塌了个坑", "马路塌陷很危险", "路面下沉出现空洞", "地面塌陷车轮陷进去了"],
    "自来水管破裂": [
        "自来水管爆了水冒出来",
        "路上有水管破裂往外喷水",
        "供水管道漏水很严重",
        "地下水管破了路面全是水",
    ],
    "燃气管道破裂": ["闻到很浓的煤气味", "燃气管道漏气", "天然气管子被挖断了", "路边燃气管有泄漏"],
    "下水道堵塞或破损": [
        "下水道堵了污水冒出来",
        "排水管破了往外渗水",
        "下水道反味污水漫到路上",
        "窨井堵塞雨水排不出去",
    ],
    "热力管道破裂": [
        "暖气管道爆裂冒白汽",
        "热力管线漏水冒热气",
        "供暖管道破了地面发烫",
        "热力井冒蒸汽",
    ],
    "道路积水": ["下雨后路面积水很深", "路口积水过不去", "涵洞里积水齐膝", "一下雨这里就淹"],
    "道路积雪结冰": [
        "路面结冰很滑",
        "积雪没人清扫",
        "人行道上冰很厚老人摔倒了",
        "桥面结冰车辆打滑",
    ],
    "架空线缆损坏": [
        "电线垂下来快碰到地了",
        "路边的缆线断了挂在树上",
        "通信线缆被刮断",
        "空中线缆脱落很危险",
    ],
    "火灾": ["那边着火了冒黑烟", "楼里起火了", "垃圾堆着火了", "店铺失火有明火"],
    "群体性事件": ["很多人聚集在门口", "一群人围堵在路口", "有人聚众闹事", "大量人员聚集堵路"],
    "一般诉求": [
        "想咨询一下相关政策",
        "投诉物业服务不到位",
        "建议增加公交线路",
        "反映小区供暖不热",
    ],
}

# Component problems by the object word in the category name.
COMPONENT_PROBLEMS: list[tuple[str, list[str]]] = [
    (
        "井盖",
        ["破损了", "丢失了留下一个洞", "松动了车一压就响", "下沉了", "被盗了很危险", "翘起来了"],
    ),
    ("箅子", ["堵住了", "被盗了", "破了", "缺了一块"]),
    ("灯", ["不亮了", "白天一直亮着", "一闪一闪的", "灯罩掉了", "灯杆倾斜了"]),
    ("垃圾箱", ["满了溢出来", "破了个洞", "没人清理发臭", "被撞翻了"]),
    ("厕所", ["很脏没人打扫", "没水冲不了", "门锁坏了", "晚上不开门"]),
    ("树", ["倒了挡路", "枯死了", "树枝断了悬着", "被人砍了"]),
    ("护栏", ["被撞坏了", "倾斜了", "断了一截", "锈得很厉害"]),
    ("亭", ["破损了", "被涂鸦了", "玻璃碎了", "顶棚坏了"]),
    ("牌", ["倒了", "字看不清了", "歪了", "被撞弯了"]),
    ("设施", ["坏了", "损坏严重", "被破坏了", "无法使用"]),
]
GENERIC_PROBLEMS = ["坏了", "损坏了", "破损严重", "出问题了", "有安全隐患", "没人管"]

OPENINGS = ("", "您好，", "你好，我要反映一下，", "我想投诉，", "麻烦处理一下：", "市民反映：")
GRID_OPENINGS = ("巡查发现", "网格员巡查时发现", "日常巡查：")
IMPACTS = (
    "",
    "影响出行",
    "存在安全隐患",
    "已经好几天了",
    "老人孩子经过很危险",
    "影响周边居民生活",
    "晚上看不清",
)
ASKS = ("", "请尽快处理", "希望有关部门管一管", "麻烦派人来看看", "谢谢", "请相关部门核实处理")


def _place(rng: random.Random) -> str:
    pattern = rng.randrange(4)
    if pattern == 0:
        a, b = rng.sample(ROADS, 2)
        return f"{a}与{b}交叉口"
    if pattern == 1:
        return f"{rng.choice(ROADS)}{rng.randint(1, 300)}号附近"
    if pattern == 2:
        return f"{rng.choice(LANDMARKS)}{rng.choice(('东门', '西门', '南门', '北侧', '附近'))}"
    return f"{rng.choice(ROADS)}{rng.choice(PLACE_SUFFIX)}"


def _component_text(rng: random.Random, category: rules.Category) -> str:
    problems = next(
        (p for word, p in COMPONENT_PROBLEMS if word in category.name), GENERIC_PROBLEMS
    )
    name = category.name.replace("（", "").replace("）", "")
    if "井盖" in name and rng.random() < 0.5:
        name = f"一个写着“{name.replace('井盖', '')}”的井盖"
    return f"{name}{rng.choice(problems)}"


def _event_text(rng: random.Random, category: rules.Category) -> str:
    phrases = EVENT_PHRASES.get(category.name)
    if not phrases:
        return f"{category.name}问题比较严重"
    text = rng.choice(phrases)
    if rng.random() < 0.2:
        text = f"{text}，属于{category.name}"
    return text


def describe(rng: random.Random, category: rules.Category) -> str:
    """One complaint about ``category`` in a random voice and place."""
    problem = (
        _component_text(rng, category)
        if category.kind == "component"
        else _event_text(rng, category)
    )
    place = _place(rng)
    impact, ask = rng.choice(IMPACTS), rng.choice(ASKS)
    voice = rng.randrange(3)
    if voice == 0:
        parts = [f"{rng.choice(OPENINGS)}{place}{problem}", impact, ask]
    elif voice == 1:
        parts = [f"{rng.choice(GRID_OPENINGS)}{place}{problem}", impact]
    else:
        parts = [problem, f"位置在{place}", impact, ask]
    return "，".join(p for p in parts if p) + "。"


def generate(*, seed: int = 12345, per_category: int = 12) -> Iterator[tuple[str, str]]:
    """(text, category code) pairs: ``per_category`` distinct texts for every category."""
    rng = random.Random(seed)
    for category in rules.categories().values():
        seen: set[str] = set()
        attempts = 0
        while len(seen) < per_category and attempts < per_category * 20:
            attempts += 1
            text = describe(rng, category)
            if text not in seen:
                seen.add(text)
                yield text, category.code


def corpus_path() -> Path:
    return Path(
        str(resources.files("citybrain.governance").joinpath("data/complaints_labelled.csv"))
    )


def write(path: Path, rows: list[tuple[str, str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["text", "category_code"])
        writer.writerows(rows)


def read(path: Path | None = None) -> list[tuple[str, str]]:
    with (path or corpus_path()).open(encoding="utf-8") as handle:
        return [(row["text"], row["category_code"]) for row in csv.DictReader(handle)]
