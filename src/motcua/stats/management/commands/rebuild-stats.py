"""motcua rebuild-stats: recompute every rollup and snapshot from the dossier events (set-based)."""

import time

from django.core.management.base import BaseCommand

from motcua.stats import rollups


class Command(BaseCommand):
    help = "Tổng hợp lại toàn bộ số liệu thống kê từ nhật ký hồ sơ."

    def handle(self, *args, **options):
        t = time.perf_counter()
        counts = rollups.rebuild()
        rollups.rebuild_snapshots()
        self.stdout.write(
            f"Đã tổng hợp {counts['daily']} dòng số liệu ngày, {counts['monthly']} dòng số liệu tháng "
            f"trong {time.perf_counter() - t:.1f} s."
        )
