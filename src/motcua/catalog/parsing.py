"""Tolerant parsers for the national portal's procedure text and the DVCQG ``LayThuTuc`` JSON.

Both produce a record in MotCua's own catalogue format (see docs/catalog-format.md), plus a report
of what was understood. Whatever cannot be parsed is kept verbatim in ``unparsed``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from motcua.core.text import fold, nfc

CHANNEL_NAMES = {"Trực tiếp": 1, "Trực tuyến": 2, "Dịch vụ bưu chính": 3}
LEVELS = {"cap bo": "ministry", "cap tinh": "province", "cap huyen": "district", "cap xa": "commune"}
UNITS = [
    ("ngay lam viec", "working_days"),
    ("gio lam viec", "working_hours"),
    ("ngay", "days"),
    ("gio", "hours"),
    ("thang", "months"),
]
NO_INFO = "Không có thông tin"

_CHANNEL_RE = re.compile(r"(Trực tiếp|Trực tuyến|Dịch vụ bưu chính)(?=\s*(?:\d|Không có thông tin))")
_DURATION_RE = re.compile(
    r"\s*(\d+(?:[.,]\d+)?)\s*(Ngày làm việc|Giờ làm việc|Ngày|Giờ|Tháng|ngày làm việc|ngày|giờ|tháng)?", re.S
)
_AMOUNT_RE = re.compile(r"\s*(\d[\d.,]*)\s*(Việt Nam Đồng|VNĐ|VND|Đồng|đồng|USD)")
_FREE_RE = re.compile(r"\s*Miễn phí")
_NO_INFO_RE = re.compile(r"\s*Không có thông tin")
_QTY_RE = re.compile(r"(\d+)\s*bản\s*(chính|sao)(?:\s*,\s*(\d+)\s*bản\s*(chính|sao))?")
_TEMPLATE_RE = re.compile(r"([^.;:]*?\.(?:docx|doc|pdf|xlsx|xls|rtf|odt))\s*$", re.I)
_LEGAL_NUMBER_RE = re.compile(
    r"\d+(?:\.\d+)?/\d{4}/(?:[A-ZĐ]+-)*(?:[A-ZĐ]*QH\d{1,2}|[A-ZĐ]+(?![a-zà-ỹđ]))"
)
_RESULT_RE = re.compile(r"(.+?)Mã:\s*([A-Z0-9][A-Z0-9.\-]*\d)", re.S)
_COMPONENT_HEADER = "Tên giấy tờMẫu đơn, tờ khaiSố lượng"


@dataclass
class ParseReport:
    """What was understood in one record."""

    code: str = ""
    states_time: bool = False
    states_fee: bool = False
    time_parsed: bool = False
    fee_parsed: bool = False
    channels: int = 0
    components: int = 0
    legal_bases: int = 0
    unparsed: list[str] = field(default_factory=list)

    def summary(self) -> str:
        parts = [f"{self.channels} cách thức", f"{self.components} thành phần", f"{self.legal_bases} căn cứ"]
        if self.states_time:
            parts.append("thời hạn: " + ("có" if self.time_parsed else "KHÔNG đọc được"))
        if self.states_fee:
            parts.append("phí: " + ("có" if self.fee_parsed else "KHÔNG đọc được"))
        if self.unparsed:
            parts.append("giữ nguyên văn: " + ", ".join(self.unparsed))
        return "; ".join(parts)


def _clean(value) -> str:
    if value is None:
        return ""
    text = nfc(str(value).replace("\xa0", " ").replace("\u200e", ""))
    return "" if text == NO_INFO else text


def _multiline(value) -> str:
    """NFC while keeping line breaks (steps and conditions are lists)."""
    if not value:
        return ""
    lines = [nfc(line.replace("\xa0", " ").replace("\u200e", "")) for line in str(value).splitlines()]
    text = "\n".join(line for line in lines if line)
    return "" if text == NO_INFO else text


def parse_amount(number: str) -> int | None:
    """'3,500,000' or '3.500.000' -> 3500000; '12.5' is not an integer amount -> None."""
    digits = number.replace(",", "").replace(".", "")
    if not digits.isdigit():
        return None
    return int(digits)


def parse_unit(text: str | None) -> str:
    if not text:
        return ""
    folded = fold(text)
    for key, unit in UNITS:
        if folded.startswith(key):
            return unit
    return ""


def parse_levels(text: str) -> list[str]:
    levels = []
    for part in re.split(r"[,;]", text or ""):
        level = LEVELS.get(fold(part).strip())
        if level and level not in levels:
            levels.append(level)
    return levels


def _balanced_paren(text: str, pos: int) -> int:
    """Index just after the parenthesised group starting at ``text[pos] == '('`` (tolerates no close)."""
    depth = 0
    for i in range(pos, len(text)):
        if text[i] == "(":
            depth += 1
        elif text[i] == ")":
            depth -= 1
            if depth == 0:
                return i + 1
    return len(text)


def _fee_kind(note: str) -> str:
    folded = fold(note)
    if "le phi" in folded:
        return "le_phi"
    if re.search(r"\bphi\b", folded):
        return "phi"
    return "le_phi"


def parse_channels(text: str) -> tuple[list[dict], bool, bool, bool, bool]:
    """Parse the flattened 'Cách thức thực hiện' table.

    Returns (channels, states_time, states_fee, time_parsed, fee_parsed).
    """
    text = nfc((text or "").replace("\xa0", " "))
    text = re.sub(r"^Hình thức nộp\s*Thời gian\s*Phí, lệ phí\s*Mô tả", "", text)
    matches = list(_CHANNEL_RE.finditer(text))
    channels: list[dict] = []
    states_time = states_fee = time_parsed = fee_parsed = False
    for index, match in enumerate(matches):
        end = matches[index + 1].start() if index + 1 < len(matches) else len(text)
        segment = text[match.end() : end]
        raw = text[match.start() : end].strip()
        channel = {
            "channel": CHANNEL_NAMES[match.group(1)],
            "case": None,
            "duration_value": None,
            "duration_unit": "",
            "description": "",
            "raw_text": raw,
            "fees": [],
        }
        pos = 0
        if (m := _NO_INFO_RE.match(segment)) is not None:
            pos = m.end()
        elif (m := _AMOUNT_RE.match(segment)) is None and (m := _DURATION_RE.match(segment)) is not None:
            states_time = True
            try:
                channel["duration_value"] = format(Decimal(m.group(1).replace(",", ".")).normalize(), "f")
            except InvalidOperation:
                pass
            channel["duration_unit"] = parse_unit(m.group(2))
            pos = m.end()
        # Fees: "Miễn phí", "Không có thông tin", or one or more "<amount> <currency>(note)".
        while True:
            if (m := _FREE_RE.match(segment, pos)) is not None:
                states_fee = True
                pos = m.end()
                note = ""
                if segment[pos : pos + 1] == "(":
                    close = _balanced_paren(segment, pos)
                    note = segment[pos + 1 : close - 1].strip()
                    pos = close
                channel["fees"].append(
                    {"kind": "le_phi", "amount": 0, "currency": "VND", "description": nfc(note)}
                )
                continue
            if (m := _AMOUNT_RE.match(segment, pos)) is not None:
                states_fee = True
                pos = m.end()
                note = ""
                if segment[pos : pos + 1] == "(":
                    close = _balanced_paren(segment, pos)
                    note = segment[pos + 1 : close - 1].strip()
                    pos = close
                amount = parse_amount(m.group(1))
                currency = "USD" if m.group(2) == "USD" else "VND"
                if amount is not None and currency == "VND" and amount < 1000:
                    # The portal sometimes shows thousands ("40 Việt Nam Đồng(40.000đ/giấy…"): trust the note.
                    if re.search(rf"(?<![\d.,]){amount}[.,]000(?![\d])", note):
                        amount *= 1000
                if amount is not None:
                    channel["fees"].append(
                        {"kind": _fee_kind(note), "amount": amount, "currency": currency, "description": nfc(note)}
                    )
                continue
            if (m := _NO_INFO_RE.match(segment, pos)) is not None:
                pos = m.end()
            break
        channel["description"] = _multiline(segment[pos:].strip())
        channels.append(channel)
        if channel["duration_value"] is not None:
            time_parsed = True
        if channel["fees"]:
            fee_parsed = True
    return channels, states_time, states_fee, time_parsed, fee_parsed


def _component_form(kind1: str, kind2: str | None, name: str) -> str:
    if kind2 and kind2 != kind1:
        return "original_or_copy"
    if kind1 == "sao":
        return "certified_copy" if "chung thuc" in fold(name) else "copy"
    return "original"


def parse_components(text: str) -> tuple[list[dict], str]:
    """Parse the flattened 'Thành phần hồ sơ' tables. Returns (components, unparsed_text)."""
    text = nfc((text or "").replace("\xa0", " ").replace("\u200e", ""))
    if not text or text == NO_INFO:
        return [], ""
    components: list[dict] = []
    leftovers: list[str] = []
    blocks = text.split(_COMPONENT_HEADER)
    group = ""
    for index, block in enumerate(blocks):
        if index == 0:
            group = block.strip(" -*:")
            continue
        # The group title of the next table is glued at the end of this block ("...1 bản chính* Giấy tờ…:").
        next_group = ""
        tail = re.search(r"(\*[^*]*:|--)\s*$", block)
        if tail and index + 1 < len(blocks):
            next_group = tail.group(1).strip(" -*:")
            block = block[: tail.start()]
        pos = 0
        for qty in _QTY_RE.finditer(block):
            row = block[pos : qty.start()].strip()
            pos = qty.end()
            quantity = int(qty.group(1))
            if qty.group(3):
                quantity = max(quantity, int(qty.group(3)))
            if quantity == 0 or not row:
                if row:
                    leftovers.append(row)
                continue
            template = ""
            m = _TEMPLATE_RE.search(row)
            if m:
                candidate = m.group(1)
                # Split a file name glued to the document name: "…tại Việt NamMẫu số 06.docx".
                glue = [
                    i
                    for i in range(1, len(candidate))
                    if (candidate[i - 1].islower() and candidate[i].isupper())
                    or (candidate[i - 1] == ")" and candidate[i].isalnum())
                ]
                cut = glue[-1] if glue and len(candidate) - glue[-1] < 120 else 0
                name_part = (row[: m.start(1)] + candidate[:cut]).strip()
                template = candidate[cut:].strip()
                if name_part:
                    row = name_part
                else:
                    template = ""
            components.append(
                {
                    "case": None,
                    "code": "",
                    "name": row,
                    "form": _component_form(qty.group(2), qty.group(4), row),
                    "quantity": quantity,
                    "required": "neu co" not in fold(row),
                    "template_name": template[:255],
                    "template_file": "",
                    "template_url": "",
                    "group": group[:255],
                    "eform": None,
                    "order": len(components),
                }
            )
        rest = block[pos:].strip()
        if rest and index + 1 < len(blocks) and not next_group and len(rest) < 400:
            next_group = rest.strip(" -*:")  # the title of the next table (a case, "Giấy tờ phải nộp"…)
        elif rest:
            leftovers.append(rest)
        group = next_group
    return components, "\n".join(leftovers)


def parse_legal_bases(text: str) -> tuple[list[dict], str]:
    text = nfc((text or "").replace("\xa0", " "))
    text = re.sub(r"^Tên văn bản pháp lý\s*Mã văn bản", "", text).strip()
    if not text or text == NO_INFO:
        return [], ""
    bases, start = [], 0
    for m in _LEGAL_NUMBER_RE.finditer(text):
        after = text[m.end() : m.end() + 2]
        name = text[start : m.start()].strip()
        if re.match(r"\s[a-zà-ỹđ(]", after) or not name or fold(name).endswith(" so") or name.endswith("số"):
            continue
        bases.append({"name": name, "number": m.group(0)})
        start = m.end()
    rest = text[start:].strip()
    return bases, rest


def parse_results(text: str) -> tuple[list[dict], str]:
    text = nfc((text or "").replace("\xa0", " "))
    text = re.split(r"Từ khóa|Chọn cơ quan thực hiện", text)[0].strip()
    if not text or text == NO_INFO:
        return [], ""
    results, end = [], 0
    for m in _RESULT_RE.finditer(text):
        results.append({"code": m.group(2), "name": m.group(1).strip()})
        end = m.end()
    return results, text[end:].strip()


def field_code(name: str) -> str:
    return fold(re.sub(r"\(.*?\)\s*$", "", name or "")).replace(" ", "-")[:40]


def parse_national_record(data: dict) -> tuple[dict, ParseReport]:
    """A record scraped from the national portal (``ma_thu_tuc``, ``cach_thuc_thuc_hien``…)."""
    code = _clean(data.get("ma_thu_tuc"))
    name = _clean(data.get("ten_thu_tuc"))
    if not code or not name:
        raise ValueError("thiếu mã hoặc tên thủ tục")
    report = ParseReport(code=code)
    unparsed: dict[str, str] = {}
    raw_channels = nfc(data.get("cach_thuc_thuc_hien") or "")
    channels, _, _, report.time_parsed, report.fee_parsed = parse_channels(raw_channels)
    # Whether the text states a time or a fee is judged on the raw text, independently of the parser.
    report.states_time = bool(
        re.search(r"(Trực tiếp|Trực tuyến|Dịch vụ bưu chính)\s*\d", raw_channels)
        or re.search(r"\d+\s*(Ngày|Giờ|Tháng|ngày làm việc)", raw_channels)
    )
    report.states_fee = bool(re.search(r"Miễn phí|\d[\d.,]*\s*(Việt Nam Đồng|VNĐ|VND|đồng|Đồng|USD)", raw_channels))
    if not channels and _clean(data.get("cach_thuc_thuc_hien")):
        unparsed["channels"] = _clean(data.get("cach_thuc_thuc_hien"))
    components, rest = parse_components(data.get("thanh_phan_ho_so", ""))
    if rest:
        unparsed["components"] = rest
    bases, rest = parse_legal_bases(data.get("can_cu_phap_ly", ""))
    if rest:
        unparsed["legal_bases"] = rest
    results, rest = parse_results(data.get("ket_qua_xu_ly", ""))
    if rest:
        unparsed["results"] = rest
    field_name = _clean(data.get("linh_vuc"))
    record = {
        "code": code,
        "name": name,
        "field": {"code": field_code(field_name), "name": field_name} if field_name else None,
        "levels": parse_levels(data.get("cap_thuc_hien", "")),
        "applicant_types": [p.strip() for p in _clean(data.get("doi_tuong_thuc_hien")).split(",") if p.strip()],
        "procedure_type": _clean(data.get("loai_thu_tuc")),
        "competent_agency": _clean(data.get("co_quan_co_tham_quyen"))[:500],
        "implementing_agency": _clean(data.get("co_quan_thuc_hien"))[:500],
        "coordinating_agency": _clean(data.get("co_quan_phoi_hop"))[:500],
        "steps": _multiline(data.get("trinh_tu_thuc_hien")),
        "conditions": _multiline(data.get("yeu_cau_dieu_kien")),
        "legal_bases": bases,
        "legal_bases_raw": _clean(data.get("can_cu_phap_ly")),
        "results": results,
        "results_raw": _clean(re.split(r"Từ khóa", data.get("ket_qua_xu_ly") or "")[0]),
        "publishing_decision": _clean(data.get("so_quyet_dinh"))[:255],
        "channels_raw": _clean(data.get("cach_thuc_thuc_hien")),
        "components_raw": _multiline(data.get("thanh_phan_ho_so")),
        "source_url": _clean(data.get("detail_url"))[:500],
        "unparsed": unparsed,
        "cases": [],
        "channels": channels,
        "components": components,
    }
    report.channels, report.components, report.legal_bases = len(channels), len(components), len(bases)
    report.unparsed = sorted(unparsed)
    return record, report


def _as_list(value) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def parse_laythutuc(data: dict) -> tuple[dict, ParseReport]:
    """The DVCQG ``LayThuTuc`` JSON shape (DOMAIN.md section 7)."""
    code = _clean(data.get("MATTHC"))
    name = _clean(data.get("TENTTHC"))
    if not code or not name:
        raise ValueError("thiếu MATTHC hoặc TENTTHC")
    report = ParseReport(code=code)
    fields = _as_list(data.get("LINHVUCTHUCHIEN"))
    field_rec = None
    if fields:
        f0 = fields[0]
        f_name = _clean(f0.get("TENLINHVUC") if isinstance(f0, dict) else f0)
        f_code = _clean(f0.get("MALINHVUC")) if isinstance(f0, dict) else ""
        if f_name:
            field_rec = {"code": (f_code or field_code(f_name))[:40], "name": f_name}
    channels = []
    for item in _as_list(data.get("CACHTHUCTHUCHIEN")):
        try:
            kenh = int(item.get("KENH"))
        except (TypeError, ValueError):
            continue
        if kenh not in (1, 2, 3):
            continue
        for t in _as_list(item.get("THOIGIAN")) or [{}]:
            value = t.get("THOIGIANGIAIQUYET")
            duration = None
            if value not in (None, ""):
                report.states_time = True
                try:
                    duration = format(Decimal(str(value).replace(",", ".")).normalize(), "f")
                    report.time_parsed = True
                except InvalidOperation:
                    duration = None
            fees = []
            for fee in _as_list(t.get("PHILEPHI")):
                report.states_fee = True
                amount = fee.get("SOTIEN", fee.get("MUCPHI", 0))
                parsed = parse_amount(str(amount)) if amount not in (None, "") else 0
                if parsed is None:
                    continue
                kind = "phi" if str(fee.get("MALOAIPHILEPHI", fee.get("LOAIPHI", "2"))) in ("1", "phi") else "le_phi"
                fees.append({"kind": kind, "amount": parsed, "currency": "VND", "description": _clean(fee.get("MOTA"))})
                report.fee_parsed = True
            channels.append(
                {
                    "channel": kenh,
                    "case": None,
                    "duration_value": duration,
                    "duration_unit": parse_unit(t.get("DONVITINH")) or ("working_days" if duration else ""),
                    "description": _multiline(t.get("MOTA")),
                    "raw_text": "",
                    "fees": fees,
                }
            )
    components = []
    for item in _as_list(data.get("THANHPHANHOSO")):
        for doc in _as_list(item.get("GIAYTO")) or [item]:
            doc_name = _clean(doc.get("TENGIAYTO"))
            if not doc_name:
                continue
            template = doc.get("TENMAUDON") or ""
            url = doc.get("URL") or ""
            if isinstance(doc.get("MAUDON"), list) and doc["MAUDON"]:
                template = doc["MAUDON"][0].get("TENMAUDON", template)
                url = doc["MAUDON"][0].get("DUONGDANMAUDON", url)
            originals = int(doc.get("SOBANCHINH") or 0)
            copies = int(doc.get("SOBANSAO") or 0)
            form = "original_or_copy" if originals and copies else ("copy" if copies else "original")
            components.append(
                {
                    "case": None,
                    "code": _clean(doc.get("MAGIAYTO"))[:60],
                    "name": doc_name,
                    "form": form,
                    "quantity": max(originals, copies, 1),
                    "required": str(doc.get("BATBUOC", "1")) != "0",
                    "template_name": _clean(template)[:255],
                    "template_file": "",
                    "template_url": _clean(url)[:500] if str(url).startswith("http") else "",
                    "group": _clean(item.get("TRUONGHOP"))[:255],
                    "eform": None,
                    "order": len(components),
                }
            )
    steps = "\n".join(_clean(s.get("TENBUOC") if isinstance(s, dict) else s) for s in _as_list(data.get("TRINHTUTHUCHIEN")))
    bases = [
        {"name": _clean(b.get("TENVANBAN")), "number": _clean(b.get("SOVANBAN"))}
        for b in _as_list(data.get("CANCUPHAPLY"))
        if isinstance(b, dict)
    ]
    results = [
        {"code": _clean(r.get("MAKETQUA")), "name": _clean(r.get("TENKETQUA") or r.get("TENGIAY"))}
        for r in _as_list(data.get("KETQUATHUCHIEN"))
        if isinstance(r, dict)
    ]
    agencies = [_clean(a.get("TENCOQUAN") if isinstance(a, dict) else a) for a in _as_list(data.get("COQUANTHUCHIEN"))]
    record = {
        "code": code,
        "name": name,
        "field": field_rec,
        "levels": parse_levels(_clean(data.get("CAPTHUCHIEN"))),
        "applicant_types": [],
        "procedure_type": "",
        "competent_agency": "",
        "implementing_agency": ", ".join(a for a in agencies if a)[:500],
        "coordinating_agency": "",
        "steps": steps,
        "conditions": _multiline(data.get("YEUCAUDIEUKIEN")),
        "legal_bases": bases,
        "legal_bases_raw": "",
        "results": results,
        "results_raw": "",
        "publishing_decision": _clean(data.get("QUYETDINHCONGBO"))[:255],
        "channels_raw": "",
        "components_raw": "",
        "source_url": "",
        "unparsed": {},
        "cases": [],
        "channels": channels,
        "components": components,
    }
    report.channels, report.components, report.legal_bases = len(channels), len(components), len(bases)
    return record, report
