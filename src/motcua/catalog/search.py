"""Accent-insensitive procedure search with typo tolerance, ranking and facets.

Matching works on ``SearchEntry.search_text``: the procedure's folded name, field and code (no
diacritics, đ→d, lower case) between spaces, in a narrow table kept by database triggers (scanning
thousands of matches there is several times cheaper than on the wide procedure rows). Every query
word must start a word of the text.

Phases, so that the common case stays cheap:

1. **Exact**: each word as a word prefix. PostgreSQL: ``search_text LIKE '% word%'`` for words of
   3+ letters, served by the pg_trgm GIN index ``catalog_searchentry_trgm``; shorter words
   (``ky``, ``xe``) are checked with ``strpos`` on the rows the index returns, since their
   trigrams are in nearly every row. SQLite: an FTS5 prefix query on ``catalog_procedure_fts``.
2. **Typo tolerance**, only when the exact phase finds fewer than ``TYPO_BELOW`` procedures: the
   words that are not words of the catalogue also accept the few most frequent vocabulary words
   at edit distance 1 (a deletion index kept in memory, rebuilt when the catalogue changes); if
   that still finds nothing, every word does. Exact words still rank first.

One SQL query per phase: the matches are scored (whole query at the start, then as a phrase, then
whole words; ties by popularity, then shorter names), cut to the page with LIMIT, counted and
grouped by field and levels for the facets. Results are light ``Hit`` objects, not model instances.
"""

from __future__ import annotations

import bisect
import json
import threading
import time
from collections import Counter
from dataclasses import dataclass

from django.db import connection
from django.db.models import Count, Max
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from motcua.core.text import fold

from .models import Field, OnlineService, Procedure, SearchEntry, ServiceLevel

MAX_COUNT = 1000  # counts above this are reported as "more than 1000"
MAX_PER_PAGE = 100
MAX_PAGE = 500
MAX_QUERY_WORDS = 12
TYPO_BELOW = 3  # fewer exact matches than this: try corrections too
MAX_CORRECTIONS = 4  # per query word, the most frequent vocabulary words first
INDEXED_WORD_LENGTH = 3  # shorter words are filtered, not looked up in the trigram index


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
    """Distinct words of all search texts (with their document frequency) and a one-deletion
    index (SymSpell-style) to find the words within one edit of a mistyped one."""

    def __init__(self, texts):
        freq: Counter[str] = Counter()
        for text in texts:
            freq.update(set(text.split()))
        self.freq = freq
        self.words = set(freq)
        self.sorted = sorted(freq)
        # Two-letter words ("ky", "tu", "xe") get same-length corrections ("ki" -> "ky").
        self.short = sorted(w for w in freq if len(w) == 2 and w.isalpha())
        self.deletes: dict[str, set[str]] = {}
        for word in freq:
            if len(word) < 3 or word.isdigit():
                continue
            for key in {word, *(word[:i] + word[i + 1 :] for i in range(len(word)))}:
                self.deletes.setdefault(key, set()).add(word)

    def is_prefix(self, token: str) -> bool:
        i = bisect.bisect_left(self.sorted, token)
        return i < len(self.sorted) and self.sorted[i].startswith(token)

    def corrections(self, token: str, limit: int | None = None) -> list[str]:
        """Vocabulary words within one edit of ``token``, the most frequent first."""
        if len(token) == 2 and token.isalpha():
            found = [w for w in self.short if w != token and within_one_edit(token, w)]
        elif len(token) < 3 or token.isdigit() or (len(token) == 3 and self.is_prefix(token)):
            return []
        else:
            candidates = set()
            for key in {token, *(token[:i] + token[i + 1 :] for i in range(len(token)))}:
                candidates |= self.deletes.get(key, set())
            found = [w for w in candidates if w != token and within_one_edit(token, w)]
        found.sort(key=lambda w: (-self.freq[w], w))
        return found[:limit] if limit else found


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
#
# The queries are written in SQL (the same text on PostgreSQL and SQLite but for the match
# condition): building them with the ORM cost more CPU than running them.


