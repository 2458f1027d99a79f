"""``motcua demo``: load demonstration data (quick no-op when it is already there)."""

from django.conf import settings
from django.core.management.base import BaseCommand

from motcua.organisations.demo import demo_exists, load_demo


class Command(BaseCommand):
    help = "Tạo dữ liệu mẫu: đơn vị hành chính, cơ quan, tài khoản cán bộ và công dân, thủ tục mẫu."

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="Chạy lại cả khi đã có dữ liệu mẫu (không tạo trùng).")

    def handle(self, *args, force=False, **options):
        if demo_exists() and not force:
            self.stdout.write("Đã có dữ liệu mẫu.")
            return
        accounts = load_demo(settings.PROVINCE_CODE)
        width = max(len(a.username) for a in accounts)
        role_width = max(len(a.role) for a in accounts)
        self.stdout.write(self.style.SUCCESS("Đã tạo dữ liệu mẫu. Tài khoản dùng thử:"))
        self.stdout.write(f"{'Tên đăng nhập':<{width}}  {'Mật khẩu':<10}  {'Vai trò':<{role_width}}  Cơ quan")
        for a in accounts:
            self.stdout.write(f"{a.username:<{width}}  {a.password:<10}  {a.role:<{role_width}}  {a.agency}")
