"""Check characters of 身份证号 (GB 11643) and 统一社会信用代码 (GB 32100), and masking."""

from __future__ import annotations

import random
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from citybrain.core import ids
from citybrain.core.errors import DomainError

# Example numbers printed in the standards themselves.
GB11643_EXAMPLES = ["11010519491231002X", "440524188001010014"]
GB32100_EXAMPLES = ["91350100M000100Y43"]


@pytest.mark.parametrize("number", GB11643_EXAMPLES)
def test_published_id_numbers_are_valid(number: str) -> None:
    assert ids.validate_id_number(number) == number


@pytest.mark.parametrize("number", GB11643_EXAMPLES)
def test_lower_case_x_is_normalised(number: str) -> None:
    assert ids.validate_id_number(number.lower()) == number


@pytest.mark.parametrize("number", GB11643_EXAMPLES)
@pytest.mark.parametrize("position", range(17))
def test_any_single_digit_change_breaks_the_id_check(number: str, position: int) -> None:
    digit = number[position]
    for replacement in "0123456789":
        if replacement == digit:
            continue
        mutated = number[:position] + replacement + number[position + 1 :]
        try:
            ids.validate_id_number(mutated)
        except DomainError as error:
            assert error.code in {"ids.id_number_bad_check_digit", "ids.id_number_bad_birth_date"}
            assert error.status == 422
        else:  # pragma: no cover - a single substitution is always caught by MOD 11-2
            pytest.fail(f"{mutated} passed")


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("", "ids.id_number_malformed"),
        ("1101051949123100", "ids.id_number_malformed"),
        ("11010519491231002Y", "ids.id_number_malformed"),
        ("110105194913310023", "ids.id_number_bad_birth_date"),
        ("110105194912310021", "ids.id_number_bad_check_digit"),
    ],
)
def test_bad_id_numbers_name_their_problem(value: str, code: str) -> None:
    with pytest.raises(DomainError) as caught:
        ids.validate_id_number(value)
    assert caught.value.code == code
    assert caught.value.message and caught.value.message_en


def test_adjacent_transposition_is_caught() -> None:
    number = GB11643_EXAMPLES[1]
    swapped = number[:15] + number[16] + number[15] + number[17:]
    assert swapped != number
    assert not ids.is_valid_id_number(swapped)


@given(
    region=st.sampled_from(["410102", "410105", "410181", "110105"]),
    birth=st.dates(min_value=date(1900, 1, 1), max_value=date(2025, 12, 31)),
    sequence=st.integers(0, 999),
)
def test_generated_id_numbers_are_valid(region: str, birth: date, sequence: int) -> None:
    assert ids.is_valid_id_number(ids.make_id_number(region, birth, sequence))


@pytest.mark.parametrize("code", GB32100_EXAMPLES)
def test_published_credit_code_is_valid(code: str) -> None:
    assert ids.validate_credit_code(code) == code


@pytest.mark.parametrize("position", range(17))
def test_single_character_change_breaks_the_credit_check(position: int) -> None:
    code = GB32100_EXAMPLES[0]
    for replacement in ids.CREDIT_CHARSET:
        if replacement == code[position]:
            continue
        mutated = code[:position] + replacement + code[position + 1 :]
        assert not ids.is_valid_credit_code(mutated), mutated


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("91350100M000100Y4", "ids.credit_code_malformed"),
        ("91350100M000100I43", "ids.credit_code_malformed"),
        ("913501A0M000100Y43", "ids.credit_code_malformed"),
        ("91350100M000100Y44", "ids.credit_code_bad_check_char"),
    ],
)
def test_bad_credit_codes_name_their_problem(value: str, code: str) -> None:
    with pytest.raises(DomainError) as caught:
        ids.validate_credit_code(value)
    assert caught.value.code == code


def test_generated_credit_codes_are_valid() -> None:
    rng = random.Random(1)
    for _ in range(500):
        assert ids.is_valid_credit_code(ids.make_credit_code(rng, "410105"))


def test_masks() -> None:
    assert ids.mask_id_number("410105199001011234") == "4101**********1234"
    assert ids.mask_phone("13812345678") == "138****5678"
    assert ids.mask_name("张三丰") == "张**"


@pytest.mark.parametrize("phone", ["13812345678", "+86 138-1234-5678", "138 1234 5678"])
def test_phone_numbers_are_normalised(phone: str) -> None:
    assert ids.validate_phone(phone) == "13812345678"


@pytest.mark.parametrize("phone", ["", "12345678901", "1381234567", "abc"])
def test_bad_phone_numbers(phone: str) -> None:
    with pytest.raises(DomainError) as caught:
        ids.validate_phone(phone)
    assert caught.value.code == "ids.phone_malformed"
