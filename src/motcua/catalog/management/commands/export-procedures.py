"""motcua export-procedures [--code C ...] [-o FILE]: the catalogue in MotCua's JSON format."""

import json
import sys

from django.core.management.base import BaseCommand

from motcua.catalog.models import Procedure
from motcua.catalog.services import export_catalogue


class Command(BaseCommand):
    help = "Xuất danh mục thủ tục theo định dạng JSON của MotCua (xem docs/catalog-format.md)."

    def add_arguments(self, parser):
        parser.add_argument("--code", action="append", default=[], help="Chỉ xuất các mã này (lặp lại được)")
        parser.add_argument("-o", "--output", help="Tệp đích (mặc định: stdout)")

    def handle(self, *args, **options):
        qs = Procedure.objects.all()
        if options["code"]:
            qs = qs.filter(code__in=options["code"])
        text = json.dumps(export_catalogue(qs), ensure_ascii=False, indent=1) + "\n"
        if options["output"]:
            with open(options["output"], "w", encoding="utf-8") as fh:
                fh.write(text)
        else:
            sys.stdout.write(text)
