"""motcua generate-dossiers --count N [--agencies 50] [--seed S]: synthetic histories in bulk."""

import time

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from motcua.stats import rollups
from motcua.stats.generator import Generator


class Command(BaseCommand):
    help = "Tạo hồ sơ giả lập có lịch sử xử lý (demo, đo hiệu năng), rồi tổng hợp lại số liệu thống kê."

    def add_arguments(self, parser):
        parser.add_argument("--count", type=int, required=True, help="Số hồ sơ cần tạo.")
        parser.add_argument("--agencies", type=int, default=50, help="Số cơ quan giải quyết (tạo thêm nếu thiếu).")
        parser.add_argument("--seed", type=int, default=766, help="Hạt giống ngẫu nhiên (cùng hạt giống, cùng dữ liệu).")
        parser.add_argument("--days", type=int, default=365, help="Khoảng thời gian (ngày) trước hiện tại.")
        parser.add_argument("--no-rebuild", action="store_true", help="Không tổng hợp lại số liệu thống kê.")

    def handle(self, *args, count, agencies, seed, days, no_rebuild, **options):
        if count <= 0 or agencies <= 0 or days <= 0:
            raise CommandError("--count, --agencies và --days phải là số dương.")
        started = time.perf_counter()
        generator = Generator(count, agencies=agencies, seed=seed, days=days)
        with tqdm(total=count, unit="hồ sơ", disable=options["verbosity"] == 0) as bar:
            result = generator.run(progress=bar.update)
        written = time.perf_counter() - started
        self.stdout.write(f"Đã ghi {result['dossiers']} hồ sơ, {result['events']} sự kiện trong {written:.1f} s.")
        if not no_rebuild:
            t = time.perf_counter()
            rollups.rebuild()
            rollups.rebuild_snapshots()
            self.stdout.write(f"Đã tổng hợp lại số liệu thống kê trong {time.perf_counter() - t:.1f} s.")
        self.stdout.write(f"Tổng thời gian: {time.perf_counter() - started:.1f} s.")
