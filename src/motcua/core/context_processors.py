from functools import lru_cache
from urllib.parse import quote

from django.conf import settings
from django.templatetags.static import static
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _


@lru_cache(maxsize=8)
def _chrome(language: str) -> dict:
    """The fixed texts and asset URLs of base.html, once per language and process: a page's
    header and footer would otherwise cost ten ``{% translate %}``/``{% static %}`` tags on every
    request (about a tenth of a small page's CPU)."""
    return {
        "lang": language,
        "skip": _("Bỏ qua, đến nội dung chính"),
        "brand": _("Cổng Dịch vụ công"),
        "nav_label": _("Điều hướng chính"),
        "procedures": _("Thủ tục"),
        "track": _("Tra cứu hồ sơ"),
        "staff_area": _("Khu vực cán bộ"),
        "my_dossiers": _("Hồ sơ của tôi"),
        "log_out": _("Đăng xuất"),
        "log_in": _("Đăng nhập"),
        "language": _("Ngôn ngữ"),
        "footer": _("Hệ thống thông tin giải quyết thủ tục hành chính"),
        "languages": [(code, name, code == language) for code, name in settings.LANGUAGES],
        "css": static("motcua/site.css"),
        "htmx": static("motcua/vendor/htmx-2.0.11.min.js"),
    }


def language_links(chrome: dict, full_path: str) -> str:
    """The footer's language switch: one link per language back to this page (``next``), the
    current one marked. Built here rather than by a template loop (a loop with its conditions
    and filters cost a tenth of the tracking page's CPU)."""
    back = escape(quote(full_path, safe="/"))  # what {{ path|urlencode }} gave
    return mark_safe(" · ".join(
        f'<a href="/ngon-ngu/{code}?next={back}" lang="{code}"{ARIA_CURRENT if current else ""}>{escape(name)}</a>'
        for code, name, current in chrome["languages"]
    ))


ARIA_CURRENT = ' aria-current="true"'


def site(request):
    chrome = _chrome(get_language() or settings.LANGUAGE_CODE)
    return {"SITE_NAME": chrome["brand"], "SITE_URL": settings.SITE_URL, "MOTCUA_ENV": settings.MOTCUA_ENV, "chrome": chrome,
            "language_links": language_links(chrome, request.get_full_path())}
