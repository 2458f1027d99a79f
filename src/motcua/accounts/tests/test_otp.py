import re
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from motcua.accounts.models import OneTimeCode
from motcua.accounts.services import OtpThrottled, issue_otp, verify_otp
from motcua.integrations.models import OutboxMessage

pytestmark = pytest.mark.django_db


def last_code(target):
    msg = OutboxMessage.objects.filter(recipient=target).order_by("-pk").first()
    return re.search(r"\b(\d{6})\b", msg.body).group(1)


def test_issue_sends_through_outbox_and_stores_only_a_hash():
    assert issue_otp("register", "+84 912 345 678") == "09******78"
    msg = OutboxMessage.objects.get()
    assert msg.channel == "sms" and msg.recipient == "0912345678"
    code = last_code("0912345678")
    otp = OneTimeCode.objects.get()
    assert code not in otp.code_hash and len(otp.code_hash) == 64
    assert otp.expires_at - otp.created_at == timedelta(minutes=10)


def test_verify_once_with_normalised_target():
    issue_otp("register", "0912345678")
    code = last_code("0912345678")
    assert not verify_otp("password_reset", "0912345678", code)  # other purpose
    assert verify_otp("register", "84912345678", code)
    assert not verify_otp("register", "0912345678", code)  # used


def test_email_target_and_expiry():
    issue_otp("dossier_lookup", "An@Example.VN")
    msg = OutboxMessage.objects.get()
    assert msg.channel == "email" and msg.recipient == "an@example.vn" and "tra cứu hồ sơ" in msg.subject
    OneTimeCode.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert not verify_otp("dossier_lookup", "an@example.vn", last_code("an@example.vn"))


def test_five_attempts_then_blocked():
    issue_otp("register", "0912345678")
    code = last_code("0912345678")
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    for _ in range(5):
        assert not verify_otp("register", "0912345678", wrong)
    assert not verify_otp("register", "0912345678", code)
    assert OneTimeCode.objects.get().attempts == 5


def test_resend_throttle_and_new_code_replaces_old():
    issue_otp("register", "0912345678")
    old = last_code("0912345678")
    with pytest.raises(OtpThrottled) as exc:
        issue_otp("register", "0912345678")
    assert 55 <= exc.value.retry_after <= 60 and "giây" in exc.value.messages[0]
    OneTimeCode.objects.update(created_at=timezone.now() - timedelta(seconds=61))
    issue_otp("register", "0912345678")
    new = last_code("0912345678")
    if new != old:
        assert not verify_otp("register", "0912345678", old)
    assert verify_otp("register", "0912345678", new)


def test_bad_target_is_refused():
    with pytest.raises(ValidationError):
        issue_otp("register", "12345")
    assert not verify_otp("register", "12345", "000000")
