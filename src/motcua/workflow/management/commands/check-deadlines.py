from django.core.management.base import BaseCommand

from motcua.workflow.deadlines import check_deadlines


class Command(BaseCommand):
    help = "Record and notify dossiers past their appointment date or due within N working hours."

    def add_arguments(self, parser):
        parser.add_argument("--warn-hours", type=int, default=8, help="Warn this many working hours ahead.")

    def handle(self, *args, warn_hours=8, **options):
        counts = check_deadlines(warn_hours=max(0, warn_hours))
        self.stdout.write(f"Quá hạn: {counts['overdue']}, sắp đến hạn: {counts['soon']}")
