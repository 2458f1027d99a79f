from django.core.management.base import BaseCommand, CommandError

from motcua.payments import services


class Command(BaseCommand):
    help = "Match a bank statement (CSV: reference, credit amount, description) to pending VietQR payments."

    def add_arguments(self, parser):
        parser.add_argument("file", help="CSV file (UTF-8) with a header row.")

    def handle(self, *args, **options):
        try:
            with open(options["file"], "rb") as fh:
                report = services.import_bank_statement(fh)
        except OSError as exc:
            raise CommandError(f"Không đọc được tệp: {exc}") from exc
        except (services.PaymentError, UnicodeDecodeError) as exc:
            raise CommandError(f"Tệp sao kê không hợp lệ: {exc}") from exc
        self.stdout.write(
            f"Khớp mới: {len(report.matched)}; đã ghi nhận trước: {len(report.already)}; "
            f"không có mã thanh toán: {report.unmatched}; cần kiểm tra: {len(report.problems)}."
        )
        for line in report.problems:
            self.stdout.write(f"  - {line}")
