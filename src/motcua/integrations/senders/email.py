"""E-mail through Django's mail framework (``settings.EMAIL_BACKEND``)."""

from django.conf import settings
from django.core.mail import EmailMessage


def send(message) -> None:
    EmailMessage(
        subject=message.subject or "Thông báo từ Cổng Dịch vụ công",
        body=message.body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[message.recipient],
    ).send(fail_silently=False)
