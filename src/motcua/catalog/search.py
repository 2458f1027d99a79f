"""Accent-insensitive procedure search with typo tolerance, ranking and facets.

Matching works on ``SearchEntry.search_text``: the procedure's folded name, field and code (no
diacritics, đ→d, lower case) between spaces, in a narrow table kept by database triggers. Every
query word must start a word of the text.

**In-process index.** Each process holds an index of the search entries (a few thousand rows):
for every word of the catalogue, the set of procedures that contain it, as a bitmask (a Python
int, bit *i* = the procedure of static rank *i*: popularity first, then shorter names, then code).
A query is then a handful of big-integer ANDs and ORs, whatever the number of matches; counting
and facets are popcounts. Scanning thousands of matches with ``LIKE`` in the database cost 5-45 ms
for broad queries ("thu tuc", "dang ky", "cap"); the same work here is well under a millisecond.

The index is only trusted together with the **catalogue version** (``CatalogueVersion.token``),
which database triggers change on every write to ``catalog_procedure``, ``catalog_field`` or
``catalog_onlineservice`` (``save()``, ``update()``, ``bulk_create()``, raw SQL, imports, deletes;
migrations 0006, 0007). Every search first reads the token (its only query); if it is not the one
the index was built at, the index is rebuilt (one query, with the token, in one snapshot). So a
change made by any process is seen by the next search of every process, and a rolled-back change
is undone too (tokens are never reused: a sequence on PostgreSQL, random on SQLite). What a result
shows (name, field, levels, popularity, "has an online service") is kept in the index too.

Phases, so that the common case stays cheap:

1. **Exact**: each word as a word prefix (a prefix is the union of the words it starts).
2. **Typo tolerance**, only when the exact phase finds fewer than ``TYPO_BELOW`` procedures: the
   words that are not words of the catalogue also accept the few most frequent vocabulary words
   at edit distance 1 (a deletion index, SymSpell-style); if that still finds nothing, every word
   does. Exact words still rank first.

Scores: whole query at the start of the text (20), as a phrase (10), each word whole (3) or as a
prefix (2), a correction (0); ties by the static rank. The online-service filters (agency,
service level) are read live, one more query.
"""

from __future__ import annotations

import bisect
import json
import threading
from array import array
from collections import Counter, defaultdict
from dataclasses import dataclass
from itertools import compress, islice

from django.db import connection

from motcua.core.text import fold

from .models import CatalogueVersion, Field, OnlineService, Procedure, SearchEntry, ServiceLevel

MAX_COUNT = 1000  # counts above this are reported as "more than 1000"
MAX_PER_PAGE = 100
MAX_PAGE = 500
MAX_QUERY_WORDS = 12
TYPO_BELOW = 3  # fewer exact matches than this: try corrections too
MAX_CORRECTIONS = 4  # per query word, the most frequent vocabulary words first
PREFIX_CACHE_SIZE = 4096  # entries per mask cache (prefixes, starts, phrases) of an index: <= ~3 MB each at 6,000 entries


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

    def __init__(self, texts=(), freq: Counter[str] | None = None):
        if freq is None:
            freq = Counter()
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


# --------------------------------------------------------------------------- bitmasks


_BITS = bytes.maketrans(b"01", b"\x00\x01")


def _mask(ranks) -> int:
    """The bitmask of the given ranks."""
    ranks = list(ranks)
    if len(ranks) < 32:
        m = 0
        for r in ranks:
            m |= 1 << r
        return m
    digits = bytearray(b"0") * (max(ranks) + 1)
    for r in ranks:
        digits[r] = 49  # "1"
    return int(digits[::-1], 2)


def _selector(mask: int) -> bytes:
    """Byte i is 1 if bit i of ``mask`` is set, else 0 (for ``itertools.compress``)."""
    return format(mask, "b")[::-1].encode().translate(_BITS)


DENSE = 1000  # set bits above which a scan of every position (in C) beats finding each bit


