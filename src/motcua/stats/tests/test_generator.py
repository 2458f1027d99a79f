"""generate-dossiers: consistent histories, unique codes continuing the counters, rollups rebuilt."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db.models import Count

from motcua.dossiers.models import Dossier, DossierCodeCounter, DossierEvent, Status
from motcua.dossiers.services import allocate_code
from motcua.stats.indicators import Period, figures
from motcua.stats.models import MonthlyRollup

pytestmark = pytest.mark.django_db


def test_generate_dossiers_end_to_end():
    call_command("generate-dossiers", count=600, agencies=4, seed=1, verbosity=0)
    assert Dossier.objects.count() == 600
    codes = list(Dossier.objects.values_list("code", flat=True))
    assert len(set(codes)) == 600
    # The last event of each dossier is its status; received dossiers have a reception event.
    for d in Dossier.objects.order_by("?")[:60]:
        events = list(d.events.order_by("at", "id"))
        assert events[-1].to_status == d.status
        assert (d.received_at is not None) == any(e.action in ("accept", "receive_at_counter") for e in events)
        assert d.supplement_count == sum(e.action == "request_supplement" for e in events)
        if d.status in (Status.DECIDED, Status.RETURNED):
            assert d.timeliness and d.decided_at
    channels = dict(Dossier.objects.values_list("channel").annotate(n=Count("id")))
    assert channels.get(2, 0) > 60 and channels.get(1, 0) > 60
    # Codes continue the counters: the next allocated code is new.
    counter = DossierCodeCounter.objects.order_by("-last_value").select_related("agency").first()
    import datetime as dt
    from django.utils import timezone

    when = timezone.make_aware(dt.datetime.combine(counter.day, dt.time(10)))
    assert allocate_code(counter.agency, when) not in set(codes)
    # Rollups were rebuilt and agree with the events.
    received_events = DossierEvent.objects.filter(action__in=["accept", "receive_at_counter"]).count()
    assert sum(MonthlyRollup.objects.values_list("received", flat=True)) == received_events
    total = figures(Period.parse(str(timezone.localdate().year)), None)[None]
    assert total.services_total > 0
