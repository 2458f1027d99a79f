"""Issue 4 "Done when": a citizen registers, finds "Đăng ký khai sinh", fills the e-form, attaches two
files, leaves, resumes the draft, submits, reads the code and looks it up publicly."""

import re

import pytest

from motcua.dossiers.models import Attachment, Dossier
from motcua.dossiers.tests.conftest import PDF, PNG
from motcua.integrations.models import OutboxMessage


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_register_submit_resume_and_track(page, birth_procedure):
    birth_procedure.refresh_search_text()
    birth_procedure.save()

    # register and confirm
    page.goto("/dang-ky/")
    page.get_by_role("radio", name="Công dân").check()
    page.get_by_label("Số điện thoại di động hoặc thư điện tử").fill("0987 654 321")
    page.get_by_label("Họ và tên (hoặc tên tổ chức)").fill("Lê Thị Mai")
    page.get_by_label("Số CCCD (công dân)").fill("031195012345")
    page.locator("#id_password").fill("Mat-khau-9x!")
    page.locator("#id_password2").fill("Mat-khau-9x!")
    page.get_by_role("button", name="Đăng ký").click()
    page.wait_for_url("**/xac-nhan/")
    code = re.search(r"\b(\d{6})\b", OutboxMessage.objects.get(recipient="0987654321").body).group(1)
    page.get_by_label("Mã xác nhận (6 chữ số)").fill(code)
    page.get_by_role("button", name="Xác nhận", exact=True).click()
    page.wait_for_url(re.compile(r"/$"))

    # find the procedure and start
    page.locator("#q").fill("khai sinh")
    page.locator("#q").press("Enter")
    page.get_by_role("link", name="Đăng ký khai sinh").first.click()
    page.get_by_role("link", name="Nộp hồ sơ trực tuyến").click()
    page.get_by_role("button", name="Bắt đầu khai hồ sơ").click()
    page.wait_for_url(re.compile(r"/nop-ho-so/nhap/\d+/$"))
    draft_url = page.url

    # prefilled from the profile
    assert page.get_by_label("Họ và tên / tên tổ chức").input_value() == "Lê Thị Mai"
    assert page.locator("#applicant_identity").input_value() == "031195012345"

    # the e-form, rendered from the schema
    page.get_by_label("Họ, chữ đệm, tên người được khai sinh").fill("LÊ MINH KHANG")
    page.get_by_label("Ngày sinh").fill("2026-10-01")
    page.get_by_role("radio", name="Nam", exact=True).check()
    page.get_by_label("Nơi sinh").fill("Bệnh viện Phụ sản Hải Phòng")
    page.get_by_label("Họ tên người mẹ").fill("Lê Thị Mai")

    # two files, one per required component
    components = list(birth_procedure.components.filter(required=True).order_by("order"))
    page.locator(f"#upload_{components[0].pk}").set_input_files(
        {"name": "giay-chung-sinh.pdf", "mimeType": "application/pdf", "buffer": PDF}
    )
    page.locator(f"#upload_{components[1].pk}").set_input_files(
        {"name": "cccd-me.png", "mimeType": "image/png", "buffer": PNG}
    )
    page.get_by_role("button", name="Tải lên").first.click()
    page.wait_for_load_state()
    assert page.get_by_text("giay-chung-sinh.pdf").is_visible()
    assert page.get_by_text("cccd-me.png").is_visible()

    # a later edit is saved automatically (htmx), then the citizen leaves
    page.get_by_label("Họ tên người cha").fill("Trần Văn Long")
    page.locator("#autosave-status").get_by_text("Đã tự động lưu").wait_for()
    page.goto("/")

    # come back ("another device": a fresh page) and resume from "Hồ sơ của tôi"
    resumed = page.context.new_page()
    resumed.goto("/ho-so-cua-toi/")
    resumed.get_by_role("link", name=re.compile("Tiếp tục bản nháp")).click()
    assert resumed.url == draft_url
    assert resumed.get_by_label("Họ, chữ đệm, tên người được khai sinh").input_value() == "LÊ MINH KHANG"
    assert resumed.get_by_label("Họ tên người cha").input_value() == "Trần Văn Long"
    assert resumed.get_by_text("cccd-me.png").is_visible()

    # review and submit
    resumed.get_by_role("button", name="Xem lại và nộp").click()
    resumed.wait_for_url("**/xem-lai/")
    assert resumed.get_by_text("01/10/2026").is_visible()
    resumed.get_by_role("button", name="Nộp hồ sơ").click()
    resumed.wait_for_url(re.compile(r"/ho-so-cua-toi/\d+/$"))
    dossier_code = resumed.locator("#dossier-code").inner_text().strip()
    assert re.fullmatch(r"000\.00\.31\.H26-\d{6}-0001", dossier_code)
    assert f"Mã hồ sơ của bạn: {dossier_code}" in resumed.content()
    assert Dossier.objects.get(code=dossier_code).status == 1
    assert Attachment.objects.filter(dossier__code=dossier_code).count() == 2

    # public lookup, logged out
    public = page.context.browser.new_context(locale="vi-VN", base_url=page.url.split("/", 3)[0] + "//" + page.url.split("/")[2]).new_page()
    public.goto("/tra-cuu")
    public.get_by_label("Mã hồ sơ").fill(dossier_code)
    public.get_by_role("button", name="Tra cứu").click()
    assert public.locator("#track-status").inner_text() == "Mới đăng ký"
    assert "L*** T*** M" in public.content()
    public.context.close()
