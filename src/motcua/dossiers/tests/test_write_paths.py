"""Write paths stay cheap: queries per submission step, the catalogue facts cache and its
invalidation, the one-statement code counter and transitions under the caller's lock."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from motcua.dossiers import procedure_facts
from motcua.dossiers.models import Dossier, DossierCodeCounter, Status
from motcua.dossiers.services import Actor, TransitionNotAllowed, allocate_code, transition
from motcua.dossiers.tests.conftest import GOOD_FORM, PDF

pytestmark = pytest.mark.django_db


@pytest.fixture
def auth(citizen):
    from motcua.accounts.services import create_api_token

    _, raw = create_api_token(citizen, "test")
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


class Counted(int):
    """A query count whose repr lists the statements (readable assertion failures)."""

    def __new__(cls, queries):
        value = super().__new__(cls, len(queries))
        value.sql = [q["sql"][:90] for q in queries]
        return value

    def __repr__(self):
        return f"{int(self)} queries:\n  " + "\n  ".join(self.sql)


def _count(call):
    with CaptureQueriesContext(connection) as queries:
        response = call()
    return response, Counted(queries.captured_queries)


def test_submission_api_queries_per_step(client, auth, birth_procedure, django_capture_on_commit_callbacks, monkeypatch):
    """Create, fill, two uploads and submit, once the catalogue facts, the procedure version and
    the day's code counter exist (the first submission makes them): the figures of
    docs/performance.md ("Write paths"). A regression (a lookup per request again) fails here.
    Notices are queued (outbox rows), not delivered in the request: the queue's worker sends them."""
    from motcua.integrations import messaging

    queued = []
    monkeypatch.setattr(messaging, "_enqueue", lambda message_id, run_after=None: queued.append(message_id))
    monkeypatch.setattr(messaging, "_enqueue_many", lambda message_ids: queued.extend(message_ids))
    components = list(birth_procedure.components.filter(required=True))

    def flow(token):
        counts = {}
        created, counts["create"] = _count(lambda: client.post(
            "/api/v1/dossiers/", {"procedure_code": birth_procedure.code, "client_token": token},
            content_type="application/json", **auth))
        assert created.status_code == 201, created.content
        url = f"/api/v1/dossiers/{created.json()['id']}"
        patched, counts["patch"] = _count(lambda: client.patch(
            url, {"form_data": GOOD_FORM}, content_type="application/json", **auth))
        assert patched.status_code == 200, patched.content
        for i, component in enumerate(components):
            response, counts[f"upload{i}"] = _count(lambda: client.post(
                f"{url}/attachments", {"component_id": component.pk, "file": SimpleUploadedFile("a.pdf", PDF)}, **auth))
            assert response.status_code == 201, response.content

        def submit():
            with django_capture_on_commit_callbacks(execute=True):
                return client.post(f"{url}/submit", **auth)

        submitted, counts["submit"] = _count(submit)
        assert submitted.status_code == 200 and submitted.json()["status"] == Status.SUBMITTED
        return counts

    flow("first")
    queued.clear()
    counts = flow("second")
    # Token and the insert (procedure from the catalogue cache; the client token checked by its
    # unique constraint; no attachments to read for a new draft); in autocommit no BEGIN/COMMIT,
    # here inside the test's transaction a savepoint around the insert.
    assert counts["create"] <= 4, counts["create"]
    # Token, dossier, one conditional UPDATE, attachments.
    assert counts["patch"] <= 4, counts["patch"]
    # Token, dossier, one INSERT … SELECT (the next version computed in it). The first upload also
    # flags the dossier digitised: then BEGIN, INSERT, UPDATE, COMMIT (here a savepoint).
    assert counts["upload0"] <= 6 and counts["upload1"] <= 3, (counts["upload0"], counts["upload1"])
    # Token, lock, attachments (read once: the check and the answer), counter, update, event
    # (+ BEGIN/COMMIT), then after commit the SMS and e-mail outbox rows.
    assert counts["submit"] <= 10, counts["submit"]
    assert len(queued) == 2  # SMS and e-mail, handed to the task queue after commit


def test_catalogue_facts_follow_edits(birth_procedure):
    facts = procedure_facts.facts(birth_procedure)
    assert [c.name for c in facts.components][:2] == ["Giấy chứng sinh", "Giấy tờ tùy thân của người đi đăng ký"]
    assert facts.eform.code == "TK-KS" and facts.service.agency.code == "000.00.31.H26" and not facts.has_cases
    assert procedure_facts.facts(birth_procedure) is facts  # cached
    component = facts.components[0]
    component.name = "Giấy chứng sinh (bản chính)"
    component.save()  # a catalogue edit in this process drops the cache
    assert procedure_facts.facts(birth_procedure).components[0].name == "Giấy chứng sinh (bản chính)"
    birth_procedure.cases.create(name="Có yếu tố nước ngoài")
    assert procedure_facts.facts(birth_procedure).has_cases


