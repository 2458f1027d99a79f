"""Forms of the office pages. Validation of business rules stays in services.py."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from motcua.catalog.models import Channel
from motcua.dossiers.models import ApplicantType, ResultMethod, Status


class CounterApplicantForm(forms.Form):
    channel = forms.TypedChoiceField(
        label=_("Kênh tiếp nhận"),
        coerce=int,
        choices=[(Channel.COUNTER, _("Trực tiếp tại quầy")), (Channel.POST, _("Qua dịch vụ bưu chính"))],
        initial=Channel.COUNTER,
    )
    applicant_type = forms.TypedChoiceField(label=_("Đối tượng"), coerce=int, choices=[(value, _(label)) for value, label in ApplicantType.choices])
    applicant_name = forms.CharField(label=_("Họ tên chủ hồ sơ / tên tổ chức"), max_length=255)
    applicant_identity = forms.CharField(
        label=_("Số CCCD (12 chữ số) hoặc mã số thuế"),
        max_length=14,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    applicant_phone = forms.CharField(
        label=_("Số điện thoại"), max_length=15, required=False, widget=forms.TextInput(attrs={"inputmode": "tel"})
    )
    applicant_email = forms.EmailField(label=_("Thư điện tử"), required=False)
    applicant_address = forms.CharField(label=_("Địa chỉ"), max_length=255, required=False)
    summary = forms.CharField(label=_("Trích yếu"), max_length=500, required=False)
    result_method = forms.ChoiceField(label=_("Hình thức nhận kết quả"), choices=[(value, _(label)) for value, label in ResultMethod.choices])
    postal_address = forms.CharField(label=_("Địa chỉ nhận kết quả qua bưu chính"), max_length=255, required=False)
    note = forms.CharField(label=_("Ghi chú"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class RefuseForm(forms.Form):
    reason = forms.CharField(label=_("Lý do từ chối tiếp nhận"), widget=forms.Textarea(attrs={"rows": 3}))


class StopForm(forms.Form):
    reason = forms.CharField(label=_("Lý do dừng xử lý"), widget=forms.Textarea(attrs={"rows": 3}))


class ReturnForm(forms.Form):
    receiver_name = forms.CharField(label=_("Họ tên người nhận kết quả"), max_length=255)
    method = forms.ChoiceField(label=_("Hình thức trả"), choices=[(value, _(label)) for value, label in ResultMethod.choices])
    originals_taken_back = forms.CharField(
        label=_("Bản gốc đã trả lại cho công dân"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class ApproveForm(forms.Form):
    result_file = forms.FileField(label=_("Tệp kết quả (PDF)"), required=False)
    note = forms.CharField(label=_("Ý kiến phê duyệt"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


INBOX_STATUSES = [
    (Status.ACCEPTED, Status.ACCEPTED.label),
    (Status.PROCESSING, Status.PROCESSING.label),
    (Status.SUPPLEMENT_REQUESTED, Status.SUPPLEMENT_REQUESTED.label),
    (Status.PAYMENT_REQUESTED, Status.PAYMENT_REQUESTED.label),
    (Status.DECIDED, Status.DECIDED.label),
]
