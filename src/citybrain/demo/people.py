"""Deterministic synthetic residents and enterprises with valid identity numbers."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta

from citybrain.core import ids

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程"
    "苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵"
)
GIVEN = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍鹏辉建国红梅丹玲飞斌宇浩凯健俊帆帅旭"
    "宁欣怡晨阳思雨子涵梓轩一诺佳琪志新淑珍海燕文博嘉豪雅婷晓东春生秋云德胜振华永福"
)
INDUSTRIES = [
    "餐饮",
    "零售",
    "软件和信息技术服务",
    "建筑",
    "物流",
    "制造",
    "教育培训",
    "医药",
    "住宿",
    "文化传媒",
    "商务服务",
    "农业",
]
ENTERPRISE_WORDS = [
    "中原",
    "郑州",
    "豫",
    "嵩山",
    "黄河",
    "商都",
    "绿城",
    "中州",
    "金水",
    "二七",
    "华夏",
    "天地",
    "鼎盛",
    "恒通",
    "宏达",
    "瑞丰",
    "鑫源",
    "汇通",
    "博远",
    "嘉禾",
]
ENTERPRISE_SUFFIX = {
    "餐饮": "餐饮管理有限公司",
    "零售": "商贸有限公司",
    "软件和信息技术服务": "信息技术有限公司",
    "建筑": "建设工程有限公司",
    "物流": "物流有限公司",
    "制造": "机械制造有限公司",
    "教育培训": "教育科技有限公司",
    "医药": "医药有限公司",
    "住宿": "酒店管理有限公司",
    "文化传媒": "文化传媒有限公司",
    "商务服务": "商务咨询有限公司",
    "农业": "农业发展有限公司",
}


@dataclass(frozen=True)
class Resident:
    name: str
    id_number: str
    phone: str
    division_code: str


@dataclass(frozen=True)
class Company:
    name: str
    credit_code: str
    division_code: str
    industry: str


def chinese_name(rng: random.Random) -> str:
    given = "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2))))
    return rng.choice(SURNAMES) + given


def residents(seed: int, count: int, division_codes: list[str]) -> Iterator[Resident]:
    """``count`` residents with distinct, valid 身份证号 and mobile numbers."""
    rng = random.Random(seed)
    seen_ids: set[str] = set()
    seen_phones: set[str] = set()
    first_birth = date(1940, 1, 1)
    while len(seen_ids) < count:
        division = rng.choice(division_codes)
        birth = first_birth + timedelta(days=rng.randrange(70 * 365))
        number = ids.make_id_number(division, birth, rng.randrange(1000))
        phone = ids.make_phone(rng)
        if number in seen_ids or phone in seen_phones:
            continue
        seen_ids.add(number)
        seen_phones.add(phone)
        yield Resident(chinese_name(rng), number, phone, division)


def companies(seed: int, count: int, division_codes: list[str]) -> Iterator[Company]:
    rng = random.Random(seed + 1)
    seen: set[str] = set()
    serial = 0
    while len(seen) < count:
        division = rng.choice(division_codes)
        code = ids.make_credit_code(rng, division, kind=rng.choice(("91", "91", "91", "92")))
        if code in seen:
            continue
        seen.add(code)
        serial += 1
        industry = rng.choice(INDUSTRIES)
        words = rng.choice(ENTERPRISE_WORDS) + rng.choice(ENTERPRISE_WORDS)
        name = f"郑州{words}{ENTERPRISE_SUFFIX[industry]}"
        if rng.random() < 0.3:
            name = f"郑州{words}{serial}号{ENTERPRISE_SUFFIX[industry]}"
        yield Company(name, code, division, industry)
