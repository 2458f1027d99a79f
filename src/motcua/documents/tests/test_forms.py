import subprocess

import pytest

from motcua.documents.forms import ALL_FORMS, render_form

pytestmark = pytest.mark.django_db


def pdftotext(pdf: bytes) -> str:
    return subprocess.run(["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()


def test_every_form_renders(dossier):
    for code in ALL_FORMS:
        pdf = render_form(code, dossier)
        assert pdf.startswith(b"%PDF-"), code
