"""Fixed-window hit counters per client, shared by the worker processes (public tracking's limit).

Two stores (setting ``RATE_LIMIT_STORE``):

- ``memory`` (default): a small file mapped in memory (``RATE_LIMIT_FILE``), shared by every worker
  process of one host, no database write per lookup (about 0.01 ms instead of one committed
  UPSERT). Counts are kept in a count-min sketch: a key hashes (keyed BLAKE2b, salted with the
  secret key) to one slot in each of two rows; a hit increments the key's slot in both rows and the
  key's count is the smaller of the two. Two keys sharing *both* slots in the same window add their
  hits, so the count can only be over-estimated, and that needs two collisions among 2 × 131,072
  slots (with 10,000 active clients in a minute, about 0.6% of clients share both slots with
  someone, and are refused only if their combined hits pass the limit). Read-modify-write is under
  a thread lock and an ``fcntl`` lock on the file, so hits are never lost between processes.
  Counters are per host: several hosts behind one load balancer each allow the limit.
- ``database``: one UPSERT per hit on ``dossiers.RateCounter`` (shared by every host).

With ``RATE_LIMIT_FILE`` empty (the tests), the map is anonymous: one process only.
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import mmap
import os
import random
import struct
import threading
import time

from django.conf import settings
from django.db import connection

ROWS = 2
SLOTS = 1 << 17  # per row
_SLOT = struct.Struct("<II")  # end of the window (seconds since the epoch), hits
PURGE_PROBABILITY = 0.002  # database store: expired rows deleted on this share of hits
logger = logging.getLogger(__name__)


class SharedCounters:
    """The memory-mapped count-min sketch (see the module docstring)."""

    def __init__(self, path: str = "", slots: int = SLOTS):
        self.path, self.slots = path, slots
        self.size = ROWS * slots * _SLOT.size
        self._thread_lock = threading.Lock()
        self._salt = hashlib.blake2b(settings.SECRET_KEY.encode(), digest_size=16).digest()
        if path:
            os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
            self._fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
            if os.fstat(self._fd).st_size < self.size:
                fcntl.lockf(self._fd, fcntl.LOCK_EX)
                try:
                    if os.fstat(self._fd).st_size < self.size:
                        os.ftruncate(self._fd, self.size)  # sparse, zero-filled
                finally:
                    fcntl.lockf(self._fd, fcntl.LOCK_UN)
            self._map = mmap.mmap(self._fd, self.size)
        else:
            self._fd = None
            self._map = mmap.mmap(-1, self.size)

    def _offsets(self, key: str) -> list[int]:
        digest = hashlib.blake2b(key.encode(), digest_size=4 * ROWS, key=self._salt).digest()
        return [
            (row * self.slots + int.from_bytes(digest[4 * row : 4 * row + 4], "little") % self.slots) * _SLOT.size
            for row in range(ROWS)
        ]

    def hit(self, key: str, until: int) -> int:
        """Count one hit of ``key`` in the window ending at ``until``; the key's count so far."""
        offsets = self._offsets(key)
        with self._thread_lock:
            if self._fd is not None:
                fcntl.lockf(self._fd, fcntl.LOCK_EX)
            try:
                count = None
                for offset in offsets:
                    end, hits = _SLOT.unpack_from(self._map, offset)
                    # A slot whose window is over starts again; one holding a later window end
                    # (a key with a longer window in the same slot) keeps counting: over, never under.
                    hits = hits + 1 if end >= until else 1
                    _SLOT.pack_into(self._map, offset, max(end, until), hits)
                    count = hits if count is None else min(count, hits)
            finally:
                if self._fd is not None:
                    fcntl.lockf(self._fd, fcntl.LOCK_UN)
        return count

    def clear(self) -> None:
        with self._thread_lock:
            self._map[:] = bytes(self.size)


_counters: SharedCounters | None | bool = None  # False: unusable, see counters()
_counters_lock = threading.Lock()


def counters() -> SharedCounters | None:
    """This process's map of the counters file; None when the file cannot be opened or mapped
    (read-only folder…): hits then go to the database store, logged once, never a 500."""
    global _counters
    if _counters is None:
        with _counters_lock:
            if _counters is None:
                path = getattr(settings, "RATE_LIMIT_FILE", "")
                try:
                    _counters = SharedCounters(path)
                except (OSError, ValueError) as exc:
                    logger.warning("rate-limit file %s unusable (%s): counting in the database", path, exc)
                    _counters = False
    return _counters or None


def reset() -> None:
    """Forget every count of this store (tests)."""
    if counters() is not None:
        counters().clear()


def _database_hit(key: str, until: int, now: int) -> int:
    from motcua.dossiers.models import RateCounter

    qn = connection.ops.quote_name
    table, col_key, hits, end = qn(RateCounter._meta.db_table), qn("key"), qn("hits"), qn("until")
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({col_key}, {end}, {hits}) VALUES (%s, %s, 1) "
            f"ON CONFLICT ({col_key}) DO UPDATE SET {hits} = CASE WHEN {table}.{end} = EXCLUDED.{end} "
            f"THEN {table}.{hits} + 1 ELSE 1 END, {end} = EXCLUDED.{end} RETURNING {hits}",
            [key, until],
        )
        count = cursor.fetchone()[0]
        if random.random() < PURGE_PROBABILITY:
            cursor.execute(f"DELETE FROM {table} WHERE {end} < %s", [now])
    return count


def hit(scope: str, client: str, window: int) -> int:
    """Count one hit of ``client`` in ``scope`` for the current fixed window; its count so far."""
    now = int(time.time())
    until = (now // window + 1) * window
    key = f"{scope}:{client}"[:120]
    shared = None if getattr(settings, "RATE_LIMIT_STORE", "memory") == "database" else counters()
    if shared is None:
        return _database_hit(key, until, now)
    return shared.hit(key, until)
