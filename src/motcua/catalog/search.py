"""Accent-insensitive procedure search with typo tolerance, ranking and facets.

Matching works on ``Procedure.search_text`` (folded: no diacritics, đ→d, lower case, with a leading
space). Every query word must start a word of the text. A word of 3+ letters that may be mistyped
also accepts the vocabulary words at edit distance 1 (found with a deletion index kept in memory).

PostgreSQL: ``search_text LIKE '% word%'`` is served by the pg_trgm GIN index
(migration 0003). SQLite: the candidates come from the FTS5 table ``catalog_procedure_fts``
(``unicode61 remove_diacritics 2``, kept in sync by triggers) with prefix queries.
Ranking (both): whole query at the start of the name, then as a phrase, then exact words; ties by
popularity, then shorter names.
"""

from __future__ import annotations

import bisect
import threading
import time
from dataclasses import dataclass

from django.db import connection
from django.db.models import Case, Count, Exists, IntegerField, Max, OuterRef, Q, Value, When
from django.db.models.functions import Length
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from motcua.core.text import fold

from .models import OnlineService, Procedure, ServiceLevel

MAX_COUNT = 1000  # counts above this are reported as "more than 1000" (no full COUNT on huge tables)
MAX_PER_PAGE = 100
MAX_PAGE = 500
MAX_QUERY_WORDS = 12


class SearchError(ValueError):
    """Invalid search parameters; the message is shown to the user (Vietnamese)."""


# --------------------------------------------------------------------------- typo vocabulary


def within_one_edit(a: str, b: str) -> bool:
    """Damerau-Levenshtein distance(a, b) <= 1."""
    if a == b:
        return True
    la, lb = len(a), len(b)
    if abs(la - lb) > 1:
        return False
    if la == lb:
        diffs = [i for i in range(la) if a[i] != b[i]]
        if len(diffs) == 1:
            return True
        return len(diffs) == 2 and diffs[1] == diffs[0] + 1 and a[diffs[0]] == b[diffs[1]] and a[diffs[1]] == b[diffs[0]]
    if la > lb:
        a, b = b, a
    for i in range(len(b)):
        if b[:i] + b[i + 1 :] == a:
            return True
    return False


class Vocabulary:
    """Distinct words of all search texts with a one-deletion index (SymSpell-style)."""

    def __init__(self, texts):
        words = set()
        for text in texts:
            words.update(text.split())
        self.sorted = sorted(words)
        self.words = words
        # Two-letter words ("ky", "tu", "xe") get same-length corrections ("ki" -> "ky").
        self.short = sorted(w for w in words if len(w) == 2 and w.isalpha())
        self.deletes: dict[str, set[str]] = {}
        for word in words:
            if len(word) < 3 or word.isdigit():
                continue
            for key in {word, *(word[:i] + word[i + 1 :] for i in range(len(word)))}:
                self.deletes.setdefault(key, set()).add(word)

    def is_prefix(self, token: str) -> bool:
        i = bisect.bisect_left(self.sorted, token)
        return i < len(self.sorted) and self.sorted[i].startswith(token)

    def corrections(self, token: str) -> list[str]:
        if len(token) == 2 and token.isalpha():
            return [w for w in self.short if w != token and within_one_edit(token, w)]
        if len(token) < 3 or token.isdigit():
            return []
        if len(token) == 3 and self.is_prefix(token):
            return []
        candidates = set()
        for key in {token, *(token[:i] + token[i + 1 :] for i in range(len(token)))}:
            candidates |= self.deletes.get(key, set())
        return sorted(w for w in candidates if w != token and within_one_edit(token, w))


_vocab_lock = threading.Lock()
_vocab: Vocabulary | None = None
_vocab_signature = None
_vocab_checked = 0.0
VOCAB_RECHECK_SECONDS = 15


def vocabulary() -> Vocabulary:
    """The in-process vocabulary, rebuilt when procedures changed (checked every few seconds)."""
    global _vocab, _vocab_signature, _vocab_checked
    now = time.monotonic()
    if _vocab is not None and now - _vocab_checked < VOCAB_RECHECK_SECONDS:
        return _vocab
    with _vocab_lock:
        signature = Procedure.objects.aggregate(n=Count("id"), last=Max("updated_at"))
        signature = (signature["n"], signature["last"])
        if _vocab is None or signature != _vocab_signature:
            _vocab = Vocabulary(Procedure.objects.values_list("search_text", flat=True).iterator(chunk_size=2000))
            _vocab_signature = signature
        _vocab_checked = now
        return _vocab


def invalidate_vocabulary() -> None:
    global _vocab
    _vocab = None


@receiver(post_save, sender=Procedure)
@receiver(post_delete, sender=Procedure)
def _procedure_changed(**kwargs):
    invalidate_vocabulary()


# --------------------------------------------------------------------------- query building


@dataclass
class Token:
    word: str
    alternatives: list[str]  # word itself first, then corrections


def parse_query(q: str | None) -> list[Token]:
    words = fold(q).split()[:MAX_QUERY_WORDS]
    if not words:
        return []
    vocab = vocabulary()
    return [Token(w, [w, *vocab.corrections(w)]) for w in words]


def _fts_expression(tokens: list[Token]) -> str:
    parts = []
    for token in tokens:
        alts = " OR ".join(f'"{alt}"*' for alt in token.alternatives)
        parts.append(f"({alts})")
    return " AND ".join(parts)


