"""The work inbox's rows (built as HTML in the view): escaped, translated, late marked, agency-scoped."""

from __future__ import annotations

import datetime as dt
import re

from django.urls import reverse
from django.utils import timezone

from motcua.dossiers.models import Dossier, Status
from motcua.office.tests.conftest import make_staff, submit_dossier
from motcua.organisations.models import Agency, StaffRole

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


def _codes(html: str) -> list[str]:
    return re.findall(r'<a href="/can-bo/ho-so/\d+/">(TEST-\d+)</a>', html)


def test_inbox_pages_merge_agencies_and_statuses_in_time_order(client, procedure, agency, other_agency, citizen, monkeypatch):
    """On PostgreSQL each (agency, status) is read apart and merged; the pages must equal the plain
    ORM order (appointment, then id; no appointment last on PostgreSQL) and stay in scope."""
    from motcua.office import forms, views

    staff = make_staff(agency, "specialist", username="hai-co-quan")
    StaffRole.objects.create(user=staff, agency=other_agency, role="specialist")
    third = Agency.objects.create(code="000.00.03.H31", name="UBND phường Lê Chân", kind=Agency.Kind.COMMUNE_COMMITTEE, level=Agency.Level.COMMUNE)
    statuses = [Status.ACCEPTED, Status.PROCESSING, Status.SUPPLEMENT_REQUESTED, Status.DECIDED, Status.RETURNED]
    now = timezone.now().replace(microsecond=0)
    for i in range(23):
        place = [agency, other_agency, agency, third][i % 4]
        due = None if i in (5, 12) else now + dt.timedelta(hours=(i * 5) % 7)  # ties on purpose
        Dossier.objects.create(
            procedure=procedure, receiving_agency=place, competent_agency=place, current_agency=place, owner=citizen,
            applicant_name=f"Người {i}", code=f"TEST-{i:03d}", status=statuses[i % 5], appointment_at=due,
        )
    monkeypatch.setattr(views, "PAGE_SIZE", 4)
    client.force_login(staff)

    def pages(query: str) -> list[str]:
        seen, page = [], 1
        while True:
            html = client.get(f"{reverse('office:inbox')}?{query}&trang={page}").content.decode()
            seen += _codes(html)
            if "Trang sau" not in html:
                return seen
            page += 1

    inbox = [s for s, _ in forms.INBOX_STATUSES]
    expected = Dossier.objects.filter(current_agency__in=[agency, other_agency], status__in=inbox).order_by("appointment_at", "id")
    assert pages("") == [d.code for d in expected] and len(expected) > 8
    expected = expected.filter(status=Status.PROCESSING, current_agency=other_agency)
    assert pages(f"trang-thai=4&co-quan={other_agency.pk}") == [d.code for d in expected] and expected
    assert pages(f"co-quan={third.pk}") == pages("")  # not one of theirs: ignored


def test_inbox_page_number_out_of_range_is_not_an_error(client, specialist):
    client.force_login(specialist)
    for page in ("0", "-3", "abc", "99999999999999999999999"):
        assert client.get(reverse("office:inbox") + f"?trang={page}").status_code == 200


def test_office_tabs_follow_the_language_and_the_current_page(client, specialist):
    """The tabs are rendered once per language and page in the process (office_tags.office_nav)."""
    client.force_login(specialist)
    for _ in range(2):
        html = client.get(reverse("office:inbox")).content.decode()
        assert 'href="/can-bo/ho-so/" aria-current="page">Hồ sơ đang xử lý</a>' in html and "Tiếp nhận tại quầy" in html
        html = client.get(reverse("office:inbox"), **EN).content.decode()
        assert 'href="/can-bo/ho-so/" aria-current="page">Dossiers in progress</a>' in html and "Received at the counter" in html
        assert "Tiếp nhận tại quầy" not in html


def test_inbox_search_by_code_as_typed_or_in_lower_case(client, specialist, procedure, agency, citizen):
    d = _in_processing(procedure, agency, citizen, name="Trần Thị Cúc", identity="001203000205", due=timezone.now())
    other = _in_processing(procedure, agency, citizen, name="Lê Văn Dũng", identity="001203000206", due=timezone.now())
    assert d.code == d.code.upper() and "-" in d.code
    client.force_login(specialist)
    for q in (d.code, d.code.lower(), d.code[:-1]):
        html = client.get(reverse("office:inbox"), {"q": q}).content.decode()
        assert d.code in html, q
    html = client.get(reverse("office:inbox"), {"q": d.code.lower()}).content.decode()
    assert other.code not in html


def test_reception_rows_are_escaped_dated_and_scoped(client, desk, outsider, procedure, agency, citizen):
    d = submit_dossier(procedure, agency, citizen, name="<i>Phạm & Co</i>", identity="001203000207", files=False)
    client.force_login(desk)
    html = client.get(reverse("office:reception")).content.decode()
    row = html[html.index(d.code) - 60 : html.index("</tr>", html.index(d.code))]
    assert f'<a href="/can-bo/ho-so/{d.pk}/">{d.code}</a>' in row and "&lt;i&gt;Phạm &amp; Co&lt;/i&gt;" in row
    assert f"<td>{procedure.name}</td>" in row
    assert timezone.localtime(d.submitted_at).strftime("%d/%m/%Y %H:%M") in row
    client.force_login(outsider)
    html = client.get(reverse("office:reception")).content.decode()
    assert d.code not in html and "Không có hồ sơ nào chờ tiếp nhận." in html


def test_status_filter_keeps_the_chosen_status_and_translates(client, specialist):
    client.force_login(specialist)
    html = client.get(reverse("office:inbox") + "?trang-thai=5").content.decode()
    assert '<option value="5" selected>Yêu cầu bổ sung giấy tờ</option>' in html and '<option value="4">Đang xử lý</option>' in html
    assert html.count(" selected>") == 1
    html = client.get(reverse("office:inbox"), **EN).content.decode()
    assert '<option value="4">Processing</option>' in html and " selected>" not in html.split('id="status"')[1].split("</select>")[0]
