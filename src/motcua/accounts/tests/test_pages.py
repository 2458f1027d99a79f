import re
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from motcua.accounts.models import ApiToken, LoginFailure, OneTimeCode, User
from motcua.accounts.services import create_api_token, find_user
from motcua.integrations.models import OutboxMessage
from motcua.organisations.adminunits import load_admin_units
from motcua.organisations.models import AdministrativeUnit as AU

pytestmark = pytest.mark.django_db
PASSWORD = "Mat-khau-9x!"


def code_sent_to(target):
    msg = OutboxMessage.objects.filter(recipient=target).order_by("-pk").first()
    return re.search(r"\b(\d{6})\b", msg.body).group(1)


def make_user(username="0912345678", **extra):
    defaults = {"phone": username if username[0] == "0" else "", "contact_confirmed": True, "full_name": "Lê Văn Tám"}
    user = User(username=username, **{**defaults, **extra})
    user.set_password(PASSWORD)
    user.save()
    return user


def register(client, **overrides):
    data = {
        "kind": "citizen",
        "contact": "+84 912 345 678",
        "full_name": "Nguyễn  Thị Hoa",
        "identity_number": "031195012345",
        "password": PASSWORD,
        "password2": PASSWORD,
        **overrides,
    }
    return client.post("/dang-ky/", data)


def test_register_then_confirm_logs_in(client):
    response = register(client)
    assert response.status_code == 302 and response["Location"] == "/xac-nhan/"
    user = User.objects.get()
    assert user.username == "0912345678" and user.phone == "0912345678" and user.full_name == "Nguyễn Thị Hoa"
    assert not user.contact_confirmed and user.check_password(PASSWORD)
    assert "_auth_user_id" not in client.session

    page = client.get("/xac-nhan/")
    assert "09******78" in page.content.decode()
    bad = client.post("/xac-nhan/", {"code": "12345"})
    assert bad.status_code == 400 and "6 chữ số" in bad.content.decode()
    wrong = f"{(int(code_sent_to('0912345678')) + 1) % 10**6:06d}"
    assert client.post("/xac-nhan/", {"code": wrong}).status_code == 400

    response = client.post("/xac-nhan/", {"code": code_sent_to("0912345678")})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.contact_confirmed and client.session["_auth_user_id"] == str(user.pk)


def test_register_errors_are_vietnamese_and_nothing_is_saved(client):
    response = register(client, contact="12345", identity_number="999195012345", password="123", password2="124")
    body = response.content.decode()
    assert response.status_code == 400
    assert "Hai mật khẩu không giống nhau" in body
    assert not User.objects.exists() and not OutboxMessage.objects.exists()
    response = register(client, contact="abc", identity_number="999195012345")
    body = response.content.decode()
    assert "Số điện thoại di động không hợp lệ" in body and "mã tỉnh" in body


def test_register_business_by_email_and_duplicates(client):
    response = register(client, kind="business", contact="LienHe@Cty.vn", tax_code="0100109106", identity_number="")
    assert response.status_code == 302
    user = User.objects.get()
    assert user.kind == "business" and user.email == "lienhe@cty.vn" and user.tax_code == "0100109106"
    assert OutboxMessage.objects.get().channel == "email"
    client.cookies.clear()
    response = register(client, kind="business", contact="lienhe@cty.vn", tax_code="0100109106")
    assert response.status_code == 400 and "đã được đăng ký" in response.content.decode()
    response = register(client, kind="business", contact="khac@cty.vn", tax_code="0100109107")
    assert "chữ số kiểm tra" in response.content.decode()


def test_resend_is_throttled(client):
    register(client)
    response = client.post("/xac-nhan/", {"action": "resend"})
    assert response.status_code == 429 and "giây" in response.content.decode()
    OneTimeCode.objects.update(created_at=timezone.now() - timedelta(seconds=61))
    response = client.post("/xac-nhan/", {"action": "resend"})
    assert response.status_code == 200 and OutboxMessage.objects.count() == 2


@pytest.mark.parametrize("identifier", ["0912345678", "+84912345678", "AN@example.vn", "an.le"])
def test_login_by_phone_email_or_username(client, identifier):
    make_user("an.le", phone="0912345678", email="an@example.vn")
    response = client.post("/dang-nhap/", {"username": identifier, "password": PASSWORD})
    assert response.status_code == 302
    assert find_user(identifier).username == "an.le"


def test_lockout_per_username_then_per_ip(client):
    make_user()
    for _ in range(5):
        response = client.post("/dang-nhap/", {"username": "0912345678", "password": "sai"})
        assert response.status_code == 200 and "không đúng" in response.content.decode()
    response = client.post("/dang-nhap/", {"username": "+84 912 345 678", "password": PASSWORD})
    assert response.status_code == 429 and "tạm bị khóa" in response.content.decode()
    assert "_auth_user_id" not in client.session
    # another address is still locked for this account
    response = client.post("/dang-nhap/", {"username": "0912345678", "password": PASSWORD}, REMOTE_ADDR="10.0.0.9")
    assert response.status_code == 429
    # once the window has passed the right password works again
    LoginFailure.objects.update(created_at=timezone.now() - timedelta(minutes=16))
    response = client.post("/dang-nhap/", {"username": "0912345678", "password": PASSWORD})
    assert response.status_code == 302


def test_lockout_per_ip_across_usernames(client):
    make_user()
    for i in range(5):
        client.post("/dang-nhap/", {"username": f"09000000{i:02d}", "password": "sai"}, REMOTE_ADDR="10.1.1.1")
    response = client.post("/dang-nhap/", {"username": "0912345678", "password": PASSWORD}, REMOTE_ADDR="10.1.1.1")
    assert response.status_code == 429
    response = client.post("/dang-nhap/", {"username": "0912345678", "password": PASSWORD}, REMOTE_ADDR="10.1.1.2")
    assert response.status_code == 302