@dataclass
class Token:
    word: str
    alternatives: list[str]  # word itself first, then corrections (typo phase only)


def query_words(q: str | None) -> list[str]:
    """The folded words of a query: only ``[0-9a-z]``, so they are safe in LIKE patterns."""
    return fold(q).split()[:MAX_QUERY_WORDS]


def parse_query(q: str | None, typos: bool = True) -> list[Token]:
    """The query's tokens; with ``typos``, each with its likely corrections."""
    words = query_words(q)
    if not words or not typos:
        return [Token(w, [w]) for w in words]
    vocab = vocabulary()
    return [Token(w, [w, *vocab.corrections(w, MAX_CORRECTIONS)]) for w in words]


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


class _Tables:
    entry = SearchEntry._meta.db_table
    procedure = Procedure._meta.db_table
    field = Field._meta.db_table
    service = OnlineService._meta.db_table
    agency = OnlineService._meta.get_field("agency").related_model._meta.db_table


def _where(filters: dict, tokens: list[Token]) -> tuple[str, list]:
    """WHERE clause on ``e`` (the search entry) and its parameters."""
    sql, params = ["e.is_active = %s"], [True]
    if filters.get("field"):
        sql.append(f"e.field_id = (SELECT id FROM {_Tables.field} WHERE code = %s)")
        params.append(filters["field"])
    if filters.get("level"):
        sql.append("e.levels_key LIKE %s")
        params.append(f"% {filters['level']} %")
    if filters.get("agency") or filters.get("service_level"):
        sub = [f"SELECT 1 FROM {_Tables.service} s"]
        if filters.get("agency"):
            sub.append(f"JOIN {_Tables.agency} a ON a.id = s.agency_id WHERE s.procedure_id = e.procedure_id AND a.code = %s")
            params.append(filters["agency"])
        else:
            sub.append("WHERE s.procedure_id = e.procedure_id")
        if filters.get("service_level"):
            sub.append("AND s.service_level = %s")
            params.append(filters["service_level"])
        sql.append(f"EXISTS ({' '.join(sub)})")
    if tokens:
        if connection.vendor == "sqlite":
            sql.append("e.procedure_id IN (SELECT rowid FROM catalog_procedure_fts WHERE catalog_procedure_fts MATCH %s)")
            params.append(_fts_expression(tokens))
        else:
            # Words of 3+ letters: LIKE, served by the trigram index. Shorter ones: strpos, checked
            # on the rows the index returns (their trigrams are in nearly every row).
            longest = max(len(alt) for t in tokens for alt in t.alternatives)
            threshold = min(INDEXED_WORD_LENGTH, longest)
            for token in tokens:
                alts = []
                for alt in token.alternatives:
                    if len(alt) >= threshold:
                        alts.append("e.search_text LIKE %s")
                        params.append(f"% {alt}%")
                    else:
                        alts.append("strpos(e.search_text, %s) > 0")
                        params.append(f" {alt}")
                sql.append(alts[0] if len(alts) == 1 else f"({' OR '.join(alts)})")
    return " AND ".join(sql), params


def _score(tokens: list[Token]) -> tuple[str, list]:
    """Relevance: whole query at the start (20), as a phrase (10), each word whole (3) or as a
    prefix (2); corrections found in the typo phase count 0. Terms that every match satisfies
    (a word without alternatives is a prefix of some word) are constants, not checked per row."""
    if not tokens:
        return "0", []
    phrase = " ".join(t.word for t in tokens)
    exact = {t.word for t in tokens if len(t.alternatives) == 1}
    constant, sql, params = 0, ["CASE WHEN e.search_text LIKE %s THEN 20 ELSE 0 END"], [f" {phrase}%"]
    if len(tokens) == 1 and exact:
        constant += 10
    else:
        sql.append("CASE WHEN e.search_text LIKE %s THEN 10 ELSE 0 END")
        params.append(f"% {phrase}%")
    for token in tokens:
        if token.word in exact:
            sql.append("CASE WHEN e.search_text LIKE %s THEN 1 ELSE 0 END")
            params.append(f"% {token.word} %")
            constant += 2
        else:
            sql.append("CASE WHEN e.search_text LIKE %s THEN 3 WHEN e.search_text LIKE %s THEN 2 ELSE 0 END")
            params += [f"% {token.word} %", f"% {token.word}%"]
    return " + ".join([str(constant), *sql]), params


