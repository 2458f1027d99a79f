"""The shared file cache, without Django's per-write directory scan.

Django's ``FileBasedCache`` lists the whole cache folder on *every* ``set()`` to decide whether
to cull (``_cull`` globs it and counts the files). With thousands of entries (rate-limit
counters, lock-outs, cached reports) that scan costs milliseconds per write. Here the count is
checked on one write in ``CULL_EVERY`` per process, which bounds the folder just as well: it
can overshoot ``MAX_ENTRIES`` by at most the writes in between.
"""

from __future__ import annotations

import itertools
import threading

from django.core.cache.backends.filebased import FileBasedCache


class FileCache(FileBasedCache):
    CULL_EVERY = 200

    def __init__(self, dir, params):
        super().__init__(dir, params)
        self._writes = itertools.count(1)
        self._lock = threading.Lock()

    def _cull(self):
        with self._lock:
            due = next(self._writes) % self.CULL_EVERY == 0
        if due:
            super()._cull()
