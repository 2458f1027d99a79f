"""VNPAY-compatible redirect protocol (version 2.1.0).

Payment URL: the ``vnp_*`` parameters sorted by name, url-encoded (``quote_plus``) and joined
with ``&``; ``vnp_SecureHash`` = HMAC-SHA512(hash secret, that string), hex. The return URL and
the server-to-server IPN carry the result signed the same way (``vnp_SecureHash`` and
``vnp_SecureHashType`` excluded). Amounts are in VND × 100. The IPN answers JSON
``{"RspCode": "00", "Message": "Confirm Success"}`` (01 order not found, 02 already confirmed,
04 invalid amount, 97 invalid signature, 99 other). The query API (``querydr``) signs
pipe-joined fields with the same key.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import urllib.error
from urllib.parse import quote_plus, urlencode

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

VERSION = "2.1.0"
HASH_EXCLUDED = {"vnp_SecureHash", "vnp_SecureHashType"}
QUERY_REQUEST_FIELDS = [
    "vnp_RequestId", "vnp_Version", "vnp_Command", "vnp_TmnCode", "vnp_TxnRef", "vnp_TransactionDate",
    "vnp_CreateDate", "vnp_IpAddr", "vnp_OrderInfo",
]
QUERY_RESPONSE_FIELDS = [
    "vnp_ResponseId", "vnp_Command", "vnp_ResponseCode", "vnp_Message", "vnp_TmnCode", "vnp_TxnRef", "vnp_Amount",
    "vnp_BankCode", "vnp_PayDate", "vnp_TransactionNo", "vnp_TransactionType", "vnp_TransactionStatus",
    "vnp_OrderInfo", "vnp_PromotionCode", "vnp_PromotionAmount",
]
IPN_ANSWERS = {
    "accepted": ("00", "Confirm Success"),
    "unknown_order": ("01", "Order not found"),
    "already_confirmed": ("02", "Order already confirmed"),
    "invalid_state": ("02", "Order already confirmed"),
    "amount_mismatch": ("04", "Invalid amount"),
    "currency_mismatch": ("04", "Invalid amount"),
    "invalid_signature": ("97", "Invalid signature"),
}


def hash_data(params: dict[str, str]) -> str:
    return "&".join(
        f"{k}={quote_plus(str(v))}" for k, v in sorted(params.items()) if k.startswith("vnp_") and k not in HASH_EXCLUDED
    )


def sign(params: dict[str, str], secret: str) -> str:
    return hmac.new(secret.encode(), hash_data(params).encode(), hashlib.sha512).hexdigest()


def sign_fields(values: list[str], secret: str) -> str:
    return hmac.new(secret.encode(), "|".join(values).encode(), hashlib.sha512).hexdigest()


def order_info(payment) -> str:
    # Plain ASCII: VNPAY asks for Vietnamese without diacritics in vnp_OrderInfo.
    return f"Thanh toan phi le phi ho so {payment.dossier.code or payment.dossier_id} ma {payment.reference}"


@register
class VnpayGateway(Gateway):
    code = "vnpay"
    name = "Cổng thanh toán VNPAY"
    description = "Thẻ ATM nội địa, thẻ quốc tế, ứng dụng ngân hàng (VNPAY-QR)."

    @property
    def tmn_code(self) -> str:
        return settings.VNPAY_TMN_CODE

    @property
    def secret(self) -> str:
        return settings.VNPAY_HASH_SECRET

    def is_configured(self) -> bool:
        return bool(self.tmn_code and self.secret and (settings.VNPAY_URL or settings.PAYMENT_SIMULATOR_ENABLED))

    def pay_url(self) -> str:
        return settings.VNPAY_URL or self.simulator_path()

    def api_url(self) -> str:
        return settings.VNPAY_API_URL or self.simulator_api_url()

    def start_url(self, payment, *, client_ip: str = "127.0.0.1", base_url: str | None = None) -> str:
        params = {
            "vnp_Version": VERSION,
            "vnp_Command": "pay",
            "vnp_TmnCode": self.tmn_code,
            "vnp_Amount": str(payment.amount * 100),
            "vnp_CurrCode": payment.currency,
            "vnp_TxnRef": payment.reference,
            "vnp_OrderInfo": order_info(payment),
            "vnp_OrderType": "billpayment",
            "vnp_Locale": "vn",
            "vnp_ReturnUrl": self.site_url(self.return_path(), base_url),
            "vnp_IpAddr": client_ip or "127.0.0.1",
            "vnp_CreateDate": local_stamp(payment.created_at),
        }
        if payment.expires_at:
            params["vnp_ExpireDate"] = local_stamp(payment.expires_at)
        return f"{self.pay_url()}?{urlencode(sorted(params.items()))}&vnp_SecureHash={sign(params, self.secret)}"

    def parse_callback(self, params: dict[str, str]) -> CallbackData:
        received = params.get("vnp_SecureHash", "")
        if not received or not constant_time_equal(sign(params, self.secret), received):
            raise CallbackRejected("invalid_signature", "vnp_SecureHash không khớp")
        return self._data(params)

    def _data(self, params: dict[str, str]) -> CallbackData:
        missing = [k for k in ("vnp_TmnCode", "vnp_TxnRef", "vnp_Amount", "vnp_ResponseCode") if not params.get(k)]
        if missing:
            raise CallbackRejected("missing_fields", ", ".join(missing))
        if not hmac.compare_digest(params["vnp_TmnCode"].encode(), self.tmn_code.encode()):
            raise CallbackRejected("wrong_merchant", params["vnp_TmnCode"])
        raw_amount = params["vnp_Amount"]
        if not raw_amount.isdigit() or int(raw_amount) % 100:
            raise CallbackRejected("amount_mismatch", f"vnp_Amount={raw_amount}")
        status = params.get("vnp_TransactionStatus", params["vnp_ResponseCode"])
        success = params["vnp_ResponseCode"] == "00" and status == "00"
        txn = params.get("vnp_TransactionNo", "")
        if success and (not txn or txn == "0"):
            raise CallbackRejected("missing_fields", "vnp_TransactionNo")
        return CallbackData(
            reference=params["vnp_TxnRef"],
            transaction_id=f"vnpay:{txn}" if txn and txn != "0" else "",
            amount=int(raw_amount) // 100,
            # VNPAY's result carries no currency; if a currency is present it must be ours.
            currency=params.get("vnp_CurrCode", "VND"),
            success=success,
            status_code=params["vnp_ResponseCode"],
            extra={"bank": params.get("vnp_BankCode", ""), "pay_date": params.get("vnp_PayDate", "")},
        )

    def ipn_answer(self, reason: str, accepted: bool) -> tuple[dict, int]:
        code, message = IPN_ANSWERS["accepted"] if accepted else IPN_ANSWERS.get(reason, ("99", "Unknown error"))
        return {"RspCode": code, "Message": message}, 200

    def query(self, payment) -> QueryResult:
        now = timezone.now()
        body = {
            "vnp_RequestId": secrets.token_hex(16),
            "vnp_Version": VERSION,
            "vnp_Command": "querydr",
            "vnp_TmnCode": self.tmn_code,
            "vnp_TxnRef": payment.reference,
            "vnp_OrderInfo": f"Truy van giao dich {payment.reference}",
            "vnp_TransactionDate": local_stamp(payment.created_at),
            "vnp_CreateDate": local_stamp(now),
            "vnp_IpAddr": "127.0.0.1",
        }
        body["vnp_SecureHash"] = sign_fields([body[k] for k in QUERY_REQUEST_FIELDS], self.secret)
        try:
            answer = post_json(self.api_url(), body)
        except (OSError, ValueError, urllib.error.URLError) as exc:
            raise CallbackRejected("query_failed", repr(exc)) from exc
        expected = sign_fields([str(answer.get(k, "")) for k in QUERY_RESPONSE_FIELDS], self.secret)
        if not constant_time_equal(expected, answer.get("vnp_SecureHash", "")):
            raise CallbackRejected("invalid_signature", "querydr vnp_SecureHash không khớp")
        if answer.get("vnp_ResponseCode") == "91":
            return QueryResult("not_found", raw=answer)
        if answer.get("vnp_ResponseCode") != "00":
            raise CallbackRejected("query_failed", f"vnp_ResponseCode={answer.get('vnp_ResponseCode')}")
        status = answer.get("vnp_TransactionStatus")
        if status == "01":
            return QueryResult("pending", raw=answer)
        data = self._data({**answer, "vnp_ResponseCode": "00" if status == "00" else str(status)})
        return QueryResult("paid" if data.success else "failed", data, answer)

    # --- the gateway's side, used only by the development simulator -----------------------
    def simulate_result(self, request_params: dict[str, str], *, success: bool, transaction_no: str) -> dict[str, str]:
        params = {
            "vnp_Amount": request_params["vnp_Amount"],
            "vnp_BankCode": "NCB",
            "vnp_CardType": "ATM",
            "vnp_OrderInfo": request_params.get("vnp_OrderInfo", ""),
            "vnp_PayDate": local_stamp(timezone.now()),
            "vnp_ResponseCode": "00" if success else "24",
            "vnp_TmnCode": request_params["vnp_TmnCode"],
            "vnp_TransactionNo": transaction_no if success else "0",
            "vnp_TransactionStatus": "00" if success else "02",
            "vnp_TxnRef": request_params["vnp_TxnRef"],
        }
        if success:
            params["vnp_BankTranNo"] = f"VNP{transaction_no}"
        params["vnp_SecureHash"] = sign(params, self.secret)
        return params

    def verify_start(self, params: dict[str, str]) -> bool:
        return constant_time_equal(sign(params, self.secret), params.get("vnp_SecureHash", ""))

    def simulator_order(self, params: dict[str, str]) -> dict:
        return {"reference": params.get("vnp_TxnRef", ""), "amount": int(params.get("vnp_Amount", "0") or 0) // 100,
                "info": params.get("vnp_OrderInfo", ""), "return_url": params.get("vnp_ReturnUrl", "")}

    def simulate_query_answer(self, body: dict, lookup) -> dict:
        """Answer a querydr request like the gateway: verify it, look the order up, sign."""
        expected = sign_fields([str(body.get(k, "")) for k in QUERY_REQUEST_FIELDS], self.secret)
        answer = {"vnp_ResponseId": secrets.token_hex(16), "vnp_Command": "querydr", "vnp_TmnCode": self.tmn_code,
                  "vnp_TxnRef": str(body.get("vnp_TxnRef", "")), "vnp_OrderInfo": str(body.get("vnp_OrderInfo", ""))}
        if not constant_time_equal(expected, body.get("vnp_SecureHash", "")):
            answer.update(vnp_ResponseCode="97", vnp_Message="Invalid checksum")
        elif (txn := lookup(answer["vnp_TxnRef"])) is None:
            answer.update(vnp_ResponseCode="91", vnp_Message="Not found transaction")
        else:
            answer.update(
                vnp_ResponseCode="00", vnp_Message="QueryDR Success", vnp_Amount=str(txn.amount * 100),
                vnp_BankCode="NCB", vnp_PayDate=local_stamp(txn.at), vnp_TransactionType="01",
                vnp_TransactionNo=txn.transaction_id if txn.status == "00" else "0",
                vnp_TransactionStatus="00" if txn.status == "00" else "02",
            )
        answer["vnp_SecureHash"] = sign_fields([str(answer.get(k, "")) for k in QUERY_RESPONSE_FIELDS], self.secret)
        return answer
