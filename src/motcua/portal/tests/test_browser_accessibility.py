"""axe-core in Chromium on the public pages: no serious or critical accessibility violation."""

import pytest

from motcua.catalog.demo import load_demo_catalogue

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PAGES = ["/", "/thu-tuc?q=khai+sinh", "/thu-tuc/1.001193", "/tra-cuu", "/dang-nhap/", "/dang-ky/"]


def test_public_pages_have_no_serious_accessibility_violations(browser, live_server):
    from axe_playwright_python.sync_playwright import Axe

    load_demo_catalogue()
    axe = Axe()
    # axe is injected by evaluate(); the site's CSP (script-src 'self') would refuse it otherwise.
    context = browser.new_context(locale="vi-VN", viewport={"width": 390, "height": 844}, bypass_csp=True)
    page = context.new_page()
    problems = []
    try:
        for path in PAGES:
            page.goto(live_server.url + path)
            results = axe.run(page)
            for violation in results.response["violations"]:
                if violation["impact"] in ("serious", "critical"):
                    targets = [node["target"] for node in violation["nodes"]][:3]
                    problems.append(f"{path}: {violation['id']} ({violation['impact']}) {targets}")
    finally:
        context.close()
    assert not problems, "\n".join(problems)
