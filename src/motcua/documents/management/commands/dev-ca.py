"""``motcua dev-ca``: a development CA and one PKCS#12 signing certificate per agency."""

from django.core.management.base import BaseCommand, CommandError

from motcua.documents import signing
from motcua.organisations.models import Agency


class Command(BaseCommand):
    help = "Tạo CA phát triển và chứng thư ký số (PKCS#12) cho từng cơ quan, dùng cho demo và kiểm thử."

    def add_arguments(self, parser):
        parser.add_argument("codes", nargs="*", help="Mã định danh cơ quan (mặc định: mọi cơ quan đang hoạt động).")
        parser.add_argument("--overwrite", action="store_true", help="Tạo lại chứng thư đã có.")

    def handle(self, *codes, overwrite=False, **options):
        from django.conf import settings

        if settings.MOTCUA_ENV == "production":
            raise CommandError("Không dùng CA phát triển trong môi trường production.")
        _, ca_cert, created = signing.ensure_dev_ca()
        self.stdout.write(f"CA {'mới tạo' if created else 'đã có'}: {signing.ca_cert_path()}")
        agencies = Agency.objects.filter(is_active=True)
        if codes:
            agencies = Agency.objects.filter(code__in=codes)
            missing = set(codes) - set(agencies.values_list("code", flat=True))
            if missing:
                raise CommandError(f"Không có cơ quan mã: {', '.join(sorted(missing))}")
        count = 0
        for agency in agencies.order_by("code"):
            existed = signing.p12_path(agency).exists()
            path = signing.issue_agency_p12(agency, overwrite=overwrite)
            if overwrite or not existed:
                count += 1
            self.stdout.write(f"  {agency.code}: {path}")
        self.stdout.write(self.style.SUCCESS(f"Đã tạo {count} chứng thư."))