def _run(sql: str, params: list) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


@dataclass(slots=True)
class FieldRef:
    code: str
    name: str


@dataclass(slots=True)
class Hit:
    """One search result: what a result list shows (cheaper to build than a model instance)."""

    id: int
    code: str
    name: str
    field_id: int | None
    field: FieldRef | None
    levels: list[str]
    popularity: int
    score: int
    online: bool

    def get_absolute_url(self) -> str:
        return f"/thu-tuc/{self.code}"


def _json(value):
    return json.loads(value) if isinstance(value, str) else value


def _facet_sql() -> str:
    """A scalar subquery over the matches ``m``: [[field code, field name, levels key, count]…].

    Grouping by the levels key too (a few distinct values) costs nothing per row; the counts per
    level are summed in Python."""
    items = "f2.code, f2.name, g.levels_key, g.n"
    agg = f"json_group_array(json_array({items}))" if connection.vendor == "sqlite" else f"json_agg(json_build_array({items}))"
    return (
        f"(SELECT {agg} FROM (SELECT field_id, levels_key, COUNT(*) AS n FROM m GROUP BY field_id, levels_key) g"
        f" LEFT JOIN {_Tables.field} f2 ON f2.id = g.field_id)"
    )


def _facets_from(rows) -> dict:
    by_field: dict[str, dict] = {}
    by_level: Counter[str] = Counter()
    for code, name, levels_key, n in rows or []:
        if code:
            entry = by_field.setdefault(code, {"code": code, "name": name, "count": 0})
            entry["count"] += n
        for level in (levels_key or "").split():
            by_level[level] += n
    fields = sorted(by_field.values(), key=lambda f: (-f["count"], f["name"]))[:30]
    return {
        "fields": fields,
        "levels": [{"code": lv, "name": label, "count": by_level[lv]} for lv, label in Procedure.Level.choices if by_level[lv]],
    }


def _page(filters: dict, tokens: list[Token], offset: int, limit: int, *, full: bool = True, with_facets: bool = False):
    """One ranked page, in one query: the matches ``m`` are found and scored once, then cut to the
    page (only its rows are joined to the wide tables and get the "online" lookup) and, with
    ``full``, counted and with ``with_facets`` grouped by field and level.

    Returns (procedures, total or None, facets or None); None when the page is empty.
    """
    where, where_params = _where(filters, tokens)
    score, score_params = _score(tokens)
    extra, extra_params = [], []
    if full:
        extra.append(f"EXISTS (SELECT 1 FROM {_Tables.service} s WHERE s.procedure_id = r.procedure_id AND s.service_level IN (%s, %s))")
        extra_params += ["partial", "full"]
        extra.append("(SELECT COUNT(*) FROM m)")
    if with_facets:
        extra.append(_facet_sql())
    sql = (
        f"WITH m AS (SELECT e.procedure_id, e.field_id, e.levels_key, e.popularity, e.name_length, e.code, {score} AS score"
        f" FROM {_Tables.entry} e WHERE {where})"
        f" SELECT r.procedure_id, p.code, p.name, p.field_id, p.levels, p.popularity, f.code, f.name, r.score"
        f"{''.join(', ' + x for x in extra)}"
        f" FROM (SELECT * FROM m ORDER BY score DESC, popularity DESC, name_length, code LIMIT %s OFFSET %s) r"
        f" JOIN {_Tables.procedure} p ON p.id = r.procedure_id LEFT JOIN {_Tables.field} f ON f.id = p.field_id"
        f" ORDER BY r.score DESC, r.popularity DESC, r.name_length, r.code"
    )
    rows = _run(sql, score_params + where_params + extra_params + [limit, offset])
    results = [
        Hit(
            id=row[0],
            code=row[1],
            name=row[2],
            field_id=row[3],
            field=FieldRef(row[6], row[7]) if row[3] is not None else None,
            levels=(json.loads(row[4]) if isinstance(row[4], str) else row[4]) or [],
            popularity=row[5],
            score=row[8],
            online=bool(row[9]) if full else False,
        )
        for row in rows
    ]
    if not rows:
        return results, None, None
    total = rows[0][10] if full else None
    found = _facets_from(_json(rows[0][11])) if with_facets else None
    return results, total, found


