"""Write ``addresses.csv``: the labelled evaluation set for the address parser.

Run ``.venv/bin/python tests/governance/data/make_addresses.py`` to regenerate it (seeded,
deterministic). Labels come from the reference tables (``citybrain.regions.reference``)
and from the road table as it stood when the set was frozen (``_ROADS`` below, copied
from ``governance/data/zhengzhou_roads.csv``), never from the parser, plus hand-written
hard cases (``HARD``) labelled by a person.

Label conventions (what a right answer is):

- ``district``: the functional zone's code (410170–410173) when the text names the zone;
  otherwise the geographic county of what is named (a zone-run street without its zone
  → the county it lies in, as a point there would be located). Empty when the text
  does not settle one district: no place, the city only, a road or street name shared by
  several districts. For an empty label the right answer is "don't know"; any guess
  counts as wrong.
- ``street``: the township-level unit (街道/镇/乡) the text names, in any of its usual
  spellings (办事处, 街道办, an old or map-provider name); empty when the text names only
  roads, landmarks or a district.
"""

from __future__ import annotations

import csv
import random
from pathlib import Path

from citybrain.regions import reference

SEED = 20261127
OUT = Path(__file__).with_name("addresses.csv")

SHORT = {  # usual short forms of county and district names
    "中原区": ["中原"],
    "二七区": ["二七"],
    "管城回族区": ["管城区", "管城"],
    "金水区": ["金水"],
    "惠济区": ["惠济"],
    "中牟县": ["中牟"],
    "巩义市": ["巩义"],
    "荥阳市": ["荥阳"],
    "新密市": ["新密"],
    "新郑市": ["新郑"],
    "登封市": ["登封"],
    "上街区": [],
    "郑东新区": [],
    "郑州经济技术开发区": ["经开区", "经济开发区"],
    "郑州高新技术产业开发区": ["高新区", "高新技术开发区"],
    "郑州航空港经济综合实验区": ["航空港区", "港区"],
}
TYPO_SUFFIX = {"区": ["去", "曲"], "市": ["是", "事"], "县": ["现"]}
PLACES = [
    "某小区东门",
    "附近",
    "一带",
    "路边",
    "菜市场门口",
    "公交站旁边",
    "幼儿园门口",
    "家属院",
    "十字路口",
    "地铁口",
    "小区北门",
    "3号院",
    "12号楼下",
    "农贸市场",
    "超市门口",
]
PROBLEMS = [
    "",
    "",
    "，垃圾满了没人清理",
    "，井盖丢了",
    "，路灯不亮",
    "，有人占道经营",
    "，晚上噪音扰民",
    "，污水冒出来",
]
# The road table as frozen with this set: road or landmark -> districts it lies in.
_ROADS = {
    "花园路": "金水区",
    "大学路": "二七区",
    "二七路": "二七区",
    "解放路": "二七区",
    "德化街": "二七区",
    "铭功路": "二七区",
    "淮河路": "二七区",
    "政通路": "二七区",
    "商都路": "管城回族区",
    "城东路": "管城回族区",
    "东大街": "管城回族区",
    "西大街": "管城回族区",
    "北下街": "管城回族区",
    "东风路": "金水区",
    "黄河路": "金水区",
    "经三路": "金水区",
    "经八路": "金水区",
    "纬五路": "金水区",
    "丰产路": "金水区",
    "桐柏路": "中原区",
    "秦岭路": "中原区",
    "科学大道": "郑州高新技术产业开发区",
    "长椿路": "郑州高新技术产业开发区",
    "江山路": "惠济区",
    "开元路": "惠济区",
    "迎宾路": "惠济区",
    "平安大道": "金水区",
    "金水东路": "金水区",
    "商鼎路": "管城回族区",
    "郑开大道": "中牟县",
    "二七纪念塔": "二七区",
    "郑州站": "二七区",
    "郑州航空港站": "郑州航空港经济综合实验区",
    "郑州北站": "惠济区",
    "紫荆山公园": "金水区",
    "人民公园": "二七区",
    "河南博物院": "金水区",
    "郑州动物园": "金水区",
    "郑州市人民政府": "中原区",
    "河南省人民政府": "金水区",
    "郑州城隍庙": "管城回族区",
    "郑州国际会展中心": "金水区",
    "如意湖": "金水区",
    "北龙湖": "金水区",
    "龙子湖高校园区": "金水区",
    "河南省人民医院": "金水区",
    "郑州市中心医院": "中原区",
    "西流湖公园": "中原区",
    "黄河风景名胜区": "惠济区",
    "郑州方特欢乐世界": "中牟县",
    "郑州绿博园": "中牟县",
    "富士康郑州科技园": "郑州航空港经济综合实验区",
    "少林寺": "登封市",
    "中岳庙": "登封市",
    "嵩阳书院": "登封市",
    "黄帝故里": "新郑市",
    "郑韩故城": "新郑市",
    "康百万庄园": "巩义市",
    "北宋皇陵": "巩义市",
    "桃花峪": "荥阳市",
    # in several districts: the name alone settles none
    "农业路": "",
    "中原路": "",
    "建设路": "",
    "金水路": "",
    "紫荆山路": "",
    "人民路": "",
    "航海路": "",
    "陇海路": "",
    "京广路": "",
    "嵩山路": "",
    "长江路": "",
    "郑汴路": "",
    "未来路": "",
    "文化路": "",
    "南阳路": "",
    "中州大道": "",
    "北三环": "",
    "南三环": "",
    "西三环": "",
    "东三环": "",
    "心怡路": "",
    "郑州东站": "",
    "郑州商城遗址": "",
}

