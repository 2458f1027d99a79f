"""``motcua send-outbox``: deliver due SMS and e-mail messages (run from cron or after an outage)."""

from django.core.management.base import BaseCommand

from motcua.integrations.messaging import send_due_messages


class Command(BaseCommand):
    help = "Gửi các tin nhắn SMS, thư điện tử đang chờ đến hạn gửi."

    def add_arguments(self, parser):
        parser.add_argument("--limit", type=int, default=500, help="Số tin tối đa mỗi lần chạy.")

    def handle(self, *args, limit=500, **options):
        counts = send_due_messages(limit=limit)
        self.stdout.write(
            f"Đã gửi {counts.get('sent', 0)} tin; chờ thử lại {counts.get('pending', 0)}; "
            f"thất bại {counts.get('failed', 0)}."
        )
