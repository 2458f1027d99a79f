import re

import pytest

from motcua.accounts.models import User
from motcua.integrations.models import OutboxMessage


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_citizen_registers_confirms_and_is_logged_in(page):
    page.goto("/dang-ky/")
    page.get_by_role("radio", name="Công dân").check()
    page.get_by_label("Số điện thoại di động hoặc thư điện tử").fill("0912 345 678")
    page.get_by_label("Họ và tên (hoặc tên tổ chức)").fill("Nguyễn Thị Hoa")
    page.get_by_label("Số CCCD (công dân)").fill("031195012345")
    page.locator("#id_password").fill("Mat-khau-9x!")
    page.locator("#id_password2").fill("Mat-khau-9x!")
    page.get_by_role("button", name="Đăng ký").click()

    page.wait_for_url("**/xac-nhan/")
    assert "09******78" in page.content()
    message = OutboxMessage.objects.get(recipient="0912345678")
    code = re.search(r"\b(\d{6})\b", message.body).group(1)
    page.get_by_label("Mã xác nhận (6 chữ số)").fill(code)
    page.get_by_role("button", name="Xác nhận", exact=True).click()

    page.wait_for_url(re.compile(r"/$"))
    assert page.get_by_role("link", name="Nguyễn Thị Hoa").is_visible()
    assert "Tài khoản đã được xác nhận" in page.content()
    assert User.objects.get(username="0912345678").contact_confirmed
