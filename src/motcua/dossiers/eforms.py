"""E-form engine: render a JSON Schema + UI hints into accessible HTML and validate the answers.

The same schema drives both, so what the page asks and what the server accepts never drift
apart. Format of ``EForm.ui``::

    {"sections": [{"title": "...", "fields": ["name", ...]}],
     "fields": {"name": {"widget": "text|textarea|date|select|radio|checkbox|email|tel|number",
                         "help": "...", "placeholder": "...", "autocomplete": "..."}}}

Every string is NFC-normalised; strings longer than their ``maxLength`` (or ``MAX_STRING``
when the schema gives none) are refused with a message rather than truncated.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, field

from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe
from jsonschema import Draft202012Validator, FormatChecker

MAX_STRING = 2000
FIELD_PREFIX = "ef_"

CCCD_RE = re.compile(r"^\d{12}$")
PHONE_RE = re.compile(r"^(\+84|0)\d{9,10}$")


def normalise_text(value: str) -> str:
    """NFC, strip, and drop control characters other than line breaks and tabs."""
    value = unicodedata.normalize("NFC", value).replace("\r\n", "\n").strip()
    return "".join(ch for ch in value if ch in "\n\t" or unicodedata.category(ch) != "Cc")


def cccd_error(value: str) -> str | None:
    """Vietnamese message if ``value`` is not a plausible 12-digit CCCD number, else None.

    Digits 1-3 are the province of birth registration (001-096), digit 4 encodes century and
    sex (0-9), digits 5-6 the last two digits of the birth year.
    """
    if not CCCD_RE.match(value or ""):
        return "Số định danh cá nhân (CCCD) phải gồm đúng 12 chữ số."
    province = int(value[:3])
    if not 1 <= province <= 96:
        return "Ba chữ số đầu của số CCCD (mã tỉnh nơi đăng ký khai sinh) không hợp lệ."
    century = int(value[3])
    year = 1900 + 100 * (century // 2) + int(value[4:6])
    if year > dt.date.today().year:
        return "Năm sinh mã hóa trong số CCCD không hợp lệ."
    return None


def check_cccd(value: str) -> str | None:
    """Prefer the accounts app's validator when it exists, so there is one rule for CCCD."""
    try:
        from motcua.accounts.validators import validate_cccd  # type: ignore[attr-defined]
    except ImportError:
        return cccd_error(value)
    from django.core.exceptions import ValidationError

    try:
        validate_cccd(value)
    except ValidationError as exc:
        return " ".join(exc.messages)
    return None


FORMAT_CHECKER = FormatChecker()


@FORMAT_CHECKER.checks("cccd")
def _is_cccd(value) -> bool:
    return not isinstance(value, str) or check_cccd(value) is None


@FORMAT_CHECKER.checks("tel")
def _is_phone(value) -> bool:
    return not isinstance(value, str) or bool(PHONE_RE.match(value.replace(" ", "")))


FORMAT_MESSAGES = {
    "date": "Ngày không hợp lệ (định dạng năm-tháng-ngày).",
    "email": "Địa chỉ thư điện tử không hợp lệ.",
    "cccd": "Số định danh cá nhân (CCCD) không hợp lệ: phải gồm 12 chữ số đúng quy tắc.",
    "tel": "Số điện thoại không hợp lệ (10 chữ số, bắt đầu bằng 0).",
}


@dataclass
class FormResult:
    data: dict = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors


def _widget(name: str, prop: dict, ui: dict) -> str:
    hint = (ui.get("fields") or {}).get(name, {}).get("widget")
    if hint:
        return hint
    if "enum" in prop:
        return "select"
    kind = prop.get("type")
    if kind == "boolean":
        return "checkbox"
    if kind in ("integer", "number"):
        return "number"
    if prop.get("format") == "date":
        return "date"
    if prop.get("format") == "email":
        return "email"
    if (prop.get("maxLength") or 0) > 255:
        return "textarea"
    return "text"


def field_order(schema: dict, ui: dict) -> list[tuple[str, list[str]]]:
    """Sections as (title, field names); fields the UI forgot go in a last untitled section."""
    props = schema.get("properties") or {}
    sections = []
    seen: set[str] = set()
    for section in ui.get("sections") or []:
        names = [n for n in section.get("fields", []) if n in props and n not in seen]
        seen.update(names)
        sections.append((section.get("title", ""), names))
    rest = [n for n in props if n not in seen]
    if rest:
        sections.append(("", rest))
    return sections


def _string_limit(prop: dict) -> int:
    return min(int(prop.get("maxLength") or MAX_STRING), MAX_STRING)


