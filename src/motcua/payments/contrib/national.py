"""National payment platform style: SHA-256 over pipe-joined fields ending with the merchant key.

Request (redirect): merchant_code|order_id|amount|currency|create_time|key.
Result (return URL and server-to-server notify, form-encoded):
merchant_code|order_id|transaction_id|amount|currency|status|pay_time|key; status ``00`` is paid.
Query API (JSON POST): request merchant_code|order_id|request_time|key; the answer is signed like
a result. Amounts are whole VND; the currency is part of every signed message.
"""

from __future__ import annotations

import hashlib
import hmac
import urllib.error
from urllib.parse import urlencode

from django.conf import settings
from django.utils import timezone

from motcua.payments.base import (
    CallbackData,
    CallbackRejected,
    Gateway,
    QueryResult,
    constant_time_equal,
    local_stamp,
    post_json,
)
from motcua.payments.registry import register

REQUEST_FIELDS = ["merchant_code", "order_id", "amount", "currency", "create_time"]
RESULT_FIELDS = ["merchant_code", "order_id", "transaction_id", "amount", "currency", "status", "pay_time"]
QUERY_FIELDS = ["merchant_code", "order_id", "request_time"]
ANSWERS = {
    "accepted": ("00", "Thành công"),
    "unknown_order": ("01", "Không tìm thấy đơn hàng"),
    "already_confirmed": ("02", "Đơn hàng đã được xác nhận"),
    "invalid_state": ("02", "Đơn hàng đã được xác nhận"),
    "amount_mismatch": ("04", "Số tiền không khớp"),
    "currency_mismatch": ("05", "Loại tiền không khớp"),
    "invalid_signature": ("97", "Chữ ký không hợp lệ"),
}


def checksum(params: dict, fields: list[str], key: str) -> str:
    return hashlib.sha256("|".join([*(str(params.get(f, "")) for f in fields), key]).encode()).hexdigest()