def test_catalogue_facts_expire_for_edits_made_elsewhere(birth_procedure, monkeypatch):
    """Another worker's edit (or a bulk update, which sends no signal) is seen after TTL seconds."""
    from motcua.catalog.models import DocumentComponent

    assert len(procedure_facts.facts(birth_procedure).components) == 3
    DocumentComponent.objects.filter(procedure=birth_procedure, required=False).update(required=True)
    assert not procedure_facts.facts(birth_procedure).components[2].required  # still cached
    now = procedure_facts.time.monotonic()
    monkeypatch.setattr(procedure_facts.time, "monotonic", lambda: now + procedure_facts.TTL + 1)
    assert procedure_facts.facts(birth_procedure).components[2].required


def test_code_counter_is_one_statement_and_creates_the_day(agencies):
    agency = agencies[0]
    when = dt.datetime(2026, 11, 20, 9, 0, tzinfo=dt.timezone.utc)
    with transaction.atomic():
        first = allocate_code(agency, when)
        with CaptureQueriesContext(connection) as queries:
            second = allocate_code(agency, when)
    assert first.endswith("0001") and second.endswith("0002")
    assert len(queries) == 1 and "RETURNING" in queries[0]["sql"]
    assert DossierCodeCounter.objects.get(agency=agency).last_value == 2
    with transaction.atomic():
        allocate_code(agency, when)
        transaction.set_rollback(True)  # a failed submission gives its number back
    assert allocate_code(agency, when).endswith("0003")


def test_transition_under_the_callers_lock(complete_draft, citizen):
    from motcua.dossiers.submission import submit

    submit(complete_draft, citizen)
    with transaction.atomic():
        locked = Dossier.objects.select_for_update().get(pk=complete_draft.pk)
        with pytest.raises(TransitionNotAllowed):
            transition(locked, "approve", Actor(None, "leader"), locked=True)  # not processing yet
        # A refused transition leaves the caller's transaction usable.
        with CaptureQueriesContext(connection) as queries:
            transition(locked, "withdraw", Actor(citizen, "applicant"), note="Nộp nhầm", locked=True)
    assert not any("FOR UPDATE" in q["sql"] for q in queries.captured_queries)
    complete_draft.refresh_from_db()
    assert complete_draft.status == Status.WITHDRAWN and complete_draft.events.last().note == "Nộp nhầm"


@pytest.mark.postgres
def test_submit_locks_only_the_dossier_row(complete_draft, citizen):
    """FOR UPDATE on the joined agency row made every transaction referencing the agency (events,
    tasks, statistics) wait at COMMIT for its foreign-key check, and deadlocked life cycles."""
    from motcua.dossiers.submission import submit

    with CaptureQueriesContext(connection) as queries:
        submit(complete_draft, citizen)
    locks = [q["sql"] for q in queries.captured_queries if "FOR UPDATE" in q["sql"]]
    assert locks and all(sql.endswith('FOR UPDATE OF "dossiers_dossier"') for sql in locks), locks


def test_rate_limit_is_shared_counted_per_window_and_purged(monkeypatch, settings):
    """The ``database`` store (the default ``memory`` store: dossiers/tests/test_tracking.py)."""
    from motcua.dossiers import ratelimit, tracking
    from motcua.dossiers.models import RateCounter

    settings.RATE_LIMIT_STORE = "database"
    clock = [1_800_000_010.0]
    monkeypatch.setattr(ratelimit.time, "time", lambda: clock[0])
    assert [tracking.rate_limited("t", "1.2.3.4", limit=3) for _ in range(5)] == [False, False, False, True, True]
    assert not tracking.rate_limited("other", "1.2.3.4", limit=3)  # scopes count apart
    assert not tracking.rate_limited("t", "5.6.7.8", limit=3)  # and clients
    row = RateCounter.objects.get(key="t:1.2.3.4")
    assert row.hits == 5 and row.until == 1_800_000_060  # end of the 60 s window
    clock[0] += 60  # next window: counting starts again
    assert not tracking.rate_limited("t", "1.2.3.4", limit=3)
    assert RateCounter.objects.get(key="t:1.2.3.4").hits == 1
    monkeypatch.setattr(ratelimit, "PURGE_PROBABILITY", 1.0)
    clock[0] += 600
    tracking.rate_limited("t", "9.9.9.9", limit=3)
    assert list(RateCounter.objects.values_list("key", flat=True)) == ["t:9.9.9.9"]  # expired rows purged