# Hand-written hard cases: (text, district, street, why it is hard).
HARD: list[tuple[str, str, str, str]] = [
    ("金水区经三路与农业路交叉口东北角", "410105", "", "intersection, district named"),
    ("经三路与农业路交叉口东北角", "410105", "", "one road in one district"),
    ("二七区建中街办事处附近", "410103", "410103008000", "办事处 for 街道"),
    ("郑东新区如意湖", "410170", "", "zone and landmark"),
    ("中原区桐柏路街道", "410102", "410102005000", "street named after a road"),
    ("管城回族区", "410104", "", "full official name"),
    ("管城区东大街城隍庙对面", "410104", "", "road, not the 东大街街道"),
    ("金水花园路口", "410105", "", "short form"),
    ("中原西路与桐柏路交叉口", "410102", "", "directional road name"),
    ("桐柏北路195号", "410102", "", "directional road name"),
    ("航海东路与紫荆山路交叉口", "410104", "", "two multi-district roads"),
    ("嵩山南路郑州博物馆新馆", "410103", "", "directional road, landmark"),
    ("中原路与嵩山路交叉口绿城广场", "410102", "", "landmark settles two roads"),
    ("中原路与嵩山路交叉口", "410102", "", "both roads in two districts"),
    ("航海路上有个大坑", "", "", "road in four districts"),
    ("金水区和管城区交界处的东风渠边", "", "", "two districts named"),
    ("新华路街道", "", "", "street name in three cities"),
    ("巩义新华路街道", "410181", "410181001000", "short form picks the street"),
    ("新密市新华路街道办事处", "410183", "410183002000", "办事处, shared name"),
    ("东风路街道经三路附近", "410105", "410105010000", "road picks the street"),
    ("中牟东风路街道", "410122", "410122002000", "short form picks the street"),
    ("金水区东风路", "410105", "", "road, not the street"),
    ("昨天上街买菜看到路灯不亮，在二七区马寨镇", "410103", "410103100000", "上街 as a verb"),
    ("上街区矿山街道", "410106", "410106005000", "上街区 in full"),
    ("老鸦陈街道", "410108", "410108003000", "old name of 江山路街道"),
    ("南关街道", "410104", "410104003000", "map-provider name of 南关街街道"),
    ("登封卢店镇", "410185", "410185004000", "old name of 卢店街道"),
    ("二七区侯寨乡", "410103", "410103015000", "old name of 侯寨街道"),
    ("石佛办事处", "410102", "410172160000", "local name of 石佛镇"),
    ("高新区沟赵办事处", "410172", "410172360000", "local name of 沟赵乡"),
    ("港区新港街道", "410173", "410173400000", "zone short form"),
    ("航空港区郑港街道", "410173", "410173401000", "zone short form"),
    ("郑州东站东广场", "", "", "landmark in two districts"),
    ("郑州站西广场", "410103", "", "landmark"),
    ("二七广场德化街口", "410103", "", "landmark and road"),
    ("金水去文化路", "410105", "", "typo 去 for 区"),
    ("管成区城东路", "410104", "", "typo 成 for 城"),
    ("中元区建设路街道", "410102", "410102002000", "typo 元 for 原"),
    ("二七区大学路街到", "410103", "410103007000", "typo 到 for 道"),
    ("惠济区花园口", "410108", "", "landmark inside 花园口镇"),
    ("荥阳豫龙镇政府附近", "410182", "410182102000", "short form, 镇政府"),
    ("登封市少林寺景区门口", "410185", "", "landmark"),
    ("少林街道", "410185", "410185002000", "street alone"),
    ("新郑龙湖镇", "410184", "410184109000", "not 郑东's 龙湖街道"),
    ("龙湖街道", "410105", "410105562000", "zone-run street alone"),
    ("郑东新区北龙湖金融岛", "410170", "", "zone and landmark"),
    ("北龙湖", "410105", "", "landmark coded 金水区"),
    ("经开区第八大街", "410171", "", "zone short form"),
    ("经开第八大街与航海东路交叉口", "410171", "", "grid street and road"),
    ("郑州市", "", "", "the city only"),
    ("楼下烧烤店油烟太大", "", "", "no place at all"),
    ("沿着金水河往东走，河边护栏坏了", "", "", "金水河 is a river, not 金水区"),
    ("二七万达广场停车场", "410103", "", "short form before a mall"),
    ("紫荆山公园南门", "410105", "", "landmark"),
    ("人民路", "", "", "road in two districts"),
    ("郑州大学主校区东门", "410172", "", "landmark in a zone"),
    ("科学大道与长椿路交叉口", "410172", "", "two zone roads"),
    ("郑东新区白沙镇", "410170", "410122105000", "zone-run town named with zone"),
    ("新郑市龙王乡", "410184", "410173203000", "zone-run township named with county"),
    ("城关乡", "", "", "township name in two cities"),
    ("荥阳城关乡", "410182", "410182200000", "short form picks the township"),
    ("新烟街街道", "410184", "410184003000", "map-provider spelling"),
    ("郑州市金水区经八路街道纬五路省人民医院", "410105", "410105001000", "long address"),
    ("航海中路", "410103", "", "directional section of a long road"),
    ("农业东路", "410105", "", "directional section in 郑东 (coded 金水区)"),
    ("金水路与紫荆山路交叉口", "410105", "", "both roads in several districts"),
    ("建设东路郑大一附院", "410103", "", "abbreviated landmark"),
    ("经三路丰产路口", "410105", "", "two roads"),
    ("大学路与陇海路交叉口", "410103", "", "one road in one district"),
    ("郑州 金水区 花园路街道 国基路口", "410105", "410105002000", "spaces"),
    ("二七区长江路", "410103", "", "road, not 长江路街道"),
    ("长江路街道", "410103", "410103013000", "street alone"),
    ("商城路与城东路交叉口", "410104", "", "old-town roads"),
    ("经二路与纬四路交叉口", "410105", "", "省直 grid roads"),
    # written after the parser changes, not tuned for
    ("郑州市二七区航海中路与大学路交叉口", "410103", "", "district and roads agree"),
    ("金水区农业路与经三路交叉口往北100米", "410105", "", "district named, distance"),
    ("管城回族区紫荆山南路街道", "410104", "410104008000", "street with a road's section"),
    ("郑州高新区枫杨街道办事处", "410172", "410172560000", "zone short form, 街道办事处"),
    ("新郑市新华路街道", "410184", "410184002000", "shared street name, city named"),
    ("中牟县姚家镇政府", "410122", "410122115000", "镇政府"),
    ("二七区解放路与一马路交叉口", "410103", "", "district and roads"),
    ("去年二七区这边修路，现在金水区文化路又挖开了", "410105", "", "two districts, one is past"),
    ("中原区须水镇", "410102", "410102012000", "old name of 须水街道"),
    ("经开区航海东路与第八大街", "410171", "", "zone and roads"),
    ("高新区科学大道与西三环交叉口", "410172", "", "zone and roads"),
    ("郑东新区商都路街道", "410170", "410104570000", "zone-run street coded in 管城"),
]