def coerce(schema: dict, raw, *, prefixed: bool = True) -> FormResult:
    """Turn posted values (a QueryDict or a dict) into typed data; refuse over-long strings.

    Missing or empty values are left out (so "required" is reported by the schema check).
    """
    result = FormResult()
    props = schema.get("properties") or {}
    getlist = getattr(raw, "getlist", None)
    for name, prop in props.items():
        key = f"{FIELD_PREFIX}{name}" if prefixed else name
        kind = prop.get("type")
        if kind == "array":
            values = getlist(key) if getlist else raw.get(key, [])
            if not isinstance(values, list):
                values = [values]
            values = [normalise_text(str(v)) for v in values if str(v).strip()]
            if values:
                result.data[name] = values
            continue
        value = raw.get(key)
        if kind == "boolean":
            if isinstance(value, bool):
                result.data[name] = value
            elif value not in (None, ""):
                result.data[name] = str(value).lower() in ("on", "true", "1", "yes", "có")
            continue
        if value is None:
            continue
        if not isinstance(value, str):
            if kind in ("integer", "number") and isinstance(value, (int, float)) and not isinstance(value, bool):
                result.data[name] = value
            else:
                result.data[name] = value  # let the schema report the wrong type
            continue
        text = normalise_text(value)
        if not text:
            continue
        if len(text) > _string_limit(prop):
            result.errors[name] = f"Nội dung quá dài: tối đa {_string_limit(prop):,} ký tự (bạn đã nhập {len(text):,}).".replace(",", ".")
            continue
        if kind == "integer":
            try:
                result.data[name] = int(text)
            except ValueError:
                result.errors[name] = "Vui lòng nhập một số nguyên."
        elif kind == "number":
            try:
                result.data[name] = float(text.replace(",", "."))
            except ValueError:
                result.errors[name] = "Vui lòng nhập một số."
        else:
            result.data[name] = text
    return result


def _message(error) -> str:
    v = error.validator
    if v == "required":
        return "Trường này là bắt buộc."
    if v == "maxLength":
        return f"Nội dung quá dài: tối đa {error.validator_value} ký tự."
    if v == "minLength":
        return f"Nội dung quá ngắn: tối thiểu {error.validator_value} ký tự."
    if v == "enum":
        return "Giá trị không nằm trong danh sách cho phép."
    if v == "format":
        return FORMAT_MESSAGES.get(error.validator_value, "Giá trị không đúng định dạng.")
    if v == "pattern":
        return "Giá trị không đúng định dạng yêu cầu."
    if v == "type":
        return "Kiểu dữ liệu không hợp lệ."
    if v in ("minimum", "exclusiveMinimum"):
        return f"Giá trị phải lớn hơn hoặc bằng {error.validator_value}."
    if v in ("maximum", "exclusiveMaximum"):
        return f"Giá trị phải nhỏ hơn hoặc bằng {error.validator_value}."
    if v == "additionalProperties":
        return "Có trường không thuộc tờ khai."
    return "Giá trị không hợp lệ."


def validate(schema: dict, data: dict, *, partial: bool = False) -> dict[str, str]:
    """Schema errors as {field name: Vietnamese message}; ``partial`` skips "required" (drafts)."""
    errors: dict[str, str] = {}
    # Every string is capped, even where the schema sets no maxLength.
    for name, value in data.items():
        prop = (schema.get("properties") or {}).get(name, {})
        if isinstance(value, str) and len(value) > _string_limit(prop):
            errors[name] = f"Nội dung quá dài: tối đa {_string_limit(prop)} ký tự."
    validator = Draft202012Validator(schema, format_checker=FORMAT_CHECKER)
    for error in validator.iter_errors(data):
        if error.validator == "required":
            if partial:
                continue
            missing = [n for n in error.validator_value if n not in error.instance]
            for name in missing:
                errors.setdefault(name, "Trường này là bắt buộc.")
            continue
        name = str(error.path[0]) if error.path else ""
        errors.setdefault(name or "__all__", _message(error))
    return errors


def clean(schema: dict, raw, *, partial: bool = False, prefixed: bool = True) -> FormResult:
    """Coerce then validate posted values."""
    result = coerce(schema, raw, prefixed=prefixed)
    for name, message in validate(schema, result.data, partial=partial).items():
        result.errors.setdefault(name, message)
    return result


def _attrs(**attrs) -> str:
    parts = []
    for key, value in attrs.items():
        if value is None or value is False:
            continue
        key = key.rstrip("_").replace("_", "-")
        parts.append(key if value is True else f'{key}="{escape(value)}"')
    return " ".join(parts)


