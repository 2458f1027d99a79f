"""Each formula on hand-built dossier histories (March-April 2025, looked at from June)."""

from __future__ import annotations

import pytest

from motcua.catalog.models import Channel
from motcua.stats import rollups
from motcua.stats.indicators import Period, PeriodError, figures, processing_by_procedure, trend
from motcua.stats.models import DailyRollup, Indicator, MonthlyRollup, Target
from motcua.stats.services import AgencyTree, RatingError, Targets, rate_dossier, set_target
from motcua.stats.tests.conftest import at, received

NOW = at(2025, 6, 1)
HOUR = 3600


@pytest.fixture
def march(world, history):
    w = world
    # A: one supplement; the workflow moved the appointment by the 2 working days waited.
    a = history(w.justice, w.proc, Channel.ONLINE, [
        received(at(2025, 3, 3), at(2025, 3, 10, 17)),
        ("start_processing", at(2025, 3, 3, 10), {}),
        ("request_supplement", at(2025, 3, 4), {}),
        ("supplement", at(2025, 3, 6), {"appointment_at": at(2025, 3, 12, 17), "paused_working_seconds": 16 * HOUR}),
        ("approve", at(2025, 3, 11, 10), {"has_electronic_result": True, "is_digitised": True}),
    ])
    # B: two supplement requests: late although decided before the appointment.
    b = history(w.justice, w.proc, Channel.COUNTER, [
        received(at(2025, 3, 3), at(2025, 3, 10, 17)),
        ("start_processing", at(2025, 3, 3, 10), {}),
        ("request_supplement", at(2025, 3, 3, 11), {}),
        ("supplement", at(2025, 3, 3, 14), {}),
        ("request_supplement", at(2025, 3, 4, 9), {}),
        ("supplement", at(2025, 3, 4, 10), {}),
        ("approve", at(2025, 3, 5, 10), {"reuses_data": True}),
    ])
    # C: still in progress at the end of March, past its appointment (and still in June).
    c = history(w.justice, w.proc2, Channel.ONLINE, [received(at(2025, 3, 20), at(2025, 3, 25, 17))])
    # D: spans March and April: in progress within its appointment at the end of March, decided on time in April.
    d = history(w.justice, w.proc2, Channel.COUNTER, [
        received(at(2025, 3, 28), at(2025, 4, 4, 17)),
        ("start_processing", at(2025, 3, 28, 10), {}),
        ("approve", at(2025, 4, 3, 16), {"timeliness": "on_time"}),
        ("return_result", at(2025, 4, 4, 8), {}),
    ])
    # E: Health, by post, on time, paid online.
    e = history(w.health, w.proc, Channel.POST, [
        received(at(2025, 3, 5), at(2025, 3, 10, 17)),
        ("start_processing", at(2025, 3, 5, 10), {}),
        ("request_payment", at(2025, 3, 5, 11), {}),
        ("payment_received", at(2025, 3, 5, 12), {"paid_online": 2}),
        ("approve", at(2025, 3, 10, 15), {}),
    ])
    # F: submitted online and refused: not received.
    f = history(w.health, w.proc, Channel.ONLINE, [("submit", at(2025, 3, 6), {}), ("refuse", at(2025, 3, 7), {})])
    rollups.refresh(now=NOW)
    return dict(a=a, b=b, c=c, d=d, e=e, f=f)


def test_period_parsing():
    assert Period.parse("2025-03").label == "Tháng 3/2025"
    q = Period.parse("2025-q2")
    assert (q.first_month.month, q.last_month.month, q.label) == (4, 6, "Quý II/2025")
    assert Period.parse("2024").last_month.month == 12
    assert Period.parse("2025-Q1").shifted(-1).key == "2024-Q4"
    for bad in ("2025-13", "abc", "2025-Q5", "1800"):
        with pytest.raises(PeriodError):
            Period.parse(bad)


def test_march_justice_formulas(world, march):
    fig = figures(Period.parse("2025-03"), [world.justice.id], now=NOW)[None]
    assert (fig.received, fig.received_online, fig.received_counter) == (4, 2, 2)
    assert fig.online_rate == 50.0  # 3.3
    # A early thanks to the supplement subtraction, B late (two supplements).
    assert (fig.decided_total, fig.decided_early, fig.decided_on_time, fig.decided_late) == (2, 1, 0, 1)
    # In progress at the end of March: C overdue, D within its appointment.
    assert (fig.in_progress, fig.overdue) == (2, 1)
    assert fig.on_time_count == 2 and fig.late_count == 2
    assert fig.on_time_rate == 50.0  # 2.1 = (1 early + 0 on time + 1 in progress within) / (2 decided + 2 in progress)
    assert fig.supplements == 3
    assert (fig.electronic_result_rate, fig.digitised_rate, fig.reused_rate) == (50.0, 50.0, 50.0)
    # 3.1: 2 services (1 full, 1 information only); 3.2: the full one had an online dossier.
    assert (fig.services_total, fig.services_online, fig.services_full, fig.services_used) == (2, 1, 1, 1)
    assert fig.online_offered_rate == 50.0 and fig.online_used_rate == 100.0


