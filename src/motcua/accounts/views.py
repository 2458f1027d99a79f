"""Account pages: log-in with lock-out, registration, contact confirmation, password reset,
profile with API tokens, and the commune list used by the address selects."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from motcua.accounts import services
from motcua.accounts.forms import (
    CodeForm,
    LoginForm,
    ProfileForm,
    RegistrationForm,
    ResetForm,
    ResetRequestForm,
    TokenForm,
)
from motcua.accounts.models import User
from motcua.organisations.models import AdministrativeUnit

PENDING_SESSION_KEY = "accounts_pending_user"
RESET_SESSION_KEY = "accounts_reset_identifier"
LOCKED_MESSAGE = gettext_lazy(
    "Bạn đã nhập sai quá %(n)s lần trong %(m)s phút. Vì an toàn, việc đăng nhập tạm bị khóa; "
    "vui lòng thử lại sau %(m)s phút hoặc dùng chức năng Quên mật khẩu."
)
LOCKOUT_NUMBERS = {"n": services.LOCKOUT_FAILURES, "m": int(services.LOCKOUT_WINDOW.total_seconds() // 60)}


def client_ip(request) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


class LoginView(auth_views.LoginView):
    """Log-in by phone, e-mail or username; 5 failures in 15 minutes lock the name and the address."""

    form_class = LoginForm
    template_name = "accounts/login.html"

    def post(self, request, *args, **kwargs):
        identifier = request.POST.get("username", "")
        if services.is_locked_out(identifier, client_ip(request)):
            form = self.get_form()
            form.is_bound = True
            form._errors = {"__all__": form.error_class([LOCKED_MESSAGE % LOCKOUT_NUMBERS])}
            return self.render_to_response(self.get_context_data(form=form), status=429)
        return super().post(request, *args, **kwargs)

    def form_invalid(self, form):
        identifier = self.request.POST.get("username", "")
        if identifier and self.request.POST.get("password"):
            services.record_login_failure(identifier, client_ip(self.request))
        return super().form_invalid(form)

    def form_valid(self, form):
        services.clear_login_failures(form.get_user())
        return super().form_valid(form)

    def get_default_redirect_url(self):
        """Without a safe ?next=: officials go to their desk, citizens to "Hồ sơ của tôi"."""
        user = self.request.user
        return reverse("office:dashboard" if getattr(user, "is_staff_member", False) else "portal:my_dossiers")


def _safe_next(request, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return default


def register(request):
    if request.user.is_authenticated:
        return redirect("accounts:profile")
    form = RegistrationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = form.save()
        except ValidationError:
            pass
        else:
            request.session[PENDING_SESSION_KEY] = user.pk
            messages.success(request, _("Đã gửi mã xác nhận tới %(contact)s.") % {"contact": services.mask_contact(services.contact_of(user))})
            return redirect("accounts:confirm")
    return render(request, "accounts/register.html", {"form": form}, status=400 if form.errors else 200)


def _pending_user(request) -> User | None:
    if request.user.is_authenticated:
        return request.user
    pk = request.session.get(PENDING_SESSION_KEY)
    return User.objects.filter(pk=pk, is_active=True).first() if pk else None


def confirm(request):
    """Enter the 6-digit code sent after registration (or after a contact change)."""
    user = _pending_user(request)
    if user is None:
        messages.info(request, _("Vui lòng đăng ký hoặc đăng nhập trước khi xác nhận."))
        return redirect("accounts:register")
    if user.contact_confirmed:
        return redirect("accounts:profile")
    form = CodeForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if request.POST.get("action") == "resend":
            form = CodeForm()
            try:
                masked = services.issue_otp("register", services.contact_of(user))
                messages.success(request, _("Đã gửi lại mã xác nhận tới %(contact)s.") % {"contact": masked})
            except ValidationError as exc:
                messages.error(request, exc.messages[0])
                status = 429
        elif form.is_valid():
            if services.confirm_contact(user, form.cleaned_data["code"].strip()):
                request.session.pop(PENDING_SESSION_KEY, None)
                if not request.user.is_authenticated:
                    auth_login(request, user, backend="django.contrib.auth.backends.ModelBackend")
                messages.success(request, _("Tài khoản đã được xác nhận. Bạn có thể nộp hồ sơ trực tuyến."))
                return redirect(_safe_next(request, reverse("portal:home")))
            form.add_error("code", _("Mã xác nhận không đúng hoặc đã hết hạn. Bạn có thể yêu cầu gửi lại mã."))
            status = 400
        else:
            status = 400
    contact = services.mask_contact(services.contact_of(user))
    return render(request, "accounts/confirm.html", {"form": form, "contact": contact}, status=status)


def password_reset(request):
    """Step 1 asks where the account's code should go; step 2 takes the code and a new password."""
    if request.GET.get("lai"):
        request.session.pop(RESET_SESSION_KEY, None)
    identifier = request.session.get(RESET_SESSION_KEY)
    if request.method == "POST" and request.POST.get("step") == "request" or not identifier:
        form = ResetRequestForm(request.POST if request.POST.get("step") == "request" else None)
        status = 200
        if form.is_bound:
            if form.is_valid():
                try:
                    services.start_password_reset(form.cleaned_data["identifier"])
                except ValidationError as exc:
                    form.add_error(None, exc.messages[0])
                    status = 429
                else:
                    request.session[RESET_SESSION_KEY] = form.cleaned_data["identifier"].strip()
                    messages.info(
                        request,
                        _(
                            "Nếu thông tin trên khớp với một tài khoản, mã xác nhận đã được gửi tới số điện thoại "
                            "hoặc thư điện tử của tài khoản đó."
                        ),
                    )
                    return redirect("accounts:password_reset")
            else:
                status = 400
        return render(request, "accounts/password_reset.html", {"request_form": form}, status=status)
    form = ResetForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.reset_password(identifier, form.cleaned_data["code"].strip(), form.cleaned_data["password"])
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            request.session.pop(RESET_SESSION_KEY, None)
            messages.success(request, _("Đã đặt lại mật khẩu. Vui lòng đăng nhập bằng mật khẩu mới."))
            return redirect("accounts:login")
    return render(
        request,
        "accounts/password_reset.html",
        {"form": form, "identifier": identifier},
        status=400 if form.errors else 200,
    )


