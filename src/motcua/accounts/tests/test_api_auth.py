import pytest
from django.conf import settings
from django.test import RequestFactory
from ninja import NinjaAPI, Router
from ninja.testing import TestClient

from motcua.accounts.auth import api_auth
from motcua.accounts.models import ApiToken, User
from motcua.accounts.services import create_api_token, revoke_api_token

pytestmark = pytest.mark.django_db

router = Router()


@router.get("/me", auth=api_auth)
def me(request):
    return {"username": request.auth.username}


@router.post("/me", auth=api_auth)
def me_post(request):
    return {"username": request.auth.username}


api = NinjaAPI(urls_namespace="test-accounts-auth")
api.add_router("/", router)
client = TestClient(api)


@pytest.fixture
def user():
    return User.objects.create_user("0912345678", password="x")


def test_bearer_token(user):
    token, raw = create_api_token(user, "tích hợp")
    response = client.get("/me", headers={"Authorization": f"Bearer {raw}"})
    assert response.status_code == 200 and response.json() == {"username": "0912345678"}
    assert ApiToken.objects.get().last_used_at is not None
    assert client.get("/me", headers={"Authorization": "Bearer mc_sai"}).status_code == 401
    assert client.get("/me").status_code == 401
    revoke_api_token(user, token.pk)
    assert client.get("/me", headers={"Authorization": f"Bearer {raw}"}).status_code == 401


def test_token_use_recorded_at_most_once_a_minute(user):
    from datetime import timedelta

    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from motcua.accounts.services import user_for_token

    _, raw = create_api_token(user, "x")
    with CaptureQueriesContext(connection) as first:
        assert user_for_token(raw) == user
    used = ApiToken.objects.get().last_used_at
    assert used is not None and len(first) == 2  # look-up, then the use recorded
    with CaptureQueriesContext(connection) as again:
        found = user_for_token(raw)
    assert found == user and found.username == user.username and len(again) == 1  # the look-up only
    assert ApiToken.objects.get().last_used_at == used
    ApiToken.objects.update(last_used_at=timezone.now() - timedelta(minutes=2))
    user_for_token(raw)
    assert ApiToken.objects.get().last_used_at > timezone.now() - timedelta(seconds=30)
    assert user_for_token("mc_sai") is None and user_for_token("") is None


def test_inactive_user_token_is_refused(user):
    _, raw = create_api_token(user, "x")
    User.objects.filter(pk=user.pk).update(is_active=False)
    assert client.get("/me", headers={"Authorization": f"Bearer {raw}"}).status_code == 401


def test_session_needs_csrf_for_unsafe_methods(user):
    _session_auth = api_auth[1]
    rf = RequestFactory(enforce_csrf_checks=True)
    request = rf.post("/me")
    request.COOKIES[settings.SESSION_COOKIE_NAME] = "abc"
    request.user = user
    request._dont_enforce_csrf_checks = False
    with pytest.raises(Exception) as exc:
        _session_auth(request)
    assert "CSRF" in str(exc.value)
    get = rf.get("/me")
    get.COOKIES[settings.SESSION_COOKIE_NAME] = "abc"
    get.user = user
    assert _session_auth(get) == user