def test_dossier_spanning_periods_counts_where_each_event_happened(world, march):
    april = figures(Period.parse("2025-04"), [world.justice.id], now=NOW)[None]
    assert april.received == 0
    assert (april.decided_total, april.decided_on_time, april.returned) == (1, 1, 1)
    assert (april.in_progress, april.overdue) == (1, 1)  # C, still waiting, past its appointment
    assert april.on_time_rate == 50.0
    quarter = figures(Period.parse("2025-Q1"), [world.justice.id], now=NOW)[None]
    assert (quarter.received, quarter.decided_total, quarter.in_progress) == (4, 2, 2)


def test_processing_time_in_legal_unit_subtracts_waiting(world, march):
    rows = {r["code"]: r for r in processing_by_procedure(Period.parse("2025-03"), [world.justice.id])}
    # A: 3→11 March is 6 working days minus 2 waited = 4; B: 3→5 March = 2; average 3 working days.
    assert rows["1.000001"]["average"] == 3.0
    assert rows["1.000001"]["unit"] == "ngày làm việc"
    april = {r["code"]: r for r in processing_by_procedure(Period.parse("2025-04"), [world.justice.id])}
    # D (legal unit: calendar days): 28 March 9:00 to 3 April 16:00 = 6.3 days.
    assert april["1.000002"]["average"] == 6.3 and april["1.000002"]["unit"] == "ngày"


def test_refusals_payment_and_channels_by_agency(world, march):
    rows = figures(Period.parse("2025-03"), None, by="agency", now=NOW)
    health = rows[world.health.id]
    assert (health.received, health.received_post, health.refused) == (1, 1, 1)
    assert (health.fee_bearing, health.paid_online, health.paid_online_rate) == (1, 1, 100.0)
    assert health.on_time_rate == 100.0
    total = figures(Period.parse("2025-03"), None, now=NOW)[None]
    assert (total.received, total.decided_total, total.in_progress) == (5, 3, 2)
    assert total.online_rate == 40.0


def test_current_period_uses_current_backlog(world, march):
    june = figures(Period.parse("2025-06"), [world.justice.id], now=at(2025, 6, 10))[None]
    assert june.current and (june.in_progress, june.overdue) == (1, 1)


def test_trend_has_one_point_per_month(world, march):
    series = trend(Period.parse("2025-04"), [world.justice.id], months=3, now=NOW)
    assert [m.month for m, _ in series] == [2, 3, 4]
    assert series[0][1].on_time_rate is None
    assert series[1][1].on_time_rate == 50.0 and series[2][1].on_time_rate == 50.0


def test_rebuild_gives_the_incremental_numbers(world, march):
    def snapshot(model, period):
        return sorted(
            tuple(round(v, 3) if isinstance(v, float) else v for v in row)
            for row in model.objects.values_list(period, "agency_id", "procedure_id", "field_id", "channel",
                                                 "received", "received_online", "decided_early", "decided_on_time",
                                                 "decided_late", "processing_seconds_sum", "processing_working_days_sum",
                                                 "supplements", "paid_online", "fee_bearing", "refused", "returned")
        )

    before = snapshot(DailyRollup, "day"), snapshot(MonthlyRollup, "month")
    assert before[0]
    rollups.rebuild()
    assert (snapshot(DailyRollup, "day"), snapshot(MonthlyRollup, "month")) == before


def test_rating_and_satisfaction(world, march, history):
    e = march["e"]
    g = history(world.health, world.proc, Channel.ONLINE, [
        received(at(2025, 3, 5), at(2025, 3, 10, 17)), ("start_processing", at(2025, 3, 5, 10), {}),
        ("approve", at(2025, 3, 6), {}),
    ])
    with pytest.raises(RatingError, match="1 đến 5"):
        rate_dossier(e, None, 7)
    with pytest.raises(RatingError, match="đã có kết quả"):
        rate_dossier(march["c"], None, 5)
    rate_dossier(e, None, 2, "Chờ lâu")
    with pytest.raises(RatingError, match="đã được đánh giá"):
        rate_dossier(e, None, 4)
    rate_dossier(g, None, 5)
    fig = figures(Period.parse(""), [world.health.id], now=NOW)[None]
    assert (fig.ratings, fig.ratings_disliked, fig.average_score) == (2, 1, 3.5)
    # 5.4 = 100 - (late rate + dislike rate); nothing late at Health, one dislike in two.
    assert fig.satisfaction == 50.0
    rollups.rebuild()
    assert figures(Period.parse(""), [world.health.id], now=NOW)[None].ratings == 2


def test_targets_resolve_and_traffic_light(world):
    set_target(Indicator.ONLINE_RATE, 40)
    set_target(Indicator.ONLINE_RATE, 50, agency=world.health, amber_margin=5)
    targets = Targets(AgencyTree())
    assert targets.light(world.justice.id, "3.3", 41.0) == "green"
    assert targets.light(world.health.id, "3.3", 46.0) == "amber"
    assert targets.light(world.health.id, "3.3", 44.9) == "red"
    assert targets.light(world.health.id, "3.3", None) == "none"
    assert Target.objects.count() == 2
    with pytest.raises(ValueError):
        set_target(Indicator.ONLINE_RATE, 120)
