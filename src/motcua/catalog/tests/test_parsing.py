from motcua.catalog.parsing import parse_channels, parse_components, parse_laythutuc, parse_legal_bases, parse_results


def test_channels_with_amounts_units_and_free():
    text = (
        "Hình thức nộpThời gianPhí, lệ phíMô tảTrực tuyến15 Ngày làm việc3,500,000 Việt Nam Đồng(Phí thẩm định)"
        "Nộp qua cổng.Trực tiếp7Miễn phí(Miễn lệ phí cho hộ nghèo)Dịch vụ bưu chính3 Tháng40 Việt Nam Đồng(40.000đ/giấy)"
    )
    channels, states_time, states_fee, time_ok, fee_ok = parse_channels(text)
    assert [c["channel"] for c in channels] == [2, 1, 3]
    online, counter, post = channels
    assert (online["duration_value"], online["duration_unit"]) == ("15", "working_days")
    assert online["fees"] == [{"kind": "phi", "amount": 3500000, "currency": "VND", "description": "Phí thẩm định"}]
    assert online["description"] == "Nộp qua cổng."
    assert (counter["duration_value"], counter["duration_unit"]) == ("7", "")
    assert counter["fees"][0]["amount"] == 0 and counter["fees"][0]["kind"] == "le_phi"
    assert post["duration_unit"] == "months"
    assert post["fees"][0]["amount"] == 40000  # the portal shows thousands; the note gives the real amount
    assert states_time and states_fee and time_ok and fee_ok


def test_channel_without_information_and_usd():
    channels, *_ = parse_channels("Trực tiếpKhông có thông tin10 USD(/bản)Tại cơ quan đại diện.")
    assert channels[0]["duration_value"] is None
    assert channels[0]["fees"][0] == {"kind": "le_phi", "amount": 10, "currency": "USD", "description": "/bản"}
    assert channels[0]["description"] == "Tại cơ quan đại diện."


def test_description_mentioning_a_channel_is_not_a_new_channel():
    channels, *_ = parse_channels("Trực tiếp5 Ngày làm việcMiễn phí- Trực tuyến: nộp qua Cổng dịch vụ công.")
    assert len(channels) == 1
    assert channels[0]["description"].startswith("- Trực tuyến: nộp")


def test_components_groups_templates_and_forms():
    text = (
        "* Giấy tờ phải nộp:Tên giấy tờMẫu đơn, tờ khaiSố lượngTờ khai đăng ký (Mẫu CT01).CT01.doc1 bản chính"
        "Giấy khai sinh1 bản chính,1 bản sao- Ghi chú chung:0 bản chính"
        "* Giấy tờ phải xuất trình:Tên giấy tờMẫu đơn, tờ khaiSố lượngHộ chiếu hoặc thẻ căn cước1 bản chính"
    )
    comps, rest = parse_components(text)
    assert [c["name"] for c in comps] == ["Tờ khai đăng ký (Mẫu CT01).", "Giấy khai sinh", "Hộ chiếu hoặc thẻ căn cước"]
    assert comps[0]["template_name"] == "CT01.doc"
    assert comps[1]["form"] == "original_or_copy"
    assert [c["group"] for c in comps] == ["Giấy tờ phải nộp", "Giấy tờ phải nộp", "Giấy tờ phải xuất trình"]
    assert "Ghi chú chung" in rest


def test_legal_bases_and_results():
    bases, rest = parse_legal_bases(
        "Tên văn bản pháp lýMã văn bảnNghị định số 123/2015/NĐ-CP ngày 15/11/2015 của Chính phủ123/2015/NĐ-CP"
        "Luật Cư trú68/2020/QH14Thông tư số 22/2023/TT-BCA22/2023/TT-BCA"
    )
    assert bases == [
        {"name": "Nghị định số 123/2015/NĐ-CP ngày 15/11/2015 của Chính phủ", "number": "123/2015/NĐ-CP"},
        {"name": "Luật Cư trú", "number": "68/2020/QH14"},
        {"name": "Thông tư số 22/2023/TT-BCA", "number": "22/2023/TT-BCA"},
    ]
    assert rest == ""
    results, _ = parse_results("Trích lục khai sinhMã: KQ.G15.000033Từ khóaKhông có thông tin")
    assert results == [{"code": "KQ.G15.000033", "name": "Trích lục khai sinh"}]


def test_laythutuc_shape():
    record, report = parse_laythutuc(
        {
            "MATTHC": "1.004194",
            "TENTTHC": "Đăng ký tạm trú",
            "LINHVUCTHUCHIEN": [{"MALINHVUC": "G03-CT", "TENLINHVUC": "Cư trú"}],
            "CACHTHUCTHUCHIEN": [
                {"KENH": 2, "THOIGIAN": [{"THOIGIANGIAIQUYET": "3", "DONVITINH": "Ngày làm việc", "MOTA": "", "PHILEPHI": [{"MALOAIPHILEPHI": "2", "SOTIEN": "7000", "MOTA": "Lệ phí"}]}]},
                {"KENH": "1", "THOIGIAN": [{"THOIGIANGIAIQUYET": 3, "DONVITINH": "Ngày làm việc", "PHILEPHI": []}]},
            ],
            "THANHPHANHOSO": [{"GIAYTO": [{"TENGIAYTO": "Tờ khai CT01", "SOBANCHINH": 1, "SOBANSAO": 0, "MAUDON": [{"TENMAUDON": "CT01.docx", "DUONGDANMAUDON": "https://example.org/ct01.docx"}]}]}],
            "CANCUPHAPLY": [{"SOVANBAN": "68/2020/QH14", "TENVANBAN": "Luật Cư trú"}],
            "KETQUATHUCHIEN": [{"MAKETQUA": "KQ.G01.000001", "TENKETQUA": "Xác nhận tạm trú"}],
        }
    )
    assert record["field"] == {"code": "G03-CT", "name": "Cư trú"}
    assert [(c["channel"], c["duration_value"], c["duration_unit"]) for c in record["channels"]] == [(2, "3", "working_days"), (1, "3", "working_days")]
    assert record["channels"][0]["fees"][0]["amount"] == 7000
    assert record["components"][0]["template_url"] == "https://example.org/ct01.docx"
    assert record["legal_bases"] == [{"name": "Luật Cư trú", "number": "68/2020/QH14"}]
    assert report.time_parsed and report.fee_parsed
