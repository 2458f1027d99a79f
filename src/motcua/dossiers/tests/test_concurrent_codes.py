"""50 citizens submit to one agency at the same moment: 50 distinct, consecutive codes."""

import threading

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from motcua.dossiers.models import Dossier, Status
from motcua.dossiers.tests.conftest import GOOD_FORM, PDF

N = 50


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_50_concurrent_submissions_get_consecutive_codes(birth_procedure, django_user_model):
    from motcua.dossiers.attachments import add_attachment
    from motcua.dossiers.submission import save_draft, start_draft, submit

    assert connection.vendor == "postgresql"
    required = list(birth_procedure.components.filter(required=True))
    jobs = []
    for i in range(N):
        user = django_user_model.objects.create_user(
            username=f"09{i:08d}", password="x" * 12, full_name=f"Người Nộp {i}", phone=f"09{i:08d}",
            identity_number="001099012345", contact_confirmed=True,
        )
        draft = start_draft(user, birth_procedure)
        save_draft(draft, GOOD_FORM, eform_raw=GOOD_FORM, prefixed=False)
        for component in required:
            add_attachment(draft, component, SimpleUploadedFile("a.pdf", PDF + f"{i}-{component.pk}".encode()), user=user)
        jobs.append((draft, user))

    barrier = threading.Barrier(N)
    errors = []

    def run(draft, user):
        try:
            barrier.wait()
            submit(draft, user)
        except Exception as exc:  # reported below
            errors.append(repr(exc))
        finally:
            connection.close()  # each thread had its own connection

    threads = [threading.Thread(target=run, args=job) for job in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors[:3]
    codes = list(Dossier.objects.filter(status=Status.SUBMITTED).values_list("code", flat=True))
    assert len(codes) == len(set(codes)) == N
    prefixes = {c.rsplit("-", 1)[0] for c in codes}
    assert len(prefixes) == 1 and prefixes.pop().startswith("000.00.31.H26-")
    assert sorted(int(c.rsplit("-", 1)[1]) for c in codes) == list(range(1, N + 1))
