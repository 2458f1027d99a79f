"""Message senders, one module per provider. A sender is a callable ``send(message)`` that raises
on failure. SMS use ``settings.SMS_BACKEND`` (``console``, ``file`` or a dotted path to a callable
or class with ``send``); e-mails go through Django's mail (``settings.EMAIL_BACKEND``)."""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module

from django.conf import settings
from django.utils.module_loading import import_string

SENDERS = {"console": "console", "file": "file", "email": "email"}


def _load(name: str) -> Callable:
    if name in SENDERS:
        return import_module(f"motcua.integrations.senders.{SENDERS[name]}").send
    target = import_string(name)
    if isinstance(target, type):
        return target().send
    return target


def get_sender(channel: str) -> Callable:
    """The sender for ``channel`` (``sms`` or ``email``)."""
    if channel == "email":
        return _load("email")
    if channel == "sms":
        return _load(settings.SMS_BACKEND)
    raise ValueError(f"unknown channel {channel!r}")