def _street_variants(name: str) -> list[str]:
    if name.endswith("街道"):
        stem = name.removesuffix("街道")
        return [name, name, f"{name}办事处", f"{stem}办事处", f"{name}办"]
    if name[-1] in "镇乡":
        return [name, name, f"{name}政府"]
    return [name]


def _tail(rng: random.Random) -> str:
    return rng.choice(PLACES) + rng.choice(PROBLEMS)


def generate(seed: int = SEED) -> list[tuple[str, str, str, str]]:
    """Every row: (text, district code, street code, kind)."""
    rng = random.Random(seed)
    divisions = reference.read_divisions()
    code = {d.name: d.code for d in divisions}
    streets = reference.read_streets(divisions)
    label = {d.code: d.name for d in divisions}
    rows: list[tuple[str, str, str, str]] = []
    prefix = ["", "", "郑州市", "郑州"]

    for name, shorts in SHORT.items():  # districts, in full and short
        for written in [name, *shorts]:
            city = "" if written.startswith("郑州") else rng.choice(prefix)
            rows.append((city + written + _tail(rng), code[name], "", "district"))
    for name in SHORT:  # a typed suffix typo (去 for 区 ...)
        if name[-1] in TYPO_SUFFIX and name not in ("管城回族区",) and len(name) == 3:
            typo = name[:-1] + rng.choice(TYPO_SUFFIX[name[-1]])
            rows.append((typo + _tail(rng), code[name], "", "typo"))

    by_name: dict[str, list[reference.StreetRecord]] = {}
    for street in streets:
        by_name.setdefault(street.name, []).append(street)
    for street in streets:  # every street with a district or zone named
        if street.zone_code and rng.random() < 0.5:
            district = street.zone_code
        else:
            district = street.division_code
        written = rng.choice([label[district], *SHORT.get(label[district], [])])
        city = "" if written.startswith("郑州") else rng.choice(prefix)
        text = city + written + rng.choice(_street_variants(street.name))
        rows.append((text + _tail(rng), district, street.code, "district+street"))
    for street in rng.sample(streets, 90):  # streets alone
        text = rng.choice(_street_variants(street.name)) + _tail(rng)
        if len(by_name[street.name]) > 1:
            rows.append((text, "", "", "street, shared name"))
        else:
            rows.append((text, street.division_code, street.code, "street"))

    for road, districts in _ROADS.items():  # roads and landmarks
        number = f"{rng.randint(1, 300)}号" if rng.random() < 0.4 else rng.choice(PLACES)
        expected = code[districts] if districts else ""
        kind = "road" if districts else "road, several districts"
        rows.append((road + number + rng.choice(PROBLEMS), expected, "", kind))
    return rows + [(text, d, s, f"hard: {why}") for text, d, s, why in HARD]


def main() -> None:
    rows = generate()
    with OUT.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["text", "district", "street", "kind"])
        writer.writerows(rows)
    print(f"{len(rows)} rows -> {OUT}")


if __name__ == "__main__":
    main()
