"""The work inbox's rows (built as HTML in the view): escaped, translated, late marked, agency-scoped."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse
from django.utils import timezone

from motcua.dossiers.models import Dossier, Status
from motcua.office.tests.conftest import submit_dossier

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def _in_processing(procedure, agency, citizen, *, name: str, identity: str, due: dt.datetime) -> Dossier:
    d = submit_dossier(procedure, agency, citizen, name=name, identity=identity, files=False)
    Dossier.objects.filter(pk=d.pk).update(status=Status.PROCESSING, appointment_at=due)
    d.refresh_from_db()
    return d


def test_inbox_rows_are_escaped_and_show_time_left(client, specialist, procedure, agency, citizen):
    now = timezone.now()
    late = _in_processing(procedure, agency, citizen, name="<b>Lê & Văn \"Bình\"</b>", identity="001203000201", due=now - dt.timedelta(hours=5, minutes=3))
    soon = _in_processing(procedure, agency, citizen, name="Trần Thị Cúc", identity="001203000202", due=now + dt.timedelta(days=2, hours=3, minutes=10))
    client.force_login(specialist)
    html = client.get(reverse("office:inbox") + "?trang-thai=4").content.decode()
    assert "<b>Lê" not in html
    assert "&lt;b&gt;Lê &amp; Văn &quot;Bình&quot;&lt;/b&gt;" in html
    assert f'<a href="/can-bo/ho-so/{late.pk}/">{late.code}</a>' in html
    assert html.index(late.code) < html.index(soon.code)  # earliest appointment first
    row = html[html.index(late.code) : html.index("</tr>", html.index(late.code))]
    assert '<td class="late">quá hạn 5 giờ 3 phút</td>' in row and "<td>Đang xử lý</td>" in row
    assert timezone.localtime(late.appointment_at).strftime("%d/%m/%Y %H:%M") in row
    row = html[html.index(soon.code) : html.index("</tr>", html.index(soon.code))]
    assert "<td>còn 2 ngày 3 giờ</td>" in row and 'class="late"' not in row


def test_inbox_rows_in_english(client, specialist, procedure, agency, citizen):
    d = _in_processing(procedure, agency, citizen, name="Trần Thị Cúc", identity="001203000203", due=timezone.now() + dt.timedelta(days=1, hours=2, minutes=5))
    client.force_login(specialist)
    html = client.get(reverse("office:inbox"), **EN).content.decode()
    row = html[html.index(d.code) : html.index("</tr>", html.index(d.code))]
    assert "<td>Processing</td>" in row and "<td>1 days 2 hours left</td>" in row


def test_inbox_shows_only_the_staff_agency_and_says_when_empty(client, specialist, outsider, procedure, agency, citizen):
    d = _in_processing(procedure, agency, citizen, name="Trần Thị Cúc", identity="001203000204", due=timezone.now())
    client.force_login(outsider)
    html = client.get(reverse("office:inbox")).content.decode()
    assert d.code not in html and "Không có hồ sơ phù hợp." in html
    client.force_login(specialist)
    assert d.code in client.get(reverse("office:inbox")).content.decode()