def _ranks(mask: int, skip: int = 0, limit: int | None = None) -> list[int]:
    """The ranks set in ``mask``, lowest first; ``skip`` of them skipped, at most ``limit``."""
    if not mask or limit == 0:
        return []
    wanted = mask.bit_count() - skip if limit is None else min(limit, mask.bit_count() - skip)
    if skip + wanted > DENSE:
        selector = _selector(mask)
        return list(islice(compress(range(len(selector)), selector), skip, skip + wanted))
    out: list[int] = []
    bits = format(mask, "b")[::-1]
    i = bits.find("1")
    while i >= 0:
        if skip:
            skip -= 1
        else:
            out.append(i)
            if len(out) >= wanted:
                break
        i = bits.find("1", i + 1)
    return out


# --------------------------------------------------------------------------- the index


class _Tables:
    entry = SearchEntry._meta.db_table
    procedure = Procedure._meta.db_table
    field = Field._meta.db_table
    service = OnlineService._meta.db_table
    agency = OnlineService._meta.get_field("agency").related_model._meta.db_table
    version = CatalogueVersion._meta.db_table


def _version_sql() -> str:
    return f"(SELECT token FROM {_Tables.version} WHERE id = 1)"


class SearchIndex:
    """Bitmask index of the search entries at one catalogue version (``token``); read-only once
    built, except for its bounded caches of prefix and phrase masks."""

    def __init__(self, token, rows):
        """``rows``: (procedure id, search text, levels key, field id, popularity, name length,
        code, is active, field code, field name, name, levels, has an online service) of every
        search entry."""
        rows = sorted(rows, key=lambda r: (-r[4], r[5], r[6]))  # ORDER BY popularity DESC, name_length, code
        self.token = token
        self.size = len(rows)
        self.ids = [r[0] for r in rows]
        self.texts = [r[1] for r in rows]
        # What a result shows, by rank (one FieldRef per field, shared).
        refs: dict[int, FieldRef] = {}
        levels_of: dict = {}  # raw value (JSON text, or a list on some drivers) -> tuple, parsed once
        self.shown = [
            (
                pid, code, name, field_id,
                (refs.get(field_id) or refs.setdefault(field_id, FieldRef(f_code, f_name))) if field_id is not None else None,
                levels_of.get(levels) or levels_of.setdefault(levels, _levels(levels)) if isinstance(levels, str) else _levels(levels),
                popularity, bool(online),
            )
            for pid, _t, _lk, field_id, popularity, _nl, code, _a, f_code, f_name, name, levels, online in rows
        ]
        self.rank_of = {pid: i for i, pid in enumerate(self.ids)}
        self.fields: dict[int, tuple[str, str]] = {f: (ref.code, ref.name) for f, ref in refs.items() if ref.code is not None}
        postings: defaultdict[str, list[int]] = defaultdict(list)
        pairs: defaultdict[str, list[int]] = defaultdict(list)  # "word next" -> ranks
        for i, text in enumerate(self.texts):
            words = text.split()
            for word in set(words):
                postings[word].append(i)
            for a, b in zip(words, words[1:]):
                pairs[f"{a} {b}"].append(i)  # a pair twice in a text: its rank twice, harmless in a mask
        # Consecutive word pairs, sorted for prefix lookups; their ranks packed (4 bytes each).
        self.pair_keys = sorted(pairs)
        self.pair_ranks = [array("i", pairs[key]) for key in self.pair_keys]
        fields: defaultdict[int, list[int]] = defaultdict(list)
        levels: defaultdict[str, list[int]] = defaultdict(list)
        active = []
        for i, r in enumerate(rows):
            if r[3] is not None:
                fields[r[3]].append(i)
            for level in set((r[2] or "").split()):
                levels[level].append(i)
            if r[7]:
                active.append(i)
        self.words = {w: _mask(r) for w, r in postings.items()}
        self.sorted_words = sorted(self.words)
        self.field_masks = {f: _mask(r) for f, r in fields.items()}
        self.field_by_code = {code: f for f, (code, _) in self.fields.items()}
        self.level_masks = {lv: _mask(r) for lv, r in levels.items()}
        self.active = _mask(active)
        order = sorted(range(self.size), key=self.texts.__getitem__)
        self.sorted_texts = [self.texts[i] for i in order]
        self.sorted_ranks = order
        self.vocabulary = Vocabulary(freq=Counter({w: len(r) for w, r in postings.items()}))
        self._prefixes: dict[str, int] = {}
        self._starts: dict[str, int] = {}
        self._phrases: dict[str, int] = {}

    # words and phrases -> masks

    def whole(self, word: str) -> int:
        """Entries with ``word`` as a whole word (``LIKE '% word %'``)."""
        return self.words.get(word, 0)

    def prefix(self, prefix: str) -> int:
        """Entries with a word starting with ``prefix`` (``LIKE '% prefix%'``)."""
        mask = self._prefixes.get(prefix)
        if mask is None:
            words = self.sorted_words
            lo = bisect.bisect_left(words, prefix)
            hi = bisect.bisect_left(words, prefix + "\uffff", lo)
            mask = 0
            for word in words[lo:hi]:
                mask |= self.words[word]
            if len(self._prefixes) >= PREFIX_CACHE_SIZE:
                self._prefixes.clear()
            self._prefixes[prefix] = mask
        return mask

    def starting(self, text: str) -> int:
        """Entries whose search text starts with ``text`` (``LIKE 'text%'``)."""
        mask = self._starts.get(text)
        if mask is None:
            lo = bisect.bisect_left(self.sorted_texts, text)
            hi = bisect.bisect_left(self.sorted_texts, text + "\uffff", lo)
            mask = _mask(self.sorted_ranks[lo:hi])
            if len(self._starts) >= PREFIX_CACHE_SIZE:
                self._starts.clear()
            self._starts[text] = mask
        return mask

    def pair(self, first: str, second: str, prefix: bool) -> int:
        """Entries where word ``first`` is followed by the word ``second`` (``prefix``: by a word
        starting with it): ``LIKE '% first second %'`` (``'% first second%'``)."""
        key = f"{first} {second}"
        cache_key = key + ("*" if prefix else "")
        mask = self._phrases.get(cache_key)
        if mask is None:
            keys = self.pair_keys
            lo = bisect.bisect_left(keys, key)
            hi = bisect.bisect_left(keys, key + "\uffff", lo) if prefix else lo + (lo < len(keys) and keys[lo] == key)
            mask = 0
            for i in range(lo, hi):
                mask |= _mask(self.pair_ranks[i])
            if len(self._phrases) >= PREFIX_CACHE_SIZE:
                self._phrases.clear()
            self._phrases[cache_key] = mask
        return mask

    def containing(self, text: str, candidates: int) -> int:
        """The ``candidates`` whose search text contains ``text`` (``LIKE '%text%'``).

        ``candidates`` must hold every entry that can contain ``text`` (filters aside): the
        result, for all entries, is kept per phrase, and cut to the caller's matches by the caller."""
        mask = self._phrases.get(text)
        if mask is None:
            texts = self.texts
            mask = _mask([r for r in _ranks(candidates) if text in texts[r]])
            if len(self._phrases) >= PREFIX_CACHE_SIZE:
                self._phrases.clear()
            self._phrases[text] = mask
        return mask

    def matching(self, tokens: list[Token], base: int) -> int:
        """Entries of ``base`` where every token (one of its alternatives) starts a word."""
        mask = base
        for token in tokens:
            if not mask:
                break
            alternatives = 0
            for alt in token.alternatives:
                alternatives |= self.prefix(alt)
            mask &= alternatives
        return mask

    def facets(self, matches: int) -> dict:
        """Counts by field (top 30) and by level over the matches."""
        fields = []
        for field_id, fmask in self.field_masks.items():
            n = (matches & fmask).bit_count()
            if n and field_id in self.fields:
                code, name = self.fields[field_id]
                fields.append({"code": code, "name": name, "count": n})
        fields.sort(key=lambda f: (-f["count"], f["name"]))
        levels = []
        for level, label in Procedure.Level.choices:
            n = (matches & self.level_masks.get(level, 0)).bit_count()
            if n:
                levels.append({"code": level, "name": label, "count": n})
        return {"fields": fields[:30], "levels": levels}

    def ranked(self, tokens: list[Token], matches: int, offset: int, limit: int) -> list[tuple[int, int]]:
        """(rank, score) of the page: the matches ordered by score, then static rank.

        The matches are split into groups of equal score with a few mask operations per scoring
        term (never a loop over the matches), then the page is read off the best groups."""
        groups = {0: matches}
        for weight, term in self._terms(tokens, matches):
            new: dict[int, int] = {}
            for score, group in groups.items():
                inside = group & term
                if inside:
                    new[score + weight] = new.get(score + weight, 0) | inside
                outside = group & ~term
                if outside:
                    new[score] = new.get(score, 0) | outside
            groups = new
        page: list[tuple[int, int]] = []
        for score in sorted(groups, reverse=True):
            group = groups[score]
            if offset:
                n = group.bit_count()
                if n <= offset:
                    offset -= n
                    continue
            page += [(r, score) for r in _ranks(group, offset, limit - len(page))]
            offset = 0
            if len(page) >= limit:
                break
        return page

    def _terms(self, tokens: list[Token], matches: int):
        """(weight, mask) of the scoring terms; a constant term has the mask ``matches``."""
        if not tokens:
            return
        phrase = " " + " ".join(t.word for t in tokens)
        exact = {t.word for t in tokens if len(t.alternatives) == 1}
        yield 20, self.starting(phrase) & matches
        if len(tokens) == 1:
            yield 10, (matches if exact else self.prefix(tokens[0].word) & matches)
        else:
            # From the word pairs: exact for two words; for more, every entry that can contain the
            # phrase (each consecutive pair present, the last word as a prefix), checked on its
            # text. Over all entries, not only the matches, so that the mask can be kept.
            words = [t.word for t in tokens]
            candidates = self.pair(words[-2], words[-1], prefix=True)
            if len(words) > 2:
                for first, second in zip(words[:-2], words[1:-1]):
                    candidates &= self.pair(first, second, prefix=False)
                candidates = self.containing(phrase, candidates)
            yield 10, candidates & matches
        for token in tokens:
            if token.word in exact:
                yield 2, matches
                yield 1, self.whole(token.word)
            else:
                yield 2, self.prefix(token.word)
                yield 1, self.whole(token.word)


