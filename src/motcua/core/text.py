"""Text normalisation shared by every app: NFC for storage, a folded form for search.

Folding removes Vietnamese diacritics and maps đ/Đ to d (Unicode gives đ no decomposition,
so neither PostgreSQL's unaccent-free paths nor SQLite FTS5 would fold it).
"""

from __future__ import annotations

import re
import unicodedata

_SPACES = re.compile(r"\s+")
_NON_WORD = re.compile(r"[^0-9a-z]+")


def nfc(value: str | None) -> str:
    """Normalise to NFC and collapse runs of whitespace; None becomes an empty string."""
    if not value:
        return ""
    return _SPACES.sub(" ", unicodedata.normalize("NFC", value)).strip()


def fold(value: str | None) -> str:
    """Lower-case ASCII form for accent-insensitive matching: 'Đăng Ký' -> 'dang ky'."""
    if not value:
        return ""
    text = unicodedata.normalize("NFD", value.replace("đ", "d").replace("Đ", "D"))
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Mn").lower()
    return _SPACES.sub(" ", _NON_WORD.sub(" ", text)).strip()


def words(value: str | None) -> list[str]:
    """The folded words of ``value``."""
    return fold(value).split()