def render_field(name: str, prop: dict, ui: dict, value, error: str | None, required: bool) -> str:
    hints = (ui.get("fields") or {}).get(name, {})
    widget = _widget(name, prop, ui)
    fid = f"{FIELD_PREFIX}{name}"
    label = prop.get("title") or name
    help_text = hints.get("help") or prop.get("description") or ""
    described = []
    if help_text:
        described.append(f"{fid}-help")
    if error:
        described.append(f"{fid}-error")
    common = dict(
        id=fid,
        name=fid,
        required=required and widget not in ("checkbox",),
        aria_invalid="true" if error else None,
        aria_describedby=" ".join(described) or None,
    )
    req_mark = mark_safe(' <span class="req" aria-hidden="true">*</span>') if required else ""
    help_html = format_html('<p class="help" id="{}-help">{}</p>', fid, help_text) if help_text else ""
    error_html = format_html('<p class="error" id="{}-error">{}</p>', fid, error) if error else ""
    value_str = "" if value is None else str(value)

    if widget in ("radio",) or (widget == "checkbox" and prop.get("type") == "array"):
        options = prop.get("enum") or (prop.get("items") or {}).get("enum") or []
        labels = prop.get("enumNames") or hints.get("labels") or options
        chosen = value if isinstance(value, list) else [value_str]
        kind = "radio" if widget == "radio" else "checkbox"
        items = []
        for i, (opt, opt_label) in enumerate(zip(options, labels)):
            oid = f"{fid}-{i}"
            items.append(
                format_html(
                    '<div class="choice"><input {}> <label for="{}">{}</label></div>',
                    mark_safe(_attrs(type=kind, id=oid, name=fid, value=str(opt), checked=str(opt) in map(str, chosen),
                                     required=required and kind == "radio")),
                    oid,
                    opt_label,
                )
            )
        return format_html(
            '<fieldset class="field{}"{}><legend>{}{}</legend>{}{}{}</fieldset>',
            " has-error" if error else "",
            mark_safe(f' aria-describedby="{escape(" ".join(described))}"') if described else "",
            label,
            req_mark,
            help_html,
            mark_safe("".join(items)),
            error_html,
        )
    if widget == "checkbox":
        control = format_html(
            '<input {}> <label for="{}">{}{}</label>',
            mark_safe(_attrs(type="checkbox", checked=bool(value), **common)),
            fid,
            label,
            req_mark,
        )
        return format_html('<div class="field choice{}">{}{}{}</div>', " has-error" if error else "", control, help_html, error_html)

    label_html = format_html('<label for="{}">{}{}</label>', fid, label, req_mark)
    if widget == "select":
        options = prop.get("enum") or []
        labels = prop.get("enumNames") or hints.get("labels") or options
        opts = [format_html('<option value="">{}</option>', "— Chọn —")]
        for opt, opt_label in zip(options, labels):
            opts.append(format_html('<option value="{}"{}>{}</option>', opt, mark_safe(" selected") if str(opt) == value_str else "", opt_label))
        control = format_html("<select {}>{}</select>", mark_safe(_attrs(**common)), mark_safe("".join(opts)))
    elif widget == "textarea":
        control = format_html(
            "<textarea {}>{}</textarea>",
            mark_safe(_attrs(rows="4", maxlength=str(_string_limit(prop)), placeholder=hints.get("placeholder"), **common)),
            value_str,
        )
    else:
        input_type = {"date": "date", "email": "email", "tel": "tel", "number": "number"}.get(widget, "text")
        extra = {}
        if input_type in ("text", "email", "tel"):
            extra["maxlength"] = str(_string_limit(prop))
        if input_type == "tel" or prop.get("format") == "cccd":
            extra["inputmode"] = "numeric"
        control = format_html(
            "<input {}>",
            mark_safe(_attrs(type=input_type, value=value_str, placeholder=hints.get("placeholder"),
                             autocomplete=hints.get("autocomplete"), **extra, **common)),
        )
    return format_html('<div class="field{}">{}{}{}{}</div>', " has-error" if error else "", label_html, help_html, control, error_html)


def render(schema: dict, ui: dict | None, data: dict | None = None, errors: dict | None = None) -> SafeString:
    """The e-form as HTML fieldsets (one per section); values and messages are escaped."""
    ui = ui or {}
    data = data or {}
    errors = errors or {}
    props = schema.get("properties") or {}
    required = set(schema.get("required") or [])
    out = []
    for title, names in field_order(schema, ui):
        inner = "".join(render_field(n, props[n], ui, data.get(n), errors.get(n), n in required) for n in names)
        if title:
            out.append(format_html('<fieldset class="eform-section"><legend>{}</legend>{}</fieldset>', title, mark_safe(inner)))
        else:
            out.append(inner)
    return mark_safe("".join(out))


def label_of(schema: dict, name: str) -> str:
    return ((schema.get("properties") or {}).get(name) or {}).get("title") or name


def display_value(schema: dict, name: str, value) -> str:
    """Human text of a stored answer, for the review page and receipts."""
    prop = (schema.get("properties") or {}).get(name) or {}
    if isinstance(value, bool):
        return "Có" if value else "Không"
    if isinstance(value, list):
        return ", ".join(map(str, value))
    if "enum" in prop and prop.get("enumNames"):
        mapping = dict(zip(map(str, prop["enum"]), prop["enumNames"]))
        return mapping.get(str(value), str(value))
    if prop.get("format") == "date" and isinstance(value, str):
        try:
            return dt.date.fromisoformat(value).strftime("%d/%m/%Y")
        except ValueError:
            return value
    return "" if value is None else str(value)
