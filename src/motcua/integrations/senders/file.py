"""Appends each message as one line to ``$MOTCUA_VAR_DIR/sms.log`` (for a gateway that reads the file,
or for inspection when no SMS gateway is contracted yet)."""

import json

from django.conf import settings
from django.utils import timezone


def send(message) -> None:
    path = settings.VAR_DIR / "sms.log"
    path.parent.mkdir(parents=True, exist_ok=True)
    line = {
        "at": timezone.now().isoformat(),
        "id": message.pk,
        "channel": message.channel,
        "to": message.recipient,
        "subject": message.subject,
        "body": message.body,
    }
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(json.dumps(line, ensure_ascii=False) + "\n")
