"""Rebuild demo-procedures.json from the national records (run by hand, not at run time).

    .venv/bin/python src/motcua/catalog/data/build_demo.py ../shared/data

Takes the most used commune- and province-level procedures whose text gives a processing time and
a fee, plus the procedures with demo e-forms. Two of those are not in the national sample and are
written here from the published procedure (codes 1.001612 and 1.013236).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[2]))

from motcua.catalog.data.eforms import EFORMS  # noqa: E402
from motcua.catalog.parsing import parse_national_record  # noqa: E402

COUNT = 45
# procedure code -> (e-form code, words that identify the main form component)
EFORM_LINKS = {
    "1.001193": ("to-khai-dang-ky-khai-sinh", "tờ khai đăng ký khai sinh"),
    "1.000894": ("to-khai-dang-ky-ket-hon", "tờ khai đăng ký kết hôn"),
    "2.000815": ("yeu-cau-chung-thuc-ban-sao", "bản chính giấy tờ"),
    "1.004194": ("to-khai-thay-doi-thong-tin-cu-tru-tam-tru", "tờ khai thay đổi thông tin cư trú"),
    "1.004873": ("to-khai-xac-nhan-tinh-trang-hon-nhan", "tờ khai cấp giấy xác nhận"),
    "3.000333": ("to-khai-cap-phieu-ly-lich-tu-phap", "tờ khai yêu cầu cấp phiếu"),
    "1.001612": ("giay-de-nghi-dang-ky-ho-kinh-doanh", "giấy đề nghị đăng ký hộ kinh doanh"),
    "1.013236": ("don-de-nghi-cap-giay-phep-xay-dung", "đơn đề nghị cấp giấy phép xây dựng"),
}


def channel(kind, days, fees, description="", unit="working_days"):
    return {
        "channel": kind,
        "case": None,
        "duration_value": str(days),
        "duration_unit": unit,
        "description": description,
        "raw_text": "",
        "fees": fees,
    }


def comp(name, form="original", quantity=1, required=True, template="", group=""):
    return {
        "case": None,
        "code": "",
        "name": name,
        "form": form,
        "quantity": quantity,
        "required": required,
        "template_name": template,
        "template_file": "",
        "template_url": "",
        "group": group,
        "eform": None,
        "order": 0,
    }


def base(code, name, field, levels, **extra):
    record = {
        "code": code,
        "name": name,
        "field": field,
        "levels": levels,
        "applicant_types": ["Công dân Việt Nam"],
        "procedure_type": "",
        "competent_agency": "",
        "implementing_agency": "",
        "coordinating_agency": "",
        "steps": "",
        "conditions": "",
        "legal_bases": [],
        "legal_bases_raw": "",
        "results": [],
        "results_raw": "",
        "publishing_decision": "",
        "channels_raw": "",
        "components_raw": "",
        "source_url": "",
        "unparsed": {},
        "cases": [],
        "channels": [],
        "components": [],
    }
    record.update(extra)
    return record


HO_KINH_DOANH_FEE = {
    "kind": "le_phi",
    "amount": 100000,
    "currency": "VND",
    "description": "Lệ phí đăng ký hộ kinh doanh; mức cụ thể do Hội đồng nhân dân cấp tỉnh quyết định (thường 100.000 đồng/lần). Miễn lệ phí khi đăng ký qua mạng điện tử tại nhiều địa phương.",
}
GPXD_FEE = {
    "kind": "le_phi",
    "amount": 150000,
    "currency": "VND",
    "description": "Lệ phí cấp giấy phép xây dựng công trình; mức cụ thể do Hội đồng nhân dân cấp tỉnh quyết định theo Thông tư số 85/2019/TT-BTC.",
}

WRITTEN = [
    base(
        "1.001612",
        "Đăng ký thành lập hộ kinh doanh",
        {"code": "thanh-lap-va-hoat-dong-cua-ho-kinh-doanh", "name": "Thành lập và hoạt động của hộ kinh doanh"},
        ["commune"],
        applicant_types=["Công dân Việt Nam", "Hộ gia đình"],
        competent_agency="Ủy ban nhân dân cấp xã",
        implementing_agency="Ủy ban nhân dân cấp xã (bộ phận đăng ký hộ kinh doanh)",
        steps=(
            "- Chủ hộ kinh doanh hoặc người đại diện nộp hồ sơ đăng ký hộ kinh doanh tại cơ quan đăng ký kinh doanh cấp xã nơi đặt trụ sở hộ kinh doanh, trực tiếp, qua bưu chính hoặc trực tuyến.\n"
            "- Cơ quan đăng ký kinh doanh trao Giấy biên nhận và kiểm tra tính hợp lệ của hồ sơ.\n"
            "- Trong thời hạn 03 ngày làm việc kể từ ngày nhận được hồ sơ hợp lệ, cơ quan đăng ký kinh doanh cấp Giấy chứng nhận đăng ký hộ kinh doanh; trường hợp hồ sơ chưa hợp lệ, thông báo bằng văn bản nội dung cần sửa đổi, bổ sung."
        ),
        conditions=(
            "- Ngành, nghề đăng ký kinh doanh không bị cấm đầu tư kinh doanh.\n"
            "- Tên hộ kinh doanh đặt theo đúng quy định, không trùng với tên hộ kinh doanh đã đăng ký trong phạm vi cấp xã.\n"
            "- Có hồ sơ hợp lệ và nộp đủ lệ phí đăng ký hộ kinh doanh."
        ),
        legal_bases=[
            {"name": "Luật Doanh nghiệp", "number": "59/2020/QH14"},
            {"name": "Nghị định về đăng ký doanh nghiệp", "number": "168/2025/NĐ-CP"},
            {"name": "Thông tư hướng dẫn về phí và lệ phí thuộc thẩm quyền quyết định của Hội đồng nhân dân tỉnh", "number": "85/2019/TT-BTC"},
        ],
        results=[{"code": "", "name": "Giấy chứng nhận đăng ký hộ kinh doanh"}],
        channels=[
            channel(1, 3, [HO_KINH_DOANH_FEE]),
            channel(2, 3, [HO_KINH_DOANH_FEE]),
            channel(3, 3, [HO_KINH_DOANH_FEE]),
        ],
        components=[
            comp("Giấy đề nghị đăng ký hộ kinh doanh", template="Giấy đề nghị đăng ký hộ kinh doanh (theo mẫu)"),
            comp("Biên bản họp thành viên hộ gia đình về việc thành lập hộ kinh doanh (trường hợp các thành viên hộ gia đình đăng ký hộ kinh doanh)", form="copy", required=False),
            comp("Văn bản ủy quyền của thành viên hộ gia đình cho một thành viên làm chủ hộ kinh doanh (nếu có)", form="copy", required=False),
        ],
        unparsed={"note": "Bản ghi soạn theo thủ tục công bố (không có trong mẫu dữ liệu quốc gia kèm theo); cần đối chiếu với Cơ sở dữ liệu quốc gia."},
    ),
    base(
        "1.013236",
        "Cấp giấy phép xây dựng mới công trình cấp đặc biệt, cấp I, cấp II (Công trình không theo tuyến/Theo tuyến trong đô thị/Tín ngưỡng, tôn giáo/Tượng đài, tranh hoành tráng/Theo giai đoạn cho công trình không theo tuyến/Theo giai đoạn cho công trình theo tuyến trong đô thị/Dự án)",
        {"code": "hoat-dong-xay-dung", "name": "Hoạt động xây dựng"},
        ["province"],
        applicant_types=["Công dân Việt Nam", "Doanh nghiệp", "Tổ chức"],
        competent_agency="Sở Xây dựng",
        implementing_agency="Sở Xây dựng",
        steps=(
            "- Chủ đầu tư nộp 02 bộ hồ sơ đề nghị cấp giấy phép xây dựng tại Trung tâm Phục vụ hành chính công hoặc trực tuyến.\n"
            "- Cơ quan cấp phép kiểm tra hồ sơ; trường hợp hồ sơ chưa đầy đủ, hướng dẫn chủ đầu tư bổ sung một lần.\n"
            "- Cơ quan cấp phép thẩm định hồ sơ, kiểm tra thực địa, lấy ý kiến các cơ quan quản lý nhà nước về các lĩnh vực liên quan (nếu cần).\n"
            "- Trong thời hạn 20 ngày kể từ ngày nhận đủ hồ sơ hợp lệ, cơ quan cấp phép xem xét cấp giấy phép xây dựng; trường hợp không cấp thì trả lời bằng văn bản và nêu rõ lý do."
        ),
        conditions="Phù hợp với quy hoạch xây dựng, quy hoạch có tính chất kỹ thuật, chuyên ngành; bảo đảm an toàn công trình và công trình lân cận; thiết kế xây dựng được thẩm định, phê duyệt theo quy định (Điều 91 Luật Xây dựng).",
        legal_bases=[
            {"name": "Luật Xây dựng", "number": "50/2014/QH13"},
            {"name": "Luật sửa đổi, bổ sung một số điều của Luật Xây dựng", "number": "62/2020/QH14"},
            {"name": "Nghị định quy định chi tiết một số nội dung về quản lý dự án đầu tư xây dựng", "number": "175/2024/NĐ-CP"},
            {"name": "Thông tư hướng dẫn về phí và lệ phí thuộc thẩm quyền quyết định của Hội đồng nhân dân tỉnh", "number": "85/2019/TT-BTC"},
        ],
        results=[{"code": "", "name": "Giấy phép xây dựng"}],
        channels=[channel(1, 20, [GPXD_FEE], unit="days"), channel(2, 20, [GPXD_FEE], unit="days"), channel(3, 20, [GPXD_FEE], unit="days")],
        components=[
            comp("Đơn đề nghị cấp giấy phép xây dựng", template="Mẫu số 01 Phụ lục II Nghị định số 175/2024/NĐ-CP"),
            comp("Giấy tờ hợp pháp về đất đai hoặc giấy tờ chứng minh quyền sử dụng đất", form="certified_copy"),
            comp("Quyết định phê duyệt dự án, văn bản thông báo kết quả thẩm định của cơ quan chuyên môn về xây dựng (nếu có)", form="copy", required=False),
            comp("Hai bộ bản vẽ thiết kế xây dựng trong hồ sơ thiết kế xây dựng triển khai sau thiết kế cơ sở đã được phê duyệt", quantity=2),
            comp("Văn bản kết quả thực hiện thủ tục về phòng cháy, chữa cháy và báo cáo kết quả thẩm tra thiết kế (nếu có)", form="copy", required=False),
        ],
        unparsed={"note": "Bản ghi soạn theo thủ tục công bố (không có trong mẫu dữ liệu quốc gia kèm theo); cần đối chiếu với Cơ sở dữ liệu quốc gia."},
    ),
]


def fill_units(record):
    """The national text gives some civil-status times without a unit; the Civil Status Law counts
    working days, so the demo says so explicitly."""
    for ch in record["channels"]:
        if ch["duration_value"] is not None and not ch["duration_unit"]:
            ch["duration_unit"] = "working_days"
            note = "(Nguồn không ghi đơn vị thời hạn; MotCua hiểu là ngày làm việc.)"
            ch["description"] = (ch["description"] + "\n" + note).strip()
    if record["code"] == "2.000815":
        for ch in record["channels"]:
            if ch["duration_value"] is None:
                ch["duration_value"] = "1"
                ch["duration_unit"] = "working_days"
                ch["description"] = (
                    ch["description"]
                    + "\nTrong ngày tiếp nhận yêu cầu hoặc ngày làm việc tiếp theo nếu tiếp nhận sau 15 giờ (Điều 7 Nghị định số 23/2015/NĐ-CP)."
                ).strip()


def link_eform(record):
    eform_code, words = EFORM_LINKS[record["code"]]
    for component in record["components"]:
        if words in component["name"].lower():
            component["eform"] = eform_code
            return
    record["components"][0]["eform"] = eform_code


def main(shared_data: str) -> None:
    data = Path(shared_data)
    weights = {}
    for name in ("citizen-services.json", "business-services.json"):
        for item in json.loads((data / "national-codes" / name).read_text(encoding="utf-8")):
            weights[item["TTHC_MA"]] = max(weights.get(item["TTHC_MA"], 0), int(item["WEIGHT"]))
    records = {}
    for path in sorted((data / "national-procedures").rglob("*.json")):
        record, _ = parse_national_record(json.loads(path.read_text(encoding="utf-8")))
        records[record["code"]] = record
    eligible = [
        r
        for r in records.values()
        if ({"commune", "province"} & set(r["levels"]))
        and any(ch["duration_value"] for ch in r["channels"])
        and any(ch["fees"] for ch in r["channels"])
    ]
    eligible.sort(key=lambda r: (-weights.get(r["code"], 0), r["code"]))
    chosen = {r["code"]: r for r in eligible[:COUNT]}
    for code in EFORM_LINKS:
        if code in records:
            chosen[code] = records[code]
    for record in WRITTEN:
        chosen[record["code"]] = record
    procedures = []
    for code in sorted(chosen):
        record = json.loads(json.dumps(chosen[code]))
        record["popularity"] = min(weights.get(code, 0), 2**31 - 1)
        record["is_active"] = True
        for i, component in enumerate(record["components"]):
            component["order"] = i
        fill_units(record)
        if code in EFORM_LINKS:
            link_eform(record)
        procedures.append(record)
    document = {"format": "motcua-catalogue", "version": 1, "eforms": sorted(EFORMS, key=lambda e: e["code"]), "procedures": procedures}
    out = HERE / "demo-procedures.json"
    out.write_text(json.dumps(document, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"{out}: {len(procedures)} thủ tục, {len(EFORMS)} biểu mẫu điện tử")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else str(HERE.parents[4] / "shared" / "data"))
