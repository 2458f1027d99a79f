"""``motcua load-admin-units``: load provinces and communes (and the pre-2025 units) from vietnamadminunits."""

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from motcua.organisations.adminunits import load_admin_units, read_units
from motcua.organisations.models import AdministrativeUnit


class Command(BaseCommand):
    help = "Nạp danh mục đơn vị hành chính (34 tỉnh, 3.321 xã từ 01/7/2025 và dữ liệu cũ 63 tỉnh) từ vietnamadminunits."

    def add_arguments(self, parser):
        parser.add_argument("--province", help="Chỉ nạp một tỉnh (mã 2025, vd. 31) và các xã của tỉnh đó.")
        parser.add_argument("--no-legacy", action="store_true", help="Không nạp đơn vị hành chính cũ (trước 01/7/2025).")

    def handle(self, *args, province=None, no_legacy=False, **options):
        if province and not read_units(province, legacy=False)[0]:
            raise CommandError(f"Không có tỉnh/thành phố mã {province} trong danh mục 2025.")
        show = options.get("verbosity", 1) >= 1

        def progress(batches):
            return tqdm(batches, desc="Đơn vị hành chính", unit="lô", disable=not show, file=self.stderr._out)

        summary = load_admin_units(province=province, legacy=not no_legacy, progress=progress)
        labels = dict(AdministrativeUnit.Level.choices)
        for (legacy, level), count in summary.by_level.items():
            structure = "trước 01/7/2025" if legacy else "từ 01/7/2025"
            self.stdout.write(f"  {labels[level]} ({structure}): {count}")
        self.stdout.write(
            self.style.SUCCESS(
                f"Đã xử lý {summary.total} đơn vị: thêm mới {summary.created}, cập nhật {summary.updated}, "
                f"không đổi {summary.unchanged}."
            )
        )
