import datetime as dt
import sqlite3

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from motcua.accounts.validators import (
    CCCD_PROVINCE_CODES,
    TAX_WEIGHTS,
    normalise_phone,
    tax_check_digit,
    validate_cccd,
    validate_tax_code,
)
from motcua.organisations.adminunits import dataset_path

province_codes = st.sampled_from(sorted(CCCD_PROVINCE_CODES))


def test_cccd_codes_are_the_63_legacy_provinces():
    con = sqlite3.connect(dataset_path())
    legacy = {"0" + code for (code,) in con.execute("SELECT DISTINCT provinceCode FROM admin_units_legacy")}
    assert len(CCCD_PROVINCE_CODES) == 63 and CCCD_PROVINCE_CODES == legacy


@given(province_codes, st.integers(1900, 2099), st.sampled_from(["male", "female"]), st.integers(0, 999_999))
def test_cccd_valid_numbers_are_accepted(province, year, sex, serial):
    digit = (year - 1900) // 100 * 2 + (1 if sex == "female" else 0)
    number = f"{province}{digit}{year % 100:02d}{serial:06d}"
    assert validate_cccd(number, birth_date=dt.date(year, 6, 1), sex=sex) == number
    assert validate_cccd(f" {number[:6]} {number[6:]} ") == number


@given(st.text(alphabet="0123456789", min_size=0, max_size=15).filter(lambda s: len(s) != 12))
def test_cccd_wrong_length_is_refused(value):
    with pytest.raises(ValidationError, match="12 chữ số"):
        validate_cccd(value)


@given(st.integers(0, 999).map(lambda n: f"{n:03d}").filter(lambda c: c not in CCCD_PROVINCE_CODES))
def test_cccd_unknown_province_is_refused(code):
    with pytest.raises(ValidationError, match="mã tỉnh"):
        validate_cccd(code + "095012345")


def test_cccd_birth_year_and_sex_are_checked():
    number = "031095012345"  # Hải Phòng, male born 1995
    assert validate_cccd(number, birth_date=dt.date(1995, 3, 2), sex="nam")
    with pytest.raises(ValidationError, match="năm sinh"):
        validate_cccd(number, birth_date=dt.date(2095, 3, 2))
    with pytest.raises(ValidationError, match="giới tính"):
        validate_cccd(number, sex="nữ")
    assert validate_cccd("001301012345", birth_date=dt.date(2001, 1, 1), sex="female")
    with pytest.raises(ValidationError, match="năm sinh"):
        validate_cccd("001301012345", birth_date=dt.date(1901, 1, 1))


def test_tax_code_known_values():
    assert validate_tax_code("0100109106") == "0100109106"  # Viettel
    assert validate_tax_code("0100109106-001") == "0100109106-001"
    assert validate_tax_code("0100109106001") == "0100109106-001"
    for bad in ["0100109107", "010010910", "0100109106-000", "0100109106-01", "abc", ""]:
        with pytest.raises(ValidationError):
            validate_tax_code(bad)


@given(st.text(alphabet="0123456789", min_size=9, max_size=9), st.integers(1, 999))
def test_tax_code_check_digit_property(first_nine, branch):
    total = sum(int(d) * w for d, w in zip(first_nine, TAX_WEIGHTS))
    check = tax_check_digit(first_nine)
    if total % 11 == 0:
        assert check is None
        for last in "0123456789":
            with pytest.raises(ValidationError, match="chữ số kiểm tra"):
                validate_tax_code(first_nine + last)
        return
    assert check == 10 - total % 11
    code = f"{first_nine}{check}"
    assert validate_tax_code(code) == code
    assert validate_tax_code(f"{code}-{branch:03d}") == f"{code}-{branch:03d}"
    with pytest.raises(ValidationError):
        validate_tax_code(f"{first_nine}{(check + 1) % 10}")


@given(st.sampled_from("35789"), st.text(alphabet="0123456789", min_size=9, max_size=9))
def test_phone_forms_normalise_to_the_same_number(first, rest):
    local = f"0{first}{rest[:8]}"
    assert normalise_phone(local) == local
    assert normalise_phone("+84" + local[1:]) == local
    assert normalise_phone("84" + local[1:]) == local
    assert normalise_phone(f"{local[:4]} {local[4:7]}.{local[7:]}") == local


@pytest.mark.parametrize("bad", ["", "0123456789", "091234567", "09123456789", "+1 912345678", "số"])
def test_bad_phones_are_refused(bad):
    with pytest.raises(ValidationError, match="Số điện thoại"):
        normalise_phone(bad)
