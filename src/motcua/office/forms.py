"""Forms of the office pages. Validation of business rules stays in services.py."""

from __future__ import annotations

from django import forms

from motcua.catalog.models import Channel
from motcua.dossiers.models import ApplicantType, ResultMethod, Status


class CounterApplicantForm(forms.Form):
    channel = forms.TypedChoiceField(
        label="Kênh tiếp nhận",
        coerce=int,
        choices=[(Channel.COUNTER, "Trực tiếp tại quầy"), (Channel.POST, "Qua dịch vụ bưu chính")],
        initial=Channel.COUNTER,
    )
    applicant_type = forms.TypedChoiceField(label="Đối tượng", coerce=int, choices=ApplicantType.choices)
    applicant_name = forms.CharField(label="Họ tên chủ hồ sơ / tên tổ chức", max_length=255)
    applicant_identity = forms.CharField(
        label="Số CCCD (12 chữ số) hoặc mã số thuế",
        max_length=14,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    applicant_phone = forms.CharField(
        label="Số điện thoại", max_length=15, required=False, widget=forms.TextInput(attrs={"inputmode": "tel"})
    )
    applicant_email = forms.EmailField(label="Thư điện tử", required=False)
    applicant_address = forms.CharField(label="Địa chỉ", max_length=255, required=False)
    summary = forms.CharField(label="Trích yếu", max_length=500, required=False)
    result_method = forms.ChoiceField(label="Hình thức nhận kết quả", choices=ResultMethod.choices)
    postal_address = forms.CharField(label="Địa chỉ nhận kết quả qua bưu chính", max_length=255, required=False)
    note = forms.CharField(label="Ghi chú", required=False, widget=forms.Textarea(attrs={"rows": 2}))


class RefuseForm(forms.Form):
    reason = forms.CharField(label="Lý do từ chối tiếp nhận", widget=forms.Textarea(attrs={"rows": 3}))


class StopForm(forms.Form):
    reason = forms.CharField(label="Lý do dừng xử lý", widget=forms.Textarea(attrs={"rows": 3}))


class ReturnForm(forms.Form):
    receiver_name = forms.CharField(label="Họ tên người nhận kết quả", max_length=255)
    method = forms.ChoiceField(label="Hình thức trả", choices=ResultMethod.choices)
    originals_taken_back = forms.CharField(
        label="Bản gốc đã trả lại cho công dân", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class ApproveForm(forms.Form):
    result_file = forms.FileField(label="Tệp kết quả (PDF)", required=False)
    note = forms.CharField(label="Ý kiến phê duyệt", required=False, widget=forms.Textarea(attrs={"rows": 2}))


INBOX_STATUSES = [
    (Status.ACCEPTED, Status.ACCEPTED.label),
    (Status.PROCESSING, Status.PROCESSING.label),
    (Status.SUPPLEMENT_REQUESTED, Status.SUPPLEMENT_REQUESTED.label),
    (Status.PAYMENT_REQUESTED, Status.PAYMENT_REQUESTED.label),
    (Status.DECIDED, Status.DECIDED.label),
]
