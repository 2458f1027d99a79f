"""Vietnamese by default, English on request (cookie, Accept-Language or the footer switcher)."""

import ast
import importlib
import gettext as pygettext
from pathlib import Path

import pytest
from django.conf import settings

from motcua.core.choice_labels import CHOICE_LABELS
from motcua.dossiers.transitions import TRANSITIONS

LOCALE_DIR = Path(settings.LOCALE_PATHS[0])
PO_FILE = LOCALE_DIR / "en" / "LC_MESSAGES" / "django.po"

pytestmark = pytest.mark.django_db

# (path, Vietnamese chrome, English chrome) of the pages citizens open first.
PAGES = [
    ("/", ["Tìm thủ tục hành chính", "Tra cứu hồ sơ", "Đăng nhập"], ["Find an administrative procedure", "Track a dossier", "Log in"]),
    ("/dang-nhap/", ["Quên mật khẩu?", "Mật khẩu"], ["Forgot your password?", "Password", "Log in"]),
    ("/tra-cuu", ["Mã hồ sơ", "Quên mã hồ sơ?"], ["Dossier code", "Forgot the dossier code?", "Track a dossier"]),
    ("/thu-tuc", ["Thủ tục hành chính", "Mọi mức độ"], ["Administrative procedures", "Any level"]),
]


def read_po(path: Path) -> list[dict]:
    """A small .po reader: msgctxt/msgid/msgid_plural/msgstr[n] and flags of every entry."""
    entries, entry, key = [], None, None

    def flush():
        if entry is not None and "msgid" in entry:
            entries.append(entry)

    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line:
            flush()
            entry, key = None, None
            continue
        if entry is None:
            entry = {"flags": set(), "obsolete": False}
        if line.startswith("#~"):
            entry["obsolete"] = True
            continue
        if line.startswith("#,"):
            entry["flags"].update(flag.strip() for flag in line[2:].split(","))
            continue
        if line.startswith("#"):
            continue
        if line.startswith('"'):
            entry[key] += ast.literal_eval(line)
            continue
        key, _, value = line.partition(" ")
        entry[key] = ast.literal_eval(value)
    flush()
    return [e for e in entries if e["msgid"] and not e["obsolete"]]


def test_vietnamese_is_the_default(client):
    for path, vietnamese, english in PAGES:
        body = client.get(path).content.decode()
        assert '<html lang="vi">' in body, path
        for text in vietnamese:
            assert text in body, (path, text)
        for text in english:
            assert text not in body, (path, text)


@pytest.mark.parametrize("how", ["cookie", "header"])
def test_english_on_request(client, how):
    headers = {}
    if how == "cookie":
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    else:
        headers["Accept-Language"] = "en-GB,en;q=0.9"
    for path, vietnamese, english in PAGES:
        body = client.get(path, headers=headers).content.decode()
        assert '<html lang="en">' in body, path
        for text in english:
            assert text in body, (path, text)
        for text in vietnamese:
            assert text not in body, (path, text)


def test_footer_switcher_changes_language_and_back(client):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/tra-cuu"})
    assert response.status_code == 302 and response.headers["Location"] == "/tra-cuu"
    body = client.get("/tra-cuu").content.decode()
    assert "Track a dossier" in body and '<html lang="en">' in body
    client.post("/i18n/setlang/", {"language": "vi", "next": "/"})
    body = client.get("/").content.decode()
    assert "Tra cứu hồ sơ" in body and '<html lang="vi">' in body


def test_error_messages_follow_the_language(client):
    response = client.post("/dang-nhap/", {"username": "khong-co", "password": "sai-mat-khau"})
    assert "Thông tin đăng nhập không đúng" in response.content.decode()
    response = client.post(
        "/dang-nhap/", {"username": "khong-co", "password": "sai-mat-khau"}, headers={"Accept-Language": "en"}
    )
    assert "The log-in details are not correct" in response.content.decode()
    assert client.get("/khong-co-trang-nay/", headers={"Accept-Language": "en"}).status_code == 404


