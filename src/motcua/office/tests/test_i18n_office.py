"""The office pages follow the staff member's language; Vietnamese stays the default."""

from django.urls import reverse

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def test_office_pages_in_english_on_request(client, desk, submitted):
    client.force_login(desk)
    body = client.get(reverse("office:dashboard"), **EN).content.decode()
    assert "Online dossiers awaiting reception" in body and '<html lang="en">' in body
    body = client.get(reverse("office:reception"), **EN).content.decode()
    assert "Dossiers awaiting reception" in body and submitted.code in body
    body = client.get(reverse("office:dossier", args=[submitted.pk]), **EN).content.decode()
    assert "Required documents" in body
    assert "Newly submitted" in body  # the status label, translated in the template
    assert "Processing history" in body


def test_office_pages_stay_vietnamese_by_default(client, desk, submitted):
    client.force_login(desk)
    body = client.get(reverse("office:dossier", args=[submitted.pk])).content.decode()
    assert "Thành phần hồ sơ" in body and "Mới đăng ký" in body
    assert "Required documents" not in body
