"""Demo data: the province's administrative units, a tree of agencies, staff in every role,
two citizens and a business, then the demo catalogue.

Agency identifiers follow the QCVN 102:2016 layout ``<cấp 4>.<cấp 3>.<cấp 2>.<cấp 1>``: the
level-1 part stands for the province (``H`` + its 2025 code, a demo value, not the official
register), level 2 numbers the bodies directly under the provincial committee (00 the committee
itself, 01 the service centre, 11-15 departments, 51-55 commune committees) and level 3 their
divisions.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction

from motcua.accounts.validators import tax_check_digit, validate_cccd, validate_tax_code
from motcua.organisations.adminunits import load_admin_units
from motcua.organisations.models import AdministrativeUnit, Agency, Role, StaffRole

DEMO_PASSWORD = "demo12345"
SYSTEM_ADMIN_USERNAME = "quantri"
# Communes used in the demo when the province is Hải Phòng (official 2025 codes).
PREFERRED_COMMUNES = ["11311", "11383", "11329", "11629", "11824"]

DEPARTMENTS = [
    # (level-2 number, name, short name, division name)
    ("11", "Sở Tư pháp", "STP", "Phòng Hành chính tư pháp"),
    ("12", "Sở Xây dựng", "SXD", "Phòng Quản lý hoạt động xây dựng"),
    ("13", "Sở Tài chính", "STC", "Phòng Đăng ký kinh doanh"),
    ("14", "Sở Y tế", "SYT", "Phòng Nghiệp vụ dược"),
    ("15", "Công an {city}", "CA", "Phòng Cảnh sát quản lý hành chính về trật tự xã hội"),
]


@dataclass
class DemoAccount:
    username: str
    role: str
    agency: str
    password: str = DEMO_PASSWORD


def agency_code(province_code: str, level2: str = "00", level3: str = "00") -> str:
    return f"000.{level3}.{level2}.H{province_code}"


def demo_exists(province_code: str | None = None) -> bool:
    province_code = province_code or settings.PROVINCE_CODE
    return (
        Agency.objects.filter(code=agency_code(province_code)).exists()
        and get_user_model().objects.filter(username=SYSTEM_ADMIN_USERNAME).exists()
    )


def _agency(code, **fields) -> Agency:
    agency, _ = Agency.objects.update_or_create(code=code, defaults=fields)
    return agency


def _user(username, kind, full_name, superuser=False, **fields):
    User = get_user_model()
    user, created = User.objects.get_or_create(
        username=username, defaults={"kind": kind, "full_name": full_name, "contact_confirmed": True, **fields}
    )
    if created:
        user.set_password(DEMO_PASSWORD)
        if superuser:
            user.is_staff = user.is_superuser = True
        user.save()
    return user


def _business_tax_code() -> str:
    """A valid tax code in Hải Phòng's 02xxxxxxxx range, derived from the check-digit rule."""
    for n in range(200123456, 200123556):
        first_nine = f"{n:09d}"
        check = tax_check_digit(first_nine)
        if check is not None:
            return validate_tax_code(f"{first_nine}{check}")
    raise RuntimeError("no valid tax code found")


@transaction.atomic
def build_agencies(province_code: str) -> dict[str, Agency]:
    province = AdministrativeUnit.objects.get(key=AdministrativeUnit.make_key(province_code, "province", False))
    city = f"{province.unit_type.lower()} {province.short_name}"  # "thành phố Hải Phòng"
    P, C = Agency.Level.PROVINCE, Agency.Level.COMMUNE
    K = Agency.Kind
    agencies: dict[str, Agency] = {}
    root = agencies["committee"] = _agency(
        agency_code(province_code),
        name=f"Ủy ban nhân dân {city}",
        short_name=f"UBND {province.short_name}",
        kind=K.PROVINCE_COMMITTEE,
        level=P,
        administrative_unit=province,
    )
    agencies["service_centre"] = _agency(
        agency_code(province_code, "01"),
        name=f"Trung tâm Phục vụ hành chính công {city}",
        short_name="TTPVHCC",
        kind=K.SERVICE_CENTRE,
        level=P,
        parent=root,
        administrative_unit=province,
        is_service_point=True,
    )
    for number, name, short, division in DEPARTMENTS:
        name = name.format(city=city)
        dept = agencies[short] = _agency(
            agency_code(province_code, number), name=name, short_name=short, kind=K.DEPARTMENT, level=P, parent=root,
            administrative_unit=province,
        )
        agencies[f"{short}.division"] = _agency(
            agency_code(province_code, number, "01"),
            name=f"{division} – {name}",
            short_name=division,
            kind=K.DIVISION,
            level=P,
            parent=dept,
            administrative_unit=province,
        )
    communes = list(province.children.filter(code__in=PREFERRED_COMMUNES, is_legacy=False))
    communes.sort(key=lambda u: PREFERRED_COMMUNES.index(u.code))
    if len(communes) < 5:
        communes = list(province.children.filter(is_legacy=False).order_by("code")[:5])
    for i, unit in enumerate(communes, start=1):
        agencies[f"commune{i}"] = _agency(
            agency_code(province_code, f"{50 + i}"),
            name=f"Ủy ban nhân dân {unit.name[0].lower()}{unit.name[1:]}",
            short_name=f"UBND {unit.name}",
            kind=K.COMMUNE_COMMITTEE,
            level=C,
            parent=root,
            administrative_unit=unit,
            is_service_point=True,
        )
    return agencies


