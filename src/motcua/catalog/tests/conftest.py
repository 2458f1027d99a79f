from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[5] / "shared" / "data"
NATIONAL = SHARED / "national-procedures"


@pytest.fixture
def national_dir():
    return NATIONAL


@pytest.fixture
def national_catalogue(db):
    """All 610 national records imported (a few seconds)."""
    from motcua.catalog.importers import import_paths

    summary = import_paths([NATIONAL], progress=False)
    return summary
