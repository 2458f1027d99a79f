import os
from pathlib import Path

import pytest


def _shared_data() -> Path:
    """The real national data of ../shared/data: beside the checkout, or where MOTCUA_SHARED_DATA says
    (a clone elsewhere, e.g. /tmp/check, still finds the workplace's copy at /work/shared/data)."""
    candidates = [
        os.environ.get("MOTCUA_SHARED_DATA", ""),
        Path(__file__).resolve().parents[5] / "shared" / "data",
        "/work/shared/data",
    ]
    for candidate in candidates:
        if candidate and (Path(candidate) / "national-procedures").is_dir():
            return Path(candidate)
    raise RuntimeError("../shared/data not found: set MOTCUA_SHARED_DATA to the shared data folder")


SHARED = _shared_data()
NATIONAL = SHARED / "national-procedures"


@pytest.fixture
def national_dir():
    return NATIONAL


@pytest.fixture(scope="module")
def national_catalogue(django_db_setup, django_db_blocker):
    """All 610 national records imported ONCE for the tests of a module (the slow part of this
    app's tests), with the import's summary.

    The import runs in a transaction that is rolled back after the module, so no other module sees
    the records; each test (which must also request ``db``) runs in a savepoint inside it, so what a
    test changes is undone before the next one.
    """
    from django.db import transaction

    from motcua.catalog.importers import import_paths

    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            yield import_paths([NATIONAL], progress=False)
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