_index_lock = threading.Lock()
_index: SearchIndex | None = None


def _current_token():
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {_version_sql()}")
        return cursor.fetchone()[0]


def _build_index() -> SearchIndex:
    """Read every search entry, what its result shows and the catalogue version in one statement
    (one snapshot)."""
    global _index
    sql = (
        f"SELECT {_version_sql()}, e.procedure_id, e.search_text, e.levels_key, e.field_id, e.popularity,"
        f" e.name_length, e.code, e.is_active, f.code, f.name, p.name, p.levels,"
        f" EXISTS (SELECT 1 FROM {_Tables.service} s WHERE s.procedure_id = e.procedure_id AND s.service_level IN ('partial', 'full'))"
        f" FROM {_Tables.entry} e JOIN {_Tables.procedure} p ON p.id = e.procedure_id"
        f" LEFT JOIN {_Tables.field} f ON f.id = e.field_id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql)
        rows = cursor.fetchall()
    token = rows[0][0] if rows else _current_token()
    index = SearchIndex(token, [row[1:] for row in rows])
    with _index_lock:
        _index = index
    return index


_build_lock = threading.Lock()


def search_index() -> SearchIndex:
    """This process's index, verified against the catalogue version (one query), rebuilt if stale.

    One thread of the process rebuilds; the others, which saw the same new version, wait for it
    and use its index."""
    index = _index
    token = _current_token()
    if index is not None and token == index.token:
        return index
    with _build_lock:
        index = _index
        if index is not None and token == index.token:
            return index
        return _build_index()


def vocabulary() -> Vocabulary:
    """The spelling vocabulary of the current catalogue."""
    return search_index().vocabulary


def invalidate_index() -> None:
    """Forget this process's index (the next search rebuilds it). Not needed after catalogue
    changes, which the version token reveals; for tests and tools."""
    global _index
    with _index_lock:
        _index = None


# --------------------------------------------------------------------------- queries


@dataclass
class Token:
    word: str
    alternatives: list[str]  # word itself first, then corrections (typo phase only)


def query_words(q: str | None) -> list[str]:
    """The folded words of a query (only ``[0-9a-z]``)."""
    return fold(q).split()[:MAX_QUERY_WORDS]


def parse_query(q: str | None, typos: bool = True) -> list[Token]:
    """The query's tokens; with ``typos``, each with its likely corrections."""
    words = query_words(q)
    if not words or not typos:
        return [Token(w, [w]) for w in words]
    vocab = vocabulary()
    return [Token(w, [w, *vocab.corrections(w, MAX_CORRECTIONS)]) for w in words]


def _levels(value) -> tuple[str, ...]:
    return tuple((json.loads(value) if isinstance(value, str) else value) or ())


def _validate(level, service_level, page, per_page):
    if level and level not in Procedure.Level.values:
        raise SearchError(f"Cấp thực hiện không hợp lệ: «{level}». Giá trị hợp lệ: {', '.join(Procedure.Level.values)}.")
    if service_level and service_level not in ServiceLevel.values:
        raise SearchError(f"Mức độ dịch vụ không hợp lệ: «{service_level}». Giá trị hợp lệ: {', '.join(ServiceLevel.values)}.")
    if not isinstance(page, int) or page < 1 or page > MAX_PAGE:
        raise SearchError(f"Số trang phải từ 1 đến {MAX_PAGE}.")
    if not isinstance(per_page, int) or per_page < 1 or per_page > MAX_PER_PAGE:
        raise SearchError(f"Số kết quả mỗi trang phải từ 1 đến {MAX_PER_PAGE}.")


def _service_procedures(filters: dict) -> set[int]:
    """Ids of the procedures with an online service of the agency / level filtered on (read live:
    services are not part of the index)."""
    sql, params = [f"SELECT DISTINCT s.procedure_id FROM {_Tables.service} s"], []
    where = []
    if filters.get("agency"):
        sql.append(f"JOIN {_Tables.agency} a ON a.id = s.agency_id")
        where.append("a.code = %s")
        params.append(filters["agency"])
    if filters.get("service_level"):
        where.append("s.service_level = %s")
        params.append(filters["service_level"])
    with connection.cursor() as cursor:
        cursor.execute(" ".join(sql) + " WHERE " + " AND ".join(where), params)
        return {row[0] for row in cursor.fetchall()}


def _base(index: SearchIndex, filters: dict, services: set[int] | None) -> int:
    """The active entries that pass the filters."""
    mask = index.active
    if filters.get("field"):
        field_id = index.field_by_code.get(filters["field"])
        mask &= index.field_masks.get(field_id, 0) if field_id is not None else 0
    if filters.get("level"):
        mask &= index.level_masks.get(filters["level"], 0)
    if services is not None:
        mask &= _mask(index.rank_of[pid] for pid in services if pid in index.rank_of)
    return mask


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


def _typo_stages(index: SearchIndex, q) -> tuple[list[Token] | None, list[Token] | None]:
    """Token lists to try after the exact phase: (1) only the words that are not words of the
    catalogue get corrections; (2) every word does (a typo can make another real word), tried only
    while nothing at all was found, since alternatives of common words match widely."""
    words = query_words(q)
    vocab = index.vocabulary
    corrections = {w: vocab.corrections(w, MAX_CORRECTIONS) for w in words}
    first = [Token(w, [w, *corrections[w]] if w not in vocab.words else [w]) for w in words]
    second = [Token(w, [w, *corrections[w]]) for w in words]
    changed_first = any(len(t.alternatives) > 1 for t in first)
    changed_second = any(len(a.alternatives) != len(b.alternatives) for a, b in zip(first, second))
    return (first if changed_first else None), (second if changed_second else None)


def _match(index: SearchIndex, q, base: int) -> tuple[list[Token], int]:
    """(tokens, matches): the exact phase, then typo tolerance when it finds fewer than TYPO_BELOW."""
    tokens = parse_query(q, typos=False)
    matches = index.matching(tokens, base)
    if tokens and matches.bit_count() < TYPO_BELOW:
        first, second = _typo_stages(index, q)
        if first:
            tokens, matches = first, index.matching(first, base)
        if second and not matches:
            tokens, matches = second, index.matching(second, base)
    return tokens, matches


def _search(q, filters: dict, offset: int, limit: int, *, full: bool = True, with_facets: bool = False):
    """(results, total, facets or None, tokens matched)."""
    services = _service_procedures(filters) if filters.get("agency") or filters.get("service_level") else None
    index = search_index()
    tokens, matches = _match(index, q, _base(index, filters, services))
    shown = index.shown
    results = []
    for rank, score in index.ranked(tokens, matches, offset, limit):
        pid, code, name, field_id, field, levels, popularity, online = shown[rank]
        results.append(Hit(pid, code, name, field_id, field, list(levels), popularity, score, online and full))
    found = index.facets(matches) if with_facets else None
    return results, matches.bit_count(), found, tokens


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
