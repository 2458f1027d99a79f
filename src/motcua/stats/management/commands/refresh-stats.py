"""motcua refresh-stats: the periodic task (every few minutes): current backlog and ended months."""

from django.core.management.base import BaseCommand

from motcua.stats import rollups


class Command(BaseCommand):
    help = "Làm mới số hồ sơ đang giải quyết, quá hạn hiện tại và số liệu cuối tháng (chạy định kỳ)."

    def handle(self, *args, **options):
        rollups.refresh()
        self.stdout.write("Đã làm mới số liệu hồ sơ tồn.")
