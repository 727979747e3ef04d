"""Pure rules of servicehub: item consistency, bundle graphs, clocks and merged forms.

No session here: every function takes plain values, so the rules are tested alone
and reused by the import, the API and the demo loader alike.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from citybrain.core.workdays import WorkCalendar

ITEM_TYPES = (
    "行政许可",
    "行政确认",
    "行政裁决",
    "行政给付",
    "行政奖励",
    "行政备案",
    "其他",
    "公共服务",
)
HANDLING_KINDS = ("即办件", "承诺件")
RESULT_TYPES = ("出证办结", "出文办结", "审批办结")
NECESSITIES = ("必要", "非必要", "容缺后补")
SOURCES = ("applicant", "government", "other")
FORMS = ("paper", "electronic", "both")
LEVEL_NAMES = {1: "Ⅰ", 2: "Ⅱ", 3: "Ⅲ", 4: "Ⅳ"}
ONLINE_FROM_LEVEL = 2  # 网办深度 Ⅱ and above can be applied for online
WARNING_SHARE = 0.8

# E-licence types: code -> (name, English name, holder kind).
LICENCE_TYPES: dict[str, tuple[str, str, str]] = {
    "business_licence": ("营业执照", "Business licence", "any"),
    "food_business_licence": ("食品经营许可证", "Food business licence", "enterprise"),
    "fire_safety_permit": (
        "公众聚集场所投入使用、营业前消防安全检查合格证",
        "Fire-safety inspection certificate",
        "enterprise",
    ),
    "outdoor_sign_permit": ("户外广告设置许可决定书", "Outdoor sign permit", "enterprise"),
    "drainage_permit": ("城镇污水排入排水管网许可证", "Drainage permit", "enterprise"),
    "resident_id": ("居民身份证", "Resident identity card", "person"),
    "household_register": ("居民户口簿", "Household register", "person"),
    "marriage_certificate": ("结婚证", "Marriage certificate", "person"),
    "birth_certificate": ("出生医学证明", "Birth medical certificate", "person"),
    "property_certificate": ("不动产权证书", "Real-estate title", "person"),
    "social_security_card": ("社会保障卡", "Social security card", "person"),
    "approval_document": ("审批决定书", "Approval decision", "any"),
}
# Words in a material's name that say which e-licence replaces it.
LICENCE_WORDS: tuple[tuple[str, str], ...] = (
    ("营业执照", "business_licence"),
    ("主体资格证明", "business_licence"),
    ("身份证", "resident_id"),
    ("身份证件", "resident_id"),
    ("户口簿", "household_register"),
    ("结婚证", "marriage_certificate"),
    ("出生医学证明", "birth_certificate"),
    ("不动产权", "property_certificate"),
    ("社会保障卡", "social_security_card"),
    ("食品经营许可证", "food_business_licence"),
)
FORM_WORDS = ("申请书", "申请表", "登记表", "申报表", "信息表")


@dataclass(frozen=True)
class RuleBreach:
    rule: str
    message: str
    message_en: str


def check_item(item: Mapping[str, Any]) -> list[RuleBreach]:
    """Every consistency rule the item breaks (the auditors' checks); empty when clean."""
    breaches: list[RuleBreach] = []

    def breach(rule: str, zh: str, en: str) -> None:
        breaches.append(RuleBreach(rule, zh, en))

    legal, promised = item.get("legal_days"), item.get("promised_days")
    if item.get("item_type") not in ITEM_TYPES:
        breach("item_type", "事项类型不在目录中", "Unknown item type")
    if item.get("handling_kind") not in HANDLING_KINDS:
        breach(
            "handling_kind", "办件类型应为即办件或承诺件", "Handling kind must be 即办件 or 承诺件"
        )
    if item.get("result_type") not in RESULT_TYPES:
        breach("result_type", "办结类型不正确", "Unknown result type")
    level = item.get("online_level")
    if level not in LEVEL_NAMES:
        breach("online_level", "网办深度应为Ⅰ至Ⅳ级", "Online level must be 1 to 4")
    if promised is None or promised < 0:
        breach("promised_days", "承诺时限应为非负整数", "Promised limit must be zero or more")
    elif legal is not None and promised > legal:
        breach(
            "promised_le_legal", "承诺时限不得超过法定时限", "Promised limit exceeds legal limit"
        )
    if item.get("handling_kind") == "即办件" and promised not in (0, None):
        breach("instant_zero", "即办件的承诺时限应为0", "An on-the-spot item must promise 0 days")
    if item.get("handling_kind") == "承诺件" and promised == 0:
        breach("instant_zero", "承诺时限为0的事项应为即办件", "A 0-day item must be 即办件")
    visits = item.get("visits", 0)
    if visits is None or visits < 0:
        breach("visits", "到现场次数应为非负整数", "Visits must be zero or more")
        visits = 0
    if level == 4 and visits:
        breach(
            "level4_no_visit", "全程网办（Ⅳ级）事项到现场次数应为0", "Level IV items need 0 visits"
        )
    if visits and not str(item.get("visit_reason") or "").strip():
        breach("visit_reason", "需到现场的事项应说明理由", "Visits above 0 need a reason")
    online = isinstance(level, int) and level >= ONLINE_FROM_LEVEL
    if not visits and not online and not item.get("mail_delivery"):
        breach(
            "zero_visit_delivery",
            "零跑动且不能网办的事项须提供邮寄",
            "0 visits and not online needs mail delivery",
        )
    if not item.get("has_fee") and item.get("online_payment"):
        breach("fee_payment", "不收费事项不应开通网上支付", "No fee means no online payment")
    return breaches


def licence_for_material(name: str) -> str | None:
    """The e-licence type that replaces a material of this name, if any."""
    for word, code in LICENCE_WORDS:
        if word in name:
            return code
    return None


def is_form_material(name: str) -> bool:
    return any(word in name for word in FORM_WORDS)


def longest_path(durations: Mapping[int, int], requires: Mapping[int, Iterable[int]]) -> int:
    """Working days of the longest chain: parallel members overlap, prerequisites add up.

    A 5 ∥ B 10, then C 3 (C requires A and B) gives 13. A cycle raises ValueError.
    """
    finish: dict[int, int] = {}
    visiting: set[int] = set()

    def done(node: int) -> int:
        if node in finish:
            return finish[node]
        if node in visiting:
            raise ValueError(f"dependency cycle through {node}")
        visiting.add(node)
        before = [done(p) for p in requires.get(node, ()) if p in durations]
        visiting.discard(node)
        finish[node] = max(before, default=0) + durations[node]
        return finish[node]

    return max((done(node) for node in durations), default=0)


@dataclass(frozen=True)
class Clock:
    """Where a task stands against its promised limit."""

    limit_days: int
    used_days: int
    due_on: date | None
    share: float
    state: str  # not_started / on_time / warning / overdue / paused / stopped
    provisional: bool

    @property
    def within_limit(self) -> bool:
        """Done (or so far) within the promised working days: 按期."""
        return self.used_days <= self.limit_days


def clock(
    calendar: WorkCalendar,
    *,
    limit_days: int,
    accepted_on: date | None,
    paused_days: int,
    today: date,
    correction_since: date | None = None,
    stopped_on: date | None = None,
    warning_share: float = WARNING_SHARE,
) -> Clock:
    """Counting starts the working day after acceptance; correction days do not count."""
    if accepted_on is None:
        return Clock(limit_days, 0, None, 0.0, "not_started", False)
    due = calendar.add_workdays(accepted_on, limit_days + paused_days)
    end = stopped_on or correction_since or today
    elapsed, provisional = calendar.workdays_between(accepted_on, end)
    used = max(elapsed - paused_days, 0)
    share = used / limit_days if limit_days else (1.0 if used else 0.0)
    if stopped_on is not None:
        state = "stopped"
    elif correction_since is not None:
        state = "paused"
    elif used > limit_days:
        state = "overdue"
    elif share >= warning_share:
        state = "warning"
    else:
        state = "on_time"
    return Clock(limit_days, used, due.day, share, state, provisional or due.provisional)


def merge_fields(field_lists: Sequence[Sequence[Mapping[str, Any]]]) -> list[dict[str, Any]]:
    """Fields of several items, each key asked once (the first definition wins)."""
    merged: dict[str, dict[str, Any]] = {}
    for fields in field_lists:
        for field in fields:
            merged.setdefault(str(field["key"]), dict(field))
    return list(merged.values())


def json_schema(fields: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """A JSON Schema (2020-12) for the merged form."""
    properties: dict[str, Any] = {}
    required: list[str] = []
    for field in fields:
        spec: dict[str, Any] = {"title": field["title"]}
        kind = field.get("type", "string")
        if kind == "number":
            spec["type"] = "number"
            spec["minimum"] = field.get("minimum", 0)
            spec["maximum"] = field.get("maximum", 1_000_000)
        elif kind == "boolean":
            spec["type"] = "boolean"
        else:
            spec["type"] = "string"
            spec["minLength"] = 1 if field.get("required", True) else 0
            spec["maxLength"] = field.get("max_length", 200)
            if "pattern" in field:
                spec["pattern"] = field["pattern"]
            if "enum" in field:
                spec["enum"] = list(field["enum"])
        if "title_en" in field:
            spec["description"] = field["title_en"]
        properties[str(field["key"])] = spec
        if field.get("required", True):
            required.append(str(field["key"]))
    return {
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": False,
    }