@login_required
def profile(request):
    user = request.user
    old_contact = services.contact_of(user)
    form = ProfileForm(request.POST or None, instance=user)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            form.save()
            if services.contact_of(user) != old_contact:
                masked = services.after_contact_change(user)
                messages.info(request, _("Vui lòng xác nhận thông tin liên lạc mới (mã đã gửi tới %(contact)s).") % {"contact": masked})
                return redirect("accounts:confirm")
        messages.success(request, _("Đã lưu thông tin tài khoản."))
        return redirect("accounts:profile")
    context = {
        "form": form,
        "tokens": user.api_tokens.all(),
        "token_form": TokenForm(),
        "new_token": request.session.pop("accounts_new_token", None),
    }
    return render(request, "accounts/profile.html", context, status=400 if form.errors else 200)


@login_required
@require_POST
def token_create(request):
    form = TokenForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Vui lòng đặt tên cho mã truy cập."))
        return redirect("accounts:profile")
    _token, raw = services.create_api_token(request.user, form.cleaned_data["name"])
    request.session["accounts_new_token"] = raw  # shown once on the next page, then dropped
    return HttpResponseRedirect(reverse("accounts:profile") + "#api")


@login_required
@require_POST
def token_revoke(request, token_id: int):
    if services.revoke_api_token(request.user, token_id):
        messages.success(request, _("Đã thu hồi mã truy cập."))
    else:
        messages.error(request, _("Không tìm thấy mã truy cập này."))
    return HttpResponseRedirect(reverse("accounts:profile") + "#api")


@require_GET
def communes(request):
    """``<option>`` list of the 2025 communes of ``?province=<key>`` for the htmx address select."""
    province = request.GET.get("province", "")
    units = (
        AdministrativeUnit.objects.filter(parent_id=province, level="commune", is_legacy=False).order_by("name")
        if province
        else AdministrativeUnit.objects.none()
    )
    return render(request, "accounts/_communes.html", {"units": units})
