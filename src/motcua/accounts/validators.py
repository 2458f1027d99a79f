"""Validators for Vietnamese identity numbers, tax codes and phone numbers.

Each raises ``ValidationError`` with a Vietnamese message and returns the normalised value.
"""

from __future__ import annotations

import datetime as dt
import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext

# Birth-place codes of the 12-digit citizen identity number (Thông tư 07/2016/TT-BCA, 59/2021/TT-BCA):
# "0" followed by the General Statistics Office code of the 63 provinces before 1 July 2025.
CCCD_PROVINCE_CODES = frozenset(
    "001 002 004 006 008 010 011 012 014 015 017 019 020 022 024 025 026 027 030 031 033 034 035 036 037 038 "
    "040 042 044 045 046 048 049 051 052 054 056 058 060 062 064 066 067 068 070 072 074 075 077 079 080 082 "
    "083 084 086 087 089 091 092 093 094 095 096".split()
)
MALE, FEMALE = "male", "female"
_SEX_WORDS = {"male": MALE, "nam": MALE, "m": MALE, "female": FEMALE, "nữ": FEMALE, "nu": FEMALE, "f": FEMALE}
_SEPARATORS = re.compile(r"[\s.\-]")
TAX_WEIGHTS = (31, 29, 23, 19, 17, 13, 7, 5, 3)


def validate_cccd(value: str, birth_date: dt.date | None = None, sex: str | None = None) -> str:
    """Check a 12-digit CCCD: birth-province code, century/sex digit and year of birth."""
    number = re.sub(r"\s", "", value or "")
    if not re.fullmatch(r"\d{12}", number):
        raise ValidationError(gettext("Số CCCD phải gồm đúng 12 chữ số."), code="cccd_format")
    if number[:3] not in CCCD_PROVINCE_CODES:
        raise ValidationError(
            gettext("Số CCCD không hợp lệ: 3 chữ số đầu phải là mã tỉnh nơi đăng ký khai sinh."), code="cccd_province"
        )
    century_sex = int(number[3])
    century = 1900 + 100 * (century_sex // 2)
    if sex is not None:
        expected = _SEX_WORDS.get(str(sex).strip().lower())
        if expected is not None and expected != (MALE if century_sex % 2 == 0 else FEMALE):
            raise ValidationError(gettext("Số CCCD không khớp với giới tính đã khai."), code="cccd_sex")
    if birth_date is not None:
        year = century + int(number[4:6])
        if year != birth_date.year:
            raise ValidationError(gettext("Số CCCD không khớp với năm sinh đã khai."), code="cccd_birth_year")
    return number


def tax_check_digit(first_nine: str) -> int | None:
    """The check digit of a 10-digit tax code, or None when no digit can be valid."""
    check = 10 - sum(int(d) * w for d, w in zip(first_nine, TAX_WEIGHTS, strict=True)) % 11
    return None if check == 10 else check


def validate_tax_code(value: str) -> str:
    """Check a tax code (MST): 10 digits with a check digit, or 13 as ``NNNNNNNNNN-BBB`` for a branch."""
    raw = (value or "").strip()
    match = re.fullmatch(r"(\d{10})(?:-?(\d{3}))?", raw.replace(" ", ""))
    if not match:
        raise ValidationError(
            gettext("Mã số thuế phải gồm 10 chữ số, hoặc 13 chữ số (10 chữ số, dấu gạch ngang, 3 chữ số đơn vị phụ thuộc)."),
            code="tax_format",
        )
    main, branch = match.groups()
    if tax_check_digit(main[:9]) != int(main[9]):
        raise ValidationError(gettext("Mã số thuế không hợp lệ (sai chữ số kiểm tra)."), code="tax_check_digit")
    if branch is not None:
        if branch == "000":
            raise ValidationError(gettext("Ba chữ số cuối của mã số thuế phải từ 001 đến 999."), code="tax_branch")
        return f"{main}-{branch}"
    return main


def normalise_phone(value: str) -> str:
    """A Vietnamese mobile number as ``0xxxxxxxxx``; accepts +84/84 prefixes, spaces, dots and dashes."""
    digits = _SEPARATORS.sub("", value or "")
    if digits.startswith("+84"):
        digits = "0" + digits[3:]
    elif digits.startswith("84") and len(digits) == 11:
        digits = "0" + digits[2:]
    if not re.fullmatch(r"0[35789]\d{8}", digits):
        raise ValidationError(
            gettext("Số điện thoại di động không hợp lệ: cần 10 chữ số, bắt đầu bằng 03, 05, 07, 08 hoặc 09 (hoặc +84)."),
            code="phone",
        )
    return digits


def is_email(value: str) -> bool:
    return "@" in (value or "")