def _validate(level, service_level, page, per_page):
    if level and level not in Procedure.Level.values:
        raise SearchError(f"Cấp thực hiện không hợp lệ: «{level}». Giá trị hợp lệ: {', '.join(Procedure.Level.values)}.")
    if service_level and service_level not in ServiceLevel.values:
        raise SearchError(f"Mức độ dịch vụ không hợp lệ: «{service_level}». Giá trị hợp lệ: {', '.join(ServiceLevel.values)}.")
    if not isinstance(page, int) or page < 1 or page > MAX_PAGE:
        raise SearchError(f"Số trang phải từ 1 đến {MAX_PAGE}.")
    if not isinstance(per_page, int) or per_page < 1 or per_page > MAX_PER_PAGE:
        raise SearchError(f"Số kết quả mỗi trang phải từ 1 đến {MAX_PER_PAGE}.")


def filtered_queryset(q=None, field=None, level=None, agency=None, service_level=None):
    """Procedures matching the query and filters, unordered. Returns (queryset, tokens)."""
    qs = Procedure.objects.filter(is_active=True)
    if field:
        qs = qs.filter(field__code=field)
    if level:
        qs = qs.filter(levels_key__contains=f" {level} ")
    if agency or service_level:
        services = OnlineService.objects.filter(procedure=OuterRef("pk"))
        if agency:
            services = services.filter(agency__code=agency)
        if service_level:
            services = services.filter(service_level=service_level)
        qs = qs.filter(Exists(services))
    tokens = parse_query(q)
    if tokens:
        if connection.vendor == "sqlite":
            qs = qs.extra(
                where=["catalog_procedure.id IN (SELECT rowid FROM catalog_procedure_fts WHERE catalog_procedure_fts MATCH %s)"],
                params=[_fts_expression(tokens)],
            )
        else:
            for token in tokens:
                cond = Q()
                for alt in token.alternatives:
                    cond |= Q(search_text__contains=" " + alt)
                qs = qs.filter(cond)
    return qs, tokens


def _ranked(qs, tokens: list[Token]):
    if not tokens:
        return qs.order_by("-popularity", Length("name"), "code")
    phrase = " ".join(t.word for t in tokens)
    score = Case(When(search_text__startswith=" " + phrase, then=Value(20)), default=Value(0), output_field=IntegerField())
    score += Case(When(search_text__contains=" " + phrase, then=Value(10)), default=Value(0), output_field=IntegerField())
    for token in tokens:
        # Exact word (not only a prefix, not only a correction) counts more.
        score += Case(
            When(Q(search_text__contains=f" {token.word} ") | Q(search_text__endswith=f" {token.word}"), then=Value(3)),
            When(search_text__contains=" " + token.word, then=Value(2)),
            default=Value(0),
            output_field=IntegerField(),
        )
    return qs.annotate(score=score).order_by("-score", "-popularity", Length("name"), "code")


def with_online(qs):
    """Annotate ``online`` = an agency offers the procedure partly or fully online."""
    online = OnlineService.objects.filter(procedure=OuterRef("pk"), service_level__in=[ServiceLevel.PARTIAL, ServiceLevel.FULL])
    return qs.annotate(online=Exists(online))


def facets_for(qs) -> dict:
    base = qs.order_by()
    fields = [
        {"code": row["field__code"], "name": row["field__name"], "count": row["n"]}
        for row in base.filter(field__isnull=False).values("field__code", "field__name").annotate(n=Count("id")).order_by("-n", "field__name")[:30]
    ]
    counts = base.aggregate(**{lv: Count("id", filter=Q(levels_key__contains=f" {lv} ")) for lv in Procedure.Level.values})
    levels = [
        {"code": lv, "name": label, "count": counts[lv]} for lv, label in Procedure.Level.choices if counts[lv]
    ]
    return {"fields": fields, "levels": levels}


def search_procedures(q=None, field=None, level=None, agency=None, service_level=None, page=1, per_page=20, with_facets=True):
    """Search the catalogue.

    Returns ``(results, total, facets)``: ``results`` a list of Procedure (``field`` selected,
    ``online`` and ``score`` annotated), ``total`` the number of matches capped at
    ``MAX_COUNT + 1`` (a value above MAX_COUNT means "more than MAX_COUNT"), ``facets`` a dict with
    ``fields`` and ``levels`` lists of ``{"code", "name", "count"}``. Raises SearchError.
    """
    _validate(level, service_level, page, per_page)
    qs, tokens = filtered_queryset(q, field, level, agency, service_level)
    offset = (page - 1) * per_page
    results = list(with_online(_ranked(qs, tokens)).select_related("field")[offset : offset + per_page])
    if page == 1 and len(results) < per_page:
        total = len(results)
    else:
        total = qs.order_by().values("id")[: MAX_COUNT + 1].count()
    facets = facets_for(qs) if with_facets else {}
    return results, total, facets


def suggest_procedures(q: str, limit: int = 8) -> list[Procedure]:
    """As-you-type suggestions: the best matches only, no count or facets."""
    if not fold(q):
        return []
    qs, tokens = filtered_queryset(q)
    return list(_ranked(qs, tokens).only("code", "name", "popularity")[:limit])