def test_password_reset_by_code(client):
    user = make_user()
    response = client.post("/quen-mat-khau/", {"step": "request", "identifier": "0912345678"})
    assert response.status_code == 302
    # an unknown account gets the same answer and no message
    client2 = client.__class__()
    assert client2.post("/quen-mat-khau/", {"step": "request", "identifier": "0999999999"}).status_code == 302
    assert OutboxMessage.objects.count() == 1

    response = client.post("/quen-mat-khau/", {"code": "000000", "password": "Moi-mat-khau-7", "password2": "Moi-mat-khau-7"})
    if code_sent_to("0912345678") != "000000":
        assert response.status_code == 400 and "không đúng" in response.content.decode()
    code = code_sent_to("0912345678")
    response = client.post("/quen-mat-khau/", {"code": code, "password": "12345678", "password2": "12345678"})
    assert response.status_code == 400  # numeric password refused; the code was not used up
    response = client.post("/quen-mat-khau/", {"code": code, "password": "Moi-mat-khau-7", "password2": "Moi-mat-khau-7"})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password("Moi-mat-khau-7")


def test_profile_with_province_and_commune(client):
    load_admin_units(province="31")
    user = make_user()
    client.force_login(user)
    province = AU.make_key("31", "province", False)
    options = client.get("/dia-ban/xa-phuong/", {"province": province}).content.decode()
    assert options.count("<option") == 115 and "Phường Hồng Bàng" in options
    commune = AU.make_key("11311", "commune", False)
    # without JavaScript: choosing only the province shows its communes
    response = client.post("/tai-khoan/", {"full_name": "Lê Văn Tám", "phone": "0912345678", "province": province})
    assert response.status_code == 400 and "Vui lòng chọn xã/phường" in response.content.decode()
    assert "Phường Hồng Bàng" in response.content.decode()
    other = AU.objects.create(key="new:c:00004", code="00004", name="Phường Ba Đình", level="commune")
    response = client.post(
        "/tai-khoan/", {"full_name": "Lê Văn Tám", "phone": "0912345678", "province": province, "administrative_unit": other.pk}
    )
    assert response.status_code == 400  # a commune of another province is refused
    response = client.post(
        "/tai-khoan/",
        {"full_name": "Lê Văn Tám", "phone": "0912345678", "email": "", "province": province,
         "administrative_unit": commune, "address": "Số 1 Hoàng Văn Thụ"},
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.administrative_unit_id == commune and user.contact_confirmed
    page = client.get("/tai-khoan/").content.decode()
    assert f'<option value="{commune}" selected>Phường Hồng Bàng</option>' in page
    assert f'<option value="{province}" selected>' in page


def test_profile_contact_change_needs_confirmation(client):
    user = make_user()
    client.force_login(user)
    response = client.post("/tai-khoan/", {"full_name": "Lê Văn Tám", "phone": "0987654321", "email": ""})
    assert response.status_code == 302 and response["Location"] == "/xac-nhan/"
    user.refresh_from_db()
    assert user.phone == "0987654321" and not user.contact_confirmed
    client.post("/xac-nhan/", {"code": code_sent_to("0987654321")})
    user.refresh_from_db()
    assert user.contact_confirmed


def test_profile_requires_login(client):
    assert client.get("/tai-khoan/").status_code == 302


def test_api_tokens_page_and_command(client, capsys):
    user = make_user()
    client.force_login(user)
    client.post("/tai-khoan/ma-truy-cap/", {"name": "Phần mềm kế toán"})
    page = client.get("/tai-khoan/").content.decode()
    raw = re.search(r'id="new-token">([^<]+)<', page).group(1)
    token = ApiToken.objects.get()
    assert token.name == "Phần mềm kế toán" and raw.startswith(token.prefix) and raw not in token.token_hash
    assert 'id="new-token"' not in client.get("/tai-khoan/").content.decode()  # shown once
    other = make_user("0987654321")
    other_token, _ = create_api_token(other, "khác")
    client.post(reverse("accounts:token_revoke", args=[other_token.pk]))
    assert ApiToken.objects.filter(pk=other_token.pk).exists()  # not mine: untouched
    client.post(reverse("accounts:token_revoke", args=[token.pk]))
    assert not ApiToken.objects.filter(pk=token.pk).exists()

    call_command("create-api-token", "0912345678", "--name", "CLI")
    assert capsys.readouterr().out.strip().startswith("mc_")
    with pytest.raises(CommandError):
        call_command("create-api-token", "khong-co")


def test_stale_unconfirmed_registration_does_not_block_the_contact(client):
    register(client, full_name="Người Đăng Ký Nhầm")
    client.cookies.clear()
    response = register(client, full_name="Chủ Thật")
    assert response.status_code == 400  # the first code is still valid: refuse for now
    User.objects.update(date_joined=timezone.now() - timedelta(minutes=11))
    OneTimeCode.objects.update(created_at=timezone.now() - timedelta(minutes=11))
    response = register(client, full_name="Chủ Thật", identity_number="031090001234")
    assert response.status_code == 302
    user = User.objects.get()
    assert user.full_name == "Chủ Thật" and user.identity_number == "031090001234" and not user.contact_confirmed
    client.post("/xac-nhan/", {"code": code_sent_to("0912345678")})
    user.refresh_from_db()
    assert user.contact_confirmed