def build_people(agencies: dict[str, Agency], province_code: str) -> list[DemoAccount]:
    User = get_user_model()
    accounts: list[DemoAccount] = []

    def staff(username, full_name, role, agency, unit=None, superuser=False):
        user = _user(username, User.Kind.STAFF, full_name, superuser=superuser)
        StaffRole.objects.update_or_create(user=user, agency=agency, role=role, defaults={"unit": unit})
        accounts.append(DemoAccount(username, Role(role).label, agency.name))

    justice, justice_div = agencies["STP"], agencies["STP.division"]
    commune = agencies["commune1"]
    staff("tuphap.tiepnhan", "Phạm Thị Hoa", Role.RECEPTION, justice)
    staff("tuphap.chuyenvien", "Lê Văn Minh", Role.SPECIALIST, justice, unit=justice_div)
    staff("tuphap.lanhdao", "Nguyễn Đức Thắng", Role.LEADER, justice)
    staff("tuphap.quantri", "Vũ Thị Lan", Role.AGENCY_ADMIN, justice)
    staff("ttpvhcc.tiepnhan", "Đỗ Thu Trang", Role.RECEPTION, agencies["service_centre"])
    staff("xa.tiepnhan", "Hoàng Văn Nam", Role.RECEPTION, commune)
    staff("xa.chuyenvien", "Bùi Thị Mai", Role.SPECIALIST, commune)
    staff("xa.lanhdao", "Trần Quốc Hùng", Role.LEADER, commune)
    staff("xa.quantri", "Ngô Thị Hạnh", Role.AGENCY_ADMIN, commune)
    staff("thanhpho.theodoi", "Đặng Minh Tuấn", Role.MANAGER, agencies["committee"])
    staff(SYSTEM_ADMIN_USERNAME, "Quản trị hệ thống", Role.SYSTEM_ADMIN, agencies["committee"], superuser=True)

    cccd_code = f"0{province_code}"  # the CCCD birth-place code, when the province kept its code
    citizens = [
        ("0912345678", "Nguyễn Văn An", f"{cccd_code}090001234", dt.date(1990, 5, 12), {"phone": "0912345678"}),
        (
            "tran.thi.binh@example.vn",
            "Trần Thị Bình",
            f"{cccd_code}195004321",
            dt.date(1995, 9, 3),
            {"email": "tran.thi.binh@example.vn"},
        ),
    ]
    for username, name, cccd, born, contact in citizens:
        try:
            cccd = validate_cccd(cccd, birth_date=born)
        except Exception:  # a province code outside the CCCD list: fall back to Hải Phòng's
            cccd = validate_cccd("031" + cccd[3:], birth_date=born)
        _user(username, User.Kind.CITIZEN, name, identity_number=cccd, birth_date=born,
              administrative_unit=commune.administrative_unit, **contact)
        accounts.append(DemoAccount(username, "Công dân", "—"))
    _user("0931234567", User.Kind.BUSINESS, "Công ty TNHH Thương mại Cảng Xanh", tax_code=_business_tax_code(),
          phone="0931234567")
    accounts.append(DemoAccount("0931234567", "Doanh nghiệp", "—"))
    return accounts


@transaction.atomic
def load_demo(province_code: str | None = None) -> list[DemoAccount]:
    """Create (or complete) the demo data; safe to run again."""
    from motcua.catalog.demo import load_demo_catalogue

    province_code = province_code or settings.PROVINCE_CODE
    load_admin_units(province=province_code)
    agencies = build_agencies(province_code)
    accounts = build_people(agencies, province_code)
    load_demo_catalogue()
    return accounts
