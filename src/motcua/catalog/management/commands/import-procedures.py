"""motcua import-procedures PATH...: national portal records, LayThuTuc JSON or MotCua's format."""

from django.core.management.base import BaseCommand, CommandError

from motcua.catalog.importers import import_paths


class Command(BaseCommand):
    help = "Nhập thủ tục hành chính từ tệp hoặc thư mục JSON (Cổng DVCQG, LayThuTuc, định dạng MotCua)."

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", help="Tệp hoặc thư mục")
        parser.add_argument("--quiet-files", action="store_true", help="Không in kết quả từng tệp")

    def handle(self, *args, **options):
        summary = import_paths(options["paths"], progress=options["verbosity"] > 0)
        if not summary.files:
            raise CommandError("Không tìm thấy tệp JSON nào.")
        if not options["quiet_files"] and options["verbosity"] > 0:
            for f in summary.files:
                if f.error:
                    self.stdout.write(self.style.ERROR(f"{f.path}: LỖI, bỏ qua – {f.error}"))
                elif options["verbosity"] > 1 or f.reports:
                    for report in f.reports:
                        self.stdout.write(f"{f.path}: {report.code}: {report.summary()}")
                    if not f.reports:
                        self.stdout.write(f"{f.path}: {dict(f.outcomes)}")
        out = summary.outcomes
        cov = summary.coverage()
        self.stdout.write(
            self.style.SUCCESS(
                f"Tệp: {len(summary.files)}, lỗi: {len(summary.errors)}. Thủ tục: thêm {out['created']}, "
                f"cập nhật {out['updated']}, không đổi {out['unchanged']}."
            )
        )
        for key, label in (("time", "thời hạn giải quyết"), ("fee", "phí, lệ phí")):
            parsed, stated = cov[key]
            if stated:
                self.stdout.write(f"Có nêu {label}: {stated}; đọc được: {parsed} ({100 * parsed / stated:.1f}%).")