def test_catalogue_is_complete_and_compiled():
    entries = read_po(PO_FILE)
    assert len(entries) > 300
    untranslated = [
        e["msgid"] for e in entries if not (e.get("msgstr") or (e.get("msgstr[0]") and e.get("msgstr[1]")))
    ]
    fuzzy = [e["msgid"] for e in entries if "fuzzy" in e["flags"]]
    assert untranslated == []
    assert fuzzy == []
    with (PO_FILE.with_suffix(".mo")).open("rb") as handle:
        compiled = pygettext.GNUTranslations(handle)
    stale = []
    for e in entries:
        if "msgid_plural" in e:
            got = [compiled.ngettext(e["msgid"], e["msgid_plural"], n) for n in (1, 2)]
            expected = [e["msgstr[0]"], e["msgstr[1]"]]
        elif "msgctxt" in e:
            got, expected = compiled.pgettext(e["msgctxt"], e["msgid"]), e["msgstr"]
        else:
            got, expected = compiled.gettext(e["msgid"]), e["msgstr"]
        if got != expected:
            stale.append(e["msgid"])
    assert stale == [], "run `motcua compilemessages` after editing the .po file"


def test_choice_labels_list_matches_the_models():
    msgids = {e["msgid"] for e in read_po(PO_FILE)}
    for dotted, labels in CHOICE_LABELS.items():
        if dotted.endswith(".TRANSITIONS"):
            assert [t.label for t in TRANSITIONS.values()] == labels
        else:
            module, _, path = dotted.partition(".models.")
            choices = importlib.import_module(module + ".models")
            for attr in path.split("."):
                choices = getattr(choices, attr)
            assert list(choices.labels) == labels, dotted
        assert set(labels) <= msgids, dotted


def test_footer_language_links_switch_and_come_back(client):
    body = client.get("/tra-cuu").content.decode()
    assert 'href="/ngon-ngu/en?next=/tra-cuu"' in body and 'lang="en"' in body
    response = client.get("/ngon-ngu/en", {"next": "/tra-cuu?ma=X"})
    assert response.status_code == 302 and response.headers["Location"] == "/tra-cuu?ma=X"
    assert "Track a dossier" in client.get("/tra-cuu").content.decode()
    client.get("/ngon-ngu/vi", {"next": "/"})
    assert "Tra cứu hồ sơ" in client.get("/").content.decode()


def test_language_link_refuses_unknown_languages_and_foreign_targets(client):
    assert client.get("/ngon-ngu/xx").status_code == 404
    assert client.get("/ngon-ngu/xx", HTTP_ACCEPT_LANGUAGE="en").content.decode() == "There is no such language."
    response = client.get("/ngon-ngu/en", {"next": "https://evil.example/"})
    assert response.status_code == 302 and response.headers["Location"] == "/"


def test_anonymous_public_pages_set_no_cookie(client):
    for path in ["/", "/tra-cuu", "/thu-tuc"]:
        response = client.get(path)
        assert response.status_code == 200, path
        assert not response.cookies, (path, list(response.cookies))


def test_footer_language_links_markup_is_what_the_template_loop_gave(rf):
    """core.context_processors.language_links replaced a template loop: same markup, same escaping."""
    from django.template import engines

    from motcua.core.context_processors import _chrome, language_links

    loop = engines["django"].from_string(
        '{% for code, name, current in chrome.languages %}{% if not forloop.first %} · {% endif %}'
        '<a href="/ngon-ngu/{{ code }}?next={{ path|urlencode }}" lang="{{ code }}"'
        '{% if current %} aria-current="true"{% endif %}>{{ name }}</a>{% endfor %}'
    )
    for language in ("vi", "en"):
        chrome = _chrome(language)
        for path in ["/tra-cuu", '/tra-cuu?ma=000.00.31.H26-251105-0001&x="<a>"', "/thủ-tục?q=đăng ký"]:
            assert language_links(chrome, path) == loop.render({"chrome": chrome, "path": path})
    assert 'lang="vi" aria-current="true"' in language_links(_chrome("vi"), "/")
