"""Payment gateways by code. Providers register themselves from ``payments/contrib/``;
``PAYMENT_GATEWAYS`` chooses which ones citizens are offered."""

from __future__ import annotations

from importlib import import_module

from django.conf import settings

from motcua.payments.base import Gateway

_REGISTRY: dict[str, type[Gateway]] = {}
PROVIDERS = ["vnpay", "national", "vietqr"]


def register(cls: type[Gateway]) -> type[Gateway]:
    _REGISTRY[cls.code] = cls
    return cls


def _load() -> None:
    for name in PROVIDERS:
        import_module(f"motcua.payments.contrib.{name}")


class UnknownGateway(LookupError):
    pass


def get_gateway(code: str) -> Gateway:
    _load()
    try:
        return _REGISTRY[code]()
    except KeyError:
        raise UnknownGateway(code) from None


def available_gateways() -> list[Gateway]:
    """Gateways enabled by settings and configured (secrets present), in settings order."""
    _load()
    out = []
    for code in settings.PAYMENT_GATEWAYS:
        cls = _REGISTRY.get(code)
        if cls is not None and (gw := cls()).is_configured():
            out.append(gw)
    return out
