"""The interface every payment gateway implements, and the values that cross it.

A provider module (``payments/contrib/<code>.py``) holds both halves of its protocol: what we
send and verify, and — for the development simulator only — how the gateway signs its answers.
"""

from __future__ import annotations

import datetime as dt
import hmac
import json
import urllib.request
from dataclasses import dataclass, field

from django.conf import settings
from django.urls import reverse


class CallbackRejected(Exception):
    """A callback or query answer we refuse; ``reason`` is a short stable code for the log."""

    def __init__(self, reason: str, detail: str = ""):
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


@dataclass
class CallbackData:
    """What a verified callback says, in our units (amount in whole VND)."""

    reference: str
    transaction_id: str
    amount: int
    currency: str
    success: bool
    status_code: str = ""
    extra: dict = field(default_factory=dict)


@dataclass
class QueryResult:
    """The gateway's answer about one order: ``paid``, ``failed``, ``pending`` or ``not_found``."""

    status: str
    data: CallbackData | None = None
    raw: dict = field(default_factory=dict)


def constant_time_equal(expected: str, received: str) -> bool:
    """Compare hex signatures without leaking timing; non-ASCII input is simply unequal."""
    return hmac.compare_digest(expected.lower().encode(), str(received).strip().lower().encode("utf-8", "replace"))


def post_json(url: str, payload: dict, timeout: float = 10) -> dict:
    """POST a JSON body and parse the JSON answer (the gateways' query APIs)."""
    req = urllib.request.Request(
        url, data=json.dumps(payload).encode(), headers={"Content-Type": "application/json"}, method="POST"
    )
    with urllib.request.urlopen(req, timeout=timeout) as resp:  # noqa: S310 - configured https URL
        return json.loads(resp.read().decode())


def local_stamp(when: dt.datetime) -> str:
    """yyyyMMddHHmmss in Vietnam time (GMT+7), as VNPAY-style gateways expect."""
    from django.utils import timezone

    return timezone.localtime(when).strftime("%Y%m%d%H%M%S")


class Gateway:
    code: str = ""
    name: str = ""
    description: str = ""
    #: Redirects the payer to the gateway (False: shows instructions, e.g. a bank-transfer QR).
    redirects: bool = True
    #: A payment through it counts as "paid online" (DuocThanhToanTrucTuyen).
    online: bool = True
    expiry = dt.timedelta(minutes=15)

    def is_configured(self) -> bool:
        return True

    # --- our side -------------------------------------------------------------------------
    def start_url(self, payment, *, client_ip: str = "127.0.0.1", base_url: str | None = None) -> str:
        """Where to send the payer; ``base_url`` (this site as the payer reached it) builds the
        return and notify addresses, SITE_URL by default."""
        raise NotImplementedError

    def parse_callback(self, params: dict[str, str]) -> CallbackData:
        """Verify the signature (constant time) and the merchant; raise :class:`CallbackRejected`."""
        raise NotImplementedError

    def ipn_answer(self, reason: str, accepted: bool) -> tuple[dict, int]:
        """The body and HTTP status the gateway expects for a callback outcome."""
        return ({"code": "00" if accepted else "99", "reason": reason}, 200)

    def query(self, payment) -> QueryResult | None:
        """Ask the gateway's query API about ``payment``; None if the gateway has none."""
        return None

    # --- helpers --------------------------------------------------------------------------
    @staticmethod
    def site_url(path: str, base_url: str | None = None) -> str:
        return (base_url or settings.SITE_URL).rstrip("/") + path

    def return_path(self) -> str:
        return reverse("payments:return", args=[self.code])

    def ipn_path(self) -> str:
        return reverse("payments:ipn", args=[self.code])

    def simulator_path(self) -> str:
        return reverse("payments:simulator", args=[self.code])

    def simulator_api_url(self) -> str:
        return self.site_url(reverse("payments:simulator_api", args=[self.code]))
