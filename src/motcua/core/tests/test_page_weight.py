"""Issue 2: no page over 150 KB before images on first load (HTML + the CSS and scripts it links)."""

import re

import pytest
from django.contrib.staticfiles import finders

from motcua.catalog.demo import load_demo_catalogue

pytestmark = pytest.mark.django_db
LIMIT = 150_000
ASSET = re.compile(r'(?:href|src)="(/static/[^"]+\.(?:css|js))"')


def first_load_bytes(client, path) -> int:
    response = client.get(path)
    assert response.status_code == 200, path
    html = response.content
    total = len(html)
    for url in set(ASSET.findall(html.decode())):
        found = finders.find(url.removeprefix("/static/"))
        assert found, url
        with open(found, "rb") as fh:
            total += len(fh.read())
    return total


@pytest.mark.parametrize(
    "path", ["/", "/thu-tuc", "/thu-tuc?q=khai+sinh", "/thu-tuc/1.001193", "/tra-cuu", "/dang-nhap/", "/dang-ky/"]
)
def test_public_pages_stay_under_150_kb(client, path):
    load_demo_catalogue()
    assert first_load_bytes(client, path) < LIMIT
