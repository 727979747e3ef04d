"""A synthetic, labelled set of report pairs for measuring de-duplication (并单).

Each pair is an earlier report (the would-be parent) and a later one, near in space and
time. True duplicates are one problem told by two people in their own words (a quarter
of them repeats: the same words with another opening, place phrase or request); the
non-duplicates are what sits next to a real problem in a city: a different problem of
the same category nearby, the same kind of problem at another place beyond the radius,
a different category at the same spot. ``PROBLEMS`` holds, per category, distinct
problems, each with paraphrases written as different callers would put them (hotline
agents' notes, residents in the app, grid workers); they were written before any
threshold was looked at, not tuned to the similarity measure.

Everything is seeded: ``make_pairs(seed)`` gives the same pairs every time.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from citybrain.core import geo
from citybrain.core.security import SYSTEM
from citybrain.governance import intake

BJ = ZoneInfo("Asia/Shanghai")

# category -> distinct problems -> paraphrases of that one problem
PROBLEMS: dict[str, list[list[str]]] = {
    "C0305": [  # 垃圾箱
        [
            "垃圾箱满了溢出来，没人清理发臭",
            "这个垃圾桶早就装满了，垃圾掉了一地",
            "垃圾箱爆满好几天没人收，味道很大",
            "门口的垃圾桶塞满了，垃圾都溢到地上了",
        ],
        [
            "垃圾桶被车撞翻了，倒在路中间",
            "路边垃圾箱被撞倒了没人扶",
            "垃圾箱翻倒在人行道上，挡着路",
        ],
        [
            "垃圾箱底部烂了个洞，脏水一直往外漏",
            "垃圾桶破了，盖子也合不上",
            "分类垃圾箱破损严重，已经没法用了",
        ],
    ],
    "C0102": [  # 污水井盖
        [
            "井盖丢了，留下一个大洞，很危险",
            "路上的井盖不见了，晚上有人差点掉进去",
            "窨井盖被偷了，只剩一个黑窟窿",
            "井盖没了，赶紧来人围起来",
        ],
        [
            "井盖松动，车一压就哐哐响",
            "井盖没盖稳，车开过去一直响",
            "这个井盖一压就晃，半夜车过吵得睡不着",
        ],
        [
            "井盖下沉了，比路面低一大截",
            "井盖周围塌下去了，车过去颠得厉害",
            "井盖陷下去了，电动车骑过去差点摔倒",
        ],
    ],
    "C0118": [  # 路灯
        [
            "路灯不亮了，晚上黑乎乎的",
            "这一段的路灯坏了好几天，晚上看不见路",
            "晚上路灯都不亮，走夜路很害怕",
        ],
        ["路灯白天一直亮着，浪费电", "大白天的路灯还开着没人关"],
        ["路灯杆歪了，看着快倒了", "灯杆被车撞得倾斜了，很危险"],
    ],
    "C0402": [  # 行道树
        ["大树倒了，把路挡住了", "昨晚风大，一棵行道树倒在马路上", "路边的树连根倒了，车过不去"],
        ["树枝断了悬在半空，随时会掉下来", "一根大树杈断了挂在上面，下面有人走很危险"],
        ["行道树枯死了一直没人换", "路边这棵树早就死了，叶子都掉光了"],
    ],
    "E0110": [  # 暴露垃圾
        [
            "路边一堆生活垃圾没人清理",
            "垃圾袋扔得到处都是，好几天没人管",
            "人行道上堆着垃圾，臭得很",
        ],
        ["有人把旧沙发床垫扔在路边", "路边扔了一堆旧家具，没人拉走"],
    ],
    "E0406": [  # 占道经营
        ["路边摆满了小摊，人都过不去", "好多摊贩占着人行道卖东西", "早上卖菜的把人行道占满了"],
        ["水果店把水果摊摆到了马路上", "店门口摆摊卖水果，占了半条路"],
    ],
    "E0409": [  # 机动车乱停放
        ["有辆车堵住了小区出口，出不去", "一辆白色轿车停在小区门口，车都开不出去"],
        ["车辆乱停把消防通道堵了", "消防通道上停满了私家车，出事了消防车进不来"],
        ["汽车停在人行道上，行人只能走马路", "人行道被汽车占满了，推婴儿车都过不去"],
    ],
    "E0410": [  # 非机动车乱停放
        [
            "共享单车乱停一大片，把盲道挡住了",
            "地铁口共享单车堆成山，人都过不去",
            "单车乱七八糟堆在出口",
        ],
        ["电动车停满了人行道", "门口电动车乱停，堵着走不了"],
    ],
    "EXXL06": [  # 道路积水
        [
            "下雨后路口积水很深，车都熄火了",
            "这个路口一下雨就淹，水到膝盖",
            "路面积水过不去，赶紧来排水",
        ],
        ["桥洞下面积水很深，有车被困了", "涵洞里全是水，一辆车泡在里面"],
    ],
    "EXXL04": [  # 下水道堵塞或破损
        [
            "下水道堵了，污水冒到路上",
            "污水井往外冒水，臭气熏天",
            "排水口堵住了，脏水漫了一地",
        ],
        ["下水道破了，往外渗水", "排水管漏了，墙根一直是湿的"],
    ],
    "EXXL02": [  # 自来水管破裂
        [
            "自来水管爆了，水一直往外喷",
            "路边水管破裂，水流了一地",
            "地下供水管漏水，路面都泡了",
        ],
    ],
    "E03L01": [  # 施工扰民
        [
            "工地半夜还在打桩，吵得睡不着",
            "夜里工地施工噪音太大，十二点还在干",
            "晚上工地机器轰隆隆的，影响休息",
        ],
        ["工地一大早五点就开始施工，太吵了", "天还没亮工地就开工，电锯声吵醒了"],
    ],
    "E03L04": [  # 工地扬尘
        [
            "工地尘土飞扬，也不洒水",
            "工地裸土没盖，风一刮全是灰",
            "工地扬尘很严重，窗户都不敢开",
        ],
    ],
    "E04L05": [  # 露天烧烤
        [
            "路边露天烧烤烟很大，呛得不行",
            "晚上有人在人行道上烧烤，油烟都飘到楼上了",
            "烧烤摊摆到街上，烟熏火燎的",
        ],
    ],
}
CROSS_STREETS = ["花园路", "农业路", "文化路", "经三路", "金水路", "大学路", "建设路", "桐柏路"]
OPENINGS = ["", "", "您好，", "市民反映：", "巡查发现", "麻烦处理一下："]
ASKS = ["", "", "请尽快处理", "希望有关部门管一管", "谢谢", "已经好几天了"]
WELL_COVERS = ["C0101", "C0102", "C0103", "C0114"]  # callers cannot tell these apart


@dataclass(frozen=True)
class Pair:
    kind: str  # duplicate | same_category_other_problem | same_problem_far | other_category
    duplicate: bool
    first: tuple[str, str]  # (category code, text)
    second: tuple[str, str]
    distance_m: float
    gap: timedelta


@dataclass(frozen=True)
class Outcome:
    pair: Pair
    merged: bool  # the second report was merged into the first automatically
    offered: bool  # the first was among the candidates shown to the agent, not merged
    similarity: float | None  # of the two texts, when the first was a candidate


def _spot(rng: random.Random) -> tuple[str, str]:
    a, b = rng.sample(CROSS_STREETS, 2)
    return a, b


def _say(rng: random.Random, problem: str, spot: tuple[str, str]) -> str:
    a, b = spot
    place = rng.choice(
        [f"{a}与{b}交叉口", f"{a}{b}路口", f"{a}靠近{b}", f"{b}往{a}方向", "我家楼下", ""]
    )
    where = rng.random()
    if not place:
        body = problem
    elif where < 0.5:
        body = f"{place}{problem}"
    else:
        body = f"{problem}，位置在{place}"
    ask = rng.choice(ASKS)
    return f"{rng.choice(OPENINGS)}{body}{'，' + ask if ask else ''}。"


def _near(rng: random.Random) -> float:
    """0–200 m: mostly the few metres of two phones' GPS, sometimes a geocoded address."""
    roll = rng.random()
    if roll < 0.5:
        return rng.uniform(0, 50)
    if roll < 0.8:
        return rng.uniform(50, 120)
    return rng.uniform(120, 200)


