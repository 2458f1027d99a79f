"""motcua import-procedure-codes [FOLDER]: national codes, names, popularity weights and fields."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from motcua.catalog.importers import import_codes


class Command(BaseCommand):
    help = "Nạp danh sách mã thủ tục quốc gia (tên, mức độ phổ biến, lĩnh vực)."

    def add_arguments(self, parser):
        # ../shared/data/national-codes next to the repository checkout.
        default = Path(settings.PACKAGE_DIR).parents[2] / "shared" / "data" / "national-codes"
        parser.add_argument("folder", nargs="?", default=str(default))

    def handle(self, *args, **options):
        folder = options["folder"]
        if not folder or not Path(folder).is_dir():
            raise CommandError(f"Không tìm thấy thư mục: {folder}")
        counts = import_codes(folder)
        self.stdout.write(
            self.style.SUCCESS(
                f"Lĩnh vực mới: {counts['fields']}. Thủ tục: thêm {counts['created']}, "
                f"cập nhật mức độ phổ biến {counts['updated']}, không đổi {counts['unchanged']}."
            )
        )
