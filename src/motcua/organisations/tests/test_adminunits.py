import pytest
from django.core.management import CommandError, call_command

from motcua.organisations.adminunits import load_admin_units
from motcua.organisations.models import AdministrativeUnit as AU

pytestmark = pytest.mark.django_db


def count(level, legacy):
    return AU.objects.filter(level=level, is_legacy=legacy).count()


def test_full_load_counts_parents_and_idempotence(capsys):
    call_command("load-admin-units", verbosity=1)
    assert count("province", False) == 34
    assert count("commune", False) == 3321
    assert count("province", True) == 63
    assert count("district", True) == 696
    assert count("commune", True) == 10035  # 10,040 rows: five island districts have no wards
    out = capsys.readouterr().out
    assert "thêm mới 14149" in out

    hp = AU.objects.get(key=AU.make_key("31", "province", False))
    assert hp.name == "Thành phố Hải Phòng" and hp.unit_type == "Thành phố"
    assert hp.children.count() == 114
    ward = AU.objects.get(key=AU.make_key("00004", "commune", False))
    assert ward.name == "Phường Ba Đình" and ward.parent.code == "01" and ward.name_folded == "phuong ba dinh"
    old = AU.objects.get(key=AU.make_key("00001", "commune", True))
    assert old.parent.level == "district" and old.parent.parent.key == AU.make_key("01", "province", True)
    assert not AU.objects.filter(level="commune", parent__isnull=True).exists()

    again = load_admin_units()
    assert (again.created, again.updated, again.unchanged) == (0, 0, 14149)


def test_province_fast_path_and_update():
    summary = load_admin_units(province="31")
    assert summary.created == 115
    assert AU.objects.count() == 115 and not AU.objects.filter(is_legacy=True).exists()
    AU.objects.filter(key=AU.make_key("10507", "commune", False)).update(name="sai tên")
    summary = load_admin_units(province="31")
    assert (summary.created, summary.updated, summary.unchanged) == (0, 1, 114)
    assert AU.objects.get(key=AU.make_key("10507", "commune", False)).name == "Phường Thành Đông"


def test_unknown_province_is_refused():
    with pytest.raises(CommandError, match="Không có tỉnh"):
        call_command("load-admin-units", province="99")
