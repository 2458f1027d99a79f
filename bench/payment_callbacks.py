"""Verified payment callbacks per second on PostgreSQL over HTTP (granian). Target: >= 500/s.

Each accepted VNPAY IPN is the full path: HMAC-SHA512 check in constant time, amount, currency
and merchant against our record, the conditional update that makes it idempotent, state
transition with history, request settled, callback logged, dossier moved on inline
(``payment_received`` with its event, ``paid_online`` set) and what that transition sets off
after commit: the applicant's SMS notice queued, the paused clock resumed (the dossiers are made
as ``request_payment`` leaves them: paused, with an appointment and a phone), statistics counted.
Replays (already confirmed) and forged signatures are measured too; both are logged. The note
gives the SQL statements of one accepted callback.
"""

from __future__ import annotations

import os
from urllib.parse import parse_qsl, urlencode, urlsplit

from common import http_load, report, serve, setup_django, timed

N = int(os.environ.get("BENCH_PAYMENT_CALLBACKS", "4000"))
PREFIX = "BENCH.PAY."


def generate(n: int):
    """n dossiers waiting for payment (status 6), each with a request and a pending VNPAY payment."""
    from django.utils import timezone

    from motcua.catalog.models import Procedure
    from motcua.dossiers.models import Dossier, Status
    from motcua.organisations.models import Agency
    from motcua.payments.models import Payment, PaymentRequest
    from motcua.payments.services import new_reference

    agency, _ = Agency.objects.get_or_create(
        code=f"{PREFIX}01", defaults={"name": "Cơ quan thử tải thanh toán", "kind": "commune_committee", "level": "commune"}
    )
    procedure, _ = Procedure.objects.get_or_create(code="BENCH.PAY", defaults={"name": "Thủ tục thử tải thanh toán"})
    stamp = timezone.now()
    run = stamp.strftime("%H%M%S%f")
    hour = timezone.timedelta(hours=1)
    # As transition() leaves a dossier asked to pay: received, appointment set, paused since the
    # request (so payment_received resumes the clock and moves the appointment), with a phone
    # number (so the applicant is notified).
    dossiers = Dossier.objects.bulk_create(
        Dossier(code=f"BENCHPAY-{run}-{i}", procedure=procedure, status=Status.PAYMENT_REQUESTED,
                paused_from_status=Status.PROCESSING, paused_at=stamp - hour, channel=2, receiving_agency=agency,
                competent_agency=agency, current_agency=agency, applicant_name="Người thử tải",
                applicant_phone="0912345678", submitted_at=stamp - 3 * hour, received_at=stamp - 2 * hour,
                appointment_at=stamp + 72 * hour)
        for i in range(n)
    )
    requests = PaymentRequest.objects.bulk_create(PaymentRequest(dossier=d, amount=50000) for d in dossiers)
    payments = Payment.objects.bulk_create(
        Payment(dossier=d, request=r, reference=new_reference(), amount=50000, gateway="vnpay",
                expires_at=stamp + timezone.timedelta(hours=1))
        for d, r in zip(dossiers, requests)
    )
    return payments


def ipn_paths(payments, *, forged: bool = False) -> list[str]:
    from motcua.payments.contrib.vnpay import VnpayGateway

    gw = VnpayGateway()
    paths = []
    for i, p in enumerate(payments):
        params = dict(parse_qsl(urlsplit(gw.start_url(p)).query))
        result = gw.simulate_result(params, success=True, transaction_no=f"{p.pk}{i:05d}")
        if forged:
            result["vnp_SecureHash"] = "0" * 128
        paths.append(f"/thanh-toan/ipn/vnpay/?{urlencode(result)}")
    return paths


def main() -> None:
    setup_django()
    from django.db import connection

    if connection.vendor != "postgresql":
        raise SystemExit("bench/payment_callbacks.py needs PostgreSQL (DATABASE_URL)")
    from motcua.payments.contrib.vnpay import VnpayGateway
    from motcua.payments.models import GatewayCallbackLog, Payment

    payments = generate(N + 501)
    warm, local, measured, counted = payments[:200], payments[200:500], payments[500:-1], payments[-1:]
    good = ipn_paths(measured)
    warm_paths = ipn_paths(warm)
    forged = ipn_paths(measured[:N // 2], forged=True)

    gw = VnpayGateway()
    sample = dict(parse_qsl(urlsplit(good[0]).query))
    rows = [timed("verify signature only (in process)", lambda i: gw.parse_callback(sample), 5000)]
    rows[0].extra["http"] = False
    from motcua.payments.services import handle_callback

    local_params = [dict(parse_qsl(urlsplit(p).query)) for p in ipn_paths(local)]
    rows.append(timed("accepted callback, full path (in process)",
                      lambda i: handle_callback("vnpay", local_params[i], remote_addr="127.0.0.1"), 300, warmup=0))
    rows[1].extra["http"] = False
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as statements:
        outcome = handle_callback("vnpay", dict(parse_qsl(urlsplit(ipn_paths(counted)[0]).query)), remote_addr="127.0.0.1")
    assert outcome.accepted, outcome

    with serve() as base:
        http_load("warm-up", base, warm_paths, concurrency=4)
        # For scale on this machine at this moment: the same server's trivial database read.
        rows.append(http_load("trivial database read (same server, scale)", base, ["/bench/db"] * 3000, concurrency=8))
        rows.append(http_load("IPN accepted: verify + mark paid + dossier on", base, good, concurrency=8))
        rows.append(http_load("IPN replay: verify + already confirmed", base, good[: N // 2], concurrency=8))
        rows.append(http_load("IPN forged signature: rejected + logged", base, forged, concurrency=8))

    ids = [p.pk for p in measured]
    paid = Payment.objects.filter(pk__in=ids, state="paid").count()
    replays = GatewayCallbackLog.objects.filter(reason="already_confirmed", reference__in=[p.reference for p in measured[: N // 2]]).count()
    accepted = rows[3].throughput
    report(
        "payment_callbacks",
        rows,
        note=f"{paid}/{len(measured)} payments paid once, {replays} replays refused; "
        f"accepted {accepted:.0f}/s (target >= 500/s); {len(statements)} SQL statements per accepted callback "
        "(BEGIN and COMMIT included)",
    )
    if paid != len(measured):
        raise SystemExit("not every callback was recorded exactly once")


if __name__ == "__main__":
    main()
