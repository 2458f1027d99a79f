import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_home_page_loads_and_search_form_is_usable(page):
    page.goto("/")
    assert page.locator("html").get_attribute("lang") == "vi"
    box = page.get_by_label("Tên thủ tục, lĩnh vực hoặc mã thủ tục")
    box.fill("dang ky khai sinh")
    box.press("Enter")
    page.wait_for_url("**/thu-tuc?q=dang+ky+khai+sinh")
