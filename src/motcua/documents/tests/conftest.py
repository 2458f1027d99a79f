from __future__ import annotations

import pytest

from motcua.documents import signing


@pytest.fixture(scope="session")
def _pki_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("pki")


@pytest.fixture
def pki(settings, _pki_dir):
    """A development CA in a per-session folder, trusted for verification."""
    settings.SIGNING_PKI_DIR = _pki_dir
    settings.SIGNING_P12_PASSWORD = "test-password"
    settings.SIGNING_TRUST_ROOTS = []
    settings.SITE_URL = "https://dichvucong.example.vn"
    signing.ensure_dev_ca()
    return _pki_dir


@pytest.fixture
def dossier(db, settings):
    from motcua.documents.samples import build_sample_dossier

    settings.SITE_URL = "https://dichvucong.example.vn"
    return build_sample_dossier()