def _gap(rng: random.Random) -> timedelta:
    return timedelta(
        hours=rng.choice([rng.uniform(0.5, 12), rng.uniform(12, 72), rng.uniform(72, 240)])
    )


def make_pairs(seed: int = 311, *, per_kind: int = 120) -> list[Pair]:
    """``per_kind`` duplicates and as many of each kind of non-duplicate."""
    rng = random.Random(seed)
    codes = sorted(PROBLEMS)
    pairs: list[Pair] = []
    for index in range(per_kind):
        spot = _spot(rng)
        code = rng.choice(codes)
        problem = rng.choice(PROBLEMS[code])
        a, b = rng.sample(problem, 2) if len(problem) > 1 else (problem[0], problem[0])
        if index % 4 == 0:  # a repeat: the caller rings again, a neighbour forwards the message
            b = a
        second_code = code
        if code == "C0102" and rng.random() < 0.3:  # the other caller picked another cover
            second_code = rng.choice([c for c in WELL_COVERS if c != code])
        pairs.append(
            Pair(
                "duplicate",
                True,
                (code, _say(rng, a, spot)),
                (second_code, _say(rng, b, spot)),
                _near(rng),
                _gap(rng),
            )
        )
    several = [c for c in codes if len(PROBLEMS[c]) > 1]
    for _ in range(per_kind):
        spot = _spot(rng)
        code = rng.choice(several)
        one, other = rng.sample(PROBLEMS[code], 2)
        pairs.append(
            Pair(
                "same_category_other_problem",
                False,
                (code, _say(rng, rng.choice(one), spot)),
                (code, _say(rng, rng.choice(other), spot)),
                _near(rng),
                _gap(rng),
            )
        )
    for _ in range(per_kind):
        code = rng.choice(codes)
        problem = rng.choice(PROBLEMS[code])
        pairs.append(
            Pair(
                "same_problem_far",
                False,
                (code, _say(rng, rng.choice(problem), _spot(rng))),
                (code, _say(rng, rng.choice(problem), _spot(rng))),
                rng.uniform(260, 600),
                _gap(rng),
            )
        )
    for _ in range(per_kind):
        spot = _spot(rng)
        code, other = rng.sample(codes, 2)
        pairs.append(
            Pair(
                "other_category",
                False,
                (code, _say(rng, rng.choice(rng.choice(PROBLEMS[code])), spot)),
                (other, _say(rng, rng.choice(rng.choice(PROBLEMS[other])), spot)),
                rng.uniform(0, 50),
                _gap(rng),
            )
        )
    return pairs