@register
class NationalGateway(Gateway):
    code = "national"
    name = "Nền tảng thanh toán quốc gia"
    description = "Thanh toán qua Nền tảng thanh toán trực tuyến của Cổng Dịch vụ công quốc gia."

    @property
    def merchant(self) -> str:
        return settings.NATIONAL_PAY_MERCHANT_CODE

    @property
    def key(self) -> str:
        return settings.NATIONAL_PAY_KEY

    def is_configured(self) -> bool:
        return bool(self.merchant and self.key and (settings.NATIONAL_PAY_URL or settings.PAYMENT_SIMULATOR_ENABLED))

    def api_url(self) -> str:
        return settings.NATIONAL_PAY_API_URL or self.simulator_api_url()

    def start_url(self, payment, *, client_ip: str = "127.0.0.1", base_url: str | None = None) -> str:
        params = {
            "merchant_code": self.merchant,
            "order_id": payment.reference,
            "amount": str(payment.amount),
            "currency": payment.currency,
            "create_time": local_stamp(payment.created_at),
            "order_info": f"Thanh toán phí, lệ phí hồ sơ {payment.dossier.code or payment.dossier_id}",
            "return_url": self.site_url(self.return_path(), base_url),
            "notify_url": self.site_url(self.ipn_path(), base_url),
        }
        params["checksum"] = checksum(params, REQUEST_FIELDS, self.key)
        return f"{settings.NATIONAL_PAY_URL or self.simulator_path()}?{urlencode(params)}"

    def parse_callback(self, params: dict[str, str]) -> CallbackData:
        if not constant_time_equal(checksum(params, RESULT_FIELDS, self.key), params.get("checksum", "")):
            raise CallbackRejected("invalid_signature", "checksum không khớp")
        return self._data(params)

    def _data(self, params: dict) -> CallbackData:
        missing = [f for f in ("merchant_code", "order_id", "amount", "currency", "status") if not params.get(f)]
        if missing:
            raise CallbackRejected("missing_fields", ", ".join(missing))
        if not hmac.compare_digest(str(params["merchant_code"]).encode(), self.merchant.encode()):
            raise CallbackRejected("wrong_merchant", str(params["merchant_code"]))
        amount = str(params["amount"])
        if not amount.isdigit():
            raise CallbackRejected("amount_mismatch", f"amount={amount}")
        success = params["status"] == "00"
        txn = str(params.get("transaction_id", ""))
        if success and not txn:
            raise CallbackRejected("missing_fields", "transaction_id")
        return CallbackData(
            reference=str(params["order_id"]),
            transaction_id=f"national:{txn}" if txn else "",
            amount=int(amount),
            currency=str(params["currency"]),
            success=success,
            status_code=str(params["status"]),
            extra={"pay_time": params.get("pay_time", "")},
        )

    def ipn_answer(self, reason: str, accepted: bool) -> tuple[dict, int]:
        code, message = ANSWERS["accepted"] if accepted else ANSWERS.get(reason, ("99", "Lỗi không xác định"))
        return {"code": code, "message": message}, 200

    def query(self, payment) -> QueryResult:
        body = {"merchant_code": self.merchant, "order_id": payment.reference, "request_time": local_stamp(timezone.now())}
        body["checksum"] = checksum(body, QUERY_FIELDS, self.key)
        try:
            answer = post_json(self.api_url(), body)
        except (OSError, ValueError, urllib.error.URLError) as exc:
            raise CallbackRejected("query_failed", repr(exc)) from exc
        if answer.get("code") == "01":
            return QueryResult("not_found", raw=answer)
        if answer.get("code") != "00":
            raise CallbackRejected("query_failed", f"code={answer.get('code')}")
        if not constant_time_equal(checksum(answer, RESULT_FIELDS, self.key), answer.get("checksum", "")):
            raise CallbackRejected("invalid_signature", "checksum của kết quả tra cứu không khớp")
        if answer.get("status") == "01":
            return QueryResult("pending", raw=answer)
        data = self._data(answer)
        return QueryResult("paid" if data.success else "failed", data, answer)

    # --- the gateway's side, used only by the development simulator -----------------------
    def verify_start(self, params: dict[str, str]) -> bool:
        return constant_time_equal(checksum(params, REQUEST_FIELDS, self.key), params.get("checksum", ""))

    def simulator_order(self, params: dict[str, str]) -> dict:
        amount = params.get("amount", "0")
        return {"reference": params.get("order_id", ""), "amount": int(amount) if amount.isdigit() else 0,
                "info": params.get("order_info", ""), "return_url": params.get("return_url", "")}

    def simulate_result(self, request_params: dict[str, str], *, success: bool, transaction_no: str) -> dict[str, str]:
        params = {
            "merchant_code": request_params["merchant_code"],
            "order_id": request_params["order_id"],
            "transaction_id": transaction_no if success else "",
            "amount": request_params["amount"],
            "currency": request_params["currency"],
            "status": "00" if success else "02",
            "pay_time": local_stamp(timezone.now()),
        }
        params["checksum"] = checksum(params, RESULT_FIELDS, self.key)
        return params

    def simulate_query_answer(self, body: dict, lookup) -> dict:
        if not constant_time_equal(checksum(body, QUERY_FIELDS, self.key), body.get("checksum", "")):
            return {"code": "97", "message": "Chữ ký không hợp lệ"}
        txn = lookup(str(body.get("order_id", "")))
        if txn is None:
            return {"code": "01", "message": "Không tìm thấy đơn hàng"}
        answer = {
            "code": "00", "message": "Thành công", "merchant_code": self.merchant, "order_id": txn.reference,
            "transaction_id": txn.transaction_id if txn.status == "00" else "", "amount": str(txn.amount),
            "currency": "VND", "status": txn.status, "pay_time": local_stamp(txn.at),
        }
        answer["checksum"] = checksum(answer, RESULT_FIELDS, self.key)
        return answer
