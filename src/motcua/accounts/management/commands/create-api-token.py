"""``motcua create-api-token USERNAME``: issue a personal API token and print it once."""

from django.core.management.base import BaseCommand, CommandError

from motcua.accounts.models import User
from motcua.accounts.services import create_api_token


class Command(BaseCommand):
    help = "Tạo mã truy cập API cho một tài khoản (mã chỉ được in ra một lần)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", default="Dòng lệnh", help="Tên gợi nhớ của mã.")

    def handle(self, *args, username, name, **options):
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"Không có tài khoản {username}.")
        if not user.is_active:
            raise CommandError(f"Tài khoản {username} đang bị khóa.")
        _, raw = create_api_token(user, name)
        self.stdout.write(raw)