def _count(filters: dict, tokens: list[Token]) -> int:
    where, params = _where(filters, tokens)
    return _run(f"SELECT COUNT(*) FROM {_Tables.entry} e WHERE {where}", params)[0][0]


def facets(filters: dict, tokens: list[Token]) -> dict:
    """Counts by field (top 30) and by level over all matches (when the page itself is empty)."""
    where, params = _where(filters, tokens)
    sql = f"WITH m AS (SELECT e.field_id, e.levels_key FROM {_Tables.entry} e WHERE {where}) SELECT {_facet_sql()}"
    return _facets_from(_json(_run(sql, params)[0][0]))


def _typo_stages(q) -> tuple[list[Token] | None, list[Token] | None]:
    """Token lists to try after the exact phase: (1) only the words that are not words of the
    catalogue get corrections; (2) every word does (a typo can make another real word), tried only
    while nothing at all was found, since alternatives of common words match widely."""
    words = query_words(q)
    vocab = vocabulary()
    corrections = {w: vocab.corrections(w, MAX_CORRECTIONS) for w in words}
    first = [Token(w, [w, *corrections[w]] if w not in vocab.words else [w]) for w in words]
    second = [Token(w, [w, *corrections[w]]) for w in words]
    changed_first = any(len(t.alternatives) > 1 for t in first)
    changed_second = any(len(a.alternatives) != len(b.alternatives) for a, b in zip(first, second))
    return (first if changed_first else None), (second if changed_second else None)


def _search(q, filters: dict, offset: int, limit: int, *, full: bool = True, with_facets: bool = False):
    """(results, total, facets, tokens matched): the exact phase, then typo tolerance when it finds
    fewer than TYPO_BELOW procedures. Without ``full`` (suggestions), total is a lower bound."""

    def run(tokens):
        results, total, found = _page(filters, tokens, offset, limit, full=full, with_facets=with_facets)
        if total is None:
            total = len(results) if not full or not offset else _count(filters, tokens)
        return results, total, found

    tokens = parse_query(q, typos=False)
    results, total, found = run(tokens)
    if tokens and total < TYPO_BELOW:
        first, second = _typo_stages(q)
        if first and total < TYPO_BELOW:
            results, total, found = run(first)
            tokens = first
        if second and total == 0:
            results, total, found = run(second)
            tokens = second
    if with_facets and found is None:
        found = facets(filters, tokens) if total else {"fields": [], "levels": []}
    return results, total, found, tokens


def search_procedures(q=None, field=None, level=None, agency=None, service_level=None, page=1, per_page=20, with_facets=True):
    """Search the catalogue.

    Returns ``(results, total, facets)``: ``results`` a list of ``Hit`` (``code``, ``name``,
    ``field`` with ``code`` and ``name``, ``levels``, ``popularity``, ``online``, ``score``), ``total`` the
    number of matches capped at ``MAX_COUNT + 1`` (a value above MAX_COUNT means "more than
    MAX_COUNT"), ``facets`` a dict with ``fields`` and ``levels`` lists of
    ``{"code", "name", "count"}``. Raises SearchError.
    """
    _validate(level, service_level, page, per_page)
    filters = {"field": field, "level": level, "agency": agency, "service_level": service_level}
    results, total, found, _ = _search(q, filters, (page - 1) * per_page, per_page, with_facets=with_facets)
    return results, min(total, MAX_COUNT + 1), (found if with_facets else {})


def suggest_procedures(q: str, limit: int = 8) -> list[Hit]:
    """As-you-type suggestions: the best matches only, no count or facets."""
    if not query_words(q):
        return []
    return _search(q, {}, 0, limit, full=False)[0]
