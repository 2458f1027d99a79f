"""Staff of another agency see nothing of this one: every office route, GET and POST."""

from __future__ import annotations

import pytest
from django.urls import URLPattern, reverse

from motcua.dossiers.models import Status
from motcua.office import urls as office_urls


def _routes():
    for pattern in office_urls.urlpatterns:
        assert isinstance(pattern, URLPattern)
        yield pattern.name, set(pattern.pattern.converters)


def test_every_office_route_is_covered():
    names = {name for name, _ in _routes()}
    assert {"dossier", "accept", "refuse", "attachment", "inbox", "reception", "register", "counter"} <= names


@pytest.mark.parametrize("method", ["get", "post"])
def test_outsider_gets_403_or_404_on_every_dossier_route(client, outsider, submitted, method):
    client.force_login(outsider)
    attachment = submitted.attachments.first()
    checked = 0
    for name, params in _routes():
        if "pk" not in params:
            continue
        kwargs = {"pk": submitted.pk}
        if "attachment_id" in params:
            kwargs["attachment_id"] = attachment.pk
        url = reverse(f"office:{name}", kwargs=kwargs)
        response = getattr(client, method)(url, {"reason": "Lý do bất kỳ đủ dài", "receiver_name": "X", "method": "counter"})
        assert response.status_code in (403, 404), (name, method, response.status_code)
        checked += 1
    assert checked >= 8
    submitted.refresh_from_db()
    assert submitted.status == Status.SUBMITTED
    assert submitted.events.count() == 1


def test_outsider_lists_never_show_the_dossier(client, outsider, submitted):
    client.force_login(outsider)
    for name, params in _routes():
        if "pk" in params:
            continue
        for query in ("", f"?q={submitted.code}", f"?q={submitted.applicant_identity}", "?tu=2000-01-01&den=2100-01-01"):
            response = client.get(reverse(f"office:{name}") + query)
            assert response.status_code in (200, 403, 405), (name, response.status_code)
            html = response.content.decode()
            assert f"/can-bo/ho-so/{submitted.pk}/" not in html and submitted.applicant_name not in html, name


def test_anonymous_is_sent_to_login(client, submitted):
    for name, params in _routes():
        kwargs = {"pk": submitted.pk} if "pk" in params else {}
        if "attachment_id" in params:
            kwargs["attachment_id"] = submitted.attachments.first().pk
        response = client.get(reverse(f"office:{name}", kwargs=kwargs))
        assert response.status_code == 302 and "/dang-nhap" in response["Location"], name


def test_outsider_cannot_claim_tasks_of_this_agency_in_bulk(client, desk, outsider, submitted):
    from motcua.office import services
    from motcua.workflow.models import Task

    client.force_login(desk)
    data = {f"form-{c.pk}": "electronic" for c in submitted.procedure.components.all()}
    data.update({f"count-{c.pk}": "1" for c in submitted.procedure.components.all()})
    client.post(reverse("office:accept", args=[submitted.pk]), data)
    task = services.current_task(submitted)
    client.force_login(outsider)
    r = client.post(reverse("office:task_bulk"), {"action": "claim", "task": [task.pk]})
    assert r.status_code == 302
    task.refresh_from_db()
    assert task.assignee_id is None and task.status == Task.Status.OPEN
    r = client.post(reverse("office:task_bulk"), {"action": "forward", "task": [task.pk]})
    task.refresh_from_db()
    assert task.status == Task.Status.OPEN
