import time

from django.core.management.base import BaseCommand

from motcua.core.periodic import JOBS, run_due


class Command(BaseCommand):
    help = "Enqueue MotCua's periodic jobs (deadlines, backlog, payment reconciliation, outbox) when due."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="Enqueue every job once and exit (for cron).")
        parser.add_argument("--tick", type=float, default=30.0, help="Seconds between checks (default 30).")

    def handle(self, *args, once=False, tick=30.0, **options):
        last_run: dict[str, float] = {}
        if once:
            names = run_due(last_run)
            self.stdout.write(f"Đã đưa vào hàng đợi: {', '.join(names)}")
            return
        self.stdout.write("Lịch chạy định kỳ: " + "; ".join(f"{j.name} mỗi {j.every_seconds // 60 or 1} phút" for j in JOBS))
        while True:
            for name in run_due(last_run):
                self.stdout.write(f"{time.strftime('%H:%M:%S')} {name}")
            time.sleep(tick)
