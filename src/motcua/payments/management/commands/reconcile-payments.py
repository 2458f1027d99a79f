from dataclasses import asdict

from django.core.management.base import BaseCommand

from motcua.payments import services


class Command(BaseCommand):
    help = "Query the payment gateways about pending payments (lost notifications) and expire stale ones."

    def add_arguments(self, parser):
        parser.add_argument("--enqueue", action="store_true", help="Queue the task for the worker instead of running it now.")

    def handle(self, *args, **options):
        if options["enqueue"]:
            from motcua.payments.tasks import reconcile_payments_task

            result = reconcile_payments_task.enqueue()
            self.stdout.write(f"Đã xếp hàng tác vụ đối soát: {result.id}")
            return
        report = services.reconcile_payments()
        self.stdout.write(
            "Đối soát xong: {paid} đã thanh toán, {failed} không thành công, {expired} hết hạn, "
            "{pending} còn chờ, {errors} lỗi.".format(**asdict(report))
        )
