"""Identity numbers: 身份证号 (GB 11643), 统一社会信用代码 (GB 32100), phone numbers;
their check characters, masking for display and generation for the demo city."""

from __future__ import annotations

import random
import re
from datetime import date

from citybrain.core.errors import DomainError

ID_WEIGHTS = [pow(2, 17 - i, 11) for i in range(17)]
ID_CHECK_CHARS = "10X98765432"
ID_PATTERN = re.compile(r"^\d{17}[\dX]$")

CREDIT_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
CREDIT_PATTERN = re.compile(rf"^[{CREDIT_CHARSET}]{{18}}$")
ORG_WEIGHTS = [3, 7, 9, 10, 5, 8, 4, 2]

PHONE_PATTERN = re.compile(r"^1[3-9]\d{9}$")


def id_check_char(first17: str) -> str:
    """The GB 11643 check character (ISO 7064 MOD 11-2) of the first 17 digits."""
    total = sum(int(digit) * weight for digit, weight in zip(first17, ID_WEIGHTS, strict=True))
    return ID_CHECK_CHARS[total % 11]


def normalize_id_number(value: str) -> str:
    return value.strip().upper()


def validate_id_number(value: str) -> str:
    """Return the normalised 身份证号 or raise a 422 naming what is wrong."""
    number = normalize_id_number(value)
    if not ID_PATTERN.match(number):
        raise DomainError(
            "ids.id_number_malformed",
            "身份证号应为18位：17位数字加1位数字或X",
            "A resident ID number has 17 digits and a final digit or X",
            status=422,
        )
    try:
        date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise DomainError(
            "ids.id_number_bad_birth_date",
            "身份证号中的出生日期无效",
            "The birth date inside the ID number is not a real date",
            status=422,
        ) from None
    if id_check_char(number[:17]) != number[17]:
        raise DomainError(
            "ids.id_number_bad_check_digit",
            "身份证号校验位错误，请核对",
            "The check digit of the ID number is wrong",
            status=422,
        )
    return number


def is_valid_id_number(value: str) -> bool:
    try:
        validate_id_number(value)
    except DomainError:
        return False
    return True


def credit_check_char(first17: str) -> str:
    """The GB 32100 check character of the first 17 characters."""
    total = sum(
        CREDIT_CHARSET.index(char) * weight
        for char, weight in zip(first17, CREDIT_WEIGHTS, strict=True)
    )
    return CREDIT_CHARSET[(31 - total % 31) % 31]


def validate_credit_code(value: str) -> str:
    """Return the normalised 统一社会信用代码 or raise a 422 naming what is wrong."""
    code = value.strip().upper()
    if not CREDIT_PATTERN.match(code):
        raise DomainError(
            "ids.credit_code_malformed",
            "统一社会信用代码应为18位数字或大写字母（不含I、O、Z、S、V）",
            "A unified social credit code has 18 digits or capitals (no I, O, Z, S, V)",
            status=422,
        )
    if not code[2:8].isdigit():
        raise DomainError(
            "ids.credit_code_malformed",
            "统一社会信用代码第3至8位应为行政区划代码",
            "Characters 3 to 8 of a credit code are a division code",
            status=422,
        )
    if credit_check_char(code[:17]) != code[17]:
        raise DomainError(
            "ids.credit_code_bad_check_char",
            "统一社会信用代码校验位错误，请核对",
            "The check character of the credit code is wrong",
            status=422,
        )
    return code


def is_valid_credit_code(value: str) -> bool:
    try:
        validate_credit_code(value)
    except DomainError:
        return False
    return True


def validate_phone(value: str) -> str:
    phone = re.sub(r"[\s-]", "", value)
    if phone.startswith("+86"):
        phone = phone[3:]
    if not PHONE_PATTERN.match(phone):
        raise DomainError(
            "ids.phone_malformed",
            "手机号应为11位，以1开头",
            "A mobile number has 11 digits and starts with 1",
            status=422,
        )
    return phone


def mask_id_number(value: str) -> str:
    """``410105199001011234`` → ``4101**********1234``."""
    if len(value) < 8:
        return "*" * len(value)
    return value[:4] + "*" * (len(value) - 8) + value[-4:]


def mask_phone(value: str) -> str:
    """``13812345678`` → ``138****5678``."""
    if len(value) < 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


def mask_name(value: str) -> str:
    """``张三丰`` → ``张**``: the family name only."""
    return value[:1] + "*" * (len(value) - 1) if value else value


def make_id_number(region_code: str, birth: date, sequence: int) -> str:
    """A valid 身份证号: region, birth date, 3-digit sequence (odd = male), check digit."""
    first17 = f"{region_code}{birth:%Y%m%d}{sequence % 1000:03d}"
    return first17 + id_check_char(first17)


def org_check_char(first8: str) -> str:
    """The GB 11714 organisation-code check character."""
    total = sum(CREDIT_CHARSET.index(c) * w for c, w in zip(first8, ORG_WEIGHTS, strict=True))
    value = 11 - total % 11
    return {10: "X", 11: "0"}.get(value, str(value))


def make_credit_code(rng: random.Random, region_code: str, kind: str = "91") -> str:
    """A valid 统一社会信用代码: authority+category, region, organisation code, check."""
    org8 = "".join(rng.choice(CREDIT_CHARSET[:10] + "ABCDEFGHJKLMNPQRTUWXY") for _ in range(8))
    first17 = kind + region_code + org8 + org_check_char(org8)
    return first17 + credit_check_char(first17)


def make_phone(rng: random.Random) -> str:
    prefix = rng.choice(["135", "136", "137", "138", "139", "150", "151", "158", "186", "187"])
    return prefix + f"{rng.randrange(10**8):08d}"
