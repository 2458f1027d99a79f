"""Vietnamese labels of model choices, marked for translation without touching the models.

Wrapping the labels in the models would create migrations in apps other teams own; instead the
labels are listed here (``gettext_noop``) so ``makemessages`` collects them, and templates show them
with ``{% translate obj.get_status_display %}`` (transition labels: the public timeline). ``core/tests/test_i18n.py`` checks the list still
matches the models.
"""

from django.utils.translation import gettext_noop

CHOICE_LABELS = {
    "motcua.dossiers.models.Status": [
        gettext_noop("Bản nháp"),
        gettext_noop("Mới đăng ký"),
        gettext_noop("Được tiếp nhận"),
        gettext_noop("Không được tiếp nhận"),
        gettext_noop("Đang xử lý"),
        gettext_noop("Yêu cầu bổ sung giấy tờ"),
        gettext_noop("Yêu cầu thực hiện nghĩa vụ tài chính"),
        gettext_noop("Công dân yêu cầu rút hồ sơ"),
        gettext_noop("Dừng xử lý"),
        gettext_noop("Đã xử lý xong"),
        gettext_noop("Đã trả kết quả"),
    ],
    "motcua.dossiers.models.ResultMethod": [
        gettext_noop("Nhận tại Bộ phận Một cửa"),
        gettext_noop("Nhận qua dịch vụ bưu chính"),
        gettext_noop("Nhận bản điện tử"),
    ],
    "motcua.dossiers.models.Timeliness": [
        gettext_noop("Trước hạn"),
        gettext_noop("Đúng hạn"),
        gettext_noop("Quá hạn"),
    ],
    "motcua.dossiers.models.Attachment.Digitisation": [
        gettext_noop("Chưa số hóa"),
        gettext_noop("Đã số hóa"),
        gettext_noop("Tái sử dụng"),
        gettext_noop("Tái sử dụng từ kết quả hồ sơ khác"),
    ],
    "motcua.catalog.models.Channel": [
        gettext_noop("Trực tiếp"),
        gettext_noop("Trực tuyến"),
        gettext_noop("Dịch vụ bưu chính"),
    ],
    "motcua.catalog.models.DurationUnit": [
        gettext_noop("ngày làm việc"),
        gettext_noop("ngày"),
        gettext_noop("giờ làm việc"),
        gettext_noop("giờ"),
        gettext_noop("tháng"),
    ],
    "motcua.catalog.models.ServiceLevel": [
        gettext_noop("Cung cấp thông tin"),
        gettext_noop("Một phần"),
        gettext_noop("Toàn trình"),
    ],
    "motcua.catalog.models.Procedure.Level": [
        gettext_noop("Cấp bộ"),
        gettext_noop("Cấp tỉnh"),
        gettext_noop("Cấp huyện (trước 01/7/2025)"),
        gettext_noop("Cấp xã"),
    ],
    "motcua.catalog.models.Fee.Kind": [
        gettext_noop("Phí"),
        gettext_noop("Lệ phí"),
    ],
    "motcua.catalog.models.DocumentComponent.Form": [
        gettext_noop("Bản chính"),
        gettext_noop("Bản sao"),
        gettext_noop("Bản sao có chứng thực"),
        gettext_noop("Bản chính hoặc bản sao"),
    ],
    "motcua.payments.models.PaymentState": [
        gettext_noop("Đang chờ thanh toán"),
        gettext_noop("Đã thanh toán"),
        gettext_noop("Không thành công"),
        gettext_noop("Hết hạn"),
        gettext_noop("Đã hoàn tiền"),
    ],
    "motcua.payments.models.CollectAt": [
        gettext_noop("Thu trước khi giải quyết"),
        gettext_noop("Thu khi trả kết quả"),
        gettext_noop("Không thu"),
    ],
    "motcua.accounts.models.User.Kind": [
        gettext_noop("Công dân"),
        gettext_noop("Tổ chức, doanh nghiệp"),
        gettext_noop("Cán bộ, công chức"),
    ],
    "motcua.dossiers.transitions.TRANSITIONS": [
        gettext_noop("Nộp hồ sơ trực tuyến"),
        gettext_noop("Tiếp nhận tại quầy"),
        gettext_noop("Tiếp nhận hồ sơ"),
        gettext_noop("Từ chối tiếp nhận"),
        gettext_noop("Chuyển xử lý"),
        gettext_noop("Yêu cầu bổ sung hồ sơ"),
        gettext_noop("Bổ sung hồ sơ"),
        gettext_noop("Yêu cầu thực hiện nghĩa vụ tài chính"),
        gettext_noop("Đã thanh toán"),
        gettext_noop("Rút hồ sơ"),
        gettext_noop("Dừng xử lý"),
        gettext_noop("Phê duyệt kết quả"),
        gettext_noop("Trả kết quả"),
    ],
}
