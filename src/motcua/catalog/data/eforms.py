"""E-form definitions of the demo catalogue (JSON Schema draft 2020-12 + UI hints).

Used by build_demo.py, which writes them into demo-procedures.json; the JSON file is what ships.
"""

from __future__ import annotations


def s(title, max_length=100, **extra):
    return {"type": "string", "title": title, "maxLength": max_length, **extra}


def date(title):
    return {"type": "string", "format": "date", "title": title}


def enum(title, values):
    return {"type": "string", "enum": values, "title": title}


CCCD = {"type": "string", "format": "cccd", "title": "Số định danh cá nhân (CCCD)", "pattern": "^[0-9]{12}$"}
PHONE = {"type": "string", "title": "Số điện thoại", "pattern": "^(\\+84|0)[0-9]{9,10}$", "maxLength": 13}
EMAIL = {"type": "string", "format": "email", "title": "Thư điện tử", "maxLength": 254}
SEX = enum("Giới tính", ["Nam", "Nữ"])
ETHNIC = s("Dân tộc", 50)
NATIONALITY = s("Quốc tịch", 50, default="Việt Nam")
ADDRESS = s("Nơi cư trú", 255)

COMMON_UI = {
    "ho_ten": {"widget": "text", "autocomplete": "name", "placeholder": "Ví dụ: Nguyễn Văn An"},
    "nguoi_yeu_cau_ho_ten": {"widget": "text", "autocomplete": "name"},
    "nguoi_yeu_cau_cccd": {"widget": "text", "help": "12 chữ số trên thẻ căn cước.", "autocomplete": "off"},
    "cccd": {"widget": "text", "help": "12 chữ số trên thẻ căn cước."},
    "dien_thoai": {"widget": "tel", "autocomplete": "tel"},
    "email": {"widget": "email", "autocomplete": "email"},
    "gioi_tinh": {"widget": "radio"},
    "noi_cu_tru": {"widget": "textarea", "autocomplete": "street-address"},
}


def requester_fields(prefix="nguoi_yeu_cau_"):
    return {
        f"{prefix}ho_ten": s("Họ, chữ đệm, tên người yêu cầu"),
        f"{prefix}cccd": CCCD,
        f"{prefix}noi_cu_tru": ADDRESS,
        "dien_thoai": PHONE,
        "email": EMAIL,
    }


def ui(sections, fields):
    merged = {k: v for k, v in COMMON_UI.items()}
    merged.update(fields)
    used = {f for sec in sections for f in sec["fields"]}
    return {"sections": sections, "fields": {k: v for k, v in merged.items() if k in used}}


def form(code, name, required, properties, sections, fields_ui):
    return {
        "code": code,
        "name": name,
        "schema": {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "type": "object",
            "required": required,
            "properties": properties,
        },
        "ui": ui(sections, fields_ui),
    }


REQ_SECTION = {"title": "Người yêu cầu", "fields": ["nguoi_yeu_cau_ho_ten", "nguoi_yeu_cau_cccd", "nguoi_yeu_cau_noi_cu_tru", "dien_thoai", "email"]}
REQ_REQUIRED = ["nguoi_yeu_cau_ho_ten", "nguoi_yeu_cau_cccd", "nguoi_yeu_cau_noi_cu_tru", "dien_thoai"]

