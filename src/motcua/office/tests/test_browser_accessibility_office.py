"""axe-core in Chromium on the staff pages a desk officer uses all day."""

import pytest
from django.test import Client

from motcua.office.tests.conftest import submit_dossier

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_office_pages_have_no_serious_accessibility_violations(browser, live_server, procedure, agency, citizen, desk):
    from axe_playwright_python.sync_playwright import Axe

    dossier = submit_dossier(procedure, agency, citizen)
    client = Client()
    client.force_login(desk)
    context = browser.new_context(locale="vi-VN", viewport={"width": 1280, "height": 900}, bypass_csp=True)
    context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}])
    page = context.new_page()
    axe = Axe()
    problems = []
    try:
        for path in ["/can-bo/", "/can-bo/tiep-nhan/", f"/can-bo/ho-so/{dossier.pk}/", "/can-bo/ho-so/", "/can-bo/tiep-nhan/tai-quay/"]:
            response = page.goto(live_server.url + path)
            assert response.status == 200, path
            for violation in axe.run(page).response["violations"]:
                if violation["impact"] in ("serious", "critical"):
                    targets = [node["target"] for node in violation["nodes"]][:3]
                    problems.append(f"{path}: {violation['id']} ({violation['impact']}) {targets}")
    finally:
        context.close()
    assert not problems, "\n".join(problems)