def run_pair(
    session: Session, pair: Pair, *, origin: tuple[float, float], bearing_deg: float
) -> Outcome:
    """Both reports through the real intake (the second may merge), then rolled back."""
    start = datetime(2026, 11, 23, 9, 0, tzinfo=BJ)
    lon, lat = origin
    dx = pair.distance_m * math.sin(math.radians(bearing_deg))
    dy = pair.distance_m * math.cos(math.radians(bearing_deg))
    dlon, dlat = geo.metres_to_degrees(dx, dy, lat=lat)
    nested = session.begin_nested()
    try:
        first = intake.intake(
            session,
            report=intake.Report(
                channel="hotline",
                description=pair.first[1],
                category_code=pair.first[0],
                lon=lon,
                lat=lat,
            ),
            actor=SYSTEM,
            now=start,
        ).case
        result = intake.intake(
            session,
            report=intake.Report(
                channel="app",
                description=pair.second[1],
                category_code=pair.second[0],
                lon=lon + dlon,
                lat=lat + dlat,
            ),
            actor=SYSTEM,
            now=start + pair.gap,
        )
        merged = result.merged_into is not None and result.merged_into.id == first.id
        found = next((c for c in result.offered if c.case_id == first.id), None)
        offered = not merged and found is not None
    finally:
        nested.rollback()
    return Outcome(pair, merged, offered, found.similarity if found else None)