EFORMS = [
    form(
        "to-khai-dang-ky-khai-sinh",
        "Tờ khai đăng ký khai sinh",
        REQ_REQUIRED + ["quan_he", "ho_ten", "ngay_sinh", "gioi_tinh", "noi_sinh", "dan_toc", "quoc_tich", "me_ho_ten"],
        {
            **requester_fields(),
            "quan_he": s("Quan hệ với người được khai sinh", 50),
            "ho_ten": s("Họ, chữ đệm, tên người được khai sinh"),
            "ngay_sinh": date("Ngày, tháng, năm sinh"),
            "gioi_tinh": SEX,
            "noi_sinh": s("Nơi sinh", 255),
            "dan_toc": ETHNIC,
            "quoc_tich": NATIONALITY,
            "que_quan": s("Quê quán", 255),
            "me_ho_ten": s("Họ, chữ đệm, tên người mẹ"),
            "me_cccd": {**CCCD, "title": "Số định danh cá nhân của người mẹ"},
            "cha_ho_ten": s("Họ, chữ đệm, tên người cha"),
            "cha_cccd": {**CCCD, "title": "Số định danh cá nhân của người cha"},
            "so_ban_sao": {"type": "integer", "minimum": 0, "maximum": 20, "title": "Số bản sao trích lục yêu cầu", "default": 0},
        },
        [
            REQ_SECTION,
            {"title": "Thông tin người được khai sinh", "fields": ["quan_he", "ho_ten", "ngay_sinh", "gioi_tinh", "noi_sinh", "dan_toc", "quoc_tich", "que_quan"]},
            {"title": "Thông tin cha, mẹ", "fields": ["me_ho_ten", "me_cccd", "cha_ho_ten", "cha_cccd"]},
            {"title": "Yêu cầu khác", "fields": ["so_ban_sao"]},
        ],
        {
            "quan_he": {"widget": "text", "placeholder": "Ví dụ: cha, mẹ, ông, bà"},
            "ngay_sinh": {"widget": "date"},
            "noi_sinh": {"widget": "text", "help": "Tên cơ sở y tế hoặc địa chỉ nơi sinh."},
            "dan_toc": {"widget": "text"},
            "quoc_tich": {"widget": "text"},
            "que_quan": {"widget": "text"},
            "me_ho_ten": {"widget": "text"},
            "me_cccd": {"widget": "text"},
            "cha_ho_ten": {"widget": "text", "help": "Để trống nếu chưa xác định được cha."},
            "cha_cccd": {"widget": "text"},
            "so_ban_sao": {"widget": "number"},
        },
    ),
    form(
        "to-khai-dang-ky-ket-hon",
        "Tờ khai đăng ký kết hôn",
        ["chong_ho_ten", "chong_ngay_sinh", "chong_cccd", "chong_noi_cu_tru", "vo_ho_ten", "vo_ngay_sinh", "vo_cccd", "vo_noi_cu_tru", "dien_thoai", "cam_doan"],
        {
            "chong_ho_ten": s("Họ, chữ đệm, tên bên nam"),
            "chong_ngay_sinh": date("Ngày sinh bên nam"),
            "chong_dan_toc": ETHNIC,
            "chong_quoc_tich": NATIONALITY,
            "chong_cccd": {**CCCD, "title": "Số định danh cá nhân bên nam"},
            "chong_noi_cu_tru": {**ADDRESS, "title": "Nơi cư trú bên nam"},
            "chong_lan_ket_hon": enum("Kết hôn lần thứ (bên nam)", ["Lần đầu", "Lần thứ hai trở lên"]),
            "vo_ho_ten": s("Họ, chữ đệm, tên bên nữ"),
            "vo_ngay_sinh": date("Ngày sinh bên nữ"),
            "vo_dan_toc": ETHNIC,
            "vo_quoc_tich": NATIONALITY,
            "vo_cccd": {**CCCD, "title": "Số định danh cá nhân bên nữ"},
            "vo_noi_cu_tru": {**ADDRESS, "title": "Nơi cư trú bên nữ"},
            "vo_lan_ket_hon": enum("Kết hôn lần thứ (bên nữ)", ["Lần đầu", "Lần thứ hai trở lên"]),
            "dien_thoai": PHONE,
            "email": EMAIL,
            "cam_doan": {"type": "boolean", "const": True, "title": "Chúng tôi cam đoan tự nguyện kết hôn, đủ điều kiện kết hôn theo Luật Hôn nhân và gia đình"},
        },
        [
            {"title": "Thông tin bên nam", "fields": ["chong_ho_ten", "chong_ngay_sinh", "chong_dan_toc", "chong_quoc_tich", "chong_cccd", "chong_noi_cu_tru", "chong_lan_ket_hon"]},
            {"title": "Thông tin bên nữ", "fields": ["vo_ho_ten", "vo_ngay_sinh", "vo_dan_toc", "vo_quoc_tich", "vo_cccd", "vo_noi_cu_tru", "vo_lan_ket_hon"]},
            {"title": "Liên hệ và cam đoan", "fields": ["dien_thoai", "email", "cam_doan"]},
        ],
        {
            **{f"{p}_{k}": {"widget": w} for p in ("chong", "vo") for k, w in (("ho_ten", "text"), ("ngay_sinh", "date"), ("dan_toc", "text"), ("quoc_tich", "text"), ("cccd", "text"), ("noi_cu_tru", "textarea"), ("lan_ket_hon", "radio"))},
            "cam_doan": {"widget": "checkbox", "help": "Hai bên phải có mặt khi nhận Giấy chứng nhận kết hôn."},
        },
    ),
    form(
        "yeu-cau-chung-thuc-ban-sao",
        "Phiếu yêu cầu chứng thực bản sao từ bản chính",
        REQ_REQUIRED + ["ten_giay_to", "so_ban_sao", "so_trang"],
        {
            **requester_fields(),
            "ten_giay_to": s("Tên giấy tờ, văn bản cần chứng thực", 255),
            "co_quan_cap": s("Cơ quan, tổ chức cấp bản chính", 255),
            "so_ban_sao": {"type": "integer", "minimum": 1, "maximum": 50, "title": "Số bản sao cần chứng thực"},
            "so_trang": {"type": "integer", "minimum": 1, "maximum": 500, "title": "Số trang của bản chính"},
            "ghi_chu": s("Ghi chú", 1000),
        },
        [REQ_SECTION, {"title": "Giấy tờ cần chứng thực", "fields": ["ten_giay_to", "co_quan_cap", "so_ban_sao", "so_trang", "ghi_chu"]}],
        {
            "ten_giay_to": {"widget": "text", "placeholder": "Ví dụ: Bằng tốt nghiệp đại học"},
            "co_quan_cap": {"widget": "text"},
            "so_ban_sao": {"widget": "number", "help": "Phí 2.000 đồng/trang; từ trang thứ 3 thu 1.000 đồng/trang, tối đa 200.000 đồng/bản."},
            "so_trang": {"widget": "number"},
            "ghi_chu": {"widget": "textarea"},
        },
    ),
    form(
        "to-khai-thay-doi-thong-tin-cu-tru-tam-tru",
        "Tờ khai thay đổi thông tin cư trú (CT01) – đăng ký tạm trú",
        ["ho_ten", "ngay_sinh", "gioi_tinh", "cccd", "dien_thoai", "dia_chi_tam_tru", "thoi_han_tam_tru", "cho_o_hop_phap"],
        {
            "ho_ten": s("Họ, chữ đệm, tên"),
            "ngay_sinh": date("Ngày, tháng, năm sinh"),
            "gioi_tinh": SEX,
            "cccd": CCCD,
            "dien_thoai": PHONE,
            "email": EMAIL,
            "dia_chi_tam_tru": s("Địa chỉ đăng ký tạm trú", 255),
            "thoi_han_tam_tru": {"type": "integer", "minimum": 1, "maximum": 24, "title": "Thời hạn tạm trú (tháng, tối đa 2 năm)"},
            "cho_o_hop_phap": enum("Chỗ ở hợp pháp", ["Thuộc sở hữu của mình", "Thuê, mượn, ở nhờ", "Khác"]),
            "chu_ho_ho_ten": s("Họ, chữ đệm, tên chủ hộ"),
            "quan_he_chu_ho": s("Quan hệ với chủ hộ", 50),
            "noi_dung": s("Nội dung đề nghị", 1000),
        },
        [
            {"title": "Người đăng ký tạm trú", "fields": ["ho_ten", "ngay_sinh", "gioi_tinh", "cccd", "dien_thoai", "email"]},
            {"title": "Nơi đăng ký tạm trú", "fields": ["dia_chi_tam_tru", "thoi_han_tam_tru", "cho_o_hop_phap", "chu_ho_ho_ten", "quan_he_chu_ho", "noi_dung"]},
        ],
        {
            "ngay_sinh": {"widget": "date"},
            "dia_chi_tam_tru": {"widget": "textarea"},
            "thoi_han_tam_tru": {"widget": "number"},
            "cho_o_hop_phap": {"widget": "select"},
            "chu_ho_ho_ten": {"widget": "text"},
            "quan_he_chu_ho": {"widget": "text"},
            "noi_dung": {"widget": "textarea"},
        },
    ),
    form(
        "to-khai-xac-nhan-tinh-trang-hon-nhan",
        "Tờ khai cấp Giấy xác nhận tình trạng hôn nhân",
        REQ_REQUIRED + ["ho_ten", "ngay_sinh", "gioi_tinh", "cccd", "tinh_trang", "muc_dich"],
        {
            **requester_fields(),
            "ho_ten": s("Họ, chữ đệm, tên người được xác nhận"),
            "ngay_sinh": date("Ngày, tháng, năm sinh"),
            "gioi_tinh": SEX,
            "dan_toc": ETHNIC,
            "quoc_tich": NATIONALITY,
            "cccd": CCCD,
            "tinh_trang": enum("Tình trạng hôn nhân", ["Chưa đăng ký kết hôn với ai", "Đã ly hôn", "Vợ/chồng đã chết", "Đang có vợ/chồng"]),
            "muc_dich": s("Mục đích sử dụng", 255),
            "so_ban": {"type": "integer", "minimum": 1, "maximum": 10, "title": "Số lượng giấy xác nhận yêu cầu", "default": 1},
        },
        [REQ_SECTION, {"title": "Người được xác nhận", "fields": ["ho_ten", "ngay_sinh", "gioi_tinh", "dan_toc", "quoc_tich", "cccd", "tinh_trang", "muc_dich", "so_ban"]}],
        {
            "ngay_sinh": {"widget": "date"},
            "dan_toc": {"widget": "text"},
            "quoc_tich": {"widget": "text"},
            "tinh_trang": {"widget": "select"},
            "muc_dich": {"widget": "text", "placeholder": "Ví dụ: đăng ký kết hôn, vay vốn ngân hàng"},
            "so_ban": {"widget": "number"},
        },
    ),
    form(
        "to-khai-cap-phieu-ly-lich-tu-phap",
        "Tờ khai yêu cầu cấp Phiếu lý lịch tư pháp",
        ["ho_ten", "gioi_tinh", "ngay_sinh", "noi_sinh", "cccd", "noi_cu_tru", "dien_thoai", "loai_phieu", "so_luong", "muc_dich"],
        {
            "ho_ten": s("Họ, chữ đệm, tên"),
            "ten_goi_khac": s("Tên gọi khác (nếu có)"),
            "gioi_tinh": SEX,
            "ngay_sinh": date("Ngày, tháng, năm sinh"),
            "noi_sinh": s("Nơi sinh", 255),
            "quoc_tich": NATIONALITY,
            "dan_toc": ETHNIC,
            "cccd": CCCD,
            "noi_cu_tru": ADDRESS,
            "dien_thoai": PHONE,
            "email": EMAIL,
            "cha_ho_ten": s("Họ, chữ đệm, tên cha"),
            "me_ho_ten": s("Họ, chữ đệm, tên mẹ"),
            "loai_phieu": enum("Loại phiếu yêu cầu", ["Phiếu số 1", "Phiếu số 2"]),
            "so_luong": {"type": "integer", "minimum": 1, "maximum": 10, "title": "Số lượng phiếu"},
            "muc_dich": s("Mục đích sử dụng phiếu", 255),
        },
        [
            {"title": "Thông tin người yêu cầu", "fields": ["ho_ten", "ten_goi_khac", "gioi_tinh", "ngay_sinh", "noi_sinh", "quoc_tich", "dan_toc", "cccd", "noi_cu_tru", "dien_thoai", "email"]},
            {"title": "Thông tin cha, mẹ", "fields": ["cha_ho_ten", "me_ho_ten"]},
            {"title": "Nội dung yêu cầu", "fields": ["loai_phieu", "so_luong", "muc_dich"]},
        ],
        {
            "ten_goi_khac": {"widget": "text"},
            "ngay_sinh": {"widget": "date"},
            "noi_sinh": {"widget": "text"},
            "quoc_tich": {"widget": "text"},
            "dan_toc": {"widget": "text"},
            "cha_ho_ten": {"widget": "text"},
            "me_ho_ten": {"widget": "text"},
            "loai_phieu": {"widget": "radio", "help": "Phiếu số 2 chỉ cấp cho chính người được cấp phiếu."},
            "so_luong": {"widget": "number", "help": "Từ phiếu thứ 3 trở đi thu thêm 5.000 đồng/phiếu."},
            "muc_dich": {"widget": "text"},
        },
    ),
    form(
        "giay-de-nghi-dang-ky-ho-kinh-doanh",
        "Giấy đề nghị đăng ký hộ kinh doanh",
        ["ten_ho_kinh_doanh", "dia_diem", "nganh_nghe", "von_kinh_doanh", "so_lao_dong", "chu_ho_ho_ten", "chu_ho_cccd", "chu_ho_ngay_sinh", "chu_ho_gioi_tinh", "chu_ho_noi_cu_tru", "dien_thoai"],
        {
            "ten_ho_kinh_doanh": s("Tên hộ kinh doanh", 200),
            "dia_diem": s("Địa chỉ trụ sở hộ kinh doanh", 255),
            "nganh_nghe": s("Ngành, nghề kinh doanh", 1000),
            "von_kinh_doanh": {"type": "integer", "minimum": 0, "title": "Vốn kinh doanh (đồng)"},
            "so_lao_dong": {"type": "integer", "minimum": 0, "maximum": 10000, "title": "Số lượng lao động"},
            "chu_ho_ho_ten": s("Họ, chữ đệm, tên chủ hộ kinh doanh"),
            "chu_ho_cccd": {**CCCD, "title": "Số định danh cá nhân của chủ hộ"},
            "chu_ho_ngay_sinh": date("Ngày sinh chủ hộ"),
            "chu_ho_gioi_tinh": SEX,
            "chu_ho_noi_cu_tru": ADDRESS,
            "dien_thoai": PHONE,
            "email": EMAIL,
            "thanh_vien_ho_gia_dinh": enum("Các thành viên hộ gia đình cùng đăng ký", ["Không", "Có"]),
        },
        [
            {"title": "Thông tin hộ kinh doanh", "fields": ["ten_ho_kinh_doanh", "dia_diem", "nganh_nghe", "von_kinh_doanh", "so_lao_dong"]},
            {"title": "Chủ hộ kinh doanh", "fields": ["chu_ho_ho_ten", "chu_ho_cccd", "chu_ho_ngay_sinh", "chu_ho_gioi_tinh", "chu_ho_noi_cu_tru", "dien_thoai", "email", "thanh_vien_ho_gia_dinh"]},
        ],
        {
            "ten_ho_kinh_doanh": {"widget": "text", "help": "Gồm cụm từ «Hộ kinh doanh» và tên riêng, không trùng trong phạm vi cấp xã.", "placeholder": "Hộ kinh doanh Bình An"},
            "dia_diem": {"widget": "textarea"},
            "nganh_nghe": {"widget": "textarea"},
            "von_kinh_doanh": {"widget": "number"},
            "so_lao_dong": {"widget": "number"},
            "chu_ho_ho_ten": {"widget": "text", "autocomplete": "name"},
            "chu_ho_cccd": {"widget": "text"},
            "chu_ho_ngay_sinh": {"widget": "date"},
            "chu_ho_gioi_tinh": {"widget": "radio"},
            "chu_ho_noi_cu_tru": {"widget": "textarea"},
            "thanh_vien_ho_gia_dinh": {"widget": "radio", "help": "Nếu Có, nộp kèm biên bản họp thành viên hộ gia đình."},
        },
    ),
    form(
        "don-de-nghi-cap-giay-phep-xay-dung",
        "Đơn đề nghị cấp giấy phép xây dựng",
        ["chu_dau_tu", "nguoi_dai_dien", "cccd", "dien_thoai", "dia_chi_lien_he", "ten_cong_trinh", "dia_diem_xay_dung", "so_thua", "cap_cong_trinh", "dien_tich_xay_dung", "tong_dien_tich_san", "chieu_cao", "so_tang"],
        {
            "chu_dau_tu": s("Tên chủ đầu tư", 255),
            "nguoi_dai_dien": s("Người đại diện"),
            "cccd": CCCD,
            "dien_thoai": PHONE,
            "email": EMAIL,
            "dia_chi_lien_he": s("Địa chỉ liên hệ", 255),
            "ten_cong_trinh": s("Tên công trình", 255),
            "dia_diem_xay_dung": s("Địa điểm xây dựng", 255),
            "so_thua": s("Lô đất/thửa đất số, tờ bản đồ số", 100),
            "cap_cong_trinh": enum("Cấp công trình", ["Cấp đặc biệt", "Cấp I", "Cấp II"]),
            "dien_tich_xay_dung": {"type": "number", "minimum": 0, "title": "Diện tích xây dựng (m²)"},
            "tong_dien_tich_san": {"type": "number", "minimum": 0, "title": "Tổng diện tích sàn (m²)"},
            "chieu_cao": {"type": "number", "minimum": 0, "title": "Chiều cao công trình (m)"},
            "so_tang": {"type": "integer", "minimum": 0, "maximum": 200, "title": "Số tầng (kể cả tầng hầm)"},
            "don_vi_thiet_ke": s("Đơn vị hoặc người thiết kế", 255),
            "du_kien_hoan_thanh": {"type": "integer", "minimum": 1, "maximum": 240, "title": "Dự kiến thời gian hoàn thành (tháng)"},
        },
        [
            {"title": "Chủ đầu tư", "fields": ["chu_dau_tu", "nguoi_dai_dien", "cccd", "dien_thoai", "email", "dia_chi_lien_he"]},
            {"title": "Công trình", "fields": ["ten_cong_trinh", "dia_diem_xay_dung", "so_thua", "cap_cong_trinh", "dien_tich_xay_dung", "tong_dien_tich_san", "chieu_cao", "so_tang", "don_vi_thiet_ke", "du_kien_hoan_thanh"]},
        ],
        {
            "chu_dau_tu": {"widget": "text", "autocomplete": "organization"},
            "nguoi_dai_dien": {"widget": "text", "autocomplete": "name"},
            "dia_chi_lien_he": {"widget": "textarea"},
            "ten_cong_trinh": {"widget": "text"},
            "dia_diem_xay_dung": {"widget": "textarea"},
            "so_thua": {"widget": "text"},
            "cap_cong_trinh": {"widget": "select"},
            "dien_tich_xay_dung": {"widget": "number"},
            "tong_dien_tich_san": {"widget": "number"},
            "chieu_cao": {"widget": "number"},
            "so_tang": {"widget": "number"},
            "don_vi_thiet_ke": {"widget": "text"},
            "du_kien_hoan_thanh": {"widget": "number"},
        },
    ),
]
