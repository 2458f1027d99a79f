"""Forms of the account pages. Rules live in ``services``; forms only shape input and errors."""

from __future__ import annotations

from django import forms
from django.contrib.auth import authenticate
from django.contrib.auth.password_validation import password_validators_help_text_html
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from motcua.accounts import services
from motcua.accounts.models import User
from motcua.accounts.validators import normalise_phone
from motcua.core.text import nfc
from motcua.organisations.models import AdministrativeUnit


class LoginForm(forms.Form):
    username = forms.CharField(label=_("Số điện thoại, thư điện tử hoặc tên đăng nhập"), max_length=254)
    password = forms.CharField(label=_("Mật khẩu"), widget=forms.PasswordInput, strip=False)

    error_messages = {
        "invalid_login": _("Thông tin đăng nhập không đúng. Vui lòng kiểm tra lại."),
        "inactive": _("Tài khoản này đã bị khóa."),
    }

    def __init__(self, request=None, *args, **kwargs):
        self.request = request
        self.user_cache = None
        super().__init__(*args, **kwargs)

    def clean(self):
        identifier = self.cleaned_data.get("username", "")
        password = self.cleaned_data.get("password")
        if not identifier or not password:
            return self.cleaned_data
        account = services.find_user(identifier)
        user = authenticate(self.request, username=account.username if account else identifier, password=password)
        if user is None:
            raise ValidationError(self.error_messages["invalid_login"], code="invalid_login")
        self.user_cache = user
        return self.cleaned_data

    def get_user(self):
        return self.user_cache


class RegistrationForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Loại tài khoản"),
        choices=[(User.Kind.CITIZEN, _("Công dân")), (User.Kind.BUSINESS, _("Tổ chức, doanh nghiệp"))],
        initial=User.Kind.CITIZEN,
        widget=forms.RadioSelect,
    )
    contact = forms.CharField(
        label=_("Số điện thoại di động hoặc thư điện tử"),
        max_length=254,
        help_text=_("Mã xác nhận sẽ được gửi tới đây; đây cũng là tên đăng nhập của bạn."),
    )
    full_name = forms.CharField(label=_("Họ và tên (hoặc tên tổ chức)"), max_length=255)
    identity_number = forms.CharField(label=_("Số CCCD (công dân)"), max_length=20, required=False)
    tax_code = forms.CharField(label=_("Mã số thuế (tổ chức, doanh nghiệp)"), max_length=20, required=False)
    password = forms.CharField(
        label=_("Mật khẩu"), widget=forms.PasswordInput, strip=False, help_text=password_validators_help_text_html()
    )
    password2 = forms.CharField(label=_("Nhập lại mật khẩu"), widget=forms.PasswordInput, strip=False)

    def clean(self):
        data = super().clean()
        if data.get("password") and data.get("password") != data.get("password2"):
            self.add_error("password2", _("Hai mật khẩu không giống nhau."))
        return data

    def save(self) -> User:
        d = self.cleaned_data
        try:
            return services.register(
                services.Registration(
                    contact=d["contact"],
                    full_name=d["full_name"],
                    password=d["password"],
                    kind=d["kind"],
                    identity_number=d.get("identity_number", ""),
                    tax_code=d.get("tax_code", ""),
                )
            )
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                self.add_error(field if field in self.fields else None, messages)
            raise


class CodeForm(forms.Form):
    code = forms.RegexField(
        label=_("Mã xác nhận (6 chữ số)"),
        regex=r"^\s*\d{6}\s*$",
        error_messages={"invalid": _("Mã xác nhận gồm 6 chữ số.")},
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "maxlength": 6}),
    )


class ResetRequestForm(forms.Form):
    identifier = forms.CharField(label=_("Số điện thoại hoặc thư điện tử đã đăng ký"), max_length=254)


class ResetForm(CodeForm):
    password = forms.CharField(label=_("Mật khẩu mới"), widget=forms.PasswordInput, strip=False)
    password2 = forms.CharField(label=_("Nhập lại mật khẩu mới"), widget=forms.PasswordInput, strip=False)

    def clean(self):
        data = super().clean()
        if data.get("password") and data.get("password") != data.get("password2"):
            self.add_error("password2", _("Hai mật khẩu không giống nhau."))
        return data


class ProfileForm(forms.ModelForm):
    province = forms.ModelChoiceField(
        label=_("Tỉnh/Thành phố"),
        queryset=AdministrativeUnit.objects.filter(level="province", is_legacy=False).order_by("name"),
        required=False,
        empty_label=_("— Chọn tỉnh/thành phố —"),
    )

    class Meta:
        model = User
        fields = ["full_name", "phone", "email", "birth_date", "address", "administrative_unit"]
        widgets = {"birth_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}
        labels = {
            "full_name": _("Họ và tên / tên tổ chức"),
            "phone": _("Số điện thoại"),
            "email": _("Thư điện tử"),
            "birth_date": _("Ngày sinh"),
            "address": _("Địa chỉ"),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        unit = self.instance.administrative_unit
        province = None
        if self.is_bound:
            province = self.data.get("province") or None
        elif unit is not None:
            province = unit.parent_id
            self.initial["province"] = province
        communes = AdministrativeUnit.objects.filter(level="commune", is_legacy=False)
        self.fields["administrative_unit"].queryset = (
            communes.filter(parent_id=province).order_by("name") if province else communes.none()
        )
        self.fields["administrative_unit"].empty_label = _("— Chọn xã/phường —")
        self.fields["administrative_unit"].label = _("Xã/Phường/Đặc khu")
        self.fields["full_name"].required = True
        self.order_fields(["full_name", "phone", "email", "birth_date", "province", "administrative_unit", "address"])

    def clean_full_name(self):
        return nfc(self.cleaned_data["full_name"])

    def clean_phone(self):
        phone = self.cleaned_data.get("phone", "")
        if not phone:
            return ""
        phone = normalise_phone(phone)
        if User.objects.filter(phone=phone, contact_confirmed=True).exclude(pk=self.instance.pk).exists():
            raise ValidationError(_("Số điện thoại này đã được dùng cho tài khoản khác."))
        return phone

    def clean_email(self):
        email = (self.cleaned_data.get("email") or "").lower()
        if email and User.objects.filter(email__iexact=email).exclude(pk=self.instance.pk).exists():
            raise ValidationError(_("Thư điện tử này đã được dùng cho tài khoản khác."))
        return email

    def clean(self):
        data = super().clean()
        if data.get("province") and not data.get("administrative_unit") and "administrative_unit" not in self.errors:
            # Also the no-JavaScript path: the page comes back with the province's communes listed.
            self.add_error("administrative_unit", _("Vui lòng chọn xã/phường thuộc tỉnh/thành phố đã chọn."))
        if not data.get("phone") and not data.get("email") and not self.errors:
            raise ValidationError(_("Cần ít nhất một số điện thoại hoặc thư điện tử để liên lạc."))
        return data


class TokenForm(forms.Form):
    name = forms.CharField(label=_("Tên gợi nhớ của mã"), max_length=100)
