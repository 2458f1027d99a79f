"""Development sender: prints the message on standard output."""

import sys


def send(message) -> None:
    sys.stdout.write(f"[{message.channel}] → {message.recipient}: {message.subject}\n{message.body}\n")
    sys.stdout.flush()
