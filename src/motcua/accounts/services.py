"""Account rules: registration, one-time codes (OTP), log-in look-up and lock-out, API tokens.

Other apps call ``issue_otp``/``verify_otp`` (e.g. looking up a dossier without its code).
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext

from motcua.accounts.models import ApiToken, LoginFailure, OneTimeCode
from motcua.accounts.validators import is_email, normalise_phone, validate_cccd, validate_tax_code
from motcua.core.text import nfc
from motcua.integrations.messaging import queue_message

User = get_user_model()

OTP_LENGTH = 6
OTP_TTL = timedelta(minutes=10)
OTP_MAX_ATTEMPTS = 5
OTP_RESEND_SECONDS = 60
LOCKOUT_FAILURES = 5
LOCKOUT_WINDOW = timedelta(minutes=15)

OTP_PURPOSES = {
    "register": "xác nhận đăng ký tài khoản",
    "password_reset": "đặt lại mật khẩu",
    "contact_change": "xác nhận thông tin liên lạc",
    "dossier_lookup": "tra cứu hồ sơ",
}


class OtpThrottled(ValidationError):
    """A code was sent to this target less than ``OTP_RESEND_SECONDS`` ago."""

    def __init__(self, retry_after: int):
        self.retry_after = retry_after
        super().__init__(gettext("Mã xác nhận vừa được gửi. Vui lòng chờ %(seconds)s giây rồi yêu cầu lại.") % {"seconds": retry_after}, code="otp_throttled")


# --- contacts -----------------------------------------------------------------------------------


def normalise_contact(value: str) -> tuple[str, str]:
    """``(channel, target)`` for a phone number or e-mail address; raises ValidationError."""
    value = (value or "").strip()
    if is_email(value):
        from django.core.validators import validate_email

        value = value.lower()
        try:
            validate_email(value)
        except ValidationError:
            raise ValidationError(gettext("Địa chỉ thư điện tử không hợp lệ."), code="email") from None
        return "email", value
    return "sms", normalise_phone(value)


def mask_contact(target: str) -> str:
    """A displayable hint of where a code went: ``09******78`` or ``a***@example.vn``."""
    if "@" in target:
        local, _, domain = target.partition("@")
        return f"{local[:1]}***@{domain}"
    return f"{target[:2]}{'*' * (len(target) - 4)}{target[-2:]}"


# --- one-time codes ------------------------------------------------------------------------------


def _otp_hash(purpose: str, target: str, code: str) -> str:
    key = settings.SECRET_KEY.encode()
    return hmac.new(key, f"otp|{purpose}|{target}|{code}".encode(), hashlib.sha256).hexdigest()


def issue_otp(purpose: str, target: str) -> str:
    """Send a new 6-digit code to ``target`` (phone or e-mail) through the outbox.

    Returns the masked target (e.g. ``09******78``) to show the user; the code itself only
    travels in the message. Raises ``OtpThrottled`` within 60 s of the previous code and
    ``ValidationError`` for a malformed target. Earlier codes for the same purpose and target
    stop working.
    """
    channel, target = normalise_contact(target)
    now = timezone.now()
    with transaction.atomic():
        last = (
            OneTimeCode.objects.select_for_update()
            .filter(purpose=purpose, target=target)
            .order_by("-created_at")
            .first()
        )
        if last is not None and (elapsed := (now - last.created_at).total_seconds()) < OTP_RESEND_SECONDS:
            raise OtpThrottled(int(OTP_RESEND_SECONDS - elapsed) + 1)
        OneTimeCode.objects.filter(purpose=purpose, target=target, used_at__isnull=True).update(used_at=now)
        code = f"{secrets.randbelow(10**OTP_LENGTH):0{OTP_LENGTH}d}"
        OneTimeCode.objects.create(
            purpose=purpose,
            target=target,
            code_hash=_otp_hash(purpose, target, code),
            created_at=now,
            expires_at=now + OTP_TTL,
        )
        what = OTP_PURPOSES.get(purpose, "xác nhận")
        minutes = int(OTP_TTL.total_seconds() // 60)
        body = (
            f"Mã {what} của bạn là {code}, có hiệu lực trong {minutes} phút. "
            "Không cung cấp mã này cho bất kỳ ai, kể cả cán bộ."
        )
        queue_message(channel, target, f"Mã {what}", body)
    return mask_contact(target)


def verify_otp(purpose: str, target: str, code: str) -> bool:
    """True once for the right, unexpired code; at most 5 tries per code."""
    try:
        _, target = normalise_contact(target)
    except ValidationError:
        return False
    code = (code or "").strip()
    now = timezone.now()
    with transaction.atomic():
        otp = (
            OneTimeCode.objects.select_for_update()
            .filter(purpose=purpose, target=target, used_at__isnull=True, expires_at__gt=now)
            .order_by("-created_at")
            .first()
        )
        if otp is None or otp.attempts >= OTP_MAX_ATTEMPTS:
            return False
        otp.attempts += 1
        ok = hmac.compare_digest(otp.code_hash, _otp_hash(purpose, target, code))
        if ok:
            otp.used_at = now
        otp.save(update_fields=["attempts", "used_at"])
    return ok


# --- registration --------------------------------------------------------------------------------


@dataclass
class Registration:
    contact: str
    full_name: str
    password: str
    kind: str = "citizen"
    identity_number: str = ""
    tax_code: str = ""


def register(data: Registration) -> User:
    """Create an account not yet confirmed and send the confirmation code.

    Raises ``ValidationError`` with a dict of field errors (Vietnamese messages).
    """
    errors: dict[str, list[str]] = {}
    channel = target = None
    try:
        channel, target = normalise_contact(data.contact)
    except ValidationError as exc:
        errors["contact"] = exc.messages
    full_name = nfc(data.full_name)
    if len(full_name) < 2:
        errors["full_name"] = [gettext("Vui lòng nhập họ và tên (hoặc tên tổ chức).")]
    identity_number = tax_code = ""
    if data.kind == User.Kind.BUSINESS:
        try:
            tax_code = validate_tax_code(data.tax_code)
        except ValidationError as exc:
            errors["tax_code"] = exc.messages
    elif data.kind == User.Kind.CITIZEN:
        try:
            identity_number = validate_cccd(data.identity_number)
        except ValidationError as exc:
            errors["identity_number"] = exc.messages
        else:
            if User.objects.filter(identity_number=identity_number, contact_confirmed=True).exists():
                errors["identity_number"] = [gettext("Số CCCD này đã có tài khoản. Vui lòng đăng nhập hoặc lấy lại mật khẩu.")]
    else:
        errors["kind"] = [gettext("Loại tài khoản không hợp lệ.")]
    existing = find_user(target) if target else None
    if existing is not None and not _reclaimable(existing):
        errors["contact"] = [gettext("Số điện thoại hoặc thư điện tử này đã được đăng ký. Vui lòng đăng nhập.")]
    try:
        validate_password(data.password, User(username=target or "", full_name=full_name))
    except ValidationError as exc:
        errors["password"] = exc.messages
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        user = existing or User()
        _assign(
            user,
            username=target,
            kind=data.kind,
            full_name=full_name,
            phone=target if channel == "sms" else "",
            email=target if channel == "email" else "",
            identity_number=identity_number,
            tax_code=tax_code,
            contact_confirmed=False,
        )
        user.set_password(data.password)
        user.save()
        issue_otp("register", target)
    return user


def _assign(obj, **fields) -> None:
    for name, value in fields.items():
        setattr(obj, name, value)


def _reclaimable(user: User) -> bool:
    """An account registered with this contact but never confirmed nor used, whose code has expired.

    Taking it over (instead of refusing) stops an unconfirmed registration from blocking the
    contact's real owner; the new registrant must still prove the contact with a code.
    """
    return (
        not user.contact_confirmed
        and user.last_login is None
        and user.kind != User.Kind.STAFF
        and user.date_joined < timezone.now() - OTP_TTL
    )


def contact_of(user: User) -> str:
    """Where codes for ``user`` go: the phone number, else the e-mail."""
    return user.phone or user.email


def confirm_contact(user: User, code: str) -> bool:
    if not verify_otp("register", contact_of(user), code):
        return False
    User.objects.filter(pk=user.pk).update(contact_confirmed=True)
    user.contact_confirmed = True
    return True


# --- log-in ---------------------------------------------------------------------------------------


def find_user(identifier: str) -> User | None:
    """The account for a phone number, e-mail or username (case-insensitive), or None."""
    identifier = (identifier or "").strip()
    if not identifier:
        return None
    query = Q(username__iexact=identifier)
    if is_email(identifier):
        query |= Q(email__iexact=identifier)
    else:
        try:
            phone = normalise_phone(identifier)
        except ValidationError:
            pass
        else:
            query |= Q(phone=phone) | Q(username=phone)
    matches = list(User.objects.filter(query).order_by("-contact_confirmed", "pk")[:2])
    exact = [u for u in matches if u.username.lower() == identifier.lower()]
    return (exact or matches or [None])[0]


def _login_key(identifier: str) -> str:
    identifier = (identifier or "").strip().lower()
    user = find_user(identifier)
    return user.username.lower() if user else identifier[:254]


def is_locked_out(identifier: str, ip: str | None) -> bool:
    since = timezone.now() - LOCKOUT_WINDOW
    recent = LoginFailure.objects.filter(created_at__gte=since)
    if recent.filter(username=_login_key(identifier)).count() >= LOCKOUT_FAILURES:
        return True
    return bool(ip) and recent.filter(ip=ip).count() >= LOCKOUT_FAILURES


def record_login_failure(identifier: str, ip: str | None) -> None:
    LoginFailure.objects.create(username=_login_key(identifier), ip=ip or None)
    LoginFailure.objects.filter(created_at__lt=timezone.now() - 2 * LOCKOUT_WINDOW).delete()


def clear_login_failures(user: User) -> None:
    LoginFailure.objects.filter(username=user.username.lower()).delete()


# --- password reset -------------------------------------------------------------------------------


def start_password_reset(identifier: str) -> str | None:
    """Send a reset code to the account's contact; returns the masked contact, or None if unknown.

    Callers show the same message either way so the page does not reveal which accounts exist.
    """
    user = find_user(identifier)
    if user is None or not user.is_active or not contact_of(user):
        return None
    return issue_otp("password_reset", contact_of(user))


def reset_password(identifier: str, code: str, new_password: str) -> User:
    user = find_user(identifier)
    if user is not None:  # check the password first so a weak one does not use up the code
        try:
            validate_password(new_password, user)
        except ValidationError as exc:
            raise ValidationError({"password": exc.messages}) from None
    if user is None or not verify_otp("password_reset", contact_of(user), code):
        raise ValidationError({"code": [gettext("Mã xác nhận không đúng hoặc đã hết hạn.")]})
    user.set_password(new_password)
    user.contact_confirmed = True  # the code proved the contact
    user.save(update_fields=["password", "contact_confirmed"])
    clear_login_failures(user)
    return user


# --- API tokens -----------------------------------------------------------------------------------


def _token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def create_api_token(user: User, name: str) -> tuple[ApiToken, str]:
    """A new token for ``user``; the raw value is returned once and never stored."""
    name = nfc(name)[:100] or "Mã truy cập"
    raw = "mc_" + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(user=user, name=name, prefix=raw[:10], token_hash=_token_hash(raw))
    return token, raw


def user_for_token(raw: str) -> User | None:
    """The active user owning ``raw`` (and records its use, at most once a minute), or None.

    One hand-written query (user joined to the token by its unique hash): every API request
    makes it, and building it with the ORM cost more CPU than the query itself."""
    if not raw:
        return None
    now = timezone.now()
    user = next(iter(User.objects.raw(_token_sql(), [now - timedelta(minutes=1), _token_hash(raw.strip())])), None)
    if user is None or not user.is_active:
        return None
    if user.token_stale:
        ApiToken.objects.filter(pk=user.token_id).update(last_used_at=now)
    return user


@functools.cache
def _token_sql() -> str:
    """The token look-up statement, built once (when first needed: the models are ready then)."""
    from django.db import connection

    q = connection.ops.quote_name
    user, token = q(User._meta.db_table), q(ApiToken._meta.db_table)
    return (
        f"SELECT u.*, t.{q('id')} AS token_id, "
        f"(t.{q('last_used_at')} IS NULL OR t.{q('last_used_at')} < %s) AS token_stale "
        f"FROM {token} t JOIN {user} u ON u.{q('id')} = t.{q('user_id')} WHERE t.{q('token_hash')} = %s"
    )


def revoke_api_token(user: User, token_id: int) -> bool:
    return ApiToken.objects.filter(user=user, pk=token_id).delete()[0] > 0


def after_contact_change(user: User) -> str | None:
    """A changed phone/e-mail must be confirmed again: mark unconfirmed and send a code.

    Returns the masked contact the code went to, or None when the resend throttle applies.
    """
    User.objects.filter(pk=user.pk).update(contact_confirmed=False)
    user.contact_confirmed = False
    try:
        return issue_otp("register", contact_of(user))
    except OtpThrottled:
        return None
